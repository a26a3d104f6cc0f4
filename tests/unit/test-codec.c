/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-codec.c: sanitising, RFC 3461 xtext and the DATA encoder (RFC 5321 4.5.2, 2.3.8).
 */
#include "config.h"

#include <string.h>

#include "codec.h"
#include "errors.h"

typedef struct {
	const char *name;
	const char *in;
	gsize max;
	const char *out;
} SanCase;

static const SanCase san_cases[] = {
	{ "ascii", "250 all fine", 100, "250 all fine" },
	{ "utf8-kept", "Empfänger unbekannt, réessayez", 100, "Empfänger unbekannt, réessayez" },
	{ "invalid-byte",
	  "a\xff"
	  "b",
	  100, "a?b" },
	{ "escape-sequence", "\x1b[31mred", 100, "?[31mred" },
	{ "bidi-override",
	  "abc\xe2\x80\xae"
	  "def",
	  100, "abc?def" },
	{ "crlf-collapsed", "line1\r\nline2", 100, "line1 line2" },
	{ "c1-control",
	  "a\xc2\x85"
	  "b",
	  100, "a?b" },
	{ "truncated", "abcdefghij", 4, "abcd..." },
	{ "empty", "", 10, "" },
};

static void
test_sanitize (gconstpointer data)
{
	const SanCase *c = data;
	g_autofree gchar *out = rtls_sanitize (c->in, -1, c->max);
	g_assert_cmpstr (out, ==, c->out);
	g_assert_true (g_utf8_validate (out, -1, NULL));
}

static void
test_sanitize_nul (void)
{
	g_autofree gchar *out = rtls_sanitize ("a\0b", 3, 10);
	g_assert_cmpstr (out, ==, "a?b");
}

static void
test_xtext (void)
{
	g_autoptr (GError) err = NULL;
	struct {
		const char *raw, *enc;
	} cases[] = {
		{ "abc-1.2", "abc-1.2" },
		{ "a+b=c d", "a+2Bb+3Dc+20d" },
		{ "\x01\x7f\xc3\xa4", "+01+7F+C3+A4" },
		{ "", "" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *enc = rtls_xtext_encode (cases[i].raw);
		g_autofree gchar *dec = rtls_xtext_decode (enc, &err);
		g_assert_no_error (err);
		g_assert_cmpstr (enc, ==, cases[i].enc);
		g_assert_cmpstr (dec, ==, cases[i].raw);
	}
	{
		g_autofree gchar *lower = rtls_xtext_decode ("a+2bb", &err);
		g_assert_no_error (err);
		g_assert_cmpstr (lower, ==, "a+b");
	}
	const char *bad[] = { "a+", "a+2", "a+zz", "a b", "a=b", "\x01" };
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autofree gchar *dec = rtls_xtext_decode (bad[i], &err);
		g_assert_null (dec);
		g_assert_error (err, RTLS_ERROR, RTLS_ERROR_USAGE);
		g_clear_error (&err);
	}
}

static void
test_envid (void)
{
	g_autofree gchar *hundred = g_strnfill (100, 'e');
	g_autofree gchar *hundred_one = g_strnfill (101, 'e');
	g_autofree gchar *pluses = g_strnfill (34, '+'); /* 102 characters encoded */

	g_assert_true (rtls_envid_valid ("rtls-1.abc"));
	g_assert_true (rtls_envid_valid (hundred));
	g_assert_false (rtls_envid_valid (hundred_one));
	g_assert_false (rtls_envid_valid (pluses));
	g_assert_false (rtls_envid_valid (""));
	g_assert_false (rtls_envid_valid (NULL));
}

typedef struct {
	const char *name;
	const char *in;
	gboolean dot_stuff;
	const char *out;
} EncCase;

static const EncCase enc_cases[] = {
	{ "plain", "a\r\nb\r\n", TRUE, "a\r\nb\r\n.\r\n" },
	{ "lone-dot", "a\r\n.\r\nb\r\n", TRUE, "a\r\n..\r\nb\r\n.\r\n" },
	{ "double-dot", "..\r\n", TRUE, "...\r\n.\r\n" },
	{ "dot-first", ".hidden\n", TRUE, "..hidden\r\n.\r\n" },
	{ "dot-mid-line", "a.b\n", TRUE, "a.b\r\n.\r\n" },
	{ "last-line-no-newline", "a\nlast", TRUE, "a\r\nlast\r\n.\r\n" },
	{ "last-dot-no-newline", "a\n.", TRUE, "a\r\n..\r\n.\r\n" },
	{ "bare-lf", "a\nb\n", TRUE, "a\r\nb\r\n.\r\n" },
	{ "bare-cr", "a\rb\r", TRUE, "a\r\nb\r\n.\r\n" },
	{ "mixes", "a\rb\nc\r\nd", TRUE, "a\r\nb\r\nc\r\nd\r\n.\r\n" },
	{ "cr-cr-lf", "a\r\r\nb", TRUE, "a\r\n\r\nb\r\n.\r\n" },
	{ "dot-after-cr", "a\r.b", TRUE, "a\r\n..b\r\n.\r\n" },
	{ "empty", "", TRUE, ".\r\n" },
	{ "bdat-no-stuffing", ".a\n.\n", FALSE, ".a\r\n.\r\n" },
	{ "bdat-empty", "", FALSE, "" },
};

static gchar *
encode_chunks (const char *in, gsize len, gsize chunk, gboolean dot_stuff, RtlsEncoder *enc)
{
	GString *out = g_string_new (NULL);
	g_autofree char *buf = g_malloc (RTLS_ENCODER_OUT_MAX (MAX (chunk, 1)) + 8);

	rtls_encoder_init (enc, dot_stuff);
	for (gsize pos = 0; pos < len; pos += chunk) {
		gsize n = MIN (chunk, len - pos);
		gsize w = rtls_encoder_feed (enc, in + pos, n, buf);
		g_assert_cmpuint (w, <=, RTLS_ENCODER_OUT_MAX (n));
		g_string_append_len (out, buf, (gssize) w);
	}
	g_string_append_len (out, buf, (gssize) rtls_encoder_finish (enc, buf));
	return g_string_free (out, FALSE);
}

static void
test_encoder (gconstpointer data)
{
	const EncCase *c = data;
	gsize len = strlen (c->in);

	/* The same output whatever the chunking: whole, byte by byte, and in pairs. */
	for (gsize chunk = 1; chunk <= MAX (len, 1);
	     chunk = chunk == 1 ? 2 : (chunk == 2 ? MAX (len, 3) : chunk + len + 1)) {
		RtlsEncoder enc;
		g_autofree gchar *out = encode_chunks (c->in, len, chunk, c->dot_stuff, &enc);
		g_assert_cmpstr (out, ==, c->out);
		g_assert_cmpuint (enc.bytes_in, ==, len);
		g_assert_cmpuint (enc.bytes_out, ==, strlen (c->out));
	}
}

/* Reference implementation: split into lines on CRLF / LF / CR, stuff, join. */
static gchar *
reference (const char *in, gsize len)
{
	GString *out = g_string_new (NULL);
	gsize i = 0, start = 0;
	gboolean any = len > 0;

	while (i <= len) {
		gboolean end = i == len;
		if (end || in[i] == '\n' || in[i] == '\r') {
			if (!end || i > start) {
				if (i > start && in[start] == '.')
					g_string_append_c (out, '.');
				g_string_append_len (out, in + start, (gssize) (i - start));
				g_string_append (out, "\r\n");
			}
			if (!end && in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
				i++;
			start = i + 1;
		}
		i++;
	}
	(void) any;
	g_string_append (out, ".\r\n");
	return g_string_free (out, FALSE);
}

static void
test_encoder_random (void)
{
	static const char alphabet[] = { '.', '\r', '\n', 'a', 'b', ' ' };

	g_test_message ("random inputs over {. CR LF a b SP}, fixed seed");
	g_random_set_seed (8689);
	for (int round = 0; round < 2000; round++) {
		gsize len = (gsize) g_random_int_range (0, 40);
		g_autofree char *in = g_malloc (len + 1);
		g_autofree gchar *expect = NULL;

		for (gsize i = 0; i < len; i++)
			in[i] = alphabet[g_random_int_range (0, G_N_ELEMENTS (alphabet))];
		in[len] = '\0';
		expect = reference (in, len);
		for (gsize chunk = 1; chunk <= len + 1; chunk++) {
			RtlsEncoder enc;
			g_autofree gchar *got = encode_chunks (in, len, chunk, TRUE, &enc);
			g_assert_cmpstr (got, ==, expect);
		}
	}
}

/* RFC 5321 4.1.2 Mailbox, with RFC 6531's non-ASCII. */
static void
test_mailbox (void)
{
	static const struct {
		const char *addr;
		gboolean ok, wide;
	} cases[] = {
		{ "bob@example.net", TRUE, FALSE },
		{ "a.b+tag@sub.example-1.org", TRUE, FALSE },
		{ "\"john doe\"@example.org", TRUE, FALSE },
		{ "\"a\\\"b@c\"@example.org", TRUE, FALSE },
		{ "user@[192.0.2.1]", TRUE, FALSE },
		{ "user@[IPv6:2001:db8::1]", TRUE, FALSE },
		{ "user@[x-tag:stuff]", FALSE, FALSE },        /* no General-address-literal */
		{ "i+@[IR6:6:2001:db8:b8:>1]", FALSE, FALSE }, /* found by fuzz-codec */
		{ "j\xc3\xb6rg@b\xc3\xbc"
		  "cher.example",
		  TRUE, TRUE },
		{ "!#$%&'*+-/=?^_`{|}~@x.example", TRUE, FALSE },
		{ "bad@@example.org", FALSE, FALSE },
		{ "\"bad@\"@@example.org", FALSE, FALSE },
		{ "@example.org", FALSE, FALSE },
		{ "bob@", FALSE, FALSE },
		{ "bob", FALSE, FALSE },
		{ ".bob@example.org", FALSE, FALSE },
		{ "bob.@example.org", FALSE, FALSE },
		{ "b..ob@example.org", FALSE, FALSE },
		{ "bo b@example.org", FALSE, FALSE },
		{ "bob@exa mple.org", FALSE, FALSE },
		{ "bob@example..org", FALSE, FALSE },
		{ "bob@example.org.", FALSE, FALSE },
		{ "bob@-example.org", FALSE, FALSE },
		{ "bob@example-.org", FALSE, FALSE },
		{ "bob@exa_mple.org", FALSE, FALSE },
		{ "bob@[300.1.1.1]", FALSE, FALSE },
		{ "bob@[1.2.3]", FALSE, FALSE },
		{ "bob@[IPv6:zz::1]", FALSE, FALSE },
		{ "bob@[1.2.3.4", FALSE, FALSE },
		{ "<bob@example.org>", FALSE, FALSE },
		{ "bob@example.org>", FALSE, FALSE },
		{ "bob@example.org\r\nRCPT TO:<x@y>", FALSE, FALSE },
		{ "\"unterminated@example.org", FALSE, FALSE },
		{ "\"ctl\x01\"@example.org", FALSE, FALSE },
		{ "bad\xff"
		  "@example.org",
		  FALSE, FALSE }, /* not UTF-8 */
		{ "a(comment)@example.org", FALSE, FALSE },
		{ "", FALSE, FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gboolean wide = !cases[i].wide;
		g_test_message ("mailbox case %u", i);
		g_assert_cmpint (rtls_mailbox_valid (cases[i].addr, &wide), ==, cases[i].ok);
		if (cases[i].ok)
			g_assert_cmpint (wide, ==, cases[i].wide);
	}
	{
		/* 254 octets at most */
		g_autofree gchar *local = g_strnfill (60, 'a');
		g_autofree gchar *label = g_strnfill (63, 'b');
		g_autofree gchar *ok
		        = g_strdup_printf ("%s@%s.%s.%s.c", local, label, label, label);
		g_autofree gchar *big
		        = g_strdup_printf ("%s@%s.%s.%s.cc", local, label, label, label);
		g_assert_cmpuint (strlen (ok), ==, 254);
		g_assert_true (rtls_mailbox_valid (ok, NULL));
		g_assert_false (rtls_mailbox_valid (big, NULL));
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (san_cases); i++) {
		g_autofree gchar *path = g_strdup_printf ("/sanitize/%s", san_cases[i].name);
		g_test_add_data_func (path, &san_cases[i], test_sanitize);
	}
	g_test_add_func ("/sanitize/nul", test_sanitize_nul);
	g_test_add_func ("/xtext/round-trip-and-errors", test_xtext);
	g_test_add_func ("/xtext/envid", test_envid);
	g_test_add_func ("/mailbox/rfc5321", test_mailbox);
	for (gsize i = 0; i < G_N_ELEMENTS (enc_cases); i++) {
		g_autofree gchar *path = g_strdup_printf ("/encoder/%s", enc_cases[i].name);
		g_test_add_data_func (path, &enc_cases[i], test_encoder);
	}
	g_test_add_func ("/encoder/random-vs-reference", test_encoder_random);
	return g_test_run ();
}
