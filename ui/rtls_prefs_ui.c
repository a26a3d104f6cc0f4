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
enum { ACC_ID, ACC_LABEL, ACC_N_COLS }; /* the account combo */

struct _RtlsPrefsUi {
	GtkWidget *default_combo;
	GtkListStore *store;
	GtkWidget *view;
	GtkWidget *pattern, *action_combo, *subdomains, *account_combo, *error_label;
	GtkListStore *accounts_store; /* ACC_*: "Any account", Claws' accounts, vanished ones */
	GPtrArray *accounts;          /* RtlsAccountName*, Claws' accounts */
	GtkWidget *test_entry, *test_label;
	GtkWidget *helper_entry, *timeout_spin, *retry_check, *retry_spin, *history_spin;
	GtkWidget *probe_check;    /* readiness: connect to the recipients' mail servers */
	gchar **check_options;     /* kept as read: no widget (for testing and special networks) */
	guint retry_first_seconds; /* kept as read: only requiretlsrc sets it */
};

static GtkWindow *
prefs_ui_parent (GtkWidget *w)
{
	GtkWidget *top = gtk_widget_get_toplevel (w);

	return GTK_IS_WINDOW (top) ? GTK_WINDOW (top) : NULL;
}

/* A message in its own window. */
static void
prefs_ui_message (GtkWidget *near, GtkMessageType type, const char *title, const char *primary,
                  const char *secondary)
{
	GtkWidget *d = gtk_message_dialog_new (prefs_ui_parent (near), GTK_DIALOG_MODAL, type,
	                                       GTK_BUTTONS_CLOSE, "%s", primary);

	gtk_window_set_title (GTK_WINDOW (d), title);
	if (secondary != NULL)
		gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", secondary);
	gtk_dialog_run (GTK_DIALOG (d));
	gtk_widget_destroy (d);
}

/* The account combo's row for @id, added (as "no longer exists") when Claws has no such
 * account, so that a rule keeps its account when it is replaced. */
static gboolean
account_row (RtlsPrefsUi *ui, gint id, GtkTreeIter *it)
{
	gboolean ok = gtk_tree_model_get_iter_first (GTK_TREE_MODEL (ui->accounts_store), it);

	while (ok) {
		gint have = -1;
		gtk_tree_model_get (GTK_TREE_MODEL (ui->accounts_store), it, ACC_ID, &have, -1);
		if (have == id)
			return TRUE;
		ok = gtk_tree_model_iter_next (GTK_TREE_MODEL (ui->accounts_store), it);
	}
	{
		g_autofree gchar *label = rtls_account_label (ui->accounts, id);
		gtk_list_store_insert_with_values (ui->accounts_store, it, -1, ACC_ID, id,
		                                   ACC_LABEL, label, -1);
	}
	return TRUE;
}

static gint
account_chosen (RtlsPrefsUi *ui)
{
	GtkTreeIter it;
	gint id = -1;

	if (gtk_combo_box_get_active_iter (GTK_COMBO_BOX (ui->account_combo), &it))
		gtk_tree_model_get (GTK_TREE_MODEL (ui->accounts_store), &it, ACC_ID, &id, -1);
	return id;
}

static const char *
action_text (RtlsChoice c)
{
	return c == RTLS_CHOICE_REQUIRE ? _ ("Require TLS") : _ ("Don't require TLS");
}

static void
store_set (RtlsPrefsUi *ui, GtkTreeIter *it, RtlsRule *r)
{
	g_autofree gchar *shown = rtls_rule_display_pattern (r);
	/* the account by name; the id stays in the rule (and in the file) */
	g_autofree gchar *acct = rtls_account_label (ui->accounts, r->account_id);

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
	RtlsRule *r
	        = rtls_rule_new (gtk_entry_get_text (GTK_ENTRY (ui->pattern)),
	                         gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->subdomains)),
	                         action, account_chosen (ui), TRUE, &error);

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
	{
		GtkTreeIter a;
		if (account_row (ui, r->account_id, &a))
			gtk_combo_box_set_active_iter (GTK_COMBO_BOX (ui->account_combo), &a);
	}
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
import_file (RtlsPrefsUi *ui, const char *path)
{
	g_autofree gchar *text = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) rules = NULL, existing = NULL, added = NULL;
	g_autofree gchar *summary = NULL, *lines = NULL;
	guint already = 0;

	/* all or nothing: a bad line changes nothing, and every bad line is named */
	if (!g_file_get_contents (path, &text, NULL, &error)) {
		prefs_ui_message (ui->view, GTK_MESSAGE_ERROR, _ ("Import REQUIRETLS rules"),
		                  _ ("The rules file could not be read"), error->message);
		return;
	}
	rules = rtls_rules_parse_text_all (text, problems);
	if (rules == NULL) {
		g_autofree gchar *secondary = NULL;
		g_ptr_array_add (problems, NULL);
		lines = g_strjoinv ("\n", (gchar **) problems->pdata);
		secondary = g_strdup_printf (_ ("Nothing was changed. Correct these lines and "
		                                "import the file again:\n%s"),
		                             lines);
		prefs_ui_message (ui->view, GTK_MESSAGE_ERROR, _ ("Import REQUIRETLS rules"),
		                  _ ("The rules file was not imported"), secondary);
		return;
	}
	existing = rules_from_store (ui);
	added = rtls_rules_import (existing, rules, &already);
	for (guint i = 0; i < added->len; i++) {
		GtkTreeIter it;
		gtk_list_store_append (ui->store, &it);
		store_set (ui, &it, g_steal_pointer (&added->pdata[i]));
	}
	g_ptr_array_set_free_func (added, NULL);
	summary = rtls_rules_import_summary (added->len, already);
	prefs_ui_message (ui->view, GTK_MESSAGE_INFO, _ ("Import REQUIRETLS rules"), summary,
	                  added->len > 0 ? _ ("The new rules are at the end of the list. They "
	                                      "are saved when you press OK or Apply.")
	                                 : NULL);
}

static void
file_dialog (RtlsPrefsUi *ui, gboolean export)
{
	GtkWidget *d = gtk_file_chooser_dialog_new (
	        export ? _ ("Export REQUIRETLS rules") : _ ("Import REQUIRETLS rules"),
	        prefs_ui_parent (ui->view),
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
			prefs_ui_message (ui->view, GTK_MESSAGE_ERROR,
			                  _ ("Export REQUIRETLS rules"),
			                  _ ("The rules could not be written"), error->message);
	} else {
		import_file (ui, path);
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
rtls_prefs_ui_new (const RtlsSettings *s, const GPtrArray *accounts, RtlsPrefsUi **out)
{
	RtlsPrefsUi *ui = g_new0 (RtlsPrefsUi, 1);
	GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
	GtkWidget *box, *grid, *scroll, *hb, *label;
	GtkCellRenderer *cell;

	gtk_container_set_border_width (GTK_CONTAINER (vbox), 8);
	ui->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_account_name_free);
	for (guint i = 0; accounts != NULL && i < accounts->len; i++) {
		const RtlsAccountName *a = g_ptr_array_index (accounts, i);
		g_ptr_array_add (ui->accounts, rtls_account_name_new (a->id, a->name, a->address));
	}
	ui->accounts_store = gtk_list_store_new (ACC_N_COLS, G_TYPE_INT, G_TYPE_STRING);
	{
		GtkTreeIter it;
		account_row (ui, -1, &it);
		for (guint i = 0; i < ui->accounts->len; i++)
			account_row (ui, ((RtlsAccountName *) ui->accounts->pdata[i])->id, &it);
	}

	/* new messages */
	box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	label = gtk_label_new (_ ("New messages start with:"));
	gtk_box_pack_start (GTK_BOX (box), label, FALSE, FALSE, 0);
	ui->default_combo = gtk_combo_box_text_new ();
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->default_combo), _ ("Default"));
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->default_combo), _ ("Require TLS"));
	gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (ui->default_combo),
	                                _ ("Don't require TLS"));
	gtk_combo_box_set_active (GTK_COMBO_BOX (ui->default_combo), (gint) s->default_choice);
	gtk_box_pack_start (GTK_BOX (box), ui->default_combo, FALSE, FALSE, 0);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Composer"), box), FALSE, FALSE, 0);

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
	ui->account_combo = gtk_combo_box_new_with_model (GTK_TREE_MODEL (ui->accounts_store));
	gtk_widget_set_name (ui->account_combo, "rtls-rule-account");
	cell = gtk_cell_renderer_text_new ();
	g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", 16, NULL);
	gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (ui->account_combo), cell, TRUE);
	gtk_cell_layout_add_attribute (GTK_CELL_LAYOUT (ui->account_combo), cell, "text",
	                               ACC_LABEL);
	gtk_combo_box_set_active (GTK_COMBO_BOX (ui->account_combo), 0);
	gtk_widget_set_tooltip_text (ui->account_combo,
	                             _ ("The rule applies only to messages sent from this "
	                                "account"));
	/* mnemonics: the Preferences window has _OK, _Cancel and _Apply */
	label = gtk_label_new_with_mnemonic (_ ("_Pattern:"));
	gtk_label_set_mnemonic_widget (GTK_LABEL (label), ui->pattern);
	gtk_label_set_xalign (GTK_LABEL (label), 1);
	gtk_grid_attach (GTK_GRID (grid), label, 0, 0, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->pattern, 1, 0, 2, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->subdomains, 3, 0, 1, 1);
	label = gtk_label_new (_ ("Action:"));
	gtk_label_set_xalign (GTK_LABEL (label), 1);
	gtk_grid_attach (GTK_GRID (grid), label, 0, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->action_combo, 1, 1, 1, 1);
	{
		GtkWidget *ab = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
		label = gtk_label_new_with_mnemonic (_ ("Accou_nt:"));
		gtk_label_set_mnemonic_widget (GTK_LABEL (label), ui->account_combo);
		gtk_box_pack_start (GTK_BOX (ab), label, FALSE, FALSE, 0);
		gtk_box_pack_start (GTK_BOX (ab), ui->account_combo, TRUE, TRUE, 0);
		gtk_grid_attach (GTK_GRID (grid), ab, 2, 1, 2, 1);
	}
	{
		GtkWidget *bb = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
		gtk_box_pack_start (GTK_BOX (bb), button (_ ("A_dd"), G_CALLBACK (add_clicked), ui),
		                    FALSE, FALSE, 0);
		gtk_box_pack_start (GTK_BOX (bb),
		                    button (_ ("R_eplace"), G_CALLBACK (replace_clicked), ui),
		                    FALSE, FALSE, 0);
		gtk_grid_attach (GTK_GRID (grid), bb, 1, 2, 3, 1);
	}
	ui->error_label = gtk_label_new ("");
	gtk_label_set_xalign (GTK_LABEL (ui->error_label), 0);
	gtk_label_set_line_wrap (GTK_LABEL (ui->error_label), TRUE);
	gtk_widget_set_name (ui->error_label, "rtls-rule-error");
	gtk_grid_attach (GTK_GRID (grid), ui->error_label, 1, 3, 3, 1);
	ui->test_entry = gtk_entry_new ();
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->test_entry),
	                                _ ("Which rule matches this address?"));
	g_signal_connect (ui->test_entry, "changed", G_CALLBACK (test_changed), ui);
	ui->test_label = gtk_label_new ("");
	gtk_label_set_xalign (GTK_LABEL (ui->test_label), 0);
	label = gtk_label_new (_ ("Test:"));
	gtk_label_set_xalign (GTK_LABEL (label), 1);
	gtk_grid_attach (GTK_GRID (grid), label, 0, 4, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->test_entry, 1, 4, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->test_label, 2, 4, 2, 1);
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
	ui->retry_first_seconds = s->retry_first_seconds;
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Helper:")), 0, 0, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->helper_entry, 1, 0, 3, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Timeout (seconds):")), 0, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->timeout_spin, 1, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->retry_check, 0, 2, 2, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->retry_spin, 2, 2, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("minutes")), 3, 2, 1, 1);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Sending"), grid), FALSE, FALSE, 0);

	/* readiness before a send (issue 22): the probe, off by default, says what it does */
	box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
	ui->probe_check = gtk_check_button_new_with_mnemonic (
	        _ ("Also ask the recipients' _mail servers whether they offer REQUIRETLS"));
	gtk_widget_set_name (ui->probe_check, "rtls-prefs-probe");
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->probe_check), s->probe);
	label = gtk_label_new (
	        _ ("A composer with Require TLS checks its recipients' domains in DNS and their "
	           "MTA-STS policies. Only the mail servers themselves can tell whether they "
	           "offer REQUIRETLS: with this on, the plugin connects to them on port 25 from "
	           "this computer (it never sends a message). Each server then learns this "
	           "computer's address and that someone here is about to write to its domain. "
	           "Many home networks block port 25."));
	gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
	gtk_label_set_max_width_chars (GTK_LABEL (label), 80);
	gtk_label_set_xalign (GTK_LABEL (label), 0);
	gtk_widget_set_name (label, "rtls-prefs-probe-note");
	gtk_box_pack_start (GTK_BOX (box), ui->probe_check, FALSE, FALSE, 0);
	gtk_box_pack_start (GTK_BOX (box), label, FALSE, FALSE, 0);
	ui->check_options = g_strdupv (s->check_options);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Before sending"), box), FALSE, FALSE, 0);

	/* how long the delivery window remembers; 0 keeps everything (the default) */
	grid = gtk_grid_new ();
	gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
	gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
	ui->history_spin = gtk_spin_button_new_with_range (0, 36500, 30);
	gtk_widget_set_name (ui->history_spin, "rtls-prefs-history-days");
	gtk_spin_button_set_value (GTK_SPIN_BUTTON (ui->history_spin), s->history_days);
	gtk_widget_set_tooltip_text (ui->history_spin,
	                             _ ("Messages older than this are removed from the delivery "
	                                "window's history at the next start. 0 keeps everything."));
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("Keep the delivery history for")), 0, 0,
	                 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->history_spin, 1, 0, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), gtk_label_new (_ ("days (0: always)")), 2, 0, 1, 1);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("History"), grid), FALSE, FALSE, 0);

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
	s->history_days
	        = (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->history_spin));
	s->retry_max_minutes
	        = (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->retry_spin));
	s->retry_first_seconds = ui->retry_first_seconds;
	s->probe = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->probe_check));
	s->check_options = g_strdupv (ui->check_options);
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
	g_strfreev (ui->check_options);
	g_object_unref (ui->accounts_store);
	g_ptr_array_unref (ui->accounts);
	g_free (ui);
}

struct _RtlsAccountUi {
	GtkWidget *page;
	GtkWidget *allow, *own_server, *host_label, *host, *port_label, *port, *starttls;
	GtkWidget *ca, *pin, *fetch;
	GtkWidget *spinner, *busy_label, *cancel; /* while the key is being read */
	RtlsAccountUiFn fetch_pin, cancel_fetch;
	gpointer data;
};

static void
account_ui_fetch_clicked (GtkButton *b, RtlsAccountUi *ui)
{
	ui->fetch_pin (ui->data);
}

static void
account_ui_cancel_clicked (GtkButton *b, RtlsAccountUi *ui)
{
	ui->cancel_fetch (ui->data);
}

/* Host, Port and STARTTLS mean something only with the other server: greyed out without. */
static void
account_ui_own_toggled (GtkToggleButton *t, RtlsAccountUi *ui)
{
	gboolean on = gtk_toggle_button_get_active (t);

	gtk_widget_set_sensitive (ui->host_label, on);
	gtk_widget_set_sensitive (ui->host, on);
	gtk_widget_set_sensitive (ui->port_label, on);
	gtk_widget_set_sensitive (ui->port, on);
	gtk_widget_set_sensitive (ui->starttls, on);
}

static void
account_ui_browse_clicked (GtkButton *b, RtlsAccountUi *ui)
{
	GtkWidget *d = gtk_file_chooser_dialog_new (
	        _ ("Trusted CA file"), prefs_ui_parent (ui->page), GTK_FILE_CHOOSER_ACTION_OPEN,
	        _ ("_Cancel"), GTK_RESPONSE_CANCEL, _ ("_Open"), GTK_RESPONSE_ACCEPT, NULL);
	GtkFileFilter *pem = gtk_file_filter_new (), *all = gtk_file_filter_new ();
	const char *now = gtk_entry_get_text (GTK_ENTRY (ui->ca));

	gtk_file_filter_set_name (pem, _ ("Certificates (PEM)"));
	gtk_file_filter_add_pattern (pem, "*.pem");
	gtk_file_filter_add_pattern (pem, "*.crt");
	gtk_file_filter_add_pattern (pem, "*.cer");
	gtk_file_filter_set_name (all, _ ("All files"));
	gtk_file_filter_add_pattern (all, "*");
	gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (d), pem);
	gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (d), all);
	if (*now != '\0')
		gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d), now);
	if (gtk_dialog_run (GTK_DIALOG (d)) == GTK_RESPONSE_ACCEPT) {
		g_autofree gchar *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d));
		if (path != NULL)
			gtk_entry_set_text (GTK_ENTRY (ui->ca), path);
	}
	gtk_widget_destroy (d);
}

void
rtls_account_ui_target (RtlsAccountUi *ui, gchar **host, guint *port, gboolean *starttls,
                        gchar **ca_file)
{
	const char *ca = gtk_entry_get_text (GTK_ENTRY (ui->ca));

	*host = NULL;
	*port = 0;
	*starttls = FALSE;
	gtk_spin_button_update (GTK_SPIN_BUTTON (ui->port)); /* what was typed, even unconfirmed */
	if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->own_server))
	    && *gtk_entry_get_text (GTK_ENTRY (ui->host)) != '\0') {
		*host = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->host))));
		*port = (guint) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (ui->port));
		*starttls = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->starttls));
	}
	*ca_file = *ca != '\0' ? g_strstrip (g_strdup (ca)) : NULL;
}

void
rtls_account_ui_set_busy (RtlsAccountUi *ui, const char *host, guint port)
{
	gboolean busy = host != NULL;

	gtk_widget_set_sensitive (ui->fetch, !busy);
	gtk_widget_set_visible (ui->spinner, busy);
	gtk_widget_set_visible (ui->cancel, busy);
	if (busy) {
		g_autofree gchar *text
		        = port != 0 ? g_strdup_printf (_ ("Reading the key of %s "
		                                          "(port %u)…"),
		                                       host, port)
		                    : g_strdup_printf (_ ("Reading the key of %s…"), host);
		gtk_spinner_start (GTK_SPINNER (ui->spinner));
		gtk_label_set_text (GTK_LABEL (ui->busy_label), text);
	} else {
		gtk_spinner_stop (GTK_SPINNER (ui->spinner));
		gtk_label_set_text (GTK_LABEL (ui->busy_label), "");
	}
}

void
rtls_account_ui_show_failure (RtlsAccountUi *ui, const char *headline, const char *text)
{
	prefs_ui_message (ui->page, GTK_MESSAGE_ERROR, _ ("Read the key from the server"), headline,
	                  text);
}

static void
account_ui_pin_anyway (GtkButton *b, GtkDialog *d)
{
	gtk_dialog_response (d, GTK_RESPONSE_ACCEPT);
}

void
rtls_account_ui_offer_pin (RtlsAccountUi *ui, const char *host, const char *pin,
                           gboolean offers_requiretls)
{
	GtkWidget *d;
	g_autofree gchar *primary = NULL, *secondary = NULL;
	const char *beside = NULL;

	if (offers_requiretls) {
		primary = g_strdup_printf (_ ("Pin the key of %s?"), host);
		secondary = g_strdup_printf (
		        _ ("%s offers REQUIRETLS, and its certificate was verified for this name. "
		           "Its public key has the SHA-256 pin\n%s\nCompare it with what your "
		           "provider publishes. With the pin, REQUIRETLS messages go only to a "
		           "server with this key (and a valid certificate); when the provider "
		           "changes its key, sending fails until you update the pin."),
		        host, pin);
	} else {
		/* the fact first: a pin does not make this server able to send such mail */
		primary = g_strdup_printf (_ ("%s does not offer REQUIRETLS"), host);
		secondary = g_strdup_printf (
		        _ ("Messages that require TLS cannot be sent through this server: they "
		           "are refused before anything is transmitted. Use another submission "
		           "server for REQUIRETLS messages (on this page), or ask your provider "
		           "to support REQUIRETLS.\n\nIts certificate was verified for this name; "
		           "its public key has the SHA-256 pin\n%s"),
		        pin);
		beside = _ ("This server does not offer REQUIRETLS.");
	}
	d = gtk_message_dialog_new (prefs_ui_parent (ui->page), GTK_DIALOG_MODAL,
	                            offers_requiretls ? GTK_MESSAGE_QUESTION : GTK_MESSAGE_WARNING,
	                            GTK_BUTTONS_NONE, "%s", primary);
	gtk_window_set_title (GTK_WINDOW (d), _ ("Read the key from the server"));
	gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (d), "%s", secondary);
	if (offers_requiretls) {
		gtk_dialog_add_buttons (GTK_DIALOG (d), _ ("_Cancel"), GTK_RESPONSE_CANCEL,
		                        _ ("_Use this pin"), GTK_RESPONSE_ACCEPT, NULL);
		gtk_dialog_set_default_response (GTK_DIALOG (d), GTK_RESPONSE_ACCEPT);
	} else {
		/* the pin is offered only with the fact said right next to its button */
		GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
		GtkWidget *label = gtk_label_new (beside);
		GtkWidget *anyway = gtk_button_new_with_mnemonic (_ ("_Pin it anyway"));
		gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
		gtk_label_set_max_width_chars (GTK_LABEL (label), 40);
		gtk_label_set_xalign (GTK_LABEL (label), 0);
		gtk_widget_set_name (label, "rtls-pin-anyway-note");
		g_signal_connect (anyway, "clicked", G_CALLBACK (account_ui_pin_anyway), d);
		gtk_box_pack_start (GTK_BOX (row), label, TRUE, TRUE, 0);
		gtk_box_pack_end (GTK_BOX (row), anyway, FALSE, FALSE, 0);
		gtk_box_pack_end (
		        GTK_BOX (gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (d))), row,
		        FALSE, FALSE, 6);
		gtk_widget_show_all (row);
		gtk_dialog_add_buttons (GTK_DIALOG (d), _ ("_Close"), GTK_RESPONSE_CANCEL, NULL);
		gtk_dialog_set_default_response (GTK_DIALOG (d), GTK_RESPONSE_CANCEL);
	}
	if (gtk_dialog_run (GTK_DIALOG (d)) == GTK_RESPONSE_ACCEPT)
		gtk_entry_set_text (GTK_ENTRY (ui->pin), pin);
	gtk_widget_destroy (d);
}

/* A label that wraps at a width that fits the account dialog (an unbounded wrapping label
 * asks for the whole text on one line). */
static GtkWidget *
account_ui_note (const char *text)
{
	GtkWidget *l = gtk_label_new (text);

	gtk_label_set_line_wrap (GTK_LABEL (l), TRUE);
	gtk_label_set_max_width_chars (GTK_LABEL (l), 50);
	gtk_label_set_width_chars (GTK_LABEL (l), 20);
	gtk_label_set_xalign (GTK_LABEL (l), 0);
	return l;
}

static GtkWidget *
account_ui_check (const char *mnemonic)
{
	GtkWidget *b = gtk_check_button_new_with_mnemonic (mnemonic);
	GtkWidget *l = gtk_bin_get_child (GTK_BIN (b));

	gtk_label_set_line_wrap (GTK_LABEL (l), TRUE);
	gtk_label_set_max_width_chars (GTK_LABEL (l), 50);
	gtk_label_set_width_chars (GTK_LABEL (l), 20);
	gtk_label_set_xalign (GTK_LABEL (l), 0);
	return b;
}

static GtkWidget *
account_ui_label (const char *mnemonic, GtkWidget *target)
{
	GtkWidget *l = gtk_label_new_with_mnemonic (mnemonic);

	gtk_label_set_mnemonic_widget (GTK_LABEL (l), target);
	gtk_label_set_xalign (GTK_LABEL (l), 0);
	return l;
}

static GtkWidget *
account_ui_grid (void)
{
	GtkWidget *g = gtk_grid_new ();

	gtk_grid_set_column_spacing (GTK_GRID (g), 6);
	gtk_grid_set_row_spacing (GTK_GRID (g), 6);
	return g;
}

void
rtls_account_ui_show_reason (RtlsAccountUi *ui, const char *text)
{
	GtkWidget *bar = gtk_info_bar_new ();
	GtkWidget *label = gtk_label_new (text);

	gtk_widget_set_name (bar, "rtls-account-reason");
	gtk_info_bar_set_message_type (GTK_INFO_BAR (bar), GTK_MESSAGE_INFO);
	gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
	gtk_label_set_max_width_chars (GTK_LABEL (label), 70);
	gtk_label_set_xalign (GTK_LABEL (label), 0);
	gtk_container_add (GTK_CONTAINER (gtk_info_bar_get_content_area (GTK_INFO_BAR (bar))),
	                   label);
	gtk_box_pack_start (GTK_BOX (ui->page), bar, FALSE, FALSE, 0);
	gtk_box_reorder_child (GTK_BOX (ui->page), bar, 0);
	gtk_widget_show_all (bar);
}

GtkWidget *
rtls_account_ui_new (const RtlsAccountSettings *a, RtlsAccountUiFn fetch_pin,
                     RtlsAccountUiFn cancel, gpointer data, RtlsAccountUi **out)
{
	RtlsAccountUi *ui = g_new0 (RtlsAccountUi, 1);
	GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
	GtkWidget *grid, *row, *browse;

	ui->page = vbox;
	gtk_widget_set_name (vbox, "rtls-account-page");
	gtk_container_set_border_width (GTK_CONTAINER (vbox), 8);
	ui->allow = account_ui_check (_ ("_Allow Require TLS (REQUIRETLS) for this account"));
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->allow), a->allow);
	gtk_box_pack_start (GTK_BOX (vbox), ui->allow, FALSE, FALSE, 0);

	/* the server */
	grid = account_ui_grid ();
	ui->own_server
	        = account_ui_check (_ ("Use anoth_er submission server for REQUIRETLS messages:"));
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->own_server), a->host != NULL);
	ui->host = gtk_entry_new ();
	gtk_widget_set_name (ui->host, "rtls-account-host");
	gtk_entry_set_width_chars (GTK_ENTRY (ui->host), 12);
	if (a->host != NULL)
		gtk_entry_set_text (GTK_ENTRY (ui->host), a->host);
	gtk_widget_set_hexpand (ui->host, TRUE);
	ui->port = gtk_spin_button_new_with_range (0, 65535, 1);
	gtk_widget_set_name (ui->port, "rtls-account-port");
	gtk_entry_set_width_chars (GTK_ENTRY (ui->port), 5);
	gtk_spin_button_set_value (GTK_SPIN_BUTTON (ui->port), a->port);
	ui->starttls = account_ui_check (_ ("_STARTTLS (else implicit TLS)"));
	gtk_widget_set_name (ui->starttls, "rtls-account-starttls");
	gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (ui->starttls), a->starttls);
	ui->host_label = account_ui_label (_ ("_Host:"), ui->host);
	ui->port_label = account_ui_label (_ ("_Port:"), ui->port);
	gtk_grid_attach (GTK_GRID (grid), ui->own_server, 0, 0, 4, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->host_label, 0, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->host, 1, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->port_label, 2, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->port, 3, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->starttls, 1, 2, 3, 1);
	g_signal_connect (ui->own_server, "toggled", G_CALLBACK (account_ui_own_toggled), ui);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Submission server"), grid), FALSE, FALSE, 0);

	/* verification */
	grid = account_ui_grid ();
	ui->ca = gtk_entry_new ();
	gtk_entry_set_width_chars (GTK_ENTRY (ui->ca), 12);
	gtk_widget_set_hexpand (ui->ca, TRUE);
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->ca), _ ("system trust store"));
	if (a->ca_file != NULL)
		gtk_entry_set_text (GTK_ENTRY (ui->ca), a->ca_file);
	browse = gtk_button_new_with_mnemonic (_ ("_Browse…"));
	g_signal_connect (browse, "clicked", G_CALLBACK (account_ui_browse_clicked), ui);
	ui->pin = gtk_entry_new ();
	gtk_entry_set_width_chars (GTK_ENTRY (ui->pin), 12);
	gtk_widget_set_hexpand (ui->pin, TRUE);
	gtk_entry_set_placeholder_text (GTK_ENTRY (ui->pin), _ ("none"));
	if (a->pin_sha256 != NULL)
		gtk_entry_set_text (GTK_ENTRY (ui->pin), a->pin_sha256);
	/* each label above its field: long labels (German, French) never widen the page */
	gtk_grid_attach (GTK_GRID (grid), account_ui_label (_ ("Trusted CA _file:"), ui->ca), 0, 0,
	                 2, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->ca, 0, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid), browse, 1, 1, 1, 1);
	gtk_grid_attach (GTK_GRID (grid),
	                 account_ui_label (_ ("Extra _key pin (SHA-256):"), ui->pin), 0, 2, 2, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->pin, 0, 3, 2, 1);

	ui->fetch_pin = fetch_pin;
	ui->cancel_fetch = cancel;
	ui->data = data;
	row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	ui->fetch = gtk_button_new_with_mnemonic (_ ("_Read the key from the server…"));
	g_signal_connect (ui->fetch, "clicked", G_CALLBACK (account_ui_fetch_clicked), ui);
	ui->spinner = gtk_spinner_new ();
	ui->busy_label = gtk_label_new ("");
	gtk_widget_set_name (ui->busy_label, "rtls-account-busy");
	gtk_label_set_xalign (GTK_LABEL (ui->busy_label), 0);
	ui->cancel = gtk_button_new_with_mnemonic (_ ("Ca_ncel"));
	gtk_widget_set_tooltip_text (ui->cancel, _ ("Stop reading the key"));
	g_signal_connect (ui->cancel, "clicked", G_CALLBACK (account_ui_cancel_clicked), ui);
	gtk_label_set_line_wrap (GTK_LABEL (ui->busy_label), TRUE);
	gtk_label_set_max_width_chars (GTK_LABEL (ui->busy_label), 50);
	gtk_box_pack_start (GTK_BOX (row), ui->fetch, FALSE, FALSE, 0);
	gtk_box_pack_start (GTK_BOX (row), ui->spinner, FALSE, FALSE, 0);
	gtk_box_pack_start (GTK_BOX (row), ui->cancel, FALSE, FALSE, 0);
	gtk_grid_attach (GTK_GRID (grid), row, 0, 4, 2, 1);
	gtk_grid_attach (GTK_GRID (grid), ui->busy_label, 0, 5, 2, 1);
	gtk_grid_attach (GTK_GRID (grid),
	                 account_ui_note (_ ("The certificate is always verified; a key pin is "
	                                     "an extra check, never a way around a failed "
	                                     "verification.")),
	                 0, 6, 2, 1);
	gtk_box_pack_start (GTK_BOX (vbox), frame (_ ("Verification"), grid), FALSE, FALSE, 0);

	gtk_widget_show_all (vbox);
	/* Claws shows the page with show_all: keep the idle look until a key is read */
	gtk_widget_set_no_show_all (ui->spinner, TRUE);
	gtk_widget_set_no_show_all (ui->cancel, TRUE);
	gtk_widget_hide (ui->spinner);
	gtk_widget_hide (ui->cancel);
	account_ui_own_toggled (GTK_TOGGLE_BUTTON (ui->own_server), ui);
	*out = ui;
	return vbox;
}

gboolean
rtls_account_ui_get (RtlsAccountUi *ui, RtlsAccountSettings *out, GError **error)
{
	g_autofree gchar *host = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->host))));
	g_autofree gchar *ca = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->ca))));
	g_autofree gchar *pin = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (ui->pin))));
	gboolean own = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (ui->own_server));

	gtk_spin_button_update (GTK_SPIN_BUTTON (ui->port));

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
