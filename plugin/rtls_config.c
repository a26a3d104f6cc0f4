/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_config.c: the plugin's own settings file (GKeyFile) in Claws' rc dir. Plugin data
 * per account lives here, never in account fields (Claws copies its edited account over the
 * real one on OK). A file that does not parse is reported once and ignored, never rewritten.
 */
#include "config.h"

#include "rtls_plugin.h"

#include <glib/gi18n-lib.h>

#include "log.h"
#include "utils.h"

#include "rtls_rules.h"

static GKeyFile *config;
static GPtrArray *rules;

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

	rtls_config_unload ();
	config = g_key_file_new ();
	if (!g_key_file_load_from_file (config, path, G_KEY_FILE_NONE, &error)
	    && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: cannot read %s (%s); using defaults\n"),
		           path, error->message);
		g_key_file_free (config);
		config = g_key_file_new ();
	}
	{
		g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
		rules = rtls_rules_load (config, problems);
		/* a hand-edited file: say what was skipped, keep every other rule */
		for (guint i = 0; i < problems->len; i++)
			log_error (LOG_PROTOCOL, _ ("REQUIRETLS: %s: rule skipped: %s\n"), path,
			           (char *) g_ptr_array_index (problems, i));
	}
}

const GPtrArray *
rtls_config_rules (void)
{
	return rules;
}

void
rtls_config_unload (void)
{
	g_clear_pointer (&config, g_key_file_free);
	g_clear_pointer (&rules, g_ptr_array_unref);
}

gchar *
rtls_config_helper_path (void)
{
	gchar *p = config ? g_key_file_get_string (config, "general", "helper", NULL) : NULL;

	if (p != NULL && *p != '\0')
		return p;
	g_free (p);
	return g_build_filename (RTLS_BINDIR, "requiretls-submit", NULL);
}

RtlsChoice
rtls_config_default_choice (void)
{
	g_autofree gchar *s
	        = config ? g_key_file_get_string (config, "general", "default", NULL) : NULL;
	RtlsChoice c = RTLS_CHOICE_DEFAULT;

	if (s != NULL && !rtls_choice_from_string (s, &c))
		c = RTLS_CHOICE_DEFAULT;
	return c;
}

guint
rtls_config_timeout (void)
{
	gint t = config ? g_key_file_get_integer (config, "general", "timeout", NULL) : 0;

	return t >= 5 && t <= 3600 ? (guint) t : 120;
}

gchar *
rtls_config_account_string (gint account_id, const char *key)
{
	g_autofree gchar *group = g_strdup_printf ("account-%d", account_id);
	gchar *v = config ? g_key_file_get_string (config, group, key, NULL) : NULL;

	if (v != NULL && *v == '\0')
		g_clear_pointer (&v, g_free);
	return v;
}
