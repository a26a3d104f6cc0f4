/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_config.c: the plugin's own settings file (GKeyFile) in Claws' rc dir. Plugin data
 * per account lives here, never in account fields (Claws copies its edited account over the
 * real one on OK). A file that does not parse is reported and ignored, and not overwritten
 * until the person saves the preferences; broken entries are reported and skipped.
 */
#include "config.h"

#include "rtls_plugin.h"

#include <glib/gi18n-lib.h>

#include "log.h"
#include "utils.h"

#include "rtls_rules.h"

static GKeyFile *config;
static RtlsSettings *settings;

gchar *
rtls_rc_path (const char *name)
{
	return g_build_filename (get_rc_dir (), name, NULL);
}

void
rtls_config_load (void)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_CONFIG_FILE);
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);

	rtls_config_unload ();
	config = g_key_file_new ();
	if (!g_key_file_load_from_file (config, path, G_KEY_FILE_KEEP_COMMENTS, &error)
	    && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: cannot read %s (%s); using defaults\n"),
		           path, error->message);
		g_key_file_free (config);
		config = g_key_file_new ();
	}
	settings = rtls_settings_from_keyfile (config, problems);
	for (guint i = 0; i < problems->len; i++)
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: %s: skipped: %s\n"), path,
		           (char *) g_ptr_array_index (problems, i));
}

void
rtls_config_unload (void)
{
	g_clear_pointer (&config, g_key_file_free);
	g_clear_pointer (&settings, rtls_settings_free);
}

static gboolean
config_write (GError **error)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_CONFIG_FILE);
	g_autofree gchar *data = g_key_file_to_data (config, NULL, NULL);

	/* atomic: a crash never leaves half a file */
	return g_file_set_contents_full (
	        path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
	        0600, error);
}

gboolean
rtls_config_save (RtlsSettings *new_settings, GError **error)
{
	rtls_settings_to_keyfile (new_settings, config);
	rtls_settings_free (settings);
	settings = new_settings;
	return config_write (error);
}

const RtlsSettings *
rtls_config_settings (void)
{
	return settings;
}

void
rtls_config_account (gint account_id, RtlsAccountSettings *out)
{
	rtls_account_settings_from_keyfile (config, account_id, out);
}

gboolean
rtls_config_save_account (gint account_id, const RtlsAccountSettings *a, GError **error)
{
	rtls_account_settings_to_keyfile (a, account_id, config);
	return config_write (error);
}

gchar *
rtls_config_helper_path (void)
{
	if (settings != NULL && settings->helper != NULL)
		return g_strdup (settings->helper);
	return g_build_filename (RTLS_BINDIR, "requiretls-submit", NULL);
}

RtlsChoice
rtls_config_default_choice (void)
{
	return settings != NULL ? settings->default_choice : RTLS_CHOICE_DEFAULT;
}

guint
rtls_config_timeout (void)
{
	return settings != NULL ? settings->timeout : 120;
}

const GPtrArray *
rtls_config_rules (void)
{
	return settings != NULL ? settings->rules : NULL;
}

guint
rtls_config_claws_smtp_port (const PrefsAccount *ac)
{
	return ac == NULL                   ? 0
	       : ac->set_smtpport           ? ac->smtpport
	       : ac->ssl_smtp == SSL_TUNNEL ? 465
	                                    : 25;
}
