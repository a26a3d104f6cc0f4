/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_checks.h: readiness of recipient domains before a send (issue 22, section 2): the
 * helper's --check run off the main loop, at most one check of a domain at a time across
 * composers, its answers kept in the store for their TTL / MTA-STS max_age, and what the
 * history knows beside them.
 */
#pragma once

#include <glib.h>

#include "rtls_precheck.h"

G_BEGIN_DECLS

/* A REQUIRETLS-caused failure older than this says nothing about a domain now. */
#define RTLS_CHECKS_FAILURE_AGE (90 * 24 * 3600)

/* @changed: called (from the main loop) whenever what is known about a domain changed, a
 * check finished or could not run. */
void rtls_checks_init (void (*changed) (void));
/* Cancels every check (each helper is stopped). FALSE while one of them has not reported
 * back: the module must stay loaded until it has. */
gboolean rtls_checks_done (void);

/* @owner (a composer) wants to know about @domains (gchar*, lower case): each one with no
 * fresh answer (memory, else the store), or every one when @force (the person asked), and
 * not being checked already, is checked in one run of the helper; a domain being checked
 * for someone else is waited for. Domains not worth checking are left out. */
void rtls_checks_request (gpointer owner, const GPtrArray *domains, gboolean force);
/* @owner is gone: a run that only it waited for is stopped. */
void rtls_checks_forget (gpointer owner);
/* What is known about @domain now, into @f (its record stays valid until the next turn of
 * the main loop): the last check, whether one runs, the history's last REQUIRETLS delivery
 * and failure there (by index). */
void rtls_checks_facts (const char *domain, RtlsPrecheckFacts *f);
/* Whether a check runs now. */
gboolean rtls_checks_running (void);

G_END_DECLS
