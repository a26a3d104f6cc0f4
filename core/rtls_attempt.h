/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_attempt.h: the write-ahead side of the send journal (pure logic, no GTK, no Claws).
 * Every REQUIRETLS send is an attempt, known by its ENVID: "started" is journaled (fsynced)
 * before the helper is spawned, its outcome after, and for a sent message the bookkeeping
 * (the Sent copy "filed", the queue entry "closed"), each step durable before the next. From
 * the journal alone this module says where every attempt stands, which queued entry may be
 * sent by whom, and which step comes next after a crash at any point; every step is
 * idempotent, so replaying from any intermediate state ends in the same place.
 */
#pragma once

#include <glib.h>

#include "rtls_journal.h"
#include "rtls_record.h"

G_BEGIN_DECLS

typedef enum {
	RTLS_ATTEMPT_RUNNING,   /* started, no outcome yet (in flight, or Claws stopped) */
	RTLS_ATTEMPT_SENT,      /* accepted; the bookkeeping may be unfinished */
	RTLS_ATTEMPT_HELD,      /* not confirmed: it may have been accepted; the person decides */
	RTLS_ATTEMPT_TEMPORARY, /* try again from retry_at on */
	RTLS_ATTEMPT_FAILED,    /* not sent: refused for good, cancelled, interrupted */
	RTLS_ATTEMPT_CLOSED,    /* nothing more to do: bookkeeping done, or a resend confirmed */
} RtlsAttemptState;

typedef struct {
	gchar *envid;
	gchar *message_id;
	gchar *queue_folder;
	gint queue_msgnum;
	gchar *subject;
	gchar *sender;
	gchar *recipients;
	gint account_id;
	gchar *host;
	guint port;
	gint64 started;
	RtlsAttemptState state;
	RtlsResult outcome; /* the result of the outcome record; RTLS_RESULT_OTHER while running */
	gint64 retry_at;
	gint retry_step;
	gboolean filed;  /* the Sent copy is there (or none was asked for) */
	gboolean closed; /* the queue entry is gone */
	gboolean legacy; /* from a journal of an earlier release: no "started" record */
} RtlsAttempt;

void rtls_attempt_free (RtlsAttempt *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsAttempt, rtls_attempt_free)

/* Every attempt in @journal (RtlsJournalEntry*, oldest first), in the order they started.
 * Journals of earlier releases have no "started" records: their outcome records make
 * attempts of their own, already finished. */
GPtrArray *rtls_attempts_fold (GPtrArray *journal);

/* Applies one journal record to the attempts (what the plugin does after each append). */
void rtls_attempts_apply (GPtrArray *attempts, const RtlsJournalEntry *e);

RtlsAttempt *rtls_attempts_find (GPtrArray *attempts, const char *envid);

/* The latest attempt for the queue entry (@folder, @msgnum) whose Message-ID agrees with
 * @message_id (MH numbers are reused after a removal; NULL: not checked); NULL: never. */
const RtlsAttempt *rtls_attempts_for_entry (GPtrArray *attempts, const char *folder, gint msgnum,
                                            const char *message_id);

/* The newest attempt that is not finished for a message (by Message-ID), in any entry:
 * the same message queued twice must not go out twice. NULL: none. */
const RtlsAttempt *rtls_attempts_open_for_message (GPtrArray *attempts, const char *message_id);

/* The newest attempt for a message (by Message-ID, in any entry) that may have reached the
 * server, whether or not the person has since chosen to send it again: still running, or
 * not confirmed. Sending it without REQUIRETLS is then never offered as the way out of a
 * later refusal (a copy may already be on its way). NULL: none. */
const RtlsAttempt *rtls_attempts_maybe_arrived_for_message (GPtrArray *attempts,
                                                            const char *message_id);

/* The newest attempt for a message (by Message-ID, in any entry) that may have reached the
 * server without the plugin knowing: still running, or not confirmed and not yet resent
 * with the person's confirmation. A later attempt that failed or failed temporarily does not
 * lift it: it says nothing about the earlier one. NULL: none. */
const RtlsAttempt *rtls_attempts_uncertain_for_message (GPtrArray *attempts,
                                                        const char *message_id);

typedef enum {
	RTLS_DUE_ASKED,   /* the person chose Tools → Send queued REQUIRETLS messages */
	RTLS_DUE_ONLINE,  /* Claws went online */
	RTLS_DUE_RETRIES, /* the retry timer */
} RtlsDueKind;

typedef enum {
	RTLS_DUE_NO,
	RTLS_DUE_YES,
	RTLS_DUE_ASK, /* only after the person confirmed: it may already have been accepted */
} RtlsDue;

/* May the entry whose latest attempt is @a (NULL: never tried, a "Send later") be sent now?
 * Never by a timer, by going online or without asking when it may already have been
 * accepted; never at all while an attempt runs or a sent one's bookkeeping is unfinished;
 * "failed for good" only when the person asks; the timer only after the back-off. */
RtlsDue rtls_attempt_due (const RtlsAttempt *a, RtlsDueKind kind, gint64 now);

/* rtls_attempt_due() for a queue entry whose latest attempt is @latest (NULL: never tried),
 * also held back by any uncertain attempt of the same message (@message_id): the stricter
 * of the two answers. *@which is the attempt the answer is about (the one to confirm when
 * the answer is RTLS_DUE_ASK), or NULL. */
RtlsDue rtls_attempt_due_for_entry (GPtrArray *attempts, const RtlsAttempt *latest,
                                    const char *message_id, RtlsDueKind kind, gint64 now,
                                    const RtlsAttempt **which);

/* What is known after a restart, gathered by the plugin for one attempt. */
typedef struct {
	gboolean helper_alive;    /* a helper with this ENVID still runs */
	const RtlsRecord *record; /* its final status record (status file), or NULL */
	gboolean content_left;    /* the status file says progress=content */
	gboolean status_file;     /* a status file exists */
	gboolean wants_copy;      /* the entry asks for a Sent copy */
	gboolean copy_present;    /* the Sent folder has a message with this Message-ID */
	gboolean entry_present;   /* the queue entry is still there */
} RtlsRecoveryFacts;

typedef enum {
	RTLS_STEP_NONE,           /* nothing left to do */
	RTLS_STEP_WAIT,           /* the helper still runs: look again later */
	RTLS_STEP_RECORD_OUTCOME, /* journal rtls_attempt_recovered_outcome() */
	RTLS_STEP_FILE_COPY,      /* save the Sent copy, make it durable, journal "filed" */
	RTLS_STEP_RECORD_FILED,   /* the copy is there already (or none is due): "filed" */
	RTLS_STEP_REMOVE_ENTRY,   /* remove the queue entry, make it durable, journal "closed" */
	RTLS_STEP_RECORD_CLOSED,  /* the entry is gone already: "closed" */
	RTLS_STEP_FORGET_STATUS,  /* remove the helper's status file */
	RTLS_STEP_LAST
} RtlsStep;

const char *rtls_step_name (RtlsStep step);

RtlsStep rtls_attempt_next_step (const RtlsAttempt *a, const RtlsRecoveryFacts *f);

/* The outcome record for RTLS_STEP_RECORD_OUTCOME: from the final status record when there
 * is one; else "not-confirmed" when the content had left, "interrupted" when it had not.
 * @now stamps it. */
RtlsJournalEntry *rtls_attempt_recovered_outcome (const RtlsAttempt *a, const RtlsRecoveryFacts *f,
                                                  gint64 now);

/* A bookkeeping record ("filed", "closed", "confirmed") for @a. */
RtlsJournalEntry *rtls_attempt_record (const RtlsAttempt *a, const char *result, gint64 now);

/* The result word of an outcome kind (rtls_record.h), as the journal writes it. */
const char *rtls_attempt_result_of (RtlsOutcomeKind kind);

/* What the helper was doing at @stage (a progress name of its status record), in words:
 * "waiting for the server's greeting". */
const char *rtls_attempt_stage_words (const char *stage);

/* The outcomes the plugin decides itself, when the helper left no status record: the
 * journal stores the cause, and these words are made from it whenever they are shown.
 *   cancelled          the person cancelled before the content left (@stage: how far)
 *   cancelled-late     the person cancelled after the content had begun to leave
 *   helper-stopped     the helper stopped after the content had begun to leave
 *   helper-ended       the helper ended before the content left (@detail: its last words)
 *   claws-stopped      Claws stopped before the content left (found at the next start)
 *   claws-stopped-late Claws stopped after the content had begun to leave
 *   sent-default       Claws sent it without REQUIRETLS after the person confirmed it
 * NULL for another cause. */
gchar *rtls_attempt_cause_words (const char *cause, const char *stage, const char *detail);

/* Copies the facts of the helper's status record @r into @e: what rtls_record_explain()
 * makes its words of, so that they can be made again when shown (rtls_delivery_explain()). */
void rtls_attempt_take_facts (RtlsJournalEntry *e, const RtlsRecord *r);

/* The back-off after the @step-th temporary failure in a row, at most @cap seconds:
 * @first, 5, 15, 30, 60 minutes, then doubling (product default @first = 60 s). */
gint64 rtls_attempt_backoff (gint step, gint64 first, gint64 cap);

/* The Message-IDs a reply names (RFC 5322 3.6.4), without their angle brackets, as its
 * conversation is looked for: In-Reply-To's first, then References' from the newest (its
 * last) back, each once, at most @max. Either may be NULL. A new array of strings. */
GPtrArray *rtls_conversation_ids (const char *in_reply_to, const char *references, guint max);

/* The first attempt of @attempts (RtlsAttempt*) that sent its message with REQUIRETLS (its
 * outcome "sent": the final reply read as success), or NULL. */
const RtlsAttempt *rtls_attempts_sent_requiretls (GPtrArray *attempts);

G_END_DECLS
