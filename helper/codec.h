/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * codec.h: pure byte transformations: sanitising untrusted text, RFC 3461 xtext,
 * and the streaming SMTP DATA encoder (dot-stuffing and CRLF normalisation).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* rtls_sanitize:
 * A copy of untrusted text (server replies, header values) that is safe to show or log:
 * valid UTF-8 printable characters are kept; control characters (C0, DEL, C1), Unicode
 * format characters (Cf, e.g. bidi overrides), invalid UTF-8 bytes and NUL become '?';
 * CR, LF and TAB become a single space. At most @max_chars characters are kept; when text is
 * cut, "..." is appended. @len may be -1 for NUL-terminated input. Never returns NULL. */
gchar *rtls_sanitize (const char *text, gssize len, gsize max_chars);

/* RFC 3461 4: xtext. Encodes every byte outside 33..126, and '+' and '=', as "+HH"
 * (upper-case hex). Caller frees. */
gchar *rtls_xtext_encode (const char *text);

/* Decodes xtext; returns NULL with RTLS_ERROR_USAGE on a malformed "+HH" or a byte
 * outside 33..126. Caller frees. */
gchar *rtls_xtext_decode (const char *xtext, GError **error);

/* TRUE if @envid is acceptable as our ENVID: 1..100 characters after xtext encoding
 * (RFC 3461 4.4 limits ENVID to 100 characters). */
gboolean rtls_envid_valid (const char *envid);

/* rtls_mailbox_valid:
 * TRUE if @mailbox is an RFC 5321 4.1.2 Mailbox: Local-part (Dot-string or Quoted-string)
 * "@" Domain or address-literal ([IPv4] or [IPv6:...]; no General-address-literal, whose
 * content may hold "<" and ">"), at most 254 octets, valid
 * UTF-8. Non-ASCII is allowed where RFC 6531 3.3 allows it (atext, qtext, U-labels) and
 * reported in *@non_ascii (when not NULL): such an address needs SMTPUTF8. */
gboolean rtls_mailbox_valid (const char *mailbox, gboolean *non_ascii);

/* TRUE if @domain is an RFC 5321 Domain of ASCII labels (letters, digits, inner hyphens). */
gboolean rtls_domain_valid (const char *domain);

/* Streaming encoder for message content sent after DATA (RFC 5321 4.5.2 dot-stuffing,
 * 2.3.8 CRLF) or BDAT (CRLF only). Constant memory: state carries across chunks.
 * Line ends: CRLF stays CRLF; a bare LF and a bare CR each become CRLF. */
typedef struct {
	gboolean dot_stuff;     /* TRUE for DATA, FALSE for BDAT */
	gboolean at_line_start; /* next output byte starts a line */
	gboolean pending_cr;    /* the previous input byte was a CR not yet resolved */
	guint64 bytes_in;       /* input bytes consumed */
	guint64 bytes_out;      /* output bytes produced, terminator included after finish */
} RtlsEncoder;

void rtls_encoder_init (RtlsEncoder *enc, gboolean dot_stuff);

/* Upper bound of what rtls_encoder_feed() writes for @len input bytes. */
#define RTLS_ENCODER_OUT_MAX(len) (2 * (gsize) (len) + 4)

/* rtls_encoder_feed: encodes @len bytes of @in into @out, which must have room for
 * RTLS_ENCODER_OUT_MAX(len) bytes. Returns the number of bytes written. */
gsize rtls_encoder_feed (RtlsEncoder *enc, const char *in, gsize len, char *out);

/* rtls_encoder_finish: ends the content. Resolves a pending CR, adds CRLF when the last line
 * had no line end (and the content was not empty), and, with dot_stuff, the terminating
 * ".\r\n". @out needs room for 8 bytes. Returns the number of bytes written. */
gsize rtls_encoder_finish (RtlsEncoder *enc, char *out);

/* Writes all @len bytes of @buf to @fd, again after EINTR and short writes. FALSE (errno
 * set) when a write fails. */
gboolean rtls_write_all (int fd, const char *buf, gsize len);

G_END_DECLS
