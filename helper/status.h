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
gchar *rtls_status_format (const RtlsParams *params, const RtlsOutcome *outcome,
                           const char *message_id, const GError *error);

G_END_DECLS
