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

static GList *running;        /* RtlsSend* starting, asking to resend, or running */
static GList *composer_sends; /* RtlsSend* queued by a composer, not started yet */
static GList *listeners;      /* RtlsSendListener* */
static gboolean unloading;

/* ---------------------------------------------------------------- the state machine */

static const char *
state_name (RtlsSendState st)
{
	static const char *const names[] = {
		[RTLS_SEND_QUEUED] = "queued",
		[RTLS_SEND_STARTING] = "starting",
		[RTLS_SEND_ASKING_RESEND] = "asking-resend",
		[RTLS_SEND_RUNNING] = "running",
		[RTLS_SEND_FINISHING] = "finishing",
		[RTLS_SEND_ASKING_REFUSAL] = "asking-refusal",
		[RTLS_SEND_DONE] = "done",
	};
	return (gsize) st < G_N_ELEMENTS (names) ? names[st] : "?";
}

/* The one place a send changes state. Which list it is in follows from the state: a queue
 * run waits while any send is starting, asking or running (one helper at a time), and an
 * entry a composer has queued is not marked as waiting. */
void
rtls_send_enter (RtlsSend *s, RtlsSendState state)
{
	g_debug ("REQUIRETLS: send %s: %s -> %s", s->envid != NULL ? s->envid : "(new)",
	         state_name (s->state), state_name (state));
	s->state = state;
	running = g_list_remove (running, s);
	composer_sends = g_list_remove (composer_sends, s);
	switch (state) {
	case RTLS_SEND_QUEUED:
		composer_sends = g_list_prepend (composer_sends, s);
		break;
	case RTLS_SEND_STARTING:
	case RTLS_SEND_ASKING_RESEND:
	case RTLS_SEND_RUNNING:
		running = g_list_prepend (running, s);
		break;
	case RTLS_SEND_FINISHING:
	case RTLS_SEND_ASKING_REFUSAL:
	case RTLS_SEND_DONE:
		break;
	}
}

GList *
rtls_send_running (void)
{
	return running;
}

gboolean
rtls_send_busy (void)
{
	return running != NULL || composer_sends != NULL;
}

gboolean
rtls_send_unloading (void)
{
	return unloading;
}

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

void
rtls_send_announce_show_delivery (gpointer unused)
{
	for (GList *l = listeners; l != NULL; l = l->next) {
		RtlsSendListener *x = l->data;
		if (x->show_delivery != NULL)
			x->show_delivery (x->data);
	}
}

gchar *
rtls_spool_path (const char *envid, const char *suffix)
{
	g_autofree gchar *dir = rtls_rc_path (RTLS_SPOOL_DIR);
	g_autofree gchar *name = g_strconcat (envid, suffix, NULL);

	return g_build_filename (dir, name, NULL);
}

/* Writes @e to the store, durably (one transaction). FALSE: it is not there, and the log
 * says why; *@why (may be NULL) gets the reason. */
static gboolean
rtls_send_write_why (const RtlsJournalEntry *e, gchar **why)
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

gboolean
rtls_send_write (const RtlsJournalEntry *e)
{
	return rtls_send_write_why (e, NULL);
}

/* The attempt with @envid as the store has it now (NULL: none); the caller frees it. */
RtlsAttempt *
rtls_send_attempt (const char *envid)
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
GPtrArray *
rtls_send_attempts_about (const char *folder, gint msgnum, const char *message_id)
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

gint64
rtls_now (void)
{
	return g_get_real_time () / G_USEC_PER_SEC;
}

/* [general] retry-first-seconds: the wait before the first retry (then 5, 15, 30, 60 minutes
 * and on, up to retry-max-minutes). */
gint64
rtls_send_retry_first (const RtlsSettings *set)
{
	return set != NULL ? (gint64) set->retry_first_seconds : 60;
}

/* Makes the directory holding @file durable (a file added or removed there). */
void
rtls_sync_dir_of (const char *file)
{
	g_autofree gchar *dir = g_path_get_dirname (file);
	g_autoptr (GError) error = NULL;

	if (!rtls_journal_fsync_dir (dir, &error))
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
}

void
rtls_sync_file (const char *file)
{
	int fd = g_open (file, O_RDONLY | O_CLOEXEC, 0);

	if (fd >= 0) {
		if (fsync (fd) != 0)
			log_warning (LOG_PROTOCOL, "REQUIRETLS: fsync %s: %s\n", file,
			             g_strerror (errno));
		close (fd);
	}
	rtls_sync_dir_of (file);
}

/* ---------------------------------------------------------------- the helper */

/* The composer this send came from is still open and still the same composer (it may have
 * been closed meanwhile, and another opened at the same address). */
gboolean
rtls_send_composer_alive (RtlsSend *s)
{
	return s->composer != NULL && !s->composer->gone && s->composer->compose == s->compose
	       && !unloading;
}

void
rtls_send_release_composer (RtlsSend *s)
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

void
rtls_send_announce_choice (RtlsComposer *c, RtlsChoice choice)
{
	for (GList *l = listeners; l != NULL; l = l->next) {
		RtlsSendListener *x = l->data;
		if (x->set_choice != NULL)
			x->set_choice (c, choice, x->data);
	}
}

void
rtls_send_free (RtlsSend *s)
{
	MsgInfo *mi = s->queue != NULL && s->msgnum > 0
	                      ? folder_item_get_msginfo (s->queue, s->msgnum)
	                      : NULL;

	/* the send is over and its entry still waits, locked: now it is marked as such */
	rtls_send_enter (s, RTLS_SEND_DONE);
	if (mi != NULL && MSG_IS_LOCKED (mi->flags) && !unloading)
		rtls_entry_mark (mi);
	if (mi != NULL)
		procmsg_msginfo_free (&mi);
	rtls_send_release_composer (s);
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
	g_free (s->refused_words);
	g_free (s->status_path);
	g_free (s->stderr_text);
	g_free (s->resend_envid);
	rtls_record_free (s->record);
	g_free (s);
}

gboolean
rtls_send_fail (RtlsSend *s, const char *why)
{
	/* A local problem, reported through the same path as the helper's own failures, as
	 * the record the helper would have written for it. */
	rtls_record_free (s->record);
	s->record = rtls_outcome_local_record (why);
	s->status_done = s->proc_done = TRUE;
	rtls_send_finish (s);
	return FALSE;
}

RtlsJournalEntry *
rtls_send_record (RtlsSend *s, const char *result)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);
	GString *rcpts = g_string_new (NULL);

	for (guint i = 0; s->qf != NULL && i < s->qf->recipients->len; i++)
		g_string_append_printf (rcpts, "%s%s", i ? "," : "",
		                        (char *) g_ptr_array_index (s->qf->recipients, i));
	e->time = rtls_now ();
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

gboolean
rtls_send_write_started (RtlsSend *s)
{
	g_autoptr (RtlsJournalEntry) e = rtls_send_record (s, "started");

	s->journaled = rtls_send_write_why (e, &s->journal_error);
	return s->journaled;
}

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
		g_autoptr (RtlsJournalEntry) e = rtls_attempt_record (u, "confirmed", rtls_now ());
		rtls_send_write (e);
	}
	log_message (LOG_PROTOCOL, _ ("REQUIRETLS: sending a message that may already have been "
	                              "accepted, after explicit confirmation\n"));
}

static void
resend_answer (gpointer data, gboolean yes)
{
	RtlsSend *s = data;
	g_autoptr (RtlsAttempt) u = rtls_send_attempt (s->resend_envid);

	g_clear_pointer (&s->resend_envid, g_free);
	if (!yes && rtls_send_composer_alive (s)) {
		/* "Back to editing": the composer holds the message, as it did before Send; the
		 * queued copy goes, and no second dialog asks the same again */
		Compose *compose = s->compose;
		rtls_entry_remove (s->queue, s->msgnum);
		compose->sending = FALSE;
		compose->modified = TRUE;
		rtls_compose_ui_set_idle (s->composer->ui);
		log_message (LOG_PROTOCOL, _ ("REQUIRETLS: not sent again: back to editing\n"));
		rtls_send_free (s);
		rtls_queuerun_next ();
		return;
	}
	if (!yes || !rtls_send_composer_alive (s)) {
		rtls_send_fail (s, not_sent_again ());
		return;
	}
	resend_confirmed (u);
	g_clear_pointer (&s->qf, rtls_queue_file_free);
	s->resend_confirmed = TRUE;
	rtls_send_start (s);
}

gboolean
rtls_send_may_resend (Compose *compose)
{
	const RtlsAttempt *u;
	g_autofree gchar *text = NULL;
	g_autoptr (GPtrArray) about = NULL;

	if (compose->msgid == NULL)
		return TRUE;
	about = rtls_send_attempts_about (NULL, 0, compose->msgid);
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

/* The composer of @s shows that it is sending, whatever path led here (a first Send, Send
 * again after the question, a refusal's next step): the line with server, stage and seconds,
 * Cancel sending, the composer locked. */
static void
show_sending (RtlsSend *s)
{
	Compose *compose = s->compose;

	if (s->from_queue_run || !s->interactive || !rtls_send_composer_alive (s))
		return;
	compose->sending = TRUE; /* Claws refuses to close a composer that is sending */
	if (s->composer->ui != NULL)
		rtls_compose_ui_set_busy (s->composer->ui, _ ("Sending with REQUIRETLS…"),
		                          compose->menubar, compose->handlebox, compose->vbox2,
		                          NULL);
}

/* An earlier send of the message in @s may have reached the server (@u): ask the person
 * before anything goes out; without a window to ask in, it is not sent. */
static gboolean
ask_resend (RtlsSend *s, const RtlsAttempt *u)
{
	g_autofree gchar *text = NULL;

	if (u->state == RTLS_ATTEMPT_RUNNING)
		return rtls_send_fail (
		        s, _ ("an earlier send of this message has not ended yet, so it "
		              "was not sent again"));
	if (!s->interactive || !rtls_send_composer_alive (s))
		return rtls_send_fail (s, not_sent_again ());
	s->resend_envid = g_strdup (u->envid);
	rtls_send_enter (s, RTLS_SEND_ASKING_RESEND);
	text = resend_question (u);
	/* nothing is being sent while the person decides */
	rtls_compose_ui_set_idle (s->composer->ui);
	rtls_ui_confirm_resend (GTK_WINDOW (s->compose->window), text, _ ("_Back to editing"),
	                        resend_answer, s);
	return FALSE;
}

gboolean
rtls_send_start (RtlsSend *s)
{
	g_autofree gchar *path = folder_item_fetch_msg (s->queue, s->msgnum);
	g_autoptr (GError) error = NULL;
	PrefsAccount *ac;
	gint tmpfd;

	rtls_send_enter (s, RTLS_SEND_STARTING);
	if (path == NULL)
		return rtls_send_fail (s, _ ("the queue entry cannot be read"));
	s->qf = rtls_queue_file_read (path, &error);
	if (s->qf == NULL)
		return rtls_send_fail (s, error->message);
	/* From a composer its choice decides (a Redirect writes no manual header rows); an
	 * entry found in the queue must carry the marker. */
	if (s->composer == NULL && s->qf->choice != RTLS_CHOICE_REQUIRE)
		return rtls_send_fail (s, _ ("the queue entry is not marked Require TLS"));
	if (s->qf->recipients->len == 0)
		return rtls_send_fail (s, _ ("REQUIRETLS applies to mail, not to news postings"));
	if (s->composer != NULL && !s->resend_confirmed) {
		/* Send again from the composer ("Back to editing" after "may not have been
		 * sent", a re-edited entry): never without the person's word that a second copy
		 * is what they want (DESIGN §6). Queue runs decide this in entry_due(). */
		g_autoptr (GPtrArray) about = rtls_send_attempts_about (NULL, 0, s->qf->message_id);
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
		return rtls_send_fail (s, _ ("the account has no SMTP server"));
	s->account_id = ac->account_id;

	/* The copy the helper reads, in the plugin's own directory (0700), mode 0600: never
	 * in a shared $TMPDIR; start-up removes what a crash left behind. */
	s->envid = rtls_journal_new_envid ();
	s->msg_path = rtls_spool_path (s->envid, ".eml");
	s->status_path = rtls_spool_path (s->envid, ".status");
	tmpfd = g_open (s->msg_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (tmpfd < 0) {
		int e = errno;
		g_clear_pointer (&s->msg_path, g_free);
		return rtls_send_fail (s, g_strerror (e));
	}
	close (tmpfd);
	if (!rtls_queue_file_extract_message (path, s->qf, s->msg_path, &error))
		return rtls_send_fail (s, error->message);

	show_sending (s);
	return rtls_spawn_helper (s, ac);
}

gchar *
rtls_send_entry_key (FolderItem *item, gint msgnum)
{
	g_autofree gchar *id = folder_item_get_identifier (item);
	return g_strdup_printf ("%s\t%d", id ? id : "?", msgnum);
}

gboolean
rtls_send_attempt_running (const char *envid)
{
	for (GList *l = running; l != NULL; l = l->next) {
		RtlsSend *s = l->data;
		if (g_strcmp0 (s->envid, envid) == 0)
			return TRUE;
	}
	return FALSE;
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
	g_autoptr (GPtrArray) attempts = rtls_send_attempts_about (folder, s->msgnum, NULL);
	gint step = 0;
	gint64 at = 0;

	/* the attempt before this one for the same entry */
	for (guint i = attempts->len; i-- > 0;) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (g_strcmp0 (a->envid, s->envid) != 0 && a->queue_msgnum == s->msgnum
		    && g_strcmp0 (a->queue_folder, folder) == 0) {
			prev = a;
			break;
		}
	}
	rtls_outcome_retry (prev, set == NULL || set->retry, rtls_send_retry_first (set), cap,
	                    rtls_now (), &step, &at);
	e->retry_step = step;
	e->retry_at = at;
}

gchar *
rtls_send_subject (RtlsSend *s)
{
	return g_strdup (s->qf != NULL && s->qf->subject != NULL ? s->qf->subject
	                                                         : _ ("(no subject)"));
}

void
rtls_send_show_progress (RtlsSend *s)
{
	g_autofree gchar *text = NULL;

	if (!s->from_queue_run && s->interactive && rtls_send_composer_alive (s)
	    && s->composer->ui != NULL) {
		/* the composer's wait: server, stage; its status line adds the time (issue 15) */
		/* TRANSLATORS: server:port — stage */
		text = g_strdup_printf (_ ("Sending with REQUIRETLS to %s:%u — %s"),
		                        s->host ? s->host : "?", s->port,
		                        rtls_attempt_stage_words (s->stage));
		rtls_compose_ui_set_progress (s->composer->ui, text);
		return;
	}
	rtls_queuerun_progress (s);
}

void
rtls_send_finish (RtlsSend *s)
{
	g_autoptr (RtlsJournalEntry) e = NULL;
	g_autofree gchar *explanation = NULL;
	RtlsEndFacts facts;
	RtlsEnd end;
	RtlsOutcomeKind kind;
	const RtlsRecord *r;
	const char *cause;
	gboolean alive;
	g_autofree gchar *tail = NULL;

	rtls_send_enter (s, RTLS_SEND_FINISHING);
	/* the helper's record, read once: everything after this asks s->record */
	if (s->record == NULL && s->status != NULL)
		s->record = rtls_record_parse (s->status->str, s->status->len);
	r = s->record;
	facts = (RtlsEndFacts){ r, s->cancelled, s->content_left };
	end = rtls_outcome_of_end (&facts);
	kind = end.kind;
	cause = end.cause;
	if (r != NULL)
		explanation = rtls_record_explain (r);
	if (g_strcmp0 (cause, "helper-ended") == 0 && s->stderr_text != NULL) {
		gchar *nl = strrchr (g_strchomp (s->stderr_text), '\n');
		tail = g_strdup (nl != NULL ? nl + 1 : s->stderr_text);
	}
	if (cause != NULL)
		explanation = rtls_attempt_cause_words (cause, s->stage, tail);
	alive = rtls_send_composer_alive (s);

	if (s->envid != NULL) {
		e = rtls_send_record (s, rtls_result_word (end.result));
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
		rtls_send_write (e);
	}
	rtls_queuerun_result (s, kind, rtls_outcome_refusal (&end, &facts, FALSE), explanation);

	if (kind == RTLS_OUTCOME_SENT) {
		log_print (LOG_PROTOCOL, "REQUIRETLS: %s\n", explanation);
		/* Sent copy once, then the entry, each durable before the next (rtls_attempt.h);
		 * what is left undone here is done at the next start */
		if (s->journaled)
			rtls_bookkeeping_run (s->envid, s);
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
		rtls_send_free (s);
		rtls_queuerun_next ();
		return;
	}
	if (s->journaled)
		rtls_bookkeeping_run (s->envid, s); /* the status file goes; the entry stays */

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
		rtls_send_enter (s, RTLS_SEND_ASKING_REFUSAL);
		rtls_refusal_show (s, &end, explanation);
		return;
	}
	/* No dialog (a filter's batch composer, the queue, a closed composer): the message
	 * waits locked in the queue; temporary failures are retried with back-off (the
	 * outcome record holds when). */
	if (alive) {
		s->compose->modified = FALSE;
		compose_close (s->compose);
	}
	rtls_send_free (s);
	rtls_queuerun_next ();
}

/* ---------------------------------------------------------------- entry points */

static gboolean
begin_idle (gpointer data)
{
	RtlsSend *s = data;
	Compose *compose = s->compose;

	if (!rtls_send_composer_alive (s)) {
		/* The composer went away in between: the locked entry is sent like a queued one. */
		rtls_send_release_composer (s);
		s->compose = NULL;
		s->interactive = FALSE;
	} else {
		if (compose->batch)
			rtls_ui_window_hide (compose->window); /* compose_send() showed it */
		show_sending (s);
	}
	rtls_send_start (s);
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
	rtls_send_enter (s, RTLS_SEND_QUEUED);
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

gboolean
rtls_send_entry_in_flight (FolderItem *item, gint msgnum)
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

void
rtls_send_init (void)
{
	rtls_entry_init (rtls_send_entry_in_flight);
	/* Entries that were queued while the plugin was not loaded. */
	for (GList *f = folder_get_list (); f != NULL; f = f->next)
		rtls_queue_guard_item (((Folder *) f->data)->queue);
	rtls_queuerun_init ();
	rtls_bookkeeping_init ();
}

gboolean
rtls_send_done (void)
{
	unloading = TRUE;
	rtls_entry_done ();
	rtls_bookkeeping_done ();
	rtls_queuerun_done ();
	if (running != NULL) {
		/* A helper still runs. It is not stopped: it finishes the send and leaves its
		 * record in the status file, and the next start does the bookkeeping. Its
		 * callbacks live in this module, so the module stays loaded (Claws hides it)
		 * until they have run. The entries stay locked. */
		return FALSE;
	}
	g_list_free_full (listeners, g_free);
	listeners = NULL;
	return TRUE;
}
