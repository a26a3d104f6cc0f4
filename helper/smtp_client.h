/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * smtp_client.h: one SMTP submission over a verified TLS stream, REQUIRETLS when asked.
 */
#pragma once

#include <glib.h>

#include "message.h"
#include "params.h"

G_BEGIN_DECLS

typedef enum {
	RTLS_STAGE_CONNECT,
	RTLS_STAGE_TLS,
	RTLS_STAGE_GREETING,
	RTLS_STAGE_EHLO,
	RTLS_STAGE_STARTTLS,
	RTLS_STAGE_AUTH,
	RTLS_STAGE_MAIL,
	RTLS_STAGE_RCPT,
	RTLS_STAGE_DATA,
	RTLS_STAGE_DONE,
	RTLS_STAGE_LAST
} RtlsStage;

/* "connect", "tls", ... as in the status record (static string). */
const char *rtls_stage_name (RtlsStage stage);

typedef struct {
	gchar *address;     /* the envelope recipient */
	guint code;         /* reply to RCPT, 0 when none was read */
	gchar enhanced[16]; /* RFC 3463 code of that reply, or "" */
	gchar *text;        /* raw reply text (untrusted) */
} RtlsRcptResult;

typedef struct {
	RtlsStage stage;          /* where the submission ended */
	guint smtp_code;          /* the reply that decided the outcome, 0 if none */
	gchar enhanced[16];       /* its RFC 3463 code, or our own (5.7.30, 5.7.10) */
	gchar *server_text;       /* its raw text (untrusted), or NULL */
	gboolean requiretls_sent; /* MAIL carried REQUIRETLS */
	gchar *tls_version;       /* "TLS1.3" once TLS is up */
	gchar *tls_cipher;        /* cipher suite name once TLS is up */
	guint64 size_sent;        /* bytes of message content written after DATA */
	GPtrArray *rcpts;         /* RtlsRcptResult*, one per envelope recipient */
	gboolean sent;            /* the final "." was answered 250 */
	gboolean not_confirmed;   /* the final "." was sent but no valid reply came */
	const char *cert_problem; /* the certificate was refused: why (RtlsTlsConfig), static */
	const char *tls_problem;  /* "floor": no TLS the floor allows (RtlsTlsConfig), static */
} RtlsOutcome;

void rtls_outcome_init (RtlsOutcome *out);
void rtls_outcome_clear (RtlsOutcome *out);

typedef struct {
	const RtlsParams *params;   /* server, TLS, DSN, policy */
	const RtlsMessage *message; /* headers already prepared for submission */
	const char *mail_from;      /* envelope sender ("" for the null sender) */
	GPtrArray *recipients;      /* gchar*: envelope recipients, at least one */
	const char *password;       /* NULL without AUTH */
	/* Optional: told each stage as it begins (its name as in the status record), and
	 * "content" just before the first byte of the message content leaves. Before
	 * "content" the server cannot have accepted anything; after it, a submission that
	 * ends without a reply is "not confirmed". FALSE (with @error set) at "content" stops
	 * the submission before any content is sent; at other stages it is ignored. */
	gboolean (*progress) (const char *stage, gpointer data, GError **error);
	gpointer progress_data;
} RtlsSubmission;

/* rtls_smtp_submit:
 * Connects, establishes verified TLS (implicit, or mandatory STARTTLS), reads capabilities
 * from the EHLO after TLS only, authenticates, and submits. With RTLS_TLS_POLICY_REQUIRE, no
 * MAIL command is sent unless TLS >= 1.2 is up with a verified certificate and the post-TLS
 * EHLO advertised REQUIRETLS; otherwise QUIT. All-or-nothing: if a recipient is refused, the
 * transaction is abandoned before the final ".". @out describes what happened, also on error.
 * Errors: every RtlsError but USAGE/MESSAGE/IO/CONFIG-from-argv; RTLS_ERROR_NOT_CONFIRMED
 * when the final "." got no valid reply. */
gboolean rtls_smtp_submit (const RtlsSubmission *sub, RtlsOutcome *out, GError **error);

/* rtls_smtp_probe:
 * Connects and establishes verified TLS exactly as rtls_smtp_submit() does, reads the EHLO
 * after TLS, then QUIT. @pin: the base64 SHA-256 of the server's SubjectPublicKeyInfo, only
 * ever of a certificate that passed verification. @requiretls: the post-TLS EHLO offers it. */
gboolean rtls_smtp_probe (const RtlsParams *params, RtlsOutcome *out, gchar **pin,
                          gboolean *requiretls, GError **error);

G_END_DECLS
