/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_checks.c: the composer's readiness checks (issue 22, section 2). requiretls-submit
 * --check [--probe] DOMAIN… runs as a GSubprocess whose output is read asynchronously: the
 * main loop never waits for DNS, a policy fetch or a probe. One run checks every domain a
 * composer asks about that has no fresh answer and is not being checked already; a domain
 * being checked for another composer is waited for, not checked twice. Each answer is kept
 * in the store (its TTL, the MTA-STS policy's max_age) and in memory; a run that no composer
 * waits for any more is stopped.
 */
#include "config.h"

#include "rtls_plugin.h"

#include "rtls_checks.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#include "rtls_history.h"

typedef struct {
	GSubprocess *proc;
	GCancellable *cancel;
	GPtrArray *domains; /* gchar*: what it checks */
	GPtrArray *owners;  /* who waits for it (not owned) */
	gboolean probe;     /* with --probe */
	gboolean detached;  /* the module is done: the callback only frees it */
} Run;

typedef struct {
	RtlsCheckRecord *record; /* the last answer, or NULL */
	gint64 checked_at;       /* when it was made */
	gint64 expires_at;       /* until when it is used instead of a new check */
	gboolean probed;         /* with the probe */
	gchar *error;            /* the last run could not check it: why, or NULL */
	Run *run;                /* the run checking it now, or NULL */
} Known;

static GHashTable *known; /* domain → Known* */
static GPtrArray *runs;   /* Run*, not owned: each is freed when its callback comes */
static guint pending;     /* runs whose callback has not come */
static void (*changed_cb) (void);

static void
known_free (gpointer data)
{
	Known *k = data;

	rtls_check_record_free (k->record);
	g_free (k->error);
	g_free (k);
}

static void
run_free (Run *r)
{
	g_clear_object (&r->proc);
	g_clear_object (&r->cancel);
	g_ptr_array_unref (r->domains);
	g_ptr_array_unref (r->owners);
	g_free (r);
}

/* The domain's entry, made at its first use from what the store kept (by primary key). */
static Known *
known_get (const char *domain)
{
	Known *k = g_hash_table_lookup (known, domain);
	RtlsStore *st;

	if (k != NULL)
		return k;
	k = g_new0 (Known, 1);
	g_hash_table_insert (known, g_strdup (domain), k);
	st = rtls_history_store (NULL);
	if (st != NULL) {
		g_autoptr (RtlsReadinessEntry) e = rtls_store_readiness_get (st, domain, NULL);
		g_autoptr (GPtrArray) recs = NULL;
		if (e != NULL && e->record != NULL)
			recs = rtls_check_records_parse (e->record, strlen (e->record));
		if (recs != NULL && recs->len == 1) {
			k->record = g_ptr_array_steal_index (recs, 0);
			k->checked_at = e->checked_at;
			k->expires_at = e->expires_at;
			k->probed = e->probed;
		}
	}
	return k;
}

void
rtls_checks_facts (const char *domain, RtlsPrecheckFacts *f)
{
	Known *k = known != NULL ? known_get (domain) : NULL;
	RtlsStore *st = rtls_history_store (NULL);
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;

	memset (f, 0, sizeof *f);
	if (k != NULL) {
		f->record = k->record;
		f->checked_at = k->checked_at;
		f->checking = k->run != NULL;
		f->check_error = k->error;
	}
	/* two indexed queries (domain, kind, time): nothing proportional to the history */
	if (st != NULL && !rtls_store_domain_history (st, domain, &f->history, NULL))
		memset (&f->history, 0, sizeof f->history);
	if (f->history.last_requiretls_failure < now - RTLS_CHECKS_FAILURE_AGE)
		f->history.last_requiretls_failure = 0;
}

gboolean
rtls_checks_running (void)
{
	return runs != NULL && runs->len > 0;
}

/* The record blocks of the helper's output, each with its ending empty line, as written:
 * what the store keeps (rtls_check_records_parse() reads one back). */
static GPtrArray *
split_blocks (const char *out, gsize len)
{
	GPtrArray *blocks = g_ptr_array_new_with_free_func (g_free);
	gsize start = 0;

	for (gsize i = 0; i + 1 < len; i++)
		if (out[i] == '\n' && out[i + 1] == '\n') {
			g_ptr_array_add (blocks, g_strndup (out + start, i + 2 - start));
			start = i + 2;
			i++;
		}
	return blocks;
}

/* Keeps @rec in memory for @domain, and a copy for the store into @batch. */
static void
keep (Known *k, const char *domain, RtlsCheckRecord *rec, const char *block, gboolean probed,
      gint64 now, GPtrArray *batch)
{
	RtlsReadinessEntry *e = g_new0 (RtlsReadinessEntry, 1);
	GString *reasons = g_string_new (NULL);

	rtls_check_record_free (k->record);
	k->record = rec;
	k->checked_at = now;
	k->expires_at = now + rtls_precheck_lifetime (rec);
	k->probed = probed;
	g_clear_pointer (&k->error, g_free);
	for (guint i = 0; i < rec->reasons->len; i++)
		g_string_append_printf (reasons, "%s%s", i > 0 ? " " : "",
		                        (const char *) g_ptr_array_index (rec->reasons, i));
	e->domain = g_strdup (domain);
	e->verdict = rec->verdict;
	e->reasons = g_string_free (reasons, FALSE);
	e->checked_at = now;
	e->expires_at = k->expires_at;
	e->probed = probed;
	e->record = g_strdup (block);
	g_ptr_array_add (batch, e);
}

/* The answers of one run into the store, in one transaction (a cache: an answer that
 * cannot be kept is simply checked again next time). */
static void
store_batch (GPtrArray *batch)
{
	RtlsStore *st = rtls_history_store (NULL);
	g_autoptr (GError) error = NULL;

	if (st != NULL && !rtls_store_readiness_put_all (st, batch, &error))
		g_debug ("REQUIRETLS: %u readiness answer(s) not kept: %s", batch->len,
		         error->message);
}

static void
run_done (GObject *src, GAsyncResult *res, gpointer data)
{
	Run *r = data;
	g_autoptr (GBytes) out = NULL;
	g_autoptr (GBytes) err = NULL;
	g_autoptr (GError) error = NULL;
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	gboolean ok;

	pending--;
	ok = g_subprocess_communicate_finish (G_SUBPROCESS (src), res, &out, &err, &error);
	if (r->detached) {
		run_free (r);
		return;
	}
	g_ptr_array_remove (runs, r);
	for (guint i = 0; i < r->domains->len; i++) {
		Known *k = g_hash_table_lookup (known, g_ptr_array_index (r->domains, i));
		if (k != NULL && k->run == r)
			k->run = NULL;
	}
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		/* nobody waits for it any more */
		g_debug ("REQUIRETLS: readiness check stopped");
		run_free (r);
		return;
	}
	if (ok && out != NULL) {
		g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (
		        (GDestroyNotify) rtls_readiness_entry_free);
		gsize len = 0;
		const char *text = g_bytes_get_data (out, &len);
		g_autoptr (GPtrArray) blocks = split_blocks (text, len);
		for (guint i = 0; i < blocks->len; i++) {
			const char *block = g_ptr_array_index (blocks, i);
			g_autoptr (GPtrArray) recs
			        = rtls_check_records_parse (block, strlen (block));
			RtlsCheckRecord *rec;
			g_autofree gchar *d = NULL;
			Known *k;
			if (recs->len != 1)
				continue;
			rec = g_ptr_array_steal_index (recs, 0);
			d = g_ascii_strdown (rec->domain, -1);
			k = known_get (d);
			g_debug ("REQUIRETLS: readiness of %s: %s", d,
			         rtls_readiness_name (rec->verdict));
			keep (k, d, rec, block, r->probe, now, batch);
		}
		store_batch (batch);
	}
	/* a domain the helper said nothing about: why, in its own words when it gave some */
	for (guint i = 0; i < r->domains->len; i++) {
		Known *k = g_hash_table_lookup (known, g_ptr_array_index (r->domains, i));
		if (k == NULL || (k->record != NULL && k->checked_at == now))
			continue;
		g_free (k->error);
		if (error != NULL) {
			k->error = g_strdup (error->message);
		} else {
			gsize n = 0;
			const char *e = err != NULL ? g_bytes_get_data (err, &n) : NULL;
			g_autofree gchar *t = e != NULL ? g_strndup (e, n) : g_strdup ("");
			g_autofree gchar *last = NULL;
			g_strstrip (t);
			last = g_strdup (strrchr (t, '\n') != NULL ? strrchr (t, '\n') + 1 : t);
			k->error = *last != '\0' ? g_utf8_make_valid (last, 200)
			                         : g_strdup (_ ("the helper gave no answer"));
		}
	}
	run_free (r);
	if (changed_cb != NULL)
		changed_cb ();
}

static void
start_run (gpointer owner, GPtrArray *domains)
{
	const RtlsSettings *set = rtls_config_settings ();
	g_autofree gchar *helper = rtls_config_helper_path ();
	g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) error = NULL;
	Run *r;
	int st = -1;

	r = g_new0 (Run, 1);
	r->domains = g_ptr_array_ref (domains);
	r->owners = g_ptr_array_new ();
	r->probe = set != NULL && set->probe;
	g_ptr_array_add (argv, g_strdup (helper));
	g_ptr_array_add (argv, g_strdup ("--check"));
	if (r->probe)
		g_ptr_array_add (argv, g_strdup ("--probe"));
	for (guint i = 0; set != NULL && set->check_options != NULL && set->check_options[i]; i++)
		g_ptr_array_add (argv, g_strdup (set->check_options[i]));
	g_ptr_array_add (argv, g_strdup ("--"));
	for (guint i = 0; i < domains->len; i++)
		g_ptr_array_add (argv, g_strdup (g_ptr_array_index (domains, i)));
	g_ptr_array_add (argv, NULL);
	r->proc = rtls_spawn_launch (
	        (const char *const *) argv->pdata, -1,
	        G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, NULL, &st, &error);
	if (r->proc == NULL) {
		for (guint i = 0; i < domains->len; i++) {
			Known *k = known_get (g_ptr_array_index (domains, i));
			g_free (k->error);
			k->error = g_strdup (error->message);
		}
		log_warning (LOG_PROTOCOL,
		             _ ("REQUIRETLS: the recipients could not be checked: %s\n"),
		             error->message);
		run_free (r);
		return;
	}
	close (st); /* --check writes no status record */
	r->cancel = g_cancellable_new ();
	g_ptr_array_add (r->owners, owner);
	for (guint i = 0; i < domains->len; i++)
		known_get (g_ptr_array_index (domains, i))->run = r;
	g_ptr_array_add (runs, r);
	pending++;
	g_debug ("REQUIRETLS: checking %u domain(s)%s", domains->len,
	         r->probe ? " with the probe" : "");
	g_subprocess_communicate_async (r->proc, NULL, r->cancel, run_done, r);
}

void
rtls_checks_request (gpointer owner, const GPtrArray *domains, gboolean force)
{
	const RtlsSettings *set = rtls_config_settings ();
	gboolean want_probe = set != NULL && set->probe;
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;
	g_autoptr (GPtrArray) todo = g_ptr_array_new_with_free_func (g_free);

	if (known == NULL)
		return;
	for (guint i = 0; domains != NULL && i < domains->len; i++) {
		const char *d = g_ptr_array_index (domains, i);
		Known *k;
		if (!rtls_precheck_domain_ok (d))
			continue;
		k = known_get (d);
		if (k->run != NULL) {
			/* checked for someone already: wait for that run */
			if (!g_ptr_array_find (k->run->owners, owner, NULL))
				g_ptr_array_add (k->run->owners, owner);
			continue;
		}
		if (!force && k->record != NULL
		    && rtls_precheck_fresh (k->expires_at, k->probed, want_probe, now))
			continue;
		if (!force && k->record == NULL && k->error != NULL)
			continue; /* it could not run: not again at every pause, only when asked */
		g_ptr_array_add (todo, g_strdup (d));
	}
	if (todo->len > 0)
		start_run (owner, todo);
}

static void
run_stop (Run *r)
{
	g_cancellable_cancel (r->cancel);
	if (r->proc != NULL)
		g_subprocess_force_exit (r->proc);
}

void
rtls_checks_forget (gpointer owner)
{
	for (guint i = 0; runs != NULL && i < runs->len; i++) {
		Run *r = g_ptr_array_index (runs, i);
		if (g_ptr_array_remove (r->owners, owner) && r->owners->len == 0)
			run_stop (r);
	}
}

void
rtls_checks_init (void (*changed) (void))
{
	changed_cb = changed;
	known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, known_free);
	runs = g_ptr_array_new ();
	/* what expired long ago goes (by index), so that the cache does not grow for ever */
	if (rtls_history_store (NULL) != NULL)
		rtls_store_readiness_expire (rtls_history_store (NULL),
		                             g_get_real_time () / G_USEC_PER_SEC - 7 * 86400, NULL);
}

gboolean
rtls_checks_done (void)
{
	for (guint i = 0; runs != NULL && i < runs->len; i++) {
		Run *r = g_ptr_array_index (runs, i);
		r->detached = TRUE;
		run_stop (r);
	}
	g_clear_pointer (&runs, g_ptr_array_unref);
	g_clear_pointer (&known, g_hash_table_unref);
	changed_cb = NULL;
	return pending == 0;
}
