/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_spawn.c: starts requiretls-submit for a send: its arguments from the account and the
 * plugin's account settings, the password on a pipe (never argv or the environment), the
 * status pipe read a line at a time (progress, then the record).
 */
#include "config.h"

#include "rtls_send_int.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "alertpanel.h"
#include "common/tags.h"
#include "hooks.h"
#include "inc.h"
#include "inputdialog.h"
#include "log.h"
#include "main.h"
#include "mainwindow.h"
#include "passwordstore.h"
#include "prefs_common.h"
#include "statusbar.h"
#include "utils.h"

#include "codec.h"
#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_delivery_ui.h"
#include "rtls_entry.h"
#include "rtls_history.h"
#include "rtls_journal.h"
#include "rtls_queue_ui.h"
#include "rtls_queuefile.h"
#include "rtls_record.h"

static gchar *
account_password (PrefsAccount *ac, gboolean interactive, gchar **user)
{
	gchar *pass = NULL;
	gboolean own_user = ac->smtp_userid != NULL && *ac->smtp_userid != '\0';

	*user = g_strdup (own_user ? ac->smtp_userid : ac->userid);
	if (ac->session_smtp_passwd != NULL)
		return g_strdup (ac->session_smtp_passwd);
	pass = passwd_store_get_account (ac->account_id,
	                                 own_user ? PWS_ACCOUNT_SEND : PWS_ACCOUNT_RECV);
	if (pass == NULL && interactive)
		pass = input_dialog_query_password_keep (ac->smtp_server, *user,
		                                         &ac->session_smtp_passwd);
	return pass;
}

static void
maybe_finish (RtlsSend *s)
{
	if (s->status_done && s->proc_done)
		rtls_send_finish (s);
}

/* The status pipe, a line at a time: "progress=STAGE" lines while the helper works, then
 * its record. */
static void
status_line (GObject *src, GAsyncResult *res, gpointer data)
{
	RtlsSend *s = data;
	gsize len = 0;
	g_autofree gchar *line
	        = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (src), res, &len, NULL);

	if (line == NULL || s->status->len > 256 * 1024) {
		g_object_unref (src);
		s->status_done = TRUE;
		maybe_finish (s);
		return;
	}
	g_string_append_len (s->status, line, len);
	g_string_append_c (s->status, '\n');
	if (g_str_has_prefix (line, "progress=")) {
		g_free (s->stage);
		s->stage = rtls_sanitize (line + 9, -1, 40);
		if (g_str_equal (s->stage, "content"))
			s->content_left = TRUE;
		rtls_send_show_progress (s);
	}
	g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (src), G_PRIORITY_DEFAULT, NULL,
	                                     status_line, s);
}

static void
proc_done (GObject *src, GAsyncResult *res, gpointer data)
{
	RtlsSend *s = data;
	g_autoptr (GError) error = NULL;
	gchar *err_text = NULL;

	g_subprocess_communicate_utf8_finish (G_SUBPROCESS (src), res, NULL, &err_text, &error);
	s->stderr_text = err_text;
	s->proc_done = TRUE;
	maybe_finish (s);
}

void
rtls_spawn_wipe (gchar *secret)
{
	if (secret != NULL) {
		memset (secret, 0, strlen (secret));
		g_free (secret);
	}
}

GSubprocess *
rtls_spawn_launch (const char *const *argv, int stdin_fd, GSubprocessFlags flags, gchar *password,
                   int *status_fd, GError **error)
{
	g_autoptr (GSubprocessLauncher) l = NULL;
	int st[2] = { -1, -1 }, pw[2] = { -1, -1 };
	GSubprocess *proc;

	*status_fd = -1;
	if (!g_unix_open_pipe (st, FD_CLOEXEC, error)
	    || (password != NULL && !g_unix_open_pipe (pw, FD_CLOEXEC, error))) {
		rtls_spawn_wipe (password);
		if (st[0] >= 0) {
			close (st[0]);
			close (st[1]);
		}
		if (stdin_fd >= 0)
			close (stdin_fd);
		return NULL;
	}
	if (password != NULL) {
		/* The secret goes through a pipe, never argv or the environment; a password is
		 * far below the pipe's capacity, so this write cannot block. */
		gsize n = strlen (password);
		gboolean ok
		        = write (pw[1], password, n) == (ssize_t) n && write (pw[1], "\n", 1) == 1;
		rtls_spawn_wipe (password);
		close (pw[1]);
		if (!ok) {
			close (pw[0]);
			close (st[0]);
			close (st[1]);
			if (stdin_fd >= 0)
				close (stdin_fd);
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
			             _ ("cannot hand the password to the helper"));
			return NULL;
		}
	}
	l = g_subprocess_launcher_new (flags);
	g_subprocess_launcher_unsetenv (l, "RTLS_PASSWORD");
	if (stdin_fd >= 0)
		g_subprocess_launcher_take_stdin_fd (l, stdin_fd);
	if (pw[0] >= 0)
		g_subprocess_launcher_take_fd (l, pw[0], 3);
	g_subprocess_launcher_take_fd (l, st[1], 4);
	proc = g_subprocess_launcher_spawnv (l, argv, error);
	g_clear_object (&l); /* closes the child's ends in this process */
	if (proc == NULL) {
		close (st[0]);
		return NULL;
	}
	*status_fd = st[0];
	return proc;
}

/* Builds the helper's arguments for @s from @ac and the plugin's account settings, hands it
 * the password on a pipe, writes the "started" row (nothing is spawned without it) and
 * spawns it; its status pipe and its end come back to rtls_send_finish(). */
gboolean
rtls_spawn_helper (RtlsSend *s, PrefsAccount *ac)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
	g_autofree gchar *helper = rtls_config_helper_path ();
	g_autofree gchar *user = NULL;
	RtlsAccountSettings as = { 0 };
	RtlsEndpoint ep;
	gchar *pass = NULL;
	int st = -1, in = -1;
	GInputStream *status_in;

	rtls_config_account (ac->account_id, &as);
	if (!as.allow) {
		rtls_account_settings_clear (&as);
		return rtls_send_fail (
		        s, _ ("REQUIRETLS is turned off for this account (plugin account "
		              "settings)"));
	}
	ep = rtls_outcome_endpoint (as.host, as.port, as.starttls, ac->smtp_server,
	                            rtls_config_claws_smtp_port (ac), ac->ssl_smtp == SSL_TUNNEL);
	s->host = g_strdup (ep.host);
	s->port = ep.port;
	g_ptr_array_add (argv, g_strdup (helper));
	g_ptr_array_add (argv, g_strdup_printf ("--host=%s", s->host));
	g_ptr_array_add (argv, g_strdup_printf ("--port=%u", s->port));
	if (ep.starttls)
		g_ptr_array_add (argv, g_strdup ("--starttls"));
	if (as.ca_file != NULL)
		g_ptr_array_add (argv, g_strdup_printf ("--ca-file=%s", as.ca_file));
	if (as.pin_sha256 != NULL)
		g_ptr_array_add (argv, g_strdup_printf ("--pin-sha256=%s", as.pin_sha256));
	rtls_account_settings_clear (&as);
	if (ac->use_smtp_auth) {
		if ((ac->smtp_userid == NULL || *ac->smtp_userid == '\0')
		    && (ac->userid == NULL || *ac->userid == '\0'))
			return rtls_send_fail (
			        s, _ ("the account uses SMTP authentication but has no user "
			              "name"));
		pass = account_password (ac, s->interactive, &user);
		if (pass == NULL)
			return rtls_send_fail (
			        s, _ ("no password is stored for sending with this account"));
		g_ptr_array_add (argv, g_strdup_printf ("--user=%s", user));
		g_ptr_array_add (argv, g_strdup ("--password-fd=3"));
	}
	g_ptr_array_add (argv, g_strdup ("--require-tls"));
	g_ptr_array_add (argv, g_strdup_printf ("--envid=%s", s->envid));
	g_ptr_array_add (argv, g_strdup ("--dsn-notify=failure,delay"));
	g_ptr_array_add (argv, g_strdup ("--dsn-return=hdrs"));
	g_ptr_array_add (argv, g_strdup ("--status-fd=4"));
	g_ptr_array_add (argv, g_strdup_printf ("--status-file=%s", s->status_path));
	g_ptr_array_add (argv, g_strdup_printf ("--timeout=%u", rtls_config_timeout ()));
	{
		/* EHLO with the domain name Claws' own SMTP uses (Account > Advanced), when set
		 * and one word; and a bound on the whole submission, so that a server that stalls
		 * never holds the queue: ten replies' worth plus 32 KiB/s for the message. */
		GStatBuf sb;
		guint64 bytes = g_stat (s->msg_path, &sb) == 0 ? (guint64) sb.st_size : 0;
		if (ac->set_domain && ac->domain != NULL && *ac->domain != '\0'
		    && strpbrk (ac->domain, " \t\r\n") == NULL)
			g_ptr_array_add (argv, g_strdup_printf ("--helo=%s", ac->domain));
		g_ptr_array_add (argv, g_strdup_printf ("--max-time=%" G_GUINT64_FORMAT,
		                                        MIN ((guint64) 10 * rtls_config_timeout ()
		                                                     + bytes / 32768,
		                                             (guint64) 604800)));
	}
	g_ptr_array_add (argv, g_strdup_printf ("--from=%s", s->qf->sender));
	g_ptr_array_add (argv, g_strdup ("-i"));
	g_ptr_array_add (argv, g_strdup ("--"));
	for (guint i = 0; i < s->qf->recipients->len; i++)
		g_ptr_array_add (argv, g_strdup (g_ptr_array_index (s->qf->recipients, i)));
	g_ptr_array_add (argv, NULL);

	in = g_open (s->msg_path, O_RDONLY | O_CLOEXEC, 0);
	if (in < 0) {
		int e = errno;
		rtls_spawn_wipe (pass);
		return rtls_send_fail (s, g_strerror (e));
	}
	/* Write-ahead: the attempt is in the store, durably, before the helper exists. If it
	 * cannot be written, nothing is sent (DESIGN §4b). */
	if (!rtls_send_write_started (s)) {
		g_autofree gchar *why = g_strdup_printf (
		        _ ("the plugin's history cannot be written (%s), so the message was not "
		           "sent"),
		        s->journal_error != NULL ? s->journal_error : "?");
		close (in);
		rtls_spawn_wipe (pass);
		return rtls_send_fail (s, why);
	}
	s->proc = rtls_spawn_launch ((const char *const *) argv->pdata, in,
	                             G_SUBPROCESS_FLAGS_STDOUT_SILENCE
	                                     | G_SUBPROCESS_FLAGS_STDERR_PIPE,
	                             pass, &st, &error);
	if (s->proc == NULL)
		return rtls_send_fail (s, error->message);
	s->cancellable = g_cancellable_new ();
	s->status = g_string_new (NULL);
	status_in = g_unix_input_stream_new (st, TRUE);
	{
		GDataInputStream *lines = g_data_input_stream_new (status_in);
		g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, status_line,
		                                     s);
	}
	g_object_unref (status_in);
	rtls_send_enter (s, RTLS_SEND_RUNNING);
	rtls_send_show_progress (s);
	g_subprocess_communicate_utf8_async (s->proc, NULL, NULL, proc_done, s);
	log_message (LOG_PROTOCOL, _ ("REQUIRETLS: submitting %s to %s:%u (envid %s)\n"),
	             s->qf->message_id ? s->qf->message_id : "(no Message-ID)", s->host, s->port,
	             s->envid);
	return TRUE;
}
