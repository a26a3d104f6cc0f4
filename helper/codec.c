/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * codec.c: sanitising untrusted text, RFC 3461 xtext, and the streaming DATA encoder.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

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
		/* Copy the run up to the next CR or LF in one go: memchr for the LF, then for a
		 * CR before it (usually the one of a CRLF, just before). */
		{
			const char *nl = memchr (p, '\n', (gsize) (end - p));
			const char *lim = nl != NULL ? nl : end;
			const char *cr = memchr (p, '\r', (gsize) (lim - p));
			stop = cr != NULL ? cr : lim;
		}
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

/* RFC 5321 4.1.2 / RFC 6531 3.3 atext: ALPHA DIGIT and "!#$%&'*+-/=?^_`{|}~", or any byte of a
 * non-ASCII UTF-8 sequence (validated as a whole by the caller). */
static gboolean
codec_atext (guchar c)
{
	return g_ascii_isalnum (c) || (c != 0 && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL)
	       || c >= 0x80;
}

static gboolean
codec_local_part_valid (const char *p, const char *end)
{
	if (p == end)
		return FALSE;
	if (*p == '"') {
		/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE */
		if (end - p < 2 || end[-1] != '"')
			return FALSE;
		for (p++; p < end - 1; p++) {
			guchar c = (guchar) *p;
			if (c == '\\') {
				/* quoted-pairSMTP = %d92 %d32-126 */
				if (p + 1 >= end - 1 || (guchar) p[1] < 32 || (guchar) p[1] > 126)
					return FALSE;
				p++;
			} else if (c == '"' || (c < 32) || c == 127) {
				return FALSE; /* qtextSMTP = %d32-33 / %d35-91 / %d93-126 */
			}
		}
		return TRUE;
	}
	/* Dot-string = Atom *("." Atom) */
	for (gboolean need_atext = TRUE; p < end; p++) {
		if (*p == '.') {
			if (need_atext)
				return FALSE;
			need_atext = TRUE;
		} else if (codec_atext ((guchar) *p)) {
			need_atext = FALSE;
		} else {
			return FALSE;
		}
		if (p + 1 == end && need_atext)
			return FALSE;
	}
	return TRUE;
}

static gboolean
codec_domain_valid (const char *p, const char *end)
{
	if (p == end || end - p > 255)
		return FALSE;
	if (*p == '[') {
		/* address-literal = "[" ( IPv4 / "IPv6:" IPv6 / tag ":" 1*dcontent ) "]" */
		g_autofree gchar *lit = NULL;
		const char *colon;
		if (end[-1] != ']' || end - p < 3)
			return FALSE;
		lit = g_strndup (p + 1, (gsize) (end - p - 2));
		colon = strchr (lit, ':');
		if (colon == NULL) {
			/* IPv4-address-literal: Snum 3("." Snum), no leading junk */
			int a, b, c, d;
			char tail;
			return sscanf (lit, "%3d.%3d.%3d.%3d%c", &a, &b, &c, &d, &tail) == 4
			       && a >= 0 && a <= 255 && b >= 0 && b <= 255 && c >= 0 && c <= 255
			       && d >= 0 && d <= 255 && strspn (lit, "0123456789.") == strlen (lit);
		}
		if (g_ascii_strncasecmp (lit, "IPv6:", 5) == 0)
			return strspn (lit + 5, "0123456789abcdefABCDEF:.") == strlen (lit + 5)
			       && g_hostname_is_ip_address (lit + 5)
			       && strchr (lit + 5, ':') != NULL;
		/* General-address-literal (tag ":" dcontent): no tag but IPv6 is registered, and
		 * its dcontent may hold "<" and ">", which would end the path on the wire: refused.
		 */
		return FALSE;
	}
	/* Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (RFC 6531:
	 * or a U-label, whose non-ASCII bytes count as letters here). */
	for (const char *label = p; label < end;) {
		const char *dot = memchr (label, '.', (gsize) (end - label));
		const char *lend = dot != NULL ? dot : end;

		if (lend == label || lend - label > 63)
			return FALSE;
		for (const char *t = label; t < lend; t++)
			if (!g_ascii_isalnum (*t) && (guchar) *t < 0x80 && *t != '-')
				return FALSE;
		if (*label == '-' || lend[-1] == '-')
			return FALSE;
		if (dot == NULL)
			break;
		label = dot + 1;
		if (label == end)
			return FALSE; /* a trailing dot is not a Domain */
	}
	return TRUE;
}

gboolean
rtls_mailbox_valid (const char *mailbox, gboolean *non_ascii)
{
	gsize len;
	const char *at, *end;
	gboolean wide = FALSE;

	if (non_ascii != NULL)
		*non_ascii = FALSE;
	if (mailbox == NULL)
		return FALSE;
	len = strlen (mailbox);
	/* RFC 5321 4.5.3.1.3: a Path is at most 256 octets with its angle brackets. */
	if (len == 0 || len > 254 || !g_utf8_validate (mailbox, (gssize) len, NULL))
		return FALSE;
	for (const char *c = mailbox; *c; c++)
		wide = wide || (guchar) *c >= 0x80;
	end = mailbox + len;
	/* The "@" that separates is the last one outside a quoted local part. */
	if (*mailbox == '"') {
		const char *q = mailbox + 1;
		while (q < end && *q != '"') {
			if (*q == '\\' && q + 1 < end)
				q++;
			q++;
		}
		if (q >= end || q[1] != '@')
			return FALSE;
		at = q + 1;
	} else {
		at = memchr (mailbox, '@', len);
		if (at == NULL || memchr (at + 1, '@', (gsize) (end - at - 1)) != NULL)
			return FALSE;
	}
	if (!codec_local_part_valid (mailbox, at) || !codec_domain_valid (at + 1, end))
		return FALSE;
	if (non_ascii != NULL)
		*non_ascii = wide;
	return TRUE;
}

static gboolean
smtp_codec_ascii (const char *s)
{
	for (; *s; s++)
		if ((guchar) *s >= 0x80)
			return FALSE;
	return TRUE;
}

gboolean
rtls_domain_valid (const char *domain)
{
	if (domain == NULL || !smtp_codec_ascii (domain))
		return FALSE;
	return codec_domain_valid (domain, domain + strlen (domain));
}

gboolean
rtls_write_all (int fd, const char *buf, gsize len)
{
	while (len > 0) {
		ssize_t w = write (fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FALSE;
		buf += w;
		len -= (gsize) w;
	}
	return TRUE;
}
