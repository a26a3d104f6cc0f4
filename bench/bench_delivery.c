/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * bench_delivery.c: issue 5's two costs that grow with the user's history and mail.
 *  - fold: a journal of 20 000 REQUIRETLS sends (3 recipients each) and 5 000 bounce records
 *    read and folded into delivery rows, as the window and the composers' domain warning
 *    need after each write of the journal (then kept until the next one);
 *  - parse: a full-return bounce of a 50 MB message (within the 64 MB limit) parsed.
 * Prints the median of N runs.
 *
 *   build-p/bench/bench-delivery [RUNS]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "rtls_delivery.h"

static int
cmp (const void *a, const void *b)
{
	gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
	return x < y ? -1 : x > y;
}

static gint64
median (gint64 *t, int n)
{
	qsort (t, n, sizeof *t, cmp);
	return t[n / 2];
}

int
main (int argc, char **argv)
{
	int runs = argc > 1 ? atoi (argv[1]) : 11;
	g_autofree gint64 *t_fold = g_new (gint64, runs), *t_parse = g_new (gint64, runs);
	g_autofree gchar *dir = g_dir_make_tmp ("rtls-bench-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename (dir, "journal", NULL);
	GString *report;
	guint rows_n = 0;

	for (int i = 0; i < 20000; i++) {
		RtlsJournalEntry e = { 0 };
		g_autofree gchar *envid = g_strdup_printf ("rtls-%024x", i);
		g_autofree gchar *mid = g_strdup_printf ("<m%d@sender.test>", i);
		g_autofree gchar *rcpts = g_strdup_printf ("a%d@example.org,b%d@example.com,"
		                                           "c%d@example.net",
		                                           i, i, i);
		e.time = 1700000000 + i;
		e.envid = envid;
		e.message_id = mid;
		e.account_id = 1;
		e.recipients = rcpts;
		e.subject = "Quarterly figures";
		e.result = "sent";
		g_assert_true (rtls_journal_append (path, &e, NULL));
		if (i % 4 == 0) {
			g_autofree gchar *r = g_strdup_printf ("a%d@example.org", i);
			e.time += 60;
			e.recipients = NULL;
			e.recipient = r;
			e.result = "bounced";
			e.enhanced = "5.7.30";
			e.diagnostic = "smtp; 550 5.7.30 REQUIRETLS support required";
			g_assert_true (rtls_journal_append (path, &e, NULL));
		}
	}
	report = g_string_new ("From: MAILER-DAEMON@relay.test\nMIME-Version: 1.0\n"
	                       "Content-Type: multipart/report; report-type=delivery-status;"
	                       " boundary=B\n\n--B\nContent-Type: text/plain\n\nx\n"
	                       "--B\nContent-Type: message/delivery-status\n\n"
	                       "Original-Envelope-Id: rtls-0\n\nFinal-Recipient: rfc822; a@b.c\n"
	                       "Action: failed\nStatus: 5.7.30\n\n"
	                       "--B\nContent-Type: message/rfc822\n\nMessage-ID: <big@x>\n\n");
	while (report->len < 50 * 1024 * 1024)
		g_string_append (report, "0123456789012345678901234567890123456789012345678901234"
		                         "5678901234567890123\n");
	g_string_append (report, "--B--\n");

	for (int r = 0; r < runs; r++) {
		gint64 t0 = g_get_monotonic_time (), t1;
		g_autoptr (GPtrArray) journal = rtls_journal_load (path, NULL);
		g_autoptr (GPtrArray) rows = rtls_delivery_rows (journal);
		g_autoptr (RtlsDsn) dsn = NULL;

		t1 = g_get_monotonic_time ();
		t_fold[r] = t1 - t0;
		rows_n = rows->len;
		dsn = rtls_dsn_parse (report->str, report->len, NULL);
		g_assert_nonnull (dsn);
		t_parse[r] = g_get_monotonic_time () - t1;
	}
	printf ("fold: 25000 journal lines into %u rows: median %.1f ms (%d runs)\n", rows_n,
	        median (t_fold, runs) / 1000.0, runs);
	printf ("parse: a %.0f MB full-return bounce: median %.1f ms (%d runs)\n",
	        report->len / 1048576.0, median (t_parse, runs) / 1000.0, runs);
	g_string_free (report, TRUE);
	g_unlink (path);
	g_rmdir (dir);
	return 0;
}
