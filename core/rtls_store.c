/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_store.c: the plugin's database (pure logic, no GTK, no Claws).
 *
 * Schema (user_version 2; 1 lacked the readiness table):
 *   message   one per message the rows are grouped by (rtls_delivery_key_of()): its first
 *             record's Message-ID, subject, sender, recipients and account ("home" values),
 *             and what is derived after every write: the newest row's time, how many rows
 *             the window shows, and what the search box looks in: the rows' subjects and
 *             recipients case folded (look; but not the message's own ASCII recipients,
 *             which are searched in their column), apart from their state codes (states).
 *   attempt   one per ENVID: its message, its first record's host, port and queue entry
 *             (home values), and derived: its state (rtls_attempt.h) and retry time, the
 *             queue entry it is about now.
 *   record    one per journal record: its message and attempt, time, result, and the other
 *             fields in the journal's own key=value form, without those equal to the home
 *             values (the bits of "inherit" say which): a send's four records cost one.
 *   domain    per recipient domain, its REQUIRETLS deliveries and REQUIRETLS-caused bounces.
 *   folder    queue folder names, once each.
 * Indices: message(key), message(newest), attempt(envid), attempt(message), the open
 * attempts, attempt(queue entry), record(message), domain(domain, kind, time),
 * domain(message), readiness(domain), readiness(expires_at).
 */
#include "config.h"

#include "rtls_store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

#define SCHEMA_VERSION 2

struct _RtlsStore {
	sqlite3 *db;
	gchar *path;
	GHashTable *cache; /* SQL text → Cached*: each statement prepared once per connection */
};

typedef struct {
	sqlite3_stmt *stmt;
	gboolean in_use;
} Cached;

/* statement → its Cached (for every store: the import runs in a thread on its own) */
static GHashTable *registry;
static GMutex registry_lock;

/* attempt.state on disk: never renumber */
enum { ST_RUNNING = 0, ST_SENT = 1, ST_HELD = 2, ST_TEMPORARY = 3, ST_FAILED = 4, ST_CLOSED = 5 };
#define ST_OPEN_MAX ST_TEMPORARY

/* domain.kind on disk */
enum { DOMAIN_DELIVERED = 1, DOMAIN_REQUIRETLS_FAILED = 2 };

/* record.inherit: the field is the home value (message's or attempt's) */
enum {
	IN_ENVID = 1 << 0,
	IN_MESSAGE_ID = 1 << 1,
	IN_SUBJECT = 1 << 2,
	IN_SENDER = 1 << 3,
	IN_RECIPIENTS = 1 << 4,
	IN_ACCOUNT = 1 << 5,
	IN_HOST = 1 << 6,
	IN_PORT = 1 << 7,
	IN_FOLDER = 1 << 8,
	IN_MSGNUM = 1 << 9,
};

/* user_version 2: the readiness checks' cache (issue 22) */
#define READINESS_SCHEMA                                                                           \
	"CREATE TABLE readiness (domain TEXT PRIMARY KEY, verdict INTEGER NOT NULL,"               \
	" reasons TEXT NOT NULL, checked_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"        \
	" probed INTEGER NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;"                           \
	"CREATE INDEX readiness_expires ON readiness (expires_at);"

static const char schema[]
        = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
          "CREATE TABLE folder (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
          "CREATE TABLE message (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
          " message_id TEXT, subject TEXT, sender TEXT, recipients TEXT, account INTEGER,"
          " newest INTEGER NOT NULL DEFAULT 0, shown INTEGER NOT NULL DEFAULT 0, look TEXT,"
          " states TEXT);"
          "CREATE INDEX message_newest ON message (newest);"
          "CREATE TABLE attempt (id INTEGER PRIMARY KEY, envid TEXT NOT NULL UNIQUE,"
          " message INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,"
          " host TEXT, port INTEGER, folder INTEGER, msgnum INTEGER,"
          " state INTEGER NOT NULL DEFAULT 0, retry_at INTEGER NOT NULL DEFAULT 0,"
          " q_folder INTEGER, q_msgnum INTEGER);"
          "CREATE INDEX attempt_message ON attempt (message);"
          "CREATE INDEX attempt_open ON attempt (state) WHERE state <= 3;"
          "CREATE INDEX attempt_entry ON attempt (q_msgnum, q_folder) WHERE q_msgnum > 0;"
          /* clustered by message: a message's records are one range of the table, and no
           * index is needed beside it; id is the order they were written in (meta's
           * next-record) */
          "CREATE TABLE record ("
          " message INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,"
          " id INTEGER NOT NULL, attempt INTEGER, time INTEGER NOT NULL,"
          " result INTEGER NOT NULL, inherit INTEGER NOT NULL, data TEXT NOT NULL,"
          " PRIMARY KEY (message, id)) WITHOUT ROWID;"
          "CREATE TABLE domain (domain TEXT NOT NULL, kind INTEGER NOT NULL,"
          " time INTEGER NOT NULL,"
          " message INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE);"
          "CREATE INDEX domain_by ON domain (domain, kind, time);"
          "CREATE INDEX domain_message ON domain (message);" READINESS_SCHEMA;

static gboolean
fail (RtlsStore *st, GError **error, const char *what)
{
	int code = sqlite3_extended_errcode (st->db);
	const char *msg = sqlite3_errmsg (st->db);

	if ((code & 0xff) == SQLITE_FULL)
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("the disk holding %s is full (%s)"), st->path, what);
	else if ((code & 0xff) == SQLITE_READONLY || (code & 0xff) == SQLITE_CANTOPEN
	         || (code & 0xff) == SQLITE_PERM)
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("%s cannot be written (%s: %s)"),
		             st->path, what, msg);
	else if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("%s is in use by another program (%s)"), st->path, what);
	else
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("%s: %s: %s"), st->path, what,
		             msg);
	return FALSE;
}

static gboolean
exec (RtlsStore *st, const char *sql, GError **error)
{
	if (sqlite3_exec (st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail (st, error, sql);
	return TRUE;
}

/* A statement for @sql: the connection's own, prepared at its first use and reset after each
 * (release()), so that a write costs its steps, not a compilation of its SQL each time; a
 * second one while the first is in use is prepared for the occasion. */
static sqlite3_stmt *
prep (RtlsStore *st, const char *sql, GError **error)
{
	Cached *c = g_hash_table_lookup (st->cache, sql);
	sqlite3_stmt *s = NULL;

	if (c != NULL && !c->in_use) {
		c->in_use = TRUE;
		return c->stmt;
	}
	if (sqlite3_prepare_v3 (st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL)
	    != SQLITE_OK) {
		fail (st, error, sql);
		return NULL;
	}
	if (c == NULL) {
		c = g_new0 (Cached, 1);
		c->stmt = s;
		c->in_use = TRUE;
		g_hash_table_insert (st->cache, g_strdup (sql), c);
		g_mutex_lock (&registry_lock);
		if (registry == NULL)
			registry = g_hash_table_new (g_direct_hash, g_direct_equal);
		g_hash_table_insert (registry, s, c);
		g_mutex_unlock (&registry_lock);
	}
	return s;
}

static void
release (sqlite3_stmt *s)
{
	Cached *c;

	if (s == NULL)
		return;
	g_mutex_lock (&registry_lock);
	c = registry != NULL ? g_hash_table_lookup (registry, s) : NULL;
	g_mutex_unlock (&registry_lock);
	if (c == NULL) {
		sqlite3_finalize (s);
		return;
	}
	sqlite3_reset (s);
	sqlite3_clear_bindings (s);
	c->in_use = FALSE;
}

static void
cached_free (gpointer data)
{
	Cached *c = data;

	g_mutex_lock (&registry_lock);
	g_hash_table_remove (registry, c->stmt);
	g_mutex_unlock (&registry_lock);
	sqlite3_finalize (c->stmt);
	g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, release)

static void
bind_text (sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text (s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null (s, i);
}

static gchar *
col_text (sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text (s, i);

	return t != NULL ? g_strdup ((const char *) t) : NULL;
}

static gint64
query_int (RtlsStore *st, const char *sql, gint64 dflt)
{
	g_autoptr (sqlite3_stmt) s = prep (st, sql, NULL);

	if (s != NULL && sqlite3_step (s) == SQLITE_ROW
	    && sqlite3_column_type (s, 0) != SQLITE_NULL)
		return sqlite3_column_int64 (s, 0);
	return dflt;
}

/* The files a database is made of. */
static const char *const suffixes[] = { "", "-wal", "-shm" };

static void
make_private (const char *path)
{
	for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree gchar *p = g_strconcat (path, suffixes[i], NULL);
		g_chmod (p, 0600);
	}
}

static gboolean
setup (RtlsStore *st, GError **error)
{
	gint64 version;

	sqlite3_busy_timeout (st->db, RTLS_STORE_BUSY_MS);
	sqlite3_extended_result_codes (st->db, 1);
	/* a page that is freed goes back to the file system only when asked (expire); set on a
	 * new file only, before anything is in it: setting it writes, even to a database that is
	 * damaged, in use by another program or in a read-only folder */
	if (query_int (st, "PRAGMA page_count", -1) == 0
	    && !exec (st, "PRAGMA auto_vacuum = INCREMENTAL", error))
		return FALSE;
	if (query_int (st, "PRAGMA journal_mode = WAL", 0) == 0) {
		g_autoptr (sqlite3_stmt) s = prep (st, "PRAGMA journal_mode", NULL);
		if (s == NULL || sqlite3_step (s) != SQLITE_ROW
		    || g_ascii_strcasecmp ((const char *) sqlite3_column_text (s, 0), "wal") != 0)
			return fail (st, error, "journal_mode=WAL");
	}
	if (!exec (st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", error))
		return FALSE;
	version = query_int (st, "PRAGMA user_version", -1);
	if (version < 0)
		return fail (st, error, "user_version");
	if (version > SCHEMA_VERSION) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("%s was written by a later release of the plugin (schema %d)"),
		             st->path, (int) version);
		return FALSE;
	}
	if (version == 0) {
		g_autofree gchar *sql
		        = g_strdup_printf ("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT",
		                           schema, SCHEMA_VERSION);
		if (!exec (st, sql, error)) {
			sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
			return FALSE;
		}
	}
	/* migrations from user_version 1 on, one transaction each */
	if (version == 1
	    && !exec (st, "BEGIN IMMEDIATE; " READINESS_SCHEMA " PRAGMA user_version = 2; COMMIT",
	              error)) {
		sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}

static RtlsStore *
open_one (const char *path, GError **error)
{
	g_autoptr (RtlsStore) st = g_new0 (RtlsStore, 1);
	int fd;

	st->path = g_strdup (path);
	st->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_free);
	/* made here, 0600, so that SQLite gives its -wal and -shm files the same mode */
	fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int err = errno;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot open %s: %s"), path,
		             g_strerror (err));
		return NULL;
	}
	close (fd);
	make_private (path);
	if (sqlite3_open_v2 (path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
	    != SQLITE_OK) {
		fail (st, error, "open");
		return NULL;
	}
	if (!setup (st, error))
		return NULL;
	make_private (path);
	return g_steal_pointer (&st);
}

/* A file that is there, not empty, and does not begin as an SQLite database does. It is moved
 * aside without being opened: SQLite would remove a -wal beside it on closing. */
static gboolean
not_a_database (const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[sizeof magic];
	int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t n = fd >= 0 ? read (fd, head, sizeof head) : -1;

	if (fd >= 0)
		close (fd);
	return n > 0 && ((gsize) n < sizeof head || memcmp (head, magic, sizeof magic) != 0);
}

const char *
rtls_store_path (const RtlsStore *store)
{
	return store->path;
}

/* Moves the files of the database at @path aside, as "@path.damaged-YYYYMMDD-HHMMSS". */
static gboolean
move_aside (const char *path, gchar **moved_aside, GError **error)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_local ();
	g_autofree gchar *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
	g_autofree gchar *aside = g_strdup_printf ("%s.damaged-%s", path, stamp);

	for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++) {
		g_autofree gchar *from = g_strconcat (path, suffixes[i], NULL);
		g_autofree gchar *to = g_strconcat (aside, suffixes[i], NULL);
		if (g_rename (from, to) != 0 && errno != ENOENT) {
			int err = errno;
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
			             _ ("cannot move %s aside: %s"), from, g_strerror (err));
			return FALSE;
		}
	}
	if (moved_aside != NULL)
		*moved_aside = g_steal_pointer (&aside);
	return TRUE;
}

RtlsStore *
rtls_store_open (const char *path, gchar **moved_aside, GError **error)
{
	g_autoptr (GError) first = NULL;
	RtlsStore *st;

	if (moved_aside != NULL)
		*moved_aside = NULL;
	/* no check that reads the whole file here: that is rtls_store_verify(), off the main
	 * loop (a 75 MB history takes 0.15 s warm and 1.6 s cold) */
	st = not_a_database (path) ? NULL : open_one (path, &first);
	if (st != NULL)
		return st;
	if (first != NULL && !g_error_matches (first, RTLS_ERROR, RTLS_ERROR_IO)) {
		g_propagate_error (error, g_steal_pointer (&first));
		return NULL;
	}
	/* A file we cannot open for a reason other than damage (permissions, a later schema)
	 * is not moved: only one that is not a database or that SQLite finds damaged. */
	if (first != NULL && g_file_test (path, G_FILE_TEST_EXISTS)) {
		sqlite3 *probe = NULL;
		int rc = sqlite3_open_v2 (path, &probe, SQLITE_OPEN_READONLY, NULL);
		gboolean damaged = rc == SQLITE_OK
		                   && sqlite3_exec (probe, "PRAGMA quick_check", NULL, NULL, NULL)
		                              != SQLITE_OK
		                   && (sqlite3_errcode (probe) == SQLITE_NOTADB
		                       || sqlite3_errcode (probe) == SQLITE_CORRUPT);
		sqlite3_close (probe);
		if (!damaged) {
			g_propagate_error (error, g_steal_pointer (&first));
			return NULL;
		}
	}
	if (!move_aside (path, moved_aside, error))
		return NULL;
	st = open_one (path, error);
	if (st == NULL && moved_aside != NULL)
		g_clear_pointer (moved_aside, g_free);
	return st;
}

RtlsStore *
rtls_store_open_reader (const char *path, GError **error)
{
	g_autoptr (RtlsStore) st = g_new0 (RtlsStore, 1);
	gint64 version;

	st->path = g_strdup (path);
	st->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_free);
	/* read-write without create: a reader of a WAL database takes part in its -shm, and a
	 * file that is not there is not made here (the writer makes it, 0600) */
	if (sqlite3_open_v2 (path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
	    != SQLITE_OK) {
		fail (st, error, "open");
		return NULL;
	}
	sqlite3_busy_timeout (st->db, RTLS_STORE_BUSY_MS);
	sqlite3_extended_result_codes (st->db, 1);
	if (!exec (st, "PRAGMA query_only = ON", error))
		return NULL;
	version = query_int (st, "PRAGMA user_version", -1);
	if (version != SCHEMA_VERSION) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("%s is not a history of this release of the plugin (schema %d)"),
		             st->path, (int) version);
		return NULL;
	}
	return g_steal_pointer (&st);
}

gboolean
rtls_store_verify (const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	gboolean ok = FALSE;

	/* a connection of its own, read only: it runs in a thread while the plugin goes on */
	if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL)
	    == SQLITE_OK) {
		sqlite3_busy_timeout (db, RTLS_STORE_BUSY_MS);
		if (sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &q, NULL) == SQLITE_OK
		    && sqlite3_step (q) == SQLITE_ROW)
			ok = g_strcmp0 ((const char *) sqlite3_column_text (q, 0), "ok") == 0;
		else
			/* busy is not damage: only what SQLite calls damaged is */
			ok = (sqlite3_errcode (db) & 0xff) != SQLITE_CORRUPT
			     && (sqlite3_errcode (db) & 0xff) != SQLITE_NOTADB;
		sqlite3_finalize (q);
	}
	sqlite3_close (db);
	return ok;
}

RtlsStore *
rtls_store_replace (RtlsStore *store, gchar **moved_aside, GError **error)
{
	g_autofree gchar *path = g_strdup (store->path);

	rtls_store_close (store);
	if (!move_aside (path, moved_aside, error))
		return NULL;
	return open_one (path, error);
}

void
rtls_store_close (RtlsStore *store)
{
	if (store == NULL)
		return;
	g_clear_pointer (&store->cache, g_hash_table_unref); /* finalizes its statements */
	if (store->db != NULL)
		sqlite3_close_v2 (store->db);
	g_free (store->path);
	g_free (store);
}

/* ---------------------------------------------------------------- writing */

static gint64
folder_id (RtlsStore *st, const char *name, gboolean create, GError **error)
{
	g_autoptr (sqlite3_stmt) q = NULL;

	if (name == NULL)
		return 0;
	q = prep (st, "SELECT id FROM folder WHERE name = ?", error);
	if (q == NULL)
		return -1;
	bind_text (q, 1, name);
	if (sqlite3_step (q) == SQLITE_ROW)
		return sqlite3_column_int64 (q, 0);
	if (!create)
		return 0;
	g_clear_pointer (&q, release);
	q = prep (st, "INSERT INTO folder (name) VALUES (?)", error);
	if (q == NULL)
		return -1;
	bind_text (q, 1, name);
	if (sqlite3_step (q) != SQLITE_DONE)
		return fail (st, error, "folder"), -1;
	return sqlite3_last_insert_rowid (st->db);
}

static gint64
message_by_key (RtlsStore *st, const char *key, GError **error)
{
	g_autoptr (sqlite3_stmt) q = prep (st, "SELECT id FROM message WHERE key = ?", error);

	if (q == NULL)
		return -1;
	bind_text (q, 1, key);
	return sqlite3_step (q) == SQLITE_ROW ? sqlite3_column_int64 (q, 0) : 0;
}

typedef struct {
	gint64 id, message;
} Found;

static Found
attempt_by_envid (RtlsStore *st, const char *envid, GError **error)
{
	Found f = { 0, 0 };
	g_autoptr (sqlite3_stmt) q = NULL;

	if (envid == NULL)
		return f;
	q = prep (st, "SELECT id, message FROM attempt WHERE envid = ?", error);
	if (q == NULL) {
		f.id = -1;
		return f;
	}
	bind_text (q, 1, envid);
	if (sqlite3_step (q) == SQLITE_ROW) {
		f.id = sqlite3_column_int64 (q, 0);
		f.message = sqlite3_column_int64 (q, 1);
	}
	return f;
}

/* Results that make an attempt of their own: a start, or an outcome (an earlier release's
 * journal has no start; rtls_attempts_apply() makes a finished attempt of it). */
static gboolean
makes_attempt (RtlsResult r)
{
	return r == RTLS_RESULT_STARTED || rtls_result_is_outcome (r);
}

typedef struct {
	gchar *message_id, *subject, *sender, *recipients;
	gint account;
	gchar *envid, *host, *folder;
	guint port;
	gint msgnum;
} Home;

static void
home_clear (Home *h)
{
	g_free (h->message_id);
	g_free (h->subject);
	g_free (h->sender);
	g_free (h->recipients);
	g_free (h->envid);
	g_free (h->host);
	g_free (h->folder);
	memset (h, 0, sizeof *h);
}

static gboolean
load_home (RtlsStore *st, gint64 message, gint64 attempt, Home *h, GError **error)
{
	g_autoptr (sqlite3_stmt) m = prep (
	        st,
	        "SELECT message_id, subject, sender, recipients, account FROM message WHERE id = ?",
	        error);

	memset (h, 0, sizeof *h);
	h->account = -1;
	if (m == NULL)
		return FALSE;
	sqlite3_bind_int64 (m, 1, message);
	if (sqlite3_step (m) == SQLITE_ROW) {
		h->message_id = col_text (m, 0);
		h->subject = col_text (m, 1);
		h->sender = col_text (m, 2);
		h->recipients = col_text (m, 3);
		h->account = sqlite3_column_int (m, 4);
	}
	if (attempt > 0) {
		g_autoptr (sqlite3_stmt) a
		        = prep (st,
		                "SELECT a.envid, a.host, a.port, f.name, a.msgnum FROM attempt a"
		                " LEFT JOIN folder f ON f.id = a.folder WHERE a.id = ?",
		                error);
		if (a == NULL)
			return FALSE;
		sqlite3_bind_int64 (a, 1, attempt);
		if (sqlite3_step (a) == SQLITE_ROW) {
			h->envid = col_text (a, 0);
			h->host = col_text (a, 1);
			h->port = (guint) sqlite3_column_int (a, 2);
			h->folder = col_text (a, 3);
			h->msgnum = sqlite3_column_int (a, 4);
		}
	}
	return TRUE;
}

/* Leaves out of @t (a shallow copy of the record) what equals the home values. */
static guint
inherit (RtlsJournalEntry *t, const Home *h, gboolean has_attempt)
{
	guint bits = 0;

#define SAME_STR(field, home, bit)                                                                 \
	if (t->field != NULL && g_strcmp0 (t->field, h->home) == 0) {                              \
		t->field = NULL;                                                                   \
		bits |= bit;                                                                       \
	}
	SAME_STR (message_id, message_id, IN_MESSAGE_ID);
	SAME_STR (subject, subject, IN_SUBJECT);
	SAME_STR (sender, sender, IN_SENDER);
	SAME_STR (recipients, recipients, IN_RECIPIENTS);
	if (t->account_id >= 0 && t->account_id == h->account) {
		t->account_id = -1;
		bits |= IN_ACCOUNT;
	}
	if (has_attempt) {
		SAME_STR (envid, envid, IN_ENVID);
		SAME_STR (host, host, IN_HOST);
		SAME_STR (queue_folder, folder, IN_FOLDER);
		if (t->port != 0 && t->port == h->port) {
			t->port = 0;
			bits |= IN_PORT;
		}
		if (t->queue_msgnum > 0 && t->queue_msgnum == h->msgnum) {
			t->queue_msgnum = 0;
			bits |= IN_MSGNUM;
		}
	}
#undef SAME_STR
	return bits;
}

typedef struct {
	GHashTable *messages; /* gint64 id → TRUE: fold again at the end of the transaction */
	gint64 next_record;   /* the id the next record gets */
} Touched;

static gboolean
insert_one (RtlsStore *st, const RtlsJournalEntry *e, Touched *touched, GError **error)
{
	RtlsResult result = rtls_result_parse (e->result);
	Found a = attempt_by_envid (st, e->envid, error);
	gint64 message = a.message;
	RtlsJournalEntry t;
	Home h;
	guint bits;
	g_autofree gchar *data = NULL;
	g_autoptr (sqlite3_stmt) ins = NULL;

	if (a.id < 0)
		return FALSE;
	if (e->result == NULL)
		return TRUE; /* nothing to keep (rtls_journal_entry_parse() refuses such lines) */
	/* an unverified bounce (and its forgetting) is a message of its own, whatever ENVID it
	 * names (rtls_delivery_key_of()) */
	if (result == RTLS_RESULT_UNVERIFIED
	    || (result == RTLS_RESULT_FORGOTTEN && e->message_id == NULL && e->bounce_id != NULL))
		a.id = a.message = message = 0;
	if (message == 0) {
		g_autofree gchar *key = rtls_delivery_key_of (e);
		message = message_by_key (st, key, error);
		if (message < 0)
			return FALSE;
		if (message == 0) {
			g_autoptr (sqlite3_stmt) m = prep (
			        st,
			        "INSERT INTO message (key, message_id, subject, sender, recipients,"
			        " account, newest) VALUES (?, ?, ?, ?, ?, ?, ?)",
			        error);
			if (m == NULL)
				return FALSE;
			bind_text (m, 1, key);
			bind_text (m, 2, e->message_id);
			bind_text (m, 3, e->subject);
			bind_text (m, 4, e->sender);
			bind_text (m, 5, e->recipients);
			sqlite3_bind_int (m, 6, e->account_id);
			sqlite3_bind_int64 (m, 7, e->time);
			if (sqlite3_step (m) != SQLITE_DONE)
				return fail (st, error, "message");
			message = sqlite3_last_insert_rowid (st->db);
		}
	}
	if (a.id == 0 && e->envid != NULL && makes_attempt (result)) {
		gint64 fid = folder_id (st, e->queue_folder, TRUE, error);
		g_autoptr (sqlite3_stmt) q = NULL;
		if (fid < 0)
			return FALSE;
		q = prep (st,
		          "INSERT INTO attempt (envid, message, host, port, folder, msgnum,"
		          " state, q_folder, q_msgnum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		          error);
		if (q == NULL)
			return FALSE;
		bind_text (q, 1, e->envid);
		sqlite3_bind_int64 (q, 2, message);
		bind_text (q, 3, e->host);
		sqlite3_bind_int (q, 4, (int) e->port);
		if (fid > 0)
			sqlite3_bind_int64 (q, 5, fid);
		sqlite3_bind_int (q, 6, e->queue_msgnum);
		sqlite3_bind_int (q, 7, ST_RUNNING);
		if (fid > 0)
			sqlite3_bind_int64 (q, 8, fid);
		sqlite3_bind_int (q, 9, e->queue_msgnum);
		if (sqlite3_step (q) != SQLITE_DONE)
			return fail (st, error, "attempt");
		a.id = sqlite3_last_insert_rowid (st->db);
	}
	if (!load_home (st, message, a.id, &h, error))
		return FALSE;
	t = *e;
	bits = inherit (&t, &h, a.id > 0);
	home_clear (&h);
	t.time = 0;
	/* words made from the facts whenever they are shown are not kept a second time
	 * (rtls_delivery_explain()); an earlier release's record without facts keeps its own */
	if (rtls_delivery_explains_itself (e))
		t.explanation = NULL;
	if (result != RTLS_RESULT_OTHER)
		t.result = NULL; /* in its column; a word of a later release stays in the data */
	data = rtls_journal_entry_format (&t);
	ins = prep (st,
	            "INSERT INTO record (message, attempt, time, result, inherit, data, id)"
	            " VALUES (?, ?, ?, ?, ?, ?, ?)",
	            error);
	if (ins == NULL)
		return FALSE;
	sqlite3_bind_int64 (ins, 1, message);
	if (a.id > 0)
		sqlite3_bind_int64 (ins, 2, a.id);
	sqlite3_bind_int64 (ins, 3, e->time);
	sqlite3_bind_int (ins, 4, (int) result);
	sqlite3_bind_int (ins, 5, (int) bits);
	bind_text (ins, 6, data);
	sqlite3_bind_int64 (ins, 7, touched->next_record++);
	if (sqlite3_step (ins) != SQLITE_DONE)
		return fail (st, error, "record");
	g_hash_table_add (touched->messages, g_memdup2 (&message, sizeof message));
	return TRUE;
}

/* @e as the journal would keep it (rtls_journal_entry_format(): no control character, at
 * most 2000 characters a field), in the home columns as in the record's own data. */
static gboolean
insert_kept (RtlsStore *st, const RtlsJournalEntry *e, Touched *touched, GError **error)
{
	g_autofree gchar *text = rtls_journal_entry_format (e);
	g_autoptr (RtlsJournalEntry) kept = rtls_journal_entry_parse_fields (text);

	return insert_one (st, kept != NULL ? kept : e, touched, error);
}

/* ---------------------------------------------------------------- reading records */

#define RECORD_SELECT                                                                              \
	"SELECT r.id, r.time, r.result, r.inherit, r.data, m.message_id, m.subject, m.sender,"     \
	" m.recipients, m.account, a.envid, a.host, a.port, f.name, a.msgnum"                      \
	" FROM record r JOIN message m ON m.id = r.message"                                        \
	" LEFT JOIN attempt a ON a.id = r.attempt LEFT JOIN folder f ON f.id = a.folder "

typedef struct {
	gint64 id;
	RtlsJournalEntry *e;
} Loaded;

static RtlsJournalEntry *
decode (sqlite3_stmt *q)
{
	RtlsResult result = (RtlsResult) sqlite3_column_int (q, 2);
	guint bits = (guint) sqlite3_column_int (q, 3);
	RtlsJournalEntry *e
	        = rtls_journal_entry_parse_fields ((const char *) sqlite3_column_text (q, 4));

	if (e == NULL)
		return NULL;
	e->time = sqlite3_column_int64 (q, 1);
	if (result != RTLS_RESULT_OTHER) {
		g_free (e->result);
		e->result = g_strdup (rtls_result_word (result));
	}
#define TAKE_STR(bit, field, col)                                                                  \
	if (bits & bit) {                                                                          \
		g_free (e->field);                                                                 \
		e->field = col_text (q, col);                                                      \
	}
	TAKE_STR (IN_MESSAGE_ID, message_id, 5);
	TAKE_STR (IN_SUBJECT, subject, 6);
	TAKE_STR (IN_SENDER, sender, 7);
	TAKE_STR (IN_RECIPIENTS, recipients, 8);
	TAKE_STR (IN_ENVID, envid, 10);
	TAKE_STR (IN_HOST, host, 11);
	TAKE_STR (IN_FOLDER, queue_folder, 13);
#undef TAKE_STR
	if (bits & IN_ACCOUNT)
		e->account_id = sqlite3_column_int (q, 9);
	if (bits & IN_PORT)
		e->port = (guint) sqlite3_column_int (q, 12);
	if (bits & IN_MSGNUM)
		e->queue_msgnum = sqlite3_column_int (q, 14);
	return e;
}

static gint
by_id (gconstpointer a, gconstpointer b)
{
	const Loaded *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The records of the messages in @ids (gint64), in the order they were written. */
static GPtrArray *
records_of (RtlsStore *st, GArray *ids, GError **error)
{
	g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (Loaded));
	g_autoptr (sqlite3_stmt) q = prep (st, RECORD_SELECT "WHERE r.message = ?", error);
	g_autoptr (GHashTable) seen
	        = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
	GPtrArray *out;

	if (q == NULL)
		return NULL;
	for (guint i = 0; i < ids->len; i++) {
		gint64 id = g_array_index (ids, gint64, i);
		int rc;
		if (!g_hash_table_add (seen, g_memdup2 (&id, sizeof id)))
			continue;
		sqlite3_reset (q);
		sqlite3_bind_int64 (q, 1, id);
		while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
			Loaded l = { sqlite3_column_int64 (q, 0), decode (q) };
			if (l.e != NULL)
				g_array_append_val (all, l);
		}
		if (rc != SQLITE_DONE) {
			for (guint k = 0; k < all->len; k++)
				rtls_journal_entry_free (g_array_index (all, Loaded, k).e);
			fail (st, error, "record");
			return NULL;
		}
	}
	g_array_sort (all, by_id);
	out = g_ptr_array_new_full (all->len, (GDestroyNotify) rtls_journal_entry_free);
	for (guint i = 0; i < all->len; i++)
		g_ptr_array_add (out, g_array_index (all, Loaded, i).e);
	return out;
}

static GPtrArray *
records_of_one (RtlsStore *st, gint64 message, GError **error)
{
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

	g_array_append_val (ids, message);
	return records_of (st, ids, error);
}

/* ---------------------------------------------------------------- what is derived */

static const char *
state_code (RtlsRowState s)
{
	static const char *const codes[] = {
		[RTLS_ROW_SENT] = "sent",
		[RTLS_ROW_NOT_CONFIRMED] = "not-confirmed",
		[RTLS_ROW_WAITING] = "waiting",
		[RTLS_ROW_FAILED] = "failed",
		[RTLS_ROW_BOUNCED] = "bounced",
		[RTLS_ROW_DELAYED] = "delayed",
		[RTLS_ROW_DELIVERED] = "delivered",
		[RTLS_ROW_UNVERIFIED] = "unverified",
		[RTLS_ROW_SENDING] = "sending",
		[RTLS_ROW_CANCELLED] = "cancelled",
		[RTLS_ROW_SENT_DEFAULT] = "sent-default",
	};
	return (gsize) s < G_N_ELEMENTS (codes) && codes[s] != NULL ? codes[s] : "other";
}

static int
disk_state (RtlsAttemptState s)
{
	switch (s) {
	case RTLS_ATTEMPT_RUNNING:
		return ST_RUNNING;
	case RTLS_ATTEMPT_SENT:
		return ST_SENT;
	case RTLS_ATTEMPT_HELD:
		return ST_HELD;
	case RTLS_ATTEMPT_TEMPORARY:
		return ST_TEMPORARY;
	case RTLS_ATTEMPT_FAILED:
		return ST_FAILED;
	case RTLS_ATTEMPT_CLOSED:
	default:
		return ST_CLOSED;
	}
}

static gboolean
derive (RtlsStore *st, gint64 message, GError **error)
{
	g_autoptr (GPtrArray) records = records_of_one (st, message, error);
	g_autoptr (GPtrArray) rows = NULL;
	g_autoptr (GPtrArray) attempts = NULL;
	g_autoptr (GString) look = g_string_new (NULL);
	g_autoptr (GString) states = g_string_new (" ");
	g_autoptr (GHashTable) pieces
	        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr (sqlite3_stmt) upd = NULL, del = NULL, dom = NULL, att = NULL;
	gint64 newest = 0;

	if (records == NULL)
		return FALSE;
	rows = rtls_delivery_rows (records);
	attempts = rtls_attempts_fold (records);
	/* the message's own recipients are searched in their column (SQLite's LIKE ignores the
	 * case of ASCII letters): look holds only the others, and those that are not ASCII */
	{
		g_autoptr (sqlite3_stmt) q
		        = prep (st, "SELECT recipients FROM message WHERE id = ?", error);
		if (q == NULL)
			return FALSE;
		sqlite3_bind_int64 (q, 1, message);
		if (sqlite3_step (q) == SQLITE_ROW && sqlite3_column_text (q, 0) != NULL) {
			g_auto (GStrv) own
			        = g_strsplit ((const char *) sqlite3_column_text (q, 0), ",", 1000);
			for (guint k = 0; own[k] != NULL; k++) {
				const char *a = g_strstrip (own[k]);
				if (*a != '\0' && g_str_is_ascii (a))
					g_hash_table_add (pieces, g_ascii_strdown (a, -1));
			}
		}
	}
	for (guint i = 0; i < records->len; i++)
		newest = MAX (newest, ((RtlsJournalEntry *) g_ptr_array_index (records, i))->time);
	del = prep (st, "DELETE FROM domain WHERE message = ?", error);
	dom = prep (st, "INSERT INTO domain (domain, kind, time, message) VALUES (?, ?, ?, ?)",
	            error);
	if (del == NULL || dom == NULL)
		return FALSE;
	sqlite3_bind_int64 (del, 1, message);
	if (sqlite3_step (del) != SQLITE_DONE)
		return fail (st, error, "domain");
	for (guint i = 0; i < rows->len; i++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		const char *d = rtls_delivery_domain_of (r->recipient);
		int kind = r->state == RTLS_ROW_DELIVERED ? DOMAIN_DELIVERED
		           : r->state == RTLS_ROW_BOUNCED && r->requiretls
		                   ? DOMAIN_REQUIRETLS_FAILED
		                   : 0;
		gchar *lower = g_utf8_casefold (r->recipient ? r->recipient : "", -1);
		gchar *subject = g_utf8_casefold (r->subject ? r->subject : "", -1);
		gchar *code = g_strdup_printf ("state:%s ", state_code (r->state));
		/* each piece once: the rows of a message mostly share their subject and state.
		 * The text searched never holds the state codes: "failed" is not "not sent" */
		for (gchar **piece = (gchar *[]){ subject, lower, code, NULL }; *piece != NULL;
		     piece++) {
			if (g_hash_table_contains (pieces, *piece)) {
				g_free (*piece);
				continue;
			}
			g_hash_table_add (pieces, *piece);
			if (*piece == code)
				g_string_append (states, code);
			else
				g_string_append_printf (look, "%s%s", look->len ? "\n" : "",
				                        *piece);
		}
		if (i == 0)
			newest = r->time; /* rows come newest first */
		if (kind != 0 && d != NULL && *d != '\0') {
			g_autofree gchar *ld = g_ascii_strdown (d, -1);
			sqlite3_reset (dom);
			bind_text (dom, 1, ld);
			sqlite3_bind_int (dom, 2, kind);
			sqlite3_bind_int64 (dom, 3, r->time);
			sqlite3_bind_int64 (dom, 4, message);
			if (sqlite3_step (dom) != SQLITE_DONE)
				return fail (st, error, "domain");
		}
	}
	upd = prep (st,
	            "UPDATE message SET newest = ?, shown = ?, look = ?, states = ? WHERE id = ?",
	            error);
	if (upd == NULL)
		return FALSE;
	sqlite3_bind_int64 (upd, 1, newest);
	sqlite3_bind_int (upd, 2, (int) rows->len);
	bind_text (upd, 3, look->str);
	bind_text (upd, 4, states->str);
	sqlite3_bind_int64 (upd, 5, message);
	if (sqlite3_step (upd) != SQLITE_DONE)
		return fail (st, error, "message");
	att = prep (st,
	            "UPDATE attempt SET state = ?, retry_at = ?, q_folder = ?, q_msgnum = ?"
	            " WHERE envid = ?",
	            error);
	if (att == NULL)
		return FALSE;
	for (guint i = 0; i < attempts->len; i++) {
		const RtlsAttempt *a = g_ptr_array_index (attempts, i);
		gint64 fid = folder_id (st, a->queue_folder, TRUE, error);
		if (fid < 0)
			return FALSE;
		sqlite3_reset (att);
		sqlite3_bind_int (att, 1, disk_state (a->state));
		sqlite3_bind_int64 (att, 2, a->state == RTLS_ATTEMPT_TEMPORARY ? a->retry_at : 0);
		if (fid > 0)
			sqlite3_bind_int64 (att, 3, fid);
		else
			sqlite3_bind_null (att, 3);
		sqlite3_bind_int (att, 4, a->queue_msgnum);
		bind_text (att, 5, a->envid);
		if (sqlite3_step (att) != SQLITE_DONE)
			return fail (st, error, "attempt");
	}
	return TRUE;
}

static gboolean
append_all (RtlsStore *st, GPtrArray *records, GError **error)
{
	Touched touched = { g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL), 0 };
	GHashTableIter it;
	gpointer key;
	gboolean ok = TRUE;

	/* read inside the transaction: another connection may have written since */
	touched.next_record = query_int (st, "SELECT value FROM meta WHERE key = 'next-record'", 1);
	for (guint i = 0; ok && i < records->len; i++)
		ok = insert_kept (st, g_ptr_array_index (records, i), &touched, error);
	if (ok) {
		g_autoptr (sqlite3_stmt) q = prep (
		        st, "INSERT OR REPLACE INTO meta (key, value) VALUES ('next-record', ?)",
		        error);
		ok = q != NULL;
		if (ok) {
			sqlite3_bind_int64 (q, 1, touched.next_record);
			ok = sqlite3_step (q) == SQLITE_DONE || fail (st, error, "meta");
		}
	}
	g_hash_table_iter_init (&it, touched.messages);
	while (ok && g_hash_table_iter_next (&it, &key, NULL))
		ok = derive (st, *(gint64 *) key, error);
	g_hash_table_unref (touched.messages);
	return ok;
}

static gboolean
begin (RtlsStore *st, GError **error)
{
	return exec (st, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (RtlsStore *st, gboolean ok, GError **error)
{
	if (ok && sqlite3_exec (st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return TRUE;
	if (ok)
		fail (st, error, "COMMIT");
	sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
	return FALSE;
}

gboolean
rtls_store_append_all (RtlsStore *store, GPtrArray *records, GError **error)
{
	if (!begin (store, error))
		return FALSE;
	return commit (store, append_all (store, records, error), error);
}

gboolean
rtls_store_append (RtlsStore *store, const RtlsJournalEntry *e, GError **error)
{
	g_autoptr (GPtrArray) one = g_ptr_array_new ();

	g_ptr_array_add (one, (gpointer) e);
	return rtls_store_append_all (store, one, error);
}

/* ---------------------------------------------------------------- attempts */

static GPtrArray *
attempts_of (RtlsStore *st, GArray *messages, GHashTable *only, GError **error)
{
	g_autoptr (GPtrArray) records = records_of (st, messages, error);
	GPtrArray *all, *out;

	if (records == NULL)
		return NULL;
	all = rtls_attempts_fold (records);
	if (only == NULL)
		return all;
	out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_attempt_free);
	for (guint i = 0; i < all->len; i++) {
		RtlsAttempt *a = g_ptr_array_index (all, i);
		if (g_hash_table_contains (only, a->envid) && a->state <= RTLS_ATTEMPT_TEMPORARY)
			g_ptr_array_add (out, g_steal_pointer (&all->pdata[i]));
	}
	g_ptr_array_unref (all);
	return out;
}

RtlsAttempt *
rtls_store_attempt (RtlsStore *store, const char *envid, GError **error)
{
	Found f = attempt_by_envid (store, envid, error);
	g_autoptr (GArray) ids = NULL;
	g_autoptr (GPtrArray) all = NULL;

	if (f.id <= 0)
		return NULL;
	ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	g_array_append_val (ids, f.message);
	all = attempts_of (store, ids, NULL, error);
	/* the latest of that ENVID, as rtls_attempts_find() */
	for (guint i = all != NULL ? all->len : 0; i-- > 0;) {
		RtlsAttempt *a = g_ptr_array_index (all, i);
		if (g_strcmp0 (a->envid, envid) == 0)
			return g_steal_pointer (&all->pdata[i]);
	}
	return NULL;
}

GPtrArray *
rtls_store_attempts_about (RtlsStore *store, const char *folder, gint msgnum,
                           const char *message_id, GError **error)
{
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

	if (folder != NULL && msgnum > 0) {
		gint64 fid = folder_id (store, folder, FALSE, error);
		g_autoptr (sqlite3_stmt) q = NULL;
		int rc;
		if (fid < 0)
			return NULL;
		/* Claws numbers its queue from 1 again after a restart: over years an entry
		 * number was the number of thousands of finished attempts. What can matter is
		 * what is unfinished and the newest (an entry that failed for good); the same
		 * message's attempts come by its Message-ID below. */
		q = prep (store,
		          "SELECT message FROM attempt WHERE state <= 3 AND q_msgnum = ?1"
		          " AND q_folder = ?2 UNION SELECT message FROM attempt WHERE id ="
		          " (SELECT max(id) FROM attempt WHERE q_msgnum = ?1 AND q_folder = ?2"
		          " AND q_msgnum > 0)",
		          error);
		if (q == NULL)
			return NULL;
		sqlite3_bind_int (q, 1, msgnum);
		sqlite3_bind_int64 (q, 2, fid);
		while (fid > 0 && (rc = sqlite3_step (q)) == SQLITE_ROW) {
			gint64 id = sqlite3_column_int64 (q, 0);
			g_array_append_val (ids, id);
		}
		if (fid > 0 && rc != SQLITE_DONE) {
			fail (store, error, "attempt");
			return NULL;
		}
	}
	if (message_id != NULL && *message_id != '\0') {
		g_autofree gchar *key = rtls_dsn_strip_brackets (message_id);
		gint64 m = message_by_key (store, key, error);
		if (m < 0)
			return NULL;
		if (m > 0)
			g_array_append_val (ids, m);
	}
	return attempts_of (store, ids, NULL, error);
}

GPtrArray *
rtls_store_unfinished (RtlsStore *store, GError **error)
{
	g_autoptr (GArray) ids = NULL;
	g_autoptr (GHashTable) only = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr (sqlite3_stmt) q
	        = prep (store, "SELECT message, envid FROM attempt WHERE state <= 3", error);
	int rc;

	if (q == NULL)
		return NULL;
	ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64 (q, 0);
		g_array_append_val (ids, id);
		g_hash_table_add (only, col_text (q, 1));
	}
	if (rc != SQLITE_DONE) {
		fail (store, error, "attempt");
		return NULL;
	}
	return attempts_of (store, ids, only, error);
}

gint64
rtls_store_next_retry (RtlsStore *store)
{
	return query_int (store,
	                  "SELECT MIN(retry_at) FROM attempt WHERE state <= 3 AND state = 3"
	                  " AND retry_at > 0",
	                  0);
}

/* ---------------------------------------------------------------- bounces */

GPtrArray *
rtls_store_records_for_dsn (RtlsStore *store, const RtlsDsn *dsn, GError **error)
{
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

	if (dsn->envid != NULL) {
		Found f = attempt_by_envid (store, dsn->envid, error);
		if (f.id < 0)
			return NULL;
		if (f.message > 0)
			g_array_append_val (ids, f.message);
	}
	for (gchar **id = dsn->ambiguous_envids; id != NULL && *id != NULL; id++) {
		Found f = attempt_by_envid (store, *id, error);
		if (f.id < 0)
			return NULL;
		if (f.message > 0)
			g_array_append_val (ids, f.message);
	}
	if (dsn->orig_message_id != NULL) {
		g_autofree gchar *key = rtls_dsn_strip_brackets (dsn->orig_message_id);
		gint64 m = key != NULL && *key != '\0' ? message_by_key (store, key, error) : 0;
		if (m < 0)
			return NULL;
		if (m > 0)
			g_array_append_val (ids, m);
	}
	return records_of (store, ids, error);
}

GPtrArray *
rtls_store_records_like (RtlsStore *store, GPtrArray *records, GError **error)
{
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

	for (guint i = 0; i < records->len; i++) {
		const RtlsJournalEntry *e = g_ptr_array_index (records, i);
		g_autofree gchar *key = rtls_delivery_key_of (e);
		Found f = attempt_by_envid (store, e->envid, error);
		gint64 m = message_by_key (store, key, error);
		if (f.id < 0 || m < 0)
			return NULL;
		if (f.message > 0)
			g_array_append_val (ids, f.message);
		if (m > 0)
			g_array_append_val (ids, m);
	}
	return records_of (store, ids, error);
}

/* ---------------------------------------------------------------- the window */

/* "%text%" for LIKE, its own % _ and \ escaped */
static gchar *
like_pattern (const char *text)
{
	GString *s = g_string_new ("%");
	g_autofree gchar *folded = g_utf8_casefold (text, -1);

	for (const char *p = folded; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			g_string_append_c (s, '\\');
		g_string_append_c (s, *p);
	}
	g_string_append_c (s, '%');
	return g_string_free (s, FALSE);
}

/* The state codes whose name in the current language contains @text, as patterns of the
 * states column (" state:a state:b ") */
static GPtrArray *
states_named (const char *text)
{
	GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
	g_autofree gchar *needle = g_utf8_casefold (text, -1);

	for (int s = RTLS_ROW_SENT; s <= RTLS_ROW_SENT_DEFAULT; s++) {
		g_autofree gchar *name = g_utf8_casefold (rtls_delivery_state_name (s), -1);
		if (*needle != '\0' && strstr (name, needle) != NULL)
			g_ptr_array_add (out, g_strdup_printf ("%% state:%s %%", state_code (s)));
	}
	return out;
}

/* The WHERE of the window's queries: ?1 the pattern, then one per state named. */
static gchar *
search_where (const char *search, GPtrArray *states)
{
	GString *w = g_string_new ("shown > 0");

	if (search == NULL || *search == '\0')
		return g_string_free (w, FALSE);
	/* SQLite's LIKE folds ASCII only: look is case folded, as the pattern is */
	g_string_append (w, " AND (look LIKE ?1 ESCAPE '\\' OR recipients LIKE ?1 ESCAPE '\\'");
	for (guint i = 0; i < states->len; i++)
		g_string_append_printf (w, " OR states LIKE ?%u", i + 2);
	g_string_append (w, ")");
	return g_string_free (w, FALSE);
}

static void
bind_search (sqlite3_stmt *q, const char *search, GPtrArray *states)
{
	g_autofree gchar *pattern = NULL;

	if (search == NULL || *search == '\0')
		return;
	pattern = like_pattern (search);
	bind_text (q, 1, pattern);
	for (guint i = 0; i < states->len; i++)
		bind_text (q, (int) i + 2, g_ptr_array_index (states, i));
}

static gint
row_newer (gconstpointer a, gconstpointer b)
{
	const RtlsDeliveryRow *x = *(const RtlsDeliveryRow *const *) a;
	const RtlsDeliveryRow *y = *(const RtlsDeliveryRow *const *) b;

	return x->time < y->time ? 1 : x->time > y->time ? -1 : 0;
}

GPtrArray *
rtls_store_rows (RtlsStore *store, const char *search, guint offset, guint limit, gboolean *more,
                 GError **error)
{
	g_autoptr (GPtrArray) states = states_named (search != NULL ? search : "");
	g_autofree gchar *where = search_where (search, states);
	/* one more than asked for says whether there are more (G_MAXUINT + 1 must not wrap) */
	g_autofree gchar *sql = g_strdup_printf ("SELECT id FROM message WHERE %s ORDER BY newest"
	                                         " DESC, id DESC LIMIT ?%u OFFSET ?%u",
	                                         where, states->len + 2, states->len + 3);
	g_autoptr (sqlite3_stmt) q = prep (store, sql, error);
	GPtrArray *out;
	guint n = 0;
	int rc;

	if (more != NULL)
		*more = FALSE;
	if (q == NULL)
		return NULL;
	bind_search (q, search, states);
	sqlite3_bind_int64 (q, (int) states->len + 2, (gint64) limit + 1);
	sqlite3_bind_int64 (q, (int) states->len + 3, offset);
	out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_delivery_row_free);
	while ((rc = sqlite3_step (q)) == SQLITE_ROW) {
		g_autoptr (GPtrArray) records = NULL;
		g_autoptr (GPtrArray) rows = NULL;
		if (n++ == limit) {
			if (more != NULL)
				*more = TRUE;
			break;
		}
		records = records_of_one (store, sqlite3_column_int64 (q, 0), error);
		if (records == NULL) {
			g_ptr_array_unref (out);
			return NULL;
		}
		rows = rtls_delivery_rows (records);
		/* a message's rows together, newest first (stable) */
		g_ptr_array_sort (rows, row_newer);
		for (guint i = 0; i < rows->len; i++)
			g_ptr_array_add (out, g_steal_pointer (&rows->pdata[i]));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		g_ptr_array_unref (out);
		fail (store, error, "message");
		return NULL;
	}
	return out;
}

gint64
rtls_store_count_messages (RtlsStore *store, const char *search)
{
	g_autoptr (GPtrArray) states = states_named (search != NULL ? search : "");
	g_autofree gchar *where = search_where (search, states);
	g_autofree gchar *sql = g_strdup_printf ("SELECT count(*) FROM message WHERE %s", where);
	g_autoptr (sqlite3_stmt) q = prep (store, sql, NULL);

	if (q == NULL)
		return -1;
	bind_search (q, search, states);
	return sqlite3_step (q) == SQLITE_ROW ? sqlite3_column_int64 (q, 0) : -1;
}

/* ---------------------------------------------------------------- domains */

static gboolean
newest_fact (RtlsStore *st, const char *domain, int kind, gint64 since, gint64 *time,
             gint64 *message, GError **error)
{
	g_autoptr (sqlite3_stmt) q = prep (st,
	                                   "SELECT time, message FROM domain WHERE domain = ?"
	                                   " AND kind = ? AND time >= ? ORDER BY time DESC LIMIT 1",
	                                   error);
	int rc;

	*time = 0;
	if (message != NULL)
		*message = 0;
	if (q == NULL)
		return FALSE;
	bind_text (q, 1, domain);
	sqlite3_bind_int (q, 2, kind);
	sqlite3_bind_int64 (q, 3, since);
	rc = sqlite3_step (q);
	if (rc == SQLITE_ROW) {
		*time = sqlite3_column_int64 (q, 0);
		if (message != NULL)
			*message = sqlite3_column_int64 (q, 1);
	} else if (rc != SQLITE_DONE) {
		return fail (st, error, "domain");
	}
	return TRUE;
}

gboolean
rtls_store_domain_history (RtlsStore *store, const char *domain, RtlsDomainHistory *out,
                           GError **error)
{
	g_autofree gchar *d = g_ascii_strdown (domain != NULL ? domain : "", -1);

	memset (out, 0, sizeof *out);
	return newest_fact (store, d, DOMAIN_DELIVERED, G_MININT64, &out->last_delivered, NULL,
	                    error)
	       && newest_fact (store, d, DOMAIN_REQUIRETLS_FAILED, G_MININT64,
	                       &out->last_requiretls_failure, NULL, error);
}

RtlsDeliveryRow *
rtls_store_domain_warning (RtlsStore *store, const char *domain, gint64 now, gint64 max_age)
{
	g_autofree gchar *d = NULL;
	gint64 failed, message, delivered;
	g_autoptr (GPtrArray) records = NULL;
	g_autoptr (GPtrArray) rows = NULL;

	if (domain == NULL || *domain == '\0')
		return NULL;
	d = g_ascii_strdown (domain, -1);
	if (!newest_fact (store, d, DOMAIN_REQUIRETLS_FAILED, now - max_age, &failed, &message,
	                  NULL)
	    || message == 0
	    || !newest_fact (store, d, DOMAIN_DELIVERED, failed + 1, &delivered, NULL, NULL)
	    || delivered > failed)
		return NULL;
	records = records_of_one (store, message, NULL);
	if (records == NULL)
		return NULL;
	rows = rtls_delivery_rows (records);
	for (guint i = 0; i < rows->len; i++) {
		RtlsDeliveryRow *r = g_ptr_array_index (rows, i);
		const char *rd = rtls_delivery_domain_of (r->recipient);
		if (r->state == RTLS_ROW_BOUNCED && r->requiretls && r->time == failed && rd != NULL
		    && g_ascii_strcasecmp (rd, d) == 0)
			return g_ptr_array_steal_index (rows, i);
	}
	return NULL;
}

/* ---------------------------------------------------------------- readiness checks */

void
rtls_readiness_entry_free (RtlsReadinessEntry *e)
{
	if (e == NULL)
		return;
	g_free (e->domain);
	g_free (e->reasons);
	g_free (e->record);
	g_free (e);
}

static gboolean readiness_put (RtlsStore *store, const RtlsReadinessEntry *e, GError **error);

gboolean
rtls_store_readiness_put (RtlsStore *store, const RtlsReadinessEntry *e, GError **error)
{
	return readiness_put (store, e, error);
}

/* One transaction for a whole check's answers, committed without waiting for the disk
 * (synchronous=NORMAL: in WAL mode a commit is then written but not fsync'ed until the next
 * checkpoint). It is a cache: an answer lost at a power cut is only checked again, and the
 * main loop does not wait for one fsync a domain (bench/bench_readiness.py). */
gboolean
rtls_store_readiness_put_all (RtlsStore *store, GPtrArray *entries, GError **error)
{
	gboolean ok = TRUE;

	if (entries->len == 0)
		return TRUE;
	if (!exec (store, "PRAGMA synchronous = NORMAL", error))
		return FALSE;
	if (begin (store, error)) {
		for (guint i = 0; ok && i < entries->len; i++)
			ok = readiness_put (store, g_ptr_array_index (entries, i), error);
		ok = commit (store, ok, error);
	} else {
		ok = FALSE;
	}
	/* the history's own writes stay durable */
	if (!exec (store, "PRAGMA synchronous = FULL", ok ? error : NULL))
		ok = FALSE;
	return ok;
}

static gboolean
readiness_put (RtlsStore *store, const RtlsReadinessEntry *e, GError **error)
{
	g_autofree gchar *d = g_ascii_strdown (e->domain, -1);
	g_autoptr (sqlite3_stmt) q = prep (store,
	                                   "INSERT OR REPLACE INTO readiness (domain, verdict,"
	                                   " reasons, checked_at, expires_at, probed, record)"
	                                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
	                                   error);

	if (q == NULL)
		return FALSE;
	bind_text (q, 1, d);
	sqlite3_bind_int (q, 2, (int) e->verdict);
	bind_text (q, 3, e->reasons != NULL ? e->reasons : "");
	sqlite3_bind_int64 (q, 4, e->checked_at);
	sqlite3_bind_int64 (q, 5, e->expires_at);
	sqlite3_bind_int (q, 6, e->probed ? 1 : 0);
	bind_text (q, 7, e->record != NULL ? e->record : "");
	if (sqlite3_step (q) != SQLITE_DONE)
		return fail (store, error, "readiness");
	return TRUE;
}

RtlsReadinessEntry *
rtls_store_readiness_get (RtlsStore *store, const char *domain, GError **error)
{
	g_autofree gchar *d = g_ascii_strdown (domain != NULL ? domain : "", -1);
	g_autoptr (sqlite3_stmt) q = prep (store,
	                                   "SELECT verdict, reasons, checked_at, expires_at,"
	                                   " probed, record FROM readiness WHERE domain = ?",
	                                   error);
	RtlsReadinessEntry *e;
	int rc;

	if (q == NULL)
		return NULL;
	bind_text (q, 1, d);
	rc = sqlite3_step (q);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			fail (store, error, "readiness");
		return NULL;
	}
	e = g_new0 (RtlsReadinessEntry, 1);
	e->domain = g_steal_pointer (&d);
	e->verdict = (RtlsReadiness) CLAMP (sqlite3_column_int (q, 0), 0, RTLS_READINESS_LAST - 1);
	e->reasons = col_text (q, 1);
	e->checked_at = sqlite3_column_int64 (q, 2);
	e->expires_at = sqlite3_column_int64 (q, 3);
	e->probed = sqlite3_column_int (q, 4) != 0;
	e->record = col_text (q, 5);
	return e;
}

gint64
rtls_store_readiness_expire (RtlsStore *store, gint64 before, GError **error)
{
	g_autoptr (sqlite3_stmt) q
	        = prep (store, "DELETE FROM readiness WHERE expires_at < ?", error);

	if (q == NULL)
		return -1;
	sqlite3_bind_int64 (q, 1, before);
	if (sqlite3_step (q) != SQLITE_DONE) {
		fail (store, error, "readiness");
		return -1;
	}
	return sqlite3_changes (store->db);
}

/* ---------------------------------------------------------------- migration, retention */

gboolean
rtls_store_journal_imported (RtlsStore *store)
{
	return query_int (store, "SELECT count(*) FROM meta WHERE key = 'journal-imported'", 0) > 0;
}

gboolean
rtls_store_import_journal (RtlsStore *store, const char *path, guint *taken, guint *skipped,
                           GError **error)
{
	g_autofree gchar *text = NULL;
	g_autoptr (GError) local = NULL;
	g_autoptr (GPtrArray) records
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autoptr (sqlite3_stmt) mark = NULL;
	g_autofree gchar *note = NULL;
	gsize len = 0;
	gboolean ok;

	*taken = *skipped = 0;
	if (rtls_store_journal_imported (store))
		return TRUE;
	if (!g_file_get_contents (path, &text, &len, &local)) {
		if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, "%s", local->message);
		return FALSE;
	}
	/* as rtls_journal_load(): line by line over the bytes, a NUL spoils its own line only */
	for (gsize pos = 0; pos < len;) {
		const char *start = text + pos;
		const char *nl = memchr (start, '\n', len - pos);
		gsize n = nl != NULL ? (gsize) (nl - start) : len - pos;
		RtlsJournalEntry *e = NULL;
		pos += n + 1;
		if (n == 0)
			continue;
		if (memchr (start, '\0', n) == NULL) {
			g_autofree gchar *line = g_strndup (start, n);
			e = rtls_journal_entry_parse (line);
		}
		if (e != NULL)
			g_ptr_array_add (records, e);
		else
			(*skipped)++;
	}
	if (!begin (store, error))
		return FALSE;
	ok = append_all (store, records, error);
	note = g_strdup_printf ("%u records, %u lines skipped, from %s", records->len, *skipped,
	                        path);
	if (ok) {
		mark = prep (
		        store,
		        "INSERT OR REPLACE INTO meta (key, value) VALUES ('journal-imported', ?)",
		        error);
		ok = mark != NULL;
		if (ok) {
			bind_text (mark, 1, note);
			ok = sqlite3_step (mark) == SQLITE_DONE || fail (store, error, "meta");
		}
	}
	if (!commit (store, ok, error)) {
		*skipped = 0;
		return FALSE;
	}
	*taken = records->len;
	return TRUE;
}

gint64
rtls_store_expire (RtlsStore *store, gint64 before, guint max, GError **error)
{
	g_autoptr (sqlite3_stmt) q = NULL;
	gint64 n;

	if (!begin (store, error))
		return -1;
	/* the oldest first, by the index on newest, at most @max in one transaction */
	q = prep (store,
	          "DELETE FROM message WHERE id IN (SELECT id FROM message WHERE newest < ?1"
	          " AND NOT EXISTS (SELECT 1 FROM attempt WHERE attempt.message = message.id"
	          " AND attempt.state <= 3) ORDER BY newest LIMIT ?2)",
	          error);
	if (q == NULL) {
		commit (store, FALSE, NULL);
		return -1;
	}
	sqlite3_bind_int64 (q, 1, before);
	sqlite3_bind_int64 (q, 2, max);
	if (sqlite3_step (q) != SQLITE_DONE) {
		fail (store, error, "expire");
		commit (store, FALSE, NULL);
		return -1;
	}
	n = sqlite3_changes (store->db);
	/* records and domain facts of the messages removed went with them (ON DELETE CASCADE) */
	if (!commit (store, TRUE, error))
		return -1;
	return n;
}

gint64
rtls_store_compact (RtlsStore *store, guint max_pages, GError **error)
{
	gint64 before = query_int (store, "PRAGMA freelist_count", -1);
	g_autofree gchar *sql = g_strdup_printf ("PRAGMA incremental_vacuum(%u)", max_pages);

	if (before < 0) {
		fail (store, error, "freelist_count");
		return -1;
	}
	if (before == 0)
		return 0;
	if (!exec (store, sql, error))
		return -1;
	return MAX (0, query_int (store, "PRAGMA freelist_count", 0));
}
