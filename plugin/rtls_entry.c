/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_entry.c: REQUIRETLS entries in Claws' queue folders are locked, so that only the
 * plugin sends them (DESIGN §4): locked when they appear by any route (Claws' folder and
 * message hooks), marked, unlocked and removed only by the sender.
 */
#include "config.h"

#include "rtls_entry.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>

#include "common/tags.h"
#include "folder.h"
#include "hooks.h"
#include "log.h"
#include "mainwindow.h"
#include "procmsg.h"
#include "statusbar.h"

#include "rtls_journal.h"
#include "rtls_plugin.h"
#include "rtls_queuefile.h"

static gint guard_suspended;
static gulong hook_item, hook_msginfo;
static RtlsEntryInFlight in_flight;

/* A locked REQUIRETLS entry is marked in the Queue folder: Claws' padlock, and a tag that
 * says where such entries are sent from (Claws' own "Send queued messages" skips them); the
 * status bar says it too. The tag is set from an idle callback: the locking runs inside
 * Claws' folder and message hooks, where the message cache must not be changed. */
static guint mark_idle;
static GPtrArray *mark_pending; /* "folder-id\tmsgnum" */

/* The status-bar note about the last entry locked: shown for NOTE_SECONDS. */
#define NOTE_SECONDS 20
static gboolean note_shown;
static guint note_timer;

/* @data: NULL when called, not NULL from its timer */
static gboolean
note_clear (gpointer data)
{
	if (note_timer != 0 && data == NULL)
		g_source_remove (note_timer);
	note_timer = 0;
	if (note_shown && mainwindow_get_mainwindow () != NULL)
		statusbar_pop_all ();
	note_shown = FALSE;
	return G_SOURCE_REMOVE;
}

static const char *
tag_queued (void)
{
	return _ ("Require TLS: Tools → Send queued REQUIRETLS messages");
}

static gboolean
mark_show (gpointer data)
{
	gint id = tags_get_id_for_str (tag_queued ());
	g_autofree gchar *last_subject = NULL;

	mark_idle = 0;
	if (id == -1) {
		id = tags_add_tag (tag_queued ());
		tags_write_tags ();
	}
	for (guint i = 0; mark_pending != NULL && i < mark_pending->len; i++) {
		g_auto (GStrv) t = g_strsplit (g_ptr_array_index (mark_pending, i), "\t", 2);
		FolderItem *item = t[0] != NULL ? folder_find_item_from_identifier (t[0]) : NULL;
		MsgInfo *mi = item != NULL && t[1] != NULL
		                      ? folder_item_get_msginfo (item, atoi (t[1]))
		                      : NULL;
		if (mi == NULL)
			continue;
		if (in_flight != NULL && in_flight (item, mi->msgnum)) {
			/* a send from the composer: the entry only waits in the queue if that
			 * send ends with it kept (the sender marks it then) */
			procmsg_msginfo_free (&mi);
			continue;
		}
		if (id > 0 && MSG_IS_LOCKED (mi->flags)
		    && g_slist_find (mi->tags, GINT_TO_POINTER (id)) == NULL) {
			/* the tag and the padlock have columns that Claws hides by default: the
			 * mark (✓ in the Mark column, shown by default) is what a person sees in
			 * the list. The tag says that the plugin set it (rtls_entry_set_locked). */
			guard_suspended++;
			procmsg_msginfo_update_tags (mi, TRUE, id);
			if (!MSG_IS_MARKED (mi->flags))
				procmsg_msginfo_set_flags (mi, MSG_MARKED, 0);
			guard_suspended--;
			g_debug ("REQUIRETLS: queue entry tagged: %d", mi->msgnum);
		}
		g_free (last_subject);
		last_subject = g_strdup (mi->subject != NULL && *mi->subject != '\0'
		                                 ? mi->subject
		                                 : _ ("(no subject)"));
		procmsg_msginfo_free (&mi);
	}
	if (mark_pending != NULL)
		g_ptr_array_set_size (mark_pending, 0);
	if (last_subject != NULL) {
		/* once, in words a person knows, short enough for the status bar; it goes after
		 * a while (and at unload) */
		note_clear (NULL);
		statusbar_print_all (_ ("REQUIRETLS: “%s” waits in the Queue (Tools → Send queued "
		                        "REQUIRETLS messages)"),
		                     last_subject);
		note_shown = TRUE;
		note_timer = g_timeout_add_seconds (NOTE_SECONDS, note_clear, GINT_TO_POINTER (1));
	}
	return G_SOURCE_REMOVE;
}

void
rtls_entry_mark (MsgInfo *mi)
{
	g_autofree gchar *id = mi->folder != NULL ? folder_item_get_identifier (mi->folder) : NULL;

	if (id == NULL)
		return;
	g_debug ("REQUIRETLS: queue entry marked: %d", mi->msgnum);
	if (mark_pending == NULL)
		mark_pending = g_ptr_array_new_with_free_func (g_free);
	g_ptr_array_add (mark_pending, g_strdup_printf ("%s\t%d", id, mi->msgnum));
	if (mark_idle == 0)
		mark_idle = g_idle_add (mark_show, NULL);
}

void
rtls_entry_set_locked (FolderItem *item, gint msgnum, gboolean locked)
{
	MsgInfo *mi = folder_item_get_msginfo (item, msgnum);

	if (mi == NULL)
		return;
	guard_suspended++;
	if (locked) {
		procmsg_msginfo_set_flags (mi, MSG_LOCKED, 0);
	} else {
		gint id = tags_get_id_for_str (tag_queued ());
		procmsg_msginfo_unset_flags (mi, MSG_LOCKED, 0);
		/* the mark and the tag go with the lock, when the plugin put them there */
		if (id > 0 && g_slist_find (mi->tags, GINT_TO_POINTER (id)) != NULL) {
			procmsg_msginfo_update_tags (mi, FALSE, id);
			procmsg_msginfo_unset_flags (mi, MSG_MARKED, 0);
		}
	}
	guard_suspended--;
	if (locked)
		rtls_entry_mark (mi);
	procmsg_msginfo_free (&mi);
}

gboolean
rtls_entry_remove (FolderItem *item, gint msgnum)
{
	gint r;

	guard_suspended++;
	rtls_entry_set_locked (item, msgnum, FALSE);
	r = folder_item_remove_msg (item, msgnum);
	guard_suspended--;
	if (r == 0) {
		/* the removal is durable before the journal says "closed" */
		g_autofree gchar *dir = folder_item_get_path (item);
		g_autoptr (GError) error = NULL;
		if (dir != NULL && !rtls_journal_fsync_dir (dir, &error))
			log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
	}
	if (r != 0) {
		log_error (LOG_PROTOCOL,
		           _ ("REQUIRETLS: cannot remove queue entry %d; it is locked again\n"),
		           msgnum);
		rtls_entry_set_locked (item, msgnum, TRUE);
		return FALSE;
	}
	return TRUE;
}

gboolean
rtls_entry_is_require (MsgInfo *mi)
{
	g_autofree gchar *path = procmsg_get_message_file_path (mi);
	RtlsChoice choice = RTLS_CHOICE_DEFAULT;

	return path != NULL && rtls_message_file_choice (path, &choice, NULL)
	       && choice == RTLS_CHOICE_REQUIRE;
}

/* Locks every REQUIRETLS-marked entry of a queue folder that is not locked (a draft dragged
 * into the queue, an entry unlocked by hand, "Send later"). TRUE when it locked any. */
gboolean
rtls_queue_guard_item (FolderItem *item)
{
	GSList *list;
	gboolean any = FALSE;

	if (guard_suspended > 0 || item == NULL || item->stype != F_QUEUE)
		return FALSE;
	list = folder_item_get_msg_list (item);
	for (GSList *l = list; l != NULL; l = l->next) {
		MsgInfo *mi = l->data;
		if (!MSG_IS_LOCKED (mi->flags) && rtls_entry_is_require (mi)) {
			guard_suspended++;
			procmsg_msginfo_set_flags (mi, MSG_LOCKED, 0);
			guard_suspended--;
			rtls_entry_mark (mi);
			log_message (
			        LOG_PROTOCOL,
			        _ ("REQUIRETLS: queue entry %d is marked Require TLS; locked so "
			           "that only the plugin sends it\n"),
			        mi->msgnum);
			any = TRUE;
		}
	}
	procmsg_msg_list_free (list);
	return any;
}

static gboolean
folder_item_update_hook (gpointer source, gpointer data)
{
	FolderItemUpdateData *d = source;

	if (d->item != NULL && d->item->stype == F_QUEUE
	    && (d->update_flags
	        & (F_ITEM_UPDATE_MSGCNT | F_ITEM_UPDATE_CONTENT | F_ITEM_UPDATE_ADDMSG)))
		rtls_queue_guard_item (d->item);
	return FALSE;
}

static gboolean
msginfo_update_hook (gpointer source, gpointer data)
{
	MsgInfoUpdate *u = source;
	MsgInfo *mi = u->msginfo;

	if (guard_suspended > 0 || mi == NULL || mi->folder == NULL || mi->folder->stype != F_QUEUE
	    || !(u->flags & MSGINFO_UPDATE_FLAGS) || MSG_IS_LOCKED (mi->flags))
		return FALSE;
	if (rtls_entry_is_require (mi)) {
		guard_suspended++;
		procmsg_msginfo_set_flags (mi, MSG_LOCKED, 0);
		guard_suspended--;
		rtls_entry_mark (mi);
		log_message (LOG_PROTOCOL,
		             _ ("REQUIRETLS: queue entry %d is marked Require TLS; locked again\n"),
		             mi->msgnum);
	}
	return FALSE;
}

void
rtls_entry_init (RtlsEntryInFlight in_flight_fn)
{
	in_flight = in_flight_fn;
	hook_item
	        = hooks_register_hook (FOLDER_ITEM_UPDATE_HOOKLIST, folder_item_update_hook, NULL);
	hook_msginfo = hooks_register_hook (MSGINFO_UPDATE_HOOKLIST, msginfo_update_hook, NULL);
}

void
rtls_entry_done (void)
{
	hooks_unregister_hook (FOLDER_ITEM_UPDATE_HOOKLIST, hook_item);
	hooks_unregister_hook (MSGINFO_UPDATE_HOOKLIST, hook_msginfo);
	if (mark_idle != 0)
		g_source_remove (mark_idle);
	mark_idle = 0;
	g_clear_pointer (&mark_pending, g_ptr_array_unref);
	in_flight = NULL;
	note_clear (NULL);
}

guint
rtls_entry_count_locked (void)
{
	guint n = 0;

	for (GList *f = folder_get_list (); f != NULL; f = f->next) {
		FolderItem *q = ((Folder *) f->data)->queue;
		GSList *list = q != NULL ? folder_item_get_msg_list (q) : NULL;
		for (GSList *l = list; l != NULL; l = l->next) {
			MsgInfo *mi = l->data;
			if (MSG_IS_LOCKED (mi->flags) && rtls_entry_is_require (mi))
				n++;
		}
		procmsg_msg_list_free (list);
	}
	return n;
}
