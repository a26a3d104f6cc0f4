/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_queuerun.c: sends the REQUIRETLS entries waiting in the queue folders, one at a
 * time: when the person asks, when Claws goes online, and when a back-off is over; asks
 * first about any that may already have been accepted.
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
#include "compose.h"
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

static GQueue pending_queue; /* "folder-id\tmsgnum" strings of queued entries to send */
static guint retry_timer;

/* the run of rtls_send_queued() in progress */
static struct {
	gboolean active, asked;
	guint total, done, sent;
	GString *summary; /* for the note of a run nobody asked for */
	gboolean problems;
} run;

static void run_over (void);

/* A refused entry's next steps in the queue window: the composer's, from here. */
typedef struct {
	gchar *folder;
	gint msgnum;
	gint account_id;
	gchar *why;
} NextStep;

static void
next_step_free (gpointer p)
{
	NextStep *n = p;

	g_free (n->folder);
	g_free (n->why);
	g_free (n);
}

static void
next_step (gpointer data, gboolean settings)
{
	NextStep *n = data;
	FolderItem *item = folder_find_item_from_identifier (n->folder);
	MsgInfo *mi = item != NULL ? folder_item_get_msginfo (item, n->msgnum) : NULL;

	if (settings) {
		/* the entry stays locked in the queue meanwhile */
		rtls_prefs_open_account (n->account_id, n->why);
	} else if (mi != NULL) {
		/* Claws' own re-edit of a queue entry: the composer gets its choice back, and
		 * its Send ends the entry (rtls_send.c) */
		compose_reedit (mi, FALSE);
	} else {
		alertpanel_error (_ ("This message is no longer in the queue."));
	}
	if (mi != NULL)
		procmsg_msginfo_free (&mi);
}

/* What a queue run says about one message, then what becomes of it. */
void
rtls_queuerun_result (RtlsSend *s, RtlsOutcomeKind kind, RtlsRefusal refusal,
                      const char *explanation)
{
	g_autofree gchar *subject = rtls_send_subject (s);
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
		if (kind != RTLS_OUTCOME_SENT && refusal != RTLS_REFUSAL_TEMPORARY
		    && refusal != RTLS_REFUSAL_NOT_CONFIRMED && refusal != RTLS_REFUSAL_CANCELLED) {
			NextStep *n = g_new0 (NextStep, 1);
			n->folder = folder_item_get_identifier (s->queue);
			n->msgnum = s->msgnum;
			n->account_id = s->account_id;
			n->why = g_strdup_printf (_ ("Opened for “%s” in the Queue: %s"), subject,
			                          explanation);
			rtls_queue_ui_next_steps (subject,
			                          refusal == RTLS_REFUSAL_CERT
			                                  || refusal == RTLS_REFUSAL_NO_REQUIRETLS,
			                          next_step, n, next_step_free);
		}
	} else {
		if (run.summary == NULL)
			run.summary = g_string_new (NULL);
		if (run.summary->len > 0)
			g_string_append_c (run.summary, '\n');
		g_string_append (run.summary, line);
	}
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
	GPtrArray *attempts = *about = rtls_send_attempts_about (folder, mi->msgnum, mi->msgid);
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
	return rtls_attempt_due_for_entry (attempts, a, mi->msgid, kind, rtls_now (), which);
}

void
rtls_queuerun_next (void)
{
	while (!rtls_send_unloading () && rtls_send_running () == NULL
	       && !g_queue_is_empty (&pending_queue)) {
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
		rtls_send_start (s);
	}
	if (run.active && rtls_send_running () == NULL && g_queue_is_empty (&pending_queue))
		run_over ();
}

static void
run_cancel (gpointer data)
{
	/* the others stay queued; the one being sent is stopped */
	g_queue_clear_full (&pending_queue, g_free);
	for (GList *l = rtls_send_running (); l != NULL; l = l->next) {
		RtlsSend *s = l->data;
		if (s->from_queue_run && s->proc != NULL) {
			s->cancelled = TRUE;
			g_subprocess_send_signal (s->proc, SIGTERM);
		}
	}
	rtls_queuerun_next ();
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
		                       text, rtls_send_announce_show_delivery, NULL);
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
		g_autoptr (RtlsAttempt) a = rtls_send_attempt (it->envid);
		if (a != NULL) {
			g_autoptr (RtlsJournalEntry) e
			        = rtls_attempt_record (a, "confirmed", rtls_now ());
			rtls_send_write (e); /* the person decided: recorded before it goes */
		}
		log_message (
		        LOG_PROTOCOL,
		        _ ("REQUIRETLS: sending a message that may already have been accepted, "
		           "after explicit confirmation\n"));
		g_queue_push_tail (&pending_queue, g_steal_pointer (&it->key));
		run.total++;
	} else {
		/* kept: said in the window like every other outcome of the run */
		g_autoptr (RtlsAttempt) a = rtls_send_attempt (it->envid);
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
		rtls_queuerun_next ();
		return;
	}
	it = items->data;
	a = rtls_send_attempt (it->envid);
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
	if (!rtls_history_ready ()) {
		/* without the attempts of earlier releases (being imported) nothing may be
		 * judged due: an entry that may already have been accepted would look new */
		if (mode == RTLS_RUN_ASKED) {
			g_autoptr (GError) error = NULL;
			g_autofree gchar *why = NULL;
			rtls_history_store (&error);
			why = g_strdup_printf (
			        _ ("Nothing was sent: %s."),
			        error != NULL ? error->message
			                      : _ ("the plugin is still taking over the history of "
			                           "an earlier release; try again in a moment"));
			rtls_queue_ui_open (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
			                    run_cancel, NULL);
			rtls_queue_ui_finish (why);
		}
		return;
	}
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
			g_autofree gchar *key = rtls_send_entry_key (q, mi->msgnum);
			const RtlsAttempt *a = NULL;
			g_autoptr (GPtrArray) about = NULL;
			gboolean listed = FALSE;
			RtlsDue due;
			for (GList *p = pending_queue.head; p != NULL && !listed; p = p->next)
				listed = strcmp (p->data, key) == 0;
			listed = listed || (asking != NULL && g_hash_table_contains (asking, key));
			if (listed || rtls_send_entry_in_flight (q, mi->msgnum)
			    || !MSG_IS_LOCKED (mi->flags) || !rtls_entry_is_require (mi))
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
				         a != NULL && a->outcome != RTLS_RESULT_OTHER
				                 ? rtls_result_word (a->outcome)
				                 : "running");
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
		rtls_queuerun_next ();
}

static guint retry_period;

static guint
tick_period (void)
{
	return (guint) CLAMP (rtls_send_retry_first (rtls_config_settings ()), 1, 60);
}

static gboolean
retry_tick (gpointer data)
{
	gint64 now = rtls_now ();

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

/* The queue window's progress line for @s, a message of the run the person asked for. */
gboolean
rtls_queuerun_progress (RtlsSend *s)
{
	g_autofree gchar *subject = NULL, *text = NULL;

	if (!s->from_queue_run || !run.asked)
		return FALSE;
	subject = rtls_send_subject (s);
	/* TRANSLATORS: “subject” (1 of 3) — server:port — stage */
	text = g_strdup_printf (_ ("“%s” (%u of %u) — %s:%u — %s"), subject, run.done + 1,
	                        run.total, s->host ? s->host : "?", s->port,
	                        rtls_attempt_stage_words (s->stage));
	rtls_queue_ui_progress (text);
	return TRUE;
}

void
rtls_queuerun_init (void)
{
	g_queue_init (&pending_queue);
	retry_period = tick_period ();
	retry_timer = g_timeout_add_seconds (retry_period, retry_tick, NULL);
}

void
rtls_queuerun_done (void)
{
	if (retry_timer != 0)
		g_source_remove (retry_timer);
	retry_timer = 0;
	g_queue_clear_full (&pending_queue, g_free);
	rtls_queue_ui_close ();
	g_clear_pointer (&asking, g_hash_table_unref);
}
