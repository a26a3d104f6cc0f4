/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_bounce.c: bounces back in the mail client. Every incoming message passes through
 * Claws' filtering hook (POP, local mbox, and IMAP inboxes with filtering on receive); a
 * delivery report is parsed (rtls_dsn.c), tied to the send journal by its ENVID
 * (rtls_delivery.c) and recorded there. A failure or delay of ours tags the bounce and the
 * Sent copy, shows a note that does not take the focus, and a row in the REQUIRETLS
 * delivery window. A bounce never makes the plugin send anything; unverified bounces are never
 * shown as failures of ours.
 */
#include "config.h"

#include "rtls_plugin.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "account.h"
#include "alertpanel.h"
#include "common/tags.h"
#include "compose.h"
#include "folder.h"
#include "hooks.h"
#include "log.h"
#include "mainwindow.h"
#include "messageview.h"
#include "procmsg.h"

#include "rtls_delivery.h"
#include "rtls_delivery_ui.h"
#include "rtls_dsn.h"
#include "rtls_history.h"
#include "rtls_journal.h"

#define DOMAIN_WARNING_AGE (90 * 24 * 3600) /* a bounce older than this says nothing now */

static gulong hook_filtering;
static void (*resend_opened) (Compose *compose);

void
rtls_bounce_set_resend_hook (void (*opened) (Compose *compose))
{
	resend_opened = opened;
}

static const char *
tag_unverified (void)
{
	return rtls_delivery_tag_name (RTLS_TAG_UNVERIFIED);
}

void
rtls_bounce_journal_changed (void)
{
	rtls_delivery_ui_refresh ();
}

static void
tag (MsgInfo *msginfo, const char *name)
{
	gint id = tags_get_id_for_str (name);

	if (id == -1) {
		id = tags_add_tag (name);
		tags_write_tags ();
	}
	if (id > 0)
		procmsg_msginfo_update_tags (msginfo, TRUE, id);
}

/* A message by Message-ID in @item, or NULL. */
static MsgInfo *
find_in (FolderItem *item, const char *msgid)
{
	g_autofree gchar *bare = rtls_dsn_strip_brackets (msgid);

	if (item == NULL || bare == NULL)
		return NULL;
	/* Claws keeps Message-IDs without their brackets */
	return folder_item_get_msginfo_by_msgid (item, bare);
}

/* The Sent copy: the account's Sent folder, the default one, then every mailbox's. */
static MsgInfo *
find_sent (gint account_id, const char *msgid)
{
	PrefsAccount *ac = account_id >= 0 ? account_find_from_id (account_id) : NULL;
	MsgInfo *m = NULL;

	if (ac != NULL)
		m = find_in (account_get_special_folder (ac, F_OUTBOX), msgid);
	if (m == NULL)
		m = find_in (folder_get_default_outbox (), msgid);
	for (GList *l = folder_get_list (); l != NULL && m == NULL; l = l->next)
		m = find_in (FOLDER (l->data)->outbox, msgid);
	return m;
}

/* The bounce: every mailbox's Inbox, then every folder of the local mailboxes (a filter
 * rule may have moved it). IMAP folders other than the Inbox are not searched: that would
 * mean going online for every folder. */
static void
search_item (FolderItem *item, gpointer data)
{
	gpointer *ctx = data;

	if (ctx[1] != NULL || item == NULL || item->folder == NULL || item->no_select)
		return;
	if (FOLDER_TYPE (item->folder) != F_MH && FOLDER_TYPE (item->folder) != F_MBOX)
		return;
	ctx[1] = find_in (item, ctx[0]);
}

static MsgInfo *
find_bounce (const char *msgid)
{
	gpointer ctx[2] = { (gpointer) msgid, NULL };

	for (GList *l = folder_get_list (); l != NULL && ctx[1] == NULL; l = l->next)
		ctx[1] = find_in (FOLDER (l->data)->inbox, msgid);
	if (ctx[1] == NULL)
		folder_func_to_all_folders (search_item, ctx);
	return ctx[1];
}

static void
show_window_cb (gpointer data)
{
	rtls_bounce_show_window ();
}

/* The problems the notes told of that the person has not yet looked at (Show details, the
 * delivery window) or dismissed, newest last: a bounce arriving while a note is up joins it
 * instead of replacing it. */
static GPtrArray *unseen;

static void
seen (void)
{
	g_clear_pointer (&unseen, g_ptr_array_unref);
}

static void
dismissed_cb (gpointer data)
{
	seen ();
}

/* The note: one line a recipient, the newest three, then "and N more". */
static void
notify (GPtrArray *records)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();
	g_autoptr (GString) text = g_string_new (NULL);
	guint added = 0, shown = 0;

	if (unseen == NULL)
		unseen = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; i < records->len; i++) {
		const RtlsJournalEntry *e = g_ptr_array_index (records, i);
		RtlsResult result = rtls_result_parse (e->result);
		if (result != RTLS_RESULT_BOUNCED && result != RTLS_RESULT_DELAYED)
			continue;
		g_ptr_array_add (
		        unseen,
		        g_strdup_printf (
		                result == RTLS_RESULT_BOUNCED
		                        ? _ ("A message sent with Require TLS bounced: “%s” to %s "
		                             "— %s (%s).")
		                        : _ ("A message sent with Require TLS is delayed: “%s” to "
		                             "%s — %s (%s)."),
		                e->subject != NULL ? e->subject : _ ("(no subject)"), e->recipient,
		                e->explanation, e->enhanced != NULL ? e->enhanced : "?"));
		added++;
	}
	if (added == 0)
		return;
	for (guint i = unseen->len; i-- > 0 && shown < 3; shown++) {
		if (text->len > 0)
			g_string_append_c (text, '\n');
		g_string_append (text, g_ptr_array_index (unseen, i));
	}
	if (unseen->len > shown)
		g_string_append_printf (text,
		                        g_dngettext (GETTEXT_PACKAGE, "\nAnd %u more.",
		                                     "\nAnd %u more.", unseen->len - shown),
		                        unseen->len - shown);
	rtls_ui_notify_full (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
	                     _ ("REQUIRETLS delivery problem"), text->str, show_window_cb,
	                     dismissed_cb, NULL);
}

/* The message file, when it is a delivery report: its header block is looked at first (at
 * most 256 KB read), and only a report is read whole. */
static gchar *
read_message (MsgInfo *msginfo, gsize *len)
{
	const gsize head_max = 256 * 1024;
	g_autofree gchar *path = procmsg_get_message_file (msginfo);
	g_autofree gchar *head = NULL;
	g_autoptr (GError) error = NULL;
	GStatBuf st;
	gchar *data = NULL;
	FILE *f;
	size_t n;

	if (path == NULL || g_stat (path, &st) != 0)
		return NULL;
	if ((guint64) st.st_size > RTLS_DSN_MAX_INPUT) {
		/* not read at all: a bounce with the whole of a huge message returned */
		g_debug ("REQUIRETLS: %s is too large to read as a bounce", path);
		return NULL;
	}
	f = g_fopen (path, "rb");
	if (f == NULL)
		return NULL;
	head = g_malloc (head_max);
	n = fread (head, 1, head_max, f);
	fclose (f);
	if (!rtls_dsn_looks_like_report (head, n))
		return NULL;
	if (!g_file_get_contents (path, &data, len, &error)) {
		log_warning (LOG_PROTOCOL, _ ("REQUIRETLS: cannot read a bounce: %s\n"),
		             error->message);
		return NULL;
	}
	return data;
}

static void
handle (MsgInfo *msginfo)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsDsn) dsn = NULL;
	g_autoptr (GPtrArray) journal = NULL;
	g_autoptr (GPtrArray) records = NULL;
	g_autoptr (GPtrArray) known = NULL;
	g_autofree gchar *reason = NULL;
	const RtlsJournalEntry *entry = NULL;
	RtlsStore *st;
	RtlsBounceMatch match;
	const char *t;

	data = read_message (msginfo, &len);
	if (data == NULL)
		return;
	dsn = rtls_dsn_parse (data, len, &error);
	if (dsn == NULL) {
		if (!g_error_matches (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_NOT_DSN))
			g_debug ("REQUIRETLS: a delivery report that cannot be read: %s",
			         error->message);
		return;
	}
	/* one lookup by ENVID (and the Message-ID it returns), never the whole history */
	st = rtls_history_store (&error);
	journal = st != NULL ? rtls_store_records_for_dsn (st, dsn, &error) : NULL;
	if (journal == NULL) {
		log_warning (LOG_PROTOCOL,
		             _ ("REQUIRETLS: a delivery report could not be matched: "
		                "%s\n"),
		             error->message);
		return;
	}
	match = rtls_delivery_correlate (dsn, journal, &entry, &reason);
	g_debug ("REQUIRETLS: bounce %s: %s%s%s", msginfo->msgid ? msginfo->msgid : "(no id)",
	         match == RTLS_BOUNCE_OURS         ? "ours"
	         : match == RTLS_BOUNCE_UNVERIFIED ? "unverified"
	                                           : "not ours",
	         reason ? ": " : "", reason ? rtls_delivery_reason_words (reason) : "");
	if (match == RTLS_BOUNCE_NOT_OURS)
		return;
	records = rtls_delivery_records (dsn, match, entry, reason, msginfo->msgid,
	                                 g_get_real_time () / G_USEC_PER_SEC);
	/* the same report filtered again is recorded once; another report that only shares
	 * its Message-ID is recorded (the Message-ID alone never decides) */
	known = rtls_store_records_like (st, records, &error);
	if (known == NULL) {
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
		return;
	}
	if (rtls_delivery_records_known (known, records))
		return;
	/* the report's records in one transaction: all of it or none */
	if (!rtls_history_write_all (records, &error)) {
		log_warning (LOG_PROTOCOL,
		             _ ("REQUIRETLS: a delivery report could not be recorded: "
		                "%s\n"),
		             error->message);
		return;
	}
	if (dsn->status_truncated)
		log_warning (
		        LOG_PROTOCOL,
		        _ ("REQUIRETLS: a delivery report was too long: the %u recipients in its "
		           "first %d KB were read, the rest was not read\n"),
		        dsn->recipients->len, RTLS_DSN_MAX_STATUS_PART / 1024);
	if (match == RTLS_BOUNCE_UNVERIFIED) {
		/* listed, tagged so the person can tell it apart, never a failure of ours */
		tag (msginfo, tag_unverified ());
		log_message (LOG_PROTOCOL,
		             _ ("REQUIRETLS: a bounce that could not be tied to a message of yours "
		                "(%s) is listed as unverified\n"),
		             rtls_delivery_reason_words (reason));
	} else if ((t = rtls_delivery_tag_name (rtls_delivery_bounce_tag (dsn, match))) != NULL) {
		MsgInfo *sent = find_sent (entry->account_id, entry->message_id);
		tag (msginfo, t);
		if (sent != NULL) {
			tag (sent, t);
			g_debug ("REQUIRETLS: tagged the Sent copy %s/%d \"%s\"",
			         sent->folder ? sent->folder->path : "?", sent->msgnum, t);
			procmsg_msginfo_free (&sent);
		}
		g_debug ("REQUIRETLS: tagged the bounce \"%s\"", t);
		log_message (LOG_PROTOCOL, _ ("REQUIRETLS: a bounce for “%s” was recorded\n"),
		             entry->subject ? entry->subject : "");
		notify (records);
	}
	rtls_bounce_journal_changed ();
}

static gboolean
filtering_hook (gpointer source, gpointer data)
{
	MailFilteringData *d = source;

	if (d != NULL && d->msginfo != NULL)
		handle (d->msginfo);
	return FALSE; /* never takes the message: Claws' own filtering goes on */
}

/* ------------------------------------------------------------------ the window */

/* in the window's worker thread (rtls_delivery_ui.h) */
static GPtrArray *
ops_load (gpointer data, const char *search, guint offset, guint limit, gboolean *more)
{
	g_autoptr (GError) error = NULL;
	GPtrArray *rows = rtls_history_read_rows (search, offset, limit, more, &error);

	if (rows == NULL) {
		/* Claws' log_warning() is not for threads: GLib's log is */
		g_warning ("REQUIRETLS: the delivery window: %s", error->message);
		*more = FALSE;
		rows = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_delivery_row_free);
	}
	return rows;
}

static gint64
ops_count (gpointer data, const char *search)
{
	return rtls_history_read_count (search);
}

static void
open_message (MsgInfo *m, const char *what)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();
	MessageView *mv;

	if (m == NULL) {
		alertpanel_error (_ ("The %s is no longer in any folder the plugin looks in."),
		                  what);
		return;
	}
	mv = messageview_create_with_new_window (mainwin);
	messageview_show (mv, m, FALSE);
	procmsg_msginfo_free (&m);
}

static void
ops_open_bounce (gpointer data, const RtlsDeliveryRow *row)
{
	open_message (find_bounce (row->bounce_id), _ ("bounce"));
}

static void
ops_open_sent (gpointer data, const RtlsDeliveryRow *row)
{
	open_message (find_sent (row->account_id, row->message_id), _ ("Sent copy"));
}

static void
ops_resend (gpointer data, const RtlsDeliveryRow *row)
{
	MsgInfo *m = find_sent (row->account_id, row->message_id);
	Compose *compose;

	if (m == NULL) {
		alertpanel_error (_ ("The Sent copy of “%s” is no longer in the Sent folder, so it "
		                     "cannot be edited and resent."),
		                  row->subject ? row->subject : "");
		return;
	}
	/* Like "Re-edit" of a sent message: a new message with the same content. The Sent
	 * copy stays where it is (only Drafts and queue entries are removed after sending). */
	compose = compose_reedit (m, FALSE);
	procmsg_msginfo_free (&m);
	if (compose == NULL)
		return;
	/* the new Sent copy must not inherit our tags from the old one */
	if (compose->targetinfo != NULL) {
		for (RtlsBounceTag i = RTLS_TAG_NONE + 1; i <= RTLS_TAG_UNVERIFIED; i++)
			compose->targetinfo->tags = g_slist_remove (
			        compose->targetinfo->tags,
			        GINT_TO_POINTER (tags_get_id_for_str (rtls_delivery_tag_name (i))));
	}
	/* the composer side sets Require TLS (the watcher never calls up, rtls_plugin.h) */
	if (resend_opened != NULL)
		resend_opened (compose);
	g_debug ("REQUIRETLS: edit and resend: composer opened with Require TLS");
}

static void
ops_forget (gpointer data, const RtlsDeliveryRow *row)
{
	g_autoptr (RtlsJournalEntry) e
	        = rtls_delivery_forget_record (row, FALSE, g_get_real_time () / G_USEC_PER_SEC);
	g_autoptr (GError) error = NULL;

	if (!rtls_history_write (e, &error)) {
		alertpanel_error ("%s", error->message);
		return;
	}
	rtls_bounce_journal_changed ();
}

static const RtlsDeliveryUiOps ops = {
	.load = ops_load,
	.count = ops_count,
	.open_bounce = ops_open_bounce,
	.open_sent = ops_open_sent,
	.resend = ops_resend,
	.forget = ops_forget,
};

void
rtls_bounce_show_window (void)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();

	seen (); /* every row is there */
	rtls_delivery_ui_show (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL, &ops, NULL);
}

gchar *
rtls_bounce_domain_warning (const char *domain)
{
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	RtlsStore *st = rtls_history_store (NULL);
	/* an indexed query per domain: nothing proportional to the history */
	g_autoptr (RtlsDeliveryRow) r
	        = st != NULL ? rtls_store_domain_warning (st, domain, now, DOMAIN_WARNING_AGE)
	                     : NULL;
	g_autoptr (GDateTime) dt = NULL;
	g_autofree gchar *when = NULL;

	if (r == NULL)
		return NULL;
	dt = g_date_time_new_from_unix_local (r->time);
	/* TRANSLATORS: a day and month, e.g. "3 Nov"; "%-e": the day without padding (GLib's
	 * %e pads with a figure space) */
	when = dt != NULL ? g_date_time_format (dt, _ ("%-e %b")) : g_strdup ("?");
	/* the clause that matters first (a status line cuts the end): the domain, that it
	 * bounced, when; then why */
	return g_strdup_printf (_ ("%s returned your last REQUIRETLS message (%s): %s."), domain,
	                        when, r->explanation ? r->explanation : r->status);
}

void
rtls_bounce_init (void)
{
	hook_filtering = hooks_register_hook (MAIL_FILTERING_HOOKLIST, filtering_hook, NULL);
}

gboolean
rtls_bounce_done (void)
{
	hooks_unregister_hook (MAIL_FILTERING_HOOKLIST, hook_filtering);
	rtls_ui_notify_close ();
	rtls_delivery_ui_close ();
	seen ();
	/* its result comes back to this module's code: Claws keeps it loaded until exit */
	return !rtls_delivery_ui_busy ();
}
