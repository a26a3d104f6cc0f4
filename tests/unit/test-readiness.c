/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-readiness.c: the readiness rule (RFC 8689 4.2.1) over its cases, and the MTA-STS
 * TXT and policy parsers (RFC 8461 3.1, 3.2, 4.1) over valid and invalid input.
 */
#include "config.h"

#include <string.h>

#include "rtls_readiness.h"

#define F(mx, dnssec, sts, match, dane, probe, hist)                                               \
	{                                                                                          \
		RTLS_MX_##mx, RTLS_DNSSEC_##dnssec, RTLS_STS_##sts, match, RTLS_DANE_##dane,       \
		        RTLS_PROBE_##probe, hist                                                   \
	}

static void
test_verdict_table (void)
{
	static const struct {
		RtlsReadinessFacts f;
		RtlsReadiness want;
		const char *reasons; /* joined by "," */
	} t[] = {
		/* step 2: neither DNSSEC nor an enforced policy: bounces, no probe needed */
		{ F (FOUND, INSECURE, ABSENT, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-validated" },
		/* ... whatever the probe saw, and whatever the history says */
		{ F (FOUND, INSECURE, ABSENT, FALSE, NOT_CHECKED, OFFERED, TRUE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-validated" },
		{ F (FOUND, INSECURE, TESTING, TRUE, NOT_CHECKED, OFFERED, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-validated" },
		{ F (FOUND, INSECURE, NONE, TRUE, NOT_CHECKED, OFFERED, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-validated" },
		{ F (FOUND, INSECURE, UNUSABLE, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-validated" },
		{ F (FALLBACK, INSECURE, ABSENT, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-validated" },
		/* the policy could not be fetched: the relay may have it cached */
		{ F (FOUND, INSECURE, FAILED, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_UNKNOWN, "mta-sts-failed" },
		/* enforced policy validates the names: then it is up to the probe */
		{ F (FOUND, INSECURE, ENFORCE, TRUE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_UNKNOWN, "mx-mta-sts-enforced,not-probed" },
		{ F (FOUND, INSECURE, ENFORCE, TRUE, NOT_CHECKED, OFFERED, FALSE),
		  RTLS_READINESS_READY, "mx-mta-sts-enforced,requiretls-offered" },
		{ F (FOUND, INSECURE, ENFORCE, TRUE, NOT_CHECKED, NOT_OFFERED, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-mta-sts-enforced,requiretls-not-offered" },
		{ F (FOUND, INSECURE, ENFORCE, TRUE, NOT_CHECKED, NOT_RUN, TRUE),
		  RTLS_READINESS_READY, "mx-mta-sts-enforced,delivered-before" },
		/* enforced policy, names outside it: bounces even when DNSSEC-secure (8461 5) */
		{ F (FOUND, INSECURE, ENFORCE, FALSE, NOT_CHECKED, OFFERED, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-in-policy" },
		{ F (FOUND, SECURE, ENFORCE, FALSE, NONE, OFFERED, TRUE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-not-in-policy" },
		/* a testing policy that does not match stops nothing */
		{ F (FOUND, SECURE, TESTING, FALSE, NONE, OFFERED, FALSE), RTLS_READINESS_READY,
		  "mx-dnssec-secure,requiretls-offered" },
		/* DNSSEC-secure */
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, NOT_RUN, FALSE), RTLS_READINESS_UNKNOWN,
		  "mx-dnssec-secure,not-probed" },
		{ F (FOUND, SECURE, ABSENT, FALSE, USABLE, OFFERED, FALSE), RTLS_READINESS_READY,
		  "mx-dnssec-secure,requiretls-offered" },
		{ F (FOUND, SECURE, ABSENT, FALSE, USABLE, DANE_MISMATCH, TRUE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-dnssec-secure,dane-mismatch" },
		{ F (FOUND, SECURE, ABSENT, FALSE, UNUSABLE, OFFERED, FALSE), RTLS_READINESS_READY,
		  "mx-dnssec-secure,requiretls-offered" },
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, NO_STARTTLS, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-dnssec-secure,no-starttls" },
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, CERT, FALSE), RTLS_READINESS_WILL_BOUNCE,
		  "mx-dnssec-secure,certificate-not-verified" },
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, TLS_FAILED, FALSE), RTLS_READINESS_UNKNOWN,
		  "mx-dnssec-secure,tls-failed" },
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, UNREACHABLE, FALSE),
		  RTLS_READINESS_UNKNOWN, "mx-dnssec-secure,port-25-unreachable" },
		/* a blocked port 25 does not hide what the history knows */
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, UNREACHABLE, TRUE), RTLS_READINESS_READY,
		  "mx-dnssec-secure,port-25-unreachable,delivered-before" },
		/* ... but a probe that saw no REQUIRETLS is newer than the history */
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, NOT_OFFERED, TRUE),
		  RTLS_READINESS_WILL_BOUNCE, "mx-dnssec-secure,requiretls-not-offered" },
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, TIMEOUT, FALSE), RTLS_READINESS_UNKNOWN,
		  "mx-dnssec-secure,probe-timeout" },
		{ F (FOUND, SECURE, ABSENT, FALSE, NONE, FAILED, FALSE), RTLS_READINESS_UNKNOWN,
		  "mx-dnssec-secure,probe-failed" },
		{ F (FALLBACK, SECURE, ABSENT, FALSE, NONE, OFFERED, FALSE), RTLS_READINESS_READY,
		  "mx-dnssec-secure,requiretls-offered" },
		/* TLSA bogus or unanswered: the host is unusable for now, never ready */
		{ F (FOUND, SECURE, ABSENT, FALSE, BOGUS, OFFERED, TRUE), RTLS_READINESS_UNKNOWN,
		  "mx-dnssec-secure,tlsa-bogus" },
		{ F (FOUND, SECURE, ABSENT, FALSE, FAILED, OFFERED, FALSE), RTLS_READINESS_UNKNOWN,
		  "mx-dnssec-secure,tlsa-lookup-failed" },
		/* bogus MX: never used, never ready, whatever else was seen */
		{ F (FOUND, BOGUS, ENFORCE, TRUE, USABLE, OFFERED, TRUE), RTLS_READINESS_UNKNOWN,
		  "mx-bogus" },
		{ F (FAILED, BOGUS, ABSENT, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_UNKNOWN, "mx-bogus" },
		{ F (NULL, BOGUS, ABSENT, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_UNKNOWN, "mx-bogus" },
		{ F (FAILED, FAILED, ABSENT, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_UNKNOWN, "mx-lookup-failed" },
		/* null MX, secure or not (RFC 7505), and no mail server at all */
		{ F (NULL, SECURE, ENFORCE, TRUE, NOT_CHECKED, NOT_RUN, TRUE),
		  RTLS_READINESS_WILL_BOUNCE, "null-mx" },
		{ F (NULL, INSECURE, ABSENT, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "null-mx" },
		{ F (NONE, SECURE, ABSENT, FALSE, NOT_CHECKED, NOT_RUN, FALSE),
		  RTLS_READINESS_WILL_BOUNCE, "no-mail-server" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (t); i++) {
		g_autoptr (GPtrArray) reasons = g_ptr_array_new ();
		g_autofree gchar *joined = NULL;
		RtlsReadiness v = rtls_readiness_verdict (&t[i].f, reasons);

		g_ptr_array_add (reasons, NULL);
		joined = g_strjoinv (",", (gchar **) reasons->pdata);
		g_test_message ("case %" G_GSIZE_FORMAT ": %s (%s)", i, rtls_readiness_name (v),
		                joined);
		g_assert_cmpstr (rtls_readiness_name (v), ==, rtls_readiness_name (t[i].want));
		g_assert_cmpstr (joined, ==, t[i].reasons);
	}
}

/* Every combination of the facts: bogus is never ready, ready needs a validated MX and
 * either REQUIRETLS seen or delivered before, and every verdict has a reason. */
static void
test_verdict_invariants (void)
{
	for (int mx = 0; mx < RTLS_MX_LAST; mx++)
		for (int dn = 0; dn < RTLS_DNSSEC_LAST; dn++)
			for (int sts = 0; sts < RTLS_STS_LAST; sts++)
				for (int m = 0; m < 2; m++)
					for (int dane = 0; dane < RTLS_DANE_LAST; dane++)
						for (int pr = 0; pr < RTLS_PROBE_LAST; pr++)
							for (int h = 0; h < 2; h++) {
								RtlsReadinessFacts f
								        = { mx,   dn, sts, m,
									    dane, pr, h };
								g_autoptr (GPtrArray) r
								        = g_ptr_array_new ();
								RtlsReadiness v
								        = rtls_readiness_verdict (
								                &f, r);
								g_assert_cmpuint (r->len, >, 0);
								if (v != RTLS_READINESS_READY)
									continue;
								g_assert_cmpint (dn, !=,
								                 RTLS_DNSSEC_BOGUS);
								g_assert_cmpint (dane, !=,
								                 RTLS_DANE_BOGUS);
								g_assert_true (
								        mx == RTLS_MX_FOUND
								        || mx == RTLS_MX_FALLBACK);
								g_assert_true (
								        dn == RTLS_DNSSEC_SECURE
								        || (sts == RTLS_STS_ENFORCE
								            && m));
								g_assert_true (
								        pr == RTLS_PROBE_OFFERED
								        || (h
								            && pr != RTLS_PROBE_NOT_OFFERED
								            && pr != RTLS_PROBE_CERT
								            && pr != RTLS_PROBE_NO_STARTTLS
								            && pr != RTLS_PROBE_DANE_MISMATCH));
							}
}

static void
test_words (void)
{
	for (int i = 0; i < RTLS_PROBE_LAST; i++)
		g_assert_cmpint (rtls_probe_result_parse (rtls_probe_result_name (i)), ==, i);
	for (int i = 0; i < RTLS_READINESS_LAST; i++)
		g_assert_cmpint (rtls_readiness_parse (rtls_readiness_name (i)), ==, i);
	for (int i = 0; i < RTLS_STS_LAST; i++)
		g_assert_cmpint (rtls_sts_state_parse (rtls_sts_state_name (i)), ==, i);
	for (int i = 0; i < RTLS_DANE_LAST; i++)
		g_assert_cmpint (rtls_dane_state_parse (rtls_dane_state_name (i)), ==, i);
	g_assert_cmpint (rtls_readiness_parse ("maybe"), ==, -1);
	g_assert_cmpstr (rtls_readiness_name (RTLS_READINESS_WILL_BOUNCE), ==, "will-bounce");
}

static void
test_txt (void)
{
	static const struct {
		const char *records[3]; /* NULL-terminated */
		const char *id;         /* NULL: no policy */
	} t[] = {
		{ { "v=STSv1; id=20160831085700Z;" }, "20160831085700Z" },
		{ { "v=STSv1;id=abc" }, "abc" },
		{ { "v=STSv1 ; id=abc ; ext=x.y " }, "abc" },
		{ { "v=STSv1; ext_1-a.b=ok!; id=X1" }, "X1" },
		{ { "v=spf1 -all", "v=STSv1; id=one" }, "one" },
		{ { "v=STSv1; id=one", "v=STSv1; id=two" }, NULL }, /* two: none (3.1) */
		{ { "v=STSv1; id=" }, NULL },
		{ { "v=STSv1; id=a-b" }, NULL },
		{ { "v=STSv1; id=123456789012345678901234567890123" }, NULL }, /* 33 */
		{ { "v=STSv1; id=12345678901234567890123456789012" },
		  "12345678901234567890123456789012" },
		{ { "v=STSv1" }, NULL },
		{ { "v=STSv1;" }, NULL },
		{ { "id=abc; v=STSv1" }, NULL }, /* must begin with the version */
		{ { "v=STSv2; id=abc" }, NULL },
		{ { "v=STSv1x; id=abc" }, NULL },
		{ { "v=STSv1; id=abc; bad" }, NULL },
		{ { "v=STSv1; id=abc; =x" }, NULL },
		{ { "v=STSv1; id=abc;; ext=1" }, NULL },
		{ { "v=STSv1; id=abc id=def" }, NULL },
		{ { "v=STSv1; id=first; id=second" }, "first" },
		{ { NULL }, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (t); i++) {
		gsize lens[3];
		guint n = 0;
		g_autofree gchar *id = NULL;

		while (n < 3 && t[i].records[n] != NULL) {
			lens[n] = strlen (t[i].records[n]);
			n++;
		}
		id = rtls_mta_sts_txt_parse (t[i].records, lens, n);
		g_test_message ("txt %" G_GSIZE_FORMAT ": %s", i, id ? id : "(none)");
		g_assert_cmpstr (id, ==, t[i].id);
	}
	/* a NUL inside a TXT string is no valid record */
	{
		const char rec[] = "v=STSv1; id=ab\0c";
		const char *r[] = { rec };
		gsize l[] = { sizeof rec - 1 };
		g_assert_null (rtls_mta_sts_txt_parse (r, l, 1));
	}
}

static void
test_policy (void)
{
	static const struct {
		const char *text;
		RtlsStsState mode; /* RTLS_STS_LAST: invalid */
		guint32 max_age;
		const char *mx; /* joined by "," */
	} t[] = {
		{ "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
		  "mx: backupmx.example.com\r\nmax_age: 604800\r\n",
		  RTLS_STS_ENFORCE, 604800, "mail.example.com,*.example.net,backupmx.example.com" },
		{ "version: STSv1\nmode: testing\nmx: MX.Example.ORG\nmax_age: 0", RTLS_STS_TESTING,
		  0, "mx.example.org" },
		{ "version:STSv1\nmode:none\nmax_age:86400\n", RTLS_STS_NONE, 86400, "" },
		{ "mode: enforce\nversion: STSv1\nmax_age: 31557600\nmx: a.b\nfoo_bar: x y z\n",
		  RTLS_STS_ENFORCE, 31557600, "a.b" },
		/* a repeated field: the first counts */
		{ "version: STSv1\nmode: testing\nmode: enforce\nmx: a.b\nmax_age: 5\nmax_age: 6\n",
		  RTLS_STS_TESTING, 5, "a.b" },
		{ "version: STSv1  \nmode: enforce\t\nmx: a.b \nmax_age: 5\n", RTLS_STS_ENFORCE, 5,
		  "a.b" },
		/* invalid */
		{ "version: STSv1\nmode: enforce\nmax_age: 5\n", RTLS_STS_LAST, 0,
		  NULL }, /* no mx */
		{ "version: STSv1\nmode: enforce\nmx: a.b\n", RTLS_STS_LAST, 0, NULL },
		{ "mode: enforce\nmx: a.b\nmax_age: 5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv1\nmode: Enforce\nmx: a.b\nmax_age: 5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n", RTLS_STS_LAST, 0,
		  NULL },
		{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 12345678901\n", RTLS_STS_LAST,
		  0, NULL },
		{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv1\nmode: enforce\nmx: *.*.b\nmax_age: 5\n", RTLS_STS_LAST, 0,
		  NULL },
		{ "version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv1\nmode: enforce\nmx: -a.b\nmax_age: 5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv1\nmode: enforce\nmx: a_b.c\nmax_age: 5\n", RTLS_STS_LAST, 0,
		  NULL },
		{ "version: STSv1\nmode: enforce\nmx: *\nmax_age: 5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv1\n\nmode: enforce\nmx: a.b\nmax_age: 5\n", RTLS_STS_LAST, 0,
		  NULL },
		{ "version: STSv1\nmode enforce\nmx: a.b\nmax_age: 5\n", RTLS_STS_LAST, 0, NULL },
		{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 5\n: x\n", RTLS_STS_LAST, 0,
		  NULL },
		{ "<html><body>not a policy</body></html>", RTLS_STS_LAST, 0, NULL },
		{ "", RTLS_STS_LAST, 0, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (t); i++) {
		const char *why = NULL;
		g_autoptr (RtlsStsPolicy) p
		        = rtls_mta_sts_policy_parse (t[i].text, strlen (t[i].text), &why);

		g_test_message ("policy %" G_GSIZE_FORMAT ": %s", i, p ? "valid" : why);
		if (t[i].mode == RTLS_STS_LAST) {
			g_assert_null (p);
			g_assert_nonnull (why);
			continue;
		}
		g_assert_nonnull (p);
		g_assert_cmpint (p->mode, ==, t[i].mode);
		g_assert_cmpuint (p->max_age, ==, t[i].max_age);
		{
			g_autoptr (GPtrArray) copy = g_ptr_array_new ();
			g_autofree gchar *joined = NULL;
			for (guint k = 0; k < p->mx->len; k++)
				g_ptr_array_add (copy, g_ptr_array_index (p->mx, k));
			g_ptr_array_add (copy, NULL);
			joined = g_strjoinv (",", (gchar **) copy->pdata);
			g_assert_cmpstr (joined, ==, t[i].mx);
		}
	}
	/* a NUL byte is a control character */
	{
		const char nul[] = "version: STSv1\nmode: enforce\nmx: a.b\0\nmax_age: 5\n";
		g_assert_null (rtls_mta_sts_policy_parse (nul, sizeof nul - 1, NULL));
	}
}

static void
test_mx_match (void)
{
	const char text[] = "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	                    "mx: *.example.net\nmax_age: 5\n";
	g_autoptr (RtlsStsPolicy) p = rtls_mta_sts_policy_parse (text, sizeof text - 1, NULL);

	g_assert_nonnull (p);
	g_assert_true (rtls_mta_sts_mx_match (p, "mail.example.com"));
	g_assert_true (rtls_mta_sts_mx_match (p, "MAIL.Example.COM."));
	g_assert_true (rtls_mta_sts_mx_match (p, "mx1.example.net"));
	g_assert_true (rtls_mta_sts_mx_match (p, "MX1.example.net."));
	/* RFC 8461 4.1: the wildcard is exactly one left-most label */
	g_assert_false (rtls_mta_sts_mx_match (p, "example.net"));
	g_assert_false (rtls_mta_sts_mx_match (p, "a.b.example.net"));
	g_assert_false (rtls_mta_sts_mx_match (p, ".example.net"));
	g_assert_false (rtls_mta_sts_mx_match (p, "mail.example.com.evil"));
	g_assert_false (rtls_mta_sts_mx_match (p, "xmail.example.com"));
	g_assert_false (rtls_mta_sts_mx_match (p, ""));
	g_assert_false (rtls_mta_sts_mx_match (p, "."));
}

static void
test_content_type (void)
{
	g_assert_true (rtls_mta_sts_content_type_ok ("text/plain"));
	g_assert_true (rtls_mta_sts_content_type_ok ("Text/Plain; charset=utf-8"));
	g_assert_true (rtls_mta_sts_content_type_ok ("text/plain ;charset=\"us-ascii\""));
	g_assert_false (rtls_mta_sts_content_type_ok ("text/html"));
	g_assert_false (rtls_mta_sts_content_type_ok ("text/plainx"));
	g_assert_false (rtls_mta_sts_content_type_ok ("application/octet-stream"));
	g_assert_false (rtls_mta_sts_content_type_ok (""));
	g_assert_false (rtls_mta_sts_content_type_ok (NULL));
}

static void
test_tlsa_usable (void)
{
	g_assert_true (rtls_dane_tlsa_usable (3, 1, 1, 32));
	g_assert_true (rtls_dane_tlsa_usable (3, 0, 2, 64));
	g_assert_true (rtls_dane_tlsa_usable (2, 0, 0, 800));
	g_assert_true (rtls_dane_tlsa_usable (2, 1, 1, 32));
	/* RFC 7672 3.1.3: PKIX-TA and PKIX-EE are unusable in SMTP */
	g_assert_false (rtls_dane_tlsa_usable (0, 0, 1, 32));
	g_assert_false (rtls_dane_tlsa_usable (1, 1, 1, 32));
	g_assert_false (rtls_dane_tlsa_usable (4, 1, 1, 32));
	g_assert_false (rtls_dane_tlsa_usable (3, 2, 1, 32));
	g_assert_false (rtls_dane_tlsa_usable (3, 1, 3, 32));
	g_assert_false (rtls_dane_tlsa_usable (3, 1, 1, 31));
	g_assert_false (rtls_dane_tlsa_usable (3, 1, 2, 32));
	g_assert_false (rtls_dane_tlsa_usable (3, 0, 0, 0));
}

static void
test_records (void)
{
	static const char text[]
	        = "domain=Tax.Example.GOV\nrecipient=a@tax.example.gov\nrecipient=b@tax.example."
	          "gov\n"
	          "verdict=ready\nreason=mx-dnssec-secure\nreason=requiretls-offered\n"
	          "mx-kind=mx\nmx-dnssec=secure\nmx=10 mx.tax.example.gov\n"
	          "mx-host=mx.tax.example.gov secure usable\nmta-sts=not-checked\ndane=usable\n"
	          "probe=offered\nprobe-host=mx.tax.example.gov\nprobe-address=192.0.2.1\n"
	          "probe-verify=dane\nprobe-tls-version=TLS1.3\nttl=300\nlookups=5\n"
	          "elapsed-ms=40\nfuture-key=whatever\n\n"
	          "domain=example.org\nverdict=will-bounce\nreason=mx-not-validated\n"
	          "mx-kind=mx\nmx-dnssec=insecure\nmta-sts=enforce\nmta-sts-max-age=604800\n"
	          "mta-sts-mx-match=no\nmta-sts-problem=no MX host matches\x01 the\xff policy\n"
	          "dane=not-checked\nprobe=not-run\nttl=3600\n\n"
	          /* no domain: left out */
	          "verdict=ready\n\n"
	          /* an unknown verdict: left out */
	          "domain=x.example\nverdict=maybe\n\n"
	          /* not finished: left out */
	          "domain=late.example\nverdict=ready\n";
	g_autoptr (GPtrArray) recs = rtls_check_records_parse (text, sizeof text - 1);
	const RtlsCheckRecord *a, *b;

	g_assert_cmpuint (recs->len, ==, 2);
	a = g_ptr_array_index (recs, 0);
	b = g_ptr_array_index (recs, 1);
	g_assert_cmpstr (a->domain, ==, "tax.example.gov");
	g_assert_cmpuint (a->recipients->len, ==, 2);
	g_assert_cmpint (a->verdict, ==, RTLS_READINESS_READY);
	g_assert_cmpuint (a->reasons->len, ==, 2);
	g_assert_cmpint (a->facts.mx, ==, RTLS_MX_FOUND);
	g_assert_cmpint (a->facts.mx_dnssec, ==, RTLS_DNSSEC_SECURE);
	g_assert_cmpint (a->facts.sts, ==, RTLS_STS_ABSENT);
	g_assert_cmpint (a->facts.dane, ==, RTLS_DANE_USABLE);
	g_assert_cmpint (a->facts.probe, ==, RTLS_PROBE_OFFERED);
	g_assert_cmpint (a->verify, ==, RTLS_VERIFY_DANE);
	g_assert_cmpstr (a->probe_host, ==, "mx.tax.example.gov");
	g_assert_cmpuint (a->ttl, ==, 300);
	g_assert_cmpuint (a->mx->len, ==, 1);
	g_assert_cmpstr (g_ptr_array_index (a->mx, 0), ==, "10 mx.tax.example.gov");
	g_assert_cmpint (b->verdict, ==, RTLS_READINESS_WILL_BOUNCE);
	g_assert_cmpint (b->facts.sts, ==, RTLS_STS_ENFORCE);
	g_assert_false (b->facts.sts_mx_match);
	g_assert_cmpuint (b->sts_max_age, ==, 604800);
	g_assert_true (g_utf8_validate (b->sts_problem, -1, NULL));
	g_assert_null (strchr (b->sts_problem, '\x01'));
	/* the facts give the helper's verdict again, and the plugin can add the history */
	for (guint i = 0; i < recs->len; i++) {
		const RtlsCheckRecord *r = g_ptr_array_index (recs, i);
		g_assert_cmpint (rtls_readiness_verdict (&r->facts, NULL), ==, r->verdict);
	}
	{
		RtlsReadinessFacts f = b->facts;
		f.history_delivered = TRUE; /* a past delivery does not beat the policy */
		g_assert_cmpint (rtls_readiness_verdict (&f, NULL), ==, RTLS_READINESS_WILL_BOUNCE);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/readiness/verdict/table", test_verdict_table);
	g_test_add_func ("/readiness/verdict/invariants", test_verdict_invariants);
	g_test_add_func ("/readiness/words", test_words);
	g_test_add_func ("/readiness/mta-sts/txt", test_txt);
	g_test_add_func ("/readiness/mta-sts/policy", test_policy);
	g_test_add_func ("/readiness/mta-sts/mx-match", test_mx_match);
	g_test_add_func ("/readiness/mta-sts/content-type", test_content_type);
	g_test_add_func ("/readiness/dane/usable", test_tlsa_usable);
	g_test_add_func ("/readiness/records", test_records);
	return g_test_run ();
}
