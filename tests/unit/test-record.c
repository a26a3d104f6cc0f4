/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-record.c: the helper's status record as the plugin reads it, and the journal.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "rtls_journal.h"
#include "rtls_record.h"

static void
test_parse_sent (void)
{
	static const char rec[] = "result=sent\nexit=0\nexit-name=EX_OK\nstage=done\n"
	                          "host=smtp.example.org\nport=465\ntls-version=TLS1.3\n"
	                          "requiretls=yes\nsmtp-code=250\nenhanced-code=2.0.0\n"
	                          "server-text=queued\nrcpt=250 2.1.5 bob@example.net\n"
	                          "rcpt=250 2.1.5 carol@example.gov\nmessage-id=<m@x>\n"
	                          "future-key=ignored\n";
	g_autoptr (RtlsRecord) r = rtls_record_parse (rec, strlen (rec));
	g_autofree gchar *text = NULL;

	g_assert_nonnull (r);
	g_assert_cmpint (rtls_record_outcome (r), ==, RTLS_OUTCOME_SENT);
	g_assert_true (r->requiretls);
	g_assert_cmpuint (r->port, ==, 465);
	g_assert_cmpuint (r->smtp_code, ==, 250);
	g_assert_cmpuint (r->rcpts->len, ==, 2);
	text = rtls_record_explain (r);
	g_assert_nonnull (strstr (text, "smtp.example.org"));
	g_assert_nonnull (strstr (text, "REQUIRETLS"));
	g_assert_null (strstr (text, "end to end"));
	g_assert_null (strstr (text, "encrypted"));
}

static void
test_outcomes (void)
{
	static const struct {
		const char *rec;
		RtlsOutcomeKind kind;
		const char *says; /* the explanation must contain this */
	} cases[] = {
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\nhost=smtp.example.com\n"
		  "enhanced-code=5.7.30\n",
		  RTLS_OUTCOME_PERMANENT,
		  "smtp.example.com does not support REQUIRETLS (5.7.30): the message was not "
		  "sent" },
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\nhost=h\nenhanced-code=5.7."
		  "10\n",
		  RTLS_OUTCOME_PERMANENT, "STARTTLS, 5.7.10" },
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\nhost=h\nmessage=wrong name\n",
		  RTLS_OUTCOME_PERMANENT, "certificate of h could not be verified" },
		/* issue 18: the certificate's purpose, its key, a name only in the CN; the floor */
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\nhost=h\ncert-problem=purpose\n",
		  RTLS_OUTCOME_PERMANENT,
		  "The certificate of h could not be verified: it was not issued for a mail "
		  "server. The message was not sent." },
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\nhost=h\ncert-problem=weak\n",
		  RTLS_OUTCOME_PERMANENT, "its key or signature is too weak" },
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\nhost=h\ncert-problem=cn-only\n",
		  RTLS_OUTCOME_PERMANENT, "only in an outdated field (the Common Name)" },
		/* issue 21 H: a reason only GnuTLS can name is said in our words; its text
		 * (in message=) is for the log */
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\nhost=h\ncert-problem=other\n"
		  "message=TLS certificate of h refused: the certificate is not trusted (The "
		  "certificate is NOT trusted. The certificate issuer is unknown.)\n",
		  RTLS_OUTCOME_PERMANENT,
		  "The certificate of h could not be verified: it is not trusted (Claws' network "
		  "log has GnuTLS's reason). The message was not sent." },
		{ "result=failed\nexit=76\nerror=RTLS_ERROR_TLS\nhost=h\ntls-problem=floor\n"
		  "message=h offers no TLS that meets the minimum\n",
		  RTLS_OUTCOME_PERMANENT,
		  "h offers no TLS connection that is secure enough (TLS 1.3, or TLS 1.2 with "
		  "ECDHE key exchange and AES-GCM or ChaCha20-Poly1305, as RFC 9325 recommends): "
		  "the message was not sent." },
		{ "result=failed\nexit=77\nerror=RTLS_ERROR_AUTH\nhost=h\n", RTLS_OUTCOME_PERMANENT,
		  "user name or password" },
		{ "result=failed\nexit=75\nerror=RTLS_ERROR_TEMPFAIL\nhost=h\nenhanced-code=4.3.0\n"
		  "server-text=try later\n",
		  RTLS_OUTCOME_TEMPORARY, "4.3.0 try later" },
		{ "result=failed\nexit=75\nerror=RTLS_ERROR_CONNECT\nhost=h\n",
		  RTLS_OUTCOME_TEMPORARY, "could not be reached" },
		{ "result=not-confirmed\nexit=75\nerror=RTLS_ERROR_NOT_CONFIRMED\nhost=h\n",
		  RTLS_OUTCOME_NOT_CONFIRMED, "may or may not have been accepted" },
		{ "result=failed\nexit=76\nerror=RTLS_ERROR_PROTOCOL\nhost=h\n",
		  RTLS_OUTCOME_PERMANENT, "did not follow the SMTP protocol" },
		{ "result=failed\nexit=78\nerror=RTLS_ERROR_CONFIG\nmessage=bad CA file\n",
		  RTLS_OUTCOME_LOCAL, "bad CA file" },
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_REJECTED\nhost=h\nenhanced-code=5.7.1\n"
		  "server-text=no\n",
		  RTLS_OUTCOME_PERMANENT, "refused the message (5.7.1 no)" },
		/* "sent" with a non-zero exit is not trusted as sent */
		{ "result=sent\nexit=75\n", RTLS_OUTCOME_TEMPORARY, "" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (RtlsRecord) r = rtls_record_parse (cases[i].rec, strlen (cases[i].rec));
		g_autofree gchar *text = NULL;
		g_test_message ("case %u", i);
		g_assert_nonnull (r);
		g_assert_cmpint (rtls_record_outcome (r), ==, cases[i].kind);
		text = rtls_record_explain (r);
		g_assert_nonnull (strstr (text, cases[i].says));
	}
}

static void
test_parse_bad (void)
{
	static const char *const cases[] = {
		"",
		"exit=0\n",
		"result=maybe\nexit=0\n",
		"garbage without equals\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
		g_assert_null (rtls_record_parse (cases[i], strlen (cases[i])));
}

static void
test_parse_sanitises (void)
{
	/* NUL, ESC and bidi controls from a hostile server never reach a dialog. */
	static const char rec[] = "result=failed\nexit=69\nerror=RTLS_ERROR_REJECTED\nhost=h\n"
	                          "server-text=evil\x1b[31m\0text\xe2\x80\xae\n";
	g_autoptr (RtlsRecord) r = rtls_record_parse (rec, sizeof rec - 1);
	g_autofree gchar *text = NULL;

	g_assert_nonnull (r);
	g_assert_true (g_utf8_validate (r->server_text, -1, NULL));
	g_assert_null (strchr (r->server_text, '\x1b'));
	g_assert_null (strstr (r->server_text, "\xe2\x80\xae"));
	g_assert_nonnull (strstr (r->server_text, "evil"));
	text = rtls_record_explain (r);
	g_assert_null (strchr (text, '\x1b'));
}

static void
test_journal_roundtrip (void)
{
	g_autofree gchar *dir = g_dir_make_tmp ("rtls-journal-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename (dir, "journal", NULL);
	g_autoptr (GPtrArray) got = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree gchar *envid = rtls_journal_new_envid ();
	RtlsJournalEntry e = { .time = 1795570000,
		               .envid = envid,
		               .message_id = "<m1@example.org>",
		               .account_id = 2,
		               .sender = "alice@example.org",
		               .recipients = "bob@example.net,carol@example.gov",
		               .subject = "tab\there, newline\nthere",
		               .result = "sent",
		               .host = "smtp.example.org",
		               .port = 465,
		               .tls_version = "TLS1.3" };

	/* ENVIDs need no xtext encoding (DESIGN §8: Exim does not decode it). */
	g_assert_true (g_str_has_prefix (envid, "rtls-"));
	for (const char *p = envid; *p; p++)
		g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '.');
	g_assert_true (rtls_journal_append (path, &e, &error));
	e.result = "failed";
	e.enhanced = "5.7.30";
	g_assert_true (rtls_journal_append (path, &e, &error));
	/* a line broken by hand, and one from a future version with more keys */
	{
		FILE *f = g_fopen (path, "a");
		fputs ("this is not a journal line\n", f);
		fputs ("time=1795570001\tenvid=x\tresult=sent\tnew-key=1\n", f);
		/* a NUL byte (a torn write): its own line is dropped, never the ones after it */
		fwrite ("time=1795570002\tenvid=y\0\tresult=sent\n", 1, 37, f);
		fputs ("time=1795570003\tenvid=z\tresult=failed\n", f);
		fclose (f);
	}
	got = rtls_journal_load (path, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (got->len, ==, 4);
	g_assert_cmpstr (((RtlsJournalEntry *) g_ptr_array_index (got, 3))->envid, ==, "z");
	{
		RtlsJournalEntry *a = g_ptr_array_index (got, 0), *b = g_ptr_array_index (got, 1);
		g_assert_cmpstr (a->envid, ==, envid);
		g_assert_cmpstr (a->recipients, ==, "bob@example.net,carol@example.gov");
		g_assert_null (strchr (a->subject, '\t'));
		g_assert_null (strchr (a->subject, '\n'));
		g_assert_cmpint (a->account_id, ==, 2);
		g_assert_cmpuint (a->port, ==, 465);
		g_assert_cmpstr (b->result, ==, "failed");
		g_assert_cmpstr (b->enhanced, ==, "5.7.30");
	}
	g_unlink (path);
	g_rmdir (dir);
	{
		g_autoptr (GPtrArray) none = rtls_journal_load ("/nonexistent/journal", &error);
		g_assert_no_error (error);
		g_assert_cmpuint (none->len, ==, 0);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/record/parse-sent", test_parse_sent);
	g_test_add_func ("/record/outcomes", test_outcomes);
	g_test_add_func ("/record/parse-bad", test_parse_bad);
	g_test_add_func ("/record/sanitises", test_parse_sanitises);
	g_test_add_func ("/journal/roundtrip", test_journal_roundtrip);
	return g_test_run ();
}
