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
static guint threads; /* tasks in worker threads whose callbacks have not run yet */

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

/* The reads that grow with the history (the delivery window's pages, counts and searches)
 * run in worker threads, on a read-only connection of their own, one at a time. It is opened
 * at the first read after the store was opened or replaced (the generation tells). */
static GMutex reader_lock;
static RtlsStore *reader;                   /* under reader_lock */
static gchar *reader_path;                  /* under reader_lock; NULL: no store to read */
static guint generation, reader_generation; /* under reader_lock */

/* Retention, a slice at a time between other work: messages removed, then pages given back. */
#define EXPIRE_SLICE 200
#define COMPACT_SLICE 256
static guint expire_idle;
static gint64 expire_before, expired;
static guint expire_days;

static void start_verify (void);
static void start_expire (void);
static void reader_point (const char *path);

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

	threads--;
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
	start_expire ();
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
	threads++;
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
	reader_point (NULL); /* nothing of the old file stays open */
	store = rtls_store_replace (store, &aside, &open_error);
	reader_point (store != NULL ? path : NULL);
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

	threads--;
	g_object_unref (cancel);
	if (closed)
		return; /* the history was closed meanwhile */
	g_clear_object (&verifying);
	g_debug ("REQUIRETLS: history check: %s", ok ? "ok" : "damaged");
	if (!ok && replace_timer == 0)
		replace_timer = g_timeout_add (500, replace_damaged, NULL);
}

/* The reader reads @path from now on (NULL: nothing). */
static void
reader_point (const char *path)
{
	g_mutex_lock (&reader_lock);
	g_free (reader_path);
	reader_path = g_strdup (path);
	generation++;
	g_clear_pointer (&reader, rtls_store_close);
	g_mutex_unlock (&reader_lock);
}

void
rtls_history_open (const RtlsHistoryListener *l)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_STORE_FILE);
	g_autofree gchar *aside = NULL;

	rtls_history_close ();
	listener = *l;
	store = rtls_store_open (path, &aside, &open_error);
	reader_point (store != NULL ? path : NULL);
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
	threads++;
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
	if (expire_idle != 0)
		g_source_remove (expire_idle);
	expire_idle = 0;
	expire_days = 0;
	reader_point (NULL);
	g_clear_pointer (&store, rtls_store_close);
	g_clear_error (&open_error);
}

gboolean
rtls_history_busy (void)
{
	return threads > 0;
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

/* Whether there is a reader, opened first if need be; under reader_lock. */
static gboolean
with_reader (GError **error)
{
	if (reader != NULL && reader_generation != generation)
		g_clear_pointer (&reader, rtls_store_close);
	if (reader == NULL && reader_path != NULL) {
		reader = rtls_store_open_reader (reader_path, error);
		reader_generation = generation;
		return reader != NULL;
	}
	if (reader == NULL)
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, "%s",
		             _ ("the plugin's history cannot be opened"));
	return reader != NULL;
}

GPtrArray *
rtls_history_read_rows (const char *search, guint offset, guint limit, gboolean *more,
                        GError **error)
{
	GPtrArray *rows = NULL;

	g_mutex_lock (&reader_lock);
	if (with_reader (error))
		rows = rtls_store_rows (reader, search, offset, limit, more, error);
	g_mutex_unlock (&reader_lock);
	return rows;
}

gint64
rtls_history_read_count (const char *search)
{
	gint64 n = -1;

	g_mutex_lock (&reader_lock);
	if (with_reader (NULL))
		n = rtls_store_count_messages (reader, search);
	g_mutex_unlock (&reader_lock);
	return n;
}

/* One slice of retention: some messages, else some free pages; then the next idle. */
static gboolean
expire_step (gpointer data)
{
	g_autoptr (GError) error = NULL;
	gint64 n = 0;

	if (store == NULL || importing != NULL) {
		expire_idle = 0;
		return G_SOURCE_REMOVE;
	}
	if (expire_before != 0) {
		n = rtls_store_expire (store, expire_before, EXPIRE_SLICE, &error);
		if (n >= 0)
			expired += n;
		if (n == EXPIRE_SLICE)
			return G_SOURCE_CONTINUE;
		expire_before = 0;
	}
	if (n >= 0 && (n = rtls_store_compact (store, COMPACT_SLICE, &error)) > 0)
		return G_SOURCE_CONTINUE;
	expire_idle = 0;
	if (n < 0)
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s\n", error->message);
	if (expired > 0) {
		log_message (LOG_PROTOCOL,
		             ngettext ("REQUIRETLS: forgot %u message older than %u days\n",
		                       "REQUIRETLS: forgot %u messages older than %u days\n",
		                       (gulong) expired),
		             (guint) expired, expire_days);
		if (listener.changed != NULL)
			listener.changed ();
	}
	expired = 0;
	return G_SOURCE_REMOVE;
}

static void
start_expire (void)
{
	if (store == NULL || expire_days == 0 || importing != NULL || expire_idle != 0)
		return;
	expire_before = g_get_real_time () / G_USEC_PER_SEC - (gint64) expire_days * 86400;
	expired = 0;
	/* below drawing and input: each slice is one short transaction */
	expire_idle = g_idle_add_full (G_PRIORITY_LOW, expire_step, NULL, NULL);
}

void
rtls_history_expire (guint days)
{
	/* while an earlier release's journal is imported, after it (import_done()) */
	expire_days = days;
	start_expire ();
}
