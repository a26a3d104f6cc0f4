/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-outcome.c: the sender's decisions (core/rtls_outcome.c), which were tested only by
 * driving Claws: what a helper's end means, which refusal is shown, where a REQUIRETLS
 * message is submitted and how, when a temporary failure is tried again.
 */
#include "config.h"

#include <string.h>

#include "rtls_outcome.h"

static RtlsRecord *
record (const char *text)
{
	RtlsRecord *r = rtls_record_parse (text, strlen (text));

	g_assert_nonnull (r);
	return r;
}

static void
test_end_with_record (void)
{
	static const struct {
		const char *text;
		RtlsOutcomeKind kind;
		RtlsResult result;
	} t[] = {
		{ "result=sent\nexit=0\n", RTLS_OUTCOME_SENT, RTLS_RESULT_SENT },
		{ "result=not-confirmed\nexit=75\n", RTLS_OUTCOME_NOT_CONFIRMED,
		  RTLS_RESULT_NOT_CONFIRMED },
		{ "result=failed\nexit=75\nerror=RTLS_ERROR_TEMPFAIL\n", RTLS_OUTCOME_TEMPORARY,
		  RTLS_RESULT_TEMPORARY },
		{ "result=failed\nexit=68\n", RTLS_OUTCOME_TEMPORARY, RTLS_RESULT_TEMPORARY },
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\n", RTLS_OUTCOME_PERMANENT,
		  RTLS_RESULT_FAILED },
		{ "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\n", RTLS_OUTCOME_PERMANENT,
		  RTLS_RESULT_FAILED },
		{ "result=failed\nexit=78\n", RTLS_OUTCOME_LOCAL, RTLS_RESULT_FAILED },
		/* "sent" with a non-zero exit is no success */
		{ "result=sent\nexit=75\n", RTLS_OUTCOME_TEMPORARY, RTLS_RESULT_TEMPORARY },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (t); i++) {
		g_autoptr (RtlsRecord) r = record (t[i].text);
		/* the record decides, whatever the plugin saw besides */
		for (int cancelled = 0; cancelled < 2; cancelled++) {
			for (int left = 0; left < 2; left++) {
				RtlsEndFacts f = { r, cancelled, left };
				RtlsEnd end = rtls_outcome_of_end (&f);
				g_assert_cmpint (end.kind, ==, t[i].kind);
				g_assert_cmpint (end.result, ==, t[i].result);
				g_assert_null (end.cause);
			}
		}
	}
}

static void
test_end_without_record (void)
{
	RtlsEndFacts f = { NULL, FALSE, FALSE };
	RtlsEnd end = rtls_outcome_of_end (&f);

	/* ended without a word, before the content left: failed, not sent */
	g_assert_cmpint (end.kind, ==, RTLS_OUTCOME_LOCAL);
	g_assert_cmpint (end.result, ==, RTLS_RESULT_FAILED);
	g_assert_cmpstr (end.cause, ==, "helper-ended");
	/* cancelled before the content left: cancelled */
	f.cancelled = TRUE;
	end = rtls_outcome_of_end (&f);
	g_assert_cmpint (end.result, ==, RTLS_RESULT_CANCELLED);
	g_assert_cmpstr (end.cause, ==, "cancelled");
	/* after the content had begun to leave, cancelled or killed: never "failed" — the
	 * server may have it */
	f.content_left = TRUE;
	end = rtls_outcome_of_end (&f);
	g_assert_cmpint (end.kind, ==, RTLS_OUTCOME_NOT_CONFIRMED);
	g_assert_cmpint (end.result, ==, RTLS_RESULT_NOT_CONFIRMED);
	g_assert_cmpstr (end.cause, ==, "cancelled-late");
	f.cancelled = FALSE;
	end = rtls_outcome_of_end (&f);
	g_assert_cmpint (end.result, ==, RTLS_RESULT_NOT_CONFIRMED);
	g_assert_cmpstr (end.cause, ==, "helper-stopped");
	/* each cause has its words */
	for (const char *const *c
	     = (const char *const[]){ "helper-ended", "cancelled", "cancelled-late",
	                              "helper-stopped", NULL };
	     *c != NULL; c++) {
		g_autofree gchar *w = rtls_attempt_cause_words (*c, "content", "boom");
		g_assert_nonnull (w);
	}
}

static RtlsRefusal
refusal_of (const char *text, gboolean cancelled, gboolean left, gboolean maybe_arrived)
{
	g_autoptr (RtlsRecord) r = text != NULL ? record (text) : NULL;
	RtlsEndFacts f = { r, cancelled, left };
	RtlsEnd end = rtls_outcome_of_end (&f);

	return rtls_outcome_refusal (&end, &f, maybe_arrived);
}

static void
test_refusal (void)
{
	const char *cert = "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\n";
	const char *unsup = "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\n";
	const char *temp = "result=failed\nexit=75\nerror=RTLS_ERROR_TEMPFAIL\n";
	const char *nc = "result=not-confirmed\nexit=75\n";
	const char *other = "result=failed\nexit=69\nerror=RTLS_ERROR_REJECTED\n";

	g_assert_cmpint (refusal_of (cert, FALSE, FALSE, FALSE), ==, RTLS_REFUSAL_CERT);
	g_assert_cmpint (refusal_of (unsup, FALSE, FALSE, FALSE), ==, RTLS_REFUSAL_NO_REQUIRETLS);
	g_assert_cmpint (refusal_of (temp, FALSE, FALSE, FALSE), ==, RTLS_REFUSAL_TEMPORARY);
	g_assert_cmpint (refusal_of (nc, FALSE, FALSE, FALSE), ==, RTLS_REFUSAL_NOT_CONFIRMED);
	g_assert_cmpint (refusal_of (other, FALSE, FALSE, FALSE), ==, RTLS_REFUSAL_OTHER);
	g_assert_cmpint (refusal_of (NULL, TRUE, FALSE, FALSE), ==, RTLS_REFUSAL_CANCELLED);
	g_assert_cmpint (refusal_of (NULL, TRUE, TRUE, FALSE), ==, RTLS_REFUSAL_NOT_CONFIRMED);
	g_assert_cmpint (refusal_of (NULL, FALSE, FALSE, FALSE), ==, RTLS_REFUSAL_OTHER);
	/* an earlier send that may have arrived overrides every refusal: the downgrade is never
	 * offered then */
	g_assert_cmpint (refusal_of (cert, FALSE, FALSE, TRUE), ==, RTLS_REFUSAL_NOT_CONFIRMED);
	g_assert_cmpint (refusal_of (unsup, FALSE, FALSE, TRUE), ==, RTLS_REFUSAL_NOT_CONFIRMED);
	g_assert_cmpint (refusal_of (NULL, TRUE, FALSE, TRUE), ==, RTLS_REFUSAL_NOT_CONFIRMED);
}

static void
test_endpoint (void)
{
	RtlsEndpoint ep;

	/* the account's server: Claws' SSL tunnel is implicit TLS, anything else STARTTLS */
	ep = rtls_outcome_endpoint (NULL, 0, FALSE, "smtp.example.org", 465, TRUE);
	g_assert_cmpstr (ep.host, ==, "smtp.example.org");
	g_assert_cmpuint (ep.port, ==, 465);
	g_assert_false (ep.starttls);
	ep = rtls_outcome_endpoint (NULL, 0, FALSE, "smtp.example.org", 587, FALSE);
	g_assert_cmpuint (ep.port, ==, 587);
	g_assert_true (ep.starttls);
	/* Claws' "no TLS" becomes mandatory STARTTLS, on Claws' own port */
	ep = rtls_outcome_endpoint (NULL, 0, FALSE, "smtp.example.org", 25, FALSE);
	g_assert_cmpuint (ep.port, ==, 25);
	g_assert_true (ep.starttls);
	/* the plugin's own server for the account: its port, else 587 / 465 */
	ep = rtls_outcome_endpoint ("rtls.example.org", 0, TRUE, "smtp.example.org", 25, FALSE);
	g_assert_cmpstr (ep.host, ==, "rtls.example.org");
	g_assert_cmpuint (ep.port, ==, 587);
	g_assert_true (ep.starttls);
	ep = rtls_outcome_endpoint ("rtls.example.org", 0, FALSE, "smtp.example.org", 25, FALSE);
	g_assert_cmpuint (ep.port, ==, 465);
	g_assert_false (ep.starttls);
	ep = rtls_outcome_endpoint ("rtls.example.org", 2525, TRUE, "smtp.example.org", 465, TRUE);
	g_assert_cmpuint (ep.port, ==, 2525);
	g_assert_true (ep.starttls);
}

static void
test_retry (void)
{
	RtlsAttempt prev = { 0 };
	gint step = -1;
	gint64 at = -1;

	rtls_outcome_retry (NULL, TRUE, 60, 3600, 1000, &step, &at);
	g_assert_cmpint (step, ==, 0);
	g_assert_cmpint (at, ==, 1000 + 60);
	prev.state = RTLS_ATTEMPT_TEMPORARY;
	prev.retry_step = 0;
	rtls_outcome_retry (&prev, TRUE, 60, 3600, 1000, &step, &at);
	g_assert_cmpint (step, ==, 1);
	g_assert_cmpint (at, ==, 1000 + 5 * 60);
	/* a step after a failure for good starts again */
	prev.state = RTLS_ATTEMPT_FAILED;
	prev.retry_step = 4;
	rtls_outcome_retry (&prev, TRUE, 60, 3600, 1000, &step, &at);
	g_assert_cmpint (step, ==, 0);
	/* capped */
	prev.state = RTLS_ATTEMPT_TEMPORARY;
	prev.retry_step = 40;
	rtls_outcome_retry (&prev, TRUE, 60, 3600, 1000, &step, &at);
	g_assert_cmpint (at, ==, 1000 + 3600);
	/* switched off: only the person sends it */
	rtls_outcome_retry (&prev, FALSE, 60, 3600, 1000, &step, &at);
	g_assert_cmpint (at, ==, 0);
}

static void
test_local_record (void)
{
	g_autoptr (RtlsRecord) r = rtls_outcome_local_record ("the queue entry\ncannot be read");
	RtlsEndFacts f = { r, FALSE, FALSE };
	RtlsEnd end = rtls_outcome_of_end (&f);
	g_autofree gchar *words = rtls_record_explain (r);

	g_assert_cmpint (end.kind, ==, RTLS_OUTCOME_LOCAL);
	g_assert_cmpint (end.result, ==, RTLS_RESULT_FAILED);
	g_assert_cmpstr (r->error, ==, "RTLS_ERROR_CONFIG");
	/* sanitised: no line break from the reason reaches the record */
	g_assert_null (strchr (r->message, '\n'));
	g_assert_nonnull (strstr (words, "cannot be read"));
	g_assert_cmpint (rtls_outcome_refusal (&end, &f, FALSE), ==, RTLS_REFUSAL_OTHER);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/outcome/end/record", test_end_with_record);
	g_test_add_func ("/outcome/end/no-record", test_end_without_record);
	g_test_add_func ("/outcome/refusal", test_refusal);
	g_test_add_func ("/outcome/endpoint", test_endpoint);
	g_test_add_func ("/outcome/retry", test_retry);
	g_test_add_func ("/outcome/local-record", test_local_record);
	return g_test_run ();
}
