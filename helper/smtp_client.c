/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * smtp_client.c: one SMTP submission over a verified TLS stream, REQUIRETLS when asked.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "smtp_client.h"
#include "smtp_reply.h"
#include "stream.h"

static const char *const rtls_stage_names[RTLS_STAGE_LAST] = {
	[RTLS_STAGE_CONNECT] = "connect",   [RTLS_STAGE_TLS] = "tls",
	[RTLS_STAGE_GREETING] = "greeting", [RTLS_STAGE_EHLO] = "ehlo",
	[RTLS_STAGE_STARTTLS] = "starttls", [RTLS_STAGE_AUTH] = "auth",
	[RTLS_STAGE_MAIL] = "mail",         [RTLS_STAGE_RCPT] = "rcpt",
	[RTLS_STAGE_DATA] = "data",         [RTLS_STAGE_DONE] = "done",
};

/* How long QUIT may take once the outcome is known. */
#define RTLS_QUIT_TIMEOUT_MS 5000
/* Body chunk read from the spool per write. */
#define RTLS_BODY_CHUNK (64 * 1024)

const char *
rtls_stage_name (RtlsStage stage)
{
	if (stage >= RTLS_STAGE_LAST)
		return "unknown";
	return rtls_stage_names[stage];
}

static void
rcpt_result_free (gpointer p)
{
	RtlsRcptResult *r = p;
	g_free (r->address);
	g_free (r->text);
	g_free (r);
}

void
rtls_outcome_init (RtlsOutcome *out)
{
	memset (out, 0, sizeof *out);
	out->rcpts = g_ptr_array_new_with_free_func (rcpt_result_free);
}

void
rtls_outcome_clear (RtlsOutcome *out)
{
	g_free (out->server_text);
	g_free (out->tls_version);
	g_free (out->tls_cipher);
	if (out->rcpts != NULL)
		g_ptr_array_unref (out->rcpts);
	memset (out, 0, sizeof *out);
}

typedef struct {
	const RtlsSubmission *sub; /* what to send */
	const RtlsParams *params;  /* sub->params */
	RtlsOutcome *out;          /* what happened */
	RtlsStream *st;            /* the connection */
	RtlsCaps caps;             /* from the latest EHLO (after TLS) */
	gchar *helo;               /* the EHLO name */
	gsize header_len;          /* bytes of the header block as sent */
	gboolean quit_sent;        /* QUIT went out (pipelined after the data) */
	gboolean data_sent;        /* the end of the data went out */
	gboolean no_quit;          /* out of step: close without QUIT */
} SmtpClient;

/* Enters @stage and tells the caller (RtlsSubmission.progress). */
static void
smtp_client_stage (SmtpClient *c, RtlsStage stage)
{
	c->out->stage = stage;
	if (c->sub != NULL && c->sub->progress != NULL)
		c->sub->progress (rtls_stage_name (stage), c->sub->progress_data, NULL);
}

/* Tells the caller that the first byte of the message content is about to leave: before it
 * the server cannot have accepted anything, after it a submission that ends without the
 * final reply is "not confirmed". FALSE (with @error set) when the caller could not record
 * that: nothing of the content is sent then. */
static gboolean
smtp_client_content_begins (SmtpClient *c, GError **error)
{
	if (c->sub->progress == NULL)
		return TRUE;
	return c->sub->progress ("content", c->sub->progress_data, error);
}

static void
smtp_client_note_reply (SmtpClient *c, const RtlsReply *reply)
{
	c->out->smtp_code = reply->code;
	g_strlcpy (c->out->enhanced, reply->enhanced, sizeof c->out->enhanced);
	g_free (c->out->server_text);
	c->out->server_text = rtls_reply_text (reply);
}

/* An error for a reply that is not the one we wanted: 4xx is temporary, 5xx permanent,
 * anything else a protocol violation. */
static gboolean
smtp_client_reply_error (SmtpClient *c, const RtlsReply *reply, int code_5xx, const char *what,
                         GError **error)
{
	g_autofree gchar *text = rtls_reply_text (reply);
	g_autofree gchar *clean = rtls_sanitize (text, -1, 300);
	int code;

	smtp_client_note_reply (c, reply);
	if (reply->code >= 400 && reply->code < 500)
		code = RTLS_ERROR_TEMPFAIL;
	else if (reply->code >= 500)
		code = code_5xx;
	else
		code = RTLS_ERROR_PROTOCOL;
	g_set_error (error, RTLS_ERROR, code, _ ("%s: %s refused: %u%s%s %s"), c->params->host,
	             what, reply->code, reply->enhanced[0] ? " " : "", reply->enhanced, clean);
	return FALSE;
}

/* A single reply was expected: anything more is out of sequence (we are not pipelining). */
static gboolean
smtp_client_check_no_more (SmtpClient *c, GError **error)
{
	if (rtls_stream_has_pending_input (c->st)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_PROTOCOL,
		             _ ("%s sent data that no command asked for"), c->params->host);
		return FALSE;
	}
	return TRUE;
}

static RtlsReply *
smtp_client_command (SmtpClient *c, const char *line, const char *trace, GError **error)
{
	g_autoptr (RtlsReply) reply = NULL;

	if (!rtls_stream_write_command (c->st, line, trace, error)
	    || !rtls_stream_flush (c->st, error))
		return NULL;
	reply = rtls_stream_read_reply (c->st, error);
	if (reply == NULL || !smtp_client_check_no_more (c, error))
		return NULL;
	return g_steal_pointer (&reply);
}

static void
smtp_client_quit (SmtpClient *c)
{
	g_autoptr (RtlsReply) reply = NULL;

	rtls_stream_set_timeout (c->st, MIN (c->params->timeout * 1000, RTLS_QUIT_TIMEOUT_MS));
	if (rtls_stream_write_command (c->st, "QUIT", NULL, NULL)
	    && rtls_stream_flush (c->st, NULL))
		reply = rtls_stream_read_reply (c->st, NULL);
}

static gboolean
smtp_client_ehlo (SmtpClient *c, GError **error)
{
	g_autofree gchar *line = g_strdup_printf ("EHLO %s", c->helo);
	g_autoptr (RtlsReply) reply = smtp_client_command (c, line, NULL, error);

	if (reply == NULL)
		return FALSE;
	/* No HELO fallback: it would drop every extension, REQUIRETLS and AUTH included
	 * (DESIGN §8, the emailjs bug). */
	if (reply->code != 250)
		return smtp_client_reply_error (c, reply, RTLS_ERROR_REJECTED, "EHLO", error);
	return rtls_caps_parse_ehlo (reply, &c->caps, error);
}

static void
smtp_client_note_tls (SmtpClient *c)
{
	RtlsTls *tls = rtls_stream_tls (c->st);

	g_free (c->out->tls_version);
	g_free (c->out->tls_cipher);
	c->out->tls_version = g_strdup (rtls_tls_version (tls));
	c->out->tls_cipher = g_strdup (rtls_tls_cipher (tls));
}

static gboolean
smtp_client_starttls (SmtpClient *c, GError **error)
{
	RtlsTlsConfig tc = {
		c->params->host,       c->params->ca_file,   (const char *const *) c->params->pins,
		&c->out->cert_problem, &c->out->tls_problem, c->params->tlsa
	};
	g_autoptr (RtlsReply) reply = NULL;

	smtp_client_stage (c, RTLS_STAGE_STARTTLS);
	if (!(c->caps.flags & RTLS_CAP_STARTTLS)) {
		g_strlcpy (c->out->enhanced, "5.7.10", sizeof c->out->enhanced);
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
		             _ ("%s does not offer STARTTLS: TLS is not possible (5.7.10); "
		                "nothing was sent"),
		             c->params->host);
		return FALSE;
	}
	reply = smtp_client_command (c, "STARTTLS", NULL, error);
	if (reply == NULL)
		return FALSE;
	if (reply->code != 220)
		return smtp_client_reply_error (c, reply, RTLS_ERROR_UNSUPPORTED, "STARTTLS",
		                                error);
	if (!rtls_stream_start_tls (c->st, &tc, error))
		return FALSE;
	smtp_client_note_tls (c);
	/* RFC 3207 4.2: forget everything learned before TLS and ask again. */
	rtls_caps_clear (&c->caps);
	smtp_client_stage (c, RTLS_STAGE_EHLO);
	return smtp_client_ehlo (c, error);
}

static void
smtp_client_wipe (gchar *secret)
{
	if (secret != NULL) {
		explicit_bzero (secret, strlen (secret));
		g_free (secret);
	}
}

static gboolean
smtp_client_auth_step (SmtpClient *c, const char *line, const char *trace, guint want,
                       GError **error)
{
	g_autoptr (RtlsReply) reply = smtp_client_command (c, line, trace, error);

	if (reply == NULL)
		return FALSE;
	if (reply->code == want)
		return TRUE;
	smtp_client_reply_error (c, reply, RTLS_ERROR_AUTH, "AUTH", error);
	if (reply->code == 334 || reply->code == 235) /* out of sequence for this step */
		(*error)->code = RTLS_ERROR_PROTOCOL;
	return FALSE;
}

/* RFC 4954 with PLAIN (RFC 4616) or LOGIN. Only ever on a verified TLS connection. */
static gboolean
smtp_client_auth (SmtpClient *c, GError **error)
{
	const RtlsParams *p = c->params;
	const char *pass = c->sub->password != NULL ? c->sub->password : "";
	gboolean plain;
	gboolean ok;

	smtp_client_stage (c, RTLS_STAGE_AUTH);
	g_return_val_if_fail (rtls_stream_tls (c->st) != NULL, FALSE);
	if (!(c->caps.flags & RTLS_CAP_AUTH)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
		             _ ("%s does not offer authentication (AUTH)"), p->host);
		return FALSE;
	}
	if (p->auth_mech == RTLS_AUTH_PLAIN || p->auth_mech == RTLS_AUTH_LOGIN) {
		const char *want = p->auth_mech == RTLS_AUTH_PLAIN ? "PLAIN" : "LOGIN";
		if (!rtls_caps_has_auth (&c->caps, want)) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
			             _ ("%s does not offer AUTH %s"), p->host, want);
			return FALSE;
		}
		plain = p->auth_mech == RTLS_AUTH_PLAIN;
	} else if (rtls_caps_has_auth (&c->caps, "PLAIN")) {
		plain = TRUE;
	} else if (rtls_caps_has_auth (&c->caps, "LOGIN")) {
		plain = FALSE;
	} else {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
		             _ ("%s offers no authentication mechanism we support "
		                "(PLAIN, LOGIN)"),
		             p->host);
		return FALSE;
	}

	if (plain) {
		gsize ulen = strlen (p->user), plen = strlen (pass);
		gsize rawlen = 1 + ulen + 1 + plen;
		gchar *raw = g_malloc0 (rawlen);
		gchar *b64, *line;

		memcpy (raw + 1, p->user, ulen);
		memcpy (raw + 2 + ulen, pass, plen);
		b64 = g_base64_encode ((const guchar *) raw, rawlen);
		line = g_strconcat ("AUTH PLAIN ", b64, NULL);
		ok = smtp_client_auth_step (c, line, "AUTH PLAIN [credentials elided]", 235, error);
		explicit_bzero (raw, rawlen);
		g_free (raw);
		smtp_client_wipe (b64);
		smtp_client_wipe (line);
	} else {
		gchar *user64 = g_base64_encode ((const guchar *) p->user, strlen (p->user));
		gchar *pass64 = g_base64_encode ((const guchar *) pass, strlen (pass));

		ok = smtp_client_auth_step (c, "AUTH LOGIN", NULL, 334, error)
		     && smtp_client_auth_step (c, user64, "[user name elided]", 334, error)
		     && smtp_client_auth_step (c, pass64, "[password elided]", 235, error);
		smtp_client_wipe (user64);
		smtp_client_wipe (pass64);
	}
	if (!ok && *error != NULL && (*error)->code == RTLS_ERROR_AUTH) {
		g_prefix_error (error, _ ("authentication as %s failed: "), p->user);
	}
	return ok;
}

static gboolean
smtp_client_is_ascii (const char *s)
{
	for (; *s; s++)
		if ((guchar) *s >= 0x80)
			return FALSE;
	return TRUE;
}

static gchar *
smtp_client_mail_command (SmtpClient *c, guint64 size_estimate)
{
	const RtlsParams *p = c->params;
	const RtlsMessage *m = c->sub->message;
	GString *s = g_string_new (NULL);
	gboolean dsn = (c->caps.flags & RTLS_CAP_DSN) != 0;
	/* RFC 6531 3.4, RFC 6532 3.5: non-ASCII addresses or header fields need SMTPUTF8. */
	gboolean utf8 = !smtp_client_is_ascii (c->sub->mail_from) || m->headers_8bit;

	for (guint i = 0; i < c->sub->recipients->len; i++)
		utf8 = utf8 || !smtp_client_is_ascii (g_ptr_array_index (c->sub->recipients, i));

	g_string_printf (s, "MAIL FROM:<%s>", c->sub->mail_from);
	if (c->caps.flags & RTLS_CAP_SIZE) /* RFC 1870 */
		g_string_append_printf (s, " SIZE=%" G_GUINT64_FORMAT, size_estimate);
	if ((m->body_8bit || m->headers_8bit) && (c->caps.flags & RTLS_CAP_8BITMIME))
		g_string_append (s, " BODY=8BITMIME"); /* RFC 6152 */
	if (utf8 && (c->caps.flags & RTLS_CAP_SMTPUTF8))
		g_string_append (s, " SMTPUTF8"); /* RFC 6531 3.4 */
	if (p->tls_policy == RTLS_TLS_POLICY_REQUIRE)
		g_string_append (s, " REQUIRETLS"); /* RFC 8689 4.1 */
	if (dsn && p->dsn_return != NULL)
		g_string_append_printf (s, " RET=%s", p->dsn_return); /* RFC 3461 4.3 */
	if (dsn && p->envid != NULL) {
		g_autofree gchar *x = rtls_xtext_encode (p->envid);
		g_string_append_printf (s, " ENVID=%s", x); /* RFC 3461 4.4 */
	}
	return g_string_free (s, FALSE);
}

static gchar *
smtp_client_rcpt_command (SmtpClient *c, const char *rcpt)
{
	const RtlsParams *p = c->params;
	GString *s = g_string_new (NULL);

	g_string_printf (s, "RCPT TO:<%s>", rcpt);
	if ((c->caps.flags & RTLS_CAP_DSN) && p->dsn_notify != RTLS_DSN_NOTIFY_UNSET) {
		/* RFC 3461 4.1 and 4.2 */
		const char *sep = "";
		g_string_append (s, " NOTIFY=");
		if (p->dsn_notify & RTLS_DSN_NOTIFY_NEVER)
			g_string_append (s, "NEVER");
		if (p->dsn_notify & RTLS_DSN_NOTIFY_SUCCESS) {
			g_string_append (s, "SUCCESS");
			sep = ",";
		}
		if (p->dsn_notify & RTLS_DSN_NOTIFY_FAILURE) {
			g_string_append_printf (s, "%sFAILURE", sep);
			sep = ",";
		}
		if (p->dsn_notify & RTLS_DSN_NOTIFY_DELAY)
			g_string_append_printf (s, "%sDELAY", sep);
		if (smtp_client_is_ascii (rcpt)) {
			g_autofree gchar *x = rtls_xtext_encode (rcpt);
			g_string_append_printf (s, " ORCPT=rfc822;%s", x);
		}
	}
	return g_string_free (s, FALSE);
}

static gboolean
smtp_client_content_write (SmtpClient *c, const RtlsEncoder *enc, gboolean bdat, guint64 announced,
                           gboolean watch, const char *data, gsize len, GError **error)
{
	if (bdat && enc->bytes_out > announced) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("the message changed while it was being sent; it was not "
		                "completed"));
		return FALSE;
	}
	if (watch && rtls_stream_has_pending_input (c->st)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_PROTOCOL,
		             _ ("%s sent data while the message was being transmitted, before its "
		                "end (protocol violation): the message was not completed and "
		                "cannot have been accepted"),
		             c->params->host);
		return FALSE;
	}
	return rtls_stream_write (c->st, data, len, error);
}

/* The reply to the end of the data never came: the data went out, so the message may or may
 * not have been accepted (DESIGN §3). Takes @local. */
static gboolean
smtp_client_not_confirmed (SmtpClient *c, GError *local, GError **error)
{
	c->out->not_confirmed = TRUE;
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_NOT_CONFIRMED,
	             _ ("the message was sent but %s did not confirm it (%s): it may or may "
	                "not have been accepted; check before sending it again"),
	             c->params->host, local != NULL ? local->message : "?");
	g_clear_error (&local);
	return FALSE;
}

/* The last write (the end of the data, perhaps with QUIT) failed: some or all of it may have
 * reached the server. */
static gboolean
smtp_client_lost_in_data (SmtpClient *c, GError **error)
{
	GError *local = NULL;

	c->no_quit = TRUE;
	if (error != NULL && *error != NULL) {
		local = *error;
		*error = NULL;
	}
	return smtp_client_not_confirmed (c, local, error);
}

/* Writes the message content: the header block, then the body, through the encoder
 * (RFC 5321 4.5.2 dot-stuffing and ".\r\n" for DATA; CRLF only for BDAT, exactly @announced
 * bytes). The body is read once, in place (mapped windows); when the encoder would leave it
 * unchanged it goes to TLS straight from the mapping. With @watch, any byte from the server
 * before the content is complete is a protocol violation: no reply is due while it goes out.
 * Not flushed. On failure the connection is out of step and must be closed without QUIT. */
static gboolean
smtp_client_content (SmtpClient *c, gboolean bdat, guint64 announced, gboolean watch,
                     GError **error)
{
	const RtlsMessage *m = c->sub->message;
	gboolean clean = rtls_message_body_clean (m, !bdat);
	g_autofree char *out = g_malloc (RTLS_ENCODER_OUT_MAX (RTLS_BODY_CHUNK));
	g_autofree char *in = NULL;
	RtlsEncoder enc;
	gsize hlen = 0, n;
	g_autofree gchar *headers = rtls_headers_serialize (m->headers, &hlen);
	guint64 pos = 0;

	c->no_quit = TRUE;
	rtls_encoder_init (&enc, !bdat);
	n = rtls_encoder_feed (&enc, headers, hlen, out);
	if (!smtp_client_content_write (c, &enc, bdat, announced, watch, out, n, error))
		return FALSE;
	while (pos < m->body_size) {
		RtlsBodyWindow win;
		gsize len = 0;
		const char *p
		        = rtls_message_body_window (m, pos, RTLS_BODY_WINDOW, &len, &win, NULL);
		gboolean ok = TRUE;

		if (p == NULL) {
			/* Not mappable: read it. */
			gssize got;
			if (in == NULL)
				in = g_malloc (RTLS_BODY_CHUNK);
			got = rtls_message_read_body (m, pos, in, RTLS_BODY_CHUNK, error);
			if (got <= 0) {
				if (got == 0)
					break;
				return FALSE;
			}
			p = in;
			len = (gsize) got;
		}
		pos += len;
		if (clean) {
			/* Already CRLF throughout (and no leading dots for DATA). */
			enc.bytes_in += len;
			enc.bytes_out += len;
			enc.at_line_start = TRUE;
			ok = smtp_client_content_write (c, &enc, bdat, announced, watch, p, len,
			                                error);
		} else {
			for (gsize off = 0; ok && off < len; off += RTLS_BODY_CHUNK) {
				gsize take = MIN (RTLS_BODY_CHUNK, len - off);
				n = rtls_encoder_feed (&enc, p + off, take, out);
				ok = smtp_client_content_write (c, &enc, bdat, announced, watch,
				                                out, n, error);
			}
		}
		rtls_body_window_release (&win);
		if (!ok)
			return FALSE;
	}
	n = rtls_encoder_finish (&enc, out);
	if (!smtp_client_content_write (c, &enc, bdat, announced, watch, out, n, error))
		return FALSE;
	if (pos != m->body_size || (bdat && enc.bytes_out != announced)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("the message changed while it was being sent; it was not "
		                "completed"));
		return FALSE;
	}
	c->out->size_sent = enc.bytes_out;
	if (c->params->verbose)
		g_printerr (bdat ? "--- [message: %" G_GUINT64_FORMAT " bytes elided]\n"
		                 : "--- [message: %" G_GUINT64_FORMAT " bytes elided]\n>>> .\n",
		            enc.bytes_out);
	c->no_quit = FALSE;
	return TRUE;
}

/* The EHLO name (RFC 5321 4.1.4): --helo; else this machine's fully qualified name when it
 * has one (Postfix's reject_non_fqdn_helo_hostname refuses "localhost"); else the address
 * literal of our end of the connection. */
static gchar *
smtp_client_helo_name (SmtpClient *c)
{
	if (c->params->helo != NULL)
		return g_strdup (c->params->helo);
	return rtls_stream_default_helo (c->st);
}

/* Connects, starts implicit TLS when asked, reads the greeting. */
static gboolean
smtp_client_connect (SmtpClient *c, GError **error)
{
	const RtlsParams *p = c->params;
	RtlsTlsConfig tc = { p->host,
		             p->ca_file,
		             (const char *const *) p->pins,
		             &c->out->cert_problem,
		             &c->out->tls_problem,
		             p->tlsa };
	g_autoptr (RtlsReply) reply = NULL;
	gint64 hard = p->max_time > 0
	                      ? g_get_monotonic_time () + (gint64) p->max_time * G_USEC_PER_SEC
	                      : 0;

	smtp_client_stage (c, RTLS_STAGE_CONNECT);
	/* --check's probe connects to an address its validating resolver found (the system's
	 * resolver cannot tell a forged answer), and verifies the MX name */
	c->st = rtls_stream_connect (p->connect_address != NULL ? p->connect_address : p->host,
	                             p->port, p->timeout * 1000, p->max_time, hard, error);
	if (c->st == NULL)
		return FALSE;
	rtls_stream_set_verbose (c->st, p->verbose);
	g_free (c->helo);
	c->helo = smtp_client_helo_name (c);
	if (!p->starttls) {
		/* RFC 8314 3.3: implicit TLS, verified before any SMTP is read. */
		smtp_client_stage (c, RTLS_STAGE_TLS);
		if (!rtls_stream_start_tls (c->st, &tc, error))
			return FALSE;
		smtp_client_note_tls (c);
	}
	smtp_client_stage (c, RTLS_STAGE_GREETING);
	if ((reply = rtls_stream_read_reply (c->st, error)) == NULL
	    || !smtp_client_check_no_more (c, error))
		return FALSE;
	if (reply->code != 220)
		return smtp_client_reply_error (c, reply, RTLS_ERROR_REJECTED, _ ("the connection"),
		                                error);
	return TRUE;
}

/* Records the RCPT replies in the outcome; returns the worst refusal (5xx before 4xx) with
 * *failed set to the number of refused recipients, or NULL when all were accepted. */
static const RtlsReply *
smtp_client_rcpt_verdict (SmtpClient *c, GPtrArray *rcpt_replies, guint *failed)
{
	const RtlsReply *worst = NULL;

	*failed = 0;
	for (guint i = 0; i < rcpt_replies->len; i++) {
		RtlsReply *r = g_ptr_array_index (rcpt_replies, i);
		RtlsRcptResult *res = g_ptr_array_index (c->out->rcpts, i);

		res->code = r->code;
		g_strlcpy (res->enhanced, r->enhanced, sizeof res->enhanced);
		g_free (res->text);
		res->text = rtls_reply_text (r);
		/* RFC 5321 4.2.5: 251 and 252 accept too. */
		if (r->code != 250 && r->code != 251) {
			(*failed)++;
			if (worst == NULL || (r->code >= 500 && worst->code < 500))
				worst = r;
		}
	}
	return worst;
}

static gboolean
smtp_client_rcpt_error (SmtpClient *c, GPtrArray *rcpt_replies, const RtlsReply *worst,
                        guint failed, GError **error)
{
	g_autofree gchar *what = NULL;
	guint idx = 0;

	c->out->stage = RTLS_STAGE_RCPT; /* which command failed, not a new stage */
	g_ptr_array_find (rcpt_replies, worst, &idx);
	what = g_strdup_printf (
	        _ ("recipient <%s>"),
	        ((RtlsRcptResult *) g_ptr_array_index (c->out->rcpts, idx))->address);
	smtp_client_reply_error (c, worst, RTLS_ERROR_REJECTED, what, error);
	if (error != NULL && *error != NULL) {
		gchar *msg = g_strdup_printf (_ ("%s (%u of %u recipients refused: the message "
		                                 "was sent to nobody)"),
		                              (*error)->message, failed, c->sub->recipients->len);
		g_free ((*error)->message);
		(*error)->message = msg;
	}
	return FALSE;
}

/* After @first, the reply to the end of the data: QUIT (unless it went out with the data)
 * and whatever the server sends, read until QUIT's 221 with nothing after it, the server
 * closing or going silent, or RTLS_AFTER_MAX_REPLIES; then rtls_after_content() decides.
 * Replies that do not pair with the commands (an unsolicited 250 during the body and the real
 * reply after it, two replies to the end of the data) are never taken as a refusal: the
 * content has left, and a refusal would offer the person a second copy. */
static gboolean
smtp_client_after_content (SmtpClient *c, const RtlsReply *first, GError **error)
{
	const RtlsParams *p = c->params;
	guint codes[RTLS_AFTER_MAX_REPLIES];
	guint n = 0;
	gboolean in_step = TRUE, all_read = TRUE;

	codes[n++] = first->code;
	rtls_stream_set_timeout (c->st, MIN (p->timeout * 1000, RTLS_QUIT_TIMEOUT_MS));
	if (!c->quit_sent) {
		/* a reply that no command asked for yet */
		if (rtls_stream_has_pending_input (c->st))
			in_step = FALSE;
		c->quit_sent = TRUE;
		/* a failed write leaves what the server sent before it to be read */
		if (rtls_stream_write_command (c->st, "QUIT", NULL, NULL))
			rtls_stream_flush (c->st, NULL);
	}
	for (;;) {
		g_autoptr (RtlsReply) r = NULL;
		g_autoptr (GError) local = NULL;
		if (n == RTLS_AFTER_MAX_REPLIES) {
			all_read = !rtls_stream_has_pending_input (c->st);
			break;
		}
		r = rtls_stream_read_reply (c->st, &local);
		if (r == NULL) {
			/* closed or silent; a line that is not a reply is a reading of its own */
			if (local != NULL && local->code == RTLS_ERROR_PROTOCOL)
				codes[n++] = 0;
			break;
		}
		codes[n++] = r->code;
		if (r->code == 221 && !rtls_stream_has_pending_input (c->st))
			break;
	}
	if (n > 2 || (n == 2 && codes[1] != 221) || !in_step || !all_read) {
		if (p->verbose)
			g_printerr ("--- note: %u replies after the message, out of step with the "
			            "commands\n",
			            n);
	}
	switch (rtls_after_content (codes, n, in_step, all_read)) {
	case RTLS_AFTER_SENT:
		c->out->sent = TRUE;
		smtp_client_stage (c, RTLS_STAGE_DONE);
		return TRUE;
	case RTLS_AFTER_REFUSED:
		return smtp_client_reply_error (c, first, RTLS_ERROR_REJECTED, _ ("the message"),
		                                error);
	case RTLS_AFTER_NOT_CONFIRMED:
	default:
		return smtp_client_not_confirmed (
		        c,
		        g_error_new (RTLS_ERROR, RTLS_ERROR_PROTOCOL, "%s",
		                     _ ("its replies after the message do not match the commands: "
		                        "a protocol violation")),
		        error);
	}
}

/* Reads the reply to the end of the data ("." or BDAT LAST) and decides. */
static gboolean
smtp_client_final (SmtpClient *c, GError **error)
{
	const RtlsParams *p = c->params;
	g_autoptr (RtlsReply) reply = NULL;
	GError *local = NULL;

	/* RFC 5321 4.5.3.2.6: the final reply may take long; wait twice the timeout. */
	rtls_stream_set_timeout (c->st, p->timeout * 2000);
	reply = rtls_stream_read_reply (c->st, &local);
	rtls_stream_set_timeout (c->st, p->timeout * 1000);
	if (reply == NULL)
		return smtp_client_not_confirmed (c, local, error);
	smtp_client_note_reply (c, reply);
	return smtp_client_after_content (c, reply, error);
}

/* The transaction when MAIL, RCPT, "BDAT n LAST" with the whole message and QUIT all go in
 * one flight (RFC 3030 with RFC 2920; one recipient only, so that "all or nothing" holds:
 * a refused recipient leaves no recipient for the data). */
static gboolean
smtp_client_early_replies (SmtpClient *c, GError **error)
{
	const RtlsParams *p = c->params;
	RtlsReply *r[3] = { NULL, NULL, NULL };
	g_autoptr (GPtrArray) rcpt_replies = g_ptr_array_new ();
	GError *lost = NULL;
	const RtlsReply *worst;
	guint got, failed = 0;
	gboolean ok = FALSE;

	for (got = 0; got < 3; got++) {
		rtls_stream_set_timeout (c->st, p->timeout * (got == 2 ? 2000 : 1000));
		if ((r[got] = rtls_stream_read_reply (c->st, &lost)) == NULL)
			break;
	}
	rtls_stream_set_timeout (c->st, p->timeout * 1000);
	if (got >= 2)
		g_ptr_array_add (rcpt_replies, r[1]);
	if (got >= 1 && r[0]->code != 250) {
		c->out->stage = RTLS_STAGE_MAIL; /* which command failed, not a new stage */
		smtp_client_reply_error (c, r[0], RTLS_ERROR_REJECTED, "MAIL FROM", error);
	} else if (got >= 2 && (worst = smtp_client_rcpt_verdict (c, rcpt_replies, &failed))) {
		smtp_client_rcpt_error (c, rcpt_replies, worst, failed, error);
	} else if (got < 3) {
		smtp_client_not_confirmed (c, g_steal_pointer (&lost), error);
	} else {
		smtp_client_note_reply (c, r[2]);
		ok = smtp_client_after_content (c, r[2], error);
	}
	g_clear_error (&lost);
	for (guint i = 0; i < 3; i++)
		rtls_reply_free (r[i]);
	return ok;
}

/* MAIL, RCPT..., then DATA or BDAT, the message, and QUIT; pipelined as far as the server
 * allows (RFC 2920, RFC 3030): with CHUNKING and one recipient everything after AUTH is one
 * round trip. Replies are matched to commands by count, and every byte that is not an
 * awaited reply is a protocol violation. */
static gboolean
smtp_client_transaction (SmtpClient *c, GError **error)
{
	const RtlsMessage *m = c->sub->message;
	GPtrArray *rcpts = c->sub->recipients;
	gboolean pipelining = (c->caps.flags & RTLS_CAP_PIPELINING) != 0;
	gboolean bdat = (c->caps.flags & RTLS_CAP_CHUNKING) != 0 && !c->params->no_chunking;
	gboolean early = bdat && pipelining && rcpts->len == 1;
	guint64 size = c->header_len + rtls_message_body_size_crlf (m);
	g_autofree gchar *mail = smtp_client_mail_command (c, size);
	g_autofree gchar *bdat_cmd = g_strdup_printf ("BDAT %" G_GUINT64_FORMAT " LAST", size);
	g_autoptr (RtlsReply) mail_reply = NULL;
	g_autoptr (RtlsReply) data_reply = NULL;
	g_autoptr (GPtrArray) rcpt_replies
	        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_reply_free);
	const RtlsReply *worst;
	guint failed = 0;

	smtp_client_stage (c, RTLS_STAGE_MAIL);
	c->out->requiretls_sent = c->params->tls_policy == RTLS_TLS_POLICY_REQUIRE;
	if (!rtls_stream_write_command (c->st, mail, NULL, error))
		return FALSE;
	if (pipelining) {
		for (guint i = 0; i < rcpts->len; i++) {
			g_autofree gchar *rcpt
			        = smtp_client_rcpt_command (c, g_ptr_array_index (rcpts, i));
			if (!rtls_stream_write_command (c->st, rcpt, NULL, error))
				return FALSE;
		}
		if (early) {
			/* Replies to MAIL and RCPT may arrive while the data goes out. */
			smtp_client_stage (c, RTLS_STAGE_DATA);
			if (!smtp_client_content_begins (c, error))
				return FALSE;
			if (!rtls_stream_write_command (c->st, bdat_cmd, NULL, error)
			    || !smtp_client_content (c, TRUE, size, FALSE, error))
				return FALSE;
			c->quit_sent = TRUE;
			if (!rtls_stream_write_command (c->st, "QUIT", NULL, error)
			    || !rtls_stream_flush (c->st, error))
				return smtp_client_lost_in_data (c, error);
			c->data_sent = TRUE;
			return smtp_client_early_replies (c, error);
		}
		if (!bdat && !rtls_stream_write_command (c->st, "DATA", NULL, error))
			return FALSE;
		if (!rtls_stream_flush (c->st, error)
		    || (mail_reply = rtls_stream_read_reply (c->st, error)) == NULL)
			return FALSE;
		for (guint i = 0; i < rcpts->len; i++) {
			RtlsReply *r = rtls_stream_read_reply (c->st, error);
			if (r == NULL)
				return FALSE;
			g_ptr_array_add (rcpt_replies, r);
		}
		if (!bdat && (data_reply = rtls_stream_read_reply (c->st, error)) == NULL)
			return FALSE;
		if (!smtp_client_check_no_more (c, error))
			return FALSE;
	} else {
		if (!rtls_stream_flush (c->st, error)
		    || (mail_reply = rtls_stream_read_reply (c->st, error)) == NULL
		    || !smtp_client_check_no_more (c, error))
			return FALSE;
		if (mail_reply->code == 250) {
			for (guint i = 0; i < rcpts->len; i++) {
				g_autofree gchar *rcpt = smtp_client_rcpt_command (
				        c, g_ptr_array_index (rcpts, i));
				RtlsReply *r = smtp_client_command (c, rcpt, NULL, error);
				if (r == NULL)
					return FALSE;
				g_ptr_array_add (rcpt_replies, r);
			}
		}
	}

	if (mail_reply->code != 250) {
		if (data_reply != NULL && data_reply->code == 354)
			c->no_quit = TRUE; /* DATA is open: abandon by closing (RFC 5321 3.3) */
		return smtp_client_reply_error (c, mail_reply, RTLS_ERROR_REJECTED, "MAIL FROM",
		                                error);
	}
	smtp_client_stage (c, RTLS_STAGE_RCPT);
	if ((worst = smtp_client_rcpt_verdict (c, rcpt_replies, &failed)) != NULL) {
		/* DATA was accepted although a recipient was refused: abandon the transaction
		 * by closing without the final "." (RFC 5321 3.3). */
		if (data_reply != NULL && data_reply->code == 354)
			c->no_quit = TRUE;
		return smtp_client_rcpt_error (c, rcpt_replies, worst, failed, error);
	}

	smtp_client_stage (c, RTLS_STAGE_DATA);
	if (bdat) {
		if (!rtls_stream_write_command (c->st, bdat_cmd, NULL, error))
			return FALSE;
	} else {
		if (data_reply == NULL
		    && (data_reply = smtp_client_command (c, "DATA", NULL, error)) == NULL)
			return FALSE;
		if (data_reply->code != 354)
			return smtp_client_reply_error (c, data_reply, RTLS_ERROR_REJECTED, "DATA",
			                                error);
	}
	/* From here no reply is due until the data is complete. */
	if (!smtp_client_content_begins (c, error)
	    || !smtp_client_content (c, bdat, size, TRUE, error))
		return FALSE;
	if (pipelining) {
		/* RFC 2920 3.1: QUIT may end the last group of commands. */
		c->quit_sent = TRUE;
		if (!rtls_stream_write_command (c->st, "QUIT", NULL, error))
			return smtp_client_lost_in_data (c, error);
	}
	if (!rtls_stream_flush (c->st, error))
		return smtp_client_lost_in_data (c, error);
	c->data_sent = TRUE;
	return smtp_client_final (c, error);
}

static gboolean
smtp_client_run (SmtpClient *c, GError **error)
{
	const RtlsParams *p = c->params;
	const RtlsMessage *m = c->sub->message;
	g_autofree gchar *hdr = rtls_headers_serialize (m->headers, &c->header_len);
	guint64 size_estimate = c->header_len + rtls_message_body_size_crlf (m);
	gboolean utf8 = m->headers_8bit;

	if (!smtp_client_connect (c, error))
		return FALSE;

	smtp_client_stage (c, RTLS_STAGE_EHLO);
	if (!smtp_client_ehlo (c, error))
		goto quit;
	if (p->starttls && !smtp_client_starttls (c, error))
		goto quit;

	/* Every path below transmits the message: only over TLS >= 1.2 with a verified
	 * certificate, which rtls_stream_start_tls() guarantees or fails. */
	if (rtls_stream_tls (c->st) == NULL) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "internal error: no TLS");
		return FALSE;
	}
	if (p->tls_policy == RTLS_TLS_POLICY_REQUIRE && !(c->caps.flags & RTLS_CAP_REQUIRETLS)) {
		/* RFC 8689 4.1: REQUIRETLS only to a server that advertises it after TLS. */
		g_strlcpy (c->out->enhanced, "5.7.30", sizeof c->out->enhanced);
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
		             _ ("%s does not support REQUIRETLS (RFC 8689, 5.7.30): the message "
		                "was not sent"),
		             p->host);
		goto quit;
	}
	if (c->caps.size_limit > 0 && size_estimate > c->caps.size_limit) {
		g_strlcpy (c->out->enhanced, "5.3.4", sizeof c->out->enhanced);
		/* Numbers as strings: a G_GUINT64_FORMAT inside a msgid cannot be translated. */
		g_autofree gchar *have = g_strdup_printf ("%" G_GUINT64_FORMAT, size_estimate);
		g_autofree gchar *limit
		        = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) c->caps.size_limit);
		g_set_error (
		        error, RTLS_ERROR, RTLS_ERROR_REJECTED,
		        _ ("the message (%s bytes) is larger than %s accepts (%s bytes, 5.3.4)"),
		        have, p->host, limit);
		goto quit;
	}
	if (!(c->caps.flags & RTLS_CAP_SMTPUTF8)) {
		gboolean ascii = smtp_client_is_ascii (c->sub->mail_from);
		for (guint i = 0; i < c->sub->recipients->len; i++)
			ascii = ascii
			        && smtp_client_is_ascii (g_ptr_array_index (c->sub->recipients, i));
		if (!ascii || utf8) {
			g_strlcpy (c->out->enhanced, "5.6.7", sizeof c->out->enhanced);
			if (!ascii)
				g_set_error (
				        error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
				        _ ("%s does not support SMTPUTF8, needed for a non-ASCII "
				           "address (RFC 6531)"),
				        p->host);
			else
				g_set_error (
				        error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED,
				        _ ("%s does not support SMTPUTF8, needed for header fields "
				           "that are not ASCII (RFC 6532): the message was not "
				           "sent"),
				        p->host);
			goto quit;
		}
	}
	if (m->body_8bit && !(c->caps.flags & RTLS_CAP_8BITMIME) && p->verbose)
		g_printerr ("--- note: 8-bit message, but %s does not offer 8BITMIME\n", p->host);
	if (p->user != NULL && !smtp_client_auth (c, error))
		goto quit;

	if (smtp_client_transaction (c, error))
		return TRUE;
	if (c->no_quit || c->quit_sent)
		return FALSE;
quit:
	smtp_client_quit (c);
	return FALSE;
}

gboolean
rtls_smtp_submit (const RtlsSubmission *sub, RtlsOutcome *out, GError **error)
{
	SmtpClient c = { .sub = sub, .params = sub->params, .out = out };
	gboolean ok;

	g_return_val_if_fail (sub->recipients != NULL && sub->recipients->len > 0, FALSE);
	for (guint i = 0; i < sub->recipients->len; i++) {
		RtlsRcptResult *r = g_new0 (RtlsRcptResult, 1);
		r->address = g_strdup (g_ptr_array_index (sub->recipients, i));
		g_ptr_array_add (out->rcpts, r);
	}
	ok = smtp_client_run (&c, error);
	g_free (c.helo);
	rtls_caps_clear (&c.caps);
	rtls_stream_free (c.st);
	return ok;
}

gboolean
rtls_smtp_probe (const RtlsParams *p, RtlsOutcome *out, gchar **pin, gboolean *requiretls,
                 GError **error)
{
	SmtpClient c = { .sub = NULL, .params = p, .out = out };
	const gnutls_datum_t *chain;
	unsigned int n = 0;
	gboolean ok = FALSE;

	*pin = NULL;
	*requiretls = FALSE;
	if (!smtp_client_connect (&c, error))
		goto done;
	out->stage = RTLS_STAGE_EHLO;
	if (!smtp_client_ehlo (&c, error) || (p->starttls && !smtp_client_starttls (&c, error))) {
		smtp_client_quit (&c);
		goto done;
	}
	/* The handshake verified the chain and the name (or failed): this key is trusted. */
	chain = gnutls_certificate_get_peers (rtls_tls_session (rtls_stream_tls (c.st)), &n);
	if (chain == NULL || n == 0 || (*pin = rtls_tls_spki_sha256 (&chain[0], error)) == NULL) {
		smtp_client_quit (&c);
		goto done;
	}
	*requiretls = (c.caps.flags & RTLS_CAP_REQUIRETLS) != 0;
	out->stage = RTLS_STAGE_DONE;
	smtp_client_quit (&c);
	ok = TRUE;
done:
	g_free (c.helo);
	rtls_caps_clear (&c.caps);
	rtls_stream_free (c.st);
	return ok;
}
