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
#include <gnutls/x509-ext.h>
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
	const char **tls_problem;              /* RtlsTlsConfig.tls_problem */
	GPtrArray *tlsa;                       /* RtlsTlsa*: verify by DANE, or NULL */
	gboolean handshake_done;               /* close_notify only after a handshake */
};

/* The floor of every session, appended to the system's defaults (which may only take more
 * away), following RFC 9325 (BCP 195), as RFC 8314 4.1 asks of a mail client:
 * - TLS 1.3, or TLS 1.2 (RFC 8996: nothing older; RFC 9325 3.1.1);
 * - in TLS 1.2, ECDHE key exchange only (forward secrecy, RFC 9325 4.1: no static RSA, and
 *   no finite-field DHE) with AEAD ciphers only (AES-GCM, ChaCha20-Poly1305; RFC 9325 4.2:
 *   no CBC, so no SHA-1 MAC either);
 * - no SHA-1 in handshake signatures (RFC 9155);
 * - %PROFILE_MEDIUM: every key and signature of the chain of at least 112-bit strength
 *   (RSA 2 048 bits, elliptic curves 256), checked in the verification (RFC 9325 4.5).
 * The man page says the same to the person: keep both in step. */
#define RTLS_TLS_FLOOR                                                                             \
	"-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"                                                     \
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"                                                         \
	"-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"                                \
	"-MAC-ALL:+AEAD:"                                                                          \
	"-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1:"                                          \
	"%PROFILE_MEDIUM"

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

/* RFC 9525 6.3 (and RFC 7817 3, which already prefers the subjectAltName): the reference
 * identity is matched against the subjectAltName only, never the subject's Common Name.
 * GnuTLS falls back to the CN when the leaf has no dNSName, so a leaf that passed its name
 * check without an identifier of the reference identity's type passed it on the CN. CAs
 * have had to put every name into the subjectAltName since 2012 (CA/Browser Forum Baseline
 * Requirements 7.1.4.2): such a certificate comes only from an old or private authority. */
static gboolean
tls_leaf_has_san (const gnutls_datum_t *der, gboolean ip_literal)
{
	unsigned int want = ip_literal ? GNUTLS_SAN_IPADDRESS : GNUTLS_SAN_DNSNAME;
	gnutls_x509_crt_t crt = NULL;
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t ext = { NULL, 0 };
	gboolean found = FALSE;

	if (gnutls_x509_crt_init (&crt) >= 0
	    && gnutls_x509_crt_import (crt, der, GNUTLS_X509_FMT_DER) >= 0
	    && gnutls_x509_crt_get_extension_by_oid2 (crt, "2.5.29.17", 0, &ext, NULL) >= 0
	    && gnutls_subject_alt_names_init (&sans) >= 0
	    && gnutls_x509_ext_import_subject_alt_names (&ext, sans, 0) >= 0) {
		unsigned int type = 0;
		gnutls_datum_t name;

		for (unsigned int i = 0;
		     !found && gnutls_subject_alt_names_get (sans, i, &type, &name, NULL) >= 0; i++)
			found = type == want;
	}
	if (sans != NULL)
		gnutls_subject_alt_names_deinit (sans);
	gnutls_free (ext.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit (crt);
	return found;
}

void
rtls_tlsa_free (RtlsTlsa *tlsa)
{
	if (tlsa == NULL)
		return;
	g_bytes_unref (tlsa->data);
	g_free (tlsa);
}

/* Does @der match the TLSA record (RFC 6698 2.1.2, 2.1.3)? */
static gboolean
tls_tlsa_matches (const RtlsTlsa *t, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t spki = { NULL, 0 };
	const guchar *what;
	gsize what_len, want_len = 0;
	const guchar *want = g_bytes_get_data (t->data, &want_len);
	guchar digest[64];
	gboolean match = FALSE;

	if (t->selector == 0) {
		what = der->data;
		what_len = der->size;
	} else {
		if (gnutls_x509_crt_init (&crt) < 0
		    || gnutls_x509_crt_import (crt, der, GNUTLS_X509_FMT_DER) < 0
		    || gnutls_pubkey_init (&key) < 0 || gnutls_pubkey_import_x509 (key, crt, 0) < 0
		    || gnutls_pubkey_export2 (key, GNUTLS_X509_FMT_DER, &spki) < 0)
			goto out;
		what = spki.data;
		what_len = spki.size;
	}
	if (t->mtype == 0) {
		match = what_len == want_len && memcmp (what, want, want_len) == 0;
	} else if (t->mtype == 1 || t->mtype == 2) {
		gnutls_digest_algorithm_t alg
		        = t->mtype == 1 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512;
		gsize dlen = t->mtype == 1 ? 32 : 64;
		match = want_len == dlen && gnutls_hash_fast (alg, what, what_len, digest) >= 0
		        && memcmp (digest, want, dlen) == 0;
	}
out:
	gnutls_free (spki.data);
	if (key != NULL)
		gnutls_pubkey_deinit (key);
	if (crt != NULL)
		gnutls_x509_crt_deinit (crt);
	return match;
}

/* DANE-TA(2), RFC 7672 3.1.2: the chain the server sent, from its leaf up to the
 * certificate at @ta (which a record matched), verifies with that certificate as the only
 * trust anchor, and the leaf is valid for the MX host name (3.2.2). */
static gboolean
tls_dane_ta_chain_ok (RtlsTls *tls, const gnutls_datum_t *chain, unsigned int ta)
{
	gnutls_x509_trust_list_t list = NULL;
	gnutls_x509_crt_t anchor = NULL;
	gnutls_x509_crt_t *crts = g_new0 (gnutls_x509_crt_t, ta);
	gnutls_typed_vdata_st vdata = { GNUTLS_DT_DNS_HOSTNAME, (unsigned char *) tls->host, 0 };
	unsigned int status = 1, made = 0;
	gboolean ok = FALSE;

	for (; made < ta; made++)
		if (gnutls_x509_crt_init (&crts[made]) < 0
		    || gnutls_x509_crt_import (crts[made], &chain[made], GNUTLS_X509_FMT_DER) < 0) {
			made++;
			goto out;
		}
	if (gnutls_x509_crt_init (&anchor) < 0
	    || gnutls_x509_crt_import (anchor, &chain[ta], GNUTLS_X509_FMT_DER) < 0
	    || gnutls_x509_trust_list_init (&list, 0) < 0)
		goto out;
	if (gnutls_x509_trust_list_add_cas (list, &anchor, 1, 0) != 1)
		goto out;
	anchor = NULL; /* the list owns it now */
	ok = gnutls_x509_trust_list_verify_crt2 (list, crts, ta, &vdata, 1, 0, &status, NULL) >= 0
	     && status == 0;
out:
	if (list != NULL)
		gnutls_x509_trust_list_deinit (list, 1);
	if (anchor != NULL)
		gnutls_x509_crt_deinit (anchor);
	for (unsigned int i = 0; i < made; i++)
		if (crts[i] != NULL)
			gnutls_x509_crt_deinit (crts[i]);
	g_free (crts);
	return ok;
}

/* RFC 7672 3: with usable TLSA records, they alone decide; the WebPKI is not consulted. */
static int
tls_verify_dane (RtlsTls *tls, gnutls_session_t session)
{
	unsigned int chain_len = 0;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers (session, &chain_len);

	if (chain == NULL || chain_len == 0) {
		g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
		             _ ("%s sent no certificate"), tls->host);
		tls_cert_problem (tls, "none");
		return -1;
	}
	for (guint i = 0; i < tls->tlsa->len; i++) {
		const RtlsTlsa *t = g_ptr_array_index (tls->tlsa, i);
		if (t->usage == 3 && tls_tlsa_matches (t, &chain[0]))
			return 0;
		for (unsigned int k = 1; t->usage == 2 && k < chain_len; k++)
			if (tls_tlsa_matches (t, &chain[k]) && tls_dane_ta_chain_ok (tls, chain, k))
				return 0;
	}
	g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
	             _ ("TLS certificate of %s refused: it matches none of its DANE TLSA records "
	                "(RFC 7672)"),
	             tls->host);
	tls_cert_problem (tls, "dane");
	return -1;
}

static int
tls_verify_cb (gnutls_session_t session)
{
	RtlsTls *tls = gnutls_session_get_ptr (session);
	unsigned int status = 0;
	gnutls_typed_vdata_st vdata[2];
	const gnutls_datum_t *chain;
	unsigned int chain_len = 0;
	int r;

	if (tls->tlsa != NULL && tls->tlsa->len > 0)
		return tls_verify_dane (tls, session);
	/* RFC 7817 3 / RFC 6125: verify the chain and the reference identity. For an IP
	 * literal GnuTLS compares against iPAddress subjectAltNames. */
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *) tls->host;
	vdata[0].size = 0;
	/* RFC 5280 4.2.1.12: a certificate whose extendedKeyUsage does not list
	 * id-kp-serverAuth was not issued for a TLS server (a client or an S/MIME
	 * certificate from the same authority): it must not authenticate one. GnuTLS checks
	 * the purpose only when asked; a leaf without the extension may serve any purpose. */
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *) GNUTLS_KP_TLS_WWW_SERVER;
	vdata[1].size = 0;
	r = gnutls_certificate_verify_peers (session, vdata, G_N_ELEMENTS (vdata), &status);
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
		} else if (status & GNUTLS_CERT_PURPOSE_MISMATCH) {
			why = _ ("the certificate was not issued for a TLS server (its extended "
			         "key usage does not include serverAuth)");
			what = "purpose";
		} else if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
			why = _ ("the certificate uses a key or signature that is too weak (RSA "
			         "keys need at least 2048 bits, elliptic curves at least 256)");
			what = "weak";
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
	chain = gnutls_certificate_get_peers (session, &chain_len);
	if (chain == NULL || chain_len == 0) {
		g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
		             _ ("%s sent no certificate"), tls->host);
		tls_cert_problem (tls, "none");
		return -1;
	}
	if (!tls_leaf_has_san (&chain[0], g_hostname_is_ip_address (tls->host))) {
		g_set_error (&tls->verify_error, RTLS_ERROR, RTLS_ERROR_CERT,
		             _ ("TLS certificate of %s refused: it names the server only in "
		                "its Common Name, not in a subjectAltName (RFC 9525 6.3)"),
		             tls->host);
		tls_cert_problem (tls, "cn-only");
		return -1;
	}
	if (tls->pins != NULL && tls->pins[0] != NULL) {
		g_autofree gchar *have = NULL;
		gboolean match = FALSE;

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
	tls->tls_problem = config->tls_problem;
	if (config->tlsa != NULL && config->tlsa->len > 0)
		tls->tlsa = g_ptr_array_ref ((GPtrArray *) config->tlsa);

	if ((tls->cred = tls_shared_trust (config, error)) == NULL)
		return NULL;

	r = gnutls_init (&tls->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (r < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "gnutls: %s",
		             gnutls_strerror (r));
		return NULL;
	}
	gnutls_session_set_ptr (tls->session, tls);
	r = gnutls_set_default_priority_append (tls->session, RTLS_TLS_FLOOR, &err_pos, 0);
	if (r < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "gnutls priority: %s (at %s)",
		             gnutls_strerror (r), err_pos != NULL ? err_pos : "?");
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

/* A handshake that failed because the server and the floor have nothing in common: the
 * server answered our offer with handshake_failure, insufficient_security or
 * protocol_version (RFC 8446 6.2: "unable to negotiate an acceptable set of security
 * parameters"), or chose something we did not offer. */
static gboolean
tls_below_floor (gnutls_session_t session, int r)
{
	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		gnutls_alert_description_t a = gnutls_alert_get (session);
		return a == GNUTLS_A_HANDSHAKE_FAILURE || a == GNUTLS_A_INSUFFICIENT_SECURITY
		       || a == GNUTLS_A_PROTOCOL_VERSION;
	}
	return r == GNUTLS_E_UNSUPPORTED_VERSION_PACKET || r == GNUTLS_E_UNKNOWN_CIPHER_SUITE
	       || r == GNUTLS_E_NO_CIPHER_SUITES || r == GNUTLS_E_INSUFFICIENT_SECURITY
	       || r == GNUTLS_E_NO_COMMON_KEY_SHARE || r == GNUTLS_E_ECC_NO_SUPPORTED_CURVES
	       || r == GNUTLS_E_UNWANTED_ALGORITHM;
}

/* GnuTLS's words for a failed handshake, with the alert's name when the server sent one. */
static const char *
tls_handshake_words (gnutls_session_t session, int r)
{
	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		const char *name = gnutls_alert_get_name (gnutls_alert_get (session));
		if (name != NULL)
			return name;
	}
	return gnutls_strerror (r);
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
		if (tls_below_floor (tls->session, r)) {
			if (tls->tls_problem != NULL)
				*tls->tls_problem = "floor";
			g_set_error (
			        error, RTLS_ERROR, RTLS_ERROR_TLS,
			        _ ("%s offers no TLS that meets the minimum for sending mail: "
			           "TLS 1.3, or TLS 1.2 with ECDHE key exchange and AES-GCM or "
			           "ChaCha20-Poly1305 (RFC 9325); ask its operator to enable "
			           "them (%s)"),
			        tls->host, tls_handshake_words (tls->session, r));
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
		             tls_handshake_words (tls->session, r));
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
	if (tls->tlsa != NULL)
		g_ptr_array_unref (tls->tlsa);
	g_strfreev (tls->pins);
	g_free (tls->host);
	g_free (tls);
}
