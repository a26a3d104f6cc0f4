/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-attempt.c: the write-ahead journal. The bookkeeping after a send is replayed from
 * every intermediate state (a crash after each durable action, then a restart that knows
 * only the journal and what is on disk): the end state is always the same, the Sent copy is
 * filed at most once, and nothing is ever due to be sent again by itself.
 */
#include "config.h"

#include <string.h>

#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_journal.h"
#include "rtls_record.h"

/* The world a restart finds: the journal (as lines, formatted and parsed back, as on disk),
 * the Sent folder, the queue entry, the helper's status file. */
typedef struct {
	GPtrArray *journal; /* gchar* lines */
	guint copies;
	gboolean entry;
	gchar *status;  /* the status file's text, or NULL */
	gboolean alive; /* the helper still runs */
	gboolean wants_copy;
	guint actions; /* durable actions done so far */
	guint crash_after;
} World;

static void
world_append (World *w, RtlsJournalEntry *e)
{
	g_ptr_array_add (w->journal, rtls_journal_entry_format (e));
	rtls_journal_entry_free (e);
}

static GPtrArray *
world_attempts (World *w)
{
	g_autoptr (GPtrArray) entries
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);

	for (guint i = 0; i < w->journal->len; i++) {
		RtlsJournalEntry *e = rtls_journal_entry_parse (g_ptr_array_index (w->journal, i));
		g_assert_nonnull (e);
		g_ptr_array_add (entries, e);
	}
	return rtls_attempts_fold (entries);
}

static RtlsJournalEntry *
started (void)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);

	e->time = 1000;
	e->result = g_strdup ("started");
	e->envid = g_strdup ("rtls-00000000000000000000abcd");
	e->message_id = g_strdup ("<m1@example.org>");
	e->account_id = 1;
	e->sender = g_strdup ("alice@example.org");
	e->recipients = g_strdup ("bob@example.net,carol@example.gov");
	e->subject = g_strdup ("Quarterly");
	e->host = g_strdup ("smtp.example.org");
	e->port = 465;
	e->queue_folder = g_strdup ("#mh/Mailbox/queue");
	e->queue_msgnum = 7;
	return e;
}

/* One durable action; FALSE when the "crash" happens before it. */
static gboolean
act (World *w)
{
	if (w->actions >= w->crash_after)
		return FALSE;
	w->actions++;
	return TRUE;
}

/* The plugin's recovery at start-up (or its finish() while running): until nothing is left
 * or a crash. Each step is split into its durable actions, as rtls_send.c does them. */
static gboolean
run_bookkeeping (World *w)
{
	for (guint guard = 0; guard < 20; guard++) {
		g_autoptr (GPtrArray) attempts = world_attempts (w);
		RtlsAttempt *a = g_ptr_array_index (attempts, attempts->len - 1);
		g_autoptr (RtlsRecord) rec = NULL;
		RtlsRecoveryFacts f = { 0 };
		RtlsStep step;

		if (w->status != NULL)
			rec = rtls_record_parse (w->status, strlen (w->status));
		f.helper_alive = w->alive;
		f.record = rec;
		f.content_left
		        = w->status != NULL && strstr (w->status, "progress=content") != NULL;
		f.status_file = w->status != NULL;
		f.wants_copy = w->wants_copy;
		f.copy_present = w->copies > 0;
		f.entry_present = w->entry;
		step = rtls_attempt_next_step (a, &f);
		switch (step) {
		case RTLS_STEP_NONE:
		case RTLS_STEP_WAIT:
			return TRUE;
		case RTLS_STEP_RECORD_OUTCOME:
			if (!act (w))
				return FALSE;
			world_append (w, rtls_attempt_recovered_outcome (a, &f, 2000));
			break;
		case RTLS_STEP_FILE_COPY:
			if (!act (w))
				return FALSE;
			w->copies++; /* saved and fsynced ... */
			if (!act (w))
				return FALSE; /* ... and Claws died before the journal said so */
			world_append (w, rtls_attempt_record (a, "filed", 2000));
			break;
		case RTLS_STEP_RECORD_FILED:
			if (!act (w))
				return FALSE;
			world_append (w, rtls_attempt_record (a, "filed", 2000));
			break;
		case RTLS_STEP_REMOVE_ENTRY:
			if (!act (w))
				return FALSE;
			w->entry = FALSE;
			if (!act (w))
				return FALSE;
			world_append (w, rtls_attempt_record (a, "closed", 2000));
			break;
		case RTLS_STEP_RECORD_CLOSED:
			if (!act (w))
				return FALSE;
			world_append (w, rtls_attempt_record (a, "closed", 2000));
			break;
		case RTLS_STEP_FORGET_STATUS:
			if (!act (w))
				return FALSE;
			g_clear_pointer (&w->status, g_free);
			break;
		default:
			g_assert_not_reached ();
		}
	}
	g_assert_not_reached ();
	return FALSE;
}

static guint
count_results (World *w, const char *result)
{
	g_autofree gchar *needle = g_strdup_printf ("result=%s\t", result);
	guint n = 0;

	for (guint i = 0; i < w->journal->len; i++)
		n += strstr (g_ptr_array_index (w->journal, i), needle) != NULL;
	return n;
}

typedef struct {
	const char *name;
	const char *status; /* the status file Claws finds, NULL: none */
	gboolean wants_copy;
	RtlsAttemptState end;
	guint copies;
	gboolean entry;
	const char *outcome;
} Case;

static void
replay (gconstpointer data)
{
	const Case *c = data;
	guint total = 0;

	/* first without a crash, to count the actions */
	for (guint crash = 0;; crash++) {
		World w = { .journal = g_ptr_array_new_with_free_func (g_free),
			    .entry = TRUE,
			    .wants_copy = c->wants_copy,
			    .status = g_strdup (c->status),
			    .crash_after = crash };
		g_autoptr (GPtrArray) attempts = NULL;
		RtlsAttempt *a;
		gboolean finished;

		world_append (&w, started ());
		finished = run_bookkeeping (&w);
		if (finished)
			total = w.actions;
		/* restart: a new run knows only the journal and the disk */
		w.crash_after = G_MAXUINT;
		g_assert_true (run_bookkeeping (&w));
		/* and a third run changes nothing at all */
		{
			guint lines = w.journal->len, copies = w.copies;
			g_assert_true (run_bookkeeping (&w));
			g_assert_cmpuint (w.journal->len, ==, lines);
			g_assert_cmpuint (w.copies, ==, copies);
		}
		attempts = world_attempts (&w);
		a = g_ptr_array_index (attempts, 0);
		g_assert_cmpuint (attempts->len, ==, 1);
		g_assert_cmpint (a->state, ==, c->end);
		g_assert_cmpstr (rtls_result_word (a->outcome), ==, c->outcome);
		g_assert_cmpuint (w.copies, ==, c->copies);
		g_assert_cmpint (w.entry, ==, c->entry);
		g_assert_null (w.status);
		g_assert_cmpuint (count_results (&w, "filed"), <=, 1);
		g_assert_cmpuint (count_results (&w, c->outcome), ==, 1);
		/* never due by itself, whatever state it is left in */
		g_assert_cmpint (rtls_attempt_due (a, RTLS_DUE_RETRIES, 99999), ==, RTLS_DUE_NO);
		if (c->end != RTLS_ATTEMPT_FAILED)
			g_assert_cmpint (rtls_attempt_due (a, RTLS_DUE_ONLINE, 99999), ==,
			                 RTLS_DUE_NO);
		g_ptr_array_unref (w.journal);
		g_free (w.status);
		if (finished)
			break;
	}
	g_assert_cmpuint (total, >, 0);
	g_test_message ("%s: replayed from %u intermediate states", c->name, total + 1);
}

static const Case cases[] = {
	{ "sent, with a Sent copy",
	  "result=sent\nexit=0\nstage=done\nhost=smtp.example.org\ntls-version=TLS1.3\n"
	  "requiretls=yes\nmessage-id=<m1@example.org>\n",
	  TRUE, RTLS_ATTEMPT_CLOSED, 1, FALSE, "sent" },
	{ "sent, no copy asked for", "result=sent\nexit=0\nstage=done\n", FALSE,
	  RTLS_ATTEMPT_CLOSED, 0, FALSE, "sent" },
	{ "refused for good",
	  "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\nenhanced-code=5.7.30\n"
	  "stage=ehlo\nhost=h\n",
	  TRUE, RTLS_ATTEMPT_FAILED, 0, TRUE, "failed" },
	{ "helper lost the connection after the dot",
	  "result=not-confirmed\nexit=75\nerror=RTLS_ERROR_NOT_CONFIRMED\nstage=data\n", TRUE,
	  RTLS_ATTEMPT_HELD, 0, TRUE, "not-confirmed" },
	{ "helper killed after the content left", "progress=content\nenvid=rtls-x\n", TRUE,
	  RTLS_ATTEMPT_HELD, 0, TRUE, "not-confirmed" },
	{ "helper killed before the content left", NULL, TRUE, RTLS_ATTEMPT_FAILED, 0, TRUE,
	  "interrupted" },
};

static void
test_helper_alive_waits (void)
{
	World w = { .journal = g_ptr_array_new_with_free_func (g_free),
		    .entry = TRUE,
		    .wants_copy = TRUE,
		    .alive = TRUE,
		    .status = g_strdup ("progress=content\n"),
		    .crash_after = G_MAXUINT };
	g_autoptr (GPtrArray) attempts = NULL;

	world_append (&w, started ());
	g_assert_true (run_bookkeeping (&w));
	g_assert_cmpuint (w.journal->len, ==, 1); /* nothing decided while it runs */
	attempts = world_attempts (&w);
	g_assert_cmpint (rtls_attempt_due (g_ptr_array_index (attempts, 0), RTLS_DUE_ASKED, 0), ==,
	                 RTLS_DUE_NO);
	/* it finishes: the record it left is used as if Claws had been running */
	w.alive = FALSE;
	g_free (w.status);
	w.status = g_strdup ("result=sent\nexit=0\nstage=done\n");
	g_assert_true (run_bookkeeping (&w));
	g_clear_pointer (&attempts, g_ptr_array_unref);
	attempts = world_attempts (&w);
	g_assert_cmpint (((RtlsAttempt *) g_ptr_array_index (attempts, 0))->state, ==,
	                 RTLS_ATTEMPT_CLOSED);
	g_assert_cmpuint (w.copies, ==, 1);
	g_assert_false (w.entry);
	g_ptr_array_unref (w.journal);
	g_free (w.status);
}

static RtlsJournalEntry *
line (const char *text)
{
	RtlsJournalEntry *e = rtls_journal_entry_parse (text);
	g_assert_nonnull (e);
	return e;
}

static void
test_due (void)
{
	g_autoptr (GPtrArray) j
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) a = NULL;
	const RtlsAttempt *t;

	g_assert_cmpint (rtls_attempt_due (NULL, RTLS_DUE_ASKED, 0), ==, RTLS_DUE_YES);
	g_assert_cmpint (rtls_attempt_due (NULL, RTLS_DUE_ONLINE, 0), ==, RTLS_DUE_YES);
	g_assert_cmpint (rtls_attempt_due (NULL, RTLS_DUE_RETRIES, 0), ==, RTLS_DUE_NO);

	g_ptr_array_add (j, line ("time=10\tenvid=rtls-t\tmessage-id=<t@x>\tresult=started\t"
	                          "queue-folder=#mh/Mailbox/queue\tqueue-msgnum=3"));
	g_ptr_array_add (j, line ("time=11\tenvid=rtls-t\tresult=temporary\tretry-at=500\t"
	                          "retry-step=0"));
	a = rtls_attempts_fold (j);
	t = rtls_attempts_for_entry (a, "#mh/Mailbox/queue", 3, "t@x");
	g_assert_nonnull (t);
	g_assert_null (rtls_attempts_for_entry (a, "#mh/Mailbox/queue", 3, "<other@x>"));
	g_assert_null (rtls_attempts_for_entry (a, "#mh/Mailbox/queue", 4, NULL));
	/* the back-off survives a restart: it is in the journal */
	g_assert_cmpint (t->retry_at, ==, 500);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_RETRIES, 499), ==, RTLS_DUE_NO);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_RETRIES, 500), ==, RTLS_DUE_YES);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ONLINE, 0), ==, RTLS_DUE_YES);

	/* failed for good survives too: only the person sends it */
	g_ptr_array_add (j, line ("time=12\tenvid=rtls-u\tresult=started\tqueue-folder=q\t"
	                          "queue-msgnum=4\tmessage-id=<u@x>"));
	g_ptr_array_add (j, line ("time=13\tenvid=rtls-u\tresult=failed"));
	/* not confirmed: asked first, never by itself; a confirmation lifts it */
	g_ptr_array_add (j, line ("time=14\tenvid=rtls-v\tresult=started\tqueue-folder=q\t"
	                          "queue-msgnum=5\tmessage-id=<v@x>"));
	g_ptr_array_add (j, line ("time=15\tenvid=rtls-v\tresult=not-confirmed"));
	g_clear_pointer (&a, g_ptr_array_unref);
	a = rtls_attempts_fold (j);
	t = rtls_attempts_for_entry (a, "q", 4, NULL);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ONLINE, 0), ==, RTLS_DUE_NO);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ASKED, 0), ==, RTLS_DUE_YES);
	t = rtls_attempts_for_entry (a, "q", 5, NULL);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ONLINE, 0), ==, RTLS_DUE_NO);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_RETRIES, G_MAXINT64), ==, RTLS_DUE_NO);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ASKED, 0), ==, RTLS_DUE_ASK);
	g_assert_nonnull (rtls_attempts_open_for_message (a, "v@x"));
	g_ptr_array_add (j, line ("time=16\tenvid=rtls-v\tresult=confirmed"));
	g_clear_pointer (&a, g_ptr_array_unref);
	a = rtls_attempts_fold (j);
	t = rtls_attempts_for_entry (a, "q", 5, NULL);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ASKED, 0), ==, RTLS_DUE_YES);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ONLINE, 0), ==, RTLS_DUE_NO);
	g_assert_null (rtls_attempts_open_for_message (a, "v@x"));
}

/* A journal of the previous release: outcome lines only. A "sent" line is a finished send,
 * and a queue entry of the same message is a duplicate, never sent without asking. */
static void
test_legacy (void)
{
	g_autoptr (GPtrArray) j
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) a = NULL;
	const RtlsAttempt *t;

	g_ptr_array_add (j, line ("time=1700000000\tenvid=rtls-old1\tmessage-id=<old1@x>\t"
	                          "account=1\tsender=a@x\trecipients=b@y\tsubject=Old\t"
	                          "result=sent\thost=smtp.x\tport=465\ttls-version=TLS1.3"));
	a = rtls_attempts_fold (j);
	g_assert_cmpuint (a->len, ==, 1);
	t = g_ptr_array_index (a, 0);
	g_assert_true (t->legacy);
	g_assert_cmpint (t->state, ==, RTLS_ATTEMPT_CLOSED);
	t = rtls_attempts_open_for_message (a, "<old1@x>");
	g_assert_nonnull (t);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ASKED, 0), ==, RTLS_DUE_ASK);
	g_assert_cmpint (rtls_attempt_due (t, RTLS_DUE_ONLINE, 0), ==, RTLS_DUE_NO);
}

static void
test_backoff (void)
{
	g_assert_cmpint (rtls_attempt_backoff (0, 60, 3600), ==, 60);
	g_assert_cmpint (rtls_attempt_backoff (1, 60, 3600), ==, 300);
	g_assert_cmpint (rtls_attempt_backoff (4, 60, 3600), ==, 3600);
	g_assert_cmpint (rtls_attempt_backoff (9, 60, 3600), ==, 3600);
	g_assert_cmpint (rtls_attempt_backoff (9, 60, 86400), ==, 86400);
	g_assert_cmpint (rtls_attempt_backoff (0, 3, 3600), ==, 3);
}

static const RtlsDeliveryRow *
row_for (GPtrArray *rows, const char *rcpt)
{
	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		if (g_strcmp0 (r->recipient, rcpt) == 0)
			return r;
	}
	g_assert_not_reached ();
	return NULL;
}

/* The journal of the previous release (tests/data/journal-previous-release.txt, written by
 * that release's journal code): every row still shows, and says only what happened. */
static void
test_rows_previous_release (void)
{
	g_autofree gchar *path
	        = g_test_build_filename (G_TEST_DIST, "data", "journal-previous-release.txt", NULL);
	g_autoptr (GPtrArray) j = rtls_journal_load (path, NULL);
	g_autoptr (GPtrArray) rows = NULL;
	const RtlsDeliveryRow *r;

	g_assert_nonnull (j);
	g_assert_cmpuint (j->len, ==, 5);
	rows = rtls_delivery_rows (j);
	g_assert_cmpuint (rows->len, ==, 5);
	r = row_for (rows, "bob@example.net");
	g_assert_cmpint (r->state, ==, RTLS_ROW_SENT);
	g_assert_cmpstr (r->accepted_by, ==, "smtp.example.org");
	g_assert_null (r->remote_mta); /* nobody refused it */
	r = row_for (rows, "carol@example.gov");
	g_assert_cmpint (r->state, ==, RTLS_ROW_BOUNCED);
	g_assert_cmpstr (r->remote_mta, ==, "next.example.gov");
	g_assert_cmpstr (r->reporting_mta, ==, "mx.example.gov");
	r = row_for (rows, "dave@example.com");
	g_assert_cmpint (r->state, ==, RTLS_ROW_FAILED);
	g_assert_cmpstr (r->remote_mta, ==, "smtp.example.org");
	g_assert_null (r->accepted_by);
	r = row_for (rows, "erin@example.net");
	g_assert_cmpint (r->state, ==, RTLS_ROW_NOT_CONFIRMED);
	r = row_for (rows, "frank@example.net");
	g_assert_cmpint (r->state, ==, RTLS_ROW_WAITING);
	g_assert_null (r->accepted_by);
}

static void
test_rows_true (void)
{
	g_autoptr (GPtrArray) j
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) rows = NULL;
	const RtlsDeliveryRow *r;

	/* a send under way */
	g_ptr_array_add (j, line ("time=10\tenvid=rtls-a\tmessage-id=<a@x>\trecipients=a@y\t"
	                          "result=started\thost=smtp.x\tport=465"));
	/* cancelled before the server greeted */
	g_ptr_array_add (j, line ("time=11\tenvid=rtls-b\tmessage-id=<b@x>\trecipients=b@y\t"
	                          "result=started\thost=smtp.x"));
	g_ptr_array_add (j, line ("time=12\tenvid=rtls-b\tmessage-id=<b@x>\trecipients=b@y\t"
	                          "result=cancelled\thost=smtp.x\tstage=greeting"));
	/* refused (no REQUIRETLS), then sent with Default after confirmation */
	g_ptr_array_add (j, line ("time=13\tenvid=rtls-c\tmessage-id=<c@x>\trecipients=c@y\t"
	                          "result=started\thost=smtp.x"));
	g_ptr_array_add (j, line ("time=14\tenvid=rtls-c\tmessage-id=<c@x>\trecipients=c@y\t"
	                          "result=failed\thost=smtp.x\tenhanced-code=5.7.30"));
	g_ptr_array_add (j, line ("time=15\tenvid=rtls-c\tmessage-id=<c@x>\trecipients=c@y\t"
	                          "result=sent-default\thost=smtp.x"));
	/* killed after the final dot */
	g_ptr_array_add (j, line ("time=16\tenvid=rtls-d\tmessage-id=<d@x>\trecipients=d@y\t"
	                          "result=started\thost=smtp.x"));
	g_ptr_array_add (j, line ("time=17\tenvid=rtls-d\tmessage-id=<d@x>\trecipients=d@y\t"
	                          "result=not-confirmed\thost=smtp.x\tstage=content"));
	/* sent, and its bookkeeping (which makes no row of its own) */
	g_ptr_array_add (j, line ("time=18\tenvid=rtls-e\tmessage-id=<e@x>\trecipients=e@y\t"
	                          "result=started\thost=smtp.x"));
	g_ptr_array_add (j, line ("time=19\tenvid=rtls-e\tmessage-id=<e@x>\trecipients=e@y\t"
	                          "result=sent\thost=smtp.x"));
	g_ptr_array_add (j, line ("time=20\tenvid=rtls-e\tmessage-id=<e@x>\tresult=filed"));
	g_ptr_array_add (j, line ("time=21\tenvid=rtls-e\tmessage-id=<e@x>\tresult=closed"));
	rows = rtls_delivery_rows (j);
	g_assert_cmpuint (rows->len, ==, 5);
	r = row_for (rows, "a@y");
	g_assert_cmpint (r->state, ==, RTLS_ROW_SENDING);
	g_assert_null (r->accepted_by);
	g_assert_null (r->remote_mta);
	r = row_for (rows, "b@y");
	g_assert_cmpint (r->state, ==, RTLS_ROW_CANCELLED);
	g_assert_null (r->accepted_by);
	g_assert_null (r->remote_mta);
	g_assert_false (rtls_delivery_state_is_problem (r->state));
	r = row_for (rows, "c@y");
	g_assert_cmpint (r->state, ==, RTLS_ROW_SENT_DEFAULT);
	g_assert_cmpstr (r->accepted_by, ==, "smtp.x");
	g_assert_null (r->remote_mta);
	r = row_for (rows, "d@y");
	g_assert_cmpint (r->state, ==, RTLS_ROW_NOT_CONFIRMED);
	g_assert_null (r->accepted_by);
	r = row_for (rows, "e@y");
	g_assert_cmpint (r->state, ==, RTLS_ROW_SENT);
	g_assert_cmpstr (r->accepted_by, ==, "smtp.x");
	g_assert_null (r->remote_mta);
}

/* Found by trying it as a person would: a send not confirmed, "Back to editing", Send again
 * (a new attempt of the same message), which fails temporarily. The newest attempt says
 * "try again", but the first may have been accepted: the timer and going online must never
 * send it, the menu only after asking about the first; a confirmation lifts it. */
static void
test_due_uncertain_earlier_attempt (void)
{
	g_autoptr (GPtrArray) j
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) a = NULL;
	const RtlsAttempt *latest, *which = NULL;

	g_ptr_array_add (j, line ("time=10\tenvid=rtls-a\tmessage-id=<m@x>\tresult=started\t"
	                          "queue-folder=q\tqueue-msgnum=3"));
	g_ptr_array_add (j, line ("time=11\tenvid=rtls-a\tresult=not-confirmed"));
	g_ptr_array_add (j, line ("time=20\tenvid=rtls-b\tmessage-id=<m@x>\tresult=started\t"
	                          "queue-folder=q\tqueue-msgnum=4"));
	g_ptr_array_add (j, line ("time=21\tenvid=rtls-b\tresult=temporary\tretry-at=100\t"
	                          "retry-step=0"));
	a = rtls_attempts_fold (j);
	latest = rtls_attempts_for_entry (a, "q", 4, "<m@x>");
	g_assert_nonnull (latest);
	g_assert_cmpstr (latest->envid, ==, "rtls-b");
	/* alone, the newest attempt would be due */
	g_assert_cmpint (rtls_attempt_due (latest, RTLS_DUE_RETRIES, 100), ==, RTLS_DUE_YES);
	g_assert_cmpstr (rtls_attempts_uncertain_for_message (a, "m@x")->envid, ==, "rtls-a");
	g_assert_null (rtls_attempts_uncertain_for_message (a, "<other@x>"));
	g_assert_cmpint (
	        rtls_attempt_due_for_entry (a, latest, "<m@x>", RTLS_DUE_RETRIES, 100, &which), ==,
	        RTLS_DUE_NO);
	g_assert_cmpint (
	        rtls_attempt_due_for_entry (a, latest, "<m@x>", RTLS_DUE_ONLINE, 100, &which), ==,
	        RTLS_DUE_NO);
	g_assert_cmpint (
	        rtls_attempt_due_for_entry (a, latest, "<m@x>", RTLS_DUE_ASKED, 100, &which), ==,
	        RTLS_DUE_ASK);
	g_assert_cmpstr (which->envid, ==, "rtls-a"); /* the question is about the first send */
	/* another message is not held back by it */
	g_assert_cmpint (
	        rtls_attempt_due_for_entry (a, NULL, "<n@x>", RTLS_DUE_ONLINE, 100, &which), ==,
	        RTLS_DUE_YES);
	g_assert_null (which);

	/* the person confirmed the resend: the first send no longer holds it back */
	g_ptr_array_add (j, line ("time=30\tenvid=rtls-a\tresult=confirmed"));
	g_clear_pointer (&a, g_ptr_array_unref);
	a = rtls_attempts_fold (j);
	latest = rtls_attempts_for_entry (a, "q", 4, "<m@x>");
	g_assert_null (rtls_attempts_uncertain_for_message (a, "<m@x>"));
	/* but it may still have arrived: no downgrade is offered for a later refusal */
	g_assert_cmpstr (rtls_attempts_maybe_arrived_for_message (a, "<m@x>")->envid, ==, "rtls-a");
	g_assert_null (rtls_attempts_maybe_arrived_for_message (a, "<n@x>"));
	g_assert_cmpint (
	        rtls_attempt_due_for_entry (a, latest, "<m@x>", RTLS_DUE_RETRIES, 100, &which), ==,
	        RTLS_DUE_YES);
	g_assert_true (which == latest);

	/* a send still running holds every other copy of the message back, even from the menu */
	g_ptr_array_add (j, line ("time=40\tenvid=rtls-c\tmessage-id=<m@x>\tresult=started\t"
	                          "queue-folder=q\tqueue-msgnum=5"));
	g_clear_pointer (&a, g_ptr_array_unref);
	a = rtls_attempts_fold (j);
	latest = rtls_attempts_for_entry (a, "q", 4, "<m@x>");
	g_assert_cmpint (
	        rtls_attempt_due_for_entry (a, latest, "<m@x>", RTLS_DUE_ASKED, 100, &which), ==,
	        RTLS_DUE_NO);
	g_assert_cmpstr (which->envid, ==, "rtls-c");
}

/* The ids a reply names, most direct first, each once, junk skipped, capped. */
static void
test_conversation_ids (void)
{
	g_autoptr (GPtrArray) a = rtls_conversation_ids (
	        "<a@x.example>", "<r1@x.example> <r2@x.example>\r\n <a@x.example>", 10);
	g_autoptr (GPtrArray) b
	        = rtls_conversation_ids ("junk <> <a b@x> <c@x> <unclosed", "<r@x>", 10);
	g_autoptr (GPtrArray) c = rtls_conversation_ids (NULL, "<1@x> <2@x> <3@x> <4@x>", 2);
	g_autoptr (GPtrArray) d = rtls_conversation_ids (NULL, NULL, 10);

	g_assert_cmpuint (a->len, ==, 3);
	g_assert_cmpstr (g_ptr_array_index (a, 0), ==, "a@x.example");
	g_assert_cmpstr (g_ptr_array_index (a, 1), ==, "r2@x.example");
	g_assert_cmpstr (g_ptr_array_index (a, 2), ==, "r1@x.example");
	g_assert_cmpuint (b->len, ==, 2);
	g_assert_cmpstr (g_ptr_array_index (b, 0), ==, "c@x");
	g_assert_cmpstr (g_ptr_array_index (b, 1), ==, "r@x");
	g_assert_cmpuint (c->len, ==, 2);
	g_assert_cmpstr (g_ptr_array_index (c, 0), ==, "4@x");
	g_assert_cmpstr (g_ptr_array_index (c, 1), ==, "3@x");
	g_assert_cmpuint (d->len, ==, 0);
}

/* Only an attempt whose outcome is "sent" (with REQUIRETLS) makes the conversation one
 * begun with Require TLS: not one sent as Default, failed or not confirmed. */
static void
test_sent_requiretls (void)
{
	g_autoptr (GPtrArray) at
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_attempt_free);
	const RtlsResult outcomes[] = { RTLS_RESULT_FAILED, RTLS_RESULT_SENT_DEFAULT,
		                        RTLS_RESULT_NOT_CONFIRMED, RTLS_RESULT_OTHER };

	for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++) {
		RtlsAttempt *a = g_new0 (RtlsAttempt, 1);
		a->envid = g_strdup_printf ("rtls-%u", i);
		a->outcome = outcomes[i];
		g_ptr_array_add (at, a);
	}
	g_assert_null (rtls_attempts_sent_requiretls (at));
	g_assert_null (rtls_attempts_sent_requiretls (NULL));
	((RtlsAttempt *) g_ptr_array_index (at, 2))->outcome = RTLS_RESULT_SENT;
	g_assert_cmpstr (rtls_attempts_sent_requiretls (at)->envid, ==, "rtls-2");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *path = g_strdup_printf ("/attempt/replay/%zu", i);
		g_test_add_data_func (path, &cases[i], replay);
	}
	g_test_add_func ("/attempt/helper-alive", test_helper_alive_waits);
	g_test_add_func ("/attempt/due", test_due);
	g_test_add_func ("/attempt/due/uncertain-earlier-attempt",
	                 test_due_uncertain_earlier_attempt);
	g_test_add_func ("/attempt/legacy", test_legacy);
	g_test_add_func ("/attempt/backoff", test_backoff);
	g_test_add_func ("/attempt/conversation-ids", test_conversation_ids);
	g_test_add_func ("/attempt/sent-requiretls", test_sent_requiretls);
	g_test_add_func ("/attempt/rows/previous-release", test_rows_previous_release);
	g_test_add_func ("/attempt/rows/true", test_rows_true);
	return g_test_run ();
}
