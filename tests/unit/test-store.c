/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * test-store.c: the plugin's SQLite store (core/rtls_store.c). What it answers by index must
 * be what the folds of the journal (rtls_attempts_fold(), rtls_delivery_rows()) give over
 * the same records: every attempt, row and record is compared field by field with the fold
 * of an in-memory journal. Then what a file system can do to it: a damaged file, pages
 * overwritten, a full disk, a read-only folder, another program holding the lock; the
 * journals of every earlier release imported; retention.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "errors.h"
#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_dsn.h"
#include "rtls_journal.h"
#include "rtls_record.h"
#include "rtls_store.h"

/* ---------------------------------------------------------------- scaffolding */

/* The connection the store opened last, caught by an auto extension (called for every
 * connection this process opens): the per-connection PRAGMAs are read on it. */
static sqlite3 *last_db;

static int
catch_connection (sqlite3 *db, char **err, const void *api)
{
	last_db = db;
	return SQLITE_OK;
}

static gchar *
tmpdir (void)
{
	g_autoptr (GError) error = NULL;
	gchar *d = g_dir_make_tmp ("test-store-XXXXXX", &error);

	g_assert_no_error (error);
	return d;
}

static void
rm_rf (const char *path)
{
	GDir *d;
	const char *name;

	g_chmod (path, 0700);
	d = g_dir_open (path, 0, NULL);
	if (d == NULL) {
		g_unlink (path);
		return;
	}
	while ((name = g_dir_read_name (d)) != NULL) {
		g_autofree gchar *p = g_build_filename (path, name, NULL);
		if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
			rm_rf (p);
		else
			g_unlink (p);
	}
	g_dir_close (d);
	g_rmdir (path);
}

static RtlsStore *
open_ok (const char *path)
{
	g_autoptr (GError) error = NULL;
	g_autofree gchar *aside = NULL;
	RtlsStore *st = rtls_store_open (path, &aside, &error);

	g_assert_no_error (error);
	g_assert_nonnull (st);
	g_assert_null (aside);
	return st;
}

static void
append_ok (RtlsStore *st, const RtlsJournalEntry *e)
{
	g_autoptr (GError) error = NULL;

	g_assert_true (rtls_store_append (st, e, &error));
	g_assert_no_error (error);
}

static void
append_all_ok (RtlsStore *st, GPtrArray *records)
{
	g_autoptr (GError) error = NULL;

	g_assert_true (rtls_store_append_all (st, records, &error));
	g_assert_no_error (error);
}

static GPtrArray *
entries_new (void)
{
	return g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
}

/* As the journal file would give it back: formatted and parsed. */
static RtlsJournalEntry *
through_journal (const RtlsJournalEntry *e)
{
	g_autofree gchar *text = rtls_journal_entry_format (e);
	RtlsJournalEntry *back = rtls_journal_entry_parse (text);

	g_assert_nonnull (back);
	return back;
}

static RtlsJournalEntry *
line (const char *text)
{
	RtlsJournalEntry *e = rtls_journal_entry_parse (text);

	g_assert_nonnull (e);
	return e;
}

static gint64
sql_int (const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	gint64 v = -1;

	g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
	if (sqlite3_step (s) == SQLITE_ROW)
		v = sqlite3_column_int64 (s, 0);
	sqlite3_finalize (s);
	sqlite3_close (db);
	return v;
}

static gchar *
sql_text (sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	gchar *v = NULL;

	g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
	if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_text (s, 0) != NULL)
		v = g_strdup ((const char *) sqlite3_column_text (s, 0));
	sqlite3_finalize (s);
	return v;
}

/* ---------------------------------------------------------------- comparing */

#define DIFF_STR(f)                                                                                \
	if (g_strcmp0 (a->f, b->f) != 0)                                                           \
		return g_strdup_printf ("%s: \"%s\" != \"%s\"", #f, a->f ? a->f : "(null)",        \
		                        b->f ? b->f : "(null)");
#define DIFF_INT(f)                                                                                \
	if ((gint64) a->f != (gint64) b->f)                                                        \
		return g_strdup_printf ("%s: %" G_GINT64_FORMAT " != %" G_GINT64_FORMAT, #f,       \
		                        (gint64) a->f, (gint64) b->f);

/* NULL when equal in every field, else the first that differs */
static gchar *
entry_diff (const RtlsJournalEntry *a, const RtlsJournalEntry *b)
{
	DIFF_INT (time);
	DIFF_STR (envid);
	DIFF_STR (message_id);
	DIFF_INT (account_id);
	DIFF_STR (sender);
	DIFF_STR (recipients);
	DIFF_STR (subject);
	DIFF_STR (result);
	DIFF_STR (host);
	DIFF_INT (port);
	DIFF_STR (tls_version);
	DIFF_STR (enhanced);
	/* words the facts make again whenever they are shown are not kept (the store saves
	 * them): then the record comes back without them, and its row reads the same */
	if (!(a->explanation == NULL && rtls_delivery_explains_itself (b)))
		DIFF_STR (explanation);
	DIFF_STR (queue_folder);
	DIFF_INT (queue_msgnum);
	DIFF_STR (stage);
	DIFF_INT (retry_at);
	DIFF_INT (retry_step);
	DIFF_STR (error);
	DIFF_INT (exit_code);
	DIFF_INT (smtp_code);
	DIFF_STR (server_text);
	DIFF_STR (detail);
	DIFF_STR (cert_problem);
	DIFF_STR (tls_problem);
	DIFF_STR (cause);
	DIFF_STR (recipient);
	DIFF_STR (reporting_mta);
	DIFF_STR (remote_mta);
	DIFF_STR (diagnostic);
	DIFF_STR (bounce_id);
	DIFF_STR (reason);
	DIFF_STR (dsn_action);
	DIFF_STR (status_malformed);
	DIFF_INT (gave_up);
	return NULL;
}

static gchar *
attempt_diff (const RtlsAttempt *a, const RtlsAttempt *b)
{
	if (a == NULL || b == NULL)
		return a == b ? NULL : g_strdup_printf ("%p != %p", (void *) a, (void *) b);
	DIFF_STR (envid);
	DIFF_STR (message_id);
	DIFF_STR (queue_folder);
	DIFF_INT (queue_msgnum);
	DIFF_STR (subject);
	DIFF_STR (sender);
	DIFF_STR (recipients);
	DIFF_INT (account_id);
	DIFF_STR (host);
	DIFF_INT (port);
	DIFF_INT (started);
	DIFF_INT (state);
	DIFF_INT (outcome);
	DIFF_INT (retry_at);
	DIFF_INT (retry_step);
	DIFF_INT (filed);
	DIFF_INT (closed);
	DIFF_INT (legacy);
	return NULL;
}

static gchar *
row_diff (const RtlsDeliveryRow *a, const RtlsDeliveryRow *b)
{
	DIFF_STR (key);
	DIFF_INT (time);
	DIFF_STR (message_id);
	DIFF_STR (envid);
	DIFF_STR (subject);
	DIFF_STR (recipient);
	DIFF_INT (state);
	DIFF_STR (status);
	DIFF_INT (requiretls);
	DIFF_STR (explanation);
	DIFF_STR (reporting_mta);
	DIFF_STR (remote_mta);
	DIFF_STR (accepted_by);
	DIFF_STR (diagnostic);
	DIFF_STR (bounce_id);
	DIFF_STR (reason);
	DIFF_INT (account_id);
	DIFF_INT (earlier_send);
	DIFF_STR (latest_envid);
	return NULL;
}
#undef DIFF_STR
#undef DIFF_INT

#define assert_same(diff)                                                                          \
	G_STMT_START                                                                               \
	{                                                                                          \
		g_autofree gchar *d_ = (diff);                                                     \
		g_assert_cmpstr (d_, ==, NULL);                                                    \
	}                                                                                          \
	G_STMT_END

static void
assert_entries_same (GPtrArray *got, GPtrArray *want)
{
	g_assert_cmpuint (got->len, ==, want->len);
	for (guint i = 0; i < got->len; i++)
		assert_same (entry_diff (g_ptr_array_index (got, i), g_ptr_array_index (want, i)));
}

static void
assert_attempts_same (GPtrArray *got, GPtrArray *want)
{
	g_assert_nonnull (got);
	g_assert_cmpuint (got->len, ==, want->len);
	for (guint i = 0; i < got->len; i++)
		assert_same (
		        attempt_diff (g_ptr_array_index (got, i), g_ptr_array_index (want, i)));
}

static void
assert_rows_same (GPtrArray *got, GPtrArray *want)
{
	g_assert_nonnull (got);
	g_assert_cmpuint (got->len, ==, want->len);
	for (guint i = 0; i < got->len; i++)
		assert_same (row_diff (g_ptr_array_index (got, i), g_ptr_array_index (want, i)));
}

static gchar *
row_set_key (const RtlsDeliveryRow *r)
{
	g_autofree gchar *rcpt = g_ascii_strdown (r->recipient ? r->recipient : "", -1);

	return g_strconcat (r->key, "\n", rcpt, NULL);
}

/* The same rows, in whatever order: keyed by (message, recipient), every field equal. */
static void
assert_row_sets_same (GPtrArray *got, GPtrArray *want)
{
	g_autoptr (GHashTable) by = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

	g_assert_nonnull (got);
	for (guint i = 0; i < want->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (want, i);
		g_assert_true (g_hash_table_insert (by, row_set_key (r), (gpointer) r));
	}
	g_assert_cmpuint (got->len, ==, want->len);
	for (guint i = 0; i < got->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (got, i);
		g_autofree gchar *k = row_set_key (r);
		const RtlsDeliveryRow *w = g_hash_table_lookup (by, k);
		if (w == NULL)
			g_error ("row %s / %s is not in the journal's fold", r->key, r->recipient);
		assert_same (row_diff (r, w));
		g_hash_table_remove (by, k); /* each once */
	}
}

static GPtrArray *
all_rows (RtlsStore *st)
{
	g_autoptr (GError) error = NULL;
	gboolean more = TRUE;
	GPtrArray *rows = rtls_store_rows (st, NULL, 0, 1000000, &more, &error);

	g_assert_no_error (error);
	g_assert_nonnull (rows);
	g_assert_false (more);
	return rows;
}

/* The fold of the journal, one message at a time (as the store groups its rows), newest
 * message first: what rtls_store_rows() must give, in this order. */
static GPtrArray *
rows_by_message (GPtrArray *journal)
{
	g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GHashTable) of = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
	                                                   (GDestroyNotify) g_ptr_array_unref);
	g_autoptr (GArray) newest = g_array_new (FALSE, TRUE, sizeof (gint64));
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_delivery_row_free);
	g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));

	for (guint i = 0; i < journal->len; i++) {
		RtlsJournalEntry *e = g_ptr_array_index (journal, i);
		gchar *k = rtls_delivery_key_of (e);
		GPtrArray *recs = g_hash_table_lookup (of, k);
		if (recs == NULL) {
			recs = g_ptr_array_new ();
			g_ptr_array_add (keys, k);
			g_hash_table_insert (of, k, recs);
		} else {
			g_free (k);
		}
		g_ptr_array_add (recs, e);
	}
	g_array_set_size (newest, keys->len);
	for (guint i = 0; i < keys->len; i++) {
		g_autoptr (GPtrArray) rows
		        = rtls_delivery_rows (g_hash_table_lookup (of, keys->pdata[i]));
		g_array_index (newest, gint64, i)
		        = rows->len > 0 ? ((RtlsDeliveryRow *) rows->pdata[0])->time : G_MININT64;
		if (rows->len > 0)
			g_array_append_val (order, i);
	}
	/* newest first; of the same time, the later message first */
	for (guint a = 0; a < order->len; a++)
		for (guint b = a + 1; b < order->len; b++) {
			guint x = g_array_index (order, guint, a),
			      y = g_array_index (order, guint, b);
			gint64 tx = g_array_index (newest, gint64, x);
			gint64 ty = g_array_index (newest, gint64, y);
			if (ty > tx || (ty == tx && y > x)) {
				g_array_index (order, guint, a) = y;
				g_array_index (order, guint, b) = x;
			}
		}
	for (guint i = 0; i < order->len; i++) {
		g_autoptr (GPtrArray) rows = rtls_delivery_rows (
		        g_hash_table_lookup (of, keys->pdata[g_array_index (order, guint, i)]));
		for (guint k = 0; k < rows->len; k++)
			g_ptr_array_add (out, g_steal_pointer (&rows->pdata[k]));
	}
	return out;
}

/* ---------------------------------------------------------------- records */

static RtlsJournalEntry *
started_entry (gint64 time, const char *envid, const char *msgid, const char *subject,
               const char *rcpts, gint msgnum)
{
	RtlsJournalEntry *e = g_new0 (RtlsJournalEntry, 1);

	e->time = time;
	e->result = g_strdup ("started");
	e->envid = g_strdup (envid);
	e->message_id = g_strdup (msgid);
	e->account_id = 1;
	e->sender = g_strdup ("alice@example.org");
	e->recipients = g_strdup (rcpts);
	e->subject = g_strdup (subject);
	e->host = g_strdup ("smtp.example.org");
	e->port = 465;
	e->queue_folder = g_strdup ("#mh/Mailbox/queue");
	e->queue_msgnum = msgnum;
	return e;
}

/* The records of one send as the plugin writes them (rtls_send.c): started, its outcome
 * with the helper's facts, then filed and closed made by rtls_attempt_record(). */
static void
add_send (GPtrArray *j, gint64 t, const char *envid, const char *msgid, const char *subject,
          const char *rcpts, gint msgnum, const char *outcome)
{
	RtlsJournalEntry *s = started_entry (t, envid, msgid, subject, rcpts, msgnum);
	g_autoptr (GPtrArray) folded = NULL;
	const RtlsAttempt *a;
	RtlsJournalEntry *o;

	g_ptr_array_add (j, s);
	folded = rtls_attempts_fold (j);
	a = rtls_attempts_find (folded, envid);
	o = rtls_attempt_record (a, outcome, t + 5);
	o->stage = g_strdup ("done");
	o->tls_version = g_strdup ("TLS1.3");
	if (g_str_equal (outcome, "sent")) {
		o->enhanced = g_strdup ("2.0.0");
		o->smtp_code = 250;
		o->server_text = g_strdup ("2.0.0 Ok: queued as 4Q7R2X");
	} else if (g_str_equal (outcome, "temporary")) {
		o->enhanced = g_strdup ("4.3.0");
		o->smtp_code = 451;
		o->error = g_strdup ("RTLS_ERROR_TEMPORARY");
		o->exit_code = 75;
		o->retry_at = t + 600;
		o->retry_step = 1;
	} else if (g_str_equal (outcome, "failed")) {
		o->enhanced = g_strdup ("5.7.30");
		o->smtp_code = 550;
		o->error = g_strdup ("RTLS_ERROR_UNSUPPORTED");
		o->exit_code = 69;
		o->stage = (g_free (o->stage), g_strdup ("ehlo"));
	} else if (g_str_equal (outcome, "not-confirmed")) {
		o->error = g_strdup ("RTLS_ERROR_NOT_CONFIRMED");
		o->exit_code = 75;
		o->stage = (g_free (o->stage), g_strdup ("content"));
	}
	o->explanation = g_strdup_printf ("the outcome of %s", envid);
	g_ptr_array_add (j, o);
	if (!g_str_equal (outcome, "sent"))
		return;
	g_clear_pointer (&folded, g_ptr_array_unref);
	folded = rtls_attempts_fold (j);
	a = rtls_attempts_find (folded, envid);
	g_ptr_array_add (j, rtls_attempt_record (a, "filed", t + 6));
	g_clear_pointer (&folded, g_ptr_array_unref);
	folded = rtls_attempts_fold (j);
	a = rtls_attempts_find (folded, envid);
	g_ptr_array_add (j, rtls_attempt_record (a, "closed", t + 7));
}

/* ---------------------------------------------------------------- opening */

static void
check_private (const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree gchar *p = g_strconcat (path, suffixes[i], NULL);
		struct stat sb;
		if (g_stat (p, &sb) != 0)
			g_error ("%s: %s", p, g_strerror (errno));
		if ((sb.st_mode & 07777) != 0600)
			g_error ("%s has mode %o, want 600", p, (unsigned) (sb.st_mode & 07777));
	}
}

static void
test_open_private (void)
{
	static const mode_t masks[] = { 0, 022, 002 };

	for (gsize i = 0; i < G_N_ELEMENTS (masks); i++) {
		g_autofree gchar *dir = tmpdir ();
		g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
		g_autoptr (RtlsStore) st = NULL;
		g_autoptr (RtlsJournalEntry) e
		        = started_entry (100, "rtls-p", "<p@x>", "P", "b@y", 1);
		mode_t old = umask (masks[i]);

		st = open_ok (path);
		append_ok (st, e);
		umask (old);
		g_assert_cmpstr (rtls_store_path (st), ==, path);
		check_private (path);
		/* and so when it is opened again */
		g_clear_pointer (&st, rtls_store_close);
		old = umask (masks[i]);
		st = open_ok (path);
		append_ok (st, e);
		umask (old);
		check_private (path);
		g_clear_pointer (&st, rtls_store_close);
		rm_rf (dir);
	}
}

static void
test_open_pragmas (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = NULL;
	g_autofree gchar *mode = NULL;

	last_db = NULL;
	st = open_ok (path);
	g_assert_nonnull (last_db);
	mode = sql_text (last_db, "PRAGMA journal_mode");
	g_assert_cmpstr (mode, ==, "wal");
	g_clear_pointer (&mode, g_free);
	mode = sql_text (last_db, "PRAGMA synchronous");
	g_assert_cmpstr (mode, ==, "2"); /* FULL */
	g_clear_pointer (&mode, g_free);
	mode = sql_text (last_db, "PRAGMA user_version");
	g_assert_cmpstr (mode, ==, "2");
	g_clear_pointer (&mode, g_free);
	mode = sql_text (last_db, "PRAGMA foreign_keys");
	g_assert_cmpstr (mode, ==, "1");
	g_clear_pointer (&mode, g_free);
	mode = sql_text (last_db, "PRAGMA auto_vacuum");
	g_assert_cmpstr (mode, ==, "2"); /* incremental */
	g_clear_pointer (&st, rtls_store_close);
	/* persistent ones, as another program sees them */
	g_assert_cmpint (sql_int (path, "PRAGMA user_version"), ==, 2);
	/* opened again: the same schema, nothing made anew */
	st = open_ok (path);
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
	                 ==, 7);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* A database of a later release (a higher user_version) is neither used nor moved aside. */
static void
test_open_later_schema (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GError) error = NULL;
	g_autofree gchar *aside = NULL;
	sqlite3 *db = NULL;

	g_clear_pointer (&st, rtls_store_close);
	g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
	g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 3", NULL, NULL, NULL), ==,
	                 SQLITE_OK);
	sqlite3_close (db);
	st = rtls_store_open (path, &aside, &error);
	g_assert_null (st);
	g_assert_error (error, RTLS_ERROR, RTLS_ERROR_IO);
	g_assert_nonnull (strstr (error->message, "later release"));
	g_assert_null (aside);
	g_assert_cmpint (sql_int (path, "PRAGMA user_version"), ==, 3);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- readiness cache */

static const char record_text[] = "domain=example.org\nrecipient=bob@example.org\n"
                                  "verdict=will-bounce\nreason=mx-not-validated\n"
                                  "mx-kind=mx\nmx-dnssec=insecure\nmta-sts=absent\n"
                                  "ttl=300\n\n";

/* A whole check's answers in one transaction: every one kept, a domain already there
 * replaced (the last of a batch wins), nothing for an empty batch. */
static void
test_readiness_put_all (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) batch = g_ptr_array_new ();
	g_autoptr (RtlsReadinessEntry) got = NULL;
	RtlsReadinessEntry e[3];
	const char *domains[] = { "a.example", "B.example", "a.example" };

	for (guint i = 0; i < G_N_ELEMENTS (e); i++) {
		e[i] = (RtlsReadinessEntry){
			.domain = (gchar *) domains[i],
			.verdict = i == 2 ? RTLS_READINESS_READY : RTLS_READINESS_UNKNOWN,
			.reasons = (gchar *) "not-probed",
			.checked_at = 1000 + i,
			.expires_at = 2000,
			.record = (gchar *) record_text,
		};
		g_ptr_array_add (batch, &e[i]);
	}
	g_ptr_array_set_size (batch, 0);
	g_assert_true (rtls_store_readiness_put_all (st, batch, &error));
	g_assert_no_error (error);
	for (guint i = 0; i < G_N_ELEMENTS (e); i++)
		g_ptr_array_add (batch, &e[i]);
	g_assert_true (rtls_store_readiness_put_all (st, batch, &error));
	g_assert_no_error (error);
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM readiness"), ==, 2);
	got = rtls_store_readiness_get (st, "a.example", &error);
	g_assert_nonnull (got);
	g_assert_cmpint (got->verdict, ==, RTLS_READINESS_READY);
	g_assert_cmpint (got->checked_at, ==, 1002);
	g_clear_pointer (&got, rtls_readiness_entry_free);
	got = rtls_store_readiness_get (st, "b.example", &error);
	g_assert_nonnull (got);
	g_assert_cmpint (got->checked_at, ==, 1001);
}

/* The cache of readiness checks: one row a domain (any case), replaced by the next check,
 * expired ones removed by index; the record comes back byte for byte. */
static void
test_readiness_cache (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsReadinessEntry) got = NULL;
	RtlsReadinessEntry e = {
		.domain = (gchar *) "Example.ORG",
		.verdict = RTLS_READINESS_WILL_BOUNCE,
		.reasons = (gchar *) "mx-not-validated",
		.checked_at = 1000,
		.expires_at = 1300,
		.probed = FALSE,
		.record = (gchar *) record_text,
	};

	g_assert_null (rtls_store_readiness_get (st, "example.org", &error));
	g_assert_no_error (error);
	g_assert_true (rtls_store_readiness_put (st, &e, &error));
	g_assert_no_error (error);
	got = rtls_store_readiness_get (st, "EXAMPLE.org", &error);
	g_assert_no_error (error);
	g_assert_nonnull (got);
	g_assert_cmpstr (got->domain, ==, "example.org");
	g_assert_cmpint (got->verdict, ==, RTLS_READINESS_WILL_BOUNCE);
	g_assert_cmpstr (got->reasons, ==, "mx-not-validated");
	g_assert_cmpint (got->checked_at, ==, 1000);
	g_assert_cmpint (got->expires_at, ==, 1300);
	g_assert_false (got->probed);
	g_assert_cmpstr (got->record, ==, record_text);
	{
		/* what the plugin reads back from it */
		g_autoptr (GPtrArray) recs
		        = rtls_check_records_parse (got->record, strlen (got->record));
		g_assert_cmpuint (recs->len, ==, 1);
	}
	g_clear_pointer (&got, rtls_readiness_entry_free);
	/* the next check of the domain replaces it */
	e.domain = (gchar *) "example.org";
	e.verdict = RTLS_READINESS_READY;
	e.reasons = (gchar *) "mx-dnssec-secure requiretls-offered";
	e.checked_at = 2000;
	e.expires_at = 5600;
	e.probed = TRUE;
	g_assert_true (rtls_store_readiness_put (st, &e, &error));
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM readiness"), ==, 1);
	got = rtls_store_readiness_get (st, "example.org", &error);
	g_assert_cmpint (got->verdict, ==, RTLS_READINESS_READY);
	g_assert_true (got->probed);
	g_assert_cmpint (got->checked_at, ==, 2000);
	g_clear_pointer (&got, rtls_readiness_entry_free);
	e.domain = (gchar *) "example.net";
	e.expires_at = 1500;
	g_assert_true (rtls_store_readiness_put (st, &e, &error));
	/* expiry: only what expired before the time given */
	g_assert_cmpint (rtls_store_readiness_expire (st, 1500, &error), ==, 0);
	g_assert_cmpint (rtls_store_readiness_expire (st, 1501, &error), ==, 1);
	g_assert_no_error (error);
	g_assert_null (rtls_store_readiness_get (st, "example.net", NULL));
	g_assert_nonnull ((got = rtls_store_readiness_get (st, "example.org", NULL)));
	/* answered by index: the query plans name the primary key and the expiry index */
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;
		GString *plan = g_string_new (NULL);
		g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==,
		                 SQLITE_OK);
		g_assert_cmpint (
		        sqlite3_prepare_v2 (db,
		                            "EXPLAIN QUERY PLAN SELECT verdict FROM readiness"
		                            " WHERE domain = 'a';",
		                            -1, &q, NULL),
		        ==, SQLITE_OK);
		while (sqlite3_step (q) == SQLITE_ROW)
			g_string_append (plan, (const char *) sqlite3_column_text (q, 3));
		sqlite3_finalize (q);
		g_assert_cmpint (sqlite3_prepare_v2 (db,
		                                     "EXPLAIN QUERY PLAN DELETE FROM readiness"
		                                     " WHERE expires_at < 5",
		                                     -1, &q, NULL),
		                 ==, SQLITE_OK);
		while (sqlite3_step (q) == SQLITE_ROW)
			g_string_append (plan, (const char *) sqlite3_column_text (q, 3));
		sqlite3_finalize (q);
		sqlite3_close (db);
		g_assert_nonnull (strstr (plan->str, "PRIMARY KEY"));
		g_assert_nonnull (strstr (plan->str, "readiness_expires"));
		g_string_free (plan, TRUE);
	}
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* A database of the previous release (user_version 1, no readiness table) is brought to
 * user_version 2 in place: its history stays, the cache works; opening it again changes
 * nothing. A reader of the previous schema is refused (the writer migrates first). */
static void
test_migrate_1_to_2 (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GError) error = NULL;
	g_autofree gchar *aside = NULL;
	g_autoptr (RtlsReadinessEntry) got = NULL;
	g_autoptr (RtlsStore) reader = NULL;
	RtlsDomainHistory h;
	sqlite3 *db = NULL;
	gint64 records;
	RtlsReadinessEntry e = { .domain = (gchar *) "example.org",
		                 .verdict = RTLS_READINESS_UNKNOWN,
		                 .reasons = (gchar *) "mx-bogus",
		                 .checked_at = 10,
		                 .expires_at = 20,
		                 .record = (gchar *) record_text };
	g_autoptr (RtlsJournalEntry) sent
	        = line ("time=100\tenvid=rtls-m1\tmessage-id=<m1@x>\tsubject=S\tsender=a@x\t"
	                "recipients=bob@example.org\tresult=started\thost=h\tport=465");

	g_assert_true (rtls_store_append (st, sent, &error));
	g_assert_no_error (error);
	records = sql_int (path, "SELECT count(*) FROM record");
	g_assert_cmpint (records, ==, 1);
	g_clear_pointer (&st, rtls_store_close);
	/* what the previous release left: its schema exactly (no readiness), user_version 1 */
	g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
	g_assert_cmpint (sqlite3_exec (db,
	                               "DROP INDEX readiness_expires; DROP TABLE readiness;"
	                               " PRAGMA user_version = 1",
	                               NULL, NULL, NULL),
	                 ==, SQLITE_OK);
	sqlite3_close (db);
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM sqlite_master WHERE name = "
	                                "'readiness'"),
	                 ==, 0);
	reader = rtls_store_open_reader (path, &error);
	g_assert_null (reader);
	g_assert_error (error, RTLS_ERROR, RTLS_ERROR_IO);
	g_clear_error (&error);

	st = rtls_store_open (path, &aside, &error);
	g_assert_no_error (error);
	g_assert_nonnull (st);
	g_assert_null (aside); /* migrated, not moved aside */
	g_assert_cmpint (sql_int (path, "PRAGMA user_version"), ==, 2);
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM record"), ==, records);
	g_assert_true (rtls_store_domain_history (st, "example.org", &h, &error));
	g_assert_true (rtls_store_readiness_put (st, &e, &error));
	g_assert_no_error (error);
	got = rtls_store_readiness_get (st, "example.org", &error);
	g_assert_nonnull (got);
	g_assert_cmpstr (got->reasons, ==, "mx-bogus");
	g_clear_pointer (&st, rtls_store_close);
	/* again: nothing to do, the cache kept */
	st = open_ok (path);
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM readiness"), ==, 1);
	reader = rtls_store_open_reader (path, &error);
	g_assert_no_error (error);
	g_assert_nonnull (reader);
	g_clear_pointer (&reader, rtls_store_close);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- a send, read back */

static void
test_full_send (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) folded = NULL, rows = NULL, want = NULL, about = NULL;
	g_autoptr (RtlsAttempt) a = NULL;
	g_autoptr (GError) error = NULL;

	add_send (j, 1000, "rtls-000000000000000000000001", "<m1@example.org>", "Quarterly",
	          "bob@example.net,carol@example.gov", 7, "sent");
	g_assert_cmpuint (j->len, ==, 4);
	/* one record a transaction, as the plugin writes them */
	for (guint i = 0; i < j->len; i++) {
		append_ok (st, g_ptr_array_index (j, i));
		/* after every step the attempt is what the journal's fold says */
		{
			g_autoptr (GPtrArray) prefix = g_ptr_array_new ();
			g_autoptr (GPtrArray) f = NULL;
			g_autoptr (RtlsAttempt) got = NULL;
			for (guint k = 0; k <= i; k++)
				g_ptr_array_add (prefix, g_ptr_array_index (j, k));
			f = rtls_attempts_fold (prefix);
			got = rtls_store_attempt (st, "rtls-000000000000000000000001", &error);
			g_assert_no_error (error);
			assert_same (attempt_diff (
			        got, rtls_attempts_find (f, "rtls-000000000000000000000001")));
		}
	}
	folded = rtls_attempts_fold (j);
	a = rtls_store_attempt (st, "rtls-000000000000000000000001", &error);
	g_assert_no_error (error);
	g_assert_nonnull (a);
	assert_same (
	        attempt_diff (a, rtls_attempts_find (folded, "rtls-000000000000000000000001")));
	g_assert_cmpint (a->state, ==, RTLS_ATTEMPT_CLOSED);
	g_assert_true (a->filed && a->closed && !a->legacy);
	g_assert_null (rtls_store_attempt (st, "rtls-nothing", &error));
	g_assert_no_error (error);
	g_assert_null (rtls_store_attempt (st, NULL, &error));
	g_assert_no_error (error);

	rows = all_rows (st);
	want = rtls_delivery_rows (j);
	assert_rows_same (rows, want);
	g_assert_cmpuint (rows->len, ==, 2);
	g_assert_cmpint (((RtlsDeliveryRow *) rows->pdata[0])->state, ==, RTLS_ROW_SENT);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 1);

	about = rtls_store_attempts_about (st, "#mh/Mailbox/queue", 7, NULL, &error);
	g_assert_no_error (error);
	assert_attempts_same (about, folded);

	/* the same after a restart */
	g_clear_pointer (&st, rtls_store_close);
	g_clear_pointer (&rows, g_ptr_array_unref);
	st = open_ok (path);
	rows = all_rows (st);
	assert_rows_same (rows, want);
	g_clear_pointer (&a, rtls_attempt_free);
	a = rtls_store_attempt (st, "rtls-000000000000000000000001", &error);
	assert_same (
	        attempt_diff (a, rtls_attempts_find (folded, "rtls-000000000000000000000001")));
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* Every field of a record comes back as written: those equal to the message's first record
 * (kept once) and those that differ (a later record with another subject or host, a field
 * NULL here and set there, no account). */
static void
test_roundtrip_fields (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) got = NULL, like = NULL;
	g_autoptr (GError) error = NULL;
	RtlsJournalEntry *e;
	RtlsDsn dsn = { 0 };

	e = started_entry (2000, "rtls-r1", "<r@example.org>", "First subject",
	                   "bob@example.net,carol@example.gov", 12);
	g_ptr_array_add (j, e);
	/* an outcome with every field of a send set, most different from the first record */
	e = g_new0 (RtlsJournalEntry, 1);
	e->time = 2001;
	e->envid = g_strdup ("rtls-r1");
	e->message_id = g_strdup ("<r@example.org>");
	e->account_id = 2;
	e->sender = g_strdup ("alice2@example.org");
	e->recipients = g_strdup ("bob@example.net");
	e->subject = g_strdup ("Second subject");
	e->result = g_strdup ("temporary");
	e->host = g_strdup ("other.example.org");
	e->port = 587;
	e->tls_version = g_strdup ("TLS1.2");
	e->enhanced = g_strdup ("4.7.0");
	e->explanation = g_strdup ("try later");
	e->queue_folder = g_strdup ("#imap/acc/Queue");
	e->queue_msgnum = 13;
	e->stage = g_strdup ("rcpt");
	e->retry_at = 2600;
	e->retry_step = 3;
	e->error = g_strdup ("RTLS_ERROR_TEMPORARY");
	e->exit_code = 75;
	e->smtp_code = 451;
	e->server_text = g_strdup ("4.7.0 greylisted");
	e->detail = g_strdup ("the server said so");
	e->cert_problem = g_strdup ("expired");
	e->tls_problem = g_strdup ("floor");
	e->cause = g_strdup ("helper-ended");
	g_ptr_array_add (j, e);
	/* the same as the first, but no account, no subject, no host, no queue entry */
	e = started_entry (2002, "rtls-r1", "<r@example.org>", NULL,
	                   "bob@example.net,carol@example.gov", 0);
	g_free (e->result);
	e->result = g_strdup ("confirmed");
	e->account_id = -1;
	g_clear_pointer (&e->host, g_free);
	e->port = 0;
	g_clear_pointer (&e->queue_folder, g_free);
	g_ptr_array_add (j, e);
	/* a report with every DSN field set */
	e = g_new0 (RtlsJournalEntry, 1);
	e->time = 2003;
	e->envid = g_strdup ("rtls-r1");
	e->message_id = g_strdup ("<r@example.org>");
	e->account_id = 1;
	e->subject = g_strdup ("First subject");
	e->result = g_strdup ("bounced");
	e->enhanced = g_strdup ("5.7.30");
	e->explanation = g_strdup ("REQUIRETLS not supported");
	e->recipient = g_strdup ("carol@example.gov");
	e->reporting_mta = g_strdup ("mx.example.gov");
	e->remote_mta = g_strdup ("next.example.gov");
	e->diagnostic = g_strdup ("smtp; 550 5.7.30 REQUIRETLS needed");
	e->bounce_id = g_strdup ("bounce-1@mx.example.gov");
	e->dsn_action = g_strdup ("failed");
	e->status_malformed = g_strdup ("5.7.030");
	e->gave_up = TRUE;
	e->reason = g_strdup ("a reason");
	g_ptr_array_add (j, e);
	/* a word of a later release, kept as it is */
	g_ptr_array_add (j, line ("time=2004\tenvid=rtls-r1\tmessage-id=<r@example.org>\t"
	                          "result=rerouted\thost=smtp.example.org"));
	/* a message of its own with neither account nor Message-ID */
	e = started_entry (2005, "rtls-r2", NULL, "No id", "dave@example.com", 0);
	e->account_id = -1;
	g_ptr_array_add (j, e);
	/* an unverified bounce: no attempt, its own key */
	g_ptr_array_add (
	        j, line ("time=2006\tmessage-id=<r@example.org>\taccount=-1\t"
	                 "subject=Forged\tresult=unverified\trecipient=bob@example.net\t"
	                 "bounce-id=forged@evil.test\treason=no-match\tenhanced-code=5.7.30"));

	/* every record is what the journal file would have given */
	for (guint i = 0; i < j->len; i++) {
		g_autoptr (RtlsJournalEntry) back = through_journal (g_ptr_array_index (j, i));
		assert_same (entry_diff (back, g_ptr_array_index (j, i)));
	}
	append_all_ok (st, j);

	like = rtls_store_records_like (st, j, &error);
	g_assert_no_error (error);
	assert_entries_same (like, j);
	/* and by a report's ENVID and Message-ID */
	dsn.envid = "rtls-r1";
	got = rtls_store_records_for_dsn (st, &dsn, &error);
	g_assert_no_error (error);
	/* the send's message: its five records (the unverified bounce is a message of its own,
	 * whatever Message-ID it names) */
	{
		g_autoptr (GPtrArray) want = g_ptr_array_new ();
		for (guint i = 0; i < 5; i++)
			g_ptr_array_add (want, g_ptr_array_index (j, i));
		assert_entries_same (got, want);
	}
	g_clear_pointer (&got, g_ptr_array_unref);
	dsn.envid = "rtls-r2";
	got = rtls_store_records_for_dsn (st, &dsn, &error);
	g_assert_cmpuint (got->len, ==, 1);
	assert_same (entry_diff (got->pdata[0], j->pdata[5]));

	/* the same after a restart */
	g_clear_pointer (&st, rtls_store_close);
	g_clear_pointer (&like, g_ptr_array_unref);
	st = open_ok (path);
	like = rtls_store_records_like (st, j, &error);
	assert_entries_same (like, j);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* What the journal would have kept: no tab, no control character, at most 2000 characters a
 * field. A record's fields equal to its message's first record's are kept once, in columns:
 * they must come back the same as the others. */
static void
test_roundtrip_sanitised (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) want = entries_new ();
	g_autoptr (GPtrArray) got = NULL, rows = NULL, jrows = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree gchar *longer = g_strnfill (2500, 'x');
	RtlsJournalEntry *e;

	e = started_entry (100, "rtls-s1", "<s1@x>", "Tab\there, new\nline, bell\a", "a@y,b@y", 1);
	g_free (e->sender);
	e->sender = g_strdup (longer);
	g_free (e->host);
	e->host = g_strdup ("smtp\t.example.org");
	g_free (e->queue_folder);
	e->queue_folder = g_strdup ("#mh/Mail\tbox/queue");
	g_ptr_array_add (j, e);
	e = started_entry (101, "rtls-s1", "<s1@x>", "Tab\there, new\nline, bell\a", "a@y,b@y", 1);
	g_free (e->result);
	e->result = g_strdup ("sent");
	g_free (e->sender);
	e->sender = g_strdup (longer);
	g_free (e->host);
	e->host = g_strdup ("smtp\t.example.org");
	g_free (e->queue_folder);
	e->queue_folder = g_strdup ("#mh/Mail\tbox/queue");
	g_ptr_array_add (j, e);
	for (guint i = 0; i < j->len; i++)
		g_ptr_array_add (want, through_journal (j->pdata[i]));
	g_assert_null (strchr (((RtlsJournalEntry *) want->pdata[0])->subject, '\t'));
	append_all_ok (st, j);
	got = rtls_store_records_like (st, j, &error);
	g_assert_no_error (error);
	assert_entries_same (got, want);
	rows = all_rows (st);
	jrows = rtls_delivery_rows (want);
	assert_rows_same (rows, jrows);
	/* the queue entry is known by the name the journal would give it */
	{
		g_autoptr (GPtrArray) about = rtls_store_attempts_about (
		        st, ((RtlsJournalEntry *) want->pdata[0])->queue_folder, 1, NULL, &error);
		g_assert_cmpuint (about->len, ==, 1);
	}
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- what is unfinished */

static GPtrArray *
unfinished_of (GPtrArray *folded)
{
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; i < folded->len; i++) {
		RtlsAttempt *a = g_ptr_array_index (folded, i);
		if (a->state == RTLS_ATTEMPT_RUNNING || a->state == RTLS_ATTEMPT_SENT
		    || a->state == RTLS_ATTEMPT_HELD || a->state == RTLS_ATTEMPT_TEMPORARY)
			g_ptr_array_add (out, a);
	}
	return out;
}

static gboolean
lists (GPtrArray *attempts, const char *envid)
{
	for (guint i = 0; i < attempts->len; i++)
		if (g_strcmp0 (((RtlsAttempt *) attempts->pdata[i])->envid, envid) == 0)
			return TRUE;
	return FALSE;
}

static void
test_unfinished (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) folded = NULL, got = NULL, want = NULL;
	g_autoptr (GError) error = NULL;
	RtlsJournalEntry *e;

	g_assert_cmpint (rtls_store_next_retry (st), ==, 0);
	got = rtls_store_unfinished (st, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (got->len, ==, 0);
	g_clear_pointer (&got, g_ptr_array_unref);

	/* running: started, nothing else */
	g_ptr_array_add (j, started_entry (100, "rtls-run", "<run@x>", "Run", "a@y", 1));
	/* sent, its bookkeeping not done */
	add_send (j, 110, "rtls-sent", "<sent@x>", "Sent", "b@y", 2, "sent");
	g_ptr_array_remove_range (j, j->len - 2, 2); /* no filed, no closed */
	/* sent and filed, not closed */
	add_send (j, 120, "rtls-filed", "<filed@x>", "Filed", "c@y", 3, "sent");
	g_ptr_array_remove_index (j, j->len - 1);
	/* held: not confirmed */
	add_send (j, 130, "rtls-held", "<held@x>", "Held", "d@y", 4, "not-confirmed");
	/* two waiting for a retry: retry_at 730 and 740 */
	add_send (j, 140, "rtls-temp2", "<temp2@x>", "Temp2", "e@y", 5, "temporary");
	add_send (j, 130 + 0, "rtls-temp1", "<temp1@x>", "Temp1", "f@y", 6, "temporary");
	((RtlsJournalEntry *) j->pdata[j->len - 1])->retry_at = 730;
	/* finished: closed, failed, cancelled, interrupted, a confirmed resend, sent-default */
	add_send (j, 150, "rtls-closed", "<closed@x>", "Closed", "g@y", 7, "sent");
	add_send (j, 160, "rtls-failed", "<failed@x>", "Failed", "h@y", 8, "failed");
	add_send (j, 170, "rtls-cancel", "<cancel@x>", "Cancel", "i@y", 9, "cancelled");
	add_send (j, 180, "rtls-intr", "<intr@x>", "Intr", "j@y", 10, "interrupted");
	add_send (j, 190, "rtls-conf", "<conf@x>", "Conf", "k@y", 11, "not-confirmed");
	folded = rtls_attempts_fold (j);
	g_ptr_array_add (j, rtls_attempt_record (rtls_attempts_find (folded, "rtls-conf"),
	                                         "confirmed", 200));
	add_send (j, 210, "rtls-default", "<default@x>", "Default", "l@y", 12, "sent-default");
	/* a temporary failure that was later sent: no longer waiting */
	add_send (j, 220, "rtls-later", "<later@x>", "Later", "m@y", 13, "temporary");
	e = line ("time=230\tenvid=rtls-later\tresult=sent");
	g_ptr_array_add (j, e);
	/* a legacy one: an outcome without a start */
	g_ptr_array_add (j, line ("time=240\tenvid=rtls-legacy\tmessage-id=<legacy@x>\t"
	                          "recipients=n@y\tresult=temporary\tretry-at=700\tretry-step=0"));

	/* appended one record a transaction */
	for (guint i = 0; i < j->len; i++)
		append_ok (st, g_ptr_array_index (j, i));
	g_clear_pointer (&folded, g_ptr_array_unref);
	folded = rtls_attempts_fold (j);
	want = unfinished_of (folded);
	got = rtls_store_unfinished (st, &error);
	g_assert_no_error (error);
	assert_attempts_same (got, want);
	g_assert_true (lists (got, "rtls-run"));
	g_assert_true (lists (got, "rtls-sent"));
	g_assert_true (lists (got, "rtls-filed"));
	g_assert_true (lists (got, "rtls-held"));
	g_assert_true (lists (got, "rtls-temp1"));
	g_assert_true (lists (got, "rtls-temp2"));
	g_assert_true (lists (got, "rtls-legacy"));
	g_assert_true (lists (got, "rtls-later")); /* sent at last, its bookkeeping not done */
	g_assert_cmpuint (got->len, ==, 8);
	g_assert_cmpint (rtls_store_next_retry (st), ==, 700);

	/* the legacy one is sent by hand, the earliest left is 730 */
	g_ptr_array_add (j, line ("time=250\tenvid=rtls-legacy\tresult=failed"));
	append_ok (st, j->pdata[j->len - 1]);
	g_assert_cmpint (rtls_store_next_retry (st), ==, 730);
	/* and so on until none is left */
	g_ptr_array_add (j, line ("time=260\tenvid=rtls-temp1\tresult=sent"));
	g_ptr_array_add (j, line ("time=261\tenvid=rtls-temp2\tresult=failed"));
	g_ptr_array_add (j, line ("time=262\tenvid=rtls-temp1\tresult=closed"));
	g_ptr_array_add (j, line ("time=263\tenvid=rtls-run\tresult=interrupted"));
	g_ptr_array_add (j, line ("time=264\tenvid=rtls-sent\tresult=filed"));
	g_ptr_array_add (j, line ("time=265\tenvid=rtls-sent\tresult=closed"));
	g_ptr_array_add (j, line ("time=266\tenvid=rtls-filed\tresult=closed"));
	g_ptr_array_add (j, line ("time=267\tenvid=rtls-held\tresult=confirmed"));
	g_ptr_array_add (j, line ("time=268\tenvid=rtls-later\tresult=closed"));
	{
		g_autoptr (GPtrArray) tail = g_ptr_array_new ();
		for (guint i = j->len - 9; i < j->len; i++)
			g_ptr_array_add (tail, j->pdata[i]);
		append_all_ok (st, tail);
	}
	g_assert_cmpint (rtls_store_next_retry (st), ==, 0);
	g_clear_pointer (&got, g_ptr_array_unref);
	got = rtls_store_unfinished (st, &error);
	g_assert_cmpuint (got->len, ==, 0);
	/* every attempt is still the fold's */
	g_clear_pointer (&folded, g_ptr_array_unref);
	folded = rtls_attempts_fold (j);
	for (guint i = 0; i < folded->len; i++) {
		RtlsAttempt *w = g_ptr_array_index (folded, i);
		g_autoptr (RtlsAttempt) a = rtls_store_attempt (st, w->envid, &error);
		assert_same (attempt_diff (a, w));
	}
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* The same ENVID started twice (rtls_attempts_apply() makes a second attempt of it): the
 * store answers with the one rtls_attempts_find() finds, the later. */
static void
test_started_twice (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) folded = NULL, got = NULL;
	g_autoptr (RtlsAttempt) a = NULL;
	g_autoptr (GError) error = NULL;

	g_ptr_array_add (j, started_entry (100, "rtls-twice", "<twice@x>", "T", "a@y", 1));
	g_ptr_array_add (j, line ("time=101\tenvid=rtls-twice\tresult=failed"));
	g_ptr_array_add (j, started_entry (102, "rtls-twice", "<twice@x>", "T", "a@y", 1));
	append_all_ok (st, j);
	folded = rtls_attempts_fold (j);
	g_assert_cmpuint (folded->len, ==, 2);
	a = rtls_store_attempt (st, "rtls-twice", &error);
	assert_same (attempt_diff (a, rtls_attempts_find (folded, "rtls-twice")));
	g_assert_cmpint (a->state, ==, RTLS_ATTEMPT_RUNNING);
	got = rtls_store_unfinished (st, &error);
	g_assert_cmpuint (got->len, ==, 1);
	assert_same (attempt_diff (got->pdata[0], rtls_attempts_find (folded, "rtls-twice")));
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* An unverified bounce naming one of our ENVIDs ("never-accepted", "other-headers") is a
 * message of its own: its row is grouped apart, and nothing of it reaches the attempt (where
 * rtls_attempts_apply() would take the send's missing Message-ID, subject or account from a
 * bounce anyone can forge). */
static void
test_unverified_apart (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) sends = g_ptr_array_new ();
	g_autoptr (GPtrArray) folded = NULL, rows = NULL, want = NULL, about = NULL;
	g_autoptr (RtlsAttempt) a = NULL;
	g_autoptr (GError) error = NULL;

	/* a send without Message-ID, subject or account, refused */
	g_ptr_array_add (j, line ("time=100\tenvid=rtls-u1\tresult=started\trecipients=a@y\t"
	                          "queue-folder=q\tqueue-msgnum=4"));
	g_ptr_array_add (j, line ("time=101\tenvid=rtls-u1\tresult=failed\tenhanced-code=5.7.30"));
	for (guint i = 0; i < j->len; i++)
		g_ptr_array_add (sends, j->pdata[i]);
	/* a bounce naming it though it was never accepted */
	g_ptr_array_add (j, line ("time=200\tenvid=rtls-u1\tmessage-id=<forged@evil.test>\t"
	                          "account=7\tsubject=Resend without TLS\tresult=unverified\t"
	                          "recipient=a@y\tbounce-id=b1@evil.test\treason=never-accepted"));
	append_all_ok (st, j);
	a = rtls_store_attempt (st, "rtls-u1", &error);
	folded = rtls_attempts_fold (sends);
	assert_same (attempt_diff (a, g_ptr_array_index (folded, 0)));
	g_assert_null (a->message_id);
	g_assert_null (a->subject);
	g_assert_cmpint (a->account_id, ==, -1);
	about = rtls_store_attempts_about (st, NULL, 0, "<forged@evil.test>", &error);
	g_assert_cmpuint (about->len, ==, 0);
	rows = all_rows (st);
	want = rows_by_message (j);
	assert_rows_same (rows, want);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 2);
	g_assert_cmpstr (((RtlsDeliveryRow *) rows->pdata[0])->key, ==, "bounce:b1@evil.test");
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- attempts about */

/* Claws numbers its queue from 1 again after a restart: over years one entry number was the
 * number of thousands of sends. Asking about the entry reads what can matter (the unfinished
 * and the newest attempt; the message's own come by its Message-ID), never all of them, and
 * the plugin's answers over it are those over the whole journal. */
static void
test_entry_reused (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) folded = NULL;
	g_autoptr (GError) error = NULL;

	for (guint i = 0; i < 60; i++) {
		g_autofree gchar *envid = g_strdup_printf ("rtls-r%u", i);
		g_autofree gchar *msgid = g_strdup_printf ("<r%u@x>", i);
		add_send (j, 1000 + 10 * i, envid, msgid, "R", "a@y", 2, "sent");
	}
	add_send (j, 2000, "rtls-held", "<held@x>", "H", "a@y", 2, "not-confirmed");
	add_send (j, 2100, "rtls-last", "<last@x>", "L", "a@y", 2, "failed");
	append_all_ok (st, j);
	folded = rtls_attempts_fold (j);
	{
		g_autoptr (GPtrArray) got
		        = rtls_store_attempts_about (st, "#mh/Mailbox/queue", 2, NULL, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (got->len, ==, 2);
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[0])->envid, ==, "rtls-held");
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[1])->envid, ==, "rtls-last");
	}
	for (const char *const *m
	     = (const char *const[]){ "<held@x>", "<last@x>", "<r7@x>", "<new@x>", NULL };
	     *m != NULL; m++) {
		g_autoptr (GPtrArray) got
		        = rtls_store_attempts_about (st, "#mh/Mailbox/queue", 2, *m, &error);
		const RtlsAttempt *w = rtls_attempts_for_entry (folded, "#mh/Mailbox/queue", 2, *m);
		const RtlsAttempt *g = rtls_attempts_for_entry (got, "#mh/Mailbox/queue", 2, *m);
		const RtlsAttempt *ww = NULL, *gw = NULL;
		g_assert_no_error (error);
		g_assert_cmpuint (got->len, <=, 3);
		if (w == NULL)
			g_assert_null (g);
		else
			assert_same (attempt_diff (g, w));
		g_assert_cmpint (
		        rtls_attempt_due_for_entry (got, g, *m, RTLS_DUE_ONLINE, 5000, &gw), ==,
		        rtls_attempt_due_for_entry (folded, w, *m, RTLS_DUE_ONLINE, 5000, &ww));
	}
	rm_rf (dir);
}

static void
test_attempts_about (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) folded = NULL;
	g_autoptr (GError) error = NULL;
	RtlsJournalEntry *e;

	/* message m: not confirmed from entry 3, sent again from entry 4, temporary */
	add_send (j, 100, "rtls-m1", "<m@x>", "M", "a@y", 3, "not-confirmed");
	add_send (j, 110, "rtls-m2", "<m@x>", "M", "a@y", 4, "temporary");
	/* message n in entry 3 of another folder; message o in entry 3 (a number reused) */
	add_send (j, 120, "rtls-n1", "<n@x>", "N", "b@y", 3, "sent");
	for (guint i = j->len - 4; i < j->len; i++) {
		e = j->pdata[i];
		g_free (e->queue_folder);
		e->queue_folder = g_strdup ("#imap/acc/Queue");
	}
	add_send (j, 130, "rtls-o1", "<o@x>", "O", "c@y", 3, "failed");
	/* an unrelated one */
	add_send (j, 140, "rtls-p1", "<p@x>", "P", "d@y", 9, "sent");
	append_all_ok (st, j);
	folded = rtls_attempts_fold (j);

	{
		/* entry 3 of the MH queue: the attempts of m and o */
		g_autoptr (GPtrArray) got
		        = rtls_store_attempts_about (st, "#mh/Mailbox/queue", 3, NULL, &error);
		const RtlsAttempt *w, *g;
		g_assert_no_error (error);
		g_assert_cmpuint (got->len, ==, 3);
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[0])->envid, ==, "rtls-m1");
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[1])->envid, ==, "rtls-m2");
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[2])->envid, ==, "rtls-o1");
		for (guint i = 0; i < got->len; i++) {
			RtlsAttempt *a = got->pdata[i];
			assert_same (attempt_diff (a, rtls_attempts_find (folded, a->envid)));
		}
		/* what the plugin asks of them: as over the whole journal */
		w = rtls_attempts_for_entry (folded, "#mh/Mailbox/queue", 3, "<o@x>");
		g = rtls_attempts_for_entry (got, "#mh/Mailbox/queue", 3, "<o@x>");
		assert_same (attempt_diff (g, w));
		g_assert_cmpstr (g->envid, ==, "rtls-o1");
		w = rtls_attempts_for_entry (folded, "#mh/Mailbox/queue", 3, "<m@x>");
		g = rtls_attempts_for_entry (got, "#mh/Mailbox/queue", 3, "<m@x>");
		assert_same (attempt_diff (g, w));
	}
	{
		g_autoptr (GPtrArray) got
		        = rtls_store_attempts_about (st, "#imap/acc/Queue", 3, NULL, &error);
		g_assert_cmpuint (got->len, ==, 1);
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[0])->envid, ==, "rtls-n1");
	}
	{
		g_autoptr (GPtrArray) got
		        = rtls_store_attempts_about (st, "#mh/Mailbox/queue", 5, NULL, &error);
		g_autoptr (GPtrArray) none
		        = rtls_store_attempts_about (st, "#mh/Other", 3, NULL, &error);
		g_autoptr (GPtrArray) nothing
		        = rtls_store_attempts_about (st, NULL, 0, NULL, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (got->len, ==, 0);
		g_assert_cmpuint (none->len, ==, 0);
		g_assert_cmpuint (nothing->len, ==, 0);
	}
	/* by Message-ID, with and without its brackets */
	for (guint k = 0; k < 3; k++) {
		static const char *const ids[] = { "<m@x>", "m@x", " <m@x> " };
		g_autoptr (GPtrArray) got = rtls_store_attempts_about (st, NULL, 0, ids[k], &error);
		const RtlsAttempt *w, *g, *which_w = NULL, *which_g = NULL;
		RtlsDue dw, dg;
		g_assert_no_error (error);
		g_assert_cmpuint (got->len, ==, 2);
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[0])->envid, ==, "rtls-m1");
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[1])->envid, ==, "rtls-m2");
		/* the uncertain first send holds the second back, as in the journal */
		w = rtls_attempts_uncertain_for_message (folded, ids[k]);
		g = rtls_attempts_uncertain_for_message (got, ids[k]);
		assert_same (attempt_diff (g, w));
		/* (rtls_attempt.c compares Message-IDs without blanks around them) */
		if (k < 2)
			g_assert_cmpstr (g->envid, ==, "rtls-m1");
		dw = rtls_attempt_due_for_entry (folded, rtls_attempts_find (folded, "rtls-m2"),
		                                 ids[k], RTLS_DUE_ASKED, 1000, &which_w);
		dg = rtls_attempt_due_for_entry (got, rtls_attempts_find (got, "rtls-m2"), ids[k],
		                                 RTLS_DUE_ASKED, 1000, &which_g);
		g_assert_cmpint (dg, ==, dw);
		g_assert_cmpint (dg, ==, k < 2 ? RTLS_DUE_ASK : RTLS_DUE_YES);
		assert_same (attempt_diff (which_g, which_w));
	}
	/* both at once: entry 3 and message p, each message once */
	{
		g_autoptr (GPtrArray) got
		        = rtls_store_attempts_about (st, "#mh/Mailbox/queue", 3, "p@x", &error);
		g_assert_cmpuint (got->len, ==, 4);
		g_assert_cmpstr (((RtlsAttempt *) got->pdata[3])->envid, ==, "rtls-p1");
	}
	{
		g_autoptr (GPtrArray) got
		        = rtls_store_attempts_about (st, NULL, 0, "<q@x>", &error);
		g_assert_cmpuint (got->len, ==, 0);
	}
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- reports */

static RtlsDsn *
parse_dsn (const char *name)
{
	g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "dsn", name, NULL);
	g_autofree gchar *data = NULL;
	gsize len = 0;
	g_autoptr (GError) error = NULL;
	RtlsDsn *dsn;

	g_assert_true (g_file_get_contents (path, &data, &len, NULL));
	dsn = rtls_dsn_parse (data, len, &error);
	g_assert_no_error (error);
	return dsn;
}

/* The bounce watcher's work over the store: the records the report needs, correlated,
 * its records appended; the same as over the whole journal @j, which gets them too. */
static RtlsBounceMatch
add_dsn (RtlsStore *st, GPtrArray *j, const char *file, gint64 now)
{
	g_autoptr (RtlsDsn) dsn = parse_dsn (file);
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) recs = rtls_store_records_for_dsn (st, dsn, &error);
	const RtlsJournalEntry *e = NULL, *we = NULL;
	g_autofree gchar *reason = NULL, *wreason = NULL;
	g_autofree gchar *bounce_id = g_strdup_printf ("<bounce-%s@relay.test>", file);
	RtlsBounceMatch m, wm;
	g_autoptr (GPtrArray) out = NULL, known = NULL;

	g_assert_no_error (error);
	g_assert_nonnull (recs);
	m = rtls_delivery_correlate (dsn, recs, &e, &reason);
	wm = rtls_delivery_correlate (dsn, j, &we, &wreason);
	g_assert_cmpint (m, ==, wm);
	g_assert_cmpstr (reason, ==, wreason);
	g_assert_true ((e == NULL) == (we == NULL));
	if (e != NULL)
		assert_same (entry_diff (e, we));
	out = rtls_delivery_records (dsn, m, e, reason, bounce_id, now);
	if (out->len == 0)
		return m;
	/* not known yet; once appended, it is (the same report filtered again) */
	known = rtls_store_records_like (st, out, &error);
	g_assert_false (rtls_delivery_records_known (known, out));
	append_all_ok (st, out);
	g_clear_pointer (&known, g_ptr_array_unref);
	known = rtls_store_records_like (st, out, &error);
	g_assert_true (rtls_delivery_records_known (known, out));
	for (guint i = 0; i < out->len; i++)
		g_ptr_array_add (j, g_steal_pointer (&out->pdata[i]));
	g_ptr_array_set_size (out, 0);
	return m;
}

static const RtlsDeliveryRow *
find_row (GPtrArray *rows, const char *rcpt, const char *key_part)
{
	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		if (g_ascii_strcasecmp (r->recipient, rcpt) == 0
		    && strstr (r->key, key_part) != NULL)
			return r;
	}
	return NULL;
}

static void
test_dsn (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) rows = NULL, want = NULL, recs = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsDeliveryRow) w = NULL;
	const gint64 day = 24 * 3600;
	const RtlsDeliveryRow *r;
	RtlsDomainHistory h;
	RtlsDsn by_id = { 0 };

	/* the sends the bounces are about, and others */
	add_send (j, 9 * day, "rtls-aaaaaaaabbbbbbbbcccccccc",
	          "<rtls-aaaaaaaabbbbbbbbcccccccc@sender.test>", "Board minutes",
	          "bob@example.org,carol@example.com", 1, "sent");
	/* the message mox-5.7.10.eml returns, sent with another ENVID than the report's */
	add_send (j, 9 * day + 10, "rtls-99999999999999999999999a",
	          "<rtls-161718191a1b1c1d1e1f2021@sender.test>", "Other", "dave@example.net", 2,
	          "sent");
	add_send (j, 9 * day + 20, "rtls-0000000000000000000000ff", "<unrelated@sender.test>",
	          "Unrelated", "erin@example.org", 3, "sent");
	append_all_ok (st, j);

	/* the send by its ENVID, the message by the Message-ID the report returns */
	{
		g_autoptr (RtlsDsn) dsn = parse_dsn ("postfix311-5.7.30.eml");
		recs = rtls_store_records_for_dsn (st, dsn, &error);
		g_assert_no_error (error);
		g_autoptr (GPtrArray) first = g_ptr_array_new ();
		for (guint i = 0; i < 4; i++)
			g_ptr_array_add (first, j->pdata[i]);
		/* the first send's four, not the others */
		assert_entries_same (recs, first);
	}
	g_clear_pointer (&recs, g_ptr_array_unref);
	by_id.orig_message_id = "rtls-161718191a1b1c1d1e1f2021@sender.test";
	recs = rtls_store_records_for_dsn (st, &by_id, &error);
	g_assert_cmpuint (recs->len, ==, 4);
	g_assert_cmpstr (((RtlsJournalEntry *) recs->pdata[0])->envid, ==,
	                 "rtls-99999999999999999999999a");
	g_clear_pointer (&recs, g_ptr_array_unref);
	by_id.orig_message_id = "<nothing@sender.test>";
	recs = rtls_store_records_for_dsn (st, &by_id, &error);
	g_assert_cmpuint (recs->len, ==, 0);
	g_clear_pointer (&recs, g_ptr_array_unref);
	{
		/* both of ambiguous ENVIDs: both sends */
		gchar *ids[] = { "rtls-aaaaaaaabbbbbbbbcccccccc", "rtls-0000000000000000000000ff",
			         NULL };
		RtlsDsn amb = { .ambiguous_envids = ids };
		recs = rtls_store_records_for_dsn (st, &amb, &error);
		g_assert_cmpuint (recs->len, ==, 8);
		g_clear_pointer (&recs, g_ptr_array_unref);
	}

	g_assert_cmpint (add_dsn (st, j, "postfix311-5.7.30.eml", 10 * day), ==, RTLS_BOUNCE_OURS);
	/* found by the Message-ID it returns (the reason says so: not "no-match") */
	g_assert_cmpint (add_dsn (st, j, "mox-5.7.10.eml", 10 * day + 1), ==,
	                 RTLS_BOUNCE_UNVERIFIED);
	g_assert_cmpstr (((RtlsJournalEntry *) j->pdata[j->len - 1])->reason, ==,
	                 "msgid-other-envid");
	g_assert_cmpint (add_dsn (st, j, "forged-unknown-envid.eml", 10 * day + 2), ==,
	                 RTLS_BOUNCE_UNVERIFIED);
	g_assert_cmpint (add_dsn (st, j, "postfix-unknown-user.eml", 10 * day + 3), ==,
	                 RTLS_BOUNCE_NOT_OURS);
	rows = all_rows (st);
	want = rows_by_message (j);
	assert_rows_same (rows, want);
	r = find_row (rows, "bob@example.org", "rtls-aaaa");
	g_assert_nonnull (r);
	g_assert_cmpint (r->state, ==, RTLS_ROW_BOUNCED);
	g_assert_cmpstr (r->status, ==, "5.7.30");
	g_assert_true (r->requiretls);
	g_assert_cmpint (find_row (rows, "carol@example.com", "rtls-aaaa")->state, ==,
	                 RTLS_ROW_SENT);
	g_assert_nonnull (find_row (rows, "bob@example.org", "bounce:"));

	/* the composer's warning, by index, as the fold of the journal gives it */
	{
		g_autoptr (GPtrArray) jrows = rtls_delivery_rows (j);
		const RtlsDeliveryRow *jw
		        = rtls_delivery_domain_warning (jrows, "example.org", 11 * day, 90 * day);
		w = rtls_store_domain_warning (st, "example.org", 11 * day, 90 * day);
		g_assert_nonnull (jw);
		g_assert_nonnull (w);
		assert_same (row_diff (w, jw));
	}
	g_assert_cmpstr (w->recipient, ==, "bob@example.org");
	g_clear_pointer (&w, rtls_delivery_row_free);
	w = rtls_store_domain_warning (st, "EXAMPLE.ORG", 11 * day, 90 * day);
	g_assert_nonnull (w);
	g_clear_pointer (&w, rtls_delivery_row_free);
	g_assert_null (rtls_store_domain_warning (st, "example.com", 11 * day, 90 * day));
	g_assert_null (rtls_store_domain_warning (st, "sub.example.org", 11 * day, 90 * day));
	g_assert_null (rtls_store_domain_warning (st, "example.org", 101 * day, 90 * day));
	g_assert_null (rtls_store_domain_warning (st, NULL, 11 * day, 90 * day));
	g_assert_null (rtls_store_domain_warning (st, "", 11 * day, 90 * day));
	g_assert_true (rtls_store_domain_history (st, "Example.ORG", &h, &error));
	g_assert_no_error (error);
	g_assert_cmpint (h.last_requiretls_failure, ==, 10 * day);
	g_assert_cmpint (h.last_delivered, ==, 0);
	g_assert_true (rtls_store_domain_history (st, "example.net", &h, &error));
	g_assert_cmpint (h.last_requiretls_failure, ==, 0);
	g_assert_cmpint (h.last_delivered, ==, 0);

	/* a later send to that domain is reported delivered: no warning any more */
	add_send (j, 12 * day, "rtls-c7000000000000000000d000",
	          "<rtls-c7000000000000000000d000@sender.test>", "Later", "bob@example.org", 4,
	          "sent");
	{
		g_autoptr (GPtrArray) tail = g_ptr_array_new ();
		for (guint i = j->len - 4; i < j->len; i++)
			g_ptr_array_add (tail, j->pdata[i]);
		append_all_ok (st, tail);
	}
	g_assert_cmpint (add_dsn (st, j, "rtls-delivered.eml", 13 * day), ==, RTLS_BOUNCE_OURS);
	g_assert_null (rtls_store_domain_warning (st, "example.org", 14 * day, 90 * day));
	{
		g_autoptr (GPtrArray) jrows = rtls_delivery_rows (j);
		g_assert_null (
		        rtls_delivery_domain_warning (jrows, "example.org", 14 * day, 90 * day));
	}
	g_assert_true (rtls_store_domain_history (st, "example.org", &h, &error));
	g_assert_cmpint (h.last_requiretls_failure, ==, 10 * day);
	g_assert_cmpint (h.last_delivered, ==, 13 * day);
	/* the warning is about the newest failure: a bounce after the delivery brings it back */
	{
		RtlsJournalEntry *b
		        = line ("time=1209600\tenvid=rtls-c7000000000000000000d000\t"
		                "message-id=<rtls-c7000000000000000000d000@sender.test>\t"
		                "result=bounced\trecipient=zoe@example.org\t"
		                "enhanced-code=5.7.30\taction=failed");
		append_ok (st, b);
		g_ptr_array_add (j, b);
	}
	w = rtls_store_domain_warning (st, "example.org", 15 * day, 90 * day);
	g_assert_nonnull (w);
	g_assert_cmpstr (w->recipient, ==, "zoe@example.org");
	{
		g_autoptr (GPtrArray) jrows = rtls_delivery_rows (j);
		assert_same (row_diff (w, rtls_delivery_domain_warning (jrows, "example.org",
		                                                        15 * day, 90 * day)));
	}
	g_clear_pointer (&rows, g_ptr_array_unref);
	g_clear_pointer (&want, g_ptr_array_unref);
	rows = all_rows (st);
	want = rows_by_message (j);
	assert_rows_same (rows, want);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- the window */

static const char *
special_subject (guint i)
{
	switch (i) {
	case 10:
		return "100% sure";
	case 11:
		return "100x sure"; /* what "100%" must not find */
	case 12:
		return "under_score";
	case 13:
		return "underXscore"; /* nor "under_score" */
	case 14:
		return "back\\slash";
	case 15:
		return "backslash";
	case 16:
		return "Straße";
	case 17:
		return "Ärger im Büro";
	default:
		return NULL;
	}
}

/* 250 messages, each its own time, most with one recipient in one of five domains, every
 * 25th with two; outcomes of every kind; two reported on. */
static GPtrArray *
many_messages (void)
{
	GPtrArray *j = entries_new ();

	for (guint i = 0; i < 250; i++) {
		g_autofree gchar *envid = g_strdup_printf ("rtls-many%04u", i);
		g_autofree gchar *msgid = g_strdup_printf ("<many%04u@sender.test>", i);
		g_autofree gchar *subject = g_strdup_printf ("Report %03u", i);
		g_autofree gchar *rcpts
		        = i % 25 == 0 ? g_strdup_printf (
		                  "user%03u@dom%u.example,other%03u@dom%u.example", i, i % 5, i,
		                  (i + 1) % 5)
		                      : g_strdup_printf ("user%03u@dom%u.example", i, i % 5);
		const char *outcome = i % 10 == 3   ? "not-confirmed"
		                      : i % 10 == 7 ? "temporary"
		                      : i % 10 == 9 ? "failed"
		                                    : "sent";
		add_send (j, 100000 + 10 * (gint64) i, envid, msgid,
		          special_subject (i) ? special_subject (i) : subject, rcpts, (gint) i + 1,
		          outcome);
	}
	/* a report of a REQUIRETLS bounce (shown "failed") and of a delivery */
	g_ptr_array_add (j, line ("time=200000\tenvid=rtls-many0020\t"
	                          "message-id=<many0020@sender.test>\tresult=bounced\t"
	                          "recipient=user020@dom0.example\tenhanced-code=5.7.30\t"
	                          "action=failed\treporting-mta=mx.dom0.example"));
	g_ptr_array_add (j, line ("time=200001\tenvid=rtls-many0021\t"
	                          "message-id=<many0021@sender.test>\tresult=delivered\t"
	                          "recipient=user021@dom1.example\tenhanced-code=2.0.0\t"
	                          "action=delivered"));
	/* a message sent again with another subject: its rows show the new one */
	g_ptr_array_add (
	        j, line ("time=200002\tenvid=rtls-many0030b\tmessage-id=<many0030@sender.test>\t"
	                 "recipients=user030@dom0.example\tsubject=Edited subject\t"
	                 "result=started\tqueue-folder=#mh/Mailbox/queue\tqueue-msgnum=31"));
	g_ptr_array_add (j, line ("time=200003\tenvid=rtls-many0030b\tresult=failed\t"
	                          "enhanced-code=5.7.30"));
	return j;
}

/* What the search box finds, by the rows shown: a message whose rows' subject, recipient or
 * state name (as shown, case folded) contains @search. */
static gboolean
message_matches (GPtrArray *rows, const char *search)
{
	g_autofree gchar *needle = g_utf8_casefold (search, -1);

	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		const char *hay[]
		        = { r->subject, r->recipient, rtls_delivery_state_name (r->state) };
		for (gsize k = 0; k < G_N_ELEMENTS (hay); k++) {
			g_autofree gchar *h = hay[k] ? g_utf8_casefold (hay[k], -1) : NULL;
			if (h != NULL && strstr (h, needle) != NULL)
				return TRUE;
		}
	}
	return FALSE;
}

/* The rows of @want (grouped by message, newest message first) of the messages that match. */
static GPtrArray *
filter_rows (GPtrArray *want, const char *search, guint *messages)
{
	GPtrArray *out = g_ptr_array_new ();

	*messages = 0;
	for (guint i = 0; i < want->len;) {
		g_autoptr (GPtrArray) group = g_ptr_array_new ();
		const char *key = ((RtlsDeliveryRow *) want->pdata[i])->key;
		for (;
		     i < want->len && g_str_equal (((RtlsDeliveryRow *) want->pdata[i])->key, key);
		     i++)
			g_ptr_array_add (group, want->pdata[i]);
		if (search != NULL && *search != '\0' && !message_matches (group, search))
			continue;
		(*messages)++;
		for (guint k = 0; k < group->len; k++)
			g_ptr_array_add (out, group->pdata[k]);
	}
	return out;
}

/* Every page of @page messages of the search: together, the rows of @want once each, in
 * its order; *more right on each. */
static void
check_pages (RtlsStore *st, const char *search, guint page, GPtrArray *want, guint messages)
{
	g_autoptr (GPtrArray) seen
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
	g_autoptr (GPtrArray) flat = g_ptr_array_new ();
	g_autoptr (GError) error = NULL;
	guint offset = 0;
	gboolean more = TRUE;

	while (more) {
		GPtrArray *rows = rtls_store_rows (st, search, offset, page, &more, &error);
		g_autoptr (GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
		g_assert_no_error (error);
		g_assert_nonnull (rows);
		g_ptr_array_add (seen, rows);
		for (guint i = 0; i < rows->len; i++) {
			g_ptr_array_add (flat, rows->pdata[i]);
			g_hash_table_add (keys, ((RtlsDeliveryRow *) rows->pdata[i])->key);
		}
		g_assert_cmpuint (g_hash_table_size (keys), ==, MIN (page, messages - offset));
		offset += page;
		g_assert_cmpint (more, ==, offset < messages);
		g_assert_cmpuint (seen->len, <=, messages / page + 1);
	}
	assert_rows_same (flat, want);
	g_assert_cmpint (rtls_store_count_messages (st, search), ==, messages);
}

static void
test_pages_and_search (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = many_messages ();
	g_autoptr (GPtrArray) want = rows_by_message (j);
	g_autoptr (GError) error = NULL;
	static const char *const searches[] = {
		"Report 12",
		"REPORT 12",
		"user042",
		"dom3.example",
		"@DOM1",
		"other",
		"not confirmed",
		"waiting to retry",
		"failed",
		"not sent",
		"delivered",
		"sent",
		"100%",
		"under_score",
		"back\\slash",
		"%",
		"_",
		"\\",
		"100x",
		"straße",
		"STRASSE",
		"ärger",
		"ÄRGER IM",
		"Edited",
		"Report 030",
		"bounced",
		"state",
		"waiting",
		":",
		"nothing at all",
	};

	append_all_ok (st, j);
	/* the whole window, a page at a time */
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 250);
	g_assert_cmpint (rtls_store_count_messages (st, ""), ==, 250);
	check_pages (st, NULL, 100, want, 250);
	check_pages (st, "", 100, want, 250);
	check_pages (st, NULL, 7, want, 250);
	/* newest first */
	for (guint i = 1; i < want->len; i++) {
		const RtlsDeliveryRow *a = want->pdata[i - 1], *b = want->pdata[i];
		if (!g_str_equal (a->key, b->key))
			g_assert_cmpint (a->time, >=, b->time);
	}
	g_assert_cmpstr (((RtlsDeliveryRow *) want->pdata[0])->key, ==, "many0030@sender.test");
	/* all at once, however large the page */
	{
		gboolean more = TRUE;
		g_autoptr (GPtrArray) rows
		        = rtls_store_rows (st, NULL, 0, G_MAXUINT, &more, &error);
		g_assert_no_error (error);
		assert_rows_same (rows, want);
		g_assert_false (more);
	}
	/* past the end */
	{
		gboolean more = TRUE;
		g_autoptr (GPtrArray) rows = rtls_store_rows (st, NULL, 250, 100, &more, &error);
		g_assert_cmpuint (rows->len, ==, 0);
		g_assert_false (more);
	}

	for (gsize i = 0; i < G_N_ELEMENTS (searches); i++) {
		guint n = 0;
		g_autoptr (GPtrArray) fw = filter_rows (want, searches[i], &n);
		g_test_message ("search \"%s\": %u messages", searches[i], n);
		check_pages (st, searches[i], 100, fw, n);
	}
	/* the searches find what they should, not only what the reference does */
	g_assert_cmpint (rtls_store_count_messages (st, "Report 12"), ==, 10);
	g_assert_cmpint (rtls_store_count_messages (st, "100%"), ==, 1);
	g_assert_cmpint (rtls_store_count_messages (st, "under_score"), ==, 1);
	g_assert_cmpint (rtls_store_count_messages (st, "back\\slash"), ==, 1);
	g_assert_cmpint (rtls_store_count_messages (st, "dom3.example"), ==, 50);
	g_assert_cmpint (rtls_store_count_messages (st, "not confirmed"), ==, 25);
	g_assert_cmpint (rtls_store_count_messages (st, "waiting to retry"), ==, 25);
	g_assert_cmpint (rtls_store_count_messages (st, "straße"), ==, 1);
	g_assert_cmpint (rtls_store_count_messages (st, "STRASSE"), ==, 1);
	g_assert_cmpint (rtls_store_count_messages (st, "ärger"), ==, 1);
	g_assert_cmpint (rtls_store_count_messages (st, "Edited"), ==, 1);
	g_assert_cmpint (rtls_store_count_messages (st, "bounced"), ==, 0);
	g_assert_cmpint (rtls_store_count_messages (st, "state"), ==, 0);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* A row removed from the window, then a whole message, then an unverified bounce. */
/* A reader beside the writer (the window's pages in a thread): the same rows and counts,
 * what the writer commits after it opened, never a write of its own, nothing made. */
static void
test_reader (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autofree gchar *none = g_build_filename (dir, "none.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = many_messages ();
	g_autoptr (GPtrArray) later = entries_new ();
	g_autoptr (RtlsStore) rd = NULL;
	g_autoptr (GError) error = NULL;
	gint64 records;

	append_all_ok (st, j);
	rd = rtls_store_open_reader (path, &error);
	g_assert_no_error (error);
	g_assert_nonnull (rd);
	{
		g_autoptr (GPtrArray) want = rows_by_message (j);
		g_autoptr (GPtrArray) got = all_rows (rd);
		assert_rows_same (got, want);
		g_assert_cmpint (rtls_store_count_messages (rd, NULL), ==, 250);
		g_assert_cmpint (rtls_store_count_messages (rd, "dom3.example"), ==,
		                 rtls_store_count_messages (st, "dom3.example"));
	}
	/* committed by the writer after the reader opened: seen at its next query */
	add_send (later, 900000, "rtls-rd1", "<rd1@x>", "Read later", "r@example.org", 1, "sent");
	append_all_ok (st, later);
	g_assert_cmpint (rtls_store_count_messages (rd, NULL), ==, 251);
	{
		gboolean more = FALSE;
		g_autoptr (GPtrArray) first = rtls_store_rows (rd, NULL, 0, 1, &more, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (first->len, ==, 1);
		g_assert_cmpstr (((RtlsDeliveryRow *) first->pdata[0])->subject, ==, "Read later");
		g_assert_true (more);
	}
	/* it writes nothing, and says so */
	records = sql_int (path, "SELECT count(*) FROM record");
	{
		g_autoptr (RtlsJournalEntry) e
		        = line ("time=900001\tenvid=rtls-rd2\tmessage-id=<rd2@x>\t"
		                "result=started\trecipients=r@example.org");
		g_assert_false (rtls_store_append (rd, e, &error));
		g_assert_nonnull (error);
		g_clear_error (&error);
		g_assert_cmpint (rtls_store_expire (rd, G_MAXINT64, 10, &error), ==, -1);
		g_clear_error (&error);
	}
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM record"), ==, records);
	/* no history there: none is made */
	g_assert_null (rtls_store_open_reader (none, &error));
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
	/* a database that is not this release's history (no schema yet) is not read */
	{
		sqlite3 *db = NULL;
		g_assert_cmpint (sqlite3_open (none, &db), ==, SQLITE_OK);
		g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE t (x)", NULL, NULL, NULL), ==,
		                 SQLITE_OK);
		sqlite3_close (db);
		g_assert_null (rtls_store_open_reader (none, &error));
		g_assert_nonnull (error);
		g_clear_error (&error);
	}
	g_clear_pointer (&rd, rtls_store_close);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

static void
test_forget (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) rows = NULL, want = NULL;
	const RtlsDeliveryRow *r;
	RtlsJournalEntry *f;

	add_send (j, 100, "rtls-f1", "<f1@x>", "F1", "a@y,b@y", 1, "sent");
	add_send (j, 200, "rtls-f2", "<f2@x>", "F2", "c@y", 2, "sent");
	add_send (j, 300, "rtls-f3", NULL, "F3 without Message-ID", "d@y,e@y", 3, "failed");
	g_ptr_array_add (j, line ("time=400\tresult=unverified\trecipient=a@y\tenvid=rtls-f1\t"
	                          "bounce-id=forged@evil.test\treason=other-headers\t"
	                          "message-id=<someone-else@x>"));
	g_ptr_array_add (j, line ("time=410\tresult=unverified\trecipient=a@y\t"
	                          "bounce-id=forged2@evil.test\treason=no-match"));
	append_all_ok (st, j);
	rows = all_rows (st);
	want = rows_by_message (j);
	assert_rows_same (rows, want);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 5);
	g_assert_cmpuint (rows->len, ==, 7);

	/* one recipient's row */
	r = find_row (rows, "b@y", "f1@x");
	f = rtls_delivery_forget_record (r, FALSE, 500);
	append_ok (st, f);
	g_ptr_array_add (j, f);
	g_clear_pointer (&rows, g_ptr_array_unref);
	g_clear_pointer (&want, g_ptr_array_unref);
	rows = all_rows (st);
	want = rows_by_message (j);
	assert_rows_same (rows, want);
	g_assert_cmpuint (rows->len, ==, 6);
	g_assert_null (find_row (rows, "b@y", "f1@x"));
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 5);
	/* a whole message, found by its ENVID */
	r = find_row (rows, "d@y", "rtls-f3");
	f = rtls_delivery_forget_record (r, TRUE, 501);
	append_ok (st, f);
	g_ptr_array_add (j, f);
	/* the unverified bounces: one naming a send of ours, one nothing */
	r = find_row (rows, "a@y", "bounce:forged@");
	g_assert_nonnull (r);
	f = rtls_delivery_forget_record (r, FALSE, 502);
	append_ok (st, f);
	g_ptr_array_add (j, f);
	r = find_row (rows, "a@y", "bounce:forged2@");
	f = rtls_delivery_forget_record (r, TRUE, 503);
	append_ok (st, f);
	g_ptr_array_add (j, f);
	g_clear_pointer (&rows, g_ptr_array_unref);
	g_clear_pointer (&want, g_ptr_array_unref);
	rows = all_rows (st);
	want = rows_by_message (j);
	assert_rows_same (rows, want);
	g_assert_cmpuint (rows->len, ==, 2);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 2);
	g_assert_cmpint (rtls_store_count_messages (st, "F3"), ==, 0);
	g_assert_cmpint (rtls_store_count_messages (st, "a@y"), ==, 1);
	/* and after a restart */
	g_clear_pointer (&st, rtls_store_close);
	g_clear_pointer (&rows, g_ptr_array_unref);
	st = open_ok (path);
	rows = all_rows (st);
	assert_rows_same (rows, want);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- crash replay */

/* test-attempt.c's world, with the store as the journal: a restart finds the store (closed
 * and opened again), the Sent folder, the queue entry, the helper's status file. The same
 * records go to an in-memory journal too, whose fold every answer is checked against. */
typedef struct {
	gchar *dir, *path;
	RtlsStore *st;
	GPtrArray *journal; /* RtlsJournalEntry*, as the journal file would give them back */
	guint copies;
	gboolean entry;
	gchar *status;
	gboolean alive;
	gboolean wants_copy;
	guint actions;
	guint crash_after;
} World;

static void
world_init (World *w, const char *status, gboolean wants_copy)
{
	memset (w, 0, sizeof *w);
	w->dir = tmpdir ();
	w->path = g_build_filename (w->dir, "requiretls.db", NULL);
	w->st = open_ok (w->path);
	w->journal = entries_new ();
	w->entry = TRUE;
	w->wants_copy = wants_copy;
	w->status = g_strdup (status);
}

static void
world_clear (World *w)
{
	rtls_store_close (w->st);
	rm_rf (w->dir);
	g_free (w->dir);
	g_free (w->path);
	g_ptr_array_unref (w->journal);
	g_free (w->status);
}

static void
world_restart (World *w)
{
	rtls_store_close (w->st);
	w->st = open_ok (w->path);
}

static void
world_append (World *w, RtlsJournalEntry *e)
{
	append_ok (w->st, e);
	g_ptr_array_add (w->journal, through_journal (e));
	rtls_journal_entry_free (e);
}

/* The latest attempt, as the store answers (rtls_store_attempt(), rtls_store_unfinished(),
 * rtls_store_attempts_about()): each the fold's. */
static RtlsAttempt *
world_attempt (World *w)
{
	g_autoptr (GPtrArray) folded = rtls_attempts_fold (w->journal);
	const RtlsAttempt *want = g_ptr_array_index (folded, folded->len - 1);
	g_autoptr (GError) error = NULL;
	RtlsAttempt *a = rtls_store_attempt (w->st, want->envid, &error);
	g_autoptr (GPtrArray) open = rtls_store_unfinished (w->st, &error);
	g_autoptr (GPtrArray) about = rtls_store_attempts_about (w->st, want->queue_folder,
	                                                         want->queue_msgnum, NULL, &error);
	gboolean is_open = want->state == RTLS_ATTEMPT_RUNNING || want->state == RTLS_ATTEMPT_SENT
	                   || want->state == RTLS_ATTEMPT_HELD
	                   || want->state == RTLS_ATTEMPT_TEMPORARY;

	g_assert_no_error (error);
	assert_same (attempt_diff (a, want));
	g_assert_cmpint (lists (open, want->envid), ==, is_open);
	assert_attempts_same (about, folded);
	assert_same (attempt_diff (rtls_attempts_for_entry (about, want->queue_folder,
	                                                    want->queue_msgnum, want->message_id),
	                           want));
	return a;
}

static gboolean
world_act (World *w)
{
	if (w->actions >= w->crash_after)
		return FALSE;
	w->actions++;
	return TRUE;
}

/* As test-attempt.c's run_bookkeeping(), the steps asked of the store's attempt. */
static gboolean
world_bookkeeping (World *w)
{
	for (guint guard = 0; guard < 20; guard++) {
		g_autoptr (RtlsAttempt) a = world_attempt (w);
		g_autoptr (GPtrArray) folded = rtls_attempts_fold (w->journal);
		g_autoptr (RtlsRecord) rec = NULL;
		RtlsRecoveryFacts f = { 0 };
		RtlsStep step;

		if (w->status != NULL)
			rec = rtls_record_parse (w->status, strlen (w->status));
		f.helper_alive = w->alive;
		f.record = rec;
		f.content_left
		        = w->status != NULL && strstr (w->status, "progress=content") != NULL;
		f.status_file = w->status != NULL;
		f.wants_copy = w->wants_copy;
		f.copy_present = w->copies > 0;
		f.entry_present = w->entry;
		step = rtls_attempt_next_step (a, &f);
		g_assert_cmpint (
		        step, ==,
		        rtls_attempt_next_step (g_ptr_array_index (folded, folded->len - 1), &f));
		switch (step) {
		case RTLS_STEP_NONE:
		case RTLS_STEP_WAIT:
			return TRUE;
		case RTLS_STEP_RECORD_OUTCOME:
			if (!world_act (w))
				return FALSE;
			world_append (w, rtls_attempt_recovered_outcome (a, &f, 2000));
			break;
		case RTLS_STEP_FILE_COPY:
			if (!world_act (w))
				return FALSE;
			w->copies++;
			if (!world_act (w))
				return FALSE;
			world_append (w, rtls_attempt_record (a, "filed", 2000));
			break;
		case RTLS_STEP_RECORD_FILED:
			if (!world_act (w))
				return FALSE;
			world_append (w, rtls_attempt_record (a, "filed", 2000));
			break;
		case RTLS_STEP_REMOVE_ENTRY:
			if (!world_act (w))
				return FALSE;
			w->entry = FALSE;
			if (!world_act (w))
				return FALSE;
			world_append (w, rtls_attempt_record (a, "closed", 2000));
			break;
		case RTLS_STEP_RECORD_CLOSED:
			if (!world_act (w))
				return FALSE;
			world_append (w, rtls_attempt_record (a, "closed", 2000));
			break;
		case RTLS_STEP_FORGET_STATUS:
			if (!world_act (w))
				return FALSE;
			g_clear_pointer (&w->status, g_free);
			break;
		default:
			g_assert_not_reached ();
		}
	}
	g_assert_not_reached ();
	return FALSE;
}

static guint
world_count (World *w, const char *result)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) recs = rtls_store_records_like (w->st, w->journal, &error);
	guint n = 0;

	/* the store holds exactly what the journal does */
	assert_entries_same (recs, w->journal);
	for (guint i = 0; i < recs->len; i++)
		n += g_strcmp0 (((RtlsJournalEntry *) recs->pdata[i])->result, result) == 0;
	return n;
}

typedef struct {
	const char *name;
	const char *status;
	gboolean wants_copy;
	RtlsAttemptState end;
	guint copies;
	gboolean entry;
	const char *outcome;
} Case;

/* test-attempt.c's matrix */
static const Case cases[] = {
	{ "sent, with a Sent copy",
	  "result=sent\nexit=0\nstage=done\nhost=smtp.example.org\ntls-version=TLS1.3\n"
	  "requiretls=yes\nmessage-id=<m1@example.org>\n",
	  TRUE, RTLS_ATTEMPT_CLOSED, 1, FALSE, "sent" },
	{ "sent, no copy asked for", "result=sent\nexit=0\nstage=done\n", FALSE,
	  RTLS_ATTEMPT_CLOSED, 0, FALSE, "sent" },
	{ "refused for good",
	  "result=failed\nexit=69\nerror=RTLS_ERROR_UNSUPPORTED\nenhanced-code=5.7.30\n"
	  "stage=ehlo\nhost=h\n",
	  TRUE, RTLS_ATTEMPT_FAILED, 0, TRUE, "failed" },
	{ "helper lost the connection after the dot",
	  "result=not-confirmed\nexit=75\nerror=RTLS_ERROR_NOT_CONFIRMED\nstage=data\n", TRUE,
	  RTLS_ATTEMPT_HELD, 0, TRUE, "not-confirmed" },
	{ "helper killed after the content left", "progress=content\nenvid=rtls-x\n", TRUE,
	  RTLS_ATTEMPT_HELD, 0, TRUE, "not-confirmed" },
	{ "helper killed before the content left", NULL, TRUE, RTLS_ATTEMPT_FAILED, 0, TRUE,
	  "interrupted" },
};

static void
replay (gconstpointer data)
{
	const Case *c = data;
	guint total = 0;

	for (guint crash = 0;; crash++) {
		World w;
		g_autoptr (RtlsAttempt) a = NULL;
		gboolean finished;

		world_init (&w, c->status, c->wants_copy);
		w.crash_after = crash;
		world_append (&w, started_entry (1000, "rtls-00000000000000000000abcd",
		                                 "<m1@example.org>", "Quarterly",
		                                 "bob@example.net,carol@example.gov", 7));
		finished = world_bookkeeping (&w);
		if (finished)
			total = w.actions;
		/* restart: a new run knows only the store and the disk */
		world_restart (&w);
		w.crash_after = G_MAXUINT;
		g_assert_true (world_bookkeeping (&w));
		{
			guint records = w.journal->len, copies = w.copies;
			world_restart (&w);
			g_assert_true (world_bookkeeping (&w));
			g_assert_cmpuint (w.journal->len, ==, records);
			g_assert_cmpuint (w.copies, ==, copies);
		}
		a = world_attempt (&w);
		g_assert_cmpint (a->state, ==, c->end);
		g_assert_cmpstr (rtls_result_word (a->outcome), ==, c->outcome);
		g_assert_cmpuint (w.copies, ==, c->copies);
		g_assert_cmpint (w.entry, ==, c->entry);
		g_assert_null (w.status);
		g_assert_cmpuint (world_count (&w, "filed"), <=, 1);
		g_assert_cmpuint (world_count (&w, c->outcome), ==, 1);
		g_assert_cmpint (rtls_attempt_due (a, RTLS_DUE_RETRIES, 99999), ==, RTLS_DUE_NO);
		if (c->end != RTLS_ATTEMPT_FAILED)
			g_assert_cmpint (rtls_attempt_due (a, RTLS_DUE_ONLINE, 99999), ==,
			                 RTLS_DUE_NO);
		/* the window says what the journal's fold says */
		{
			g_autoptr (GPtrArray) rows = all_rows (w.st);
			g_autoptr (GPtrArray) want = rtls_delivery_rows (w.journal);
			assert_rows_same (rows, want);
		}
		world_clear (&w);
		if (finished)
			break;
	}
	g_assert_cmpuint (total, >, 0);
	g_test_message ("%s: replayed from %u intermediate states", c->name, total + 1);
}

static void
test_replay_helper_alive (void)
{
	World w;
	g_autoptr (RtlsAttempt) a = NULL;

	world_init (&w, "progress=content\n", TRUE);
	w.alive = TRUE;
	w.crash_after = G_MAXUINT;
	world_append (&w, started_entry (1000, "rtls-00000000000000000000abcd", "<m1@example.org>",
	                                 "Quarterly", "bob@example.net", 7));
	g_assert_true (world_bookkeeping (&w));
	g_assert_cmpuint (w.journal->len, ==, 1);
	a = world_attempt (&w);
	g_assert_cmpint (rtls_attempt_due (a, RTLS_DUE_ASKED, 0), ==, RTLS_DUE_NO);
	w.alive = FALSE;
	g_free (w.status);
	w.status = g_strdup ("result=sent\nexit=0\nstage=done\n");
	world_restart (&w);
	g_assert_true (world_bookkeeping (&w));
	g_clear_pointer (&a, rtls_attempt_free);
	a = world_attempt (&w);
	g_assert_cmpint (a->state, ==, RTLS_ATTEMPT_CLOSED);
	g_assert_cmpuint (w.copies, ==, 1);
	g_assert_false (w.entry);
	world_clear (&w);
}

/* test-attempt.c's due and uncertain-earlier-attempt journals, asked of the store. */
static void
check_due (RtlsStore *st, GPtrArray *j, const char *folder, gint msgnum, const char *msgid)
{
	static const RtlsDueKind kinds[] = { RTLS_DUE_ASKED, RTLS_DUE_ONLINE, RTLS_DUE_RETRIES };
	static const gint64 nows[] = { 0, 99, 100, 499, 500, G_MAXINT64 };
	g_autoptr (GPtrArray) folded = rtls_attempts_fold (j);
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) about = rtls_store_attempts_about (st, folder, msgnum, msgid, &error);
	const RtlsAttempt *lw = rtls_attempts_for_entry (folded, folder, msgnum, msgid);
	const RtlsAttempt *lg = rtls_attempts_for_entry (about, folder, msgnum, msgid);

	g_assert_no_error (error);
	assert_same (attempt_diff (lg, lw));
	assert_same (attempt_diff (rtls_attempts_uncertain_for_message (about, msgid),
	                           rtls_attempts_uncertain_for_message (folded, msgid)));
	assert_same (attempt_diff (rtls_attempts_maybe_arrived_for_message (about, msgid),
	                           rtls_attempts_maybe_arrived_for_message (folded, msgid)));
	assert_same (attempt_diff (rtls_attempts_open_for_message (about, msgid),
	                           rtls_attempts_open_for_message (folded, msgid)));
	for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
		for (gsize n = 0; n < G_N_ELEMENTS (nows); n++) {
			const RtlsAttempt *ww = NULL, *wg = NULL;
			RtlsDue dw = rtls_attempt_due_for_entry (folded, lw, msgid, kinds[k],
			                                         nows[n], &ww);
			RtlsDue dg = rtls_attempt_due_for_entry (about, lg, msgid, kinds[k],
			                                         nows[n], &wg);
			g_assert_cmpint (dg, ==, dw);
			assert_same (attempt_diff (wg, ww));
		}
}

static void
test_replay_due (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	static const char *const lines[] = {
		/* test_due */
		"time=10\tenvid=rtls-t\tmessage-id=<t@x>\tresult=started\t"
		"queue-folder=#mh/Mailbox/queue\tqueue-msgnum=3",
		"time=11\tenvid=rtls-t\tresult=temporary\tretry-at=500\tretry-step=0",
		"time=12\tenvid=rtls-u\tresult=started\tqueue-folder=q\tqueue-msgnum=4\t"
		"message-id=<u@x>",
		"time=13\tenvid=rtls-u\tresult=failed",
		"time=14\tenvid=rtls-v\tresult=started\tqueue-folder=q\tqueue-msgnum=5\t"
		"message-id=<v@x>",
		"time=15\tenvid=rtls-v\tresult=not-confirmed",
		"time=16\tenvid=rtls-v\tresult=confirmed",
		/* test_due_uncertain_earlier_attempt */
		"time=20\tenvid=rtls-a\tmessage-id=<m@x>\tresult=started\tqueue-folder=q\t"
		"queue-msgnum=6",
		"time=21\tenvid=rtls-a\tresult=not-confirmed",
		"time=22\tenvid=rtls-b\tmessage-id=<m@x>\tresult=started\tqueue-folder=q\t"
		"queue-msgnum=7",
		"time=23\tenvid=rtls-b\tresult=temporary\tretry-at=100\tretry-step=0",
		"time=30\tenvid=rtls-a\tresult=confirmed",
		"time=40\tenvid=rtls-c\tmessage-id=<m@x>\tresult=started\tqueue-folder=q\t"
		"queue-msgnum=8",
		/* test_legacy */
		"time=1700000000\tenvid=rtls-old1\tmessage-id=<old1@x>\taccount=1\tsender=a@x\t"
		"recipients=b@y\tsubject=Old\tresult=sent\thost=smtp.x\tport=465\ttls-version=TLS1."
		"3",
	};

	/* after every record, every question asked as over the journal */
	for (gsize i = 0; i < G_N_ELEMENTS (lines); i++) {
		RtlsJournalEntry *e = line (lines[i]);
		append_ok (st, e);
		g_ptr_array_add (j, e);
		check_due (st, j, "#mh/Mailbox/queue", 3, "<t@x>");
		check_due (st, j, "q", 4, NULL);
		check_due (st, j, "q", 5, "v@x");
		check_due (st, j, "q", 6, "<m@x>");
		check_due (st, j, "q", 7, "<m@x>");
		check_due (st, j, "q", 7, "m@x");
		check_due (st, j, "q", 8, "<m@x>");
		check_due (st, j, NULL, 0, "<old1@x>");
		check_due (st, j, NULL, 0, "<n@x>");
	}
	{
		g_autoptr (RtlsAttempt) old = rtls_store_attempt (st, "rtls-old1", NULL);
		g_assert_true (old->legacy);
		g_assert_cmpint (old->state, ==, RTLS_ATTEMPT_CLOSED);
	}
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- importing a journal */

static guint
count_lines (const char *path)
{
	g_autofree gchar *text = NULL;
	guint n = 0;

	g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
	for (const char *p = text; *p != '\0'; p++)
		n += *p == '\n';
	return n;
}

/* Imports @path into a new store at @db and checks it against the fold of the same journal:
 * the rows (as a set, and in the store's order, message by message), every attempt, what is
 * unfinished, the next retry; a second import takes nothing. */
static RtlsStore *
import_checked (const char *db, const char *path, guint want_taken, guint want_skipped)
{
	RtlsStore *st = open_ok (db);
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) j = rtls_journal_load (path, &error);
	g_autoptr (GPtrArray) rows = NULL, want = NULL, folded = NULL, open = NULL, wopen = NULL;
	guint taken = 99, skipped = 99;
	gint64 retry = 0;

	g_assert_no_error (error);
	g_assert_false (rtls_store_journal_imported (st));
	g_assert_true (rtls_store_import_journal (st, path, &taken, &skipped, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (taken, ==, want_taken);
	g_assert_cmpuint (skipped, ==, want_skipped);
	g_assert_cmpuint (taken, ==, j->len);
	g_assert_true (rtls_store_journal_imported (st));

	rows = all_rows (st);
	want = rtls_delivery_rows (j);
	assert_row_sets_same (rows, want);
	g_clear_pointer (&want, g_ptr_array_unref);
	want = rows_by_message (j);
	assert_rows_same (rows, want);
	{
		/* a message: the rows of one key */
		g_autoptr (GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
		for (guint i = 0; i < want->len; i++)
			g_hash_table_add (keys, ((RtlsDeliveryRow *) want->pdata[i])->key);
		g_assert_cmpint (rtls_store_count_messages (st, NULL), ==,
		                 g_hash_table_size (keys));
	}

	folded = rtls_attempts_fold (j);
	for (guint i = 0; i < folded->len; i++) {
		RtlsAttempt *w = g_ptr_array_index (folded, i);
		g_autoptr (RtlsAttempt) a = rtls_store_attempt (st, w->envid, &error);
		g_assert_no_error (error);
		assert_same (attempt_diff (a, rtls_attempts_find (folded, w->envid)));
		if (w->state == RTLS_ATTEMPT_TEMPORARY && w->retry_at > 0
		    && (retry == 0 || w->retry_at < retry))
			retry = w->retry_at;
	}
	open = rtls_store_unfinished (st, &error);
	g_assert_no_error (error);
	wopen = unfinished_of (folded);
	assert_attempts_same (open, wopen);
	g_assert_cmpint (rtls_store_next_retry (st), ==, retry);
	/* every record, as the journal gives it */
	{
		g_autoptr (GPtrArray) recs = rtls_store_records_like (st, j, &error);
		g_assert_no_error (error);
		assert_entries_same (recs, j);
	}

	/* once */
	taken = skipped = 99;
	g_assert_true (rtls_store_import_journal (st, path, &taken, &skipped, &error));
	g_assert_cmpuint (taken, ==, 0);
	g_assert_cmpuint (skipped, ==, 0);
	g_clear_pointer (&rows, g_ptr_array_unref);
	rows = all_rows (st);
	assert_rows_same (rows, want);
	/* and so after a restart */
	rtls_store_close (st);
	st = open_ok (db);
	g_assert_true (rtls_store_journal_imported (st));
	g_assert_true (rtls_store_import_journal (st, path, &taken, &skipped, &error));
	g_assert_cmpuint (taken, ==, 0);
	return st;
}

static void
test_import (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *db = g_build_filename (dir, "requiretls.db", NULL);
	g_autofree gchar *path = g_build_filename (dir, "journal", NULL);
	g_autoptr (GPtrArray) j = many_messages ();
	g_autoptr (GString) text = g_string_new (NULL);
	g_autoptr (RtlsStore) st = NULL;
	g_autoptr (GError) error = NULL;
	guint taken = 99, skipped = 99, garbage = 0;

	/* a missing journal: nothing to take, and not marked: a journal may still come */
	st = open_ok (db);
	g_assert_true (rtls_store_import_journal (st, path, &taken, &skipped, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (taken, ==, 0);
	g_assert_cmpuint (skipped, ==, 0);
	g_assert_false (rtls_store_journal_imported (st));
	g_clear_pointer (&st, rtls_store_close);
	g_unlink (db);

	for (guint i = 0; i < j->len; i++) {
		g_autofree gchar *l = rtls_journal_entry_format (j->pdata[i]);
		g_string_append_printf (text, "%s\n", l);
		switch (i % 97) {
		case 5: /* not key=value */
			g_string_append (text, "garbage without an equals sign\n");
			garbage++;
			break;
		case 17: /* key=value, but no result */
			g_string_append (text, "time=5\tenvid=rtls-x\n");
			garbage++;
			break;
		case 29: /* a torn write: a NUL in the middle of a line */
			g_string_append (text, "time=6\tenvid=rtls-y\tres");
			g_string_append_c (text, '\0');
			g_string_append (text, "ult=sent\n");
			garbage++;
			break;
		case 41: /* empty lines are no records and no damage */
			g_string_append (text, "\n\n");
			break;
		case 53: /* no time */
			g_string_append (text, "envid=rtls-z\tresult=sent\n");
			garbage++;
			break;
		}
	}
	/* the last line without its newline */
	g_string_append (text, "time=300000\tenvid=rtls-last\tmessage-id=<last@x>\tresult=started\t"
	                       "recipients=last@y");
	g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
	st = import_checked (db, path, j->len + 1, garbage);
	g_assert_cmpuint (garbage, >=, 4 * 9); /* each kind nine times or more */
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* The journal of every earlier release, written by its own code (tests/data/journal/make/). */
static void
test_import_releases (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autoptr (GError) error = NULL;
	const RtlsDeliveryRow *r;

	{
		/* 3aa1eae: outcome lines only; every attempt "legacy", finished or held */
		g_autofree gchar *db = g_build_filename (dir, "v1.db", NULL);
		g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "journal",
		                                                "v1-outcomes.journal", NULL);
		g_autoptr (RtlsStore) st = import_checked (db, path, 6, 0);
		g_autoptr (GPtrArray) rows = all_rows (st);
		g_autoptr (GPtrArray) open = rtls_store_unfinished (st, &error);
		g_autoptr (RtlsAttempt) a
		        = rtls_store_attempt (st, "rtls-v1a000000000000000000001", &error);
		g_autoptr (GPtrArray) about
		        = rtls_store_attempts_about (st, NULL, 0, "<v1-retry@example.org>", &error);

		g_assert_true (a->legacy);
		g_assert_cmpint (a->state, ==, RTLS_ATTEMPT_CLOSED);
		g_assert_cmpint (a->started, ==, 1763000000);
		g_assert_cmpstr (a->subject, ==, "v1 sent");
		g_assert_cmpuint (rows->len, ==, 6);
		g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 5);
		g_assert_cmpint (find_row (rows, "carol@example.gov", "v1-sent")->state, ==,
		                 RTLS_ROW_SENT);
		g_assert_cmpstr (find_row (rows, "carol@example.gov", "v1-sent")->accepted_by, ==,
		                 "smtp.example.org");
		g_assert_cmpint (find_row (rows, "dave@example.com", "v1-refused")->state, ==,
		                 RTLS_ROW_FAILED);
		g_assert_cmpint (find_row (rows, "erin@example.net", "v1-unsure")->state, ==,
		                 RTLS_ROW_NOT_CONFIRMED);
		r = find_row (rows, "frank@example.net", "v1-retry");
		g_assert_cmpint (r->state, ==, RTLS_ROW_SENT);
		g_assert_cmpstr (r->envid, ==, "rtls-v1a000000000000000000005");
		g_assert_cmpint (find_row (rows, "grace@example.org", "v1-cancel")->state, ==,
		                 RTLS_ROW_CANCELLED);
		/* its words are kept as written */
		g_assert_cmpstr (find_row (rows, "grace@example.org", "v1-cancel")->explanation, ==,
		                 "Sending was cancelled.");
		/* the not-confirmed and the temporary one are the open ones */
		g_assert_cmpuint (open->len, ==, 2);
		g_assert_cmpint (((RtlsAttempt *) open->pdata[0])->outcome, ==,
		                 RTLS_RESULT_NOT_CONFIRMED);
		g_assert_cmpint (((RtlsAttempt *) open->pdata[1])->outcome, ==,
		                 RTLS_RESULT_TEMPORARY);
		g_assert_cmpuint (about->len, ==, 2);
		g_assert_true (((RtlsAttempt *) about->pdata[0])->legacy);
		g_clear_pointer (&st, rtls_store_close);
	}
	{
		/* bb2a84a: reports, an unverified bounce with its reason in words, forgotten rows
		 */
		g_autofree gchar *db = g_build_filename (dir, "v2.db", NULL);
		g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "journal",
		                                                "v2-reports.journal", NULL);
		g_autoptr (RtlsStore) st = import_checked (db, path, 9, 0);
		g_autoptr (GPtrArray) rows = all_rows (st);
		g_autoptr (RtlsDeliveryRow) w = NULL;
		RtlsDomainHistory h;

		g_assert_cmpuint (rows->len, ==, 4);
		r = find_row (rows, "bob@example.org", "rtls-aaaa");
		g_assert_cmpint (r->state, ==, RTLS_ROW_BOUNCED);
		g_assert_cmpstr (r->status, ==, "5.7.30");
		g_assert_true (r->requiretls);
		g_assert_cmpstr (r->remote_mta, ==, "mx1.example.org");
		g_assert_null (find_row (rows, "carol@example.com", "rtls-aaaa")); /* forgotten */
		g_assert_null (find_row (rows, "bob@example.org", "bounce:"));     /* forgotten */
		g_assert_cmpint (find_row (rows, "norequiretls@example.net", "rtls-fedc")->state,
		                 ==, RTLS_ROW_BOUNCED);
		g_assert_cmpint (find_row (rows, "erin@example.org", "rtls-0a0b")->state, ==,
		                 RTLS_ROW_FAILED);
		g_assert_cmpint (find_row (rows, "frank@example.org", "v2-retry")->state, ==,
		                 RTLS_ROW_WAITING);
		w = rtls_store_domain_warning (st, "example.org", 1763300000, 90 * 24 * 3600);
		g_assert_nonnull (w);
		g_assert_cmpstr (w->recipient, ==, "bob@example.org");
		g_assert_true (rtls_store_domain_history (st, "example.net", &h, &error));
		g_assert_cmpint (h.last_requiretls_failure, ==, 1763200100);
		g_clear_pointer (&st, rtls_store_close);
	}
	for (guint v = 3; v <= 5; v++) {
		/* 54c60c7, 8de785f, d4d2462: the write-ahead journal */
		static const char *const names[]
		        = { "v3-write-ahead.journal", "v4-facts.journal", "v5-tls-floor.journal" };
		static const guint lines[] = { 36, 37, 37 };
		const gint64 t = 1763400000 + (v - 3) * 1000000;
		g_autofree gchar *db = g_strdup_printf ("%s/v%u.db", dir, v);
		g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", "journal",
		                                                names[v - 3], NULL);
		g_autoptr (RtlsStore) st = NULL;
		g_autoptr (GPtrArray) rows = NULL, open = NULL, about = NULL;
		g_autoptr (RtlsAttempt) a = NULL;
		g_autoptr (RtlsDeliveryRow) w = NULL;

		g_assert_cmpuint (count_lines (path), ==, lines[v - 3]);
		st = import_checked (db, path, lines[v - 3], 0);
		rows = all_rows (st);
		open = rtls_store_unfinished (st, &error);
		/* what a restart must finish: the temporary one, the one whose entry is still
		 * there, the one that was running */
		g_assert_cmpuint (open->len, ==, 3);
		g_assert_cmpstr (((RtlsAttempt *) open->pdata[0])->envid, ==,
		                 "rtls-retry00000000000000001");
		a = g_steal_pointer (&open->pdata[1]);
		g_assert_cmpstr (a->envid, ==, "rtls-crsh000000000000000001");
		g_assert_cmpint (a->state, ==, RTLS_ATTEMPT_SENT);
		g_assert_true (a->filed);
		g_assert_false (a->closed);
		g_assert_false (a->legacy);
		g_assert_cmpstr (a->queue_folder, ==, "#mh/Mailbox/queue");
		g_assert_cmpint (a->queue_msgnum, ==, 19);
		g_assert_cmpint (((RtlsAttempt *) open->pdata[2])->state, ==, RTLS_ATTEMPT_RUNNING);
		g_assert_cmpint (rtls_store_next_retry (st), ==, t + 261);
		about = rtls_store_attempts_about (st, "#mh/Mailbox/queue", 19, NULL, &error);
		g_assert_cmpuint (about->len, ==, 1);
		g_clear_pointer (&about, g_ptr_array_unref);
		about = rtls_store_attempts_about (st, NULL, 0, "held@sender.test", &error);
		g_assert_cmpuint (about->len, ==, 2);
		g_assert_cmpint (((RtlsAttempt *) about->pdata[0])->state, ==, RTLS_ATTEMPT_CLOSED);
		g_assert_cmpint (((RtlsAttempt *) about->pdata[0])->outcome, ==,
		                 RTLS_RESULT_NOT_CONFIRMED);

		g_assert_cmpint (find_row (rows, "bob@example.org", "rtls-aaaa")->state, ==,
		                 RTLS_ROW_BOUNCED);
		g_assert_cmpint (find_row (rows, "carol@example.com", "rtls-aaaa")->state, ==,
		                 RTLS_ROW_SENT);
		g_assert_cmpint (find_row (rows, "norequiretls@example.net", "default")->state, ==,
		                 RTLS_ROW_SENT_DEFAULT);
		g_assert_cmpint (find_row (rows, "grace@example.org", "stopped")->state, ==,
		                 RTLS_ROW_FAILED);
		g_assert_cmpint (find_row (rows, "heidi@example.org", "cancel")->state, ==,
		                 RTLS_ROW_CANCELLED);
		g_assert_cmpint (find_row (rows, "judy@example.org", "running")->state, ==,
		                 RTLS_ROW_SENDING);
		g_assert_cmpint (find_row (rows, "bob@example.org", "bounce:")->state, ==,
		                 RTLS_ROW_UNVERIFIED);
		w = rtls_store_domain_warning (st, "example.org", t + 5000, 90 * 24 * 3600);
		if (v >= 4) {
			/* the delivery reported after the bounce lifts the warning */
			g_assert_null (w);
			g_assert_cmpint (find_row (rows, "bob@example.org", "rtls-c700")->state, ==,
			                 RTLS_ROW_DELIVERED);
		} else {
			g_assert_nonnull (w);
			g_assert_cmpstr (w->recipient, ==, "bob@example.org");
		}
		if (v >= 4) {
			/* the facts the words are made of when shown */
			g_autoptr (GPtrArray) one = entries_new ();
			g_autoptr (GPtrArray) recs = NULL;
			const RtlsJournalEntry *e = NULL;
			g_ptr_array_add (one, line ("time=1\tenvid=rtls-0a0b0c0d0e0f101112131414\t"
			                            "result=x"));
			g_free (((RtlsJournalEntry *) one->pdata[0])->envid);
			((RtlsJournalEntry *) one->pdata[0])->envid
			        = g_strdup_printf ("rtls-0a0b0c0d0e0f10111213141%u", v);
			recs = rtls_store_records_like (st, one, &error);
			for (guint i = 0; i < recs->len; i++)
				if (g_strcmp0 (((RtlsJournalEntry *) recs->pdata[i])->result,
				               "failed")
				    == 0)
					e = recs->pdata[i];
			g_assert_nonnull (e);
			g_assert_cmpstr (e->error, ==, "RTLS_ERROR_UNSUPPORTED");
			g_assert_cmpint (e->exit_code, ==, 69);
			g_assert_cmpuint (e->smtp_code, ==, 550);
			g_assert_cmpstr (e->cert_problem, ==, "expired");
			g_assert_cmpstr (e->tls_problem, ==, v >= 5 ? "floor" : NULL);
		}
		g_clear_pointer (&st, rtls_store_close);
	}
	{
		/* tests/data/journal-previous-release.txt */
		g_autofree gchar *db = g_build_filename (dir, "previous.db", NULL);
		g_autofree gchar *path = g_test_build_filename (
		        G_TEST_DIST, "data", "journal-previous-release.txt", NULL);
		g_autoptr (RtlsStore) st = import_checked (db, path, 5, 0);
		g_clear_pointer (&st, rtls_store_close);
	}
	rm_rf (dir);
}

/* ---------------------------------------------------------------- damage */

static void
check_aside (const char *path, const char *aside, const char *content, gsize len)
{
	g_autofree gchar *prefix = g_strconcat (path, ".damaged-", NULL);
	g_autofree gchar *text = NULL;
	gsize got = 0;

	g_assert_nonnull (aside);
	g_assert_true (g_str_has_prefix (aside, prefix));
	/* YYYYMMDD-HHMMSS */
	g_assert_cmpuint (strlen (aside), ==, strlen (prefix) + 15);
	for (gsize i = 0; i < 15; i++)
		g_assert_true (i == 8 ? aside[strlen (prefix) + i] == '-'
		                      : g_ascii_isdigit (aside[strlen (prefix) + i]));
	g_assert_true (g_file_get_contents (aside, &text, &got, NULL));
	if (content != NULL) {
		g_assert_cmpuint (got, ==, len);
		g_assert_true (memcmp (text, content, len) == 0);
	}
}

/* A store that works: a send written, read back, still there after a restart. */
static void
check_usable (const char *path)
{
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) rows = NULL, want = NULL;
	gint64 n = rtls_store_count_messages (st, NULL);

	add_send (j, 500000, "rtls-usable", "<usable@x>", "Usable", "u@y", 1, "sent");
	append_all_ok (st, j);
	g_clear_pointer (&st, rtls_store_close);
	st = open_ok (path);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, n + 1);
	rows = rtls_store_rows (st, NULL, 0, 1, NULL, NULL);
	want = rtls_delivery_rows (j);
	assert_rows_same (rows, want);
}

static void
test_damaged_garbage (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autofree gchar *aside = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (RtlsStore) st = NULL;
	gchar garbage[8192];

	for (gsize i = 0; i < sizeof garbage; i++)
		garbage[i] = (gchar) (i * 7 + 3);
	g_assert_true (g_file_set_contents (path, garbage, sizeof garbage, NULL));
	{
		/* and a -wal of it: moved along */
		g_autofree gchar *wal = g_strconcat (path, "-wal", NULL);
		g_assert_true (g_file_set_contents (wal, "not a wal", -1, NULL));
	}
	st = rtls_store_open (path, &aside, &error);
	g_assert_no_error (error);
	g_assert_nonnull (st);
	check_aside (path, aside, garbage, sizeof garbage);
	{
		g_autofree gchar *wal = g_strconcat (aside, "-wal", NULL);
		g_autofree gchar *text = NULL;
		g_assert_true (g_file_get_contents (wal, &text, NULL, NULL));
		g_assert_cmpstr (text, ==, "not a wal");
	}
	g_clear_pointer (&st, rtls_store_close);
	check_usable (path);

	/* shorter than a database's header: damaged too */
	g_clear_pointer (&aside, g_free);
	g_assert_true (g_file_set_contents (path, "SQLite", -1, NULL));
	st = rtls_store_open (path, &aside, &error);
	g_assert_no_error (error);
	check_aside (path, aside, "SQLite", 6);
	g_clear_pointer (&st, rtls_store_close);
	/* an empty file is a new database, nothing to move */
	g_clear_pointer (&aside, g_free);
	g_assert_true (g_file_set_contents (path, "", 0, NULL));
	st = rtls_store_open (path, &aside, &error);
	g_assert_no_error (error);
	g_assert_nonnull (st);
	g_assert_null (aside);
	g_clear_pointer (&st, rtls_store_close);
	check_usable (path);
	rm_rf (dir);
}

/* A real database of many rows, damaged in the middle: by overwriting pages, by a truncation.
 * rtls_store_verify() says so: it is moved aside, with its -wal and -shm, and a new one made. */
static void
test_damaged_pages (void)
{
	for (guint how = 0; how < 2; how++) {
		g_autofree gchar *dir = tmpdir ();
		g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
		g_autofree gchar *aside = NULL, *before = NULL;
		g_autoptr (GError) error = NULL;
		g_autoptr (RtlsStore) st = open_ok (path);
		g_autoptr (GPtrArray) j = many_messages ();
		gsize len = 0;
		int fd;

		append_all_ok (st, j);
		g_clear_pointer (&st, rtls_store_close); /* checkpointed into the file */
		g_assert_true (g_file_get_contents (path, &before, &len, NULL));
		g_assert_cmpuint (len, >, 32 * 4096);
		fd = g_open (path, O_RDWR, 0);
		g_assert_cmpint (fd, >=, 0);
		if (how == 0) {
			/* pages in the middle overwritten */
			gchar junk[3 * 4096];
			memset (junk, 0x5a, sizeof junk);
			g_assert_cmpint (
			        pwrite (fd, junk, sizeof junk, (off_t) (len / 2 / 4096 * 4096)), ==,
			        sizeof junk);
			memcpy (before + len / 2 / 4096 * 4096, junk, sizeof junk);
		} else {
			/* the second half gone */
			g_assert_cmpint (ftruncate (fd, (off_t) (len / 2 / 4096 * 4096)), ==, 0);
			len = len / 2 / 4096 * 4096;
		}
		close (fd);
		/* opening does not read the whole file; the check does (the plugin runs it in a
		 * thread), and the store is replaced */
		st = rtls_store_open (path, &aside, &error);
		if (st == NULL || aside != NULL) {
			/* so damaged that SQLite saw it on opening: moved aside then and there */
			g_assert_no_error (error);
			g_assert_nonnull (st);
		} else {
			g_assert_false (rtls_store_verify (path));
			st = rtls_store_replace (g_steal_pointer (&st), &aside, &error);
			g_assert_no_error (error);
			g_assert_nonnull (st);
		}
		check_aside (path, aside, before, len);
		g_assert_true (rtls_store_verify (path));
		g_clear_pointer (&st, rtls_store_close);
		check_usable (path);
		rm_rf (dir);
	}
}

/* ---------------------------------------------------------------- a full disk */

/* The child: the store opened under a file size limit (what a full disk does: writes fail),
 * messages appended until one fails. It says on @out: "ok\n" for each committed, then
 * "failed <error>\n". */
static G_NORETURN void
fill_child (const char *path, GPtrArray *j, rlim_t limit, int out)
{
	struct rlimit rl = { limit, limit };
	g_autoptr (GError) error = NULL;
	RtlsStore *st;

	signal (SIGXFSZ, SIG_IGN);
	if (setrlimit (RLIMIT_FSIZE, &rl) != 0)
		_exit (3);
	st = rtls_store_open (path, NULL, &error);
	if (st == NULL)
		_exit (2);
	for (guint i = 0; i + 4 <= j->len; i += 4) {
		g_autoptr (GPtrArray) one = g_ptr_array_new ();
		for (guint k = i; k < i + 4; k++)
			g_ptr_array_add (one, j->pdata[k]);
		if (!rtls_store_append_all (st, one, &error)) {
			g_autofree gchar *msg = g_strdup_printf (
			        "failed %s %d %s\n",
			        error != NULL ? g_quark_to_string (error->domain) : "-",
			        error != NULL ? error->code : -1,
			        error != NULL ? error->message : "");
			if (write (out, msg, strlen (msg)) < 0)
				_exit (4);
			break;
		}
		if (write (out, "ok\n", 3) != 3)
			_exit (4);
	}
	rtls_store_close (st);
	g_ptr_array_unref (j); /* the child's copy (valgrind sees no pointer to it after _exit) */
	_exit (0);
}

static void
test_disk_full (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (GPtrArray) first = entries_new ();
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) committed = g_ptr_array_new ();
	g_autoptr (GString) said = g_string_new (NULL);
	g_autoptr (RtlsStore) st = NULL;
	g_auto (GStrv) lines = NULL;
	struct stat sb;
	int pipefd[2], status = 0;
	guint ok = 0;
	pid_t pid;
	gchar buf[4096];
	ssize_t n;

	/* what is there before */
	add_send (first, 100, "rtls-before", "<before@x>", "Before", "b@y", 1, "sent");
	st = open_ok (path);
	append_all_ok (st, first);
	g_clear_pointer (&st, rtls_store_close);
	/* messages with long words, to fill it */
	for (guint i = 0; i < 400; i++) {
		g_autofree gchar *envid = g_strdup_printf ("rtls-full%04u", i);
		g_autofree gchar *msgid = g_strdup_printf ("<full%04u@x>", i);
		g_autofree gchar *subject = g_strdup_printf ("Full %u %s", i, "abcdefghij");
		g_autofree gchar *words = g_strnfill (1900, (gchar) ('a' + i % 26));
		RtlsJournalEntry *o;
		add_send (j, 1000 + 10 * i, envid, msgid, subject, "f@y", (gint) i + 2, "sent");
		o = j->pdata[j->len - 3];
		g_free (o->explanation);
		o->explanation = g_strdup_printf ("%u %s", i, words);
	}
	g_assert_cmpint (g_stat (path, &sb), ==, 0);

	g_assert_cmpint (pipe (pipefd), ==, 0);
	pid = fork ();
	g_assert_cmpint (pid, >=, 0);
	if (pid == 0) {
		close (pipefd[0]);
		fill_child (path, j, (rlim_t) sb.st_size + 512 * 1024, pipefd[1]);
	}
	close (pipefd[1]);
	while ((n = read (pipefd[0], buf, sizeof buf)) > 0)
		g_string_append_len (said, buf, n);
	close (pipefd[0]);
	g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
	g_assert_true (WIFEXITED (status));
	g_assert_cmpint (WEXITSTATUS (status), ==, 0);
	lines = g_strsplit (said->str, "\n", -1);
	for (guint i = 0; lines[i] != NULL && g_str_equal (lines[i], "ok"); i++)
		ok++;
	g_test_message ("%u messages committed before the disk was full: %s", ok,
	                lines[ok] != NULL ? lines[ok] : "");
	/* some went in, then one failed with the store's error, and said why */
	g_assert_cmpuint (ok, >, 0);
	g_assert_cmpuint (ok, <, 400);
	g_assert_true (g_str_has_prefix (lines[ok], "failed rtls-error-quark"));
	g_assert_nonnull (strstr (lines[ok], path));

	/* the limit lifted: it opens (not moved aside), passes the check, holds exactly what
	 * was committed */
	st = open_ok (path);
	g_clear_pointer (&st, rtls_store_close);
	{
		sqlite3 *db = NULL;
		g_autofree gchar *check = NULL;
		g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
		check = sql_text (db, "PRAGMA integrity_check");
		g_assert_cmpstr (check, ==, "ok");
		sqlite3_close (db);
	}
	for (guint i = 0; i < first->len; i++)
		g_ptr_array_add (committed, first->pdata[i]);
	for (guint i = 0; i < 4 * ok; i++)
		g_ptr_array_add (committed, j->pdata[i]);
	st = open_ok (path);
	{
		g_autoptr (GPtrArray) rows = all_rows (st);
		g_autoptr (GPtrArray) want = rows_by_message (committed);
		g_autoptr (GPtrArray) recs = rtls_store_records_like (st, j, NULL);
		assert_rows_same (rows, want);
		g_assert_cmpuint (recs->len, ==, 4 * ok);
		g_assert_cmpint (sql_int (path, "SELECT count(*) FROM record"), ==, 4 * (ok + 1));
	}
	/* and takes the rest */
	{
		g_autoptr (GPtrArray) rest = g_ptr_array_new ();
		for (guint i = 4 * ok; i < j->len; i++)
			g_ptr_array_add (rest, j->pdata[i]);
		append_all_ok (st, rest);
		g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 401);
	}
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- read-only */

/* Runs @fn (an exit status: 0 passed, 77 skipped, else failed) in a child, as "nobody" when
 * this runs as root (for whom permissions do not block). */
static void
unprivileged (int (*fn) (void))
{
	int status = 0;
	pid_t pid = fork ();

	g_assert_cmpint (pid, >=, 0);
	if (pid == 0) {
		if (geteuid () == 0 && (setgid (65534) != 0 || setuid (65534) != 0))
			_exit (77);
		_exit (fn ());
	}
	g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
	g_assert_true (WIFEXITED (status));
	if (WEXITSTATUS (status) == 77) {
		g_test_skip ("permissions do not block writing here");
		return;
	}
	g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

#define CHILD_CHECK(cond)                                                                          \
	G_STMT_START                                                                               \
	{                                                                                          \
		if (!(cond)) {                                                                     \
			g_printerr ("%s:%d: %s\n", __FILE__, __LINE__, #cond);                     \
			return 1;                                                                  \
		}                                                                                  \
	}                                                                                          \
	G_STMT_END

/* Made read-only (the folder, or the file): opening it, or writing once open, fails with an
 * error; it is never taken for damaged; what it held is still there once it is writable. */
static int
readonly_child (gboolean folder)
{
	g_autofree gchar *dir = g_dir_make_tmp ("test-store-ro-XXXXXX", NULL);
	g_autofree gchar *path = NULL, *aside = NULL;
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GError) error = NULL;
	RtlsStore *st;
	int rc = 0;

	CHILD_CHECK (dir != NULL);
	path = g_build_filename (dir, "requiretls.db", NULL);
	add_send (j, 100, "rtls-ro1", "<ro1@x>", "Read-only", "r@y", 1, "sent");
	st = rtls_store_open (path, NULL, &error);
	CHILD_CHECK (st != NULL);
	CHILD_CHECK (rtls_store_append_all (st, j, &error));
	rtls_store_close (st);
	CHILD_CHECK (g_chmod (folder ? dir : path, folder ? 0500 : 0400) == 0);
	if (access (folder ? dir : path, W_OK) == 0) {
		rc = 77; /* permissions do not block writing here */
		goto out;
	}
	st = rtls_store_open (path, &aside, &error);
	CHILD_CHECK (aside == NULL);
	if (st != NULL) {
		g_autoptr (GPtrArray) more = entries_new ();
		add_send (more, 200, "rtls-ro2", "<ro2@x>", "Read-only 2", "r@y", 2, "sent");
		CHILD_CHECK (!rtls_store_append_all (st, more, &error));
		rtls_store_close (st);
	}
	CHILD_CHECK (error != NULL);
	CHILD_CHECK (error->domain == RTLS_ERROR);
	CHILD_CHECK (strstr (error->message, path) != NULL);
	g_printerr ("# %s read-only: %s\n", folder ? "folder" : "file", error->message);
	g_clear_error (&error);
	g_chmod (dir, 0700);
	g_chmod (path, 0600);
	st = rtls_store_open (path, &aside, &error);
	CHILD_CHECK (st != NULL && aside == NULL);
	{
		gboolean more = TRUE;
		GPtrArray *rows = rtls_store_rows (st, NULL, 0, 100, &more, &error);
		CHILD_CHECK (rows != NULL && rows->len == 1);
		CHILD_CHECK (rtls_store_count_messages (st, NULL) == 1);
		g_ptr_array_unref (rows);
	}
	rtls_store_close (st);
out:
	rm_rf (dir);
	return rc;
}

static int
readonly_folder (void)
{
	return readonly_child (TRUE);
}

static int
readonly_file (void)
{
	return readonly_child (FALSE);
}

static void
test_readonly_folder (void)
{
	unprivileged (readonly_folder);
}

static void
test_readonly_file (void)
{
	unprivileged (readonly_file);
}

/* ---------------------------------------------------------------- busy */

/* Another program holds the write lock: a write waits about RTLS_STORE_BUSY_MS, then fails
 * with an error and writes nothing; opening meanwhile is no damage. */
static void
test_busy (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) more = entries_new ();
	g_autoptr (GError) error = NULL;
	g_autofree gchar *aside = NULL;
	sqlite3 *other = NULL;
	gint64 t0, waited;

	add_send (j, 100, "rtls-busy1", "<busy1@x>", "Busy", "b@y", 1, "sent");
	add_send (more, 200, "rtls-busy2", "<busy2@x>", "Busy 2", "b@y", 2, "sent");
	append_all_ok (st, j);
	g_assert_cmpint (sqlite3_open (path, &other), ==, SQLITE_OK);
	g_assert_cmpint (sqlite3_exec (other,
	                               "BEGIN EXCLUSIVE; INSERT INTO folder (name) VALUES "
	                               "('held by another program')",
	                               NULL, NULL, NULL),
	                 ==, SQLITE_OK);

	t0 = g_get_monotonic_time ();
	g_assert_false (rtls_store_append_all (st, more, &error));
	waited = (g_get_monotonic_time () - t0) / 1000;
	g_assert_error (error, RTLS_ERROR, RTLS_ERROR_IO);
	g_assert_nonnull (strstr (error->message, "in use by another program"));
	g_test_message ("waited %" G_GINT64_FORMAT " ms: %s", waited, error->message);
	g_assert_cmpint (waited, >=, RTLS_STORE_BUSY_MS * 8 / 10);
	g_assert_cmpint (waited, <, RTLS_STORE_BUSY_MS * 3);
	g_clear_error (&error);

	/* opening it meanwhile only reads: at once, no damage, and what it holds can be read */
	{
		g_autoptr (RtlsStore) second = NULL;
		g_autoptr (GPtrArray) rows = NULL;
		t0 = g_get_monotonic_time ();
		second = rtls_store_open (path, &aside, &error);
		waited = (g_get_monotonic_time () - t0) / 1000;
		g_assert_no_error (error);
		g_assert_nonnull (second);
		g_assert_null (aside);
		g_assert_cmpint (waited, <, RTLS_STORE_BUSY_MS / 2);
		rows = rtls_store_rows (second, NULL, 0, 10, NULL, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (rows->len, ==, 1);
	}
	g_assert_cmpint (sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close (other);

	/* nothing of it was written; once free, it is */
	{
		g_autoptr (GPtrArray) rows = all_rows (st);
		g_autoptr (GPtrArray) want = rows_by_message (j);
		assert_rows_same (rows, want);
		g_assert_null (rtls_store_attempt (st, "rtls-busy2", NULL));
		g_assert_cmpint (sql_int (path, "SELECT count(*) FROM record"), ==, 4);
	}
	append_all_ok (st, more);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 2);
	g_clear_pointer (&st, rtls_store_close);
	rm_rf (dir);
}

/* ---------------------------------------------------------------- retention */

static void
test_expire (void)
{
	g_autofree gchar *dir = tmpdir ();
	g_autofree gchar *path = g_build_filename (dir, "requiretls.db", NULL);
	g_autoptr (RtlsStore) st = open_ok (path);
	g_autoptr (GPtrArray) j = entries_new ();
	g_autoptr (GPtrArray) kept = g_ptr_array_new ();
	g_autoptr (GPtrArray) open_before = NULL, open_after = NULL, rows = NULL, want = NULL;
	g_autoptr (GError) error = NULL;
	struct stat before, after;
	guint old = 0;

	/* 300 old messages (time 1000 to 3990), of which every tenth is unfinished, and 50 new */
	for (guint i = 0; i < 350; i++) {
		g_autofree gchar *envid = g_strdup_printf ("rtls-exp%04u", i);
		g_autofree gchar *msgid = g_strdup_printf ("<exp%04u@x>", i);
		gint64 t = i < 300 ? 1000 + 10 * (gint64) i : 100000 + (gint64) i;
		const char *outcome = i % 10 == 1   ? "temporary"
		                      : i % 10 == 2 ? "not-confirmed"
		                                    : "sent";
		guint from = j->len;
		RtlsJournalEntry *o;
		add_send (j, t, envid, msgid, "Expire", "e@example.org", (gint) i + 1, outcome);
		o = j->pdata[from + 1];
		g_free (o->explanation);
		o->explanation = g_strnfill (1500, 'e');
		if (i % 10 == 3) /* sent, never closed: unfinished */
			g_ptr_array_remove_index (j, j->len - 1);
		if (i % 10 == 4) /* still running */
			g_ptr_array_remove_range (j, from + 1, j->len - from - 1);
		/* a report of the bounce of one old finished message */
		if (i == 10)
			g_ptr_array_add (
			        j, line ("time=2000\tenvid=rtls-exp0010\tmessage-id=<exp0010@x>\t"
			                 "result=bounced\trecipient=e@example.org\t"
			                 "enhanced-code=5.7.30\taction=failed"));
		if (i < 300 && i % 10 > 4)
			old++;
		else if (i < 300 && i % 10 == 0)
			old++;
		else
			for (guint k = from; k < j->len; k++)
				g_ptr_array_add (kept, j->pdata[k]);
	}
	append_all_ok (st, j);
	open_before = rtls_store_unfinished (st, &error);
	g_assert_cmpuint (open_before->len, ==, 30 * 4 + 5 * 4);
	{
		g_autoptr (RtlsDeliveryRow) w
		        = rtls_store_domain_warning (st, "example.org", 2100, 1000);
		g_assert_nonnull (w);
	}
	g_clear_pointer (&st, rtls_store_close);
	g_assert_cmpint (g_stat (path, &before), ==, 0);

	st = open_ok (path);
	/* nothing is older than that */
	g_assert_cmpint (rtls_store_expire (st, 1000, 50, &error), ==, 0);
	g_assert_no_error (error);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 350);
	/* the old finished ones go, at most 50 at a time, the oldest first; the unfinished and
	 * the new ones stay */
	{
#define EXPIRABLE                                                                                  \
	" FROM message WHERE newest < 50000 AND NOT EXISTS (SELECT 1 FROM attempt WHERE"           \
	" attempt.message = message.id AND attempt.state <= 3)"
		gint64 n, gone = 0;
		guint calls = 0;
		/* the 50th oldest of those that can go */
		gint64 t50 = sql_int (path, "SELECT newest" EXPIRABLE
		                            " ORDER BY newest LIMIT 1 OFFSET 49");
		while ((n = rtls_store_expire (st, 50000, 50, &error)) > 0) {
			g_assert_cmpint (n, <=, 50);
			gone += n;
			if (calls++ == 0) {
				/* the oldest went first */
				g_assert_cmpint (n, ==, 50);
				g_assert_cmpint (sql_int (path, "SELECT min(newest)" EXPIRABLE), >,
				                 t50);
			}
		}
#undef EXPIRABLE
		g_assert_cmpint (n, ==, 0);
		g_assert_no_error (error);
		g_assert_cmpint (gone, ==, old);
		g_assert_cmpuint (calls, ==, (old + 49) / 50);
	}
	g_assert_cmpuint (old, ==, 180);
	g_assert_cmpint (rtls_store_count_messages (st, NULL), ==, 350 - old);
	rows = all_rows (st);
	want = rows_by_message (kept);
	assert_rows_same (rows, want);
	open_after = rtls_store_unfinished (st, &error);
	assert_attempts_same (open_after, open_before);
	g_assert_null (rtls_store_attempt (st, "rtls-exp0005", NULL));
	{
		g_autoptr (RtlsAttempt) a = rtls_store_attempt (st, "rtls-exp0003", NULL);
		g_assert_nonnull (a);
	}
	g_assert_null (rtls_store_domain_warning (st, "example.org", 2100, 1000));
	{
		RtlsDomainHistory h;
		g_assert_true (rtls_store_domain_history (st, "example.org", &h, &error));
		g_assert_cmpint (h.last_requiretls_failure, ==, 0);
	}
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM record WHERE message NOT IN "
	                                "(SELECT id FROM message)"),
	                 ==, 0);
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM attempt WHERE message NOT IN "
	                                "(SELECT id FROM message)"),
	                 ==, 0);
	g_assert_cmpint (sql_int (path, "SELECT count(*) FROM domain"), ==, 0);
	/* the pages freed go back a few at a time */
	{
		gint64 left, last = G_MAXINT64;
		guint calls = 0;
		g_assert_cmpint (sql_int (path, "PRAGMA freelist_count"), >, 8);
		while ((left = rtls_store_compact (st, 4, &error)) > 0) {
			g_assert_cmpint (left, <, last);
			last = left;
			calls++;
		}
		g_assert_no_error (error);
		g_assert_cmpint (left, ==, 0);
		g_assert_cmpuint (calls, >, 1);
		g_assert_cmpint (rtls_store_compact (st, 4, &error), ==, 0);
	}
	g_clear_pointer (&st, rtls_store_close);
	/* the pages freed went back */
	g_assert_cmpint (sql_int (path, "PRAGMA freelist_count"), ==, 0);
	g_assert_cmpint (g_stat (path, &after), ==, 0);
	g_test_message ("%ld bytes before, %ld after", (long) before.st_size, (long) after.st_size);
	g_assert_cmpint (after.st_size, <, before.st_size * 3 / 4);
	check_usable (path);
	rm_rf (dir);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	sqlite3_auto_extension ((void (*) (void)) catch_connection);
	g_test_add_func ("/store/open/private", test_open_private);
	g_test_add_func ("/store/open/pragmas", test_open_pragmas);
	g_test_add_func ("/store/open/later-schema", test_open_later_schema);
	g_test_add_func ("/store/readiness/cache", test_readiness_cache);
	g_test_add_func ("/store/readiness/put-all", test_readiness_put_all);
	g_test_add_func ("/store/readiness/migrate-1-to-2", test_migrate_1_to_2);
	g_test_add_func ("/store/send", test_full_send);
	g_test_add_func ("/store/roundtrip", test_roundtrip_fields);
	g_test_add_func ("/store/roundtrip/sanitised", test_roundtrip_sanitised);
	g_test_add_func ("/store/unfinished", test_unfinished);
	g_test_add_func ("/store/started-twice", test_started_twice);
	g_test_add_func ("/store/unverified-apart", test_unverified_apart);
	g_test_add_func ("/store/attempts-about", test_attempts_about);
	g_test_add_func ("/store/entry-reused", test_entry_reused);
	g_test_add_func ("/store/dsn", test_dsn);
	g_test_add_func ("/store/pages-and-search", test_pages_and_search);
	g_test_add_func ("/store/reader", test_reader);
	g_test_add_func ("/store/forget", test_forget);
	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *name = g_strdup_printf ("/store/replay/%zu", i);
		g_test_add_data_func (name, &cases[i], replay);
	}
	g_test_add_func ("/store/replay/helper-alive", test_replay_helper_alive);
	g_test_add_func ("/store/replay/due", test_replay_due);
	g_test_add_func ("/store/import", test_import);
	g_test_add_func ("/store/import/releases", test_import_releases);
	g_test_add_func ("/store/damaged/garbage", test_damaged_garbage);
	g_test_add_func ("/store/damaged/pages", test_damaged_pages);
	g_test_add_func ("/store/disk-full", test_disk_full);
	g_test_add_func ("/store/read-only/folder", test_readonly_folder);
	g_test_add_func ("/store/read-only/file", test_readonly_file);
	g_test_add_func ("/store/busy", test_busy);
	g_test_add_func ("/store/expire", test_expire);
	return g_test_run ();
}
