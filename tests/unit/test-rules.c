/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-rules.c: rules for sensitive recipients (plugin/rtls_rules.c), table-driven.
 */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "rtls_rules.h"

static GPtrArray *
rules_from (const char *text)
{
	g_autoptr (GError) error = NULL;
	GPtrArray *r = rtls_rules_parse_text (text, &error);

	g_assert_no_error (error);
	g_assert_nonnull (r);
	return r;
}

static RtlsChoice
decide_fields (GPtrArray *rules, const char *to, gint account, gchar **address)
{
	const char *fields[] = { to, NULL };
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	RtlsVerdict v = { 0 };
	RtlsChoice c;

	rtls_rules_recipients_from_fields (fields, rcpts);
	rtls_rules_decide (rules, rcpts, account, &v);
	c = v.choice;
	if (address != NULL)
		*address = g_steal_pointer (&v.address);
	rtls_verdict_clear (&v);
	return c;
}

static void
test_matching (void)
{
	g_autoptr (GPtrArray) rules = rules_from ("require *.example.gov\n"
	                                          "require example.org\n"
	                                          "require lawyer@firm.example\n"
	                                          "require bücher.example\n");
	static const struct {
		const char *to;
		RtlsChoice want;
	} cases[] = {
		{ "carol@tax.example.gov", RTLS_CHOICE_REQUIRE },
		{ "carol@example.gov", RTLS_CHOICE_REQUIRE },       /* *.x includes x itself */
		{ "carol@a.b.example.gov", RTLS_CHOICE_REQUIRE },   /* any depth */
		{ "CAROL@TAX.EXAMPLE.GOV", RTLS_CHOICE_REQUIRE },   /* case */
		{ "carol@tax.example.gov.", RTLS_CHOICE_REQUIRE },  /* trailing dot */
		{ "x@example.gov.evil.test", RTLS_CHOICE_DEFAULT }, /* look-alike suffix */
		{ "x@notexample.gov", RTLS_CHOICE_DEFAULT },        /* look-alike prefix */
		{ "x@example.org", RTLS_CHOICE_REQUIRE },
		{ "x@sub.example.org", RTLS_CHOICE_DEFAULT }, /* a domain is not its subdomains */
		{ "Lawyer@Firm.Example", RTLS_CHOICE_REQUIRE },
		{ "other@firm.example", RTLS_CHOICE_DEFAULT },
		{ "\"lawyer\"@firm.example", RTLS_CHOICE_DEFAULT }, /* quoted: another spelling */
		{ "a@xn--bcher-kva.example", RTLS_CHOICE_REQUIRE }, /* IDNA: ü as punycode */
		{ "a@BÜCHER.example", RTLS_CHOICE_REQUIRE },
		{ "Team: a@x.test, c@tax.example.gov;", RTLS_CHOICE_REQUIRE }, /* group syntax */
		{ "Carol (tax office) <carol@tax.example.gov>", RTLS_CHOICE_REQUIRE }, /* comment */
		{ "\"Smith, Carol\" <carol@tax.example.gov>",
		  RTLS_CHOICE_REQUIRE },                                     /* comma quoted */
		{ "\"x@example.org\" <y@other.test>", RTLS_CHOICE_DEFAULT }, /* display name */
		{ "", RTLS_CHOICE_DEFAULT },
		{ "not an address", RTLS_CHOICE_DEFAULT },
		{ "a@b@example.org", RTLS_CHOICE_DEFAULT },        /* malformed: not split on '@' */
		{ "<carol@tax.example.gov", RTLS_CHOICE_DEFAULT }, /* malformed */
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_test_message ("case %u: %s", i, cases[i].to);
		g_assert_cmpint (decide_fields (rules, cases[i].to, -1, NULL), ==, cases[i].want);
	}
}

static void
test_precedence (void)
{
	g_autoptr (GPtrArray) rules = rules_from ("no-require partner.example\n"
	                                          "require *.example.gov\n"
	                                          "require bob@partner.example\n"
	                                          "no-require tax.example.gov\n"
	                                          "require acct.example account=2\n"
	                                          "require off.example disabled\n");
	gchar *addr = NULL;

	/* Don't require alone */
	g_assert_cmpint (decide_fields (rules, "x@partner.example", -1, NULL), ==,
	                 RTLS_CHOICE_NO_REQUIRE);
	/* any Require TLS recipient wins over Don't require TLS ones */
	g_assert_cmpint (decide_fields (rules, "x@partner.example, c@tax.example.gov", -1, &addr),
	                 ==, RTLS_CHOICE_REQUIRE);
	g_assert_cmpstr (addr, ==, "c@tax.example.gov");
	g_clear_pointer (&addr, g_free);
	/* per recipient, the first matching rule decides: bob matches no-require first */
	g_assert_cmpint (decide_fields (rules, "bob@partner.example", -1, NULL), ==,
	                 RTLS_CHOICE_NO_REQUIRE);
	/* account scope */
	g_assert_cmpint (decide_fields (rules, "a@acct.example", 1, NULL), ==, RTLS_CHOICE_DEFAULT);
	g_assert_cmpint (decide_fields (rules, "a@acct.example", 2, NULL), ==, RTLS_CHOICE_REQUIRE);
	/* disabled rules do nothing */
	g_assert_cmpint (decide_fields (rules, "a@off.example", -1, NULL), ==, RTLS_CHOICE_DEFAULT);
}

static void
test_invalid_patterns (void)
{
	static const char *const bad[] = {
		"",
		"   ",
		"*",
		"*.",
		"*.*.example",
		"exa mple.org",
		"example..org",
		"-bad.example",
		"bad-.example",
		"a@",
		"@example.org",
		"Alice <alice@example.org>",
		"alice@example.org, bob@example.org",
		"*@example.org",
		"ex*ample.org",
		"a@-bad.example",
		"\"unterminated@example.org",
		"example.or\xc3", /* a UTF-8 sequence cut short at the end */
		"bob@exam\xffple.org",
	};

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (RtlsRule) r
		        = rtls_rule_new (bad[i], FALSE, RTLS_CHOICE_REQUIRE, -1, TRUE, &error);
		/* escaped: the bad bytes would make the TAP line invalid UTF-8 for meson */
		g_autofree gchar *shown = g_strescape (bad[i], NULL);
		g_test_message ("case %u: '%s'", i, shown);
		g_assert_null (r);
		g_assert_error (error, RTLS_ERROR, RTLS_ERROR_USAGE);
		g_assert_true (strlen (error->message) > 10);
	}
	/* a recipient's domain that is not UTF-8 is no domain (before it was checked,
	 * g_hostname_to_ascii read past its end: valgrind saw it on fuzz-rules' corpus, ASan
	 * cannot see into GLib; these only say what the answer is) */
	g_assert_null (rtls_address_normalise ("bob@example.or\xc3", NULL));
	g_assert_null (rtls_address_normalise ("bob@\xe2\x82", NULL));
	{
		g_autoptr (GError) error = NULL;
		g_assert_null (rtls_rule_new ("example.org", FALSE, RTLS_CHOICE_DEFAULT, -1, TRUE,
		                              &error));
		g_assert_error (error, RTLS_ERROR, RTLS_ERROR_USAGE);
	}
	{
		/* the flag makes a plain domain a subdomain rule; shown with "*." */
		g_autoptr (RtlsRule) r
		        = rtls_rule_new ("Example.GOV", TRUE, RTLS_CHOICE_REQUIRE, -1, TRUE, NULL);
		g_autofree gchar *shown = rtls_rule_display_pattern (r);
		g_assert_cmpint (r->kind, ==, RTLS_RULE_SUBDOMAINS);
		g_assert_cmpstr (r->key, ==, "example.gov");
		g_assert_cmpstr (shown, ==, "*.Example.GOV");
	}
}

static void
test_text_roundtrip (void)
{
	static const char text[] = "# an organisation's list\n"
	                           "require *.example.gov\n"
	                           "\n"
	                           "no-require partner.example account=3\n"
	                           "  require   lawyer@firm.example   disabled  \n";
	g_autoptr (GPtrArray) a = rules_from (text);
	g_autofree gchar *out = rtls_rules_format_text (a);
	g_autoptr (GPtrArray) b = rules_from (out);

	g_assert_cmpuint (a->len, ==, 3);
	g_assert_cmpuint (b->len, ==, 3);
	for (guint i = 0; i < a->len; i++) {
		RtlsRule *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);
		g_assert_cmpstr (x->key, ==, y->key);
		g_assert_cmpint (x->kind, ==, y->kind);
		g_assert_cmpint (x->action, ==, y->action);
		g_assert_cmpint (x->account_id, ==, y->account_id);
		g_assert_cmpint (x->enabled, ==, y->enabled);
	}
}

static void
test_text_errors (void)
{
	static const struct {
		const char *text;
		const char *line;
	} cases[] = {
		{ "require example.org\nmaybe example.net\n", "line 2" },
		{ "require\n", "line 1" },
		{ "require example.org account=x\n", "line 1" },
		{ "require example.org sometimes\n", "line 1" },
		{ "\n\nrequire not a domain\n", "line 3" },
		{ "require ex\xff.org\n", "UTF-8" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (GError) error = NULL;
		g_assert_null (rtls_rules_parse_text (cases[i].text, &error));
		g_assert_nonnull (error);
		g_test_message ("case %u: %s", i, error->message);
		g_assert_nonnull (strstr (error->message, cases[i].line));
	}
}

static void
test_keyfile (void)
{
	g_autoptr (GPtrArray) a
	        = rules_from ("require *.example.gov\nno-require p.example account=2\n"
	                      "require l@f.example disabled\n");
	g_autoptr (GKeyFile) kf = g_key_file_new ();
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) b = NULL;
	g_autofree gchar *data = NULL;

	g_key_file_set_string (kf, "general", "default", "default");
	rtls_rules_save (kf, a);
	data = g_key_file_to_data (kf, NULL, NULL);
	g_assert_nonnull (strstr (data, "[general]")); /* other settings survive */
	b = rtls_rules_load (kf, problems);
	g_assert_cmpuint (problems->len, ==, 0);
	g_assert_cmpuint (b->len, ==, 3);
	g_assert_cmpint (((RtlsRule *) b->pdata[0])->kind, ==, RTLS_RULE_SUBDOMAINS);
	g_assert_cmpint (((RtlsRule *) b->pdata[1])->account_id, ==, 2);
	g_assert_false (((RtlsRule *) b->pdata[2])->enabled);
}

static void
test_keyfile_broken (void)
{
	/* hand-edited: shuffled order, a bad pattern, a bad action, a bad flag, junk groups;
	 * the good rules survive, in number order, and each problem is reported */
	static const char text[] = "[rule 10]\npattern=last.example\naction=require\n"
	                           "[rule 2]\npattern=not a domain\naction=require\n"
	                           "[rule 1]\npattern=first.example\naction=no-require\n"
	                           "[rule 3]\npattern=x.example\naction=sometimes\n"
	                           "[rule 4]\npattern=y.example\naction=require\nenabled=perhaps\n"
	                           "[rule x]\npattern=z.example\naction=require\n"
	                           "[rule 5]\naction=require\n"
	                           "[general]\ndefault=require\n";
	g_autoptr (GKeyFile) kf = g_key_file_new ();
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) rules = NULL;

	g_assert_true (g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, NULL));
	rules = rtls_rules_load (kf, problems);
	g_assert_cmpuint (rules->len, ==, 2);
	g_assert_cmpstr (((RtlsRule *) rules->pdata[0])->key, ==, "first.example");
	g_assert_cmpstr (((RtlsRule *) rules->pdata[1])->key, ==, "last.example");
	g_assert_cmpuint (problems->len, ==, 5);
}

static void
test_text_all_errors (void)
{
	/* every bad line is named, with its number; the good lines do not make it through */
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GString) many = g_string_new ("");

	g_assert_null (rtls_rules_parse_text_all ("require a.example\nmaybe b.example\n"
	                                          "require c.example\nrequire not a domain\n",
	                                          problems));
	g_assert_cmpuint (problems->len, ==, 2);
	g_assert_true (g_str_has_prefix (problems->pdata[0], "line 2: "));
	g_assert_true (g_str_has_prefix (problems->pdata[1], "line 4: "));
	g_ptr_array_set_size (problems, 0);
	for (guint i = 0; i < 25; i++)
		g_string_append (many, "require\n");
	g_assert_null (rtls_rules_parse_text_all (many->str, problems));
	g_assert_cmpuint (problems->len, ==, RTLS_RULES_PROBLEMS_MAX + 1);
	g_assert_true (g_str_has_prefix (problems->pdata[19], "line 20: "));
	g_assert_cmpstr (problems->pdata[20], ==, "and 5 more lines");
}

static void
test_import_dedup (void)
{
	g_autoptr (GPtrArray) have
	        = rules_from ("require *.example.gov\nno-require p.example account=2\n"
	                      "require l@f.example disabled\n");
	/* exact duplicates (case and the "*." spelling do not matter) are skipped, also twice in
	 * the file; a different action, account or on/off is another rule */
	g_autoptr (GPtrArray) file = rules_from ("require *.EXAMPLE.gov\n"
	                                         "no-require P.example account=2\n"
	                                         "require p.example account=2\n"
	                                         "no-require p.example\n"
	                                         "require l@f.example\n"
	                                         "require l@f.example disabled\n"
	                                         "require new.example\nrequire new.example\n");
	guint already = 99;
	g_autoptr (GPtrArray) added = rtls_rules_import (have, file, &already);
	g_autofree gchar *summary = rtls_rules_import_summary (added->len, already);

	g_assert_cmpuint (added->len, ==, 4);
	g_assert_cmpuint (already, ==, 4);
	g_assert_cmpstr (((RtlsRule *) added->pdata[0])->pattern, ==, "p.example");
	g_assert_cmpint (((RtlsRule *) added->pdata[0])->action, ==, RTLS_CHOICE_REQUIRE);
	g_assert_cmpint (((RtlsRule *) added->pdata[1])->account_id, ==, -1);
	g_assert_true (((RtlsRule *) added->pdata[2])->enabled);
	g_assert_cmpstr (((RtlsRule *) added->pdata[3])->key, ==, "new.example");
	g_assert_cmpstr (summary, ==, "4 rules added, 4 already there.");
	/* the rules we had are untouched (copies were returned) */
	g_assert_cmpuint (have->len, ==, 3);
	g_assert_cmpuint (file->len, ==, 8);
}

static void
test_import_summary (void)
{
	static const struct {
		guint added, already;
		const char *text;
	} cases[] = {
		{ 3, 2, "3 rules added, 2 already there." },
		{ 1, 1, "1 rule added, 1 already there." },
		{ 1, 0, "1 rule added." },
		{ 5, 0, "5 rules added." },
		{ 0, 1, "Nothing added: 1 rule is already there." },
		{ 0, 4, "Nothing added: all 4 rules are already there." },
		{ 0, 0, "The file holds no rules: nothing was added." },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *t = rtls_rules_import_summary (cases[i].added, cases[i].already);
		g_assert_cmpstr (t, ==, cases[i].text);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/rules/matching", test_matching);
	g_test_add_func ("/rules/precedence", test_precedence);
	g_test_add_func ("/rules/invalid-patterns", test_invalid_patterns);
	g_test_add_func ("/rules/text-roundtrip", test_text_roundtrip);
	g_test_add_func ("/rules/text-errors", test_text_errors);
	g_test_add_func ("/rules/text-all-errors", test_text_all_errors);
	g_test_add_func ("/rules/import-dedup", test_import_dedup);
	g_test_add_func ("/rules/import-summary", test_import_summary);
	g_test_add_func ("/rules/keyfile", test_keyfile);
	g_test_add_func ("/rules/keyfile-broken", test_keyfile_broken);
	return g_test_run ();
}
