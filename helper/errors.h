/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * errors.h: the RTLS_ERROR domain and the one mapping to sysexits codes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RTLS_ERROR (rtls_error_quark ())
GQuark rtls_error_quark (void);

typedef enum {
	RTLS_ERROR_FAILED,        /* internal, should not happen            -> 70 */
	RTLS_ERROR_USAGE,         /* bad command line                        -> 64 */
	RTLS_ERROR_MESSAGE,       /* the message on stdin is unusable        -> 65 */
	RTLS_ERROR_IO,            /* stdin/spool unreadable                  -> 74 */
	RTLS_ERROR_CONFIG,        /* bad options, unreadable CA file, ...    -> 78 */
	RTLS_ERROR_NOHOST,        /* host name does not resolve              -> 68 */
	RTLS_ERROR_CONNECT,       /* connect/network failure or timeout      -> 75 */
	RTLS_ERROR_TLS,           /* handshake failed                        -> 76 */
	RTLS_ERROR_CERT,          /* peer not trusted / name or pin mismatch -> 69 */
	RTLS_ERROR_PROTOCOL,      /* malformed or unexpected reply           -> 76 */
	RTLS_ERROR_UNSUPPORTED,   /* server lacks REQUIRETLS/STARTTLS/AUTH   -> 69 */
	RTLS_ERROR_AUTH,          /* authentication rejected                 -> 77 */
	RTLS_ERROR_TEMPFAIL,      /* 4xx reply                               -> 75 */
	RTLS_ERROR_REJECTED,      /* 5xx reply, e.g. 5.7.30                  -> 69 */
	RTLS_ERROR_NOT_CONFIRMED, /* lost after the final "." without reply  -> 75 */
	RTLS_ERROR_LAST
} RtlsError;

/* sysexits.h values, spelled out so that the table below is the whole contract. */
enum {
	RTLS_EX_OK = 0,
	RTLS_EX_USAGE = 64,
	RTLS_EX_DATAERR = 65,
	RTLS_EX_NOHOST = 68,
	RTLS_EX_UNAVAILABLE = 69,
	RTLS_EX_SOFTWARE = 70,
	RTLS_EX_IOERR = 74,
	RTLS_EX_TEMPFAIL = 75,
	RTLS_EX_PROTOCOL = 76,
	RTLS_EX_NOPERM = 77,
	RTLS_EX_CONFIG = 78,
};

/* rtls_error_to_exit_code:
 * The single mapping from an error to the helper's exit status. NULL means success (0).
 * Errors of other domains map to 70 (EX_SOFTWARE). */
int rtls_error_to_exit_code (const GError *error);

/* Stable identifier of an exit code, e.g. "EX_UNAVAILABLE" (static string). */
const char *rtls_exit_code_name (int code);

/* Stable identifier of an error code, e.g. "RTLS_ERROR_UNSUPPORTED" (static string). */
const char *rtls_error_code_name (int code);

G_END_DECLS
