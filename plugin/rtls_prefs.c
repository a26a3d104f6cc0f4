/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_prefs.c: Preferences → Plugins → REQUIRETLS and the account page, registered with
 * Claws; the widgets are in ui/rtls_prefs_ui.c, the data in rtls_settings.c.
 */
#include "config.h"

#include "rtls_plugin.h"

#include <glib/gi18n-lib.h>

#include "alertpanel.h"
#include "log.h"
#include "prefs_account.h"
#include "prefs_gtk.h"
#include "prefswindow.h"

#include "rtls_prefs_ui.h"

typedef struct {
	PrefsPage page;
	RtlsPrefsUi *ui;
} GlobalPage;

typedef struct {
	PrefsPage page;
	RtlsAccountUi *ui;
	gint account_id;
} AccountPage;

static GlobalPage global_page;
static AccountPage account_page;
static gchar *global_path[3];
static gchar *account_path[2];

static void
global_create (PrefsPage *page, GtkWindow *window, gpointer data)
{
	GlobalPage *p = (GlobalPage *) page;

	page->widget = rtls_prefs_ui_new (rtls_config_settings (), &p->ui);
}

static void
global_destroy (PrefsPage *page)
{
	GlobalPage *p = (GlobalPage *) page;

	rtls_prefs_ui_free (p->ui);
	p->ui = NULL;
}

static void
global_save (PrefsPage *page)
{
	GlobalPage *p = (GlobalPage *) page;
	g_autoptr (GError) error = NULL;

	if (p->ui == NULL)
		return;
	if (!rtls_config_save (rtls_prefs_ui_get (p->ui), &error))
		alertpanel_error (_ ("REQUIRETLS: the settings could not be saved: %s"),
		                  error->message);
}

static void
account_create (PrefsPage *page, GtkWindow *window, gpointer data)
{
	AccountPage *p = (AccountPage *) page;
	PrefsAccount *ac = data;
	RtlsAccountSettings a = { 0 };

	p->account_id = ac != NULL ? ac->account_id : -1;
	rtls_config_account (p->account_id, &a);
	page->widget = rtls_account_ui_new (&a, &p->ui);
	rtls_account_settings_clear (&a);
}

static void
account_destroy (PrefsPage *page)
{
	AccountPage *p = (AccountPage *) page;

	rtls_account_ui_free (p->ui);
	p->ui = NULL;
}

static gboolean
account_can_close (PrefsPage *page)
{
	AccountPage *p = (AccountPage *) page;
	RtlsAccountSettings a = { 0 };
	g_autoptr (GError) error = NULL;

	if (p->ui == NULL || rtls_account_ui_get (p->ui, &a, &error)) {
		rtls_account_settings_clear (&a);
		return TRUE;
	}
	alertpanel_error (_ ("REQUIRETLS: %s"), error->message);
	return FALSE;
}

static void
account_save (PrefsPage *page)
{
	AccountPage *p = (AccountPage *) page;
	RtlsAccountSettings a = { 0 };
	g_autoptr (GError) error = NULL;

	if (p->ui == NULL || p->account_id < 0)
		return;
	/* invalid input was refused in can_close; nothing half-valid is saved */
	if (rtls_account_ui_get (p->ui, &a, &error)
	    && !rtls_config_save_account (p->account_id, &a, &error))
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: cannot save account settings: %s\n"),
		           error->message);
	rtls_account_settings_clear (&a);
}

void
rtls_prefs_init (void)
{
	global_path[0] = _ ("Plugins");
	global_path[1] = RTLS_PLUGIN_NAME;
	global_path[2] = NULL;
	global_page.page.path = global_path;
	global_page.page.create_widget = global_create;
	global_page.page.destroy_widget = global_destroy;
	global_page.page.save_page = global_save;
	global_page.page.weight = 40.0;
	prefs_gtk_register_page ((PrefsPage *) &global_page);

	account_path[0] = RTLS_PLUGIN_NAME;
	account_path[1] = NULL;
	account_page.page.path = account_path;
	account_page.page.create_widget = account_create;
	account_page.page.destroy_widget = account_destroy;
	account_page.page.save_page = account_save;
	account_page.page.can_close = account_can_close;
	account_page.page.weight = 40.0;
	prefs_account_register_page ((PrefsPage *) &account_page);
}

void
rtls_prefs_done (void)
{
	prefs_gtk_unregister_page ((PrefsPage *) &global_page);
	prefs_account_unregister_page ((PrefsPage *) &account_page);
}
