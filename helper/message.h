/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * message.h: the RFC 5322 message handed to the helper: header parsing and editing,
 * recipients from headers (libetpan's mailimf parser), and loading from a file descriptor
 * in constant memory (the body is never held in memory).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RTLS_HEADERS_MAX_BYTES (1024 * 1024) /* header block bound */
#define RTLS_HEADER_MAX_LINE 998             /* RFC 5322 2.1.1 */
#define RTLS_BODY_WINDOW (1024 * 1024)       /* bytes of the body mapped at a time */

/* One header field as it appeared: name and the raw value (everything after the colon,
 * folding kept, line ends normalised to CRLF, no final CRLF). */
typedef struct {
	gchar *name;
	gchar *value;
} RtlsHeaderField;

typedef struct {
	GPtrArray *fields; /* RtlsHeaderField*, in order */
} RtlsHeaders;

void rtls_headers_free (RtlsHeaders *headers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsHeaders, rtls_headers_free)

/* rtls_headers_parse:
 * Parses a header block of @len bytes (up to, not including, the empty line that ends it).
 * Lines end in CRLF or LF; a last line without line end is accepted. A leading mbox
 * "From " line is dropped. Continuation lines (starting with SP/HTAB) join the previous field.
 * Errors (RTLS_ERROR_MESSAGE): NUL byte, a line that is neither a field (name of printable
 * ASCII 33..126 except ':', then ':') nor a continuation, a continuation before any field, a
 * line over RTLS_HEADER_MAX_LINE bytes, no field at all. */
RtlsHeaders *rtls_headers_parse (const char *block, gsize len, GError **error);

/* Number of fields named @name (case-insensitive). */
guint rtls_headers_count (const RtlsHeaders *headers, const char *name);

/* The raw value of the first field named @name (case-insensitive), or NULL. Not a copy. */
const char *rtls_headers_get (const RtlsHeaders *headers, const char *name);

/* Removes every field named @name (case-insensitive); returns how many were removed. */
guint rtls_headers_remove (RtlsHeaders *headers, const char *name);

/* Appends "name: value". */
void rtls_headers_append (RtlsHeaders *headers, const char *name, const char *value);

/* The block as sent: every field as "Name:value\r\n" (continuation lines CRLF-terminated),
 * then the empty line "\r\n". Caller frees; *len gets the length. */
gchar *rtls_headers_serialize (const RtlsHeaders *headers, gsize *len);

typedef enum {
	RTLS_TLS_POLICY_DEFAULT,    /* leave TLS-Required alone */
	RTLS_TLS_POLICY_REQUIRE,    /* REQUIRETLS: remove every TLS-Required field (RFC 8689 5) */
	RTLS_TLS_POLICY_NO_REQUIRE, /* exactly one "TLS-Required: No" (RFC 8689 4) */
} RtlsTlsPolicy;

/* rtls_headers_prepare_for_submission:
 * The edits every submission gets: removes Bcc (and, with @resent, Resent-Bcc), the plugin's
 * private "X-RequireTLS-Request" marker and Postfix's "Require-TLS-ESMTP"; applies @policy:
 * REQUIRE removes every TLS-Required field (any case), NO_REQUIRE replaces them with exactly
 * one "TLS-Required: No". */
void rtls_headers_prepare_for_submission (RtlsHeaders *headers, RtlsTlsPolicy policy,
                                          gboolean resent);

/* rtls_address_list_parse:
 * Parses an RFC 5322 address-list (display names, comments, quoted local parts, groups)
 * with libetpan's mailimf parser and appends each addr-spec (as "local@domain", newly
 * allocated) to @out. An empty group contributes nothing. Returns FALSE with
 * RTLS_ERROR_MESSAGE when the text is not a valid address list or is empty. */
gboolean rtls_address_list_parse (const char *text, GPtrArray *out, GError **error);

/* rtls_headers_recipients:
 * sendmail -t: when any Resent-To/-Cc/-Bcc field exists, the recipients are those of the
 * Resent- fields only and *resent is set; otherwise those of To, Cc and Bcc. Duplicates
 * (case-insensitive) are removed, order kept. Appends to @out; FALSE with RTLS_ERROR_MESSAGE
 * on an unparsable field. */
gboolean rtls_headers_recipients (const RtlsHeaders *headers, GPtrArray *out, gboolean *resent,
                                  GError **error);

/* rtls_headers_sender: the address for the default envelope sender: Sender if present,
 * else the first mailbox of From. NULL with RTLS_ERROR_MESSAGE if neither parses. */
gchar *rtls_headers_sender (const RtlsHeaders *headers, GError **error);

/* A loaded message: edited headers in memory, body left in a file. */
typedef struct {
	RtlsHeaders *headers;  /* parsed header block */
	int body_fd;           /* readable fd positioned anywhere; owned, closed by free */
	goffset body_offset;   /* where the body starts in body_fd */
	guint64 body_size;     /* raw body bytes */
	gboolean body_8bit;    /* the body has bytes >= 0x80 */
	gboolean headers_8bit; /* the header block has bytes >= 0x80 */
	gboolean body_nul;     /* the body has NUL bytes */
	guint64 body_lf;       /* LF bytes in the body */
	guint64 body_cr;       /* CR bytes in the body */
	guint64 body_crlf;     /* CR LF pairs in the body */
	guint64 body_dots;     /* dots that start a line after an LF (or the body) */
	int body_last;         /* the body's last byte, -1 when empty */
} RtlsMessage;

void rtls_message_free (RtlsMessage *msg);

/* rtls_message_check: what a loaded message must be before anything is sent: FALSE with
 * RTLS_ERROR_MESSAGE when its body holds a NUL byte (the header block is refused for one
 * already by rtls_message_load(), with the same sentence). */
gboolean rtls_message_check (const RtlsMessage *msg, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsMessage, rtls_message_free)

/* rtls_message_load:
 * Reads a message from @fd (not closed, not owned). When @fd is a seekable regular file the
 * body is read from a dup() of it in place; otherwise the input is spooled to an anonymous
 * temporary file (O_TMPFILE in g_get_tmp_dir(), else mkstemp+unlink). Memory use is bounded
 * by the header block. The body is scanned once for 8-bit and NUL bytes.
 * Errors: RTLS_ERROR_IO (read/spool failure), RTLS_ERROR_MESSAGE (empty input, header block
 * larger than RTLS_HEADERS_MAX_BYTES, or rtls_headers_parse() errors). */
RtlsMessage *rtls_message_load (int fd, GError **error);

/* The body's length once every line ends in CRLF (RFC 5321 2.3.8), as the DATA/BDAT
 * encoder makes it: bare LF and bare CR become CRLF, and a last line without one gets it.
 * Exact for BDAT (no dot-stuffing). */
guint64 rtls_message_body_size_crlf (const RtlsMessage *msg);

/* TRUE if the encoder would leave the body as it is: every line ends in CRLF, and, with
 * @dot_stuff (DATA), none starts with a dot. Such a body goes out straight from the file. */
gboolean rtls_message_body_clean (const RtlsMessage *msg, gboolean dot_stuff);

/* A read-only mapping of part of the body (one read of the file, in place; unmapped as the
 * data goes out, so memory stays flat). */
typedef struct {
	void *base;
	gsize size;
} RtlsBodyWindow;

/* rtls_message_body_window: maps up to @max body bytes from body position @pos; returns a
 * pointer to them with *len set (NULL with *len 0 at the end), or NULL with RTLS_ERROR_IO
 * when the file cannot be mapped. Release @win with rtls_body_window_release(). */
const char *rtls_message_body_window (const RtlsMessage *msg, guint64 pos, gsize max, gsize *len,
                                      RtlsBodyWindow *win, GError **error);
void rtls_body_window_release (RtlsBodyWindow *win);

/* rtls_message_read_body: reads up to @len body bytes at body position @pos (0-based) into
 * @buf with pread(); returns bytes read (0 at end) or -1 with RTLS_ERROR_IO. */
gssize rtls_message_read_body (const RtlsMessage *msg, guint64 pos, char *buf, gsize len,
                               GError **error);

G_END_DECLS
