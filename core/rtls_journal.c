/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_journal.c: the REQUIRETLS send journal (pure logic, no GTK, no Claws).
 */
#include "config.h"

#include "rtls_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "errors.h"

#define JOURNAL_LINE_MAX 16384

void
rtls_journal_entry_free (RtlsJournalEntry *e)
{
	if (e == NULL)
		return;
	g_free (e->envid);
	g_free (e->message_id);
	g_free (e->sender);
	g_free (e->recipients);
	g_free (e->subject);
	g_free (e->result);
	g_free (e->host);
	g_free (e->tls_version);
	g_free (e->enhanced);
	g_free (e->explanation);
	g_free (e->queue_folder);
	g_free (e->stage);
	g_free (e->recipient);
	g_free (e->reporting_mta);
	g_free (e->remote_mta);
	g_free (e->diagnostic);
	g_free (e->bounce_id);
	g_free (e->reason);
	g_free (e->error);
	g_free (e->server_text);
	g_free (e->detail);
	g_free (e->cert_problem);
	g_free (e->tls_problem);
	g_free (e->cause);
	g_free (e->dsn_action);
	g_free (e->status_malformed);
	g_free (e);
}

/* The store keeps these numbers on disk (rtls_store.c): never renumber one. */
static const char *const result_words[] = {
	[RTLS_RESULT_STARTED] = "started",
	[RTLS_RESULT_SENT] = "sent",
	[RTLS_RESULT_FAILED] = "failed",
	[RTLS_RESULT_NOT_CONFIRMED] = "not-confirmed",
	[RTLS_RESULT_TEMPORARY] = "temporary",
	[RTLS_RESULT_CANCELLED] = "cancelled",
	[RTLS_RESULT_INTERRUPTED] = "interrupted",
	[RTLS_RESULT_SENT_DEFAULT] = "sent-default",
	[RTLS_RESULT_FILED] = "filed",
	[RTLS_RESULT_CLOSED] = "closed",
	[RTLS_RESULT_CONFIRMED] = "confirmed",
	[RTLS_RESULT_BOUNCED] = "bounced",
	[RTLS_RESULT_DELAYED] = "delayed",
	[RTLS_RESULT_DELIVERED] = "delivered",
	[RTLS_RESULT_UNVERIFIED] = "unverified",
	[RTLS_RESULT_FORGOTTEN] = "forgotten",
};
G_STATIC_ASSERT (G_N_ELEMENTS (result_words) == RTLS_RESULT_LAST);

RtlsResult
rtls_result_parse (const char *word)
{
	for (guint i = 1; word != NULL && i < G_N_ELEMENTS (result_words); i++)
		if (strcmp (word, result_words[i]) == 0)
			return (RtlsResult) i;
	return RTLS_RESULT_OTHER;
}

gboolean
rtls_result_is_outcome (RtlsResult r)
{
	switch (r) {
	case RTLS_RESULT_SENT:
	case RTLS_RESULT_FAILED:
	case RTLS_RESULT_NOT_CONFIRMED:
	case RTLS_RESULT_TEMPORARY:
	case RTLS_RESULT_CANCELLED:
	case RTLS_RESULT_INTERRUPTED:
	case RTLS_RESULT_SENT_DEFAULT:
		return TRUE;
	default:
		return FALSE;
	}
}

const char *
rtls_result_word (RtlsResult r)
{
	return r > RTLS_RESULT_OTHER && r < RTLS_RESULT_LAST ? result_words[r] : NULL;
}

gchar *
rtls_journal_new_envid (void)
{
	/* DESIGN §8: Exim does not xtext-decode ENVIDs; ours never need encoding. */
	return g_strdup_printf ("rtls-%08x%08x%08x", g_random_int (), g_random_int (),
	                        g_random_int ());
}

static void
put (GString *s, const char *key, const char *value)
{
	g_autofree gchar *clean = NULL;

	if (value == NULL)
		return;
	/* sanitised: no control characters, so no tab and no newline can split a record */
	clean = rtls_sanitize (value, -1, 2000);
	g_strdelimit (clean, "\t", ' ');
	g_string_append_printf (s, "%s%s=%s", s->len > 0 ? "\t" : "", key, clean);
}

gchar *
rtls_journal_entry_format (const RtlsJournalEntry *e)
{
	GString *s = g_string_new (NULL);
	g_autofree gchar *time = g_strdup_printf ("%" G_GINT64_FORMAT, e->time);
	g_autofree gchar *account = g_strdup_printf ("%d", e->account_id);
	g_autofree gchar *port = g_strdup_printf ("%u", e->port);

	/* a record in the store keeps its time in a column of its own (rtls_store.c) */
	if (e->time != 0)
		put (s, "time", time);
	put (s, "envid", e->envid);
	put (s, "message-id", e->message_id);
	if (e->account_id >= 0) /* none: as the parser reads a missing one */
		put (s, "account", account);
	put (s, "sender", e->sender);
	put (s, "recipients", e->recipients);
	put (s, "subject", e->subject);
	put (s, "result", e->result);
	put (s, "host", e->host);
	if (e->port != 0)
		put (s, "port", port);
	put (s, "tls-version", e->tls_version);
	put (s, "enhanced-code", e->enhanced);
	put (s, "explanation", e->explanation);
	put (s, "queue-folder", e->queue_folder);
	if (e->queue_msgnum > 0) {
		g_autofree gchar *n = g_strdup_printf ("%d", e->queue_msgnum);
		put (s, "queue-msgnum", n);
	}
	put (s, "stage", e->stage);
	if (e->retry_at > 0) {
		g_autofree gchar *at = g_strdup_printf ("%" G_GINT64_FORMAT, e->retry_at);
		g_autofree gchar *step = g_strdup_printf ("%d", e->retry_step);
		put (s, "retry-at", at);
		put (s, "retry-step", step);
	}
	put (s, "recipient", e->recipient);
	put (s, "reporting-mta", e->reporting_mta);
	put (s, "remote-mta", e->remote_mta);
	put (s, "diagnostic", e->diagnostic);
	put (s, "bounce-id", e->bounce_id);
	put (s, "reason", e->reason);
	put (s, "error", e->error);
	if (e->exit_code > 0) {
		g_autofree gchar *x = g_strdup_printf ("%d", e->exit_code);
		put (s, "exit", x);
	}
	if (e->smtp_code > 0) {
		g_autofree gchar *c = g_strdup_printf ("%u", e->smtp_code);
		put (s, "smtp-code", c);
	}
	put (s, "server-text", e->server_text);
	put (s, "detail", e->detail);
	put (s, "cert-problem", e->cert_problem);
	put (s, "tls-problem", e->tls_problem);
	put (s, "cause", e->cause);
	put (s, "action", e->dsn_action);
	put (s, "status-malformed", e->status_malformed);
	if (e->gave_up)
		put (s, "gave-up", "yes");
	return g_string_free (s, FALSE);
}

RtlsJournalEntry *
rtls_journal_entry_parse_fields (const char *line)
{
	g_autoptr (RtlsJournalEntry) e = g_new0 (RtlsJournalEntry, 1);
	g_auto (GStrv) fields = NULL;

	if (line == NULL || strlen (line) > JOURNAL_LINE_MAX)
		return NULL;
	e->account_id = -1;
	if (*line == '\0')
		return g_steal_pointer (&e);
	fields = g_strsplit (line, "\t", 64);
	for (guint i = 0; fields[i] != NULL; i++) {
		char *eq = strchr (fields[i], '=');
		const char *k, *v;
		gchar **slot = NULL;

		if (eq == NULL)
			return NULL;
		*eq = '\0';
		k = fields[i];
		v = eq + 1;
		if (strcmp (k, "time") == 0)
			e->time = g_ascii_strtoll (v, NULL, 10);
		else if (strcmp (k, "account") == 0)
			e->account_id = (gint) g_ascii_strtoll (v, NULL, 10);
		else if (strcmp (k, "port") == 0)
			e->port = (guint) g_ascii_strtoull (v, NULL, 10);
		else if (strcmp (k, "queue-msgnum") == 0)
			e->queue_msgnum = (gint) CLAMP (g_ascii_strtoll (v, NULL, 10), 0, G_MAXINT);
		else if (strcmp (k, "retry-at") == 0)
			e->retry_at = MAX (g_ascii_strtoll (v, NULL, 10), 0);
		else if (strcmp (k, "retry-step") == 0)
			e->retry_step = (gint) CLAMP (g_ascii_strtoll (v, NULL, 10), 0, 1000);
		else if (strcmp (k, "queue-folder") == 0)
			slot = &e->queue_folder;
		else if (strcmp (k, "stage") == 0)
			slot = &e->stage;
		else if (strcmp (k, "envid") == 0)
			slot = &e->envid;
		else if (strcmp (k, "message-id") == 0)
			slot = &e->message_id;
		else if (strcmp (k, "sender") == 0)
			slot = &e->sender;
		else if (strcmp (k, "recipients") == 0)
			slot = &e->recipients;
		else if (strcmp (k, "subject") == 0)
			slot = &e->subject;
		else if (strcmp (k, "result") == 0)
			slot = &e->result;
		else if (strcmp (k, "host") == 0)
			slot = &e->host;
		else if (strcmp (k, "tls-version") == 0)
			slot = &e->tls_version;
		else if (strcmp (k, "enhanced-code") == 0)
			slot = &e->enhanced;
		else if (strcmp (k, "explanation") == 0)
			slot = &e->explanation;
		else if (strcmp (k, "recipient") == 0)
			slot = &e->recipient;
		else if (strcmp (k, "reporting-mta") == 0)
			slot = &e->reporting_mta;
		else if (strcmp (k, "remote-mta") == 0)
			slot = &e->remote_mta;
		else if (strcmp (k, "diagnostic") == 0)
			slot = &e->diagnostic;
		else if (strcmp (k, "bounce-id") == 0)
			slot = &e->bounce_id;
		else if (strcmp (k, "reason") == 0)
			slot = &e->reason;
		else if (strcmp (k, "error") == 0)
			slot = &e->error;
		else if (strcmp (k, "exit") == 0)
			e->exit_code = (gint) CLAMP (g_ascii_strtoll (v, NULL, 10), 0, 255);
		else if (strcmp (k, "smtp-code") == 0)
			e->smtp_code = (guint) CLAMP (g_ascii_strtoll (v, NULL, 10), 0, 599);
		else if (strcmp (k, "server-text") == 0)
			slot = &e->server_text;
		else if (strcmp (k, "detail") == 0)
			slot = &e->detail;
		else if (strcmp (k, "cert-problem") == 0)
			slot = &e->cert_problem;
		else if (strcmp (k, "tls-problem") == 0)
			slot = &e->tls_problem;
		else if (strcmp (k, "cause") == 0)
			slot = &e->cause;
		else if (strcmp (k, "action") == 0)
			slot = &e->dsn_action;
		else if (strcmp (k, "status-malformed") == 0)
			slot = &e->status_malformed;
		else if (strcmp (k, "gave-up") == 0)
			e->gave_up = strcmp (v, "yes") == 0;
		if (slot != NULL) {
			g_free (*slot);
			*slot = rtls_sanitize (v, -1, 2000);
		}
	}
	return g_steal_pointer (&e);
}

RtlsJournalEntry *
rtls_journal_entry_parse (const char *line)
{
	g_autoptr (RtlsJournalEntry) e = rtls_journal_entry_parse_fields (line);

	if (e == NULL || e->result == NULL || e->time <= 0)
		return NULL;
	/* every record names what it is about: a send by its ENVID, an unverified bounce by
	 * its own Message-ID */
	if (e->envid == NULL && e->bounce_id == NULL && e->message_id == NULL)
		return NULL;
	return g_steal_pointer (&e);
}

gboolean
rtls_journal_append (const char *path, const RtlsJournalEntry *e, GError **error)
{
	g_autofree gchar *line = rtls_journal_entry_format (e);
	g_autofree gchar *data = g_strconcat (line, "\n", NULL);
	gsize len = strlen (data), done = 0;
	gboolean created = !g_file_test (path, G_FILE_TEST_EXISTS);
	int fd = g_open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0) {
		int err = errno;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"), path,
		             g_strerror (err));
		return FALSE;
	}
	while (done < len) {
		ssize_t n = write (fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = errno;
			close (fd);
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"),
			             path, g_strerror (err));
			return FALSE;
		}
		done += (gsize) n;
	}
	if (fsync (fd) != 0 || close (fd) != 0) {
		int err = errno;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"), path,
		             g_strerror (err));
		return FALSE;
	}
	/* a new file exists durably only once its directory entry is on disk too */
	if (created) {
		g_autofree gchar *dir = g_path_get_dirname (path);
		return rtls_journal_fsync_dir (dir, error);
	}
	return TRUE;
}

gboolean
rtls_journal_fsync_dir (const char *dir, GError **error)
{
	int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	int err = 0;

	if (fd < 0 || fsync (fd) != 0)
		err = errno;
	if (fd >= 0)
		close (fd);
	if (err != 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write %s: %s"), dir,
		             g_strerror (err));
		return FALSE;
	}
	return TRUE;
}

GPtrArray *
rtls_journal_load (const char *path, GError **error)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_journal_entry_free);
	g_autofree gchar *text = NULL;
	g_autoptr (GError) local = NULL;
	gsize len = 0;

	if (!g_file_get_contents (path, &text, &len, &local)) {
		if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return out;
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, "%s", local->message);
		g_ptr_array_unref (out);
		return NULL;
	}
	/* Line by line over the bytes read, not as one C string: a NUL byte (a torn write, a
	 * damaged disk) spoils its own line only, never the lines after it. */
	for (gsize pos = 0; pos < len;) {
		const char *start = text + pos;
		const char *nl = memchr (start, '\n', len - pos);
		gsize n = nl != NULL ? (gsize) (nl - start) : len - pos;
		pos += n + 1;
		if (memchr (start, '\0', n) == NULL) {
			g_autofree gchar *line = g_strndup (start, n);
			RtlsJournalEntry *e = rtls_journal_entry_parse (line);
			if (e != NULL)
				g_ptr_array_add (out, e);
		}
	}
	return out;
}
