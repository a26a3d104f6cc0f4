/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * check.h: requiretls-submit --check: will REQUIRETLS reach these recipient domains? DNS with
 * DNSSEC (libunbound), DANE TLSA, MTA-STS (libcurl), optionally a probe of port 25; the
 * verdict is core/rtls_readiness.c's.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @argv asks for --check (before any "--"). */
gboolean rtls_check_wanted (int argc, char **argv);

/* rtls_check_main:
 * The whole --check mode: parses its own command line, checks every domain in parallel,
 * writes one record a domain on stdout as each finishes (the man page says the format),
 * and returns the exit status: 0 every domain ready, 69 at least one will bounce, 75
 * otherwise (some not known), 64 a bad command line, 78 an unusable trust anchor or CA file. */
int rtls_check_main (int argc, char **argv);

G_END_DECLS
