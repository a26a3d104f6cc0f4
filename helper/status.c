/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * status.c: the machine-readable result record written to --status-fd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "errors.h"
#include "status.h"

void
rtls_status_add (GString *s, const char *key, const char *value)
{
	g_autofree gchar *clean = NULL;

	if (value == NULL)
		return;
	clean = rtls_sanitize (value, -1, 1000);
	g_string_append_printf (s, "%s=%s\n", key, clean);
}

gchar *
rtls_status_format (const RtlsParams *params, const RtlsOutcome *outcome, const char *message_id,
                    const GError *error)
{
	GString *s = g_string_new (NULL);
	int exit_code = rtls_error_to_exit_code (error);
	const char *result = "failed";
	g_autofree gchar *num = NULL;

	if (error == NULL)
		result = "sent";
	else if (g_error_matches (error, RTLS_ERROR, RTLS_ERROR_NOT_CONFIRMED))
		result = "not-confirmed";
	rtls_status_add (s, "result", result);
	num = g_strdup_printf ("%d", exit_code);
	rtls_status_add (s, "exit", num);
	rtls_status_add (s, "exit-name", rtls_exit_code_name (exit_code));
	if (error != NULL)
		rtls_status_add (s, "error",
		                 error->domain == RTLS_ERROR ? rtls_error_code_name (error->code)
		                                             : "RTLS_ERROR_FAILED");
	if (outcome != NULL)
		rtls_status_add (s, "stage", rtls_stage_name (outcome->stage));
	if (params != NULL && params->host != NULL) {
		g_autofree gchar *port = g_strdup_printf ("%u", params->port);
		rtls_status_add (s, "host", params->host);
		rtls_status_add (s, "port", port);
		rtls_status_add (s, "tls-required-no",
		                 params->tls_policy == RTLS_TLS_POLICY_NO_REQUIRE ? "yes" : "no");
		rtls_status_add (s, "envid", params->envid);
	}
	if (outcome != NULL) {
		rtls_status_add (s, "tls-version", outcome->tls_version);
		rtls_status_add (s, "tls-cipher", outcome->tls_cipher);
		rtls_status_add (s, "requiretls", outcome->requiretls_sent ? "yes" : "no");
		if (outcome->smtp_code != 0) {
			g_autofree gchar *code = g_strdup_printf ("%u", outcome->smtp_code);
			rtls_status_add (s, "smtp-code", code);
		}
		if (outcome->enhanced[0] != '\0')
			rtls_status_add (s, "enhanced-code", outcome->enhanced);
		rtls_status_add (s, "server-text", outcome->server_text);
		rtls_status_add (s, "cert-problem", outcome->cert_problem);
		rtls_status_add (s, "tls-problem", outcome->tls_problem);
		if (outcome->size_sent > 0) {
			g_autofree gchar *size
			        = g_strdup_printf ("%" G_GUINT64_FORMAT, outcome->size_sent);
			rtls_status_add (s, "size", size);
		}
		for (guint i = 0; outcome->rcpts != NULL && i < outcome->rcpts->len; i++) {
			const RtlsRcptResult *r = g_ptr_array_index (outcome->rcpts, i);
			g_autofree gchar *line
			        = g_strdup_printf ("%u %s %s", r->code,
			                           r->enhanced[0] ? r->enhanced : "-", r->address);
			rtls_status_add (s, "rcpt", line);
		}
	}
	rtls_status_add (s, "message-id", message_id);
	if (error != NULL)
		rtls_status_add (s, "message", error->message);
	return g_string_free (s, FALSE);
}

static gboolean
status_write_all (int fd, const char *data, gsize len)
{
	gsize done = 0;

	while (done < len) {
		ssize_t w = write (fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FALSE;
		done += (gsize) w;
	}
	return TRUE;
}

/* The record goes to a temporary file of a name nobody could know in advance, created by us
 * (O_CREAT | O_EXCL: never a file or a link someone planted in a shared directory), mode
 * 0600 whatever the umask; it is flushed, renamed over @path (which replaces @path itself,
 * even when it is a link), and the directory is flushed, so that a reader finds the old
 * record or the new one, never a part, also after a crash or a power cut. */
gboolean
rtls_status_write_file (const char *path, const char *record, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname (path);
	g_autofree gchar *tmp = g_strconcat (path, ".XXXXXX", NULL);
	gboolean ours = FALSE; /* tmp is a file we made, not yet renamed */
	int fd, dfd, err;

	fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto fail;
	ours = TRUE;
	if (!status_write_all (fd, record, strlen (record)) || fsync (fd) != 0) {
		err = errno;
		close (fd);
		errno = err;
		goto fail;
	}
	if (close (fd) != 0 || g_rename (tmp, path) != 0)
		goto fail;
	ours = FALSE;
	dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		goto fail;
	err = fsync (dfd) != 0 ? errno : 0;
	close (dfd);
	if (err == 0)
		return TRUE;
	errno = err;
fail:
	err = errno;
	if (ours)
		g_unlink (tmp);
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write the status file %s: %s"),
	             path, g_strerror (err));
	return FALSE;
}
