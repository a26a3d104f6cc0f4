/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * main.c: requiretls-submit, a sendmail-compatible submission client with RFC 8689
 * REQUIRETLS: command line, message, password fd, submission, status and exit code.
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "codec.h"
#include "errors.h"
#include "message.h"
#include "params.h"
#include "smtp_client.h"
#include "status.h"
#include "tls.h"

#define RTLS_SECRET_MAX 4096

/* The body is read through a mapping: if someone truncates the input file while it is being
 * sent, the next page faults with SIGBUS. The message was then not completed; say so on the
 * status fd and stderr, async-signal-safely, and exit with EX_IOERR. */
static int main_sigbus_status_fd = -1;
static char main_sigbus_text[512];

static void
main_on_sigbus (int sig)
{
	static const char status[] = "result=failed\nexit=74\nexit-name=EX_IOERR\n"
	                             "error=RTLS_ERROR_IO\nmessage=";
	size_t n = strlen (main_sigbus_text);
	ssize_t ignored;

	if (main_sigbus_status_fd >= 0) {
		ignored = write (main_sigbus_status_fd, status, sizeof status - 1);
		ignored = write (main_sigbus_status_fd, main_sigbus_text, n);
		ignored = write (main_sigbus_status_fd, "\n", 1);
	}
	ignored = write (STDERR_FILENO, "requiretls-submit: ", 19);
	ignored = write (STDERR_FILENO, main_sigbus_text, n);
	ignored = write (STDERR_FILENO, "\n", 1);
	(void) ignored;
	_exit (74);
}

static void
main_prepare_sigbus (int status_fd)
{
	struct sigaction sa = { .sa_handler = main_on_sigbus };

	main_sigbus_status_fd = status_fd;
	g_strlcpy (main_sigbus_text,
	           _ ("the message file was truncated while it was being sent; it was not "
	              "completed"),
	           sizeof main_sigbus_text);
	sigemptyset (&sa.sa_mask);
	sigaction (SIGBUS, &sa, NULL);
}

/* For the whole life of the process, before any secret is read: no core file (RLIMIT_CORE
 * 0, also for a handler such as systemd-coredump, which PR_SET_DUMPABLE 0 keeps out) and
 * no ptrace or /proc/PID/mem by other processes of the same user. Lowering a limit and
 * clearing the flag cannot fail for an unprivileged process. */
static void
main_no_core_dumps (void)
{
	const struct rlimit none = { 0, 0 };

	(void) setrlimit (RLIMIT_CORE, &none);
	(void) prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Reads the password from an inherited fd (never argv or the environment), strips one
 * trailing newline and closes the fd. */
static gchar *
main_read_secret (int fd, GError **error)
{
	gchar *buf = g_malloc0 (RTLS_SECRET_MAX + 1);
	gsize len = 0;

	for (;;) {
		ssize_t r = read (fd, buf + len, RTLS_SECRET_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONFIG,
			             _ ("cannot read the password from fd %d: %s"), fd,
			             g_strerror (errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (gsize) r;
		if (len == RTLS_SECRET_MAX) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONFIG,
			             _ ("the password on fd %d is too long"), fd);
			goto fail;
		}
	}
	close (fd);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0 || memchr (buf, '\0', len) != NULL) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONFIG,
		             _ ("no usable password on fd %d"), fd);
		explicit_bzero (buf, RTLS_SECRET_MAX);
		g_free (buf);
		return NULL;
	}
	return buf;
fail:
	close (fd);
	explicit_bzero (buf, RTLS_SECRET_MAX);
	g_free (buf);
	return NULL;
}

/* RFC 5322 3.3 date in English whatever the locale. */
static gchar *
main_rfc5322_date (void)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	g_autoptr (GDateTime) now = g_date_time_new_now_local ();
	gint64 off = g_date_time_get_utc_offset (now) / G_TIME_SPAN_MINUTE;

	return g_strdup_printf (" %s, %d %s %d %02d:%02d:%02d %c%02d%02d",
	                        days[g_date_time_get_day_of_week (now) - 1],
	                        g_date_time_get_day_of_month (now),
	                        months[g_date_time_get_month (now) - 1], g_date_time_get_year (now),
	                        g_date_time_get_hour (now), g_date_time_get_minute (now),
	                        g_date_time_get_second (now), off < 0 ? '-' : '+',
	                        (int) (ABS (off) / 60), (int) (ABS (off) % 60));
}

/* RFC 6409 8.2, 8.3: a submission server may add Date and Message-ID; we do it here so
 * that the Message-ID we report is the one that travels. */
static void
main_complete_headers (RtlsHeaders *headers, const char *sender)
{
	if (rtls_headers_get (headers, "Date") == NULL) {
		g_autofree gchar *date = main_rfc5322_date ();
		rtls_headers_append (headers, "Date", date);
	}
	if (rtls_headers_get (headers, "Message-ID") == NULL) {
		const char *at = sender != NULL ? strrchr (sender, '@') : NULL;
		g_autofree gchar *uuid = g_uuid_string_random ();
		g_autofree gchar *value = g_strdup_printf (
		        " <%s@%s>", uuid, at != NULL && at[1] != '\0' ? at + 1 : "localhost");
		rtls_headers_append (headers, "Message-ID", value);
	}
}

static gboolean
main_add_recipients (GPtrArray *rcpts, const char *text, GError **error)
{
	g_autoptr (GPtrArray) parsed = g_ptr_array_new_with_free_func (g_free);

	if (!rtls_address_list_parse (text, parsed, error)) {
		g_prefix_error (error, _ ("recipient “%s”: "), text);
		return FALSE;
	}
	for (guint i = 0; i < parsed->len; i++) {
		const char *a = g_ptr_array_index (parsed, i);
		gboolean dup = FALSE;
		for (guint j = 0; j < rcpts->len && !dup; j++)
			dup = g_ascii_strcasecmp (a, g_ptr_array_index (rcpts, j)) == 0;
		if (!dup)
			g_ptr_array_add (rcpts, g_strdup (a));
	}
	return TRUE;
}

static gboolean
main_check_mailbox (gboolean sender, const char *address, GError **error)
{
	g_autofree gchar *clean = NULL;

	if (rtls_mailbox_valid (address, NULL))
		return TRUE;
	clean = rtls_sanitize (address, -1, 300);
	if (sender)
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the envelope sender “%s” is not a valid address (RFC 5321 "
		                "4.1.2): nothing was sent"),
		             clean);
	else
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the recipient “%s” is not a valid address (RFC 5321 4.1.2): "
		                "nothing was sent"),
		             clean);
	return FALSE;
}

/* "--status-fd=N" or "--status-fd N" in an argv that did not parse; -1 if absent. */
static int
main_find_status_fd (int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		guint64 n = 0;

		if (strcmp (argv[i], "--") == 0)
			break;
		if (g_str_has_prefix (argv[i], "--status-fd="))
			v = argv[i] + strlen ("--status-fd=");
		else if (strcmp (argv[i], "--status-fd") == 0 && i + 1 < argc)
			v = argv[i + 1];
		if (v != NULL && g_ascii_string_to_unsigned (v, 10, 1, G_MAXINT, &n, NULL))
			return (int) n;
	}
	return -1;
}

static void
main_write_fd (int fd, const char *text)
{
	gsize len = strlen (text), done = 0;

	while (done < len) {
		ssize_t w = write (fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (gsize) w;
	}
}

/* The progress of the submission: a "progress=STAGE" line on --status-fd before the final
 * record, and, before the content leaves, the same in --status-file, durably: a reader of
 * the file after a crash knows whether the server may have the message. */
typedef struct {
	const RtlsParams *params;
	const RtlsOutcome *outcome;
	const char *message_id;
} MainProgress;

static gboolean
main_progress (const char *stage, gpointer data, GError **error)
{
	const MainProgress *mp = data;
	const RtlsParams *params = mp->params;
	g_autofree gchar *line = g_strdup_printf ("progress=%s\n", stage);

	if (params->status_fd >= 0)
		main_write_fd (params->status_fd, line);
	if (params->status_file != NULL && strcmp (stage, "content") == 0) {
		g_autofree gchar *rec = g_strdup_printf ("%senvid=%s\n", line,
		                                         params->envid ? params->envid : "");
		return rtls_status_write_file (params->status_file, rec, error);
	}
	if (params->status_file != NULL && strcmp (stage, "done") == 0 && mp->outcome->sent) {
		/* accepted: said durably before QUIT, so that a helper killed while it waits
		 * for the reply to QUIT still leaves "sent" behind */
		g_autofree gchar *rec
		        = rtls_status_format (params, mp->outcome, mp->message_id, NULL);
		g_autoptr (GError) ferr = NULL;
		if (!rtls_status_write_file (params->status_file, rec, &ferr))
			g_printerr ("requiretls-submit: %s\n", ferr->message);
	}
	return TRUE;
}

static int
main_finish (const RtlsParams *params, const RtlsOutcome *outcome, const char *message_id,
             const GError *error)
{
	int code = rtls_error_to_exit_code (error);

	if (params != NULL && params->status_file != NULL) {
		/* first the file, which outlives the caller; then the fd */
		g_autofree gchar *record = rtls_status_format (params, outcome, message_id, error);
		g_autoptr (GError) ferr = NULL;
		if (!rtls_status_write_file (params->status_file, record, &ferr))
			g_printerr ("requiretls-submit: %s\n", ferr->message);
	}
	if (params != NULL && params->status_fd >= 0) {
		g_autofree gchar *record = rtls_status_format (params, outcome, message_id, error);
		main_write_fd (params->status_fd, record);
		if (params->status_fd > 2)
			close (params->status_fd);
	}
	if (error != NULL) {
		g_autofree gchar *clean = rtls_sanitize (error->message, -1, 2000);
		g_printerr ("requiretls-submit: %s\n", clean);
		/* for programs and for a person who asked for the details: one sentence is what
		 * a person at a terminal reads; the status record has the rest */
		if (params != NULL && params->verbose)
			g_printerr ("rtls: error=%s exitcode=%s: %s\n",
			            error->domain == RTLS_ERROR ? rtls_error_code_name (error->code)
			                                        : "RTLS_ERROR_FAILED",
			            rtls_exit_code_name (code), clean);
	}
	return code;
}

int
main (int argc, char **argv)
{
	g_autoptr (RtlsParams) params = NULL;
	g_autoptr (RtlsMessage) msg = NULL;
	g_autoptr (GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_autofree gchar *message_id = NULL;
	gchar *password = NULL;
	gboolean resent = FALSE;
	RtlsOutcome outcome;
	RtlsSubmission sub = { 0 };
	MainProgress progress = { 0 };
	int code;

	main_no_core_dumps ();
	setlocale (LC_ALL, "");
	bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	textdomain (GETTEXT_PACKAGE);
	g_set_prgname ("requiretls-submit");
	signal (SIGPIPE, SIG_IGN);
	rtls_outcome_init (&outcome);

	/* --check: a mode of its own, with its own options and exit codes (check.c) */
	if (rtls_check_wanted (argc, argv)) {
		rtls_outcome_clear (&outcome);
		return rtls_check_main (argc, argv);
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp (argv[i], "--") == 0)
			break;
		if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
			g_autofree gchar *help = rtls_params_help ();
			g_print ("%s", help);
			return 0;
		}
	}
	params = rtls_params_parse (argc, argv, &error);
	if (params == NULL) {
		/* The command line did not parse, but a caller that asked for a status record
		 * still gets one. */
		RtlsParams partial = { .status_fd = main_find_status_fd (argc, argv) };
		code = main_finish (partial.status_fd >= 0 ? &partial : NULL, NULL, NULL, error);
		g_printerr (_ ("Try “%s --help”.\n"),
		            g_get_prgname () ? g_get_prgname () : argv[0]);
		rtls_outcome_clear (&outcome);
		return code;
	}
	if (params->show_version) {
		g_print ("requiretls-submit %s\n", RTLS_VERSION);
		rtls_outcome_clear (&outcome);
		return 0;
	}
	{
		/* Configuration errors are reported before any network activity. */
		RtlsTlsConfig tc
		        = { params->host, params->ca_file, (const char *const *) params->pins };
		if (!rtls_tls_check_config (&tc, &error))
			goto out;
	}
	if (params->user != NULL) {
		password = main_read_secret (params->password_fd, &error);
		if (password == NULL)
			goto out;
	}

	if (params->show_pin) {
		g_autofree gchar *pin = NULL;
		gboolean offers = FALSE;
		sub.params = params;
		if (rtls_smtp_probe (params, &outcome, &pin, &offers, &error))
			g_print ("host=%s\nport=%u\ntls-version=%s\npin-sha256=%s\nrequiretls=%s\n",
			         params->host, params->port,
			         outcome.tls_version ? outcome.tls_version : "", pin,
			         offers ? "yes" : "no");
		goto out;
	}
	main_prepare_sigbus (params->status_fd);
	msg = rtls_message_load (STDIN_FILENO, &error);
	if (msg == NULL || !rtls_message_check (msg, &error))
		goto out;
	for (guint i = 0; params->recipients != NULL && params->recipients[i] != NULL; i++)
		if (!main_add_recipients (rcpts, params->recipients[i], &error))
			goto out;
	if (params->read_recipients) {
		g_autoptr (GPtrArray) from_headers = g_ptr_array_new_with_free_func (g_free);
		if (!rtls_headers_recipients (msg->headers, from_headers, &resent, &error))
			goto out;
		for (guint i = 0; i < from_headers->len; i++) {
			const char *a = g_ptr_array_index (from_headers, i);
			gboolean dup = FALSE;
			for (guint j = 0; j < rcpts->len && !dup; j++)
				dup = g_ascii_strcasecmp (a, g_ptr_array_index (rcpts, j)) == 0;
			if (!dup)
				g_ptr_array_add (rcpts, g_strdup (a));
		}
	}
	if (rcpts->len == 0) {
		g_set_error (&error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the message has no recipients"));
		goto out;
	}
	if (params->from != NULL) {
		const char *f = params->from;
		if (*f == '\0' || strcmp (f, "<>") == 0) {
			sender = g_strdup (""); /* the null reverse-path */
		} else {
			g_autoptr (GPtrArray) one = g_ptr_array_new_with_free_func (g_free);
			if (!rtls_address_list_parse (f, one, &error) || one->len != 1) {
				g_clear_error (&error);
				g_set_error (&error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
				             _ ("-f: “%s” is not one address"), f);
				goto out;
			}
			sender = g_strdup (g_ptr_array_index (one, 0));
		}
	} else {
		sender = rtls_headers_sender (msg->headers, &error);
		if (sender == NULL) {
			g_prefix_error (&error, _ ("no envelope sender (use -f): "));
			goto out;
		}
	}

	/* RFC 5321 4.1.2: every envelope address is a Mailbox, checked before connecting, so
	 * that a server never rewrites a bad one into another address (Postfix turns
	 * "bad@@example.org" into "\"bad@\"@example.org"). */
	if (*sender != '\0' && !main_check_mailbox (TRUE, sender, &error))
		goto out;
	for (guint i = 0; i < rcpts->len; i++)
		if (!main_check_mailbox (FALSE, g_ptr_array_index (rcpts, i), &error))
			goto out;

	rtls_headers_prepare_for_submission (msg->headers, params->tls_policy, resent);
	main_complete_headers (msg->headers, sender);
	message_id = g_strdup (rtls_headers_get (msg->headers, "Message-ID"));
	if (message_id != NULL)
		g_strstrip (message_id);

	sub.params = params;
	sub.message = msg;
	sub.mail_from = sender;
	sub.recipients = rcpts;
	sub.password = password;
	progress.params = params;
	progress.outcome = &outcome;
	progress.message_id = message_id;
	sub.progress = main_progress;
	sub.progress_data = &progress;
	rtls_smtp_submit (&sub, &outcome, &error);

out:
	if (password != NULL) {
		explicit_bzero (password, RTLS_SECRET_MAX);
		g_free (password);
	}
	/* The stage and server fields mean something only once a connection was tried. */
	code = main_finish (params, sub.params != NULL ? &outcome : NULL, message_id, error);
	rtls_outcome_clear (&outcome);
	rtls_tls_release_trust ();
	return code;
}
