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
	                           "retry-max-minutes=ten\n"
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
	g_assert_cmpuint (s->rules->len, ==, 1);
	g_assert_cmpuint (problems->len, ==, 5);
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

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/settings/roundtrip", test_roundtrip);
	g_test_add_func ("/settings/broken", test_broken);
	g_test_add_func ("/settings/pins", test_pins);
	return g_test_run ();
}
