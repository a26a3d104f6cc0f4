/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-queuefile.c: the per-message choice and Claws queue files (plugin/, pure logic).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "errors.h"
#include "rtls_choice.h"
#include "rtls_queuefile.h"

/* A queue entry as compose_queue() writes it (Claws 4.1.1). */
#define SPECIAL                                                                                    \
	"AF:\nNF:0\nPS:10\nSRH:1\nSFN:\nDSR:\nMID:<a@b>\nCFG:\nPT:0\n"                             \
	"S:alice@example.org\nRQ:\nSSV:smtp.example.org\nNSV:\nSSH:\n"                             \
	"R:<bob@example.net>,<carol@example.gov>,<dave@example.com>\nMAID:3\n"                     \
	"SCF:#mh/Mailbox/sent\nRMID:#mh/Mailbox/inbox\t7\torig@x\n"                                \
	"X-Claws-Auto-Wrapping:1\nX-Claws-Auto-Indent:1\nX-Claws-End-Special-Headers: 1\n"

static gchar *
write_tmp (const char *content)
{
	gchar *path = NULL;
	GError *error = NULL;
	int fd = g_file_open_tmp ("rtls-qf-XXXXXX", &path, &error);

	g_assert_no_error (error);
	close (fd);
	g_assert_true (g_file_set_contents (path, content, -1, &error));
	g_assert_no_error (error);
	return path;
}

static void
test_choice_headers (void)
{
	static const struct {
		const char *marker, *tls_required;
		RtlsChoice want;
		gboolean manual;
	} cases[] = {
		{ NULL, NULL, RTLS_CHOICE_DEFAULT, FALSE },
		{ "require", NULL, RTLS_CHOICE_REQUIRE, TRUE },
		{ " Require ", NULL, RTLS_CHOICE_REQUIRE, TRUE },
		{ "default", NULL, RTLS_CHOICE_DEFAULT, TRUE },
		{ NULL, "No", RTLS_CHOICE_NO_REQUIRE, TRUE },
		{ NULL, " no ", RTLS_CHOICE_NO_REQUIRE, TRUE },
		{ NULL, "Yes", RTLS_CHOICE_DEFAULT, FALSE }, /* only "No" is defined (RFC 8689 5) */
		{ "require", "No", RTLS_CHOICE_REQUIRE, TRUE }, /* conflict: fail closed */
		{ "default", "No", RTLS_CHOICE_NO_REQUIRE, TRUE },
		{ "garbage", NULL, RTLS_CHOICE_DEFAULT, FALSE },
		{ "no-require", NULL, RTLS_CHOICE_DEFAULT, TRUE },    /* not a marker value */
		{ "auto-require", NULL, RTLS_CHOICE_REQUIRE, FALSE }, /* set by a rule */
		{ " auto-require", "No", RTLS_CHOICE_REQUIRE, FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gboolean manual = !cases[i].manual;
		RtlsChoice c = rtls_choice_from_headers (cases[i].marker, cases[i].tls_required,
		                                         &manual);
		g_test_message ("case %u", i);
		g_assert_cmpint (c, ==, cases[i].want);
		g_assert_cmpint (manual, ==, cases[i].manual);
	}
}

static void
test_choice_strings (void)
{
	RtlsChoice c;

	for (RtlsChoice i = RTLS_CHOICE_DEFAULT; i <= RTLS_CHOICE_NO_REQUIRE; i++) {
		g_assert_true (rtls_choice_from_string (rtls_choice_to_string (i), &c));
		g_assert_cmpint (c, ==, i);
	}
	g_assert_false (rtls_choice_from_string ("maybe", &c));
	g_assert_false (rtls_choice_from_string (NULL, &c));
}

static void
test_read_full (void)
{
	g_autofree gchar *path = write_tmp (SPECIAL "From: Alice <alice@example.org>\n"
	                                            "To: bob@example.net\n"
	                                            "Subject: Hello\n"
	                                            "Message-ID: <m1@example.org>\n"
	                                            "X-RequireTLS-Request: require\n"
	                                            "\nBody\n");
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsQueueFile) qf = rtls_queue_file_read (path, &error);

	g_assert_no_error (error);
	g_assert_cmpstr (qf->sender, ==, "alice@example.org");
	g_assert_cmpuint (qf->recipients->len, ==, 3);
	g_assert_cmpstr (g_ptr_array_index (qf->recipients, 2), ==, "dave@example.com");
	g_assert_cmpint (qf->account_id, ==, 3);
	g_assert_cmpstr (qf->save_copy_folder, ==, "#mh/Mailbox/sent");
	g_assert_cmpstr (qf->reply_info, ==, "#mh/Mailbox/inbox\t7\torig@x");
	g_assert_null (qf->forward_info);
	g_assert_cmpstr (qf->message_id, ==, "<m1@example.org>");
	g_assert_cmpstr (qf->subject, ==, "Hello");
	g_assert_cmpint (qf->choice, ==, RTLS_CHOICE_REQUIRE);
	g_assert_cmpint (qf->message_offset, ==, strlen (SPECIAL));
	g_unlink (path);
}

static void
test_read_bad (void)
{
	static const char *const cases[] = {
		"",                                               /* empty */
		"S:a@b\nR:<c@d>\nFrom: x\n\nbody\n",              /* no end of special headers */
		"R:<c@d>\nX-Claws-End-Special-Headers: 1\n\nb\n", /* no sender */
		"S:a@b\nX-Claws-End-Special-Headers: 1\n\nb\n",   /* no recipients */
		"S:a@b\nR:c@d\nX-Claws-End-Special-Headers: 1\n\nb\n",      /* no angle brackets */
		"S:a@b\nR:<c@d>,<e\nX-Claws-End-Special-Headers: 1\n\nb\n", /* unterminated */
		"S:a@b\nR:<>\nX-Claws-End-Special-Headers: 1\n\nb\n",       /* empty address */
		"S:a@b\nR:<c@d>x\nX-Claws-End-Special-Headers: 1\n\nb\n",   /* junk after */
		"S:a@b\nR:<nodomain>\nX-Claws-End-Special-Headers: 1\n\nb\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *path = write_tmp (cases[i]);
		g_autoptr (GError) error = NULL;
		g_autoptr (RtlsQueueFile) qf = rtls_queue_file_read (path, &error);
		g_test_message ("case %u", i);
		g_assert_null (qf);
		g_assert_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE);
		g_unlink (path);
	}
	{
		g_autoptr (GError) error = NULL;
		g_assert_null (rtls_queue_file_read ("/nonexistent/queue/1", &error));
		g_assert_error (error, RTLS_ERROR, RTLS_ERROR_IO);
	}
}

static void
test_recipients_quoted (void)
{
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) error = NULL;

	g_assert_true (
	        rtls_queue_parse_recipients ("<\"a>b,c\"@x.example>, <d@y.example>", out, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (out->len, ==, 2);
	g_assert_cmpstr (g_ptr_array_index (out, 0), ==, "\"a>b,c\"@x.example");
	g_assert_cmpstr (g_ptr_array_index (out, 1), ==, "d@y.example");
}

static void
test_extract_removes_marker (void)
{
	static const char *msg = "From: Alice <alice@example.org>\r\n"
	                         "X-RequireTLS-Request: require\r\n"
	                         "To: bob@example.net\r\n"
	                         "x-requiretls-request:\r\n folded continuation\r\n"
	                         "Subject: X-RequireTLS-Request: stays in a value\r\n"
	                         "\r\n"
	                         "X-RequireTLS-Request: in the body stays\r\n"
	                         "..and bytes stay as they are\r\n";
	static const char *want = "From: Alice <alice@example.org>\r\n"
	                          "To: bob@example.net\r\n"
	                          "Subject: X-RequireTLS-Request: stays in a value\r\n"
	                          "\r\n"
	                          "X-RequireTLS-Request: in the body stays\r\n"
	                          "..and bytes stay as they are\r\n";
	g_autofree gchar *content = g_strconcat (SPECIAL, msg, NULL);
	g_autofree gchar *path = write_tmp (content);
	g_autofree gchar *out = g_strconcat (path, ".out", NULL);
	g_autofree gchar *got = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsQueueFile) qf = rtls_queue_file_read (path, &error);

	g_assert_no_error (error);
	g_assert_true (rtls_queue_file_extract_message (path, qf, out, &error));
	g_assert_no_error (error);
	g_assert_true (g_file_get_contents (out, &got, NULL, NULL));
	g_assert_cmpstr (got, ==, want);
	g_unlink (path);
	g_unlink (out);
}

static void
test_extract_long_header_line (void)
{
	/* A folded field longer than the copy buffer, then the marker: still removed, and the
	 * long field intact. */
	g_autoptr (GString) msg = g_string_new ("X-Long: ");
	g_autofree gchar *path = NULL, *out = NULL, *got = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsQueueFile) qf = NULL;
	g_autofree gchar *want = NULL;

	/* 100 KB of folded continuation lines, longer than the copy buffer in all */
	for (int i = 0; i < 200000; i++)
		g_string_append (msg, i % 500 == 499 ? "\n " : (i % 2 ? "b" : "a"));
	g_string_append (msg, "\nX-RequireTLS-Request: require\nTo: b@c.example\n\nbody\n");
	want = g_strdup (msg->str);
	{
		char *m = strstr (want, "X-RequireTLS-Request: require\n");
		memmove (m, m + strlen ("X-RequireTLS-Request: require\n"),
		         strlen (m + strlen ("X-RequireTLS-Request: require\n")) + 1);
	}
	g_string_prepend (msg, SPECIAL);
	path = write_tmp (msg->str);
	out = g_strconcat (path, ".out", NULL);
	qf = rtls_queue_file_read (path, &error);
	g_assert_no_error (error);
	g_assert_true (rtls_queue_file_extract_message (path, qf, out, &error));
	g_assert_true (g_file_get_contents (out, &got, NULL, NULL));
	g_assert_cmpstr (got, ==, want);
	g_unlink (path);
	g_unlink (out);
}

static void
test_message_file_choice (void)
{
	static const struct {
		const char *content;
		gboolean ok;
		RtlsChoice want;
	} cases[] = {
		{ SPECIAL "X-RequireTLS-Request: require\n\nb\n", TRUE, RTLS_CHOICE_REQUIRE },
		{ "From: a@b\nTLS-Required: No\n\nb\n", TRUE, RTLS_CHOICE_NO_REQUIRE },
		{ "From: a@b\n\nX-RequireTLS-Request: require\n", TRUE, RTLS_CHOICE_DEFAULT },
		{ "X-Claws-Manual-Headers: X-RequireTLS-Request\nX-Claws-End-Special-Headers: 1\n"
		  "X-RequireTLS-Request: default\n\nb\n",
		  TRUE, RTLS_CHOICE_DEFAULT },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *path = write_tmp (cases[i].content);
		RtlsChoice c = 99;
		g_test_message ("case %u", i);
		g_assert_cmpint (rtls_message_file_choice (path, &c, NULL), ==, cases[i].ok);
		g_assert_cmpint (c, ==, cases[i].want);
		g_unlink (path);
	}
	{
		RtlsChoice c;
		g_assert_false (rtls_message_file_choice ("/nonexistent/x", &c, NULL));
	}
}

static gchar *
write_tmp_len (const char *content, gsize len)
{
	gchar *path = NULL;
	GError *error = NULL;
	int fd = g_file_open_tmp ("rtls-qf-XXXXXX", &path, &error);

	g_assert_no_error (error);
	close (fd);
	g_assert_true (g_file_set_contents (path, content, (gssize) len, &error));
	g_assert_no_error (error);
	return path;
}

/* A NUL or a bare CR in the header block (or in Claws' special headers) is an error that
 * names the line; never a shortened field that lets body lines become header fields. */
static void
test_read_hostile_bytes (void)
{
	static const struct {
		const char *content;
		gsize len;
		const char *where; /* expected in the message */
	} cases[] = {
#define C(s, w) { s, sizeof s - 1, w }
		C (SPECIAL "From: a@b\nSubject: x\0y\n\nBcc: eve@evil.example\n", ", line 23: NUL"),
		C (SPECIAL "From: a@b\nSubject: x\0\n\nBcc: eve@evil.example\n", ", line 23: NUL"),
		C (SPECIAL "From: a@b\r\nSubject: x\ry\r\n\r\nBcc: e@x\r\n", ", line 23: bare CR"),
		C (SPECIAL "From: a@b\rBcc: e@x\n\nbody\n", ", line 22: bare CR"),
		C ("AF:\nS:a@b\0c\nR:<c@d>\nX-Claws-End-Special-Headers: 1\nFrom: a@b\n\nb\n",
		   ", line 2: NUL"),
		C ("S:a@b\nR:<c@d>\rR:<e@f>\nX-Claws-End-Special-Headers: 1\nFrom: a@b\n\nb\n",
		   ", line 2: bare CR"),
		C (SPECIAL "\0From: a@b\n\nb\n", ", line 22: NUL"),
#undef C
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *path = write_tmp_len (cases[i].content, cases[i].len);
		g_autoptr (GError) error = NULL;
		g_autoptr (RtlsQueueFile) qf = rtls_queue_file_read (path, &error);
		RtlsChoice c = RTLS_CHOICE_DEFAULT;

		g_test_message ("case %u", i);
		g_assert_null (qf);
		g_assert_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE);
		g_assert_nonnull (strstr (error->message, cases[i].where));
		g_assert_nonnull (strstr (error->message, path));
		g_assert_false (rtls_message_file_choice (path, &c, NULL));
		g_unlink (path);
	}
}

/* The body is not a header block: NUL, bare CR and long lines there go out byte for byte. */
static void
test_extract_body_exact (void)
{
	static const char msg[] = "From: a@b\nTo: c@d\nX-RequireTLS-Request: require\n\n"
	                          "line\0with NUL\rbare CR\n\n\nBcc: stays body\n\0";
	static const char want[] = "From: a@b\nTo: c@d\n\n"
	                           "line\0with NUL\rbare CR\n\n\nBcc: stays body\n\0";
	g_autoptr (GByteArray) content = g_byte_array_new ();
	g_autofree gchar *path = NULL, *out = NULL, *got = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsQueueFile) qf = NULL;
	gsize got_len = 0;

	g_byte_array_append (content, (const guint8 *) SPECIAL, strlen (SPECIAL));
	g_byte_array_append (content, (const guint8 *) msg, sizeof msg - 1);
	path = write_tmp_len ((const char *) content->data, content->len);
	out = g_strconcat (path, ".out", NULL);
	qf = rtls_queue_file_read (path, &error);
	g_assert_no_error (error);
	g_assert_cmpint (qf->choice, ==, RTLS_CHOICE_REQUIRE);
	g_assert_true (rtls_queue_file_extract_message (path, qf, out, &error));
	g_assert_no_error (error);
	g_assert_true (g_file_get_contents (out, &got, &got_len, NULL));
	g_assert_cmpmem (got, got_len, want, sizeof want - 1);

	/* An entry that is all header (no empty line, no body) is copied whole. */
	g_unlink (path);
	g_clear_pointer (&path, g_free);
	g_clear_pointer (&got, g_free);
	g_clear_pointer (&qf, rtls_queue_file_free);
	path = write_tmp (SPECIAL "From: a@b\nTo: c@d");
	qf = rtls_queue_file_read (path, &error);
	g_assert_no_error (error);
	g_assert_true (rtls_queue_file_extract_message (path, qf, out, &error));
	g_assert_true (g_file_get_contents (out, &got, &got_len, NULL));
	g_assert_cmpstr (got, ==, "From: a@b\nTo: c@d");
	g_unlink (path);
	g_unlink (out);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/choice/headers", test_choice_headers);
	g_test_add_func ("/choice/strings", test_choice_strings);
	g_test_add_func ("/queuefile/read", test_read_full);
	g_test_add_func ("/queuefile/read-bad", test_read_bad);
	g_test_add_func ("/queuefile/read-hostile-bytes", test_read_hostile_bytes);
	g_test_add_func ("/queuefile/extract-body-exact", test_extract_body_exact);
	g_test_add_func ("/queuefile/recipients-quoted", test_recipients_quoted);
	g_test_add_func ("/queuefile/extract-removes-marker", test_extract_removes_marker);
	g_test_add_func ("/queuefile/extract-long-header-line", test_extract_long_header_line);
	g_test_add_func ("/queuefile/message-file-choice", test_message_file_choice);
	return g_test_run ();
}
