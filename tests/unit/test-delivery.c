/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-delivery.c: DSN correlation with the send journal and the delivery rows
 * (plugin/rtls_delivery.c), over the bounces in tests/data/dsn/.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_record.h"

static RtlsJournalEntry *
send_entry (gint64 time, const char *envid, const char *msgid, const char *rcpts,
            const char *result)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);

	e->time = time;
	e->envid = g_strdup (envid);
	e->message_id = g_strdup (msgid);
	e->recipients = g_strdup (rcpts);
	e->result = g_strdup (result);
	e->subject = g_strdup ("Board minutes");
	e->account_id = 1;
	e->host = g_strdup ("smtp.sender.test");
	return e;
}

/* The journal a user would have: the sends the corpus bounces are about, one refused. */
static GPtrArray *
journal (void)
{
	GPtrArray *j = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);

	g_ptr_array_add (j, send_entry (1000, "rtls-aaaaaaaabbbbbbbbcccccccc",
	                                "<rtls-aaaaaaaabbbbbbbbcccccccc@sender.test>",
	                                "bob@example.org,carol@example.com", "sent"));
	g_ptr_array_add (j, send_entry (1100, "rtls-0123456789abcdef01234567",
	                                "<rtls-0123456789abcdef01234567@sender.test>",
	                                "norequiretls@example.net", "not-confirmed"));
	g_ptr_array_add (j, send_entry (1200, "rtls-fedcba9876543210fedcba98",
	                                "<rtls-fedcba9876543210fedcba98@sender.test>",
	                                "norequiretls@example.net", "sent"));
	/* refused by the submission server: a later bounce about it is impossible */
	g_ptr_array_add (j, send_entry (1300, "rtls-0a0b0c0d0e0f101112131415",
	                                "<rtls-0a0b0c0d0e0f101112131415@sender.test>",
	                                "erin@example.org", "failed"));
	/* sent, but the bounce about it comes with another ENVID */
	g_ptr_array_add (j, send_entry (1400, "rtls-99999999999999999999999a",
	                                "<rtls-161718191a1b1c1d1e1f2021@sender.test>",
	                                "frank@example.org", "sent"));
	/* the envelope matches but the returned headers are of another message */
	g_ptr_array_add (j,
	                 send_entry (1500, "rtls-11111111222222223333333",
	                             "<something-else@sender.test>", "dave@example.net", "sent"));
	/* the sends the reports of issue 14's classes are about */
	g_ptr_array_add (j, send_entry (1600, "rtls-c1000000000000000000e450",
	                                "<rtls-c1000000000000000000e450@sender.test>",
	                                "laterrequiretls@example.net", "sent"));
	g_ptr_array_add (j, send_entry (1610, "rtls-c4000000000000000000aaaa",
	                                "<rtls-c4000000000000000000aaaa@sender.test>",
	                                "bob@example.org", "sent"));
	g_ptr_array_add (j, send_entry (1620, "rtls-c5000000000000000000aaaa",
	                                "<rtls-c5000000000000000000aaaa@sender.test>",
	                                "bob@example.org", "sent"));
	g_ptr_array_add (j, send_entry (1630, "rtls-48494a4b4c4d4e4f50515253",
	                                "<rtls-48494a4b4c4d4e4f50515253@sender.test>",
	                                "bob@example.org", "sent"));
	return j;
}

static RtlsDsn *
parse (const char *name)
{
	g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "dsn", name, NULL);
	g_autofree gchar *data = NULL;
	gsize len = 0;
	g_autoptr (GError) error = NULL;
	RtlsDsn *dsn;

	g_assert_true (g_file_get_contents (path, &data, &len, NULL));
	dsn = rtls_dsn_parse (data, len, &error);
	g_assert_no_error (error);
	return dsn;
}

static void
test_correlate (void)
{
	static const struct {
		const char *file;
		RtlsBounceMatch want;
		const char *envid;  /* of the matched send */
		const char *reason; /* in the reason of an unverified one */
	} t[] = {
		{ "postfix311-5.7.30.eml", RTLS_BOUNCE_OURS, "rtls-aaaaaaaabbbbbbbbcccccccc" },
		/* not-confirmed sends may have gone out: their bounces are believed */
		{ "postfix-5.7.30-remote.eml", RTLS_BOUNCE_OURS, "rtls-0123456789abcdef01234567" },
		{ "exim-5.7.30-remote.eml", RTLS_BOUNCE_OURS, "rtls-fedcba9876543210fedcba98" },
		{ "mox-5.7.30.eml", RTLS_BOUNCE_UNVERIFIED, NULL, "never accepted" },
		{ "mox-5.7.10.eml", RTLS_BOUNCE_UNVERIFIED, NULL, "Message-ID alone" },
		{ "postfix311-4.7.30-delayed.eml", RTLS_BOUNCE_UNVERIFIED, NULL,
		  "another message" },
		{ "forged-unknown-envid.eml", RTLS_BOUNCE_UNVERIFIED, NULL, "matches no message" },
		/* Exim's give-up report, and a report one level down in a multipart/mixed */
		{ "exim-giveup-4.7.30.eml", RTLS_BOUNCE_OURS, "rtls-c1000000000000000000e450" },
		{ "nested-mixed-footer.eml", RTLS_BOUNCE_OURS, "rtls-c4000000000000000000aaaa" },
		/* two envelope IDs, ours first or second: never ours */
		{ "malformed-two-envids.eml", RTLS_BOUNCE_UNVERIFIED, NULL,
		  "more than one envelope" },
		{ "malformed-two-envids-reversed.eml", RTLS_BOUNCE_UNVERIFIED, NULL,
		  "more than one envelope" },
		{ "malformed-no-third-part.eml", RTLS_BOUNCE_UNVERIFIED, NULL,
		  "matches no message" },
		/* ordinary bounces of other mail are none of our business */
		{ "postfix-unknown-user.eml", RTLS_BOUNCE_NOT_OURS },
		{ "exim-unknown-user.eml", RTLS_BOUNCE_NOT_OURS },
		{ "postfix-relay-refused.eml", RTLS_BOUNCE_NOT_OURS },
		{ "exim-relay-refused.eml", RTLS_BOUNCE_NOT_OURS },
	};
	g_autoptr (GPtrArray) j = journal ();

	for (gsize i = 0; i < G_N_ELEMENTS (t); i++) {
		g_autoptr (RtlsDsn) dsn = parse (t[i].file);
		const RtlsJournalEntry *e = NULL;
		g_autofree gchar *reason = NULL;
		RtlsBounceMatch m = rtls_delivery_correlate (dsn, j, &e, &reason);
		if (m != t[i].want)
			g_error ("%s: match %d, want %d (%s)", t[i].file, m, t[i].want,
			         reason ? reason : "");
		if (t[i].envid != NULL) {
			g_assert_nonnull (e);
			g_assert_cmpstr (e->envid, ==, t[i].envid);
			g_assert_null (reason);
		} else {
			g_assert_null (e);
		}
		/* a code, stored; its words are made when shown */
		if (t[i].reason != NULL
		    && (reason == NULL
		        || strstr (rtls_delivery_reason_words (reason), t[i].reason) == NULL
		        || strchr (reason, ' ') != NULL))
			g_error ("%s: reason \"%s\", want \"%s\" in its words", t[i].file, reason,
			         t[i].reason);
		if (m == RTLS_BOUNCE_NOT_OURS)
			g_assert_null (reason);
	}
}

/* journal → records → journal lines → rows: what the window shows after a restart */
static GPtrArray *
roundtrip (GPtrArray *entries)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);

	for (guint i = 0; i < entries->len; i++) {
		g_autofree gchar *line = rtls_journal_entry_format (g_ptr_array_index (entries, i));
		RtlsJournalEntry *e = rtls_journal_entry_parse (line);
		g_assert_nonnull (e);
		g_ptr_array_add (out, e);
	}
	return out;
}

static void
add_dsn (GPtrArray *j, const char *file, gint64 now)
{
	g_autoptr (RtlsDsn) dsn = parse (file);
	const RtlsJournalEntry *e = NULL;
	g_autofree gchar *reason = NULL;
	RtlsBounceMatch m = rtls_delivery_correlate (dsn, j, &e, &reason);
	g_autofree gchar *bounce_id = g_strdup_printf ("<bounce-%s@relay.test>", file);
	g_autoptr (GPtrArray) recs = rtls_delivery_records (dsn, m, e, reason, bounce_id, now);

	for (guint i = 0; i < recs->len; i++)
		g_ptr_array_add (j, g_steal_pointer (&recs->pdata[i]));
	g_ptr_array_set_size (recs, 0);
}

static const RtlsDeliveryRow *
find_row (GPtrArray *rows, const char *rcpt, const char *key_part)
{
	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		if (g_ascii_strcasecmp (r->recipient, rcpt) == 0
		    && strstr (r->key, key_part) != NULL)
			return r;
	}
	return NULL;
}

static void
test_rows (void)
{
	g_autoptr (GPtrArray) j = journal ();
	g_autoptr (GPtrArray) back = NULL;
	g_autoptr (GPtrArray) rows = NULL;
	const RtlsDeliveryRow *r;

	add_dsn (j, "postfix311-5.7.30.eml", 2000);    /* bob: failed 5.7.30 */
	add_dsn (j, "exim-5.7.30-remote.eml", 2100);   /* 5.0.0 made 5.7.30 */
	add_dsn (j, "forged-unknown-envid.eml", 2200); /* unverified, never a failure */
	add_dsn (j, "postfix-unknown-user.eml", 2300); /* not ours: no record at all */
	back = roundtrip (j);
	rows = rtls_delivery_rows (back);

	/* bob bounced; carol of the same message is still just "sent" */
	r = find_row (rows, "bob@example.org", "rtls-aaaaaaaabbbbbbbbcccccccc");
	g_assert_nonnull (r);
	g_assert_cmpint (r->state, ==, RTLS_ROW_BOUNCED);
	g_assert_cmpstr (r->status, ==, "5.7.30");
	g_assert_cmpstr (r->subject, ==, "Board minutes");
	g_assert_cmpstr (r->remote_mta, ==, "mx1.example.org");
	g_assert_cmpstr (r->reporting_mta, ==, "mx.sender.test");
	g_assert_true (g_str_has_prefix (r->diagnostic, "X-Postfix; REQUIRETLS support"));
	g_assert_nonnull (strstr (r->explanation, "does not support REQUIRETLS"));
	g_assert_cmpstr (r->bounce_id, ==, "bounce-postfix311-5.7.30.eml@relay.test");
	r = find_row (rows, "carol@example.com", "rtls-aaaaaaaabbbbbbbbcccccccc");
	g_assert_nonnull (r);
	g_assert_cmpint (r->state, ==, RTLS_ROW_SENT);

	r = find_row (rows, "norequiretls@example.net", "rtls-fedcba98");
	g_assert_cmpint (r->state, ==, RTLS_ROW_BOUNCED);
	g_assert_cmpstr (r->status, ==, "5.7.30");
	r = find_row (rows, "norequiretls@example.net", "rtls-0123456789");
	g_assert_cmpint (r->state, ==, RTLS_ROW_NOT_CONFIRMED);
	r = find_row (rows, "erin@example.org", "rtls-0a0b");
	g_assert_cmpint (r->state, ==, RTLS_ROW_FAILED);

	/* the forged one is listed as unverified, with its reason, under its own key */
	r = find_row (rows, "bob@example.org", "bounce:");
	g_assert_nonnull (r);
	g_assert_cmpint (r->state, ==, RTLS_ROW_UNVERIFIED);
	g_assert_false (rtls_delivery_state_is_problem (r->state));
	g_assert_nonnull (strstr (r->reason, "matches no message"));
	g_assert_cmpstr (r->subject, ==, "Urgent: resend without TLS");
	g_assert_null (find_row (rows, "unknown@example.net", ""));

	/* newest first */
	for (guint i = 1; i < rows->len; i++)
		g_assert_cmpint (((RtlsDeliveryRow *) rows->pdata[i - 1])->time, >=,
		                 ((RtlsDeliveryRow *) rows->pdata[i])->time);
}

/* A delayed DSN arriving after the failure does not make the failure "delayed" again. */
static void
test_order (void)
{
	g_autoptr (GPtrArray) j = journal ();
	g_autoptr (GPtrArray) rows = NULL;
	RtlsJournalEntry *later;

	add_dsn (j, "postfix311-5.7.30.eml", 2000);
	later = g_new0 (RtlsJournalEntry, 1);
	later->time = 3000;
	later->result = g_strdup ("delayed");
	later->envid = g_strdup ("rtls-aaaaaaaabbbbbbbbcccccccc");
	later->message_id = g_strdup ("<rtls-aaaaaaaabbbbbbbbcccccccc@sender.test>");
	later->recipient = g_strdup ("BOB@example.org");
	later->enhanced = g_strdup ("4.7.30");
	g_ptr_array_add (j, later);
	rows = rtls_delivery_rows (j);
	g_assert_cmpint (find_row (rows, "bob@example.org", "rtls-aaaa")->state, ==,
	                 RTLS_ROW_BOUNCED);
	g_assert_cmpstr (find_row (rows, "bob@example.org", "rtls-aaaa")->status, ==, "5.7.30");
}

static void
test_forget (void)
{
	g_autoptr (GPtrArray) j = journal ();
	g_autoptr (GPtrArray) rows = NULL;
	g_autoptr (GPtrArray) after = NULL;
	g_autoptr (GPtrArray) back = NULL;
	const RtlsDeliveryRow *r;
	guint before;

	add_dsn (j, "postfix311-5.7.30.eml", 2000);
	add_dsn (j, "forged-unknown-envid.eml", 2200);
	rows = rtls_delivery_rows (j);
	before = rows->len;
	/* forget one recipient's row, and the unverified bounce */
	r = find_row (rows, "bob@example.org", "rtls-aaaa");
	g_ptr_array_add (j, rtls_delivery_forget_record (r, FALSE, 3000));
	r = find_row (rows, "bob@example.org", "bounce:");
	g_ptr_array_add (j, rtls_delivery_forget_record (r, FALSE, 3001));
	back = roundtrip (j);
	after = rtls_delivery_rows (back);
	g_assert_cmpuint (after->len, ==, before - 2);
	g_assert_null (find_row (after, "bob@example.org", "rtls-aaaa"));
	g_assert_null (find_row (after, "bob@example.org", "bounce:"));
	g_assert_nonnull (find_row (after, "carol@example.com", "rtls-aaaa"));
	/* and the whole message */
	r = find_row (after, "carol@example.com", "rtls-aaaa");
	g_ptr_array_add (j, rtls_delivery_forget_record (r, TRUE, 3002));
	g_ptr_array_unref (after);
	after = rtls_delivery_rows (j);
	g_assert_null (find_row (after, "carol@example.com", "rtls-aaaa"));
	g_assert_cmpuint (after->len, ==, before - 3);
}

static void
test_domain_warning (void)
{
	g_autoptr (GPtrArray) j = journal ();
	g_autoptr (GPtrArray) rows = NULL;
	const gint64 day = 24 * 3600;
	const RtlsDeliveryRow *w;
	RtlsJournalEntry *ok;

	add_dsn (j, "postfix311-5.7.30.eml", 10 * day);
	rows = rtls_delivery_rows (j);
	w = rtls_delivery_domain_warning (rows, "example.org", 11 * day, 90 * day);
	g_assert_nonnull (w);
	g_assert_cmpstr (w->recipient, ==, "bob@example.org");
	g_assert_nonnull (rtls_delivery_domain_warning (rows, "EXAMPLE.ORG", 11 * day, 90 * day));
	/* other domains, old bounces and bounces for other reasons say nothing */
	g_assert_null (rtls_delivery_domain_warning (rows, "example.com", 11 * day, 90 * day));
	g_assert_null (rtls_delivery_domain_warning (rows, "sub.example.org", 11 * day, 90 * day));
	g_assert_null (rtls_delivery_domain_warning (rows, "example.org", 101 * day, 90 * day));
	g_assert_null (rtls_delivery_domain_warning (rows, NULL, 11 * day, 90 * day));
	/* a delivery confirmed later to that domain clears it */
	ok = send_entry (12 * day, "rtls-aaaaaaaabbbbbbbbcccccccc",
	                 "<rtls-aaaaaaaabbbbbbbbcccccccc@sender.test>", NULL, "delivered");
	ok->recipient = g_strdup ("zoe@example.org");
	g_ptr_array_add (j, ok);
	g_ptr_array_unref (rows);
	rows = rtls_delivery_rows (j);
	g_assert_null (rtls_delivery_domain_warning (rows, "example.org", 13 * day, 90 * day));
}

/* A report whose code says only its class (5.0.0) and whose MTA's words name REQUIRETLS
 * (Postfix: "no server was found that supports REQUIRETLS") is a REQUIRETLS bounce for the
 * composer's domain warning and the advice too, also read back from the journal file. */
static void
test_words_only_domain_warning (void)
{
	g_autoptr (GPtrArray) j = journal ();
	g_autoptr (GPtrArray) back = NULL, rows = NULL;
	const gint64 day = 24 * 3600;
	const RtlsDeliveryRow *w;
	g_autofree gchar *advice = NULL;

	g_ptr_array_add (j, send_entry (9 * day, "rtls-c7000000000000000000f500",
	                                "<rtls-c7000000000000000000f500@sender.test>",
	                                "bob@example.org", "sent"));
	add_dsn (j, "generic-5.0.0-requiretls-words.eml", 10 * day);
	back = roundtrip (j);
	rows = rtls_delivery_rows (back);
	w = rtls_delivery_domain_warning (rows, "example.org", 11 * day, 90 * day);
	g_assert_nonnull (w);
	g_assert_cmpstr (w->status, ==, "5.0.0");
	g_assert_true (w->requiretls);
	advice = rtls_delivery_advice (w);
	g_assert_nonnull (strstr (advice, "does not support REQUIRETLS"));
}

/* Not confirmed, sent again with the person's word, then a bounce about the first copy: the
 * row says the report is about the earlier send; a report about the second says nothing of
 * the kind. */
static void
test_report_about_earlier_send (void)
{
	g_autoptr (GPtrArray) j
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) rows = NULL;
	const char *msgid = "<rtls-c7000000000000000000f500@sender.test>";
	const RtlsDeliveryRow *r;
	g_autofree gchar *advice = NULL;
	RtlsJournalEntry *e;

	g_ptr_array_add (j, send_entry (100, "rtls-c7000000000000000000f500", msgid,
	                                "bob@example.org", "not-confirmed"));
	e = send_entry (110, "rtls-c7000000000000000000f500", msgid, "bob@example.org",
	                "confirmed");
	g_ptr_array_add (j, e);
	g_ptr_array_add (j, send_entry (120, "rtls-c7000000000000000000f501", msgid,
	                                "bob@example.org", "sent"));
	add_dsn (j, "generic-5.0.0-requiretls-words.eml", 200);
	rows = rtls_delivery_rows (j);
	g_assert_cmpuint (rows->len, ==, 1);
	r = g_ptr_array_index (rows, 0);
	g_assert_cmpint (r->state, ==, RTLS_ROW_BOUNCED);
	g_assert_true (r->earlier_send);
	advice = rtls_delivery_advice (r);
	g_assert_true (g_str_has_prefix (advice, "This report is about an earlier send"));
	g_assert_nonnull (strstr (advice, "does not support REQUIRETLS"));

	/* the same report had the second send been the one it is about: no such words */
	g_clear_pointer (&rows, g_ptr_array_unref);
	g_clear_pointer (&advice, g_free);
	g_ptr_array_remove_range (j, 1, j->len - 1);
	g_ptr_array_add (j, send_entry (120, "rtls-c7000000000000000000f500", msgid,
	                                "bob@example.org", "sent"));
	add_dsn (j, "generic-5.0.0-requiretls-words.eml", 200);
	rows = rtls_delivery_rows (j);
	r = g_ptr_array_index (rows, 0);
	g_assert_false (r->earlier_send);
	advice = rtls_delivery_advice (r);
	g_assert_null (strstr (advice, "earlier send"));
}

static void
test_message_id (void)
{
	g_assert_true (rtls_delivery_same_message_id ("<a@b>", "a@b"));
	g_assert_true (rtls_delivery_same_message_id (" <a@b> ", "<a@b>"));
	g_assert_false (rtls_delivery_same_message_id ("<a@b>", "<A@b>"));
	g_assert_false (rtls_delivery_same_message_id ("<>", ""));
	g_assert_false (rtls_delivery_same_message_id (NULL, NULL));
}

/* The report for @file as if its ENVID were of a send of ours (the returned Message-ID
 * agreeing). */
static RtlsBounceMatch
correlate_as_ours (const RtlsDsn *dsn, GPtrArray *j, const RtlsJournalEntry **e)
{
	g_autofree gchar *reason = NULL;

	if (dsn->envid != NULL)
		g_ptr_array_add (j, send_entry (1000, dsn->envid, dsn->orig_message_id,
		                                "bob@example.org", "sent"));
	return rtls_delivery_correlate (dsn, j, e, &reason);
}

/* Class 7: the tag says what really failed. Each report as if it were about a REQUIRETLS
 * message of ours (the journal holds its send); the forged and ambiguous ones as they are. */
static void
test_tags (void)
{
	static const struct {
		const char *file;
		RtlsBounceTag want;
		const char *words;
	} t[] = {
		{ "postfix311-5.7.30.eml", RTLS_TAG_REQUIRETLS_FAILED, "REQUIRETLS failed" },
		{ "postfix311-5.7.10.eml", RTLS_TAG_REQUIRETLS_FAILED, "REQUIRETLS failed" },
		{ "postfix312-5.7.30-noserver.eml", RTLS_TAG_REQUIRETLS_FAILED,
		  "REQUIRETLS failed" },
		{ "generic-5.0.0-requiretls-words.eml", RTLS_TAG_REQUIRETLS_FAILED,
		  "REQUIRETLS failed" },
		{ "exim-5.7.30-remote.eml", RTLS_TAG_REQUIRETLS_FAILED, "REQUIRETLS failed" },
		{ "exim-giveup-4.7.30.eml", RTLS_TAG_REQUIRETLS_FAILED, "REQUIRETLS failed" },
		{ "mox-5.7.10.eml", RTLS_TAG_REQUIRETLS_FAILED, "REQUIRETLS failed" },
		{ "nested-mixed-footer.eml", RTLS_TAG_REQUIRETLS_FAILED, "REQUIRETLS failed" },
		{ "large-status-part.eml", RTLS_TAG_REQUIRETLS_FAILED, "REQUIRETLS failed" },
		{ "postfix311-4.7.30-delayed.eml", RTLS_TAG_REQUIRETLS_DELAYED,
		  "REQUIRETLS delayed" },
		/* other failures of a REQUIRETLS message are not REQUIRETLS's */
		{ "rtls-5.1.1-unknown-user.eml", RTLS_TAG_DELIVERY_FAILED, "Delivery failed" },
		{ "rtls-5.6.7-smtputf8.eml", RTLS_TAG_DELIVERY_FAILED, "Delivery failed" },
		{ "rtls-4.4.1-expired.eml", RTLS_TAG_DELIVERY_FAILED, "Delivery failed" },
		{ "rtls-5.7.99-policy.eml", RTLS_TAG_DELIVERY_FAILED, "Delivery failed" },
		{ "exim-unknown-user.eml", RTLS_TAG_DELIVERY_FAILED, "Delivery failed" },
		{ "postfix-relay-refused.eml", RTLS_TAG_DELIVERY_FAILED, "Delivery failed" },
		/* "5.7.030" is not 5.7.30: a failure, but never a REQUIRETLS one */
		{ "malformed-status-5.7.030.eml", RTLS_TAG_DELIVERY_FAILED, "Delivery failed" },
		{ "rtls-4.4.1-delayed.eml", RTLS_TAG_DELIVERY_DELAYED, "Delivery delayed" },
		/* confirmations */
		{ "rtls-delivered.eml", RTLS_TAG_DELIVERED, "Delivered" },
		{ "rtls-expanded.eml", RTLS_TAG_DELIVERED, "Delivered" },
		{ "rtls-relayed.eml", RTLS_TAG_RELAYED, "Relayed" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (t); i++) {
		g_autoptr (RtlsDsn) dsn = parse (t[i].file);
		g_autoptr (GPtrArray) j
		        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
		const RtlsJournalEntry *e = NULL;
		RtlsBounceMatch m = correlate_as_ours (dsn, j, &e);
		RtlsBounceTag tag;
		if (m != RTLS_BOUNCE_OURS)
			g_error ("%s: not ours (%d)", t[i].file, m);
		tag = rtls_delivery_bounce_tag (dsn, m);
		if (tag != t[i].want)
			g_error ("%s: tag %d \"%s\", want %d \"%s\"", t[i].file, tag,
			         rtls_delivery_tag_name (tag), t[i].want, t[i].words);
		g_assert_cmpstr (rtls_delivery_tag_name (tag), ==, t[i].words);
	}
	/* not ours: no tag; forged or ambiguous: "unverified", never a failure */
	{
		static const struct {
			const char *file;
			RtlsBounceTag want;
		} u[] = {
			{ "postfix-unknown-user.eml", RTLS_TAG_NONE },
			{ "forged-unknown-envid.eml", RTLS_TAG_UNVERIFIED },
			{ "malformed-two-envids.eml", RTLS_TAG_UNVERIFIED },
			{ "malformed-two-envids-reversed.eml", RTLS_TAG_UNVERIFIED },
		};
		g_autoptr (GPtrArray) j = journal ();
		for (gsize i = 0; i < G_N_ELEMENTS (u); i++) {
			g_autoptr (RtlsDsn) dsn = parse (u[i].file);
			const RtlsJournalEntry *e = NULL;
			g_autofree gchar *reason = NULL;
			RtlsBounceMatch m = rtls_delivery_correlate (dsn, j, &e, &reason);
			g_assert_cmpint (rtls_delivery_bounce_tag (dsn, m), ==, u[i].want);
		}
		g_assert_null (rtls_delivery_tag_name (RTLS_TAG_NONE));
		g_assert_cmpstr (rtls_delivery_tag_name (RTLS_TAG_UNVERIFIED), ==,
		                 "REQUIRETLS unverified");
	}
}

/* Two Original-Envelope-Id fields of which none is ours, in a report that says nothing about
 * REQUIRETLS: someone else's bounce, not our business (and no tag). */
static void
test_ambiguous_not_ours (void)
{
	g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "dsn",
	                                                "postfix-unknown-user.eml", NULL);
	g_autofree gchar *data = NULL;
	g_autofree gchar *twice = NULL;
	gsize len = 0;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsDsn) dsn = NULL;
	g_autoptr (GPtrArray) j = journal ();
	const RtlsJournalEntry *e = NULL;
	g_autofree gchar *reason = NULL;
	const char *at;

	g_assert_true (g_file_get_contents (path, &data, &len, NULL));
	at = strstr (data, "Original-Envelope-Id: pf-env-1\n");
	g_assert_nonnull (at);
	twice = g_strdup_printf ("%.*sOriginal-Envelope-Id: pf-env-9\n%s", (int) (at - data), data,
	                         at);
	dsn = rtls_dsn_parse (twice, strlen (twice), &error);
	g_assert_no_error (error);
	g_assert_null (dsn->envid);
	g_assert_cmpuint (g_strv_length (dsn->ambiguous_envids), ==, 2);
	g_assert_cmpint (rtls_delivery_correlate (dsn, j, &e, &reason), ==, RTLS_BOUNCE_NOT_OURS);
	g_assert_null (e);
	g_assert_cmpint (rtls_delivery_bounce_tag (dsn, RTLS_BOUNCE_NOT_OURS), ==, RTLS_TAG_NONE);
}

/* What the delivery window shows for the classes: the journal records a report gives, folded
 * into rows after a round trip through the journal file's lines. */
static void
test_class_rows (void)
{
	static const struct {
		const char *file, *rcpt;
		RtlsRowState state;
		const char *status;  /* NULL: none */
		const char *explain; /* in the explanation */
		const char *advice;  /* in the advice */
	} t[] = {
		{ "exim-giveup-4.7.30.eml", "laterrequiretls@example.net", RTLS_ROW_BOUNCED,
		  "4.7.30",
		  "gave up after: 4.7.30 — a server on the path does not support REQUIRETLS",
		  "does not support REQUIRETLS" },
		{ "malformed-status-5.7.030.eml", "bob@example.org", RTLS_ROW_BOUNCED, NULL,
		  "“5.7.030” is not a valid one", "for the reason above" },
		{ "rtls-4.4.1-expired.eml", "bob@example.org", RTLS_ROW_BOUNCED, "4.4.1",
		  "gave up after: 4.4.1 — the receiving server did not answer",
		  "for the reason above" },
		{ "rtls-5.1.1-unknown-user.eml", "bob@example.org", RTLS_ROW_BOUNCED, "5.1.1",
		  "mailbox does not exist", "Check the address" },
		{ "rtls-delivered.eml", "bob@example.org", RTLS_ROW_DELIVERED, "2.0.0", "delivered",
		  "reported it delivered" },
		{ "rtls-relayed.eml", "bob@example.org", RTLS_ROW_DELIVERED, "2.0.0",
		  "passed on to a system that sends no further reports", "" },
		{ "rtls-expanded.eml", "team@example.org", RTLS_ROW_DELIVERED, "2.0.0",
		  "delivered to a list or alias", "" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (t); i++) {
		g_autoptr (RtlsDsn) dsn = parse (t[i].file);
		g_autoptr (GPtrArray) j
		        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
		g_autoptr (GPtrArray) recs = NULL;
		g_autoptr (GPtrArray) back = NULL;
		g_autoptr (GPtrArray) rows = NULL;
		g_autofree gchar *advice = NULL;
		const RtlsJournalEntry *e = NULL;
		const RtlsDeliveryRow *r;
		RtlsBounceMatch m = correlate_as_ours (dsn, j, &e);

		g_assert_cmpint (m, ==, RTLS_BOUNCE_OURS);
		recs = rtls_delivery_records (dsn, m, e, NULL, "<b@relay.test>", 5000);
		g_assert_cmpuint (recs->len, ==, 1);
		g_ptr_array_add (j, g_steal_pointer (&recs->pdata[0]));
		g_ptr_array_set_size (recs, 0);
		back = roundtrip (j);
		rows = rtls_delivery_rows (back);
		r = find_row (rows, t[i].rcpt, "rtls-");
		if (r == NULL)
			g_error ("%s: no row for %s", t[i].file, t[i].rcpt);
		g_assert_cmpint (r->state, ==, t[i].state);
		g_assert_cmpstr (r->status, ==, t[i].status);
		if (strstr (r->explanation, t[i].explain) == NULL)
			g_error ("%s: explanation \"%s\", want \"%s\" in it", t[i].file,
			         r->explanation, t[i].explain);
		advice = rtls_delivery_advice (r);
		if (strstr (advice, t[i].advice) == NULL)
			g_error ("%s: advice \"%s\", want \"%s\" in it", t[i].file, advice,
			         t[i].advice);
		/* "Refused by" names a server only when one refused: a report of delivery
		 * names the server that delivered it, which refused nothing */
		if (t[i].state == RTLS_ROW_DELIVERED)
			g_assert_null (r->remote_mta);
		/* a report about a message the server accepted: its Sent copy exists */
		g_assert_true (rtls_delivery_state_has_sent_copy (r->state));
		/* a confirmation is never a problem */
		g_assert_cmpint (rtls_delivery_state_is_problem (r->state), ==,
		                 t[i].state == RTLS_ROW_BOUNCED);
	}
}

/* The domain warning after Exim gave up on 4.7.30: REQUIRETLS failed on the way there. */
static void
test_giveup_domain_warning (void)
{
	g_autoptr (GPtrArray) j = journal ();
	g_autoptr (GPtrArray) rows = NULL;

	add_dsn (j, "exim-giveup-4.7.30.eml", 5000);
	add_dsn (j, "malformed-status-5.7.030.eml", 5000);
	rows = rtls_delivery_rows (j);
	g_assert_nonnull (rtls_delivery_domain_warning (rows, "example.net", 5100, 90 * 86400));
	/* "5.7.030" is no REQUIRETLS verdict: no warning for example.org from it */
	g_assert_null (rtls_delivery_domain_warning (rows, "example.org", 5100, 90 * 86400));
}

static RtlsJournalEntry *
dsn_record (const char *bounce_id, const char *envid, const char *rcpt)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);

	e->time = 5000;
	e->bounce_id = g_strdup (bounce_id);
	e->envid = g_strdup (envid);
	e->recipients = g_strdup (rcpt);
	e->result = g_strdup ("dsn-failed");
	return e;
}

/* The same report filtered twice is recorded once; a different report that only shares the
 * bounce's Message-ID (a broken MTA, or a template) is recorded, never dropped. */
static void
test_records_known (void)
{
	g_autoptr (GPtrArray) j
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) same
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) other
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (GPtrArray) none
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);

	g_ptr_array_add (j, dsn_record ("<b1@mx.test>", "rtls-one", "bob@example.net"));
	g_ptr_array_add (same, dsn_record ("b1@mx.test", "rtls-one", "bob@example.net"));
	g_ptr_array_add (other, dsn_record ("<b1@mx.test>", "rtls-two", "erin@example.net"));
	g_assert_true (rtls_delivery_records_known (j, same));
	g_assert_false (rtls_delivery_records_known (j, other));
	g_assert_false (rtls_delivery_records_known (j, none));
	/* no Sent copy for what the server may not have, or surely does not have */
	g_assert_false (rtls_delivery_state_has_sent_copy (RTLS_ROW_NOT_CONFIRMED));
	g_assert_false (rtls_delivery_state_has_sent_copy (RTLS_ROW_SENDING));
	g_assert_false (rtls_delivery_state_has_sent_copy (RTLS_ROW_CANCELLED));
	g_assert_false (rtls_delivery_state_has_sent_copy (RTLS_ROW_FAILED));
	g_assert_false (rtls_delivery_state_has_sent_copy (RTLS_ROW_WAITING));
	g_assert_false (rtls_delivery_state_has_sent_copy (RTLS_ROW_UNVERIFIED));
	g_assert_true (rtls_delivery_state_has_sent_copy (RTLS_ROW_SENT));
	g_assert_true (rtls_delivery_state_has_sent_copy (RTLS_ROW_SENT_DEFAULT));
}

/* Issue 15: a row reads in the language Claws speaks when it is shown, not in the one of the
 * day it was written. The journal holds facts; words are made from them at display time. */
static GPtrArray *
written_in_english (void)
{
	GPtrArray *j = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (RtlsRecord) r = NULL;
	static const char status[]
	        = "result=failed\nexit=69\nerror=RTLS_ERROR_CERT\nstage=tls\nhost=smtp.sender."
	          "test\n"
	          "port=465\ncert-problem=expired\nmessage=TLS certificate of smtp.sender.test "
	          "refused: the certificate has expired (The certificate is NOT trusted. The "
	          "certificate chain uses expired certificate. )\n";
	RtlsJournalEntry *e;

	/* a certificate refusal, as rtls_send.c journals it */
	r = rtls_record_parse (status, sizeof status - 1);
	g_assert_nonnull (r);
	e = send_entry (100, "rtls-aaaa00000000000000000001", "cert@sender.test", "a@x.test",
	                "failed");
	e->explanation = rtls_record_explain (r);
	rtls_attempt_take_facts (e, r);
	g_ptr_array_add (j, e);
	/* cancelled by the person while the server had not greeted */
	e = send_entry (101, "rtls-aaaa00000000000000000002", "cancel@sender.test", "b@x.test",
	                "cancelled");
	e->cause = g_strdup ("cancelled");
	e->stage = g_strdup ("greeting");
	e->explanation = rtls_attempt_cause_words (e->cause, e->stage, NULL);
	g_ptr_array_add (j, e);
	/* an earlier release's refusal: words only */
	e = send_entry (102, "rtls-aaaa00000000000000000003", "old@sender.test", "c@x.test",
	                "failed");
	e->explanation = g_strdup ("Les mots d'une version antérieure.");
	g_ptr_array_add (j, e);
	return j;
}

static const RtlsDeliveryRow *
row_of (GPtrArray *rows, const char *msgid)
{
	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		if (g_strcmp0 (r->message_id, msgid) == 0)
			return r;
	}
	g_error ("no row for %s", msgid);
	return NULL;
}

static void
test_words_at_display_time (void)
{
	g_autoptr (GPtrArray) j = written_in_english ();
	g_autoptr (GPtrArray) back = roundtrip (j);
	g_autoptr (GPtrArray) en = NULL, de = NULL;
	const char *localedir = g_getenv ("RTLS_LOCALEDIR");

	g_unsetenv ("LANGUAGE"); /* it would choose the language before LC_MESSAGES */
	g_autofree gchar *old = g_strdup (setlocale (LC_ALL, NULL));
	const RtlsDeliveryRow *r;

	/* the English words: the certificate said once, in our words, no GnuTLS text */
	en = rtls_delivery_rows (back);
	r = row_of (en, "cert@sender.test");
	g_assert_cmpstr (r->explanation, ==,
	                 "The certificate of smtp.sender.test could not be verified: it has "
	                 "expired. The message was not sent.");
	r = row_of (en, "cancel@sender.test");
	g_assert_cmpstr (r->explanation, ==,
	                 "Sending was cancelled before the message left (while waiting for the "
	                 "server's greeting): it was not sent.");
	g_assert_cmpstr (row_of (en, "old@sender.test")->explanation, ==,
	                 "Les mots d'une version antérieure.");

	/* Claws restarted in German: the same journal lines, German words */
	g_assert_nonnull (localedir);
	if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL)
		g_error ("the de_DE.UTF-8 locale is missing (scripts/setup.sh makes it)");
	bindtextdomain (GETTEXT_PACKAGE, localedir);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	de = rtls_delivery_rows (back);
	r = row_of (de, "cert@sender.test");
	g_assert_true (g_str_has_prefix (r->explanation, "Das Zertifikat von smtp.sender.test"));
	g_assert_nonnull (strstr (r->explanation, "abgelaufen"));
	g_assert_null (strstr (r->explanation, "NOT trusted"));
	r = row_of (de, "cancel@sender.test");
	g_assert_null (strstr (r->explanation, "cancelled"));
	g_assert_nonnull (strstr (r->explanation, "abgebrochen"));
	/* an earlier release stored only words: they stay as written */
	g_assert_cmpstr (row_of (de, "old@sender.test")->explanation, ==,
	                 "Les mots d'une version antérieure.");
	/* an unverified bounce's reason: a code in the journal, words when shown */
	g_assert_null (strstr (rtls_delivery_reason_words ("no-match"), "envelope ID"));
	g_assert_cmpstr (rtls_delivery_reason_words ("words of an earlier release"), ==,
	                 "words of an earlier release");
	setlocale (LC_ALL, old);
	g_assert_cmpstr (rtls_delivery_reason_words ("no-match"), ==,
	                 "its envelope ID matches no message you sent with REQUIRETLS");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/delivery/records-known", test_records_known);
	g_test_add_func ("/delivery/correlate", test_correlate);
	g_test_add_func ("/delivery/rows", test_rows);
	g_test_add_func ("/delivery/order", test_order);
	g_test_add_func ("/delivery/forget", test_forget);
	g_test_add_func ("/delivery/domain-warning", test_domain_warning);
	g_test_add_func ("/delivery/words-only-domain-warning", test_words_only_domain_warning);
	g_test_add_func ("/delivery/report-about-earlier-send", test_report_about_earlier_send);
	g_test_add_func ("/delivery/message-id", test_message_id);
	g_test_add_func ("/delivery/tags", test_tags);
	g_test_add_func ("/delivery/ambiguous-not-ours", test_ambiguous_not_ours);
	g_test_add_func ("/delivery/class-rows", test_class_rows);
	g_test_add_func ("/delivery/giveup-domain-warning", test_giveup_domain_warning);
	g_test_add_func ("/delivery/words-at-display-time", test_words_at_display_time);
	return g_test_run ();
}
