/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_precheck.h: readiness before a send, as the composer says it (issue 22, section 2):
 * the helper's check of a recipient domain (rtls_check_records_parse()) combined with what
 * the person's own history knows (rtls_store_domain_history()), asked of
 * rtls_readiness_verdict() again, and put into words with the time it was checked; how long
 * a check may be kept; the recipients taken out of a composer's row. Pure: no GTK, no Claws.
 */
#pragma once

#include <glib.h>

#include "rtls_readiness.h"
#include "rtls_store.h"

G_BEGIN_DECLS

/* How long a check of @rec may be used instead of a new one, in seconds: the record's TTL
 * (the smallest TTL of the DNS answers it used; the helper keeps it at most 300 for an
 * unknown verdict), at most the MTA-STS policy's max_age when it rests on one, at least 60. */
gint64 rtls_precheck_lifetime (const RtlsCheckRecord *rec);

/* Whether a check made at @checked_at, usable until @expires_at, with or without the probe
 * (@probed), answers a composer now (@now) that wants the probe (@want_probe) or not. */
gboolean rtls_precheck_fresh (gint64 expires_at, gboolean probed, gboolean want_probe, gint64 now);

/* What is known about one recipient domain. */
typedef struct {
	const RtlsCheckRecord *record; /* the last check, or NULL (none, or being checked) */
	gint64 checked_at;             /* when it was made (Unix seconds) */
	gboolean checking;             /* a check of the domain runs now */
	const char *check_error;       /* the last check could not run: why (or NULL) */
	RtlsDomainHistory history;     /* the history's last REQUIRETLS delivery and failure
	                                * there; a failure the caller finds too old is 0 */
} RtlsPrecheckFacts;

/* The verdict for @f: the check's facts with the history's delivery (rtls_readiness_verdict()
 * again), then a REQUIRETLS-caused failure newer than any delivery makes an unknown verdict
 * "will bounce" ("returned-before"). *@reason (may be NULL) gets the reason that decided it,
 * a word of the record or "returned-before", "delivered-before", "checking", "check-failed",
 * "not-checked" (static). */
RtlsReadiness rtls_precheck_verdict (const RtlsPrecheckFacts *f, const char **reason);

/* The sentence for the person about @domain (translated; caller frees), e.g.
 * "tax.example.gov: its mail server offers REQUIRETLS, DANE-verified — checked 2 minutes
 * ago", "example.org: its mail server does not offer REQUIRETLS — this message would come
 * back (checked just now)". *@verdict (may be NULL) gets rtls_precheck_verdict(). */
gchar *rtls_precheck_sentence (const char *domain, const RtlsPrecheckFacts *f, gint64 now,
                               RtlsReadiness *verdict);

/* "just now", "2 minutes ago", "3 hours ago", "5 days ago" (translated; caller frees). */
gchar *rtls_precheck_ago (gint64 then, gint64 now);

/* Whether @domain is worth checking: at least two labels of letters, digits and hyphens (a
 * domain still being typed, "exa", is not). */
gboolean rtls_precheck_domain_ok (const char *domain);

/* The address list @value (a composer's To/Cc/Bcc row as typed) without the mailboxes whose
 * addr-spec (compared case-insensitively) is in @remove (gchar*); the others are kept as
 * typed, joined by ", ". NULL when nothing was removed; "" when nothing is left. */
gchar *rtls_precheck_row_without (const char *value, const GPtrArray *remove);

G_END_DECLS
