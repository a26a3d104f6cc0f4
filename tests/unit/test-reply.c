/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-reply.c: SMTP reply validation (RFC 5321 4.2) and EHLO keyword detection.
 */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "smtp_reply.h"

typedef struct {
	const char *name;
	const char *lines; /* whole reply, fed line by line (split after each '\n') */
	gsize len;         /* 0: strlen */
	gboolean ok;
	guint code;
	const char *enhanced;
	const char *text; /* rtls_reply_text */
} ReplyCase;

static const ReplyCase reply_cases[] = {
	{ "single", "250 ok\r\n", 0, TRUE, 250, "", "ok" },
	{ "multi", "250-first\r\n250-second\r\n250 last\r\n", 0, TRUE, 250, "",
	  "first second last" },
	{ "code-only", "250\r\n", 0, TRUE, 250, "", "" },
	{ "empty-continuation", "250-\r\n250 x\r\n", 0, TRUE, 250, "", "x" },
	{ "enhanced", "550 5.7.30 REQUIRETLS needed\r\n", 0, TRUE, 550, "5.7.30",
	  "REQUIRETLS needed" },
	{ "enhanced-multi", "550-5.7.30 a\r\n550 5.7.30 b\r\n", 0, TRUE, 550, "5.7.30", "a b" },
	{ "enhanced-class-mismatch", "250 5.7.1 odd\r\n", 0, TRUE, 250, "", "5.7.1 odd" },
	{ "enhanced-bad-digits", "550 5.7.3000 x\r\n", 0, TRUE, 550, "", "5.7.3000 x" },
	{ "utf8-text", "550 5.1.1 Empfänger unbekannt\r\n", 0, TRUE, 550, "5.1.1",
	  "Empfänger unbekannt" },
	{ "tab-in-text", "250 a\tb\r\n", 0, TRUE, 250, "", "a\tb" },
	{ "inconsistent-codes", "250-a\r\n251 b\r\n", 0, FALSE },
	{ "code-199", "199 x\r\n", 0, FALSE },
	{ "code-600", "600 x\r\n", 0, FALSE },
	{ "code-2x0", "2x0 x\r\n", 0, FALSE },
	{ "bad-separator", "250_x\r\n", 0, FALSE },
	{ "bare-lf", "250 ok\n", 0, FALSE },
	{ "cr-inside", "250 o\rk\r\n", 0, FALSE },
	{ "nul-inside", "250 o\0k\r\n", 9, FALSE },
	{ "escape-char", "250 \x1b[31mred\r\n", 0, FALSE },
	{ "del-char", "250 a\x7f\r\n", 0, FALSE },
	{ "too-short", "25\r\n", 0, FALSE },
};

static void
test_reply_case (gconstpointer data)
{
	const ReplyCase *c = data;
	g_autoptr (RtlsReply) r = rtls_reply_new ();
	g_autoptr (GError) err = NULL;
	gsize len = c->len ? c->len : strlen (c->lines);
	const char *p = c->lines, *end = c->lines + len;
	gboolean ok = TRUE;

	while (p < end && ok) {
		const char *nl = memchr (p, '\n', (gsize) (end - p));
		gsize n = nl != NULL ? (gsize) (nl - p) + 1 : (gsize) (end - p);
		ok = rtls_reply_feed_line (r, p, n, &err);
		p += n;
	}
	if (!c->ok) {
		g_assert_false (ok);
		g_assert_error (err, RTLS_ERROR, RTLS_ERROR_PROTOCOL);
		return;
	}
	g_assert_no_error (err);
	g_assert_true (r->complete);
	g_assert_cmpuint (r->code, ==, c->code);
	g_assert_cmpstr (r->enhanced, ==, c->enhanced);
	{
		g_autofree gchar *text = rtls_reply_text (r);
		g_assert_cmpstr (text, ==, c->text);
	}
	g_assert_cmpuint (r->bytes, ==, len);
}

static void
test_reply_bounds (void)
{
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsReply) r = rtls_reply_new ();
	g_autoptr (RtlsReply) many = rtls_reply_new ();
	g_autoptr (RtlsReply) done = rtls_reply_new ();
	GString *longline = g_string_new ("250 ");
	gboolean ok = TRUE;
	guint i;

	/* A line one byte over the bound. */
	while (longline->len < RTLS_REPLY_MAX_LINE - 1)
		g_string_append_c (longline, 'x');
	g_string_append (longline, "\r\n");
	g_assert_cmpuint (longline->len, ==, RTLS_REPLY_MAX_LINE + 1);
	g_assert_false (rtls_reply_feed_line (r, longline->str, longline->len, &err));
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_PROTOCOL);
	g_clear_error (&err);
	g_string_free (longline, TRUE);

	/* Too many lines: the endless reply. */
	for (i = 0; ok && i < RTLS_REPLY_MAX_LINES + 5; i++)
		ok = rtls_reply_feed_line (many, "250-more\r\n", 10, &err);
	g_assert_false (ok);
	g_assert_cmpuint (i, ==, RTLS_REPLY_MAX_LINES + 1);
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_PROTOCOL);
	g_clear_error (&err);

	/* Nothing after the final line. */
	g_assert_true (rtls_reply_feed_line (done, "250 ok\r\n", 8, &err));
	g_assert_false (rtls_reply_feed_line (done, "250 more\r\n", 10, &err));
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_PROTOCOL);
}

static void
test_reply_total_bytes (void)
{
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsReply) r = rtls_reply_new ();
	g_autofree gchar *fill = g_strnfill (2000, 'y');
	g_autofree gchar *line = g_strdup_printf ("250-%s\r\n", fill);
	gboolean ok = TRUE;
	gsize fed = 0;

	while (ok && fed < 2 * RTLS_REPLY_MAX_BYTES) {
		ok = rtls_reply_feed_line (r, line, strlen (line), &err);
		fed += strlen (line);
	}
	g_assert_false (ok);
	g_assert_cmpuint (r->bytes, <=, RTLS_REPLY_MAX_BYTES);
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_PROTOCOL);
}

typedef struct {
	const char *name;
	const char *reply;
	gboolean requiretls;
} EhloCase;

static const EhloCase ehlo_cases[] = {
	{ "upper", "250-mx.example\r\n250-PIPELINING\r\n250 REQUIRETLS\r\n", TRUE },
	{ "lower", "250-mx.example\r\n250-requiretls\r\n250 DSN\r\n", TRUE },
	{ "mixed-case-trailing-spaces", "250-mx.example\r\n250-RequireTLS   \r\n250 DSN\r\n",
	  TRUE },
	{ "last-line", "250-mx.example\r\n250-DSN\r\n250 REQUIRETLS\r\n", TRUE },
	{ "x-prefix", "250-mx.example\r\n250 X-REQUIRETLS\r\n", FALSE },
	{ "suffix", "250-mx.example\r\n250 REQUIRETLSX\r\n", FALSE },
	{ "greeting-line", "250-mx.example REQUIRETLS ready\r\n250 DSN\r\n", FALSE },
	{ "greeting-single", "250 REQUIRETLS\r\n", FALSE },
	{ "parameter-of-other", "250-mx.example\r\n250 XFOO REQUIRETLS\r\n", FALSE },
	{ "auth-equals", "250-mx.example\r\n250 AUTH=REQUIRETLS\r\n", FALSE },
	{ "leading-space", "250-mx.example\r\n250  REQUIRETLS\r\n", FALSE },
	{ "absent", "250-mx.example\r\n250-STARTTLS\r\n250 8BITMIME\r\n", FALSE },
};

static RtlsReply *
reply_from (const char *text)
{
	RtlsReply *r = rtls_reply_new ();
	const char *p = text;

	while (*p) {
		const char *nl = strchr (p, '\n');
		g_assert_true (rtls_reply_feed_line (r, p, (gsize) (nl - p) + 1, NULL));
		p = nl + 1;
	}
	return r;
}

static void
test_ehlo_case (gconstpointer data)
{
	const EhloCase *c = data;
	g_autoptr (RtlsReply) r = reply_from (c->reply);
	RtlsCaps caps = { 0 };

	g_assert_true (rtls_caps_parse_ehlo (r, &caps, NULL));
	g_assert_cmpint (!!(caps.flags & RTLS_CAP_REQUIRETLS), ==, c->requiretls);
	g_assert_nonnull (caps.domain);
	rtls_caps_clear (&caps);
}

static void
test_ehlo_all (void)
{
	g_autoptr (RtlsReply) r = reply_from (
	        "250-smtp.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
	        "250-SMTPUTF8\r\n250-STARTTLS\r\n250-AUTH PLAIN login\r\n250-AUTH LOGIN XOAUTH2\r\n"
	        "250-CHUNKING\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n");
	RtlsCaps caps = { 0 };

	g_assert_true (rtls_caps_parse_ehlo (r, &caps, NULL));
	g_assert_cmpuint (caps.flags, ==,
	                  RTLS_CAP_PIPELINING | RTLS_CAP_SIZE | RTLS_CAP_8BITMIME
	                          | RTLS_CAP_SMTPUTF8 | RTLS_CAP_STARTTLS | RTLS_CAP_AUTH
	                          | RTLS_CAP_CHUNKING | RTLS_CAP_DSN
	                          | RTLS_CAP_ENHANCEDSTATUSCODES);
	g_assert_cmpuint (caps.size_limit, ==, 10240000);
	g_assert_cmpstr (caps.domain, ==, "smtp.example");
	g_assert_cmpuint (g_strv_length (caps.auth_mechs), ==, 3);
	g_assert_true (rtls_caps_has_auth (&caps, "plain"));
	g_assert_true (rtls_caps_has_auth (&caps, "LOGIN"));
	g_assert_true (rtls_caps_has_auth (&caps, "XOAUTH2"));
	g_assert_false (rtls_caps_has_auth (&caps, "CRAM-MD5"));
	rtls_caps_clear (&caps);
	g_assert_cmpuint (caps.flags, ==, 0);
	g_assert_null (caps.auth_mechs);
	g_assert_null (caps.domain);
}

static void
test_ehlo_size_variants (void)
{
	const char *replies[]
	        = { "250-x\r\n250 SIZE\r\n", "250-x\r\n250 SIZE 99999999999999999999999\r\n",
		    "250-x\r\n250 SIZE junk\r\n" };
	for (gsize i = 0; i < G_N_ELEMENTS (replies); i++) {
		g_autoptr (RtlsReply) r = reply_from (replies[i]);
		RtlsCaps caps = { 0 };
		g_assert_true (rtls_caps_parse_ehlo (r, &caps, NULL));
		g_assert_true (caps.flags & RTLS_CAP_SIZE);
		g_assert_cmpuint (caps.size_limit, ==, 0);
		rtls_caps_clear (&caps);
	}
}

static void
test_ehlo_not_250 (void)
{
	g_autoptr (RtlsReply) r = reply_from ("502 5.5.1 no EHLO\r\n");
	g_autoptr (RtlsReply) partial = rtls_reply_new ();
	g_autoptr (GError) err = NULL;
	RtlsCaps caps = { 0 };

	g_assert_false (rtls_caps_parse_ehlo (r, &caps, &err));
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_PROTOCOL);
	g_clear_error (&err);
	g_assert_true (rtls_reply_feed_line (partial, "250-x\r\n", 7, NULL));
	g_assert_false (rtls_caps_parse_ehlo (partial, &caps, &err));
	g_assert_error (err, RTLS_ERROR, RTLS_ERROR_PROTOCOL);
	rtls_caps_clear (&caps);
}

/* ---- after the content: what the replies say (RFC 5321 4.1.1.4, 4.5.3.2.6; DESIGN §3) ---- */

typedef struct {
	const char *name;
	guint codes[6];
	guint n;
	gboolean in_step, all_read;
	RtlsAfterContent want;
} AfterCase;

static const AfterCase after_cases[] = {
	{ "250", { 250 }, 1, TRUE, TRUE, RTLS_AFTER_SENT },
	{ "250-221", { 250, 221 }, 2, TRUE, TRUE, RTLS_AFTER_SENT },
	{ "554-221", { 554, 221 }, 2, TRUE, TRUE, RTLS_AFTER_REFUSED },
	{ "451-closed", { 451 }, 1, TRUE, TRUE, RTLS_AFTER_REFUSED },
	/* the server: QUIT pipelined after the dot, two 250 */
	{ "250-250", { 250, 250 }, 2, TRUE, TRUE, RTLS_AFTER_SENT },
	{ "250-250-221", { 250, 250, 221 }, 3, TRUE, TRUE, RTLS_AFTER_SENT },
	{ "250-221-250", { 250, 221, 250 }, 3, TRUE, TRUE, RTLS_AFTER_SENT },
	{ "250-554", { 250, 554 }, 2, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "554-250", { 554, 250 }, 2, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "250-221-554", { 250, 221, 554 }, 3, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "554-554", { 554, 554 }, 2, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "250-garbage", { 250, 0 }, 2, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "garbage", { 0 }, 1, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "221-only", { 221 }, 1, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "354", { 354 }, 1, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "251", { 251 }, 1, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "nothing", { 0 }, 0, TRUE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	/* a reply before QUIT asked for it: out of step even when it looks right */
	{ "554-221-early", { 554, 221 }, 2, FALSE, TRUE, RTLS_AFTER_NOT_CONFIRMED },
	{ "250-221-early", { 250, 221 }, 2, FALSE, TRUE, RTLS_AFTER_SENT },
	/* more than was read: the unread one may be the reply to the dot */
	{ "250x6-more",
	  { 250, 250, 250, 250, 250, 250 },
	  6,
	  TRUE,
	  FALSE,
	  RTLS_AFTER_NOT_CONFIRMED },
	{ "554-more", { 554 }, 1, TRUE, FALSE, RTLS_AFTER_NOT_CONFIRMED },
};

static void
test_after_case (gconstpointer data)
{
	const AfterCase *c = data;

	g_assert_cmpint (rtls_after_content (c->codes, c->n, c->in_step, c->all_read), ==, c->want);
}

/* The rule, said as readings: in step, the first reply is the one to the end of the data;
 * out of step, each reply but QUIT's 221 may be, and so may a reply not read. */
static RtlsAfterContent
by_readings (const guint *codes, guint n, gboolean in_step, gboolean all_read)
{
	gboolean final0 = n > 0 && (codes[0] == 250 || (codes[0] >= 400 && codes[0] < 600));
	guint readings = 0, accepted = 0;

	if (in_step && all_read && final0 && (n == 1 || (n == 2 && codes[1] == 221)))
		return codes[0] == 250 ? RTLS_AFTER_SENT : RTLS_AFTER_REFUSED;
	for (guint i = 0; i < n; i++)
		if (codes[i] != 221) {
			readings++;
			accepted += codes[i] == 250;
		}
	if (!all_read)
		readings++;
	return readings > 0 && accepted == readings ? RTLS_AFTER_SENT : RTLS_AFTER_NOT_CONFIRMED;
}

/* Every sequence of up to four replies from a set that covers each kind (accepted, QUIT's,
 * temporary, refused, intermediate, another 2xx, not a reply), in step or not, all read or
 * not: the rule holds, and out of step is never a refusal. */
static void
test_after_every_sequence (void)
{
	static const guint kinds[] = { 250, 221, 451, 554, 354, 252, 0 };
	const guint k = G_N_ELEMENTS (kinds);
	guint tried = 0;

	for (guint n = 0; n <= 4; n++) {
		guint total = 1;
		for (guint i = 0; i < n; i++)
			total *= k;
		for (guint v = 0; v < total; v++) {
			guint codes[4], x = v;
			for (guint i = 0; i < n; i++, x /= k)
				codes[i] = kinds[x % k];
			for (int f = 0; f < 4; f++) {
				gboolean in_step = (f & 1) != 0, all_read = (f & 2) != 0;
				RtlsAfterContent got
				        = rtls_after_content (codes, n, in_step, all_read);
				g_assert_cmpint (got, ==,
				                 by_readings (codes, n, in_step, all_read));
				if (got == RTLS_AFTER_REFUSED)
					g_assert_true (in_step && all_read && n >= 1 && n <= 2
					               && codes[0] >= 400);
				if (got == RTLS_AFTER_SENT) {
					gboolean any250 = FALSE;
					for (guint i = 0; i < n; i++) {
						g_assert_true (codes[i] == 250 || codes[i] == 221);
						any250 = any250 || codes[i] == 250;
					}
					g_assert_true (any250 && all_read);
				}
				tried++;
			}
		}
	}
	g_assert_cmpuint (tried, ==, 4 * (1 + 7 + 49 + 343 + 2401));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (reply_cases); i++) {
		g_autofree gchar *path = g_strdup_printf ("/reply/case/%s", reply_cases[i].name);
		g_test_add_data_func (path, &reply_cases[i], test_reply_case);
	}
	g_test_add_func ("/reply/bounds", test_reply_bounds);
	g_test_add_func ("/reply/total-bytes", test_reply_total_bytes);
	for (gsize i = 0; i < G_N_ELEMENTS (ehlo_cases); i++) {
		g_autofree gchar *path
		        = g_strdup_printf ("/ehlo/requiretls/%s", ehlo_cases[i].name);
		g_test_add_data_func (path, &ehlo_cases[i], test_ehlo_case);
	}
	g_test_add_func ("/ehlo/all-capabilities", test_ehlo_all);
	g_test_add_func ("/ehlo/size-variants", test_ehlo_size_variants);
	g_test_add_func ("/ehlo/not-250", test_ehlo_not_250);
	for (gsize i = 0; i < G_N_ELEMENTS (after_cases); i++) {
		g_autofree gchar *path = g_strdup_printf ("/after-content/%s", after_cases[i].name);
		g_test_add_data_func (path, &after_cases[i], test_after_case);
	}
	g_test_add_func ("/after-content/every-sequence", test_after_every_sequence);
	return g_test_run ();
}
