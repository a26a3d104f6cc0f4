/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * params.c: the helper's command line -> RtlsParams, with cross-field validation.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "params.h"

void
rtls_params_free (RtlsParams *params)
{
	if (params == NULL)
		return;
	g_free (params->host);
	g_free (params->ca_file);
	g_strfreev (params->pins);
	g_free (params->user);
	g_free (params->from);
	g_strfreev (params->recipients);
	g_free (params->dsn_return);
	g_free (params->envid);
	g_free (params->helo);
	g_free (params->status_file);
	g_free (params->connect_address);
	if (params->tlsa != NULL)
		g_ptr_array_unref (params->tlsa);
	g_free (params);
}

typedef struct {
	RtlsParams *params;
	gboolean require_tls;
	gboolean no_require_tls;
	gchar *dsn_notify;
	gchar *dsn_return;
	gchar *auth;
	gint port;
	gint timeout;
	gint max_time;
	gchar **sendmail_big_o;   /* -O name=value (Postfix) */
	gchar *sendmail_o;        /* -oi and friends */
	gboolean ignore_dots;     /* -i, accepted and ignored */
	gboolean o_requiretls_no; /* -O requiretls=no */
} RtlsParseState;

static gboolean
config_parse_dsn_notify (const char *text, guint *out, GError **error)
{
	g_auto (GStrv) words = g_strsplit (text, ",", -1);
	guint flags = 0;

	for (guint i = 0; words[i] != NULL; i++) {
		const char *w = g_strstrip (words[i]);
		if (g_ascii_strcasecmp (w, "never") == 0)
			flags |= RTLS_DSN_NOTIFY_NEVER;
		else if (g_ascii_strcasecmp (w, "success") == 0)
			flags |= RTLS_DSN_NOTIFY_SUCCESS;
		else if (g_ascii_strcasecmp (w, "failure") == 0)
			flags |= RTLS_DSN_NOTIFY_FAILURE;
		else if (g_ascii_strcasecmp (w, "delay") == 0)
			flags |= RTLS_DSN_NOTIFY_DELAY;
		else {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("--dsn-notify: unknown value “%s” (use never, or a list of "
			                "success, failure, delay)"),
			             w);
			return FALSE;
		}
	}
	/* RFC 3461 4.1: NEVER stands alone. */
	if (flags == 0 || ((flags & RTLS_DSN_NOTIFY_NEVER) && flags != RTLS_DSN_NOTIFY_NEVER)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--dsn-notify: “never” cannot be combined with other values"));
		return FALSE;
	}
	*out = flags;
	return TRUE;
}

static gboolean
config_pin_valid (const char *pin)
{
	gsize len = 0;
	g_autofree guchar *raw = NULL;

	if (pin == NULL || *pin == '\0'
	    || strspn (pin, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
	               != strlen (pin))
		return FALSE;
	raw = g_base64_decode (pin, &len);
	return len == 32;
}

/* One word of printable ASCII (what may follow EHLO, RFC 5321 4.1.1.1). */
static gboolean
config_word_valid (const char *w)
{
	if (w == NULL || *w == '\0')
		return FALSE;
	for (; *w; w++)
		if ((guchar) *w <= 32 || (guchar) *w >= 127)
			return FALSE;
	return TRUE;
}

gboolean
rtls_params_validate (RtlsParams *p, GError **error)
{
	if (p->host == NULL || *p->host == '\0') {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("--host is required"));
		return FALSE;
	}
	if (p->port == 0 || p->port > 65535) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("--port must be 1-65535"));
		return FALSE;
	}
	if (!p->show_pin && !p->read_recipients
	    && (p->recipients == NULL || p->recipients[0] == NULL)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("no recipients: give them as arguments or use -t"));
		return FALSE;
	}
	if (p->password_fd >= 0 && p->user == NULL) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("--password-fd needs --user"));
		return FALSE;
	}
	if (p->user != NULL && p->password_fd < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--user needs --password-fd (passwords are never taken from "
		                "the command line or the environment)"));
		return FALSE;
	}
	if (p->password_fd >= 0 && p->password_fd <= 2) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--password-fd must not be 0, 1 or 2 (stdin carries the message)"));
		return FALSE;
	}
	if (p->status_fd >= 0 && p->status_fd <= 2 && p->status_fd != 1 && p->status_fd != 2) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--status-fd must not be 0 (stdin carries the message)"));
		return FALSE;
	}
	if (p->status_fd >= 0 && p->status_fd == p->password_fd) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--status-fd and --password-fd must differ"));
		return FALSE;
	}
	if (p->envid != NULL && !rtls_envid_valid (p->envid)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--envid must be 1 to 100 characters once xtext-encoded "
		                "(RFC 3461 4.4)"));
		return FALSE;
	}
	for (guint i = 0; p->pins != NULL && p->pins[i] != NULL; i++) {
		if (!config_pin_valid (p->pins[i])) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("--pin-sha256: “%s” is not the base64 of a SHA-256 digest"),
			             p->pins[i]);
			return FALSE;
		}
	}
	if (p->timeout == 0 || p->timeout > 3600) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--timeout must be 1-3600 seconds"));
		return FALSE;
	}
	if (p->max_time > 7 * 24 * 3600) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--max-time must be 0 (no limit) to 604800 seconds"));
		return FALSE;
	}
	if (p->helo != NULL && !config_word_valid (p->helo)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("--helo must be one word"));
		return FALSE;
	}
	/* Nothing from the command line may inject SMTP commands (RFC 5321 2.3.8). */
	if ((p->from != NULL && strpbrk (p->from, "\r\n") != NULL)
	    || strpbrk (p->host, "\r\n\t /") != NULL) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("control characters in an address or host name"));
		return FALSE;
	}
	for (guint i = 0; p->recipients != NULL && p->recipients[i] != NULL; i++) {
		if (strpbrk (p->recipients[i], "\r\n") != NULL) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("control characters in a recipient"));
			return FALSE;
		}
	}
	return TRUE;
}

static GOptionEntry *
config_entries (RtlsParseState *st)
{
	RtlsParams *p = st->params;
	GOptionEntry entries[] = {
		{ "host", 0, 0, G_OPTION_ARG_STRING, &p->host, N_ ("Submission server"),
		  N_ ("HOST") },
		{ "port", 0, 0, G_OPTION_ARG_INT, &st->port, N_ ("Port (465; 587 with --starttls)"),
		  N_ ("N") },
		{ "starttls", 0, 0, G_OPTION_ARG_NONE, &p->starttls,
		  N_ ("Plain connect, then mandatory STARTTLS"), NULL },
		{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &p->ca_file,
		  N_ ("Trust these CAs instead of the system store"), N_ ("PEM") },
		{ "pin-sha256", 0, 0, G_OPTION_ARG_STRING_ARRAY, &p->pins,
		  N_ ("Also require this public key (base64 SHA-256 of the SubjectPublicKeyInfo)"),
		  N_ ("B64") },
		{ "user", 0, 0, G_OPTION_ARG_STRING, &p->user, N_ ("AUTH user name"), N_ ("NAME") },
		{ "password-fd", 0, 0, G_OPTION_ARG_INT, &p->password_fd,
		  N_ ("Read the password from this inherited file descriptor"), N_ ("N") },
		{ "auth", 0, 0, G_OPTION_ARG_STRING, &st->auth,
		  N_ ("SASL mechanism: auto, plain or login"), N_ ("MECH") },
		{ "from", 'f', 0, G_OPTION_ARG_STRING, &p->from, N_ ("Envelope sender"),
		  N_ ("ADDR") },
		{ "show-pin", 0, 0, G_OPTION_ARG_NONE, &p->show_pin,
		  N_ ("Send no message: connect, verify TLS, print the server's key pin and "
		      "whether "
		      "it offers REQUIRETLS"),
		  NULL },
		{ "read-recipients", 't', 0, G_OPTION_ARG_NONE, &p->read_recipients,
		  N_ ("Recipients from To/Cc/Bcc; Bcc is removed"), NULL },
		{ "ignore-dots", 'i', 0, G_OPTION_ARG_NONE, &st->ignore_dots,
		  N_ ("Accepted for sendmail compatibility; a lone dot is never special"), NULL },
		{ "require-tls", 0, 0, G_OPTION_ARG_NONE, &st->require_tls,
		  N_ ("RFC 8689 REQUIRETLS: verified TLS on every hop, or no delivery"), NULL },
		{ "no-require-tls", 0, 0, G_OPTION_ARG_NONE, &st->no_require_tls,
		  N_ ("Add “TLS-Required: No” (deliver even where recipient policies demand TLS)"),
		  NULL },
		{ "dsn-notify", 'N', 0, G_OPTION_ARG_STRING, &st->dsn_notify,
		  N_ ("DSN NOTIFY: never, or success,failure,delay"), N_ ("LIST") },
		{ "dsn-return", 'R', 0, G_OPTION_ARG_STRING, &st->dsn_return,
		  N_ ("DSN RET: hdrs or full"), N_ ("WHAT") },
		{ "envid", 'V', 0, G_OPTION_ARG_STRING, &p->envid, N_ ("DSN envelope identifier"),
		  N_ ("ID") },
		{ "status-fd", 0, 0, G_OPTION_ARG_INT, &p->status_fd,
		  N_ ("Write the result record to this file descriptor"), N_ ("N") },
		{ "status-file", 0, 0, G_OPTION_ARG_FILENAME, &p->status_file,
		  N_ ("Also write the result record to this file (replaced atomically; the "
		      "progress before it too)"),
		  N_ ("PATH") },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &p->verbose,
		  N_ ("Protocol transcript on stderr (credentials and body elided)"), NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &st->timeout,
		  N_ ("Seconds for each reply, write or TLS handshake (the whole of it)"),
		  N_ ("S") },
		{ "max-time", 0, 0, G_OPTION_ARG_INT, &st->max_time,
		  N_ ("Seconds for the whole submission (0: no limit)"), N_ ("S") },
		{ "sendmail-option", 'O', 0, G_OPTION_ARG_STRING_ARRAY, &st->sendmail_big_o,
		  N_ ("Postfix sendmail option: requiretls, requiretls=yes or requiretls=no"),
		  N_ ("NAME=VALUE") },
		{ "helo", 0, 0, G_OPTION_ARG_STRING, &p->helo,
		  N_ ("Name sent with EHLO (default: this machine's FQDN, else its address)"),
		  N_ ("NAME") },
		{ "no-chunking", 0, 0, G_OPTION_ARG_NONE, &p->no_chunking,
		  N_ ("Send the message with DATA even when the server offers CHUNKING"), NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &p->show_version, N_ ("Show the version"),
		  NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &p->recipients, NULL,
		  N_ ("RECIPIENT…") },
		{ NULL },
	};
	return g_memdup2 (entries, sizeof entries);
}

static GOptionContext *
config_context (RtlsParseState *st, GOptionEntry **entries_out)
{
	GOptionContext *ctx = g_option_context_new (_ ("< MESSAGE"));
	GOptionEntry *entries = config_entries (st);

	g_option_context_set_summary (
	        ctx, _ ("Submit one message, with RFC 8689 REQUIRETLS on request."));
	g_option_context_set_description (
	        ctx, _ ("requiretls-submit --check --help: whether REQUIRETLS can reach "
	                "recipients, before sending."));
	g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
	g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
	g_option_context_set_help_enabled (ctx, TRUE);
	*entries_out = entries;
	return ctx;
}

RtlsParams *
rtls_params_parse (int argc, char **argv, GError **error)
{
	g_autoptr (RtlsParams) p = g_new0 (RtlsParams, 1);
	RtlsParseState st = { .params = p, .port = -1, .timeout = 300 };
	g_autofree GOptionEntry *entries = NULL;
	g_autoptr (GOptionContext) ctx = NULL;
	g_auto (GStrv) args = NULL;
	g_autoptr (GError) local = NULL;
	gboolean ok;

	p->password_fd = -1;
	p->status_fd = -1;
	ctx = config_context (&st, &entries);
	g_option_context_set_help_enabled (ctx, FALSE);

	/* sendmail's "-oi" means "-i"; GOption would read it as "-o -i". Other "-oX"
	 * options are refused below. */
	args = g_new0 (gchar *, argc + 1);
	for (int i = 0, seen_dashdash = 0; i < argc; i++) {
		seen_dashdash = seen_dashdash || strcmp (argv[i], "--") == 0;
		if (!seen_dashdash && i > 0 && g_str_has_prefix (argv[i], "-o")
		    && argv[i][2] != '\0') {
			if (strcmp (argv[i], "-oi") != 0 && st.sendmail_o == NULL)
				st.sendmail_o = g_strdup (argv[i] + 2);
			args[i] = g_strdup ("-i");
		} else {
			args[i] = g_strdup (argv[i]);
		}
	}
	ok = g_option_context_parse_strv (ctx, &args, &local);
	if (!ok) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, "%s", local->message);
		goto fail;
	}
	if (args != NULL && args[0] != NULL && args[1] != NULL) {
		/* g_option_context_parse_strv leaves unknown positional words; G_OPTION_REMAINING
		 * collected them already, so anything left here is unexpected. */
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("unexpected argument “%s”"),
		             args[1]);
		goto fail;
	}
	if (p->show_version)
		goto done;
	if (st.sendmail_o != NULL) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("unsupported option -o%s"),
		             st.sendmail_o);
		goto fail;
	}
	for (guint i = 0; st.sendmail_big_o != NULL && st.sendmail_big_o[i] != NULL; i++) {
		/* Postfix 3.11 sendmail: "-O requiretls" asks for REQUIRETLS. "=no" asks for
		 * nothing: it never adds "TLS-Required: No" (that weakens the recipients'
		 * MTA-STS and DANE, and takes --no-require-tls). */
		const char *o = st.sendmail_big_o[i];
		if (g_ascii_strcasecmp (o, "requiretls") == 0
		    || g_ascii_strcasecmp (o, "requiretls=yes") == 0) {
			st.require_tls = TRUE;
		} else if (g_ascii_strcasecmp (o, "requiretls=no") == 0) {
			st.o_requiretls_no = TRUE;
		} else {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("unsupported option -O %s"), o);
			goto fail;
		}
	}
	if (st.o_requiretls_no && st.require_tls) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("-O requiretls=no and --require-tls contradict each other"));
		goto fail;
	}
	if (st.require_tls && st.no_require_tls) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--require-tls and --no-require-tls contradict each other"));
		goto fail;
	}
	p->tls_policy = st.require_tls      ? RTLS_TLS_POLICY_REQUIRE
	                : st.no_require_tls ? RTLS_TLS_POLICY_NO_REQUIRE
	                                    : RTLS_TLS_POLICY_DEFAULT;
	if (st.dsn_notify != NULL
	    && !config_parse_dsn_notify (st.dsn_notify, &p->dsn_notify, error))
		goto fail;
	if (st.dsn_return != NULL) {
		if (g_ascii_strcasecmp (st.dsn_return, "hdrs") == 0)
			p->dsn_return = g_strdup ("HDRS");
		else if (g_ascii_strcasecmp (st.dsn_return, "full") == 0)
			p->dsn_return = g_strdup ("FULL");
		else {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("--dsn-return must be hdrs or full"));
			goto fail;
		}
	} else if (p->tls_policy == RTLS_TLS_POLICY_REQUIRE) {
		/* RFC 8689 5: a bounce of a REQUIRETLS message may cross hops without TLS,
		 * so it should carry the headers only. */
		p->dsn_return = g_strdup ("HDRS");
	}
	if (st.auth == NULL || g_ascii_strcasecmp (st.auth, "auto") == 0)
		p->auth_mech = RTLS_AUTH_AUTO;
	else if (g_ascii_strcasecmp (st.auth, "plain") == 0)
		p->auth_mech = RTLS_AUTH_PLAIN;
	else if (g_ascii_strcasecmp (st.auth, "login") == 0)
		p->auth_mech = RTLS_AUTH_LOGIN;
	else {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--auth must be auto, plain or login"));
		goto fail;
	}
	if (st.port != -1 && (st.port < 1 || st.port > 65535)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("--port must be 1-65535"));
		goto fail;
	}
	p->port = st.port != -1 ? (guint) st.port : (p->starttls ? 587 : 465);
	if (st.timeout < 1) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--timeout must be 1-3600 seconds"));
		goto fail;
	}
	p->timeout = (guint) st.timeout;
	if (st.max_time < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--max-time must be 0 (no limit) to 604800 seconds"));
		goto fail;
	}
	p->max_time = (guint) st.max_time;
	if (!rtls_params_validate (p, error))
		goto fail;
done:
	g_strfreev (st.sendmail_big_o);
	g_free (st.dsn_notify);
	g_free (st.dsn_return);
	g_free (st.auth);
	g_free (st.sendmail_o);
	return g_steal_pointer (&p);
fail:
	g_strfreev (st.sendmail_big_o);
	g_free (st.dsn_notify);
	g_free (st.dsn_return);
	g_free (st.auth);
	g_free (st.sendmail_o);
	return NULL;
}

gchar *
rtls_params_help (void)
{
	RtlsParams p = { 0 };
	RtlsParseState st = { .params = &p };
	g_autofree GOptionEntry *entries = NULL;
	g_autoptr (GOptionContext) ctx = config_context (&st, &entries);

	return g_option_context_get_help (ctx, TRUE, NULL);
}
