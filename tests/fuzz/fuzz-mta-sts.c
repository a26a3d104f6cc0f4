/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-mta-sts.c: libFuzzer target for what a recipient domain controls in the readiness
 * check: the _mta-sts TXT records (RFC 8461 3.1), the policy body fetched over HTTPS (3.2),
 * its Content-Type, and the MX names matched against the policy's patterns (4.1). The input
 * is split at its first two NUL bytes: TXT records (one a line), policy, an MX name. The
 * whole input is also read as the records of a --check run (what the plugin reads back).
 */
#include "config.h"

#include <string.h>

#include "rtls_readiness.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	const char *s = (const char *) data;
	const char *nul1 = memchr (s, '\0', size);
	gsize txt_len = nul1 != NULL ? (gsize) (nul1 - s) : size;
	const char *policy = nul1 != NULL ? nul1 + 1 : s + size;
	gsize rest = size - (gsize) (policy - s);
	const char *nul2 = memchr (policy, '\0', rest);
	gsize policy_len = nul2 != NULL ? (gsize) (nul2 - policy) : rest;
	gchar *host = nul2 != NULL ? g_strndup (nul2 + 1, rest - policy_len - 1) : g_strdup ("mx");
	const char *records[16];
	gsize lens[16];
	guint n = 0;
	gsize start = 0;
	gchar *id;
	RtlsStsPolicy *p;
	const char *why = NULL;

	/* the TXT part: records separated by LF, each may hold any byte */
	for (gsize i = 0; i <= txt_len && n < G_N_ELEMENTS (records); i++) {
		if (i == txt_len || s[i] == '\n') {
			records[n] = s + start;
			lens[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	id = rtls_mta_sts_txt_parse (records, lens, n);
	if (id != NULL) {
		gsize l = strlen (id);
		if (l == 0 || l > 32)
			__builtin_trap ();
		for (gsize i = 0; i < l; i++)
			if (!g_ascii_isalnum (id[i]))
				__builtin_trap ();
		g_free (id);
	}

	p = rtls_mta_sts_policy_parse (policy, policy_len, &why);
	if (p == NULL && why == NULL)
		__builtin_trap ();
	if (p != NULL) {
		if (p->max_age > 31557600)
			__builtin_trap ();
		if (p->mode != RTLS_STS_ENFORCE && p->mode != RTLS_STS_TESTING
		    && p->mode != RTLS_STS_NONE)
			__builtin_trap ();
		if (p->mx->len == 0 && p->mode != RTLS_STS_NONE)
			__builtin_trap ();
		for (guint i = 0; i < p->mx->len; i++) {
			const char *pat = g_ptr_array_index (p->mx, i);
			/* every pattern that is a plain name matches itself */
			if (pat[0] != '*' && !rtls_mta_sts_mx_match (p, pat))
				__builtin_trap ();
		}
		(void) rtls_mta_sts_mx_match (p, host);
		rtls_sts_policy_free (p);
	}
	{
		gchar *ct = g_strndup (policy, MIN (policy_len, 200));
		(void) rtls_mta_sts_content_type_ok (ct);
		g_free (ct);
	}
	g_free (host);
	{
		GPtrArray *recs = rtls_check_records_parse (s, size);
		for (guint i = 0; i < recs->len; i++) {
			const RtlsCheckRecord *r = g_ptr_array_index (recs, i);
			if (r->domain == NULL || r->verdict >= RTLS_READINESS_LAST
			    || !g_utf8_validate (r->domain, -1, NULL))
				__builtin_trap ();
			(void) rtls_readiness_verdict (&r->facts, NULL);
		}
		g_ptr_array_unref (recs);
	}
	return 0;
}
