/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-params.c: the helper's command line and its cross-field validation.
 */
#include "config.h"

#include "errors.h"
#include "params.h"

typedef struct {
	const char *name;
	const char *args; /* space-separated, after argv[0] */
	gboolean ok;
} ParamCase;

static const ParamCase param_cases[] = {
	{ "minimal", "--host=h bob@x", TRUE },
	{ "sendmail-style", "--host=h -t -i -oi -f alice@x", TRUE },
	{ "require", "--host=h --require-tls bob@x", TRUE },
	{ "no-require", "--host=h --no-require-tls bob@x", TRUE },
	{ "both-policies", "--host=h --require-tls --no-require-tls bob@x", FALSE },
	{ "no-host", "bob@x", FALSE },
	{ "no-recipients", "--host=h", FALSE },
	{ "unknown-option", "--host=h --frobnicate bob@x", FALSE },
	{ "bad-port", "--host=h --port=70000 bob@x", FALSE },
	{ "zero-port", "--host=h --port=0 bob@x", FALSE },
	{ "dsn-ok", "--host=h --dsn-notify=failure,delay --dsn-return=hdrs --envid=abc-1.2 bob@x",
	  TRUE },
	{ "dsn-never-alone", "--host=h --dsn-notify=never bob@x", TRUE },
	{ "dsn-never-mixed", "--host=h --dsn-notify=never,failure bob@x", FALSE },
	{ "dsn-bad-notify", "--host=h --dsn-notify=sometimes bob@x", FALSE },
	{ "dsn-bad-return", "--host=h --dsn-return=body bob@x", FALSE },
	{ "envid-too-long",
	  "--host=h "
	  "--envid="
	  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
	  "890123456789X bob@x",
	  FALSE },
	{ "user-without-fd", "--host=h --user=u bob@x", FALSE },
	{ "fd-without-user", "--host=h --password-fd=5 bob@x", FALSE },
	{ "password-on-stdin", "--host=h --user=u --password-fd=0 bob@x", FALSE },
	{ "user-and-fd", "--host=h --user=u --password-fd=5 bob@x", TRUE },
	{ "status-equals-password", "--host=h --user=u --password-fd=5 --status-fd=5 bob@x",
	  FALSE },
	{ "bad-auth", "--host=h --auth=cram bob@x", FALSE },
	{ "pin-ok", "--host=h --pin-sha256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= bob@x",
	  TRUE },
	{ "pin-short", "--host=h --pin-sha256=AAAA bob@x", FALSE },
	{ "pin-not-base64", "--host=h --pin-sha256=not!base64 bob@x", FALSE },
	{ "timeout-zero", "--host=h --timeout=0 bob@x", FALSE },
	{ "helo-control-char", "--host=h --helo=a\001b bob@x", FALSE },
	{ "unsupported-o", "--host=h -oX bob@x", FALSE },
	{ "max-time", "--host=h --max-time=600 bob@x", TRUE },
	{ "max-time-negative", "--host=h --max-time=-1 bob@x", FALSE },
	{ "max-time-huge", "--host=h --max-time=999999999 bob@x", FALSE },
	{ "sendmail-N-R-V", "--host=h -N failure,delay -R hdrs -V env-1 bob@x", TRUE },
	{ "sendmail-N-bad", "--host=h -N sometimes bob@x", FALSE },
	{ "postfix-O-requiretls", "--host=h -O requiretls bob@x", TRUE },
	{ "postfix-O-yes", "--host=h -O requiretls=yes bob@x", TRUE },
	{ "postfix-O-no", "--host=h -O requiretls=no bob@x", TRUE },
	{ "postfix-O-no-vs-require", "--host=h -O requiretls=no --require-tls bob@x", FALSE },
	{ "postfix-O-yes-vs-no-require", "--host=h -O requiretls=yes --no-require-tls bob@x",
	  FALSE },
	{ "postfix-O-unknown", "--host=h -O smtputf8 bob@x", FALSE },
};

static RtlsParams *
parse (const char *args, GError **error)
{
	g_autofree gchar *line = g_strconcat ("requiretls-submit ", args, NULL);
	g_auto (GStrv) argv = g_strsplit (line, " ", -1);

	return rtls_params_parse ((int) g_strv_length (argv), argv, error);
}

static void
test_case (gconstpointer data)
{
	const ParamCase *c = data;
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsParams) p = parse (c->args, &err);

	if (c->ok) {
		g_assert_no_error (err);
		g_assert_nonnull (p);
	} else {
		g_assert_null (p);
		g_assert_error (err, RTLS_ERROR, RTLS_ERROR_USAGE);
	}
}

static void
test_defaults (void)
{
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsParams) p = parse ("--host=mail.example bob@x carol@y", &err);
	g_autoptr (RtlsParams) s = parse ("--host=mail.example --starttls bob@x", &err);
	g_autoptr (RtlsParams) r = parse ("--host=mail.example --require-tls bob@x", &err);
	g_autoptr (RtlsParams) f
	        = parse ("--host=mail.example --require-tls --dsn-return=full bob@x", &err);

	g_assert_no_error (err);
	g_assert_cmpuint (p->port, ==, 465);
	g_assert_false (p->starttls);
	g_assert_cmpuint (p->timeout, ==, 300);
	g_assert_null (p->helo); /* chosen at connect time: FQDN or address literal */
	g_assert_cmpuint (p->max_time, ==, 0);
	g_assert_cmpint (p->tls_policy, ==, RTLS_TLS_POLICY_DEFAULT);
	g_assert_null (p->dsn_return);
	g_assert_cmpuint (g_strv_length (p->recipients), ==, 2);
	g_assert_cmpint (p->password_fd, ==, -1);
	g_assert_cmpint (p->status_fd, ==, -1);
	g_assert_cmpuint (s->port, ==, 587);
	g_assert_true (s->starttls);
	/* RFC 8689 5: REQUIRETLS defaults to RET=HDRS, an explicit choice wins. */
	g_assert_cmpint (r->tls_policy, ==, RTLS_TLS_POLICY_REQUIRE);
	g_assert_cmpstr (r->dsn_return, ==, "HDRS");
	g_assert_cmpstr (f->dsn_return, ==, "FULL");
}

static void
test_sendmail_flags (void)
{
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsParams) p = parse ("--host=h -t -i -oi -f alice@example.org -v", &err);

	g_assert_no_error (err);
	g_assert_true (p->read_recipients);
	g_assert_true (p->verbose);
	g_assert_cmpstr (p->from, ==, "alice@example.org");
	g_assert_true (p->recipients == NULL || p->recipients[0] == NULL);
}

static void
test_dsn_flags (void)
{
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsParams) p = parse ("--host=h --dsn-notify=Failure,DELAY bob@x", &err);

	g_assert_no_error (err);
	g_assert_cmpuint (p->dsn_notify, ==, RTLS_DSN_NOTIFY_FAILURE | RTLS_DSN_NOTIFY_DELAY);
}

/* sendmail -N/-R/-V (Postfix, mutt) and Postfix 3.11's -O requiretls. */
static void
test_sendmail_compat (void)
{
	g_autoptr (GError) err = NULL;
	g_autoptr (RtlsParams) d = parse ("--host=h -N success,failure -R full -V e-1 bob@x", &err);
	g_autoptr (RtlsParams) y = parse ("--host=h -O requiretls=yes bob@x", &err);
	g_autoptr (RtlsParams) b = parse ("--host=h -O REQUIRETLS bob@x", &err);
	g_autoptr (RtlsParams) n = parse ("--host=h -O requiretls=no bob@x", &err);
	g_autoptr (RtlsParams) m = parse ("--host=h --max-time=90 --helo=me.example bob@x", &err);

	g_assert_no_error (err);
	g_assert_cmpuint (d->dsn_notify, ==, RTLS_DSN_NOTIFY_SUCCESS | RTLS_DSN_NOTIFY_FAILURE);
	g_assert_cmpstr (d->dsn_return, ==, "FULL");
	g_assert_cmpstr (d->envid, ==, "e-1");
	g_assert_cmpint (y->tls_policy, ==, RTLS_TLS_POLICY_REQUIRE);
	g_assert_cmpint (b->tls_policy, ==, RTLS_TLS_POLICY_REQUIRE);
	/* "=no" never adds TLS-Required: No */
	g_assert_cmpint (n->tls_policy, ==, RTLS_TLS_POLICY_DEFAULT);
	g_assert_cmpuint (m->max_time, ==, 90);
	g_assert_cmpstr (m->helo, ==, "me.example");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (param_cases); i++) {
		g_autofree gchar *path = g_strdup_printf ("/params/case/%s", param_cases[i].name);
		g_test_add_data_func (path, &param_cases[i], test_case);
	}
	g_test_add_func ("/params/defaults", test_defaults);
	g_test_add_func ("/params/sendmail-flags", test_sendmail_flags);
	g_test_add_func ("/params/dsn-flags", test_dsn_flags);
	g_test_add_func ("/params/sendmail-compat", test_sendmail_compat);
	return g_test_run ();
}
