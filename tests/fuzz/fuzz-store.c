/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-store.c: libFuzzer target for the store's import of a journal file (an earlier
 * release's, or one damaged on disk) and for what it answers from it. The input is the
 * journal's bytes; it is imported into a new database (in a folder of this process's own,
 * removed after each input), then every question the plugin asks is asked: the window's
 * rows (all, a page, a search), what is unfinished, the attempts about each queue entry and
 * Message-ID, each attempt, the next retry, the domain facts. Compared with the folds of
 * rtls_journal_load() over the same bytes (its records as the journal's format keeps them,
 * as the store does): as many records taken, as many rows, the same attempts and the same
 * unfinished ones as the fold of its sends (an unverified bounce is a message of its own) of
 * a journal such as every release wrote: each ENVID started once, its records naming one
 * message.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_journal.h"
#include "rtls_store.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static gchar *dir;

static void
remove_dir (void)
{
	if (dir != NULL)
		g_rmdir (dir);
}

static void
remove_files (const char *db, const char *journal)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		gchar *p = g_strconcat (db, suffixes[i], NULL);
		g_unlink (p);
		g_free (p);
	}
	g_unlink (journal);
}

/* The records as the journal's format keeps them (what the store keeps): a value it cannot
 * write (a retry step without a retry time, an account below -1) is what it reads back. */
static GPtrArray *
kept (GPtrArray *journal)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);

	for (guint i = 0; journal != NULL && i < journal->len; i++) {
		gchar *line = rtls_journal_entry_format (g_ptr_array_index (journal, i));
		RtlsJournalEntry *e = rtls_journal_entry_parse (line);
		if (e == NULL)
			__builtin_trap (); /* fuzz-journal's round trip */
		g_ptr_array_add (out, e);
		g_free (line);
	}
	if (journal != NULL)
		g_ptr_array_unref (journal);
	return out;
}

static gboolean
is_bounce_of_its_own (const RtlsJournalEntry *e)
{
	return g_strcmp0 (e->result, "unverified") == 0
	       || (g_strcmp0 (e->result, "forgotten") == 0 && e->message_id == NULL
	           && e->bounce_id != NULL);
}

/* The records the store folds attempts from: not an unverified bounce, which is a message of
 * its own whatever ENVID it names (rtls_attempts_apply() would take a send's missing
 * Message-ID, subject or account from it). */
static GPtrArray *
sends_of (GPtrArray *journal)
{
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; i < journal->len; i++)
		if (!is_bounce_of_its_own (g_ptr_array_index (journal, i)))
			g_ptr_array_add (out, g_ptr_array_index (journal, i));
	return out;
}

/* The store groups a message's records by the ENVID of its attempt, the fold by key
 * (rtls_delivery_key_of()): they agree when each ENVID's records name one message, as every
 * release wrote them (an unverified bounce is a message of its own whatever ENVID it names). */
static gboolean
one_message_per_envid (GPtrArray *journal)
{
	GHashTable *key_of_envid = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < journal->len; i++) {
		const RtlsJournalEntry *e = g_ptr_array_index (journal, i);
		gchar *key;
		const char *seen;
		if (e->envid == NULL || is_bounce_of_its_own (e))
			continue;
		key = rtls_delivery_key_of (e);
		seen = g_hash_table_lookup (key_of_envid, e->envid);
		if (seen == NULL) {
			g_hash_table_insert (key_of_envid, e->envid, key);
			continue;
		}
		ok = g_str_equal (seen, key);
		g_free (key);
	}
	g_hash_table_unref (key_of_envid);
	return ok;
}

/* The store keeps one attempt per ENVID, the latest (as rtls_attempts_find() answers); the
 * fold keeps an earlier one started with the same ENVID too. No release reused an ENVID. */
static gboolean
one_attempt_per_envid (GPtrArray *folded)
{
	GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < folded->len; i++)
		ok = g_hash_table_add (seen,
		                       ((RtlsAttempt *) g_ptr_array_index (folded, i))->envid);
	g_hash_table_unref (seen);
	return ok;
}

static gboolean
is_open (const RtlsAttempt *a)
{
	return a->state == RTLS_ATTEMPT_RUNNING || a->state == RTLS_ATTEMPT_SENT
	       || a->state == RTLS_ATTEMPT_HELD || a->state == RTLS_ATTEMPT_TEMPORARY;
}

static gboolean
same_attempt (const RtlsAttempt *a, const RtlsAttempt *b)
{
	return a != NULL && b != NULL && g_strcmp0 (a->envid, b->envid) == 0
	       && g_strcmp0 (a->message_id, b->message_id) == 0
	       && g_strcmp0 (a->queue_folder, b->queue_folder) == 0
	       && a->queue_msgnum == b->queue_msgnum && g_strcmp0 (a->subject, b->subject) == 0
	       && g_strcmp0 (a->sender, b->sender) == 0
	       && g_strcmp0 (a->recipients, b->recipients) == 0 && a->account_id == b->account_id
	       && g_strcmp0 (a->host, b->host) == 0 && a->port == b->port
	       && a->started == b->started && a->state == b->state && a->outcome == b->outcome
	       && a->retry_at == b->retry_at && a->retry_step == b->retry_step
	       && a->filed == b->filed && a->closed == b->closed && a->legacy == b->legacy;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	gchar *db, *journal_path;
	RtlsStore *st;
	GError *error = NULL;
	GPtrArray *journal, *sends, *want, *rows, *open, *folded;
	guint taken = 0, skipped = 0, nopen = 0;
	gboolean more = FALSE, exact;

	if (dir == NULL) {
		/* in memory where there is a tmpfs: every input makes and syncs a database */
		dir = g_strdup ("/dev/shm/fuzz-store-XXXXXX");
		if (g_mkdtemp (dir) == NULL) {
			g_free (dir);
			dir = g_dir_make_tmp ("fuzz-store-XXXXXX", NULL);
		}
		if (dir == NULL)
			abort ();
		atexit (remove_dir);
	}
	db = g_build_filename (dir, "requiretls.db", NULL);
	journal_path = g_build_filename (dir, "journal", NULL);
	if (!g_file_set_contents (journal_path, (const char *) data, (gssize) size, NULL))
		abort ();

	st = rtls_store_open (db, NULL, &error);
	if (st == NULL)
		abort ();
	if (!rtls_store_import_journal (st, journal_path, &taken, &skipped, &error))
		__builtin_trap (); /* a new database in a folder of our own: never */
	journal = kept (rtls_journal_load (journal_path, NULL));
	if (journal == NULL || taken != journal->len)
		__builtin_trap ();
	sends = sends_of (journal);
	folded = rtls_attempts_fold (sends);
	g_ptr_array_unref (sends);
	exact = one_message_per_envid (journal) && one_attempt_per_envid (folded);

	/* the window: all its rows, as many as the fold's */
	want = rtls_delivery_rows (journal);
	rows = rtls_store_rows (st, NULL, 0, G_MAXUINT, &more, &error);
	if (rows == NULL || more || (exact && rows->len != want->len))
		__builtin_trap ();
	if (rtls_store_count_messages (st, NULL) < 0
	    || rtls_store_count_messages (st, NULL) > (gint64) rows->len)
		__builtin_trap ();
	g_ptr_array_unref (rows);
	rows = rtls_store_rows (st, "a%_\\", 1, 2, &more, &error);
	if (rows == NULL)
		__builtin_trap ();
	g_ptr_array_unref (rows);
	rows = rtls_store_rows (st, "sent", 0, 3, &more, &error);
	if (rows == NULL)
		__builtin_trap ();
	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		RtlsDomainHistory h;
		RtlsDeliveryRow *w = rtls_store_domain_warning (
		        st, rtls_delivery_domain_of (r->recipient), r->time, 90 * 24 * 3600);
		rtls_delivery_row_free (w);
		if (!rtls_store_domain_history (st, rtls_delivery_domain_of (r->recipient), &h,
		                                &error))
			__builtin_trap ();
	}
	g_ptr_array_unref (rows);

	/* the attempts: each as the fold says; the unfinished ones, the same */
	for (guint i = 0; i < folded->len; i++) {
		const RtlsAttempt *w = g_ptr_array_index (folded, i);
		RtlsAttempt *a = rtls_store_attempt (st, w->envid, &error);
		GPtrArray *about;
		if (exact && !same_attempt (a, rtls_attempts_find (folded, w->envid)))
			__builtin_trap ();
		rtls_attempt_free (a);
		about = rtls_store_attempts_about (st, w->queue_folder, w->queue_msgnum,
		                                   w->message_id, &error);
		if (about == NULL)
			__builtin_trap ();
		(void) rtls_attempts_for_entry (about, w->queue_folder, w->queue_msgnum,
		                                w->message_id);
		(void) rtls_attempts_uncertain_for_message (about, w->message_id);
		g_ptr_array_unref (about);
		nopen += is_open (w);
	}
	open = rtls_store_unfinished (st, &error);
	if (open == NULL || (exact && open->len != nopen))
		__builtin_trap ();
	g_ptr_array_unref (open);
	(void) rtls_store_next_retry (st);
	{
		/* records asked back: as many as were written about those messages, at least */
		GPtrArray *like = rtls_store_records_like (st, journal, &error);
		if (like == NULL || (exact && like->len < journal->len))
			__builtin_trap ();
		g_ptr_array_unref (like);
	}
	if (rtls_store_expire (st, G_MAXINT64, 8, &error) < 0
	    || rtls_store_compact (st, 8, &error) < 0)
		__builtin_trap ();

	g_ptr_array_unref (folded);
	g_ptr_array_unref (want);
	g_ptr_array_unref (journal);
	g_clear_error (&error);
	rtls_store_close (st);
	remove_files (db, journal_path);
	g_free (db);
	g_free (journal_path);
	return 0;
}
