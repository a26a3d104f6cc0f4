/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_attempt.c: where each REQUIRETLS send attempt stands, from the journal alone (pure
 * logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_attempt.h"

#include <glib/gi18n-lib.h>
#include <string.h>

void
rtls_attempt_free (RtlsAttempt *a)
{
	if (a == NULL)
		return;
	g_free (a->envid);
	g_free (a->message_id);
	g_free (a->queue_folder);
	g_free (a->subject);
	g_free (a->sender);
	g_free (a->recipients);
	g_free (a->host);
	g_free (a);
}

RtlsAttempt *
rtls_attempts_find (GPtrArray *attempts, const char *envid)
{
	for (guint i = attempts->len; envid != NULL && i-- > 0;) {
		RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (g_strcmp0 (a->envid, envid) == 0)
			return a;
	}
	return NULL;
}

static void
take (gchar **slot, const char *v)
{
	if (v != NULL && *slot == NULL)
		*slot = g_strdup (v);
}

static RtlsAttempt *
attempt_new (GPtrArray *attempts, const RtlsJournalEntry *e)
{
	RtlsAttempt *a = g_new0 (RtlsAttempt, 1);

	a->envid = g_strdup (e->envid);
	a->started = e->time;
	a->account_id = e->account_id;
	a->state = RTLS_ATTEMPT_RUNNING;
	g_ptr_array_add (attempts, a);
	return a;
}

void
rtls_attempts_apply (GPtrArray *attempts, const RtlsJournalEntry *e)
{
	RtlsAttempt *a;
	/* the word is parsed here, once (a later release's word is RTLS_RESULT_OTHER) */
	RtlsResult r = rtls_result_parse (e->result);

	if (r == RTLS_RESULT_OTHER || e->envid == NULL)
		return;
	if (r == RTLS_RESULT_STARTED) {
		a = attempt_new (attempts, e);
	} else {
		a = rtls_attempts_find (attempts, e->envid);
		if (a == NULL) {
			if (!rtls_result_is_outcome (r))
				return; /* bookkeeping of an attempt we never saw start: nothing */
			/* a journal of an earlier release: the send was over when it was written */
			a = attempt_new (attempts, e);
			a->legacy = TRUE;
		}
	}
	take (&a->message_id, e->message_id);
	take (&a->subject, e->subject);
	take (&a->sender, e->sender);
	take (&a->recipients, e->recipients);
	take (&a->host, e->host);
	take (&a->queue_folder, e->queue_folder);
	if (a->queue_msgnum == 0)
		a->queue_msgnum = e->queue_msgnum;
	if (a->port == 0)
		a->port = e->port;
	if (a->account_id < 0)
		a->account_id = e->account_id;

	if (rtls_result_is_outcome (r)) {
		a->outcome = r;
		a->retry_at = 0;
		if (r == RTLS_RESULT_SENT) {
			a->state = RTLS_ATTEMPT_SENT;
			if (a->legacy)
				a->filed = a->closed
				        = TRUE; /* the earlier release did both at once */
		} else if (r == RTLS_RESULT_SENT_DEFAULT) {
			a->state = RTLS_ATTEMPT_CLOSED; /* Claws sent it; its entry is Claws' */
			a->filed = a->closed = TRUE;
		} else if (r == RTLS_RESULT_NOT_CONFIRMED) {
			a->state = RTLS_ATTEMPT_HELD;
		} else if (r == RTLS_RESULT_TEMPORARY) {
			a->state = RTLS_ATTEMPT_TEMPORARY;
			a->retry_at = e->retry_at;
			a->retry_step = e->retry_step;
		} else {
			a->state = RTLS_ATTEMPT_FAILED;
		}
	} else if (r == RTLS_RESULT_FILED) {
		a->filed = TRUE;
	} else if (r == RTLS_RESULT_CLOSED) {
		a->closed = TRUE;
		if (a->state == RTLS_ATTEMPT_SENT || a->state == RTLS_ATTEMPT_RUNNING)
			a->filed = TRUE;
		if (a->state != RTLS_ATTEMPT_FAILED && a->state != RTLS_ATTEMPT_TEMPORARY)
			a->state = RTLS_ATTEMPT_CLOSED;
	} else if (r == RTLS_RESULT_CONFIRMED) {
		if (a->state == RTLS_ATTEMPT_HELD)
			a->state = RTLS_ATTEMPT_CLOSED;
	}
	if (a->state == RTLS_ATTEMPT_SENT && a->filed && a->closed)
		a->state = RTLS_ATTEMPT_CLOSED;
}

GPtrArray *
rtls_attempts_fold (GPtrArray *journal)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_attempt_free);

	for (guint i = 0; journal != NULL && i < journal->len; i++)
		rtls_attempts_apply (out, g_ptr_array_index (journal, i));
	return out;
}

static gboolean
same_msgid (const char *a, const char *b)
{
	gsize la, lb;

	if (a == NULL || b == NULL)
		return FALSE;
	/* "<a@b>" and "a@b" are the same Message-ID */
	if (*a == '<')
		a++;
	if (*b == '<')
		b++;
	la = strlen (a);
	lb = strlen (b);
	if (la > 0 && a[la - 1] == '>')
		la--;
	if (lb > 0 && b[lb - 1] == '>')
		lb--;
	return la > 0 && la == lb && strncmp (a, b, la) == 0;
}

const RtlsAttempt *
rtls_attempts_for_entry (GPtrArray *attempts, const char *folder, gint msgnum,
                         const char *message_id)
{
	for (guint i = attempts->len; folder != NULL && i-- > 0;) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (a->queue_msgnum != msgnum || g_strcmp0 (a->queue_folder, folder) != 0)
			continue;
		if (message_id != NULL && a->message_id != NULL
		    && !same_msgid (message_id, a->message_id))
			continue; /* an earlier entry with the same number */
		return a;
	}
	return NULL;
}

const RtlsAttempt *
rtls_attempts_open_for_message (GPtrArray *attempts, const char *message_id)
{
	for (guint i = attempts->len; message_id != NULL && i-- > 0;) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (!same_msgid (message_id, a->message_id))
			continue;
		if (a->state == RTLS_ATTEMPT_RUNNING || a->state == RTLS_ATTEMPT_HELD
		    || a->state == RTLS_ATTEMPT_SENT
		    || (a->state == RTLS_ATTEMPT_CLOSED && a->outcome == RTLS_RESULT_SENT))
			return a;
		return NULL; /* its newest attempt is finished without being sent */
	}
	return NULL;
}

RtlsDue
rtls_attempt_due (const RtlsAttempt *a, RtlsDueKind kind, gint64 now)
{
	if (a == NULL) /* put off with "Send later": never by the timer */
		return kind == RTLS_DUE_RETRIES ? RTLS_DUE_NO : RTLS_DUE_YES;
	switch (a->state) {
	case RTLS_ATTEMPT_RUNNING:
		return RTLS_DUE_NO;
	case RTLS_ATTEMPT_SENT:
		/* accepted: its bookkeeping finishes it; sending it again would double it */
		return a->closed && kind == RTLS_DUE_ASKED ? RTLS_DUE_ASK : RTLS_DUE_NO;
	case RTLS_ATTEMPT_HELD:
		return kind == RTLS_DUE_ASKED ? RTLS_DUE_ASK : RTLS_DUE_NO;
	case RTLS_ATTEMPT_TEMPORARY:
		if (kind == RTLS_DUE_RETRIES)
			/* retry_at 0: retries are off; only the person or going online */
			return a->retry_at > 0 && now >= a->retry_at ? RTLS_DUE_YES : RTLS_DUE_NO;
		return RTLS_DUE_YES;
	case RTLS_ATTEMPT_FAILED:
		return kind == RTLS_DUE_ASKED ? RTLS_DUE_YES : RTLS_DUE_NO;
	case RTLS_ATTEMPT_CLOSED:
	default:
		if (a->outcome == RTLS_RESULT_SENT || a->outcome == RTLS_RESULT_SENT_DEFAULT)
			/* an entry still queued for a message that went out: a duplicate */
			return kind == RTLS_DUE_ASKED ? RTLS_DUE_ASK : RTLS_DUE_NO;
		/* a resend the person confirmed */
		return kind == RTLS_DUE_ASKED ? RTLS_DUE_YES : RTLS_DUE_NO;
	}
}

const RtlsAttempt *
rtls_attempts_uncertain_for_message (GPtrArray *attempts, const char *message_id)
{
	for (guint i = attempts->len; message_id != NULL && i-- > 0;) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (same_msgid (message_id, a->message_id)
		    && (a->state == RTLS_ATTEMPT_RUNNING || a->state == RTLS_ATTEMPT_HELD))
			return a;
	}
	return NULL;
}

const RtlsAttempt *
rtls_attempts_maybe_arrived_for_message (GPtrArray *attempts, const char *message_id)
{
	for (guint i = attempts->len; message_id != NULL && i-- > 0;) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (same_msgid (message_id, a->message_id)
		    && (a->state == RTLS_ATTEMPT_RUNNING || a->state == RTLS_ATTEMPT_HELD
		        || a->outcome == RTLS_RESULT_NOT_CONFIRMED))
			return a;
	}
	return NULL;
}

/* NO is stricter than ASK, which is stricter than YES. */
static int
attempt_due_rank (RtlsDue d)
{
	return d == RTLS_DUE_NO ? 0 : d == RTLS_DUE_ASK ? 1 : 2;
}

RtlsDue
rtls_attempt_due_for_entry (GPtrArray *attempts, const RtlsAttempt *latest, const char *message_id,
                            RtlsDueKind kind, gint64 now, const RtlsAttempt **which)
{
	const RtlsAttempt *u = rtls_attempts_uncertain_for_message (attempts, message_id);
	RtlsDue due = rtls_attempt_due (latest, kind, now);

	*which = latest;
	if (u != NULL && u != latest) {
		RtlsDue du = rtls_attempt_due (u, kind, now);
		if (attempt_due_rank (du) < attempt_due_rank (due)) {
			due = du;
			*which = u;
		}
	}
	return due;
}

const char *
rtls_step_name (RtlsStep step)
{
	static const char *const names[RTLS_STEP_LAST]
	        = { "none",         "wait",         "record-outcome", "file-copy",
		    "record-filed", "remove-entry", "record-closed",  "forget-status" };

	return step < RTLS_STEP_LAST ? names[step] : "?";
}

RtlsStep
rtls_attempt_next_step (const RtlsAttempt *a, const RtlsRecoveryFacts *f)
{
	if (a->state == RTLS_ATTEMPT_RUNNING)
		return f->helper_alive ? RTLS_STEP_WAIT : RTLS_STEP_RECORD_OUTCOME;
	if (a->state == RTLS_ATTEMPT_SENT && !a->filed) {
		if (!f->wants_copy || f->copy_present)
			return RTLS_STEP_RECORD_FILED; /* at most once: it is there already */
		if (f->entry_present)
			return RTLS_STEP_FILE_COPY;
		return RTLS_STEP_RECORD_CLOSED; /* the entry was removed by hand: nothing to file */
	}
	if (a->state == RTLS_ATTEMPT_SENT && !a->closed)
		return f->entry_present ? RTLS_STEP_REMOVE_ENTRY : RTLS_STEP_RECORD_CLOSED;
	return f->status_file && !f->helper_alive ? RTLS_STEP_FORGET_STATUS : RTLS_STEP_NONE;
}

const char *
rtls_attempt_result_of (RtlsOutcomeKind kind)
{
	switch (kind) {
	case RTLS_OUTCOME_SENT:
		return "sent";
	case RTLS_OUTCOME_NOT_CONFIRMED:
		return "not-confirmed";
	case RTLS_OUTCOME_TEMPORARY:
		return "temporary";
	default:
		return "failed";
	}
}

RtlsJournalEntry *
rtls_attempt_record (const RtlsAttempt *a, const char *result, gint64 now)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);

	e->time = now;
	e->result = g_strdup (result);
	e->envid = g_strdup (a->envid);
	e->message_id = g_strdup (a->message_id);
	e->account_id = a->account_id;
	e->sender = g_strdup (a->sender);
	e->recipients = g_strdup (a->recipients);
	e->subject = g_strdup (a->subject);
	e->host = g_strdup (a->host);
	e->port = a->port;
	e->queue_folder = g_strdup (a->queue_folder);
	e->queue_msgnum = a->queue_msgnum;
	return e;
}

RtlsJournalEntry *
rtls_attempt_recovered_outcome (const RtlsAttempt *a, const RtlsRecoveryFacts *f, gint64 now)
{
	RtlsJournalEntry *e;

	if (f->record != NULL) {
		const RtlsRecord *r = f->record;
		e = rtls_attempt_record (a, rtls_attempt_result_of (rtls_record_outcome (r)), now);
		e->explanation = rtls_record_explain (r);
		rtls_attempt_take_facts (e, r);
		return e;
	}
	e = rtls_attempt_record (a, f->content_left ? "not-confirmed" : "interrupted", now);
	e->cause = g_strdup (f->content_left ? "claws-stopped-late" : "claws-stopped");
	if (f->content_left)
		e->stage = g_strdup ("content");
	e->explanation = rtls_attempt_cause_words (e->cause, e->stage, NULL);
	return e;
}

void
rtls_attempt_take_facts (RtlsJournalEntry *e, const RtlsRecord *r)
{
	g_free (e->tls_version);
	e->tls_version = g_strdup (r->tls_version);
	g_free (e->enhanced);
	e->enhanced = g_strdup (r->enhanced);
	g_free (e->stage);
	e->stage = g_strdup (r->stage);
	if (r->host != NULL) {
		g_free (e->host);
		e->host = g_strdup (r->host);
	}
	g_free (e->error);
	e->error = g_strdup (r->error);
	e->exit_code = r->exit_code;
	e->smtp_code = r->smtp_code;
	g_free (e->server_text);
	e->server_text = g_strdup (r->server_text);
	g_free (e->detail);
	e->detail = g_strdup (r->message);
	g_free (e->cert_problem);
	e->cert_problem = g_strdup (r->cert_problem);
	g_free (e->tls_problem);
	e->tls_problem = g_strdup (r->tls_problem);
}

const char *
rtls_attempt_stage_words (const char *stage)
{
	static const struct {
		const char *name, *words;
	} t[] = {
		{ "connect", N_ ("connecting") },
		{ "tls", N_ ("setting up TLS") },
		{ "greeting", N_ ("waiting for the server's greeting") },
		{ "ehlo", N_ ("asking what the server supports") },
		{ "starttls", N_ ("setting up TLS") },
		{ "auth", N_ ("logging in") },
		{ "mail", N_ ("sending the envelope") },
		{ "rcpt", N_ ("sending the envelope") },
		{ "data", N_ ("starting the message") },
		{ "content", N_ ("sending the message") },
		{ "done", N_ ("done") },
	};

	for (gsize i = 0; stage != NULL && i < G_N_ELEMENTS (t); i++)
		if (g_str_equal (stage, t[i].name))
			return _ (t[i].words);
	return _ ("starting requiretls-submit");
}

gchar *
rtls_attempt_cause_words (const char *cause, const char *stage, const char *detail)
{
	if (cause == NULL)
		return NULL;
	if (g_str_equal (cause, "cancelled"))
		return g_strdup_printf (_ ("Sending was cancelled before the message left (while "
		                           "%s): it was not sent."),
		                        rtls_attempt_stage_words (stage));
	if (g_str_equal (cause, "cancelled-late"))
		return g_strdup (_ ("Sending was cancelled after the message content had left: the "
		                    "server may already have accepted it. Check before sending it "
		                    "again, or it may arrive twice."));
	if (g_str_equal (cause, "helper-stopped"))
		return g_strdup (_ ("requiretls-submit stopped after the message content had left, "
		                    "before the server confirmed it: the server may have accepted "
		                    "it. Check before sending it again, or it may arrive twice."));
	if (g_str_equal (cause, "helper-ended"))
		return g_strdup_printf (
		        _ ("requiretls-submit ended without a result before the message left: %s"),
		        detail != NULL && *detail != '\0' ? detail : _ ("no message"));
	if (g_str_equal (cause, "claws-stopped-late"))
		return g_strdup (
		        _ ("Claws stopped while this message was being sent; the server may have "
		           "accepted it. It waits locked in the queue and is never sent again by "
		           "itself: ask the recipient, or send it again with Tools → Send queued "
		           "REQUIRETLS messages, which asks you first."));
	if (g_str_equal (cause, "claws-stopped"))
		return g_strdup (
		        _ ("Claws stopped before the message content left: it was not sent. It "
		           "waits locked in the queue; send it with Tools → Send queued "
		           "REQUIRETLS messages."));
	if (g_str_equal (cause, "sent-default"))
		return g_strdup (
		        _ ("Sent by Claws Mail without REQUIRETLS, after you confirmed it: "
		           "TLS was not required on the way."));
	return NULL;
}

gint64
rtls_attempt_backoff (gint step, gint64 first, gint64 cap)
{
	static const gint64 minutes[] = { 5, 15, 30, 60 };
	gint64 v;

	if (step <= 0)
		v = first;
	else if ((guint) step <= G_N_ELEMENTS (minutes))
		v = MAX (first, minutes[step - 1] * 60);
	else
		v = MAX (first, 3600 << MIN (step - (gint) G_N_ELEMENTS (minutes), 5));
	return MIN (v, cap);
}

/* Every "<...>" of @field, in order, without brackets (an id with a space, a bracket or a
 * control character inside is not one). */
static void
msgids_of (const char *field, GPtrArray *out)
{
	const char *p = field;

	while (p != NULL && (p = strchr (p, '<')) != NULL) {
		const char *end = strchr (p + 1, '>');
		gboolean clean = end != NULL && end > p + 1;
		if (end == NULL)
			break;
		for (const char *q = p + 1; clean && q < end; q++)
			clean = (guchar) *q > 0x20 && *q != 0x7f && *q != '<';
		if (clean)
			g_ptr_array_add (out, g_strndup (p + 1, end - p - 1));
		p = clean ? end + 1 : p + 1;
	}
}

GPtrArray *
rtls_conversation_ids (const char *in_reply_to, const char *references, guint max)
{
	GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) irt = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) refs = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

	msgids_of (in_reply_to, irt);
	msgids_of (references, refs);
	/* In-Reply-To's first id is the message replied to; the rest of it is not trusted to
	 * be anything (RFC 5322 3.6.4: more than one is for a message with several parents) */
	for (guint i = 0; i < irt->len; i++)
		g_ptr_array_add (refs, g_strdup (g_ptr_array_index (irt, irt->len - 1 - i)));
	for (guint i = refs->len; i > 0 && out->len < max; i--) {
		const char *id = g_ptr_array_index (refs, i - 1);
		if (g_hash_table_contains (seen, id))
			continue;
		g_hash_table_add (seen, (gpointer) id);
		g_ptr_array_add (out, g_strdup (id));
	}
	return out;
}

const RtlsAttempt *
rtls_attempts_sent_requiretls (GPtrArray *attempts)
{
	for (guint i = 0; attempts != NULL && i < attempts->len; i++) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		if (a->outcome == RTLS_RESULT_SENT)
			return a;
	}
	return NULL;
}
