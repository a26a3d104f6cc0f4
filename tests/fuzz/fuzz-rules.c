/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-rules.c: libFuzzer target for the rules a person imports (text, one rule a line) or
 * that come back from the plugin's key file, and the recipient fields they are matched
 * against. Imported rules must survive a format/parse round trip.
 */
#include "config.h"

#include <string.h>

#include "rtls_rules.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	gchar *text = g_strndup ((const char *) data, size);
	GError *error = NULL;
	GPtrArray *rules = rtls_rules_parse_text (text, &error);
	GKeyFile *kf = g_key_file_new ();
	const char *fields[] = { text, NULL };
	GPtrArray *rcpts = g_ptr_array_new_with_free_func (g_free);

	g_clear_error (&error);
	rtls_rules_recipients_from_fields (fields, rcpts);
	if (rules != NULL) {
		gchar *again = rtls_rules_format_text (rules);
		GPtrArray *back = rtls_rules_parse_text (again, &error);
		RtlsVerdict v = { 0 };

		if (back == NULL || back->len != rules->len)
			__builtin_trap ();
		rtls_rules_decide (rules, rcpts, -1, &v);
		rtls_verdict_clear (&v);
		g_ptr_array_unref (back);
		g_free (again);
		g_ptr_array_unref (rules);
	}
	g_clear_error (&error);
	for (guint i = 0; i < rcpts->len; i++) {
		const char *domain = NULL;
		gchar *n = rtls_address_normalise (g_ptr_array_index (rcpts, i), &domain);
		g_free (n);
	}
	if (g_key_file_load_from_data (kf, text, (gsize) strlen (text), G_KEY_FILE_NONE, NULL)) {
		GPtrArray *problems = g_ptr_array_new_with_free_func (g_free);
		GPtrArray *loaded = rtls_rules_load (kf, problems);
		if (loaded != NULL)
			g_ptr_array_unref (loaded);
		g_ptr_array_unref (problems);
	}
	g_ptr_array_unref (rcpts);
	g_key_file_free (kf);
	g_free (text);
	return 0;
}
