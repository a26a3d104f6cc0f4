/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-settings.c: the plugin's settings file (plugin/rtls_settings.c): round trip, broken
 * hand edits, per-account data, key pins.
 */
#include "config.h"

#include <string.h>

#include "rtls_rules.h"
#include "rtls_settings.h"

static void
test_roundtrip (void)
{
	g_autoptr (RtlsSettings) a = rtls_settings_new ();
	g_autoptr (GKeyFile) kf = g_key_file_new ();
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (RtlsSettings) b = NULL;
	RtlsAccountSettings acc = { 0 }, back = { 0 };

	a->default_choice = RTLS_CHOICE_REQUIRE;
	a->helper = g_strdup ("/opt/bin/requiretls-submit");
	a->timeout = 45;
	a->retry = FALSE;
	a->retry_max_minutes = 240;
	a->retry_first_seconds = 5;
	g_ptr_array_add (a->rules, rtls_rule_new ("*.example.gov", FALSE, RTLS_CHOICE_REQUIRE, -1,
	                                          TRUE, NULL));
	rtls_settings_to_keyfile (a, kf);
	acc.allow = FALSE;
	acc.host = g_strdup ("submit.example.org");
	acc.port = 465;
	acc.ca_file = g_strdup ("/etc/ssl/ca.pem");
	acc.pin_sha256 = g_strdup ("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	rtls_account_settings_to_keyfile (&acc, 3, kf);

	b = rtls_settings_from_keyfile (kf, problems);
	g_assert_cmpuint (problems->len, ==, 0);
	g_assert_cmpint (b->default_choice, ==, RTLS_CHOICE_REQUIRE);
	g_assert_cmpstr (b->helper, ==, "/opt/bin/requiretls-submit");
	g_assert_cmpuint (b->timeout, ==, 45);
	g_assert_false (b->retry);
	g_assert_cmpuint (b->retry_max_minutes, ==, 240);
	g_assert_cmpuint (b->retry_first_seconds, ==, 5);
	g_assert_cmpuint (b->rules->len, ==, 1);
	rtls_account_settings_from_keyfile (kf, 3, &back);
	g_assert_false (back.allow);
	g_assert_cmpstr (back.host, ==, "submit.example.org");
	g_assert_cmpuint (back.port, ==, 465);
	g_assert_false (back.starttls);
	g_assert_cmpstr (back.ca_file, ==, "/etc/ssl/ca.pem");
	g_assert_cmpstr (back.pin_sha256, ==, acc.pin_sha256);
	/* an account never configured: allowed, the account's own server, no pin */
	rtls_account_settings_from_keyfile (kf, 9, &back);
	g_assert_true (back.allow);
	g_assert_null (back.host);
	g_assert_null (back.pin_sha256);
	rtls_account_settings_clear (&acc);
	rtls_account_settings_clear (&back);
}

static void
test_broken (void)
{
	static const char text[] = "[general]\ndefault=sometimes\ntimeout=-4\nretry=perhaps\n"
	                           "retry-max-minutes=ten\nretry-first-seconds=0\n"
	                           "[rule 1]\npattern=ok.example\naction=require\n"
	                           "[rule 2]\npattern=\naction=require\n";
	g_autoptr (GKeyFile) kf = g_key_file_new ();
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (RtlsSettings) s = NULL;

	g_assert_true (g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, NULL));
	s = rtls_settings_from_keyfile (kf, problems);
	/* every broken value falls back to its default, and is reported; good rules survive */
	g_assert_cmpint (s->default_choice, ==, RTLS_CHOICE_DEFAULT);
	g_assert_cmpuint (s->timeout, ==, 120);
	g_assert_true (s->retry);
	g_assert_cmpuint (s->retry_max_minutes, ==, 60);
	g_assert_cmpuint (s->retry_first_seconds, ==, 60);
	g_assert_cmpuint (s->rules->len, ==, 1);
	g_assert_cmpuint (problems->len, ==, 6);
}

/* Readiness (issue 22): the probe is off by default and kept; check-options holds only
 * --check's own options, as shell words, kept through a save. */
static void
test_readiness_settings (void)
{
	g_autoptr (GKeyFile) kf = g_key_file_new ();
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (RtlsSettings) s = rtls_settings_from_keyfile (kf, problems);
	g_autoptr (RtlsSettings) back = NULL;

	g_assert_false (s->probe);
	g_assert_null (s->check_options);
	g_clear_pointer (&s, rtls_settings_free);
	g_assert_true (g_key_file_load_from_data (
	        kf,
	        "[general]\nprobe=true\ncheck-options=--resolver=127.0.0.1@5353 "
	        "'--trust-anchor=/tmp/a b/ta.key' --ca-file=/tmp/ca.pem --timeout=2\n",
	        -1, G_KEY_FILE_NONE, NULL));
	s = rtls_settings_from_keyfile (kf, problems);
	g_assert_cmpuint (problems->len, ==, 0);
	g_assert_true (s->probe);
	g_assert_cmpuint (g_strv_length (s->check_options), ==, 4);
	g_assert_cmpstr (s->check_options[1], ==, "--trust-anchor=/tmp/a b/ta.key");
	g_key_file_free (g_steal_pointer (&kf));
	kf = g_key_file_new ();
	rtls_settings_to_keyfile (s, kf);
	back = rtls_settings_from_keyfile (kf, problems);
	g_assert_true (back->probe);
	g_assert_cmpuint (g_strv_length (back->check_options), ==, 4);
	g_assert_cmpstr (back->check_options[1], ==, "--trust-anchor=/tmp/a b/ta.key");
	/* anything but --check's options is refused, whole */
	static const char *const bad[]
	        = { "--probe", "--host=x", "-v", "--resolver=", "x", "--ca-file=/a 'unclosed" };
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr (RtlsSettings) b = NULL;
		g_autofree gchar *v = g_strdup_printf ("--timeout=2 %s", bad[i]);
		g_key_file_set_string (kf, "general", "check-options", v);
		g_ptr_array_set_size (problems, 0);
		b = rtls_settings_from_keyfile (kf, problems);
		g_assert_null (b->check_options);
		g_assert_cmpuint (problems->len, ==, 1);
	}
	g_key_file_set_string (kf, "general", "probe", "maybe");
	g_clear_pointer (&back, rtls_settings_free);
	g_ptr_array_set_size (problems, 0);
	back = rtls_settings_from_keyfile (kf, problems);
	g_assert_false (back->probe);
	g_assert_cmpuint (problems->len, ==, 2);
}

static void
test_pins (void)
{
	static const struct {
		const char *pin;
		gboolean ok;
	} cases[] = {
		{ "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", TRUE },
		{ "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", FALSE },  /* no padding */
		{ "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==", FALSE }, /* 31 bytes */
		{ "47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", FALSE }, /* base64url */
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", FALSE },
		{ "", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (GError) error = NULL;
		g_test_message ("case %u", i);
		g_assert_cmpint (rtls_pin_valid (cases[i].pin, &error), ==, cases[i].ok);
		g_assert_true (cases[i].ok == (error == NULL));
	}
}

static void
test_account_labels (void)
{
	g_autoptr (GPtrArray) acc
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_account_name_free);
	g_autofree gchar *any = NULL, *work = NULL, *gone = NULL, *p1 = NULL, *p2 = NULL,
	                 *bare = NULL;

	g_ptr_array_add (acc, rtls_account_name_new (1, "Work", "alice@work.example"));
	g_ptr_array_add (acc, rtls_account_name_new (2, "Private", "alice@home.example"));
	g_ptr_array_add (acc, rtls_account_name_new (3, "Private", "alice@club.example"));
	g_ptr_array_add (acc, rtls_account_name_new (4, "", "bare@example.org"));
	any = rtls_account_label (acc, -1);
	work = rtls_account_label (acc, 1);
	p1 = rtls_account_label (acc, 2);
	p2 = rtls_account_label (acc, 3);
	bare = rtls_account_label (acc, 4);
	gone = rtls_account_label (acc, 7);
	g_assert_cmpstr (any, ==, "Any account");
	g_assert_cmpstr (work, ==, "Work");
	/* two accounts of one name: told apart by the address, never by the id */
	g_assert_cmpstr (p1, ==, "Private <alice@home.example>");
	g_assert_cmpstr (p2, ==, "Private <alice@club.example>");
	g_assert_cmpstr (bare, ==, "bare@example.org");
	g_assert_cmpstr (gone, ==, "an account that no longer exists");
	g_assert_null (strchr (gone, '7'));
	g_assert_true (rtls_account_exists (acc, 3));
	g_assert_false (rtls_account_exists (acc, 7));
	g_assert_false (rtls_account_exists (NULL, 1));
}

static void
test_probe_explain (void)
{
	static const struct {
		const char *record; /* NULL: the helper gave none */
		const char *headline;
		const char *body_has;
	} cases[] = {
		{ "result=failed\nexit=69\nexit-name=EX_UNAVAILABLE\nerror=RTLS_ERROR_CERT\n"
		  "stage=tls\nhost=smtp.example.org\nport=465\nmessage=TLS certificate of "
		  "smtp.example.org refused: the certificate is not signed by a trusted "
		  "authority\n",
		  "The certificate of smtp.example.org could not be verified", "Trusted CA file" },
		/* issue 18: a certificate only its issuer can fix says why, and who can fix it */
		{ "result=failed\nexit=69\nexit-name=EX_UNAVAILABLE\nerror=RTLS_ERROR_CERT\n"
		  "stage=tls\nhost=smtp.example.org\nport=465\ncert-problem=purpose\n",
		  "The certificate of smtp.example.org could not be verified",
		  "The reason: it was not issued for a mail server. So its key was not read" },
		{ "result=failed\nexit=69\nexit-name=EX_UNAVAILABLE\nerror=RTLS_ERROR_CERT\n"
		  "host=smtp.example.org\nport=465\ncert-problem=weak\n",
		  "The certificate of smtp.example.org could not be verified",
		  "RSA below 2048 bits" },
		{ "result=failed\nexit=69\nexit-name=EX_UNAVAILABLE\nerror=RTLS_ERROR_CERT\n"
		  "host=smtp.example.org\nport=465\ncert-problem=cn-only\n",
		  "The certificate of smtp.example.org could not be verified", "Common Name" },
		{ "result=failed\nexit=76\nexit-name=EX_PROTOCOL\nerror=RTLS_ERROR_TLS\n"
		  "host=m.example\nport=465\ntls-problem=floor\n",
		  "No secure TLS connection could be set up with m.example",
		  "Ask your provider to enable them" },
		{ "result=failed\nexit=75\nexit-name=EX_TEMPFAIL\nerror=RTLS_ERROR_CONNECT\n"
		  "stage=connect\nhost=127.0.0.1\nport=1\nmessage=cannot connect to 127.0.0.1 "
		  "port 1: Connection refused\n",
		  "127.0.0.1 could not be reached on port 1", "Connection refused" },
		{ "result=failed\nexit=68\nexit-name=EX_NOHOST\nerror=RTLS_ERROR_NOHOST\n"
		  "host=x.invalid\nport=465\nmessage=cannot resolve x.invalid\n",
		  "The server name x.invalid was not found", "spelling" },
		{ "result=failed\nexit=76\nexit-name=EX_PROTOCOL\nerror=RTLS_ERROR_TLS\n"
		  "host=m.example\nport=587\n",
		  "No secure TLS connection could be set up with m.example", "port 587" },
		{ "result=failed\nexit=69\nexit-name=EX_UNAVAILABLE\nerror=RTLS_ERROR_UNSUPPORTED\n"
		  "host=m.example\nport=25\n",
		  "m.example does not offer STARTTLS on port 25", "STARTTLS setting" },
		{ "result=failed\nexit=76\nexit-name=EX_PROTOCOL\nerror=RTLS_ERROR_PROTOCOL\n"
		  "host=m.example\nport=443\n",
		  "m.example did not answer as a mail server does", "port 443" },
		{ "result=failed\nexit=78\nexit-name=EX_CONFIG\nerror=RTLS_ERROR_CONFIG\n"
		  "message=cannot read /nope.pem\n",
		  "These settings cannot be used", "/nope.pem" },
		{ "result=failed\nexit=70\nexit-name=EX_SOFTWARE\nerror=RTLS_ERROR_FAILED\n",
		  "The key of asked.example could not be read", "" },
		{ NULL, "The key of asked.example could not be read", "no such file" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (RtlsRecord) r
		        = cases[i].record != NULL
		                  ? rtls_record_parse (cases[i].record, strlen (cases[i].record))
		                  : NULL;
		g_autofree gchar *headline = NULL;
		g_autofree gchar *body
		        = rtls_probe_explain (r, "asked.example", 465, "no such file", &headline);

		g_test_message ("case %u: %s / %s", i, headline, body);
		g_assert_true (cases[i].record == NULL || r != NULL);
		g_assert_cmpstr (headline, ==, cases[i].headline);
		g_assert_nonnull (strstr (body, cases[i].body_has));
		/* codes go to the log, never to the person */
		g_assert_null (strstr (body, "RTLS_"));
		g_assert_null (strstr (body, "EX_"));
		g_assert_null (strstr (body, "exit"));
		g_assert_null (strstr (headline, "RTLS_"));
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/settings/roundtrip", test_roundtrip);
	g_test_add_func ("/settings/broken", test_broken);
	g_test_add_func ("/settings/pins", test_pins);
	g_test_add_func ("/settings/readiness", test_readiness_settings);
	g_test_add_func ("/settings/account-labels", test_account_labels);
	g_test_add_func ("/settings/probe-explain", test_probe_explain);
	return g_test_run ();
}
