/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_ui.h: every widget of the plugin (GTK only; no Claws headers here). The plugin/
 * side hands in the composer's widgets and gets callbacks back.
 */
#pragma once

#include <gtk/gtk.h>

#include "rtls_outcome.h"

#include "rtls_choice.h"

G_BEGIN_DECLS

typedef struct _RtlsComposeUi RtlsComposeUi;

typedef void (*RtlsChoiceFn) (gpointer data, RtlsChoice choice);
typedef void (*RtlsActionFn) (gpointer data);

/* Adds the three radio items to the composer's Options menu and a status line under the
 * toolbar (packed into @top_box after @after), and dresses the composer's toolbar item: the
 * button Claws made in the toolbar inside @handlebox for our plugin toolbar item, found by
 * its label @item_key (Claws labels plugin items so), again whenever Claws rebuilds the
 * toolbar. Without such an item the choice is in the Options menu only. */
RtlsComposeUi *rtls_compose_ui_attach (GtkUIManager *uim, GtkWidget *handlebox,
                                       const char *item_key, GtkBox *top_box, GtkWidget *after,
                                       RtlsChoiceFn on_choice, RtlsActionFn on_cancel,
                                       gpointer data);
/* The toolbar item was clicked: the three choices in a menu under it. */
void rtls_compose_ui_toolbar_clicked (RtlsComposeUi *ui);
/* Shows @choice everywhere without calling back; @reason may be NULL. */
void rtls_compose_ui_set_choice (RtlsComposeUi *ui, RtlsChoice choice, const char *reason);
/* "Check recipients" in the Options menu calls @on_check (NULL: nothing). */
void rtls_compose_ui_set_check_fn (RtlsComposeUi *ui, RtlsActionFn on_check);
/* Readiness on the status line: @lead before the choice's text, @tail after it (each NULL:
 * none), @tip (every domain's sentence, one a line) in its tooltip. */
void rtls_compose_ui_set_readiness (RtlsComposeUi *ui, const char *lead, const char *tail,
                                    const char *tip);
/* While the plugin sends: the status line shows @text and a Cancel button; the composer's
 * own widgets (@lock, any number, NULL-terminated) are made insensitive. */
void rtls_compose_ui_set_busy (RtlsComposeUi *ui, const char *text, GtkWidget *lock,
                               ...) G_GNUC_NULL_TERMINATED;
/* While busy: @text says what is going on now (server, stage); the line adds the time. */
void rtls_compose_ui_set_progress (RtlsComposeUi *ui, const char *text);
void rtls_compose_ui_set_idle (RtlsComposeUi *ui);
/* Removes everything it added; the composer stays as it was before. */
void rtls_compose_ui_detach (RtlsComposeUi *ui);
/* The composer's window is being destroyed (and our widgets with it): frees @ui only. */
void rtls_compose_ui_forget (RtlsComposeUi *ui);

/* The composer's header rows (a combo with an entry for the name, an entry for the value):
 * read a row, and empty and hide a row an old draft made for our private fields. */
gchar *rtls_ui_row_name (GtkWidget *combo);
gchar *rtls_ui_row_value (GtkWidget *entry);
void rtls_ui_row_clear (GtkWidget *combo, GtkWidget *entry);
void rtls_ui_row_set_value (GtkWidget *entry, const char *text);
/* Activates the action at @path of @uim (a person's menu item); FALSE: no such action. */
gboolean rtls_ui_activate (GtkUIManager *uim, const char *path);

typedef enum {
	RTLS_BOUNCE_SEND_ANYWAY, /* send it with REQUIRETLS as it is */
	RTLS_BOUNCE_REMOVE,      /* take those recipients out, send to the rest with REQUIRETLS */
	RTLS_BOUNCE_NO_REQUIRE,  /* not with REQUIRETLS: the choice becomes Default, then send */
	RTLS_BOUNCE_EDIT,        /* back to editing, nothing sent */
} RtlsBounceAnswer;
/* Modal: a Require TLS message would come back from some recipients (@headline names them,
 * @details says why and what each answer does); Remove them only when @can_remove (someone
 * is left). Named "rtls-bounce-question" for tests. */
RtlsBounceAnswer rtls_ui_bounce_question (GtkWindow *parent, const char *headline,
                                          const char *details, gboolean can_remove);

typedef enum {
	RTLS_FAILURE_EDIT,          /* back to editing */
	RTLS_FAILURE_KEEP_QUEUED,   /* keep it queued, retry later (temporary failures only) */
	RTLS_FAILURE_SEND_DEFAULT,  /* confirmed: send without REQUIRETLS */
	RTLS_FAILURE_OPEN_SETTINGS, /* save to Drafts, close, open the account's REQUIRETLS page */
} RtlsFailureChoice;

/* RtlsRefusal: what kind of refusal (rtls_outcome.h) */

typedef void (*RtlsFailureFn) (gpointer data, RtlsFailureChoice choice);

/* Non-modal: explains @text under a headline that names the kind of problem (@title, "not
 * sent", is used for none now: @text says it), offers the next step for @refusal first, and calls
 * @done once.
 * @server ("host:port") is the server that refused. Sending without REQUIRETLS is offered
 * second, only behind an explicit confirmation that names the risk; @clear_first_hop, when
 * not NULL, names the server Claws Mail itself would then reach without TLS. For
 * RTLS_REFUSAL_NOT_CONFIRMED the dialog says the message may not have been sent (@title is
 * not used) and offers only what sends nothing: RTLS_FAILURE_KEEP_QUEUED and
 * RTLS_FAILURE_EDIT, never RTLS_FAILURE_SEND_DEFAULT, which could deliver it twice. */
void rtls_ui_failure_dialog (GtkWindow *parent, const char *title, const char *text,
                             RtlsRefusal refusal, const char *server, const char *clear_first_hop,
                             RtlsFailureFn done, gpointer data);

/* Inside a preferences window that is being built: selects the page titled @title in its
 * page index once the window is shown. */
void rtls_ui_prefs_select_page (GtkWidget *page, const char *title);

G_END_DECLS

G_BEGIN_DECLS
/* The main window's Tools menu item "Send queued REQUIRETLS messages". */
typedef struct _RtlsMainUi RtlsMainUi;
RtlsMainUi *rtls_main_ui_attach (GtkUIManager *uim, RtlsActionFn on_send_queue,
                                 RtlsActionFn on_delivery, gpointer data);
void rtls_main_ui_detach (RtlsMainUi *ui);
void rtls_ui_window_hide (GtkWidget *window);
/* The text of the GtkEntry @entry (a composer's Subject), a copy; "" for none. */
gchar *rtls_ui_entry_text (GtkWidget *entry);
/* A note that stays until the person closes it and that outlives the module that made it
 * (the plugin being unloaded): none of its signals calls into this module; its Close button
 * destroys it through GTK's own function. Named "rtls-lasting-notice" for tests. */
void rtls_ui_lasting_notice (GtkWindow *parent, const char *title, const char *primary,
                             const char *secondary);
/* Calls @fn (@data) when @widget is destroyed; the id is for rtls_ui_disconnect(). */
gulong rtls_ui_on_destroy (GtkWidget *widget, RtlsActionFn fn, gpointer data);
void rtls_ui_disconnect (GtkWidget *widget, gulong id);
G_END_DECLS
