/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_prefs.c: Preferences → Plugins → REQUIRETLS and the account page, registered with
 * Claws; the widgets are in ui/rtls_prefs_ui.c, the data in rtls_settings.c.
 */
#include "config.h"

#include "rtls_plugin.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "alertpanel.h"
#include "log.h"
#include "prefs_account.h"
#include "prefs_gtk.h"
#include "prefswindow.h"

#include "rtls_history.h"
#include "rtls_prefs_ui.h"

typedef struct {
	PrefsPage page;
	RtlsPrefsUi *ui;
} GlobalPage;

typedef struct _Fetch Fetch;

typedef struct {
	PrefsPage page;
	RtlsAccountUi *ui;
	gint account_id;
	gchar *smtp_server;
	guint smtp_port;
	gboolean smtp_starttls;
	Fetch *fetching; /* the key being read, or NULL */
} AccountPage;

static GlobalPage global_page;
static AccountPage account_page;
static gchar *global_path[3];
static gchar *account_path[2];

static void
global_create (PrefsPage *page, GtkWindow *window, gpointer data)
{
	GlobalPage *p = (GlobalPage *) page;

	g_autoptr (GPtrArray) accounts
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_account_name_free);

	/* the rules editor names Claws' accounts; the rules keep their ids */
	for (GList *l = account_get_list (); l != NULL; l = l->next) {
		PrefsAccount *ac = l->data;
		g_ptr_array_add (accounts, rtls_account_name_new (ac->account_id, ac->account_name,
		                                                  ac->address));
	}
	page->widget = rtls_prefs_ui_new (rtls_config_settings (), accounts, &p->ui);
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
	const RtlsSettings *set;

	if (p->ui == NULL)
		return;
	if (!rtls_config_save (rtls_prefs_ui_get (p->ui), &error)) {
		alertpanel_error (_ ("REQUIRETLS: the settings could not be saved: %s"),
		                  error->message);
		return;
	}
	/* a shorter retention applies now, not at the next start */
	if ((set = rtls_config_settings ()) != NULL)
		rtls_history_expire (set->history_days);
}

struct _Fetch {
	AccountPage *page; /* NULL once the page stopped waiting (Cancel, page closed) */
	GCancellable *cancel;
	GSubprocess *proc;
	gchar *host;
	guint port;
	gint status_fd; /* our end of the helper's --status-fd pipe */
};

static void
fetch_free (Fetch *f)
{
	if (f->status_fd >= 0)
		close (f->status_fd);
	g_clear_object (&f->cancel);
	g_clear_object (&f->proc);
	g_free (f->host);
	g_free (f);
}

static gchar *
fetch_read_status (Fetch *f)
{
	GString *s = g_string_new (NULL);
	char buf[4096];
	ssize_t n;

	/* the helper has exited (communicate waits for it), so this ends at once */
	while (s->len < 65536
	       && ((n = read (f->status_fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			g_string_append_len (s, buf, n);
	return g_string_free (s, FALSE);
}

/* Stops the helper: the person cancelled, or the page closed. Its answer, if any comes, is
 * dropped; GLib reaps the process. */
static void
fetch_stop (AccountPage *p, const char *why)
{
	Fetch *f = p->fetching;

	if (f == NULL)
		return;
	p->fetching = NULL;
	f->page = NULL;
	g_cancellable_cancel (f->cancel);
	g_subprocess_send_signal (f->proc, SIGTERM);
	log_message (LOG_PROTOCOL, _ ("REQUIRETLS: reading the key of %s stopped (%s)\n"), f->host,
	             why);
	g_debug ("REQUIRETLS: key reader %s stopped: %s",
	         g_subprocess_get_identifier (f->proc) ? g_subprocess_get_identifier (f->proc)
	                                               : "(ended)",
	         why);
}

static void
fetch_done (GObject *src, GAsyncResult *res, gpointer data)
{
	Fetch *f = data;
	AccountPage *p = f->page;
	g_autofree gchar *out = NULL, *err = NULL, *status = NULL;
	g_autoptr (GError) error = NULL;
	gboolean ok = g_subprocess_communicate_utf8_finish (G_SUBPROCESS (src), res, &out, &err,
	                                                    &error);
	g_autofree gchar *pin = NULL, *rt = NULL;

	if (p == NULL || g_cancellable_is_cancelled (f->cancel) || p->ui == NULL) {
		g_debug ("REQUIRETLS: key reader ended after it was stopped");
		fetch_free (f);
		return;
	}
	p->fetching = NULL;
	rtls_account_ui_set_busy (p->ui, NULL, 0);
	status = fetch_read_status (f);
	{
		g_auto (GStrv) lines = g_strsplit (ok && out ? out : "", "\n", -1);
		for (guint i = 0; lines[i] != NULL; i++) {
			if (g_str_has_prefix (lines[i], "pin-sha256=") && lines[i][11] != '\0')
				pin = g_strdup (lines[i] + 11);
			else if (g_str_has_prefix (lines[i], "requiretls="))
				rt = g_strdup (lines[i] + 11);
		}
	}
	if (pin != NULL && rtls_pin_valid (pin, NULL)) {
		g_debug ("REQUIRETLS: key of %s read; REQUIRETLS %s", f->host,
		         g_strcmp0 (rt, "yes") == 0 ? "offered" : "not offered");
		rtls_account_ui_offer_pin (p->ui, f->host, pin, g_strcmp0 (rt, "yes") == 0);
	} else {
		g_autoptr (RtlsRecord) r = rtls_record_parse (status, strlen (status));
		g_autofree gchar *headline = NULL, *text = NULL;
		g_autofree gchar *code = r != NULL && r->exit_code >= 0
		                                 ? g_strdup_printf ("%d", r->exit_code)
		                                 : g_strdup ("-");
		/* codes are for Claws' log; the person gets sentences */
		log_warning (LOG_PROTOCOL,
		             _ ("REQUIRETLS: the key of %s was not read: error=%s exit=%s "
		                "stage=%s: %s\n"),
		             f->host, r != NULL && r->error ? r->error : "-", code,
		             r != NULL && r->stage ? r->stage : "-",
		             r != NULL && r->message ? r->message
		             : error != NULL         ? error->message
		                                     : "-");
		text = rtls_probe_explain (r, f->host, f->port,
		                           error != NULL ? error->message : NULL, &headline);
		rtls_account_ui_show_failure (p->ui, headline, text);
	}
	fetch_free (f);
}

static void
fetch_cancel_cb (gpointer data)
{
	AccountPage *p = data;

	fetch_stop (p, _ ("cancelled"));
	if (p->ui != NULL)
		rtls_account_ui_set_busy (p->ui, NULL, 0);
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
	int status_fd = -1;
	Fetch *f;

	if (p->fetching != NULL)
		return;
	rtls_account_ui_target (p->ui, &host, &port, &starttls, &ca);
	if (host == NULL) {
		host = g_strdup (p->smtp_server);
		port = p->smtp_port;
		starttls = p->smtp_starttls;
	}
	if (host == NULL || *host == '\0') {
		rtls_account_ui_show_failure (p->ui, _ ("This account has no SMTP server"),
		                              _ ("Enter one on the account's Basic page, or use "
		                                 "another submission server "
		                                 "for REQUIRETLS messages on this page."));
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
	g_ptr_array_add (argv, g_strdup ("--status-fd=4"));
	g_ptr_array_add (argv, NULL);
	/* started the way a send starts it (rtls_spawn.c) */
	proc = rtls_spawn_launch ((const char *const *) argv->pdata, -1,
	                          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
	                                  | G_SUBPROCESS_FLAGS_STDIN_PIPE,
	                          NULL, &status_fd, &error);
	if (proc == NULL) {
		g_autofree gchar *headline = NULL;
		g_autofree gchar *text
		        = rtls_probe_explain (NULL, host, port, error->message, &headline);
		log_warning (LOG_PROTOCOL, _ ("REQUIRETLS: cannot start %s: %s\n"), helper,
		             error->message);
		rtls_account_ui_show_failure (p->ui, headline, text);
		return;
	}
	f = g_new0 (Fetch, 1);
	f->page = p;
	f->cancel = g_cancellable_new ();
	f->proc = proc;
	f->host = g_steal_pointer (&host);
	f->port = port;
	f->status_fd = status_fd;
	p->fetching = f;
	g_debug ("REQUIRETLS: key reader %s started for %s port %u",
	         g_subprocess_get_identifier (proc), f->host, port);
	rtls_account_ui_set_busy (p->ui, f->host, port);
	/* never blocks Claws: the answer comes back through the main loop */
	g_subprocess_communicate_utf8_async (proc, "", f->cancel, fetch_done, f);
}

/* the account whose preferences rtls_prefs_open_account() opens at our page, or -1, and
 * why */
static gint open_at_page = -1;
static gchar *open_why;

static void
account_create (PrefsPage *page, GtkWindow *window, gpointer data)
{
	AccountPage *p = (AccountPage *) page;
	PrefsAccount *ac = data;
	RtlsAccountSettings a = { 0 };

	p->account_id = ac != NULL ? ac->account_id : -1;
	g_free (p->smtp_server);
	p->smtp_server = g_strdup (ac != NULL ? ac->smtp_server : NULL);
	p->smtp_port = rtls_config_claws_smtp_port (ac);
	p->smtp_starttls = ac != NULL && ac->ssl_smtp != SSL_TUNNEL;
	rtls_config_account (p->account_id, &a);
	page->widget = rtls_account_ui_new (&a, fetch_pin_cb, fetch_cancel_cb, p, &p->ui);
	rtls_account_settings_clear (&a);
	if (open_at_page == p->account_id && p->account_id >= 0) {
		open_at_page = -1;
		if (open_why != NULL)
			rtls_account_ui_show_reason (p->ui, open_why);
		rtls_ui_prefs_select_page (page->widget, RTLS_PLUGIN_NAME);
	}
}

void
rtls_prefs_open_account (gint account_id, const char *why)
{
	PrefsAccount *ac = account_find_from_id (account_id);

	if (ac == NULL)
		return;
	open_at_page = account_id;
	open_why = g_strdup (why);
	account_open (ac, FALSE); /* runs until the window is closed */
	open_at_page = -1;
	g_clear_pointer (&open_why, g_free);
}

static void
account_destroy (PrefsPage *page)
{
	AccountPage *p = (AccountPage *) page;

	fetch_stop (p, _ ("the account settings were closed"));
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
