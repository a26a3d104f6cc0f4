/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_outcome.h: the sender's decisions, pure (no GTK, no Claws), so that they are tested
 * alone and not only by driving Claws: what the end of a helper means, which refusal the
 * person is shown, which server and TLS mode a REQUIRETLS message goes to, when a temporary
 * failure is tried again.
 */
#pragma once

#include <glib.h>

#include "rtls_attempt.h"
#include "rtls_journal.h"
#include "rtls_record.h"

G_BEGIN_DECLS

/* What the plugin saw of a helper that ended. */
typedef struct {
	const RtlsRecord *record; /* its final status record; NULL: it left none */
	gboolean cancelled;       /* the person cancelled it */
	gboolean content_left;    /* it said progress=content: the message had begun to leave */
} RtlsEndFacts;

typedef struct {
	RtlsOutcomeKind kind;
	RtlsResult result; /* what the history records */
	/* the plugin's own cause when the helper's record does not say (rtls_attempt_cause_words
	 * ()): "cancelled", "cancelled-late", "helper-stopped", "helper-ended"; NULL otherwise */
	const char *cause;
} RtlsEnd;

/* The record decides when there is one. Without one: cancelled before the content left is
 * "cancelled" (not sent); after the content had begun to leave it is "not confirmed" (the
 * server may have it: never sent again without asking, DESIGN §6); else the helper ended
 * without a word: "failed". */
RtlsEnd rtls_outcome_of_end (const RtlsEndFacts *f);

/* What kind of refusal the person is shown (each has its own next step). */
typedef enum {
	RTLS_REFUSAL_OTHER,
	RTLS_REFUSAL_CERT,          /* the certificate did not verify */
	RTLS_REFUSAL_NO_REQUIRETLS, /* the server does not offer REQUIRETLS */
	RTLS_REFUSAL_TEMPORARY,     /* try again later */
	/* not confirmed: the connection was lost after the content had left, so the server may
	 * already have it; it is never sent again, with or without REQUIRETLS, from here */
	RTLS_REFUSAL_NOT_CONFIRMED,
	/* the person cancelled before the content left: only back to editing */
	RTLS_REFUSAL_CANCELLED,
} RtlsRefusal;

/* @maybe_arrived: an earlier send of the same message may have reached the server
 * (rtls_attempts_maybe_arrived_for_message()): then sending without REQUIRETLS is never
 * offered, whatever this refusal was. */
RtlsRefusal rtls_outcome_refusal (const RtlsEnd *end, const RtlsEndFacts *f,
                                  gboolean maybe_arrived);

/* Where a REQUIRETLS message is submitted: the plugin's own server for the account when one
 * is set (@own_host; @own_port 0: 587 with STARTTLS, 465 without), else the account's
 * (@claws_port as Claws computes it). Claws' "SSL tunnel" is implicit TLS; its STARTTLS and
 * its "none" both become mandatory STARTTLS: a REQUIRETLS message never travels in the
 * clear (RFC 8689 §4.1). */
typedef struct {
	const char *host;
	guint port;
	gboolean starttls;
} RtlsEndpoint;
RtlsEndpoint rtls_outcome_endpoint (const char *own_host, guint own_port, gboolean own_starttls,
                                    const char *claws_host, guint claws_port,
                                    gboolean claws_tunnel);

/* When a temporary failure is tried again: the step after @prev (the attempt before this
 * one for the same queue entry, or NULL), the time from @now with the back-off of
 * rtls_attempt_backoff(); *@at is 0 when retries are switched off (only the person sends
 * it then). */
void rtls_outcome_retry (const RtlsAttempt *prev, gboolean retry_on, gint64 first, gint64 cap,
                         gint64 now, gint *step, gint64 *at);

/* A failure of the plugin's own (a queue entry that cannot be read, no password, …), as the
 * record the helper would have written for it: exit 78, RTLS_ERROR_CONFIG, @why. */
RtlsRecord *rtls_outcome_local_record (const char *why);

G_END_DECLS
