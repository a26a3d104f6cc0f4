/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_dsn.h: delivery status notifications read back (pure logic, no GTK, no Claws).
 * RFC 6522 multipart/report, RFC 3464 message/delivery-status (and RFC 6533's
 * message/global-delivery-status), RFC 3463 enhanced status codes. The MIME structure and
 * the returned headers are parsed by libetpan; everything a bounce says is untrusted and
 * comes out sanitised.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RTLS_DSN_ERROR (rtls_dsn_error_quark ())
GQuark rtls_dsn_error_quark (void);

typedef enum {
	RTLS_DSN_ERROR_NOT_DSN,   /* not a delivery report at all: nothing to say */
	RTLS_DSN_ERROR_MALFORMED, /* claims to be one, but cannot be read */
	RTLS_DSN_ERROR_TOO_LARGE, /* a part we must read is beyond the limits below */
} RtlsDsnError;

/* Input larger than this is refused before parsing (a headers-only bounce is a few KB; a
 * full one carries the whole message). */
#define RTLS_DSN_MAX_INPUT (64 * 1024 * 1024)
/* How much of the delivery-status part is read: a report for thousands of recipients still
 * fits; of a larger one the rest is not read (RtlsDsn.status_truncated). */
#define RTLS_DSN_MAX_STATUS_PART (1024 * 1024)
#define RTLS_DSN_MAX_RECIPIENTS 10000

typedef enum {
	RTLS_DSN_ACTION_UNKNOWN,
	RTLS_DSN_ACTION_FAILED,
	RTLS_DSN_ACTION_DELAYED,
	RTLS_DSN_ACTION_DELIVERED,
	RTLS_DSN_ACTION_RELAYED,
	RTLS_DSN_ACTION_EXPANDED,
} RtlsDsnAction;

typedef struct {
	gchar *final_recipient;    /* the address, type ("rfc822;") removed */
	gchar *original_recipient; /* likewise, or NULL */
	RtlsDsnAction action;
	gchar *status; /* "class.subject.detail", or NULL if missing or malformed */
	/* The Status field as written (sanitised, at most 40 characters) when it is not a valid
	 * code, e.g. "5.7.030" (RFC 3463 §2: no leading zero digits); NULL otherwise. A
	 * recipient with a malformed Status has no cause and never a REQUIRETLS verdict. */
	gchar *status_malformed;
	gchar *remote_mta;        /* "dns; mx.example.net" → "mx.example.net" */
	gchar *diagnostic;        /* unfolded, e.g. "smtp; 550 5.7.30 REQUIRETLS not supported" */
	gchar *diagnostic_status; /* the enhanced code inside an smtp Diagnostic-Code, or NULL */
	/* What the failure was: Status, unless it says nothing beyond its class (X.0.0, as Exim
	 * writes): then the server's own enhanced code in an smtp Diagnostic-Code is the cause,
	 * whatever its class (Exim's give-up report: "Status: 5.0.0" after "450 4.7.30 …"). */
	gchar *effective_status;
	/* TRUE when the report failed for good after a temporary reply (Action failed, cause of
	 * class 4): the server's code is the last one before the retry time ran out. */
	gboolean gave_up;
	gchar *last_attempt; /* as written */
	gchar *will_retry_until;
} RtlsDsnRecipient;

typedef struct {
	gchar *envid; /* Original-Envelope-Id, or NULL (also when there were two) */
	/* RFC 3464 §2.2.1 allows one Original-Envelope-Id. With more, the report cannot be tied
	 * to one message whichever comes first: envid is NULL, every value is here (at most 8,
	 * NULL-terminated) and the report is never "ours". NULL when there were not two. */
	gchar **ambiguous_envids;
	gchar *reporting_mta;
	gchar *arrival_date;
	GPtrArray *recipients; /* RtlsDsnRecipient*, at least one */
	/* The delivery-status part was larger than RTLS_DSN_MAX_STATUS_PART: only its first
	 * part, up to the last whole recipient group in it, was read; the rest was not. */
	gboolean status_truncated;
	/* The report was not the message itself but the first part of a multipart/mixed (a
	 * gateway or list server added a footer; RFC 6522 §1). */
	gboolean nested;

	/* The third part: the original's headers (text/rfc822-headers) or the whole original
	 * (message/rfc822). Either may be missing; RFC 8689 §5 bounces carry headers only. */
	gboolean returned;
	gboolean returned_full;
	gchar *orig_message_id; /* without the angle brackets */
	gchar *orig_subject;    /* RFC 2047 decoded to UTF-8 */
	gchar *orig_from;
	gchar *orig_to;
	gchar *orig_date;
	gchar *orig_tls_required; /* the original's TLS-Required header, e.g. "No" */

	GPtrArray *warnings; /* what was odd but readable, in plain words (untranslated) */
} RtlsDsn;

void rtls_dsn_free (RtlsDsn *dsn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsDsn, rtls_dsn_free)

/* Cheap first look at the start of a message (its header block, and for a multipart/mixed
 * the header block of its first part, as far as @len goes): TRUE if it is a multipart/report
 * or a multipart/mixed whose first part is one. The filtering hook calls this for every
 * incoming message with at most its first 256 KB. */
gboolean rtls_dsn_looks_like_report (const char *data, gsize len);

/* Parses a whole message (CRLF or LF line ends). NULL with RTLS_DSN_ERROR_NOT_DSN when it
 * is not a delivery report, RTLS_DSN_ERROR_MALFORMED/TOO_LARGE when it cannot be read. */
RtlsDsn *rtls_dsn_parse (const char *data, gsize len, GError **error);

/* " 5.7.30 (comment)" → "5.7.30"; NULL unless class is 2, 4 or 5 and subject and detail are
 * 1 to 3 digits without leading zeros (RFC 3463 §2: "5.7.030" is malformed, never 5.7.30).
 * Trailing text after the code (a comment) is ignored. */
gchar *rtls_dsn_normalise_status (const char *text);

/* The message in plain words for @status ("5.7.30", a reply code such as "550", or NULL),
 * by subject and class when the detail is not known (RFC 3463 §3). Translated. */
gchar *rtls_dsn_explain_status (const char *status);

/* TRUE for the two codes that mean REQUIRETLS itself could not be honoured on the way:
 * 5.7.30 (RFC 8689 §5, a server on the path does not support REQUIRETLS) and 5.7.10
 * (RFC 7672 / RFC 8689, TLS could not be established or verified). */
gboolean rtls_dsn_status_is_requiretls (const char *status);

/* The verdict for one recipient: TRUE when REQUIRETLS itself is why it failed or is
 * delayed: its cause is x.7.30 or x.7.10, or its Status says nothing beyond its class and
 * the reporting MTA's diagnostic names REQUIRETLS (Postfix: "Sender requested REQUIRETLS,
 * but no server was found that supports REQUIRETLS"). Never for a malformed Status, and
 * never for a confirmation (delivered, relayed, expanded). */
gboolean rtls_dsn_recipient_is_requiretls (const RtlsDsnRecipient *r);

/* What became of one recipient, in plain words (translated): by its Action first (a
 * confirmation is never a failure), then by its cause: "gave up after: 4.7.30 — …" for a
 * failure after a temporary reply, the raw code as unrecognised for a malformed Status. */
gchar *rtls_dsn_explain_recipient (const RtlsDsnRecipient *r);

const char *rtls_dsn_action_to_string (RtlsDsnAction a);

/* " <a@b> " → "a@b": blanks and one pair of angle brackets around a Message-ID or an
 * address removed. NULL for NULL. */
gchar *rtls_dsn_strip_brackets (const char *s);

/* What a Diagnostic-Code says without its diagnostic-type, for showing to a person:
 * "smtp; 550 5.7.30 x" → "550 5.7.30 x", "X-Postfix; host said …" → "host said …" (RFC 3464
 * §2.3.6: diagnostic-type ";" *text, diagnostic-type = atom, case-insensitive). The type is
 * removed only when the text starts with one RFC 822 atom, then ";": blanks may stand around
 * the atom and the ";" (RFC 822 §3.1.4, linear-white-space between lexical tokens), and the
 * blanks after the ";" go too. Anything else ("; x", "host said; x", a comment before the
 * ";") is returned unchanged: nothing the server wrote is dropped unless it is the type.
 * Returns a pointer into @diag (or "" for NULL), owned by the caller of @diag. */
const char *rtls_dsn_server_words (const char *diag);

G_END_DECLS
