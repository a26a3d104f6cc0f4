/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * gen_history.c: a history of N REQUIRETLS sends, as the plugin writes it, for issue 20's
 * benchmark (bench/bench_history.py) and for timing the store by itself.
 *
 *   bench-gen-history [--journal FILE] [--batch K] [--now EPOCH] DB N
 *   bench-gen-history --journal FILE [--now EPOCH] N       (the text journal only)
 *   bench-gen-history --import JOURNAL DB                   (time the migration)
 *
 * Each send is the four records plugin/rtls_send.c writes for a send that went well:
 * "started" (its fields as send_record() fills them), "sent" (with the facts of the helper's
 * status record, rtls_attempt_take_facts(), and its words, rtls_record_explain()), then
 * "filed" and "closed" (rtls_attempt_record() of the attempt folded so far). Every fourth
 * send gets a delivery report a few minutes later, made by rtls_delivery_records() from a
 * report about its first recipient: alternately "delivered" (2.0.0) and "bounced" (5.7.30,
 * REQUIRETLS not supported on the way). Three recipients a send, at domains d0.example to
 * d499.example; queue entries 1 to 10 (a Claws session of 10 sends); the sends are spread evenly
 * over the two years before --now (default: now), oldest first. Records go to the store through
 * rtls_store_append_all(), K (default 1000) a transaction; with --journal also as journal lines
 * (one fsync at the end, not one a line: the file is the same, it is only written faster).
 *
 * Prints what it wrote, the time the store took (rtls_store_append_all() only), and the size
 * of the database once closed (SQLite folds its -wal file into it then), per send.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_journal.h"
#include "rtls_record.h"
#include "rtls_store.h"

#define TWO_YEARS (2 * 365 * 24 * 3600)
#define DOMAINS 500

typedef struct {
	RtlsStore *store;
	FILE *journal;
	GPtrArray *batch;
	guint batch_size;
	guint64 records;
	gint64 store_us;
} Out;

static void
die (const char *what, GError *error)
{
	fprintf (stderr, "bench-gen-history: %s: %s\n", what, error != NULL ? error->message : "");
	exit (1);
}

static void
flush (Out *o)
{
	g_autoptr (GError) error = NULL;
	gint64 t0;

	if (o->batch->len == 0)
		return;
	if (o->store != NULL) {
		t0 = g_get_monotonic_time ();
		if (!rtls_store_append_all (o->store, o->batch, &error))
			die ("rtls_store_append_all", error);
		o->store_us += g_get_monotonic_time () - t0;
	}
	g_ptr_array_set_size (o->batch, 0);
}

/* Takes @e. */
static void
emit (Out *o, RtlsJournalEntry *e)
{
	o->records++;
	if (o->journal != NULL) {
		g_autofree gchar *line = rtls_journal_entry_format (e);
		if (fprintf (o->journal, "%s\n", line) < 0)
			die ("writing the journal", NULL);
	}
	g_ptr_array_add (o->batch, e);
	if (o->batch->len >= o->batch_size)
		flush (o);
}

/* The status record the helper writes for a message the server accepted. */
static RtlsRecord *
sent_status (void)
{
	static const char text[] = "result=sent\nexit=0\nexit-name=EX_OK\nstage=done\n"
	                           "host=127.0.0.1\nport=587\ntls-version=TLS1.3\nrequiretls=yes\n"
	                           "smtp-code=250\nenhanced-code=2.0.0\n"
	                           "server-text=OK: message queued\n";
	return rtls_record_parse (text, sizeof text - 1);
}

static void
one_send (Out *o, guint64 n, gint64 t, gint64 report_after, const RtlsRecord *status)
{
	guint k = (guint) (n % DOMAINS);
	RtlsJournalEntry *started = g_new0 (RtlsJournalEntry, 1);
	g_autoptr (GPtrArray) so_far = g_ptr_array_new ();
	g_autoptr (GPtrArray) attempts = NULL;
	RtlsAttempt *a;
	RtlsJournalEntry *e;

	/* as send_record() in plugin/rtls_send.c */
	started->time = t;
	started->result = g_strdup ("started");
	started->envid = rtls_journal_new_envid ();
	started->message_id = g_strdup_printf ("<%" G_GUINT64_FORMAT ".rtls@example.org>", n);
	started->account_id = 1;
	started->sender = g_strdup ("alice@example.org");
	started->recipients = g_strdup_printf (
	        "user%u@d%u.example,bob.%u@d%u.example,carol@d%u.example", (guint) (n % 1000), k,
	        (guint) (n % 97), (guint) ((n * 7 + 1) % DOMAINS),
	        (guint) ((n * 13 + 2) % DOMAINS));
	started->subject = g_strdup_printf ("Quarterly figures, part %" G_GUINT64_FORMAT, n);
	started->host = g_strdup ("127.0.0.1");
	started->port = 587;
	started->queue_folder = g_strdup ("#mh/Mailbox/queue");
	/* Claws numbers a queue entry after the highest number it has seen in the folder: it
	 * counts up while it runs and starts again at 1 in an empty queue after a restart. A
	 * session here sends 10 messages, so entries 1 to 10 each come back every 10 sends */
	started->queue_msgnum = 1 + (gint) (n % 10);

	g_ptr_array_add (so_far, started);
	attempts = rtls_attempts_fold (so_far);
	a = g_ptr_array_index (attempts, 0);

	/* finish(): the outcome, with the status record's facts */
	e = rtls_attempt_record (a, "sent", t + 1);
	e->explanation = rtls_record_explain (status);
	rtls_attempt_take_facts (e, status);
	rtls_attempts_apply (attempts, e);
	emit (o, started);
	emit (o, e);
	/* bookkeeping(): the Sent copy, then the queue entry */
	e = rtls_attempt_record (a, "filed", t + 1);
	rtls_attempts_apply (attempts, e);
	emit (o, e);
	e = rtls_attempt_record (a, "closed", t + 2);
	rtls_attempts_apply (attempts, e);
	emit (o, e);

	if (n % 4 == 0) {
		gboolean bounce = n % 8 == 4;
		g_autofree gchar *rcpt
		        = g_strdup_printf ("user%u@d%u.example", (guint) (n % 1000), k);
		g_autofree gchar *mx = g_strdup_printf ("mx.d%u.example", k);
		g_autofree gchar *next = g_strdup_printf ("mx2.d%u.example", k);
		g_autofree gchar *bounce_id
		        = g_strdup_printf ("<%" G_GUINT64_FORMAT ".report@mx.d%u.example>", n, k);
		g_autofree gchar *mid
		        = g_strdup_printf ("%" G_GUINT64_FORMAT ".rtls@example.org", n);
		RtlsDsnRecipient r = { 0 };
		RtlsDsn dsn = { 0 };
		/* the send it matched (rtls_delivery_correlate()): "started" went to the batch */
		RtlsJournalEntry match = { .envid = a->envid,
			                   .message_id = a->message_id,
			                   .subject = a->subject,
			                   .account_id = a->account_id };
		g_autoptr (GPtrArray) rl = g_ptr_array_new ();
		g_autoptr (GPtrArray) recs = NULL;

		r.final_recipient = rcpt;
		r.action = bounce ? RTLS_DSN_ACTION_FAILED : RTLS_DSN_ACTION_DELIVERED;
		r.status = r.effective_status = (gchar *) (bounce ? "5.7.30" : "2.0.0");
		r.remote_mta = bounce ? next : NULL;
		r.diagnostic = (gchar *) (bounce ? "smtp; 550 5.7.30 REQUIRETLS support required"
		                                 : "smtp; 250 2.0.0 Ok: delivered");
		g_ptr_array_add (rl, &r);
		dsn.envid = a->envid;
		dsn.reporting_mta = mx;
		dsn.recipients = rl;
		dsn.returned = TRUE;
		dsn.orig_message_id = mid;
		dsn.orig_subject = a->subject;
		recs = rtls_delivery_records (&dsn, RTLS_BOUNCE_OURS, &match, NULL, bounce_id,
		                              t + report_after);
		for (guint i = 0; i < recs->len; i++)
			emit (o, g_steal_pointer (&recs->pdata[i]));
		g_ptr_array_set_free_func (recs, NULL);
	}
}

static gint64
file_size (const char *path)
{
	GStatBuf st;

	return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

static int
import (const char *journal, const char *db)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsStore) store = rtls_store_open (db, NULL, &error);
	guint taken = 0, skipped = 0;
	gint64 t0;

	if (store == NULL)
		die (db, error);
	t0 = g_get_monotonic_time ();
	if (!rtls_store_import_journal (store, journal, &taken, &skipped, &error))
		die ("rtls_store_import_journal", error);
	printf ("imported %u records (%u lines skipped) of %s (%" G_GINT64_FORMAT
	        " bytes) in %.2f s\n",
	        taken, skipped, journal, file_size (journal), (g_get_monotonic_time () - t0) / 1e6);
	g_clear_pointer (&store, rtls_store_close);
	printf ("database: %" G_GINT64_FORMAT " bytes\n", file_size (db));
	return 0;
}

int
main (int argc, char **argv)
{
	g_autofree gchar *journal_path = NULL, *import_path = NULL;
	gint batch = 1000;
	gint64 now = 0;
	GOptionEntry entries[] = {
		{ "journal", 0, 0, G_OPTION_ARG_FILENAME, &journal_path,
		  "also write the history as a text journal", "FILE" },
		{ "batch", 0, 0, G_OPTION_ARG_INT, &batch, "records a transaction (1000)", "K" },
		{ "now", 0, 0, G_OPTION_ARG_INT64, &now, "the newest send is just before",
		  "EPOCH" },
		{ "import", 0, 0, G_OPTION_ARG_FILENAME, &import_path,
		  "time rtls_store_import_journal() of JOURNAL into DB", "JOURNAL" },
		{ NULL },
	};
	g_autoptr (GOptionContext) ctx = g_option_context_new ("[DB] N");
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsRecord) status = sent_status ();
	const char *db = NULL;
	guint64 n;
	gint64 t0, span, step, report_after, total_us;
	Out o = { 0 };

	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error))
		die ("options", error);
	if (import_path != NULL) {
		if (argc != 2)
			die ("usage: --import JOURNAL DB", NULL);
		return import (import_path, argv[1]);
	}
	if (argc == 3)
		db = argv[1];
	else if (!(argc == 2 && journal_path != NULL))
		die ("usage: bench-gen-history [--journal FILE] DB N (see --help)", NULL);
	n = g_ascii_strtoull (argv[argc - 1], NULL, 10);
	if (now == 0)
		now = g_get_real_time () / G_USEC_PER_SEC;
	if (batch < 1)
		batch = 1;

	if (db != NULL) {
		g_autofree gchar *moved = NULL;
		if (g_file_test (db, G_FILE_TEST_EXISTS))
			die ("the database exists already (a history is written into a new one)",
			     NULL);
		o.store = rtls_store_open (db, &moved, &error);
		if (o.store == NULL)
			die (db, error);
	}
	if (journal_path != NULL) {
		o.journal = fopen (journal_path, "w");
		if (o.journal == NULL)
			die (journal_path, NULL);
	}
	o.batch = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	o.batch_size = (guint) batch;

	/* evenly over two years, the newest a minute before @now */
	span = TWO_YEARS;
	step = n > 0 ? MAX (span / (gint64) n, 3) : 0;
	report_after = MIN (300, MAX (step / 2, 3));
	t0 = g_get_monotonic_time ();
	for (guint64 i = 0; i < n; i++)
		one_send (&o, i, now - 60 - report_after - (gint64) (n - 1 - i) * step,
		          report_after, status);
	flush (&o);
	total_us = g_get_monotonic_time () - t0;
	g_ptr_array_unref (o.batch);

	printf ("sends: %" G_GUINT64_FORMAT ", records: %" G_GUINT64_FORMAT ", %" G_GINT64_FORMAT
	        " s apart\n",
	        n, o.records, step);
	if (o.journal != NULL) {
		gint64 size;
		if (fflush (o.journal) != 0 || fsync (fileno (o.journal)) != 0
		    || fclose (o.journal) != 0)
			die ("writing the journal", NULL);
		size = file_size (journal_path);
		printf ("journal: %s, %" G_GINT64_FORMAT " bytes, %.0f bytes per send\n",
		        journal_path, size, n > 0 ? (double) size / (double) n : 0.0);
	}
	if (o.store != NULL) {
		gint64 size;
		g_autofree gchar *wal = g_strconcat (db, "-wal", NULL);
		t0 = g_get_monotonic_time ();
		g_clear_pointer (&o.store, rtls_store_close);
		o.store_us += g_get_monotonic_time () - t0;
		size = file_size (db) + file_size (wal);
		printf ("store: %.2f s in rtls_store_append_all (batches of %d records), "
		        "%.1f us per send; %.2f s in all\n",
		        o.store_us / 1e6, batch, n > 0 ? (double) o.store_us / (double) n : 0.0,
		        total_us / 1e6);
		printf ("database: %s, %" G_GINT64_FORMAT " bytes, %.0f bytes per send\n", db, size,
		        n > 0 ? (double) size / (double) n : 0.0);
	}
	return 0;
}
