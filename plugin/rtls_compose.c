/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_compose.c: the choice in each composer, kept as header rows, and the before-send hook
 * that takes REQUIRETLS messages away from Claws' own sender (DESIGN §4).
 */
#include "config.h"

#include "rtls_plugin.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hooks.h"
#include "log.h"
#include "prefs_common.h"
#include "utils.h"

#include "rtls_queuefile.h"
#include "rtls_rules.h"

static GHashTable *composers; /* Compose* -> RtlsComposer* */
static gulong hook_created, hook_before_send;

gboolean
rtls_compose_alive (Compose *compose)
{
	for (const GList *l = compose_get_compose_list (); l != NULL; l = l->next)
		if (l->data == compose)
			return TRUE;
	return FALSE;
}

RtlsComposer *
rtls_composer_find (Compose *compose)
{
	return composers != NULL ? g_hash_table_lookup (composers, compose) : NULL;
}

/* The header row named @name (case-insensitive), or NULL. */
static ComposeHeaderEntry *
find_row (Compose *compose, const char *name)
{
	for (GSList *l = compose->header_list; l != NULL; l = l->next) {
		ComposeHeaderEntry *e = l->data;
		g_autofree gchar *n = rtls_ui_row_name (e->combo);
		if (g_ascii_strcasecmp (n, name) == 0)
			return e;
	}
	return NULL;
}

static gchar *
row_value (Compose *compose, const char *name)
{
	ComposeHeaderEntry *e = find_row (compose, name);

	return e != NULL ? rtls_ui_row_value (e->entry) : NULL;
}

/* Sets the row @name to @value, adding a hidden row when there is none. An empty value
 * leaves a hidden empty row, which Claws does not write. */
static void
set_row (Compose *compose, const char *name, const char *value)
{
	ComposeHeaderEntry *e = find_row (compose, name);

	if (e == NULL) {
		if (*value == '\0')
			return;
		e = compose->header_last;
		if (e == NULL)
			return;
		/* Typing into the last row makes Claws add a fresh empty row after it. */
		rtls_ui_row_set (e->combo, e->entry, name, value);
	} else {
		rtls_ui_row_set (e->combo, e->entry, name, value);
	}
	rtls_ui_row_set_visible (e->combo, e->entry, e->button, FALSE);
}

static void
rows_for_choice (Compose *compose, RtlsChoice choice, gboolean manual)
{
	const char *marker = "";

	if (choice == RTLS_CHOICE_REQUIRE)
		marker = manual ? "require" : "auto-require";
	else if (choice == RTLS_CHOICE_DEFAULT && manual)
		marker = "default";
	set_row (compose, RTLS_MARKER_HEADER, marker);
	set_row (compose, RTLS_TLS_REQUIRED_HEADER, choice == RTLS_CHOICE_NO_REQUIRE ? "No" : "");
}

static const char *
choice_label (RtlsChoice c)
{
	switch (c) {
	case RTLS_CHOICE_REQUIRE:
		return _ ("Require TLS");
	case RTLS_CHOICE_NO_REQUIRE:
		return _ ("Don't require TLS");
	default:
		return _ ("Default");
	}
}

static gboolean
row_is_recipient (const char *name)
{
	static const char *const std[] = { "To:", "Cc:", "Bcc:" };
	g_autofree gchar *with_colon = g_strconcat (name, ":", NULL);

	for (guint i = 0; i < G_N_ELEMENTS (std); i++)
		if (g_ascii_strcasecmp (with_colon, std[i]) == 0
		    || strcmp (with_colon, prefs_common_translated_header_name (std[i])) == 0)
			return TRUE;
	return FALSE;
}

static void
composer_free (RtlsComposer *c)
{
	g_free (c->domain_warning);
	g_free (c);
}

/* The status line: the choice, why, and with Require TLS the memory of the last bounce for
 * a recipient's domain (at most one, the newest: useful, not noisy). */
static void
show_choice (RtlsComposer *c, const char *reason)
{
	g_autofree gchar *text = NULL;

	if (c->ui == NULL)
		return;
	if (c->choice == RTLS_CHOICE_REQUIRE && c->domain_warning != NULL)
		text = reason != NULL ? g_strdup_printf ("%s\n%s", reason, c->domain_warning)
		                      : g_strdup (c->domain_warning);
	rtls_compose_ui_set_choice (c->ui, c->choice, text != NULL ? text : reason);
}

static void
update_domain_warning (RtlsComposer *c, GPtrArray *rcpts)
{
	g_clear_pointer (&c->domain_warning, g_free);
	for (guint i = 0; i < rcpts->len && c->domain_warning == NULL; i++) {
		const char *at = strrchr (g_ptr_array_index (rcpts, i), '@');
		if (at != NULL)
			c->domain_warning = rtls_bounce_domain_warning (at + 1);
	}
	if (c->domain_warning != NULL)
		g_debug ("REQUIRETLS: domain warning: %s", c->domain_warning);
}

/* Applies the rules to the recipients in the composer (To, Cc, Bcc rows, parsed with
 * libetpan). A choice made by hand stays; the status line then says what the rules ask. */
static void
evaluate_rules (RtlsComposer *c, gboolean force)
{
	Compose *compose = c->compose;
	g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GString) all = g_string_new (NULL);
	g_autofree gchar *reason = NULL, *shown = NULL;
	RtlsVerdict v = { 0 };
	RtlsChoice target;
	guint hash;

	for (GSList *l = compose->header_list; l != NULL; l = l->next) {
		ComposeHeaderEntry *e = l->data;
		g_autofree gchar *name = rtls_ui_row_name (e->combo);
		gchar *value;
		if (!row_is_recipient (name))
			continue;
		value = rtls_ui_row_value (e->entry);
		g_string_append_printf (all, "%s\n%s\n", name, value);
		g_ptr_array_add (fields, value);
	}
	g_string_append_printf (all, "%d", compose->account ? compose->account->account_id : -1);
	hash = g_str_hash (all->str);
	if (!force && hash == c->recipients_hash)
		return;
	c->recipients_hash = hash;
	g_ptr_array_add (fields, NULL);
	rtls_rules_recipients_from_fields ((const char *const *) fields->pdata, rcpts);
	update_domain_warning (c, rcpts);
	rtls_rules_decide (rtls_config_rules (), rcpts,
	                   compose->account ? compose->account->account_id : -1, &v);
	if (v.rule != NULL) {
		shown = rtls_rule_display_pattern (v.rule);
		reason = g_strdup_printf (_ ("%s — rule: %s (%s)"), choice_label (v.choice), shown,
		                          v.address);
	}
	target = v.rule != NULL ? v.choice : rtls_config_default_choice ();
	if (!c->manual) {
		if (target != c->choice) {
			c->choice = target;
			rows_for_choice (compose, target, FALSE);
			g_debug ("REQUIRETLS: choice %s (rules)", rtls_choice_to_string (target));
		}
		show_choice (c, reason);
	} else if (c->ui != NULL) {
		g_autofree gchar *note = NULL;
		if (v.rule != NULL && v.choice != c->choice)
			note = g_strdup_printf (
			        _ ("Your choice by hand is kept, although a rule asks for "
			           "%s (rule: %s, %s)."),
			        choice_label (v.choice), shown, v.address);
		show_choice (c, note);
	}
	rtls_verdict_clear (&v);
}

static gboolean
rules_tick (gpointer data)
{
	RtlsComposer *c = data;

	if (c->gone) {
		c->rules_timer = 0;
		return G_SOURCE_REMOVE;
	}
	if (c->send == NULL)
		evaluate_rules (c, FALSE);
	return G_SOURCE_CONTINUE;
}

void
rtls_composer_set_choice (RtlsComposer *c, RtlsChoice choice, gboolean manual)
{
	c->choice = choice;
	c->manual = manual;
	rows_for_choice (c->compose, choice, manual);
	show_choice (c, NULL);
}

static void
ui_choice_cb (gpointer data, RtlsChoice choice)
{
	RtlsComposer *c = data;

	c->choice = choice;
	c->manual = TRUE;
	rows_for_choice (c->compose, choice, TRUE);
	c->compose->modified = TRUE;
	show_choice (c, NULL);
	/* not debug_print(): its expansion does not match the one Debian built Claws with */
	g_debug ("REQUIRETLS: choice %s", rtls_choice_to_string (choice));
}

static void send_cancel_cb (gpointer data);

/* The composer's window is being destroyed. Claws tells plugins nothing else, and the next
 * composer may well be allocated at the same address: its record must never be this one. */
static void
composer_gone (gpointer data)
{
	RtlsComposer *c = data;

	c->gone = TRUE;
	c->destroy_id = 0;
	if (c->rules_timer != 0)
		g_source_remove (c->rules_timer);
	c->rules_timer = 0;
	rtls_compose_ui_forget (c->ui);
	c->ui = NULL;
	if (composers != NULL && g_hash_table_lookup (composers, c->compose) == c)
		g_hash_table_remove (composers, c->compose);
	c->compose = NULL;
	if (c->send == NULL)
		composer_free (c);
}

void
rtls_composer_send_over (RtlsComposer *c)
{
	c->send = NULL;
	if (c->gone)
		composer_free (c);
}

static void
attach (Compose *compose)
{
	RtlsComposer *c;
	g_autofree gchar *marker = NULL, *tls_required = NULL;
	gboolean manual = FALSE;
	RtlsChoice choice;

	if (rtls_composer_find (compose) != NULL)
		return;
	c = g_new0 (RtlsComposer, 1);
	c->compose = compose;
	g_hash_table_insert (composers, compose, c);
	if (compose->window != NULL)
		c->destroy_id = rtls_ui_on_destroy (compose->window, composer_gone, c);

	/* A draft re-opened: Claws restored our rows from X-Claws-Manual-Headers. A queued
	 * message re-edited: Claws restores no manual rows, so read the choice from the entry
	 * being re-edited (compose->targetinfo). */
	marker = row_value (compose, RTLS_MARKER_HEADER);
	tls_required = row_value (compose, RTLS_TLS_REQUIRED_HEADER);
	choice = rtls_choice_from_headers (marker && *marker ? marker : NULL,
	                                   tls_required && *tls_required ? tls_required : NULL,
	                                   &manual);
	if (!manual && compose->mode == COMPOSE_REEDIT && compose->targetinfo != NULL) {
		g_autofree gchar *path = procmsg_get_message_file_path (compose->targetinfo);
		if (path == NULL || !rtls_message_file_choice (path, &choice, &manual))
			manual = FALSE;
	}
	if (!manual)
		choice = rtls_config_default_choice ();

	if (compose->toolbar != NULL && compose->toolbar->toolbar != NULL
	    && compose->ui_manager != NULL)
		c->ui = rtls_compose_ui_attach (compose->ui_manager,
		                                GTK_TOOLBAR (compose->toolbar->toolbar),
		                                GTK_BOX (compose->vbox), compose->handlebox,
		                                ui_choice_cb, send_cancel_cb, c);
	rtls_composer_set_choice (c, choice, manual);
	g_debug ("REQUIRETLS: new composer, choice %s%s", rtls_choice_to_string (choice),
	         manual ? " (kept)" : "");
	/* Recipients change as the person types: look again when typing pauses (a cheap hash
	 * of the rows decides whether anything changed), never on each key press. */
	evaluate_rules (c, TRUE);
	c->rules_timer = g_timeout_add (600, rules_tick, c);
	/* Re-creating our rows is not a change by the person. */
	compose->modified = compose->mode == COMPOSE_REEDIT ? FALSE : compose->modified;
}

static void
detach (RtlsComposer *c)
{
	rtls_ui_disconnect (c->compose->window, c->destroy_id);
	c->destroy_id = 0;
	if (c->rules_timer != 0)
		g_source_remove (c->rules_timer);
	c->rules_timer = 0;
	rtls_compose_ui_detach (c->ui);
	c->ui = NULL;
}

static gboolean
created_hook (gpointer source, gpointer data)
{
	attach ((Compose *) source);
	return FALSE;
}

static gboolean
restore_manual_default (gpointer data)
{
	Compose *compose = data;
	RtlsComposer *c;

	if (rtls_compose_alive (compose) && (c = rtls_composer_find (compose)) != NULL)
		rows_for_choice (compose, c->choice, c->manual);
	return G_SOURCE_REMOVE;
}

/* COMPOSE_CHECK_BEFORE_SEND_HOOKLIST: runs for Send (compose->sending), Send later and the
 * batch composers of filter actions, before Claws writes anything. TRUE cancels. */
static gboolean
before_send_hook (gpointer source, gpointer data)
{
	Compose *compose = source;
	RtlsComposer *c;

	c = rtls_composer_find (compose);
	if (c == NULL) {
		attach (compose);
		c = rtls_composer_find (compose);
	}
	if (c->send != NULL)
		return TRUE; /* ours is already under way */
	/* a recipient typed just before Send counts: evaluate now, not at the next tick */
	evaluate_rules (c, TRUE);
	if (c->choice != RTLS_CHOICE_REQUIRE) {
		/* The manual-Default marker is for drafts only: never in what is sent. */
		if (c->choice == RTLS_CHOICE_DEFAULT && c->manual) {
			set_row (compose, RTLS_MARKER_HEADER, "");
			g_idle_add (restore_manual_default, compose);
		}
		return FALSE;
	}
	if (compose->newsgroup_list != NULL && compose->to_list == NULL) {
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: news postings cannot require TLS\n"));
		return TRUE;
	}
	rows_for_choice (compose, RTLS_CHOICE_REQUIRE, c->manual);
	if (!compose->sending) {
		/* Send later: Claws queues it with the marker; the queue guard locks the entry
		 * as soon as it lands (rtls_queue_guard_item), and only the plugin sends it. */
		return FALSE;
	}
	/* Send: Claws' own sender must never get the message. Claws writes and we lock the
	 * queue entry now; then cancel, and the helper starts once compose_send() unwound. */
	rtls_send_from_composer (c);
	return TRUE;
}

static void
send_cancel_cb (gpointer data)
{
	extern void rtls_send_cancel (RtlsComposer * c);
	rtls_send_cancel (data);
}

void
rtls_compose_init (void)
{
	composers = g_hash_table_new (g_direct_hash, g_direct_equal);
	hook_created = hooks_register_hook (COMPOSE_CREATED_HOOKLIST, created_hook, NULL);
	hook_before_send
	        = hooks_register_hook (COMPOSE_CHECK_BEFORE_SEND_HOOKLIST, before_send_hook, NULL);
	for (const GList *l = compose_get_compose_list (); l != NULL; l = l->next)
		attach (l->data);
}

void
rtls_compose_done (void)
{
	GHashTableIter it;
	gpointer key, value;

	hooks_unregister_hook (COMPOSE_CREATED_HOOKLIST, hook_created);
	hooks_unregister_hook (COMPOSE_CHECK_BEFORE_SEND_HOOKLIST, hook_before_send);
	if (composers == NULL)
		return;
	g_hash_table_iter_init (&it, composers);
	while (g_hash_table_iter_next (&it, &key, &value)) {
		RtlsComposer *c = value;
		if (rtls_compose_alive (key) && c->send == NULL
		    && c->choice == RTLS_CHOICE_REQUIRE) {
			/* Without the plugin nothing would stop Claws from sending this composer's
			 * message without REQUIRETLS: keep it safe in Drafts instead. */
			log_warning (
			        LOG_PROTOCOL,
			        _ ("REQUIRETLS: the plugin is being unloaded; an open message with "
			           "Require TLS was saved to Drafts and its composer closed\n"));
			detach (c);
			compose_draft (key, COMPOSE_QUIT_EDITING);
		} else if (rtls_compose_alive (key)) {
			detach (c);
		}
		/* A composer with a send in flight keeps its record until the send is over:
		 * rtls_send_done() kept the module loaded for it. */
		if (c->send == NULL)
			composer_free (c);
		else
			c->gone = TRUE;
	}
	g_clear_pointer (&composers, g_hash_table_unref);
}
