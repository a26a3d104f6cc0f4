/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_plugin.h: shared state of the Claws side of the plugin.
 */
#pragma once

#include "claws-features.h"

#include <glib.h>
#include <glib/gi18n-lib.h>

/* Plurals in the plugin's own domain: a bare ngettext() looks in Claws' catalogue. */
#undef ngettext
#define ngettext(one, many, n) g_dngettext (GETTEXT_PACKAGE, one, many, n)

#include "compose.h"
#include "folder.h"
#include "prefs_account.h"
#include "procmsg.h"

#include "rtls_compat.h"
#include "rtls_choice.h"
#include "rtls_settings.h"
#include "rtls_ui.h"

#define RTLS_PLUGIN_NAME "REQUIRETLS"
#define RTLS_CONFIG_FILE "requiretlsrc"
#define RTLS_JOURNAL_FILE "requiretls-journal"

typedef struct _RtlsSend RtlsSend;

/* One per open composer. */
typedef struct {
	Compose *compose;
	RtlsComposeUi *ui;
	RtlsChoice choice;
	gboolean manual;          /* chosen by hand (beats rules and the default) */
	RtlsSend *send;           /* the plugin's send in flight, or NULL */
	guint rules_timer;        /* re-evaluates the rules while the recipients change */
	guint recipients_hash;    /* of the recipient rows last evaluated */
	gint account_id;          /* the From account at the last evaluation */
	gulong destroy_id;        /* watches the composer's window */
	gboolean gone;            /* the composer was destroyed; kept only for its send */
	gchar *domain_warning;    /* the last REQUIRETLS bounce for a recipient's domain, or NULL */
	GPtrArray *rcpts;         /* gchar*: the recipients' addr-specs at the last evaluation */
	GPtrArray *domains;       /* gchar*: their domains, lower case, once each */
	guint checked_hash;       /* recipients_hash when their readiness was last asked for */
	gboolean check_asked;     /* "Check recipients": readiness shown whatever the choice */
	gboolean bounce_answered; /* the will-bounce question was answered: this Send goes on */
	gboolean asking;          /* that question is open (the record outlives its composer) */
	gchar *conversation;      /* a reply in a conversation begun with Require TLS: why */
} RtlsComposer;

/* config (rtls_config.c) */
void rtls_config_load (void);
void rtls_config_unload (void);
gchar *rtls_config_helper_path (void);
RtlsChoice rtls_config_default_choice (void);
guint rtls_config_timeout (void);
const RtlsSettings *rtls_config_settings (void);
gboolean rtls_config_save (RtlsSettings *new_settings, GError **error); /* takes it */
void rtls_config_account (gint account_id, RtlsAccountSettings *out);
/* The port Claws itself uses for @ac's SMTP server (its own setting, else 465 for an SSL
 * tunnel, else 25); 0 without an account. */
guint rtls_config_claws_smtp_port (const PrefsAccount *ac);
gboolean rtls_config_save_account (gint account_id, const RtlsAccountSettings *a, GError **error);
gchar *rtls_rc_path (const char *name);
const GPtrArray *rtls_config_rules (void); /* RtlsRule*, in order */

/* composer side (rtls_compose.c) */
void rtls_compose_init (void);
/* FALSE while a Require TLS composer that could not be saved is held: the module stays. */
/* Unloading: each open Require TLS composer is saved to Drafts and closed; the subjects of
 * those saved go to @drafted, of those that could not be saved (still open, and Claws may
 * not send them) to @still_open. FALSE while such a composer is still open. */
gboolean rtls_compose_done (GPtrArray *drafted, GPtrArray *still_open);
RtlsComposer *rtls_composer_find (Compose *compose);
void rtls_composer_set_choice (RtlsComposer *c, RtlsChoice choice, gboolean manual);
gboolean rtls_compose_alive (Compose *compose);
/* What is known about recipient domains changed (a readiness check ended): every composer
 * says it again. */
void rtls_compose_checks_changed (void);
/* The send of @c is over: forgets it, and frees @c when its composer is gone. */
void rtls_composer_send_over (RtlsComposer *c);

/* bounces and the delivery window (rtls_bounce.c) */
void rtls_bounce_init (void);
gboolean rtls_bounce_done (void); /* FALSE: a window's reading still runs in a thread */
void rtls_bounce_show_window (void);
gchar *rtls_bounce_domain_warning (const char *domain); /* NULL: nothing to say */
void rtls_bounce_journal_changed (void);                /* after every write to the journal */
/* "Edit and resend" opened @compose: the upper layer sets its choice to Require TLS. */
void rtls_bounce_set_resend_hook (void (*opened) (Compose *compose));

/* starting requiretls-submit (rtls_spawn.c), for a send and for the preferences' "Read the
 * key": @argv with @stdin_fd as its input (-1: as @flags say), @password (taken and wiped;
 * NULL: none) on fd 3 (--password-fd=3), its status record on fd 4 (--status-fd=4), whose
 * read end is *@status_fd. NULL with @error set: nothing runs, every fd is closed. */
GSubprocess *rtls_spawn_launch (const char *const *argv, int stdin_fd, GSubprocessFlags flags,
                                gchar *password, int *status_fd, GError **error);
void rtls_spawn_wipe (gchar *secret); /* zeroes and frees a secret (NULL: nothing) */

/* preferences pages (rtls_prefs.c) */
void rtls_prefs_init (void);
void rtls_prefs_done (void);
/* Opens the account preferences of @account_id at its REQUIRETLS page (Claws refuses, with
 * its own message, while a composer is open). */
/* @why: said at the top of the page (why it opened), or NULL */
void rtls_prefs_open_account (gint account_id, const char *why);

/* sending (rtls_send.c). The composer asks the sender; the sender never calls up: it
 * announces what happened to the listeners the upper layer registered. */
typedef struct {
	void (*journal_changed) (gpointer data); /* after every write of the send journal */
	/* the send of @c is over (the composer may be freed now) */
	void (*send_over) (RtlsComposer *c, gpointer data);
	/* the person confirmed sending @c's message with Default */
	void (*set_choice) (RtlsComposer *c, RtlsChoice choice, gpointer data);
	void (*show_delivery) (gpointer data); /* "Show details" of a note */
	gpointer data;
} RtlsSendListener;
void rtls_send_listen (const RtlsSendListener *l);
void rtls_send_init (void);
gboolean rtls_send_done (void); /* FALSE while a helper still runs */
gboolean rtls_send_busy (void); /* a send is starting, asking, running or finishing */
void rtls_send_from_composer (RtlsComposer *c);
/* Claws itself is about to send or queue @compose's message (Default, Don't require TLS):
 * when an earlier REQUIRETLS send of it may have reached the server, the person is asked
 * first whether a second copy is what they want. FALSE: not now (the composer keeps it). */
gboolean rtls_send_may_resend (Compose *compose);
void rtls_send_cancel (RtlsComposer *c);
typedef enum {
	RTLS_RUN_ASKED,   /* the menu item: every queued REQUIRETLS entry */
	RTLS_RUN_ONLINE,  /* Claws went online: all but those that failed for good */
	RTLS_RUN_RETRIES, /* the timer: only temporary failures whose back-off is over */
} RtlsQueueRun;
void rtls_send_queued (RtlsQueueRun mode);
gboolean rtls_queue_guard_item (FolderItem *item);
