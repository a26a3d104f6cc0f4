/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_delivery.h: what became of each REQUIRETLS message (pure logic, no GTK, no Claws).
 * Correlates a parsed DSN with the send journal, turns it into journal records, and folds
 * the whole journal into the rows of the REQUIRETLS delivery window: one per message and
 * recipient. The window, the tags and the composer's warning are all built from this.
 */
#pragma once

#include <glib.h>

#include "rtls_dsn.h"
#include "rtls_journal.h"

G_BEGIN_DECLS

typedef enum {
	RTLS_BOUNCE_NOT_OURS,   /* an ordinary bounce of something else: not our business */
	RTLS_BOUNCE_UNVERIFIED, /* about REQUIRETLS or one of our messages, but not proven ours */
	RTLS_BOUNCE_OURS,       /* its ENVID is one we sent, and nothing contradicts it */
} RtlsBounceMatch;

/* Decides whether @dsn is about a message in @journal (RtlsJournalEntry*). Our ENVIDs are
 * random and travel only in the envelope (RFC 3461 §4.4), so the ENVID is the proof; the
 * returned Message-ID, when present, must agree. A Message-ID alone is never proof: anyone
 * who got the message knows it. On OURS, *@entry is the send it matched; on UNVERIFIED,
 * *@reason says why, as a code for rtls_delivery_reason_words(). */
RtlsBounceMatch rtls_delivery_correlate (const RtlsDsn *dsn, GPtrArray *journal,
                                         const RtlsJournalEntry **entry, gchar **reason);

/* The journal records for @dsn: one per recipient it reports on (at most 100). @match,
 * @entry and @reason as rtls_delivery_correlate() gave them; @bounce_id is the bounce's own
 * Message-ID; @now the time to stamp. NOT_OURS gives none. */
GPtrArray *rtls_delivery_records (const RtlsDsn *dsn, RtlsBounceMatch match,
                                  const RtlsJournalEntry *entry, const char *reason,
                                  const char *bounce_id, gint64 now);

typedef enum {
	RTLS_ROW_SENT,          /* accepted by the submission server; nothing heard since */
	RTLS_ROW_NOT_CONFIRMED, /* the connection was lost after the final "." */
	RTLS_ROW_WAITING,       /* a temporary failure; the plugin retries */
	RTLS_ROW_FAILED,        /* refused before it left (the helper's own result) */
	RTLS_ROW_BOUNCED,       /* a DSN of ours says failed */
	RTLS_ROW_DELAYED,       /* a DSN of ours says delayed, still trying */
	RTLS_ROW_DELIVERED,     /* a DSN of ours says delivered or relayed */
	RTLS_ROW_UNVERIFIED,    /* a bounce we could not tie to a message of ours */
	RTLS_ROW_SENDING,       /* an attempt started; no outcome yet */
	RTLS_ROW_CANCELLED,     /* stopped by the person before the content left: not sent */
	RTLS_ROW_SENT_DEFAULT,  /* refused with REQUIRETLS, then sent by Claws without it */
} RtlsRowState;

typedef struct {
	gchar *key; /* the message: its Message-ID, else its ENVID, else the bounce's id */
	gint64 time;
	gchar *message_id;
	gchar *envid;
	gchar *subject;
	gchar *recipient;
	RtlsRowState state;
	gchar *status; /* enhanced code, e.g. "5.7.30" */
	/* A report whose cause is REQUIRETLS itself (rtls_dsn_recipient_is_requiretls()): by
	 * its code, or by the MTA's words when the code says only its class ("5.0.0") */
	gboolean requiretls;
	gchar *explanation; /* plain words */
	gchar *reporting_mta;
	gchar *remote_mta;  /* who refused: only when one did */
	gchar *accepted_by; /* the server that accepted it: only when one did */
	gchar *diagnostic;
	gchar *bounce_id;
	gchar *reason;
	gint account_id;
	/* the message was sent more than once (a resend after "not confirmed") and this report
	 * is about an earlier send, not the latest */
	gboolean earlier_send;
	gchar *latest_envid; /* the latest send's ENVID */
} RtlsDeliveryRow;

void rtls_delivery_row_free (RtlsDeliveryRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsDeliveryRow, rtls_delivery_row_free)

/* Why an unverified bounce was not believed, in plain words of the current language, from
 * the code rtls_delivery_correlate() gave; any other text (an earlier release stored its
 * words) is given back as it is. */
const char *rtls_delivery_reason_words (const char *reason);

/* What the journal record @e says happened, in plain words of the current language (issue
 * 15: a row written while Claws spoke German reads in French once it does), made from the
 * facts it stores: the helper's status record, the plugin's own cause, a report's action and
 * status. A record with none of them (an earlier release's) gives its stored words. */
gchar *rtls_delivery_explain (const RtlsJournalEntry *e);

/* The message a record is about, as rows are grouped: its Message-ID without brackets, else
 * its ENVID; an unverified bounce's own id ("bounce:…"). */
gchar *rtls_delivery_key_of (const RtlsJournalEntry *e);

/* The domain of an address (after its last '@'), NULL when it has none. */
const char *rtls_delivery_domain_of (const char *addr);

/* Whether rtls_delivery_explain() makes @e's words from its facts alone, for a send (then
 * its stored explanation is never read: the store does not keep it). Reports keep theirs. */
gboolean rtls_delivery_explains_itself (const RtlsJournalEntry *e);

/* Folds the journal (oldest first) into rows, newest first. */
GPtrArray *rtls_delivery_rows (GPtrArray *journal);

const char *rtls_delivery_state_name (RtlsRowState state); /* translated */
gboolean rtls_delivery_state_is_problem (RtlsRowState state);
/* Whether a row in @state stands for a message the server accepted, so that a Sent copy was
 * filed for it (the delivery window offers "Open Sent copy" and "Edit and resend" only then;
 * a send still running, not confirmed, cancelled or refused has none). */
gboolean rtls_delivery_state_has_sent_copy (RtlsRowState state);

/* The record that removes a row (recipient given) or a whole message (recipient NULL). */
RtlsJournalEntry *rtls_delivery_forget_record (const RtlsDeliveryRow *row, gboolean whole_message,
                                               gint64 now);

/* The newest bounce of a REQUIRETLS message to @domain for the reason REQUIRETLS itself
 * (5.7.30 or 5.7.10), within @max_age seconds before @now and with no later delivery to that
 * domain confirmed; NULL when there is none. Points into @rows. */
const RtlsDeliveryRow *rtls_delivery_domain_warning (GPtrArray *rows, const char *domain,
                                                     gint64 now, gint64 max_age);

/* What the row means for the person and what they can do, in plain words (translated). */
gchar *rtls_delivery_advice (const RtlsDeliveryRow *row);

/* The tag a report gets in the mail client (on the report, and on the Sent copy when it is
 * ours), from the most serious thing it says about any recipient, in this order: */
typedef enum {
	RTLS_TAG_NONE,               /* not ours: no tag */
	RTLS_TAG_REQUIRETLS_FAILED,  /* failed because of REQUIRETLS itself (x.7.30, x.7.10, …) */
	RTLS_TAG_DELIVERY_FAILED,    /* failed for another reason (5.1.1, 4.4.7 expired, …) */
	RTLS_TAG_REQUIRETLS_DELAYED, /* delayed because of REQUIRETLS itself */
	RTLS_TAG_DELIVERY_DELAYED,   /* delayed for another reason */
	RTLS_TAG_RELAYED,            /* relayed: passed on, no further reports will come */
	RTLS_TAG_DELIVERED,          /* delivered or expanded: a confirmation, never a failure */
	RTLS_TAG_UNVERIFIED,         /* about REQUIRETLS but not proven ours */
} RtlsBounceTag;

/* The tag for @dsn as rtls_delivery_correlate() matched it. Pure: the verdict per recipient
 * is rtls_dsn_recipient_is_requiretls(). */
RtlsBounceTag rtls_delivery_bounce_tag (const RtlsDsn *dsn, RtlsBounceMatch match);

/* The tag's words (translated), NULL for RTLS_TAG_NONE. */
const char *rtls_delivery_tag_name (RtlsBounceTag tag);

/* "<a@b>" and "a@b" compare equal. */
gboolean rtls_delivery_same_message_id (const char *a, const char *b);

/* Whether @journal already holds every record of @records (the same report filtered again:
 * same bounce Message-ID, ENVID, recipients and result). A different report that happens
 * to carry the same Message-ID is not "known": it is recorded. */
gboolean rtls_delivery_records_known (GPtrArray *journal, GPtrArray *records);

G_END_DECLS
