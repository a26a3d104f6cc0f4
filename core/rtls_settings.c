/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_settings.c: the plugin's settings as data (pure logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_settings.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "errors.h"
#include "rtls_rules.h"

RtlsSettings *
rtls_settings_new (void)
{
	RtlsSettings *s = g_new0 (RtlsSettings, 1);

	s->default_choice = RTLS_CHOICE_DEFAULT;
	s->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_rule_free);
	s->timeout = 120;
	s->retry = TRUE;
	s->retry_first_seconds = 60;
	s->retry_max_minutes = 60;
	return s;
}

void
rtls_settings_free (RtlsSettings *s)
{
	if (s == NULL)
		return;
	g_ptr_array_unref (s->rules);
	g_free (s->helper);
	g_strfreev (s->check_options);
	g_free (s);
}

static gint
get_int (GKeyFile *kf, const char *key, gint def, gint lo, gint hi, GPtrArray *problems)
{
	g_autoptr (GError) error = NULL;
	gint v;

	if (!g_key_file_has_key (kf, "general", key, NULL))
		return def;
	v = g_key_file_get_integer (kf, "general", key, &error);
	if (error != NULL || v < lo || v > hi) {
		if (problems != NULL)
			g_ptr_array_add (problems,
			                 g_strdup_printf (_ ("[general] %s: not a number from "
			                                     "%d to %d"),
			                                  key, lo, hi));
		return def;
	}
	return v;
}

gboolean
rtls_check_option_allowed (const char *arg)
{
	static const char *const names[]
	        = { "--resolver=",    "--trust-anchor=", "--ca-file=",  "--probe-port=",
		    "--policy-port=", "--timeout=",      "--max-time=", "--helo=" };

	for (guint i = 0; i < G_N_ELEMENTS (names); i++)
		if (g_str_has_prefix (arg, names[i]) && arg[strlen (names[i])] != '\0')
			return TRUE;
	return FALSE;
}

RtlsSettings *
rtls_settings_from_keyfile (GKeyFile *kf, GPtrArray *problems)
{
	RtlsSettings *s = rtls_settings_new ();
	g_autofree gchar *def = g_key_file_get_string (kf, "general", "default", NULL);
	g_autofree gchar *helper = g_key_file_get_string (kf, "general", "helper", NULL);

	if (def != NULL && !rtls_choice_from_string (def, &s->default_choice)) {
		s->default_choice = RTLS_CHOICE_DEFAULT;
		if (problems != NULL)
			g_ptr_array_add (problems,
			                 g_strdup (_ ("[general] default: must be default, "
			                              "require or no-require")));
	}
	if (helper != NULL && *helper != '\0')
		s->helper = g_steal_pointer (&helper);
	s->timeout = (guint) get_int (kf, "timeout", 120, 5, 3600, problems);
	s->retry_first_seconds = (guint) get_int (kf, "retry-first-seconds", 60, 1, 3600, problems);
	s->retry_max_minutes = (guint) get_int (kf, "retry-max-minutes", 60, 5, 1440, problems);
	s->history_days = (guint) get_int (kf, "history-days", 0, 0, 36500, problems);
	if (g_key_file_has_key (kf, "general", "retry", NULL)) {
		g_autoptr (GError) error = NULL;
		s->retry = g_key_file_get_boolean (kf, "general", "retry", &error);
		if (error != NULL) {
			s->retry = TRUE;
			if (problems != NULL)
				g_ptr_array_add (
				        problems,
				        g_strdup (_ ("[general] retry: must be true or false")));
		}
	}
	if (g_key_file_has_key (kf, "general", "probe", NULL)) {
		g_autoptr (GError) error = NULL;
		s->probe = g_key_file_get_boolean (kf, "general", "probe", &error);
		if (error != NULL) {
			s->probe = FALSE;
			if (problems != NULL)
				g_ptr_array_add (
				        problems,
				        g_strdup (_ ("[general] probe: must be true or false")));
		}
	}
	{
		/* for testing and special networks: another resolver, trust anchor, CA file,
		 * ports. Only --check's own options, as shell words; anything else is refused */
		g_autofree gchar *opts
		        = g_key_file_get_string (kf, "general", "check-options", NULL);
		gchar **argv = NULL;
		gboolean ok = TRUE;
		if (opts != NULL && *g_strstrip (opts) != '\0') {
			ok = g_shell_parse_argv (opts, NULL, &argv, NULL);
			for (guint i = 0; ok && argv[i] != NULL; i++)
				ok = rtls_check_option_allowed (argv[i]);
			if (!ok) {
				g_clear_pointer (&argv, g_strfreev);
				if (problems != NULL)
					g_ptr_array_add (
					        problems,
					        g_strdup (_ ("[general] check-options: only "
					                     "--resolver, --trust-anchor, "
					                     "--ca-file, --probe-port, "
					                     "--policy-port, --timeout, "
					                     "--max-time and --helo, each "
					                     "with =VALUE")));
			}
			s->check_options = argv;
		}
	}
	g_ptr_array_unref (s->rules);
	s->rules = rtls_rules_load (kf, problems);
	return s;
}

void
rtls_settings_to_keyfile (const RtlsSettings *s, GKeyFile *kf)
{
	g_key_file_set_string (kf, "general", "default", rtls_choice_to_string (s->default_choice));
	if (s->helper != NULL)
		g_key_file_set_string (kf, "general", "helper", s->helper);
	else
		g_key_file_remove_key (kf, "general", "helper", NULL);
	g_key_file_set_integer (kf, "general", "timeout", (gint) s->timeout);
	g_key_file_set_boolean (kf, "general", "retry", s->retry);
	g_key_file_set_integer (kf, "general", "retry-first-seconds",
	                        (gint) s->retry_first_seconds);
	g_key_file_set_integer (kf, "general", "retry-max-minutes", (gint) s->retry_max_minutes);
	g_key_file_set_integer (kf, "general", "history-days", (gint) s->history_days);
	g_key_file_set_boolean (kf, "general", "probe", s->probe);
	if (s->check_options != NULL && s->check_options[0] != NULL) {
		GString *t = g_string_new (NULL);
		for (guint i = 0; s->check_options[i] != NULL; i++) {
			g_autofree gchar *q = g_shell_quote (s->check_options[i]);
			g_string_append_printf (t, "%s%s", i > 0 ? " " : "", q);
		}
		g_key_file_set_string (kf, "general", "check-options", t->str);
		g_string_free (t, TRUE);
	} else {
		g_key_file_remove_key (kf, "general", "check-options", NULL);
	}
	rtls_rules_save (kf, s->rules);
}

void
rtls_account_settings_clear (RtlsAccountSettings *a)
{
	g_clear_pointer (&a->host, g_free);
	g_clear_pointer (&a->ca_file, g_free);
	g_clear_pointer (&a->pin_sha256, g_free);
	a->port = 0;
	a->starttls = FALSE;
	a->allow = TRUE;
}

static gchar *
nonempty (GKeyFile *kf, const char *group, const char *key)
{
	gchar *v = g_key_file_get_string (kf, group, key, NULL);

	if (v != NULL && *g_strstrip (v) == '\0')
		g_clear_pointer (&v, g_free);
	return v;
}

void
rtls_account_settings_from_keyfile (GKeyFile *kf, gint account_id, RtlsAccountSettings *a)
{
	g_autofree gchar *g = g_strdup_printf ("account-%d", account_id);
	gint port;

	rtls_account_settings_clear (a);
	a->host = nonempty (kf, g, "host");
	a->ca_file = nonempty (kf, g, "ca-file");
	a->pin_sha256 = nonempty (kf, g, "pin-sha256");
	port = g_key_file_get_integer (kf, g, "port", NULL);
	a->port = port > 0 && port < 65536 ? (guint) port : 0;
	a->starttls = g_key_file_get_boolean (kf, g, "starttls", NULL);
	if (g_key_file_has_key (kf, g, "allow", NULL))
		a->allow = g_key_file_get_boolean (kf, g, "allow", NULL);
}

void
rtls_account_settings_to_keyfile (const RtlsAccountSettings *a, gint account_id, GKeyFile *kf)
{
	g_autofree gchar *g = g_strdup_printf ("account-%d", account_id);

	g_key_file_remove_group (kf, g, NULL);
	g_key_file_set_boolean (kf, g, "allow", a->allow);
	if (a->host != NULL) {
		g_key_file_set_string (kf, g, "host", a->host);
		if (a->port != 0)
			g_key_file_set_integer (kf, g, "port", (gint) a->port);
		g_key_file_set_boolean (kf, g, "starttls", a->starttls);
	}
	if (a->ca_file != NULL)
		g_key_file_set_string (kf, g, "ca-file", a->ca_file);
	if (a->pin_sha256 != NULL)
		g_key_file_set_string (kf, g, "pin-sha256", a->pin_sha256);
}

gboolean
rtls_pin_valid (const char *pin, GError **error)
{
	gsize n = 0;
	g_autofree guchar *raw = NULL;
	gsize len = pin != NULL ? strlen (pin) : 0;

	/* 32 bytes in base64: 44 characters, one '=' of padding */
	if (len != 44 || pin[43] != '='
	    || strspn (pin, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
	               != 43
	    || (raw = g_base64_decode (pin, &n)) == NULL || n != 32) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("a key pin is the base64 SHA-256 of the server's public key "
		                "(44 characters ending in “=”)"));
		return FALSE;
	}
	return TRUE;
}

RtlsAccountName *
rtls_account_name_new (gint id, const char *name, const char *address)
{
	RtlsAccountName *a = g_new0 (RtlsAccountName, 1);

	a->id = id;
	a->name = g_strdup (name != NULL && *name != '\0' ? name : address);
	a->address = g_strdup (address);
	return a;
}

void
rtls_account_name_free (RtlsAccountName *a)
{
	if (a == NULL)
		return;
	g_free (a->name);
	g_free (a->address);
	g_free (a);
}

static const RtlsAccountName *
account_find (const GPtrArray *accounts, gint id)
{
	for (guint i = 0; accounts != NULL && i < accounts->len; i++) {
		const RtlsAccountName *a = g_ptr_array_index (accounts, i);
		if (a->id == id)
			return a;
	}
	return NULL;
}

gboolean
rtls_account_exists (const GPtrArray *accounts, gint id)
{
	return account_find (accounts, id) != NULL;
}

gchar *
rtls_account_label (const GPtrArray *accounts, gint id)
{
	const RtlsAccountName *a;

	if (id < 0)
		return g_strdup (_ ("Any account"));
	a = account_find (accounts, id);
	if (a == NULL)
		return g_strdup (_ ("an account that no longer exists"));
	for (guint i = 0; i < accounts->len; i++) {
		const RtlsAccountName *b = g_ptr_array_index (accounts, i);
		if (b != a && g_strcmp0 (b->name, a->name) == 0 && a->address != NULL
		    && g_strcmp0 (a->name, a->address) != 0)
			return g_strdup_printf ("%s <%s>", a->name ? a->name : "", a->address);
	}
	return g_strdup (a->name != NULL ? a->name : "");
}

static gboolean
probe_is (const RtlsRecord *r, const char *error)
{
	return r != NULL && g_strcmp0 (r->error, error) == 0;
}

/* A certificate refused for something only its issuer can change (not the trust anchor, the
 * name or the pin the person sets). */
static gboolean
probe_is_for_provider (const RtlsRecord *r)
{
	static const char *const problems[]
	        = { "purpose", "weak", "cn-only", "expired", "revoked" };

	for (gsize i = 0; i < G_N_ELEMENTS (problems); i++)
		if (g_strcmp0 (r->cert_problem, problems[i]) == 0)
			return TRUE;
	return FALSE;
}

gchar *
rtls_probe_explain (const RtlsRecord *r, const char *host, guint port, const char *why,
                    gchar **headline)
{
	const char *detail = r != NULL && r->message != NULL && *r->message != '\0' ? r->message
	                     : why != NULL && *why != '\0'                          ? why
	                                                                            : NULL;
	g_autofree gchar *body = NULL;

	if (r != NULL && r->host != NULL)
		host = r->host;
	if (r != NULL && r->port != 0)
		port = r->port;
	if (host == NULL || *host == '\0')
		host = _ ("the server");

	if (probe_is (r, "RTLS_ERROR_CERT")) {
		*headline
		        = g_strdup_printf (_ ("The certificate of %s could not be verified"), host);
		if (probe_is_for_provider (r))
			/* nothing the person can set here fixes it: the server needs another
			 * certificate */
			/* TRANSLATORS: %s is e.g. "it was not issued for a mail server" */
			body = g_strdup_printf (
			        _ ("The reason: %s. So its key was not read, and no "
			           "message that requires TLS would be sent to it. "
			           "Only the provider can fix this, with a new "
			           "certificate."),
			        rtls_record_cert_words (r->cert_problem));
		else
			body = g_strdup (
			        _ ("So its key was not read, and no message that requires "
			           "TLS would be sent to it. If your provider uses its own "
			           "certificate authority, choose that authority's "
			           "certificate as “Trusted CA file”; otherwise check the "
			           "server name."));
	} else if (probe_is (r, "RTLS_ERROR_TLS")) {
		*headline = g_strdup_printf (_ ("No secure TLS connection could be set up with %s"),
		                             host);
		if (g_strcmp0 (r->tls_problem, "floor") == 0)
			body = g_strdup (
			        _ ("It offers only older TLS settings (it needs TLS 1.3, or "
			           "TLS 1.2 with ECDHE key exchange and AES-GCM or "
			           "ChaCha20-Poly1305, as RFC 9325 recommends). Ask your "
			           "provider to enable them."));
		else
			body = g_strdup_printf (
			        _ ("It does not offer TLS 1.2 or newer on port %u, or "
			           "it expects the other kind of TLS: check the port "
			           "and the STARTTLS setting."),
			        port);
	} else if (probe_is (r, "RTLS_ERROR_UNSUPPORTED")) {
		*headline
		        = g_strdup_printf (_ ("%s does not offer STARTTLS on port %u"), host, port);
		body = g_strdup (_ ("Without TLS no key can be read. Check the port and the "
		                    "STARTTLS setting (port 465 usually needs it off)."));
	} else if (probe_is (r, "RTLS_ERROR_NOHOST")) {
		*headline = g_strdup_printf (_ ("The server name %s was not found"), host);
		body = g_strdup (_ ("Check the spelling of the name and that this computer is "
		                    "online."));
	} else if (probe_is (r, "RTLS_ERROR_CONNECT")) {
		*headline = g_strdup_printf (_ ("%s could not be reached on port %u"), host, port);
		body = g_strdup (_ ("Check the server name and the port, and that this computer "
		                    "is online. You can try again later."));
	} else if (probe_is (r, "RTLS_ERROR_TEMPFAIL")) {
		*headline = g_strdup_printf (_ ("%s is busy right now"), host);
		body = g_strdup (_ ("It asked to be tried again later."));
	} else if (probe_is (r, "RTLS_ERROR_PROTOCOL")) {
		*headline = g_strdup_printf (_ ("%s did not answer as a mail server does"), host);
		body = g_strdup_printf (_ ("Another kind of service may be listening on port %u: "
		                           "check the port and the STARTTLS setting."),
		                        port);
	} else if (probe_is (r, "RTLS_ERROR_CONFIG") || probe_is (r, "RTLS_ERROR_USAGE")) {
		*headline = g_strdup (_ ("These settings cannot be used"));
		body = g_strdup (_ ("Check the trusted CA file and the key pin."));
	} else if (r == NULL) {
		*headline = g_strdup_printf (_ ("The key of %s could not be read"), host);
		body = g_strdup (_ ("The helper program requiretls-submit did not report a result: "
		                    "check “Helper” in Preferences → Plugins → REQUIRETLS."));
	} else {
		*headline = g_strdup_printf (_ ("The key of %s could not be read"), host);
		body = NULL;
	}
	if (detail == NULL)
		return body != NULL ? g_steal_pointer (&body) : g_strdup ("");
	if (body == NULL)
		return g_strdup (detail);
	/* TRANSLATORS: the explanation, then what the helper saw, on its own line */
	return g_strdup_printf (_ ("%s\n\nDetails: %s"), body, detail);
}
