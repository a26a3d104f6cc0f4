/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * tls.h: GnuTLS client session set-up and certificate verification inside the handshake.
 */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

/* One DANE TLSA record (RFC 6698 2.1), usable for SMTP (RFC 7672 3.1.3). */
typedef struct {
	guint8 usage;    /* 2 DANE-TA or 3 DANE-EE */
	guint8 selector; /* 0 the whole certificate, 1 its SubjectPublicKeyInfo */
	guint8 mtype;    /* 0 exact, 1 SHA2-256, 2 SHA2-512 */
	GBytes *data;    /* the association data */
} RtlsTlsa;

void rtls_tlsa_free (RtlsTlsa *tlsa);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsTlsa, rtls_tlsa_free)

typedef struct {
	const char *host;        /* reference identity (RFC 7817 / RFC 6125): name or IP literal */
	const char *ca_file;     /* PEM trust anchors, NULL for the system store */
	const char *const *pins; /* base64 SHA-256 of the SubjectPublicKeyInfo; NULL: no pin */
	/* Optional: set to what was wrong with the certificate when the handshake refused it,
	 * one of "name", "expired", "not-active", "untrusted", "revoked", "purpose" (not issued
	 * for a TLS server), "weak" (a key or signature below the floor), "cn-only" (the name
	 * only in the Common Name), "other", "pin", "none" (the peer sent none), "error" (it
	 * could not be checked): a fact the caller
	 * can put into words of its own, in its own language. */
	const char **cert_problem;
	/* Optional: set to "floor" when the handshake failed because the server offers nothing
	 * that meets the TLS floor (rtls_tls_new), a fact for words of the caller's own. */
	const char **tls_problem;
	/* Optional: RtlsTlsa*, the usable TLSA records of the host: the peer is verified by
	 * DANE (RFC 7672 3) instead of the trust anchors: DANE-EE(3) by its key or certificate
	 * alone (no name, no dates, 3.1.1), DANE-TA(2) by a chain to the certificate a record
	 * names and @host (3.1.2, 3.2.2). No match is cert_problem "dane". NULL or empty: the
	 * WebPKI as above. */
	const GPtrArray *tlsa;
} RtlsTlsConfig;

typedef struct _RtlsTls RtlsTls;

/* rtls_tls_new:
 * Prepares a client session on the connected socket @fd (non-blocking). The floor is RFC
 * 9325's: TLS 1.3, or TLS 1.2 with ECDHE and an AEAD cipher; keys of 112-bit strength. SNI is sent
 * for names, never for IP literals (RFC 6066 3). The credentials verify the chain against the trust
 * anchors, the name or address against @config->host (in the subjectAltName), the server purpose
 * (extended key usage) and the pins during the handshake, so that a bad peer never gets past it.
 * Errors: RTLS_ERROR_CONFIG (unreadable or empty CA file, no system store),
 * RTLS_ERROR_FAILED (GnuTLS set-up). */
RtlsTls *rtls_tls_new (int fd, const RtlsTlsConfig *config, GError **error);

/* rtls_tls_check_config: loads the trust anchors, without connecting, so that a bad
 * configuration is reported before any network activity. They are kept for the sessions
 * of the run (loaded once). RTLS_ERROR_CONFIG. */
gboolean rtls_tls_check_config (const RtlsTlsConfig *config, GError **error);

/* Frees the trust anchors kept by rtls_tls_check_config() / rtls_tls_new(). */
void rtls_tls_release_trust (void);

/* rtls_tls_handshake: runs the whole handshake before @deadline (monotonic µs).
 * Errors: RTLS_ERROR_CERT (verification failed: untrusted, wrong name, expired, pin),
 * RTLS_ERROR_TLS (handshake failure, nothing the floor allows), RTLS_ERROR_CONNECT (timeout,
 * I/O). */
gboolean rtls_tls_handshake (RtlsTls *tls, gint64 deadline, GError **error);

gnutls_session_t rtls_tls_session (RtlsTls *tls);

/* "TLS1.3" etc. (static string) and the cipher suite name (static string). */
const char *rtls_tls_version (RtlsTls *tls);
const char *rtls_tls_cipher (RtlsTls *tls);

/* Sends close_notify (best effort, does not wait) and frees everything. */
void rtls_tls_free (RtlsTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsTls, rtls_tls_free)

/* rtls_tls_spki_sha256: base64 SHA-256 of the SubjectPublicKeyInfo of a DER certificate.
 * Caller frees; NULL with RTLS_ERROR_FAILED if the certificate cannot be parsed. */
gchar *rtls_tls_spki_sha256 (const gnutls_datum_t *der, GError **error);

G_END_DECLS
