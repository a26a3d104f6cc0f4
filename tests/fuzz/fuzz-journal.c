/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-journal.c: libFuzzer target for the send journal (lines hold server text and bounce
 * contents) and for the helper's status record the plugin reads: every entry that parses
 * must format back to a line that parses; the journal folds into delivery rows.
 */
#include "config.h"

#include <string.h>

#include "rtls_delivery.h"
#include "rtls_journal.h"
#include "rtls_record.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	const char *p = (const char *) data, *end = p + size;
	GPtrArray *journal
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	GPtrArray *rows;
	RtlsRecord *rec;

	while (p < end) {
		const char *nl = memchr (p, '\n', (size_t) (end - p));
		gsize len = nl != NULL ? (gsize) (nl - p) : (gsize) (end - p);
		gchar *line = g_strndup (p, len);
		RtlsJournalEntry *e = rtls_journal_entry_parse (line);

		if (e != NULL) {
			gchar *again = rtls_journal_entry_format (e);
			RtlsJournalEntry *back = rtls_journal_entry_parse (again);
			if (back == NULL)
				__builtin_trap ();
			rtls_journal_entry_free (back);
			g_free (again);
			g_ptr_array_add (journal, e);
		}
		g_free (line);
		p += len + 1;
	}
	rows = rtls_delivery_rows (journal);
	if (rows != NULL)
		g_ptr_array_unref (rows);
	g_ptr_array_unref (journal);

	rec = rtls_record_parse ((const char *) data, size);
	if (rec != NULL) {
		gchar *why = rtls_record_explain (rec);
		(void) rtls_record_outcome (rec);
		g_free (why);
		rtls_record_free (rec);
	}
	return 0;
}
