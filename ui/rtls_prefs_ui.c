/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_prefs_ui.c: Preferences → Plugins → REQUIRETLS, and the account page (GTK only).
 */
#include "config.h"

#include "rtls_prefs_ui.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "rtls_rules.h"

enum { COL_ENABLED, COL_PATTERN, COL_ACTION, COL_ACCOUNT, COL_RULE, N_COLS };

struct _RtlsPrefsUi {
	GtkWidget *default_combo;
	GtkListStore *store;
	GtkWidget *view;
	GtkWidget *pattern, *action_combo, *subdomains, *account_spin, *error_label;
	GtkWidget *test_entry, *test_label;
	GtkWidget *helper_entry, *timeout_spin, *retry_check, *retry_spin;
};

static const char *
action_text (RtlsChoice c)
{
	return c == RTLS_CHOICE_REQUIRE ? _ ("Require TLS") : _ ("Don't require TLS");
}

static void
store_set (RtlsPrefsUi *ui, GtkTreeIter *it, RtlsRule *r)
{
	g_autofree gchar *shown = rtls_rule_display_pattern (r);
	g_autofree gchar *acct
	        = r->account_id >= 0 ? g_strdup_printf ("%d", r->account_id) : g_strdup (_ ("any"));

	/* the store owns @r */
	gtk_list_store_set (ui->store, it, COL_ENABLED, r->enabled, COL_PATTERN, shown, COL_ACTION,
	                    action_text (r->action), COL_ACCOUNT, acct, COL_RULE, r, -1);
}

static GPtrArray *
rules_from_store (RtlsPrefsUi *ui)
{
	GPtrArray *rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_rule_free);
	GtkTreeIter it;
	gboolean ok = gtk_tree_model_get_iter_first (GTK_TREE_MODEL (ui->store), &it);

	while (ok) {
		RtlsRule *r = NULL;
		gboolean enabled = TRUE;
		gtk_tree_model_get (GTK_TREE_MODEL (ui->store), &it, COL_RULE, &r, COL_ENABLED,
		                    &enabled, -1);
		if (r != NULL) {
			RtlsRule *c = rtls_rule_copy (r);
			c->enabled = enabled;
			g_ptr_array_add (rules, c);
		}
		ok = gtk_tree_model_iter_next (GTK_TREE_MODEL (ui->store), &it);
	}
	return rules;
}

static void
free_rule_in_store (GtkListStore *store, GtkTreeIter *it)
{
	RtlsRule *r = NULL;

	gtk_tree_model_get (GTK_TREE_MODEL (store), it, COL_RULE, &r, -1);
	rtls_rule_free (r);
}

static RtlsRule *
rule_from_form (RtlsPrefsUi *ui)
{
	g_autoptr (GError) error = NULL;
	RtlsChoice action = gtk_combo_box_get_active (GTK_COMBO_BOX (ui->action_combo)) == 1
	                            ? RTLS_CHOICE_NO_REQUIRE
	                            : RTLS_CHOICE_REQUIRE;
	gint account = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->account_spin));
	RtlsRule *r
	        = rtls_rule_new (gtk_entry_get_text (GTK_ENTRY (ui->pattern)),
	                         gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->subdomains)),
	                         action, account > 0 ? account : -1, TRUE, &error);

	/* Invalid patterns are said where they are typed, and never saved. */
	gtk_label_set_text (GTK_LABEL (ui->error_label), error != NULL ? error->message : "");
	return r;
}

static void
add_clicked (GtkButton *b, RtlsPrefsUi *ui)
{
	RtlsRule *r = rule_from_form (ui);
	GtkTreeIter it;

	if (r == NULL)
		return;
	gtk_list_store_append (ui->store, &it);
	store_set (ui, &it, r);
	gtk_entry_set_text (GTK_ENTRY (ui->pattern), "");
}

static gboolean
selected (RtlsPrefsUi *ui, GtkTreeIter *it)
{
	return gtk_tree_selection_get_selected (
	        gtk_tree_view_get_selection (GTK_TREE_VIEW (ui->view)), NULL, it);
}

static void
replace_clicked (GtkButton *b, RtlsPrefsUi *ui)
{
	GtkTreeIter it;
	RtlsRule *r;

	if (!selected (ui, &it) || (r = rule_from_form (ui)) == NULL)
		return;
	free_rule_in_store (ui->store, &it);
	store_set (ui, &it, r);
}

static void
remove_clicked (GtkButton *b, RtlsPrefsUi *ui)
{
	GtkTreeIter it;

	if (!selected (ui, &it))
		return;
	free_rule_in_store (ui->store, &it);
	gtk_list_store_remove (ui->store, &it);
}

static void
move (RtlsPrefsUi *ui, gboolean up)
{
	GtkTreeIter it, other;

	if (!selected (ui, &it))
		return;
	other = it;
	if (up ? gtk_tree_model_iter_previous (GTK_TREE_MODEL (ui->store), &other)
	       : gtk_tree_model_iter_next (GTK_TREE_MODEL (ui->store), &other))
		gtk_list_store_swap (ui->store, &it, &other);
}

static void
up_clicked (GtkButton *b, RtlsPrefsUi *ui)
{
	move (ui, TRUE);
}

static void
down_clicked (GtkButton *b, RtlsPrefsUi *ui)
{
	move (ui, FALSE);
}

static void
selection_changed (GtkTreeSelection *sel, RtlsPrefsUi *ui)
{
	GtkTreeIter it;
	RtlsRule *r = NULL;

	if (!selected (ui, &it))
		return;
	gtk_tree_model_get (GTK_TREE_MODEL (ui->store), &it, COL_RULE, &r, -1);
	if (r == NULL)
		return;
	gtk_entry_set_text (GTK_ENTRY (ui->pattern), r->pattern);
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->subdomains),
	                              r->kind == RTLS_RULE_SUBDOMAINS);
	gtk_combo_box_set_active (GTK_COMBO_BOX (ui->action_combo),
	                          r->action == RTLS_CHOICE_NO_REQUIRE ? 1 : 0);
	gtk_spin_button_set_value (GTK_SPIN_BUTTON (ui->account_spin),
	                           r->account_id >= 0 ? r->account_id : 0);
}

static void
enabled_toggled (GtkCellRendererToggle *cell, gchar *path, RtlsPrefsUi *ui)
{
	GtkTreeIter it;
	gboolean on;

	if (!gtk_tree_model_get_iter_from_string (GTK_TREE_MODEL (ui->store), &it, path))
		return;
	gtk_tree_model_get (GTK_TREE_MODEL (ui->store), &it, COL_ENABLED, &on, -1);
	gtk_list_store_set (ui->store, &it, COL_ENABLED, !on, -1);
}

static void
test_changed (GtkEditable *e, RtlsPrefsUi *ui)
{
	const char *fields[] = { gtk_entry_get_text (GTK_ENTRY (ui->test_entry)), NULL };
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) rules = rules_from_store (ui);
	RtlsVerdict v = { 0 };
	g_autofree gchar *text = NULL;

	rtls_rules_recipients_from_fields (fields, rcpts);
	if (rcpts->len == 0) {
		gtk_label_set_text (GTK_LABEL (ui->test_label),
		                    *fields[0] ? _ ("not an e-mail address") : "");
		return;
	}
	rtls_rules_decide (rules, rcpts, -1, &v);
	if (v.rule != NULL) {
		g_autofree gchar *shown = rtls_rule_display_pattern (v.rule);
		text = g_strdup_printf (_ ("%s — rule: %s"), action_text (v.choice), shown);
	} else {
		text = g_strdup (_ ("no rule matches: the default for new messages applies"));
	}
	gtk_label_set_text (GTK_LABEL (ui->test_label), text);
	rtls_verdict_clear (&v);
}

static void
file_dialog (RtlsPrefsUi *ui, gboolean export)
{
	GtkWidget *top = gtk_widget_get_toplevel (ui->view);
	GtkWidget *d = gtk_file_chooser_dialog_new (
	        export ? _ ("Export REQUIRETLS rules") : _ ("Import REQUIRETLS rules"),
	        GTK_IS_WINDOW (top) ? GTK_WINDOW (top) : NULL,
	        export ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Cancel"),
	        GTK_RESPONSE_CANCEL, export ? _ ("_Save") : _ ("_Open"), GTK_RESPONSE_ACCEPT, NULL);
	g_autofree gchar *path = NULL;
	g_autoptr (GError) error = NULL;

	if (export)
		gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (d), TRUE);
	if (gtk_dialog_run (GTK_DIALOG (d)) == GTK_RESPONSE_ACCEPT)
		path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d));
	gtk_widget_destroy (d);
	if (path == NULL)
		return;
	if (export) {
		g_autoptr (GPtrArray) rules = rules_from_store (ui);
		g_autofree gchar *text = rtls_rules_format_text (rules);
		if (!g_file_set_contents (path, text, -1, &error))
			gtk_label_set_text (GTK_LABEL (ui->error_label), error->message);
	} else {
		g_autofree gchar *text = NULL;
		g_autoptr (GPtrArray) rules = NULL;
		/* all or nothing: a bad line changes nothing */
		if (!g_file_get_contents (path, &text, NULL, &error)
		    || (rules = rtls_rules_parse_text (text, &error)) == NULL) {
			gtk_label_set_text (GTK_LABEL (ui->error_label), error->message);
			return;
		}
		for (guint i = 0; i < rules->len; i++) {
			GtkTreeIter it;
			gtk_list_store_append (ui->store, &it);
			store_set (ui, &it, g_steal_pointer (&rules->pdata[i]));
		}
		g_ptr_array_set_free_func (rules, NULL);
		gtk_label_set_text (GTK_LABEL (ui->error_label), "");
	}
}

static void
import_clicked (GtkButton *b, RtlsPrefsUi *ui)
{
	file_dialog (ui, FALSE);
}

static void
export_clicked (GtkButton *b, RtlsPrefsUi *ui)
{
	file_dialog (ui, TRUE);
}

static GtkWidget *
button (const char *label, GCallback cb, RtlsPrefsUi *ui)
{
	GtkWidget *b = gtk_button_new_with_mnemonic (label);
	g_signal_connect (b, "clicked", cb, ui);
	return b;
}

static GtkWidget *
frame (const char *title, GtkWidget *child)
{
	GtkWidget *f = gtk_frame_new (title);

	gtk_container_set_border_width (GTK_CONTAINER (child), 6);
	gtk_container_add (GTK_CONTAINER (f), child);
	return f;
}

GtkWidget *
rtls_prefs_ui_new (const RtlsSettings *s, RtlsPrefsUi **out)
{
	RtlsPrefsUi *ui = g_new0 (RtlsPrefsUi, 1);
	GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
	GtkWidget *box, *grid, *scroll, *hb, *label;
	GtkCellRenderer *cell;

	gtk_container_set_border_width (GTK_CONTAINER (vbox), 8);

	/* new messages */
	box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_pack_start (GTK_BOX (box), gtk_label_new (_ ("For new messages:")), FALSE, FALSE,
	                    0);
	ui->default_combo = gtk_combo_box_text_new ();
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->default_combo), _ ("Default"));
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->default_combo), _ ("Require TLS"));
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->default_combo),
	                                _ ("Don't require TLS"));
	gtk_combo_box_set_active (GTK_COMBO_BOX (ui->default_combo), (gint) s->default_choice);
	gtk_box_pack_start (GTK_BOX (box), ui->default_combo, FALSE, FALSE, 0);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Default"), box), FALSE, FALSE, 0);

	/* rules */
	box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
	label = gtk_label_new (_ ("If any recipient (To, Cc, Bcc) matches a Require TLS rule, the "
	                          "message requires TLS; otherwise a Don't require TLS match "
	                          "applies. The first matching rule decides for each recipient. A "
	                          "choice made in the composer always wins."));
	gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
	gtk_label_set_xalign (GTK_LABEL (label), 0);
	gtk_box_pack_start (GTK_BOX (box), label, FALSE, FALSE, 0);
	ui->store = gtk_list_store_new (N_COLS, G_TYPE_BOOLEAN, G_TYPE_STRING, G_TYPE_STRING,
	                                G_TYPE_STRING, G_TYPE_POINTER);
	for (guint i = 0; s->rules != NULL && i < s->rules->len; i++) {
		GtkTreeIter it;
		gtk_list_store_append (ui->store, &it);
		store_set (ui, &it, rtls_rule_copy (g_ptr_array_index (s->rules, i)));
	}
	ui->view = gtk_tree_view_new_with_model (GTK_TREE_MODEL (ui->store));
	gtk_widget_set_name (ui->view, "rtls-rules");
	cell = gtk_cell_renderer_toggle_new ();
	g_signal_connect (cell, "toggled", G_CALLBACK (enabled_toggled), ui);
	gtk_tree_view_append_column (GTK_TREE_VIEW (ui->view),
	                             gtk_tree_view_column_new_with_attributes (
	                                     _ ("On"), cell, "active", COL_ENABLED, NULL));
	gtk_tree_view_append_column (GTK_TREE_VIEW (ui->view),
	                             gtk_tree_view_column_new_with_attributes (
	                                     _ ("Address or domain"), gtk_cell_renderer_text_new (),
	                                     "text", COL_PATTERN, NULL));
	gtk_tree_view_append_column (
	        GTK_TREE_VIEW (ui->view),
	        gtk_tree_view_column_new_with_attributes (
	                _ ("Action"), gtk_cell_renderer_text_new (), "text", COL_ACTION, NULL));
	gtk_tree_view_append_column (
	        GTK_TREE_VIEW (ui->view),
	        gtk_tree_view_column_new_with_attributes (
	                _ ("Account"), gtk_cell_renderer_text_new (), "text", COL_ACCOUNT, NULL));
	g_signal_connect (gtk_tree_view_get_selection (GTK_TREE_VIEW (ui->view)), "changed",
	                  G_CALLBACK (selection_changed), ui);
	scroll = gtk_scrolled_window_new (NULL, NULL);
	gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
	                                GTK_POLICY_AUTOMATIC);
	gtk_scrolled_window_set_shadow_type (GTK_SCROLLED_WINDOW (scroll), GTK_SHADOW_IN);
	gtk_widget_set_size_request (scroll, -1, 140);
	gtk_container_add (GTK_CONTAINER (scroll), ui->view);
	hb = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_pack_start (GTK_BOX (hb), scroll, TRUE, TRUE, 0);
	{
		GtkWidget *bb = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
		gtk_box_pack_start (GTK_BOX (bb), button (_ ("_Up"), G_CALLBACK (up_clicked), ui),
		                    FALSE, FALSE, 0);
		gtk_box_pack_start (GTK_BOX (bb),
		                    button (_ ("Do_wn"), G_CALLBACK (down_clicked), ui), FALSE,
		                    FALSE, 0);
		gtk_box_pack_start (GTK_BOX (bb),
		                    button (_ ("_Remove"), G_CALLBACK (remove_clicked), ui), FALSE,
		                    FALSE, 0);
		gtk_box_pack_start (GTK_BOX (bb),
		                    button (_ ("_Import…"), G_CALLBACK (import_clicked), ui), FALSE,
		                    FALSE, 0);
		gtk_box_pack_start (GTK_BOX (bb),
		                    button (_ ("E_xport…"), G_CALLBACK (export_clicked), ui), FALSE,
		                    FALSE, 0);
		gtk_box_pack_start (GTK_BOX (hb), bb, FALSE, FALSE, 0);
	}
	gtk_box_pack_start (GTK_BOX (box), hb, TRUE, TRUE, 0);

	grid = gtk_grid_new ();
	gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
	gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
	ui->pattern = gtk_entry_new ();
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->pattern),
	                                _ ("alice@example.org, example.org or *.example.gov"));
	gtk_widget_set_hexpand (ui->pattern, TRUE);
	ui->action_combo = gtk_combo_box_text_new ();
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->action_combo), _ ("Require TLS"));
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->action_combo),
	                                _ ("Don't require TLS"));
	gtk_combo_box_set_active (GTK_COMBO_BOX (ui->action_combo), 0);
	ui->subdomains = gtk_check_button_new_with_mnemonic (_ ("with _subdomains"));
	ui->account_spin = gtk_spin_button_new_with_range (0, 9999, 1);
	gtk_widget_set_tooltip_text (ui->account_spin, _ ("Only for this account id (0: all)"));
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Pattern:")), 0, 0, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->pattern, 1, 0, 3, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->action_combo, 1, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->subdomains, 2, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Account:")), 3, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->account_spin, 4, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), button (_ ("_Add"), G_CALLBACK (add_clicked), ui), 4, 0,
	                 1, 1);
	gtk_grid_attach (GTK_GRID (grid), button (_ ("R_eplace"), G_CALLBACK (replace_clicked), ui),
	                 5, 0, 1, 1);
	ui->error_label = gtk_label_new ("");
	gtk_label_set_xalign (GTK_LABEL (ui->error_label), 0);
	gtk_label_set_line_wrap (GTK_LABEL (ui->error_label), TRUE);
	gtk_widget_set_name (ui->error_label, "rtls-rule-error");
	gtk_grid_attach (GTK_GRID (grid), ui->error_label, 1, 2, 5, 1);
	ui->test_entry = gtk_entry_new ();
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->test_entry),
	                                _ ("Which rule matches this address?"));
	g_signal_connect (ui->test_entry, "changed", G_CALLBACK (test_changed), ui);
	ui->test_label = gtk_label_new ("");
	gtk_label_set_xalign (GTK_LABEL (ui->test_label), 0);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Test:")), 0, 3, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->test_entry, 1, 3, 2, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->test_label, 3, 3, 3, 1);
	gtk_box_pack_start (GTK_BOX (box), grid, FALSE, FALSE, 0);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Rules for sensitive recipients"), box), TRUE,
	                    TRUE, 0);

	/* sending */
	grid = gtk_grid_new ();
	gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
	gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
	ui->helper_entry = gtk_entry_new ();
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->helper_entry),
	                                RTLS_BINDIR "/requiretls-submit");
	if (s->helper != NULL)
		gtk_entry_set_text (GTK_ENTRY (ui->helper_entry), s->helper);
	gtk_widget_set_hexpand (ui->helper_entry, TRUE);
	ui->timeout_spin = gtk_spin_button_new_with_range (5, 3600, 5);
	gtk_spin_button_set_value (GTK_SPIN_BUTTON (ui->timeout_spin), s->timeout);
	ui->retry_check = gtk_check_button_new_with_mnemonic (
	        _ ("Re_try queued messages after temporary failures, waiting at most"));
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->retry_check), s->retry);
	ui->retry_spin = gtk_spin_button_new_with_range (5, 1440, 5);
	gtk_spin_button_set_value (GTK_SPIN_BUTTON (ui->retry_spin), s->retry_max_minutes);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Helper:")), 0, 0, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->helper_entry, 1, 0, 3, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Timeout (seconds):")), 0, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->timeout_spin, 1, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->retry_check, 0, 2, 2, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->retry_spin, 2, 2, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("minutes")), 3, 2, 1, 1);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Sending"), grid), FALSE, FALSE, 0);

	gtk_widget_show_all (vbox);
	*out = ui;
	return vbox;
}

RtlsSettings *
rtls_prefs_ui_get (RtlsPrefsUi *ui)
{
	RtlsSettings *s = rtls_settings_new ();
	const char *helper = gtk_entry_get_text (GTK_ENTRY (ui->helper_entry));
	gint d = gtk_combo_box_get_active (GTK_COMBO_BOX (ui->default_combo));

	s->default_choice = d == 1   ? RTLS_CHOICE_REQUIRE
	                    : d == 2 ? RTLS_CHOICE_NO_REQUIRE
	                             : RTLS_CHOICE_DEFAULT;
	g_ptr_array_unref (s->rules);
	s->rules = rules_from_store (ui);
	s->helper = *helper != '\0' ? g_strstrip (g_strdup (helper)) : NULL;
	s->timeout = (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->timeout_spin));
	s->retry = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->retry_check));
	s->retry_max_minutes
	        = (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->retry_spin));
	return s;
}

void
rtls_prefs_ui_free (RtlsPrefsUi *ui)
{
	GtkTreeIter it;
	gboolean ok;

	if (ui == NULL)
		return;
	ok = gtk_tree_model_get_iter_first (GTK_TREE_MODEL (ui->store), &it);
	while (ok) {
		free_rule_in_store (ui->store, &it);
		ok = gtk_tree_model_iter_next (GTK_TREE_MODEL (ui->store), &it);
	}
	g_object_unref (ui->store);
	g_free (ui);
}

struct _RtlsAccountUi {
	GtkWidget *allow, *own_server, *host, *port, *starttls, *ca, *pin, *fetch;
	RtlsFetchPinFn fetch_pin;
	gpointer data;
};

static void
fetch_clicked (GtkButton *b, RtlsAccountUi *ui)
{
	ui->fetch_pin (ui->data);
}

void
rtls_account_ui_target (RtlsAccountUi *ui, gchar **host, guint *port, gboolean *starttls,
                        gchar **ca_file)
{
	const char *ca = gtk_entry_get_text (GTK_ENTRY (ui->ca));

	*host = NULL;
	*port = 0;
	*starttls = FALSE;
	if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->own_server))
	    && *gtk_entry_get_text (GTK_ENTRY (ui->host)) != '\0') {
		*host = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->host))));
		*port = (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->port));
		*starttls = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->starttls));
	}
	*ca_file = *ca != '\0' ? g_strstrip (g_strdup (ca)) : NULL;
}

void
rtls_account_ui_set_busy (RtlsAccountUi *ui, gboolean busy)
{
	gtk_widget_set_sensitive (ui->fetch, !busy);
}

void
rtls_account_ui_offer_pin (RtlsAccountUi *ui, const char *host, const char *pin, const char *text)
{
	GtkWidget *top = gtk_widget_get_toplevel (ui->pin);
	GtkWidget *d;

	if (pin == NULL) {
		d = gtk_message_dialog_new (GTK_IS_WINDOW (top) ? GTK_WINDOW (top) : NULL,
		                            GTK_DIALOG_MODAL, GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE,
		                            _ ("The key of %s could not be read"), host);
		gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", text);
		gtk_dialog_run (GTK_DIALOG (d));
		gtk_widget_destroy (d);
		return;
	}
	d = gtk_message_dialog_new (GTK_IS_WINDOW (top) ? GTK_WINDOW (top) : NULL, GTK_DIALOG_MODAL,
	                            GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
	                            _ ("Pin the key of %s?"), host);
	gtk_message_dialog_format_secondary_text (
	        GTK_MESSAGE_DIALOG (d),
	        _ ("Its certificate was verified for this name. Its public key has the SHA-256 "
	           "pin\n"
	           "%s\n%s\nCompare it with what your provider publishes. With the pin, "
	           "REQUIRETLS messages go only to a server with this key (and a valid "
	           "certificate); when the provider changes its key, sending fails until you "
	           "update the pin."),
	        pin, text);
	gtk_dialog_add_buttons (GTK_DIALOG (d), _ ("_Cancel"), GTK_RESPONSE_CANCEL,
	                        _ ("_Use this pin"), GTK_RESPONSE_ACCEPT, NULL);
	if (gtk_dialog_run (GTK_DIALOG (d)) == GTK_RESPONSE_ACCEPT)
		gtk_entry_set_text (GTK_ENTRY (ui->pin), pin);
	gtk_widget_destroy (d);
}

GtkWidget *
rtls_account_ui_new (const RtlsAccountSettings *a, RtlsFetchPinFn fetch_pin, gpointer data,
                     RtlsAccountUi **out)
{
	RtlsAccountUi *ui = g_new0 (RtlsAccountUi, 1);
	GtkWidget *grid = gtk_grid_new ();
	GtkWidget *note;

	gtk_container_set_border_width (GTK_CONTAINER (grid), 8);
	gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
	gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
	ui->allow = gtk_check_button_new_with_mnemonic (_ ("_Allow Require TLS (REQUIRETLS) for "
	                                                   "this account"));
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->allow), a->allow);
	ui->own_server = gtk_check_button_new_with_mnemonic (
	        _ ("Use _another submission server for REQUIRETLS messages:"));
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->own_server), a->host != NULL);
	ui->host = gtk_entry_new ();
	if (a->host != NULL)
		gtk_entry_set_text (GTK_ENTRY (ui->host), a->host);
	gtk_widget_set_hexpand (ui->host, TRUE);
	ui->port = gtk_spin_button_new_with_range (0, 65535, 1);
	gtk_spin_button_set_value (GTK_SPIN_BUTTON (ui->port), a->port);
	ui->starttls = gtk_check_button_new_with_mnemonic (_ ("_STARTTLS (else implicit TLS)"));
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->starttls), a->starttls);
	ui->ca = gtk_entry_new ();
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->ca), _ ("system trust store"));
	if (a->ca_file != NULL)
		gtk_entry_set_text (GTK_ENTRY (ui->ca), a->ca_file);
	ui->pin = gtk_entry_new ();
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->pin), _ ("none"));
	if (a->pin_sha256 != NULL)
		gtk_entry_set_text (GTK_ENTRY (ui->pin), a->pin_sha256);
	note = gtk_label_new (_ ("The certificate is always verified; a key pin is an extra "
	                         "check, never a way around a failed verification."));
	gtk_label_set_line_wrap (GTK_LABEL (note), TRUE);
	gtk_label_set_xalign (GTK_LABEL (note), 0);
	gtk_grid_attach (GTK_GRID (grid), ui->allow, 0, 0, 4, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->own_server, 0, 1, 4, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Host:")), 0, 2, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->host, 1, 2, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Port:")), 2, 2, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->port, 3, 2, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->starttls, 1, 3, 3, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Trusted CA file:")), 0, 4, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->ca, 1, 4, 3, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Extra key pin (SHA-256):")), 0, 5, 1,
	                 1);
	gtk_grid_attach (GTK_GRID (grid), ui->pin, 1, 5, 3, 1);
	ui->fetch_pin = fetch_pin;
	ui->data = data;
	ui->fetch = gtk_button_new_with_mnemonic (_ ("_Read the key from the server…"));
	g_signal_connect (ui->fetch, "clicked", G_CALLBACK (fetch_clicked), ui);
	gtk_grid_attach (GTK_GRID (grid), ui->fetch, 1, 6, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), note, 0, 7, 4, 1);
	gtk_widget_show_all (grid);
	*out = ui;
	return grid;
}

gboolean
rtls_account_ui_get (RtlsAccountUi *ui, RtlsAccountSettings *out, GError **error)
{
	g_autofree gchar *host = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->host))));
	g_autofree gchar *ca = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->ca))));
	g_autofree gchar *pin = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->pin))));
	gboolean own = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->own_server));

	if (own && (*host == '\0' || strpbrk (host, " \t/:@") != NULL)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             _ ("the submission server must be a host name"));
		return FALSE;
	}
	if (*pin != '\0' && !rtls_pin_valid (pin, error))
		return FALSE;
	if (*ca != '\0' && !g_file_test (ca, G_FILE_TEST_IS_REGULAR)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("%s is not a file"), ca);
		return FALSE;
	}
	rtls_account_settings_clear (out);
	out->allow = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->allow));
	if (own) {
		out->host = g_steal_pointer (&host);
		out->port = (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->port));
		out->starttls = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->starttls));
	}
	out->ca_file = *ca != '\0' ? g_steal_pointer (&ca) : NULL;
	out->pin_sha256 = *pin != '\0' ? g_steal_pointer (&pin) : NULL;
	return TRUE;
}

void
rtls_account_ui_free (RtlsAccountUi *ui)
{
	g_free (ui);
}
