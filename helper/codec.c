/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * codec.c: sanitising untrusted text, RFC 3461 xtext, and the streaming DATA encoder.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "codec.h"
#include "errors.h"

gchar *
rtls_sanitize (const char *text, gssize len, gsize max_chars)
{
	GString *out = g_string_new (NULL);
	const char *p, *end;
	gsize chars = 0;
	gboolean space = FALSE;

	if (text == NULL)
		return g_string_free (out, FALSE);
	if (len < 0)
		len = (gssize) strlen (text);
	p = text;
	end = text + len;
	while (p < end) {
		gunichar c;
		const char *next;

		if (chars >= max_chars) {
			g_string_append (out, "...");
			break;
		}
		c = g_utf8_get_char_validated (p, end - p);
		if (c == (gunichar) -1 || c == (gunichar) -2) {
			g_string_append_c (out, '?'); /* invalid UTF-8: one '?' a byte */
			p++;
			chars++;
			space = FALSE;
			continue;
		}
		next = g_utf8_next_char (p);
		if (c == '\r' || c == '\n' || c == '\t') {
			if (!space) {
				g_string_append_c (out, ' ');
				chars++;
			}
			space = TRUE;
		} else if (c == 0 || g_unichar_type (c) == G_UNICODE_CONTROL
		           || g_unichar_type (c) == G_UNICODE_FORMAT) {
			/* C0, DEL, C1 and format characters such as bidi overrides */
			g_string_append_c (out, '?');
			chars++;
			space = FALSE;
		} else {
			g_string_append_len (out, p, next - p);
			chars++;
			space = FALSE;
		}
		p = next;
	}
	return g_string_free (out, FALSE);
}

gchar *
rtls_xtext_encode (const char *text)
{
	GString *out = g_string_new (NULL);

	/* RFC 3461 4: xchar = "!" .. "~" except "+" and "=" */
	for (const guchar *p = (const guchar *) text; *p; p++) {
		if (*p < 33 || *p > 126 || *p == '+' || *p == '=')
			g_string_append_printf (out, "+%02X", *p);
		else
			g_string_append_c (out, (char) *p);
	}
	return g_string_free (out, FALSE);
}

gchar *
rtls_xtext_decode (const char *xtext, GError **error)
{
	GString *out = g_string_new (NULL);

	for (const guchar *p = (const guchar *) xtext; *p; p++) {
		if (*p == '+') {
			if (!g_ascii_isxdigit (p[1]) || !g_ascii_isxdigit (p[2]))
				goto bad;
			g_string_append_c (out, (char) (g_ascii_xdigit_value (p[1]) * 16
			                                + g_ascii_xdigit_value (p[2])));
			p += 2;
		} else if (*p < 33 || *p > 126 || *p == '=') {
			goto bad;
		} else {
			g_string_append_c (out, (char) *p);
		}
	}
	return g_string_free (out, FALSE);
bad:
	g_string_free (out, TRUE);
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("malformed xtext"));
	return NULL;
}

gboolean
rtls_envid_valid (const char *envid)
{
	g_autofree gchar *x = NULL;

	if (envid == NULL || *envid == '\0')
		return FALSE;
	x = rtls_xtext_encode (envid);
	return strlen (x) <= 100; /* RFC 3461 4.4 */
}

void
rtls_encoder_init (RtlsEncoder *enc, gboolean dot_stuff)
{
	memset (enc, 0, sizeof *enc);
	enc->dot_stuff = dot_stuff;
	enc->at_line_start = TRUE;
}

gsize
rtls_encoder_feed (RtlsEncoder *enc, const char *in, gsize len, char *out)
{
	const char *p = in, *end = in + len;
	char *o = out;

	enc->bytes_in += len;
	if (len > 0 && enc->pending_cr) {
		/* A CR ended the previous chunk: CRLF if this one starts with LF, else a bare
		 * CR that becomes CRLF (RFC 5321 2.3.8). */
		*o++ = '\r';
		*o++ = '\n';
		enc->at_line_start = TRUE;
		enc->pending_cr = FALSE;
		if (*p == '\n')
			p++;
	}
	while (p < end) {
		const char *stop;
		gsize run;

		if (enc->at_line_start && enc->dot_stuff && *p == '.')
			*o++ = '.'; /* RFC 5321 4.5.2 */
		/* Copy the run up to the next CR or LF in one go. */
		stop = p;
		while (stop < end && *stop != '\r' && *stop != '\n')
			stop++;
		run = (gsize) (stop - p);
		if (run > 0) {
			memcpy (o, p, run);
			o += run;
			enc->at_line_start = FALSE;
		}
		p = stop;
		if (p == end)
			break;
		if (*p == '\n') {
			*o++ = '\r';
			*o++ = '\n';
			enc->at_line_start = TRUE;
			p++;
		} else { /* '\r' */
			if (p + 1 == end) {
				enc->pending_cr = TRUE;
				p++;
				break;
			}
			*o++ = '\r';
			*o++ = '\n';
			enc->at_line_start = TRUE;
			p += p[1] == '\n' ? 2 : 1;
		}
	}
	enc->bytes_out += (guint64) (o - out);
	return (gsize) (o - out);
}

gsize
rtls_encoder_finish (RtlsEncoder *enc, char *out)
{
	char *o = out;

	if (enc->pending_cr) {
		*o++ = '\r';
		*o++ = '\n';
		enc->pending_cr = FALSE;
		enc->at_line_start = TRUE;
	}
	if (!enc->at_line_start && enc->bytes_in > 0) {
		*o++ = '\r';
		*o++ = '\n';
		enc->at_line_start = TRUE;
	}
	if (enc->dot_stuff) {
		memcpy (o, ".\r\n", 3);
		o += 3;
	}
	enc->bytes_out += (guint64) (o - out);
	return (gsize) (o - out);
}
