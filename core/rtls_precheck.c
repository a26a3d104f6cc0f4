/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_precheck.c: readiness before a send, in the composer's words (pure logic).
 */
#include "config.h"

#include "rtls_precheck.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "message.h"
#include "rtls_rules.h"

/* Plurals in the plugin's own domain: a bare ngettext() would look in Claws' catalogue. */
#undef ngettext
#define ngettext(one, many, n) g_dngettext (GETTEXT_PACKAGE, one, many, n)

gint64
rtls_precheck_lifetime (const RtlsCheckRecord *rec)
{
	gint64 life = rec != NULL && rec->ttl > 0 ? rec->ttl : 300;

	/* RFC 8461 3.2: a policy may be kept for max_age; the DNS answers beside it for their
	 * TTL, whichever ends first */
	if (rec != NULL && rec->sts_max_age > 0)
		life = MIN (life, (gint64) rec->sts_max_age);
	return MAX (life, 60);
}

gboolean
rtls_precheck_fresh (gint64 expires_at, gboolean probed, gboolean want_probe, gint64 now)
{
	return now < expires_at && (probed || !want_probe);
}

RtlsReadiness
rtls_precheck_verdict (const RtlsPrecheckFacts *f, const char **reason)
{
	const char *why = NULL;
	RtlsReadiness v;
	gboolean delivered = f->history.last_delivered > 0
	                     && f->history.last_delivered >= f->history.last_requiretls_failure;
	gboolean returned = f->history.last_requiretls_failure > f->history.last_delivered;

	if (f->record == NULL) {
		if (delivered) {
			v = RTLS_READINESS_READY;
			why = "delivered-before";
		} else if (returned) {
			v = RTLS_READINESS_WILL_BOUNCE;
			why = "returned-before";
		} else {
			v = RTLS_READINESS_UNKNOWN;
			why = f->checking      ? "checking"
			      : f->check_error ? "check-failed"
			                       : "not-checked";
		}
	} else {
		RtlsReadinessFacts facts = f->record->facts;
		g_autoptr (GPtrArray) reasons = g_ptr_array_new ();

		facts.history_delivered = delivered;
		v = rtls_readiness_verdict (&facts, reasons);
		why = reasons->len > 0 ? g_ptr_array_index (reasons, reasons->len - 1)
		                       : "not-probed";
		/* the person's own last REQUIRETLS message there came back, and nothing since says
		 * otherwise: the next one would too */
		if (v == RTLS_READINESS_UNKNOWN && returned) {
			v = RTLS_READINESS_WILL_BOUNCE;
			why = "returned-before";
		}
	}
	if (reason != NULL)
		*reason = why;
	return v;
}

/* Why a domain will bounce or is not known, for each reason word: the clause after
 * "DOMAIN: " (or "DOMAIN: not known — "). */
static const struct {
	const char *word;
	const char *text;
} reason_words[] = {
	{ "requiretls-not-offered", N_ ("its mail server does not offer REQUIRETLS") },
	{ "mx-not-validated",
	  N_ ("its mail servers cannot be verified (neither DNSSEC nor an MTA-STS policy in "
	      "force)") },
	{ "mx-not-in-policy", N_ ("its mail servers are not those its MTA-STS policy names") },
	{ "null-mx", N_ ("it accepts no mail at all (null MX)") },
	{ "no-mail-server", N_ ("it has no mail server") },
	{ "no-starttls", N_ ("its mail server offers no TLS") },
	{ "dane-mismatch", N_ ("its mail server's certificate does not match its DANE records") },
	{ "certificate-not-verified", N_ ("its mail server's certificate cannot be verified") },
	{ "not-probed",
	  N_ ("only its mail server can tell whether it offers REQUIRETLS, and it was not "
	      "asked") },
	{ "port-25-unreachable", N_ ("port 25 is blocked on this network") },
	{ "probe-timeout", N_ ("its mail server did not answer in time") },
	{ "probe-failed", N_ ("its mail server did not answer as expected") },
	{ "tls-failed", N_ ("TLS with its mail server failed") },
	{ "mx-bogus", N_ ("its DNS answers failed DNSSEC validation") },
	{ "mx-lookup-failed", N_ ("its DNS records could not be looked up") },
	{ "mta-sts-failed", N_ ("its MTA-STS policy could not be fetched") },
	{ "tlsa-bogus", N_ ("its DANE records failed DNSSEC validation") },
	{ "tlsa-lookup-failed", N_ ("its DANE records could not be looked up") },
	{ "not-checked", N_ ("not checked yet") },
};

static const char *
precheck_reason_text (const char *word)
{
	for (guint i = 0; i < G_N_ELEMENTS (reason_words); i++)
		if (g_strcmp0 (reason_words[i].word, word) == 0)
			return _ (reason_words[i].text);
	return _ ("the check gave no reason");
}

gchar *
rtls_precheck_ago (gint64 then, gint64 now)
{
	gint64 d = MAX (now - then, 0);
	guint n;

	if (d < 60)
		return g_strdup (_ ("just now"));
	if (d < 3600) {
		n = (guint) (d / 60);
		return g_strdup_printf (ngettext ("%u minute ago", "%u minutes ago", n), n);
	}
	if (d < 86400) {
		n = (guint) (d / 3600);
		return g_strdup_printf (ngettext ("%u hour ago", "%u hours ago", n), n);
	}
	n = (guint) (d / 86400);
	return g_strdup_printf (ngettext ("%u day ago", "%u days ago", n), n);
}

static gchar *
precheck_date (gint64 t)
{
	g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (t);

	/* TRANSLATORS: a day and month, e.g. "3 Nov"; "%-e": the day without padding */
	return dt != NULL ? g_date_time_format (dt, _ ("%-e %b")) : g_strdup ("?");
}

gchar *
rtls_precheck_sentence (const char *domain, const RtlsPrecheckFacts *f, gint64 now,
                        RtlsReadiness *verdict)
{
	const char *why = NULL;
	RtlsReadiness v = rtls_precheck_verdict (f, &why);
	g_autofree gchar *ago = f->record != NULL ? rtls_precheck_ago (f->checked_at, now) : NULL;
	gchar *s;

	if (verdict != NULL)
		*verdict = v;
	if (g_str_equal (why, "delivered-before")) {
		g_autofree gchar *when = precheck_date (f->history.last_delivered);
		/* TRANSLATORS: a domain; the date of the delivery report */
		return g_strdup_printf (_ ("%s: a REQUIRETLS message was delivered there (%s)"),
		                        domain, when);
	}
	if (g_str_equal (why, "returned-before")) {
		g_autofree gchar *when = precheck_date (f->history.last_requiretls_failure);
		return g_strdup_printf (_ ("%s: it returned your last REQUIRETLS message (%s) — "
		                           "this message would come back"),
		                        domain, when);
	}
	if (g_str_equal (why, "checking"))
		return g_strdup_printf (_ ("%s: checking whether REQUIRETLS can reach it…"),
		                        domain);
	if (g_str_equal (why, "not-checked"))
		return g_strdup_printf (_ ("%s: not known — %s"), domain,
		                        precheck_reason_text (why));
	if (g_str_equal (why, "check-failed"))
		return g_strdup_printf (_ ("%s: not known — the check could not run (%s)"), domain,
		                        f->check_error);
	switch (v) {
	case RTLS_READINESS_READY: {
		const char *how = f->record->verify == RTLS_VERIFY_DANE ? _ ("DANE-verified")
		                  : f->record->verify == RTLS_VERIFY_MTA_STS
		                          ? _ ("verified by its MTA-STS policy")
		                          : _ ("its certificate verified");
		/* TRANSLATORS: a domain; how its certificate was verified; "2 minutes ago" */
		s = g_strdup_printf (_ ("%s: its mail server offers REQUIRETLS, %s — checked %s"),
		                     domain, how, ago);
		break;
	}
	case RTLS_READINESS_WILL_BOUNCE:
		/* TRANSLATORS: a domain; why; "2 minutes ago" */
		s = g_strdup_printf (_ ("%s: %s — this message would come back (checked %s)"),
		                     domain, precheck_reason_text (why), ago);
		break;
	default:
		/* TRANSLATORS: a domain; why; "2 minutes ago" */
		s = g_strdup_printf (_ ("%s: not known — %s (checked %s)"), domain,
		                     precheck_reason_text (why), ago);
		break;
	}
	if (f->checking) {
		/* an older answer while a new check runs */
		gchar *more = g_strdup_printf (_ ("%s; checking again…"), s);
		g_free (s);
		s = more;
	}
	return s;
}

gboolean
rtls_precheck_domain_ok (const char *domain)
{
	gboolean dot = FALSE, label = FALSE;

	if (domain == NULL || *domain == '\0' || strlen (domain) > 253)
		return FALSE;
	for (const char *p = domain; *p != '\0'; p++) {
		if (*p == '.') {
			if (!label)
				return FALSE;
			dot = TRUE;
			label = FALSE;
		} else if (g_ascii_isalnum (*p) || *p == '-') {
			label = TRUE;
		} else {
			return FALSE;
		}
	}
	return dot && label;
}

/* The top-level parts of an address list: split at commas outside quotes, angle brackets,
 * comments and group colons (RFC 5322 3.4). */
static GPtrArray *
precheck_split (const char *value)
{
	GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
	const char *start = value;
	gboolean quoted = FALSE;
	int angle = 0, comment = 0;

	for (const char *p = value;; p++) {
		if (*p == '\0' || (*p == ',' && !quoted && angle == 0 && comment == 0)) {
			g_autofree gchar *part = g_strndup (start, (gsize) (p - start));
			g_strstrip (part);
			if (*part != '\0')
				g_ptr_array_add (parts, g_steal_pointer (&part));
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (*p == '\\' && p[1] != '\0' && (quoted || comment > 0)) {
			p++;
		} else if (*p == '"' && comment == 0) {
			quoted = !quoted;
		} else if (!quoted && *p == '(') {
			comment++;
		} else if (!quoted && *p == ')' && comment > 0) {
			comment--;
		} else if (!quoted && comment == 0 && *p == '<') {
			angle++;
		} else if (!quoted && comment == 0 && *p == '>' && angle > 0) {
			angle--;
		}
	}
	return parts;
}

gchar *
rtls_precheck_row_without (const char *value, const GPtrArray *remove)
{
	g_autoptr (GPtrArray) parts = precheck_split (value != NULL ? value : "");
	g_autoptr (GString) out = g_string_new (NULL);
	gboolean removed = FALSE;

	for (guint i = 0; i < parts->len; i++) {
		const char *part = g_ptr_array_index (parts, i);
		g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
		gboolean drop = FALSE;

		if (rtls_address_list_parse (part, found, NULL) && found->len == 1)
			for (guint k = 0; k < remove->len && !drop; k++)
				drop = g_ascii_strcasecmp (g_ptr_array_index (found, 0),
				                           g_ptr_array_index (remove, k))
				       == 0;
		if (drop) {
			removed = TRUE;
			continue;
		}
		if (out->len > 0)
			g_string_append (out, ", ");
		g_string_append (out, part);
	}
	return removed ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}
