/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_send_int.h: what the sender's modules share, inside the plugin only.
 *   rtls_send.c        a send's life, as a state machine (RtlsSendState): from the composer
 *                      or a queue run to its outcome; the listeners of the upper layer
 *   rtls_spawn.c       starting requiretls-submit for it and reading its status pipe
 *   rtls_bookkeeping.c after the outcome: the Sent copy, the queue entry; and the same
 *                      after a restart, for what a Claws that stopped left undone
 *   rtls_queuerun.c    runs over the queue folders (asked, online, retries) and their window
 *   rtls_refusal.c     the refusal dialog's next steps
 *   rtls_entry.c       the queue entries' locks
 * Each calls down or sideways only; news for the composer side goes to the listeners the
 * upper layer registered (rtls_send_listen()).
 */
#pragma once

#include <gio/gio.h>

#include "rtls_plugin.h"

#include "rtls_attempt.h"
#include "rtls_journal.h"
#include "rtls_outcome.h"
#include "rtls_queuefile.h"
#include "rtls_record.h"

#define RTLS_SPOOL_DIR "requiretls" /* under Claws' rc dir: status files, message copies */

/* A send's life (OpenSMTPD's mta_session.c keeps its sessions the same way): every change
 * goes through rtls_send_enter(), which logs "from -> to" and keeps the lists the other
 * modules ask (rtls_send_running(), rtls_send_entry_in_flight()). */
typedef enum {
	RTLS_SEND_QUEUED,         /* the entry is written and locked; the helper is not started */
	RTLS_SEND_STARTING,       /* the entry is read, the envelope checked, the helper spawned */
	RTLS_SEND_ASKING_RESEND,  /* an earlier send may have arrived: the person decides */
	RTLS_SEND_RUNNING,        /* the helper runs; the composer shows the stage */
	RTLS_SEND_FINISHING,      /* the helper ended: the outcome and the bookkeeping */
	RTLS_SEND_ASKING_REFUSAL, /* refused: the person chooses the next step */
	RTLS_SEND_DONE,           /* over: freed */
} RtlsSendState;

struct _RtlsSend {
	RtlsSendState state;
	RtlsComposer *composer; /* NULL when sending from the queue */
	Compose *compose;
	gboolean interactive;    /* dialogs allowed */
	gboolean from_queue_run; /* part of a rtls_send_queued() run */
	FolderItem *queue;
	gint msgnum;
	RtlsQueueFile *qf;
	gchar *msg_path; /* the message as transmitted (marker removed) */
	gchar *envid;
	gint account_id;
	gchar *host;
	guint port;

	/* while the helper runs (rtls_spawn.c) */
	GSubprocess *proc;
	GCancellable *cancellable;
	GString *status;    /* what the helper wrote on the status pipe */
	gchar *stage;       /* its last progress line */
	gchar *status_path; /* its status file */
	gchar *stderr_text;
	gboolean status_done; /* the status pipe is at its end */
	gboolean proc_done;   /* and the process has exited: both, and the send finishes */

	/* what happened, as facts */
	RtlsRecord *record;    /* its final status record, read once; NULL: none */
	gboolean content_left; /* it said "progress=content" */
	gboolean cancelled;    /* the person cancelled it */
	gboolean journaled;    /* "started" is in the store */
	gchar *journal_error;  /* why it could not be written there */
	gboolean
	        resend_confirmed; /* the person said "send it again" to an uncertain earlier send */
	gchar *resend_envid;      /* that earlier send, while the question is open */
	gchar *refused_words;     /* what the refusal dialog explained */
};

/* rtls_send.c */
void rtls_send_enter (RtlsSend *s, RtlsSendState state);
GList *rtls_send_running (void); /* RtlsSend* starting, asking to resend or running */
gboolean rtls_send_unloading (void);
gboolean rtls_send_entry_in_flight (FolderItem *item, gint msgnum);
gboolean rtls_send_attempt_running (const char *envid);
gchar *rtls_send_entry_key (FolderItem *item, gint msgnum);
gboolean rtls_send_start (RtlsSend *s);
void rtls_send_finish (RtlsSend *s);
gboolean rtls_send_fail (RtlsSend *s, const char *why); /* always FALSE */
void rtls_send_free (RtlsSend *s);
gboolean rtls_send_composer_alive (RtlsSend *s);
void rtls_send_release_composer (RtlsSend *s);
void rtls_send_show_progress (RtlsSend *s);
gchar *rtls_send_subject (RtlsSend *s);
RtlsJournalEntry *rtls_send_record (RtlsSend *s, const char *result);
gboolean rtls_send_write_started (RtlsSend *s);
gboolean rtls_send_write (const RtlsJournalEntry *e);
RtlsAttempt *rtls_send_attempt (const char *envid);
GPtrArray *rtls_send_attempts_about (const char *folder, gint msgnum, const char *message_id);
gint64 rtls_send_retry_first (const RtlsSettings *set);
void rtls_send_announce_show_delivery (gpointer unused);
void rtls_send_announce_choice (RtlsComposer *c, RtlsChoice choice);
gint64 rtls_now (void);
gchar *rtls_spool_path (const char *envid, const char *suffix);
void rtls_sync_dir_of (const char *file);
void rtls_sync_file (const char *file);

/* rtls_spawn.c: spawns the helper for @s with @ac's server and credentials; FALSE: it did
 * not start (rtls_send_fail() was called) */
gboolean rtls_spawn_helper (RtlsSend *s, PrefsAccount *ac);

/* rtls_bookkeeping.c */
void rtls_bookkeeping_init (void);
void rtls_bookkeeping_done (void);
/* Runs the bookkeeping of the attempt @envid (@s: the live send, when Claws saw it) until
 * nothing is left, the helper still runs, or a step cannot be done now. */
RtlsStep rtls_bookkeeping_run (const char *envid, RtlsSend *s);

/* rtls_queuerun.c */
void rtls_queuerun_init (void);
void rtls_queuerun_done (void);
void rtls_queuerun_next (void);
void rtls_queuerun_result (RtlsSend *s, RtlsOutcomeKind kind, RtlsRefusal refusal,
                           const char *explanation);
/* The queue window's progress line for @s; FALSE when @s is not part of an asked run. */
gboolean rtls_queuerun_progress (RtlsSend *s);

/* rtls_refusal.c */
void rtls_refusal_show (RtlsSend *s, const RtlsEnd *end, const char *explanation);
