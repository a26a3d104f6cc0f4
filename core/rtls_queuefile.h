/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_queuefile.h: Claws Mail queue files (pure logic, no GTK, no Claws).
 *
 * A queue entry written by compose_queue() starts with Claws' own "special headers", one
 * "KEY:value" a line (S: sender, R: recipients as "<a>,<b>", MAID: account id, SCF: save-copy
 * folder, RMID:/FMID: replied/forwarded message, ...) ended by "X-Claws-End-Special-Headers:";
 * the RFC 5322 message follows byte for byte.
 */
#pragma once

#include <glib.h>

#include "rtls_choice.h"

G_BEGIN_DECLS

typedef struct {
	gchar *sender;           /* S: the envelope sender (the account's address) */
	GPtrArray *recipients;   /* R: every envelope recipient, To/Cc/Bcc, as addr-specs */
	gint account_id;         /* MAID:, -1 when absent */
	gchar *save_copy_folder; /* SCF: folder identifier, or NULL */
	gchar *reply_info;       /* RMID: "folder\tnum\tmsgid", or NULL */
	gchar *forward_info;     /* FMID: likewise */
	gboolean has_newsgroups; /* NG: present (REQUIRETLS is SMTP only) */
	gboolean encrypted;      /* X-Claws-Encrypt:1, encryption still to be done by Claws */
	goffset message_offset;  /* where the RFC 5322 message starts */
	/* from the message's own header block */
	gchar *marker;       /* X-RequireTLS-Request value, or NULL */
	gchar *tls_required; /* TLS-Required value, or NULL */
	gchar *message_id;   /* Message-ID, or NULL */
	gchar *subject;      /* Subject, raw (may be RFC 2047 encoded), or NULL */
	RtlsChoice choice;   /* what marker and TLS-Required say */
} RtlsQueueFile;

void rtls_queue_file_free (RtlsQueueFile *qf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsQueueFile, rtls_queue_file_free)

/* Reads and validates the queue file at @path. Fails (RTLS_ERROR_MESSAGE) on anything that
 * is not a complete Claws queue file: no end of the special headers, no sender, no
 * recipients, an unparsable recipient list, a header block that does not parse. */
RtlsQueueFile *rtls_queue_file_read (const char *path, GError **error);

/* Only the choice (marker / TLS-Required) of the message in @path: works for queue files and
 * for plain messages (drafts, Sent copies). FALSE on unreadable files. */
gboolean rtls_message_file_choice (const char *path, RtlsChoice *choice, gboolean *manual);

/* Copies the RFC 5322 message of @qf (from @path) into @out_path, byte for byte, except that
 * every X-RequireTLS-Request field (with its continuation lines) is left out. The result is
 * what the helper transmits and what is filed as the Sent copy. */
gboolean rtls_queue_file_extract_message (const char *path, const RtlsQueueFile *qf,
                                          const char *out_path, GError **error);

/* Parses an R: value ("<a>,<b>", as compose_queue() writes it) into addr-specs. */
gboolean rtls_queue_parse_recipients (const char *value, GPtrArray *out, GError **error);

G_END_DECLS
