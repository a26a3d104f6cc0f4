/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * stream.c: sockets, GnuTLS records and timeouts behind a libetpan mailstream.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec.h"
#include "errors.h"
#include "stream.h"

/* Large enough that the body goes out in full-size TLS records (16 KiB each), not one
 * record per line (DESIGN §3). */
#define RTLS_STREAM_BUFFER (64 * 1024)

struct _RtlsStream {
	int fd;           /* the connected socket, non-blocking */
	RtlsTls *tls;     /* NULL until TLS is up */
	mailstream *ms;   /* buffered stream over stream_driver */
	guint timeout_ms; /* per read/write wait */
	gboolean verbose; /* transcript on stderr */
	GError *io_error; /* set by the low driver, taken by the caller */
	gchar *host;      /* for messages */
};

static gboolean
stream_poll (RtlsStream *st, gboolean want_write)
{
	gint64 deadline = g_get_monotonic_time () + (gint64) st->timeout_ms * 1000;

	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
		struct pollfd pfd = { .fd = st->fd, .events = want_write ? POLLOUT : POLLIN };
		int r;

		if (left <= 0) {
			g_clear_error (&st->io_error);
			g_set_error (&st->io_error, RTLS_ERROR, RTLS_ERROR_CONNECT,
			             _ ("%s did not answer within %u seconds"), st->host,
			             st->timeout_ms / 1000);
			return FALSE;
		}
		r = poll (&pfd, 1, (int) MIN (left, G_MAXINT));
		if (r > 0)
			return TRUE;
		if (r < 0 && errno != EINTR) {
			g_clear_error (&st->io_error);
			g_set_error (&st->io_error, RTLS_ERROR, RTLS_ERROR_CONNECT, "poll: %s",
			             g_strerror (errno));
			return FALSE;
		}
	}
}

static void
stream_set_io_error (RtlsStream *st, int code, const char *what, const char *detail)
{
	g_clear_error (&st->io_error);
	g_set_error (&st->io_error, RTLS_ERROR, code, _ ("connection to %s: %s (%s)"), st->host,
	             what, detail);
}

static ssize_t
stream_low_read (mailstream_low *low, void *buf, size_t count)
{
	RtlsStream *st = low->data;

	for (;;) {
		ssize_t r;

		if (st->tls != NULL) {
			gnutls_session_t s = rtls_tls_session (st->tls);
			if (gnutls_record_check_pending (s) == 0 && !stream_poll (st, FALSE))
				return -1;
			r = gnutls_record_recv (s, buf, count);
			if (r >= 0)
				return r;
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
				continue;
			if (r == GNUTLS_E_PREMATURE_TERMINATION)
				return 0; /* closed without close_notify: an EOF for our purposes */
			stream_set_io_error (st, RTLS_ERROR_TLS, _ ("TLS read failed"),
			                     gnutls_strerror ((int) r));
			return -1;
		}
		if (!stream_poll (st, FALSE))
			return -1;
		r = read (st->fd, buf, count);
		if (r >= 0)
			return r;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		stream_set_io_error (st, RTLS_ERROR_CONNECT, _ ("read failed"), g_strerror (errno));
		return -1;
	}
}

static ssize_t
stream_low_write (mailstream_low *low, const void *buf, size_t count)
{
	RtlsStream *st = low->data;

	for (;;) {
		ssize_t r;

		if (st->tls != NULL) {
			r = gnutls_record_send (rtls_tls_session (st->tls), buf, count);
			if (r >= 0)
				return r;
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
				if (!stream_poll (st, TRUE))
					return -1;
				continue;
			}
			stream_set_io_error (st, RTLS_ERROR_CONNECT, _ ("TLS write failed"),
			                     gnutls_strerror ((int) r));
			return -1;
		}
		r = send (st->fd, buf, count, MSG_NOSIGNAL);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!stream_poll (st, TRUE))
				return -1;
			continue;
		}
		stream_set_io_error (st, RTLS_ERROR_CONNECT, _ ("write failed"),
		                     g_strerror (errno));
		return -1;
	}
}

static int
stream_low_close (mailstream_low *low)
{
	return 0; /* the socket and the session belong to RtlsStream */
}

static int
stream_low_get_fd (mailstream_low *low)
{
	RtlsStream *st = low->data;
	return st->fd;
}

static void
stream_low_free (mailstream_low *low)
{
	free (low);
}

static void
stream_low_cancel (mailstream_low *low)
{
}

static mailstream_low_driver stream_driver = {
	.mailstream_read = stream_low_read,
	.mailstream_write = stream_low_write,
	.mailstream_close = stream_low_close,
	.mailstream_get_fd = stream_low_get_fd,
	.mailstream_free = stream_low_free,
	.mailstream_cancel = stream_low_cancel,
};

static int
stream_connect_one (const struct addrinfo *ai, guint timeout_ms, int *err)
{
	int fd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	                 ai->ai_protocol);
	int one = 1;
	struct pollfd pfd;
	socklen_t len = sizeof *err;
	int r;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect (fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		close (fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		r = poll (&pfd, 1, (int) timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		*err = ETIMEDOUT;
		close (fd);
		return -1;
	}
	if (r < 0 || getsockopt (fd, SOL_SOCKET, SO_ERROR, err, &len) < 0 || *err != 0) {
		if (r < 0)
			*err = errno;
		close (fd);
		return -1;
	}
	return fd;
}

RtlsStream *
rtls_stream_connect (const char *host, guint port, guint timeout_ms, GError **error)
{
	struct addrinfo hints
	        = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	g_autofree gchar *service = g_strdup_printf ("%u", port);
	int fd = -1, err = 0, r;
	RtlsStream *st;
	mailstream_low *low;

	r = getaddrinfo (host, service, &hints, &res);
	if (r == EAI_NONAME && (hints.ai_flags & AI_ADDRCONFIG)) {
		/* AI_ADDRCONFIG hides loopback addresses on a host without other interfaces. */
		hints.ai_flags = 0;
		r = getaddrinfo (host, service, &hints, &res);
	}
	if (r != 0) {
		gboolean nohost = r == EAI_NONAME
#ifdef EAI_NODATA
		                  || r == EAI_NODATA
#endif
		        ;
		g_set_error (error, RTLS_ERROR, nohost ? RTLS_ERROR_NOHOST : RTLS_ERROR_CONNECT,
		             _ ("cannot resolve %s: %s"), host, gai_strerror (r));
		return NULL;
	}
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = stream_connect_one (ai, timeout_ms, &err);
	freeaddrinfo (res);
	if (fd < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONNECT,
		             _ ("cannot connect to %s port %u: %s"), host, port,
		             err == ETIMEDOUT ? _ ("timed out") : g_strerror (err));
		return NULL;
	}

	st = g_new0 (RtlsStream, 1);
	st->fd = fd;
	st->timeout_ms = timeout_ms;
	st->host = g_strdup (host);
	low = mailstream_low_new (st, &stream_driver);
	st->ms = low != NULL ? mailstream_new (low, RTLS_STREAM_BUFFER) : NULL;
	if (st->ms == NULL) {
		if (low != NULL)
			mailstream_low_free (low);
		rtls_stream_free (st);
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "out of memory");
		return NULL;
	}
	return st;
}

void
rtls_stream_free (RtlsStream *st)
{
	if (st == NULL)
		return;
	if (st->ms != NULL)
		mailstream_close (st->ms);
	rtls_tls_free (st->tls);
	if (st->fd >= 0)
		close (st->fd);
	g_clear_error (&st->io_error);
	g_free (st->host);
	g_free (st);
}

void
rtls_stream_set_timeout (RtlsStream *st, guint timeout_ms)
{
	st->timeout_ms = timeout_ms;
}

void
rtls_stream_set_verbose (RtlsStream *st, gboolean verbose)
{
	st->verbose = verbose;
}

RtlsTls *
rtls_stream_tls (RtlsStream *st)
{
	return st->tls;
}

gboolean
rtls_stream_has_pending_input (RtlsStream *st)
{
	struct pollfd pfd = { .fd = st->fd, .events = POLLIN };

	if (st->ms->read_buffer_len > 0)
		return TRUE;
	if (st->tls != NULL && gnutls_record_check_pending (rtls_tls_session (st->tls)) > 0)
		return TRUE;
	/* Bytes already on the socket (before TLS these would be injected plaintext). */
	return st->tls == NULL && poll (&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

gboolean
rtls_stream_start_tls (RtlsStream *st, const RtlsTlsConfig *config, GError **error)
{
	g_autoptr (RtlsTls) tls = NULL;

	g_return_val_if_fail (st->tls == NULL, FALSE);
	if (rtls_stream_has_pending_input (st)) {
		/* RFC 3207 5 / CVE-2011-0411: anything after the 220 arrived in plaintext and
		 * would be read as if it came over TLS. */
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_PROTOCOL,
		             _ ("%s sent data after its STARTTLS reply, before the TLS handshake "
		                "(possible injection); giving up"),
		             st->host);
		return FALSE;
	}
	tls = rtls_tls_new (st->fd, config, error);
	if (tls == NULL)
		return FALSE;
	if (!rtls_tls_handshake (tls, st->timeout_ms, error))
		return FALSE;
	st->tls = g_steal_pointer (&tls);
	if (st->verbose)
		g_printerr ("--- TLS: %s, %s, certificate verified for %s\n",
		            rtls_tls_version (st->tls), rtls_tls_cipher (st->tls), config->host);
	return TRUE;
}

static gboolean
stream_take_io_error (RtlsStream *st, GError **error, const char *fallback)
{
	if (st->io_error != NULL)
		g_propagate_error (error, g_steal_pointer (&st->io_error));
	else
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONNECT, "%s", fallback);
	return FALSE;
}

gboolean
rtls_stream_write (RtlsStream *st, const char *data, gsize len, GError **error)
{
	if (mailstream_write (st->ms, data, len) != (ssize_t) len)
		return stream_take_io_error (st, error, _ ("write failed"));
	return TRUE;
}

gboolean
rtls_stream_write_command (RtlsStream *st, const char *line, const char *trace, GError **error)
{
	if (st->verbose) {
		g_autofree gchar *clean = rtls_sanitize (trace != NULL ? trace : line, -1, 1000);
		g_printerr (">>> %s\n", clean);
	}
	return rtls_stream_write (st, line, strlen (line), error)
	       && rtls_stream_write (st, "\r\n", 2, error);
}

gboolean
rtls_stream_flush (RtlsStream *st, GError **error)
{
	if (mailstream_flush (st->ms) != 0)
		return stream_take_io_error (st, error, _ ("write failed"));
	return TRUE;
}

/* Reads one line (terminator included) of at most @max bytes into @line, straight out of
 * the mailstream's read buffer, so that an endless line never grows memory. */
static gboolean
stream_read_line (RtlsStream *st, GString *line, gsize max, GError **error)
{
	mailstream *ms = st->ms;

	g_string_truncate (line, 0);
	for (;;) {
		const char *nl;
		gsize take;

		if (ms->read_buffer_len == 0) {
			ssize_t r = mailstream_feed_read_buffer (ms);
			if (r < 0)
				return stream_take_io_error (st, error, _ ("read failed"));
			if (r == 0) {
				g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONNECT,
				             _ ("%s closed the connection"), st->host);
				return FALSE;
			}
		}
		nl = memchr (ms->read_buffer, '\n', ms->read_buffer_len);
		take = nl != NULL ? (gsize) (nl - ms->read_buffer) + 1 : ms->read_buffer_len;
		if (line->len + take > max) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_PROTOCOL,
			             _ ("%s sent a reply line longer than %u bytes"), st->host,
			             (guint) MIN (max, G_MAXUINT));
			return FALSE;
		}
		g_string_append_len (line, ms->read_buffer, take);
		ms->read_buffer_len -= take;
		memmove (ms->read_buffer, ms->read_buffer + take, ms->read_buffer_len);
		if (nl != NULL)
			return TRUE;
	}
}

RtlsReply *
rtls_stream_read_reply (RtlsStream *st, GError **error)
{
	g_autoptr (RtlsReply) reply = rtls_reply_new ();
	g_autoptr (GString) line = g_string_sized_new (128);

	while (!reply->complete) {
		if (!stream_read_line (st, line, RTLS_REPLY_MAX_LINE, error))
			return NULL;
		if (st->verbose) {
			g_autofree gchar *clean
			        = rtls_sanitize (line->str, (gssize) line->len, 1000);
			g_printerr ("<<< %s\n", g_strchomp (clean));
		}
		if (!rtls_reply_feed_line (reply, line->str, line->len, error)) {
			g_prefix_error (error, _ ("%s: "), st->host);
			return NULL;
		}
	}
	return g_steal_pointer (&reply);
}
