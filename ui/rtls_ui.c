/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_ui.c: the composer control, the status line and the failure dialog (GTK only).
 */
#include "config.h"

#include "rtls_ui.h"

#include <glib/gi18n-lib.h>

struct _RtlsComposeUi {
	GtkUIManager *uim;
	GtkActionGroup *group;
	guint merge_id;
	GtkToolItem *tool;
	GtkWidget *bar;
	GtkWidget *label;
	GtkWidget *cancel;
	GPtrArray *locked; /* widgets made insensitive while busy */
	RtlsChoice choice;
	gboolean updating;
	gboolean busy;
	RtlsChoiceFn on_choice;
	RtlsActionFn on_cancel;
	gpointer data;
};

static const char *
tooltip_text (void)
{
	return _ ("Transport security for this message:\n"
	          "• Default: sent as usual.\n"
	          "• Require TLS: sent only with REQUIRETLS (RFC 8689), which asks every server on "
	          "the way to use verified TLS, or to return the message instead of delivering it. "
	          "If your server does not support REQUIRETLS the message is not sent at all.\n"
	          "• Don't require TLS: adds \"TLS-Required: No\", asking servers to deliver even "
	          "where the recipient's domain would insist on TLS.\n"
	          "This is TLS requested on every hop, not end-to-end encryption.");
}

static void
update_widgets (RtlsComposeUi *ui, const char *reason)
{
	GtkToggleToolButton *t = GTK_TOGGLE_TOOL_BUTTON (ui->tool);
	GtkWidget *icon;
	g_autofree gchar *text = NULL;
	GtkAction *a;

	ui->updating = TRUE;
	a = gtk_action_group_get_action (ui->group, "RequireTLS/Default");
	gtk_radio_action_set_current_value (GTK_RADIO_ACTION (a), (gint) ui->choice);
	gtk_toggle_tool_button_set_active (t, ui->choice == RTLS_CHOICE_REQUIRE);
	icon = gtk_image_new_from_icon_name (ui->choice == RTLS_CHOICE_REQUIRE ? "changes-prevent"
	                                                                       : "changes-allow",
	                                     GTK_ICON_SIZE_LARGE_TOOLBAR);
	gtk_widget_show (icon);
	gtk_tool_button_set_icon_widget (GTK_TOOL_BUTTON (ui->tool), icon);
	gtk_tool_button_set_label (GTK_TOOL_BUTTON (ui->tool),
	                           ui->choice == RTLS_CHOICE_REQUIRE      ? _ ("Require TLS")
	                           : ui->choice == RTLS_CHOICE_NO_REQUIRE ? _ ("TLS not required")
	                                                                  : _ ("TLS: default"));
	ui->updating = FALSE;

	if (ui->busy)
		return;
	switch (ui->choice) {
	case RTLS_CHOICE_REQUIRE:
		text = g_strdup_printf ("%s%s%s",
		                        _ ("Require TLS: this message goes out only with "
		                           "REQUIRETLS (TLS requested on "
		                           "every hop), or not at all."),
		                        reason ? "\n" : "", reason ? reason : "");
		break;
	case RTLS_CHOICE_NO_REQUIRE:
		text = g_strdup_printf ("%s%s%s",
		                        _ ("Don't require TLS: the message carries \"TLS-Required: "
		                           "No\"."),
		                        reason ? "\n" : "", reason ? reason : "");
		break;
	default:
		text = reason != NULL ? g_strdup (reason) : NULL;
		break;
	}
	/* what the person sees, for the log (claws-mail --debug) and the end-to-end tests */
	if (text != NULL) {
		g_autofree gchar *one = g_strdup (text);
		g_strdelimit (one, "\n", '|');
		g_debug ("REQUIRETLS: status line: %s", one);
	} else {
		g_debug ("REQUIRETLS: status line: (hidden)");
	}
	if (text != NULL) {
		gtk_label_set_text (GTK_LABEL (ui->label), text);
		gtk_info_bar_set_message_type (
		        GTK_INFO_BAR (ui->bar),
		        ui->choice == RTLS_CHOICE_REQUIRE ? GTK_MESSAGE_INFO : GTK_MESSAGE_OTHER);
		gtk_widget_show (ui->bar);
	} else {
		gtk_widget_hide (ui->bar);
	}
}

static void
radio_changed (GtkRadioAction *action, GtkRadioAction *current, gpointer data)
{
	RtlsComposeUi *ui = data;
	RtlsChoice c = (RtlsChoice) gtk_radio_action_get_current_value (current);

	if (ui->updating || c == ui->choice)
		return;
	ui->choice = c;
	update_widgets (ui, NULL);
	ui->on_choice (ui->data, c);
}

static void
tool_toggled (GtkToggleToolButton *t, gpointer data)
{
	RtlsComposeUi *ui = data;
	RtlsChoice c
	        = gtk_toggle_tool_button_get_active (t) ? RTLS_CHOICE_REQUIRE : RTLS_CHOICE_DEFAULT;

	if (ui->updating || c == ui->choice)
		return;
	ui->choice = c;
	update_widgets (ui, NULL);
	ui->on_choice (ui->data, c);
}

static void
cancel_clicked (GtkButton *b, gpointer data)
{
	RtlsComposeUi *ui = data;

	gtk_widget_set_sensitive (ui->cancel, FALSE);
	ui->on_cancel (ui->data);
}

RtlsComposeUi *
rtls_compose_ui_attach (GtkUIManager *uim, GtkToolbar *toolbar, GtkBox *top_box, GtkWidget *after,
                        RtlsChoiceFn on_choice, RtlsActionFn on_cancel, gpointer data)
{
	RtlsComposeUi *ui = g_new0 (RtlsComposeUi, 1);
	GtkRadioActionEntry entries[] = {
		{ "RequireTLS/Default", NULL, N_ ("TLS: De_fault"), "<shift><control>D",
		  N_ ("Send as usual"), RTLS_CHOICE_DEFAULT },
		{ "RequireTLS/Require", NULL, N_ ("Require _TLS (REQUIRETLS)"), "<shift><control>T",
		  N_ ("Send only with REQUIRETLS, or not at all"), RTLS_CHOICE_REQUIRE },
		{ "RequireTLS/NoRequire", NULL, N_ ("Do_n't require TLS"), "<shift><control>N",
		  N_ ("Add \"TLS-Required: No\""), RTLS_CHOICE_NO_REQUIRE },
	};
	GtkWidget *content, *area;

	ui->uim = g_object_ref (uim);
	ui->on_choice = on_choice;
	ui->on_cancel = on_cancel;
	ui->data = data;
	ui->locked = g_ptr_array_new ();
	ui->group = gtk_action_group_new ("RequireTLS");
	gtk_action_group_set_translation_domain (ui->group, GETTEXT_PACKAGE);
	gtk_action_group_add_radio_actions (ui->group, entries, G_N_ELEMENTS (entries),
	                                    RTLS_CHOICE_DEFAULT, G_CALLBACK (radio_changed), ui);
	gtk_ui_manager_insert_action_group (uim, ui->group, 0);
	ui->merge_id = gtk_ui_manager_new_merge_id (uim);
	gtk_ui_manager_add_ui (uim, ui->merge_id, "/Menu/Options", "RequireTLSSeparator", NULL,
	                       GTK_UI_MANAGER_SEPARATOR, FALSE);
	for (guint i = 0; i < G_N_ELEMENTS (entries); i++) {
		const char *name = entries[i].name;
		gtk_ui_manager_add_ui (uim, ui->merge_id, "/Menu/Options",
		                       name + strlen ("RequireTLS/"), name, GTK_UI_MANAGER_MENUITEM,
		                       FALSE);
	}
	gtk_ui_manager_ensure_update (uim);

	ui->tool = gtk_toggle_tool_button_new ();
	gtk_tool_item_set_tooltip_text (ui->tool, tooltip_text ());
	gtk_tool_item_set_is_important (ui->tool, TRUE);
	gtk_widget_set_name (GTK_WIDGET (ui->tool), "rtls-require-tls-toggle");
	g_signal_connect (ui->tool, "toggled", G_CALLBACK (tool_toggled), ui);
	gtk_toolbar_insert (toolbar, ui->tool, -1);
	gtk_widget_show_all (GTK_WIDGET (ui->tool));

	ui->bar = gtk_info_bar_new ();
	gtk_widget_set_no_show_all (ui->bar, TRUE);
	ui->label = gtk_label_new (NULL);
	gtk_label_set_line_wrap (GTK_LABEL (ui->label), TRUE);
	gtk_label_set_xalign (GTK_LABEL (ui->label), 0.0);
	gtk_widget_set_tooltip_text (ui->label, tooltip_text ());
	content = gtk_info_bar_get_content_area (GTK_INFO_BAR (ui->bar));
	gtk_container_add (GTK_CONTAINER (content), ui->label);
	gtk_widget_show (ui->label);
	ui->cancel = gtk_button_new_with_mnemonic (_ ("_Cancel sending"));
	gtk_widget_set_no_show_all (ui->cancel, TRUE);
	area = gtk_info_bar_get_action_area (GTK_INFO_BAR (ui->bar));
	gtk_container_add (GTK_CONTAINER (area), ui->cancel);
	g_signal_connect (ui->cancel, "clicked", G_CALLBACK (cancel_clicked), ui);
	gtk_box_pack_start (top_box, ui->bar, FALSE, FALSE, 0);
	if (after != NULL) {
		GList *children = gtk_container_get_children (GTK_CONTAINER (top_box));
		gint pos = g_list_index (children, after);
		g_list_free (children);
		if (pos >= 0)
			gtk_box_reorder_child (top_box, ui->bar, pos + 1);
	}
	update_widgets (ui, NULL);
	return ui;
}

void
rtls_compose_ui_set_choice (RtlsComposeUi *ui, RtlsChoice choice, const char *reason)
{
	ui->choice = choice;
	update_widgets (ui, reason);
}

void
rtls_compose_ui_set_busy (RtlsComposeUi *ui, const char *text, GtkWidget *lock, ...)
{
	va_list ap;

	ui->busy = TRUE;
	va_start (ap, lock);
	for (GtkWidget *w = lock; w != NULL; w = va_arg (ap, GtkWidget *)) {
		if (gtk_widget_get_sensitive (w)) {
			gtk_widget_set_sensitive (w, FALSE);
			g_ptr_array_add (ui->locked, g_object_ref (w));
		}
	}
	va_end (ap);
	gtk_widget_set_sensitive (GTK_WIDGET (ui->tool), FALSE);
	gtk_action_group_set_sensitive (ui->group, FALSE);
	gtk_label_set_text (GTK_LABEL (ui->label), text);
	gtk_info_bar_set_message_type (GTK_INFO_BAR (ui->bar), GTK_MESSAGE_INFO);
	gtk_widget_set_sensitive (ui->cancel, TRUE);
	gtk_widget_show (ui->cancel);
	gtk_widget_show (ui->bar);
}

void
rtls_compose_ui_set_idle (RtlsComposeUi *ui)
{
	for (guint i = 0; i < ui->locked->len; i++) {
		GtkWidget *w = g_ptr_array_index (ui->locked, i);
		gtk_widget_set_sensitive (w, TRUE);
		g_object_unref (w);
	}
	g_ptr_array_set_size (ui->locked, 0);
	ui->busy = FALSE;
	gtk_widget_set_sensitive (GTK_WIDGET (ui->tool), TRUE);
	gtk_action_group_set_sensitive (ui->group, TRUE);
	gtk_widget_hide (ui->cancel);
	update_widgets (ui, NULL);
}

void
rtls_compose_ui_forget (RtlsComposeUi *ui)
{
	if (ui == NULL)
		return;
	/* The window is being destroyed and takes our widgets with it; only let go of them. */
	g_signal_handlers_disconnect_by_data (ui->tool, ui);
	g_signal_handlers_disconnect_by_data (ui->cancel, ui);
	g_signal_handlers_disconnect_by_data (ui->group, ui);
	gtk_ui_manager_remove_action_group (ui->uim, ui->group);
	g_object_unref (ui->group);
	g_object_unref (ui->uim);
	for (guint i = 0; i < ui->locked->len; i++)
		g_object_unref (g_ptr_array_index (ui->locked, i));
	g_ptr_array_unref (ui->locked);
	g_free (ui);
}

void
rtls_compose_ui_detach (RtlsComposeUi *ui)
{
	if (ui == NULL)
		return;
	if (ui->busy)
		rtls_compose_ui_set_idle (ui);
	gtk_ui_manager_remove_ui (ui->uim, ui->merge_id);
	gtk_ui_manager_remove_action_group (ui->uim, ui->group);
	gtk_ui_manager_ensure_update (ui->uim);
	g_object_unref (ui->group);
	g_object_unref (ui->uim);
	gtk_widget_destroy (GTK_WIDGET (ui->tool));
	gtk_widget_destroy (ui->bar);
	g_ptr_array_unref (ui->locked);
	g_free (ui);
}

gchar *
rtls_ui_row_name (GtkWidget *combo)
{
	GtkWidget *child = gtk_bin_get_child (GTK_BIN (combo));
	gchar *s = g_strdup (GTK_IS_ENTRY (child) ? gtk_entry_get_text (GTK_ENTRY (child)) : "");
	gsize n;

	g_strstrip (s);
	n = strlen (s);
	if (n > 0 && s[n - 1] == ':')
		s[n - 1] = '\0';
	return s;
}

gchar *
rtls_ui_row_value (GtkWidget *entry)
{
	return g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (entry))));
}

void
rtls_ui_row_clear (GtkWidget *combo, GtkWidget *entry)
{
	GtkWidget *child = gtk_bin_get_child (GTK_BIN (combo));
	GtkWidget *w[] = { combo, entry };

	if (GTK_IS_ENTRY (child))
		gtk_entry_set_text (GTK_ENTRY (child), "");
	gtk_entry_set_text (GTK_ENTRY (entry), "");
	for (guint i = 0; i < G_N_ELEMENTS (w); i++) {
		gtk_widget_set_no_show_all (w[i], TRUE);
		gtk_widget_hide (w[i]);
	}
}

typedef struct {
	RtlsFailureFn done;
	gpointer data;
	GtkWindow *parent;
} FailureCtx;

enum { RESPONSE_EDIT = 1, RESPONSE_KEEP, RESPONSE_DEFAULT };

static gboolean
confirm_send_default (GtkWindow *parent)
{
	GtkWidget *d = gtk_message_dialog_new (
	        parent, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
	        GTK_BUTTONS_NONE, "%s", _ ("Send this message without REQUIRETLS?"));
	gint r;

	gtk_message_dialog_format_secondary_text (
	        GTK_MESSAGE_DIALOG (d), "%s",
	        _ ("It will be sent as usual. Servers on the way may then pass it on without TLS, "
	           "or "
	           "with a certificate nobody checked, and anyone on those links could read or "
	           "change it. You asked for REQUIRETLS to prevent exactly that."));
	gtk_dialog_add_buttons (GTK_DIALOG (d), _ ("_Cancel"), GTK_RESPONSE_CANCEL,
	                        _ ("Send _without REQUIRETLS"), GTK_RESPONSE_ACCEPT, NULL);
	gtk_dialog_set_default_response (GTK_DIALOG (d), GTK_RESPONSE_CANCEL);
	r = gtk_dialog_run (GTK_DIALOG (d));
	gtk_widget_destroy (d);
	return r == GTK_RESPONSE_ACCEPT;
}

static void
failure_response (GtkDialog *d, gint response, gpointer data)
{
	FailureCtx *ctx = data;
	RtlsFailureChoice c = RTLS_FAILURE_EDIT;

	if (response == RESPONSE_DEFAULT) {
		if (!confirm_send_default (GTK_WINDOW (d)))
			return; /* back to the failure dialog */
		c = RTLS_FAILURE_SEND_DEFAULT;
	} else if (response == RESPONSE_KEEP) {
		c = RTLS_FAILURE_KEEP_QUEUED;
	}
	gtk_widget_destroy (GTK_WIDGET (d));
	ctx->done (ctx->data, c);
	g_free (ctx);
}

void
rtls_ui_failure_dialog (GtkWindow *parent, const char *title, const char *text,
                        gboolean can_keep_queued, RtlsFailureFn done, gpointer data)
{
	FailureCtx *ctx = g_new0 (FailureCtx, 1);
	GtkWidget *d = gtk_message_dialog_new (parent, GTK_DIALOG_DESTROY_WITH_PARENT,
	                                       GTK_MESSAGE_ERROR, GTK_BUTTONS_NONE, "%s", title);

	ctx->done = done;
	ctx->data = data;
	gtk_window_set_title (GTK_WINDOW (d), _ ("REQUIRETLS: not sent"));
	gtk_widget_set_name (d, "rtls-failure-dialog");
	gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", text);
	gtk_dialog_add_button (GTK_DIALOG (d), _ ("Send with Default _instead…"), RESPONSE_DEFAULT);
	if (can_keep_queued)
		gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Keep queued, retry later"),
		                       RESPONSE_KEEP);
	gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Back to editing"), RESPONSE_EDIT);
	gtk_dialog_set_default_response (GTK_DIALOG (d), RESPONSE_EDIT);
	g_signal_connect (d, "response", G_CALLBACK (failure_response), ctx);
	gtk_widget_show_all (d);
}

struct _RtlsMainUi {
	GtkUIManager *uim;
	GtkActionGroup *group;
	guint merge_id;
	RtlsActionFn cb;
	RtlsActionFn delivery_cb;
	gpointer data;
};

static void
main_send_queue (GtkAction *a, gpointer data)
{
	RtlsMainUi *ui = data;
	ui->cb (ui->data);
}

static void
main_delivery (GtkAction *a, gpointer data)
{
	RtlsMainUi *ui = data;
	ui->delivery_cb (ui->data);
}

RtlsMainUi *
rtls_main_ui_attach (GtkUIManager *uim, RtlsActionFn on_send_queue, RtlsActionFn on_delivery,
                     gpointer data)
{
	RtlsMainUi *ui = g_new0 (RtlsMainUi, 1);
	GtkActionEntry entries[] = {
		{ "Tools/RequireTLSSendQueue", NULL, N_ ("Send _queued REQUIRETLS messages"), NULL,
		  N_ ("Send the messages waiting in the queue with Require TLS"),
		  G_CALLBACK (main_send_queue) },
		{ "Tools/RequireTLSDelivery", NULL, N_ ("REQUIRETLS _delivery"), NULL,
		  N_ ("What became of the messages sent with Require TLS, and the bounces"),
		  G_CALLBACK (main_delivery) },
	};

	ui->uim = g_object_ref (uim);
	ui->cb = on_send_queue;
	ui->delivery_cb = on_delivery;
	ui->data = data;
	ui->group = gtk_action_group_new ("RequireTLSMain");
	gtk_action_group_set_translation_domain (ui->group, GETTEXT_PACKAGE);
	gtk_action_group_add_actions (ui->group, entries, G_N_ELEMENTS (entries), ui);
	gtk_ui_manager_insert_action_group (uim, ui->group, 0);
	ui->merge_id = gtk_ui_manager_new_merge_id (uim);
	gtk_ui_manager_add_ui (uim, ui->merge_id, "/Menu/Tools", "RequireTLSSendQueue",
	                       "Tools/RequireTLSSendQueue", GTK_UI_MANAGER_MENUITEM, FALSE);
	gtk_ui_manager_add_ui (uim, ui->merge_id, "/Menu/Tools", "RequireTLSDelivery",
	                       "Tools/RequireTLSDelivery", GTK_UI_MANAGER_MENUITEM, FALSE);
	gtk_ui_manager_ensure_update (uim);
	return ui;
}

void
rtls_main_ui_detach (RtlsMainUi *ui)
{
	if (ui == NULL)
		return;
	gtk_ui_manager_remove_ui (ui->uim, ui->merge_id);
	gtk_ui_manager_remove_action_group (ui->uim, ui->group);
	gtk_ui_manager_ensure_update (ui->uim);
	g_object_unref (ui->group);
	g_object_unref (ui->uim);
	g_free (ui);
}

void
rtls_ui_window_hide (GtkWidget *window)
{
	if (window != NULL)
		gtk_widget_hide (window);
}

gulong
rtls_ui_on_destroy (GtkWidget *widget, RtlsActionFn fn, gpointer data)
{
	return g_signal_connect_swapped (widget, "destroy", G_CALLBACK (fn), data);
}

void
rtls_ui_disconnect (GtkWidget *widget, gulong id)
{
	if (widget != NULL && id != 0)
		g_signal_handler_disconnect (widget, id);
}
