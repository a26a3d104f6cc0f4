/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_history.h: the plugin's one door to its store (core/rtls_store.h). Every writer (the
 * sender, the bounce watcher, the delivery window's Forget) and every reader goes through
 * it. It opens requiretls.db in Claws' configuration directory, imports the text journal of
 * an earlier release once, moves a damaged database aside, and applies the retention the
 * person chose. Nothing here reads the history whole.
 */
#pragma once

#include <glib.h>

#include "rtls_store.h"

G_BEGIN_DECLS

#define RTLS_STORE_FILE "requiretls.db"

/* What the history tells the upper layer (it never calls up itself). */
typedef struct {
	/* a sentence for the person, once: the store was damaged and moved aside, or cannot
	 * be opened */
	void (*notice) (const char *text);
	/* whether a send is under way (a damaged store is replaced only between sends) */
	gboolean (*busy) (void);
	/* what is kept changed without a write of the plugin's (retention forgot some) */
	void (*changed) (void);
} RtlsHistoryListener;

/* Opens the store (at plugin_init), then checks the whole file in a thread (PRAGMA
 * quick_check reads every page: never on the main loop). The plugin works without a store,
 * but refuses every REQUIRETLS send: the write-ahead row could not be kept. */
void rtls_history_open (const RtlsHistoryListener *l);
void rtls_history_close (void);
/* Whether a thread of the history's (the import, the check) has not reported back yet: the
 * module must stay loaded until it has. */
gboolean rtls_history_busy (void);

/* FALSE while there is no store, or an earlier release's journal is being imported: then no
 * queue run or recovery starts, and every write is refused with the reason. */
gboolean rtls_history_ready (void);

/* The store, or NULL when none could be opened (then *@error says why). */
RtlsStore *rtls_history_store (GError **error);

/* One record, or several in one transaction: durable before it returns. FALSE: nothing of
 * it was written, and @error says why in a sentence fit for the person. */
gboolean rtls_history_write (const RtlsJournalEntry *e, GError **error);
gboolean rtls_history_write_all (GPtrArray *records, GError **error);

/* The delivery window's reads, which grow with the history: callable from any thread (a
 * worker's), on a read-only connection of their own, one at a time; they see what was
 * committed. rtls_store_rows() and rtls_store_count_messages() (-1: not known). */
GPtrArray *rtls_history_read_rows (const char *search, guint offset, guint limit, gboolean *more,
                                   GError **error);
gint64 rtls_history_read_count (const char *search);

/* Retention: forgets what is older than @days (0: keep everything), a slice at a time from
 * idle callbacks (each one short transaction), then gives the free pages back the same way;
 * says in Claws' log how many messages it forgot. */
void rtls_history_expire (guint days);

G_END_DECLS
