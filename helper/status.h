/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * status.h: the machine-readable result record written to --status-fd.
 */
#pragma once

#include <glib.h>

#include "smtp_client.h"

G_BEGIN_DECLS

/* rtls_status_format:
 * The record, one "key=value\n" a line, every value sanitised to one line: result, exit,
 * exit-name, error (failures only), stage, host, port, tls-version, tls-cipher, requiretls,
 * tls-required-no, smtp-code, enhanced-code, server-text, message, envid, message-id, size,
 * and one "rcpt=CODE ENHANCED ADDRESS" per recipient. @outcome and @error may be NULL.
 * Caller frees. */
/* Appends "@key=@value\n" to @s, @value made one line of at most 1000 bytes (nothing when
 * @value is NULL): one line of a status record, or of --check's record. */
void rtls_status_add (GString *s, const char *key, const char *value);
gchar *rtls_status_format (const RtlsParams *params, const RtlsOutcome *outcome,
                           const char *message_id, const GError *error);

/* rtls_status_write_file:
 * Replaces @path with @record atomically and durably: a temporary file of a fresh name in
 * the same directory (created with O_EXCL, mode 0600: never a planted file or link), fsync,
 * rename over @path, fsync of the directory. A reader sees the
 * old record or the new one, never a part, also after a crash or a power cut. */
gboolean rtls_status_write_file (const char *path, const char *record, GError **error);

G_END_DECLS
