/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * smtp_reply.c: pure validation and parsing of SMTP replies and EHLO capabilities.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "errors.h"
#include "smtp_reply.h"

RtlsReply *
rtls_reply_new (void)
{
	RtlsReply *r = g_new0 (RtlsReply, 1);
	r->lines = g_ptr_array_new_with_free_func (g_free);
	return r;
}

void
rtls_reply_free (RtlsReply *reply)
{
	if (reply == NULL)
		return;
	g_ptr_array_unref (reply->lines);
	g_free (reply);
}

static gboolean
smtp_reply_fail (GError **error, const char *what)
{
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_PROTOCOL, _ ("malformed reply: %s"), what);
	return FALSE;
}

gboolean
rtls_enhanced_code_parse (const char *text, char out[16], gsize *consumed)
{
	const char *p = text;
	int digits;

	/* RFC 3463 2: class "." subject "." detail; class 2, 4 or 5; subject and detail
	 * 1 to 3 digits each. */
	if (*p != '2' && *p != '4' && *p != '5')
		return FALSE;
	p++;
	for (int part = 0; part < 2; part++) {
		if (*p != '.')
			return FALSE;
		p++;
		for (digits = 0; g_ascii_isdigit (*p) && digits < 4; digits++)
			p++;
		if (digits < 1 || digits > 3)
			return FALSE;
	}
	if (*p != '\0' && *p != ' ' && *p != '\t')
		return FALSE;
	if (out != NULL) {
		memcpy (out, text, (gsize) (p - text));
		out[p - text] = '\0';
	}
	if (consumed != NULL)
		*consumed = (gsize) (p - text) + (*p != '\0' ? 1 : 0);
	return TRUE;
}

gboolean
rtls_reply_feed_line (RtlsReply *reply, const char *line, gsize len, GError **error)
{
	guint code;
	gsize textlen;
	const char *text;
	gboolean last;

	g_return_val_if_fail (reply != NULL && line != NULL, FALSE);
	if (reply->complete)
		return smtp_reply_fail (error, _ ("data after the final line"));
	if (len > RTLS_REPLY_MAX_LINE)
		return smtp_reply_fail (error, _ ("line too long"));
	if (reply->lines->len >= RTLS_REPLY_MAX_LINES)
		return smtp_reply_fail (error, _ ("too many lines"));
	if (reply->bytes + len > RTLS_REPLY_MAX_BYTES)
		return smtp_reply_fail (error, _ ("too long"));
	/* RFC 5321 2.3.8: lines end in CRLF; no bare CR or LF anywhere. */
	if (len < 5 || line[len - 2] != '\r' || line[len - 1] != '\n')
		return smtp_reply_fail (error, _ ("line does not end in CRLF"));
	for (gsize i = 0; i < len - 2; i++) {
		guchar ch = (guchar) line[i];
		if ((ch < 32 && ch != '\t') || ch == 127)
			return smtp_reply_fail (error, _ ("control character in line"));
	}
	/* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
	if (line[0] < '2' || line[0] > '5' || !g_ascii_isdigit (line[1])
	    || !g_ascii_isdigit (line[2]))
		return smtp_reply_fail (error, _ ("bad reply code"));
	code = (guint) ((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
	if (len == 5) {
		last = TRUE; /* "250\r\n" */
		text = line + 3;
		textlen = 0;
	} else if (line[3] == ' ' || line[3] == '-') {
		last = line[3] == ' ';
		text = line + 4;
		textlen = len - 6;
	} else {
		return smtp_reply_fail (error, _ ("bad separator after the reply code"));
	}
	if (reply->lines->len > 0 && code != reply->code)
		return smtp_reply_fail (error, _ ("different codes in one reply"));
	if (reply->lines->len == 0) {
		g_autofree gchar *first = g_strndup (text, textlen);
		reply->code = code;
		if (!rtls_enhanced_code_parse (first, reply->enhanced, NULL)
		    || reply->enhanced[0] != line[0])
			reply->enhanced[0] = '\0';
	}
	g_ptr_array_add (reply->lines, g_strndup (text, textlen));
	reply->bytes += len;
	reply->complete = last;
	return TRUE;
}

gchar *
rtls_reply_text (const RtlsReply *reply)
{
	GString *s = g_string_new (NULL);

	for (guint i = 0; i < reply->lines->len; i++) {
		const char *t = g_ptr_array_index (reply->lines, i);
		char code[16];
		gsize used = 0;

		if (reply->enhanced[0] != '\0' && rtls_enhanced_code_parse (t, code, &used)
		    && strcmp (code, reply->enhanced) == 0)
			t += used;
		if (s->len > 0)
			g_string_append_c (s, ' ');
		g_string_append (s, t);
	}
	return g_string_free (s, FALSE);
}

void
rtls_caps_clear (RtlsCaps *caps)
{
	g_strfreev (caps->auth_mechs);
	g_free (caps->domain);
	memset (caps, 0, sizeof *caps);
}

static const struct {
	const char *keyword;
	guint flag;
} smtp_reply_caps[] = {
	{ "REQUIRETLS", RTLS_CAP_REQUIRETLS },
	{ "PIPELINING", RTLS_CAP_PIPELINING },
	{ "DSN", RTLS_CAP_DSN },
	{ "SIZE", RTLS_CAP_SIZE },
	{ "8BITMIME", RTLS_CAP_8BITMIME },
	{ "SMTPUTF8", RTLS_CAP_SMTPUTF8 },
	{ "STARTTLS", RTLS_CAP_STARTTLS },
	{ "AUTH", RTLS_CAP_AUTH },
	{ "CHUNKING", RTLS_CAP_CHUNKING },
	{ "ENHANCEDSTATUSCODES", RTLS_CAP_ENHANCEDSTATUSCODES },
};

/* RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static gboolean
smtp_reply_keyword_valid (const char *kw)
{
	if (!g_ascii_isalnum (*kw))
		return FALSE;
	for (; *kw; kw++)
		if (!g_ascii_isalnum (*kw) && *kw != '-')
			return FALSE;
	return TRUE;
}

gboolean
rtls_caps_parse_ehlo (const RtlsReply *reply, RtlsCaps *caps, GError **error)
{
	g_autoptr (GPtrArray) mechs = g_ptr_array_new_with_free_func (g_free);

	rtls_caps_clear (caps);
	if (!reply->complete || reply->code != 250 || reply->lines->len == 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_PROTOCOL, _ ("not a valid EHLO reply"));
		return FALSE;
	}
	{
		const char *first = g_ptr_array_index (reply->lines, 0);
		gsize n = strcspn (first, " \t");
		caps->domain = g_strndup (first, n);
	}
	/* The first line is the greeting and never a capability. */
	for (guint i = 1; i < reply->lines->len; i++) {
		g_auto (GStrv) words
		        = g_strsplit_set (g_ptr_array_index (reply->lines, i), " \t", -1);
		const char *kw = words[0];

		if (kw == NULL || !smtp_reply_keyword_valid (kw))
			continue;
		for (gsize k = 0; k < G_N_ELEMENTS (smtp_reply_caps); k++) {
			if (g_ascii_strcasecmp (kw, smtp_reply_caps[k].keyword) != 0)
				continue;
			caps->flags |= smtp_reply_caps[k].flag;
			if (smtp_reply_caps[k].flag == RTLS_CAP_SIZE && words[1] != NULL
			    && words[1][0] != '\0') {
				guint64 v = 0;
				/* RFC 1870: SIZE [limit]; junk or overflow means no known limit. */
				if (!g_ascii_string_to_unsigned (words[1], 10, 0, G_MAXUINT64, &v,
				                                 NULL))
					v = 0;
				caps->size_limit = v;
			}
			if (smtp_reply_caps[k].flag == RTLS_CAP_AUTH) {
				for (guint w = 1; words[w] != NULL; w++) {
					gboolean seen = FALSE;
					if (words[w][0] == '\0'
					    || !smtp_reply_keyword_valid (words[w]))
						continue;
					for (guint m = 0; m < mechs->len && !seen; m++)
						seen = g_ascii_strcasecmp (
						               g_ptr_array_index (mechs, m),
						               words[w])
						       == 0;
					if (!seen)
						g_ptr_array_add (mechs,
						                 g_ascii_strup (words[w], -1));
				}
			}
		}
	}
	if (caps->flags & RTLS_CAP_AUTH) {
		g_ptr_array_add (mechs, NULL);
		caps->auth_mechs = (gchar **) g_ptr_array_free (g_steal_pointer (&mechs), FALSE);
	}
	return TRUE;
}

gboolean
rtls_caps_has_auth (const RtlsCaps *caps, const char *mech)
{
	for (guint i = 0; caps->auth_mechs != NULL && caps->auth_mechs[i] != NULL; i++)
		if (g_ascii_strcasecmp (caps->auth_mechs[i], mech) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
is_final_reply (guint code)
{
	return code == 250 || (code >= 400 && code <= 599);
}

RtlsAfterContent
rtls_after_content (const guint *codes, guint n, gboolean in_step, gboolean all_read)
{
	guint readings = 0;

	if (n == 0)
		return RTLS_AFTER_NOT_CONFIRMED;
	if (in_step && all_read && is_final_reply (codes[0])
	    && (n == 1 || (n == 2 && codes[1] == 221)))
		return codes[0] == 250 ? RTLS_AFTER_SENT : RTLS_AFTER_REFUSED;
	if (!all_read)
		return RTLS_AFTER_NOT_CONFIRMED; /* an unread reply is a reading too */
	for (guint i = 0; i < n; i++) {
		if (codes[i] == 221)
			continue; /* QUIT's, whenever it came */
		if (codes[i] != 250)
			return RTLS_AFTER_NOT_CONFIRMED;
		readings++;
	}
	return readings > 0 ? RTLS_AFTER_SENT : RTLS_AFTER_NOT_CONFIRMED;
}
