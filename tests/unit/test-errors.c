/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-errors.c: the one error -> exit status mapping (DESIGN §3, the man page's table).
 */
#include "config.h"

#include "errors.h"

typedef struct {
	int code;
	int exit_code;
	const char *exit_name;
} ExitCase;

static const ExitCase exit_cases[] = {
	{ RTLS_ERROR_FAILED, 70, "EX_SOFTWARE" },
	{ RTLS_ERROR_USAGE, 64, "EX_USAGE" },
	{ RTLS_ERROR_MESSAGE, 65, "EX_DATAERR" },
	{ RTLS_ERROR_IO, 74, "EX_IOERR" },
	{ RTLS_ERROR_CONFIG, 78, "EX_CONFIG" },
	{ RTLS_ERROR_NOHOST, 68, "EX_NOHOST" },
	{ RTLS_ERROR_CONNECT, 75, "EX_TEMPFAIL" },
	{ RTLS_ERROR_TLS, 76, "EX_PROTOCOL" },
	{ RTLS_ERROR_CERT, 69, "EX_UNAVAILABLE" },
	{ RTLS_ERROR_PROTOCOL, 76, "EX_PROTOCOL" },
	{ RTLS_ERROR_UNSUPPORTED, 69, "EX_UNAVAILABLE" },
	{ RTLS_ERROR_AUTH, 77, "EX_NOPERM" },
	{ RTLS_ERROR_TEMPFAIL, 75, "EX_TEMPFAIL" },
	{ RTLS_ERROR_REJECTED, 69, "EX_UNAVAILABLE" },
	{ RTLS_ERROR_NOT_CONFIRMED, 75, "EX_TEMPFAIL" },
};

static void
test_exit_code (gconstpointer data)
{
	const ExitCase *c = data;
	g_autoptr (GError) err = g_error_new_literal (RTLS_ERROR, c->code, "x");

	g_assert_cmpint (rtls_error_to_exit_code (err), ==, c->exit_code);
	g_assert_cmpstr (rtls_exit_code_name (c->exit_code), ==, c->exit_name);
	g_assert_true (g_str_has_prefix (rtls_error_code_name (c->code), "RTLS_ERROR_"));
}

static void
test_success_and_foreign (void)
{
	g_autoptr (GError) foreign = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_FAILED, "x");
	g_autoptr (GError) out_of_range = g_error_new_literal (RTLS_ERROR, RTLS_ERROR_LAST, "x");

	g_assert_cmpint (rtls_error_to_exit_code (NULL), ==, 0);
	g_assert_cmpstr (rtls_exit_code_name (0), ==, "EX_OK");
	g_assert_cmpint (rtls_error_to_exit_code (foreign), ==, 70);
	g_assert_cmpint (rtls_error_to_exit_code (out_of_range), ==, 70);
	g_assert_cmpstr (rtls_error_code_name (-1), ==, "RTLS_ERROR_FAILED");
}

static void
test_every_code_covered (void)
{
	/* A new error code must be added to the table above (and to the man page). */
	g_assert_cmpuint (G_N_ELEMENTS (exit_cases), ==, RTLS_ERROR_LAST);
	for (int i = 0; i < RTLS_ERROR_LAST; i++)
		g_assert_cmpstr (rtls_error_code_name (i), !=,
		                 rtls_error_code_name (i == 0 ? 1 : 0));
}

/* G_DEFINE_QUARK stringifies its first argument: a reformatted one names the quark wrongly. */
static void
test_quark_name (void)
{
	g_assert_cmpstr (g_quark_to_string (RTLS_ERROR), ==, "rtls-error-quark");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (exit_cases); i++) {
		g_autofree gchar *path = g_strdup_printf (
		        "/errors/exit/%s", rtls_error_code_name (exit_cases[i].code));
		g_test_add_data_func (path, &exit_cases[i], test_exit_code);
	}
	g_test_add_func ("/errors/success-and-foreign", test_success_and_foreign);
	g_test_add_func ("/errors/every-code-covered", test_every_code_covered);
	g_test_add_func ("/errors/quark-name", test_quark_name);
	return g_test_run ();
}
