/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * stream.h: the only code that touches sockets, GnuTLS records and timeouts. A libetpan
 * mailstream over our own low driver gives buffered I/O; replies are read with bounds.
 */
#pragma once

#include <glib.h>

#include "smtp_reply.h"
#include "tls.h"

G_BEGIN_DECLS

typedef struct _RtlsStream RtlsStream;

/* rtls_stream_connect:
 * Resolves @host and connects to each address in turn within @timeout_ms each, with
 * TCP_NODELAY (the body is written in large records, so Nagle only adds stalls).
 * @hard_deadline (monotonic µs, 0 for none) bounds everything done on the stream, the
 * connect included; @max_time is the number of seconds it stands for, for messages.
 * Errors: RTLS_ERROR_NOHOST (name does not exist), RTLS_ERROR_CONNECT. */
RtlsStream *rtls_stream_connect (const char *host, guint port, guint timeout_ms, guint max_time,
                                 gint64 hard_deadline, GError **error);

void rtls_stream_free (RtlsStream *stream);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsStream, rtls_stream_free)

/* The budget of each later operation: one complete reply, one write (a command or a body
 * chunk), one flush, one TLS handshake. It does not restart with each byte. */
void rtls_stream_set_timeout (RtlsStream *stream, guint timeout_ms);

/* Prints "<<< line" / ">>> line" on stderr (sanitised) when on. */
void rtls_stream_set_verbose (RtlsStream *stream, gboolean verbose);

/* rtls_stream_start_tls:
 * Starts TLS on the connection (implicit TLS right after connect, or after a 220 to
 * STARTTLS). Fails with RTLS_ERROR_PROTOCOL if the server already sent bytes we have not
 * read (RFC 3207 5: plaintext injected before the handshake must not be kept), otherwise as
 * rtls_tls_handshake(). */
gboolean rtls_stream_start_tls (RtlsStream *stream, const RtlsTlsConfig *config, GError **error);

/* The TLS session, or NULL before TLS. */
RtlsTls *rtls_stream_tls (RtlsStream *stream);

/* Buffered write of raw bytes. @trace is what -v shows for it (NULL: nothing). */
gboolean rtls_stream_write (RtlsStream *stream, const char *data, gsize len, GError **error);

/* Writes "@line\r\n"; -v shows @trace instead of the line when @trace is not NULL. */
gboolean rtls_stream_write_command (RtlsStream *stream, const char *line, const char *trace,
                                    GError **error);

gboolean rtls_stream_flush (RtlsStream *stream, GError **error);

/* rtls_stream_read_reply:
 * Reads one complete reply, bounded as smtp_reply.h says. Errors: RTLS_ERROR_PROTOCOL
 * (malformed, oversize), RTLS_ERROR_CONNECT (closed, timed out, I/O), RTLS_ERROR_TLS. */
RtlsReply *rtls_stream_read_reply (RtlsStream *stream, GError **error);

/* TRUE if bytes the server sent are waiting unread: in our buffer, in the TLS layer or on
 * the socket itself (read without waiting; through TLS, application data only). */
gboolean rtls_stream_has_pending_input (RtlsStream *stream);

/* The EHLO name when none is configured (RFC 5321 4.1.4): this machine's fully qualified
 * domain name when it has one, else the address literal of the local end of the connection
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]"). Caller frees. */
gchar *rtls_stream_default_helo (RtlsStream *stream);

G_END_DECLS
