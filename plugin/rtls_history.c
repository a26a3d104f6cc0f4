/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_history.c: the plugin's store, opened in Claws' configuration directory.
 */
#include "config.h"

#include "rtls_history.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "log.h"

#include "errors.h"
#include "rtls_plugin.h"

static RtlsStore *store;
static GError *open_error; /* why there is none */
static RtlsHistoryListener listener;
static GCancellable *verifying;
static guint replace_timer;

/* The text journal of earlier releases: imported once, then kept beside the database under
 * this name (never read again). */
#define IMPORTED_SUFFIX ".imported"

/* The import of an earlier release's journal runs in a thread, on a connection of its own,
 * in one transaction: a busy user's years are tens of megabytes. Until it is over, nothing
 * is written (a send is refused before anything leaves: its rows would not be beside those
 * of its earlier attempts) and no queue run or recovery starts. */
typedef struct {
	gchar *db, *journal;
	guint taken, skipped;
	gint64 ms;
	GError *error;
	GCancellable *cancel;
} Import;

static Import *importing;

static void start_verify (void);

static void
import_free (Import *im)
{
	g_free (im->db);
	g_free (im->journal);
	g_clear_error (&im->error);
	g_clear_object (&im->cancel);
	g_free (im);
}

static void
import_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	Import *im = data;
	gint64 t0 = g_get_monotonic_time ();
	RtlsStore *own = rtls_store_open (im->db, NULL, &im->error);

	if (own != NULL)
		rtls_store_import_journal (own, im->journal, &im->taken, &im->skipped, &im->error);
	rtls_store_close (own);
	im->ms = (g_get_monotonic_time () - t0) / 1000;
	g_task_return_boolean (task, TRUE);
}

static void
import_done (GObject *source, GAsyncResult *res, gpointer data)
{
	Import *im = data;
	g_autofree gchar *kept = g_strconcat (im->journal, IMPORTED_SUFFIX, NULL);

	if (g_cancellable_is_cancelled (im->cancel)) {
		import_free (im); /* the history was closed meanwhile */
		return;
	}
	importing = NULL;
	if (im->error != NULL) {
		/* left where it is: the next start tries again */
		log_error (LOG_PROTOCOL,
		           _ ("REQUIRETLS: the history of an earlier release (%s) could not be "
		              "imported: %s\n"),
		           im->journal, im->error->message);
	} else if (g_rename (im->journal, kept) != 0) {
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s: %s\n", im->journal, g_strerror (errno));
	} else {
		log_message (
		        LOG_PROTOCOL,
		        ngettext ("REQUIRETLS: imported %u record of the earlier history (%s, "
		                  "now kept as %s); %u line could not be read\n",
		                  "REQUIRETLS: imported %u records of the earlier history (%s, "
		                  "now kept as %s); %u lines could not be read\n",
		                  im->taken),
		        im->taken, im->journal, kept, im->skipped);
	}
	g_debug ("REQUIRETLS: journal import: %u records, %u skipped, %" G_GINT64_FORMAT " ms",
	         im->taken, im->skipped, im->ms);
	import_free (im);
	start_verify ();
}

static gboolean
import_journal (const char *db)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_JOURNAL_FILE);
	GTask *task;

	if (!g_file_test (path, G_FILE_TEST_EXISTS))
		return FALSE;
	if (rtls_store_journal_imported (store)) {
		/* taken at an earlier start, whose renaming failed: only the renaming is left */
		g_autofree gchar *kept = g_strconcat (path, IMPORTED_SUFFIX, NULL);
		if (g_rename (path, kept) != 0)
			log_warning (LOG_PROTOCOL, "REQUIRETLS: %s: %s\n", path,
			             g_strerror (errno));
		return FALSE;
	}
	importing = g_new0 (Import, 1);
	importing->db = g_strdup (db);
	importing->journal = g_steal_pointer (&path);
	importing->cancel = g_cancellable_new ();
	task = g_task_new (NULL, NULL, import_done, importing);
	g_task_set_task_data (task, importing, NULL);
	g_task_run_in_thread (task, import_thread);
	g_object_unref (task);
	return TRUE;
}

gboolean
rtls_history_ready (void)
{
	return store != NULL && importing == NULL;
}

static void
tell (const char *text)
{
	if (listener.notice != NULL)
		listener.notice (text);
}

static void
damaged_notice (const char *aside)
{
	g_autofree gchar *text = NULL;

	log_error (LOG_PROTOCOL,
	           _ ("REQUIRETLS: the plugin's history was damaged; it was moved to %s and a "
	              "new one was started\n"),
	           aside);
	text = g_strdup_printf (_ ("The plugin's history of REQUIRETLS sends was damaged. It was "
	                           "moved aside to %s and a new, empty one was started: the "
	                           "delivery window begins again, and nothing else is "
	                           "affected."),
	                        aside);
	tell (text);
}

static void
cannot_open_notice (const char *path)
{
	g_autofree gchar *text = NULL;

	log_error (LOG_PROTOCOL,
	           _ ("REQUIRETLS: the plugin's history cannot be opened: %s; messages marked "
	              "Require TLS are not sent until it can\n"),
	           open_error->message);
	text = g_strdup_printf (_ ("The plugin's history (%s) cannot be opened: %s. Messages "
	                           "marked Require TLS are not sent until it can."),
	                        path, open_error->message);
	tell (text);
}

/* The check found the store damaged: it is replaced between sends (a send's rows stay in
 * one store from its start to its bookkeeping). */
static gboolean
replace_damaged (gpointer data)
{
	g_autofree gchar *aside = NULL;
	g_autofree gchar *path = NULL;

	if (store == NULL) {
		replace_timer = 0;
		return G_SOURCE_REMOVE;
	}
	if (listener.busy != NULL && listener.busy ())
		return G_SOURCE_CONTINUE;
	replace_timer = 0;
	path = g_strdup (rtls_store_path (store));
	store = rtls_store_replace (store, &aside, &open_error);
	if (aside != NULL)
		damaged_notice (aside);
	if (store == NULL)
		cannot_open_notice (path);
	return G_SOURCE_REMOVE;
}

static void
verify_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	g_task_return_boolean (task, rtls_store_verify (data));
}

static void
verify_done (GObject *source, GAsyncResult *res, gpointer data)
{
	GCancellable *cancel = data;
	gboolean ok = g_task_propagate_boolean (G_TASK (res), NULL);
	gboolean closed = g_cancellable_is_cancelled (cancel);

	g_object_unref (cancel);
	if (closed)
		return; /* the history was closed meanwhile */
	g_clear_object (&verifying);
	g_debug ("REQUIRETLS: history check: %s", ok ? "ok" : "damaged");
	if (!ok && replace_timer == 0)
		replace_timer = g_timeout_add (500, replace_damaged, NULL);
}

void
rtls_history_open (const RtlsHistoryListener *l)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_STORE_FILE);
	g_autofree gchar *aside = NULL;

	rtls_history_close ();
	listener = *l;
	store = rtls_store_open (path, &aside, &open_error);
	if (aside != NULL)
		damaged_notice (aside);
	if (store == NULL) {
		cannot_open_notice (path);
		return;
	}
	/* the check after the import: both read and write the whole file */
	if (!import_journal (path))
		start_verify ();
}

/* PRAGMA quick_check reads every page: in a thread, while the plugin goes on */
static void
start_verify (void)
{
	GTask *task;

	if (store == NULL)
		return;
	verifying = g_cancellable_new ();
	task = g_task_new (NULL, NULL, verify_done, g_object_ref (verifying));
	g_task_set_task_data (task, g_strdup (rtls_store_path (store)), g_free);
	g_task_run_in_thread (task, verify_thread);
	g_object_unref (task);
}

void
rtls_history_close (void)
{
	if (importing != NULL) {
		/* the thread finishes its transaction on its own connection; its result is
		 * dropped (import_done() frees it) */
		g_cancellable_cancel (importing->cancel);
		importing = NULL;
	}
	if (verifying != NULL) {
		g_cancellable_cancel (verifying);
		g_clear_object (&verifying);
	}
	if (replace_timer != 0)
		g_source_remove (replace_timer);
	replace_timer = 0;
	g_clear_pointer (&store, rtls_store_close);
	g_clear_error (&open_error);
}

RtlsStore *
rtls_history_store (GError **error)
{
	if (store == NULL && error != NULL)
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("the plugin's history cannot be "
		                "opened: %s"),
		             open_error != NULL ? open_error->message : "?");
	return store;
}

static gboolean
writable (GError **error)
{
	if (importing != NULL) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, "%s",
		             _ ("the plugin is still taking over the history of an earlier "
		                "release; try again in a moment"));
		return FALSE;
	}
	return TRUE;
}

gboolean
rtls_history_write_all (GPtrArray *records, GError **error)
{
	RtlsStore *st = writable (error) ? rtls_history_store (error) : NULL;

	return st != NULL && rtls_store_append_all (st, records, error);
}

gboolean
rtls_history_write (const RtlsJournalEntry *e, GError **error)
{
	RtlsStore *st = writable (error) ? rtls_history_store (error) : NULL;

	return st != NULL && rtls_store_append (st, e, error);
}

void
rtls_history_expire (guint days)
{
	g_autoptr (GError) error = NULL;
	gint64 n;

	if (store == NULL || days == 0 || importing != NULL)
		return;
	n = rtls_store_expire (store, g_get_real_time () / G_USEC_PER_SEC - (gint64) days * 86400,
	                       &error);
	if (n < 0)
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
	else if (n > 0)
		log_message (LOG_PROTOCOL,
		             ngettext ("REQUIRETLS: forgot %u message older than %u days\n",
		                       "REQUIRETLS: forgot %u messages older than %u days\n",
		                       (gulong) n),
		             (guint) n, days);
}
