/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-settings.c: libFuzzer target for the plugin's settings file (a key file a person may
 * edit by hand): the global settings, each account's settings and key pins; what is read
 * must be written back and read again to the same values.
 */
#include "config.h"

#include <string.h>

#include "rtls_settings.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	GKeyFile *kf = g_key_file_new ();
	GPtrArray *problems = g_ptr_array_new_with_free_func (g_free);
	gchar *text = g_strndup ((const char *) data, size);
	GError *error = NULL;

	(void) rtls_pin_valid (text, &error);
	g_clear_error (&error);
	if (g_key_file_load_from_data (kf, text, strlen (text), G_KEY_FILE_NONE, NULL)) {
		RtlsSettings *s = rtls_settings_from_keyfile (kf, problems);
		for (gint id = 0; id < 4; id++) {
			RtlsAccountSettings a = { 0 }, b = { 0 };
			GKeyFile *out = g_key_file_new ();
			rtls_account_settings_from_keyfile (kf, id, &a);
			rtls_account_settings_to_keyfile (&a, id, out);
			rtls_account_settings_from_keyfile (out, id, &b);
			/* port and starttls mean something only with a host (and are kept only
			 * then) */
			if (a.allow != b.allow
			    || (a.host != NULL && (a.port != b.port || a.starttls != b.starttls))
			    || g_strcmp0 (a.host, b.host) != 0
			    || g_strcmp0 (a.ca_file, b.ca_file) != 0
			    || g_strcmp0 (a.pin_sha256, b.pin_sha256) != 0)
				__builtin_trap ();
			rtls_account_settings_clear (&a);
			rtls_account_settings_clear (&b);
			g_key_file_free (out);
		}
		if (s != NULL) {
			GKeyFile *out = g_key_file_new ();
			rtls_settings_to_keyfile (s, out);
			g_key_file_free (out);
			rtls_settings_free (s);
		}
	}
	g_ptr_array_unref (problems);
	g_key_file_free (kf);
	g_free (text);
	return 0;
}
