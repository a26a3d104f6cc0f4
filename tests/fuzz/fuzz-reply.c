/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-reply.c: libFuzzer target for what a server sends: reply lines (rtls_reply_feed_line)
 * and EHLO capabilities (rtls_caps_parse_ehlo), as the stream layer hands them over.
 */
#include "config.h"

#include <string.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	const char *p = (const char *) data, *end = p + size;
	RtlsReply *reply = rtls_reply_new ();

	/* Lines as stream_read_line() cuts them: up to and including each LF. */
	while (p < end) {
		const char *nl = memchr (p, '\n', (size_t) (end - p));
		size_t len = nl != NULL ? (size_t) (nl - p) + 1 : (size_t) (end - p);
		GError *error = NULL;

		if (!rtls_reply_feed_line (reply, p, len, &error)) {
			g_clear_error (&error);
			rtls_reply_free (reply);
			reply = rtls_reply_new ();
		} else if (reply->complete) {
			RtlsCaps caps = { 0 };
			gchar *text = rtls_reply_text (reply);
			char code[16];
			gsize used = 0;

			if (rtls_caps_parse_ehlo (reply, &caps, &error)) {
				(void) rtls_caps_has_auth (&caps, "PLAIN");
				(void) rtls_caps_has_auth (&caps, "login");
			}
			g_clear_error (&error);
			rtls_caps_clear (&caps);
			(void) rtls_enhanced_code_parse (text, code, &used);
			if (used > strlen (text))
				__builtin_trap ();
			g_free (text);
			rtls_reply_free (reply);
			reply = rtls_reply_new ();
		}
		p += len;
	}
	rtls_reply_free (reply);
	return 0;
}
