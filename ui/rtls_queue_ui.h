/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_queue_ui.h: the window of Tools → Send queued REQUIRETLS messages (which message,
 * which server, which stage, Cancel; then the result of each message), and the question
 * asked before a message that may already have been accepted is sent again (GTK only; no
 * Claws headers).
 */
#pragma once

#include <gtk/gtk.h>

#include "rtls_ui.h"

G_BEGIN_DECLS

/* Opens the window (or raises it, its earlier results cleared); Cancel calls @on_cancel. */
void rtls_queue_ui_open (GtkWindow *parent, RtlsActionFn on_cancel, gpointer data);
gboolean rtls_queue_ui_is_open (void);
/* What is going on now: "“Subject” (2 of 3) — smtp.example.org:465 — connecting". */
void rtls_queue_ui_progress (const char *text);
/* One message is over: its result, in the words of the composer path. */
void rtls_queue_ui_result (gboolean ok, const char *text);
/* After a refusal, the next steps the composer would offer, under the results: "Edit
 * “@subject”" (@fn with FALSE) and, when @settings, "Open the account's REQUIRETLS
 * settings…" (@fn with TRUE). @free_data frees @data when the window goes. */
typedef void (*RtlsQueueNextFn) (gpointer data, gboolean settings);
void rtls_queue_ui_next_steps (const char *subject, gboolean settings, RtlsQueueNextFn fn,
                               gpointer data, GDestroyNotify free_data);
/* The run is over: @summary replaces the progress line; Cancel gives way to Close. */
void rtls_queue_ui_finish (const char *summary);
void rtls_queue_ui_close (void);

typedef void (*RtlsConfirmFn) (gpointer data, gboolean yes);

/* Non-modal: "@text — send it again?", "Send again" or @keep (the default: "Keep it
 * queued" from the queue, "Back to editing" from a composer); calls @done once. */
void rtls_ui_confirm_resend (GtkWindow *parent, const char *text, const char *keep,
                             RtlsConfirmFn done, gpointer data);

/* Modal, for a composer whose message Claws is about to send itself: "@text — send it
 * again?", default "Back to editing". TRUE: send again. */
gboolean rtls_ui_confirm_resend_modal (GtkWindow *parent, const char *text);

G_END_DECLS
