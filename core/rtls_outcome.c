/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_outcome.c: the sender's decisions (pure logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_outcome.h"

#include <string.h>

#include "codec.h"

RtlsEnd
rtls_outcome_of_end (const RtlsEndFacts *f)
{
	RtlsEnd end = { RTLS_OUTCOME_LOCAL, RTLS_RESULT_FAILED, NULL };

	if (f->record != NULL) {
		end.kind = rtls_record_outcome (f->record);
		end.result = rtls_result_parse (rtls_attempt_result_of (end.kind));
	} else if (f->cancelled && !f->content_left) {
		/* the helper told how far it got: the content never left */
		end.result = RTLS_RESULT_CANCELLED;
		end.cause = "cancelled";
	} else if (f->content_left) {
		/* stopped, or killed, after the content had begun to leave: the server may have
		 * accepted it */
		end.kind = RTLS_OUTCOME_NOT_CONFIRMED;
		end.result = RTLS_RESULT_NOT_CONFIRMED;
		end.cause = f->cancelled ? "cancelled-late" : "helper-stopped";
	} else {
		end.cause = "helper-ended";
	}
	return end;
}

RtlsRefusal
rtls_outcome_refusal (const RtlsEnd *end, const RtlsEndFacts *f, gboolean maybe_arrived)
{
	const RtlsRecord *r = f->record;

	if (end->kind == RTLS_OUTCOME_NOT_CONFIRMED || maybe_arrived)
		return RTLS_REFUSAL_NOT_CONFIRMED;
	if (f->cancelled && !f->content_left)
		return RTLS_REFUSAL_CANCELLED;
	if (end->kind == RTLS_OUTCOME_TEMPORARY)
		return RTLS_REFUSAL_TEMPORARY;
	if (r != NULL && g_strcmp0 (r->error, "RTLS_ERROR_CERT") == 0)
		return RTLS_REFUSAL_CERT;
	if (r != NULL && g_strcmp0 (r->error, "RTLS_ERROR_UNSUPPORTED") == 0)
		return RTLS_REFUSAL_NO_REQUIRETLS;
	return RTLS_REFUSAL_OTHER;
}

RtlsEndpoint
rtls_outcome_endpoint (const char *own_host, guint own_port, gboolean own_starttls,
                       const char *claws_host, guint claws_port, gboolean claws_tunnel)
{
	RtlsEndpoint ep;

	if (own_host != NULL) {
		ep.host = own_host;
		ep.port = own_port != 0 ? own_port : own_starttls ? 587 : 465;
		ep.starttls = own_starttls;
	} else {
		ep.host = claws_host;
		ep.port = claws_port;
		ep.starttls = !claws_tunnel;
	}
	return ep;
}

void
rtls_outcome_retry (const RtlsAttempt *prev, gboolean retry_on, gint64 first, gint64 cap,
                    gint64 now, gint *step, gint64 *at)
{
	*step = prev != NULL && prev->state == RTLS_ATTEMPT_TEMPORARY ? prev->retry_step + 1 : 0;
	*at = retry_on ? now + rtls_attempt_backoff (*step, first, cap) : 0;
}

RtlsRecord *
rtls_outcome_local_record (const char *why)
{
	RtlsRecord *r = g_new0 (RtlsRecord, 1);

	r->result = g_strdup ("failed");
	r->exit_code = 78; /* EX_CONFIG, as the helper exits for its own configuration */
	r->error = g_strdup ("RTLS_ERROR_CONFIG");
	r->message = rtls_sanitize (why != NULL ? why : "", -1, 2000);
	r->rcpts = g_ptr_array_new_with_free_func (g_free);
	return r;
}
