/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-message.c: header parsing and edits, addresses through libetpan's RFC 5322 parser,
 * -t recipients, and loading messages from pipes and files in constant memory.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "errors.h"
#include "message.h"

static RtlsHeaders *
parse_ok (const char *text)
{
	g_autoptr (GError) err = NULL;
	RtlsHeaders *h = rtls_headers_parse (text, strlen (text), &err);
	g_assert_no_error (err);
	g_assert_nonnull (h);
	return h;
}

static gchar *
serialize (const RtlsHeaders *h)
{
	return rtls_headers_serialize (h, NULL);
}

typedef struct {
	const char *name;
	const char *in;
	gsize len;
} BadHeader;

static const BadHeader bad_headers[] = {
	{ "nul", "A: b\0c\n", 7 },
	{ "not-a-field", "Subject: x\nthis is body text\n", 0 },
	{ "continuation-first", " folded\nA: b\n", 0 },
	{ "empty-name", ": value\n", 0 },
	{ "space-in-name", "Bad Name: value\n", 0 },
	{ "bare-cr", "A: b\rc\n", 0 },
	{ "no-fields", "", 0 },
};

static void
test_bad_header (gconstpointer data)
{
	const BadHeader *c = data;
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsHeaders) h
	        = rtls_headers_parse (c->in, c->len ? c->len : strlen (c->in), &err);

	g_assert_null (h);
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
}

static void
test_overlong_line (void)
{
	g_autoptr (GError) err = NULL;
	g_autofree gchar *fill = g_strnfill (995, 'x');
	g_autofree gchar *ok = g_strdup_printf ("A: %s\n", fill);   /* 998 */
	g_autofree gchar *bad = g_strdup_printf ("A: %sy\n", fill); /* 999 */
	g_autoptr (RtlsHeaders) h1 = rtls_headers_parse (ok, strlen (ok), &err);
	g_autoptr (RtlsHeaders) h2 = NULL;

	g_assert_no_error (err);
	h2 = rtls_headers_parse (bad, strlen (bad), &err);
	g_assert_null (h2);
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
}

static void
test_parse_serialize (void)
{
	g_autoptr (RtlsHeaders) lf = parse_ok ("From: a@x\nSubject: hello\n  world\nTo: b@y");
	g_autoptr (RtlsHeaders) crlf
	        = parse_ok ("From: a@x\r\nSubject: hello\r\n  world\r\nTo: b@y\r\n");
	g_autoptr (RtlsHeaders) mbox
	        = parse_ok ("From alice Tue Nov 24 10:00:00 2026\nFrom: a@x\n");
	g_autofree gchar *s1 = serialize (lf);
	g_autofree gchar *s2 = serialize (crlf);
	g_autofree gchar *s3 = serialize (mbox);

	g_assert_cmpstr (s1, ==, "From: a@x\r\nSubject: hello\r\n  world\r\nTo: b@y\r\n\r\n");
	g_assert_cmpstr (s2, ==, s1);
	g_assert_cmpstr (s3, ==, "From: a@x\r\n\r\n");
	g_assert_cmpuint (rtls_headers_count (lf, "subject"), ==, 1);
	g_assert_cmpstr (rtls_headers_get (lf, "SUBJECT"), ==, " hello\r\n  world");
	g_assert_null (rtls_headers_get (lf, "Cc"));
}

static void
test_edit (void)
{
	g_autoptr (RtlsHeaders) h = parse_ok ("A: 1\nb: 2\nA: 3\nC: 4\n");
	g_autofree gchar *s = NULL;

	g_assert_cmpuint (rtls_headers_remove (h, "a"), ==, 2);
	rtls_headers_append (h, "D", " 5");
	s = serialize (h);
	g_assert_cmpstr (s, ==, "b: 2\r\nC: 4\r\nD: 5\r\n\r\n");
}

typedef struct {
	const char *name;
	const char *in;
	RtlsTlsPolicy policy;
	gboolean resent;
	const char *out;
} PrepCase;

static const PrepCase prep_cases[] = {
	{ "bcc-removed", "To: a@x\nBcc: b@y\nSubject: s\n", RTLS_TLS_POLICY_DEFAULT, FALSE,
	  "To: a@x\r\nSubject: s\r\n\r\n" },
	{ "resent-bcc-removed", "To: a@x\nResent-To: c@z\nResent-Bcc: b@y\n",
	  RTLS_TLS_POLICY_DEFAULT, TRUE, "To: a@x\r\nResent-To: c@z\r\n\r\n" },
	{ "resent-bcc-kept-when-not-resent", "To: a@x\nResent-Bcc: b@y\n", RTLS_TLS_POLICY_DEFAULT,
	  FALSE, "To: a@x\r\nResent-Bcc: b@y\r\n\r\n" },
	{ "no-require-inserted", "To: a@x\n", RTLS_TLS_POLICY_NO_REQUIRE, FALSE,
	  "To: a@x\r\nTLS-Required: No\r\n\r\n" },
	{ "no-require-replaces-one", "tls-required: yes\nTo: a@x\n", RTLS_TLS_POLICY_NO_REQUIRE,
	  FALSE, "To: a@x\r\nTLS-Required: No\r\n\r\n" },
	{ "no-require-replaces-two", "TLS-Required: No\nTo: a@x\nTLS-REQUIRED: no\n",
	  RTLS_TLS_POLICY_NO_REQUIRE, FALSE, "To: a@x\r\nTLS-Required: No\r\n\r\n" },
	{ "require-removes-all", "TLS-Required: No\nTo: a@x\ntls-required: No\n",
	  RTLS_TLS_POLICY_REQUIRE, FALSE, "To: a@x\r\n\r\n" },
	{ "default-untouched", "TLS-Required: No\nTo: a@x\n", RTLS_TLS_POLICY_DEFAULT, FALSE,
	  "TLS-Required: No\r\nTo: a@x\r\n\r\n" },
	{ "marker-and-postfix-removed",
	  "X-RequireTLS-Request: yes\nRequire-TLS-ESMTP: yes\nTo: a@x\n", RTLS_TLS_POLICY_REQUIRE,
	  FALSE, "To: a@x\r\n\r\n" },
};

static void
test_prepare (gconstpointer data)
{
	const PrepCase *c = data;
	g_autoptr (RtlsHeaders) h = parse_ok (c->in);
	g_autofree gchar *s = NULL;

	rtls_headers_prepare_for_submission (h, c->policy, c->resent);
	s = serialize (h);
	g_assert_cmpstr (s, ==, c->out);
}

typedef struct {
	const char *name;
	const char *in;
	const char *out; /* addr-specs joined by ' ', NULL: error */
} AddrCase;

static const AddrCase addr_cases[] = {
	{ "plain", "bob@example.net", "bob@example.net" },
	{ "display-name", "Bob Example <bob@example.net>", "bob@example.net" },
	{ "quoted-name-with-comma", "\"Example, Bob\" <bob@example.net>, carol@example.net",
	  "bob@example.net carol@example.net" },
	{ "comments", "bob@example.net (Bob), (x) <carol@example.net>",
	  "bob@example.net carol@example.net" },
	{ "quoted-local-part", "\"john.doe\"@example.org", "\"john.doe\"@example.org" },
	/* libetpan would return "johndoe"@example.org: refused rather than changed */
	{ "quoted-local-part-space", "\"john doe\"@example.org", NULL },
	{ "domain-literal", "a@[192.0.2.1]", "a@[192.0.2.1]" },
	{ "no-domain", "bob", NULL },
	{ "angle-junk", "<broken", NULL },
	{ "group", "team: a@x.example, b@y.example;", "a@x.example b@y.example" },
	{ "empty-group", "undisclosed-recipients:;", "" },
	{ "group-and-more", "team: a@x.example;, c@z.example", "a@x.example c@z.example" },
	{ "folded", "a@x.example,\r\n b@y.example", "a@x.example b@y.example" },
	{ "idn-utf8", "jörg@exämple.de", "jörg@exämple.de" },
	{ "missing-domain", "a@", NULL },
	{ "unclosed-angle", "<a@b.example", NULL },
	{ "double-comma", "a@b.example,,c@d.example", NULL },
	{ "trailing-junk", "a@b.example junk <", NULL },
	{ "empty", "", NULL },
	{ "blank", "   ", NULL },
};

static void
test_address (gconstpointer data)
{
	const AddrCase *c = data;
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) err = NULL;
	gboolean ok = rtls_address_list_parse (c->in, out, &err);

	if (c->out == NULL) {
		g_assert_false (ok);
		g_assert_error (err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
		return;
	}
	g_assert_no_error (err);
	g_ptr_array_add (out, NULL);
	{
		g_autofree gchar *joined = g_strjoinv (" ", (gchar **) out->pdata);
		g_assert_cmpstr (joined, ==, c->out);
	}
}

static gchar *
recipients (const char *headers, gboolean *resent)
{
	g_autoptr (RtlsHeaders) h = parse_ok (headers);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) err = NULL;

	g_assert_true (rtls_headers_recipients (h, out, resent, &err));
	g_assert_no_error (err);
	g_ptr_array_add (out, NULL);
	return g_strjoinv (" ", (gchar **) out->pdata);
}

static void
test_recipients (void)
{
	gboolean resent = TRUE;
	g_autofree gchar *plain
	        = recipients ("From: a@x\nTo: B <b@y>\nCc: c@z, B@Y\nBcc: d@w\nCc:\n", &resent);
	g_autofree gchar *re = NULL;
	g_autoptr (RtlsHeaders) bad = parse_ok ("To: <broken\n");
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) err = NULL;

	g_assert_cmpstr (plain, ==, "b@y c@z d@w");
	g_assert_false (resent);
	re = recipients ("To: a@x\nResent-To: r@x\nResent-Cc: s@x\nResent-Bcc: t@x\n", &resent);
	g_assert_cmpstr (re, ==, "r@x s@x t@x");
	g_assert_true (resent);
	g_assert_false (rtls_headers_recipients (bad, out, NULL, &err));
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
}

static void
test_sender (void)
{
	g_autoptr (RtlsHeaders) both = parse_ok ("From: A <a@x>, B <b@x>\nSender: S <s@x>\n");
	g_autoptr (RtlsHeaders) from = parse_ok ("From: A <a@x>, B <b@x>\n");
	g_autoptr (RtlsHeaders) none = parse_ok ("Subject: x\n");
	g_autoptr (GError) err = NULL;
	g_autofree gchar *s1 = rtls_headers_sender (both, &err);
	g_autofree gchar *s2 = rtls_headers_sender (from, &err);
	g_autofree gchar *s3 = NULL;

	g_assert_no_error (err);
	g_assert_cmpstr (s1, ==, "s@x");
	g_assert_cmpstr (s2, ==, "a@x");
	s3 = rtls_headers_sender (none, &err);
	g_assert_null (s3);
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
}

static gchar *
read_all_body (const RtlsMessage *m)
{
	GString *s = g_string_new (NULL);
	char buf[7]; /* small on purpose: many reads */
	guint64 pos = 0;
	gssize r;

	while ((r = rtls_message_read_body (m, pos, buf, sizeof buf, NULL)) > 0) {
		g_string_append_len (s, buf, r);
		pos += (guint64) r;
	}
	g_assert_cmpint (r, ==, 0);
	return g_string_free (s, FALSE);
}

static RtlsMessage *
load_from_pipe (const char *data, gsize len, GError **error)
{
	int fds[2];
	RtlsMessage *m;

	g_assert_cmpint (pipe (fds), ==, 0);
	/* Small inputs fit in the pipe buffer; write then close, then load. */
	g_assert_cmpint (write (fds[1], data, len), ==, (gssize) len);
	close (fds[1]);
	m = rtls_message_load (fds[0], error);
	close (fds[0]);
	return m;
}

static void
test_load_pipe (void)
{
	static const char input[] = "From: a@x\nTo: b@y\n\nbody \xc3\xa4\n.\nmore";
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsMessage) m = load_from_pipe (input, sizeof input - 1, &err);
	g_autofree gchar *body = NULL;

	g_assert_no_error (err);
	g_assert_cmpuint (m->headers->fields->len, ==, 2);
	g_assert_true (m->body_8bit);
	g_assert_false (m->headers_8bit);
	g_assert_false (m->body_nul);
	body = read_all_body (m);
	g_assert_cmpstr (body, ==, "body \xc3\xa4\n.\nmore");
	g_assert_cmpuint (m->body_size, ==, strlen (body));
}

static void
test_load_variants (void)
{
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsMessage) crlf = load_from_pipe ("A: 1\r\n\r\nb\r\n", 11, &err);
	g_autoptr (RtlsMessage) nobody = load_from_pipe ("A: 1\nB: \xc3\xa4\n", 11, &err);
	g_autoptr (RtlsMessage) nul = load_from_pipe ("A: 1\n\nx\0y", 9, &err);
	g_autoptr (RtlsMessage) empty = NULL;
	g_autofree gchar *b1 = NULL;

	g_assert_no_error (err);
	b1 = read_all_body (crlf);
	g_assert_cmpstr (b1, ==, "b\r\n");
	g_assert_cmpuint (nobody->body_size, ==, 0);
	g_assert_true (nobody->headers_8bit);
	g_assert_true (nul->body_nul);
	empty = load_from_pipe ("", 0, &err);
	g_assert_null (empty);
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
}

/* Issue 18: a NUL in the body is refused before anything is sent, in the same words as a NUL
 * in the header block; a body without one passes. */
static void
test_nul_refused (void)
{
	g_autoptr (GError) hdr_err = NULL;
	g_autoptr (GError) body_err = NULL;
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsMessage) in_header = load_from_pipe ("A: 1\0\n\nx\n", 9, &hdr_err);
	g_autoptr (RtlsMessage) in_body = load_from_pipe ("A: 1\n\nx\0y\n", 10, &err);
	g_autoptr (RtlsMessage) clean = NULL;

	g_assert_null (in_header);
	g_assert_error (hdr_err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
	g_assert_no_error (err);
	g_assert_false (rtls_message_check (in_body, &body_err));
	g_assert_error (body_err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
	g_assert_cmpstr (body_err->message, ==, hdr_err->message);
	g_assert_nonnull (strstr (body_err->message, "NUL byte"));
	clean = load_from_pipe ("A: 1\n\nx\xc3\xa4y\n", 11, &err);
	g_assert_no_error (err);
	g_assert_true (rtls_message_check (clean, &err));
	g_assert_no_error (err);
}

static void
test_load_file_in_place (void)
{
	g_autoptr (GError) err = NULL;
	g_autofree gchar *path = NULL;
	int fd = g_file_open_tmp ("rtls-msg-XXXXXX", &path, &err);
	static const char prefix[] = "ignored prefix\n";
	static const char msg[] = "From: a@x\n\nline1\nline2\n";
	g_autoptr (RtlsMessage) m = NULL;
	g_autofree gchar *body = NULL;

	g_assert_no_error (err);
	g_assert_cmpint (write (fd, prefix, sizeof prefix - 1), ==, sizeof prefix - 1);
	g_assert_cmpint (write (fd, msg, sizeof msg - 1), ==, sizeof msg - 1);
	/* The fd is positioned after the prefix, as a caller may hand it over. */
	g_assert_cmpint (lseek (fd, sizeof prefix - 1, SEEK_SET), ==, sizeof prefix - 1);
	m = rtls_message_load (fd, &err);
	g_assert_no_error (err);
	g_assert_cmpint (m->body_offset, ==, (goffset) (sizeof prefix - 1 + 11));
	body = read_all_body (m);
	g_assert_cmpstr (body, ==, "line1\nline2\n");
	close (fd);
	g_unlink (path);
}

static void
test_load_header_too_big (void)
{
	g_autoptr (GError) err = NULL;
	g_autofree gchar *path = NULL;
	int fd = g_file_open_tmp ("rtls-big-XXXXXX", &path, &err);
	g_autoptr (RtlsMessage) m = NULL;

	for (gsize written = 0; written <= RTLS_HEADERS_MAX_BYTES + 100; written += 50) {
		g_assert_cmpint (
		        write (fd, "X-Filler: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 50), ==,
		        50);
	}
	g_assert_cmpint (write (fd, "\nbody\n", 6), ==, 6);
	lseek (fd, 0, SEEK_SET);
	m = rtls_message_load (fd, &err);
	g_assert_null (m);
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_MESSAGE);
	close (fd);
	g_unlink (path);
}

/* The one scan at load time (SSE2 blocks and the scalar tail, across read and window
 * boundaries) agrees with the encoder: the BDAT size is exactly what it writes, and "clean"
 * exactly when it changes nothing. Random bodies of CR, LF, dots, NUL, 8-bit and text,
 * loaded from a pipe and from a regular file. */
static void
test_scan_vs_encoder (void)
{
	static const char alphabet[] = "\r\n.\0\x80xyz  ";
	GRand *rand = g_rand_new_with_seed (13);

	for (guint round = 0; round < 400; round++) {
		gsize len = round < 300 ? (gsize) g_rand_int_range (rand, 0, 300)
		                        : (gsize) g_rand_int_range (rand, 60000, 300000);
		g_autoptr (GByteArray) input = g_byte_array_new ();
		g_autofree char *body = g_malloc (len + 1);
		gboolean crlf_only = g_rand_boolean (rand);

		for (gsize i = 0; i < len; i++) {
			body[i] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
			if (crlf_only && (body[i] == '\r' || body[i] == '\n'))
				body[i] = 'q';
		}
		if (crlf_only) /* a clean body: CRLF line ends only, maybe leading dots */
			for (gsize i = 40; i + 1 < len; i += 41) {
				body[i] = '\r';
				body[i + 1] = '\n';
			}
		if (crlf_only && len >= 2) {
			body[len - 2] = '\r';
			body[len - 1] = '\n';
		}
		g_byte_array_append (input, (const guint8 *) "A: 1\r\n\r\n", 8);
		g_byte_array_append (input, (const guint8 *) body, (guint) len);
		/* a pipe holds 64 KiB, and load_from_pipe() writes it all first */
		for (int via_file = len < 60000 ? 0 : 1; via_file < 2; via_file++) {
			g_autoptr (GError) err = NULL;
			g_autoptr (RtlsMessage) m = NULL;
			g_autofree gchar *path = NULL;
			g_autofree char *out = g_malloc (RTLS_ENCODER_OUT_MAX (len) + 8);
			RtlsEncoder enc;
			gsize n;
			gboolean has8 = FALSE, hasnul = FALSE;

			if (via_file) {
				int fd = g_file_open_tmp ("rtls-scan-XXXXXX", &path, &err);
				g_assert_no_error (err);
				g_assert_cmpint (write (fd, input->data, input->len), ==,
				                 input->len);
				g_assert_cmpint (lseek (fd, 0, SEEK_SET), ==, 0);
				m = rtls_message_load (fd, &err);
				close (fd);
				g_unlink (path);
			} else {
				m = load_from_pipe ((const char *) input->data, input->len, &err);
			}
			g_assert_no_error (err);
			g_assert_cmpuint (m->body_size, ==, len);
			for (gsize i = 0; i < len; i++) {
				has8 = has8 || (guchar) body[i] >= 0x80;
				hasnul = hasnul || body[i] == 0;
			}
			g_assert_cmpint (m->body_8bit, ==, has8);
			g_assert_cmpint (m->body_nul, ==, hasnul);
			for (int dot = 0; dot < 2; dot++) {
				gsize fin;
				rtls_encoder_init (&enc, dot);
				n = rtls_encoder_feed (&enc, body, len, out);
				fin = rtls_encoder_finish (&enc, out + n);
				if (!dot)
					g_assert_cmpuint (n + fin, ==,
					                  rtls_message_body_size_crlf (m));
				/* unchanged: the body itself, then only the terminator of DATA */
				g_assert_cmpint (rtls_message_body_clean (m, dot), ==,
				                 n == len && memcmp (out, body, len) == 0
				                         && fin == (dot ? 3u : 0u));
			}
		}
	}
	g_rand_free (rand);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (bad_headers); i++) {
		g_autofree gchar *p = g_strdup_printf ("/headers/bad/%s", bad_headers[i].name);
		g_test_add_data_func (p, &bad_headers[i], test_bad_header);
	}
	g_test_add_func ("/headers/overlong-line", test_overlong_line);
	g_test_add_func ("/headers/parse-serialize", test_parse_serialize);
	g_test_add_func ("/headers/edit", test_edit);
	for (gsize i = 0; i < G_N_ELEMENTS (prep_cases); i++) {
		g_autofree gchar *p = g_strdup_printf ("/headers/prepare/%s", prep_cases[i].name);
		g_test_add_data_func (p, &prep_cases[i], test_prepare);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (addr_cases); i++) {
		g_autofree gchar *p = g_strdup_printf ("/address/%s", addr_cases[i].name);
		g_test_add_data_func (p, &addr_cases[i], test_address);
	}
	g_test_add_func ("/headers/recipients", test_recipients);
	g_test_add_func ("/headers/sender", test_sender);
	g_test_add_func ("/load/pipe", test_load_pipe);
	g_test_add_func ("/load/variants", test_load_variants);
	g_test_add_func ("/load/file-in-place", test_load_file_in_place);
	g_test_add_func ("/load/nul-refused", test_nul_refused);
	g_test_add_func ("/load/header-too-big", test_load_header_too_big);
	g_test_add_func ("/load/scan-vs-encoder", test_scan_vs_encoder);
	return g_test_run ();
}
