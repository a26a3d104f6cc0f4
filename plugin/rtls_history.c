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
static gchar *notice;

/* The text journal of earlier releases: imported once, then kept beside the database under
 * this name (never read again). */
#define IMPORTED_SUFFIX ".imported"

static void
import_journal (void)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_JOURNAL_FILE);
	g_autofree gchar *kept = g_strconcat (path, IMPORTED_SUFFIX, NULL);
	g_autoptr (GError) error = NULL;
	guint taken = 0, skipped = 0;
	gint64 t0;

	if (!g_file_test (path, G_FILE_TEST_EXISTS))
		return;
	t0 = g_get_monotonic_time ();
	if (!rtls_store_import_journal (store, path, &taken, &skipped, &error)) {
		/* left where it is: the next start tries again; sends are not refused for it */
		log_error (LOG_PROTOCOL,
		           _ ("REQUIRETLS: the history of an earlier release (%s) "
		              "could not be imported: %s\n"),
		           path, error->message);
		return;
	}
	if (g_rename (path, kept) != 0) {
		log_warning (LOG_PROTOCOL, "REQUIRETLS: %s: %s\n", path, g_strerror (errno));
		return;
	}
	log_message (LOG_PROTOCOL,
	             ngettext ("REQUIRETLS: imported %u record of the earlier history (%s, now "
	                       "kept as %s); %u line could not be read\n",
	                       "REQUIRETLS: imported %u records of the earlier history (%s, now "
	                       "kept as %s); %u lines could not be read\n",
	                       taken),
	             taken, path, kept, skipped);
	g_debug ("REQUIRETLS: journal import: %u records, %u skipped, %" G_GINT64_FORMAT " ms",
	         taken, skipped, (g_get_monotonic_time () - t0) / 1000);
}

void
rtls_history_open (void)
{
	g_autofree gchar *path = rtls_rc_path (RTLS_STORE_FILE);
	g_autofree gchar *aside = NULL;

	rtls_history_close ();
	store = rtls_store_open (path, &aside, &open_error);
	if (store == NULL) {
		log_error (LOG_PROTOCOL,
		           _ ("REQUIRETLS: the plugin's history cannot be opened: %s; "
		              "messages marked Require TLS are not sent until it "
		              "can\n"),
		           open_error->message);
		notice = g_strdup_printf (_ ("The plugin's history (%s) cannot be opened: %s. "
		                             "Messages marked Require TLS are not sent until it "
		                             "can."),
		                          path, open_error->message);
		return;
	}
	if (aside != NULL) {
		log_error (LOG_PROTOCOL,
		           _ ("REQUIRETLS: the plugin's history was damaged; it was "
		              "moved to %s and a new one was started\n"),
		           aside);
		notice = g_strdup_printf (
		        _ ("The plugin's history of REQUIRETLS sends was damaged. It was moved "
		           "aside to %s and a new, empty one was started: the delivery window "
		           "begins again, and nothing else is affected."),
		        aside);
	}
	import_journal ();
}

void
rtls_history_close (void)
{
	g_clear_pointer (&store, rtls_store_close);
	g_clear_error (&open_error);
	g_clear_pointer (&notice, g_free);
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

gboolean
rtls_history_write_all (GPtrArray *records, GError **error)
{
	RtlsStore *st = rtls_history_store (error);

	return st != NULL && rtls_store_append_all (st, records, error);
}

gboolean
rtls_history_write (const RtlsJournalEntry *e, GError **error)
{
	RtlsStore *st = rtls_history_store (error);

	return st != NULL && rtls_store_append (st, e, error);
}

gchar *
rtls_history_take_notice (void)
{
	return g_steal_pointer (&notice);
}

void
rtls_history_expire (guint days)
{
	g_autoptr (GError) error = NULL;
	gint64 n;

	if (store == NULL || days == 0)
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
