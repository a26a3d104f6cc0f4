/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-precheck.c: the composer's readiness (core/rtls_precheck.c): the helper's records
 * (as --check writes them) combined with the history, the words for each case, how long a
 * check is kept, and the recipients taken out of a row.
 */
#include "config.h"

#include <string.h>

#include "rtls_precheck.h"

static RtlsCheckRecord *
record (const char *text)
{
	g_autoptr (GPtrArray) recs = rtls_check_records_parse (text, strlen (text));

	g_assert_cmpuint (recs->len, ==, 1);
	return g_ptr_array_steal_index (recs, 0);
}

#define NOW 1000000
#define DAY 86400

static const char ready_dane[]
        = "domain=tax.example.gov\nverdict=ready\nreason=mx-dnssec-secure\n"
          "reason=requiretls-offered\nmx-kind=mx\nmx-dnssec=secure\nmta-sts=absent\n"
          "dane=usable\nprobe=offered\nprobe-verify=dane\nttl=3600\n\n";
static const char not_offered[]
        = "domain=example.org\nverdict=will-bounce\nreason=mx-dnssec-secure\n"
          "reason=requiretls-not-offered\nmx-kind=mx\nmx-dnssec=secure\nmta-sts=absent\n"
          "dane=none\nprobe=not-offered\nprobe-verify=webpki\nttl=600\n\n";
static const char blocked[]
        = "domain=bank.example\nverdict=unknown\nreason=mx-dnssec-secure\n"
          "reason=port-25-unreachable\nmx-kind=mx\nmx-dnssec=secure\nmta-sts=absent\n"
          "dane=none\nprobe=unreachable\nttl=300\n\n";
static const char not_probed[] = "domain=webpki.example\nverdict=unknown\nreason=mx-dnssec-secure\n"
                                 "reason=not-probed\nmx-kind=mx\nmx-dnssec=secure\nmta-sts=absent\n"
                                 "dane=none\nprobe=not-run\nttl=86400\n\n";
static const char insecure[]
        = "domain=plain.example\nverdict=will-bounce\nreason=mx-not-validated\n"
          "mx-kind=mx\nmx-dnssec=insecure\nmta-sts=absent\ndane=not-checked\n"
          "probe=not-run\nttl=300\n\n";
static const char sts[] = "domain=sts.example\nverdict=unknown\nreason=mx-mta-sts-enforced\n"
                          "reason=not-probed\nmx-kind=mx\nmx-dnssec=insecure\n"
                          "mta-sts=enforce\nmta-sts-mx-match=yes\nmta-sts-max-age=120\n"
                          "dane=not-checked\nprobe=not-run\nttl=3600\n\n";
static const char bogus[] = "domain=bogus.example\nverdict=unknown\nreason=mx-bogus\n"
                            "mx-kind=failed\nmx-dnssec=bogus\nttl=300\n\n";

/* The examples of issue 22, word for word, and every verdict's form. */
static void
test_sentences (void)
{
	g_autoptr (RtlsCheckRecord) r1 = record (ready_dane);
	g_autoptr (RtlsCheckRecord) r2 = record (not_offered);
	g_autoptr (RtlsCheckRecord) r3 = record (blocked);
	g_autoptr (RtlsCheckRecord) r4 = record (insecure);
	RtlsPrecheckFacts f = { .record = r1, .checked_at = NOW - 125 };
	RtlsReadiness v;
	gchar *s;

	s = rtls_precheck_sentence ("tax.example.gov", &f, NOW, &v);
	g_assert_cmpint (v, ==, RTLS_READINESS_READY);
	g_assert_cmpstr (s, ==,
	                 "tax.example.gov: its mail server offers REQUIRETLS, DANE-verified — "
	                 "checked 2 minutes ago");
	g_free (s);
	f.record = r2;
	f.checked_at = NOW - 5;
	s = rtls_precheck_sentence ("example.org", &f, NOW, &v);
	g_assert_cmpint (v, ==, RTLS_READINESS_WILL_BOUNCE);
	g_assert_cmpstr (s, ==,
	                 "example.org: its mail server does not offer REQUIRETLS — this message "
	                 "would come back (checked just now)");
	g_free (s);
	f.record = r3;
	f.checked_at = NOW - 3 * 3600;
	s = rtls_precheck_sentence ("bank.example", &f, NOW, &v);
	g_assert_cmpint (v, ==, RTLS_READINESS_UNKNOWN);
	g_assert_cmpstr (s, ==,
	                 "bank.example: not known — port 25 is blocked on this network (checked "
	                 "3 hours ago)");
	g_free (s);
	f.record = r4;
	f.checking = TRUE; /* an older answer while the next check runs */
	s = rtls_precheck_sentence ("plain.example", &f, NOW, &v);
	g_assert_cmpint (v, ==, RTLS_READINESS_WILL_BOUNCE);
	g_assert_true (g_str_has_prefix (s, "plain.example: its mail servers cannot be verified"));
	g_assert_true (g_str_has_suffix (s, "; checking again…"));
	g_free (s);
	f.record = NULL;
	s = rtls_precheck_sentence ("new.example", &f, NOW, &v);
	g_assert_cmpint (v, ==, RTLS_READINESS_UNKNOWN);
	g_assert_cmpstr (s, ==, "new.example: checking whether REQUIRETLS can reach it…");
	g_free (s);
	f.checking = FALSE;
	s = rtls_precheck_sentence ("new.example", &f, NOW, &v);
	g_assert_cmpstr (s, ==, "new.example: not known — not checked yet");
	g_free (s);
	f.check_error = "requiretls-submit: not found";
	s = rtls_precheck_sentence ("new.example", &f, NOW, &v);
	g_assert_cmpstr (s, ==,
	                 "new.example: not known — the check could not run (requiretls-submit: "
	                 "not found)");
	g_free (s);
}

/* The history joins the check: a REQUIRETLS delivery there makes a domain the DNS leaves
 * open ready (never a bogus one, never one the check says bounces); a REQUIRETLS-caused
 * failure newer than any delivery makes an unknown one "will bounce"; a delivery after the
 * failure undoes that. */
static void
test_history (void)
{
	g_autoptr (RtlsCheckRecord) open = record (not_probed);
	g_autoptr (RtlsCheckRecord) bad = record (bogus);
	g_autoptr (RtlsCheckRecord) bounces = record (insecure);
	RtlsPrecheckFacts f = { .record = open, .checked_at = NOW };
	const char *why = NULL;
	gchar *s;

	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_UNKNOWN);
	g_assert_cmpstr (why, ==, "not-probed");
	f.history.last_delivered = NOW - 2 * DAY;
	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_READY);
	g_assert_cmpstr (why, ==, "delivered-before");
	s = rtls_precheck_sentence ("webpki.example", &f, NOW, NULL);
	g_assert_true (g_str_has_prefix (s, "webpki.example: a REQUIRETLS message was delivered "
	                                    "there ("));
	g_free (s);
	f.record = bad;
	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_UNKNOWN);
	g_assert_cmpstr (why, ==, "mx-bogus");
	f.record = bounces;
	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_WILL_BOUNCE);
	g_assert_cmpstr (why, ==, "mx-not-validated");
	/* a failure after the delivery */
	f.record = open;
	f.history.last_requiretls_failure = NOW - DAY;
	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_WILL_BOUNCE);
	g_assert_cmpstr (why, ==, "returned-before");
	s = rtls_precheck_sentence ("webpki.example", &f, NOW, NULL);
	g_assert_true (g_str_has_prefix (s, "webpki.example: it returned your last REQUIRETLS "
	                                    "message ("));
	g_assert_true (g_str_has_suffix (s, ") — this message would come back"));
	g_free (s);
	/* and without any check: the history alone */
	f.record = NULL;
	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_WILL_BOUNCE);
	f.history.last_delivered = NOW;
	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_READY);
	f.history = (RtlsDomainHistory){ 0 };
	g_assert_cmpint (rtls_precheck_verdict (&f, &why), ==, RTLS_READINESS_UNKNOWN);
	g_assert_cmpstr (why, ==, "not-checked");
}

static void
test_lifetime (void)
{
	g_autoptr (RtlsCheckRecord) a = record (not_probed);
	g_autoptr (RtlsCheckRecord) b = record (sts);
	g_autoptr (RtlsCheckRecord) c = record ("domain=x.example\nverdict=unknown\nttl=0\n\n");

	g_assert_cmpint (rtls_precheck_lifetime (a), ==, 86400);
	g_assert_cmpint (rtls_precheck_lifetime (b), ==, 120); /* the policy's max_age */
	g_assert_cmpint (rtls_precheck_lifetime (c), ==, 300); /* no TTL: the helper's cap */
	g_assert_cmpint (rtls_precheck_lifetime (NULL), ==, 300);
	g_assert_true (rtls_precheck_fresh (NOW + 1, FALSE, FALSE, NOW));
	g_assert_false (rtls_precheck_fresh (NOW, FALSE, FALSE, NOW));
	/* the probe turned on: an answer without it is asked again */
	g_assert_false (rtls_precheck_fresh (NOW + 100, FALSE, TRUE, NOW));
	g_assert_true (rtls_precheck_fresh (NOW + 100, TRUE, FALSE, NOW));
}

static void
test_ago (void)
{
	static const struct {
		gint64 secs;
		const char *said;
	} cases[] = {
		{ -5, "just now" },      { 0, "just now" },          { 59, "just now" },
		{ 60, "1 minute ago" },  { 3599, "59 minutes ago" }, { 3600, "1 hour ago" },
		{ 7300, "2 hours ago" }, { 86400, "1 day ago" },     { 3 * 86400, "3 days ago" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *s = rtls_precheck_ago (NOW - cases[i].secs, NOW);
		g_assert_cmpstr (s, ==, cases[i].said);
	}
}

static void
test_domain_ok (void)
{
	g_assert_true (rtls_precheck_domain_ok ("example.org"));
	g_assert_true (rtls_precheck_domain_ok ("xn--bcher-kva.example"));
	g_assert_false (rtls_precheck_domain_ok ("exa"));
	g_assert_false (rtls_precheck_domain_ok ("example."));
	g_assert_false (rtls_precheck_domain_ok (".example"));
	g_assert_false (rtls_precheck_domain_ok ("a..example"));
	g_assert_false (rtls_precheck_domain_ok ("exa mple.org"));
	g_assert_false (rtls_precheck_domain_ok ("-x.org;rm"));
	g_assert_false (rtls_precheck_domain_ok (""));
	g_assert_false (rtls_precheck_domain_ok (NULL));
}

/* "Remove them": only the mailboxes named go; the others stay as typed. */
static void
test_row_without (void)
{
	static const struct {
		const char *row;
		const char *remove;
		const char *left; /* NULL: nothing removed */
	} cases[] = {
		{ "bob@bounce.example", "bob@bounce.example", "" },
		{ "Bob <BOB@Bounce.Example>", "bob@bounce.example", "" },
		{ "carol@ready.example, bob@bounce.example", "bob@bounce.example",
		  "carol@ready.example" },
		{ "\"Smith, Bob\" <bob@bounce.example>, Carol <carol@ready.example>",
		  "bob@bounce.example", "Carol <carol@ready.example>" },
		{ "carol@ready.example", "bob@bounce.example", NULL },
		{ "", "bob@bounce.example", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (GPtrArray) rm = g_ptr_array_new ();
		g_autofree gchar *left = NULL;
		g_ptr_array_add (rm, (gpointer) cases[i].remove);
		left = rtls_precheck_row_without (cases[i].row, rm);
		g_assert_cmpstr (left, ==, cases[i].left);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/precheck/sentences", test_sentences);
	g_test_add_func ("/precheck/history", test_history);
	g_test_add_func ("/precheck/lifetime", test_lifetime);
	g_test_add_func ("/precheck/ago", test_ago);
	g_test_add_func ("/precheck/domain-ok", test_domain_ok);
	g_test_add_func ("/precheck/row-without", test_row_without);
	return g_test_run ();
}
