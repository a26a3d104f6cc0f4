/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_readiness.c: the verdict rule of RFC 8689 4.2.1 and the MTA-STS parsers (RFC 8461).
 */
#include "rtls_readiness.h"

#include <string.h>

/* ---- words ---- */

static const char *const readiness_dnssec_names[RTLS_DNSSEC_LAST] = {
	[RTLS_DNSSEC_SECURE] = "secure",
	[RTLS_DNSSEC_INSECURE] = "insecure",
	[RTLS_DNSSEC_BOGUS] = "bogus",
	[RTLS_DNSSEC_FAILED] = "failed",
};
static const char *const readiness_mx_names[RTLS_MX_LAST] = {
	[RTLS_MX_FOUND] = "mx",  [RTLS_MX_FALLBACK] = "fallback", [RTLS_MX_NULL] = "null",
	[RTLS_MX_NONE] = "none", [RTLS_MX_FAILED] = "failed",
};
static const char *const readiness_sts_names[RTLS_STS_LAST] = {
	[RTLS_STS_ABSENT] = "absent",     [RTLS_STS_ENFORCE] = "enforce",
	[RTLS_STS_TESTING] = "testing",   [RTLS_STS_NONE] = "none",
	[RTLS_STS_UNUSABLE] = "unusable", [RTLS_STS_FAILED] = "failed",
};
static const char *const readiness_dane_names[RTLS_DANE_LAST] = {
	[RTLS_DANE_NOT_CHECKED] = "not-checked",
	[RTLS_DANE_NONE] = "none",
	[RTLS_DANE_USABLE] = "usable",
	[RTLS_DANE_UNUSABLE] = "unusable",
	[RTLS_DANE_BOGUS] = "bogus",
	[RTLS_DANE_FAILED] = "failed",
};
static const char *const readiness_probe_names[RTLS_PROBE_LAST] = {
	[RTLS_PROBE_NOT_RUN] = "not-run",         [RTLS_PROBE_OFFERED] = "offered",
	[RTLS_PROBE_NOT_OFFERED] = "not-offered", [RTLS_PROBE_NO_STARTTLS] = "no-starttls",
	[RTLS_PROBE_CERT] = "certificate",        [RTLS_PROBE_DANE_MISMATCH] = "dane-mismatch",
	[RTLS_PROBE_TLS_FAILED] = "tls-failed",   [RTLS_PROBE_UNREACHABLE] = "unreachable",
	[RTLS_PROBE_TIMEOUT] = "timeout",         [RTLS_PROBE_FAILED] = "failed",
};
static const char *const readiness_verify_names[RTLS_VERIFY_LAST] = {
	[RTLS_VERIFY_NONE] = "none",
	[RTLS_VERIFY_DANE] = "dane",
	[RTLS_VERIFY_MTA_STS] = "mta-sts",
	[RTLS_VERIFY_WEBPKI] = "webpki",
};
static const char *const readiness_verdict_names[RTLS_READINESS_LAST] = {
	[RTLS_READINESS_UNKNOWN] = "unknown",
	[RTLS_READINESS_READY] = "ready",
	[RTLS_READINESS_WILL_BOUNCE] = "will-bounce",
};

static const char *
readiness_name (const char *const *table, int n, int v)
{
	return v >= 0 && v < n && table[v] != NULL ? table[v] : "?";
}

static int
readiness_parse (const char *const *table, int n, const char *word)
{
	for (int i = 0; word != NULL && i < n; i++)
		if (table[i] != NULL && strcmp (table[i], word) == 0)
			return i;
	return -1;
}

#define READINESS_WORDS(fn, type, table)                                                           \
	const char *rtls_##fn##_name (type v)                                                      \
	{                                                                                          \
		return readiness_name (table, G_N_ELEMENTS (table), (int) v);                      \
	}                                                                                          \
	int rtls_##fn##_parse (const char *word)                                                   \
	{                                                                                          \
		return readiness_parse (table, G_N_ELEMENTS (table), word);                        \
	}

READINESS_WORDS (dnssec, RtlsDnssec, readiness_dnssec_names)
READINESS_WORDS (mx_kind, RtlsMxKind, readiness_mx_names)
READINESS_WORDS (sts_state, RtlsStsState, readiness_sts_names)
READINESS_WORDS (dane_state, RtlsDaneState, readiness_dane_names)
READINESS_WORDS (probe_result, RtlsProbeResult, readiness_probe_names)
READINESS_WORDS (verify_kind, RtlsVerifyKind, readiness_verify_names)
READINESS_WORDS (readiness, RtlsReadiness, readiness_verdict_names)

/* ---- the rule ---- */

static RtlsReadiness
readiness_say (GPtrArray *reasons, RtlsReadiness verdict, const char *reason)
{
	if (reasons != NULL)
		g_ptr_array_add (reasons, (gpointer) reason);
	return verdict;
}

RtlsReadiness
rtls_readiness_verdict (const RtlsReadinessFacts *f, GPtrArray *reasons)
{
	gboolean secure, sts_ok;

	g_return_val_if_fail (f != NULL, RTLS_READINESS_UNKNOWN);

	/* A bogus answer is never used (RFC 4035 5.5): it says nothing, good or bad. */
	if (f->mx_dnssec == RTLS_DNSSEC_BOGUS)
		return readiness_say (reasons, RTLS_READINESS_UNKNOWN, "mx-bogus");
	if (f->mx == RTLS_MX_FAILED || f->mx_dnssec == RTLS_DNSSEC_FAILED)
		return readiness_say (reasons, RTLS_READINESS_UNKNOWN, "mx-lookup-failed");
	/* RFC 7505 3: the domain accepts no mail at all, REQUIRETLS or not. */
	if (f->mx == RTLS_MX_NULL)
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE, "null-mx");
	/* RFC 5321 5.1: neither MX nor address records: nowhere to deliver. */
	if (f->mx == RTLS_MX_NONE)
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE, "no-mail-server");

	/* RFC 8461 5: in enforce mode no message goes to an MX that matches no pattern; when none
	 * matches, none is a candidate. */
	if (f->sts == RTLS_STS_ENFORCE && !f->sts_mx_match)
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE, "mx-not-in-policy");

	/* RFC 8689 4.2.1 step 2: an MX answer that is not DNSSEC-secure must be validated by
	 * MTA-STS (RFC 8461 4.1); testing and none validate nothing (RFC 8461 5). */
	secure = f->mx_dnssec == RTLS_DNSSEC_SECURE;
	sts_ok = f->sts == RTLS_STS_ENFORCE && f->sts_mx_match;
	if (!secure && !sts_ok) {
		/* the policy may exist and be cached by the relay: not known */
		if (f->sts == RTLS_STS_FAILED)
			return readiness_say (reasons, RTLS_READINESS_UNKNOWN, "mta-sts-failed");
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE, "mx-not-validated");
	}
	if (reasons != NULL)
		g_ptr_array_add (reasons, secure ? "mx-dnssec-secure" : "mx-mta-sts-enforced");

	/* RFC 7672 2.2: a bogus or unanswered TLSA lookup makes the host unusable for a DANE
	 * sender for now: neither ready nor certain to bounce. */
	if (f->dane == RTLS_DANE_BOGUS)
		return readiness_say (reasons, RTLS_READINESS_UNKNOWN, "tlsa-bogus");
	if (f->dane == RTLS_DANE_FAILED)
		return readiness_say (reasons, RTLS_READINESS_UNKNOWN, "tlsa-lookup-failed");

	switch (f->probe) {
	case RTLS_PROBE_OFFERED:
		return readiness_say (reasons, RTLS_READINESS_READY, "requiretls-offered");
	case RTLS_PROBE_NOT_OFFERED: /* RFC 8689 4.2.1 step 5, 5.7.30 */
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE,
		                      "requiretls-not-offered");
	case RTLS_PROBE_NO_STARTTLS: /* step 4, 5.7.10 */
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE, "no-starttls");
	case RTLS_PROBE_DANE_MISMATCH: /* RFC 7672 3: no usable record matches: no delivery */
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE, "dane-mismatch");
	case RTLS_PROBE_CERT: /* step 4: RFC 6125 against the MX name */
		return readiness_say (reasons, RTLS_READINESS_WILL_BOUNCE,
		                      "certificate-not-verified");
	/* The probe said nothing about REQUIRETLS: the history may still know. */
	case RTLS_PROBE_TLS_FAILED:
		/* our floor (RFC 9325) may be stricter than a relay's: not a certain bounce */
		readiness_say (reasons, RTLS_READINESS_UNKNOWN, "tls-failed");
		break;
	case RTLS_PROBE_UNREACHABLE: /* often port 25 blocked on this network */
		readiness_say (reasons, RTLS_READINESS_UNKNOWN, "port-25-unreachable");
		break;
	case RTLS_PROBE_TIMEOUT:
		readiness_say (reasons, RTLS_READINESS_UNKNOWN, "probe-timeout");
		break;
	case RTLS_PROBE_FAILED:
		readiness_say (reasons, RTLS_READINESS_UNKNOWN, "probe-failed");
		break;
	case RTLS_PROBE_NOT_RUN:
	case RTLS_PROBE_LAST:
		break;
	}
	/* REQUIRETLS support cannot be read from DNS: only a probe or a past delivery says it. */
	if (f->history_delivered)
		return readiness_say (reasons, RTLS_READINESS_READY, "delivered-before");
	if (f->probe == RTLS_PROBE_NOT_RUN)
		return readiness_say (reasons, RTLS_READINESS_UNKNOWN, "not-probed");
	return RTLS_READINESS_UNKNOWN;
}

/* ---- MTA-STS TXT (RFC 8461 3.1) ---- */

static gboolean
readiness_is_wsp (char c)
{
	return c == ' ' || c == '\t';
}

/* One record: sts-version 1*(sts-field-delim sts-field) [sts-field-delim]. */
static gchar *
readiness_txt_one (const char *s, gsize len)
{
	gsize i = strlen ("v=STSv1");
	gchar *id = NULL;

	if (len < i || memcmp (s, "v=STSv1", i) != 0)
		return NULL;
	while (i < len) {
		gsize start, eq = 0;

		/* sts-field-delim = *WSP ";" *WSP */
		while (i < len && readiness_is_wsp (s[i]))
			i++;
		if (i >= len && i > 7 && readiness_is_wsp (s[i - 1]))
			break; /* white space at the end, as published records often have */
		if (i >= len || s[i] != ';')
			goto bad;
		i++;
		while (i < len && readiness_is_wsp (s[i]))
			i++;
		if (i >= len)
			break; /* the optional trailing delimiter */
		start = i;
		while (i < len && s[i] != ';' && !readiness_is_wsp (s[i])) {
			if (s[i] == '=' && eq == 0)
				eq = i;
			i++;
		}
		if (eq == 0 || eq == start || eq + 1 == i)
			goto bad;
		/* sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
		if (eq - start > 32 || !g_ascii_isalnum (s[start]))
			goto bad;
		for (gsize k = start; k < eq; k++)
			if (!g_ascii_isalnum (s[k]) && s[k] != '_' && s[k] != '-' && s[k] != '.')
				goto bad;
		/* sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E) */
		for (gsize k = eq + 1; k < i; k++)
			if ((guchar) s[k] < 0x21 || (guchar) s[k] > 0x7e || s[k] == '=')
				goto bad;
		if (eq - start == 2 && memcmp (s + start, "id", 2) == 0) {
			/* sts-id = "id=" 1*32(ALPHA / DIGIT); the first counts (3.2 says so of the
			 * policy; the same here) */
			if (i - eq - 1 > 32)
				goto bad;
			for (gsize k = eq + 1; k < i; k++)
				if (!g_ascii_isalnum (s[k]))
					goto bad;
			if (id == NULL)
				id = g_strndup (s + eq + 1, i - eq - 1);
		}
	}
	if (id != NULL)
		return id;
bad:
	g_free (id);
	return NULL;
}

gchar *
rtls_mta_sts_txt_parse (const char *const *records, const gsize *lens, guint n)
{
	const char *found = NULL;
	gsize found_len = 0;
	guint count = 0;

	for (guint i = 0; i < n; i++) {
		const char *r = records[i];
		gsize len = lens[i];
		/* "records that do not begin with "v=STSv1;" are discarded"; the record may
		 * also be the version alone followed by delimiter white space */
		if (len < 7 || memcmp (r, "v=STSv1", 7) != 0)
			continue;
		if (len > 7 && r[7] != ';' && !readiness_is_wsp (r[7]))
			continue;
		found = r;
		found_len = len;
		count++;
	}
	if (count != 1)
		return NULL;
	return readiness_txt_one (found, found_len);
}

/* ---- MTA-STS policy (RFC 8461 3.2) ---- */

void
rtls_sts_policy_free (RtlsStsPolicy *policy)
{
	if (policy == NULL)
		return;
	if (policy->mx != NULL)
		g_ptr_array_unref (policy->mx);
	g_free (policy);
}

/* RFC 5321 4.1.2 Domain = sub-domain *("." sub-domain), Let-dig [Ldh-str]; 63 octets a
 * label, 253 in all (RFC 1035 2.3.4). */
static gboolean
readiness_domain_ok (const char *s, gsize len)
{
	gsize label = 0;

	if (len == 0 || len > 253)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return FALSE;
			label = 0;
			continue;
		}
		if (!g_ascii_isalnum (c) && !(c == '-' && label > 0))
			return FALSE;
		if (++label > 63)
			return FALSE;
	}
	return label > 0 && s[len - 1] != '-';
}

RtlsStsPolicy *
rtls_mta_sts_policy_parse (const char *text, gsize len, const char **why)
{
	g_autoptr (RtlsStsPolicy) p = g_new0 (RtlsStsPolicy, 1);
	gboolean have_version = FALSE, have_mode = FALSE, have_age = FALSE;
	const char *dummy;
	gsize i = 0;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	p->mx = g_ptr_array_new_with_free_func (g_free);
	while (i < len) {
		gsize start = i, end, colon = 0, vstart, vend;

		while (i < len && text[i] != '\n')
			i++;
		end = i;
		if (i < len)
			i++; /* the LF */
		if (end > start && text[end - 1] == '\r')
			end--;
		/* sts-policy-field *WSP sts-policy-term: trailing white space is allowed */
		while (end > start && readiness_is_wsp (text[end - 1]))
			end--;
		if (end == start) {
			/* a blank line: only at the very end (the grammar has none in between,
			 * but a final CRLF or LF, which we have already consumed, is allowed) */
			if (i >= len)
				break;
			*why = "empty line";
			return NULL;
		}
		for (gsize k = start; k < end; k++) {
			guchar c = (guchar) text[k];
			if (c == ':' && colon == 0)
				colon = k;
			/* no CTLs; UTF-8 is allowed in extension values */
			if (c < 0x20 && c != '\t') {
				*why = "control character";
				return NULL;
			}
			if (c == 0x7f) {
				*why = "control character";
				return NULL;
			}
		}
		if (colon == 0 || colon == start) {
			*why = "a line without a key";
			return NULL;
		}
		/* sts-policy-ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
		if (colon - start > 32 || !g_ascii_isalnum (text[start])) {
			*why = "bad key";
			return NULL;
		}
		for (gsize k = start; k < colon; k++)
			if (!g_ascii_isalnum (text[k]) && text[k] != '_' && text[k] != '-'
			    && text[k] != '.') {
				*why = "bad key";
				return NULL;
			}
		/* sts-policy-field-delim = ":" *WSP */
		vstart = colon + 1;
		while (vstart < end && readiness_is_wsp (text[vstart]))
			vstart++;
		vend = end;
		if (vstart == vend) {
			*why = "a key without a value";
			return NULL;
		}
#define KEY_IS(k) (colon - start == strlen (k) && memcmp (text + start, k, strlen (k)) == 0)
#define VALUE_IS(v) (vend - vstart == strlen (v) && memcmp (text + vstart, v, strlen (v)) == 0)
		if (KEY_IS ("version")) {
			if (have_version)
				continue; /* 3.2: only the first of a repeated field counts */
			if (!VALUE_IS ("STSv1")) {
				*why = "version is not STSv1";
				return NULL;
			}
			have_version = TRUE;
		} else if (KEY_IS ("mode")) {
			if (have_mode)
				continue;
			if (VALUE_IS ("enforce"))
				p->mode = RTLS_STS_ENFORCE;
			else if (VALUE_IS ("testing"))
				p->mode = RTLS_STS_TESTING;
			else if (VALUE_IS ("none"))
				p->mode = RTLS_STS_NONE;
			else {
				*why = "unknown mode";
				return NULL;
			}
			have_mode = TRUE;
		} else if (KEY_IS ("max_age")) {
			guint64 v = 0;
			if (have_age)
				continue;
			/* sts-policy-max-age-value = 1*10(DIGIT), at most 31557600 */
			if (vend - vstart > 10) {
				*why = "max_age too long";
				return NULL;
			}
			for (gsize k = vstart; k < vend; k++) {
				if (!g_ascii_isdigit (text[k])) {
					*why = "max_age is not a number";
					return NULL;
				}
				v = v * 10 + (guint64) (text[k] - '0');
			}
			if (v > 31557600) {
				*why = "max_age over 31557600";
				return NULL;
			}
			p->max_age = (guint32) v;
			have_age = TRUE;
		} else if (KEY_IS ("mx")) {
			/* sts-policy-mx-value = ["*."] Domain */
			gsize d = vstart;
			if (vend - vstart > 2 && text[d] == '*' && text[d + 1] == '.')
				d += 2;
			if (!readiness_domain_ok (text + d, vend - d)) {
				*why = "bad mx pattern";
				return NULL;
			}
			g_ptr_array_add (p->mx,
			                 g_ascii_strdown (text + vstart, (gssize) (vend - vstart)));
		}
		/* any other key: an extension, ignored (3.2) */
#undef KEY_IS
#undef VALUE_IS
	}
	if (!have_version || !have_mode || !have_age) {
		*why = !have_version ? "no version" : !have_mode ? "no mode" : "no max_age";
		return NULL;
	}
	if (p->mx->len == 0 && p->mode != RTLS_STS_NONE) {
		*why = "no mx";
		return NULL;
	}
	return g_steal_pointer (&p);
}

gboolean
rtls_mta_sts_mx_match (const RtlsStsPolicy *policy, const char *mx_host)
{
	g_autofree gchar *host = NULL;
	gsize hlen;

	g_return_val_if_fail (policy != NULL && mx_host != NULL, FALSE);
	host = g_ascii_strdown (mx_host, -1);
	hlen = strlen (host);
	if (hlen > 0 && host[hlen - 1] == '.')
		host[--hlen] = '\0';
	if (hlen == 0)
		return FALSE;
	for (guint i = 0; policy->mx != NULL && i < policy->mx->len; i++) {
		const char *pat = g_ptr_array_index (policy->mx, i);
		if (g_str_has_prefix (pat, "*.")) {
			/* the wildcard is the whole left-most label, exactly one (4.1) */
			const char *dot = strchr (host, '.');
			if (dot != NULL && dot != host && strcmp (dot + 1, pat + 2) == 0)
				return TRUE;
		} else if (strcmp (host, pat) == 0) {
			return TRUE;
		}
	}
	return FALSE;
}

gboolean
rtls_mta_sts_content_type_ok (const char *content_type)
{
	g_autofree gchar *type = NULL;
	const char *semi;

	if (content_type == NULL)
		return FALSE;
	/* "Additional Content-Type parameters are also ignored" (3.2) */
	semi = strchr (content_type, ';');
	type = g_ascii_strdown (content_type,
	                        semi != NULL ? (gssize) (semi - content_type) : (gssize) -1);
	return strcmp (g_strstrip (type), "text/plain") == 0;
}

gboolean
rtls_dane_tlsa_usable (guint usage, guint selector, guint mtype, gsize data_len)
{
	/* RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) are not for SMTP */
	if (usage != 2 && usage != 3)
		return FALSE;
	if (selector > 1)
		return FALSE;
	switch (mtype) {
	case 0:
		return data_len > 0;
	case 1:
		return data_len == 32;
	case 2:
		return data_len == 64;
	default:
		return FALSE;
	}
}

/* ---- the records of --check, read back ---- */

void
rtls_check_record_free (RtlsCheckRecord *r)
{
	if (r == NULL)
		return;
	g_free (r->domain);
	g_ptr_array_unref (r->recipients);
	g_ptr_array_unref (r->reasons);
	g_ptr_array_unref (r->mx);
	g_free (r->probe_host);
	g_free (r->sts_problem);
	g_free (r->probe_problem);
	g_free (r);
}

/* A value as the helper wrote it, valid UTF-8 without control characters whatever came. */
static gchar *
readiness_clean (const char *v, gsize len)
{
	gchar *s = g_utf8_make_valid (v, (gssize) len);

	for (gchar *p = s; *p; p++)
		if ((guchar) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

static guint32
readiness_uint (const char *v)
{
	guint64 n = 0;

	if (!g_ascii_string_to_unsigned (v, 10, 0, G_MAXUINT32, &n, NULL))
		return 0;
	return (guint32) n;
}

static RtlsCheckRecord *
readiness_record_new (void)
{
	RtlsCheckRecord *r = g_new0 (RtlsCheckRecord, 1);

	r->recipients = g_ptr_array_new_with_free_func (g_free);
	r->reasons = g_ptr_array_new_with_free_func (g_free);
	r->mx = g_ptr_array_new_with_free_func (g_free);
	r->verdict = RTLS_READINESS_LAST;
	r->facts.mx = RTLS_MX_FAILED;
	r->facts.mx_dnssec = RTLS_DNSSEC_FAILED;
	r->facts.sts = RTLS_STS_ABSENT;
	r->facts.dane = RTLS_DANE_NOT_CHECKED;
	r->facts.probe = RTLS_PROBE_NOT_RUN;
	r->verify = RTLS_VERIFY_NONE;
	return r;
}

static void
readiness_record_set (RtlsCheckRecord *r, const char *key, gchar *value)
{
	int v;

	if (strcmp (key, "domain") == 0) {
		g_free (r->domain);
		r->domain = g_ascii_strdown (value, -1);
	} else if (strcmp (key, "recipient") == 0) {
		g_ptr_array_add (r->recipients, g_strdup (value));
	} else if (strcmp (key, "verdict") == 0) {
		v = rtls_readiness_parse (value);
		r->verdict = v >= 0 ? (RtlsReadiness) v : RTLS_READINESS_LAST;
	} else if (strcmp (key, "reason") == 0) {
		g_ptr_array_add (r->reasons, g_strdup (value));
	} else if (strcmp (key, "mx") == 0) {
		g_ptr_array_add (r->mx, g_strdup (value));
	} else if (strcmp (key, "mx-kind") == 0) {
		v = rtls_mx_kind_parse (value);
		r->facts.mx = v >= 0 ? (RtlsMxKind) v : RTLS_MX_FAILED;
	} else if (strcmp (key, "mx-dnssec") == 0) {
		v = rtls_dnssec_parse (value);
		r->facts.mx_dnssec = v >= 0 ? (RtlsDnssec) v : RTLS_DNSSEC_FAILED;
	} else if (strcmp (key, "mta-sts") == 0) {
		/* "not-checked": nothing was looked at, as without a record */
		v = rtls_sts_state_parse (value);
		r->facts.sts = v >= 0                               ? (RtlsStsState) v
		               : strcmp (value, "not-checked") == 0 ? RTLS_STS_ABSENT
		                                                    : RTLS_STS_FAILED;
	} else if (strcmp (key, "mta-sts-mx-match") == 0) {
		r->facts.sts_mx_match = strcmp (value, "yes") == 0;
	} else if (strcmp (key, "mta-sts-max-age") == 0) {
		r->sts_max_age = readiness_uint (value);
	} else if (strcmp (key, "mta-sts-problem") == 0) {
		g_free (r->sts_problem);
		r->sts_problem = g_strdup (value);
	} else if (strcmp (key, "dane") == 0) {
		v = rtls_dane_state_parse (value);
		r->facts.dane = v >= 0 ? (RtlsDaneState) v : RTLS_DANE_FAILED;
	} else if (strcmp (key, "probe") == 0) {
		v = rtls_probe_result_parse (value);
		r->facts.probe = v >= 0 ? (RtlsProbeResult) v : RTLS_PROBE_FAILED;
	} else if (strcmp (key, "probe-verify") == 0) {
		v = rtls_verify_kind_parse (value);
		r->verify = v >= 0 ? (RtlsVerifyKind) v : RTLS_VERIFY_NONE;
	} else if (strcmp (key, "probe-host") == 0) {
		g_free (r->probe_host);
		r->probe_host = g_strdup (value);
	} else if (strcmp (key, "probe-problem") == 0) {
		g_free (r->probe_problem);
		r->probe_problem = g_strdup (value);
	} else if (strcmp (key, "ttl") == 0) {
		r->ttl = readiness_uint (value);
	}
	/* anything else (mx-host, lookups, …): for people and benchmarks */
}

GPtrArray *
rtls_check_records_parse (const char *text, gsize len)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_check_record_free);
	RtlsCheckRecord *cur = NULL;
	gsize i = 0;

	while (i < len) {
		gsize start = i, end, eq;
		const char *nl = memchr (text + i, '\n', len - i);

		if (nl == NULL)
			break; /* a line the helper did not finish */
		end = (gsize) (nl - text);
		i = end + 1;
		if (end == start) {
			/* the end of a record */
			if (cur != NULL && cur->domain != NULL && *cur->domain != '\0'
			    && cur->verdict != RTLS_READINESS_LAST)
				g_ptr_array_add (out, cur);
			else
				rtls_check_record_free (cur);
			cur = NULL;
			continue;
		}
		for (eq = start; eq < end && text[eq] != '='; eq++)
			;
		if (eq == end || eq == start)
			continue;
		if (cur == NULL)
			cur = readiness_record_new ();
		{
			g_autofree gchar *key = g_strndup (text + start, eq - start);
			g_autofree gchar *value = readiness_clean (text + eq + 1, end - eq - 1);
			readiness_record_set (cur, key, value);
		}
	}
	rtls_check_record_free (cur);
	return out;
}
