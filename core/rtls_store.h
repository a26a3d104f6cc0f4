/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_store.h: what the plugin remembers, in one SQLite database (pure logic, no GTK, no
 * Claws). The unit of what is written is still a journal record (rtls_journal.h): a step of
 * a send, a report, a forget, each in one transaction, durable (WAL, synchronous=FULL) before
 * the call returns. What is read is answered by index, never by reading the history whole:
 * an attempt by ENVID, the attempts about a queue entry or a Message-ID, what is unfinished,
 * the delivery window's rows newest first a page at a time, per recipient domain the last
 * REQUIRETLS delivery and the last REQUIRETLS-caused failure. The folds of rtls_attempt.h and
 * rtls_delivery.h run on the few records of one message only.
 *
 * Every function returns FALSE / NULL with @error set when the database cannot be read or
 * written (busy beyond a bounded wait, disk full, read-only, damaged): nothing is half-written.
 */
#pragma once

#include <glib.h>

#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_dsn.h"
#include "rtls_journal.h"
#include "rtls_readiness.h"

G_BEGIN_DECLS

typedef struct _RtlsStore RtlsStore;

/* How long a busy or locked database is waited for before the call gives up. */
#define RTLS_STORE_BUSY_MS 3000

/* Opens (creating it, 0600 with its -wal and -shm files, whatever the umask) the database at
 * @path and brings its schema to this release's (PRAGMA user_version). A file that is not a
 * database, or that SQLite finds damaged on opening, is moved aside as
 * "@path.damaged-YYYYMMDD-HHMMSS" (with its -wal and -shm) and a new one is made: then
 * *@moved_aside names where the old one went. Nothing here reads the whole file. NULL only
 * when no database can be had at all (a later schema, permissions: then nothing is moved). */
RtlsStore *rtls_store_open (const char *path, gchar **moved_aside, GError **error);

/* A second connection to the database at @path, for reading only (PRAGMA query_only), for
 * the queries that grow with the history (the delivery window's pages, counts and searches)
 * to run in a worker thread while the writer's connection goes on: WAL lets each see the
 * last committed state. It makes nothing; NULL when @path is not this release's history.
 * Use it from one thread at a time. */
RtlsStore *rtls_store_open_reader (const char *path, GError **error);

/* PRAGMA quick_check over the whole database at @path, on a connection of its own (so that
 * it can run in a thread while @path is in use). FALSE: it is damaged. Busy is not damage. */
gboolean rtls_store_verify (const char *path);

/* Closes @store, moves its files aside as rtls_store_open() does with a damaged one, and
 * opens a new, empty database in its place (NULL on error; @store is closed either way). */
RtlsStore *rtls_store_replace (RtlsStore *store, gchar **moved_aside, GError **error);

void rtls_store_close (RtlsStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsStore, rtls_store_close)

const char *rtls_store_path (const RtlsStore *store);

/* Writes @e, or every record of @records (RtlsJournalEntry*) in one transaction, and updates
 * what is derived from them (the attempt's state, the message's rows and domains). */
gboolean rtls_store_append (RtlsStore *store, const RtlsJournalEntry *e, GError **error);
gboolean rtls_store_append_all (RtlsStore *store, GPtrArray *records, GError **error);

/* The attempt with @envid, folded from its records; NULL when there is none (or on error). */
RtlsAttempt *rtls_store_attempt (RtlsStore *store, const char *envid, GError **error);

/* The attempts about the queue entry (@folder, @msgnum) — those unfinished and the newest:
 * Claws reuses entry numbers, so the finished ones are of other messages — and every attempt
 * of the message @message_id (either may be NULL / 0), in the order they started: what
 * rtls_attempts_for_entry(), rtls_attempt_due_for_entry() and
 * rtls_attempts_uncertain_for_message() ask about. */
GPtrArray *rtls_store_attempts_about (RtlsStore *store, const char *folder, gint msgnum,
                                      const char *message_id, GError **error);

/* The attempts that are not finished (running, sent with bookkeeping left, not confirmed,
 * waiting for a retry), in the order they started. */
GPtrArray *rtls_store_unfinished (RtlsStore *store, GError **error);

/* The earliest retry_at of an attempt waiting after a temporary failure; 0: none. */
gint64 rtls_store_next_retry (RtlsStore *store);

/* The records rtls_delivery_correlate() needs for @dsn: the sends with its ENVID (or one of
 * its ambiguous ENVIDs) and those of the message whose headers it returns. */
GPtrArray *rtls_store_records_for_dsn (RtlsStore *store, const RtlsDsn *dsn, GError **error);

/* The records already kept about the messages @records are about (for
 * rtls_delivery_records_known()). */
GPtrArray *rtls_store_records_like (RtlsStore *store, GPtrArray *records, GError **error);

/* The delivery window's rows (RtlsDeliveryRow*), newest message first, the messages
 * @offset to @offset + @limit - 1 of those matching @search (NULL or "": all). @search is
 * looked for, case-insensitively, in subjects, recipients (so a domain finds its
 * recipients) and the names of the rows' states in the current language. *@more: there are
 * messages after these. */
GPtrArray *rtls_store_rows (RtlsStore *store, const char *search, guint offset, guint limit,
                            gboolean *more, GError **error);

/* How many messages have rows (the window's count); -1 on error. */
gint64 rtls_store_count_messages (RtlsStore *store, const char *search);

/* rtls_delivery_domain_warning() for @domain, by index: the newest REQUIRETLS-caused bounce
 * within @max_age seconds before @now with no later delivery to that domain; NULL: none. */
RtlsDeliveryRow *rtls_store_domain_warning (RtlsStore *store, const char *domain, gint64 now,
                                            gint64 max_age);

/* Per recipient domain, what the history says (issue 22 asks for readiness from it). 0: never. */
typedef struct {
	gint64 last_delivered;          /* a delivery report of a REQUIRETLS message */
	gint64 last_requiretls_failure; /* a bounce for the reason REQUIRETLS itself */
} RtlsDomainHistory;
gboolean rtls_store_domain_history (RtlsStore *store, const char *domain, RtlsDomainHistory *out,
                                    GError **error);

/* The cached readiness check of one recipient domain (requiretls-submit --check). */
typedef struct {
	gchar *domain;         /* lower case */
	RtlsReadiness verdict; /* the helper's verdict */
	gchar *reasons;        /* its reasons, space-separated words of the record */
	gint64 checked_at;     /* when it was made (Unix seconds) */
	gint64 expires_at;     /* until when it may be used instead of a new check */
	gboolean probed;       /* the probe of port 25 ran (--probe) */
	gchar *record;         /* the helper's record as it wrote it (rtls_check_records_parse) */
} RtlsReadinessEntry;
void rtls_readiness_entry_free (RtlsReadinessEntry *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsReadinessEntry, rtls_readiness_entry_free)

/* Keeps @e as the one check of its domain (replacing the one before). By primary key. */
gboolean rtls_store_readiness_put (RtlsStore *store, const RtlsReadinessEntry *e, GError **error);
/* Keeps every RtlsReadinessEntry of @entries, in one transaction that does not wait for the
 * disk (a cache); all or none. */
gboolean rtls_store_readiness_put_all (RtlsStore *store, GPtrArray *entries, GError **error);
/* The check kept for @domain (any case), expired or not; NULL: none (or an error, then set).
 * Caller frees. By primary key. */
RtlsReadinessEntry *rtls_store_readiness_get (RtlsStore *store, const char *domain, GError **error);
/* Removes the checks that expired before @before (by index); how many, -1 on error. */
gint64 rtls_store_readiness_expire (RtlsStore *store, gint64 before, GError **error);

/* Imports a journal file of an earlier release (every line kind they wrote) in one
 * transaction, once: a second call after a successful one takes nothing. *@taken and
 * *@skipped count the records taken and the lines that could not be read. The file itself
 * is left where it is (the caller renames it). */
gboolean rtls_store_import_journal (RtlsStore *store, const char *path, guint *taken,
                                    guint *skipped, GError **error);
/* Whether a journal was imported already. */
gboolean rtls_store_journal_imported (RtlsStore *store);

/* Retention: removes, in one transaction, up to @max of the oldest messages whose newest
 * record is older than @before and none of whose attempts is unfinished (a caller that
 * wants them all calls again until it returns less than @max: each call is short). The
 * number removed, -1 on error. */
gint64 rtls_store_expire (RtlsStore *store, gint64 before, guint max, GError **error);

/* Gives up to @max_pages free pages back to the file system (incremental vacuum). The
 * number of free pages left, -1 on error. */
gint64 rtls_store_compact (RtlsStore *store, guint max_pages, GError **error);

G_END_DECLS
