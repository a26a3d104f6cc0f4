/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_readiness.h: will a REQUIRETLS message reach a recipient domain? The verdict rule of
 * RFC 8689 4.2.1 over facts found elsewhere (DNS, MTA-STS, DANE, a probe, the history), and
 * the parsers of the MTA-STS TXT record and policy (RFC 8461 3.1, 3.2). Pure: no network, no
 * GTK, no Claws; the helper's --check and the plugin both use it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The DNSSEC state of one answer (RFC 4035 4.3). */
typedef enum {
	RTLS_DNSSEC_SECURE,   /* validated from a trust anchor */
	RTLS_DNSSEC_INSECURE, /* provably unsigned (or no trust anchor covers it) */
	RTLS_DNSSEC_BOGUS,    /* should have validated and did not: never used */
	RTLS_DNSSEC_FAILED,   /* no answer: timeout, SERVFAIL, no resolver */
	RTLS_DNSSEC_LAST
} RtlsDnssec;

/* What the MX lookup found (RFC 5321 5.1, RFC 7505). */
typedef enum {
	RTLS_MX_FOUND,    /* MX records naming hosts */
	RTLS_MX_FALLBACK, /* no MX, the domain's own A/AAAA: the implicit MX (RFC 5321 5.1) */
	RTLS_MX_NULL,     /* "MX 0 ." (RFC 7505 3): the domain accepts no mail */
	RTLS_MX_NONE,     /* neither MX nor address: no mail server at all */
	RTLS_MX_FAILED,   /* no usable answer (timeout, SERVFAIL, bogus) */
	RTLS_MX_LAST
} RtlsMxKind;

/* What MTA-STS (RFC 8461) says for the domain. */
typedef enum {
	RTLS_STS_ABSENT,   /* no usable _mta-sts TXT record (RFC 8461 3.1): no policy */
	RTLS_STS_ENFORCE,  /* a policy in mode enforce */
	RTLS_STS_TESTING,  /* a policy in mode testing: it never stops a delivery (5) */
	RTLS_STS_NONE,     /* a policy in mode none: as if there were none (5) */
	RTLS_STS_UNUSABLE, /* a TXT record, but the policy was refused (redirect, not text/plain,
	                    * not 200, invalid, untrusted certificate): no policy (3.3) */
	RTLS_STS_FAILED,   /* the TXT lookup or the fetch did not finish (timeout, network) */
	RTLS_STS_LAST
} RtlsStsState;

/* DANE for the MX hosts (RFC 7672 2.2, 3.1.3). */
typedef enum {
	RTLS_DANE_NOT_CHECKED, /* the MX (or address) answer is not secure: TLSA not looked up */
	RTLS_DANE_NONE,        /* securely no TLSA records */
	RTLS_DANE_USABLE,      /* at least one usable record (DANE-TA(2) or DANE-EE(3)) */
	RTLS_DANE_UNUSABLE,    /* records, none usable (PKIX-TA/EE, unknown parameters): 3.1.3 */
	RTLS_DANE_BOGUS,       /* the TLSA answer is bogus: the host cannot be used (2.2) */
	RTLS_DANE_FAILED,      /* the TLSA lookup did not finish */
	RTLS_DANE_LAST
} RtlsDaneState;

/* What the probe of port 25 saw (only with --probe). */
typedef enum {
	RTLS_PROBE_NOT_RUN,       /* not asked for, or nothing to probe */
	RTLS_PROBE_OFFERED,       /* verified TLS, then REQUIRETLS in the EHLO after it */
	RTLS_PROBE_NOT_OFFERED,   /* verified TLS, no REQUIRETLS after it (5.7.30) */
	RTLS_PROBE_NO_STARTTLS,   /* the server offers no STARTTLS (5.7.10) */
	RTLS_PROBE_CERT,          /* the certificate did not verify (WebPKI / MTA-STS names) */
	RTLS_PROBE_DANE_MISMATCH, /* usable TLSA records match no certificate it showed */
	RTLS_PROBE_TLS_FAILED,    /* the handshake failed otherwise */
	RTLS_PROBE_UNREACHABLE,   /* port 25 refused or not reached (often blocked locally) */
	RTLS_PROBE_TIMEOUT,       /* connected, then no answer in time */
	RTLS_PROBE_FAILED,        /* a protocol error or refusal before TLS */
	RTLS_PROBE_LAST
} RtlsProbeResult;

/* How the probe verified the certificate (RFC 8689 4.2.1 step 4). */
typedef enum {
	RTLS_VERIFY_NONE,    /* not verified (no probe, or it did not get that far) */
	RTLS_VERIFY_DANE,    /* usable TLSA records (RFC 7672 3) */
	RTLS_VERIFY_MTA_STS, /* the WebPKI against the MX name of an enforced policy (8461 4.2) */
	RTLS_VERIFY_WEBPKI,  /* the WebPKI against the MX name (RFC 6125) */
	RTLS_VERIFY_LAST
} RtlsVerifyKind;

typedef enum {
	RTLS_READINESS_UNKNOWN,
	RTLS_READINESS_READY,
	RTLS_READINESS_WILL_BOUNCE,
	RTLS_READINESS_LAST
} RtlsReadiness;

/* The facts about one recipient domain. */
typedef struct {
	RtlsMxKind mx;              /* what the MX lookup found */
	RtlsDnssec mx_dnssec;       /* the DNSSEC state of that answer (MX, or A/AAAA fallback) */
	RtlsStsState sts;           /* MTA-STS */
	gboolean sts_mx_match;      /* ENFORCE/TESTING: at least one MX name matches the policy */
	RtlsDaneState dane;         /* DANE of the MX hosts */
	RtlsProbeResult probe;      /* the probe's result */
	gboolean history_delivered; /* the history says REQUIRETLS was delivered there */
} RtlsReadinessFacts;

/* rtls_readiness_verdict:
 * The verdict for @facts (RFC 8689 4.2.1) and, in @reasons (may be NULL), the words of
 * each reason that made it, static strings in the order they count (rtls_readiness.c lists
 * them; the man page explains each). Will bounce: a null MX, no mail server, MX names that
 * neither DNSSEC nor an enforced MTA-STS policy validates (step 2), names outside the
 * policy, usable TLSA records that match nothing the MX showed, no STARTTLS, a certificate
 * that does not verify, no REQUIRETLS after verified TLS. Ready: the MX names validated and
 * REQUIRETLS seen after verified TLS, or delivered there before. Unknown otherwise (not
 * probed, port 25 blocked, a timeout, anything bogus: bogus is never ready). */
RtlsReadiness rtls_readiness_verdict (const RtlsReadinessFacts *facts, GPtrArray *reasons);

/* The words of each enum as in the helper's record ("secure", "will-bounce", ...), static. */
const char *rtls_dnssec_name (RtlsDnssec v);
const char *rtls_mx_kind_name (RtlsMxKind v);
const char *rtls_sts_state_name (RtlsStsState v);
const char *rtls_dane_state_name (RtlsDaneState v);
const char *rtls_probe_result_name (RtlsProbeResult v);
const char *rtls_verify_kind_name (RtlsVerifyKind v);
const char *rtls_readiness_name (RtlsReadiness v);

/* The same words back to the enums (for the plugin reading a record); -1 if unknown. */
int rtls_dnssec_parse (const char *word);
int rtls_mx_kind_parse (const char *word);
int rtls_sts_state_parse (const char *word);
int rtls_dane_state_parse (const char *word);
int rtls_probe_result_parse (const char *word);
int rtls_verify_kind_parse (const char *word);
int rtls_readiness_parse (const char *word);

/* rtls_mta_sts_txt_parse:
 * RFC 8461 3.1 over the TXT records found at _mta-sts.DOMAIN (each with its strings already
 * concatenated, @n of them): records that do not begin with "v=STSv1;" (or are exactly
 * "v=STSv1") are discarded; exactly one must remain and be valid. Returns its id (1 to 32
 * letters and digits; caller frees), or NULL when there is no usable record, which means no
 * MTA-STS policy. @len of each record is given (TXT strings may hold NUL bytes). */
gchar *rtls_mta_sts_txt_parse (const char *const *records, const gsize *lens, guint n);

typedef struct {
	RtlsStsState mode; /* ENFORCE, TESTING or NONE */
	guint32 max_age;   /* seconds, at most 31557600 */
	GPtrArray *mx;     /* gchar*: the mx patterns, lower case, no trailing dot */
} RtlsStsPolicy;

void rtls_sts_policy_free (RtlsStsPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsStsPolicy, rtls_sts_policy_free)

/* rtls_mta_sts_policy_parse:
 * RFC 8461 3.2 over the body of a policy (@len bytes, not NUL-terminated; at most 64 KiB is
 * sensible, 3.3): lines ending in LF or CRLF, "key: value"; version STSv1, mode and max_age
 * are required (the first of a repeated field counts, unknown fields are ignored), at least
 * one mx unless mode is none; each mx a Domain (RFC 5321 4.1.2), optionally "*." before it.
 * NULL when the policy is invalid, with a short English reason in @why (static; may be
 * NULL). Caller frees. */
RtlsStsPolicy *rtls_mta_sts_policy_parse (const char *text, gsize len, const char **why);

/* rtls_mta_sts_mx_match:
 * RFC 8461 4.1: does @mx_host (an MX name, any case, a trailing dot allowed) match one of
 * the policy's patterns? "*.example.com" matches exactly one label more. */
gboolean rtls_mta_sts_mx_match (const RtlsStsPolicy *policy, const char *mx_host);

/* rtls_mta_sts_content_type_ok:
 * RFC 8461 3.2: the media type is text/plain (any case; its parameters are ignored). */
gboolean rtls_mta_sts_content_type_ok (const char *content_type);

/* rtls_dane_tlsa_usable:
 * RFC 7672 3.1.3: a TLSA record is usable for SMTP when its usage is DANE-TA(2) or
 * DANE-EE(3), its selector Cert(0) or SPKI(1), its matching type Full(0), SHA2-256(1) or
 * SHA2-512(2) with the length that type has (RFC 6698 2.1). */
gboolean rtls_dane_tlsa_usable (guint usage, guint selector, guint mtype, gsize data_len);

/* One record of requiretls-submit --check, read back (the man page, READINESS CHECK). */
typedef struct {
	gchar *domain;         /* the domain checked */
	GPtrArray *recipients; /* gchar*: the addresses given for it */
	RtlsReadiness verdict; /* the helper's verdict */
	GPtrArray *reasons;    /* gchar*: its reasons, in order */
	GPtrArray *
	        mx; /* gchar*: the MX hosts as written, "PREF HOST" or "PREF HOST outside-policy" */
	RtlsReadinessFacts facts; /* what it found (history_delivered FALSE): give it the
	                           * history and ask rtls_readiness_verdict() again */
	RtlsVerifyKind verify;    /* how the probe verified the certificate */
	guint32 ttl;              /* seconds the answer may be kept */
	guint32 sts_max_age;      /* the MTA-STS policy's max_age, 0 without a policy */
	gchar *probe_host;        /* the MX host that answered the probe, or NULL */
	gchar *sts_problem;       /* English: why no usable MTA-STS policy, or NULL */
	gchar *probe_problem;     /* English: the probe's error, or NULL */
} RtlsCheckRecord;

void rtls_check_record_free (RtlsCheckRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsCheckRecord, rtls_check_record_free)

/* rtls_check_records_parse:
 * The records of a --check run's standard output (@len bytes), in the order they came.
 * Each ends at an empty line; one without its empty line (the helper was stopped), without
 * a domain or with an unknown verdict is left out. Unknown keys are ignored, unknown words
 * read as the least they could mean (failed, not-checked, not-run); values are made valid
 * UTF-8 without control characters. Returns RtlsCheckRecord* (caller unrefs). */
GPtrArray *rtls_check_records_parse (const char *text, gsize len);

G_END_DECLS
