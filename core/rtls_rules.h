/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_rules.h: rules for sensitive recipients (pure logic, no GTK, no Claws).
 *
 * An ordered list of pattern → action. Patterns: an exact address (alice@example.org), a
 * domain (example.org) or a domain with all its subdomains (*.example.gov, or the flag).
 * Domains are compared after IDNA conversion (g_hostname_to_ascii) and case folding; addresses
 * come from libetpan's RFC 5322 parser. For a recipient the first enabled rule that matches
 * (and applies to the account) decides; for the message, any Require TLS recipient makes it
 * Require TLS, else any Don't require TLS, else Default.
 */
#pragma once

#include <glib.h>

#include "rtls_choice.h"

G_BEGIN_DECLS

typedef enum {
	RTLS_RULE_ADDRESS,
	RTLS_RULE_DOMAIN,
	RTLS_RULE_SUBDOMAINS, /* the domain itself and every subdomain */
} RtlsRuleKind;

typedef struct {
	gchar *pattern; /* as the person wrote it, trimmed */
	RtlsRuleKind kind;
	gchar *key;        /* normalised: "local@ascii-domain" (lower case) or "ascii-domain" */
	RtlsChoice action; /* RTLS_CHOICE_REQUIRE or RTLS_CHOICE_NO_REQUIRE */
	gint account_id;   /* -1: every account */
	gboolean enabled;
} RtlsRule;

RtlsRule *rtls_rule_new (const char *pattern, gboolean with_subdomains, RtlsChoice action,
                         gint account_id, gboolean enabled, GError **error);
RtlsRule *rtls_rule_copy (const RtlsRule *r);
void rtls_rule_free (RtlsRule *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsRule, rtls_rule_free)

/* The pattern as it is saved and shown: "*.example.gov" for subdomain rules. */
gchar *rtls_rule_display_pattern (const RtlsRule *r);

/* "local@domain" → lower-case local part, IDNA ASCII lower-case domain. NULL if unusable. */
gchar *rtls_address_normalise (const char *addr_spec, const char **domain_out);

gboolean rtls_rule_matches (const RtlsRule *r, const char *normalised_address, const char *domain);

typedef struct {
	RtlsChoice choice;
	const RtlsRule *rule; /* the rule that decided, or NULL */
	gchar *address;       /* the recipient it matched, or NULL */
} RtlsVerdict;

void rtls_verdict_clear (RtlsVerdict *v);

/* @recipients: addr-specs. @account_id: the sending account (-1: unknown). */
void rtls_rules_decide (const GPtrArray *rules, const GPtrArray *recipients, gint account_id,
                        RtlsVerdict *out);

/* Address lists as typed in To/Cc/Bcc fields, parsed with libetpan; fields that do not parse
 * (yet: the person may still be typing) are skipped. Adds addr-specs to @out. */
void rtls_rules_recipients_from_fields (const char *const *fields, GPtrArray *out);

/* Persistence in the plugin's GKeyFile: groups "rule 1", "rule 2", ... Broken groups are
 * skipped and described in @problems (strings); the others are kept. */
GPtrArray *rtls_rules_load (GKeyFile *kf, GPtrArray *problems);
void rtls_rules_save (GKeyFile *kf, const GPtrArray *rules);

/* Import/export: one rule a line, "require|no-require PATTERN [account=N] [disabled]",
 * '#' comments. Import is all or nothing: the first bad line is an error (with its number). */
GPtrArray *rtls_rules_parse_text (const char *text, GError **error);
gchar *rtls_rules_format_text (const GPtrArray *rules);

/* The same, but every bad line is described in @problems ("line 7: …", at most
 * RTLS_RULES_PROBLEMS_MAX of them, then one "and N more lines"); NULL when there was any
 * (the file is all or nothing), else the rules (owned by the caller). */
#define RTLS_RULES_PROBLEMS_MAX 20
GPtrArray *rtls_rules_parse_text_all (const char *text, GPtrArray *problems);

/* TRUE when @a and @b are the same rule in every saved field: kind, normalised pattern,
 * action, account and on/off ("Example.ORG" and "example.org" are the same domain). */
gboolean rtls_rule_equal (const RtlsRule *a, const RtlsRule *b);

/* What an import adds to @existing: the rules of @incoming, in order, that are not an exact
 * duplicate of a rule in @existing or of an earlier one in @incoming (copies, owned by the
 * caller). *@already counts the ones skipped. */
GPtrArray *rtls_rules_import (const GPtrArray *existing, const GPtrArray *incoming, guint *already);

/* What an import did, for the person: "3 rules added, 2 already there." (newly allocated). */
gchar *rtls_rules_import_summary (guint added, guint already);

G_END_DECLS
