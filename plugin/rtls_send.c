/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_send.c: the plugin owns the send of a REQUIRETLS message (DESIGN §4). Claws writes the
 * queue entry (MIME, signing, encryption), the entry stays locked (MSG_LOCKED: Claws' "Send
 * queued messages" and --send skip it), requiretls-submit runs asynchronously with the
 * envelope of the entry, and the result decides: Sent copy filed once and the entry removed,
 * or the message stays with the person.
 */
#include "config.h"

#include "rtls_plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "alertpanel.h"
#include "hooks.h"
#include "inputdialog.h"
#include "log.h"
#include "passwordstore.h"
#include "prefs_common.h"
#include "utils.h"

#include "rtls_journal.h"
#include "rtls_queuefile.h"
#include "rtls_record.h"

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
	GOutputStream *status;
	gchar *stderr_text;
	gboolean status_done, proc_done, cancelled;
};

static GList *running;         /* RtlsSend* */
static GQueue pending_queue;   /* "folder-id\tmsgnum" strings of queued entries to send */
static GHashTable *next_retry; /* "folder-id\tmsgnum" -> gint64 monotonic µs; G_MAXINT64 = no */
static guint retry_timer;
static gint guard_suspended;
static gboolean unloading;

static void queue_run_next (void);

/* ---------------------------------------------------------------- queue entries */

static void
set_locked (FolderItem *item, gint msgnum, gboolean locked)
{
	MsgInfo *mi = folder_item_get_msginfo (item, msgnum);

	if (mi == NULL)
		return;
	guard_suspended++;
	if (locked)
		procmsg_msginfo_set_flags (mi, MSG_LOCKED, 0);
	else
		procmsg_msginfo_unset_flags (mi, MSG_LOCKED, 0);
	guard_suspended--;
	procmsg_msginfo_free (&mi);
}

static gboolean
remove_entry (FolderItem *item, gint msgnum)
{
	gint r;

	guard_suspended++;
	set_locked (item, msgnum, FALSE);
	r = folder_item_remove_msg (item, msgnum);
	guard_suspended--;
	if (r != 0) {
		log_error (LOG_PROTOCOL,
		           _ ("REQUIRETLS: cannot remove queue entry %d; it is locked again\n"),
		           msgnum);
		set_locked (item, msgnum, TRUE);
		return FALSE;
	}
	return TRUE;
}

static gboolean
is_require_entry (MsgInfo *mi)
{
	g_autofree gchar *path = procmsg_get_message_file_path (mi);
	RtlsChoice choice = RTLS_CHOICE_DEFAULT;

	return path != NULL && rtls_message_file_choice (path, &choice, NULL)
	       && choice == RTLS_CHOICE_REQUIRE;
}

/* Locks every REQUIRETLS-marked entry of a queue folder that is not locked (a draft dragged
 * into the queue, an entry unlocked by hand, "Send later"). TRUE when it locked any. */
gboolean
rtls_queue_guard_item (FolderItem *item)
{
	GSList *list;
	gboolean any = FALSE;

	if (guard_suspended > 0 || item == NULL || item->stype != F_QUEUE)
		return FALSE;
	list = folder_item_get_msg_list (item);
	for (GSList *l = list; l != NULL; l = l->next) {
		MsgInfo *mi = l->data;
		if (!MSG_IS_LOCKED (mi->flags) && is_require_entry (mi)) {
			guard_suspended++;
			procmsg_msginfo_set_flags (mi, MSG_LOCKED, 0);
			guard_suspended--;
			log_message (
			        LOG_PROTOCOL,
			        _ ("REQUIRETLS: queue entry %d is marked Require TLS; locked so "
			           "that only the plugin sends it\n"),
			        mi->msgnum);
			any = TRUE;
		}
	}
	procmsg_msg_list_free (list);
	return any;
}

static gboolean
folder_item_update_hook (gpointer source, gpointer data)
{
	FolderItemUpdateData *d = source;

	if (d->item != NULL && d->item->stype == F_QUEUE
	    && (d->update_flags
	        & (F_ITEM_UPDATE_MSGCNT | F_ITEM_UPDATE_CONTENT | F_ITEM_UPDATE_ADDMSG)))
		rtls_queue_guard_item (d->item);
	return FALSE;
}

static gboolean
msginfo_update_hook (gpointer source, gpointer data)
{
	MsgInfoUpdate *u = source;
	MsgInfo *mi = u->msginfo;

	if (guard_suspended > 0 || mi == NULL || mi->folder == NULL || mi->folder->stype != F_QUEUE
	    || !(u->flags & MSGINFO_UPDATE_FLAGS) || MSG_IS_LOCKED (mi->flags))
		return FALSE;
	if (is_require_entry (mi)) {
		guard_suspended++;
		procmsg_msginfo_set_flags (mi, MSG_LOCKED, 0);
		guard_suspended--;
		log_message (LOG_PROTOCOL,
		             _ ("REQUIRETLS: queue entry %d is marked Require TLS; locked again\n"),
		             mi->msgnum);
	}
	return FALSE;
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
	if (c != NULL)
		rtls_composer_send_over (c);
}

static void
send_free (RtlsSend *s)
{
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
	g_clear_object (&s->status);
	g_free (s->stderr_text);
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

static void
status_spliced (GObject *src, GAsyncResult *res, gpointer data)
{
	RtlsSend *s = data;

	g_output_stream_splice_finish (G_OUTPUT_STREAM (src), res, NULL);
	s->status_done = TRUE;
	maybe_finish (s);
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
	s->status = g_memory_output_stream_new_resizable ();
	g_output_stream_write_all (s->status, line, strlen (line), NULL, NULL, NULL);
	g_output_stream_close (s->status, NULL, NULL);
	s->status_done = s->proc_done = TRUE;
	finish (s);
	return FALSE;
}

/* Starts requiretls-submit for the locked queue entry (s->queue, s->msgnum). */
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
	s->account_id = s->qf->account_id;
	ac = account_find_from_id (s->qf->account_id);
	if (ac == NULL && s->compose != NULL)
		ac = s->compose->account;
	if (ac == NULL || ac->smtp_server == NULL || *ac->smtp_server == '\0')
		return fail_early (s, _ ("the account has no SMTP server"));
	s->account_id = ac->account_id;

	tmpfd = g_file_open_tmp ("requiretls-XXXXXX.eml", &s->msg_path, &error);
	if (tmpfd < 0)
		return fail_early (s, error->message);
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
	          : ac->set_smtpport              ? ac->smtpport
	          : ac->ssl_smtp == SSL_TUNNEL    ? 465
	                                          : 25;
	s->envid = rtls_journal_new_envid ();

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
	s->status = g_memory_output_stream_new_resizable ();
	status_in = g_unix_input_stream_new (st[0], TRUE);
	g_output_stream_splice_async (s->status, status_in,
	                              G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE
	                                      | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
	                              G_PRIORITY_DEFAULT, NULL, status_spliced, s);
	g_object_unref (status_in);
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

static gboolean
file_sent_copy (RtlsSend *s)
{
	FolderItem *outbox = NULL;

	if (s->qf->save_copy_folder == NULL)
		return TRUE; /* "Save sent message" was off for this message */
	outbox = folder_find_item_from_identifier (s->qf->save_copy_folder);
	if (outbox == NULL)
		outbox = folder_get_default_outbox ();
	if (outbox == NULL || rtls_save_to_outbox (outbox, s->msg_path) != 0) {
		log_error (
		        LOG_PROTOCOL,
		        _ ("REQUIRETLS: the message was sent, but its copy could not be saved in "
		           "%s\n"),
		        s->qf->save_copy_folder);
		return FALSE;
	}
	return TRUE;
}

static void
journal (RtlsSend *s, const RtlsRecord *r, const char *result, const char *explanation)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_JOURNAL_FILE);
	g_autoptr (GError) error = NULL;
	g_autoptr (GString) rcpts = g_string_new (NULL);
	RtlsJournalEntry e = { 0 };

	for (guint i = 0; s->qf != NULL && i < s->qf->recipients->len; i++)
		g_string_append_printf (rcpts, "%s%s", i ? "," : "",
		                        (char *) g_ptr_array_index (s->qf->recipients, i));
	e.time = g_get_real_time () / G_USEC_PER_SEC;
	e.envid = s->envid;
	e.message_id = s->qf != NULL ? s->qf->message_id : NULL;
	e.account_id = s->account_id;
	e.sender = s->qf != NULL ? s->qf->sender : NULL;
	e.recipients = rcpts->str;
	e.subject = s->qf != NULL ? s->qf->subject : NULL;
	e.result = (gchar *) result;
	e.host = r != NULL && r->host != NULL ? r->host : s->host;
	e.port = s->port;
	e.tls_version = r != NULL ? r->tls_version : NULL;
	e.enhanced = r != NULL ? r->enhanced : NULL;
	e.explanation = (gchar *) explanation;
	if (e.envid == NULL)
		return; /* nothing was attempted */
	if (!rtls_journal_append (path, &e, &error))
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: cannot write the send journal: %s\n"),
		           error->message);
	rtls_bounce_journal_changed (); /* an open delivery window shows the attempt at once */
}

static gchar *
entry_key (FolderItem *item, gint msgnum)
{
	g_autofree gchar *id = folder_item_get_identifier (item);
	return g_strdup_printf ("%s\t%d", id ? id : "?", msgnum);
}

/* Temporary failures come back after 1, 5, 15, 30, then every 60 minutes; permanent ones
 * only when the person asks. */
static void
schedule_retry (RtlsSend *s, gboolean temporary)
{
	static const gint64 steps[] = { 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400 };
	const RtlsSettings *set = rtls_config_settings ();
	gint64 cap = set != NULL ? (gint64) set->retry_max_minutes * 60 : 3600;
	gchar *key = entry_key (s->queue, s->msgnum);
	gint64 *prev = g_hash_table_lookup (next_retry, key);
	gint64 *v = g_new (gint64, 2);
	guint n = prev != NULL && prev[0] != G_MAXINT64 ? (guint) prev[1] + 1 : 0;

	n = MIN (n, G_N_ELEMENTS (steps) - 1);
	if (set != NULL && !set->retry)
		temporary = FALSE; /* retries switched off: only when the person asks */
	v[0] = temporary ? g_get_monotonic_time () + MIN (steps[n], cap) * G_USEC_PER_SEC
	                 : G_MAXINT64;
	v[1] = n;
	g_hash_table_replace (next_retry, key, v);
}

static void failure_choice (gpointer data, RtlsFailureChoice choice);

static void
finish (RtlsSend *s)
{
	gsize len = 0;
	const char *text = NULL;
	g_autoptr (RtlsRecord) r = NULL;
	g_autofree gchar *explanation = NULL;
	RtlsOutcomeKind kind;
	gboolean alive;

	running = g_list_remove (running, s);
	if (s->status != NULL) {
		text = g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (s->status));
		len = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (s->status));
	}
	r = text != NULL ? rtls_record_parse (text, len) : NULL;
	if (r != NULL) {
		kind = rtls_record_outcome (r);
		explanation = rtls_record_explain (r);
	} else if (s->cancelled) {
		/* Stopped by the person. Had it passed the final "." already, the server may
		 * have accepted it: say so rather than pretend. */
		kind = RTLS_OUTCOME_NOT_CONFIRMED;
		explanation
		        = g_strdup (_ ("Sending was cancelled. If it was cancelled at the very "
		                       "end, the server may already have accepted the message."));
	} else {
		g_autofree gchar *tail = NULL;
		if (s->stderr_text != NULL) {
			gchar *nl = strrchr (g_strchomp (s->stderr_text), '\n');
			tail = g_strdup (nl != NULL ? nl + 1 : s->stderr_text);
		}
		kind = RTLS_OUTCOME_LOCAL;
		explanation = g_strdup_printf (_ ("requiretls-submit ended without a result: %s"),
		                               tail != NULL && *tail ? tail : _ ("no message"));
	}
	alive = composer_alive (s);

	journal (s, r,
	         kind == RTLS_OUTCOME_SENT            ? "sent"
	         : kind == RTLS_OUTCOME_NOT_CONFIRMED ? "not-confirmed"
	         : kind == RTLS_OUTCOME_TEMPORARY     ? "temporary"
	                                              : "failed",
	         explanation);

	if (kind == RTLS_OUTCOME_SENT) {
		log_print (LOG_PROTOCOL, "REQUIRETLS: %s\n", explanation);
		file_sent_copy (s);
		mark_original (s->qf->reply_info, MSG_REPLIED);
		mark_original (s->qf->forward_info, MSG_FORWARDED);
		remove_entry (s->queue, s->msgnum);
		{
			g_autofree gchar *key = entry_key (s->queue, s->msgnum);
			g_hash_table_remove (next_retry, key);
		}
		if (alive) {
			Compose *compose = s->compose;
			/* the draft or queue entry this composer re-edited is now sent */
			if (compose->mode == COMPOSE_REEDIT && compose->targetinfo != NULL
			    && compose->targetinfo->folder != NULL
			    && (compose->targetinfo->folder->stype == F_DRAFT
			        || compose->targetinfo->folder->stype == F_QUEUE)) {
				/* by number: targetinfo may be a copy, the lock lives in the cache
				 */
				remove_entry (compose->targetinfo->folder,
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

	log_error (LOG_PROTOCOL, "REQUIRETLS: %s\n", explanation);
	if (alive) {
		s->compose->sending = FALSE;
		rtls_compose_ui_set_idle (s->composer->ui);
	}
	if (alive && s->interactive && !s->compose->batch) {
		/* The entry stays locked while the person decides. */
		rtls_ui_failure_dialog (GTK_WINDOW (s->compose->window),
		                        kind == RTLS_OUTCOME_NOT_CONFIRMED
		                                ? _ ("The message may not have been sent")
		                                : _ ("The message was not sent"),
		                        explanation, kind == RTLS_OUTCOME_TEMPORARY, failure_choice,
		                        s);
		return;
	}
	/* No dialog (a filter's batch composer, the queue, a closed composer): the message
	 * waits locked in the queue; temporary failures are retried with back-off. */
	schedule_retry (s, kind == RTLS_OUTCOME_TEMPORARY);
	if (alive) {
		s->compose->modified = FALSE;
		compose_close (s->compose);
	}
	send_free (s);
	queue_run_next ();
}

static void
failure_choice (gpointer data, RtlsFailureChoice choice)
{
	RtlsSend *s = data;
	Compose *compose = s->compose;
	RtlsComposer *c = s->composer;
	gboolean alive = composer_alive (s);

	switch (choice) {
	case RTLS_FAILURE_KEEP_QUEUED:
		schedule_retry (s, TRUE);
		if (alive) {
			compose->modified = FALSE;
			compose_close (compose);
		}
		break;
	case RTLS_FAILURE_SEND_DEFAULT:
		remove_entry (s->queue, s->msgnum);
		release_composer (s); /* our send is over: Claws' own may begin */
		if (alive) {
			rtls_composer_set_choice (c, RTLS_CHOICE_DEFAULT, TRUE);
			log_message (LOG_PROTOCOL, _ ("REQUIRETLS: sending with Default after "
			                              "explicit confirmation\n"));
			compose_send (compose);
		}
		break;
	case RTLS_FAILURE_EDIT:
	default:
		/* The composer still holds the message; the queued copy goes. */
		remove_entry (s->queue, s->msgnum);
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
	set_locked (queue, msgnum, TRUE);

	s = g_new0 (RtlsSend, 1);
	s->composer = c;
	s->compose = compose;
	s->interactive = !compose->batch;
	s->queue = queue;
	s->msgnum = msgnum;
	c->send = s;
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

/* ASKED: everything (the person chose the menu item). ONLINE: everything but entries that
 * failed for good. RETRIES: only entries whose back-off after a temporary failure is over;
 * a message put off with "Send later" is never sent by the timer. */
static gboolean
entry_due (FolderItem *item, gint msgnum, RtlsQueueRun mode)
{
	g_autofree gchar *key = entry_key (item, msgnum);
	gint64 *v = g_hash_table_lookup (next_retry, key);

	switch (mode) {
	case RTLS_RUN_ASKED:
		return TRUE;
	case RTLS_RUN_ONLINE:
		return v == NULL || v[0] != G_MAXINT64;
	case RTLS_RUN_RETRIES:
	default:
		return v != NULL && v[0] != G_MAXINT64 && g_get_monotonic_time () >= v[0];
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
	return FALSE;
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

		if (mi == NULL)
			continue;
		procmsg_msginfo_free (&mi);
		s = g_new0 (RtlsSend, 1);
		s->interactive = FALSE;
		s->queue = item;
		s->msgnum = msgnum;
		start (s);
	}
}

/* Sends the REQUIRETLS entries waiting in every queue folder, one at a time (see entry_due
 * for which). */
void
rtls_send_queued (RtlsQueueRun mode)
{
	if (prefs_common.work_offline && mode != RTLS_RUN_ASKED)
		return;
	if (mode == RTLS_RUN_RETRIES && g_hash_table_size (next_retry) == 0)
		return;
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
			gboolean listed = FALSE;
			for (GList *p = pending_queue.head; p != NULL && !listed; p = p->next)
				listed = strcmp (p->data, key) == 0;
			if (listed || entry_in_flight (q, mi->msgnum) || !MSG_IS_LOCKED (mi->flags)
			    || !is_require_entry (mi) || !entry_due (q, mi->msgnum, mode))
				continue;
			g_queue_push_tail (&pending_queue, g_steal_pointer (&key));
		}
		procmsg_msg_list_free (list);
	}
	queue_run_next ();
}

static gboolean
retry_tick (gpointer data)
{
	rtls_send_queued (RTLS_RUN_RETRIES);
	return G_SOURCE_CONTINUE;
}

static gulong hook_item, hook_msginfo;

void
rtls_send_init (void)
{
	next_retry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_queue_init (&pending_queue);
	hook_item
	        = hooks_register_hook (FOLDER_ITEM_UPDATE_HOOKLIST, folder_item_update_hook, NULL);
	hook_msginfo = hooks_register_hook (MSGINFO_UPDATE_HOOKLIST, msginfo_update_hook, NULL);
	retry_timer = g_timeout_add_seconds (60, retry_tick, NULL);
	/* Entries that were queued while the plugin was not loaded. */
	for (GList *f = folder_get_list (); f != NULL; f = f->next)
		rtls_queue_guard_item (((Folder *) f->data)->queue);
}

gboolean
rtls_send_done (void)
{
	unloading = TRUE;
	hooks_unregister_hook (FOLDER_ITEM_UPDATE_HOOKLIST, hook_item);
	hooks_unregister_hook (MSGINFO_UPDATE_HOOKLIST, hook_msginfo);
	if (retry_timer != 0)
		g_source_remove (retry_timer);
	retry_timer = 0;
	g_queue_clear_full (&pending_queue, g_free);
	if (running != NULL) {
		/* A helper still runs: its callbacks live in this module, so the module stays
		 * loaded (Claws hides it) until they have run. The entries stay locked. */
		for (GList *l = running; l != NULL; l = l->next) {
			RtlsSend *s = l->data;
			if (s->proc != NULL)
				g_subprocess_send_signal (s->proc, SIGTERM);
			s->cancelled = TRUE;
		}
		return FALSE;
	}
	g_clear_pointer (&next_retry, g_hash_table_unref);
	return TRUE;
}
