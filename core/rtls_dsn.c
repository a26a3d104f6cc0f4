/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_dsn.c: delivery status notifications read back (pure logic, no GTK, no Claws).
 * libetpan parses the MIME structure (mailmime_parse), decodes the parts
 * (mailmime_part_parse), and reads every header block (mailimf_fields_parse,
 * mailimf_optional_fields_parse); this file only knows what the fields mean.
 */
#include "config.h"

#include "rtls_dsn.h"

#include <glib/gi18n-lib.h>
#include <libetpan/libetpan.h>
#include <string.h>

#include "codec.h"

#define FIELD_MAX 1000 /* characters kept of any one field value */

/* The macro stringifies its first argument, the quark's name: not to be reformatted. */
/* clang-format off */
G_DEFINE_QUARK (rtls-dsn-error-quark, rtls_dsn_error)
/* clang-format on */

static void
recipient_free (gpointer p)
{
	RtlsDsnRecipient *r = p;

	g_free (r->final_recipient);
	g_free (r->original_recipient);
	g_free (r->status);
	g_free (r->status_malformed);
	g_free (r->remote_mta);
	g_free (r->diagnostic);
	g_free (r->diagnostic_status);
	g_free (r->effective_status);
	g_free (r->last_attempt);
	g_free (r->will_retry_until);
	g_free (r);
}

void
rtls_dsn_free (RtlsDsn *dsn)
{
	if (dsn == NULL)
		return;
	g_free (dsn->envid);
	g_strfreev (dsn->ambiguous_envids);
	g_free (dsn->reporting_mta);
	g_free (dsn->arrival_date);
	if (dsn->recipients != NULL)
		g_ptr_array_unref (dsn->recipients);
	g_free (dsn->orig_message_id);
	g_free (dsn->orig_subject);
	g_free (dsn->orig_from);
	g_free (dsn->orig_to);
	g_free (dsn->orig_date);
	g_free (dsn->orig_tls_required);
	if (dsn->warnings != NULL)
		g_ptr_array_unref (dsn->warnings);
	g_free (dsn);
}

const char *
rtls_dsn_action_to_string (RtlsDsnAction a)
{
	switch (a) {
	case RTLS_DSN_ACTION_FAILED:
		return "failed";
	case RTLS_DSN_ACTION_DELAYED:
		return "delayed";
	case RTLS_DSN_ACTION_DELIVERED:
		return "delivered";
	case RTLS_DSN_ACTION_RELAYED:
		return "relayed";
	case RTLS_DSN_ACTION_EXPANDED:
		return "expanded";
	default:
		return "unknown";
	}
}

/* ------------------------------------------------------------------ small helpers */

/* A field value as it may be shown: folding undone (RFC 5322 §2.2.3), untrusted text
 * sanitised, blanks at both ends gone. */
static gchar *
clean_value (const char *v, gssize len)
{
	g_autofree gchar *s = rtls_sanitize (v, len, FIELD_MAX);
	GString *out = g_string_sized_new (strlen (s));
	gboolean space = FALSE;

	/* rtls_sanitize turned CR, LF and TAB into spaces: squeeze runs of them */
	for (const char *p = s; *p; p++) {
		if (*p == ' ') {
			space = TRUE;
			continue;
		}
		if (space && out->len > 0)
			g_string_append_c (out, ' ');
		space = FALSE;
		g_string_append_c (out, *p);
	}
	return g_string_free (out, FALSE);
}

gchar *
rtls_dsn_strip_brackets (const char *s)
{
	gchar *t;
	gsize n;

	if (s == NULL)
		return NULL;
	t = g_strstrip (g_strdup (s));
	n = strlen (t);
	if (n >= 2 && t[0] == '<' && t[n - 1] == '>') {
		memmove (t, t + 1, n - 2);
		t[n - 2] = '\0';
	}
	return t;
}

/* "rfc822; carol@example.gov" → "carol@example.gov" (RFC 3464 §2.3.2 address-type ";"
 * generic-address); a value without a type is taken whole. A few MTAs write <addr>: the
 * brackets are not part of the address. */
static gchar *
typed_value (const char *v)
{
	const char *semi = strchr (v, ';');

	return rtls_dsn_strip_brackets (semi != NULL ? semi + 1 : v);
}

static void warn (RtlsDsn *dsn, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
warn (RtlsDsn *dsn, const char *fmt, ...)
{
	va_list ap;

	if (dsn->warnings->len >= 50)
		return;
	va_start (ap, fmt);
	g_ptr_array_add (dsn->warnings, g_strdup_vprintf (fmt, ap));
	va_end (ap);
}

gchar *
rtls_dsn_normalise_status (const char *text)
{
	guint v[3] = { 0, 0, 0 };
	const char *p = text;

	if (text == NULL)
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	for (int i = 0; i < 3; i++) {
		guint digits = 0;
		/* RFC 3463 §2: "expressed without leading zero digits" ("0" itself is fine) */
		if (p[0] == '0' && g_ascii_isdigit (p[1]))
			return NULL;
		while (g_ascii_isdigit (*p)) {
			if (++digits > 3)
				return NULL;
			v[i] = v[i] * 10 + (guint) (*p - '0');
			p++;
		}
		if (digits == 0)
			return NULL;
		if (i < 2) {
			if (*p != '.')
				return NULL;
			p++;
		}
	}
	/* what follows the code may only be a comment or the end */
	if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '(' && *p != ';')
		return NULL;
	if (v[0] != 2 && v[0] != 4 && v[0] != 5)
		return NULL;
	return g_strdup_printf ("%u.%u.%u", v[0], v[1], v[2]);
}

gboolean
rtls_dsn_status_is_requiretls (const char *status)
{
	return status != NULL
	       && (g_str_equal (status, "5.7.30") || g_str_equal (status, "5.7.10")
	           || g_str_equal (status, "4.7.30") || g_str_equal (status, "4.7.10"));
}

/* ------------------------------------------------------------------ MIME helpers */

static const char *
content_type_name (const struct mailmime_content *ct)
{
	const struct mailmime_type *t = ct != NULL ? ct->ct_type : NULL;

	if (t == NULL)
		return "";
	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		switch (t->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:
			return "text";
		case MAILMIME_DISCRETE_TYPE_IMAGE:
			return "image";
		case MAILMIME_DISCRETE_TYPE_AUDIO:
			return "audio";
		case MAILMIME_DISCRETE_TYPE_VIDEO:
			return "video";
		case MAILMIME_DISCRETE_TYPE_APPLICATION:
			return "application";
		default: {
			const char *e = t->tp_data.tp_discrete_type->dt_extension;
			return e != NULL ? e : "";
		}
		}
	}
	if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		switch (t->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:
			return "message";
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:
			return "multipart";
		default: {
			const char *e = t->tp_data.tp_composite_type->ct_token;
			return e != NULL ? e : "";
		}
		}
	}
	return "";
}

static gboolean
content_is (const struct mailmime_content *ct, const char *type, const char *subtype)
{
	return ct != NULL && g_ascii_strcasecmp (content_type_name (ct), type) == 0
	       && ct->ct_subtype != NULL && g_ascii_strcasecmp (ct->ct_subtype, subtype) == 0;
}

static const char *
content_param (const struct mailmime_content *ct, const char *name)
{
	if (ct == NULL || ct->ct_parameters == NULL)
		return NULL;
	for (clistiter *it = clist_begin (ct->ct_parameters); it != NULL; it = clist_next (it)) {
		const struct mailmime_parameter *p = clist_content (it);
		if (p->pa_name != NULL && g_ascii_strcasecmp (p->pa_name, name) == 0)
			return p->pa_value;
	}
	return NULL;
}

/* The decoded body of a single part (transfer encoding undone), or NULL. A part decoding to
 * more than @max bytes is refused, unless @truncated is given: then its first @max bytes are
 * returned (only a prefix of the encoded text is decoded) and *@truncated is set. */
static GBytes *
part_body (const struct mailmime *part, gsize max, gboolean *truncated, GError **error)
{
	const struct mailmime_data *d = part->mm_data.mm_single;
	/* base64 and quoted-printable never take more than 3 bytes a decoded byte, line
	 * ends included, so this much encoded text always holds @max decoded bytes */
	const gsize enough = max * 3 + 1024;
	size_t idx = 0, out_len = 0;
	const char *text;
	gsize text_len;
	char *out = NULL;
	GBytes *b;

	if (part->mm_type != MAILMIME_SINGLE || d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return g_bytes_new (NULL, 0);
	text = d->dt_data.dt_text.dt_data;
	text_len = d->dt_data.dt_text.dt_length;
	if (text_len > (d->dt_encoded ? enough : max)) {
		if (truncated == NULL) {
			g_set_error (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_TOO_LARGE,
			             "a report part is larger than %zu bytes", (size_t) max);
			return NULL;
		}
		if (d->dt_encoded) {
			/* decode whole lines only, so no base64 quantum is cut in two */
			const char *nl = g_strrstr_len (text, (gssize) enough, "\n");
			text_len = nl != NULL ? (gsize) (nl - text) + 1 : enough;
		} else {
			text_len = max;
		}
	}
	if (!d->dt_encoded) {
		b = g_bytes_new (text, text_len);
	} else {
		if (mailmime_part_parse (text, text_len, &idx, d->dt_encoding, &out, &out_len)
		    != MAILIMF_NO_ERROR) {
			g_set_error (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_MALFORMED,
			             "a report part cannot be decoded");
			return NULL;
		}
		b = g_bytes_new (out, MIN (out_len, max));
		mmap_string_unref (out);
	}
	if (text_len < d->dt_data.dt_text.dt_length || out_len > max) {
		if (truncated == NULL) {
			g_bytes_unref (b);
			g_set_error (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_TOO_LARGE,
			             "a report part is larger than %zu bytes", (size_t) max);
			return NULL;
		}
		*truncated = TRUE;
	}
	return b;
}

/* libetpan's header parsers want CRLF; stored mail often has bare LF. */
static gchar *
to_crlf (const char *data, gsize len, gsize *out_len)
{
	GString *s = g_string_sized_new (len + len / 16 + 2);

	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			g_string_append_c (s, '\r');
		else if (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')) {
			g_string_append (s, "\r\n");
			continue;
		}
		g_string_append_c (s, data[i]);
	}
	*out_len = s->len;
	return g_string_free (s, FALSE);
}

/* The length of the header block at @data (up to and with the first empty line, LF or
 * CRLF), looking at most @max bytes; @max when no empty line is found there. */
static gsize
header_block_len (const char *data, gsize len, gsize max)
{
	gsize n = MIN (len, max);

	for (gsize i = 0; i < n;) {
		const char *nl;
		if (data[i] == '\n')
			return i + 1;
		if (data[i] == '\r' && i + 1 < n && data[i + 1] == '\n')
			return i + 2;
		nl = memchr (data + i, '\n', n - i);
		if (nl == NULL)
			break;
		i = (gsize) (nl - data) + 1;
	}
	return n;
}

/* ------------------------------------------------------------------ delivery-status */

typedef void (*FieldFn) (RtlsDsn *dsn, gpointer target, const char *name, const char *value);

/* Reads one group of fields (RFC 3464 §2.1: per-message, then one per recipient, separated
 * by blank lines) starting at *idx. A line libetpan cannot read as a field is skipped with a
 * warning. Returns the number of fields read; *idx ends after the group's blank line. */
static guint
read_group (RtlsDsn *dsn, const char *buf, gsize len, gsize *idx, FieldFn fn, gpointer target)
{
	guint n = 0;

	/* blank lines before a group are not a group */
	while (*idx + 1 < len && buf[*idx] == '\r' && buf[*idx + 1] == '\n')
		*idx += 2;
	while (*idx < len) {
		struct mailimf_fields *fields = NULL;
		size_t i = *idx;

		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n') {
			*idx += 2; /* the blank line ending this group */
			break;
		}
		if (mailimf_optional_fields_parse (buf, len, &i, &fields) == MAILIMF_NO_ERROR
		    && fields != NULL) {
			for (clistiter *it = clist_begin (fields->fld_list); it != NULL;
			     it = clist_next (it)) {
				const struct mailimf_field *f = clist_content (it);
				const struct mailimf_optional_field *o
				        = f->fld_data.fld_optional_field;
				g_autofree gchar *v = NULL;
				if (f->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD || o == NULL)
					continue;
				v = clean_value (o->fld_value, -1);
				fn (dsn, target, o->fld_name, v);
				n++;
			}
			mailimf_fields_free (fields);
		}
		if (i > *idx) {
			*idx = i;
			continue;
		}
		/* not a field: skip the line (with its continuation lines) */
		{
			const char *nl = memchr (buf + i, '\n', len - i);
			g_autofree gchar *shown = rtls_sanitize (
			        buf + i, nl != NULL ? nl - (buf + i) : (gssize) (len - i), 60);
			warn (dsn, "unreadable line in the delivery status skipped: %s", shown);
			*idx = nl != NULL ? (gsize) (nl - buf) + 1 : len;
			while (*idx < len && (buf[*idx] == ' ' || buf[*idx] == '\t')) {
				nl = memchr (buf + *idx, '\n', len - *idx);
				*idx = nl != NULL ? (gsize) (nl - buf) + 1 : len;
			}
		}
	}
	return n;
}

static void
message_field (RtlsDsn *dsn, gpointer target, const char *name, const char *value)
{
	if (g_ascii_strcasecmp (name, "Original-Envelope-Id") == 0) {
		/* RFC 3464 §2.2.1: the ENVID as given, xtext decoding undone when it was kept */
		g_autoptr (GError) e = NULL;
		gchar *dec = strchr (value, '+') != NULL ? rtls_xtext_decode (value, &e) : NULL;
		gchar *v = dec != NULL ? dec : g_strdup (value);
		guint n = dsn->ambiguous_envids != NULL ? g_strv_length (dsn->ambiguous_envids) : 0;

		if (dsn->envid == NULL && n == 0) {
			dsn->envid = v;
			return;
		}
		/* a second one (RFC 3464 allows one): which is meant cannot be known, so
		 * neither is believed, whatever their order */
		if (n == 0) {
			dsn->ambiguous_envids = g_new0 (gchar *, 9);
			dsn->ambiguous_envids[n++] = g_steal_pointer (&dsn->envid);
			warn (dsn, "more than one Original-Envelope-Id: none of them is used");
		}
		if (n < 8)
			dsn->ambiguous_envids[n] = v;
		else
			g_free (v);
	} else if (g_ascii_strcasecmp (name, "Reporting-MTA") == 0) {
		g_free (dsn->reporting_mta);
		dsn->reporting_mta = typed_value (value);
	} else if (g_ascii_strcasecmp (name, "Arrival-Date") == 0) {
		g_free (dsn->arrival_date);
		dsn->arrival_date = g_strdup (value);
	}
}

static RtlsDsnAction
parse_action (const char *v)
{
	static const struct {
		const char *word;
		RtlsDsnAction a;
	} map[] = {
		{ "failed", RTLS_DSN_ACTION_FAILED },       { "delayed", RTLS_DSN_ACTION_DELAYED },
		{ "delivered", RTLS_DSN_ACTION_DELIVERED }, { "relayed", RTLS_DSN_ACTION_RELAYED },
		{ "expanded", RTLS_DSN_ACTION_EXPANDED },
	};
	gsize n = strcspn (v, " \t(");

	for (gsize i = 0; i < G_N_ELEMENTS (map); i++)
		if (strlen (map[i].word) == n && g_ascii_strncasecmp (v, map[i].word, n) == 0)
			return map[i].a;
	return RTLS_DSN_ACTION_UNKNOWN;
}

static void
recipient_field (RtlsDsn *dsn, gpointer target, const char *name, const char *value)
{
	RtlsDsnRecipient *r = target;
	gchar **slot = NULL;

	if (g_ascii_strcasecmp (name, "Final-Recipient") == 0) {
		g_free (r->final_recipient);
		r->final_recipient = typed_value (value);
	} else if (g_ascii_strcasecmp (name, "Original-Recipient") == 0) {
		g_free (r->original_recipient);
		r->original_recipient = typed_value (value);
	} else if (g_ascii_strcasecmp (name, "Action") == 0) {
		r->action = parse_action (value);
		if (r->action == RTLS_DSN_ACTION_UNKNOWN)
			warn (dsn, "unknown Action: %s", value);
	} else if (g_ascii_strcasecmp (name, "Status") == 0) {
		g_free (r->status);
		g_clear_pointer (&r->status_malformed, g_free);
		r->status = rtls_dsn_normalise_status (value);
		if (r->status == NULL) {
			/* shown as written, never guessed at: "5.7.030" is not 5.7.30 */
			r->status_malformed = rtls_sanitize (value, -1, 40);
			warn (dsn, "malformed Status not read as a code: %s", r->status_malformed);
		}
	} else if (g_ascii_strcasecmp (name, "Remote-MTA") == 0) {
		g_free (r->remote_mta);
		r->remote_mta = typed_value (value);
	} else if (g_ascii_strcasecmp (name, "Diagnostic-Code") == 0) {
		slot = &r->diagnostic;
	} else if (g_ascii_strcasecmp (name, "Last-Attempt-Date") == 0) {
		slot = &r->last_attempt;
	} else if (g_ascii_strcasecmp (name, "Will-Retry-Until") == 0) {
		slot = &r->will_retry_until;
	}
	if (slot != NULL) {
		g_free (*slot);
		*slot = g_strdup (value);
	}
}

/* "smtp; 550 5.7.30 text" → "5.7.30" (RFC 3464 §2.3.6 diagnostic-type "smtp": the reply as
 * the remote MTA sent it, RFC 2034 enhanced code after the reply code). */
static gchar *
diagnostic_enhanced (const char *diag)
{
	const char *p = diag;

	if (diag == NULL || g_ascii_strncasecmp (p, "smtp", 4) != 0)
		return NULL;
	p += 4;
	while (*p == ' ')
		p++;
	if (*p++ != ';')
		return NULL;
	while (*p == ' ')
		p++;
	if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]) || !g_ascii_isdigit (p[2])
	    || (p[3] != ' ' && p[3] != '-'))
		return NULL;
	{
		g_autofree gchar *code = rtls_dsn_normalise_status (p + 4);
		/* the enhanced code's class must agree with the reply code's (RFC 3463 §2) */
		if (code == NULL || code[0] != p[0])
			return NULL;
		return g_steal_pointer (&code);
	}
}

static void
settle_status (RtlsDsn *dsn, RtlsDsnRecipient *r)
{
	const char *d;

	r->diagnostic_status = diagnostic_enhanced (r->diagnostic);
	d = r->diagnostic_status;
	if (r->status_malformed != NULL) {
		/* a Status that cannot be read leaves the cause unknown: the server's text
		 * may be shown, but a verdict is never built on a field that is wrong */
		return;
	}
	if (r->status != NULL && d != NULL && g_str_has_suffix (r->status, ".0.0")
	    && (d[0] == '4' || d[0] == '5') && !g_str_equal (d, r->status)) {
		/* Status says only its class (Exim always writes 5.0.0, or 4.0.0 when
		 * delayed): the server's own code is the cause, whatever its class. An Exim
		 * give-up report carries "5.0.0" after "450 4.7.30": a REQUIRETLS failure. */
		r->effective_status = g_strdup (d);
		warn (dsn, "Status %s made precise by the server's reply: %s", r->status, d);
	} else if (r->status == NULL && d != NULL) {
		r->effective_status = g_strdup (d);
	} else {
		r->effective_status = g_strdup (r->status);
	}
	r->gave_up = r->action == RTLS_DSN_ACTION_FAILED && r->effective_status != NULL
	             && r->effective_status[0] == '4';
}

/* The length of @data up to and with its last blank line: what is left of a cut status part
 * once a recipient group cut in two is dropped (a "Status: 5.7.3" cut from "5.7.30" must not
 * be read). 0 when there is no blank line. */
static gsize
whole_groups_len (const char *data, gsize len)
{
	for (gsize i = len; i >= 2; i--) {
		if (data[i - 1] != '\n')
			continue;
		if (data[i - 2] == '\n')
			return i;
		if (i >= 3 && data[i - 2] == '\r' && data[i - 3] == '\n')
			return i;
	}
	return 0;
}

static gboolean
parse_status_part (RtlsDsn *dsn, const char *data, gsize len, GError **error)
{
	gsize crlf_len = 0, idx = 0;
	g_autofree gchar *buf = NULL;

	if (dsn->status_truncated)
		len = whole_groups_len (data, len);
	buf = to_crlf (data, len, &crlf_len);

	read_group (dsn, buf, crlf_len, &idx, message_field, NULL);
	while (idx < crlf_len) {
		RtlsDsnRecipient *r = g_new0 (RtlsDsnRecipient, 1);
		if (read_group (dsn, buf, crlf_len, &idx, recipient_field, r) == 0) {
			recipient_free (r);
			continue;
		}
		if (r->final_recipient == NULL || *r->final_recipient == '\0') {
			/* RFC 3464 §2.3.2: required. Without it the group says nothing usable. */
			warn (dsn, "a recipient group without Final-Recipient was ignored");
			recipient_free (r);
			continue;
		}
		settle_status (dsn, r);
		if (dsn->recipients->len >= RTLS_DSN_MAX_RECIPIENTS) {
			recipient_free (r);
			warn (dsn, "more than %d recipients: the rest ignored",
			      RTLS_DSN_MAX_RECIPIENTS);
			break;
		}
		g_ptr_array_add (dsn->recipients, r);
	}
	if (dsn->recipients->len == 0) {
		g_set_error_literal (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_MALFORMED,
		                     "the delivery status names no recipient");
		return FALSE;
	}
	if (dsn->status_truncated)
		warn (dsn,
		      "the delivery status is larger than %d KB: the %u recipients in its first "
		      "%d KB were read, the rest was not read",
		      RTLS_DSN_MAX_STATUS_PART / 1024, dsn->recipients->len,
		      RTLS_DSN_MAX_STATUS_PART / 1024);
	return TRUE;
}

/* ------------------------------------------------------------------ the returned headers */

static gchar *
decode_header_text (const char *raw)
{
	size_t idx = 0;
	char *out = NULL;
	gchar *r;

	if (raw == NULL)
		return NULL;
	/* RFC 2047 encoded words to UTF-8; undecodable text stays as it was */
	if (mailmime_encoded_phrase_parse ("utf-8", raw, strlen (raw), &idx, "utf-8", &out)
	            == MAILIMF_NO_ERROR
	    && out != NULL) {
		r = clean_value (out, -1);
		free (out);
		return r;
	}
	return clean_value (raw, -1);
}

/* The returned header block, read field by field (mailimf_optional_fields_parse), so that
 * one field libetpan's typed parser rejects does not hide the others: Message-ID through
 * mailimf_msg_id_parse, Subject, From, To and Date RFC 2047-decoded for display, and the
 * original's TLS-Required. */
static void
original_raw_fields (RtlsDsn *dsn, const char *data, gsize len)
{
	gsize crlf_len = 0;
	size_t idx = 0;
	g_autofree gchar *buf = to_crlf (data, len, &crlf_len);
	struct mailimf_fields *fields = NULL;

	if (mailimf_optional_fields_parse (buf, crlf_len, &idx, &fields) != MAILIMF_NO_ERROR) {
		warn (dsn, "the returned headers cannot be read");
		return;
	}
	for (clistiter *it = clist_begin (fields->fld_list); it != NULL; it = clist_next (it)) {
		const struct mailimf_field *f = clist_content (it);
		const struct mailimf_optional_field *o = f->fld_data.fld_optional_field;
		gchar **slot = NULL;
		if (f->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD || o == NULL || o->fld_name == NULL
		    || o->fld_value == NULL)
			continue;
		if (g_ascii_strcasecmp (o->fld_name, "Message-ID") == 0
		    && dsn->orig_message_id == NULL) {
			size_t i = 0;
			char *mid = NULL;
			if (mailimf_msg_id_parse (o->fld_value, strlen (o->fld_value), &i, &mid)
			    == MAILIMF_NO_ERROR) {
				dsn->orig_message_id = clean_value (mid, -1);
				mailimf_msg_id_free (mid);
			} else {
				warn (dsn, "the returned Message-ID cannot be read");
			}
			continue;
		}
		if (g_ascii_strcasecmp (o->fld_name, "TLS-Required") == 0) {
			if (dsn->orig_tls_required == NULL)
				dsn->orig_tls_required = clean_value (o->fld_value, -1);
			continue;
		}
		if (g_ascii_strcasecmp (o->fld_name, "Subject") == 0)
			slot = &dsn->orig_subject;
		else if (g_ascii_strcasecmp (o->fld_name, "From") == 0)
			slot = &dsn->orig_from;
		else if (g_ascii_strcasecmp (o->fld_name, "To") == 0)
			slot = &dsn->orig_to;
		else if (g_ascii_strcasecmp (o->fld_name, "Date") == 0)
			slot = &dsn->orig_date;
		if (slot != NULL && *slot == NULL)
			*slot = decode_header_text (o->fld_value);
	}
	mailimf_fields_free (fields);
}

/* ------------------------------------------------------------------ the whole report */

/* The Content-Type of the header block at @data (the first one, parsed), or NULL; *@hlen is
 * the length of the header block. */
static struct mailmime_content *
block_content_type (const char *data, gsize len, gsize *hlen)
{
	gsize crlf_len = 0;
	size_t idx = 0;
	g_autofree gchar *buf = NULL;
	struct mailimf_fields *fields = NULL;
	struct mailmime_content *found = NULL;

	*hlen = header_block_len (data, len, 256 * 1024);
	buf = to_crlf (data, *hlen, &crlf_len);
	if (mailimf_optional_fields_parse (buf, crlf_len, &idx, &fields) != MAILIMF_NO_ERROR)
		return NULL;
	for (clistiter *it = clist_begin (fields->fld_list); it != NULL && found == NULL;
	     it = clist_next (it)) {
		const struct mailimf_field *f = clist_content (it);
		const struct mailimf_optional_field *o = f->fld_data.fld_optional_field;
		struct mailmime_content *ct = NULL;
		size_t i = 0;
		if (f->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD || o == NULL || o->fld_name == NULL
		    || o->fld_value == NULL
		    || g_ascii_strcasecmp (o->fld_name, "Content-Type") != 0)
			continue;
		if (mailmime_content_parse (o->fld_value, strlen (o->fld_value), &i, &ct)
		    == MAILIMF_NO_ERROR)
			found = ct;
	}
	mailimf_fields_free (fields);
	return found;
}

/* Where the first part of a multipart body with @boundary starts: after its delimiter line
 * (RFC 2046 §5.1.1: "--" boundary, optional blanks, line end), or NULL. */
static const char *
first_part_start (const char *body, gsize len, const char *boundary)
{
	gsize blen = strlen (boundary);
	const char *p = body, *end = body + len;

	if (blen == 0 || blen > 70)
		return NULL;
	while (p < end) {
		const char *nl = memchr (p, '\n', (gsize) (end - p));
		const char *line_end = nl != NULL ? nl : end;
		if ((gsize) (line_end - p) >= blen + 2 && p[0] == '-' && p[1] == '-'
		    && memcmp (p + 2, boundary, blen) == 0) {
			const char *q = p + 2 + blen;
			while (q < line_end && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q == line_end)
				return nl != NULL ? nl + 1 : NULL;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return NULL;
}

gboolean
rtls_dsn_looks_like_report (const char *data, gsize len)
{
	struct mailmime_content *ct;
	gsize hlen = 0;
	gboolean yes = FALSE;

	if (data == NULL || len == 0)
		return FALSE;
	/* only the header block: up to the first empty line, at most 256 KB */
	ct = block_content_type (data, len, &hlen);
	if (ct == NULL)
		return FALSE;
	yes = content_is (ct, "multipart", "report");
	if (!yes && content_is (ct, "multipart", "mixed")) {
		/* one level down: the first part's header block, as far as @data goes */
		const char *boundary = content_param (ct, "boundary");
		const char *part = boundary != NULL
		                           ? first_part_start (data + hlen, len - hlen, boundary)
		                           : NULL;
		if (part != NULL) {
			gsize plen = 0;
			struct mailmime_content *inner
			        = block_content_type (part, (gsize) (data + len - part), &plen);
			yes = inner != NULL && content_is (inner, "multipart", "report");
			if (inner != NULL)
				mailmime_content_free (inner);
		}
	}
	mailmime_content_free (ct);
	return yes;
}

static gboolean
is_status_part (const struct mailmime_content *ct)
{
	return content_is (ct, "message", "delivery-status")
	       || content_is (ct, "message", "global-delivery-status");
}

RtlsDsn *
rtls_dsn_parse (const char *data, gsize len, GError **error)
{
	g_autoptr (RtlsDsn) dsn = NULL;
	struct mailmime *mime = NULL;
	const struct mailmime *body, *status_part = NULL, *returned = NULL;
	size_t idx = 0;
	const char *report_type;
	guint index = 0;
	gboolean ok = FALSE;

	if (len > RTLS_DSN_MAX_INPUT) {
		g_set_error (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_TOO_LARGE,
		             "the message is larger than %d MB", RTLS_DSN_MAX_INPUT / 1024 / 1024);
		return NULL;
	}
	if (!rtls_dsn_looks_like_report (data, len)) {
		g_set_error_literal (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_NOT_DSN,
		                     "not a multipart/report");
		return NULL;
	}
	if (mailmime_parse (data, len, &idx, &mime) != MAILIMF_NO_ERROR || mime == NULL) {
		g_set_error_literal (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_MALFORMED,
		                     "the MIME structure cannot be read");
		return NULL;
	}
	dsn = g_new0 (RtlsDsn, 1);
	dsn->recipients = g_ptr_array_new_with_free_func (recipient_free);
	dsn->warnings = g_ptr_array_new_with_free_func (g_free);

	body = mime->mm_type == MAILMIME_MESSAGE ? mime->mm_data.mm_message.mm_msg_mime : mime;
	if (body != NULL && body->mm_type == MAILMIME_MULTIPLE
	    && content_is (body->mm_content_type, "multipart", "mixed")) {
		/* RFC 6522 §1: a report need not be the outermost part. A gateway or list
		 * server puts it first in a multipart/mixed with a footer: look there, one
		 * level only, and never inside a message/rfc822 (a forwarded bounce is about
		 * someone else's message). */
		clistiter *first = clist_begin (body->mm_data.mm_multipart.mm_mp_list);
		const struct mailmime *inner = first != NULL ? clist_content (first) : NULL;
		if (inner == NULL || inner->mm_type != MAILMIME_MULTIPLE
		    || !content_is (inner->mm_content_type, "multipart", "report")) {
			g_set_error_literal (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_NOT_DSN,
			                     "a multipart/mixed whose first part is no report");
			goto out;
		}
		body = inner;
		dsn->nested = TRUE;
		warn (dsn, "the report is the first part of a multipart/mixed");
	}
	if (body == NULL || body->mm_type != MAILMIME_MULTIPLE
	    || !content_is (body->mm_content_type, "multipart", "report")) {
		g_set_error_literal (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_MALFORMED,
		                     "multipart/report without parts");
		goto out;
	}
	report_type = content_param (body->mm_content_type, "report-type");
	if (report_type == NULL) {
		/* RFC 6522 §3: the parameter is required; without it nothing says what kind of
		 * report this is, so it is not read as a delivery report */
		g_set_error_literal (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_NOT_DSN,
		                     "a multipart/report without report-type");
		goto out;
	} else if (g_ascii_strcasecmp (report_type, "delivery-status") != 0
	           && g_ascii_strcasecmp (report_type, "global-delivery-status") != 0) {
		/* RFC 6522 reports of other kinds (feedback, disposition): not a DSN */
		g_set_error (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_NOT_DSN,
		             "a report of another type (%s)", report_type);
		goto out;
	}
	/* RFC 6522 §3: the human-readable part, the machine-readable one, then optionally the
	 * original or its headers. Be lenient about order; take the first of each. */
	for (clistiter *it = clist_begin (body->mm_data.mm_multipart.mm_mp_list); it != NULL;
	     it = clist_next (it), index++) {
		const struct mailmime *part = clist_content (it);
		const struct mailmime_content *ct = part->mm_content_type;
		if (status_part == NULL && is_status_part (ct)) {
			status_part = part;
			if (index != 1)
				warn (dsn, "the delivery status is part %u, not part 2", index + 1);
		} else if (returned == NULL && status_part != NULL
		           && (content_is (ct, "text", "rfc822-headers")
		               || content_is (ct, "message", "global-headers")
		               || content_is (ct, "message", "rfc822")
		               || content_is (ct, "message", "global"))) {
			returned = part;
		}
	}
	if (status_part == NULL) {
		g_set_error_literal (error, RTLS_DSN_ERROR, RTLS_DSN_ERROR_MALFORMED,
		                     "no message/delivery-status part");
		goto out;
	}
	{
		g_autoptr (GBytes) b = part_body (status_part, RTLS_DSN_MAX_STATUS_PART,
		                                  &dsn->status_truncated, error);
		gsize blen = 0;
		const char *bdata;
		if (b == NULL)
			goto out;
		bdata = g_bytes_get_data (b, &blen);
		if (!parse_status_part (dsn, bdata != NULL ? bdata : "", blen, error))
			goto out;
	}
	if (returned != NULL) {
		dsn->returned = TRUE;
		if (returned->mm_type == MAILMIME_MESSAGE) {
			/* message/rfc822: the whole original came back; read its header block */
			dsn->returned_full = TRUE;
			if (returned->mm_body != NULL
			    && returned->mm_body->dt_type == MAILMIME_DATA_TEXT) {
				const char *start = returned->mm_body->dt_data.dt_text.dt_data;
				gsize blen = returned->mm_body->dt_data.dt_text.dt_length;
				original_raw_fields (dsn, start,
				                     header_block_len (start, blen, 256 * 1024));
			}
		} else {
			g_autoptr (GError) e = NULL;
			g_autoptr (GBytes) b = part_body (returned, 4 * 1024 * 1024, NULL, &e);
			if (b != NULL) {
				gsize blen = 0;
				const char *bdata = g_bytes_get_data (b, &blen);
				original_raw_fields (dsn, bdata != NULL ? bdata : "", blen);
			} else {
				warn (dsn, "the returned headers cannot be read: %s", e->message);
			}
		}
	} else {
		warn (dsn, "no returned headers");
	}
	ok = TRUE;
out:
	mailmime_free (mime);
	return ok ? g_steal_pointer (&dsn) : NULL;
}

/* ------------------------------------------------------------------ explanations */

/* How a code is read: by its own class, or as the report's Action says (a class-4 code in a
 * failed report is the last reply before the MTA gave up: never "still trying"; a class-5
 * code in a delayed one is what the MTA is still retrying after). */
typedef enum { EXPLAIN_BY_CLASS, EXPLAIN_FAILED, EXPLAIN_DELAYED } ExplainAs;

static gchar *
explain_code (const char *status, ExplainAs as)
{
	/* RFC 3463 §3, RFC 8689 §5, RFC 7672 */
	static const struct {
		const char *code;
		const char *text;
	} exact[] = {
		{ "X.7.30", N_ ("a server on the path does not support REQUIRETLS, so the message "
		                "was not passed on (TLS is requested on every hop)") },
		{ "X.7.10", N_ ("TLS could not be established or verified with a server on the "
		                "path, so the message was not passed on") },
		{ "X.7.1",
		  N_ ("delivery not authorised: the receiving system refused the message") },
		{ "X.7.26",
		  N_ ("the message failed the receiving system's authentication checks") },
		{ "X.1.1", N_ ("the recipient's mailbox does not exist") },
		{ "X.1.2", N_ ("the recipient's domain does not exist or does not accept mail") },
		{ "X.1.10", N_ ("the recipient's domain accepts no mail (null MX)") },
		{ "X.2.1", N_ ("the recipient's mailbox is disabled") },
		{ "X.2.2", N_ ("the recipient's mailbox is full") },
		{ "X.3.4", N_ ("the message is too large for the receiving system") },
		{ "X.4.1", N_ ("the receiving server did not answer") },
		{ "X.4.4", N_ ("no mail server could be found for the recipient's domain") },
		{ "X.4.7", N_ ("delivery took too long and was given up") },
		{ "X.7.0", N_ ("refused for a security or policy reason") },
	};
	static const char *const subjects[] = {
		N_ ("a problem not further described"),
		N_ ("a problem with the address"),
		N_ ("a problem with the recipient's mailbox"),
		N_ ("a problem with the receiving mail system"),
		N_ ("a problem with the network or routing"),
		N_ ("a problem with the mail delivery protocol"),
		N_ ("a problem with the message's content or format"),
		N_ ("a security or policy problem"),
	};
	g_autofree gchar *norm = rtls_dsn_normalise_status (status);
	guint cls, subj, detail;
	const char *prefix;
	g_autofree gchar *generic = NULL;

	if (norm == NULL) {
		if (status != NULL && strlen (status) == 3 && g_ascii_isdigit (status[0]))
			return g_strdup_printf (
			        status[0] == '4'   ? _ ("temporary failure (reply %s)")
			        : status[0] == '5' ? _ ("permanent failure (reply %s)")
			                           : _ ("reply %s"),
			        status);
		return g_strdup (_ ("no status was given"));
	}
	if (sscanf (norm, "%u.%u.%u", &cls, &subj, &detail) != 3)
		return g_strdup (_ ("no status was given"));
	if (as == EXPLAIN_FAILED && cls == 4)
		cls = 5;
	else if (as == EXPLAIN_DELAYED && cls == 5)
		cls = 4;
	for (gsize i = 0; i < G_N_ELEMENTS (exact); i++) {
		g_autofree gchar *x = g_strdup_printf ("X.%u.%u", subj, detail);
		if (g_str_equal (exact[i].code, x)) {
			if (cls == 4)
				return g_strdup_printf (_ ("delayed, still trying: %s"),
				                        _ (exact[i].text));
			if (cls == 2)
				return g_strdup (_ ("delivered"));
			return g_strdup (_ (exact[i].text));
		}
	}
	if (cls == 2)
		return g_strdup (_ ("delivered"));
	generic = g_strdup (subj < G_N_ELEMENTS (subjects) ? _ (subjects[subj])
	                                                   : _ ("a problem of an unknown kind"));
	prefix = cls == 4 ? _ ("delayed, still trying") : _ ("failed for good");
	return g_strdup_printf ("%s: %s (%s)", prefix, generic, norm);
}

gchar *
rtls_dsn_explain_status (const char *status)
{
	return explain_code (status, EXPLAIN_BY_CLASS);
}

/* Words an MTA uses when REQUIRETLS itself failed, for reports whose Status says nothing
 * beyond its class. Postfix 3.11+ (its REQUIRETLS_README): "Sender requested REQUIRETLS, but
 * no server was found that supports REQUIRETLS". Matched as "REQUIRETLS" (the extension's
 * name, RFC 8689 §2) in the MTA's own diagnostic or the server's reply. */
static gboolean
diagnostic_names_requiretls (const char *diag)
{
	g_autofree gchar *up = diag != NULL ? g_ascii_strup (diag, -1) : NULL;

	return up != NULL && strstr (up, "REQUIRETLS") != NULL;
}

gboolean
rtls_dsn_recipient_is_requiretls (const RtlsDsnRecipient *r)
{
	const char *s;

	if (r == NULL || r->status_malformed != NULL)
		return FALSE;
	if (r->action != RTLS_DSN_ACTION_FAILED && r->action != RTLS_DSN_ACTION_DELAYED
	    && r->action != RTLS_DSN_ACTION_UNKNOWN)
		return FALSE; /* a confirmation is never a failure */
	s = r->effective_status;
	if (rtls_dsn_status_is_requiretls (s))
		return TRUE;
	/* no code, or one that says only its class: the MTA's words decide */
	return (s == NULL || g_str_has_suffix (s, ".0.0"))
	       && diagnostic_names_requiretls (r->diagnostic);
}

gchar *
rtls_dsn_explain_recipient (const RtlsDsnRecipient *r)
{
	const char *eff = r->effective_status;
	gboolean delayed
	        = r->action == RTLS_DSN_ACTION_DELAYED
	          || (r->action == RTLS_DSN_ACTION_UNKNOWN && eff != NULL && eff[0] == '4');

	switch (r->action) {
	case RTLS_DSN_ACTION_DELIVERED:
		return g_strdup (_ ("delivered"));
	case RTLS_DSN_ACTION_EXPANDED:
		/* RFC 3464 §2.3.3: delivered, then forwarded to several addresses */
		return g_strdup (_ ("delivered to a list or alias, which passed it on"));
	case RTLS_DSN_ACTION_RELAYED:
		return g_strdup (_ ("passed on to a system that sends no further reports"));
	default:
		break;
	}
	if (r->status_malformed != NULL)
		return g_strdup_printf (r->action == RTLS_DSN_ACTION_DELAYED
		                                ? _ ("delayed; the report's status code “%s” is "
		                                     "not a valid one, so the cause is unknown")
		                                : _ ("not delivered; the report's status code "
		                                     "“%s” is not a valid one, so the cause is "
		                                     "unknown"),
		                        r->status_malformed);
	if ((eff == NULL || g_str_has_suffix (eff, ".0.0")) && rtls_dsn_recipient_is_requiretls (r))
		/* no code, or only its class, and the MTA's words name REQUIRETLS: the words
		 * are the cause (Postfix: "no server was found that supports REQUIRETLS") */
		return explain_code ("5.7.30", delayed ? EXPLAIN_DELAYED : EXPLAIN_FAILED);
	if (r->gave_up) {
		/* Action failed after a temporary reply: the retry time ran out */
		g_autofree gchar *words = explain_code (r->effective_status, EXPLAIN_FAILED);
		/* TRANSLATORS: "gave up after: 4.7.30 — a server on the path does not …" */
		return g_strdup_printf (_ ("gave up after: %s — %s"), r->effective_status, words);
	}
	if (r->action == RTLS_DSN_ACTION_FAILED && r->effective_status != NULL
	    && r->effective_status[0] == '2')
		return g_strdup_printf (_ ("not delivered (the report's status %s contradicts it)"),
		                        r->effective_status);
	if (r->action == RTLS_DSN_ACTION_DELAYED)
		return explain_code (r->effective_status, EXPLAIN_DELAYED);
	return rtls_dsn_explain_status (r->effective_status);
}

/* RFC 822 §3.3: atom = 1*<any CHAR except specials, SPACE and CTLs>, specials =
 * ( ) < > @ , ; : \ " . [ ] */
static gboolean
server_words_atom_char (char c)
{
	return c > ' ' && c < 127 && strchr ("()<>@,;:\\\".[]", c) == NULL;
}

const char *
rtls_dsn_server_words (const char *diag)
{
	const char *p = diag, *atom;

	if (diag == NULL)
		return "";
	while (*p == ' ' || *p == '\t')
		p++;
	atom = p;
	while (server_words_atom_char (*p))
		p++;
	if (p == atom)
		return diag; /* "; x": no type, so nothing is the type */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != ';')
		return diag; /* no type, or more than one word before the ";" */
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}
