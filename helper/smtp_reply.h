/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * smtp_reply.h: pure validation and parsing of SMTP replies and EHLO capabilities.
 * No I/O here: the stream layer hands over complete lines.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bounds on what a server may send us. RFC 5321 4.5.3.1.5 allows 512 octets per reply line;
 * real servers stay far below RTLS_REPLY_MAX_LINE, which leaves room for long AUTH/EHLO lines. */
#define RTLS_REPLY_MAX_LINE 4096   /* bytes in one line, terminator included */
#define RTLS_REPLY_MAX_LINES 128   /* lines in one multi-line reply */
#define RTLS_REPLY_MAX_BYTES 65536 /* bytes in one reply */

typedef struct {
	guint code;         /* 200..599 */
	gchar enhanced[16]; /* RFC 3463 "5.7.30" taken from the first line, or "" */
	GPtrArray *lines;   /* gchar*: text after "NNN-"/"NNN " of each line (raw, untrusted) */
	gsize bytes;        /* bytes consumed, terminators included */
	gboolean complete;  /* the final line ("NNN " or "NNN") has been seen */
} RtlsReply;

RtlsReply *rtls_reply_new (void);
void rtls_reply_free (RtlsReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsReply, rtls_reply_free)

/* rtls_reply_feed_line:
 * Adds one line to @reply. @line points at @len bytes that must end in "\r\n" (counted in
 * @len). Validates: length <= RTLS_REPLY_MAX_LINE, terminator is CRLF (a bare LF or a CR
 * elsewhere is an error), no NUL or other control character except HTAB in the text, code is
 * [2-5][0-9][0-9] and the same on every line, fourth byte is '-', ' ' or the CRLF, at most
 * RTLS_REPLY_MAX_LINES lines and RTLS_REPLY_MAX_BYTES bytes. Bytes >= 0x80 are allowed in the
 * text (RFC 6531) and kept raw.
 * Sets reply->complete when the line is the final one; feeding a complete reply is an error.
 * Returns FALSE and sets RTLS_ERROR_PROTOCOL on any violation (the reply is then unusable). */
gboolean rtls_reply_feed_line (RtlsReply *reply, const char *line, gsize len, GError **error);

/* rtls_reply_text: the lines joined with " ", with a leading enhanced status code removed
 * from each line that carries it. Raw server text: sanitise before showing. Caller frees. */
gchar *rtls_reply_text (const RtlsReply *reply);

/* RFC 3463 4.2/2.x: returns TRUE if @text starts with class.subject.detail ("5.7.30"),
 * class in {2,4,5}, subject and detail 1-3 digits, followed by SP, end or HTAB. Writes the code
 * (NUL-terminated, max 11 chars) into @out when @out is not NULL, and sets *consumed to the
 * number of bytes of @text the code and one following space/tab take. */
gboolean rtls_enhanced_code_parse (const char *text, char out[16], gsize *consumed);

/* What the replies after the last byte of the message content say (the end of the data,
 * "." or BDAT LAST, and QUIT, pipelined after it or sent after the reply). */
typedef enum {
	RTLS_AFTER_SENT,          /* the message was accepted */
	RTLS_AFTER_REFUSED,       /* the reply to the end of the data refused it */
	RTLS_AFTER_NOT_CONFIRMED, /* whether it was accepted cannot be told */
} RtlsAfterContent;

/* How many replies are read after the content before the rest is given up on. */
#define RTLS_AFTER_MAX_REPLIES 8

/* rtls_after_content:
 * @codes: the @n replies read after the last content byte, in order (0 for a line that was
 * not a valid reply); @in_step: no reply came before a command asked for it (nothing was
 * pending before QUIT was written); @all_read: nothing was left unread when reading stopped
 * (the server closed, went silent, or answered QUIT and sent nothing more).
 * In step — the first reply is a final reply (250, 4xx, 5xx) and at most a 221 follows, all
 * read — the first reply decides: SENT for 250, REFUSED otherwise. Out of step, any reply
 * could be an unsolicited one and any later one the reply to the end of the data, so every
 * reply but QUIT's 221 is a reading of it, and so is a line that was not a reply or a reply
 * still unread: SENT when there is at least one reading and every one is 250, otherwise
 * NOT_CONFIRMED. Out of step is never REFUSED: the content has left, and a refusal the
 * replies do not prove would offer the person a second copy. */
RtlsAfterContent rtls_after_content (const guint *codes, guint n, gboolean in_step,
                                     gboolean all_read);

typedef enum {
	RTLS_CAP_REQUIRETLS = 1 << 0,          /* RFC 8689 */
	RTLS_CAP_PIPELINING = 1 << 1,          /* RFC 2920 */
	RTLS_CAP_DSN = 1 << 2,                 /* RFC 3461 */
	RTLS_CAP_SIZE = 1 << 3,                /* RFC 1870 */
	RTLS_CAP_8BITMIME = 1 << 4,            /* RFC 6152 */
	RTLS_CAP_SMTPUTF8 = 1 << 5,            /* RFC 6531 */
	RTLS_CAP_STARTTLS = 1 << 6,            /* RFC 3207 */
	RTLS_CAP_AUTH = 1 << 7,                /* RFC 4954 */
	RTLS_CAP_CHUNKING = 1 << 8,            /* RFC 3030 */
	RTLS_CAP_ENHANCEDSTATUSCODES = 1 << 9, /* RFC 2034 */
} RtlsCapFlags;

typedef struct {
	guint flags;        /* RtlsCapFlags */
	guint64 size_limit; /* the SIZE parameter; 0 when absent or 0 (no limit) */
	gchar **auth_mechs; /* upper-cased AUTH mechanisms, NULL-terminated; NULL if no AUTH */
	gchar *domain;      /* first word of the first EHLO line (raw) */
} RtlsCaps;

/* Frees the members and zeroes @caps (for "clear capabilities when TLS state changes"). */
void rtls_caps_clear (RtlsCaps *caps);

/* rtls_caps_parse_ehlo:
 * Fills @caps (cleared first) from a complete 250 reply to EHLO. The first line is the
 * server's domain and greeting and never a capability. Every later line is "keyword [params]";
 * a capability counts only when the keyword, the first space-separated word, equals the
 * capability name case-insensitively (trailing spaces are fine): "X-REQUIRETLS", "REQUIRETLSX",
 * "AUTH=PLAIN" and a parameter of another keyword do not count. Lines that are not valid
 * ehlo-lines (RFC 5321 4.1.1.1) are ignored.
 * Returns FALSE with RTLS_ERROR_PROTOCOL if the reply is not complete or its code is not 250. */
gboolean rtls_caps_parse_ehlo (const RtlsReply *reply, RtlsCaps *caps, GError **error);

/* TRUE if @mech (case-insensitive) is among caps->auth_mechs. */
gboolean rtls_caps_has_auth (const RtlsCaps *caps, const char *mech);

G_END_DECLS
