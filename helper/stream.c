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
#include <arpa/inet.h>
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

/* The read buffer, and the most plaintext collected before TLS. */
#define RTLS_STREAM_BUFFER (64 * 1024)
/* What goes out in one write through TLS: sixteen full records of 16 KiB (RFC 8446 5.1),
 * collected with the session corked and sent together when it is uncorked. Only the last
 * record of a flush may be shorter (DESIGN §3: large records, not one per line). */
#define RTLS_TLS_RECORD (16 * 1024)
#define RTLS_TLS_BATCH (16 * RTLS_TLS_RECORD)

struct _RtlsStream {
	int fd;               /* the connected socket, non-blocking */
	RtlsTls *tls;         /* NULL until TLS is up */
	mailstream *ms;       /* buffered stream over stream_driver */
	guint timeout_ms;     /* budget of one operation: a whole reply, one write, a handshake */
	gint64 op_deadline;   /* monotonic µs: end of the current operation */
	gint64 hard_deadline; /* monotonic µs: end of the whole submission (0: none) */
	guint max_time;       /* seconds, for the message (0: none) */
	gboolean verbose;     /* transcript on stderr */
	GError *io_error;     /* set by the low driver, taken by the caller */
	GByteArray *wbuf;     /* plaintext writes not yet sent (before TLS) */
	gboolean corked;      /* TLS records are being collected (gnutls_record_cork) */
	gsize corked_len;     /* bytes handed to GnuTLS since it was corked */
	gboolean batching;    /* GnuTLS's records go to cbuf, not the socket */
	GByteArray *cbuf;     /* records of one uncork, sent in one write */
	gchar *host;          /* for messages */
};

/* Starts one operation: it must end within the timeout (and the whole submission within
 * --max-time). The clock does not restart with each byte: a server that drips a reply one
 * byte a second is cut off as surely as one that sends nothing. */
static void
stream_begin (RtlsStream *st)
{
	st->op_deadline = g_get_monotonic_time () + (gint64) st->timeout_ms * 1000;
}

static gint64
stream_deadline (const RtlsStream *st)
{
	if (st->hard_deadline != 0 && st->hard_deadline < st->op_deadline)
		return st->hard_deadline;
	return st->op_deadline;
}

static gboolean
stream_poll (RtlsStream *st, gboolean want_write)
{
	for (;;) {
		gint64 deadline = stream_deadline (st);
		gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
		struct pollfd pfd = { .fd = st->fd, .events = want_write ? POLLOUT : POLLIN };
		int r;

		if (left <= 0) {
			g_clear_error (&st->io_error);
			if (st->hard_deadline != 0 && deadline == st->hard_deadline)
				g_set_error (&st->io_error, RTLS_ERROR, RTLS_ERROR_CONNECT,
				             _ ("the submission to %s took longer than %u seconds "
				                "(--max-time)"),
				             st->host, st->max_time);
			else if (want_write)
				g_set_error (&st->io_error, RTLS_ERROR, RTLS_ERROR_CONNECT,
				             _ ("%s did not accept data within %u seconds"),
				             st->host, st->timeout_ms / 1000);
			else
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

/* GnuTLS's writer once TLS is up: while an uncork runs, the records are collected (and
 * sent together by stream_uncork); otherwise written at once (close_notify and the like). */
static ssize_t
stream_vec_push (gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	RtlsStream *st = ptr;
	struct msghdr mh = { .msg_iov = (struct iovec *) iov, .msg_iovlen = (size_t) iovcnt };
	ssize_t r;

	if (st->batching) {
		gsize total = 0;
		for (int i = 0; i < iovcnt; i++) {
			g_byte_array_append (st->cbuf, iov[i].iov_base, (guint) iov[i].iov_len);
			total += iov[i].iov_len;
		}
		return (ssize_t) total;
	}
	r = sendmsg (st->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (r < 0)
		gnutls_transport_set_errno (rtls_tls_session (st->tls), errno);
	return r;
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
stream_connect_one (const struct addrinfo *ai, gint64 deadline, int *err)
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
	do {
		gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
		r = left > 0 ? poll (&pfd, 1, (int) MIN (left, G_MAXINT)) : 0;
	} while (r < 0 && errno == EINTR);
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
rtls_stream_connect (const char *host, guint port, guint timeout_ms, guint max_time,
                     gint64 hard_deadline, GError **error)
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
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
		if (hard_deadline != 0 && hard_deadline < deadline)
			deadline = hard_deadline;
		fd = stream_connect_one (ai, deadline, &err);
	}
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
	st->hard_deadline = hard_deadline;
	st->max_time = max_time;
	st->host = g_strdup (host);
	st->wbuf = g_byte_array_new ();
	st->cbuf = g_byte_array_new ();
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
	if (st->wbuf != NULL)
		g_byte_array_unref (st->wbuf);
	if (st->cbuf != NULL)
		g_byte_array_unref (st->cbuf);
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
	mailstream *ms = st->ms;

	if (ms->read_buffer_len > 0)
		return TRUE;
	if (st->tls != NULL && gnutls_record_check_pending (rtls_tls_session (st->tls)) > 0)
		return TRUE;
	/* The socket itself: bytes may be waiting that no TLS record has yet been read from.
	 * Read what is there without waiting, into the stream's buffer (the data stays for
	 * the transcript). Through TLS only application data counts: a TLS 1.3 session ticket
	 * or key update is consumed by GnuTLS and reads as "nothing yet". */
	for (int round = 0; round < 64; round++) {
		struct pollfd pfd = { .fd = st->fd, .events = POLLIN };
		ssize_t r;

		if (poll (&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			return FALSE;
		if (st->tls != NULL) {
			r = gnutls_record_recv (rtls_tls_session (st->tls), ms->read_buffer,
			                        ms->buffer_max_size);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED
			    || r == GNUTLS_E_REHANDSHAKE)
				continue;
		} else {
			r = read (st->fd, ms->read_buffer, ms->buffer_max_size);
			if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
				continue;
		}
		if (r > 0) {
			ms->read_buffer_len = (size_t) r;
			return TRUE;
		}
		return FALSE; /* closed or failed: the next read reports it */
	}
	return FALSE;
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
	stream_begin (st);
	if (!rtls_tls_handshake (tls, stream_deadline (st), error))
		return FALSE;
	st->tls = g_steal_pointer (&tls);
	/* From here GnuTLS writes through us, so that the records of one uncork leave in one
	 * write instead of one sendmsg() each. */
	gnutls_transport_set_ptr2 (rtls_tls_session (st->tls), GINT_TO_POINTER (st->fd), st);
	gnutls_transport_set_vec_push_function (rtls_tls_session (st->tls), stream_vec_push);
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

/* Sends the plaintext buffer (before TLS). */
static gboolean
stream_flush_plain (RtlsStream *st, GError **error)
{
	gsize done = 0;

	while (done < st->wbuf->len) {
		ssize_t r = stream_low_write (st->ms->low, st->wbuf->data + done,
		                              st->wbuf->len - done);
		if (r < 0) {
			g_byte_array_set_size (st->wbuf, 0);
			return stream_take_io_error (st, error, _ ("write failed"));
		}
		done += (gsize) r;
	}
	g_byte_array_set_size (st->wbuf, 0);
	return TRUE;
}

/* Sends every record collected while corked: GnuTLS encrypts them into cbuf (through
 * stream_vec_push), and they leave in as few writes as the socket takes. */
static gboolean
stream_uncork (RtlsStream *st, GError **error)
{
	gnutls_session_t s = rtls_tls_session (st->tls);
	gsize done = 0;
	int r;

	if (!st->corked)
		return TRUE;
	st->batching = TRUE;
	r = gnutls_record_uncork (s, 0);
	st->batching = FALSE;
	st->corked = FALSE;
	st->corked_len = 0;
	if (r < 0) {
		g_byte_array_set_size (st->cbuf, 0);
		stream_set_io_error (st, RTLS_ERROR_CONNECT, _ ("TLS write failed"),
		                     gnutls_strerror (r));
		return stream_take_io_error (st, error, _ ("write failed"));
	}
	while (done < st->cbuf->len) {
		ssize_t w = send (st->fd, st->cbuf->data + done, st->cbuf->len - done,
		                  MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w >= 0) {
			done += (gsize) w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && stream_poll (st, TRUE))
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			stream_set_io_error (st, RTLS_ERROR_CONNECT, _ ("write failed"),
			                     g_strerror (errno));
		g_byte_array_set_size (st->cbuf, 0);
		return stream_take_io_error (st, error, _ ("write failed"));
	}
	g_byte_array_set_size (st->cbuf, 0);
	return TRUE;
}

gboolean
rtls_stream_write (RtlsStream *st, const char *data, gsize len, GError **error)
{
	gnutls_session_t s;

	stream_begin (st);
	if (st->tls == NULL) {
		g_byte_array_append (st->wbuf, (const guint8 *) data, (guint) len);
		return st->wbuf->len < RTLS_STREAM_BUFFER || stream_flush_plain (st, error);
	}
	s = rtls_tls_session (st->tls);
	while (len > 0) {
		gsize n = MIN (len, RTLS_TLS_BATCH - st->corked_len);
		ssize_t r;

		if (!st->corked) {
			gnutls_record_cork (s);
			st->corked = TRUE;
		}
		/* Corked, GnuTLS only collects: no I/O, and all of it is taken. */
		r = gnutls_record_send (s, data, n);
		if (r < 0 || (gsize) r != n) {
			stream_set_io_error (
			        st, RTLS_ERROR_CONNECT, _ ("TLS write failed"),
			        gnutls_strerror (r < 0 ? (int) r : GNUTLS_E_INTERNAL_ERROR));
			return stream_take_io_error (st, error, _ ("write failed"));
		}
		st->corked_len += n;
		data += n;
		len -= n;
		if (st->corked_len == RTLS_TLS_BATCH && !stream_uncork (st, error))
			return FALSE;
	}
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
	stream_begin (st);
	if (st->tls == NULL)
		return stream_flush_plain (st, error);
	return stream_uncork (st, error);
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

	stream_begin (st); /* one deadline for the whole reply, however it trickles in */
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

gchar *
rtls_stream_default_helo (RtlsStream *st)
{
	char name[256] = "";
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char addr[INET6_ADDRSTRLEN] = "";
	gchar *fqdn = NULL;

	/* This machine's fully qualified name, from its host name or the resolver's canonical
	 * name for it (/etc/hosts first, usually). "localhost" and its kin do not count. */
	if (gethostname (name, sizeof name - 1) == 0 && name[0] != '\0') {
		if (strchr (name, '.') != NULL) {
			fqdn = g_strdup (name);
		} else {
			struct addrinfo hints
			        = { .ai_family = AF_UNSPEC, .ai_flags = AI_CANONNAME };
			struct addrinfo *res = NULL;
			if (getaddrinfo (name, NULL, &hints, &res) == 0 && res != NULL
			    && res->ai_canonname != NULL)
				fqdn = g_strdup (res->ai_canonname);
			if (res != NULL)
				freeaddrinfo (res);
		}
	}
	if (fqdn != NULL) {
		gchar *lower = g_ascii_strdown (fqdn, -1);
		gboolean good = strchr (lower, '.') != NULL
		                && !g_str_has_prefix (lower, "localhost")
		                && !g_hostname_is_ip_address (lower) && rtls_domain_valid (lower);
		g_free (lower);
		if (good)
			return fqdn;
		g_free (fqdn);
	}
	/* RFC 5321 4.1.4: without a name, the address literal of our end of the connection. */
	if (getsockname (st->fd, (struct sockaddr *) &ss, &len) == 0) {
		if (ss.ss_family == AF_INET
		    && inet_ntop (AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, addr,
		                  sizeof addr))
			return g_strdup_printf ("[%s]", addr);
		if (ss.ss_family == AF_INET6) {
			struct in6_addr *a6 = &((struct sockaddr_in6 *) &ss)->sin6_addr;
			if (IN6_IS_ADDR_V4MAPPED (a6)
			    && inet_ntop (AF_INET, &a6->s6_addr[12], addr, sizeof addr))
				return g_strdup_printf ("[%s]", addr);
			if (inet_ntop (AF_INET6, a6, addr, sizeof addr))
				return g_strdup_printf ("[IPv6:%s]", addr);
		}
	}
	return g_strdup ("[127.0.0.1]");
}
