/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-codec.c: libFuzzer target for the pure byte transformations: sanitising untrusted
 * text, xtext (round trip checked), RFC 5321 Mailbox and Domain checks, and the DATA/BDAT
 * encoder fed in random pieces (its output is checked against one whole-input run).
 */
#include "config.h"

#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
fuzz_encoder (const char *in, size_t len, gboolean dot)
{
	char *whole = g_malloc (RTLS_ENCODER_OUT_MAX (len) + 8);
	char *pieces = g_malloc (RTLS_ENCODER_OUT_MAX (len) + 8 * (len + 1));
	RtlsEncoder a, b;
	gsize na, nb = 0, off = 0, step = 1;

	rtls_encoder_init (&a, dot);
	na = rtls_encoder_feed (&a, in, len, whole);
	na += rtls_encoder_finish (&a, whole + na);
	rtls_encoder_init (&b, dot);
	while (off < len) {
		gsize take = MIN (step, len - off);
		nb += rtls_encoder_feed (&b, in + off, take, pieces + nb);
		off += take;
		step = step * 3 % 17 + 1;
	}
	nb += rtls_encoder_finish (&b, pieces + nb);
	/* Chunk boundaries never change the output; no bare CR or LF ever leaves. */
	if (na != nb || memcmp (whole, pieces, na) != 0 || na != a.bytes_out)
		__builtin_trap ();
	for (gsize i = 0; i < na; i++)
		if ((whole[i] == '\n' && (i == 0 || whole[i - 1] != '\r'))
		    || (whole[i] == '\r' && (i + 1 == na || whole[i + 1] != '\n')))
			__builtin_trap ();
	g_free (whole);
	g_free (pieces);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	gchar *s = g_strndup ((const char *) data, size); /* up to the first NUL */
	gchar *clean, *x, *back;
	GError *error = NULL;
	gboolean wide;

	clean = rtls_sanitize ((const char *) data, (gssize) size, 200);
	if (!g_utf8_validate (clean, -1, NULL) || strpbrk (clean, "\r\n\t") != NULL)
		__builtin_trap ();
	g_free (clean);

	x = rtls_xtext_encode (s);
	back = rtls_xtext_decode (x, &error);
	if (back == NULL || strcmp (back, s) != 0)
		__builtin_trap ();
	g_free (back);
	g_free (x);
	back = rtls_xtext_decode (s, &error);
	g_clear_error (&error);
	g_free (back);
	(void) rtls_envid_valid (s);

	if (rtls_mailbox_valid (s, &wide) && (strpbrk (s, "<> \r\n") != NULL && s[0] != '"'))
		__builtin_trap (); /* a valid Mailbox never holds these outside quotes */
	(void) rtls_domain_valid (s);
	g_free (s);

	fuzz_encoder ((const char *) data, size, size > 0 && (data[0] & 1));
	return 0;
}
