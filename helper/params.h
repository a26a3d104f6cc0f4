/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * params.h: the helper's command line -> RtlsParams, with cross-field validation.
 */
#pragma once

#include <glib.h>

#include "message.h"

G_BEGIN_DECLS

typedef enum {
	RTLS_DSN_NOTIFY_UNSET = 0,
	RTLS_DSN_NOTIFY_NEVER = 1 << 0,
	RTLS_DSN_NOTIFY_SUCCESS = 1 << 1,
	RTLS_DSN_NOTIFY_FAILURE = 1 << 2,
	RTLS_DSN_NOTIFY_DELAY = 1 << 3,
} RtlsDsnNotify;

typedef enum {
	RTLS_AUTH_AUTO,
	RTLS_AUTH_PLAIN,
	RTLS_AUTH_LOGIN,
} RtlsAuthMech;

typedef struct {
	gchar *host;              /* submission server, also the TLS reference identity */
	guint port;               /* 465, or 587 with starttls, unless given */
	gboolean starttls;        /* plain connect + mandatory STARTTLS (RFC 3207) */
	gchar *ca_file;           /* PEM trust anchors instead of the system store */
	gchar **pins;             /* base64 SHA-256 of the SubjectPublicKeyInfo, all acceptable */
	gchar *user;              /* AUTH identity, NULL for no AUTH */
	int password_fd;          /* -1 when not given */
	RtlsAuthMech auth_mech;   /* which SASL mechanism */
	gchar *from;              /* envelope sender, NULL: from the headers */
	gboolean read_recipients; /* -t */
	gchar **recipients;       /* positional recipients, may be NULL */
	RtlsTlsPolicy tls_policy; /* --require-tls / --no-require-tls */
	guint dsn_notify;         /* RtlsDsnNotify flags */
	gchar *dsn_return;        /* NULL, "HDRS" or "FULL" */
	gchar *envid;             /* RFC 3461 ENVID (raw, encoded when sent) */
	int status_fd;            /* -1 when not given */
	gboolean verbose;         /* transcript on stderr */
	gboolean show_pin;        /* no message: print the verified server's key pin and quit */
	guint timeout;            /* seconds for each reply, write, handshake (not per byte) */
	guint max_time;           /* seconds for the whole submission, 0 for no limit */
	gchar *helo;              /* EHLO argument, NULL: the FQDN or the address literal */
	gboolean no_chunking;     /* DATA even when CHUNKING is offered */
	gboolean show_version;    /* --version */
	gchar *status_file;       /* the record also goes here, replaced atomically; or NULL */
	/* Set by --check's probe, never from the command line of a submission: */
	gchar *connect_address; /* connect here (an IP literal) instead of resolving @host */
	GPtrArray *tlsa;        /* RtlsTlsa*: verify @host by DANE (RtlsTlsConfig.tlsa) */
} RtlsParams;

void rtls_params_free (RtlsParams *params);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsParams, rtls_params_free)

/* rtls_params_parse:
 * Parses argv (sendmail-compatible: -t, -i, -oi, -f ADDR, recipients) into new RtlsParams and
 * validates them (rtls_params_validate). Does not read the password, open files or connect.
 * Returns NULL with RTLS_ERROR_USAGE on a bad command line. */
RtlsParams *rtls_params_parse (int argc, char **argv, GError **error);

/* Cross-field validation: host given, --require-tls vs --no-require-tls, recipients given
 * (positional or -t), --password-fd only with --user, valid ENVID, port range, pins are
 * base64 of 32 bytes. RTLS_ERROR_USAGE. */
gboolean rtls_params_validate (RtlsParams *params, GError **error);

/* The --help text (translated). Caller frees. */
gchar *rtls_params_help (void);

G_END_DECLS
