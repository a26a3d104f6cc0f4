/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_record.c: the helper's status record, read back (pure logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_record.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "codec.h"

#define RECORD_VALUE_MAX 1000

void
rtls_record_free (RtlsRecord *r)
{
	if (r == NULL)
		return;
	g_free (r->result);
	g_free (r->error);
	g_free (r->stage);
	g_free (r->host);
	g_free (r->tls_version);
	g_free (r->enhanced);
	g_free (r->server_text);
	g_free (r->cert_problem);
	g_free (r->tls_problem);
	g_free (r->message_id);
	g_free (r->message);
	if (r->rcpts != NULL)
		g_ptr_array_unref (r->rcpts);
	g_free (r);
}

static guint
parse_uint (const char *v, guint max)
{
	gchar *end = NULL;
	guint64 n = g_ascii_strtoull (v, &end, 10);

	return (end != v && *end == '\0' && n <= max) ? (guint) n : 0;
}

RtlsRecord *
rtls_record_parse (const char *text, gsize len)
{
	g_autoptr (RtlsRecord) r = g_new0 (RtlsRecord, 1);
	const char *p = text, *end = text + len;

	r->exit_code = -1;
	r->rcpts = g_ptr_array_new_with_free_func (g_free);
	while (p < end) {
		const char *nl = memchr (p, '\n', end - p);
		const char *eol = nl != NULL ? nl : end;
		const char *eq = memchr (p, '=', eol - p);

		if (eq != NULL) {
			g_autofree gchar *key = g_strndup (p, eq - p);
			gchar *value = rtls_sanitize (eq + 1, eol - eq - 1, RECORD_VALUE_MAX);
			gchar **slot = NULL;

			if (strcmp (key, "result") == 0)
				slot = &r->result;
			else if (strcmp (key, "error") == 0)
				slot = &r->error;
			else if (strcmp (key, "stage") == 0)
				slot = &r->stage;
			else if (strcmp (key, "host") == 0)
				slot = &r->host;
			else if (strcmp (key, "tls-version") == 0)
				slot = &r->tls_version;
			else if (strcmp (key, "enhanced-code") == 0)
				slot = &r->enhanced;
			else if (strcmp (key, "server-text") == 0)
				slot = &r->server_text;
			else if (strcmp (key, "cert-problem") == 0)
				slot = &r->cert_problem;
			else if (strcmp (key, "tls-problem") == 0)
				slot = &r->tls_problem;
			else if (strcmp (key, "message-id") == 0)
				slot = &r->message_id;
			else if (strcmp (key, "message") == 0)
				slot = &r->message;
			else if (strcmp (key, "exit") == 0)
				r->exit_code = (gint) parse_uint (value, 255);
			else if (strcmp (key, "port") == 0)
				r->port = parse_uint (value, 65535);
			else if (strcmp (key, "smtp-code") == 0)
				r->smtp_code = parse_uint (value, 599);
			else if (strcmp (key, "requiretls") == 0)
				r->requiretls = strcmp (value, "yes") == 0;
			else if (strcmp (key, "rcpt") == 0 && r->rcpts->len < 10000) {
				g_ptr_array_add (r->rcpts, value);
				value = NULL;
			}
			if (slot != NULL) {
				g_free (*slot);
				*slot = value;
				value = NULL;
			}
			g_free (value);
		}
		p = eol + 1;
	}
	if (r->result == NULL
	    || (strcmp (r->result, "sent") != 0 && strcmp (r->result, "failed") != 0
	        && strcmp (r->result, "not-confirmed") != 0))
		return NULL;
	return g_steal_pointer (&r);
}

RtlsOutcomeKind
rtls_record_outcome (const RtlsRecord *r)
{
	if (strcmp (r->result, "sent") == 0 && r->exit_code == 0)
		return RTLS_OUTCOME_SENT;
	if (strcmp (r->result, "not-confirmed") == 0)
		return RTLS_OUTCOME_NOT_CONFIRMED;
	switch (r->exit_code) {
	case 75: /* EX_TEMPFAIL */
	case 68: /* EX_NOHOST: DNS may come back */
		return RTLS_OUTCOME_TEMPORARY;
	case 69: /* EX_UNAVAILABLE */
	case 76: /* EX_PROTOCOL */
	case 77: /* EX_NOPERM */
		return RTLS_OUTCOME_PERMANENT;
	default:
		return RTLS_OUTCOME_LOCAL;
	}
}

static gboolean
is (const char *a, const char *b)
{
	return a != NULL && strcmp (a, b) == 0;
}

const char *
rtls_record_cert_words (const char *cert_problem)
{
	static const struct {
		const char *name, *words;
	} t[] = {
		{ "name", N_ ("it is made out for another host name") },
		{ "expired", N_ ("it has expired") },
		{ "not-active", N_ ("it is not valid yet") },
		{ "untrusted", N_ ("it is not signed by an authority this account trusts") },
		{ "revoked", N_ ("it has been revoked") },
		{ "pin", N_ ("its public key is not the one pinned for this account") },
		{ "purpose", N_ ("it was not issued for a mail server") },
		{ "weak", N_ ("its key or signature is too weak (RSA below 2048 bits, or an "
		              "elliptic curve below 256)") },
		{ "cn-only", N_ ("it names the server only in an outdated field (the Common Name), "
		                 "which is no longer accepted") },
		{ "none", N_ ("the server sent none") },
		/* GnuTLS's own words for these go to the network log, not to the person */
		{ "other", N_ ("it is not trusted (Claws' network log has GnuTLS's reason)") },
		{ "error", N_ ("it could not be checked (Claws' network log has the reason)") },
	};

	for (gsize i = 0; cert_problem != NULL && i < G_N_ELEMENTS (t); i++)
		if (strcmp (cert_problem, t[i].name) == 0)
			return _ (t[i].words);
	return NULL;
}

gchar *
rtls_record_explain (const RtlsRecord *r)
{
	const char *host = r->host != NULL ? r->host : _ ("the server");
	const char *detail = r->message != NULL ? r->message : "";

	if (rtls_record_outcome (r) == RTLS_OUTCOME_SENT)
		return g_strdup_printf (
		        _ ("%s accepted the message with REQUIRETLS (%s). TLS is now "
		           "requested on every further hop; a server that cannot "
		           "comply returns the message."),
		        host, r->tls_version != NULL ? r->tls_version : "TLS");
	if (is (r->result, "not-confirmed"))
		return g_strdup_printf (
		        _ ("The whole message was transmitted to %s, but no reply "
		           "confirmed it (the server did not answer in time, or the "
		           "connection was lost). It may or may not have been accepted: "
		           "check before sending it again."),
		        host);
	if (is (r->error, "RTLS_ERROR_UNSUPPORTED") && is (r->enhanced, "5.7.30"))
		return g_strdup_printf (
		        _ ("%s does not support REQUIRETLS (5.7.30): the message was "
		           "not sent."),
		        host);
	if (is (r->error, "RTLS_ERROR_UNSUPPORTED"))
		return g_strdup_printf (
		        _ ("%s does not offer TLS (STARTTLS, 5.7.10): the message was "
		           "not sent."),
		        host);
	if (is (r->error, "RTLS_ERROR_CERT") && rtls_record_cert_words (r->cert_problem) != NULL)
		/* the fact in our words, once; GnuTLS's own text (in the helper's message) goes
		 * to the log, where it is a detail, not a second explanation (issue 15) */
		/* TRANSLATORS: the second %s is e.g. "it has expired" */
		return g_strdup_printf (_ ("The certificate of %s could not be verified: %s. "
		                           "The message was not sent."),
		                        host, rtls_record_cert_words (r->cert_problem));
	if (is (r->error, "RTLS_ERROR_CERT"))
		return g_strdup_printf (_ ("The certificate of %s could not be verified, so the "
		                           "message was not sent. %s"),
		                        host, detail);
	if (is (r->error, "RTLS_ERROR_TLS") && is (r->tls_problem, "floor"))
		return g_strdup_printf (_ ("%s offers no TLS connection that is secure enough "
		                           "(TLS 1.3, or TLS 1.2 with ECDHE key exchange and "
		                           "AES-GCM or ChaCha20-Poly1305, as RFC 9325 "
		                           "recommends): the message was not sent. Ask your "
		                           "provider to enable them."),
		                        host);
	if (is (r->error, "RTLS_ERROR_TLS"))
		return g_strdup_printf (
		        _ ("No secure TLS connection (TLS 1.2 or newer) could be set up "
		           "with %s: the message was not sent. %s"),
		        host, detail);
	if (is (r->error, "RTLS_ERROR_AUTH"))
		return g_strdup_printf (
		        _ ("%s refused the user name or password: the message was not "
		           "sent. %s"),
		        host, detail);
	if (is (r->error, "RTLS_ERROR_NOHOST") || is (r->error, "RTLS_ERROR_CONNECT"))
		return g_strdup_printf (
		        _ ("%s could not be reached: the message was not sent. You can "
		           "keep it queued and try again later. %s"),
		        host, detail);
	if (is (r->error, "RTLS_ERROR_TEMPFAIL"))
		return g_strdup_printf (
		        _ ("%s cannot take the message right now (%s %s): it was not "
		           "sent. You can keep it queued and try again later."),
		        host, r->enhanced != NULL ? r->enhanced : "4xx",
		        r->server_text != NULL ? r->server_text : "");
	if (is (r->error, "RTLS_ERROR_REJECTED"))
		return g_strdup_printf (_ ("%s refused the message (%s %s): it was not sent."),
		                        host, r->enhanced != NULL ? r->enhanced : "5xx",
		                        r->server_text != NULL ? r->server_text : "");
	if (is (r->error, "RTLS_ERROR_PROTOCOL"))
		return g_strdup_printf (
		        _ ("%s did not follow the SMTP protocol: the message was not "
		           "sent. %s"),
		        host, detail);
	return g_strdup_printf (_ ("The message was not sent: %s"),
	                        *detail != '\0' ? detail : _ ("unknown error"));
}
