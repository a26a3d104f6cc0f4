/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_delivery_ui.h: the REQUIRETLS delivery window and the bounce notification (GTK only;
 * no Claws headers). The plugin gives the rows and carries out the actions.
 */
#pragma once

#include <gtk/gtk.h>

#include "rtls_delivery.h"
#include "rtls_ui.h"

G_BEGIN_DECLS

/* The window reads the history a page at a time, never whole, and never on the main loop:
 * load and count are called in a worker thread (one at a time for a window, but a window
 * closed a moment before may still have one running: they must be thread-safe). A page is
 * the rows of up to a limit of messages (one row per message and recipient). */
typedef struct {
	/* The rows (RtlsDeliveryRow*) of the messages @offset to @offset + @limit - 1 of those
	 * matching @search (NULL or "": all), newest message first; the window owns the array.
	 * *@more: there are messages after these. */
	GPtrArray *(*load) (gpointer data, const char *search, guint offset, guint limit,
	                    gboolean *more);
	/* How many messages match @search (NULL or "": all); -1: not known. */
	gint64 (*count) (gpointer data, const char *search);
	/* the actions, on the main loop */
	void (*open_bounce) (gpointer data, const RtlsDeliveryRow *row);
	void (*open_sent) (gpointer data, const RtlsDeliveryRow *row);
	void (*resend) (gpointer data, const RtlsDeliveryRow *row);
	void (*forget) (gpointer data, const RtlsDeliveryRow *row);
} RtlsDeliveryUiOps;

/* Opens the window (or raises it); it shows once its first page is read through @ops (or
 * after a moment without it); more pages are read as the list is scrolled near its end. */
void rtls_delivery_ui_show (GtkWindow *parent, const RtlsDeliveryUiOps *ops, gpointer data);
/* If the window is open, reloads the pages it shows (from idle callbacks, a page at a time;
 * the list changes once all are read), keeping the selected row and the scroll position. */
void rtls_delivery_ui_refresh (void);
void rtls_delivery_ui_close (void);
/* Whether a reading of a window (open or closed) still runs in a worker thread: the module
 * that holds the ops must stay loaded until it is over. */
gboolean rtls_delivery_ui_busy (void);
/* How many rows the open window shows, or -1 when it is closed. */
gint rtls_delivery_ui_row_count (void);

/* A small note at the main window's corner that never takes the keyboard focus: @text, a
 * "Show details" button calling @on_details, and a close button. A second call replaces it. */
void rtls_ui_notify (GtkWindow *parent, const char *text, RtlsActionFn on_details, gpointer data);
/* The same with its own window title (a note about sending, not about a problem). */
void rtls_ui_notify_titled (GtkWindow *parent, const char *title, const char *text,
                            RtlsActionFn on_details, gpointer data);
/* The same, with @on_dismiss called when the person closes it with its close button (not
 * when another note replaces it, nor on Show details). */
void rtls_ui_notify_full (GtkWindow *parent, const char *title, const char *text,
                          RtlsActionFn on_details, RtlsActionFn on_dismiss, gpointer data);
void rtls_ui_notify_close (void);

G_END_DECLS
