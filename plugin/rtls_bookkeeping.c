/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_bookkeeping.c: after a send's outcome, the Sent copy (once) and the queue entry, each
 * durable before the next record (rtls_attempt.h); at start-up, the same for what a Claws
 * that stopped left undone, found by the store's unfinished attempts and the status files.
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
			rtls_sync_file (path);
		procmsg_msginfo_free (&mi);
	}
	return TRUE;
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
	g_autofree gchar *status_path = rtls_spool_path (a->envid, ".status");
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
	if (s != NULL) {
		/* Claws saw the pipe: what it said (read once, rtls_send_finish()) is at least as
		 * much as the file */
		x->f.content_left |= s->content_left;
	}
	x->f.record = x->record != NULL ? x->record : s != NULL ? s->record : NULL;
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

	g_debug ("REQUIRETLS: rtls_bookkeeping_run %s: %s", a->envid, rtls_step_name (step));
	switch (step) {
	case RTLS_STEP_RECORD_OUTCOME:
		e = rtls_attempt_recovered_outcome (a, &x->f, rtls_now ());
		if (rtls_result_parse (e->result) == RTLS_RESULT_TEMPORARY) {
			const RtlsSettings *set = rtls_config_settings ();
			gint64 cap = set != NULL ? (gint64) set->retry_max_minutes * 60 : 3600;
			e->retry_step = a->retry_step;
			e->retry_at
			        = set != NULL && !set->retry
			                  ? 0
			                  : rtls_now ()
			                            + rtls_attempt_backoff (
			                                    0, rtls_send_retry_first (set), cap);
		}
		return rtls_send_write (e);
	case RTLS_STEP_FILE_COPY: {
		/* from the queue entry, the marker removed: the bytes that were transmitted */
		g_autofree gchar *tmp = rtls_spool_path (a->envid, ".eml");
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
		e = rtls_attempt_record (a, "filed", rtls_now ());
		return rtls_send_write (e);
	}
	case RTLS_STEP_RECORD_FILED:
		e = rtls_attempt_record (a, "filed", rtls_now ());
		return rtls_send_write (e);
	case RTLS_STEP_REMOVE_ENTRY:
		if (x->qf != NULL) {
			/* as Claws does after a send; setting a flag twice changes nothing */
			mark_original (x->qf->reply_info, MSG_REPLIED);
			mark_original (x->qf->forward_info, MSG_FORWARDED);
		}
		if (!rtls_entry_remove (x->queue, a->queue_msgnum))
			return FALSE;
		e = rtls_attempt_record (a, "closed", rtls_now ());
		return rtls_send_write (e);
	case RTLS_STEP_RECORD_CLOSED:
		e = rtls_attempt_record (a, "closed", rtls_now ());
		return rtls_send_write (e);
	case RTLS_STEP_FORGET_STATUS: {
		g_autofree gchar *path = rtls_spool_path (a->envid, ".status");
		g_unlink (path);
		rtls_sync_dir_of (path);
		return TRUE;
	}
	default:
		return FALSE;
	}
}

/* Runs the bookkeeping of @a until nothing is left, the helper still runs, or a step cannot
 * be done now. Every step is idempotent (rtls_attempt.h). Returns the last step seen. */
RtlsStep
rtls_bookkeeping_run (const char *envid, RtlsSend *s)
{
	RtlsStep step = RTLS_STEP_NONE;

	for (guint guard = 0; guard < 12; guard++) {
		g_autoptr (RtlsAttempt) a = rtls_send_attempt (envid);
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

/* ---------------------------------------------------------------- start-up */

static void
notify_recovered (GString *text)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();

	if (text->len == 0)
		return;
	rtls_ui_notify_titled (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
	                       _ ("REQUIRETLS: after Claws stopped"), text->str,
	                       rtls_send_announce_show_delivery, NULL);
}

static guint recover_timer;
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
		if (a->legacy || rtls_send_attempt_running (a->envid)
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
		if (!rtls_send_attempt_running (envid)
		    && !g_ptr_array_find_with_equal_func (envids, envid, g_str_equal, NULL))
			g_ptr_array_add (envids, g_steal_pointer (&envid));
	}
	for (guint i = 0; i < envids->len; i++) {
		const char *envid = g_ptr_array_index (envids, i);
		g_autoptr (RtlsAttempt) a = rtls_send_attempt (envid);
		RtlsAttemptState before;
		RtlsStep last;

		if (a == NULL || a->legacy)
			continue;
		before = a->state;
		last = rtls_bookkeeping_run (envid, NULL);
		g_clear_pointer (&a, rtls_attempt_free);
		a = rtls_send_attempt (envid);
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
	/* nor before the attempts of an earlier release's journal are in the store */
	if (!rtls_history_ready ())
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
rtls_spool_clean (void)
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
rtls_bookkeeping_init (void)
{
	rtls_spool_clean ();
	/* What a Claws that stopped mid-send left undone: once Claws has finished starting
	 * (its own first scans of the folders; looking into them from plugin_init() was seen
	 * to upset the queue's message cache). Until then nothing sends such an entry: an
	 * attempt without an outcome, or with its bookkeeping unfinished, is never due. */
	recover_timer = g_timeout_add_seconds (2, recover_tick, NULL);
}

void
rtls_bookkeeping_done (void)
{
	if (recover_timer != 0)
		g_source_remove (recover_timer);
	recover_timer = 0;
}
