/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * message.c: header parsing and editing, recipients via libetpan's mailimf parser, and
 * loading a message from a file descriptor with the body kept in a file.
 */
#include "config.h"

#include <errno.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libetpan/libetpan.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "errors.h"
#include "message.h"

#define RTLS_MESSAGE_CHUNK (64 * 1024)

static void
header_field_free (gpointer p)
{
	RtlsHeaderField *f = p;
	g_free (f->name);
	g_free (f->value);
	g_free (f);
}

void
rtls_headers_free (RtlsHeaders *headers)
{
	if (headers == NULL)
		return;
	g_ptr_array_unref (headers->fields);
	g_free (headers);
}

static gboolean
message_fail (GError **error, const char *what, guint lineno)
{
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE, _ ("bad message header (line %u): %s"),
	             lineno, what);
	return FALSE;
}

/* RFC 2045 2.7 and 2.8: neither 7bit nor 8bit data may hold a NUL, and SMTP offers no
 * other way for it here (BINARYMIME is not used): one sentence for header and body. */
static gboolean
message_nul_error (GError **error)
{
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
	             _ ("the message contains a NUL byte, which mail cannot carry (RFC 2045 "
	                "2.8); nothing was sent"));
	return FALSE;
}

RtlsHeaders *
rtls_headers_parse (const char *block, gsize len, GError **error)
{
	g_autoptr (RtlsHeaders) h = g_new0 (RtlsHeaders, 1);
	const char *p = block, *end = block + len;
	guint lineno = 0;

	h->fields = g_ptr_array_new_with_free_func (header_field_free);
	if (memchr (block, '\0', len) != NULL) {
		message_nul_error (error);
		return NULL;
	}
	while (p < end) {
		const char *nl = memchr (p, '\n', (gsize) (end - p));
		const char *eol = nl != NULL ? nl : end;
		gsize linelen;

		lineno++;
		if (eol > p && eol[-1] == '\r' && nl != NULL)
			eol--;
		linelen = (gsize) (eol - p);
		if (linelen > RTLS_HEADER_MAX_LINE) {
			message_fail (error, _ ("line longer than 998 characters (RFC 5322 2.1.1)"),
			              lineno);
			return NULL;
		}
		if (memchr (p, '\r', linelen) != NULL) {
			message_fail (error, _ ("bare CR"), lineno);
			return NULL;
		}
		if (lineno == 1 && linelen >= 5 && memcmp (p, "From ", 5) == 0) {
			/* mbox "From " line: not a header field */
		} else if (linelen > 0 && (*p == ' ' || *p == '\t')) {
			RtlsHeaderField *last;
			gchar *joined;

			if (h->fields->len == 0) {
				message_fail (error, _ ("continuation line before any field"),
				              lineno);
				return NULL;
			}
			last = g_ptr_array_index (h->fields, h->fields->len - 1);
			joined = g_strdup_printf ("%s\r\n%.*s", last->value, (int) linelen, p);
			g_free (last->value);
			last->value = joined;
		} else {
			const char *colon = memchr (p, ':', linelen);
			RtlsHeaderField *f;

			if (colon == NULL || colon == p) {
				message_fail (error, _ ("not a header field"), lineno);
				return NULL;
			}
			/* RFC 5322 3.6.8: ftext = %d33-57 / %d59-126 */
			for (const char *c = p; c < colon; c++) {
				if ((guchar) *c < 33 || (guchar) *c > 126) {
					message_fail (error, _ ("bad character in a field name"),
					              lineno);
					return NULL;
				}
			}
			f = g_new0 (RtlsHeaderField, 1);
			f->name = g_strndup (p, (gsize) (colon - p));
			f->value = g_strndup (colon + 1, (gsize) (eol - colon - 1));
			g_ptr_array_add (h->fields, f);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (h->fields->len == 0) {
		message_fail (error, _ ("no header fields"), lineno);
		return NULL;
	}
	return g_steal_pointer (&h);
}

guint
rtls_headers_count (const RtlsHeaders *headers, const char *name)
{
	guint n = 0;
	for (guint i = 0; i < headers->fields->len; i++) {
		const RtlsHeaderField *f = g_ptr_array_index (headers->fields, i);
		n += g_ascii_strcasecmp (f->name, name) == 0;
	}
	return n;
}

const char *
rtls_headers_get (const RtlsHeaders *headers, const char *name)
{
	for (guint i = 0; i < headers->fields->len; i++) {
		const RtlsHeaderField *f = g_ptr_array_index (headers->fields, i);
		if (g_ascii_strcasecmp (f->name, name) == 0)
			return f->value;
	}
	return NULL;
}

guint
rtls_headers_remove (RtlsHeaders *headers, const char *name)
{
	guint n = 0;
	for (guint i = headers->fields->len; i > 0; i--) {
		const RtlsHeaderField *f = g_ptr_array_index (headers->fields, i - 1);
		if (g_ascii_strcasecmp (f->name, name) == 0) {
			g_ptr_array_remove_index (headers->fields, i - 1);
			n++;
		}
	}
	return n;
}

void
rtls_headers_append (RtlsHeaders *headers, const char *name, const char *value)
{
	RtlsHeaderField *f = g_new0 (RtlsHeaderField, 1);
	f->name = g_strdup (name);
	f->value = g_strdup (value);
	g_ptr_array_add (headers->fields, f);
}

gchar *
rtls_headers_serialize (const RtlsHeaders *headers, gsize *len)
{
	GString *s = g_string_new (NULL);

	for (guint i = 0; i < headers->fields->len; i++) {
		const RtlsHeaderField *f = g_ptr_array_index (headers->fields, i);
		g_string_append_printf (s, "%s:%s\r\n", f->name, f->value);
	}
	g_string_append (s, "\r\n");
	if (len != NULL)
		*len = s->len;
	return g_string_free (s, FALSE);
}

void
rtls_headers_prepare_for_submission (RtlsHeaders *headers, RtlsTlsPolicy policy, gboolean resent)
{
	/* sendmail -t: blind copies are not shown to anyone. */
	rtls_headers_remove (headers, "Bcc");
	if (resent)
		rtls_headers_remove (headers, "Resent-Bcc");
	/* The plugin's private marker and Postfix's internal one never travel. */
	rtls_headers_remove (headers, "X-RequireTLS-Request");
	rtls_headers_remove (headers, "Require-TLS-ESMTP");
	switch (policy) {
	case RTLS_TLS_POLICY_REQUIRE:
		/* RFC 8689 4.1 / DESIGN §1: never TLS-Required: No with REQUIRETLS. */
		rtls_headers_remove (headers, "TLS-Required");
		break;
	case RTLS_TLS_POLICY_NO_REQUIRE:
		/* RFC 8689 5: exactly one "TLS-Required: No". */
		rtls_headers_remove (headers, "TLS-Required");
		rtls_headers_append (headers, "TLS-Required", " No");
		break;
	case RTLS_TLS_POLICY_DEFAULT:
	default:
		break;
	}
}

/* Removes the CRLF of folded lines (RFC 5322 2.2.3); the whitespace stays. */
static gchar *
message_unfold (const char *value)
{
	GString *s = g_string_new (NULL);
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		g_string_append_c (s, *p);
	}
	return g_string_free (s, FALSE);
}

static gboolean
message_blank (const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return FALSE;
	return TRUE;
}

/* The parser must have consumed everything but trailing whitespace. */
static gboolean
message_parsed_all (const char *text, gsize len, gsize idx)
{
	return idx <= len && message_blank (text + idx);
}

/* libetpan is lenient: it returns "<broken" as an addr-spec and drops spaces inside a
 * quoted local part ("john doe"@x becomes "johndoe"@x, another mailbox). Accept only
 * local@domain with both parts present, a plain domain or domain literal, and a result that
 * stands verbatim in what was parsed, so a recipient is never silently changed. */
static gboolean
message_addr_spec_ok (const char *spec, const char *source)
{
	const char *at = spec != NULL ? strrchr (spec, '@') : NULL;
	const char *dom;

	if (at == NULL || at == spec || at[1] == '\0' || strstr (source, spec) == NULL)
		return FALSE;
	for (const char *c = spec; c < at; c++)
		if ((guchar) *c < 32 || *c == '<' || *c == '>')
			return FALSE;
	dom = at + 1;
	if (*dom == '[')
		return dom[strlen (dom) - 1] == ']';
	for (const char *c = dom; *c; c++)
		if ((guchar) *c <= 32 || strchr ("<>()[]\\,;:\"@", *c) != NULL)
			return FALSE;
	return TRUE;
}

static gboolean
message_add_spec (const char *spec, const char *source, GPtrArray *out)
{
	if (!message_addr_spec_ok (spec, source))
		return FALSE;
	g_ptr_array_add (out, g_strdup (spec));
	return TRUE;
}

static gboolean
message_add_mailbox_list (struct mailimf_mailbox_list *list, const char *source, GPtrArray *out)
{
	if (list == NULL)
		return TRUE;
	for (clistiter *it = clist_begin (list->mb_list); it != NULL; it = clist_next (it)) {
		struct mailimf_mailbox *mb = clist_content (it);
		if (mb == NULL || !message_add_spec (mb->mb_addr_spec, source, out))
			return FALSE;
	}
	return TRUE;
}

gboolean
rtls_address_list_parse (const char *text, GPtrArray *out, GError **error)
{
	g_autofree gchar *flat = message_unfold (text != NULL ? text : "");
	struct mailimf_address_list *list = NULL;
	gsize len = strlen (flat), idx = 0;
	int r;

	if (message_blank (flat)) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE, _ ("empty address list"));
		return FALSE;
	}
	r = mailimf_address_list_parse (flat, len, &idx, &list);
	if (r != MAILIMF_NO_ERROR || list == NULL || !message_parsed_all (flat, len, idx)) {
		if (list != NULL)
			mailimf_address_list_free (list);
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("not a valid address list: %s"), flat);
		return FALSE;
	}
	for (clistiter *it = clist_begin (list->ad_list); it != NULL; it = clist_next (it)) {
		struct mailimf_address *a = clist_content (it);
		gboolean good;

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX)
			good = message_add_spec (a->ad_data.ad_mailbox->mb_addr_spec, flat, out);
		else
			good = message_add_mailbox_list (a->ad_data.ad_group->grp_mb_list, flat,
			                                 out);
		if (!good) {
			mailimf_address_list_free (list);
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
			             _ ("not a usable address (local@domain): %s"), flat);
			return FALSE;
		}
	}
	mailimf_address_list_free (list);
	return TRUE;
}

static gboolean
message_collect (const RtlsHeaders *h, const char *const *names, GPtrArray *out, GError **error)
{
	for (guint i = 0; i < h->fields->len; i++) {
		const RtlsHeaderField *f = g_ptr_array_index (h->fields, i);
		g_autoptr (GPtrArray) found = NULL;

		if (!g_strv_contains (names, f->name)) {
			gboolean match = FALSE;
			for (guint n = 0; names[n] != NULL && !match; n++)
				match = g_ascii_strcasecmp (names[n], f->name) == 0;
			if (!match)
				continue;
		}
		if (message_blank (f->value))
			continue;
		found = g_ptr_array_new_with_free_func (g_free);
		if (!rtls_address_list_parse (f->value, found, error)) {
			g_prefix_error (error, "%s: ", f->name);
			return FALSE;
		}
		for (guint k = 0; k < found->len; k++) {
			const char *a = g_ptr_array_index (found, k);
			gboolean dup = FALSE;
			for (guint j = 0; j < out->len && !dup; j++)
				dup = g_ascii_strcasecmp (a, g_ptr_array_index (out, j)) == 0;
			if (!dup)
				g_ptr_array_add (out, g_strdup (a));
		}
	}
	return TRUE;
}

gboolean
rtls_headers_recipients (const RtlsHeaders *headers, GPtrArray *out, gboolean *resent,
                         GError **error)
{
	static const char *const plain[] = { "To", "Cc", "Bcc", NULL };
	static const char *const re[] = { "Resent-To", "Resent-Cc", "Resent-Bcc", NULL };
	gboolean is_resent = FALSE;

	for (guint i = 0; re[i] != NULL; i++)
		is_resent = is_resent || rtls_headers_get (headers, re[i]) != NULL;
	if (resent != NULL)
		*resent = is_resent;
	return message_collect (headers, is_resent ? re : plain, out, error);
}

gchar *
rtls_headers_sender (const RtlsHeaders *headers, GError **error)
{
	const char *sender = rtls_headers_get (headers, "Sender");
	const char *from = rtls_headers_get (headers, "From");
	g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

	if (sender != NULL && rtls_address_list_parse (sender, found, NULL) && found->len == 1)
		return g_strdup (g_ptr_array_index (found, 0));
	g_ptr_array_set_size (found, 0);
	if (from != NULL && rtls_address_list_parse (from, found, NULL) && found->len >= 1)
		return g_strdup (g_ptr_array_index (found, 0));
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
	             _ ("no usable From: or Sender: address in the message"));
	return NULL;
}

void
rtls_message_free (RtlsMessage *msg)
{
	if (msg == NULL)
		return;
	rtls_headers_free (msg->headers);
	if (msg->body_fd >= 0)
		close (msg->body_fd);
	g_free (msg);
}

/* Flags of the previous scan call's last byte, for pairs split across calls. */
static void
message_scan_scalar (RtlsMessage *m, const guchar *p, gsize len, guint64 *lf, guint64 *cr,
                     guint64 *crlf, guint64 *dots, guchar *hi, gboolean *nul, int prev)
{
	for (gsize i = 0; i < len; i++) {
		guchar ch = p[i];
		*hi |= ch;
		*nul = *nul || ch == 0;
		*lf += ch == '\n';
		*cr += ch == '\r';
		*crlf += ch == '\n' && prev == '\r';
		*dots += ch == '.' && prev == '\n';
		prev = ch;
	}
}

/* One pass over body bytes: 8-bit, NUL, and the line ends and leading dots the encoder
 * would rewrite. Sixteen bytes at a time with SSE2 (compare, movemask, popcount); most
 * blocks of text hold no line end and cost five compares. */
static void
message_scan (RtlsMessage *m, const guchar *p, gsize len)
{
	guint64 lf = 0, cr = 0, crlf = 0, dots = 0;
	guchar hi = 0;
	gboolean nul = FALSE;
	int prev = m->body_last < 0 ? '\n' : m->body_last; /* the body starts a line */
	gsize i = 0;

	if (len == 0)
		return;
#ifdef __SSE2__
	{
		const __m128i vlf = _mm_set1_epi8 ('\n'), vcr = _mm_set1_epi8 ('\r');
		const __m128i vdot = _mm_set1_epi8 ('.'), vzero = _mm_setzero_si128 ();
		unsigned int carry_lf = prev == '\n', carry_cr = prev == '\r', mhi = 0, mnul = 0;

		for (; i + 16 <= len; i += 16) {
			__m128i v = _mm_loadu_si128 ((const __m128i *) (p + i));
			unsigned int mlf
			        = (unsigned int) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, vlf));
			unsigned int mcr
			        = (unsigned int) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, vcr));
			unsigned int mdot
			        = (unsigned int) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, vdot));

			mhi |= (unsigned int) _mm_movemask_epi8 (v);
			mnul |= (unsigned int) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, vzero));
			if ((mlf | mcr) != 0 || ((carry_lf & mdot) | (carry_cr & mlf)) != 0) {
				lf += (guint64) __builtin_popcount (mlf);
				cr += (guint64) __builtin_popcount (mcr);
				crlf += (guint64) __builtin_popcount (((mcr << 1) | carry_cr)
				                                      & mlf);
				dots += (guint64) __builtin_popcount (((mlf << 1) | carry_lf)
				                                      & mdot);
			}
			carry_lf = (mlf >> 15) & 1;
			carry_cr = (mcr >> 15) & 1;
		}
		hi = mhi != 0 ? 0x80 : 0;
		nul = mnul != 0;
		if (i > 0)
			prev = p[i - 1];
	}
#endif
	message_scan_scalar (m, p + i, len - i, &lf, &cr, &crlf, &dots, &hi, &nul, prev);
	m->body_8bit = m->body_8bit || (hi & 0x80) != 0;
	m->body_nul = m->body_nul || nul;
	m->body_lf += lf;
	m->body_cr += cr;
	m->body_crlf += crlf;
	m->body_dots += dots;
	m->body_last = p[len - 1];
}

gboolean
rtls_message_body_clean (const RtlsMessage *m, gboolean dot_stuff)
{
	/* Every line ends in CRLF, the last one too, and (for DATA) none starts with a dot:
	 * the encoder would copy the body unchanged. */
	if (m->body_size == 0)
		return TRUE;
	return m->body_lf == m->body_crlf && m->body_cr == m->body_crlf && m->body_last == '\n'
	       && (!dot_stuff || m->body_dots == 0);
}

const char *
rtls_message_body_window (const RtlsMessage *m, guint64 pos, gsize max, gsize *len,
                          RtlsBodyWindow *win, GError **error)
{
	static gsize page = 0;
	goffset off, aligned;
	gsize n;
	void *base;

	win->base = NULL;
	win->size = 0;
	*len = 0;
	if (pos >= m->body_size)
		return NULL;
	if (page == 0)
		page = (gsize) sysconf (_SC_PAGESIZE);
	n = (gsize) MIN ((guint64) max, m->body_size - pos);
	off = m->body_offset + (goffset) pos;
	aligned = off - off % (goffset) page;
	base = mmap (NULL, n + (gsize) (off - aligned), PROT_READ, MAP_PRIVATE | MAP_POPULATE,
	             m->body_fd, (off_t) aligned);
	if (base == MAP_FAILED) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot read the message: %s"),
		             g_strerror (errno));
		return NULL;
	}
	madvise (base, n + (gsize) (off - aligned), MADV_SEQUENTIAL | MADV_WILLNEED);
	win->base = base;
	win->size = n + (gsize) (off - aligned);
	*len = n;
	return (const char *) base + (off - aligned);
}

void
rtls_body_window_release (RtlsBodyWindow *win)
{
	if (win->base != NULL)
		munmap (win->base, win->size);
	win->base = NULL;
	win->size = 0;
}

guint64
rtls_message_body_size_crlf (const RtlsMessage *m)
{
	guint64 n = m->body_size + (m->body_lf - m->body_crlf) + (m->body_cr - m->body_crlf);

	if (m->body_last >= 0 && m->body_last != '\n' && m->body_last != '\r')
		n += 2;
	return n;
}

static gssize
message_read (int fd, char *buf, gsize len)
{
	for (;;) {
		ssize_t r = read (fd, buf, len);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static int
message_spool_open (GError **error)
{
	const char *dir = g_get_tmp_dir ();
	g_autofree gchar *tmpl = NULL;
	int fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	tmpl = g_build_filename (dir, "requiretls-XXXXXX", NULL);
	fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
		             _ ("cannot create a spool file in %s: %s"), dir, g_strerror (errno));
		return -1;
	}
	g_unlink (tmpl);
	return fd;
}

/* Position of the first byte after the empty line that ends the header block, with
 * *hdr_len set to the header block length; -1 if not (yet) found. */
static gssize
message_find_body (const char *buf, gsize len, gsize *hdr_len)
{
	if (len > 0 && buf[0] == '\n') {
		*hdr_len = 0;
		return 1;
	}
	if (len > 1 && buf[0] == '\r' && buf[1] == '\n') {
		*hdr_len = 0;
		return 2;
	}
	for (const char *p = buf; (p = memchr (p, '\n', len - (gsize) (p - buf))) != NULL; p++) {
		gsize i = (gsize) (p - buf);
		if (i + 1 < len && buf[i + 1] == '\n') {
			*hdr_len = i + 1;
			return (gssize) (i + 2);
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			*hdr_len = i + 1;
			return (gssize) (i + 3);
		}
	}
	return -1;
}

RtlsMessage *
rtls_message_load (int fd, GError **error)
{
	g_autoptr (RtlsMessage) m = g_new0 (RtlsMessage, 1);
	g_autoptr (GByteArray) buf = g_byte_array_new ();
	g_autofree char *chunk = g_malloc (RTLS_MESSAGE_CHUNK);
	struct stat st;
	off_t start = -1;
	gssize body_start = -1;
	gsize hdr_len = 0;
	gboolean eof = FALSE;

	m->body_fd = -1;
	m->body_last = -1;
	if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
		start = lseek (fd, 0, SEEK_CUR);

	/* The header block, bounded. */
	while (body_start < 0 && !eof) {
		gssize r = message_read (fd, chunk, RTLS_MESSAGE_CHUNK);
		if (r < 0) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
			             _ ("cannot read the message: %s"), g_strerror (errno));
			return NULL;
		}
		if (r == 0) {
			eof = TRUE;
			break;
		}
		g_byte_array_append (buf, (guint8 *) chunk, (guint) r);
		body_start = message_find_body ((const char *) buf->data, buf->len, &hdr_len);
		if (body_start < 0 && buf->len > RTLS_HEADERS_MAX_BYTES) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
			             _ ("the message header is larger than %d bytes"),
			             RTLS_HEADERS_MAX_BYTES);
			return NULL;
		}
	}
	if (buf->len == 0) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE, _ ("the message is empty"));
		return NULL;
	}
	if (body_start < 0) { /* no empty line: all header, empty body */
		hdr_len = buf->len;
		body_start = (gssize) buf->len;
	}
	if (hdr_len > RTLS_HEADERS_MAX_BYTES) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_MESSAGE,
		             _ ("the message header is larger than %d bytes"),
		             RTLS_HEADERS_MAX_BYTES);
		return NULL;
	}
	for (gsize i = 0; i < hdr_len; i++)
		if (buf->data[i] & 0x80)
			m->headers_8bit = TRUE;
	m->headers = rtls_headers_parse ((const char *) buf->data, hdr_len, error);
	if (m->headers == NULL)
		return NULL;

	if (start >= 0) {
		/* A regular file: read the body in place. */
		guint64 pos = 0;
		m->body_fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
		if (m->body_fd < 0) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, "dup: %s",
			             g_strerror (errno));
			return NULL;
		}
		m->body_offset = (goffset) start + body_start;
		m->body_size = (guint64) MAX (st.st_size - m->body_offset, 0);
		/* Scanned in place through a mapping: the page cache is read once, and the
		 * same pages go out when the message is sent. */
		while (pos < m->body_size) {
			RtlsBodyWindow win;
			gsize n = 0;
			const char *p = rtls_message_body_window (m, pos, RTLS_BODY_WINDOW, &n,
			                                          &win, NULL);
			gssize r;
			if (p != NULL) {
				message_scan (m, (const guchar *) p, n);
				rtls_body_window_release (&win);
				pos += n;
				continue;
			}
			r = rtls_message_read_body (m, pos, chunk, RTLS_MESSAGE_CHUNK, error);
			if (r < 0)
				return NULL;
			if (r == 0)
				break;
			message_scan (m, (const guchar *) chunk, (gsize) r);
			pos += (guint64) r;
		}
		m->body_size = pos;
		return g_steal_pointer (&m);
	}

	/* A pipe or terminal: spool the body to an anonymous file. */
	m->body_fd = message_spool_open (error);
	if (m->body_fd < 0)
		return NULL;
	m->body_offset = 0;
	if ((gsize) body_start < buf->len) {
		const char *rest = (const char *) buf->data + body_start;
		gsize n = buf->len - (gsize) body_start;
		if (!rtls_write_all (m->body_fd, rest, n))
			goto spool_error;
		message_scan (m, (const guchar *) rest, n);
		m->body_size += n;
	}
	while (!eof) {
		gssize r = message_read (fd, chunk, RTLS_MESSAGE_CHUNK);
		if (r < 0) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
			             _ ("cannot read the message: %s"), g_strerror (errno));
			return NULL;
		}
		if (r == 0)
			break;
		if (!rtls_write_all (m->body_fd, chunk, (gsize) r))
			goto spool_error;
		message_scan (m, (const guchar *) chunk, (gsize) r);
		m->body_size += (guint64) r;
	}
	return g_steal_pointer (&m);

spool_error:
	g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO, _ ("cannot write the spool file: %s"),
	             g_strerror (errno));
	return NULL;
}

gboolean
rtls_message_check (const RtlsMessage *msg, GError **error)
{
	if (msg->body_nul)
		return message_nul_error (error);
	return TRUE;
}

gssize
rtls_message_read_body (const RtlsMessage *msg, guint64 pos, char *buf, gsize len, GError **error)
{
	if (pos >= msg->body_size)
		return 0;
	len = (gsize) MIN ((guint64) len, msg->body_size - pos);
	for (;;) {
		ssize_t r = pread (msg->body_fd, buf, len, msg->body_offset + (off_t) pos);
		if (r >= 0)
			return r;
		if (errno != EINTR) {
			g_set_error (error, RTLS_ERROR, RTLS_ERROR_IO,
			             _ ("cannot read the message: %s"), g_strerror (errno));
			return -1;
		}
	}
}
