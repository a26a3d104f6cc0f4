/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_compose.c: the choice in each composer (the plugin's state, never a header row), how
 * it gets into what Claws writes to Drafts and Queue, and the before-send hook that takes
 * REQUIRETLS messages away from Claws' own sender (DESIGN §4).
 */
#include "config.h"

#include "rtls_plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "alertpanel.h"
#include "folder.h"
#include "hooks.h"
#include "log.h"
#include "prefs_common.h"
#include "procheader.h"
#include "procmsg.h"
#include "prefs_toolbar.h"
#include "toolbar.h"
#include "utils.h"

#include "rtls_checks.h"
#include "rtls_precheck.h"
#include "rtls_queuefile.h"
#include "rtls_rules.h"
#include "rtls_send_int.h"

static GHashTable *composers; /* Compose* -> RtlsComposer* */
static gulong hook_created, hook_before_send;
/* Composers with Require TLS that could not be saved to Drafts when the plugin was unloaded
 * (an IMAP Drafts folder offline, a full disk): they stay open, the module stays loaded
 * (hidden) and this hook keeps Claws from sending them until the plugin is loaded again. */
static GList *held;
static gulong hook_held;

gboolean
rtls_compose_alive (Compose *compose)
{
	for (const GList *l = compose_get_compose_list (); l != NULL; l = l->next)
		if (l->data == compose)
			return TRUE;
	return FALSE;
}

RtlsComposer *
rtls_composer_find (Compose *compose)
{
	return composers != NULL ? g_hash_table_lookup (composers, compose) : NULL;
}

/* ---------------------------------------------------- the choice in what Claws writes
 *
 * The choice is this plugin's state per composer (RtlsComposer); no header row holds it.
 * Claws rebuilds and renames its header rows on account change, templates and re-edit
 * (measured: a marker row became "To: auto-require", and Claws sent RCPT TO:<auto-require>).
 *
 * Claws 4.1 and 4.3 have no hook between "the message is written" and "the file goes into
 * its folder", but both write a composer's message to a temporary file with a fixed name and
 * hand that file to folder_item_add_msg() at once (src/compose.c, 4.1.1 and 4.3.1 alike):
 *   compose_draft()      <get_tmp_dir()>/draft.%p       (the Compose*): Drafts, autosave, exit
 *   compose_queue_sub()  <get_tmp_dir()>/queue.%p%08x   (the Compose*, rand()): Queue, Send
 * folder_item_add_msg() stores the file through its folder class's add_msgs (or add_msg).
 * The plugin stands in front of those two entries of the classes its folders use: a file
 * named as the message of one of our composers gets its header block set to the choice
 * before the class stores it; every other file passes untouched. Claws' own sender reads the
 * same file afterwards, so what Claws sends, what Queue holds and what Drafts hold agree.
 *
 * In the header block (never in Claws' special headers, which its sender drops):
 *   Require TLS        X-RequireTLS-Request: require (by hand) / auto-require (by a rule)
 *   Don't require TLS  TLS-Required: No (RFC 8689 §5), exactly once
 *   Default by hand    X-RequireTLS-Request: default, in Drafts only (never in what is sent)
 * Any other X-RequireTLS-Request or TLS-Required field is removed: the choice is the only
 * source of both (a redirected message, or a row the person typed, cannot add a second one).
 */

typedef gint (*RtlsAddMsgFn) (Folder *folder, FolderItem *dest, const gchar *file, MsgFlags *flags);
typedef gint (*RtlsAddMsgsFn) (Folder *folder, FolderItem *dest, GSList *file_list,
                               GHashTable *relation);

typedef struct {
	FolderClass *klass;
	gchar *idstr; /* to find the class again at unload: a plugin's class may be gone */
	RtlsAddMsgFn add_msg;
	RtlsAddMsgsFn add_msgs;
} RtlsClassWrap;

static GPtrArray *wrapped; /* RtlsClassWrap* */

static RtlsClassWrap *
wrap_find (FolderClass *klass)
{
	for (guint i = 0; wrapped != NULL && i < wrapped->len; i++) {
		RtlsClassWrap *w = g_ptr_array_index (wrapped, i);
		if (w->klass == klass)
			return w;
	}
	return NULL;
}

/* The composer whose message @file is, or NULL; @draft tells Drafts from Queue. */
static RtlsComposer *
writer_of (const char *file, gboolean *draft)
{
	const char *tmp = get_tmp_dir ();
	gsize n = strlen (tmp);
	const char *base;
	GHashTableIter it;
	gpointer key, value;

	if (composers == NULL || file == NULL || strncmp (file, tmp, n) != 0
	    || file[n] != G_DIR_SEPARATOR)
		return NULL;
	base = file + n + 1;
	g_hash_table_iter_init (&it, composers);
	while (g_hash_table_iter_next (&it, &key, &value)) {
		g_autofree gchar *d = g_strdup_printf ("draft.%p", key);
		g_autofree gchar *q = g_strdup_printf ("queue.%p", key);
		gsize qn = strlen (q);
		if (strcmp (base, d) == 0) {
			*draft = TRUE;
			return value;
		}
		if (strncmp (base, q, qn) == 0 && strlen (base + qn) == 8) {
			gboolean hex = TRUE;
			for (const char *p = base + qn; *p != '\0'; p++)
				hex = hex && g_ascii_isxdigit (*p);
			if (hex) {
				*draft = FALSE;
				return value;
			}
		}
	}
	return NULL;
}

/* The fields the choice of @c puts into a message written for Drafts (@draft) or Queue. */
static const char *
stamp_field (const RtlsComposer *c, gboolean draft)
{
	switch (c->choice) {
	case RTLS_CHOICE_REQUIRE:
		return c->manual ? RTLS_MARKER_HEADER ": require"
		                 : RTLS_MARKER_HEADER ": auto-require";
	case RTLS_CHOICE_NO_REQUIRE:
		return RTLS_TLS_REQUIRED_HEADER ": No";
	case RTLS_CHOICE_DEFAULT:
	default:
		return draft && c->manual ? RTLS_MARKER_HEADER ": default" : NULL;
	}
}

static gboolean
field_is_ours (const char *line)
{
	static const char *const names[] = { RTLS_MARKER_HEADER, RTLS_TLS_REQUIRED_HEADER };

	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		gsize n = strlen (names[i]);
		if (g_ascii_strncasecmp (line, names[i], n) == 0) {
			const char *p = line + n;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == ':')
				return TRUE;
		}
	}
	return FALSE;
}

/* Rewrites the Claws file at @path (special headers, "X-Claws-End-Special-Headers:", then
 * the RFC 5322 message): in the message's header block every X-RequireTLS-Request and
 * TLS-Required field goes, and @field (if any) is added at its end. Everything else is kept
 * byte for byte. The new file replaces the old one only when it was written completely. */
static gboolean
stamp_file (const char *path, const char *field, GError **error)
{
	g_autofree gchar *out_path = g_strconcat (path, ".rtls", NULL);
	FILE *in = NULL, *out = NULL;
	gchar *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int phase = 0; /* 0 special headers, 1 header block, 2 body */
	gboolean skipping = FALSE, ok = FALSE;
	GStatBuf st;
	int fd;

	in = g_fopen (path, "rb");
	if (in == NULL || fstat (fileno (in), &st) < 0)
		goto io_error;
	fd = g_open (out_path, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0777);
	if (fd < 0 || (out = fdopen (fd, "wb")) == NULL) {
		if (fd >= 0)
			close (fd);
		goto io_error;
	}
	while (phase < 2 && (len = getline (&line, &cap, in)) > 0) {
		gboolean blank = strcmp (line, "\n") == 0 || strcmp (line, "\r\n") == 0;
		if (phase == 0) {
			if (blank) {
				g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s",
				             "no end of Claws' special headers");
				goto out;
			}
			if (g_ascii_strncasecmp (line, "X-Claws-End-Special-Headers:", 28) == 0)
				phase = 1;
		} else if (blank) {
			if (field != NULL && fprintf (out, "%s%s", field, line) < 0)
				goto io_error;
			phase = 2;
		} else if (*line == ' ' || *line == '\t') {
			if (skipping)
				continue;
		} else {
			skipping = field_is_ours (line);
			if (skipping)
				continue;
		}
		if (fwrite (line, 1, (size_t) len, out) != (size_t) len)
			goto io_error;
	}
	if (ferror (in))
		goto io_error;
	if (phase == 0) {
		g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s",
		             "no end of Claws' special headers");
		goto out;
	}
	if (phase == 1 && field != NULL && fprintf (out, "%s\n", field) < 0)
		goto io_error; /* a header block without a body */
	if (phase == 2) {
		gchar buf[65536];
		size_t n;
		while ((n = fread (buf, 1, sizeof buf, in)) > 0)
			if (fwrite (buf, 1, n, out) != n)
				goto io_error;
		if (ferror (in))
			goto io_error;
	}
	if (fflush (out) != 0 || fsync (fileno (out)) != 0)
		goto io_error;
	if (fclose (out) != 0) {
		out = NULL;
		goto io_error;
	}
	out = NULL;
	if (g_rename (out_path, path) != 0)
		goto io_error;
	ok = TRUE;
	goto out;
io_error:
	g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s",
	             g_strerror (errno));
out:
	free (line);
	if (in != NULL)
		fclose (in);
	if (out != NULL)
		fclose (out);
	if (!ok)
		g_unlink (out_path);
	return ok;
}

/* Sets the choice into @file when it is the message of one of our composers. FALSE (the
 * folder class is then not called, and Claws says the message could not be saved or
 * queued, leaving it in the composer) when that message could not be rewritten. */
static gboolean
stamp_if_ours (const char *file)
{
	gboolean draft = FALSE;
	RtlsComposer *c = writer_of (file, &draft);
	g_autoptr (GError) error = NULL;
	const char *field;

	if (c == NULL)
		return TRUE;
	field = stamp_field (c, draft);
	if (!stamp_file (file, field, &error)) {
		log_error (LOG_PROTOCOL,
		           _ ("REQUIRETLS: the choice could not be written into the message (%s); "
		              "it was not saved\n"),
		           error->message);
		return FALSE;
	}
	g_debug ("REQUIRETLS: %s written with %s", draft ? "draft" : "queue entry",
	         field != NULL ? field : "nothing of ours");
	return TRUE;
}

static gint
wrap_add_msg (Folder *folder, FolderItem *dest, const gchar *file, MsgFlags *flags)
{
	RtlsClassWrap *w = wrap_find (folder->klass);

	if (w == NULL || w->add_msg == NULL)
		return -1;
	if (!stamp_if_ours (file))
		return -1;
	return w->add_msg (folder, dest, file, flags);
}

static gint
wrap_add_msgs (Folder *folder, FolderItem *dest, GSList *file_list, GHashTable *relation)
{
	RtlsClassWrap *w = wrap_find (folder->klass);

	if (w == NULL || w->add_msgs == NULL)
		return -1;
	for (GSList *l = file_list; l != NULL; l = l->next) {
		MsgFileInfo *fi = l->data;
		if (!stamp_if_ours (fi->file))
			return -1;
	}
	return w->add_msgs (folder, dest, file_list, relation);
}

/* Stands in front of @klass (once). FALSE when that class cannot store a message at all. */
static gboolean
wrap_class (FolderClass *klass)
{
	RtlsClassWrap *w;

	if (klass == NULL || (klass->add_msg == NULL && klass->add_msgs == NULL))
		return FALSE;
	if (klass->add_msg == wrap_add_msg || klass->add_msgs == wrap_add_msgs)
		return wrap_find (klass) != NULL;
	w = wrap_find (klass);
	if (w == NULL) {
		w = g_new0 (RtlsClassWrap, 1);
		w->klass = klass;
		g_ptr_array_add (wrapped, w);
	}
	/* a class registered again at the same address: take its entries afresh */
	g_free (w->idstr);
	w->idstr = g_strdup (klass->idstr);
	w->add_msg = klass->add_msg;
	w->add_msgs = klass->add_msgs;
	if (klass->add_msg != NULL)
		klass->add_msg = wrap_add_msg;
	if (klass->add_msgs != NULL)
		klass->add_msgs = wrap_add_msgs;
	g_debug ("REQUIRETLS: writing the choice into %s folders", klass->idstr);
	return TRUE;
}

/* Every class with a folder now (Drafts and Queue may be in any of them). */
static void
wrap_folder_classes (void)
{
	for (GList *l = folder_get_list (); l != NULL; l = l->next)
		wrap_class (((Folder *) l->data)->klass);
}

static void
unwrap_folder_classes (void)
{
	for (guint i = 0; wrapped != NULL && i < wrapped->len; i++) {
		RtlsClassWrap *w = g_ptr_array_index (wrapped, i);
		/* only a class still registered: a plugin's class may be gone with its module */
		FolderClass *k = w->idstr != NULL ? folder_get_class_from_string (w->idstr) : NULL;
		if (k == w->klass) {
			if (k->add_msg == wrap_add_msg)
				k->add_msg = w->add_msg;
			if (k->add_msgs == wrap_add_msgs)
				k->add_msgs = w->add_msgs;
		}
		g_free (w->idstr);
	}
	g_clear_pointer (&wrapped, g_ptr_array_unref);
}

/* TRUE when the header block of the message in @path has "TLS-Required: No" (RFC 8689 §5).
 * Someone else's X-RequireTLS-Request in it means nothing to us. */
static gboolean
message_says_tls_not_required (const char *path)
{
	FILE *f = g_fopen (path, "rb");
	gchar *line = NULL;
	size_t cap = 0;
	gboolean found = FALSE;

	if (f == NULL)
		return FALSE;
	while (!found && getline (&line, &cap, f) > 0 && strcmp (line, "\n") != 0
	       && strcmp (line, "\r\n") != 0) {
		gsize n = strlen (RTLS_TLS_REQUIRED_HEADER);
		if (g_ascii_strncasecmp (line, RTLS_TLS_REQUIRED_HEADER, n) == 0
		    && line[n] == ':') {
			g_autofree gchar *v = g_strstrip (g_strdup (line + n + 1));
			found = g_ascii_strcasecmp (v, "no") == 0;
		}
	}
	free (line);
	fclose (f);
	return found;
}

/* What a message the composer starts from says about the choice: a re-edited draft or
 * queue entry keeps it (our marker, or TLS-Required: No); a redirected message keeps its own
 * TLS-Required: No, never a marker someone else wrote. Replies, forwards, templates and
 * mailto: start from the rules and the default. */
static gboolean
choice_from_message (Compose *compose, RtlsChoice *choice, gboolean *manual)
{
	g_autofree gchar *path = NULL;
	RtlsChoice ch = RTLS_CHOICE_DEFAULT;
	gboolean by_hand = FALSE;

	if (compose->mode == COMPOSE_REDIRECT) {
		if (compose->redirect_filename == NULL
		    || !message_says_tls_not_required (compose->redirect_filename))
			return FALSE;
		*choice = RTLS_CHOICE_NO_REQUIRE;
		*manual = TRUE;
		return TRUE;
	}
	if (compose->mode == COMPOSE_REEDIT && compose->targetinfo != NULL)
		path = procmsg_get_message_file (compose->targetinfo);
	if (path == NULL || !rtls_message_file_choice (path, &ch, &by_hand) || !by_hand)
		return FALSE;
	*choice = ch;
	*manual = TRUE;
	return TRUE;
}

/* Drafts written by the previous release kept the choice in header rows, and Claws makes
 * rows of them again on re-edit (X-Claws-Manual-Headers): empty them, so that only the
 * choice writes these fields. TRUE when there were any. */
static gboolean
clear_legacy_rows (Compose *compose)
{
	gboolean any = FALSE;

	for (GSList *l = compose->header_list; l != NULL; l = l->next) {
		ComposeHeaderEntry *e = l->data;
		g_autofree gchar *n = rtls_ui_row_name (e->combo);
		if (g_ascii_strcasecmp (n, RTLS_MARKER_HEADER) == 0
		    || g_ascii_strcasecmp (n, RTLS_TLS_REQUIRED_HEADER) == 0) {
			rtls_ui_row_clear (e->combo, e->entry);
			any = TRUE;
		}
	}
	return any;
}
static const char *
choice_label (RtlsChoice c)
{
	switch (c) {
	case RTLS_CHOICE_REQUIRE:
		return _ ("Require TLS");
	case RTLS_CHOICE_NO_REQUIRE:
		return _ ("Don't require TLS");
	default:
		return _ ("Default");
	}
}

static gboolean
row_is_recipient (const char *name)
{
	static const char *const std[] = { "To:", "Cc:", "Bcc:" };
	g_autofree gchar *with_colon = g_strconcat (name, ":", NULL);

	for (guint i = 0; i < G_N_ELEMENTS (std); i++)
		if (g_ascii_strcasecmp (with_colon, std[i]) == 0
		    || strcmp (with_colon, prefs_common_translated_header_name (std[i])) == 0)
			return TRUE;
	return FALSE;
}

static void
composer_free (RtlsComposer *c)
{
	g_free (c->domain_warning);
	g_free (c->conversation);
	if (c->rcpts != NULL)
		g_ptr_array_unref (c->rcpts);
	if (c->domains != NULL)
		g_ptr_array_unref (c->domains);
	g_free (c);
}

/* The domain of @addr (lower case, a new string), or NULL. */
static gchar *
domain_of (const char *addr)
{
	const char *at = strrchr (addr, '@');

	return at != NULL && at[1] != '\0' ? g_ascii_strdown (at + 1, -1) : NULL;
}

/* Readiness on the status line (issue 22): with Require TLS (or after Check recipients),
 * per recipient domain what is known and since when. What would come back leads: the last
 * REQUIRETLS bounce of a domain (as before), then what the checks say would bounce; what is
 * ready or not known follows the choice; every sentence is in the tooltip. By index only. */
static void
show_readiness (RtlsComposer *c)
{
	g_autoptr (GString) lead = g_string_new (NULL);
	g_autoptr (GString) tail = g_string_new (NULL);
	g_autoptr (GString) tip = g_string_new (NULL);
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	gboolean shown = c->choice == RTLS_CHOICE_REQUIRE || c->check_asked;

	if (c->ui == NULL)
		return;
	if (c->choice == RTLS_CHOICE_REQUIRE && c->domain_warning != NULL)
		g_string_append (lead, c->domain_warning);
	for (guint i = 0; shown && c->domains != NULL && i < c->domains->len; i++) {
		const char *d = g_ptr_array_index (c->domains, i);
		RtlsPrecheckFacts f;
		const char *why = NULL;
		RtlsReadiness v;
		g_autofree gchar *said = NULL;
		gboolean warned;
		rtls_checks_facts (d, &f);
		said = rtls_precheck_sentence (d, &f, now, &v);
		rtls_precheck_verdict (&f, &why);
		g_string_append_printf (tip, "%s%s", tip->len > 0 ? "\n" : "", said);
		/* the bounce the line leads with says this already, in its own words */
		warned = c->domain_warning != NULL && g_str_has_prefix (c->domain_warning, d)
		         && c->domain_warning[strlen (d)] == ' ';
		if (warned && g_str_equal (why, "returned-before"))
			continue;
		if (v == RTLS_READINESS_WILL_BOUNCE && c->choice == RTLS_CHOICE_REQUIRE)
			g_string_append_printf (lead, "%s%s", lead->len > 0 ? " · " : "", said);
		else
			g_string_append_printf (tail, "%s%s", tail->len > 0 ? " · " : "", said);
	}
	if (tip->len > 0)
		g_debug ("REQUIRETLS: readiness: %s", tip->str);
	rtls_compose_ui_set_readiness (c->ui, lead->len > 0 ? lead->str : NULL,
	                               tail->len > 0 ? tail->str : NULL,
	                               tip->len > 0 ? tip->str : NULL);
}

/* The status line: the choice, why, and readiness (with Require TLS the memory of the last
 * bounce for a recipient's domain leads it, as before). */
static void
show_choice (RtlsComposer *c, const char *reason)
{
	if (c->ui == NULL)
		return;
	rtls_compose_ui_set_choice (c->ui, c->choice, reason);
	show_readiness (c);
}

/* Asks for the readiness of the recipients' domains (off the main loop; what is fresh in
 * the cache is not checked again unless @force, the person's Check recipients). */
static void
check_recipients (RtlsComposer *c, gboolean force)
{
	if (c->domains == NULL || c->domains->len == 0)
		return;
	rtls_checks_request (c, c->domains, force);
	c->checked_hash = c->recipients_hash;
	show_readiness (c);
}

void
rtls_compose_checks_changed (void)
{
	GHashTableIter it;
	gpointer key, value;

	if (composers == NULL)
		return;
	g_hash_table_iter_init (&it, composers);
	while (g_hash_table_iter_next (&it, &key, &value)) {
		RtlsComposer *c = value;
		if (!c->gone && c->send == NULL)
			show_readiness (c);
	}
}

static void
update_domain_warning (RtlsComposer *c, GPtrArray *rcpts)
{
	g_clear_pointer (&c->domain_warning, g_free);
	for (guint i = 0; i < rcpts->len && c->domain_warning == NULL; i++) {
		const char *at = strrchr (g_ptr_array_index (rcpts, i), '@');
		if (at != NULL)
			c->domain_warning = rtls_bounce_domain_warning (at + 1);
	}
	if (c->domain_warning != NULL)
		g_debug ("REQUIRETLS: domain warning: %s", c->domain_warning);
}

/* Applies the rules to the recipients in the composer (To, Cc, Bcc rows, parsed with
 * libetpan). A choice made by hand stays; the status line then says what the rules ask. */
static void
evaluate_rules (RtlsComposer *c, gboolean force)
{
	Compose *compose = c->compose;
	g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GString) all = g_string_new (NULL);
	g_autofree gchar *reason = NULL, *shown = NULL;
	RtlsVerdict v = { 0 };
	RtlsChoice target;
	guint hash;

	for (GSList *l = compose->header_list; l != NULL; l = l->next) {
		ComposeHeaderEntry *e = l->data;
		g_autofree gchar *name = rtls_ui_row_name (e->combo);
		gchar *value;
		if (!row_is_recipient (name))
			continue;
		value = rtls_ui_row_value (e->entry);
		g_string_append_printf (all, "%s\n%s\n", name, value);
		g_ptr_array_add (fields, value);
	}
	g_string_append_printf (all, "%d", compose->account ? compose->account->account_id : -1);
	hash = g_str_hash (all->str);
	if (!force && hash == c->recipients_hash)
		return;
	c->recipients_hash = hash;
	if (compose->account != NULL && compose->account->account_id != c->account_id) {
		/* Claws rebuilds the header rows on this change; the choice is not in them */
		c->account_id = compose->account->account_id;
		g_debug ("REQUIRETLS: composer account %d", c->account_id);
	}
	g_ptr_array_add (fields, NULL);
	rtls_rules_recipients_from_fields ((const char *const *) fields->pdata, rcpts);
	update_domain_warning (c, rcpts);
	if (c->domains != NULL)
		g_ptr_array_unref (c->domains);
	c->domains = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; i < rcpts->len; i++) {
		g_autofree gchar *d = domain_of (g_ptr_array_index (rcpts, i));
		if (d != NULL
		    && !g_ptr_array_find_with_equal_func (c->domains, d, g_str_equal, NULL))
			g_ptr_array_add (c->domains, g_steal_pointer (&d));
	}
	if (c->rcpts != NULL)
		g_ptr_array_unref (c->rcpts);
	c->rcpts = g_ptr_array_ref (rcpts);
	rtls_rules_decide (rtls_config_rules (), rcpts,
	                   compose->account ? compose->account->account_id : -1, &v);
	if (v.rule != NULL) {
		shown = rtls_rule_display_pattern (v.rule);
		reason = g_strdup_printf (_ ("%s — rule: %s (%s)"), choice_label (v.choice), shown,
		                          v.address);
	}
	/* a rule decides; where none does, a reply in a conversation the person began with
	 * Require TLS goes on with it, instead of the default */
	if (v.rule == NULL && c->conversation != NULL)
		reason = g_strdup (c->conversation);
	target = v.rule != NULL            ? v.choice
	         : c->conversation != NULL ? RTLS_CHOICE_REQUIRE
	                                   : rtls_config_default_choice ();
	if (!c->manual) {
		if (target != c->choice) {
			c->choice = target;
			g_debug ("REQUIRETLS: choice %s (rules)", rtls_choice_to_string (target));
		}
		show_choice (c, reason);
	} else {
		/* Said from the moment of the choice, and again whenever the recipients change:
		 * the person sees that a rule asks otherwise. */
		g_autofree gchar *note = NULL;
		if (v.rule != NULL && v.choice != c->choice)
			note = g_strdup_printf (_ ("%s — chosen by hand; rule %s asks for %s (%s)"),
			                        choice_label (c->choice), shown,
			                        choice_label (v.choice), v.address);
		show_choice (c, note);
	}
	rtls_verdict_clear (&v);
}

static gboolean
rules_tick (gpointer data)
{
	RtlsComposer *c = data;
	guint before = c->recipients_hash;

	if (c->gone) {
		c->rules_timer = 0;
		return G_SOURCE_REMOVE;
	}
	if (c->send == NULL)
		evaluate_rules (c, FALSE);
	/* the recipients settled (unchanged for a tick after a change): their readiness */
	if (c->send == NULL && c->recipients_hash == before && c->checked_hash != before
	    && c->choice == RTLS_CHOICE_REQUIRE)
		check_recipients (c, FALSE);
	return G_SOURCE_CONTINUE;
}

static void
ui_check_cb (gpointer data)
{
	RtlsComposer *c = data;

	c->check_asked = TRUE;
	evaluate_rules (c, TRUE);
	g_debug ("REQUIRETLS: check recipients");
	check_recipients (c, TRUE);
}

void
rtls_composer_set_choice (RtlsComposer *c, RtlsChoice choice, gboolean manual)
{
	c->choice = choice;
	c->manual = manual;
	if (c->compose != NULL && !c->gone)
		evaluate_rules (c, TRUE);
}

static void
ui_choice_cb (gpointer data, RtlsChoice choice)
{
	RtlsComposer *c = data;

	c->choice = choice;
	c->manual = TRUE;
	c->compose->modified = TRUE;
	/* not debug_print(): its expansion does not match the one Debian built Claws with */
	g_debug ("REQUIRETLS: choice %s", rtls_choice_to_string (choice));
	evaluate_rules (c, TRUE);
	if (choice == RTLS_CHOICE_REQUIRE)
		check_recipients (c, FALSE);
}

static void send_cancel_cb (gpointer data);

/* The composer's window is being destroyed. Claws tells plugins nothing else, and the next
 * composer may well be allocated at the same address: its record must never be this one. */
static void
composer_gone (gpointer data)
{
	RtlsComposer *c = data;

	c->gone = TRUE;
	c->destroy_id = 0;
	if (c->rules_timer != 0)
		g_source_remove (c->rules_timer);
	c->rules_timer = 0;
	rtls_checks_forget (c); /* its checks stop unless another composer waits for them */
	rtls_compose_ui_forget (c->ui);
	c->ui = NULL;
	if (composers != NULL && g_hash_table_lookup (composers, c->compose) == c)
		g_hash_table_remove (composers, c->compose);
	c->compose = NULL;
	if (c->send == NULL && !c->asking)
		composer_free (c);
}

void
rtls_composer_send_over (RtlsComposer *c)
{
	c->send = NULL;
	if (c->gone)
		composer_free (c);
}

/* ---------------------------------------------------------------- the toolbar item */

/* The compose toolbar item, registered through Claws' plugin toolbar API so that it is
 * placed, moved and removed in Preferences → Toolbars like Claws' own. Claws keys the item
 * "plugin name/item name", labels the button with that key and saves it in
 * toolbar_compose.xml: the item name stays untranslated, or a change of language would lose
 * the item from the toolbar. */
#define RTLS_TOOLBAR_ITEM "TLS on every hop"
/* in the rc dir once the item was put into the compose toolbar: a person who removed it
 * keeps it removed */
#define RTLS_TOOLBAR_STAMP "requiretls-toolbar"

static gchar *
toolbar_item_key (void)
{
	return g_strconcat (RTLS_PLUGIN_NAME, "/", RTLS_TOOLBAR_ITEM, NULL);
}

static void
toolbar_item_cb (gpointer parent, const gchar *item_name, gpointer data)
{
	RtlsComposer *c = rtls_composer_find ((Compose *) parent);

	if (c != NULL && c->ui != NULL && c->send == NULL)
		rtls_compose_ui_toolbar_clicked (c->ui);
}

/* The first time the plugin runs, its item goes into the compose toolbar, once: right after
 * Send later (else Send, else at the end), where a person looks when sending and where
 * the toolbar's overflow menu does not take it first at Claws' default composer width.
 * What the person does with it in Preferences → Toolbars stays. */
static void
toolbar_item_offer (void)
{
	g_autofree gchar *stamp = rtls_rc_path (RTLS_TOOLBAR_STAMP);
	g_autofree gchar *key = toolbar_item_key ();
	gboolean there = FALSE;
	ToolbarItem item = { 0 };

	if (g_file_test (stamp, G_FILE_TEST_EXISTS))
		return;
	toolbar_read_config_file (TOOLBAR_COMPOSE); /* Claws' defaults when there is no file */
	for (GSList *l = toolbar_get_list (TOOLBAR_COMPOSE); l != NULL; l = l->next) {
		ToolbarItem *t = l->data;
		if (t->index == A_CLAWS_PLUGINS && t->text != NULL && g_str_equal (t->text, key))
			there = TRUE;
	}
	if (!there) {
		GSList *after = NULL;
		for (GSList *l = toolbar_get_list (TOOLBAR_COMPOSE); l != NULL; l = l->next) {
			ToolbarItem *t = l->data;
			if (t->index == A_SEND_LATER || (t->index == A_SEND && after == NULL))
				after = l;
		}
		item.index = A_CLAWS_PLUGINS;
		item.file = (gchar *) "mail_send";
		item.text = key;
		if (after != NULL) {
			/* into Claws' own list (its head stays), as toolbar_set_list_item()
			 * would have made the item */
			ToolbarItem *t = g_new0 (ToolbarItem, 1);
			t->index = item.index;
			t->file = g_strdup (item.file);
			t->text = g_strdup (item.text);
			after->next = g_slist_prepend (after->next, t);
		} else {
			toolbar_set_list_item (&item, TOOLBAR_COMPOSE);
		}
		toolbar_save_config_file (TOOLBAR_COMPOSE);
		g_debug ("REQUIRETLS: toolbar item added to the compose toolbar");
	}
	if (!g_file_set_contents (stamp, "the compose toolbar item was offered\n", -1, NULL))
		g_warning ("REQUIRETLS: cannot write %s", stamp);
}

/* Why a reply starts with Require TLS (issue 22 §3): the message it answers, or one before
 * it in References, is the person's own and went out with REQUIRETLS (the history knows it
 * by Message-ID; at most 20 looked up, each by index). Never for a mailing list (List-Id or
 * List-Post on the message replied to, or Reply to list): what goes to a list goes to
 * everyone on it. NULL: none of that. */
static gchar *
conversation_reason (Compose *compose)
{
	MsgInfo *m = compose->replyinfo;
	g_autoptr (GPtrArray) ids = NULL;
	gchar *list_id = NULL;

	if (m == NULL || compose->mode == COMPOSE_REPLY_TO_LIST
	    || compose->mode == COMPOSE_REPLY_TO_LIST_WITH_QUOTE
	    || compose->mode == COMPOSE_REPLY_TO_LIST_WITHOUT_QUOTE)
		return NULL;
	if (m->extradata != NULL && m->extradata->list_post != NULL)
		return NULL;
	if (procheader_get_header_from_msginfo (m, &list_id, "List-Id:") == 0 && list_id != NULL) {
		g_free (list_id);
		return NULL;
	}
	g_free (list_id);
	ids = rtls_conversation_ids (compose->inreplyto, compose->references, 20);
	for (guint i = 0; i < ids->len; i++) {
		g_autoptr (GPtrArray) at
		        = rtls_send_attempts_about (NULL, 0, g_ptr_array_index (ids, i));
		const RtlsAttempt *a = rtls_attempts_sent_requiretls (at);
		if (a != NULL) {
			g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (a->started);
			g_autofree gchar *day = dt != NULL ? g_date_time_format (dt, _ ("%-e %b"))
			                                   : g_strdup ("?");
			g_debug ("REQUIRETLS: a reply in a Require TLS conversation (%s)",
			         (const char *) g_ptr_array_index (ids, i));
			return g_strdup_printf (
			        _ ("Require TLS — a reply in a conversation you began "
			           "with Require TLS (“%s”, %s)"),
			        a->subject != NULL ? a->subject : "", day);
		}
	}
	return NULL;
}

static void
attach (Compose *compose)
{
	RtlsComposer *c;
	gboolean manual = FALSE, cleared;
	RtlsChoice choice = RTLS_CHOICE_DEFAULT;

	if (rtls_composer_find (compose) != NULL)
		return;
	c = g_new0 (RtlsComposer, 1);
	c->compose = compose;
	g_hash_table_insert (composers, compose, c);
	if (compose->window != NULL)
		c->destroy_id = rtls_ui_on_destroy (compose->window, composer_gone, c);

	/* Drafts and queue entries of this composer get the choice when Claws stores them,
	 * whatever folder the account (or the next one chosen) keeps them in. */
	wrap_folder_classes ();
	cleared = clear_legacy_rows (compose);
	if (!choice_from_message (compose, &choice, &manual))
		manual = FALSE;
	if (!manual)
		c->conversation = conversation_reason (compose);
	if (!manual)
		choice = c->conversation != NULL ? RTLS_CHOICE_REQUIRE
		                                 : rtls_config_default_choice ();
	if (g_list_find (held, compose) != NULL) {
		/* held when the plugin was unloaded: its choice was Require TLS */
		choice = RTLS_CHOICE_REQUIRE;
		manual = TRUE;
		held = g_list_remove (held, compose);
	}

	if (compose->ui_manager != NULL) {
		g_autofree gchar *key = toolbar_item_key ();
		c->ui = rtls_compose_ui_attach (compose->ui_manager, compose->handlebox, key,
		                                GTK_BOX (compose->vbox), compose->handlebox,
		                                ui_choice_cb, send_cancel_cb, c);
		rtls_compose_ui_set_check_fn (c->ui, ui_check_cb);
	}
	rtls_composer_set_choice (c, choice, manual);
	g_debug ("REQUIRETLS: new composer, choice %s%s", rtls_choice_to_string (choice),
	         manual ? " (kept)" : "");
	/* Recipients change as the person types: look again when typing pauses (a cheap hash
	 * of the rows decides whether anything changed), never on each key press. */
	evaluate_rules (c, TRUE);
	c->rules_timer = g_timeout_add (600, rules_tick, c);
	/* Emptying the rows of an old draft is not a change by the person. */
	if (cleared && compose->mode == COMPOSE_REEDIT)
		compose->modified = FALSE;
}

static void
detach (RtlsComposer *c)
{
	rtls_checks_forget (c);
	rtls_ui_disconnect (c->compose->window, c->destroy_id);
	c->destroy_id = 0;
	if (c->rules_timer != 0)
		g_source_remove (c->rules_timer);
	c->rules_timer = 0;
	rtls_compose_ui_detach (c->ui);
	c->ui = NULL;
}

static gboolean
created_hook (gpointer source, gpointer data)
{
	attach ((Compose *) source);
	return FALSE;
}

/* The recipients whose domain would return a REQUIRETLS message (addr-specs); their
 * domains' sentences into @why (may be NULL), one a line. */
static GPtrArray *
will_bounce (RtlsComposer *c, GString *why)
{
	GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	g_autoptr (GHashTable) said = g_hash_table_new (g_str_hash, g_str_equal);

	for (guint i = 0; c->rcpts != NULL && i < c->rcpts->len; i++) {
		const char *a = g_ptr_array_index (c->rcpts, i);
		g_autofree gchar *d = domain_of (a);
		RtlsPrecheckFacts f;
		RtlsReadiness v;
		g_autofree gchar *sentence = NULL;
		if (d == NULL)
			continue;
		rtls_checks_facts (d, &f);
		sentence = rtls_precheck_sentence (d, &f, now, &v);
		if (v != RTLS_READINESS_WILL_BOUNCE)
			continue;
		g_ptr_array_add (out, g_strdup (a));
		if (why != NULL && !g_hash_table_contains (said, d)) {
			g_hash_table_add (said, (gpointer) g_intern_string (d));
			g_string_append_printf (why, "%s\n", sentence);
		}
	}
	return out;
}

/* Presses Send again for the person, with their answer (the hook lets it through once). */
static void
send_again (RtlsComposer *c)
{
	c->bounce_answered = TRUE;
	if (!rtls_ui_activate (c->compose->ui_manager, "/Menu/Message/Send"))
		compose_send (c->compose);
}

/* The will-bounce question: named recipients, four answers, each said in the log. */
static gboolean
ask_bounce (gpointer data)
{
	RtlsComposer *c = data;
	g_autoptr (GString) why = g_string_new (NULL);
	g_autoptr (GPtrArray) bouncing = NULL;
	g_autofree gchar *names = NULL, *headline = NULL, *details = NULL;
	RtlsBounceAnswer answer;
	guint left;

	if (c->gone) {
		c->asking = FALSE;
		if (c->send == NULL)
			composer_free (c);
		return G_SOURCE_REMOVE;
	}
	bouncing = will_bounce (c, why);
	left = c->rcpts->len - bouncing->len;
	g_ptr_array_add (bouncing, NULL);
	names = g_strjoinv (", ", (gchar **) bouncing->pdata);
	g_ptr_array_remove_index (bouncing, bouncing->len - 1);
	headline = g_strdup_printf (
	        ngettext ("This message would come back from %s.",
	                  "This message would come back from these recipients: %s.", bouncing->len),
	        names);
	details = g_strdup_printf (
	        "%s\n%s", why->str,
	        left > 0 ? _ ("Send anyway: with REQUIRETLS to everyone, as it is. Remove them: "
	                      "they are taken out of the message, which goes to the others with "
	                      "REQUIRETLS. Don't require TLS: sent as usual, without REQUIRETLS "
	                      "(the choice becomes Default). Back to editing: nothing is sent.")
	                 : _ ("Send anyway: with REQUIRETLS, as it is. Don't require TLS: sent as "
	                      "usual, without REQUIRETLS (the choice becomes Default). Back to "
	                      "editing: nothing is sent."));
	g_debug ("REQUIRETLS: asking before sending to %s", names);
	answer = rtls_ui_bounce_question (GTK_WINDOW (c->compose->window), headline, details,
	                                  left > 0);
	c->asking = FALSE;
	if (c->gone) {
		if (c->send == NULL)
			composer_free (c);
		return G_SOURCE_REMOVE;
	}
	switch (answer) {
	case RTLS_BOUNCE_SEND_ANYWAY:
		g_debug ("REQUIRETLS: will-bounce answer: send anyway");
		send_again (c);
		break;
	case RTLS_BOUNCE_REMOVE:
		g_debug ("REQUIRETLS: will-bounce answer: remove %s", names);
		/* the rest goes with REQUIRETLS even if a rule chose it for one of those removed */
		c->manual = TRUE;
		for (GSList *l = c->compose->header_list; l != NULL; l = l->next) {
			ComposeHeaderEntry *e = l->data;
			g_autofree gchar *name = rtls_ui_row_name (e->combo);
			g_autofree gchar *value = NULL, *rest = NULL;
			if (!row_is_recipient (name))
				continue;
			value = rtls_ui_row_value (e->entry);
			rest = rtls_precheck_row_without (value, bouncing);
			if (rest != NULL)
				rtls_ui_row_set_value (e->entry, rest);
		}
		log_message (LOG_PROTOCOL,
		             _ ("REQUIRETLS: %s taken out of the recipients (the message would "
		                "come back from them)\n"),
		             names);
		evaluate_rules (c, TRUE);
		send_again (c);
		break;
	case RTLS_BOUNCE_NO_REQUIRE:
		g_debug ("REQUIRETLS: will-bounce answer: default");
		rtls_composer_set_choice (c, RTLS_CHOICE_DEFAULT, TRUE);
		c->compose->modified = TRUE;
		send_again (c);
		break;
	case RTLS_BOUNCE_EDIT:
	default:
		g_debug ("REQUIRETLS: will-bounce answer: back to editing");
		break;
	}
	return G_SOURCE_REMOVE;
}

/* COMPOSE_CHECK_BEFORE_SEND_HOOKLIST: runs for Send (compose->sending), Send later and the
 * batch composers of filter actions, before Claws writes anything. TRUE cancels. */
static gboolean
before_send_hook (gpointer source, gpointer data)
{
	Compose *compose = source;
	RtlsComposer *c;
	gboolean answered;

	c = rtls_composer_find (compose);
	if (c == NULL) {
		attach (compose);
		c = rtls_composer_find (compose);
	}
	if (c->send != NULL || c->asking)
		return TRUE; /* ours is already under way, or the person is being asked */
	answered = c->bounce_answered;
	c->bounce_answered = FALSE;
	/* a recipient typed just before Send counts: evaluate now, not at the next tick */
	evaluate_rules (c, TRUE);
	if (c->choice != RTLS_CHOICE_DEFAULT) {
		/* Claws writes the queue entry next, through the queue folder's class: the
		 * choice must get into it, or the message is not queued at all (fail closed). */
		FolderItem *queue = compose->account != NULL
		                            ? account_get_special_folder (compose->account, F_QUEUE)
		                            : NULL;
		if (queue == NULL || queue->folder == NULL || !wrap_class (queue->folder->klass)) {
			alertpanel_error (_ ("REQUIRETLS: the queue folder of this account cannot "
			                     "hold the choice “%s”, so the message was not sent. "
			                     "Choose a local (MH) queue folder for the account."),
			                  choice_label (c->choice));
			return TRUE;
		}
	}
	if (c->choice != RTLS_CHOICE_REQUIRE)
		/* Claws sends; "TLS-Required: No" goes in as the entry is stored. Not without a
		 * word, though, when an earlier send of it with REQUIRETLS may have arrived
		 * (Back to editing, then Default: DESIGN §6, nothing doubled unasked) */
		return !rtls_send_may_resend (compose);
	if (compose->newsgroup_list != NULL && compose->to_list == NULL) {
		log_error (LOG_PROTOCOL, _ ("REQUIRETLS: news postings cannot require TLS\n"));
		return TRUE;
	}
	if (!compose->sending) {
		/* Send later: Claws queues it, the marker goes in as the entry is stored, and
		 * the queue guard locks the entry
		 * as soon as it lands (rtls_queue_guard_item), and only the plugin sends it. */
		return FALSE;
	}
	/* Send with a recipient whose domain would return it (issue 22): the person is asked
	 * first, once, from an idle callback once compose_send() unwound; never a silent
	 * change. Not for a filter's batch composer (no dialog may open there). */
	if (!answered && !compose->batch) {
		g_autoptr (GPtrArray) bouncing = will_bounce (c, NULL);
		if (bouncing->len > 0) {
			c->asking = TRUE;
			g_idle_add (ask_bounce, c);
			return TRUE;
		}
	}
	/* Send: Claws' own sender must never get the message. Claws writes and we lock the
	 * queue entry now; then cancel, and the helper starts once compose_send() unwound. */
	rtls_send_from_composer (c);
	return TRUE;
}

static void
send_cancel_cb (gpointer data)
{
	extern void rtls_send_cancel (RtlsComposer * c);
	rtls_send_cancel (data);
}

static void
held_gone (GtkWidget *window, gpointer compose)
{
	held = g_list_remove (held, compose);
}

/* While the plugin is unloaded: a held composer is not sent by Claws (TRUE cancels). */
static gboolean
held_before_send (gpointer source, gpointer data)
{
	Compose *compose = source;

	if (g_list_find (held, compose) == NULL) /* held_gone() keeps the list true */
		return FALSE;
	alertpanel_error (_ ("REQUIRETLS: this message is marked Require TLS, and the "
	                     "REQUIRETLS plugin is not loaded, so it was not sent. Load the plugin "
	                     "again (Configuration → Plugins) to send it, or save it."));
	return TRUE;
}

void
rtls_compose_init (void)
{
	if (hook_held != 0) {
		hooks_unregister_hook (COMPOSE_CHECK_BEFORE_SEND_HOOKLIST, hook_held);
		hook_held = 0;
	}
	composers = g_hash_table_new (g_direct_hash, g_direct_equal);
	wrapped = g_ptr_array_new_with_free_func (g_free);
	wrap_folder_classes ();
	prefs_toolbar_register_plugin_item (TOOLBAR_COMPOSE, RTLS_PLUGIN_NAME, RTLS_TOOLBAR_ITEM,
	                                    toolbar_item_cb, NULL);
	toolbar_item_offer ();
	hook_created = hooks_register_hook (COMPOSE_CREATED_HOOKLIST, created_hook, NULL);
	hook_before_send
	        = hooks_register_hook (COMPOSE_CHECK_BEFORE_SEND_HOOKLIST, before_send_hook, NULL);
	for (const GList *l = compose_get_compose_list (); l != NULL; l = l->next)
		attach (l->data);
}

gboolean
rtls_compose_done (GPtrArray *drafted, GPtrArray *still_open)
{
	GHashTableIter it;
	gpointer key, value;

	hooks_unregister_hook (COMPOSE_CREATED_HOOKLIST, hook_created);
	hooks_unregister_hook (COMPOSE_CHECK_BEFORE_SEND_HOOKLIST, hook_before_send);
	/* Claws 4.1.1 to 4.3.1 build the key to remove wrongly (g_strdup_printf (plugin_name,
	 * "/", item_name)), so the entry stays; Claws calls a plugin item's callback only while
	 * a plugin of that name is loaded, and loading again replaces the entry. */
	prefs_toolbar_unregister_plugin_item (TOOLBAR_COMPOSE, RTLS_PLUGIN_NAME, RTLS_TOOLBAR_ITEM);
	if (composers == NULL) {
		unwrap_folder_classes ();
		return held == NULL;
	}
	g_hash_table_iter_init (&it, composers);
	while (g_hash_table_iter_next (&it, &key, &value)) {
		RtlsComposer *c = value;
		if (rtls_compose_alive (key) && c->send == NULL
		    && c->choice == RTLS_CHOICE_REQUIRE) {
			/* Without the plugin nothing would stop Claws from sending this composer's
			 * message without REQUIRETLS: keep it safe in Drafts instead. */
			g_autofree gchar *subject
			        = rtls_ui_entry_text (((Compose *) key)->subject_entry);
			detach (c);
			/* compose_draft() says TRUE also when the draft could not be stored; a
			 * stored one closes its composer */
			compose_draft (key, COMPOSE_QUIT_EDITING);
			g_ptr_array_add (rtls_compose_alive (key) ? still_open : drafted,
			                 *subject != '\0' ? g_steal_pointer (&subject)
			                                  : g_strdup (_ ("(no subject)")));
			if (!rtls_compose_alive (key)) {
				log_warning (
				        LOG_PROTOCOL,
				        _ ("REQUIRETLS: the plugin is being unloaded; an open "
				           "message with Require TLS was saved to Drafts and its "
				           "composer closed\n"));
			} else {
				/* not saved: it stays open, and Claws may not send it */
				log_error (
				        LOG_PROTOCOL,
				        _ ("REQUIRETLS: the plugin is being unloaded; an open "
				           "message with Require TLS could not be saved to Drafts: "
				           "it stays open and cannot be sent until the plugin is "
				           "loaded again\n"));
				held = g_list_prepend (held, key);
				g_signal_connect (((Compose *) key)->window, "destroy",
				                  G_CALLBACK (held_gone), key);
			}
		} else if (rtls_compose_alive (key)) {
			detach (c);
		}
		/* A composer with a send in flight keeps its record until the send is over:
		 * rtls_send_done() kept the module loaded for it. */
		if (c->send == NULL)
			composer_free (c);
		else
			c->gone = TRUE;
	}
	/* after the drafts above were written with their choice */
	unwrap_folder_classes ();
	g_clear_pointer (&composers, g_hash_table_unref);
	if (held != NULL && hook_held == 0)
		hook_held = hooks_register_hook (COMPOSE_CHECK_BEFORE_SEND_HOOKLIST,
		                                 held_before_send, NULL);
	return held == NULL;
}
