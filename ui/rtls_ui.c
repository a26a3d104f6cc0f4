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
	GtkWidget *handlebox; /* the composer's toolbar lives in it, rebuilt by Claws */
	gulong add_id;        /* its "add": Claws rebuilt the toolbar (Preferences → Toolbars) */
	gchar *item_key;      /* the label Claws gives our plugin toolbar item */
	GtkToolButton *tool;  /* that item, when the toolbar has it (weak) */
	GtkWidget *bar;
	GtkWidget *label;
	GtkWidget *cancel;
	GPtrArray *locked; /* widgets made insensitive while busy */
	RtlsChoice choice;
	gchar *reason;
	gboolean updating;
	gboolean busy;
	gchar *busy_text;  /* while busy: what is going on, without the time */
	gint64 busy_since; /* g_get_monotonic_time () when sending began */
	guint busy_timer;
	RtlsChoiceFn on_choice;
	RtlsActionFn on_cancel;
	RtlsActionFn on_check; /* "Check recipients", or NULL */
	gpointer data;
	gchar *ready_lead; /* readiness said before the choice (what would come back), or NULL */
	gchar *ready_tail; /* readiness said after it (ready, not known), or NULL */
	gchar *ready_tip;  /* every domain's sentence, one a line, for the tooltip, or NULL */
};

static const char *
tooltip_text (void)
{
	return _ ("TLS on every hop, for this message:\n"
	          "• Default: sent as usual; each server uses TLS where it can.\n"
	          "• Require TLS: sent only with REQUIRETLS (RFC 8689), which asks every server on "
	          "the way to use verified TLS, or to return the message instead of delivering it. "
	          "If your server does not support REQUIRETLS the message is not sent at all.\n"
	          "• Don't require TLS: servers may deliver it without TLS even where the "
	          "recipient's domain asks for TLS (it carries \"TLS-Required: No\").\n"
	          "This is about the connections between servers, not end-to-end encryption.");
}

/* What each choice means for the person, in one line. */
static const char *
choice_meaning (RtlsChoice c)
{
	switch (c) {
	case RTLS_CHOICE_REQUIRE:
		return _ ("Require TLS: sent only if every server on the way is asked to use "
		          "verified TLS (REQUIRETLS); otherwise not at all.");
	case RTLS_CHOICE_NO_REQUIRE:
		return _ ("Don't require TLS: this message may cross a connection without TLS, "
		          "even where the recipient's domain asks for TLS.");
	default:
		return _ ("Default: sent as usual; each server uses TLS where it can.");
	}
}

/* One label style for the three states of the toolbar item. */
static const char *
choice_button_label (RtlsChoice c)
{
	switch (c) {
	case RTLS_CHOICE_REQUIRE:
		return _ ("Require TLS");
	case RTLS_CHOICE_NO_REQUIRE:
		return _ ("Don't require TLS");
	default:
		return _ ("TLS: Default");
	}
}

/* The item's icon: the hops of the way as three dots on a line. Default: grey, plain;
 * Require TLS: green, every link drawn solid and thick; Don't require TLS: orange, the
 * links broken. No padlock: this is transport, not encryption. */
static GtkWidget *
choice_icon (RtlsChoice c)
{
	const int sz = 24;
	cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, sz, sz);
	cairo_t *cr = cairo_create (surf);
	GdkPixbuf *pb;
	GtkWidget *img;
	double r = 0.45, g = 0.45, b = 0.45, w = 2.0;

	if (c == RTLS_CHOICE_REQUIRE) {
		r = 0.10, g = 0.55, b = 0.20, w = 3.5;
	} else if (c == RTLS_CHOICE_NO_REQUIRE) {
		r = 0.85, g = 0.45, b = 0.05, w = 2.0;
	}
	cairo_set_source_rgb (cr, r, g, b);
	cairo_set_line_width (cr, w);
	if (c == RTLS_CHOICE_NO_REQUIRE) {
		const double dash[] = { 2.5, 2.5 };
		cairo_set_dash (cr, dash, 2, 0);
	}
	cairo_move_to (cr, 4, 12);
	cairo_line_to (cr, 20, 12);
	cairo_stroke (cr);
	cairo_set_dash (cr, NULL, 0, 0);
	for (int i = 0; i < 3; i++) {
		cairo_arc (cr, 4 + 8 * i, 12, 3.2, 0, 2 * G_PI);
		cairo_fill (cr);
	}
	if (c == RTLS_CHOICE_REQUIRE) {
		/* a bar over the whole way: all of it, every hop */
		cairo_set_line_width (cr, 2.0);
		cairo_move_to (cr, 3, 5);
		cairo_line_to (cr, 21, 5);
		cairo_stroke (cr);
	}
	cairo_destroy (cr);
	pb = gdk_pixbuf_get_from_surface (surf, 0, 0, sz, sz);
	cairo_surface_destroy (surf);
	img = gtk_image_new_from_pixbuf (pb);
	g_object_unref (pb);
	gtk_widget_show (img);
	return img;
}

static void
style_tool (RtlsComposeUi *ui)
{
	g_autofree gchar *tip = NULL;

	if (ui->tool == NULL)
		return;
	gtk_tool_button_set_icon_widget (ui->tool, choice_icon (ui->choice));
	gtk_tool_button_set_label (ui->tool, choice_button_label (ui->choice));
	tip = g_strdup_printf ("%s\n\n%s", choice_meaning (ui->choice), tooltip_text ());
	gtk_tool_item_set_tooltip_text (GTK_TOOL_ITEM (ui->tool), tip);
	gtk_widget_set_sensitive (GTK_WIDGET (ui->tool), !ui->busy);
}

static void
show_line (RtlsComposeUi *ui, const char *line, const char *tip)
{
	g_autofree gchar *one = g_strdup (line);

	g_strdelimit (one, "\n", ' ');
	gtk_label_set_text (GTK_LABEL (ui->label), one);
	gtk_widget_set_tooltip_text (ui->label, tip);
}

static void
update_widgets (RtlsComposeUi *ui)
{
	GtkAction *a;
	g_autofree gchar *line = NULL, *tip = NULL;

	ui->updating = TRUE;
	a = gtk_action_group_get_action (ui->group, "RequireTLS/Default");
	gtk_radio_action_set_current_value (GTK_RADIO_ACTION (a), (gint) ui->choice);
	style_tool (ui);
	ui->updating = FALSE;

	if (ui->busy)
		return;
	/* One line: the reason when there is one (it names the choice itself), else what the
	 * choice means; the rest in the tooltip. */
	if (ui->reason != NULL) {
		line = g_strdup (ui->reason);
		g_strdelimit (line, "\n", '\0');
		if (strchr (ui->reason, '\n') != NULL) {
			/* the reason ends in a note (the last bounce for a domain): the note
			 * goes first on the line, where it is not cut off; the reason after a
			 * dot (the toolbar item says the choice too) */
			g_autofree gchar *rest = g_strdup (strchr (ui->reason, '\n') + 1);
			g_autofree gchar *first = line;
			g_strdelimit (rest, "\n", ' ');
			line = g_strconcat (rest, " · ", first, NULL);
		}
	} else {
		line = g_strdup (choice_meaning (ui->choice));
	}
	/* readiness: what would come back leads (it matters most, and the end of a line may be
	 * cut); what is ready or not known follows the choice */
	if (ui->ready_lead != NULL) {
		gchar *l = g_strconcat (ui->ready_lead, " · ", line, NULL);
		g_free (line);
		line = l;
	}
	if (ui->ready_tail != NULL) {
		gchar *l = g_strconcat (line, " · ", ui->ready_tail, NULL);
		g_free (line);
		line = l;
	}
	tip = g_strdup_printf ("%s%s%s%s%s\n\n%s", choice_meaning (ui->choice),
	                       ui->reason ? "\n" : "", ui->reason ? ui->reason : "",
	                       ui->ready_tip ? "\n\n" : "", ui->ready_tip ? ui->ready_tip : "",
	                       tooltip_text ());
	show_line (ui, line, tip);
	gtk_info_bar_set_message_type (GTK_INFO_BAR (ui->bar),
	                               ui->choice == RTLS_CHOICE_REQUIRE   ? GTK_MESSAGE_INFO
	                               : ui->choice == RTLS_CHOICE_DEFAULT ? GTK_MESSAGE_OTHER
	                                                                   : GTK_MESSAGE_WARNING);
}

static void
radio_changed (GtkRadioAction *action, GtkRadioAction *current, gpointer data)
{
	RtlsComposeUi *ui = data;
	RtlsChoice c = (RtlsChoice) gtk_radio_action_get_current_value (current);

	if (ui->updating || c == ui->choice)
		return;
	ui->choice = c;
	g_clear_pointer (&ui->reason, g_free);
	update_widgets (ui);
	ui->on_choice (ui->data, c);
}

static void
check_activated (GtkAction *a, gpointer data)
{
	RtlsComposeUi *ui = data;

	if (ui->on_check != NULL)
		ui->on_check (ui->data);
}

static void
cancel_clicked (GtkButton *b, gpointer data)
{
	RtlsComposeUi *ui = data;

	gtk_widget_set_sensitive (ui->cancel, FALSE);
	ui->on_cancel (ui->data);
}

/* Finds our item in the toolbar Claws (re)built inside @ui->handlebox: a GtkToolButton
 * whose label is the item's key (Claws labels plugin items so). */
static void
find_tool (RtlsComposeUi *ui)
{
	GList *boxed = gtk_container_get_children (GTK_CONTAINER (ui->handlebox));

	ui->tool = NULL;
	for (GList *b = boxed; b != NULL && ui->tool == NULL; b = b->next) {
		GList *items;
		if (!GTK_IS_TOOLBAR (b->data))
			continue;
		items = gtk_container_get_children (GTK_CONTAINER (b->data));
		for (GList *l = items; l != NULL; l = l->next) {
			const char *label;
			if (!GTK_IS_TOOL_BUTTON (l->data))
				continue;
			label = gtk_tool_button_get_label (GTK_TOOL_BUTTON (l->data));
			if (label != NULL && g_str_equal (label, ui->item_key)) {
				ui->tool = GTK_TOOL_BUTTON (l->data);
				break;
			}
		}
		g_list_free (items);
	}
	g_list_free (boxed);
	if (ui->tool != NULL) {
		g_object_add_weak_pointer (G_OBJECT (ui->tool), (gpointer *) &ui->tool);
		gtk_widget_set_name (GTK_WIDGET (ui->tool), "rtls-toolbar-item");
		style_tool (ui);
	}
}

static void
handlebox_add (GtkContainer *box, GtkWidget *child, gpointer data)
{
	RtlsComposeUi *ui = data;

	if (ui->tool != NULL)
		g_object_remove_weak_pointer (G_OBJECT (ui->tool), (gpointer *) &ui->tool);
	find_tool (ui);
}

static gboolean
menu_destroy (gpointer menu)
{
	gtk_widget_destroy (menu);
	return G_SOURCE_REMOVE;
}

static void
menu_closed (GtkMenuShell *menu, gpointer data)
{
	g_idle_add (menu_destroy, menu);
}

void
rtls_compose_ui_toolbar_clicked (RtlsComposeUi *ui)
{
	static const char *const names[]
	        = { "RequireTLS/Default", "RequireTLS/Require", "RequireTLS/NoRequire" };
	GtkWidget *menu;

	if (ui == NULL || ui->busy)
		return;
	menu = gtk_menu_new ();
	gtk_widget_set_name (menu, "rtls-toolbar-menu");
	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		GtkAction *a = gtk_action_group_get_action (ui->group, names[i]);
		gtk_menu_shell_append (GTK_MENU_SHELL (menu), gtk_action_create_menu_item (a));
	}
	gtk_widget_show_all (menu);
	/* the menu goes once it is closed, after the chosen item was activated (GTK closes a
	 * menu before it activates the item) */
	g_signal_connect (menu, "deactivate", G_CALLBACK (menu_closed), NULL);
	if (ui->tool != NULL) {
		gtk_menu_attach_to_widget (GTK_MENU (menu), GTK_WIDGET (ui->tool), NULL);
		gtk_menu_popup_at_widget (GTK_MENU (menu), GTK_WIDGET (ui->tool),
		                          GDK_GRAVITY_SOUTH_WEST, GDK_GRAVITY_NORTH_WEST, NULL);
	} else {
		gtk_menu_popup_at_pointer (GTK_MENU (menu), NULL);
	}
	gtk_menu_shell_select_first (GTK_MENU_SHELL (menu), FALSE);
}

RtlsComposeUi *
rtls_compose_ui_attach (GtkUIManager *uim, GtkWidget *handlebox, const char *item_key,
                        GtkBox *top_box, GtkWidget *after, RtlsChoiceFn on_choice,
                        RtlsActionFn on_cancel, gpointer data)
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
	gint h_idle = 0, h_busy = 0;

	ui->uim = g_object_ref (uim);
	ui->on_choice = on_choice;
	ui->on_cancel = on_cancel;
	ui->data = data;
	ui->locked = g_ptr_array_new ();
	ui->item_key = g_strdup (item_key);
	ui->group = gtk_action_group_new ("RequireTLS");
	gtk_action_group_set_translation_domain (ui->group, GETTEXT_PACKAGE);
	gtk_action_group_add_radio_actions (ui->group, entries, G_N_ELEMENTS (entries),
	                                    RTLS_CHOICE_DEFAULT, G_CALLBACK (radio_changed), ui);
	{
		/* next to the choice: the readiness of every recipient domain, checked now */
		GtkActionEntry check
		        = { "RequireTLS/Check",
			    NULL,
			    N_ ("_Check recipients"),
			    NULL,
			    N_ ("Check now whether a message with REQUIRETLS can reach "
			        "each recipient"),
			    G_CALLBACK (check_activated) };
		gtk_action_group_add_actions (ui->group, &check, 1, ui);
	}
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
	gtk_ui_manager_add_ui (uim, ui->merge_id, "/Menu/Options", "Check", "RequireTLS/Check",
	                       GTK_UI_MANAGER_MENUITEM, FALSE);
	gtk_ui_manager_ensure_update (uim);

	if (handlebox != NULL) {
		ui->handlebox = g_object_ref (handlebox);
		ui->add_id = g_signal_connect (handlebox, "add", G_CALLBACK (handlebox_add), ui);
		find_tool (ui);
	}

	/* The status line: always one line of the same height, idle or sending, so that the
	 * rows below never move; what does not fit is in the tooltip. */
	ui->bar = gtk_info_bar_new ();
	gtk_widget_set_name (ui->bar, "rtls-status-line");
	ui->label = gtk_label_new (NULL);
	gtk_widget_set_name (ui->label, "rtls-status-text");
	gtk_label_set_line_wrap (GTK_LABEL (ui->label), FALSE);
	gtk_label_set_single_line_mode (GTK_LABEL (ui->label), TRUE);
	gtk_label_set_ellipsize (GTK_LABEL (ui->label), PANGO_ELLIPSIZE_END);
	gtk_label_set_xalign (GTK_LABEL (ui->label), 0.0);
	content = gtk_info_bar_get_content_area (GTK_INFO_BAR (ui->bar));
	gtk_container_add (GTK_CONTAINER (content), ui->label);
	gtk_widget_show (ui->label);
	ui->cancel = gtk_button_new_with_mnemonic (_ ("_Cancel sending"));
	area = gtk_info_bar_get_action_area (GTK_INFO_BAR (ui->bar));
	gtk_container_add (GTK_CONTAINER (area), ui->cancel);
	g_signal_connect (ui->cancel, "clicked", G_CALLBACK (cancel_clicked), ui);
	gtk_widget_show_all (ui->bar);
	gtk_label_set_text (GTK_LABEL (ui->label), "Xy");
	gtk_widget_get_preferred_height (ui->bar, NULL, &h_busy);
	gtk_widget_hide (ui->cancel);
	gtk_widget_get_preferred_height (ui->bar, NULL, &h_idle);
	gtk_widget_set_no_show_all (ui->cancel, TRUE);
	gtk_widget_set_size_request (ui->bar, -1, MAX (h_busy, h_idle));
	gtk_box_pack_start (top_box, ui->bar, FALSE, FALSE, 0);
	if (after != NULL) {
		GList *children = gtk_container_get_children (GTK_CONTAINER (top_box));
		gint pos = g_list_index (children, after);
		g_list_free (children);
		if (pos >= 0)
			gtk_box_reorder_child (top_box, ui->bar, pos + 1);
	}
	update_widgets (ui);
	return ui;
}

void
rtls_compose_ui_set_choice (RtlsComposeUi *ui, RtlsChoice choice, const char *reason)
{
	ui->choice = choice;
	g_free (ui->reason);
	ui->reason = g_strdup (reason);
	update_widgets (ui);
}

void
rtls_compose_ui_set_check_fn (RtlsComposeUi *ui, RtlsActionFn on_check)
{
	ui->on_check = on_check;
}

void
rtls_compose_ui_set_readiness (RtlsComposeUi *ui, const char *lead, const char *tail,
                               const char *tip)
{
	if (g_strcmp0 (lead, ui->ready_lead) == 0 && g_strcmp0 (tail, ui->ready_tail) == 0
	    && g_strcmp0 (tip, ui->ready_tip) == 0)
		return;
	g_free (ui->ready_lead);
	g_free (ui->ready_tail);
	g_free (ui->ready_tip);
	ui->ready_lead = g_strdup (lead);
	ui->ready_tail = g_strdup (tail);
	ui->ready_tip = g_strdup (tip);
	update_widgets (ui);
}

static void
show_busy (RtlsComposeUi *ui)
{
	guint secs = (guint) ((g_get_monotonic_time () - ui->busy_since) / G_USEC_PER_SEC);
	g_autofree gchar *line = NULL;

	/* TRANSLATORS: what is going on — seconds since sending began */
	line = g_strdup_printf (_ ("%s — %u s"), ui->busy_text, secs);
	show_line (ui, line, line);
}

static gboolean
busy_tick (gpointer data)
{
	RtlsComposeUi *ui = data;

	show_busy (ui);
	return G_SOURCE_CONTINUE;
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
	if (ui->tool != NULL)
		gtk_widget_set_sensitive (GTK_WIDGET (ui->tool), FALSE);
	gtk_action_group_set_sensitive (ui->group, FALSE);
	g_free (ui->busy_text);
	ui->busy_text = g_strdup (text);
	ui->busy_since = g_get_monotonic_time ();
	if (ui->busy_timer == 0)
		ui->busy_timer = g_timeout_add_seconds (1, busy_tick, ui);
	show_busy (ui);
	gtk_info_bar_set_message_type (GTK_INFO_BAR (ui->bar), GTK_MESSAGE_INFO);
	gtk_widget_set_sensitive (ui->cancel, TRUE);
	gtk_widget_show (ui->cancel);
}

void
rtls_compose_ui_set_progress (RtlsComposeUi *ui, const char *text)
{
	if (ui == NULL || !ui->busy)
		return;
	g_free (ui->busy_text);
	ui->busy_text = g_strdup (text);
	show_busy (ui);
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
	if (ui->busy_timer != 0)
		g_source_remove (ui->busy_timer);
	ui->busy_timer = 0;
	g_clear_pointer (&ui->busy_text, g_free);
	gtk_action_group_set_sensitive (ui->group, TRUE);
	gtk_widget_hide (ui->cancel);
	update_widgets (ui);
}

static void
free_common (RtlsComposeUi *ui)
{
	if (ui->busy_timer != 0)
		g_source_remove (ui->busy_timer);
	if (ui->tool != NULL)
		g_object_remove_weak_pointer (G_OBJECT (ui->tool), (gpointer *) &ui->tool);
	if (ui->handlebox != NULL) {
		g_signal_handler_disconnect (ui->handlebox, ui->add_id);
		g_object_unref (ui->handlebox);
	}
	g_object_unref (ui->group);
	g_object_unref (ui->uim);
	g_ptr_array_unref (ui->locked);
	g_free (ui->item_key);
	g_free (ui->reason);
	g_free (ui->busy_text);
	g_free (ui->ready_lead);
	g_free (ui->ready_tail);
	g_free (ui->ready_tip);
	g_free (ui);
}

void
rtls_compose_ui_forget (RtlsComposeUi *ui)
{
	GtkAction *first;

	if (ui == NULL)
		return;
	/* The window is being destroyed and takes our widgets and its UI manager with it: only
	 * let go of them. Taking the action group out of the UI manager here would leave its
	 * Options menu items without their actions, and the UI manager's next update would say
	 * "missing action RequireTLS/…" for each (issue 15, item 12): the group stays in it and
	 * goes with it; only its callbacks are cut. */
	first = gtk_action_group_get_action (ui->group, "RequireTLS/Default");
	g_signal_handlers_disconnect_by_data (first, ui);
	g_signal_handlers_disconnect_by_data (ui->bar, ui);
	g_signal_handlers_disconnect_by_data (ui->cancel, ui);
	for (guint i = 0; i < ui->locked->len; i++)
		g_object_unref (g_ptr_array_index (ui->locked, i));
	free_common (ui);
}

void
rtls_compose_ui_detach (RtlsComposeUi *ui)
{
	if (ui == NULL)
		return;
	if (ui->busy)
		rtls_compose_ui_set_idle (ui);
	/* the menu items first, while their actions are still there */
	gtk_ui_manager_remove_ui (ui->uim, ui->merge_id);
	gtk_ui_manager_ensure_update (ui->uim);
	gtk_ui_manager_remove_action_group (ui->uim, ui->group);
	gtk_ui_manager_ensure_update (ui->uim);
	g_signal_handlers_disconnect_by_data (ui->bar, ui);
	gtk_widget_destroy (ui->bar);
	if (ui->tool != NULL) {
		/* nothing of the module may stay on Claws' widget once it is unloaded */
		gtk_tool_button_set_icon_widget (ui->tool, NULL);
		/* back to the label Claws gave it: a plugin loaded again finds it by that */
		gtk_tool_button_set_label (ui->tool, ui->item_key);
		gtk_widget_set_sensitive (GTK_WIDGET (ui->tool), TRUE);
	}
	free_common (ui);
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
rtls_ui_row_set_value (GtkWidget *entry, const char *text)
{
	gtk_entry_set_text (GTK_ENTRY (entry), text);
}

gboolean
rtls_ui_activate (GtkUIManager *uim, const char *path)
{
	GtkAction *a = uim != NULL ? gtk_ui_manager_get_action (uim, path) : NULL;

	if (a == NULL)
		return FALSE;
	gtk_action_activate (a);
	return TRUE;
}

enum { BOUNCE_SEND = 1, BOUNCE_REMOVE, BOUNCE_DEFAULT, BOUNCE_EDIT };

static void stack_buttons_if_wide (GtkWidget *d, gint any_response);

RtlsBounceAnswer
rtls_ui_bounce_question (GtkWindow *parent, const char *headline, const char *details,
                         gboolean can_remove)
{
	GtkWidget *d
	        = gtk_message_dialog_new (parent, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
	                                  GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE, "%s", headline);
	gint r;

	gtk_window_set_title (GTK_WINDOW (d), _ ("REQUIRETLS: it would come back"));
	gtk_widget_set_name (d, "rtls-bounce-question");
	gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", details);
	gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Send anyway"), BOUNCE_SEND);
	if (can_remove)
		gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Remove them"), BOUNCE_REMOVE);
	gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Don't require TLS"), BOUNCE_DEFAULT);
	gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Back to editing"), BOUNCE_EDIT);
	gtk_dialog_set_default_response (GTK_DIALOG (d), BOUNCE_EDIT);
	stack_buttons_if_wide (d, BOUNCE_EDIT);
	r = gtk_dialog_run (GTK_DIALOG (d));
	gtk_widget_destroy (d);
	switch (r) {
	case BOUNCE_SEND:
		return RTLS_BOUNCE_SEND_ANYWAY;
	case BOUNCE_REMOVE:
		return RTLS_BOUNCE_REMOVE;
	case BOUNCE_DEFAULT:
		return RTLS_BOUNCE_NO_REQUIRE;
	default:
		return RTLS_BOUNCE_EDIT;
	}
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
	gchar *clear_first_hop;
	RtlsRefusal refusal;
} FailureCtx;

enum { RESPONSE_EDIT = 1, RESPONSE_KEEP, RESPONSE_DEFAULT, RESPONSE_SETTINGS };

static gboolean
confirm_send_default (GtkWindow *parent, const char *clear_first_hop)
{
	GtkWidget *d = gtk_message_dialog_new (
	        parent, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
	        GTK_BUTTONS_NONE, "%s", _ ("Send this message without REQUIRETLS?"));
	/* (GTK leaves a message dialog's title empty: the window list would show nothing) */
	gtk_window_set_title (GTK_WINDOW (d), _ ("REQUIRETLS: send without it?"));
	g_autoptr (GString) text = g_string_new (NULL);
	gint r;

	if (clear_first_hop != NULL) {
		g_string_append_printf (
		        text,
		        _ ("This account connects to %s without TLS: the message will cross this "
		           "first hop in clear text, readable and changeable by anyone on that "
		           "link."),
		        clear_first_hop);
		g_string_append (text, "\n\n");
	}
	g_string_append (
	        text, _ ("It will be sent as usual. Servers on the way may then pass it on without "
	                 "TLS, or with a certificate nobody checked, and anyone on those links "
	                 "could read or change it. You asked for REQUIRETLS to prevent exactly "
	                 "that."));
	gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", text->str);
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

	if (response == RESPONSE_DEFAULT && ctx->refusal != RTLS_REFUSAL_NOT_CONFIRMED
	    && ctx->refusal != RTLS_REFUSAL_CANCELLED) {
		if (!confirm_send_default (GTK_WINDOW (d), ctx->clear_first_hop))
			return; /* back to the failure dialog */
		c = RTLS_FAILURE_SEND_DEFAULT;
	} else if (response == RESPONSE_KEEP) {
		c = RTLS_FAILURE_KEEP_QUEUED;
	} else if (response == RESPONSE_SETTINGS) {
		c = RTLS_FAILURE_OPEN_SETTINGS;
	}
	gtk_widget_destroy (GTK_WIDGET (d));
	ctx->done (ctx->data, c);
	g_free (ctx->clear_first_hop);
	g_free (ctx);
}

/* The widest a dialog's row of buttons may be before they are stacked, one under the other
 * and each as wide as the text (as libadwaita's message dialogs do when their responses do
 * not fit): the dialog keeps the width of its wrapped text instead of growing to the sum of
 * its button labels (three of them: ~1060 px in English, more in German). */
#define BUTTON_ROW_MAX 560

static void
stack_buttons_if_wide (GtkWidget *d, gint any_response)
{
	GtkWidget *button = gtk_dialog_get_widget_for_response (GTK_DIALOG (d), any_response);
	GtkWidget *box = button != NULL ? gtk_widget_get_parent (button) : NULL;
	gint natural = 0;

	if (!GTK_IS_BUTTON_BOX (box))
		return;
	gtk_widget_show_all (box);
	gtk_widget_get_preferred_width (box, NULL, &natural);
	if (natural <= BUTTON_ROW_MAX)
		return;
	gtk_orientable_set_orientation (GTK_ORIENTABLE (box), GTK_ORIENTATION_VERTICAL);
	gtk_button_box_set_layout (GTK_BUTTON_BOX (box), GTK_BUTTONBOX_EXPAND);
	gtk_box_set_spacing (GTK_BOX (box), 6);
}

void
rtls_ui_failure_dialog (GtkWindow *parent, const char *title, const char *text, RtlsRefusal refusal,
                        const char *server, const char *clear_first_hop, RtlsFailureFn done,
                        gpointer data)
{
	FailureCtx *ctx = g_new0 (FailureCtx, 1);
	g_autofree gchar *fact = NULL, *body = NULL;
	gboolean unsure = refusal == RTLS_REFUSAL_NOT_CONFIRMED, alone = FALSE;
	const char *window_title
	        = unsure ? _ ("REQUIRETLS: may not have been sent") : _ ("REQUIRETLS: not sent");
	GtkWidget *d;

	if (unsure)
		/* the server may already have it: never "not sent" */
		title = _ ("The message may not have been sent");
	/* The headline names the kind of problem; the explanation under it says the rest, and
	 * that the message was not sent: each fact once (the window's title says "not sent"
	 * too, as a window list shows it) */
	if (refusal == RTLS_REFUSAL_NO_REQUIRETLS)
		fact = g_strdup_printf (_ ("The server %s does not offer REQUIRETLS."),
		                        server != NULL ? server : "?");
	else if (refusal == RTLS_REFUSAL_CERT)
		fact = g_strdup (_ ("The server's certificate was not accepted"));
	else if (refusal == RTLS_REFUSAL_TEMPORARY)
		fact = g_strdup (_ ("The server cannot take the message now"));
	else if (refusal == RTLS_REFUSAL_CANCELLED)
		fact = g_strdup (_ ("Sending was cancelled"));
	else if (!unsure)
		/* any other refusal: its explanation is the headline, alone */
		alone = TRUE;
	d = gtk_message_dialog_new (parent, GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
	                            GTK_BUTTONS_NONE, "%s",
	                            fact != NULL ? fact
	                            : alone      ? text
	                                         : title);
	{
		/* the usual warning icon beside the text (GTK 3 message dialogs show none) */
		GtkWidget *area = gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (d));
		GtkWidget *row = gtk_widget_get_parent (area);
		GtkWidget *icon
		        = gtk_image_new_from_icon_name ("dialog-warning", GTK_ICON_SIZE_DIALOG);
		if (GTK_IS_BOX (row)) {
			gtk_widget_set_valign (icon, GTK_ALIGN_START);
			gtk_box_pack_start (GTK_BOX (row), icon, FALSE, FALSE, 0);
			gtk_box_reorder_child (GTK_BOX (row), icon, 0);
		}
	}
	if (alone)
		body = NULL;
	else if (fact != NULL)
		/* the explanation says the message was not sent: not twice */
		body = g_strdup (text);
	else if (unsure)
		/* what each button does, since neither sends it */
		body = g_strdup_printf (
		        "%s\n\n%s", text,
		        _ ("It is not sent again unless you say so. Keep it queued: this composer "
		           "closes and the message waits in the Queue folder; Tools → Send queued "
		           "REQUIRETLS messages asks you before sending it again. Back to editing: "
		           "the composer stays open, and Send asks you first."));
	else
		body = g_strdup (text);
	ctx->done = done;
	ctx->data = data;
	ctx->clear_first_hop = g_strdup (clear_first_hop);
	ctx->refusal = refusal;
	gtk_window_set_title (GTK_WINDOW (d), window_title);
	gtk_widget_set_name (d, "rtls-failure-dialog");
	if (body != NULL)
		gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", body);
	/* each refusal's own next step first; sending without REQUIRETLS second */
	switch (refusal) {
	case RTLS_REFUSAL_CERT:
		gtk_dialog_add_button (GTK_DIALOG (d),
		                       _ ("_Save as draft and open the account's REQUIRETLS "
		                          "settings"),
		                       RESPONSE_SETTINGS);
		break;
	case RTLS_REFUSAL_NO_REQUIRETLS:
		gtk_dialog_add_button (GTK_DIALOG (d),
		                       _ ("_Use another submission server for REQUIRETLS…"),
		                       RESPONSE_SETTINGS);
		break;
	case RTLS_REFUSAL_TEMPORARY:
		gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Keep queued and retry"), RESPONSE_KEEP);
		break;
	case RTLS_REFUSAL_NOT_CONFIRMED:
		/* kept locked in the queue: no timer, no going online and no --send sends it */
		gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Keep it queued"), RESPONSE_KEEP);
		break;
	default:
		break;
	}
	/* Sending it without REQUIRETLS after a send that may have arrived would be a second
	 * copy that nobody asked for: not offered at all then. */
	if (!unsure && refusal != RTLS_REFUSAL_CANCELLED)
		/* (nor after a cancel: the person stopped the send, a downgrade is no next step) */
		gtk_dialog_add_button (GTK_DIALOG (d), _ ("Send _without REQUIRETLS…"),
		                       RESPONSE_DEFAULT);
	gtk_dialog_add_button (GTK_DIALOG (d), _ ("_Back to editing"), RESPONSE_EDIT);
	gtk_dialog_set_default_response (GTK_DIALOG (d), RESPONSE_EDIT);
	stack_buttons_if_wide (d, RESPONSE_EDIT);
	g_signal_connect (d, "response", G_CALLBACK (failure_response), ctx);
	gtk_widget_show_all (d);
}

typedef struct {
	gchar *title;
	GtkWidget *page; /* weak */
} SelectPage;

static gboolean
select_row (GtkTreeModel *model, GtkTreePath *path, GtkTreeIter *iter, gpointer data)
{
	gpointer *ctx = data; /* { title, tree view } */
	gchar *text = NULL;
	gboolean found;

	if (gtk_tree_model_get_column_type (model, 0) != G_TYPE_STRING)
		return TRUE;
	gtk_tree_model_get (model, iter, 0, &text, -1);
	found = text != NULL && g_str_equal (text, ctx[0]);
	g_free (text);
	if (found) {
		gtk_tree_view_expand_to_path (GTK_TREE_VIEW (ctx[1]), path);
		gtk_tree_selection_select_path (
		        gtk_tree_view_get_selection (GTK_TREE_VIEW (ctx[1])), path);
	}
	return found;
}

/* The first tree view in the window: Claws' page index. */
static void
find_tree (GtkWidget *w, gpointer data)
{
	gpointer *ctx = data;

	if (ctx[1] != NULL)
		return;
	if (GTK_IS_TREE_VIEW (w))
		ctx[1] = w;
	else if (GTK_IS_CONTAINER (w))
		gtk_container_forall (GTK_CONTAINER (w), find_tree, ctx);
}

static gboolean
select_page_later (gpointer data)
{
	SelectPage *sp = data;

	if (sp->page != NULL) {
		gpointer ctx[2] = { sp->title, NULL };
		GtkTreeModel *m;
		find_tree (gtk_widget_get_toplevel (sp->page), ctx);
		if (ctx[1] != NULL && (m = gtk_tree_view_get_model (GTK_TREE_VIEW (ctx[1]))) != NULL
		    && gtk_tree_model_get_n_columns (m) > 0)
			gtk_tree_model_foreach (m, select_row, ctx);
		g_object_remove_weak_pointer (G_OBJECT (sp->page), (gpointer *) &sp->page);
	}
	g_free (sp->title);
	g_free (sp);
	return G_SOURCE_REMOVE;
}

void
rtls_ui_prefs_select_page (GtkWidget *page, const char *title)
{
	SelectPage *sp = g_new0 (SelectPage, 1);

	sp->title = g_strdup (title);
	sp->page = page;
	g_object_add_weak_pointer (G_OBJECT (page), (gpointer *) &sp->page);
	/* the window is being built and shown: once the main loop (Claws runs one of its own
	 * for the account preferences) has shown it */
	g_timeout_add (300, select_page_later, sp);
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
		{ "Tools/RequireTLSSendQueue", NULL, N_ ("Send _queued REQUIRETLS messages…"), NULL,
		  N_ ("Send the messages waiting in the queue with Require TLS"),
		  G_CALLBACK (main_send_queue) },
		{ "Tools/RequireTLSDelivery", NULL, N_ ("REQUIRETLS _delivery…"), NULL,
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

gchar *
rtls_ui_entry_text (GtkWidget *entry)
{
	return g_strdup (GTK_IS_ENTRY (entry) ? gtk_entry_get_text (GTK_ENTRY (entry)) : "");
}

void
rtls_ui_lasting_notice (GtkWindow *parent, const char *title, const char *primary,
                        const char *secondary)
{
	GtkWidget *d = gtk_message_dialog_new (parent, GTK_DIALOG_DESTROY_WITH_PARENT,
	                                       GTK_MESSAGE_INFO, GTK_BUTTONS_CLOSE, "%s", primary);

	gtk_widget_set_name (d, "rtls-lasting-notice");
	gtk_window_set_title (GTK_WINDOW (d), title);
	if (secondary != NULL)
		gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", secondary);
	/* gtk_widget_destroy: GTK's, so that the button works after this module is gone */
	g_signal_connect (d, "response", G_CALLBACK (gtk_widget_destroy), NULL);
	gtk_widget_show (d);
}
