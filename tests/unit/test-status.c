/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-status.c: the --status-fd record (format documented in requiretls-submit(1)).
 */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "status.h"

static GHashTable *
record_parse (const char *record, GPtrArray *rcpts)
{
	GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_auto (GStrv) lines = g_strsplit (record, "\n", -1);

	g_assert_true (g_str_has_suffix (record, "\n"));
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *eq;
		if (lines[i][0] == '\0')
			continue;
		eq = strchr (lines[i], '=');
		g_assert_nonnull (eq);
		if (g_str_has_prefix (lines[i], "rcpt="))
			g_ptr_array_add (rcpts, g_strdup (eq + 1));
		else
			g_hash_table_insert (h, g_strndup (lines[i], eq - lines[i]),
			                     g_strdup (eq + 1));
	}
	return h;
}

static RtlsParams *
params_new (void)
{
	RtlsParams *p = g_new0 (RtlsParams, 1);
	p->host = g_strdup ("mail.example");
	p->port = 465;
	p->tls_policy = RTLS_TLS_POLICY_REQUIRE;
	p->envid = g_strdup ("env-1");
	return p;
}

static void
test_sent (void)
{
	g_autoptr (RtlsParams) p = params_new ();
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	RtlsOutcome out;
	RtlsRcptResult *r = g_new0 (RtlsRcptResult, 1);
	g_autofree gchar *rec = NULL;
	g_autoptr (GHashTable) h = NULL;

	rtls_outcome_init (&out);
	out.stage = RTLS_STAGE_DONE;
	out.smtp_code = 250;
	g_strlcpy (out.enhanced, "2.0.0", sizeof out.enhanced);
	out.server_text = g_strdup ("queued as X");
	out.requiretls_sent = TRUE;
	out.tls_version = g_strdup ("TLS1.3");
	out.size_sent = 1234;
	r->address = g_strdup ("bob@example.net");
	r->code = 250;
	g_strlcpy (r->enhanced, "2.1.5", sizeof r->enhanced);
	g_ptr_array_add (out.rcpts, r);

	rec = rtls_status_format (p, &out, "<id@x>", NULL);
	h = record_parse (rec, rcpts);
	g_assert_cmpstr (g_hash_table_lookup (h, "result"), ==, "sent");
	g_assert_cmpstr (g_hash_table_lookup (h, "exit"), ==, "0");
	g_assert_cmpstr (g_hash_table_lookup (h, "exit-name"), ==, "EX_OK");
	g_assert_null (g_hash_table_lookup (h, "error"));
	g_assert_cmpstr (g_hash_table_lookup (h, "stage"), ==, "done");
	g_assert_cmpstr (g_hash_table_lookup (h, "requiretls"), ==, "yes");
	g_assert_cmpstr (g_hash_table_lookup (h, "tls-required-no"), ==, "no");
	g_assert_cmpstr (g_hash_table_lookup (h, "tls-version"), ==, "TLS1.3");
	g_assert_cmpstr (g_hash_table_lookup (h, "smtp-code"), ==, "250");
	g_assert_cmpstr (g_hash_table_lookup (h, "enhanced-code"), ==, "2.0.0");
	g_assert_cmpstr (g_hash_table_lookup (h, "size"), ==, "1234");
	g_assert_cmpstr (g_hash_table_lookup (h, "envid"), ==, "env-1");
	g_assert_cmpstr (g_hash_table_lookup (h, "message-id"), ==, "<id@x>");
	g_assert_cmpuint (rcpts->len, ==, 1);
	g_assert_cmpstr (g_ptr_array_index (rcpts, 0), ==, "250 2.1.5 bob@example.net");
	rtls_outcome_clear (&out);
}

static void
test_failed_sanitised (void)
{
	g_autoptr (RtlsParams) p = params_new ();
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) err = g_error_new_literal (RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
	                                              "no REQUIRETLS\ninjected=1");
	RtlsOutcome out;
	g_autofree gchar *rec = NULL;
	g_autoptr (GHashTable) h = NULL;

	rtls_outcome_init (&out);
	out.stage = RTLS_STAGE_EHLO;
	g_strlcpy (out.enhanced, "5.7.30", sizeof out.enhanced);
	out.server_text = g_strdup ("evil\r\nresult=sent\x1b[31m");
	rec = rtls_status_format (p, &out, NULL, err);
	h = record_parse (rec, rcpts);
	/* Server text and messages can never forge a key: one line each. */
	g_assert_cmpstr (g_hash_table_lookup (h, "result"), ==, "failed");
	g_assert_null (g_hash_table_lookup (h, "injected"));
	g_assert_cmpstr (g_hash_table_lookup (h, "exit"), ==, "69");
	g_assert_cmpstr (g_hash_table_lookup (h, "error"), ==, "RTLS_ERROR_UNSUPPORTED");
	g_assert_cmpstr (g_hash_table_lookup (h, "stage"), ==, "ehlo");
	g_assert_cmpstr (g_hash_table_lookup (h, "enhanced-code"), ==, "5.7.30");
	g_assert_cmpstr (g_hash_table_lookup (h, "requiretls"), ==, "no");
	g_assert_null (strchr (g_hash_table_lookup (h, "server-text"), '\x1b'));
	rtls_outcome_clear (&out);
}

static void
test_not_confirmed (void)
{
	g_autoptr (RtlsParams) p = params_new ();
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) err = g_error_new_literal (RTLS_ERROR, RTLS_ERROR_NOT_CONFIRMED, "lost");
	g_autofree gchar *rec = rtls_status_format (p, NULL, NULL, err);
	g_autoptr (GHashTable) h = record_parse (rec, rcpts);

	g_assert_cmpstr (g_hash_table_lookup (h, "result"), ==, "not-confirmed");
	g_assert_cmpstr (g_hash_table_lookup (h, "exit"), ==, "75");
	g_assert_null (g_hash_table_lookup (h, "stage"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/status/sent", test_sent);
	g_test_add_func ("/status/failed-sanitised", test_failed_sanitised);
	g_test_add_func ("/status/not-confirmed", test_not_confirmed);
	return g_test_run ();
}
