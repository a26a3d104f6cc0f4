/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_choice.h: the per-message choice and how it is kept in a message (pure logic).
 */
#pragma once

#include <glib.h>

typedef enum {
	RTLS_CHOICE_DEFAULT = 0, /* nothing added; Claws sends as usual */
	RTLS_CHOICE_REQUIRE,     /* RFC 8689 REQUIRETLS through requiretls-submit, or no send */
	RTLS_CHOICE_NO_REQUIRE,  /* exactly one "TLS-Required: No"; Claws sends as usual */
} RtlsChoice;

/* The private marker row kept in drafts and queue entries. It never reaches a server: the
 * plugin removes it from what the helper transmits, and from Default / Don't require TLS
 * messages before Claws writes them. Its values: "require" (Require TLS by hand),
 * "auto-require" (Require TLS because of a rule) and "default" (a Default chosen by hand, so
 * that rules do not override it after a draft round-trip). */
#define RTLS_MARKER_HEADER "X-RequireTLS-Request"
#define RTLS_TLS_REQUIRED_HEADER "TLS-Required" /* RFC 8689 §5 */

const char *rtls_choice_to_string (RtlsChoice choice);
gboolean rtls_choice_from_string (const char *s, RtlsChoice *out);

/* What the headers of a message say: @marker is the marker's value (or NULL), @tls_required
 * the value of a TLS-Required field (or NULL). @manual is set when the choice was explicit. */
RtlsChoice rtls_choice_from_headers (const char *marker, const char *tls_required,
                                     gboolean *manual);
