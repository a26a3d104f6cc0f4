/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_settings.h: the plugin's settings as data, read from and written to its GKeyFile
 * (pure logic, no GTK, no Claws). Per-account data lives here, never in Claws' account
 * fields: Claws copies its edited account over the real one on OK.
 */
#pragma once

#include <glib.h>

#include "rtls_choice.h"
#include "rtls_record.h"

G_BEGIN_DECLS

typedef struct {
	RtlsChoice default_choice; /* for new messages */
	GPtrArray *rules;          /* RtlsRule*, in order */
	gchar *helper;             /* NULL: the installed requiretls-submit */
	guint timeout;             /* seconds per network step, 5-3600 */
	gboolean retry;            /* retry queued messages after temporary failures */
	guint retry_first_seconds; /* the wait before the first retry, 1-3600 */
	guint retry_max_minutes;   /* the longest wait between retries, 5-1440 */
	guint history_days;        /* the delivery history is kept this long; 0: always */
	gboolean probe;            /* readiness: also connect to the recipients' mail servers */
	gchar **check_options;     /* readiness: more options for --check ([general]
	                            * check-options; for testing and special networks), or NULL */
} RtlsSettings;

typedef struct {
	gboolean allow;    /* REQUIRETLS at all for this account (default TRUE) */
	gchar *host;       /* NULL: the account's SMTP server */
	guint port;        /* 0: the account's */
	gboolean starttls; /* with host: STARTTLS instead of implicit TLS */
	gchar *ca_file;    /* NULL: the system trust store */
	gchar *pin_sha256; /* NULL: no extra pin */
} RtlsAccountSettings;

RtlsSettings *rtls_settings_new (void);
void rtls_settings_free (RtlsSettings *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsSettings, rtls_settings_free)

/* The options of requiretls-submit --check that [general] check-options may hold. */
gboolean rtls_check_option_allowed (const char *arg);

/* Broken values fall back to defaults and are described in @problems. */
RtlsSettings *rtls_settings_from_keyfile (GKeyFile *kf, GPtrArray *problems);
void rtls_settings_to_keyfile (const RtlsSettings *s, GKeyFile *kf);

void rtls_account_settings_clear (RtlsAccountSettings *a);
void rtls_account_settings_from_keyfile (GKeyFile *kf, gint account_id, RtlsAccountSettings *a);
void rtls_account_settings_to_keyfile (const RtlsAccountSettings *a, gint account_id, GKeyFile *kf);

/* One of Claws' accounts, as the rules editor names it. The rules keep the id. */
typedef struct {
	gint id;        /* Claws' account_id */
	gchar *name;    /* its account name */
	gchar *address; /* its e-mail address */
} RtlsAccountName;

RtlsAccountName *rtls_account_name_new (gint id, const char *name, const char *address);
void rtls_account_name_free (RtlsAccountName *a);

/* @accounts: RtlsAccountName*. */
gboolean rtls_account_exists (const GPtrArray *accounts, gint id);

/* What the person sees for a rule's account (newly allocated): "Any account" for -1, the
 * account's name (with its address when two accounts have the same name), or a sentence
 * that the account no longer exists. Never the id. */
gchar *rtls_account_label (const GPtrArray *accounts, gint id);

/* Why "Read the key from the server…" read no key, for the person, from the helper's status
 * record of its --show-pin run (@r NULL: the helper gave none; @why then says what is known,
 * e.g. it could not be started). *@headline gets one short sentence, the result one or two
 * more with the next step; no error names or exit codes (those go to the log). Both newly
 * allocated. @host/@port: the server that was asked. */
gchar *rtls_probe_explain (const RtlsRecord *r, const char *host, guint port, const char *why,
                           gchar **headline);

/* A pin as base64 of 32 bytes (SHA-256), else an error for the person. */
gboolean rtls_pin_valid (const char *pin, GError **error);

G_END_DECLS
