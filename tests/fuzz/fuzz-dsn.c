/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-dsn.c: libFuzzer target for incoming bounces (RFC 3464 delivery status
 * notifications, anyone can send one): the quick look, the parse, and the correlation with a
 * journal holding one send, as the plugin's filtering hook does it.
 */
#include "config.h"

#include <string.h>

#include "rtls_delivery.h"
#include "rtls_dsn.h"
#include "rtls_journal.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	GError *error = NULL;
	RtlsDsn *dsn;
	GPtrArray *journal;
	const RtlsJournalEntry *entry = NULL;
	gchar *reason = NULL;
	RtlsBounceMatch match;
	GPtrArray *records;

	(void) rtls_dsn_looks_like_report ((const char *) data, size);
	dsn = rtls_dsn_parse ((const char *) data, size, &error);
	g_clear_error (&error);
	if (dsn == NULL)
		return 0;
	for (guint i = 0; i < dsn->recipients->len; i++) {
		const RtlsDsnRecipient *r = g_ptr_array_index (dsn->recipients, i);
		(void) rtls_dsn_status_is_requiretls (r->status);
	}
	journal = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	{
		RtlsJournalEntry *e = rtls_journal_entry_parse (
		        "v=1 kind=send envid=rtls-0123456789abcdef01234567 "
		        "message-id=a@example.org rcpt=bob@example.net result=sent");
		if (e != NULL)
			g_ptr_array_add (journal, e);
	}
	match = rtls_delivery_correlate (dsn, journal, &entry, &reason);
	records = rtls_delivery_records (dsn, match, entry, reason, "bounce@x", 1);
	if (records != NULL)
		g_ptr_array_unref (records);
	g_free (reason);
	g_ptr_array_unref (journal);
	rtls_dsn_free (dsn);
	return 0;
}
