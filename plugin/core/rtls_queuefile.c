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

static gchar *
chomp_dup (const char *s)
{
	gchar *v = g_strdup (s);
	gsize n = strlen (v);

	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
		v[--n] = '\0';
	return v;
}

/* Reads the header block of the message starting at @offset (bounded). */
static RtlsHeaders *
read_header_block (FILE *fp, goffset offset, GError **error)
{
	g_autoptr (GString) block = g_string_new (NULL);
	char line[4096];

	if (fseeko (fp, offset, SEEK_SET) != 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, "%s", g_strerror (errno));
		return NULL;
	}
	while (fgets (line, sizeof line, fp) != NULL) {
		if (line[0] == '\n' || (line[0] == '\r' && line[1] == '\n'))
			break;
		g_string_append (block, line);
		if (block->len > RTLS_HEADERS_MAX_BYTES) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
			             _ ("the message's header block is larger than 1 MiB"));
			return NULL;
		}
	}
	return rtls_headers_parse (block->str, block->len, error);
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

RtlsQueueFile *
rtls_queue_file_read (const char *path, GError **error)
{
	g_autoptr (RtlsQueueFile) qf = g_new0 (RtlsQueueFile, 1);
	g_autoptr (RtlsHeaders) h = NULL;
	FILE *fp;
	char line[8192];
	gsize total = 0;
	gboolean ended = FALSE;
	const char *v;

	qf->account_id = -1;
	qf->recipients = g_ptr_array_new_with_free_func (g_free);
	fp = g_fopen (path, "rb");
	if (fp == NULL) {
		int e = errno;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("cannot open the queue entry %s: %s"), path, g_strerror (e));
		return NULL;
	}
	while (fgets (line, sizeof line, fp) != NULL) {
		gsize n = strlen (line);
		g_autofree gchar *value = NULL;

		total += n;
		if (total > QUEUE_SPECIAL_MAX || (n == sizeof line - 1 && line[n - 1] != '\n'))
			break;
		if (g_str_has_prefix (line, QUEUE_END)) {
			ended = TRUE;
			break;
		}
#define KEY(k)                                                                                     \
	(g_str_has_prefix (line, k) ? (value = chomp_dup (line + strlen (k))) != NULL : FALSE)
		if (KEY ("S:")) {
			if (qf->sender == NULL)
				qf->sender = g_steal_pointer (&value);
		} else if (KEY ("R:")) {
			if (!rtls_queue_parse_recipients (value, qf->recipients, error)) {
				fclose (fp);
				return NULL;
			}
		} else if (KEY ("MAID:")) {
			gchar *end = NULL;
			gint64 id = g_ascii_strtoll (value, &end, 10);
			if (end != value && *end == '\0' && id >= 0 && id < G_MAXINT)
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
	}
	if (!ended) {
		fclose (fp);
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("%s is not a complete Claws Mail queue entry"), path);
		return NULL;
	}
	qf->message_offset = ftello (fp);
	h = read_header_block (fp, qf->message_offset, error);
	fclose (fp);
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
	FILE *fp = g_fopen (path, "rb");
	char line[8192];
	goffset offset = 0;

	if (fp == NULL)
		return FALSE;
	/* Skip Claws' special headers when this is a queue entry or a draft. */
	while (fgets (line, sizeof line, fp) != NULL) {
		if (g_str_has_prefix (line, QUEUE_END)) {
			offset = ftello (fp);
			break;
		}
		if (ftello (fp) > QUEUE_SPECIAL_MAX)
			break;
	}
	h = read_header_block (fp, offset, NULL);
	fclose (fp);
	if (h == NULL)
		return FALSE;
	take_choice_fields (h, &marker, &tls_required);
	*choice = rtls_choice_from_headers (marker, tls_required, manual);
	return TRUE;
}

static gboolean
field_is_marker (const char *line)
{
	gsize n = strlen (RTLS_MARKER_HEADER);
	const char *p;

	if (g_ascii_strncasecmp (line, RTLS_MARKER_HEADER, n) != 0)
		return FALSE;
	for (p = line + n; *p == ' ' || *p == '\t'; p++)
		;
	return *p == ':';
}

gboolean
rtls_queue_file_extract_message (const char *path, const RtlsQueueFile *qf, const char *out_path,
                                 GError **error)
{
	FILE *in = NULL, *out = NULL;
	char buf[65536];
	gboolean in_headers = TRUE, skipping = FALSE, ok = FALSE;
	size_t n;

	in = g_fopen (path, "rb");
	if (in == NULL || fseeko (in, qf->message_offset, SEEK_SET) != 0) {
		int e = errno;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("cannot read the queue entry %s: %s"), path, g_strerror (e));
		goto out;
	}
	{
		int fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || (out = fdopen (fd, "wb")) == NULL) {
			int e = errno;
			if (fd >= 0)
				close (fd);
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"),
			             out_path, g_strerror (e));
			goto out;
		}
	}
	/* Header block: line by line (lines longer than the buffer continue the same line). */
	while (in_headers) {
		gboolean at_line_start = TRUE;
		if (fgets (buf, sizeof buf, in) == NULL)
			break;
		do {
			gsize len = strlen (buf);
			gboolean complete = len > 0 && buf[len - 1] == '\n';
			if (at_line_start) {
				if (buf[0] == '\n' || (buf[0] == '\r' && buf[1] == '\n')) {
					in_headers = FALSE;
					skipping = FALSE;
				} else if (buf[0] != ' ' && buf[0] != '\t') {
					skipping = field_is_marker (buf);
				}
			}
			if (!skipping && fwrite (buf, 1, len, out) != len)
				goto write_error;
			if (complete)
				break;
			at_line_start = FALSE;
		} while (fgets (buf, sizeof buf, in) != NULL);
	}
	while ((n = fread (buf, 1, sizeof buf, in)) > 0)
		if (fwrite (buf, 1, n, out) != n)
			goto write_error;
	if (ferror (in)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot read the queue entry %s"),
		             path);
		goto out;
	}
	if (fflush (out) != 0 || fsync (fileno (out)) != 0)
		goto write_error;
	ok = TRUE;
	goto out;
write_error : {
	int e = errno;
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"), out_path,
	             g_strerror (e));
}
out:
	if (in != NULL)
		fclose (in);
	if (out != NULL && fclose (out) != 0 && ok) {
		ok = FALSE;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s"), out_path);
	}
	if (!ok)
		g_unlink (out_path);
	return ok;
}
