/* gen-wal.c: the journals of the releases with the write-ahead journal, each written by that
 * release's own code (its plugin/core/: rtls_journal.c, rtls_attempt.c, rtls_record.c,
 * rtls_delivery.c, rtls_dsn.c), the records filled as that release's rtls_send.c filled them:
 *   REL=3  54c60c7  v3-write-ahead.journal  started, outcome, filed, closed, confirmed,
 *                   interrupted, sent-default; queue entry, stage, retry
 *   REL=4  8de785f  v4-facts.journal        the helper's facts (error, exit, codes, server
 *                   text, certificate problem), the plugin's cause, a report's action
 *   REL=5  d4d2462  v5-tls-floor.journal    the TLS floor (tls-problem)
 * Built by make.sh against each tree. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_dsn.h"
#include "rtls_journal.h"
#include "rtls_record.h"

static const char *path, *dsndir;

static void
append (const RtlsJournalEntry *e)
{
	GError *error = NULL;

	if (!rtls_journal_append (path, e, &error)) {
		fprintf (stderr, "%s\n", error->message);
		exit (1);
	}
}

typedef struct {
	const char *envid, *msgid, *rcpts, *subject;
	gint msgnum;
} Send;

/* rtls_send.c's send_record() */
static RtlsJournalEntry *
send_record (const Send *s, const char *result, gint64 now)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);

	e->time = now;
	e->result = g_strdup (result);
	e->envid = g_strdup (s->envid);
	e->message_id = g_strdup (s->msgid);
	e->account_id = 3;
	e->sender = g_strdup ("alice@sender.test");
	e->recipients = g_strdup (s->rcpts);
	e->subject = g_strdup (s->subject);
	e->host = g_strdup ("smtp.sender.test");
	e->port = 465;
	e->queue_folder = g_strdup ("#mh/Mailbox/queue");
	e->queue_msgnum = s->msgnum;
	return e;
}

static const RtlsAttempt *
attempt (GPtrArray **folded, const char *envid)
{
	GPtrArray *j = rtls_journal_load (path, NULL);

	if (*folded != NULL)
		g_ptr_array_unref (*folded);
	*folded = rtls_attempts_fold (j);
	g_ptr_array_unref (j);
	return rtls_attempts_find (*folded, envid);
}

static void
started (const Send *s, gint64 now)
{
	RtlsJournalEntry *e = send_record (s, "started", now);
	append (e);
	rtls_journal_entry_free (e);
}

/* the outcome from the helper's status record, as finish() wrote it */
static void
outcome (const Send *s, const char *status, gint64 now, gint retry_step, gint64 retry_at)
{
	RtlsRecord *r = rtls_record_parse (status, strlen (status));
	RtlsJournalEntry *e;
	gchar *words = rtls_record_explain (r);

	e = send_record (s, rtls_attempt_result_of (rtls_record_outcome (r)), now);
	e->explanation = words;
#if REL >= 4
	rtls_attempt_take_facts (e, r);
#else
	e->tls_version = g_strdup (r->tls_version);
	e->enhanced = g_strdup (r->enhanced);
	if (r->host != NULL) {
		g_free (e->host);
		e->host = g_strdup (r->host);
	}
	e->stage = g_strdup (r->stage);
#endif
	if (g_str_equal (e->result, "temporary")) {
		e->retry_step = retry_step;
		e->retry_at = retry_at;
	}
	append (e);
	rtls_journal_entry_free (e);
	rtls_record_free (r);
}

static void
bookkeeping (const Send *s, const char *result, gint64 now)
{
	GPtrArray *folded = NULL;
	RtlsJournalEntry *e = rtls_attempt_record (attempt (&folded, s->envid), result, now);

	append (e);
	rtls_journal_entry_free (e);
	g_ptr_array_unref (folded);
}

/* the plugin's own outcome, no status record: cancelled by the person */
static void
cancelled (const Send *s, gint64 now)
{
	RtlsJournalEntry *e = send_record (s, "cancelled", now);
	e->stage = g_strdup ("greeting");
#if REL >= 4
	e->cause = g_strdup ("cancelled");
	e->explanation = rtls_attempt_cause_words ("cancelled", "greeting", NULL);
#else
	e->explanation = g_strdup ("Sending was cancelled before the message left: it was not sent.");
#endif
	append (e);
	rtls_journal_entry_free (e);
}

/* Claws was killed mid-send: the recovery at the next start */
static void
recovered (const Send *s, gboolean content_left, gint64 now)
{
	GPtrArray *folded = NULL;
	RtlsRecoveryFacts f = { 0 };
	RtlsJournalEntry *e;

	f.content_left = content_left;
	f.status_file = TRUE;
	f.entry_present = TRUE;
	f.wants_copy = TRUE;
	e = rtls_attempt_recovered_outcome (attempt (&folded, s->envid), &f, now);
	append (e);
	rtls_journal_entry_free (e);
	g_ptr_array_unref (folded);
}

static void
report (const char *file, gint64 now)
{
	g_autofree gchar *p = g_build_filename (dsndir, file, NULL);
	g_autofree gchar *data = NULL, *reason = NULL;
	g_autofree gchar *bounce_id = g_strdup_printf ("bounce-%s@relay.test", file);
	gsize len = 0;
	GError *error = NULL;
	RtlsDsn *dsn;
	GPtrArray *journal, *recs;
	const RtlsJournalEntry *entry = NULL;
	RtlsBounceMatch m;

	if (!g_file_get_contents (p, &data, &len, &error)
	    || (dsn = rtls_dsn_parse (data, len, &error)) == NULL) {
		fprintf (stderr, "%s\n", error->message);
		exit (1);
	}
	journal = rtls_journal_load (path, NULL);
	m = rtls_delivery_correlate (dsn, journal, &entry, &reason);
	recs = rtls_delivery_records (dsn, m, entry, reason, bounce_id, now);
	for (guint i = 0; i < recs->len; i++)
		append (g_ptr_array_index (recs, i));
	g_ptr_array_unref (recs);
	g_ptr_array_unref (journal);
	rtls_dsn_free (dsn);
}

#define SENT_OK                                                                                    \
	"result=sent\nexit=0\nstage=done\nhost=smtp.sender.test\ntls-version=TLS1.3\n"            \
	"enhanced-code=2.0.0\nsmtp-code=250\nserver-text=2.0.0 Ok: queued as 4Q7R2X\n"            \
	"requiretls=yes\n"

int
main (int argc, char **argv)
{
	const gint64 t = 1763400000 + (REL - 3) * 1000000;
	const Send sent = { "rtls-aaaaaaaabbbbbbbbcccccccc",
		            "<rtls-aaaaaaaabbbbbbbbcccccccc@sender.test>",
		            "bob@example.org,carol@example.com", "Board minutes", 11 };
	const Send refused = { "rtls-0a0b0c0d0e0f10111213141" G_STRINGIFY (REL),
		               "<refused-" G_STRINGIFY (REL) "@sender.test>", "dave@example.com",
		               "Refused", 12 };
	const Send retry1 = { "rtls-retry00000000000000001", "<retry@sender.test>",
		              "frank@example.org", "Retried", 13 };
	const Send retry2 = { "rtls-retry00000000000000002", "<retry@sender.test>",
		              "frank@example.org", "Retried", 13 };
	const Send held = { "rtls-held000000000000000001", "<held@sender.test>", "erin@example.net",
		            "Held", 14 };
	const Send resent = { "rtls-held000000000000000002", "<held@sender.test>",
		              "erin@example.net", "Held", 15 };
	const Send dflt = { "rtls-dflt000000000000000001", "<default@sender.test>",
		            "norequiretls@example.net", "Sent without", 16 };
	const Send stop = { "rtls-stop000000000000000001", "<stopped@sender.test>",
		            "grace@example.org", "Stopped", 17 };
	const Send cancel = { "rtls-cncl000000000000000001", "<cancel@sender.test>",
		              "heidi@example.org", "Cancelled", 18 };
	const Send crash = { "rtls-crsh000000000000000001", "<crash@sender.test>",
		             "ivan@example.org", "Crashed after filing", 19 };
	const Send running = { "rtls-runn000000000000000001", "<running@sender.test>",
		               "judy@example.org", "Still running", 20 };
	const Send later = { "rtls-c7000000000000000000d000", "<rtls-c7000000000000000000d000@sender.test>",
		             "bob@example.org", "Later", 21 };

	path = argv[1];
	dsndir = argv[2];

	/* sent: started, the outcome, the Sent copy filed, the entry closed */
	started (&sent, t);
	outcome (&sent, SENT_OK, t + 3, 0, 0);
	bookkeeping (&sent, "filed", t + 4);
	bookkeeping (&sent, "closed", t + 4);
	/* refused for good */
	started (&refused, t + 100);
	outcome (&refused,
	         "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\nenhanced-code=5.7.30\n"
	         "stage=ehlo\nhost=smtp.sender.test\nsmtp-code=550\n"
	         "server-text=5.7.30 REQUIRETLS not supported\n"
#if REL >= 5
	         "tls-problem=floor\n"
#endif
#if REL >= 4
	         "cert-problem=expired\n"
#endif
	         ,
	         t + 101, 0, 0);
	/* a temporary failure, retried later with another ENVID, sent */
	started (&retry1, t + 200);
	outcome (&retry1,
	         "result=failed\nexit=75\nerror=RTLS_ERROR_TEMPORARY\nenhanced-code=4.3.0\n"
	         "smtp-code=451\nstage=rcpt\nhost=smtp.sender.test\n",
	         t + 201, 0, t + 261);
	started (&retry2, t + 300);
	outcome (&retry2, SENT_OK, t + 302, 0, 0);
	bookkeeping (&retry2, "filed", t + 303);
	bookkeeping (&retry2, "closed", t + 303);
	/* not confirmed; the person confirmed a resend, which was sent */
	started (&held, t + 400);
	outcome (&held,
	         "result=not-confirmed\nexit=75\nerror=RTLS_ERROR_NOT_CONFIRMED\nstage=data\n",
	         t + 460, 0, 0);
	bookkeeping (&held, "confirmed", t + 500);
	started (&resent, t + 501);
	outcome (&resent, SENT_OK, t + 503, 0, 0);
	bookkeeping (&resent, "filed", t + 504);
	bookkeeping (&resent, "closed", t + 504);
	/* refused with REQUIRETLS, then sent by Claws without it after the person confirmed */
	started (&dflt, t + 600);
	outcome (&dflt,
	         "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\nenhanced-code=5.7.30\n"
	         "stage=ehlo\n",
	         t + 601, 0, 0);
	{
		RtlsJournalEntry *e = send_record (&dflt, "sent-default", t + 620);
#if REL >= 4
		e->cause = g_strdup ("sent-default");
		e->explanation = rtls_attempt_cause_words ("sent-default", NULL, NULL);
#else
		e->explanation = g_strdup ("Sent by Claws Mail without REQUIRETLS, after you "
		                           "confirmed it.");
#endif
		append (e);
		rtls_journal_entry_free (e);
	}
	/* Claws killed before the content left, found at the next start */
	started (&stop, t + 700);
	recovered (&stop, FALSE, t + 800);
	/* cancelled by the person */
	started (&cancel, t + 900);
	cancelled (&cancel, t + 905);
	/* Claws killed after the Sent copy was filed: the entry is still to be removed */
	started (&crash, t + 1000);
	outcome (&crash, SENT_OK, t + 1002, 0, 0);
	bookkeeping (&crash, "filed", t + 1003);
	/* Claws killed while this one was being sent: nothing after "started" */
	started (&running, t + 1100);
	/* a bounce of the first, 5.7.30, and a later delivery to that domain */
	report ("postfix311-5.7.30.eml", t + 2000);
	report ("forged-unknown-envid.eml", t + 2100);
	started (&later, t + 3000);
	outcome (&later, SENT_OK, t + 3002, 0, 0);
	bookkeeping (&later, "filed", t + 3003);
	bookkeeping (&later, "closed", t + 3003);
#if REL >= 4
	report ("rtls-delivered.eml", t + 4000);
#endif
	return 0;
}
