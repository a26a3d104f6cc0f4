/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_compat.h: the few differences between the Claws Mail APIs the plugin builds against
 * (4.1.1 as in Debian 12, 4.2.x, 4.3.x as in Debian 13). Everything else is the same source.
 *
 * The plugin is built for exactly one Claws release: struct layouts differ between releases
 * (4.2.0 added PrefsAccount.imap_batch_size in the middle of the struct), so plugin_init()
 * refuses any other Claws through Claws' own check_plugin_version() (RTLS_CLAWS_BUILT_FOR).
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "folder.h"
#include "hooks.h"
#include "procmsg.h"
#include "version.h"

/* meson read the release from claws-mail.pc (RTLS_CLAWS_VERSION_NUMERIC, a plain number for
 * #if); Claws' own headers must be of that same release. */
G_STATIC_ASSERT (VERSION_NUMERIC == RTLS_CLAWS_VERSION_NUMERIC);

#define RTLS_CLAWS_AT_LEAST(a, b, c)                                                               \
	(RTLS_CLAWS_VERSION_NUMERIC >= (((a) << 24) | ((b) << 16) | ((c) << 8)))

/* What plugin_init() gives check_plugin_version() as both the minimum and the compiled
 * version: any other Claws, older or newer, is refused with Claws' own message. */
#define RTLS_CLAWS_BUILT_FOR VERSION_NUMERIC

/* 4.3.0 renamed the hook function type (SylpheedHookFunction → ClawsMailHookFunction). */
#if !RTLS_CLAWS_AT_LEAST(4, 3, 0)
typedef SylpheedHookFunction ClawsMailHookFunction;
#endif

/* Files the plain message (no queue headers) at @file into @outbox, as Claws does with a sent
 * message. 0 on success.
 *
 * Up to 4.3.0 procmsg_save_to_outbox() took "is_queued"; 4.3.1 dropped it and treats every
 * file as a queue entry: it skips lines up to "X-Claws-End-Special-Headers: 1", or up to the
 * first empty line unless a Date:, From:, To: or Subject: line comes first. A plain message is
 * therefore handed to it behind that end marker, so it is saved whole, byte for byte. */
static inline gint
rtls_save_to_outbox (FolderItem *outbox, const gchar *file)
{
#if RTLS_CLAWS_AT_LEAST(4, 3, 1)
	static const char marker[] = "X-Claws-End-Special-Headers: 1\n";
	g_autofree gchar *contents = NULL;
	g_autofree gchar *tmp = NULL;
	gsize len = 0;
	FILE *fp;
	gboolean ok;
	gint fd, ret;

	if (!g_file_get_contents (file, &contents, &len, NULL))
		return -1;
	fd = g_file_open_tmp ("requiretls-sent-XXXXXX.eml", &tmp, NULL);
	if (fd < 0)
		return -1;
	fp = fdopen (fd, "wb");
	if (fp == NULL) {
		close (fd);
		g_unlink (tmp);
		return -1;
	}
	ok = fwrite (marker, 1, sizeof marker - 1, fp) == sizeof marker - 1
	     && fwrite (contents, 1, len, fp) == len;
	ok = (fclose (fp) == 0) && ok;
	ret = ok ? procmsg_save_to_outbox (outbox, tmp) : -1;
	g_unlink (tmp);
	return ret;
#else
	return procmsg_save_to_outbox (outbox, file, FALSE);
#endif
}
