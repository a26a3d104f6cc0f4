/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_record.h: the helper's status record, read back, and what it means for the person
 * (pure logic, no GTK, no Claws).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	RTLS_OUTCOME_SENT,          /* accepted by the submission server */
	RTLS_OUTCOME_PERMANENT,     /* refused for good: will fail again as it is */
	RTLS_OUTCOME_TEMPORARY,     /* try again later: nothing was transmitted */
	RTLS_OUTCOME_NOT_CONFIRMED, /* lost after the final "."; it may have been accepted */
	RTLS_OUTCOME_LOCAL,         /* our side: configuration, the message, the helper */
} RtlsOutcomeKind;

typedef struct {
	gchar *result; /* sent, failed, not-confirmed */
	gint exit_code;
	gchar *error; /* RTLS_ERROR_* name */
	gchar *stage;
	gchar *host;
	guint port;
	gchar *tls_version;
	gboolean requiretls;
	guint smtp_code;
	gchar *enhanced;
	gchar *server_text;
	/* what was wrong with a refused certificate: name, expired, not-active, untrusted,
	 * revoked, purpose, weak, cn-only, pin, none, other, error (the helper's RtlsTlsConfig) */
	gchar *cert_problem;
	/* "floor": the server offers no TLS the helper's floor allows (RtlsTlsConfig) */
	gchar *tls_problem;
	gchar *message_id;
	gchar *message;
	GPtrArray *rcpts; /* "CODE ENH ADDRESS" */
} RtlsRecord;

void rtls_record_free (RtlsRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsRecord, rtls_record_free)

/* Parses a status record. Unknown keys are ignored; every value is sanitised again (server
 * text is untrusted however it got here). Returns NULL when @text has no "result" line:
 * then the helper died or was stopped before it could say anything. */
RtlsRecord *rtls_record_parse (const char *text, gsize len);

RtlsOutcomeKind rtls_record_outcome (const RtlsRecord *r);

/* One or two sentences for the person, in plain words, naming the server, the code and the
 * consequence ("the message was not sent"). Never claims more than the first hop. */
gchar *rtls_record_explain (const RtlsRecord *r);

/* What @cert_problem (RtlsRecord) says, as the end of a sentence ("it has expired"); NULL for
 * none known. */
const char *rtls_record_cert_words (const char *cert_problem);

G_END_DECLS
