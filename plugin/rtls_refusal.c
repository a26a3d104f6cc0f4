/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_refusal.c: the refusal dialog (issue 15) and what each of its next steps does.
 */
#include "config.h"

#include "rtls_send_int.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "alertpanel.h"
#include "common/tags.h"
#include "hooks.h"
#include "inc.h"
#include "inputdialog.h"
#include "log.h"
#include "main.h"
#include "mainwindow.h"
#include "passwordstore.h"
#include "prefs_common.h"
#include "statusbar.h"
#include "utils.h"

#include "codec.h"
#include "rtls_attempt.h"
#include "rtls_delivery.h"
#include "rtls_delivery_ui.h"
#include "rtls_entry.h"
#include "rtls_history.h"
#include "rtls_journal.h"
#include "rtls_queue_ui.h"
#include "rtls_queuefile.h"
#include "rtls_record.h"

static void failure_choice (gpointer data, RtlsFailureChoice choice);

/* The refusal dialog (issue 15): each kind of refusal with its own next step; the
 * downgrade second, behind its confirmation, which says when Claws Mail's own connection to
 * the account's server has no TLS. */
void
rtls_refusal_show (RtlsSend *s, const RtlsEnd *end, const char *explanation)
{
	PrefsAccount *ac = s->compose->account;
	RtlsEndFacts facts = { s->record, s->cancelled, s->content_left };
	g_autofree gchar *server = NULL, *clear = NULL;
	g_autoptr (GPtrArray) about
	        = rtls_send_attempts_about (NULL, 0, s->qf != NULL ? s->qf->message_id : NULL);
	/* an earlier send of it that may have arrived: never offer to send it without
	 * REQUIRETLS (a second copy may be on its way) */
	gboolean maybe_arrived
	        = s->qf != NULL
	          && rtls_attempts_maybe_arrived_for_message (about, s->qf->message_id) != NULL;
	RtlsRefusal refusal = rtls_outcome_refusal (end, &facts, maybe_arrived);

	server = g_strdup_printf ("%s:%u", s->host ? s->host : "?", s->port);
	if (ac != NULL && ac->ssl_smtp == SSL_NONE && ac->smtp_server != NULL)
		clear = g_strdup (ac->smtp_server);
	g_free (s->refused_words);
	s->refused_words = g_strdup (explanation); /* said again if the settings are opened */
	rtls_ui_failure_dialog (GTK_WINDOW (s->compose->window),
	                        end->kind == RTLS_OUTCOME_NOT_CONFIRMED
	                                ? _ ("The message may not have been sent")
	                                : _ ("The message was not sent"),
	                        explanation, refusal, server, clear, failure_choice, s);
}

typedef struct {
	gint account_id;
	gchar *why;
} OpenAccount;

static gboolean
open_account_idle (gpointer data)
{
	OpenAccount *o = data;

	rtls_prefs_open_account (o->account_id, o->why);
	g_free (o->why);
	g_free (o);
	return G_SOURCE_REMOVE;
}

static void
failure_choice (gpointer data, RtlsFailureChoice choice)
{
	RtlsSend *s = data;
	Compose *compose = s->compose;
	RtlsComposer *c = s->composer;
	gboolean alive = rtls_send_composer_alive (s);

	switch (choice) {
	case RTLS_FAILURE_OPEN_SETTINGS:
		/* Claws opens no account settings while a composer is open: the message goes
		 * to Drafts (with its choice), the composer closes, then the page opens. */
		rtls_entry_remove (s->queue, s->msgnum);
		rtls_send_release_composer (s);
		if (alive) {
			OpenAccount *o = g_new0 (OpenAccount, 1);
			g_autofree gchar *subject = rtls_send_subject (s);
			o->account_id = compose->account ? compose->account->account_id : -1;
			/* the page says why it opened, and where the message is */
			o->why = g_strdup_printf (_ ("Opened for “%s”: %s\n\nThe message is in "
			                             "Drafts. Change the settings below, then open "
			                             "it there and send it "
			                             "again."),
			                          subject,
			                          s->refused_words != NULL ? s->refused_words : "");
			compose->sending = FALSE;
			if (compose_draft (compose, COMPOSE_QUIT_EDITING)) {
				log_message (
				        LOG_PROTOCOL,
				        _ ("REQUIRETLS: saved to Drafts; opening the account's "
				           "REQUIRETLS settings\n"));
				g_idle_add (open_account_idle, o);
			} else {
				compose->modified = TRUE; /* not saved: it stays in the composer */
				g_free (o->why);
				g_free (o);
			}
		}
		break;
	case RTLS_FAILURE_KEEP_QUEUED:
		/* the temporary outcome in the journal holds the back-off */
		if (alive) {
			compose->modified = FALSE;
			compose_close (compose);
		}
		break;
	case RTLS_FAILURE_SEND_DEFAULT:
		rtls_entry_remove (s->queue, s->msgnum);
		rtls_send_release_composer (s); /* our send is over: Claws' own may begin */
		if (alive) {
			g_autoptr (RtlsJournalEntry) e = NULL;
			rtls_send_announce_choice (c, RTLS_CHOICE_DEFAULT);
			log_message (LOG_PROTOCOL,
			             _ ("REQUIRETLS: sending without REQUIRETLS after "
			                "explicit confirmation\n"));
			/* Claws sends it now, without REQUIRETLS; the row says so only when Claws
			 * says it was sent (compose_send() returns 0 then) */
			/* Claws' own server, read before compose_send(), which may free the
			 * composer */
			PrefsAccount *ac = compose->account;
			g_autofree gchar *claws_host
			        = ac != NULL ? g_strdup (ac->smtp_server) : NULL;
			guint claws_port = rtls_config_claws_smtp_port (ac);
			if (compose_send (compose) == 0 && s->envid != NULL) {
				e = rtls_send_record (s, "sent-default");
				e->cause = g_strdup ("sent-default");
				if (claws_host != NULL) {
					g_free (e->host);
					e->host = g_steal_pointer (&claws_host);
					e->port = claws_port;
				}
				e->explanation = rtls_attempt_cause_words (e->cause, NULL, NULL);
				rtls_send_write (e);
			}
		}
		break;
	case RTLS_FAILURE_EDIT:
	default:
		/* The composer still holds the message; the queued copy goes. */
		rtls_entry_remove (s->queue, s->msgnum);
		if (alive)
			compose->modified = TRUE;
		break;
	}
	rtls_send_free (s);
	rtls_queuerun_next ();
}
