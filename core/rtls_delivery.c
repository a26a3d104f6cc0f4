/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_delivery.c: DSN correlation and the delivery rows (pure logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_delivery.h"

#include "rtls_attempt.h"
#include "rtls_record.h"

#include <glib/gi18n-lib.h>
#include <string.h>

gboolean
rtls_delivery_same_message_id (const char *a, const char *b)
{
	g_autofree gchar *x = rtls_dsn_strip_brackets (a);
	g_autofree gchar *y = rtls_dsn_strip_brackets (b);

	/* RFC 5322 §3.6.4: compared as written; only the brackets are not part of it */
	return x != NULL && y != NULL && *x != '\0' && g_str_equal (x, y);
}

static gboolean
is_send (const RtlsJournalEntry *e)
{
	return rtls_result_is_outcome (rtls_result_parse (e->result));
}

/* A send the server took: only these can bounce later. */
static gboolean
is_accepted (const RtlsJournalEntry *e)
{
	RtlsResult r = rtls_result_parse (e->result);

	return r == RTLS_RESULT_SENT || r == RTLS_RESULT_NOT_CONFIRMED;
}

static gboolean
any_requiretls_status (const RtlsDsn *dsn)
{
	for (guint i = 0; i < dsn->recipients->len; i++) {
		const RtlsDsnRecipient *r = g_ptr_array_index (dsn->recipients, i);
		if (rtls_dsn_recipient_is_requiretls (r))
			return TRUE;
	}
	return FALSE;
}

/* A report with several Original-Envelope-Id fields names no one message: it is never
 * ours, but it is listed as unverified when one of them is (or looks like) one of ours. */
static gboolean
ambiguous_touches_ours (const RtlsDsn *dsn, GPtrArray *journal)
{
	for (gchar **id = dsn->ambiguous_envids; id != NULL && *id != NULL; id++) {
		if (g_str_has_prefix (*id, "rtls-"))
			return TRUE;
		for (guint i = 0; journal != NULL && i < journal->len; i++) {
			const RtlsJournalEntry *e = g_ptr_array_index (journal, i);
			if (is_send (e) && e->envid != NULL && g_str_equal (e->envid, *id))
				return TRUE;
		}
	}
	return FALSE;
}

const char *
rtls_delivery_reason_words (const char *reason)
{
	static const struct {
		const char *code, *words;
	} t[] = {
		{ "ambiguous-envid", N_ ("it carries more than one envelope ID, so it cannot be "
		                         "tied to one message") },
		{ "other-headers", N_ ("its envelope ID is one of ours, but the headers it returns "
		                       "are of another message") },
		{ "never-accepted", N_ ("its envelope ID is of a message your server never "
		                        "accepted, so it cannot have bounced later") },
		{ "msgid-other-envid",
		  N_ ("it returns the headers of a message you sent with REQUIRETLS, but its "
		      "envelope ID is not that message's; a Message-ID alone can be known to "
		      "anyone who received the message") },
		{ "msgid-no-envid",
		  N_ ("it returns the headers of a message you sent with REQUIRETLS, but carries "
		      "no envelope ID; a Message-ID alone can be known to anyone who received "
		      "the message") },
		{ "no-match", N_ ("its envelope ID matches no message you sent with REQUIRETLS") },
		{ "no-envid-no-match", N_ ("it carries no envelope ID and matches no message you "
		                           "sent with REQUIRETLS") },
	};

	for (gsize i = 0; reason != NULL && i < G_N_ELEMENTS (t); i++)
		if (g_str_equal (reason, t[i].code))
			return _ (t[i].words);
	return reason; /* an earlier release stored the words themselves */
}

RtlsBounceMatch
rtls_delivery_correlate (const RtlsDsn *dsn, GPtrArray *journal, const RtlsJournalEntry **entry,
                         gchar **reason)
{
	const RtlsJournalEntry *by_envid = NULL, *refused = NULL, *by_msgid = NULL;

	*entry = NULL;
	*reason = NULL;
	if (dsn->ambiguous_envids != NULL) {
		if (!ambiguous_touches_ours (dsn, journal) && !any_requiretls_status (dsn))
			return RTLS_BOUNCE_NOT_OURS;
		*reason = g_strdup ("ambiguous-envid");
		return RTLS_BOUNCE_UNVERIFIED;
	}
	for (guint i = 0; journal != NULL && i < journal->len; i++) {
		const RtlsJournalEntry *e = g_ptr_array_index (journal, i);
		if (!is_send (e))
			continue;
		if (dsn->envid != NULL && e->envid != NULL && g_str_equal (dsn->envid, e->envid)) {
			if (is_accepted (e))
				by_envid = e;
			else
				refused = e;
		}
		if (is_accepted (e)
		    && rtls_delivery_same_message_id (dsn->orig_message_id, e->message_id))
			by_msgid = e;
	}
	if (by_envid != NULL) {
		if (dsn->orig_message_id != NULL && by_envid->message_id != NULL
		    && !rtls_delivery_same_message_id (dsn->orig_message_id,
		                                       by_envid->message_id)) {
			*reason = g_strdup ("other-headers");
			return RTLS_BOUNCE_UNVERIFIED;
		}
		*entry = by_envid;
		return RTLS_BOUNCE_OURS;
	}
	if (refused != NULL) {
		*reason = g_strdup ("never-accepted");
		return RTLS_BOUNCE_UNVERIFIED;
	}
	if (by_msgid != NULL) {
		*reason = g_strdup (dsn->envid != NULL ? "msgid-other-envid" : "msgid-no-envid");
		return RTLS_BOUNCE_UNVERIFIED;
	}
	if ((dsn->envid != NULL && g_str_has_prefix (dsn->envid, "rtls-"))
	    || any_requiretls_status (dsn)) {
		*reason = g_strdup (dsn->envid != NULL ? "no-match" : "no-envid-no-match");
		return RTLS_BOUNCE_UNVERIFIED;
	}
	return RTLS_BOUNCE_NOT_OURS;
}

/* RFC 3464 §2.3.3's names of the actions */
static const char *const dsn_actions[] = {
	[RTLS_DSN_ACTION_UNKNOWN] = "unknown", [RTLS_DSN_ACTION_FAILED] = "failed",
	[RTLS_DSN_ACTION_DELAYED] = "delayed", [RTLS_DSN_ACTION_DELIVERED] = "delivered",
	[RTLS_DSN_ACTION_RELAYED] = "relayed", [RTLS_DSN_ACTION_EXPANDED] = "expanded",
};

static const char *
dsn_action_name (RtlsDsnAction a)
{
	return (guint) a < G_N_ELEMENTS (dsn_actions) ? dsn_actions[a] : "unknown";
}

static RtlsDsnAction
dsn_action_of (const char *name)
{
	for (guint i = 0; name != NULL && i < G_N_ELEMENTS (dsn_actions); i++)
		if (g_str_equal (name, dsn_actions[i]))
			return (RtlsDsnAction) i;
	return RTLS_DSN_ACTION_UNKNOWN;
}

/* The recipient of a report, as far as the journal record @e keeps it: what
 * rtls_dsn_explain_recipient() and rtls_dsn_recipient_is_requiretls() read of it (borrowed
 * from @e). */
static void
report_recipient (const RtlsJournalEntry *e, RtlsDsnAction action, RtlsDsnRecipient *r)
{
	memset (r, 0, sizeof *r);
	r->action = action;
	r->status_malformed = e->status_malformed;
	r->effective_status = e->enhanced;
	r->diagnostic = e->diagnostic;
	r->remote_mta = e->remote_mta;
	r->final_recipient = e->recipient;
	r->gave_up = e->gave_up;
}

gboolean
rtls_delivery_explains_itself (const RtlsJournalEntry *e)
{
	g_autofree gchar *words = NULL;

	if (e->cause != NULL
	    && (words = rtls_attempt_cause_words (e->cause, e->stage, e->detail)) != NULL)
		return TRUE;
	/* a report keeps its words: they are the report's own reading (a give-up after a
	 * temporary code, a malformed status) as much as its facts */
	return e->dsn_action == NULL && (e->error != NULL || g_strcmp0 (e->result, "sent") == 0);
}

gchar *
rtls_delivery_explain (const RtlsJournalEntry *e)
{
	const char *result = e->result != NULL ? e->result : "";
	gchar *words;

	if (e->cause != NULL && (words = rtls_attempt_cause_words (e->cause, e->stage, e->detail)))
		return words;
	if (e->dsn_action != NULL) {
		RtlsDsnRecipient r;
		report_recipient (e, dsn_action_of (e->dsn_action), &r);
		return rtls_dsn_explain_recipient (&r);
	}
	/* a send the helper reported on: its record's facts, also those of a "sent" record
	 * of an earlier release (host and TLS version were always stored) */
	if (e->error != NULL || g_str_equal (result, "sent")) {
		RtlsRecord r = { 0 };
		r.result = (gchar *) (g_str_equal (result, "temporary") ? "failed" : result);
		r.exit_code = e->exit_code;
		r.error = e->error;
		r.stage = e->stage;
		r.host = e->host;
		r.port = e->port;
		r.tls_version = e->tls_version;
		r.smtp_code = e->smtp_code;
		r.enhanced = e->enhanced;
		r.server_text = e->server_text;
		r.cert_problem = e->cert_problem;
		r.tls_problem = e->tls_problem;
		r.message = e->detail;
		return rtls_record_explain (&r);
	}
	return g_strdup (e->explanation);
}

/* The report record @e (its row in @state) is about REQUIRETLS itself. An earlier release
 * stored no action: the row's state stands for it. */
static gboolean
report_is_requiretls (const RtlsJournalEntry *e, RtlsRowState state)
{
	RtlsDsnRecipient r;

	report_recipient (e,
	                  e->dsn_action != NULL          ? dsn_action_of (e->dsn_action)
	                  : state == RTLS_ROW_BOUNCED    ? RTLS_DSN_ACTION_FAILED
	                  : state == RTLS_ROW_DELAYED    ? RTLS_DSN_ACTION_DELAYED
	                  : state == RTLS_ROW_UNVERIFIED ? RTLS_DSN_ACTION_UNKNOWN
	                                                 : RTLS_DSN_ACTION_DELIVERED,
	                  &r);
	return rtls_dsn_recipient_is_requiretls (&r);
}

/* The code a REQUIRETLS verdict stands for, without its class (".7.30"): the row's own, or
 * 5.7.30's when only the MTA's words named REQUIRETLS (as rtls_dsn_explain_recipient()
 * reads them); "" for a row that is not about REQUIRETLS. */
static const char *
requiretls_detail (const RtlsDeliveryRow *row)
{
	if (!row->requiretls)
		return "";
	if (row->status == NULL || strlen (row->status) < 3
	    || g_str_has_suffix (row->status, ".0.0"))
		return ".7.30";
	return row->status + 1;
}

static const char *
record_result (RtlsDsnAction a)
{
	switch (a) {
	case RTLS_DSN_ACTION_FAILED:
		return "bounced";
	case RTLS_DSN_ACTION_DELAYED:
		return "delayed";
	case RTLS_DSN_ACTION_DELIVERED:
	case RTLS_DSN_ACTION_RELAYED:
	case RTLS_DSN_ACTION_EXPANDED: /* delivered, then passed on (RFC 3464 §2.3.3) */
		return "delivered";
	default:
		return NULL; /* unreadable: nothing to record */
	}
}

GPtrArray *
rtls_delivery_records (const RtlsDsn *dsn, RtlsBounceMatch match, const RtlsJournalEntry *entry,
                       const char *reason, const char *bounce_id, gint64 now)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);

	if (match == RTLS_BOUNCE_NOT_OURS || (match == RTLS_BOUNCE_OURS && entry == NULL))
		return out;
	for (guint i = 0; i < dsn->recipients->len && i < 100; i++) {
		const RtlsDsnRecipient *r = g_ptr_array_index (dsn->recipients, i);
		const char *result = record_result (r->action);
		RtlsJournalEntry *e;
		if (result == NULL)
			continue;
		e = g_new0 (RtlsJournalEntry, 1);
		e->time = now;
		e->account_id = entry != NULL ? entry->account_id : -1;
		e->recipient = g_strdup (r->final_recipient);
		/* a malformed Status gives no code: the explanation shows it as written */
		e->enhanced = g_strdup (r->effective_status);
		e->explanation = rtls_dsn_explain_recipient (r);
		/* the facts those words are made of, to make them again when shown */
		e->dsn_action = g_strdup (dsn_action_name (r->action));
		e->status_malformed = g_strdup (r->status_malformed);
		e->gave_up = r->gave_up;
		e->reporting_mta = g_strdup (dsn->reporting_mta);
		e->remote_mta = g_strdup (r->remote_mta);
		e->diagnostic = g_strdup (r->diagnostic);
		e->bounce_id = rtls_dsn_strip_brackets (bounce_id);
		if (match == RTLS_BOUNCE_OURS) {
			e->result = g_strdup (result);
			e->envid = g_strdup (entry->envid);
			e->message_id = g_strdup (entry->message_id);
			e->subject = g_strdup (entry->subject);
		} else {
			e->result = g_strdup ("unverified");
			e->envid = g_strdup (dsn->envid);
			e->message_id = g_strdup (dsn->orig_message_id);
			e->subject = g_strdup (dsn->orig_subject);
			e->reason = g_strdup (reason);
		}
		g_ptr_array_add (out, e);
	}
	return out;
}

void
rtls_delivery_row_free (RtlsDeliveryRow *row)
{
	if (row == NULL)
		return;
	g_free (row->key);
	g_free (row->message_id);
	g_free (row->envid);
	g_free (row->latest_envid);
	g_free (row->subject);
	g_free (row->recipient);
	g_free (row->status);
	g_free (row->explanation);
	g_free (row->reporting_mta);
	g_free (row->remote_mta);
	g_free (row->accepted_by);
	g_free (row->diagnostic);
	g_free (row->bounce_id);
	g_free (row->reason);
	g_free (row);
}

const char *
rtls_delivery_state_name (RtlsRowState state)
{
	switch (state) {
	case RTLS_ROW_SENT:
		return _ ("sent");
	case RTLS_ROW_NOT_CONFIRMED:
		return _ ("not confirmed");
	case RTLS_ROW_WAITING:
		return _ ("waiting to retry");
	case RTLS_ROW_FAILED:
		return _ ("not sent");
	case RTLS_ROW_BOUNCED:
		return _ ("failed");
	case RTLS_ROW_DELAYED:
		return _ ("delayed");
	case RTLS_ROW_DELIVERED:
		return _ ("delivered");
	case RTLS_ROW_UNVERIFIED:
		return _ ("unverified bounce");
	case RTLS_ROW_SENDING:
		return _ ("being sent");
	case RTLS_ROW_CANCELLED:
		return _ ("not sent — cancelled");
	case RTLS_ROW_SENT_DEFAULT:
		return _ ("sent without REQUIRETLS");
	}
	return "";
}

gboolean
rtls_delivery_state_is_problem (RtlsRowState state)
{
	return state == RTLS_ROW_FAILED || state == RTLS_ROW_BOUNCED || state == RTLS_ROW_DELAYED
	       || state == RTLS_ROW_NOT_CONFIRMED;
}

gchar *
rtls_delivery_key_of (const RtlsJournalEntry *e)
{
	RtlsResult result = rtls_result_parse (e->result);

	if (result == RTLS_RESULT_UNVERIFIED
	    || (result == RTLS_RESULT_FORGOTTEN && e->message_id == NULL && e->bounce_id != NULL))
		return g_strconcat ("bounce:", e->bounce_id ? e->bounce_id : "",
		                    e->bounce_id ? "" : e->envid, NULL);
	if (e->message_id != NULL && *e->message_id != '\0')
		return rtls_dsn_strip_brackets (e->message_id);
	return g_strdup (e->envid != NULL ? e->envid : "");
}

static void
set (gchar **slot, const char *v)
{
	if (v != NULL) {
		g_free (*slot);
		*slot = g_strdup (v);
	}
}

/* How final a state is: a DSN that says less never overrides one that said more, whatever
 * the order they arrived in. */
static int
rank (RtlsRowState s)
{
	switch (s) {
	case RTLS_ROW_DELAYED:
		return 1;
	case RTLS_ROW_BOUNCED:
	case RTLS_ROW_DELIVERED:
		return 2;
	default:
		return 0;
	}
}

/* Where a message's row for a recipient is: "key" NUL-free, then the address in lower case. */
static gchar *
row_index_key (const char *key, const char *rcpt)
{
	g_autofree gchar *lower = g_ascii_strdown (rcpt, -1);

	return g_strconcat (key, "\n", lower, NULL);
}

static gint
newer_first (gconstpointer a, gconstpointer b)
{
	const RtlsDeliveryRow *x = *(const RtlsDeliveryRow *const *) a;
	const RtlsDeliveryRow *y = *(const RtlsDeliveryRow *const *) b;

	return x->time < y->time ? 1 : x->time > y->time ? -1 : 0;
}

GPtrArray *
rtls_delivery_rows (GPtrArray *journal)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_delivery_row_free);
	/* (message, recipient) → its row, so that a long journal folds in linear time */
	g_autoptr (GHashTable) index
	        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	/* row → the record it shows: its words are made once, after the fold */
	g_autoptr (GHashTable) shown = g_hash_table_new (g_direct_hash, g_direct_equal);

	for (guint i = 0; journal != NULL && i < journal->len; i++) {
		const RtlsJournalEntry *e = g_ptr_array_index (journal, i);
		g_autofree gchar *key = rtls_delivery_key_of (e);
		g_auto (GStrv) rcpts = NULL;
		RtlsRowState state;
		gboolean dsn = FALSE;
		RtlsResult result = rtls_result_parse (e->result);

		if (result == RTLS_RESULT_FORGOTTEN) {
			for (guint j = rows->len; j-- > 0;) {
				RtlsDeliveryRow *r = g_ptr_array_index (rows, j);
				if (g_str_equal (r->key, key)
				    && (e->recipient == NULL
				        || g_ascii_strcasecmp (r->recipient, e->recipient) == 0)) {
					g_autofree gchar *ik = row_index_key (r->key, r->recipient);
					g_hash_table_remove (index, ik);
					g_hash_table_remove (shown, r);
					g_ptr_array_remove_index (rows, j);
				}
			}
			continue;
		}
		switch (result) {
		case RTLS_RESULT_STARTED:
			state = RTLS_ROW_SENDING;
			break;
		case RTLS_RESULT_SENT:
			state = RTLS_ROW_SENT;
			break;
		case RTLS_RESULT_SENT_DEFAULT:
			state = RTLS_ROW_SENT_DEFAULT;
			break;
		case RTLS_RESULT_CANCELLED:
			state = RTLS_ROW_CANCELLED;
			break;
		case RTLS_RESULT_NOT_CONFIRMED:
			state = RTLS_ROW_NOT_CONFIRMED;
			break;
		case RTLS_RESULT_TEMPORARY:
			state = RTLS_ROW_WAITING;
			break;
		case RTLS_RESULT_FAILED:
		case RTLS_RESULT_INTERRUPTED:
			state = RTLS_ROW_FAILED;
			break;
		case RTLS_RESULT_BOUNCED:
			state = RTLS_ROW_BOUNCED;
			dsn = TRUE;
			break;
		case RTLS_RESULT_DELAYED:
			state = RTLS_ROW_DELAYED;
			dsn = TRUE;
			break;
		case RTLS_RESULT_DELIVERED:
			state = RTLS_ROW_DELIVERED;
			dsn = TRUE;
			break;
		case RTLS_RESULT_UNVERIFIED:
			state = RTLS_ROW_UNVERIFIED;
			dsn = TRUE;
			break;
		default:
			continue; /* bookkeeping (filed, closed, confirmed), or of a later version
			           */
		}

		if (dsn)
			rcpts = g_strsplit (e->recipient ? e->recipient : "", ",", 2);
		else
			rcpts = g_strsplit (e->recipients ? e->recipients : "", ",", 1000);
		for (guint k = 0; rcpts[k] != NULL; k++) {
			const char *rcpt = g_strstrip (rcpts[k]);
			gchar *ik;
			RtlsDeliveryRow *row;
			if (*rcpt == '\0' && rcpts[1] != NULL)
				continue;
			ik = row_index_key (key, rcpt);
			row = g_hash_table_lookup (index, ik);
			if (row == NULL) {
				row = g_new0 (RtlsDeliveryRow, 1);
				row->key = g_strdup (key);
				row->recipient = g_strdup (rcpt);
				row->state = state;
				row->account_id = -1;
				/* a DSN for a recipient the send did not list (an alias expanded on
				 * the way): its subject is the message's */
				for (guint j = 0; dsn && j < rows->len && row->subject == NULL;
				     j++) {
					RtlsDeliveryRow *r = g_ptr_array_index (rows, j);
					if (g_str_equal (r->key, key))
						row->subject = g_strdup (r->subject);
				}
				g_ptr_array_add (rows, row);
				g_hash_table_insert (index, ik, row);
			} else {
				g_free (ik);
				if (dsn && rank (state) < rank (row->state))
					continue;
			}
			row->state = state;
			row->time = e->time;
			set (&row->message_id, e->message_id);
			set (&row->envid, e->envid);
			if (!dsn)
				set (&row->latest_envid, e->envid);
			row->earlier_send = dsn && e->envid != NULL && row->latest_envid != NULL
			                    && !g_str_equal (e->envid, row->latest_envid);
			set (&row->subject, e->subject);
			if (e->account_id >= 0)
				row->account_id = e->account_id;
			/* what a send said is replaced whole by the next send or DSN */
			g_free (row->status);
			row->status = g_strdup (e->enhanced);
			row->requiretls = dsn && report_is_requiretls (e, state);
			g_hash_table_insert (shown, row, (gpointer) e);
			g_free (row->diagnostic);
			row->diagnostic = g_strdup (e->diagnostic);
			g_free (row->reporting_mta);
			row->reporting_mta = g_strdup (e->reporting_mta);
			/* each filled only when it happened: the server that refused (a DSN's
			 * remote MTA, or our server refusing the send), the one that accepted */
			g_free (row->remote_mta);
			/* a report of delivery names the server that delivered it: never a
			 * refusal */
			row->remote_mta = g_strdup (
			        e->remote_mta != NULL && state != RTLS_ROW_DELIVERED ? e->remote_mta
			        : (state == RTLS_ROW_FAILED && !dsn && e->enhanced != NULL
			           && (e->enhanced[0] == '5' || e->enhanced[0] == '4'))
			                ? e->host
			                : NULL);
			if (!dsn) {
				g_free (row->accepted_by);
				row->accepted_by
				        = state == RTLS_ROW_SENT || state == RTLS_ROW_SENT_DEFAULT
				                  ? g_strdup (e->host)
				                  : NULL;
			}
			if (dsn)
				set (&row->bounce_id, e->bounce_id);
		}
	}
	for (guint i = 0; i < rows->len; i++) {
		RtlsDeliveryRow *row = g_ptr_array_index (rows, i);
		const RtlsJournalEntry *e = g_hash_table_lookup (shown, row);
		if (e != NULL) {
			row->explanation = rtls_delivery_explain (e);
			row->reason = g_strdup (rtls_delivery_reason_words (e->reason));
		}
	}
	/* newest first; of rows with the same time, the one written later first (reversed,
	 * then a stable sort) */
	for (guint i = 0; i < rows->len / 2; i++) {
		gpointer t = rows->pdata[i];
		rows->pdata[i] = rows->pdata[rows->len - 1 - i];
		rows->pdata[rows->len - 1 - i] = t;
	}
	g_ptr_array_sort (rows, newer_first); /* stable since GLib 2.32 */
	return rows;
}

RtlsJournalEntry *
rtls_delivery_forget_record (const RtlsDeliveryRow *row, gboolean whole_message, gint64 now)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);

	e->time = now;
	e->account_id = -1;
	e->result = g_strdup ("forgotten");
	if (row->state == RTLS_ROW_UNVERIFIED) {
		/* the key of an unverified row is the bounce's id: keep it recognisable */
		e->bounce_id = g_strdup (row->bounce_id);
		e->envid = g_strdup (row->envid);
	} else {
		e->message_id = g_strdup (row->message_id);
		e->envid = g_strdup (row->envid);
	}
	if (!whole_message)
		e->recipient = g_strdup (row->recipient);
	return e;
}

const char *
rtls_delivery_domain_of (const char *addr)
{
	const char *at = addr != NULL ? strrchr (addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

const RtlsDeliveryRow *
rtls_delivery_domain_warning (GPtrArray *rows, const char *domain, gint64 now, gint64 max_age)
{
	const RtlsDeliveryRow *found = NULL;
	gint64 delivered = 0;

	if (domain == NULL || *domain == '\0')
		return NULL;
	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		const char *d = rtls_delivery_domain_of (r->recipient);
		if (d == NULL || g_ascii_strcasecmp (d, domain) != 0)
			continue;
		if (r->state == RTLS_ROW_DELIVERED && r->time > delivered)
			delivered = r->time;
		if (r->state == RTLS_ROW_BOUNCED && r->requiretls && r->time >= now - max_age
		    && (found == NULL || r->time > found->time))
			found = r;
	}
	if (found != NULL && delivered > found->time)
		return NULL;
	return found;
}

static gchar *
advice_for_state (const RtlsDeliveryRow *row)
{
	const char *rcpt = row->recipient != NULL ? row->recipient : "";

	/* by subject and detail: "gave up after 4.7.30" is a 5.7.30 failure in the end */
	const char *detail = row->status != NULL && strlen (row->status) > 2 ? row->status + 1 : "";

	switch (row->state) {
	case RTLS_ROW_BOUNCED:
		if (g_str_equal (requiretls_detail (row), ".7.30"))
			return g_strdup_printf (
			        _ ("A server on the way to %s does not support REQUIRETLS, so it "
			           "returned the message instead of passing it on. You can ask the "
			           "recipient whether their provider supports REQUIRETLS, send the "
			           "content another way, or, only if it may cross a hop without "
			           "TLS, "
			           "edit and resend it with Require TLS off."),
			        rcpt);
		if (g_str_equal (requiretls_detail (row), ".7.10"))
			return g_strdup_printf (
			        _ ("TLS with a server on the way to %s could not be set up or its "
			           "certificate could not be verified, so the message was "
			           "returned. "
			           "The recipient's domain may need to publish DANE or MTA-STS; "
			           "you "
			           "can ask them, or send the content another way."),
			        rcpt);
		/* only an address problem (X.1.x, RFC 3463 §3.2) is fixed by checking it */
		if (row->status != NULL && g_str_has_prefix (detail, ".1."))
			return g_strdup_printf (
			        _ ("The message was not delivered to %s. Check the address, "
			           "then edit and resend it."),
			        rcpt);
		return g_strdup_printf (_ ("The message was not delivered to %s, for the reason "
		                           "above. Once that is dealt with, you can edit and "
		                           "resend it."),
		                        rcpt);
	case RTLS_ROW_DELAYED:
		return g_strdup (_ ("Servers on the way are still trying. Nothing needs doing yet; "
		                    "a final report may follow, or may never arrive."));
	case RTLS_ROW_NOT_CONFIRMED:
		return g_strdup (
		        _ ("The connection was lost after the message was handed over, so "
		           "it may or may not have been accepted. Ask the recipient before "
		           "resending, or it may arrive twice."));
	case RTLS_ROW_WAITING:
		return g_strdup (_ ("Your server could not take it for now. It waits locked in the "
		                    "queue and is retried with REQUIRETLS."));
	case RTLS_ROW_FAILED:
		return g_strdup (_ ("It never left: the message stayed with you (in the composer, "
		                    "Drafts or the queue)."));
	case RTLS_ROW_SENDING:
		return g_strdup (_ ("The plugin is sending it right now."));
	case RTLS_ROW_CANCELLED:
		return g_strdup (_ ("You cancelled sending before the message content left, so "
		                    "it was not sent. The message stayed with you."));
	case RTLS_ROW_SENT_DEFAULT:
		return g_strdup (
		        _ ("Your server refused it with REQUIRETLS; you confirmed sending it "
		           "without, and Claws sent it as an ordinary message: TLS was not "
		           "required on the way."));
	case RTLS_ROW_SENT:
		return g_strdup (
		        _ ("Your server accepted it with REQUIRETLS. If a server further on "
		           "cannot honour it, a bounce comes back, though bounces can be "
		           "lost."));
	case RTLS_ROW_DELIVERED:
		return g_strdup (_ ("A server on the way reported it delivered."));
	case RTLS_ROW_UNVERIFIED:
		return g_strdup_printf (
		        _ ("This bounce could not be tied to a message you sent with REQUIRETLS: "
		           "%s. It may be forged. Do not act on what it says, and never resend "
		           "anything without TLS because of it."),
		        row->reason != NULL ? row->reason : "");
	}
	return g_strdup ("");
}

gchar *
rtls_delivery_advice (const RtlsDeliveryRow *row)
{
	gchar *advice = advice_for_state (row);

	if (row->earlier_send) {
		/* a report about the first copy says nothing about the one sent again */
		gchar *both = g_strdup_printf (
		        "%s %s",
		        _ ("This report is about an earlier send of the message, not the one sent "
		           "again after it: that one may still be delivered, or bounce later."),
		        advice != NULL ? advice : "");
		g_free (advice);
		advice = both;
	}
	return advice;
}

RtlsBounceTag
rtls_delivery_bounce_tag (const RtlsDsn *dsn, RtlsBounceMatch match)
{
	RtlsBounceTag tag = RTLS_TAG_NONE;

	if (match == RTLS_BOUNCE_NOT_OURS)
		return RTLS_TAG_NONE;
	if (match == RTLS_BOUNCE_UNVERIFIED)
		return RTLS_TAG_UNVERIFIED;
	/* the most serious of what it says about its recipients (the enum's order) */
	for (guint i = 0; i < dsn->recipients->len; i++) {
		const RtlsDsnRecipient *r = g_ptr_array_index (dsn->recipients, i);
		RtlsBounceTag t;
		switch (r->action) {
		case RTLS_DSN_ACTION_FAILED:
			t = rtls_dsn_recipient_is_requiretls (r) ? RTLS_TAG_REQUIRETLS_FAILED
			                                         : RTLS_TAG_DELIVERY_FAILED;
			break;
		case RTLS_DSN_ACTION_DELAYED:
			t = rtls_dsn_recipient_is_requiretls (r) ? RTLS_TAG_REQUIRETLS_DELAYED
			                                         : RTLS_TAG_DELIVERY_DELAYED;
			break;
		case RTLS_DSN_ACTION_DELIVERED:
		case RTLS_DSN_ACTION_EXPANDED:
			t = RTLS_TAG_DELIVERED;
			break;
		case RTLS_DSN_ACTION_RELAYED:
			t = RTLS_TAG_RELAYED;
			break;
		default:
			t = RTLS_TAG_NONE; /* an Action we cannot read says nothing */
			break;
		}
		if (t != RTLS_TAG_NONE && (tag == RTLS_TAG_NONE || t < tag))
			tag = t;
	}
	return tag;
}

const char *
rtls_delivery_tag_name (RtlsBounceTag tag)
{
	switch (tag) {
	case RTLS_TAG_REQUIRETLS_FAILED:
		return _ ("REQUIRETLS failed");
	case RTLS_TAG_DELIVERY_FAILED:
		return _ ("Delivery failed");
	case RTLS_TAG_REQUIRETLS_DELAYED:
		return _ ("REQUIRETLS delayed");
	case RTLS_TAG_DELIVERY_DELAYED:
		return _ ("Delivery delayed");
	case RTLS_TAG_RELAYED:
		return _ ("Relayed");
	case RTLS_TAG_DELIVERED:
		return _ ("Delivered");
	case RTLS_TAG_UNVERIFIED:
		return _ ("REQUIRETLS unverified");
	case RTLS_TAG_NONE:
		break;
	}
	return NULL;
}

static gboolean
delivery_record_known (GPtrArray *journal, const RtlsJournalEntry *r)
{
	for (guint i = 0; i < journal->len; i++) {
		const RtlsJournalEntry *e = g_ptr_array_index (journal, i);
		if (e->bounce_id != NULL && r->bounce_id != NULL
		    && rtls_delivery_same_message_id (e->bounce_id, r->bounce_id)
		    && g_strcmp0 (e->envid, r->envid) == 0
		    && g_strcmp0 (e->recipients, r->recipients) == 0
		    && g_strcmp0 (e->result, r->result) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
rtls_delivery_records_known (GPtrArray *journal, GPtrArray *records)
{
	for (guint i = 0; i < records->len; i++)
		if (!delivery_record_known (journal, g_ptr_array_index (records, i)))
			return FALSE;
	return records->len > 0;
}

gboolean
rtls_delivery_state_has_sent_copy (RtlsRowState state)
{
	switch (state) {
	case RTLS_ROW_SENT:
	case RTLS_ROW_SENT_DEFAULT:
	case RTLS_ROW_BOUNCED:
	case RTLS_ROW_DELAYED:
	case RTLS_ROW_DELIVERED:
		return TRUE;
	default:
		return FALSE;
	}
}
