/* gen-v1.c: tests/data/journal/v1-outcomes.journal, written by the journal code of the first
 * release (3aa1eae, plugin/rtls_journal.c): one line per send, its outcome, filled as that
 * release's rtls_send.c journal() filled it. Built by make.sh against that tree. */
#include "config.h"

#include <stdio.h>

#include "rtls_journal.h"

static void
put (const char *path, gint64 time, const char *envid, const char *msgid, const char *rcpts,
     const char *subject, const char *result, guint port, const char *tls, const char *code,
     const char *words)
{
	RtlsJournalEntry e = { 0 };
	GError *error = NULL;

	e.time = time;
	e.envid = (gchar *) envid;
	e.message_id = (gchar *) msgid;
	e.account_id = 1;
	e.sender = "alice@example.org";
	e.recipients = (gchar *) rcpts;
	e.subject = (gchar *) subject;
	e.result = (gchar *) result;
	e.host = "smtp.example.org";
	e.port = port;
	e.tls_version = (gchar *) tls;
	e.enhanced = (gchar *) code;
	e.explanation = (gchar *) words;
	if (!rtls_journal_append (path, &e, &error)) {
		fprintf (stderr, "%s\n", error->message);
		exit (1);
	}
}

int
main (int argc, char **argv)
{
	const char *path = argv[1];

	put (path, 1763000000, "rtls-v1a000000000000000000001", "<v1-sent@example.org>",
	     "bob@example.net,carol@example.gov", "v1 sent", "sent", 465, "TLS1.3", "2.0.0",
	     "smtp.example.org accepted the message with REQUIRETLS (TLS1.3).");
	put (path, 1763000100, "rtls-v1a000000000000000000002", "<v1-refused@example.org>",
	     "dave@example.com", "v1 refused", "failed", 587, NULL, "5.7.30",
	     "smtp.example.org does not support REQUIRETLS (5.7.30): the message was not sent.");
	put (path, 1763000200, "rtls-v1a000000000000000000003", "<v1-unsure@example.org>",
	     "erin@example.net", "v1 not confirmed", "not-confirmed", 465, "TLS1.3", NULL,
	     "The connection was lost after the message was sent.");
	put (path, 1763000300, "rtls-v1a000000000000000000004", "<v1-retry@example.org>",
	     "frank@example.net", "v1 retried", "temporary", 465, NULL, "4.3.0",
	     "smtp.example.org cannot take the message right now (4.3.0 try later).");
	/* the retry of the same message, a send of its own */
	put (path, 1763000400, "rtls-v1a000000000000000000005", "<v1-retry@example.org>",
	     "frank@example.net", "v1 retried", "sent", 465, "TLS1.2", "2.0.0",
	     "smtp.example.org accepted the message with REQUIRETLS (TLS1.2).");
	put (path, 1763000500, "rtls-v1a000000000000000000006", "<v1-cancel@example.org>",
	     "grace@example.org", "v1 cancelled", "cancelled", 465, NULL, NULL,
	     "Sending was cancelled.");
	return 0;
}
