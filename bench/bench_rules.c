/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * bench_rules.c: 1 000 recipients × 1 000 rules (issue 4). Worst case: no recipient matches,
 * so every rule is tried for every recipient. Also: parsing the recipients out of a To field
 * with libetpan, as the composer does. Prints the median of N runs.
 *
 *   build-p/bench/bench-rules [RUNS]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "rtls_rules.h"

static int
cmp (const void *a, const void *b)
{
	gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
	return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
	int runs = argc > 1 ? atoi (argv[1]) : 21;
	g_autoptr (GPtrArray) rules
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_rule_free);
	g_autoptr (GString) field = g_string_new (NULL);
	g_autofree gint64 *t_decide = g_new (gint64, runs), *t_parse = g_new (gint64, runs);

	for (int i = 0; i < 1000; i++) {
		g_autofree gchar *p = i % 3 == 0   ? g_strdup_printf ("*.agency%d.example.gov", i)
		                      : i % 3 == 1 ? g_strdup_printf ("bank%d.example", i)
		                                   : g_strdup_printf ("lawyer%d@firm.example", i);
		g_ptr_array_add (rules,
		                 rtls_rule_new (p, FALSE, RTLS_CHOICE_REQUIRE, -1, TRUE, NULL));
	}
	for (int i = 0; i < 1000; i++)
		g_string_append_printf (field, "%sPerson %d <person%d@sub%d.elsewhere.example>",
		                        i ? ", " : "", i, i, i % 50);
	for (int r = 0; r < runs; r++) {
		const char *fields[] = { field->str, NULL };
		g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
		RtlsVerdict v = { 0 };
		gint64 t0 = g_get_monotonic_time (), t1, t2;

		rtls_rules_recipients_from_fields (fields, rcpts);
		t1 = g_get_monotonic_time ();
		rtls_rules_decide (rules, rcpts, -1, &v);
		t2 = g_get_monotonic_time ();
		if (rcpts->len != 1000 || v.choice != RTLS_CHOICE_DEFAULT) {
			fprintf (stderr, "bench-rules: unexpected result (%u recipients)\n",
			         rcpts->len);
			return 1;
		}
		t_parse[r] = t1 - t0;
		t_decide[r] = t2 - t1;
	}
	qsort (t_parse, runs, sizeof (gint64), cmp);
	qsort (t_decide, runs, sizeof (gint64), cmp);
	printf ("1000 recipients x 1000 rules, median of %d runs:\n", runs);
	printf ("  parse the To field (libetpan): %.2f ms\n", t_parse[runs / 2] / 1000.0);
	printf ("  decide (no match, 10^6 rule checks): %.2f ms\n", t_decide[runs / 2] / 1000.0);
	return 0;
}
