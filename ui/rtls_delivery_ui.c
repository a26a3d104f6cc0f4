/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_delivery_ui.c: the REQUIRETLS delivery window and the bounce notification (GTK only).
 */
#include "config.h"

#include "rtls_delivery_ui.h"
#include "rtls_dsn.h"

#include <glib/gi18n-lib.h>

enum {
	COL_DATE,
	COL_SUBJECT,
	COL_RECIPIENT,
	COL_STATE,
	COL_STATUS,
	COL_ACCEPTED,
	COL_REPORTING,
	COL_REMOTE,
	COL_DIAGNOSTIC,
	COL_INDEX,
	COL_WEIGHT,
	N_COLS
};

typedef struct {
	GtkWidget *window;
	GtkListStore *store;
	GtkWidget *view;
	GtkWidget *details;
	GtkWidget *open_bounce, *open_sent, *resend, *forget;
	GPtrArray *rows;
	RtlsDeliveryUiOps ops;
	gpointer data;
} DeliveryWindow;

static DeliveryWindow *dw;

static const RtlsDeliveryRow *
selected_row (void)
{
	GtkTreeSelection *sel = gtk_tree_view_get_selection (GTK_TREE_VIEW (dw->view));
	GtkTreeModel *model;
	GtkTreeIter iter;
	guint index = 0;

	if (!gtk_tree_selection_get_selected (sel, &model, &iter))
		return NULL;
	gtk_tree_model_get (model, &iter, COL_INDEX, &index, -1);
	return index < dw->rows->len ? g_ptr_array_index (dw->rows, index) : NULL;
}

static void
update_buttons (void)
{
	const RtlsDeliveryRow *r = selected_row ();
	gboolean has_sent = r != NULL && rtls_delivery_state_has_sent_copy (r->state)
	                    && r->message_id != NULL;
	g_autofree gchar *advice = r != NULL ? rtls_delivery_advice (r) : NULL;

	gtk_widget_set_sensitive (dw->open_bounce, r != NULL && r->bounce_id != NULL);
	gtk_widget_set_sensitive (dw->open_sent, has_sent);
	gtk_widget_set_sensitive (dw->resend, has_sent);
	/* a send in flight is not forgotten: its outcome is still to come */
	gtk_widget_set_sensitive (dw->forget, r != NULL && r->state != RTLS_ROW_SENDING);
	gtk_label_set_text (GTK_LABEL (dw->details),
	                    advice != NULL ? advice : _ ("Select a row to see what it means."));
}

static gchar *
format_time (gint64 t)
{
	g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (t);

	return dt != NULL ? g_date_time_format (dt, "%x %H:%M") : g_strdup ("");
}

static void
fill (void)
{
	if (dw->rows != NULL)
		g_ptr_array_unref (dw->rows);
	dw->rows = dw->ops.load (dw->data);
	gtk_list_store_clear (dw->store);
	for (guint i = 0; i < dw->rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (dw->rows, i);
		g_autofree gchar *date = format_time (r->time);
		g_autofree gchar *status = NULL;
		/* the Diagnostic-Code without its type ("smtp; ", "X-Postfix; "), which means
		 * nothing to a person */
		const char *words = rtls_dsn_server_words (r->diagnostic);
		GtkTreeIter iter;

		if (r->state == RTLS_ROW_UNVERIFIED)
			status = g_strdup (r->reason != NULL ? r->reason : "");
		else if (r->status != NULL && r->explanation != NULL)
			status = g_strdup_printf ("%s: %s", r->status, r->explanation);
		else
			status = g_strdup (r->explanation != NULL ? r->explanation : "");
		gtk_list_store_append (dw->store, &iter);
		gtk_list_store_set (dw->store, &iter, COL_DATE, date, COL_SUBJECT,
		                    r->subject != NULL ? r->subject : "", COL_RECIPIENT,
		                    r->recipient, COL_STATE, rtls_delivery_state_name (r->state),
		                    COL_STATUS, status, COL_ACCEPTED,
		                    r->accepted_by ? r->accepted_by : "", COL_REPORTING,
		                    r->reporting_mta ? r->reporting_mta : "", COL_REMOTE,
		                    r->remote_mta ? r->remote_mta : "", COL_DIAGNOSTIC, words,
		                    COL_INDEX, i, COL_WEIGHT,
		                    rtls_delivery_state_is_problem (r->state) ? PANGO_WEIGHT_BOLD
		                                                              : PANGO_WEIGHT_NORMAL,
		                    -1);
	}
	update_buttons ();
}

static void
on_action (GtkButton *button, gpointer user_data)
{
	const RtlsDeliveryRow *r = selected_row ();
	void (*fn) (gpointer, const RtlsDeliveryRow *) = NULL;

	if (r == NULL)
		return;
	if (GTK_WIDGET (button) == dw->open_bounce)
		fn = dw->ops.open_bounce;
	else if (GTK_WIDGET (button) == dw->open_sent)
		fn = dw->ops.open_sent;
	else if (GTK_WIDGET (button) == dw->resend)
		fn = dw->ops.resend;
	else if (GTK_WIDGET (button) == dw->forget)
		fn = dw->ops.forget;
	if (fn != NULL)
		fn (dw->data, r);
}

static void
on_destroy (GtkWidget *w, gpointer user_data)
{
	if (dw == NULL)
		return;
	if (dw->rows != NULL)
		g_ptr_array_unref (dw->rows);
	g_object_unref (dw->store);
	g_clear_pointer (&dw, g_free);
}

static void
add_column (GtkTreeView *view, const char *title, int col, gboolean expand)
{
	GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
	GtkTreeViewColumn *c = gtk_tree_view_column_new_with_attributes (
	        title, cell, "text", col, "weight", COL_WEIGHT, NULL);

	g_object_set (cell, "ellipsize", expand ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE, NULL);
	gtk_tree_view_column_set_resizable (c, TRUE);
	gtk_tree_view_column_set_expand (c, expand);
	if (expand)
		gtk_tree_view_column_set_min_width (c, 120);
	gtk_tree_view_append_column (view, c);
}

static GtkWidget *
action_button (GtkWidget *box, const char *label, const char *tip)
{
	GtkWidget *b = gtk_button_new_with_mnemonic (label);

	gtk_widget_set_tooltip_text (b, tip);
	g_signal_connect (b, "clicked", G_CALLBACK (on_action), NULL);
	gtk_box_pack_start (GTK_BOX (box), b, FALSE, FALSE, 0);
	return b;
}

void
rtls_delivery_ui_show (GtkWindow *parent, const RtlsDeliveryUiOps *ops, gpointer data)
{
	GtkWidget *vbox, *intro, *scroll, *buttons, *close;

	if (dw != NULL) {
		fill ();
		gtk_window_present (GTK_WINDOW (dw->window));
		return;
	}
	dw = g_new0 (DeliveryWindow, 1);
	dw->ops = *ops;
	dw->data = data;
	dw->window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
	gtk_widget_set_name (dw->window, "rtls-delivery-window");
	gtk_window_set_title (GTK_WINDOW (dw->window), _ ("REQUIRETLS delivery"));
	gtk_window_set_role (GTK_WINDOW (dw->window), "requiretls-delivery");
	gtk_window_set_default_size (GTK_WINDOW (dw->window), 980, 420);
	if (parent != NULL)
		gtk_window_set_transient_for (GTK_WINDOW (dw->window), parent);
	g_signal_connect (dw->window, "destroy", G_CALLBACK (on_destroy), NULL);

	vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
	gtk_container_set_border_width (GTK_CONTAINER (vbox), 8);
	gtk_container_add (GTK_CONTAINER (dw->window), vbox);

	intro = gtk_label_new (
	        _ ("Messages sent with Require TLS, and what came back. REQUIRETLS asks for TLS on "
	           "every hop; it is not end-to-end encryption. A server that cannot honour it "
	           "returns the message, but bounces can be lost, and a bounce's headers, its "
	           "Subject included, may have crossed a hop without TLS. The plugin never sends a "
	           "message without REQUIRETLS unless you confirm it, and never sends again, "
	           "without asking you, a message that may already have been accepted. Messages "
	           "waiting in the queue are sent only when you choose Tools → Send queued "
	           "REQUIRETLS messages, when Claws goes online, or, after a temporary failure, "
	           "by a later retry."));
	gtk_label_set_line_wrap (GTK_LABEL (intro), TRUE);
	gtk_label_set_xalign (GTK_LABEL (intro), 0);
	gtk_box_pack_start (GTK_BOX (vbox), intro, FALSE, FALSE, 0);

	dw->store = gtk_list_store_new (N_COLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
	                                G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
	                                G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_INT);
	dw->view = gtk_tree_view_new_with_model (GTK_TREE_MODEL (dw->store));
	gtk_widget_set_name (dw->view, "rtls-delivery-list");
	add_column (GTK_TREE_VIEW (dw->view), _ ("Date"), COL_DATE, FALSE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Subject"), COL_SUBJECT, TRUE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Recipient"), COL_RECIPIENT, FALSE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("State"), COL_STATE, FALSE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Status"), COL_STATUS, TRUE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Accepted by"), COL_ACCEPTED, FALSE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Reported by"), COL_REPORTING, FALSE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Refused by"), COL_REMOTE, FALSE);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Server's words"), COL_DIAGNOSTIC, TRUE);
	gtk_tree_view_set_tooltip_column (GTK_TREE_VIEW (dw->view), COL_DIAGNOSTIC);
	g_signal_connect_swapped (gtk_tree_view_get_selection (GTK_TREE_VIEW (dw->view)), "changed",
	                          G_CALLBACK (update_buttons), NULL);
	scroll = gtk_scrolled_window_new (NULL, NULL);
	gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
	                                GTK_POLICY_AUTOMATIC);
	gtk_container_add (GTK_CONTAINER (scroll), dw->view);
	gtk_box_pack_start (GTK_BOX (vbox), scroll, TRUE, TRUE, 0);

	dw->details = gtk_label_new (NULL);
	gtk_widget_set_name (dw->details, "rtls-delivery-details");
	gtk_label_set_line_wrap (GTK_LABEL (dw->details), TRUE);
	gtk_label_set_xalign (GTK_LABEL (dw->details), 0);
	gtk_label_set_selectable (GTK_LABEL (dw->details), TRUE);
	gtk_box_pack_start (GTK_BOX (vbox), dw->details, FALSE, FALSE, 0);

	buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_pack_start (GTK_BOX (vbox), buttons, FALSE, FALSE, 0);
	dw->open_bounce
	        = action_button (buttons, _ ("Open _bounce"), _ ("Show the report that came back"));
	dw->open_sent = action_button (buttons, _ ("Open _Sent copy"),
	                               _ ("Show the message as you sent it"));
	dw->resend = action_button (buttons, _ ("_Edit and resend"),
	                            _ ("Open a composer with the same content, Require TLS on"));
	dw->forget = action_button (buttons, _ ("_Forget"),
	                            _ ("Remove this row; the messages themselves stay"));
	close = gtk_button_new_with_mnemonic (_ ("_Close"));
	g_signal_connect_swapped (close, "clicked", G_CALLBACK (gtk_widget_destroy), dw->window);
	gtk_box_pack_end (GTK_BOX (buttons), close, FALSE, FALSE, 0);

	fill ();
	gtk_widget_show_all (dw->window);
	gtk_window_present (GTK_WINDOW (dw->window));
}

void
rtls_delivery_ui_refresh (void)
{
	if (dw != NULL)
		fill ();
}

void
rtls_delivery_ui_close (void)
{
	if (dw != NULL)
		gtk_widget_destroy (dw->window);
}

gint
rtls_delivery_ui_row_count (void)
{
	return dw != NULL && dw->rows != NULL ? (gint) dw->rows->len : -1;
}

/* ------------------------------------------------------------------ the notification */

typedef struct {
	GtkWidget *window;
	RtlsActionFn on_details;
	RtlsActionFn on_dismiss;
	gpointer data;
} Note;

static Note *note;

static void
note_destroyed (GtkWidget *w, gpointer user_data)
{
	g_clear_pointer (&note, g_free);
}

static void
note_details (GtkButton *b, gpointer user_data)
{
	RtlsActionFn fn = note->on_details;
	gpointer data = note->data;

	gtk_widget_destroy (note->window);
	if (fn != NULL)
		fn (data);
}

static void
note_dismiss (GtkButton *b, gpointer user_data)
{
	RtlsActionFn fn = note->on_dismiss;
	gpointer data = note->data;

	gtk_widget_destroy (note->window);
	if (fn != NULL)
		fn (data);
}

void
rtls_ui_notify (GtkWindow *parent, const char *text, RtlsActionFn on_details, gpointer data)
{
	rtls_ui_notify_titled (parent, _ ("REQUIRETLS delivery problem"), text, on_details, data);
}

void
rtls_ui_notify_titled (GtkWindow *parent, const char *title, const char *text,
                       RtlsActionFn on_details, gpointer data)
{
	rtls_ui_notify_full (parent, title, text, on_details, NULL, data);
}

void
rtls_ui_notify_full (GtkWindow *parent, const char *title, const char *text,
                     RtlsActionFn on_details, RtlsActionFn on_dismiss, gpointer data)
{
	GtkWidget *box, *label, *details, *close, *icon;
	gint px = 0, py = 0, pw = 0, ph = 0;

	rtls_ui_notify_close ();
	note = g_new0 (Note, 1);
	note->on_details = on_details;
	note->on_dismiss = on_dismiss;
	note->data = data;
	note->window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
	gtk_widget_set_name (note->window, "rtls-notification");
	gtk_window_set_title (GTK_WINDOW (note->window), title);
	/* a note, not a dialog: it never takes the focus from what the person is typing */
	gtk_window_set_accept_focus (GTK_WINDOW (note->window), FALSE);
	gtk_window_set_focus_on_map (GTK_WINDOW (note->window), FALSE);
	gtk_window_set_type_hint (GTK_WINDOW (note->window), GDK_WINDOW_TYPE_HINT_NOTIFICATION);
	gtk_window_set_skip_taskbar_hint (GTK_WINDOW (note->window), TRUE);
	gtk_window_set_decorated (GTK_WINDOW (note->window), FALSE);
	gtk_window_set_resizable (GTK_WINDOW (note->window), FALSE);
	if (parent != NULL)
		gtk_window_set_transient_for (GTK_WINDOW (note->window), parent);
	g_signal_connect (note->window, "destroy", G_CALLBACK (note_destroyed), NULL);

	box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
	gtk_container_set_border_width (GTK_CONTAINER (box), 10);
	gtk_container_add (GTK_CONTAINER (note->window), box);
	icon = gtk_image_new_from_icon_name ("dialog-warning", GTK_ICON_SIZE_DIALOG);
	gtk_box_pack_start (GTK_BOX (box), icon, FALSE, FALSE, 0);
	label = gtk_label_new (text);
	gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
	gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
	gtk_label_set_xalign (GTK_LABEL (label), 0);
	gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
	details = gtk_button_new_with_mnemonic (_ ("Show _details"));
	gtk_widget_set_can_focus (details, FALSE);
	gtk_widget_set_valign (details, GTK_ALIGN_CENTER);
	g_signal_connect (details, "clicked", G_CALLBACK (note_details), NULL);
	gtk_box_pack_start (GTK_BOX (box), details, FALSE, FALSE, 0);
	close = gtk_button_new_from_icon_name ("window-close", GTK_ICON_SIZE_BUTTON);
	gtk_widget_set_tooltip_text (close, _ ("Dismiss"));
	gtk_widget_set_can_focus (close, FALSE);
	gtk_widget_set_valign (close, GTK_ALIGN_CENTER);
	g_signal_connect (close, "clicked", G_CALLBACK (note_dismiss), NULL);
	gtk_box_pack_start (GTK_BOX (box), close, FALSE, FALSE, 0);
	gtk_widget_show_all (box);

	/* bottom right of the main window */
	if (parent != NULL && gtk_widget_get_visible (GTK_WIDGET (parent))) {
		GtkRequisition req;
		gtk_window_get_position (parent, &px, &py);
		gtk_window_get_size (parent, &pw, &ph);
		gtk_widget_get_preferred_size (box, NULL, &req);
		gtk_window_move (GTK_WINDOW (note->window), px + MAX (0, pw - req.width - 40),
		                 py + MAX (0, ph - req.height - 60));
	}
	gtk_widget_show (note->window);
}

void
rtls_ui_notify_close (void)
{
	if (note != NULL)
		gtk_widget_destroy (note->window);
}
