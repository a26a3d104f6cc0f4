/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-serverwords.c: the delivery window's "Server's words", a Diagnostic-Code without its
 * diagnostic-type (rtls_dsn_server_words () in core/rtls_dsn.c), one case per test,
 * and the same over a real Postfix report of the corpus as the parser reads it.
 */
#include "config.h"

#include <string.h>

#include "rtls_dsn.h"

typedef struct {
	const char *name;
	const char *diag; /* as rtls_dsn_parse () keeps it: unfolded */
	const char *want; /* what the person is shown */
} Case;

/* RFC 3464 §2.3.6: diagnostic-code-field = "Diagnostic-Code" ":" diagnostic-type ";" *text,
 * diagnostic-type = atom (RFC 822 §3.3: no specials, no SPACE, no CTLs). RFC 822 §3.1.4 allows
 * linear-white-space between lexical tokens, so "smtp ; 550" is still the type "smtp"; two
 * words before the ";" are not one atom, so nothing is the type and nothing is removed. */
static const Case cases[] = {
	{ "smtp", "smtp; 550 5.7.30 x", "550 5.7.30 x" },
	{ "smtp-no-blank", "smtp;550 5.7.30 x", "550 5.7.30 x" },
	{ "x-postfix",
	  "X-Postfix; host mx1.example.org[192.0.2.25] said: 550 5.7.30 REQUIRETLS needed",
	  "host mx1.example.org[192.0.2.25] said: 550 5.7.30 REQUIRETLS needed" },
	{ "x-postfix-own-words", "X-Postfix; REQUIRETLS support is required, but was not offered",
	  "REQUIRETLS support is required, but was not offered" },
	{ "case-insensitive-type", "SMTP; 554 5.7.1 refused", "554 5.7.1 refused" },
	{ "no-type", "550 5.7.30 REQUIRETLS needed", "550 5.7.30 REQUIRETLS needed" },
	{ "no-type-colon", "host said: 550 no", "host said: 550 no" },
	/* an empty type is no type: the text is shown as the server wrote it */
	{ "empty-type", "; x", "; x" },
	{ "only-semicolon", ";", ";" },
	/* a type and no text: the server said nothing beyond the type */
	{ "type-no-text", "smtp;", "" },
	{ "type-blank-text", "smtp;   ", "" },
	/* blanks around the atom are linear-white-space between tokens (RFC 822 §3.1.4) */
	{ "blank-before-semicolon", "smtp ; 550 5.7.30 x", "550 5.7.30 x" },
	{ "tab-before-semicolon", "X-Postfix\t;\thost said", "host said" },
	{ "leading-blank", "  smtp; 550 x", "550 x" },
	/* more than one word before the ";" is not an atom: not a type */
	{ "two-words", "host said; 550 x", "host said; 550 x" },
	/* "." is one of RFC 822's specials: "mx.example; …" is not a type */
	{ "dot-not-atom", "mx.example.org; 550 x", "mx.example.org; 550 x" },
	/* a comment before the ";" is not read: kept as written */
	{ "comment", "smtp (relay); 550 x", "smtp (relay); 550 x" },
	/* only the first ";" ends the type; later ones are the server's */
	{ "semicolon-in-text", "smtp; 550 a; b", "550 a; b" },
	{ "empty", "", "" },
	{ "not-ascii-type", "\xc3\xa9t\xc3\xa9; x", "\xc3\xa9t\xc3\xa9; x" },
};

static void
test_case (gconstpointer data)
{
	const Case *c = data;

	g_assert_cmpstr (rtls_dsn_server_words (c->diag), ==, c->want);
}

static void
test_null (void)
{
	g_assert_cmpstr (rtls_dsn_server_words (NULL), ==, "");
}

/* the result points into the text: nothing to free, nothing copied */
static void
test_points_into (void)
{
	const char *d = "smtp; 550 x";

	g_assert_true (rtls_dsn_server_words (d) == d + 6);
	g_assert_true (rtls_dsn_server_words ("; x") != NULL);
}

/* A real Postfix 3.11 REQUIRETLS bounce as the parser reads it: its "X-Postfix;" goes. */
static void
test_corpus_postfix (void)
{
	g_autofree gchar *path
	        = g_test_build_filename (G_TEST_DIST, "data", "dsn", "postfix311-5.7.30.eml", NULL);
	g_autofree gchar *data = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsDsn) dsn = NULL;
	const RtlsDsnRecipient *r;
	gsize len = 0;

	g_assert_true (g_file_get_contents (path, &data, &len, &error));
	g_assert_no_error (error);
	dsn = rtls_dsn_parse (data, len, &error);
	g_assert_no_error (error);
	g_assert_nonnull (dsn);
	r = g_ptr_array_index (dsn->recipients, 0);
	g_assert_true (g_str_has_prefix (r->diagnostic, "X-Postfix;"));
	g_assert_cmpstr (rtls_dsn_server_words (r->diagnostic), ==,
	                 "REQUIRETLS support is required, but was not offered by host "
	                 "mx1.example.org[192.0.2.25]");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *name = g_strdup_printf ("/serverwords/%s", cases[i].name);
		g_test_add_data_func (name, &cases[i], test_case);
	}
	g_test_add_func ("/serverwords/null", test_null);
	g_test_add_func ("/serverwords/points-into", test_points_into);
	g_test_add_func ("/serverwords/corpus-postfix", test_corpus_postfix);
	return g_test_run ();
}
