/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_choice.c: the per-message choice (pure logic, no GTK, no Claws).
 */
#include "rtls_choice.h"

#include <string.h>

const char *
rtls_choice_to_string (RtlsChoice choice)
{
	switch (choice) {
	case RTLS_CHOICE_REQUIRE:
		return "require";
	case RTLS_CHOICE_NO_REQUIRE:
		return "no-require";
	case RTLS_CHOICE_DEFAULT:
	default:
		return "default";
	}
}

gboolean
rtls_choice_from_string (const char *s, RtlsChoice *out)
{
	g_autofree gchar *v = NULL;

	if (s == NULL)
		return FALSE;
	v = g_strstrip (g_ascii_strdown (s, -1));
	if (strcmp (v, "require") == 0 || strcmp (v, "yes") == 0 || strcmp (v, "auto-require") == 0)
		*out = RTLS_CHOICE_REQUIRE;
	else if (strcmp (v, "no-require") == 0 || strcmp (v, "no") == 0)
		*out = RTLS_CHOICE_NO_REQUIRE;
	else if (strcmp (v, "default") == 0)
		*out = RTLS_CHOICE_DEFAULT;
	else
		return FALSE;
	return TRUE;
}

RtlsChoice
rtls_choice_from_headers (const char *marker, const char *tls_required, gboolean *manual)
{
	RtlsChoice c = RTLS_CHOICE_DEFAULT;

	if (manual != NULL)
		*manual = FALSE;
	/* A marker asking for REQUIRETLS wins over anything else: fail closed, and never both
	 * the parameter and the header (RFC 8689 §5). */
	if (marker != NULL && rtls_choice_from_string (marker, &c) && c == RTLS_CHOICE_REQUIRE) {
		/* "auto-require": set by a rule, so the rules may decide again */
		const char *m = marker;
		while (*m == ' ' || *m == '\t')
			m++;
		if (manual != NULL)
			*manual = g_ascii_strncasecmp (m, "auto-", 5) != 0;
		return RTLS_CHOICE_REQUIRE;
	}
	/* RFC 8689 §5: the only defined value is "No" (case-insensitive). */
	if (tls_required != NULL) {
		g_autofree gchar *v = g_strstrip (g_strdup (tls_required));
		if (g_ascii_strcasecmp (v, "no") == 0) {
			if (manual != NULL)
				*manual = TRUE;
			return RTLS_CHOICE_NO_REQUIRE;
		}
	}
	if (marker != NULL && rtls_choice_from_string (marker, &c)) {
		if (manual != NULL)
			*manual = TRUE;
		return RTLS_CHOICE_DEFAULT; /* "default" by hand ("no-require" is not a marker
		                               value) */
	}
	return RTLS_CHOICE_DEFAULT;
}
