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

GtkWidget *rtls_prefs_ui_new (const RtlsSettings *s, RtlsPrefsUi **out);
RtlsSettings *rtls_prefs_ui_get (RtlsPrefsUi *ui);
void rtls_prefs_ui_free (RtlsPrefsUi *ui);

typedef struct _RtlsAccountUi RtlsAccountUi;

typedef void (*RtlsFetchPinFn) (gpointer data);

/* @fetch_pin: called by the "Read the key from the server…" button. */
GtkWidget *rtls_account_ui_new (const RtlsAccountSettings *a, RtlsFetchPinFn fetch_pin,
                                gpointer data, RtlsAccountUi **out);
/* The server the button should ask: the other submission server if one is set. */
void rtls_account_ui_target (RtlsAccountUi *ui, gchar **host, guint *port, gboolean *starttls,
                             gchar **ca_file);
/* Shows what was read (@pin NULL: @text says why not); the person confirms before the pin
 * is put into the field. Never offered for a server whose certificate failed verification:
 * the helper prints no pin then. */
void rtls_account_ui_offer_pin (RtlsAccountUi *ui, const char *host, const char *pin,
                                const char *text);
void rtls_account_ui_set_busy (RtlsAccountUi *ui, gboolean busy);
/* FALSE (with a message for the person) when a field is invalid; nothing is saved then. */
gboolean rtls_account_ui_get (RtlsAccountUi *ui, RtlsAccountSettings *out, GError **error);
void rtls_account_ui_free (RtlsAccountUi *ui);

G_END_DECLS
