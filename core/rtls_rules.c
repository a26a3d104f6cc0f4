/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_rules.c: rules for sensitive recipients (pure logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_rules.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "errors.h"
#include "message.h"

/* Plurals in the plugin's own domain: a bare ngettext() would look in Claws' catalogue. */
#undef ngettext
#define ngettext(one, many, n) g_dngettext (GETTEXT_PACKAGE, one, many, n)

#define RULES_MAX 100000

void
rtls_rule_free (RtlsRule *r)
{
	if (r == NULL)
		return;
	g_free (r->pattern);
	g_free (r->key);
	g_free (r);
}

RtlsRule *
rtls_rule_copy (const RtlsRule *r)
{
	RtlsRule *c = g_memdup2 (r, sizeof *r);

	c->pattern = g_strdup (r->pattern);
	c->key = g_strdup (r->key);
	return c;
}

/* IDNA to ASCII, lower case, no trailing dot; every label 1-63 of [a-z0-9-], no leading or
 * trailing hyphen (RFC 1123 2.1, RFC 5890). NULL when it is not a host name. */
static gchar *
domain_normalise (const char *domain)
{
	g_autofree gchar *trimmed = g_strstrip (g_strdup (domain));
	g_autofree gchar *ascii = NULL;
	gchar *lower;
	gsize n = strlen (trimmed);

	if (n > 0 && trimmed[n - 1] == '.')
		trimmed[n - 1] = '\0';
	if (*trimmed == '\0' || strlen (trimmed) > 253)
		return NULL;
	/* g_hostname_to_ascii() takes UTF-8 only: on a broken sequence at the end it reads past
	 * the string (found by fuzz-rules under valgrind) */
	if (!g_utf8_validate (trimmed, -1, NULL))
		return NULL;
	ascii = g_hostname_to_ascii (trimmed);
	if (ascii == NULL)
		return NULL;
	lower = g_ascii_strdown (ascii, -1);
	{
		g_auto (GStrv) labels = g_strsplit (lower, ".", -1);
		for (guint i = 0; labels[i] != NULL; i++) {
			gsize len = strlen (labels[i]);
			if (len == 0 || len > 63 || labels[i][0] == '-'
			    || labels[i][len - 1] == '-')
				goto bad;
			for (const char *p = labels[i]; *p; p++)
				if (!g_ascii_isalnum (*p) && *p != '-')
					goto bad;
		}
	}
	return lower;
bad:
	g_free (lower);
	return NULL;
}

/* RFC 5322 3.4.1 local-part: a dot-atom (UTF-8 allowed, RFC 6532) or a quoted-string. */
static gboolean
local_part_ok (const char *p, gsize n)
{
	if (n == 0)
		return FALSE;
	if (p[0] == '"') {
		if (n < 2 || p[n - 1] != '"')
			return FALSE;
		for (gsize i = 1; i < n - 1; i++) {
			if (p[i] == '\\' && i + 1 < n - 1)
				i++;
			else if (p[i] == '"' || p[i] == '\r' || p[i] == '\n')
				return FALSE;
		}
		return TRUE;
	}
	if (p[0] == '.' || p[n - 1] == '.')
		return FALSE;
	for (gsize i = 0; i < n; i++) {
		guchar c = (guchar) p[i];
		if (c == '.' && p[i + 1] == '.')
			return FALSE;
		if (!(g_ascii_isalnum (c) || c >= 0x80
		      || strchr ("!#$%&'*+/=?^_`{|}~-.", c) != NULL))
			return FALSE;
	}
	return TRUE;
}

gchar *
rtls_address_normalise (const char *addr_spec, const char **domain_out)
{
	const char *at;
	g_autofree gchar *domain = NULL, *local = NULL;
	gchar *out;

	if (addr_spec == NULL || (at = strrchr (addr_spec, '@')) == NULL || at == addr_spec)
		return NULL;
	/* "a@b@example.org" or an unterminated quote is no address */
	if (!local_part_ok (addr_spec, at - addr_spec))
		return NULL;
	domain = domain_normalise (at + 1);
	if (domain == NULL)
		return NULL;
	/* The local part is compared case-insensitively, as people expect of addresses. */
	local = g_utf8_validate (addr_spec, at - addr_spec, NULL)
	                ? g_utf8_strdown (addr_spec, at - addr_spec)
	                : g_ascii_strdown (addr_spec, at - addr_spec);
	out = g_strconcat (local, "@", domain, NULL);
	if (domain_out != NULL)
		*domain_out = strrchr (out, '@') + 1;
	return out;
}

RtlsRule *
rtls_rule_new (const char *pattern, gboolean with_subdomains, RtlsChoice action, gint account_id,
               gboolean enabled, GError **error)
{
	g_autoptr (RtlsRule) r = g_new0 (RtlsRule, 1);
	g_autofree gchar *p = g_strstrip (g_strdup (pattern != NULL ? pattern : ""));

	if (action != RTLS_CHOICE_REQUIRE && action != RTLS_CHOICE_NO_REQUIRE) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("a rule's action is Require TLS or Don't require TLS"));
		return NULL;
	}
	if (*p == '\0') {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("the pattern is empty"));
		return NULL;
	}
	r->action = action;
	r->account_id = account_id < 0 ? -1 : account_id;
	r->enabled = enabled;
	if (strchr (p, '@') != NULL) {
		g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
		if (with_subdomains || p[0] == '*' || !rtls_address_list_parse (p, found, NULL)
		    || found->len != 1 || strcmp (g_ptr_array_index (found, 0), p) != 0
		    || (r->key = rtls_address_normalise (p, NULL)) == NULL) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("“%s” is not an e-mail address (like alice@example.org) "
			                "nor a domain (like example.org or *.example.gov)"),
			             p);
			return NULL;
		}
		r->kind = RTLS_RULE_ADDRESS;
	} else {
		const char *d = p;
		if (g_str_has_prefix (p, "*.")) {
			d = p + 2;
			with_subdomains = TRUE;
		}
		r->key = domain_normalise (d);
		if (r->key == NULL || strchr (d, '*') != NULL) {
			g_set_error (
			        error, RTLS_ERROR, RTLS_ERROR_USAGE,
			        _ ("“%s” is not a domain (like example.org or *.example.gov) nor "
			           "an e-mail address"),
			        p);
			return NULL;
		}
		r->kind = with_subdomains ? RTLS_RULE_SUBDOMAINS : RTLS_RULE_DOMAIN;
	}
	r->pattern = g_steal_pointer (&p);
	return g_steal_pointer (&r);
}

gchar *
rtls_rule_display_pattern (const RtlsRule *r)
{
	if (r->kind == RTLS_RULE_SUBDOMAINS && !g_str_has_prefix (r->pattern, "*."))
		return g_strconcat ("*.", r->pattern, NULL);
	return g_strdup (r->pattern);
}

gboolean
rtls_rule_matches (const RtlsRule *r, const char *address, const char *domain)
{
	gsize dl, kl;

	switch (r->kind) {
	case RTLS_RULE_ADDRESS:
		return strcmp (r->key, address) == 0;
	case RTLS_RULE_DOMAIN:
		return strcmp (r->key, domain) == 0;
	case RTLS_RULE_SUBDOMAINS:
		dl = strlen (domain);
		kl = strlen (r->key);
		/* the domain itself, or ends in "." + key: never "notexample.gov" */
		return strcmp (r->key, domain) == 0
		       || (dl > kl && domain[dl - kl - 1] == '.'
		           && strcmp (domain + dl - kl, r->key) == 0);
	default:
		return FALSE;
	}
}

void
rtls_verdict_clear (RtlsVerdict *v)
{
	g_clear_pointer (&v->address, g_free);
	v->rule = NULL;
	v->choice = RTLS_CHOICE_DEFAULT;
}

void
rtls_rules_decide (const GPtrArray *rules, const GPtrArray *recipients, gint account_id,
                   RtlsVerdict *out)
{
	const RtlsRule *no_rule = NULL;
	const char *no_addr = NULL;

	rtls_verdict_clear (out);
	for (guint i = 0; recipients != NULL && i < recipients->len; i++) {
		const char *domain = NULL;
		g_autofree gchar *norm
		        = rtls_address_normalise (g_ptr_array_index (recipients, i), &domain);
		if (norm == NULL)
			continue;
		for (guint j = 0; rules != NULL && j < rules->len; j++) {
			const RtlsRule *r = g_ptr_array_index (rules, j);
			if (!r->enabled || (r->account_id >= 0 && r->account_id != account_id)
			    || !rtls_rule_matches (r, norm, domain))
				continue;
			/* the first matching rule decides for this recipient */
			if (r->action == RTLS_CHOICE_REQUIRE) {
				out->choice = RTLS_CHOICE_REQUIRE;
				out->rule = r;
				out->address = g_strdup (g_ptr_array_index (recipients, i));
				return; /* any Require TLS recipient decides the message */
			}
			if (no_rule == NULL) {
				no_rule = r;
				no_addr = g_ptr_array_index (recipients, i);
			}
			break;
		}
	}
	if (no_rule != NULL) {
		out->choice = RTLS_CHOICE_NO_REQUIRE;
		out->rule = no_rule;
		out->address = g_strdup (no_addr);
	}
}

void
rtls_rules_recipients_from_fields (const char *const *fields, GPtrArray *out)
{
	for (guint i = 0; fields != NULL && fields[i] != NULL; i++) {
		g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
		if (!rtls_address_list_parse (fields[i], found, NULL))
			continue;
		for (guint k = 0; k < found->len; k++)
			g_ptr_array_add (out, g_strdup (g_ptr_array_index (found, k)));
	}
}

GPtrArray *
rtls_rules_load (GKeyFile *kf, GPtrArray *problems)
{
	GPtrArray *rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_rule_free);
	g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
	g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (gint64));
	g_autoptr (GPtrArray) names = g_ptr_array_new ();

	/* "rule N" groups, in the order of N (a hand-edited file may have shuffled them) */
	for (guint i = 0; groups[i] != NULL; i++) {
		gchar *end = NULL;
		gint64 n;
		if (!g_str_has_prefix (groups[i], "rule "))
			continue;
		n = g_ascii_strtoll (groups[i] + 5, &end, 10);
		if (end == groups[i] + 5 || *end != '\0' || n < 0) {
			if (problems != NULL)
				g_ptr_array_add (
				        problems,
				        g_strdup_printf (_ ("[%s]: not a rule number"), groups[i]));
			continue;
		}
		g_array_append_val (order, n);
		g_ptr_array_add (names, groups[i]);
	}
	for (guint a = 0; a < order->len; a++) {
		for (guint b = a + 1; b < order->len; b++) {
			if (g_array_index (order, gint64, b) < g_array_index (order, gint64, a)) {
				gint64 t = g_array_index (order, gint64, a);
				gpointer tn = names->pdata[a];
				g_array_index (order, gint64, a) = g_array_index (order, gint64, b);
				g_array_index (order, gint64, b) = t;
				names->pdata[a] = names->pdata[b];
				names->pdata[b] = tn;
			}
		}
	}
	for (guint i = 0; i < names->len && rules->len < RULES_MAX; i++) {
		const char *g = names->pdata[i];
		g_autofree gchar *pattern = g_key_file_get_string (kf, g, "pattern", NULL);
		g_autofree gchar *action = g_key_file_get_string (kf, g, "action", NULL);
		g_autoptr (GError) error = NULL;
		gboolean subdomains = g_key_file_get_boolean (kf, g, "subdomains", NULL);
		gboolean enabled = TRUE;
		gint account = -1;
		RtlsChoice choice = RTLS_CHOICE_DEFAULT;
		RtlsRule *r;

		if (g_key_file_has_key (kf, g, "enabled", NULL)) {
			enabled = g_key_file_get_boolean (kf, g, "enabled", &error);
			if (error != NULL)
				goto broken;
		}
		if (g_key_file_has_key (kf, g, "account", NULL)) {
			account = g_key_file_get_integer (kf, g, "account", &error);
			if (error != NULL)
				goto broken;
		}
		if (action == NULL || !rtls_choice_from_string (action, &choice)) {
			g_set_error (&error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("action must be require or no-require"));
			goto broken;
		}
		r = rtls_rule_new (pattern, subdomains, choice, account, enabled, &error);
		if (r == NULL)
			goto broken;
		g_ptr_array_add (rules, r);
		continue;
	broken:
		if (problems != NULL)
			g_ptr_array_add (problems, g_strdup_printf ("[%s]: %s", g, error->message));
	}
	return rules;
}

void
rtls_rules_save (GKeyFile *kf, const GPtrArray *rules)
{
	g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);

	for (guint i = 0; groups[i] != NULL; i++)
		if (g_str_has_prefix (groups[i], "rule "))
			g_key_file_remove_group (kf, groups[i], NULL);
	for (guint i = 0; rules != NULL && i < rules->len; i++) {
		const RtlsRule *r = g_ptr_array_index (rules, i);
		g_autofree gchar *g = g_strdup_printf ("rule %u", i + 1);
		g_autofree gchar *shown = rtls_rule_display_pattern (r);
		g_key_file_set_string (kf, g, "pattern", shown);
		g_key_file_set_string (kf, g, "action", rtls_choice_to_string (r->action));
		if (r->account_id >= 0)
			g_key_file_set_integer (kf, g, "account", r->account_id);
		g_key_file_set_boolean (kf, g, "enabled", r->enabled);
	}
}

/* One line of the rules text: FALSE with @error for a bad line, TRUE with *@out NULL for a
 * blank or comment line. */
static gboolean
rules_parse_line (const char *text, RtlsRule **out, GError **error)
{
	g_autofree gchar *line = g_strstrip (g_strdup (text));
	g_auto (GStrv) words = NULL;
	RtlsChoice action;
	gint account = -1;
	gboolean enabled = TRUE;
	guint nw = 0;

	*out = NULL;
	if (*line == '\0' || *line == '#')
		return TRUE;
	words = g_strsplit_set (line, " \t", -1);
	for (guint i = 0; words[i] != NULL; i++)
		if (*words[i] != '\0')
			words[nw++] = words[i];
		else
			g_free (words[i]);
	words[nw] = NULL;
	if (nw < 2 || !rtls_choice_from_string (words[0], &action)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("expected “require PATTERN” or “no-require PATTERN”"));
		return FALSE;
	}
	for (guint i = 2; i < nw; i++) {
		if (g_str_has_prefix (words[i], "account=")) {
			gchar *end = NULL;
			gint64 a = g_ascii_strtoll (words[i] + 8, &end, 10);
			if (end == words[i] + 8 || *end != '\0' || a < 0 || a > G_MAXINT) {
				g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
				             _ ("bad account number"));
				return FALSE;
			}
			account = (gint) a;
		} else if (strcmp (words[i], "disabled") == 0) {
			enabled = FALSE;
		} else {
			/* "require not a domain": say why, not only which word */
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("unknown word “%s” after the pattern (a pattern has no "
			                "spaces; only account=N and disabled may follow it)"),
			             words[i]);
			return FALSE;
		}
	}
	*out = rtls_rule_new (words[1], FALSE, action, account, enabled, error);
	return *out != NULL;
}

GPtrArray *
rtls_rules_parse_text_all (const char *text, GPtrArray *problems)
{
	g_autoptr (GPtrArray) rules
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_rule_free);
	g_auto (GStrv) lines = NULL;
	guint bad = 0;

	if (text == NULL || !g_utf8_validate (text, -1, NULL)) {
		g_ptr_array_add (problems, g_strdup (_ ("the rules file is not UTF-8 text")));
		return NULL;
	}
	lines = g_strsplit (text, "\n", -1);
	for (guint n = 0; lines[n] != NULL; n++) {
		g_autoptr (GError) local = NULL;
		RtlsRule *r = NULL;

		if (rules_parse_line (lines[n], &r, &local) && rules->len >= RULES_MAX) {
			rtls_rule_free (g_steal_pointer (&r));
			g_set_error (&local, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("too many rules"));
		}
		if (local != NULL) {
			if (bad++ < RTLS_RULES_PROBLEMS_MAX)
				g_ptr_array_add (problems, g_strdup_printf (_ ("line %u: %s"),
				                                            n + 1, local->message));
			continue;
		}
		if (r != NULL)
			g_ptr_array_add (rules, r);
	}
	if (bad > RTLS_RULES_PROBLEMS_MAX) {
		guint more = bad - RTLS_RULES_PROBLEMS_MAX;
		g_ptr_array_add (problems, g_strdup_printf (ngettext ("and %u more line",
		                                                      "and %u more lines", more),
		                                            more));
	}
	return bad == 0 ? g_steal_pointer (&rules) : NULL;
}

GPtrArray *
rtls_rules_parse_text (const char *text, GError **error)
{
	g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
	GPtrArray *rules = rtls_rules_parse_text_all (text, problems);

	if (rules == NULL)
		g_set_error_literal (error, RTLS_ERROR, RTLS_ERROR_USAGE,
		                     (const char *) g_ptr_array_index (problems, 0));
	return rules;
}

gboolean
rtls_rule_equal (const RtlsRule *a, const RtlsRule *b)
{
	return a->kind == b->kind && a->action == b->action && a->account_id == b->account_id
	       && !a->enabled == !b->enabled && g_strcmp0 (a->key, b->key) == 0;
}

static gboolean
rules_contain (const GPtrArray *rules, const RtlsRule *r)
{
	for (guint i = 0; rules != NULL && i < rules->len; i++)
		if (rtls_rule_equal (g_ptr_array_index (rules, i), r))
			return TRUE;
	return FALSE;
}

GPtrArray *
rtls_rules_import (const GPtrArray *existing, const GPtrArray *incoming, guint *already)
{
	GPtrArray *added = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_rule_free);

	*already = 0;
	for (guint i = 0; incoming != NULL && i < incoming->len; i++) {
		const RtlsRule *r = g_ptr_array_index (incoming, i);
		if (rules_contain (existing, r) || rules_contain (added, r))
			(*already)++;
		else
			g_ptr_array_add (added, rtls_rule_copy (r));
	}
	return added;
}

gchar *
rtls_rules_import_summary (guint added, guint already)
{
	g_autofree gchar *a = NULL, *b = NULL;

	if (added == 0 && already == 0)
		return g_strdup (_ ("The file holds no rules: nothing was added."));
	if (already == 0)
		return g_strdup_printf (ngettext ("%u rule added.", "%u rules added.", added),
		                        added);
	if (added == 0)
		return g_strdup_printf (ngettext ("Nothing added: %u rule is already there.",
		                                  "Nothing added: all %u rules are already there.",
		                                  already),
		                        already);
	a = g_strdup_printf (ngettext ("%u rule added", "%u rules added", added), added);
	b = g_strdup_printf (ngettext ("%u already there", "%u already there", already), already);
	/* TRANSLATORS: "3 rules added" and "2 already there", joined */
	return g_strdup_printf (_ ("%s, %s."), a, b);
}

gchar *
rtls_rules_format_text (const GPtrArray *rules)
{
	GString *s = g_string_new ("# REQUIRETLS rules (claws-requiretls): "
	                           "require|no-require PATTERN [account=N] [disabled]\n");

	for (guint i = 0; rules != NULL && i < rules->len; i++) {
		const RtlsRule *r = g_ptr_array_index (rules, i);
		g_autofree gchar *shown = rtls_rule_display_pattern (r);
		g_string_append_printf (s, "%s %s", rtls_choice_to_string (r->action), shown);
		if (r->account_id >= 0)
			g_string_append_printf (s, " account=%d", r->account_id);
		if (!r->enabled)
			g_string_append (s, " disabled");
		g_string_append_c (s, '\n');
	}
	return g_string_free (s, FALSE);
}
