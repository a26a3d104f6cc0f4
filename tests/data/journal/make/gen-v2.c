/* gen-v2.c: tests/data/journal/v2-reports.journal, written by the second release's code
 * (bb2a84a: plugin/rtls_journal.c, rtls_delivery.c, rtls_dsn.c): its sends (outcome lines,
 * as its rtls_send.c wrote them), bounces correlated and recorded by its rtls_delivery.c, a
 * row and an unverified bounce forgotten. Built by make.sh against that tree. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "rtls_delivery.h"
#include "rtls_dsn.h"
#include "rtls_journal.h"

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

static void
send (gint64 time, const char *envid, const char *msgid, const char *rcpts, const char *subject,
      const char *result, const char *tls, const char *code, const char *words)
{
	RtlsJournalEntry e = { 0 };

	e.time = time;
	e.envid = (gchar *) envid;
	e.message_id = (gchar *) msgid;
	e.account_id = 2;
	e.sender = "alice@sender.test";
	e.recipients = (gchar *) rcpts;
	e.subject = (gchar *) subject;
	e.result = (gchar *) result;
	e.host = "smtp.sender.test";
	e.port = 587;
	e.tls_version = (gchar *) tls;
	e.enhanced = (gchar *) code;
	e.explanation = (gchar *) words;
	append (&e);
}

/* what that release's rtls_bounce.c did with a report */
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

static void
forget (const char *rcpt, const char *key_part, gboolean whole, gint64 now)
{
	GPtrArray *journal = rtls_journal_load (path, NULL);
	GPtrArray *rows = rtls_delivery_rows (journal);

	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		if (g_str_equal (r->recipient, rcpt) && strstr (r->key, key_part) != NULL) {
			RtlsJournalEntry *e = rtls_delivery_forget_record (r, whole, now);
			append (e);
			rtls_journal_entry_free (e);
			break;
		}
	}
	g_ptr_array_unref (rows);
	g_ptr_array_unref (journal);
}

int
main (int argc, char **argv)
{
	path = argv[1];
	dsndir = argv[2];
	send (1763100000, "rtls-aaaaaaaabbbbbbbbcccccccc", "<rtls-aaaaaaaabbbbbbbbcccccccc@sender.test>",
	      "bob@example.org,carol@example.com", "Board minutes", "sent", "TLS1.3", "2.0.0",
	      "smtp.sender.test accepted the message with REQUIRETLS (TLS1.3).");
	send (1763100100, "rtls-fedcba9876543210fedcba98", "<rtls-fedcba9876543210fedcba98@sender.test>",
	      "norequiretls@example.net", "To a domain without it", "sent", "TLS1.3", "2.0.0",
	      "smtp.sender.test accepted the message with REQUIRETLS (TLS1.3).");
	send (1763100200, "rtls-0a0b0c0d0e0f101112131415", "<rtls-0a0b0c0d0e0f101112131415@sender.test>",
	      "erin@example.org", "v2 refused", "failed", NULL, "5.7.30",
	      "smtp.sender.test does not support REQUIRETLS (5.7.30): the message was not sent.");
	send (1763100300, "rtls-v2b000000000000000000004", "<v2-retry@sender.test>",
	      "frank@example.org", "v2 retry", "temporary", NULL, "4.3.0",
	      "smtp.sender.test cannot take the message right now (4.3.0 try later).");
	report ("postfix311-5.7.30.eml", 1763200000);   /* bob: failed 5.7.30 */
	report ("exim-5.7.30-remote.eml", 1763200100);  /* norequiretls: 5.0.0 made 5.7.30 */
	report ("forged-unknown-envid.eml", 1763200200); /* unverified, with its reason's words */
	report ("postfix-unknown-user.eml", 1763200300); /* not ours: nothing */
	forget ("carol@example.com", "rtls-aaaa", FALSE, 1763300000);
	forget ("bob@example.org", "bounce:", TRUE, 1763300100);
	return 0;
}
