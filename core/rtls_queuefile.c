/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_queuefile.c: reading Claws Mail queue files (pure logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_queuefile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "errors.h"
#include "message.h"

#define QUEUE_SPECIAL_MAX (256 * 1024) /* bound on Claws' special header block */
#define QUEUE_END "X-Claws-End-Special-Headers:"

void
rtls_queue_file_free (RtlsQueueFile *qf)
{
	if (qf == NULL)
		return;
	g_free (qf->sender);
	if (qf->recipients != NULL)
		g_ptr_array_unref (qf->recipients);
	g_free (qf->save_copy_folder);
	g_free (qf->reply_info);
	g_free (qf->forward_info);
	g_free (qf->marker);
	g_free (qf->tls_required);
	g_free (qf->message_id);
	g_free (qf->subject);
	g_free (qf);
}

gboolean
rtls_queue_parse_recipients (const char *value, GPtrArray *out, GError **error)
{
	const char *p = value;
	guint before = out->len;

	while (p != NULL && *p != '\0') {
		const char *open, *close;
		g_autofree gchar *addr = NULL;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		open = p;
		if (*open != '<')
			goto bad;
		/* An addr-spec holds no unquoted '>'; a quoted local part may. */
		close = open + 1;
		for (gboolean quoted = FALSE; *close != '\0'; close++) {
			if (*close == '\\' && quoted && close[1] != '\0')
				close++;
			else if (*close == '"')
				quoted = !quoted;
			else if (*close == '>' && !quoted)
				break;
		}
		if (*close != '>')
			goto bad;
		addr = g_strndup (open + 1, close - open - 1);
		if (*addr == '\0' || strchr (addr, '@') == NULL || strpbrk (addr, "\r\n") != NULL)
			goto bad;
		g_ptr_array_add (out, g_steal_pointer (&addr));
		p = close + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != ',')
			goto bad;
	}
	if (out->len == before) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the queue entry has no recipients"));
		return FALSE;
	}
	return TRUE;
bad:
	g_ptr_array_set_size (out, before);
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
	             _ ("the queue entry's recipient list cannot be read"));
	return FALSE;
}

/* The queue entry's prefix in memory: Claws' special headers and the message's header block,
 * read with read(2) so that every byte counts (fgets() would stop a line at a NUL and lose
 * the rest of it, and a shortened line can turn body lines into header fields). */
typedef struct {
	GByteArray *buf;      /* the first bytes of the file */
	gboolean eof;         /* buf holds the whole file */
	gsize special_len;    /* bytes of Claws' special headers, end line included (0: none) */
	gboolean has_special; /* the end line of the special headers was found */
	gsize header_len;     /* bytes of the message's header block, from special_len */
	gsize body_start;     /* offset of the first body byte (after the empty line) */
} QueuePrefix;

#define QUEUE_PREFIX_MAX (QUEUE_SPECIAL_MAX + RTLS_HEADERS_MAX_BYTES + 8)

static void
queue_prefix_clear (QueuePrefix *qp)
{
	if (qp->buf != NULL)
		g_byte_array_unref (qp->buf);
	memset (qp, 0, sizeof *qp);
}

static gboolean
queue_fail_line (GError **error, const char *path, guint lineno, const char *what)
{
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE, _ ("%s, line %u: %s"), path, lineno,
	             what);
	return FALSE;
}

/* Checks one line [p, p+len) (line end excluded): no NUL, no CR but as the last byte. */
static gboolean
queue_line_clean (const char *p, gsize len, const char *path, guint lineno, GError **error)
{
	const char *cr;

	if (memchr (p, '\0', len) != NULL)
		return queue_fail_line (error, path, lineno, _ ("NUL byte"));
	cr = memchr (p, '\r', len);
	if (cr != NULL && cr != p + len - 1)
		return queue_fail_line (error, path, lineno, _ ("bare CR"));
	return TRUE;
}

/* Reads the prefix of @path and splits it. With @want_special, Claws' special headers must
 * come first (a queue entry); otherwise they are skipped when present (drafts, plain
 * messages). Every line of both blocks is checked byte for byte. */
static gboolean
queue_prefix_read (const char *path, gboolean want_special, QueuePrefix *qp, GError **error)
{
	int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
	const char *data, *p, *end;
	guint lineno = 0;
	gboolean found_end = FALSE, in_special;

	memset (qp, 0, sizeof *qp);
	if (fd < 0) {
		int e = errno;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot open %s: %s"), path,
		             g_strerror (e));
		return FALSE;
	}
	qp->buf = g_byte_array_sized_new (16 * 1024);
	while (qp->buf->len < QUEUE_PREFIX_MAX) {
		guint8 chunk[16 * 1024];
		ssize_t r = read (fd, chunk, MIN (sizeof chunk, QUEUE_PREFIX_MAX - qp->buf->len));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close (fd);
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot read %s: %s"),
			             path, g_strerror (e));
			return FALSE;
		}
		if (r == 0) {
			qp->eof = TRUE;
			break;
		}
		g_byte_array_append (qp->buf, chunk, (guint) r);
	}
	close (fd);

	data = (const char *) qp->buf->data;
	end = data + qp->buf->len;
	/* Does the file start with Claws' special headers? Look for the end line. */
	for (p = data; p < end && (gsize) (p - data) < QUEUE_SPECIAL_MAX;) {
		const char *nl = memchr (p, '\n', (gsize) (end - p));
		if (nl == NULL)
			break;
		if ((gsize) (end - p) >= strlen (QUEUE_END)
		    && memcmp (p, QUEUE_END, strlen (QUEUE_END)) == 0) {
			found_end = TRUE;
			qp->special_len = (gsize) (nl + 1 - data);
			break;
		}
		p = nl + 1;
	}
	qp->has_special = found_end;
	if (want_special && !found_end) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("%s is not a complete Claws Mail queue entry"), path);
		return FALSE;
	}

	/* Every line, special headers and message header block, byte for byte. */
	in_special = found_end;
	for (p = data;;) {
		const char *nl, *eol;
		gsize len;

		if (!in_special && p == end) {
			if (!qp->eof) {
				g_set_error (
				        error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
				        _ ("%s: the message's header block is larger than 1 MiB"),
				        path);
				return FALSE;
			}
			/* A message that is all header. */
			qp->header_len = (gsize) (p - data) - qp->special_len;
			qp->body_start = (gsize) (p - data);
			return TRUE;
		}
		lineno++;
		nl = memchr (p, '\n', (gsize) (end - p));
		eol = nl != NULL ? nl : end;
		len = (gsize) (eol - p);
		if (nl == NULL && !qp->eof) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
			             _ ("%s: the message's header block is larger than 1 MiB"),
			             path);
			return FALSE;
		}
		if (!queue_line_clean (p, len, path, lineno, error))
			return FALSE;
		if (!in_special && (len == 0 || (len == 1 && *p == '\r'))) {
			/* The empty line that ends the header block. */
			qp->header_len = (gsize) (p - data) - qp->special_len;
			qp->body_start = (gsize) (eol - data) + (nl != NULL ? 1 : 0);
			return TRUE;
		}
		p = nl != NULL ? nl + 1 : end;
		if (in_special && (gsize) (p - data) == qp->special_len)
			in_special = FALSE;
	}
}

/* The value of a special header line [p, p+len) after its key, line end removed. */
static gchar *
queue_value (const char *p, gsize len, gsize keylen)
{
	gsize n = len - keylen;
	const char *v = p + keylen;

	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	return g_strndup (v, n);
}

static void
take_choice_fields (RtlsHeaders *h, gchar **marker, gchar **tls_required)
{
	const char *v;

	if ((v = rtls_headers_get (h, RTLS_MARKER_HEADER)) != NULL)
		*marker = g_strstrip (g_strdup (v));
	if ((v = rtls_headers_get (h, RTLS_TLS_REQUIRED_HEADER)) != NULL)
		*tls_required = g_strstrip (g_strdup (v));
}

static RtlsHeaders *
queue_prefix_headers (const QueuePrefix *qp, const char *path, GError **error)
{
	RtlsHeaders *h = rtls_headers_parse ((const char *) qp->buf->data + qp->special_len,
	                                     qp->header_len, error);
	if (h == NULL)
		g_prefix_error (error, "%s: ", path);
	return h;
}

RtlsQueueFile *
rtls_queue_file_read (const char *path, GError **error)
{
	g_autoptr (RtlsQueueFile) qf = g_new0 (RtlsQueueFile, 1);
	g_autoptr (RtlsHeaders) h = NULL;
	QueuePrefix qp;
	const char *data, *p, *end;
	const char *v;

	qf->account_id = -1;
	qf->recipients = g_ptr_array_new_with_free_func (g_free);
	if (!queue_prefix_read (path, TRUE, &qp, error)) {
		queue_prefix_clear (&qp);
		return NULL;
	}
	data = (const char *) qp.buf->data;
	end = data + qp.special_len;
	for (p = data; p < end;) {
		const char *nl = memchr (p, '\n', (gsize) (end - p));
		gsize len = (gsize) (nl + 1 - p);
		g_autofree gchar *value = NULL;

#define KEY(k)                                                                                     \
	(len >= strlen (k) && memcmp (p, k, strlen (k)) == 0                                       \
	         ? (value = queue_value (p, len, strlen (k))) != NULL                              \
	         : FALSE)
		if (KEY ("S:")) {
			if (qf->sender == NULL)
				qf->sender = g_steal_pointer (&value);
		} else if (KEY ("R:")) {
			if (!rtls_queue_parse_recipients (value, qf->recipients, error)) {
				queue_prefix_clear (&qp);
				return NULL;
			}
		} else if (KEY ("MAID:")) {
			gchar *e = NULL;
			gint64 id = g_ascii_strtoll (value, &e, 10);
			if (e != value && *e == '\0' && id >= 0 && id < G_MAXINT)
				qf->account_id = (gint) id;
		} else if (KEY ("SCF:")) {
			if (qf->save_copy_folder == NULL && *value != '\0')
				qf->save_copy_folder = g_steal_pointer (&value);
		} else if (KEY ("RMID:")) {
			if (qf->reply_info == NULL)
				qf->reply_info = g_steal_pointer (&value);
		} else if (KEY ("FMID:")) {
			if (qf->forward_info == NULL)
				qf->forward_info = g_steal_pointer (&value);
		} else if (KEY ("NG:")) {
			qf->has_newsgroups = *value != '\0';
		} else if (KEY ("X-Claws-Encrypt:")) {
			qf->encrypted = g_strcmp0 (g_strstrip (value), "1") == 0;
		}
#undef KEY
		p = nl + 1;
	}
	qf->message_offset = (goffset) qp.special_len;
	h = queue_prefix_headers (&qp, path, error);
	queue_prefix_clear (&qp);
	if (h == NULL)
		return NULL;
	if (qf->sender == NULL || *qf->sender == '\0') {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the queue entry has no sender"));
		return NULL;
	}
	if (qf->recipients->len == 0 && !qf->has_newsgroups) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the queue entry has no recipients"));
		return NULL;
	}
	take_choice_fields (h, &qf->marker, &qf->tls_required);
	if ((v = rtls_headers_get (h, "Message-ID")) != NULL)
		qf->message_id = g_strstrip (g_strdup (v));
	if ((v = rtls_headers_get (h, "Subject")) != NULL)
		qf->subject = g_strstrip (g_strdup (v));
	qf->choice = rtls_choice_from_headers (qf->marker, qf->tls_required, NULL);
	return g_steal_pointer (&qf);
}

gboolean
rtls_message_file_choice (const char *path, RtlsChoice *choice, gboolean *manual)
{
	g_autoptr (RtlsHeaders) h = NULL;
	g_autofree gchar *marker = NULL, *tls_required = NULL;
	QueuePrefix qp;
	gboolean ok = queue_prefix_read (path, FALSE, &qp, NULL);

	if (ok)
		h = queue_prefix_headers (&qp, path, NULL);
	queue_prefix_clear (&qp);
	if (h == NULL)
		return FALSE;
	take_choice_fields (h, &marker, &tls_required);
	*choice = rtls_choice_from_headers (marker, tls_required, manual);
	return TRUE;
}

static gboolean
field_is_marker (const char *line, gsize len)
{
	gsize n = strlen (RTLS_MARKER_HEADER);
	const char *p, *end = line + len;

	if (len < n || g_ascii_strncasecmp (line, RTLS_MARKER_HEADER, n) != 0)
		return FALSE;
	for (p = line + n; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	return p < end && *p == ':';
}

gboolean
rtls_queue_file_extract_message (const char *path, const RtlsQueueFile *qf, const char *out_path,
                                 GError **error)
{
	QueuePrefix qp;
	const char *data, *p, *hend;
	gboolean skipping = FALSE, ok = FALSE;
	int in = -1, out = -1;
	off_t pos;

	/* Read and check the entry again: it is what goes out, byte for byte. */
	if (!queue_prefix_read (path, TRUE, &qp, error))
		goto out;
	if ((goffset) qp.special_len != qf->message_offset) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the queue entry %s changed while it was being sent"), path);
		goto out;
	}
	out = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		goto write_error;
	/* The header block, line by line, without the private marker (and its continuation
	 * lines); then the empty line and the body, byte for byte. */
	data = (const char *) qp.buf->data;
	hend = data + qp.special_len + qp.header_len;
	for (p = data + qp.special_len; p < hend;) {
		const char *nl = memchr (p, '\n', (gsize) (hend - p));
		gsize len = (gsize) ((nl != NULL ? nl + 1 : hend) - p);

		if (*p != ' ' && *p != '\t')
			skipping = field_is_marker (p, len);
		if (!skipping && !rtls_write_all (out, p, len))
			goto write_error;
		p += len;
	}
	if (!rtls_write_all (out, hend, qp.body_start - (gsize) (hend - data)))
		goto write_error;
	pos = (off_t) qp.body_start;
	in = g_open (path, O_RDONLY | O_CLOEXEC, 0);
	if (in < 0) {
		int e = errno;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("cannot read the queue entry %s: %s"), path, g_strerror (e));
		goto out;
	}
	for (;;) {
		char buf[65536];
		ssize_t r = pread (in, buf, sizeof buf, pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
			             _ ("cannot read the queue entry %s: %s"), path,
			             g_strerror (e));
			goto out;
		}
		if (r == 0)
			break;
		if (!rtls_write_all (out, buf, (gsize) r))
			goto write_error;
		pos += r;
	}
	if (fsync (out) != 0)
		goto write_error;
	ok = TRUE;
	goto out;
write_error : {
	int e = errno;
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"), out_path,
	             g_strerror (e));
}
out:
	queue_prefix_clear (&qp);
	if (in >= 0)
		close (in);
	if (out >= 0 && close (out) != 0 && ok) {
		int e = errno;
		ok = FALSE;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"), out_path,
		             g_strerror (e));
	}
	if (!ok && out >= 0)
		g_unlink (out_path);
	return ok;
}
