/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_prefs.c: Preferences → Plugins → REQUIRETLS and the account page, registered with
 * Claws; the widgets are in ui/rtls_prefs_ui.c, the data in rtls_settings.c.
 */
#include "config.h"

#include "rtls_plugin.h"

#include <glib/gi18n-lib.h>

#include <gio/gio.h>
#include <string.h>

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
	gchar *smtp_server;
	guint smtp_port;
	gboolean smtp_starttls;
	GCancellable *fetching;
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

typedef struct {
	AccountPage *page;
	GCancellable *cancel;
	gchar *host;
} Fetch;

static void
fetch_done (GObject *src, GAsyncResult *res, gpointer data)
{
	Fetch *f = data;
	g_autofree gchar *out = NULL, *err = NULL;
	g_autoptr (GError) error = NULL;
	gboolean ok = g_subprocess_communicate_utf8_finish (G_SUBPROCESS (src), res, &out, &err,
	                                                    &error);

	if (!g_cancellable_is_cancelled (f->cancel) && f->page->ui != NULL) {
		g_autofree gchar *pin = NULL, *rt = NULL, *why = NULL;
		g_auto (GStrv) lines = g_strsplit (ok && out ? out : "", "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++) {
			if (g_str_has_prefix (lines[i], "pin-sha256="))
				pin = g_strdup (lines[i] + 11);
			else if (g_str_has_prefix (lines[i], "requiretls="))
				rt = g_strdup (lines[i] + 11);
		}
		if (pin == NULL) {
			/* the helper's last stderr line explains (already sanitised by it) */
			gchar *nl = err ? strrchr (g_strchomp (err), '\n') : NULL;
			why = g_strdup (error ? error->message : nl ? nl + 1 : err ? err : "");
		}
		rtls_account_ui_set_busy (f->page->ui, FALSE);
		rtls_account_ui_offer_pin (f->page->ui, f->host, pin,
		                           pin == NULL ? why
		                           : g_strcmp0 (rt, "yes") == 0
		                                   ? _ ("The server offers REQUIRETLS.")
		                                   : _ ("The server does not offer REQUIRETLS."));
	}
	if (f->page->fetching == f->cancel)
		g_clear_object (&f->page->fetching);
	g_object_unref (f->cancel);
	g_free (f->host);
	g_free (f);
}

static void
fetch_pin_cb (gpointer data)
{
	AccountPage *p = data;
	g_autofree gchar *host = NULL, *ca = NULL, *helper = rtls_config_helper_path ();
	g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) error = NULL;
	GSubprocess *proc;
	guint port;
	gboolean starttls;
	Fetch *f;

	rtls_account_ui_target (p->ui, &host, &port, &starttls, &ca);
	if (host == NULL) {
		host = g_strdup (p->smtp_server);
		port = p->smtp_port;
		starttls = p->smtp_starttls;
	}
	if (host == NULL || *host == '\0') {
		rtls_account_ui_offer_pin (p->ui, "?", NULL, _ ("The account has no SMTP server."));
		return;
	}
	g_ptr_array_add (argv, g_strdup (helper));
	g_ptr_array_add (argv, g_strdup_printf ("--host=%s", host));
	if (port != 0)
		g_ptr_array_add (argv, g_strdup_printf ("--port=%u", port));
	if (starttls)
		g_ptr_array_add (argv, g_strdup ("--starttls"));
	if (ca != NULL)
		g_ptr_array_add (argv, g_strdup_printf ("--ca-file=%s", ca));
	g_ptr_array_add (argv, g_strdup ("--timeout=20"));
	g_ptr_array_add (argv, g_strdup ("--show-pin"));
	g_ptr_array_add (argv, NULL);
	proc = g_subprocess_newv ((const gchar *const *) argv->pdata,
	                          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
	                                  | G_SUBPROCESS_FLAGS_STDIN_PIPE,
	                          &error);
	if (proc == NULL) {
		rtls_account_ui_offer_pin (p->ui, host, NULL, error->message);
		return;
	}
	f = g_new0 (Fetch, 1);
	f->page = p;
	f->cancel = g_cancellable_new ();
	f->host = g_steal_pointer (&host);
	p->fetching = g_object_ref (f->cancel);
	rtls_account_ui_set_busy (p->ui, TRUE);
	/* never blocks Claws: the answer comes back through the main loop */
	g_subprocess_communicate_utf8_async (proc, "", NULL, fetch_done, f);
	g_object_unref (proc);
}

static void
account_create (PrefsPage *page, GtkWindow *window, gpointer data)
{
	AccountPage *p = (AccountPage *) page;
	PrefsAccount *ac = data;
	RtlsAccountSettings a = { 0 };

	p->account_id = ac != NULL ? ac->account_id : -1;
	g_free (p->smtp_server);
	p->smtp_server = g_strdup (ac != NULL ? ac->smtp_server : NULL);
	p->smtp_port = ac == NULL                   ? 0
	               : ac->set_smtpport           ? ac->smtpport
	               : ac->ssl_smtp == SSL_TUNNEL ? 465
	                                            : 25;
	p->smtp_starttls = ac != NULL && ac->ssl_smtp != SSL_TUNNEL;
	rtls_config_account (p->account_id, &a);
	page->widget = rtls_account_ui_new (&a, fetch_pin_cb, p, &p->ui);
	rtls_account_settings_clear (&a);
}

static void
account_destroy (PrefsPage *page)
{
	AccountPage *p = (AccountPage *) page;

	if (p->fetching != NULL)
		g_cancellable_cancel (p->fetching); /* the answer, if it comes, is dropped */
	g_clear_object (&p->fetching);
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
