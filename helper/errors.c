/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * errors.c: the RTLS_ERROR domain and the one mapping to sysexits codes.
 */
#include "config.h"

#include "errors.h"

/* The macro stringifies its first argument, the quark's name: not to be reformatted. */
/* clang-format off */
G_DEFINE_QUARK (rtls-error-quark, rtls_error)
/* clang-format on */

static const struct {
	const char *name;
	int exit_code;
} rtls_error_table[RTLS_ERROR_LAST] = {
	[RTLS_ERROR_FAILED] = { "RTLS_ERROR_FAILED", RTLS_EX_SOFTWARE },
	[RTLS_ERROR_USAGE] = { "RTLS_ERROR_USAGE", RTLS_EX_USAGE },
	[RTLS_ERROR_MESSAGE] = { "RTLS_ERROR_MESSAGE", RTLS_EX_DATAERR },
	[RTLS_ERROR_IO] = { "RTLS_ERROR_IO", RTLS_EX_IOERR },
	[RTLS_ERROR_CONFIG] = { "RTLS_ERROR_CONFIG", RTLS_EX_CONFIG },
	[RTLS_ERROR_NOHOST] = { "RTLS_ERROR_NOHOST", RTLS_EX_NOHOST },
	[RTLS_ERROR_CONNECT] = { "RTLS_ERROR_CONNECT", RTLS_EX_TEMPFAIL },
	[RTLS_ERROR_TLS] = { "RTLS_ERROR_TLS", RTLS_EX_PROTOCOL },
	[RTLS_ERROR_CERT] = { "RTLS_ERROR_CERT", RTLS_EX_UNAVAILABLE },
	[RTLS_ERROR_PROTOCOL] = { "RTLS_ERROR_PROTOCOL", RTLS_EX_PROTOCOL },
	[RTLS_ERROR_UNSUPPORTED] = { "RTLS_ERROR_UNSUPPORTED", RTLS_EX_UNAVAILABLE },
	[RTLS_ERROR_AUTH] = { "RTLS_ERROR_AUTH", RTLS_EX_NOPERM },
	[RTLS_ERROR_TEMPFAIL] = { "RTLS_ERROR_TEMPFAIL", RTLS_EX_TEMPFAIL },
	[RTLS_ERROR_REJECTED] = { "RTLS_ERROR_REJECTED", RTLS_EX_UNAVAILABLE },
	[RTLS_ERROR_NOT_CONFIRMED] = { "RTLS_ERROR_NOT_CONFIRMED", RTLS_EX_TEMPFAIL },
};

int
rtls_error_to_exit_code (const GError *error)
{
	if (error == NULL)
		return RTLS_EX_OK;
	if (error->domain != RTLS_ERROR || error->code < 0 || error->code >= RTLS_ERROR_LAST)
		return RTLS_EX_SOFTWARE;
	return rtls_error_table[error->code].exit_code;
}

const char *
rtls_error_code_name (int code)
{
	if (code < 0 || code >= RTLS_ERROR_LAST)
		return "RTLS_ERROR_FAILED";
	return rtls_error_table[code].name;
}

const char *
rtls_exit_code_name (int code)
{
	switch (code) {
	case RTLS_EX_OK:
		return "EX_OK";
	case RTLS_EX_USAGE:
		return "EX_USAGE";
	case RTLS_EX_DATAERR:
		return "EX_DATAERR";
	case RTLS_EX_NOHOST:
		return "EX_NOHOST";
	case RTLS_EX_UNAVAILABLE:
		return "EX_UNAVAILABLE";
	case RTLS_EX_SOFTWARE:
		return "EX_SOFTWARE";
	case RTLS_EX_IOERR:
		return "EX_IOERR";
	case RTLS_EX_TEMPFAIL:
		return "EX_TEMPFAIL";
	case RTLS_EX_PROTOCOL:
		return "EX_PROTOCOL";
	case RTLS_EX_NOPERM:
		return "EX_NOPERM";
	case RTLS_EX_CONFIG:
		return "EX_CONFIG";
	default:
		return "EX_UNKNOWN";
	}
}
