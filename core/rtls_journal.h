/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_journal.h: the record of every REQUIRETLS send attempt, in the plugin's own file under
 * Claws' rc dir (pure logic, no GTK, no Claws). One attempt a line, tab-separated key=value
 * pairs, appended with O_APPEND and fsync'ed; readers skip lines they cannot parse. The
 * bounce watcher correlates DSNs with it by ENVID and Message-ID.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gint64 time;  /* seconds since the epoch */
	gchar *envid; /* our ENVID: letters, digits, '.', '-' only (no xtext needed) */
	gchar *message_id;
	gint account_id;
	gchar *sender;
	gchar *recipients; /* comma-separated addr-specs */
	gchar *subject;
	/* A send attempt (the write-ahead journal, rtls_attempt.h): "started" before the
	 * helper is spawned; then its outcome: sent, failed, not-confirmed, temporary,
	 * cancelled (stopped by the person before the content left), interrupted (Claws
	 * stopped before the content left); then, for a sent one, the bookkeeping: filed (the
	 * Sent copy is there), closed (the queue entry is gone). confirmed: the person chose to
	 * send a not-confirmed message again. sent-default: sent by Claws without REQUIRETLS
	 * after the person confirmed it. What came back
	 * later (one record a DSN recipient): bounced, delayed, delivered (matched to a send
	 * by ENVID), unverified (a REQUIRETLS-looking DSN that matches nothing of ours).
	 * forgotten: the person removed a row from the delivery window. */
	gchar *result;
	gchar *host;
	guint port;
	gchar *tls_version;
	gchar *enhanced;
	gchar *explanation;

	/* send attempts only */
	gchar *queue_folder; /* Claws' identifier of the queue folder holding the entry */
	gint queue_msgnum;   /* its number there, 0 when none */
	gchar *stage;        /* how far the helper got (its last progress) */
	gint64 retry_at;     /* temporary: not before this time (epoch seconds); 0: none */
	gint retry_step;     /* temporary: how many retries came before */
	/* The facts its words are made of, so that a row reads in the language the person uses
	 * when it is shown, not in the one of the day it was written (rtls_delivery_explain()).
	 * From the helper's status record: */
	gchar *error;        /* RTLS_ERROR_* name */
	gint exit_code;      /* the helper's exit status when it failed; 0 otherwise */
	guint smtp_code;     /* the server's reply code, 0: none */
	gchar *server_text;  /* the server's words, sanitised */
	gchar *detail;       /* the helper's own message (its language at the time) */
	gchar *cert_problem; /* what was wrong with the certificate (rtls_record.h) */
	gchar *tls_problem;  /* "floor": no TLS the floor allows (rtls_record.h) */
	/* or, for an outcome the plugin itself decided (no status record), which one: see
	 * rtls_attempt_cause_words() */
	gchar *cause;

	/* DSN records only */
	gchar *recipient;        /* the one recipient the record is about */
	gchar *reporting_mta;    /* who wrote the bounce */
	gchar *remote_mta;       /* who refused */
	gchar *diagnostic;       /* the remote server's words, sanitised */
	gchar *bounce_id;        /* Message-ID of the bounce message itself, to open it */
	gchar *reason;           /* why an unverified bounce was not believed: a reason code
	                          * (rtls_delivery_reason_words()), or an earlier release's words */
	gchar *dsn_action;       /* the report's Action, as RFC 3464 §2.3.3 names it */
	gchar *status_malformed; /* the report's Status as written, when it was not a code */
	gboolean gave_up;        /* failed for good after a temporary reply */
} RtlsJournalEntry;

/* The result words, parsed once where they are read (RtlsJournalEntry.result keeps the
 * word: a later release may write one this one does not know). */
typedef enum {
	RTLS_RESULT_OTHER, /* a word this release does not know */
	RTLS_RESULT_STARTED,
	RTLS_RESULT_SENT,
	RTLS_RESULT_FAILED,
	RTLS_RESULT_NOT_CONFIRMED,
	RTLS_RESULT_TEMPORARY,
	RTLS_RESULT_CANCELLED,
	RTLS_RESULT_INTERRUPTED,
	RTLS_RESULT_SENT_DEFAULT,
	RTLS_RESULT_FILED,
	RTLS_RESULT_CLOSED,
	RTLS_RESULT_CONFIRMED,
	RTLS_RESULT_BOUNCED,
	RTLS_RESULT_DELAYED,
	RTLS_RESULT_DELIVERED,
	RTLS_RESULT_UNVERIFIED,
	RTLS_RESULT_FORGOTTEN,
	RTLS_RESULT_LAST
} RtlsResult;

RtlsResult rtls_result_parse (const char *word);
/* The results that end a send attempt: sent, failed, not-confirmed, temporary, cancelled,
 * interrupted, sent-default (the one list of them). */
gboolean rtls_result_is_outcome (RtlsResult r);
const char *rtls_result_word (RtlsResult r); /* NULL for RTLS_RESULT_OTHER */

void rtls_journal_entry_free (RtlsJournalEntry *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtlsJournalEntry, rtls_journal_entry_free)

/* A fresh ENVID: "rtls-" + 24 hex digits from the system's random source. */
gchar *rtls_journal_new_envid (void);

gchar *rtls_journal_entry_format (const RtlsJournalEntry *e);
RtlsJournalEntry *rtls_journal_entry_parse (const char *line);
/* The fields of @line as they are, without asking for a result, a time or an id (the store
 * keeps those in columns of their own); NULL only for a line that is not key=value pairs. */
RtlsJournalEntry *rtls_journal_entry_parse_fields (const char *line);

/* Appends @e as one line and makes it durable (fsync; and of the directory when the file
 * is new) before returning. */
gboolean rtls_journal_append (const char *path, const RtlsJournalEntry *e, GError **error);

/* Makes a directory's entries durable (a file created, renamed or removed in it). */
gboolean rtls_journal_fsync_dir (const char *dir, GError **error);

/* Every entry that parses, oldest first. A missing file is an empty journal. */
GPtrArray *rtls_journal_load (const char *path, GError **error);

G_END_DECLS
