/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_send.c: the plugin owns the send of a REQUIRETLS message (DESIGN §4). Claws writes the
 * queue entry (MIME, signing, encryption), the entry stays locked (MSG_LOCKED: Claws' "Send
 * queued messages" and --send skip it), requiretls-submit runs asynchronously with the
 * envelope of the entry, and the result decides: Sent copy filed once and the entry removed,
 * or the message stays with the person.
 *
 * Write-ahead (DESIGN §6, rtls_attempt.h): "started" is in the journal, fsynced, before the
 * helper is spawned; the helper writes its record to a status file as well as to the pipe;
 * the outcome and each bookkeeping step follow, each durable before the next. On start-up,
 * an attempt Claws did not see end is finished from the status file (or held as "not
 * confirmed"), exactly as if Claws had been running. Temporary copies of messages and the
 * status files live in the plugin's own directory, mode 0700.
 */
#include "config.h"

#include "rtls_plugin.h"

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

#define RTLS_SPOOL_DIR "requiretls" /* under Claws' rc dir: status files, message copies */

struct _RtlsSend {
	RtlsComposer *composer; /* NULL when sending from the queue */
	Compose *compose;
	gboolean interactive; /* dialogs allowed */
	FolderItem *queue;
	gint msgnum;
	RtlsQueueFile *qf;
	gchar *msg_path; /* the message as transmitted (marker removed) */
	gchar *envid;
	gint account_id;
	gchar *host;
	guint port;
	GSubprocess *proc;
	GCancellable *cancellable;
	GString *status;         /* what the helper wrote on the status pipe */
	gchar *stage;            /* its last progress line */
	gboolean content_left;   /* it said "progress=content" */
	gchar *status_path;      /* its status file */
	gboolean journaled;      /* "started" is in the store */
	gchar *journal_error;    /* why it could not be written there */
	gboolean from_queue_run; /* part of a rtls_send_queued() run */
	gchar *stderr_text;
	gboolean status_done, proc_done, cancelled;
	gboolean
	        resend_confirmed; /* the person said "send it again" to an uncertain earlier send */
	gchar *resend_envid;      /* that earlier send, while the question is open */
};

static GList *running;        /* RtlsSend* */
static GList *composer_sends; /* RtlsSend* queued by a composer, not started yet */
static GQueue pending_queue;  /* "folder-id\tmsgnum" strings of queued entries to send */
static GList *listeners;      /* RtlsSendListener* */
static guint retry_timer, recover_timer;
static gboolean unloading;

/* the run of rtls_send_queued() in progress */
static struct {
	gboolean active, asked;
	guint total, done, sent;
	GString *summary; /* for the note of a run nobody asked for */
	gboolean problems;
} run;

static void queue_run_next (void);
static void run_over (void);

/* ---------------------------------------------------------------- listeners, journal */

void
rtls_send_listen (const RtlsSendListener *l)
{
	listeners = g_list_append (listeners, g_memdup2 (l, sizeof *l));
}

static void
announce_journal_changed (void)
{
	for (GList *l = listeners; l != NULL; l = l->next) {
		RtlsSendListener *x = l->data;
		if (x->journal_changed != NULL)
			x->journal_changed (x->data);
	}
}

static void
announce_show_delivery (gpointer unused)
{
	for (GList *l = listeners; l != NULL; l = l->next) {
		RtlsSendListener *x = l->data;
		if (x->show_delivery != NULL)
			x->show_delivery (x->data);
	}
}

static gchar *
spool_path (const char *envid, const char *suffix)
{
	g_autofree gchar *dir = rtls_rc_path (RTLS_SPOOL_DIR);
	g_autofree gchar *name = g_strconcat (envid, suffix, NULL);

	return g_build_filename (dir, name, NULL);
}

/* Writes @e to the store, durably (one transaction). FALSE: it is not there, and the log
 * says why; *@why (may be NULL) gets the reason. */
static gboolean
journal_write_why (const RtlsJournalEntry *e, gchar **why)
{
	g_autoptr (GError) error = NULL;

	if (!rtls_history_write (e, &error)) {
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: cannot write the send history: %s\n"),
		           error->message);
		if (why != NULL)
			*why = g_strdup (error->message);
		return FALSE;
	}
	g_debug ("REQUIRETLS: journal: %s %s", e->result, e->envid ? e->envid : "");
	announce_journal_changed (); /* an open delivery window shows it at once */
	return TRUE;
}

static gboolean
journal_write (const RtlsJournalEntry *e)
{
	return journal_write_why (e, NULL);
}

/* The attempt with @envid as the store has it now (NULL: none); the caller frees it. */
static RtlsAttempt *
attempt_get (const char *envid)
{
	RtlsStore *st = rtls_history_store (NULL);
	g_autoptr (GError) error = NULL;
	RtlsAttempt *a
	        = st != NULL && envid != NULL ? rtls_store_attempt (st, envid, &error) : NULL;

	if (error != NULL)
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
	return a;
}

/* Every attempt about a queue entry and/or a Message-ID (rtls_store_attempts_about()); an
 * empty array when the store cannot be read. */
static GPtrArray *
attempts_about (const char *folder, gint msgnum, const char *message_id)
{
	RtlsStore *st = rtls_history_store (NULL);
	g_autoptr (GError) error = NULL;
	GPtrArray *a = st != NULL
	                       ? rtls_store_attempts_about (st, folder, msgnum, message_id, &error)
	                       : NULL;

	if (error != NULL)
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
	return a != NULL ? a : g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_attempt_free);
}

static gint64
now_s (void)
{
	return g_get_real_time () / G_USEC_PER_SEC;
}

/* [general] retry-first-seconds: the wait before the first retry (then 5, 15, 30, 60 minutes
 * and on, up to retry-max-minutes). */
static gint64
retry_first (const RtlsSettings *set)
{
	return set != NULL ? (gint64) set->retry_first_seconds : 60;
}

/* Makes the directory holding @file durable (a file added or removed there). */
static void
sync_dir_of (const char *file)
{
	g_autofree gchar *dir = g_path_get_dirname (file);
	g_autoptr (GError) error = NULL;

	if (!rtls_journal_fsync_dir (dir, &error))
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
}

static void
sync_file (const char *file)
{
	int fd = g_open (file, O_RDONLY | O_CLOEXEC, 0);

	if (fd >= 0) {
		if (fsync (fd) != 0)
			log_warning (LOG_PROTOCOL, "REQUIRETLS: fsync %s: %s\n", file,
			             g_strerror (errno));
		close (fd);
	}
	sync_dir_of (file);
}

/* ---------------------------------------------------------------- the helper */

/* The composer this send came from is still open and still the same composer (it may have
 * been closed meanwhile, and another opened at the same address). */
static gboolean
composer_alive (RtlsSend *s)
{
	return s->composer != NULL && !s->composer->gone && s->composer->compose == s->compose
	       && !unloading;
}

static void
release_composer (RtlsSend *s)
{
	RtlsComposer *c = s->composer;

	s->composer = NULL;
	if (c == NULL)
		return;
	for (GList *l = listeners; l != NULL; l = l->next) {
		RtlsSendListener *x = l->data;
		if (x->send_over != NULL)
			x->send_over (c, x->data);
	}
}

static void
send_free (RtlsSend *s)
{
	MsgInfo *mi = s->queue != NULL && s->msgnum > 0
	                      ? folder_item_get_msginfo (s->queue, s->msgnum)
	                      : NULL;

	/* the send is over and its entry still waits, locked: now it is marked as such */
	composer_sends = g_list_remove (composer_sends, s);
	if (mi != NULL && MSG_IS_LOCKED (mi->flags) && !unloading)
		rtls_entry_mark (mi);
	if (mi != NULL)
		procmsg_msginfo_free (&mi);
	release_composer (s);
	if (s->msg_path != NULL) {
		g_unlink (s->msg_path);
		g_free (s->msg_path);
	}
	rtls_queue_file_free (s->qf);
	g_free (s->envid);
	g_free (s->host);
	g_clear_object (&s->proc);
	g_clear_object (&s->cancellable);
	if (s->status != NULL)
		g_string_free (s->status, TRUE);
	g_free (s->stage);
	g_free (s->journal_error);
	g_free (s->status_path);
	g_free (s->stderr_text);
	g_free (s->resend_envid);
	g_free (s);
}

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

static void finish (RtlsSend *s);

static void
maybe_finish (RtlsSend *s)
{
	if (s->status_done && s->proc_done)
		finish (s);
}

static void show_progress (RtlsSend *s);

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
		show_progress (s);
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

static gboolean
fail_early (RtlsSend *s, const char *why)
{
	g_autofree gchar *line
	        = g_strdup_printf ("result=failed\nexit=78\nerror=RTLS_ERROR_CONFIG\n"
	                           "message=%s\n",
	                           why);
	/* A local problem, reported through the same path as the helper's own failures. */
	s->status = g_string_new (line);
	s->status_done = s->proc_done = TRUE;
	finish (s);
	return FALSE;
}

static RtlsJournalEntry *
send_record (RtlsSend *s, const char *result)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);
	GString *rcpts = g_string_new (NULL);

	for (guint i = 0; s->qf != NULL && i < s->qf->recipients->len; i++)
		g_string_append_printf (rcpts, "%s%s", i ? "," : "",
		                        (char *) g_ptr_array_index (s->qf->recipients, i));
	e->time = now_s ();
	e->result = g_strdup (result);
	e->envid = g_strdup (s->envid);
	e->message_id = g_strdup (s->qf != NULL ? s->qf->message_id : NULL);
	e->account_id = s->account_id;
	e->sender = g_strdup (s->qf != NULL ? s->qf->sender : NULL);
	e->recipients = g_string_free (rcpts, FALSE);
	e->subject = g_strdup (s->qf != NULL ? s->qf->subject : NULL);
	e->host = g_strdup (s->host);
	e->port = s->port;
	e->queue_folder = s->queue != NULL ? folder_item_get_identifier (s->queue) : NULL;
	e->queue_msgnum = s->msgnum;
	return e;
}

static gboolean
journal_started (RtlsSend *s)
{
	g_autoptr (RtlsJournalEntry) e = send_record (s, "started");

	s->journaled = journal_write_why (e, &s->journal_error);
	return s->journaled;
}

/* Starts requiretls-submit for the locked queue entry (s->queue, s->msgnum). */
static gboolean start (RtlsSend *s);

/* Why a message whose earlier send may have arrived was not sent now. */
static const char *
not_sent_again (void)
{
	return _ ("an earlier send of this message was not confirmed and the server may have "
	          "accepted it, so it was not sent again");
}

/* What is known of the earlier send @u that may have reached the server. */
static gchar *
resend_question (const RtlsAttempt *u)
{
	return g_strdup_printf (_ ("An earlier send of “%s” was not confirmed by %s: the server "
	                           "may have accepted it."),
	                        u->subject ? u->subject : _ ("(no subject)"),
	                        u->host ? u->host : "?");
}

/* The person chose to send again a message whose earlier send @u (may be NULL) may have
 * arrived: journaled before anything goes out. */
static void
resend_confirmed (const RtlsAttempt *u)
{
	if (u != NULL) {
		g_autoptr (RtlsJournalEntry) e = rtls_attempt_record (u, "confirmed", now_s ());
		journal_write (e);
	}
	log_message (LOG_PROTOCOL, _ ("REQUIRETLS: sending a message that may already have been "
	                              "accepted, after explicit confirmation\n"));
}

static void
resend_answer (gpointer data, gboolean yes)
{
	RtlsSend *s = data;
	g_autoptr (RtlsAttempt) u = attempt_get (s->resend_envid);

	g_clear_pointer (&s->resend_envid, g_free);
	if (!yes && composer_alive (s)) {
		/* "Back to editing": the composer holds the message, as it did before Send; the
		 * queued copy goes, and no second dialog asks the same again */
		Compose *compose = s->compose;
		running = g_list_remove (running, s);
		rtls_entry_remove (s->queue, s->msgnum);
		compose->sending = FALSE;
		compose->modified = TRUE;
		rtls_compose_ui_set_idle (s->composer->ui);
		log_message (LOG_PROTOCOL, _ ("REQUIRETLS: not sent again: back to editing\n"));
		send_free (s);
		queue_run_next ();
		return;
	}
	if (!yes || !composer_alive (s)) {
		fail_early (s, not_sent_again ());
		return;
	}
	resend_confirmed (u);
	running = g_list_remove (running, s); /* start() lists it again */
	g_clear_pointer (&s->qf, rtls_queue_file_free);
	s->resend_confirmed = TRUE;
	start (s);
}

gboolean
rtls_send_may_resend (Compose *compose)
{
	const RtlsAttempt *u;
	g_autofree gchar *text = NULL;
	g_autoptr (GPtrArray) about = NULL;

	if (compose->msgid == NULL)
		return TRUE;
	about = attempts_about (NULL, 0, compose->msgid);
	u = rtls_attempts_uncertain_for_message (about, compose->msgid);
	if (u == NULL)
		return TRUE;
	if (u->state == RTLS_ATTEMPT_RUNNING || compose->batch) {
		log_error (LOG_PROTOCOL, "REQUIRETLS: %s\n", not_sent_again ());
		return FALSE;
	}
	text = resend_question (u);
	if (!rtls_ui_confirm_resend_modal (GTK_WINDOW (compose->window), text)) {
		log_message (LOG_PROTOCOL, _ ("REQUIRETLS: not sent again: back to editing\n"));
		return FALSE;
	}
	resend_confirmed (u);
	return TRUE;
}

/* An earlier send of the message in @s may have reached the server (@u): ask the person
 * before anything goes out; without a window to ask in, it is not sent. */
static gboolean
ask_resend (RtlsSend *s, const RtlsAttempt *u)
{
	g_autofree gchar *text = NULL;

	if (u->state == RTLS_ATTEMPT_RUNNING)
		return fail_early (s, _ ("an earlier send of this message has not ended yet, so it "
		                         "was not sent again"));
	if (!s->interactive || !composer_alive (s))
		return fail_early (s, not_sent_again ());
	s->resend_envid = g_strdup (u->envid);
	text = resend_question (u);
	/* nothing is being sent while the person decides */
	rtls_compose_ui_set_idle (s->composer->ui);
	rtls_ui_confirm_resend (GTK_WINDOW (s->compose->window), text, _ ("_Back to editing"),
	                        resend_answer, s);
	return FALSE;
}

static gboolean
start (RtlsSend *s)
{
	g_autofree gchar *path = folder_item_fetch_msg (s->queue, s->msgnum);
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GSubprocessLauncher) l = NULL;
	g_autofree gchar *helper = rtls_config_helper_path ();
	g_autofree gchar *user = NULL;
	RtlsAccountSettings as = { 0 };
	gchar *pass = NULL;
	PrefsAccount *ac;
	int pw[2] = { -1, -1 }, st[2] = { -1, -1 }, in = -1;
	gint tmpfd;
	GInputStream *status_in;

	running = g_list_prepend (running, s);
	if (path == NULL)
		return fail_early (s, _ ("the queue entry cannot be read"));
	s->qf = rtls_queue_file_read (path, &error);
	if (s->qf == NULL)
		return fail_early (s, error->message);
	/* From a composer its choice decides (a Redirect writes no manual header rows); an
	 * entry found in the queue must carry the marker. */
	if (s->composer == NULL && s->qf->choice != RTLS_CHOICE_REQUIRE)
		return fail_early (s, _ ("the queue entry is not marked Require TLS"));
	if (s->qf->recipients->len == 0)
		return fail_early (s, _ ("REQUIRETLS applies to mail, not to news postings"));
	if (s->composer != NULL && !s->resend_confirmed) {
		/* Send again from the composer ("Back to editing" after "may not have been
		 * sent", a re-edited entry): never without the person's word that a second copy
		 * is what they want (DESIGN §6). Queue runs decide this in entry_due(). */
		g_autoptr (GPtrArray) about = attempts_about (NULL, 0, s->qf->message_id);
		const RtlsAttempt *u
		        = rtls_attempts_uncertain_for_message (about, s->qf->message_id);
		if (u != NULL)
			return ask_resend (s, u);
	}
	s->account_id = s->qf->account_id;
	ac = account_find_from_id (s->qf->account_id);
	if (ac == NULL && s->compose != NULL)
		ac = s->compose->account;
	if (ac == NULL || ac->smtp_server == NULL || *ac->smtp_server == '\0')
		return fail_early (s, _ ("the account has no SMTP server"));
	s->account_id = ac->account_id;

	/* The copy the helper reads, in the plugin's own directory (0700), mode 0600: never
	 * in a shared $TMPDIR; start-up removes what a crash left behind. */
	s->envid = rtls_journal_new_envid ();
	s->msg_path = spool_path (s->envid, ".eml");
	s->status_path = spool_path (s->envid, ".status");
	tmpfd = g_open (s->msg_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (tmpfd < 0) {
		int e = errno;
		g_clear_pointer (&s->msg_path, g_free);
		return fail_early (s, g_strerror (e));
	}
	close (tmpfd);
	if (!rtls_queue_file_extract_message (path, s->qf, s->msg_path, &error))
		return fail_early (s, error->message);

	rtls_config_account (ac->account_id, &as);
	if (!as.allow) {
		rtls_account_settings_clear (&as);
		return fail_early (s,
		                   _ ("REQUIRETLS is turned off for this account (plugin account "
		                      "settings)"));
	}
	s->host = g_strdup (as.host != NULL ? as.host : ac->smtp_server);
	s->port = as.host != NULL && as.port != 0 ? as.port
	          : as.host != NULL               ? (as.starttls ? 587 : 465)
	                                          : rtls_config_claws_smtp_port (ac);
	g_ptr_array_add (argv, g_strdup (helper));
	g_ptr_array_add (argv, g_strdup_printf ("--host=%s", s->host));
	g_ptr_array_add (argv, g_strdup_printf ("--port=%u", s->port));
	/* Claws' "SSL tunnel" is implicit TLS; STARTTLS and "none" both become mandatory
	 * STARTTLS: a REQUIRETLS message never travels in the clear. */
	if (as.host != NULL ? as.starttls : ac->ssl_smtp != SSL_TUNNEL)
		g_ptr_array_add (argv, g_strdup ("--starttls"));
	if (as.ca_file != NULL)
		g_ptr_array_add (argv, g_strdup_printf ("--ca-file=%s", as.ca_file));
	if (as.pin_sha256 != NULL)
		g_ptr_array_add (argv, g_strdup_printf ("--pin-sha256=%s", as.pin_sha256));
	rtls_account_settings_clear (&as);
	if (ac->use_smtp_auth) {
		if ((ac->smtp_userid == NULL || *ac->smtp_userid == '\0')
		    && (ac->userid == NULL || *ac->userid == '\0'))
			return fail_early (
			        s, _ ("the account uses SMTP authentication but has no user "
			              "name"));
		pass = account_password (ac, s->interactive, &user);
		if (pass == NULL)
			return fail_early (
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

	if (g_unix_open_pipe (st, FD_CLOEXEC, &error) == FALSE
	    || (pass != NULL && g_unix_open_pipe (pw, FD_CLOEXEC, &error) == FALSE)) {
		if (pass != NULL) {
			memset (pass, 0, strlen (pass));
			g_free (pass);
		}
		if (st[0] >= 0) {
			close (st[0]);
			close (st[1]);
		}
		return fail_early (s, error->message);
	}
	if (pass != NULL) {
		/* The secret goes through a pipe, never argv or the environment; a password
		 * is far below the pipe's capacity, so this write cannot block. */
		gsize n = strlen (pass);
		gboolean ok = write (pw[1], pass, n) == (ssize_t) n && write (pw[1], "\n", 1) == 1;
		memset (pass, 0, n);
		g_free (pass);
		close (pw[1]);
		if (!ok) {
			close (pw[0]);
			close (st[0]);
			close (st[1]);
			return fail_early (s, _ ("cannot hand the password to the helper"));
		}
	}
	in = g_open (s->msg_path, O_RDONLY | O_CLOEXEC, 0);
	if (in < 0) {
		int e = errno;
		if (pw[0] >= 0)
			close (pw[0]);
		close (st[0]);
		close (st[1]);
		return fail_early (s, g_strerror (e));
	}
	/* Write-ahead: the attempt is in the journal, durably, before the helper exists. If
	 * it cannot be written, nothing is sent. */
	if (!journal_started (s)) {
		close (in);
		if (pw[0] >= 0)
			close (pw[0]);
		close (st[0]);
		close (st[1]);
		{
			/* the write-ahead row first (DESIGN §4b): without it nothing leaves */
			g_autofree gchar *why = g_strdup_printf (
			        _ ("the plugin's history cannot be written (%s), so the message "
			           "was "
			           "not sent"),
			        s->journal_error != NULL ? s->journal_error : "?");
			return fail_early (s, why);
		}
	}
	l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
	                               | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_unsetenv (l, "RTLS_PASSWORD");
	g_subprocess_launcher_take_stdin_fd (l, in);
	if (pw[0] >= 0)
		g_subprocess_launcher_take_fd (l, pw[0], 3);
	g_subprocess_launcher_take_fd (l, st[1], 4);
	s->proc = g_subprocess_launcher_spawnv (l, (const gchar *const *) argv->pdata, &error);
	g_clear_object (&l); /* closes the child's ends in this process */
	if (s->proc == NULL) {
		close (st[0]);
		return fail_early (s, error->message);
	}
	s->cancellable = g_cancellable_new ();
	s->status = g_string_new (NULL);
	status_in = g_unix_input_stream_new (st[0], TRUE);
	{
		GDataInputStream *lines = g_data_input_stream_new (status_in);
		g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, status_line,
		                                     s);
	}
	g_object_unref (status_in);
	show_progress (s);
	g_subprocess_communicate_utf8_async (s->proc, NULL, NULL, proc_done, s);
	log_message (LOG_PROTOCOL, _ ("REQUIRETLS: submitting %s to %s:%u (envid %s)\n"),
	             s->qf->message_id ? s->qf->message_id : "(no Message-ID)", s->host, s->port,
	             s->envid);
	return TRUE;
}

/* ---------------------------------------------------------------- results */

static void
mark_original (const char *info, MsgPermFlags flag)
{
	g_auto (GStrv) t = NULL;
	FolderItem *item;
	MsgInfo *mi;

	if (info == NULL)
		return;
	t = g_strsplit (info, "\t", 3);
	if (t[0] == NULL || t[1] == NULL || t[2] == NULL)
		return;
	item = folder_find_item_from_identifier (t[0]);
	if (item == NULL)
		return;
	/* as Claws does: by number, checked against the Message-ID, else by Message-ID */
	mi = folder_item_get_msginfo (item, atoi (t[1]));
	if (mi != NULL && mi->msgid != NULL && strcmp (mi->msgid, t[2]) != 0)
		procmsg_msginfo_free (&mi);
	if (mi == NULL)
		mi = folder_item_get_msginfo_by_msgid (item, t[2]);
	if (mi != NULL) {
		procmsg_msginfo_set_flags (mi, flag, 0);
		procmsg_msginfo_free (&mi);
	}
}

/* The Sent folder an entry asks for (SCF:), or NULL when it asks for none. */
static FolderItem *
sent_folder_of (const RtlsQueueFile *qf)
{
	FolderItem *outbox;

	if (qf == NULL || qf->save_copy_folder == NULL)
		return NULL;
	outbox = folder_find_item_from_identifier (qf->save_copy_folder);
	return outbox != NULL ? outbox : folder_get_default_outbox ();
}

static MsgInfo *
find_by_msgid (FolderItem *item, const char *msgid)
{
	g_autofree gchar *bare = NULL;

	if (item == NULL || msgid == NULL)
		return NULL;
	bare = g_strdup (msgid[0] == '<' ? msgid + 1 : msgid);
	if (*bare != '\0' && bare[strlen (bare) - 1] == '>')
		bare[strlen (bare) - 1] = '\0';
	/* Claws keeps Message-IDs without their brackets */
	return folder_item_get_msginfo_by_msgid (item, bare);
}

/* Files @file (the message as transmitted) in @outbox and makes it durable. */
static gboolean
file_copy (FolderItem *outbox, const char *file, const char *msgid)
{
	MsgInfo *mi;

	if (outbox == NULL || rtls_save_to_outbox (outbox, file) != 0) {
		log_error (
		        LOG_PROTOCOL,
		        _ ("REQUIRETLS: the message was sent, but its copy could not be saved in "
		           "the Sent folder\n"));
		return FALSE;
	}
	mi = find_by_msgid (outbox, msgid);
	if (mi != NULL) {
		g_autofree gchar *path = procmsg_get_message_file_path (mi);
		if (path != NULL)
			sync_file (path);
		procmsg_msginfo_free (&mi);
	}
	return TRUE;
}

static gchar *
entry_key (FolderItem *item, gint msgnum)
{
	g_autofree gchar *id = folder_item_get_identifier (item);
	return g_strdup_printf ("%s\t%d", id ? id : "?", msgnum);
}

static gboolean
attempt_running (const char *envid)
{
	for (GList *l = running; l != NULL; l = l->next) {
		RtlsSend *s = l->data;
		if (g_strcmp0 (s->envid, envid) == 0)
			return TRUE;
	}
	return FALSE;
}

/* A requiretls-submit with this ENVID on its command line still runs (it outlived the Claws
 * that started it). */
static gboolean
helper_alive (const char *envid)
{
	g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
	g_autofree gchar *want = g_strconcat ("--envid=", envid, NULL);
	const char *name;

	while (proc != NULL && (name = g_dir_read_name (proc)) != NULL) {
		g_autofree gchar *path = NULL, *cmd = NULL;
		gsize len = 0;
		if (!g_ascii_isdigit (name[0]))
			continue;
		path = g_build_filename ("/proc", name, "cmdline", NULL);
		if (!g_file_get_contents (path, &cmd, &len, NULL) || len == 0)
			continue;
		if (strstr (cmd, "requiretls-submit") == NULL)
			continue;
		for (gsize off = 0; off < len; off += strlen (cmd + off) + 1)
			if (strcmp (cmd + off, want) == 0)
				return TRUE;
	}
	return FALSE;
}

/* The facts of rtls_attempt_next_step() for @a. @s: the live send, when Claws saw it. */
typedef struct {
	RtlsRecoveryFacts f;
	RtlsRecord *record;
	FolderItem *queue;
	RtlsQueueFile *qf;
	gchar *entry_path;
	FolderItem *outbox;
} Facts;

static void
facts_clear (Facts *x)
{
	rtls_record_free (x->record);
	rtls_queue_file_free (x->qf);
	g_free (x->entry_path);
	memset (x, 0, sizeof *x);
}

static void
facts_gather (const RtlsAttempt *a, RtlsSend *s, Facts *x)
{
	g_autofree gchar *status_path = spool_path (a->envid, ".status");
	g_autofree gchar *text = NULL;
	gsize len = 0;
	MsgInfo *mi = NULL, *copy = NULL;

	memset (x, 0, sizeof *x);
	x->f.helper_alive = s == NULL && helper_alive (a->envid);
	if (g_file_get_contents (status_path, &text, &len, NULL)) {
		x->f.status_file = TRUE;
		x->record = rtls_record_parse (text, len);
		x->f.content_left = strstr (text, "progress=content") != NULL;
	}
	if (s != NULL && x->record == NULL && s->status != NULL) {
		/* Claws saw the pipe: what it said is at least as much as the file */
		x->record = rtls_record_parse (s->status->str, s->status->len);
		x->f.content_left |= s->content_left;
	}
	x->f.record = x->record;
	x->queue = a->queue_folder != NULL ? folder_find_item_from_identifier (a->queue_folder)
	                                   : NULL;
	if (x->queue != NULL && a->queue_msgnum > 0)
		mi = folder_item_get_msginfo (x->queue, a->queue_msgnum);
	if (mi != NULL && a->message_id != NULL && mi->msgid != NULL
	    && !rtls_delivery_same_message_id (mi->msgid, a->message_id))
		procmsg_msginfo_free (&mi); /* another message got the number since */
	if (mi != NULL) {
		x->entry_path = procmsg_get_message_file_path (mi);
		x->qf = x->entry_path != NULL ? rtls_queue_file_read (x->entry_path, NULL) : NULL;
		x->f.entry_present = TRUE;
		procmsg_msginfo_free (&mi);
	}
	x->f.wants_copy
	        = x->f.entry_present ? x->qf != NULL && x->qf->save_copy_folder != NULL : TRUE;
	x->outbox = sent_folder_of (x->qf);
	if (x->outbox == NULL && !x->f.entry_present)
		x->outbox = folder_get_default_outbox ();
	if (x->outbox != NULL && a->message_id != NULL) {
		copy = find_by_msgid (x->outbox, a->message_id);
		x->f.copy_present = copy != NULL;
		procmsg_msginfo_free (&copy);
	}
}

static void mark_original (const char *info, MsgPermFlags flag);

/* Carries out @step for @a. FALSE: it could not be done now (the next start tries again). */
static gboolean
step_do (RtlsAttempt *a, RtlsStep step, Facts *x, RtlsSend *s)
{
	g_autoptr (RtlsJournalEntry) e = NULL;

	g_debug ("REQUIRETLS: bookkeeping %s: %s", a->envid, rtls_step_name (step));
	switch (step) {
	case RTLS_STEP_RECORD_OUTCOME:
		e = rtls_attempt_recovered_outcome (a, &x->f, now_s ());
		if (g_str_equal (e->result, "temporary")) {
			const RtlsSettings *set = rtls_config_settings ();
			gint64 cap = set != NULL ? (gint64) set->retry_max_minutes * 60 : 3600;
			e->retry_step = a->retry_step;
			e->retry_at = set != NULL && !set->retry
			                      ? 0
			                      : now_s ()
			                                + rtls_attempt_backoff (
			                                        0, retry_first (set), cap);
		}
		return journal_write (e);
	case RTLS_STEP_FILE_COPY: {
		/* from the queue entry, the marker removed: the bytes that were transmitted */
		g_autofree gchar *tmp = spool_path (a->envid, ".eml");
		gboolean ok;
		if (s != NULL && s->msg_path != NULL) {
			ok = file_copy (x->outbox, s->msg_path, a->message_id);
		} else {
			int fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd >= 0)
				close (fd);
			ok = fd >= 0 && x->qf != NULL
			     && rtls_queue_file_extract_message (x->entry_path, x->qf, tmp, NULL)
			     && file_copy (x->outbox, tmp, a->message_id);
			g_unlink (tmp);
		}
		if (!ok)
			return FALSE;
#ifdef RTLS_TEST_HOOKS
		/* Fault injection for the end-to-end tests only (-Dtest_hooks=true, never in a
		 * build for use): die here, the copy filed and the journal not yet saying so,
		 * the worst moment for "at most once". */
		if (g_strcmp0 (g_getenv ("RTLS_TEST_KILL_AFTER_COPY"), a->subject) == 0
		    && a->subject != NULL)
			raise (SIGKILL);
#endif
		e = rtls_attempt_record (a, "filed", now_s ());
		return journal_write (e);
	}
	case RTLS_STEP_RECORD_FILED:
		e = rtls_attempt_record (a, "filed", now_s ());
		return journal_write (e);
	case RTLS_STEP_REMOVE_ENTRY:
		if (x->qf != NULL) {
			/* as Claws does after a send; setting a flag twice changes nothing */
			mark_original (x->qf->reply_info, MSG_REPLIED);
			mark_original (x->qf->forward_info, MSG_FORWARDED);
		}
		if (!rtls_entry_remove (x->queue, a->queue_msgnum))
			return FALSE;
		e = rtls_attempt_record (a, "closed", now_s ());
		return journal_write (e);
	case RTLS_STEP_RECORD_CLOSED:
		e = rtls_attempt_record (a, "closed", now_s ());
		return journal_write (e);
	case RTLS_STEP_FORGET_STATUS: {
		g_autofree gchar *path = spool_path (a->envid, ".status");
		g_unlink (path);
		sync_dir_of (path);
		return TRUE;
	}
	default:
		return FALSE;
	}
}

/* Runs the bookkeeping of @a until nothing is left, the helper still runs, or a step cannot
 * be done now. Every step is idempotent (rtls_attempt.h). Returns the last step seen. */
static RtlsStep
bookkeeping (const char *envid, RtlsSend *s)
{
	RtlsStep step = RTLS_STEP_NONE;

	for (guint guard = 0; guard < 12; guard++) {
		g_autoptr (RtlsAttempt) a = attempt_get (envid);
		Facts x;
		gboolean ok;

		if (a == NULL)
			return RTLS_STEP_NONE;
		facts_gather (a, s, &x);
		step = rtls_attempt_next_step (a, &x.f);
		ok = step != RTLS_STEP_NONE && step != RTLS_STEP_WAIT && step_do (a, step, &x, s);
		facts_clear (&x);
		if (!ok)
			return step;
	}
	return step;
}

/* Temporary failures come back after 1, 5, 15, 30, then every 60 minutes (at most the
 * configured maximum); permanent ones only when the person asks. In the journal, so a
 * restart keeps both. */
static void
retry_fields (RtlsSend *s, RtlsJournalEntry *e)
{
	const RtlsSettings *set = rtls_config_settings ();
	gint64 cap = set != NULL ? (gint64) set->retry_max_minutes * 60 : 3600;
	g_autofree gchar *folder = s->queue != NULL ? folder_item_get_identifier (s->queue) : NULL;
	const RtlsAttempt *prev = NULL;
	g_autoptr (GPtrArray) attempts = attempts_about (folder, s->msgnum, NULL);

	/* the attempt before this one for the same entry */
	for (guint i = attempts->len; i-- > 0;) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (g_strcmp0 (a->envid, s->envid) != 0 && a->queue_msgnum == s->msgnum
		    && g_strcmp0 (a->queue_folder, folder) == 0) {
			prev = a;
			break;
		}
	}
	e->retry_step
	        = prev != NULL && prev->state == RTLS_ATTEMPT_TEMPORARY ? prev->retry_step + 1 : 0;
	e->retry_at
	        = set != NULL && !set->retry
	                  ? 0 /* retries switched off: only when the person asks */
	                  : now_s () + rtls_attempt_backoff (e->retry_step, retry_first (set), cap);
}

static gchar *
subject_of (RtlsSend *s)
{
	return g_strdup (s->qf != NULL && s->qf->subject != NULL ? s->qf->subject
	                                                         : _ ("(no subject)"));
}

static void
show_progress (RtlsSend *s)
{
	g_autofree gchar *subject = NULL, *text = NULL;

	if (!s->from_queue_run && s->interactive && composer_alive (s) && s->composer->ui != NULL) {
		/* the composer's wait: server, stage; its status line adds the time (issue 15) */
		/* TRANSLATORS: server:port — stage */
		text = g_strdup_printf (_ ("Sending with REQUIRETLS to %s:%u — %s"),
		                        s->host ? s->host : "?", s->port,
		                        rtls_attempt_stage_words (s->stage));
		rtls_compose_ui_set_progress (s->composer->ui, text);
		return;
	}
	if (!s->from_queue_run || !run.asked)
		return;
	subject = subject_of (s);
	/* TRANSLATORS: “subject” (1 of 3) — server:port — stage */
	text = g_strdup_printf (_ ("“%s” (%u of %u) — %s:%u — %s"), subject, run.done + 1,
	                        run.total, s->host ? s->host : "?", s->port,
	                        rtls_attempt_stage_words (s->stage));
	rtls_queue_ui_progress (text);
}

/* What a queue run says about one message, then what becomes of it. */
static void
run_result (RtlsSend *s, RtlsOutcomeKind kind, const char *explanation)
{
	g_autofree gchar *subject = subject_of (s);
	g_autofree gchar *line = NULL;
	const char *next = kind == RTLS_OUTCOME_SENT ? ""
	                   : kind == RTLS_OUTCOME_TEMPORARY
	                           ? _ ("It stays locked in the queue and is retried later.")
	                   : kind == RTLS_OUTCOME_NOT_CONFIRMED
	                           ? _ ("It stays locked in the queue and is never sent again by "
	                                "itself.")
	                           : _ ("It stays locked in the queue: edit it, or send it again "
	                                "once the cause is fixed.");

	if (!s->from_queue_run)
		return;
	run.done++;
	if (kind == RTLS_OUTCOME_SENT)
		run.sent++;
	else
		run.problems = TRUE;
	line = g_strdup_printf ("“%s”: %s%s%s", subject, explanation, *next ? " " : "", next);
	if (run.asked) {
		rtls_queue_ui_result (kind == RTLS_OUTCOME_SENT, line);
	} else {
		if (run.summary == NULL)
			run.summary = g_string_new (NULL);
		if (run.summary->len > 0)
			g_string_append_c (run.summary, '\n');
		g_string_append (run.summary, line);
	}
}

static void failure_choice (gpointer data, RtlsFailureChoice choice);
static void failure_dialog (RtlsSend *s, const RtlsRecord *r, RtlsOutcomeKind kind,
                            const char *explanation);

static void
finish (RtlsSend *s)
{
	g_autoptr (RtlsRecord) r = NULL;
	g_autoptr (RtlsJournalEntry) e = NULL;
	g_autofree gchar *explanation = NULL;
	const char *result;
	RtlsOutcomeKind kind;
	gboolean alive;
	const char *cause = NULL;
	g_autofree gchar *tail = NULL;

	running = g_list_remove (running, s);
	if (s->status != NULL)
		r = rtls_record_parse (s->status->str, s->status->len);
	if (r != NULL) {
		kind = rtls_record_outcome (r);
		explanation = rtls_record_explain (r);
		result = rtls_attempt_result_of (kind);
	} else if (s->cancelled && !s->content_left) {
		/* the helper told how far it got: the content never left */
		kind = RTLS_OUTCOME_LOCAL;
		result = "cancelled";
		cause = "cancelled";
	} else if (s->content_left) {
		/* stopped, or killed, after the content had begun to leave: the server may
		 * have accepted it, so it must not be sent again without asking */
		kind = RTLS_OUTCOME_NOT_CONFIRMED;
		result = "not-confirmed";
		cause = s->cancelled ? "cancelled-late" : "helper-stopped";
	} else {
		if (s->stderr_text != NULL) {
			gchar *nl = strrchr (g_strchomp (s->stderr_text), '\n');
			tail = g_strdup (nl != NULL ? nl + 1 : s->stderr_text);
		}
		kind = RTLS_OUTCOME_LOCAL;
		result = "failed";
		cause = "helper-ended";
	}
	if (cause != NULL)
		explanation = rtls_attempt_cause_words (cause, s->stage, tail);
	alive = composer_alive (s);

	if (s->envid != NULL) {
		e = send_record (s, result);
		e->explanation = g_strdup (explanation);
		if (r != NULL)
			rtls_attempt_take_facts (e, r);
		if (e->stage == NULL)
			e->stage = g_strdup (s->stage);
		e->cause = g_strdup (cause);
		if (g_strcmp0 (cause, "helper-ended") == 0)
			e->detail = g_strdup (tail);
		if (kind == RTLS_OUTCOME_TEMPORARY)
			retry_fields (s, e);
		journal_write (e);
	}
	run_result (s, kind, explanation);

	if (kind == RTLS_OUTCOME_SENT) {
		log_print (LOG_PROTOCOL, "REQUIRETLS: %s\n", explanation);
		/* Sent copy once, then the entry, each durable before the next (rtls_attempt.h);
		 * what is left undone here is done at the next start */
		if (s->journaled)
			bookkeeping (s->envid, s);
		if (alive) {
			Compose *compose = s->compose;
			/* the draft or queue entry this composer re-edited is now sent */
			if (compose->mode == COMPOSE_REEDIT && compose->targetinfo != NULL
			    && compose->targetinfo->folder != NULL
			    && (compose->targetinfo->folder->stype == F_DRAFT
			        || compose->targetinfo->folder->stype == F_QUEUE)) {
				/* by number: targetinfo may be a copy, the lock lives in the cache
				 */
				rtls_entry_remove (compose->targetinfo->folder,
				                   compose->targetinfo->msgnum);
			}
			rtls_compose_ui_set_idle (s->composer->ui);
			compose->sending = FALSE;
			compose->modified = FALSE;
			compose_close (compose);
		}
		send_free (s);
		queue_run_next ();
		return;
	}
	if (s->journaled)
		bookkeeping (s->envid, s); /* the status file goes; the entry stays */

	log_error (LOG_PROTOCOL, "REQUIRETLS: %s\n", explanation);
	if (r != NULL && r->message != NULL && strstr (explanation, r->message) == NULL)
		/* the helper's own words (GnuTLS's, for a certificate) are a detail for the
		 * log; the person is shown the explanation */
		log_message (LOG_PROTOCOL, "REQUIRETLS: requiretls-submit: %s\n", r->message);
	if (alive) {
		s->compose->sending = FALSE;
		rtls_compose_ui_set_idle (s->composer->ui);
	}
	if (alive && s->interactive && !s->compose->batch) {
		/* The entry stays locked while the person decides. */
		failure_dialog (s, r, kind, explanation);
		return;
	}
	/* No dialog (a filter's batch composer, the queue, a closed composer): the message
	 * waits locked in the queue; temporary failures are retried with back-off (the
	 * outcome record holds when). */
	if (alive) {
		s->compose->modified = FALSE;
		compose_close (s->compose);
	}
	send_free (s);
	queue_run_next ();
}

/* The refusal dialog (issue 15): each kind of refusal with its own next step; the
 * downgrade second, behind its confirmation, which says when Claws Mail's own connection to
 * the account's server has no TLS. */
static void
failure_dialog (RtlsSend *s, const RtlsRecord *r, RtlsOutcomeKind kind, const char *explanation)
{
	PrefsAccount *ac = s->compose->account;
	RtlsRefusal refusal = RTLS_REFUSAL_OTHER;
	g_autofree gchar *server = NULL, *clear = NULL;

	g_autoptr (GPtrArray) about
	        = attempts_about (NULL, 0, s->qf != NULL ? s->qf->message_id : NULL);

	if (kind == RTLS_OUTCOME_NOT_CONFIRMED
	    || (s->qf != NULL
	        && rtls_attempts_maybe_arrived_for_message (about, s->qf->message_id) != NULL))
		refusal = RTLS_REFUSAL_NOT_CONFIRMED;
	else if (s->cancelled && !s->content_left)
		refusal = RTLS_REFUSAL_CANCELLED;
	else if (kind == RTLS_OUTCOME_TEMPORARY)
		refusal = RTLS_REFUSAL_TEMPORARY;
	else if (r != NULL && g_strcmp0 (r->error, "RTLS_ERROR_CERT") == 0)
		refusal = RTLS_REFUSAL_CERT;
	else if (r != NULL && g_strcmp0 (r->error, "RTLS_ERROR_UNSUPPORTED") == 0)
		refusal = RTLS_REFUSAL_NO_REQUIRETLS;
	server = g_strdup_printf ("%s:%u", s->host ? s->host : "?", s->port);
	if (ac != NULL && ac->ssl_smtp == SSL_NONE && ac->smtp_server != NULL)
		clear = g_strdup (ac->smtp_server);
	rtls_ui_failure_dialog (GTK_WINDOW (s->compose->window),
	                        kind == RTLS_OUTCOME_NOT_CONFIRMED
	                                ? _ ("The message may not have been sent")
	                                : _ ("The message was not sent"),
	                        explanation, refusal, server, clear, failure_choice, s);
}

static gboolean
open_account_idle (gpointer data)
{
	rtls_prefs_open_account (GPOINTER_TO_INT (data));
	return G_SOURCE_REMOVE;
}

static void
failure_choice (gpointer data, RtlsFailureChoice choice)
{
	RtlsSend *s = data;
	Compose *compose = s->compose;
	RtlsComposer *c = s->composer;
	gboolean alive = composer_alive (s);

	switch (choice) {
	case RTLS_FAILURE_OPEN_SETTINGS:
		/* Claws opens no account settings while a composer is open: the message goes
		 * to Drafts (with its choice), the composer closes, then the page opens. */
		rtls_entry_remove (s->queue, s->msgnum);
		release_composer (s);
		if (alive) {
			gint account_id = compose->account ? compose->account->account_id : -1;
			compose->sending = FALSE;
			if (compose_draft (compose, COMPOSE_QUIT_EDITING)) {
				log_message (
				        LOG_PROTOCOL,
				        _ ("REQUIRETLS: saved to Drafts; opening the account's "
				           "REQUIRETLS settings\n"));
				g_idle_add (open_account_idle, GINT_TO_POINTER (account_id));
			} else {
				compose->modified = TRUE; /* not saved: it stays in the composer */
			}
		}
		break;
	case RTLS_FAILURE_KEEP_QUEUED:
		/* the temporary outcome in the journal holds the back-off */
		if (alive) {
			compose->modified = FALSE;
			compose_close (compose);
		}
		break;
	case RTLS_FAILURE_SEND_DEFAULT:
		rtls_entry_remove (s->queue, s->msgnum);
		release_composer (s); /* our send is over: Claws' own may begin */
		if (alive) {
			g_autoptr (RtlsJournalEntry) e = NULL;
			for (GList *l = listeners; l != NULL; l = l->next) {
				RtlsSendListener *x = l->data;
				if (x->set_choice != NULL)
					x->set_choice (c, RTLS_CHOICE_DEFAULT, x->data);
			}
			log_message (LOG_PROTOCOL,
			             _ ("REQUIRETLS: sending without REQUIRETLS after "
			                "explicit confirmation\n"));
			/* Claws sends it now, without REQUIRETLS; the row says so only when Claws
			 * says it was sent (compose_send() returns 0 then) */
			/* Claws' own server, read before compose_send(), which may free the
			 * composer */
			PrefsAccount *ac = compose->account;
			g_autofree gchar *claws_host
			        = ac != NULL ? g_strdup (ac->smtp_server) : NULL;
			guint claws_port = rtls_config_claws_smtp_port (ac);
			if (compose_send (compose) == 0 && s->envid != NULL) {
				e = send_record (s, "sent-default");
				e->cause = g_strdup ("sent-default");
				if (claws_host != NULL) {
					g_free (e->host);
					e->host = g_steal_pointer (&claws_host);
					e->port = claws_port;
				}
				e->explanation = rtls_attempt_cause_words (e->cause, NULL, NULL);
				journal_write (e);
			}
		}
		break;
	case RTLS_FAILURE_EDIT:
	default:
		/* The composer still holds the message; the queued copy goes. */
		rtls_entry_remove (s->queue, s->msgnum);
		if (alive)
			compose->modified = TRUE;
		break;
	}
	send_free (s);
	queue_run_next ();
}

/* ---------------------------------------------------------------- entry points */

static gboolean
begin_idle (gpointer data)
{
	RtlsSend *s = data;
	Compose *compose = s->compose;

	composer_sends = g_list_remove (composer_sends, s); /* start() lists it as running */

	if (!composer_alive (s)) {
		/* The composer went away in between: the locked entry is sent like a queued one. */
		release_composer (s);
		s->compose = NULL;
		s->interactive = FALSE;
	} else {
		compose->sending = TRUE; /* Claws refuses to close a composer that is sending */
		if (compose->batch)
			rtls_ui_window_hide (compose->window); /* compose_send() showed it */
		if (s->composer->ui != NULL)
			rtls_compose_ui_set_busy (s->composer->ui, _ ("Sending with REQUIRETLS…"),
			                          compose->menubar, compose->handlebox,
			                          compose->vbox2, NULL);
	}
	start (s);
	return G_SOURCE_REMOVE;
}

/* Called from the before-send hook: Claws writes the queue entry right now (a filter's
 * Redirect reads a file that is gone once filtering is over), and the entry is locked
 * before anything else can run. */
void
rtls_send_from_composer (RtlsComposer *c)
{
	Compose *compose = c->compose;
	RtlsSend *s;
	FolderItem *queue = NULL;
	gint msgnum = 0;
	ComposeQueueResult r;

	/* Claws writes the entry (MIME, signing, encryption); no checks run again, so our
	 * before-send hook is not re-entered. The re-edited draft stays until we have sent. */
	r = compose_queue (compose, &msgnum, &queue, NULL, FALSE);
	if (r != COMPOSE_QUEUE_SUCCESS || queue == NULL || msgnum <= 0) {
		if (compose->batch)
			log_error (LOG_PROTOCOL,
			           _ ("REQUIRETLS: the message could not be queued (%d)\n"), r);
		else
			alertpanel_error (
			        _ ("REQUIRETLS: the message could not be prepared for sending "
			           "(error %d). It was not sent."),
			        r);
		return;
	}
	rtls_entry_set_locked (queue, msgnum, TRUE);

	s = g_new0 (RtlsSend, 1);
	s->composer = c;
	s->compose = compose;
	s->interactive = !compose->batch;
	s->queue = queue;
	s->msgnum = msgnum;
	c->send = s;
	composer_sends = g_list_prepend (composer_sends, s);
	/* The helper starts once compose_send() has unwound (it resets the composer's state
	 * after our hook cancelled it). */
	g_idle_add (begin_idle, s);
}

void
rtls_send_cancel (RtlsComposer *c)
{
	if (c->send != NULL && c->send->proc != NULL) {
		c->send->cancelled = TRUE;
		g_subprocess_send_signal (c->send->proc, SIGTERM);
	}
}

static gboolean
entry_in_flight (FolderItem *item, gint msgnum)
{
	for (GList *l = running; l != NULL; l = l->next) {
		RtlsSend *s = l->data;
		if (s->queue == item && s->msgnum == msgnum)
			return TRUE;
	}
	for (GList *l = composer_sends; l != NULL; l = l->next) {
		RtlsSend *s = l->data;
		if (s->queue == item && s->msgnum == msgnum)
			return TRUE;
	}
	return FALSE;
}

/* ASKED: everything, but what may already have been accepted only after the person said so.
 * ONLINE: all but those that failed for good or wait for the person. RETRIES: only
 * temporary failures whose back-off is over; a "Send later" is never sent by the timer.
 * (rtls_attempt_due(); the attempts come from the journal, so a restart changes nothing.) */
static RtlsDue
entry_due (FolderItem *item, MsgInfo *mi, RtlsQueueRun mode, GPtrArray **about,
           const RtlsAttempt **which)
{
	g_autofree gchar *folder = folder_item_get_identifier (item);
	GPtrArray *attempts = *about = attempts_about (folder, mi->msgnum, mi->msgid);
	const RtlsAttempt *a = rtls_attempts_for_entry (attempts, folder, mi->msgnum, mi->msgid);
	RtlsDueKind kind = mode == RTLS_RUN_ASKED    ? RTLS_DUE_ASKED
	                   : mode == RTLS_RUN_ONLINE ? RTLS_DUE_ONLINE
	                                             : RTLS_DUE_RETRIES;

	/* the same message queued again (a copy, or an entry the previous release left
	 * behind after sending it): what its latest send says counts */
	if (a == NULL || a->legacy)
		a = rtls_attempts_open_for_message (attempts, mi->msgid);
	/* an earlier send of the same message that may have been accepted holds it back, even
	 * when a later attempt failed (a "Back to editing" and Send again, then a temporary
	 * failure, must not let the timer send it twice) */
	return rtls_attempt_due_for_entry (attempts, a, mi->msgid, kind, now_s (), which);
}

static void
queue_run_next (void)
{
	while (!unloading && running == NULL && !g_queue_is_empty (&pending_queue)) {
		g_autofree gchar *key = g_queue_pop_head (&pending_queue);
		g_auto (GStrv) t = g_strsplit (key, "\t", 2);
		FolderItem *item = t[0] ? folder_find_item_from_identifier (t[0]) : NULL;
		gint msgnum = t[0] && t[1] ? atoi (t[1]) : 0;
		MsgInfo *mi = item ? folder_item_get_msginfo (item, msgnum) : NULL;
		RtlsSend *s;

		if (mi == NULL) {
			run.total = run.total > 0 ? run.total - 1 : 0;
			continue;
		}
		procmsg_msginfo_free (&mi);
		s = g_new0 (RtlsSend, 1);
		s->interactive = FALSE;
		s->queue = item;
		s->msgnum = msgnum;
		s->from_queue_run = run.active;
		start (s);
	}
	if (run.active && running == NULL && g_queue_is_empty (&pending_queue))
		run_over ();
}

static void
run_cancel (gpointer data)
{
	/* the others stay queued; the one being sent is stopped */
	g_queue_clear_full (&pending_queue, g_free);
	for (GList *l = running; l != NULL; l = l->next) {
		RtlsSend *s = l->data;
		if (s->from_queue_run && s->proc != NULL) {
			s->cancelled = TRUE;
			g_subprocess_send_signal (s->proc, SIGTERM);
		}
	}
	queue_run_next ();
}

static void
run_over (void)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();
	g_autofree gchar *summary = NULL;

	if (run.total == 0)
		summary = g_strdup (_ ("No queued REQUIRETLS message was due to be sent."));
	else
		summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
		                                        "Done: %u of %u message sent.",
		                                        "Done: %u of %u messages sent.", run.total),
		                           run.sent, run.total);
	if (run.asked) {
		rtls_queue_ui_finish (summary);
	} else if (run.summary != NULL) {
		/* nobody asked for this run: a note that takes no focus, and the rows; it
		 * says how many went out, never "sent" over a refusal */
		g_autofree gchar *text = g_strdup_printf ("%s\n%s", summary, run.summary->str);
		rtls_ui_notify_titled (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
		                       run.problems ? _ ("REQUIRETLS delivery problem")
		                                    : _ ("REQUIRETLS: queued messages sent"),
		                       text, announce_show_delivery, NULL);
	}
	if (run.summary != NULL)
		g_string_free (run.summary, TRUE);
	memset (&run, 0, sizeof run);
}

typedef struct {
	gchar *key;
	gchar *envid;
} AskItem;

static void ask_next (GList *items);

static void
ask_item_free (gpointer data)
{
	AskItem *it = data;

	g_free (it->key);
	g_free (it->envid);
	g_free (it);
}

/* The entries whose question is open or waiting to be asked: a second Send queued while the
 * person decides must not ask about them again (two "Send again" would list one twice). */
static GHashTable *asking;

static void
ask_done (gpointer data, gboolean yes)
{
	GList *items = data;
	AskItem *it = items->data;
	GList *rest = g_list_delete_link (items, items);

	if (asking != NULL)
		g_hash_table_remove (asking, it->key);
	if (yes) {
		g_autoptr (RtlsAttempt) a = attempt_get (it->envid);
		if (a != NULL) {
			g_autoptr (RtlsJournalEntry) e
			        = rtls_attempt_record (a, "confirmed", now_s ());
			journal_write (e); /* the person decided: recorded before it goes */
		}
		log_message (
		        LOG_PROTOCOL,
		        _ ("REQUIRETLS: sending a message that may already have been accepted, "
		           "after explicit confirmation\n"));
		g_queue_push_tail (&pending_queue, g_steal_pointer (&it->key));
		run.total++;
	} else {
		/* kept: said in the window like every other outcome of the run */
		g_autoptr (RtlsAttempt) a = attempt_get (it->envid);
		g_autofree gchar *line = g_strdup_printf (
		        _ ("“%s”: kept in the queue, not sent again (it may already have been "
		           "accepted)."),
		        a != NULL && a->subject ? a->subject : _ ("(no subject)"));
		if (run.asked)
			rtls_queue_ui_result (FALSE, line);
	}
	ask_item_free (it);
	ask_next (rest);
}

/* The messages that may already have been accepted, one question each; then the run. */
static void
ask_next (GList *items)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();
	AskItem *it;
	g_autoptr (RtlsAttempt) a = NULL;
	g_autofree gchar *text = NULL;

	if (items == NULL) {
		queue_run_next ();
		return;
	}
	it = items->data;
	a = attempt_get (it->envid);
	text = g_strdup_printf (
	        a != NULL && a->state == RTLS_ATTEMPT_HELD
	                ? _ ("“%s” to %s: Claws stopped, or the connection was lost, while it was "
	                     "being sent; the server may have accepted it.")
	                : _ ("“%s” to %s was already sent with REQUIRETLS, yet it is still in "
	                     "the queue."),
	        a != NULL && a->subject ? a->subject : _ ("(no subject)"),
	        a != NULL && a->recipients ? a->recipients : "?");
	rtls_ui_confirm_resend (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL, text,
	                        _ ("_Keep it queued"), ask_done, items);
}

/* Sends the REQUIRETLS entries waiting in every queue folder, one at a time (see entry_due
 * for which). */
void
rtls_send_queued (RtlsQueueRun mode)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();
	GList *asks = NULL;
	guint found = 0;
	gboolean was_active = run.active;

	if (prefs_common.work_offline && mode != RTLS_RUN_ASKED)
		return;
	if (run.active) {
		if (mode == RTLS_RUN_ASKED && !run.asked) {
			run.asked = TRUE; /* the person wants to see the run that is going on */
			rtls_queue_ui_open (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
			                    run_cancel, NULL);
		}
		if (mode != RTLS_RUN_ASKED)
			return;
	}
	if (!run.active) {
		memset (&run, 0, sizeof run);
		run.asked = mode == RTLS_RUN_ASKED;
	}
	for (GList *f = folder_get_list (); f != NULL; f = f->next) {
		Folder *folder = f->data;
		FolderItem *q = folder->queue;
		GSList *list;

		if (q == NULL)
			continue;
		folder_item_scan (q);
		rtls_queue_guard_item (q);
		list = folder_item_get_msg_list (q);
		for (GSList *l = list; l != NULL; l = l->next) {
			MsgInfo *mi = l->data;
			g_autofree gchar *key = entry_key (q, mi->msgnum);
			const RtlsAttempt *a = NULL;
			g_autoptr (GPtrArray) about = NULL;
			gboolean listed = FALSE;
			RtlsDue due;
			for (GList *p = pending_queue.head; p != NULL && !listed; p = p->next)
				listed = strcmp (p->data, key) == 0;
			listed = listed || (asking != NULL && g_hash_table_contains (asking, key));
			if (listed || entry_in_flight (q, mi->msgnum) || !MSG_IS_LOCKED (mi->flags)
			    || !rtls_entry_is_require (mi))
				continue;
			found++;
			due = entry_due (q, mi, mode, &about, &a);
			if (due == RTLS_DUE_YES) {
				g_queue_push_tail (&pending_queue, g_steal_pointer (&key));
				run.total++;
			} else if (due == RTLS_DUE_ASK && a != NULL) {
				AskItem *it = g_new0 (AskItem, 1);
				it->key = g_steal_pointer (&key);
				it->envid = g_strdup (a->envid);
				asks = g_list_append (asks, it);
			} else {
				g_debug ("REQUIRETLS: queue entry %d not due (%s)", mi->msgnum,
				         a != NULL && a->outcome ? a->outcome : "running");
			}
		}
		procmsg_msg_list_free (list);
	}
	if (run.total == 0 && asks == NULL && !run.active) {
		if (mode == RTLS_RUN_ASKED) {
			/* never silent: the person asked */
			rtls_queue_ui_open (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
			                    run_cancel, NULL);
			rtls_queue_ui_finish (
			        found == 0
			                ? _ ("No REQUIRETLS message is waiting in the queue.")
			                : _ ("No queued REQUIRETLS message can be sent now: each "
			                     "is being sent or finished already."));
		}
		return;
	}
	run.active = TRUE;
	/* a run going on keeps its window and what it said so far */
	if (run.asked && (!was_active || !rtls_queue_ui_is_open ()))
		rtls_queue_ui_open (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
		                    run_cancel, NULL);
	if (asking != NULL && g_hash_table_size (asking) > 0) {
		/* questions are open: the run goes on when they are answered (ask_next); the
		 * entries found now that need one are asked about by a later Send queued */
		g_list_free_full (asks, ask_item_free);
		return;
	}
	if (asks != NULL) {
		if (asking == NULL)
			asking = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
		for (GList *l = asks; l != NULL; l = l->next)
			g_hash_table_add (asking, g_strdup (((AskItem *) l->data)->key));
		ask_next (asks);
	} else
		queue_run_next ();
}

static guint retry_period;

static guint
tick_period (void)
{
	return (guint) CLAMP (retry_first (rtls_config_settings ()), 1, 60);
}

static gboolean
retry_tick (gpointer data)
{
	gint64 now = now_s ();

	RtlsStore *st = rtls_history_store (NULL);
	gint64 due = st != NULL ? rtls_store_next_retry (st) : 0;

	/* the queue folders are looked at only when a back-off is over (one indexed query) */
	if (due > 0 && due <= now)
		rtls_send_queued (RTLS_RUN_RETRIES);
	/* looked at as often as the first retry may come, at most once a second, at least once
	 * a minute: a change in the preferences takes effect here */
	if (retry_period != tick_period ()) {
		retry_period = tick_period ();
		retry_timer = g_timeout_add_seconds (retry_period, retry_tick, NULL);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- start-up */

static void
notify_recovered (GString *text)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();

	if (text->len == 0)
		return;
	rtls_ui_notify_titled (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
	                       _ ("REQUIRETLS: after Claws stopped"), text->str,
	                       announce_show_delivery, NULL);
}

static gboolean recover_tick (gpointer data);

/* Finishes what a Claws that stopped left undone: every attempt without an outcome, every
 * sent one whose bookkeeping is unfinished, every status file. TRUE: a helper that Claws
 * started before it stopped still runs (look again later). */
static gboolean
recover (GString *note)
{
	gboolean waiting = FALSE;
	g_autoptr (GPtrArray) envids = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) open = NULL;
	g_autoptr (GError) error = NULL;
	RtlsStore *st = rtls_history_store (NULL);
	g_autofree gchar *dir = rtls_rc_path (RTLS_SPOOL_DIR);
	g_autoptr (GDir) d = NULL;
	const char *name;

	/* Only what is unfinished (an indexed query), and the status files left in the spool:
	 * never the whole history. */
	open = st != NULL ? rtls_store_unfinished (st, &error) : NULL;
	if (error != NULL)
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
	for (guint i = 0; open != NULL && i < open->len; i++) {
		RtlsAttempt *a = g_ptr_array_index (open, i);
		if (a->legacy || attempt_running (a->envid)
		    || (a->state != RTLS_ATTEMPT_RUNNING && a->state != RTLS_ATTEMPT_SENT))
			continue;
		g_ptr_array_add (envids, g_strdup (a->envid));
	}
	/* finished attempts whose status file is left (a crash after the outcome was written,
	 * before the file was removed): at most the file is left to remove */
	d = g_dir_open (dir, 0, NULL);
	while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
		g_autofree gchar *envid = NULL;
		if (!g_str_has_suffix (name, ".status"))
			continue;
		envid = g_strndup (name, strlen (name) - strlen (".status"));
		if (!attempt_running (envid)
		    && !g_ptr_array_find_with_equal_func (envids, envid, g_str_equal, NULL))
			g_ptr_array_add (envids, g_steal_pointer (&envid));
	}
	for (guint i = 0; i < envids->len; i++) {
		const char *envid = g_ptr_array_index (envids, i);
		g_autoptr (RtlsAttempt) a = attempt_get (envid);
		RtlsAttemptState before;
		RtlsStep last;

		if (a == NULL || a->legacy)
			continue;
		before = a->state;
		last = bookkeeping (envid, NULL);
		g_clear_pointer (&a, rtls_attempt_free);
		a = attempt_get (envid);
		if (last == RTLS_STEP_WAIT) {
			waiting = TRUE;
			g_debug ("REQUIRETLS: the helper of %s still runs; its entry stays locked",
			         envid);
			continue;
		}
		if (before == RTLS_ATTEMPT_RUNNING && a != NULL && note != NULL) {
			const char *subject = a->subject ? a->subject : _ ("(no subject)");
			if (note->len > 0)
				g_string_append_c (note, '\n');
			if (a->state == RTLS_ATTEMPT_HELD)
				g_string_append_printf (note,
				                        _ ("Claws stopped while “%s” was being "
				                           "sent; the server may "
				                           "have accepted it. It waits locked in "
				                           "the queue; nothing "
				                           "sends it again without asking you."),
				                        subject);
			else if (a->state == RTLS_ATTEMPT_CLOSED || a->state == RTLS_ATTEMPT_SENT)
				g_string_append_printf (
				        note,
				        _ ("“%s” was accepted by the server while Claws was not "
				           "running; its Sent copy is filed."),
				        subject);
			else
				g_string_append_printf (note,
				                        _ ("“%s” was not sent when Claws stopped; "
				                           "it waits locked in "
				                           "the queue."),
				                        subject);
		}
	}
	return waiting;
}

static gboolean
recover_tick (gpointer data)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();
	g_autoptr (GString) note = NULL;
	gboolean again;

	/* never while Claws is busy with its folders (a scan, receiving, sending: they run
	 * the main loop from inside and this would change their message caches under them) */
	if (claws_is_starting () || (mainwin != NULL && mainwin->lock_count > 0) || inc_is_active ()
	    || procmsg_is_sending ())
		return G_SOURCE_CONTINUE;
	note = g_string_new (NULL);
	again = recover (note);

	if (note->len > 0)
		log_message (LOG_PROTOCOL, "REQUIRETLS: %s\n", note->str);
	notify_recovered (note);
	if (!again)
		recover_timer = 0;
	return again ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The copies of messages a crash left in the plugin's directory (a helper that still runs
 * keeps its own open). */
static void
spool_clean (void)
{
	g_autofree gchar *dir = rtls_rc_path (RTLS_SPOOL_DIR);
	g_autoptr (GDir) d = NULL;
	const char *name;

	if (g_mkdir_with_parents (dir, 0700) != 0)
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s: %s\n", dir, g_strerror (errno));
	g_chmod (dir, 0700);
	d = g_dir_open (dir, 0, NULL);
	while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
		if (g_str_has_suffix (name, ".eml") || g_str_has_suffix (name, ".status.tmp")) {
			g_autofree gchar *p = g_build_filename (dir, name, NULL);
			g_unlink (p);
			g_debug ("REQUIRETLS: removed %s, left by an interrupted send", name);
		}
	}
}

void
rtls_send_init (void)
{
	g_queue_init (&pending_queue);
	spool_clean ();
	rtls_entry_init (entry_in_flight);
	retry_period = tick_period ();
	retry_timer = g_timeout_add_seconds (retry_period, retry_tick, NULL);
	/* Entries that were queued while the plugin was not loaded. */
	for (GList *f = folder_get_list (); f != NULL; f = f->next)
		rtls_queue_guard_item (((Folder *) f->data)->queue);
	/* What a Claws that stopped mid-send left undone: once Claws has finished starting
	 * (its own first scans of the folders; looking into them from plugin_init() was seen
	 * to upset the queue's message cache). Until then nothing sends such an entry: an
	 * attempt without an outcome, or with its bookkeeping unfinished, is never due. */
	recover_timer = g_timeout_add_seconds (2, recover_tick, NULL);
}

gboolean
rtls_send_done (void)
{
	unloading = TRUE;
	rtls_entry_done ();
	if (retry_timer != 0)
		g_source_remove (retry_timer);
	if (recover_timer != 0)
		g_source_remove (recover_timer);
	retry_timer = recover_timer = 0;
	g_queue_clear_full (&pending_queue, g_free);
	rtls_queue_ui_close ();
	if (running != NULL) {
		/* A helper still runs. It is not stopped: it finishes the send and leaves its
		 * record in the status file, and the next start does the bookkeeping. Its
		 * callbacks live in this module, so the module stays loaded (Claws hides it)
		 * until they have run. The entries stay locked. */
		return FALSE;
	}
	g_clear_pointer (&asking, g_hash_table_unref);
	g_list_free_full (listeners, g_free);
	listeners = NULL;
	return TRUE;
}
