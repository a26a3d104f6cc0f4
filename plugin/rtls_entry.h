/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_entry.h: locking REQUIRETLS entries in Claws' queue folders.
 */
#pragma once

#include "folder.h"
#include "procmsg.h"

/* Whether the sender has the entry in hand (a send from the composer): it is not marked as
 * waiting then. The sender registers it: this module never calls up. */
typedef gboolean (*RtlsEntryInFlight) (FolderItem *item, gint msgnum);

void rtls_entry_init (RtlsEntryInFlight in_flight);
void rtls_entry_done (void);
/* How many entries of the queue folders are locked and marked Require TLS (the queue is
 * read, not the history). */
guint rtls_entry_count_locked (void);

/* Marks @mi, locked, as waiting for the plugin (a tag, the status bar), from an idle
 * callback: Claws' hooks must not see its message cache change under them. */
void rtls_entry_mark (MsgInfo *mi);
void rtls_entry_set_locked (FolderItem *item, gint msgnum, gboolean locked);
/* Unlocks and removes the entry, the removal durable; FALSE: it stays, locked again. */
gboolean rtls_entry_remove (FolderItem *item, gint msgnum);
/* Whether the queue file of @mi carries the plugin's Require TLS marker. */
gboolean rtls_entry_is_require (MsgInfo *mi);
