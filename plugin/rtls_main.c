/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_main.c: the plugin's entry points.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include "config.h"

#include "rtls_plugin.h"

#include "rtls_delivery_ui.h"
#include "rtls_entry.h"
#include "rtls_checks.h"
#include "rtls_history.h"

#include <dlfcn.h>

#include <glib/gi18n-lib.h>

#include "hooks.h"
#include "log.h"
#include "main.h"
#include "mainwindow.h"
#include "plugin.h"
#include "prefs_common.h"
#include "version.h"

static RtlsMainUi *main_ui;
static gulong hook_offline;

static void
rtls_menu_send_queue_cb (gpointer data)
{
	rtls_send_queued (RTLS_RUN_ASKED);
}

static void
rtls_menu_delivery_cb (gpointer data)
{
	rtls_bounce_show_window ();
}

static gboolean
offline_switch_hook (gpointer source, gpointer data)
{
	if (!prefs_common.work_offline)
		rtls_send_queued (RTLS_RUN_ONLINE);
	return FALSE;
}

/* The wiring: the lower layers announce, the upper ones listen (no call goes up). */
/* What the history has to tell the person (damaged and moved aside, or not to be opened),
 * once Claws has started: a note that takes no focus. Then the retention they chose. */
static guint history_timer;
static GPtrArray *history_notices;

static void
history_notice_show (const char *text)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();

	rtls_ui_notify_titled (mainwin != NULL ? GTK_WINDOW (mainwin->window) : NULL,
	                       _ ("REQUIRETLS: the history of your sends"), text, NULL, NULL);
}

static void
on_history_notice (const char *text)
{
	if (history_timer != 0 || claws_is_starting ()) {
		if (history_notices == NULL)
			history_notices = g_ptr_array_new_with_free_func (g_free);
		g_ptr_array_add (history_notices, g_strdup (text));
		return;
	}
	history_notice_show (text);
}

static gboolean
on_history_busy (void)
{
	return rtls_send_busy ();
}

static gboolean
history_after_start (gpointer data)
{
	const RtlsSettings *set;

	if (claws_is_starting () || mainwindow_get_mainwindow () == NULL)
		return G_SOURCE_CONTINUE;
	history_timer = 0;
	for (guint i = 0; history_notices != NULL && i < history_notices->len; i++)
		history_notice_show (g_ptr_array_index (history_notices, i));
	g_clear_pointer (&history_notices, g_ptr_array_unref);
	set = rtls_config_settings ();
	if (set != NULL)
		rtls_history_expire (set->history_days);
	return G_SOURCE_REMOVE;
}

static void
on_journal_changed (gpointer data)
{
	rtls_bounce_journal_changed ();
}

static void
on_send_over (RtlsComposer *c, gpointer data)
{
	rtls_composer_send_over (c);
}

static void
on_set_choice (RtlsComposer *c, RtlsChoice choice, gpointer data)
{
	rtls_composer_set_choice (c, choice, TRUE);
}

static void
on_show_delivery (gpointer data)
{
	rtls_bounce_show_window ();
}

static void
on_resend_opened (Compose *compose)
{
	RtlsComposer *c = rtls_composer_find (compose);

	if (c != NULL)
		rtls_composer_set_choice (c, RTLS_CHOICE_REQUIRE, TRUE);
}

/* Translations beside the module (a "locale" directory next to requiretls.so, as a user
 * install under ~/.claws-mail/plugins has it), else the installed ones. */
static void
bind_translations (void)
{
	Dl_info info;

	/* by a function of this module alone: "plugin_init" may resolve to another plugin's
	 * (every Claws plugin exports one, and an earlier one loaded with global binding wins) */
	if (dladdr ((void *) bind_translations, &info) != 0 && info.dli_fname != NULL) {
		g_autofree gchar *dir = g_path_get_dirname (info.dli_fname);
		g_autofree gchar *loc = g_build_filename (dir, "locale", NULL);
		if (g_file_test (loc, G_FILE_TEST_IS_DIR)) {
			bindtextdomain (GETTEXT_PACKAGE, loc);
			return;
		}
	}
	bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
}

gint
plugin_init (gchar **error)
{
	MainWindow *mainwin;

	bind_translations ();
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	if (!check_plugin_version (RTLS_CLAWS_BUILT_FOR, RTLS_CLAWS_BUILT_FOR, RTLS_PLUGIN_NAME,
	                           error))
		return -1;
	rtls_config_load ();
	/* the store before anything that reads or writes it */
	{
		const RtlsHistoryListener hl = {
			.notice = on_history_notice,
			.busy = on_history_busy,
			.changed = rtls_bounce_journal_changed,
		};
		history_timer = 1; /* notices wait for the timer below */
		rtls_history_open (&hl);
	}
	{
		const RtlsSendListener l = {
			.journal_changed = on_journal_changed,
			.send_over = on_send_over,
			.set_choice = on_set_choice,
			.show_delivery = on_show_delivery,
		};
		rtls_send_listen (&l);
	}
	rtls_bounce_set_resend_hook (on_resend_opened);
	rtls_checks_init (rtls_compose_checks_changed);
	rtls_send_init ();
	rtls_compose_init ();
	rtls_prefs_init ();
	rtls_bounce_init ();
	hook_offline = hooks_register_hook (OFFLINE_SWITCH_HOOKLIST, offline_switch_hook, NULL);
	history_timer = g_timeout_add_seconds (1, history_after_start, NULL);
	mainwin = mainwindow_get_mainwindow ();
	if (mainwin != NULL && mainwin->ui_manager != NULL)
		main_ui = rtls_main_ui_attach (mainwin->ui_manager, rtls_menu_send_queue_cb,
		                               rtls_menu_delivery_cb, NULL);
	log_message (LOG_PROTOCOL, _ ("REQUIRETLS plugin loaded\n"));
	return 0;
}

/* "“a”, “b”" */
static gchar *
quoted_list (GPtrArray *subjects)
{
	GString *s = g_string_new (NULL);

	for (guint i = 0; i < subjects->len; i++)
		/* TRANSLATORS: a message's subject in a list of subjects */
		g_string_append_printf (s, i == 0 ? _ ("“%s”") : _ (", “%s”"),
		                        (const char *) g_ptr_array_index (subjects, i));
	return g_string_free (s, FALSE);
}

/* The person unloaded the plugin (not Claws quitting): a note that stays until dismissed
 * says what the unload did with their messages. */
static void
unload_notice (GPtrArray *drafted, GPtrArray *still_open, guint locked)
{
	MainWindow *mainwin = mainwindow_get_mainwindow ();
	GString *text = g_string_new (NULL);

	if (drafted->len > 0) {
		g_autofree gchar *list = quoted_list (drafted);
		g_string_append_printf (
		        text,
		        ngettext ("Saved to Drafts and closed, because without the plugin Claws "
		                  "Mail would send it without REQUIRETLS: %s.",
		                  "Saved to Drafts and closed, because without the plugin Claws "
		                  "Mail would send them without REQUIRETLS: %s.",
		                  drafted->len),
		        list);
	}
	if (still_open->len > 0) {
		g_autofree gchar *list = quoted_list (still_open);
		if (text->len > 0)
			g_string_append (text, "\n\n");
		g_string_append_printf (
		        text,
		        ngettext ("Could not be saved to Drafts; it stays open and cannot be sent "
		                  "until the plugin is loaded again: %s.",
		                  "Could not be saved to Drafts; they stay open and cannot be sent "
		                  "until the plugin is loaded again: %s.",
		                  still_open->len),
		        list);
	}
	if (locked > 0) {
		if (text->len > 0)
			g_string_append (text, "\n\n");
		g_string_append_printf (
		        text,
		        ngettext (
		                "%u message marked Require TLS stays locked in the Queue until the "
		                "plugin is loaded again; Claws Mail does not send it.",
		                "%u messages marked Require TLS stay locked in the Queue until "
		                "the plugin is loaded again; Claws Mail does not send them.",
		                locked),
		        locked);
	}
	if (text->len > 0 && mainwin != NULL)
		rtls_ui_lasting_notice (GTK_WINDOW (mainwin->window),
		                        _ ("REQUIRETLS plugin unloaded"),
		                        _ ("The REQUIRETLS plugin was unloaded."), text->str);
	g_string_free (text, TRUE);
}

gboolean
plugin_done (void)
{
	gboolean can_unload;
	g_autoptr (GPtrArray) drafted = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) still_open = g_ptr_array_new_with_free_func (g_free);
	guint locked = 0;

	hooks_unregister_hook (OFFLINE_SWITCH_HOOKLIST, hook_offline);
	if (history_timer != 0)
		g_source_remove (history_timer);
	history_timer = 0;
	g_clear_pointer (&history_notices, g_ptr_array_unref);
	can_unload = rtls_bounce_done ();
	if (main_ui != NULL && mainwindow_get_mainwindow () != NULL)
		rtls_main_ui_detach (main_ui);
	main_ui = NULL;
	rtls_prefs_done ();
	can_unload = rtls_compose_done (drafted, still_open) && can_unload;
	/* every readiness check is stopped; its callback comes back here */
	can_unload = rtls_checks_done () && can_unload;
	if (!claws_is_exiting ()) {
		locked = rtls_entry_count_locked ();
		unload_notice (drafted, still_open, locked);
	}
	can_unload = rtls_send_done () && can_unload;
	if (can_unload)
		rtls_history_close ();
	/* A thread of the history's (the import, the check) finishes on its own connection;
	 * its callback, in this module, drops what it brought when the history was closed. */
	can_unload = !rtls_history_busy () && can_unload;
	rtls_config_unload ();
	return can_unload;
}

const gchar *
plugin_name (void)
{
	return RTLS_PLUGIN_NAME;
}

const gchar *
plugin_desc (void)
{
	return _ (
	        "Require TLS on every hop for the messages that need it (RFC 8689 REQUIRETLS).\n\n"
	        "The composer gets a choice in its Options menu and toolbar: Default, Require TLS, "
	        "or Don't require TLS.\n\n"
	        "Require TLS: the message is sent by requiretls-submit with REQUIRETLS, which asks "
	        "every server on the way to use verified TLS, or to return the message instead of "
	        "delivering it. If your server does not support REQUIRETLS, the message is not "
	        "sent and stays with you. This is transport security, not end-to-end "
	        "encryption.\n\n"
	        "Don't require TLS: the message carries \"TLS-Required: No\" and Claws sends it as "
	        "usual.\n\n"
	        "Messages sent later with Require TLS wait locked in the queue; send them with "
	        "Tools → Send queued REQUIRETLS messages (also done when going online).");
}

const gchar *
plugin_type (void)
{
	return "GTK3";
}

const gchar *
plugin_licence (void)
{
	return "GPL3+";
}

const gchar *
plugin_version (void)
{
	return RTLS_VERSION;
}

struct PluginFeature *
plugin_provides (void)
{
	static struct PluginFeature features[]
	        = { { PLUGIN_UTILITY, N_ ("REQUIRETLS") }, { PLUGIN_NOTHING, NULL } };
	return features;
}
