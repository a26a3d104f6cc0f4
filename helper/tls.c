/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * tls.c: GnuTLS client session set-up and certificate verification inside the handshake.
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "tls.h"

struct _RtlsTls {
	int fd;                                /* connected socket, not owned */
	gnutls_session_t session;              /* the client session */
	gnutls_certificate_credentials_t cred; /* the shared trust anchors + verify callback */
	gchar *host;                           /* reference identity */
	gchar **pins;                          /* acceptable SPKI pins, may be NULL */
	GError *verify_error;                  /* why the verify callback refused */
	const char **cert_problem;             /* RtlsTlsConfig.cert_problem */
	gboolean handshake_done;               /* close_notify only after a handshake */
};

gchar *
rtls_tls_spki_sha256 (const gnutls_datum_t *der, GError **error)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t spki = { NULL, 0 };
	guchar digest[32];
	gchar *out = NULL;

	if (gnutls_x509_crt_init (&crt) < 0
	    || gnutls_x509_crt_import (crt, der, GNUTLS_X509_FMT_DER) < 0
	    || gnutls_pubkey_init (&key) < 0 || gnutls_pubkey_import_x509 (key, crt, 0) < 0
	    || gnutls_pubkey_export2 (key, GNUTLS_X509_FMT_DER, &spki) < 0
	    || gnutls_hash_fast (GNUTLS_DIG_SHA256, spki.data, spki.size, digest) < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED,
		             _ ("cannot read the server's public key"));
	} else {
		out = g_base64_encode (digest, sizeof digest);
	}
	gnutls_free (spki.data);
	if (key != NULL)
		gnutls_pubkey_deinit (key);
	if (crt != NULL)
		gnutls_x509_crt_deinit (crt);
	return out;
}

/* Runs inside the handshake (gnutls_certificate_set_verify_function): a refusal here aborts
 * the handshake, so not one byte of SMTP is exchanged with an unverified peer. */
static void
tls_cert_problem (RtlsTls *tls, const char *what)
{
	if (tls->cert_problem != NULL)
		*tls->cert_problem = what;
}

static int
tls_verify_cb (gnutls_session_t session)
{
	RtlsTls *tls = gnutls_session_get_ptr (session);
	unsigned int status = 0;
	gnutls_typed_vdata_st vdata[1];
	const gnutls_datum_t *chain;
	unsigned int chain_len = 0;
	int r;

	/* RFC 7817 3 / RFC 6125: verify the chain and the reference identity. For an IP
	 * literal GnuTLS compares against iPAddress subjectAltNames. */
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *) tls->host;
	vdata[0].size = 0;
	r = gnutls_certificate_verify_peers (session, vdata, 1, &status);
	if (r < 0) {
		g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
		             _ ("cannot verify the certificate of %s: %s"), tls->host,
		             gnutls_strerror (r));
		tls_cert_problem (tls, "error");
		return -1;
	}
	if (status != 0) {
		gnutls_datum_t text = { NULL, 0 };
		const char *why, *what;

		if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
			why = _ ("the certificate is not valid for this host name");
			what = "name";
		} else if (status & GNUTLS_CERT_EXPIRED) {
			why = _ ("the certificate has expired");
			what = "expired";
		} else if (status & GNUTLS_CERT_NOT_ACTIVATED) {
			why = _ ("the certificate is not valid yet");
			what = "not-active";
		} else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
			why = _ ("the certificate is not signed by a trusted authority");
			what = "untrusted";
		} else if (status & GNUTLS_CERT_REVOKED) {
			why = _ ("the certificate has been revoked");
			what = "revoked";
		} else {
			why = _ ("the certificate is not trusted");
			what = "other";
		}
		tls_cert_problem (tls, what);
		gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &text, 0);
		g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
		             _ ("TLS certificate of %s refused: %s (%s)"), tls->host, why,
		             text.data != NULL ? (const char *) text.data : "");
		gnutls_free (text.data);
		return -1;
	}
	if (tls->pins != NULL && tls->pins[0] != NULL) {
		g_autofree gchar *have = NULL;
		gboolean match = FALSE;

		chain = gnutls_certificate_get_peers (session, &chain_len);
		if (chain == NULL || chain_len == 0) {
			g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
			             _ ("%s sent no certificate"), tls->host);
			tls_cert_problem (tls, "none");
			return -1;
		}
		have = rtls_tls_spki_sha256 (&chain[0], &tls->verify_error);
		if (have == NULL) {
			tls_cert_problem (tls, "error");
			return -1;
		}
		for (guint i = 0; tls->pins[i] != NULL; i++)
			match = match || strcmp (tls->pins[i], have) == 0;
		if (!match) {
			g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
			             _ ("the public key of %s (sha256 %s) does not match "
			                "--pin-sha256"),
			             tls->host, have);
			tls_cert_problem (tls, "pin");
			return -1;
		}
	}
	return 0;
}

static gboolean
tls_load_trust (const RtlsTlsConfig *config, gnutls_certificate_credentials_t *cred, GError **error)
{
	int r = gnutls_certificate_allocate_credentials (cred);

	if (r < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "gnutls: %s",
		             gnutls_strerror (r));
		return FALSE;
	}
	if (config->ca_file != NULL) {
		r = gnutls_certificate_set_x509_trust_file (*cred, config->ca_file,
		                                            GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONFIG,
			             _ ("cannot use CA file %s: %s"), config->ca_file,
			             r == 0 ? _ ("no certificate in it") : gnutls_strerror (r));
			return FALSE;
		}
	} else {
		r = gnutls_certificate_set_x509_system_trust (*cred);
		if (r <= 0) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONFIG,
			             _ ("no system CA certificates found (install ca-certificates "
			                "or use --ca-file)"));
			return FALSE;
		}
	}
	return TRUE;
}

/* The trust anchors, loaded once per run (the system store is some 150 certificates) and
 * shared by every session of it: rtls_tls_check_config() loads them before any network
 * activity, the handshake uses the same credentials. */
static gnutls_certificate_credentials_t tls_shared_cred;
static gchar *tls_shared_ca_file; /* what they were loaded from, NULL: the system store */
static gboolean tls_shared_loaded;

static gnutls_certificate_credentials_t
tls_shared_trust (const RtlsTlsConfig *config, GError **error)
{
	gnutls_certificate_credentials_t cred = NULL;

	if (tls_shared_loaded && g_strcmp0 (tls_shared_ca_file, config->ca_file) == 0)
		return tls_shared_cred;
	if (!tls_load_trust (config, &cred, error)) {
		if (cred != NULL)
			gnutls_certificate_free_credentials (cred);
		return NULL;
	}
	rtls_tls_release_trust ();
	gnutls_certificate_set_verify_function (cred, tls_verify_cb);
	tls_shared_cred = cred;
	tls_shared_ca_file = g_strdup (config->ca_file);
	tls_shared_loaded = TRUE;
	return cred;
}

void
rtls_tls_release_trust (void)
{
	if (tls_shared_cred != NULL)
		gnutls_certificate_free_credentials (tls_shared_cred);
	tls_shared_cred = NULL;
	g_clear_pointer (&tls_shared_ca_file, g_free);
	tls_shared_loaded = FALSE;
}

gboolean
rtls_tls_check_config (const RtlsTlsConfig *config, GError **error)
{
	return tls_shared_trust (config, error) != NULL;
}

RtlsTls *
rtls_tls_new (int fd, const RtlsTlsConfig *config, GError **error)
{
	g_autoptr (RtlsTls) tls = g_new0 (RtlsTls, 1);
	const char *err_pos = NULL;
	int r;

	tls->fd = fd;
	tls->host = g_strdup (config->host);
	tls->pins = g_strdupv ((gchar **) config->pins);
	tls->cert_problem = config->cert_problem;

	if ((tls->cred = tls_shared_trust (config, error)) == NULL)
		return NULL;

	r = gnutls_init (&tls->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (r < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "gnutls: %s",
		             gnutls_strerror (r));
		return NULL;
	}
	gnutls_session_set_ptr (tls->session, tls);
	/* The system's defaults, with everything below TLS 1.2 removed (RFC 8996, DESIGN §3). */
	r = gnutls_set_default_priority_append (tls->session, "-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	                                        &err_pos, 0);
	if (r < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "gnutls priority: %s",
		             gnutls_strerror (r));
		return NULL;
	}
	r = gnutls_credentials_set (tls->session, GNUTLS_CRD_CERTIFICATE, tls->cred);
	if (r < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "gnutls: %s",
		             gnutls_strerror (r));
		return NULL;
	}
	/* RFC 6066 3: SNI carries host names only, never IP literals. */
	if (!g_hostname_is_ip_address (config->host))
		gnutls_server_name_set (tls->session, GNUTLS_NAME_DNS, config->host,
		                        strlen (config->host));
	gnutls_transport_set_int (tls->session, fd);
	return g_steal_pointer (&tls);
}

static gboolean
tls_wait (int fd, gboolean want_write, gint64 deadline, GError **error)
{
	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
		struct pollfd pfd = { .fd = fd, .events = want_write ? POLLOUT : POLLIN };
		int r;

		if (left <= 0) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONNECT,
			             _ ("timed out during the TLS handshake"));
			return FALSE;
		}
		r = poll (&pfd, 1, (int) MIN (left, G_MAXINT));
		if (r > 0)
			return TRUE;
		if (r < 0 && errno != EINTR) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONNECT, "poll: %s",
			             g_strerror (errno));
			return FALSE;
		}
	}
}

gboolean
rtls_tls_handshake (RtlsTls *tls, gint64 deadline, GError **error)
{
	gnutls_protocol_t version;
	int r;

	for (;;) {
		r = gnutls_handshake (tls->session);
		if (r == GNUTLS_E_SUCCESS)
			break;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if (!tls_wait (tls->fd, gnutls_record_get_direction (tls->session) == 1,
			               deadline, error))
				return FALSE;
			continue;
		}
		if (!gnutls_error_is_fatal (r))
			continue;
		if (tls->verify_error != NULL) {
			g_propagate_error (error, g_steal_pointer (&tls->verify_error));
			return FALSE;
		}
		if (r == GNUTLS_E_PUSH_ERROR || r == GNUTLS_E_PULL_ERROR
		    || r == GNUTLS_E_PREMATURE_TERMINATION) {
			g_set_error (
			        error, RTLS_ERROR, RTLS_ERROR_TLS,
			        _ ("TLS handshake with %s failed: the connection was closed (%s)"),
			        tls->host, gnutls_strerror (r));
			return FALSE;
		}
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_TLS,
		             _ ("TLS handshake with %s failed: %s"), tls->host,
		             gnutls_strerror (r));
		return FALSE;
	}
	tls->handshake_done = TRUE;
	/* Belt and braces: the priority string already excludes anything older. */
	version = gnutls_protocol_get_version (tls->session);
	if (version != GNUTLS_TLS1_2 && version != GNUTLS_TLS1_3) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_TLS,
		             _ ("%s negotiated %s; TLS 1.2 or newer is required"), tls->host,
		             gnutls_protocol_get_name (version));
		return FALSE;
	}
	return TRUE;
}

gnutls_session_t
rtls_tls_session (RtlsTls *tls)
{
	return tls->session;
}

const char *
rtls_tls_version (RtlsTls *tls)
{
	const char *name = gnutls_protocol_get_name (gnutls_protocol_get_version (tls->session));
	return name != NULL ? name : "";
}

const char *
rtls_tls_cipher (RtlsTls *tls)
{
	const char *name = gnutls_cipher_suite_get_name (gnutls_kx_get (tls->session),
	                                                 gnutls_cipher_get (tls->session),
	                                                 gnutls_mac_get (tls->session));
	if (name == NULL)
		name = gnutls_cipher_get_name (gnutls_cipher_get (tls->session));
	return name != NULL ? name : "";
}

void
rtls_tls_free (RtlsTls *tls)
{
	if (tls == NULL)
		return;
	if (tls->session != NULL) {
		if (tls->handshake_done)
			gnutls_bye (tls->session, GNUTLS_SHUT_WR);
		gnutls_deinit (tls->session);
	}
	/* tls->cred is the run's shared trust (rtls_tls_release_trust). */
	g_clear_error (&tls->verify_error);
	g_strfreev (tls->pins);
	g_free (tls->host);
	g_free (tls);
}
