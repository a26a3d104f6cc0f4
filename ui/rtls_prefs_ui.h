/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_prefs_ui.h: the widgets of Preferences → Plugins → REQUIRETLS and of the account page
 * (GTK only). They edit copies of the settings; the plugin saves what they return.
 */
#pragma once

#include <gtk/gtk.h>

#include "rtls_settings.h"

G_BEGIN_DECLS

typedef struct _RtlsPrefsUi RtlsPrefsUi;

/* @accounts: RtlsAccountName*, Claws' accounts in their order (copied): the rules name the
 * account; the id stays in the settings. */
GtkWidget *rtls_prefs_ui_new (const RtlsSettings *s, const GPtrArray *accounts, RtlsPrefsUi **out);
RtlsSettings *rtls_prefs_ui_get (RtlsPrefsUi *ui);
void rtls_prefs_ui_free (RtlsPrefsUi *ui);

typedef struct _RtlsAccountUi RtlsAccountUi;

typedef void (*RtlsAccountUiFn) (gpointer data);

/* @fetch_pin: called by the "Read the key from the server…" button; @cancel by its Cancel
 * button while the key is being read (see rtls_account_ui_set_busy). */
GtkWidget *rtls_account_ui_new (const RtlsAccountSettings *a, RtlsAccountUiFn fetch_pin,
                                RtlsAccountUiFn cancel, gpointer data, RtlsAccountUi **out);
/* Says at the top of the page why it was opened for the person (after a refusal). */
void rtls_account_ui_show_reason (RtlsAccountUi *ui, const char *text);
/* The server the button should ask: the other submission server if one is set. */
void rtls_account_ui_target (RtlsAccountUi *ui, gchar **host, guint *port, gboolean *starttls,
                             gchar **ca_file);
/* Shows the key that was read; the person confirms before the pin is put into the field.
 * For a server that does not offer REQUIRETLS the dialog leads with that fact, and the pin
 * button says it next to it. Never called for a server whose certificate failed
 * verification: the helper prints no pin then. */
void rtls_account_ui_offer_pin (RtlsAccountUi *ui, const char *host, const char *pin,
                                gboolean offers_requiretls);
/* Why no key was read: a sentence (@headline) and the next step (@text). */
void rtls_account_ui_show_failure (RtlsAccountUi *ui, const char *headline, const char *text);
/* @host non-NULL: the key of @host:@port is being read (spinner, what is asked, Cancel);
 * NULL: idle again. */
void rtls_account_ui_set_busy (RtlsAccountUi *ui, const char *host, guint port);
/* FALSE (with a message for the person) when a field is invalid; nothing is saved then. */
gboolean rtls_account_ui_get (RtlsAccountUi *ui, RtlsAccountSettings *out, GError **error);
void rtls_account_ui_free (RtlsAccountUi *ui);

G_END_DECLS
