/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-headers.c: libFuzzer target for the message handed to the helper: loading (header
 * block, body scan), header parsing, recipients for -t (To/Cc/Bcc, Resent-), the sender,
 * the edits of every submission (Bcc removed, TLS-Required) and address lists.
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "codec.h"
#include "message.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
fuzz_headers (RtlsHeaders *h)
{
	GPtrArray *rcpts = g_ptr_array_new_with_free_func (g_free);
	GError *error = NULL;
	gboolean resent = FALSE;
	gchar *sender, *block;
	gsize len = 0;

	(void) rtls_headers_recipients (h, rcpts, &resent, &error);
	g_clear_error (&error);
	for (guint i = 0; i < rcpts->len; i++)
		(void) rtls_mailbox_valid (g_ptr_array_index (rcpts, i), NULL);
	g_ptr_array_unref (rcpts);
	sender = rtls_headers_sender (h, &error);
	g_clear_error (&error);
	g_free (sender);
	for (int policy = RTLS_TLS_POLICY_DEFAULT; policy <= RTLS_TLS_POLICY_NO_REQUIRE; policy++) {
		RtlsHeaders *copy;
		block = rtls_headers_serialize (h, &len);
		copy = rtls_headers_parse (block, len - 2, &error); /* without the empty line */
		g_clear_error (&error);
		g_free (block);
		if (copy == NULL)
			continue;
		rtls_headers_prepare_for_submission (copy, (RtlsTlsPolicy) policy, resent);
		/* Bcc never leaves; with REQUIRE no TLS-Required; with NO_REQUIRE exactly one. */
		if (rtls_headers_count (copy, "Bcc") != 0
		    || (policy == RTLS_TLS_POLICY_REQUIRE
		        && rtls_headers_count (copy, "TLS-Required") != 0)
		    || (policy == RTLS_TLS_POLICY_NO_REQUIRE
		        && rtls_headers_count (copy, "TLS-Required") != 1))
			__builtin_trap ();
		rtls_headers_free (copy);
	}
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	GError *error = NULL;
	RtlsMessage *m;
	GPtrArray *list;
	gchar *text;
	int fd = memfd_create ("fuzz-message", MFD_CLOEXEC);

	/* The message as the helper loads it from a regular file (stdin < file). */
	if (fd >= 0) {
		if (write (fd, data, size) == (ssize_t) size && lseek (fd, 0, SEEK_SET) == 0) {
			m = rtls_message_load (fd, &error);
			g_clear_error (&error);
			if (m != NULL) {
				if (m->body_crlf > m->body_lf || m->body_crlf > m->body_cr)
					__builtin_trap ();
				fuzz_headers (m->headers);
				rtls_message_free (m);
			}
		}
		close (fd);
	}
	/* The whole input as one address list (a command-line recipient, -f). */
	text = g_strndup ((const char *) data, size);
	list = g_ptr_array_new_with_free_func (g_free);
	(void) rtls_address_list_parse (text, list, &error);
	g_clear_error (&error);
	g_ptr_array_unref (list);
	g_free (text);
	return 0;
}
