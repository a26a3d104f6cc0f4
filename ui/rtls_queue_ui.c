/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_queue_ui.c: the queue sender's window and the resend question (GTK only).
 */
#include "config.h"

#include "rtls_queue_ui.h"

#include <glib/gi18n-lib.h>

typedef struct {
	GtkWidget *window;
	GtkWidget *progress; /* the label: what is going on */
	GtkWidget *spinner;
	GtkWidget *results; /* a label: one paragraph a message */
	GtkWidget *next;    /* the next steps after refusals: a row of buttons each */
	GtkWidget *cancel, *close;
	GString *text;
	RtlsActionFn on_cancel;
	gpointer data;
} QueueWindow;

static QueueWindow *qw;

static void
queue_ui_destroyed (GtkWidget *w, gpointer user_data)
{
	if (qw == NULL)
		return;
	g_string_free (qw->text, TRUE);
	g_clear_pointer (&qw, g_free);
}

static void
queue_ui_cancel (GtkButton *b, gpointer user_data)
{
	gtk_widget_set_sensitive (qw->cancel, FALSE);
	if (qw->on_cancel != NULL)
		qw->on_cancel (qw->data);
}

static void
destroy_child (GtkWidget *w, gpointer unused)
{
	gtk_widget_destroy (w);
}

void
rtls_queue_ui_open (GtkWindow *parent, RtlsActionFn on_cancel, gpointer data)
{
	GtkWidget *vbox, *top, *scroll, *buttons;

	if (qw != NULL) {
		qw->on_cancel = on_cancel;
		qw->data = data;
		g_string_truncate (qw->text, 0);
		gtk_label_set_text (GTK_LABEL (qw->results), "");
		gtk_container_foreach (GTK_CONTAINER (qw->next), destroy_child, NULL);
		gtk_widget_set_sensitive (qw->cancel, TRUE);
		gtk_widget_show (qw->cancel);
		gtk_widget_grab_focus (qw->cancel);
		gtk_spinner_start (GTK_SPINNER (qw->spinner));
		gtk_window_present (GTK_WINDOW (qw->window));
		return;
	}
	qw = g_new0 (QueueWindow, 1);
	qw->text = g_string_new (NULL);
	qw->on_cancel = on_cancel;
	qw->data = data;
	qw->window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
	gtk_widget_set_name (qw->window, "rtls-queue-window");
	gtk_window_set_title (GTK_WINDOW (qw->window), _ ("Sending queued REQUIRETLS messages"));
	gtk_window_set_role (GTK_WINDOW (qw->window), "requiretls-queue");
	gtk_window_set_default_size (GTK_WINDOW (qw->window), 640, 320);
	if (parent != NULL)
		gtk_window_set_transient_for (GTK_WINDOW (qw->window), parent);
	g_signal_connect (qw->window, "destroy", G_CALLBACK (queue_ui_destroyed), NULL);

	vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
	gtk_container_set_border_width (GTK_CONTAINER (vbox), 10);
	gtk_container_add (GTK_CONTAINER (qw->window), vbox);
	top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
	gtk_box_pack_start (GTK_BOX (vbox), top, FALSE, FALSE, 0);
	qw->spinner = gtk_spinner_new ();
	gtk_box_pack_start (GTK_BOX (top), qw->spinner, FALSE, FALSE, 0);
	qw->progress = gtk_label_new (_ ("Looking for queued REQUIRETLS messages…"));
	gtk_widget_set_name (qw->progress, "rtls-queue-progress");
	gtk_label_set_line_wrap (GTK_LABEL (qw->progress), TRUE);
	gtk_label_set_xalign (GTK_LABEL (qw->progress), 0);
	gtk_box_pack_start (GTK_BOX (top), qw->progress, TRUE, TRUE, 0);

	qw->results = gtk_label_new (NULL);
	gtk_widget_set_name (qw->results, "rtls-queue-results");
	gtk_label_set_line_wrap (GTK_LABEL (qw->results), TRUE);
	gtk_label_set_xalign (GTK_LABEL (qw->results), 0);
	gtk_label_set_yalign (GTK_LABEL (qw->results), 0);
	gtk_label_set_selectable (GTK_LABEL (qw->results), TRUE);
	scroll = gtk_scrolled_window_new (NULL, NULL);
	gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
	                                GTK_POLICY_AUTOMATIC);
	{
		GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
		qw->next = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
		gtk_widget_set_name (qw->next, "rtls-queue-next");
		gtk_box_pack_start (GTK_BOX (inner), qw->results, FALSE, FALSE, 0);
		gtk_box_pack_start (GTK_BOX (inner), qw->next, FALSE, FALSE, 0);
		gtk_container_add (GTK_CONTAINER (scroll), inner);
	}
	gtk_box_pack_start (GTK_BOX (vbox), scroll, TRUE, TRUE, 0);

	buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_pack_end (GTK_BOX (vbox), buttons, FALSE, FALSE, 0);
	qw->close = gtk_button_new_with_mnemonic (_ ("_Close"));
	g_signal_connect_swapped (qw->close, "clicked", G_CALLBACK (gtk_widget_destroy),
	                          qw->window);
	gtk_box_pack_end (GTK_BOX (buttons), qw->close, FALSE, FALSE, 0);
	qw->cancel = gtk_button_new_with_mnemonic (_ ("Cancel _sending"));
	gtk_widget_set_name (qw->cancel, "rtls-queue-cancel");
	gtk_widget_set_tooltip_text (qw->cancel,
	                             _ ("Stop the message being sent now and leave the others "
	                                "queued"));
	g_signal_connect (qw->cancel, "clicked", G_CALLBACK (queue_ui_cancel), NULL);
	gtk_box_pack_end (GTK_BOX (buttons), qw->cancel, FALSE, FALSE, 0);
	gtk_widget_show_all (qw->window);
	gtk_spinner_start (GTK_SPINNER (qw->spinner));
	gtk_widget_grab_focus (qw->cancel);
	gtk_window_present (GTK_WINDOW (qw->window));
}

gboolean
rtls_queue_ui_is_open (void)
{
	return qw != NULL;
}

void
rtls_queue_ui_progress (const char *text)
{
	if (qw == NULL)
		return;
	gtk_label_set_text (GTK_LABEL (qw->progress), text);
}

void
rtls_queue_ui_result (gboolean ok, const char *text)
{
	if (qw == NULL)
		return;
	if (qw->text->len > 0)
		g_string_append (qw->text, "\n\n");
	g_string_append_printf (qw->text, "%s %s", ok ? "✔" : "✘", text);
	gtk_label_set_text (GTK_LABEL (qw->results), qw->text->str);
}

typedef struct {
	RtlsQueueNextFn fn;
	gpointer data;
	GDestroyNotify free_data;
} NextStep;

static void
next_step_free (gpointer p)
{
	NextStep *n = p;

	if (n->free_data != NULL)
		n->free_data (n->data);
	g_free (n);
}

static void
next_step_clicked (GtkButton *b, gpointer user_data)
{
	NextStep *n = g_object_get_data (G_OBJECT (gtk_widget_get_parent (GTK_WIDGET (b))),
	                                 "rtls-next");
	gboolean settings = GPOINTER_TO_INT (user_data);

	/* Edit once: the entry is in a composer then (the settings may be opened again) */
	if (!settings)
		gtk_widget_set_sensitive (gtk_widget_get_parent (GTK_WIDGET (b)), FALSE);
	n->fn (n->data, settings);
}

void
rtls_queue_ui_next_steps (const char *subject, gboolean settings, RtlsQueueNextFn fn, gpointer data,
                          GDestroyNotify free_data)
{
	NextStep *n;
	GtkWidget *row, *b;
	g_autofree gchar *edit = NULL;

	if (qw == NULL) {
		if (free_data != NULL)
			free_data (data);
		return;
	}
	n = g_new0 (NextStep, 1);
	n->fn = fn;
	n->data = data;
	n->free_data = free_data;
	row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	g_object_set_data_full (G_OBJECT (row), "rtls-next", n, next_step_free);
	edit = g_strdup_printf (_ ("_Edit “%s”"), subject);
	b = gtk_button_new_with_mnemonic (edit);
	gtk_widget_set_tooltip_text (
	        b, _ ("Open it in a composer: change the choice, the recipients or the text, then "
	              "send it again"));
	g_signal_connect (b, "clicked", G_CALLBACK (next_step_clicked), GINT_TO_POINTER (FALSE));
	gtk_box_pack_start (GTK_BOX (row), b, FALSE, FALSE, 0);
	if (settings) {
		b = gtk_button_new_with_mnemonic (_ ("Open the account's REQUIRETLS _settings…"));
		g_signal_connect (b, "clicked", G_CALLBACK (next_step_clicked),
		                  GINT_TO_POINTER (TRUE));
		gtk_box_pack_start (GTK_BOX (row), b, FALSE, FALSE, 0);
	}
	gtk_box_pack_start (GTK_BOX (qw->next), row, FALSE, FALSE, 0);
	gtk_widget_show_all (row);
}

void
rtls_queue_ui_finish (const char *summary)
{
	if (qw == NULL)
		return;
	gtk_spinner_stop (GTK_SPINNER (qw->spinner));
	gtk_label_set_text (GTK_LABEL (qw->progress), summary);
	gtk_widget_hide (qw->cancel);
	gtk_widget_grab_focus (qw->close);
}

void
rtls_queue_ui_close (void)
{
	if (qw != NULL)
		gtk_widget_destroy (qw->window);
}

/* ------------------------------------------------------------------ the question */

typedef struct {
	RtlsConfirmFn done;
	gpointer data;
} ConfirmCtx;

enum { RESPONSE_KEEP = 1, RESPONSE_SEND = 2 };

static void
confirm_response (GtkDialog *d, gint response, gpointer user_data)
{
	ConfirmCtx *ctx = user_data;
	gboolean yes = response == RESPONSE_SEND;

	gtk_widget_destroy (GTK_WIDGET (d));
	ctx->done (ctx->data, yes);
	g_free (ctx);
}

/* "This message may already have been accepted": @text, what a second copy means, "Send
 * again" and @keep (the default). */
static GtkWidget *
resend_dialog (GtkWindow *parent, GtkDialogFlags flags, const char *text, const char *keep)
{
	GtkWidget *d = gtk_message_dialog_new (parent, flags | GTK_DIALOG_DESTROY_WITH_PARENT,
	                                       GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE, "%s",
	                                       _ ("This message may already have been accepted"));

	gtk_window_set_title (GTK_WINDOW (d), _ ("REQUIRETLS: send again?"));
	gtk_widget_set_name (d, "rtls-resend-dialog");
	gtk_message_dialog_format_secondary_text (
	        GTK_MESSAGE_DIALOG (d), "%s\n\n%s", text,
	        _ ("If you send it again, the recipients may get it twice."));
	gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Send again"), RESPONSE_SEND);
	gtk_dialog_add_button (GTK_DIALOG (d), keep, RESPONSE_KEEP);
	gtk_dialog_set_default_response (GTK_DIALOG (d), RESPONSE_KEEP);
	return d;
}

void
rtls_ui_confirm_resend (GtkWindow *parent, const char *text, const char *keep, RtlsConfirmFn done,
                        gpointer data)
{
	ConfirmCtx *ctx = g_new0 (ConfirmCtx, 1);
	GtkWidget *d = resend_dialog (parent, 0, text, keep);

	ctx->done = done;
	ctx->data = data;
	g_signal_connect (d, "response", G_CALLBACK (confirm_response), ctx);
	gtk_widget_show_all (d);
}

gboolean
rtls_ui_confirm_resend_modal (GtkWindow *parent, const char *text)
{
	GtkWidget *d = resend_dialog (parent, GTK_DIALOG_MODAL, text, _ ("_Back to editing"));
	gint response = gtk_dialog_run (GTK_DIALOG (d));

	gtk_widget_destroy (d);
	return response == RESPONSE_SEND;
}
