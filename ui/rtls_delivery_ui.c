/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_delivery_ui.c: the REQUIRETLS delivery window and the bounce notification (GTK only).
 *
 * The window never holds the whole history, and never reads it on the main loop: every
 * reading (a page, a count, a search) runs in a worker thread, one at a time, and what it
 * brought is shown from an idle callback. The window shows when its first page is read (or
 * after a moment, if the history is slow to answer). The next page is read when the list is
 * scrolled near its end; what is shown is never read again for that. A refresh (after every
 * write) reads the pages shown again beside the list, and then updates the list in place,
 * row by row where a row changed, so that the selected row and the scroll position stay. A
 * search starts the list again from its first page.
 */
#include "config.h"

#include "rtls_delivery_ui.h"
#include "rtls_dsn.h"

#include <glib/gi18n-lib.h>

/* Plurals in the plugin's own domain: a bare ngettext() would look in Claws' catalogue. */
#undef ngettext
#define ngettext(one, many, n) g_dngettext (GETTEXT_PACKAGE, one, many, n)

/* Messages a page: their rows fill more than any window is tall. */
#define PAGE_MESSAGES 200
/* How long the window waits for its first page before it shows without it. */
#define SHOW_WAIT_MS 300

enum {
	COL_DATE,
	COL_SUBJECT,
	COL_RECIPIENT,
	COL_STATE,
	COL_STATUS,
	COL_ACCEPTED,
	COL_REPORTING,
	COL_REMOTE,
	COL_DIAGNOSTIC,
	COL_INDEX,
	COL_WEIGHT,
	N_COLS
};

/* What the window's counts still need reading. */
enum {
	COUNT_MATCHES = 1 << 0, /* the messages matching the search */
	COUNT_TOTAL = 1 << 1,   /* all messages */
};

/* Pages as load gave them, and every row of them in order. */
typedef struct {
	GPtrArray *pages; /* each a GPtrArray of RtlsDeliveryRow* that owns its rows */
	GPtrArray *rows;  /* the rows of the pages, not owned, in the list's order */
	gboolean more;    /* there are messages after these */
	guint serial;     /* which Pages a reading was for (never reused) */
} Pages;

/* A reading in a worker thread: the next page of a Pages, or a count. It carries copies of
 * what it needs; the window may be gone when it is over (then its result is dropped). */
typedef struct {
	RtlsDeliveryUiOps ops;
	gpointer data;
	guint window; /* the window's serial */
	guint pages;  /* the serial of the Pages it reads for; 0: a count */
	guint offset; /* the page's first message */
	gchar *search;
	GPtrArray *page; /* the result */
	gboolean more;
	gint64 count;
} Reading;

/* Readings in worker threads, of this window or one closed before: the module stays loaded
 * until they are over (rtls_delivery_ui_busy()). */
static guint readings;
static guint serials;

typedef struct {
	GtkWidget *window;
	GtkListStore *store;
	GtkWidget *view;
	GtkAdjustment *vadj;
	GtkWidget *search;
	GtkWidget *count;
	GtkWidget *details;
	GtkWidget *open_bounce, *open_sent, *resend, *forget;
	gulong selection_changed;
	Pages *shown; /* what the list shows, once in_store of its rows are in the store */
	guint in_store;
	/* The row (of shown) that each row of the store stands for, by the store row's
	 * COL_INDEX; NULL: none any more. A row that stays where it is keeps its number when
	 * the list is refreshed, so that rows that did not change are not touched. */
	GPtrArray *slots;
	gchar *filter; /* the search the rows shown match; NULL: none */
	/* A reading under way, beside the list: the pages read so far, how many are wanted,
	 * whether all are read, and whether it is a new search (the list starts again at its
	 * top) or a refresh (the list is updated in place). NULL: none. */
	Pages *next;
	guint next_wanted;
	gboolean next_read;
	gboolean next_fresh;
	gboolean want_page;    /* the list was scrolled near its end */
	guint want_count;      /* COUNT_* */
	gint64 matches, total; /* -1: not known */
	guint idle;
	gboolean reading; /* a Reading of this window is under way */
	gboolean presented;
	guint show_timer;
	guint serial;
	RtlsDeliveryUiOps ops;
	gpointer data;
} DeliveryWindow;

static DeliveryWindow *dw;

static Pages *
pages_new (void)
{
	Pages *p = g_new0 (Pages, 1);

	p->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
	p->rows = g_ptr_array_new ();
	p->more = TRUE; /* not known before the first page */
	p->serial = ++serials;
	return p;
}

static void
pages_free (Pages *p)
{
	if (p == NULL)
		return;
	g_ptr_array_unref (p->rows);
	g_ptr_array_unref (p->pages);
	g_free (p);
}

/* Adds @page (NULL: the reading failed) to @p, as the page that follows its others. */
static void
add_page (Pages *p, GPtrArray *page, gboolean more)
{
	if (page == NULL) {
		page = g_ptr_array_new ();
		more = FALSE;
	}
	/* a page that brought nothing cannot be followed by one that does */
	p->more = more && page->len > 0;
	g_ptr_array_add (p->pages, page);
	for (guint i = 0; i < page->len; i++)
		g_ptr_array_add (p->rows, g_ptr_array_index (page, i));
}

/* The row that the store's row @iter stands for. */
static const RtlsDeliveryRow *
row_at (GtkTreeIter *iter)
{
	guint index = G_MAXUINT;

	gtk_tree_model_get (GTK_TREE_MODEL (dw->store), iter, COL_INDEX, &index, -1);
	return index < dw->slots->len ? g_ptr_array_index (dw->slots, index) : NULL;
}

static const RtlsDeliveryRow *
selected_row (void)
{
	GtkTreeSelection *sel = gtk_tree_view_get_selection (GTK_TREE_VIEW (dw->view));
	GtkTreeIter iter;

	if (!gtk_tree_selection_get_selected (sel, NULL, &iter))
		return NULL;
	return row_at (&iter);
}

static void
update_buttons (void)
{
	const RtlsDeliveryRow *r = selected_row ();
	gboolean has_sent = r != NULL && rtls_delivery_state_has_sent_copy (r->state)
	                    && r->message_id != NULL;
	g_autofree gchar *advice = r != NULL ? rtls_delivery_advice (r) : NULL;

	gtk_widget_set_sensitive (dw->open_bounce, r != NULL && r->bounce_id != NULL);
	gtk_widget_set_sensitive (dw->open_sent, has_sent);
	gtk_widget_set_sensitive (dw->resend, has_sent);
	/* a send in flight is not forgotten: its outcome is still to come */
	gtk_widget_set_sensitive (dw->forget, r != NULL && r->state != RTLS_ROW_SENDING);
	if (advice != NULL && r->status != NULL) {
		/* TRANSLATORS: the advice, then the RFC 3463 status code, e.g. "5.7.30" */
		gchar *with_code = g_strdup_printf (_ ("%s (Status code %s.)"), advice, r->status);
		g_free (advice);
		advice = with_code;
	}
	gtk_label_set_text (GTK_LABEL (dw->details),
	                    advice != NULL ? advice : _ ("Select a row to see what it means."));
}

static gchar *
format_time (gint64 t)
{
	g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (t);

	return dt != NULL ? g_date_time_format (dt, "%x %H:%M") : g_strdup ("");
}

static GtkListStore *
new_store (void)
{
	return gtk_list_store_new (N_COLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
	                           G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
	                           G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_INT);
}

/* Shows @r in the store's row @iter, as the row numbered @slot. */
static void
set_row (GtkListStore *store, GtkTreeIter *iter, const RtlsDeliveryRow *r, guint slot)
{
	g_autofree gchar *date = format_time (r->time);
	g_autofree gchar *status = NULL;
	/* the Diagnostic-Code without its type ("smtp; ", "X-Postfix; "), which means nothing
	 * to a person */
	const char *words = rtls_dsn_server_words (r->diagnostic);

	/* plain words; the status code is in the details pane */
	if (r->state == RTLS_ROW_UNVERIFIED)
		status = g_strdup (r->reason != NULL ? r->reason : "");
	else if (r->explanation != NULL)
		status = g_strdup (r->explanation);
	else
		status = g_strdup (r->status != NULL ? r->status : "");
	gtk_list_store_set (
	        store, iter, COL_DATE, date, COL_SUBJECT, r->subject != NULL ? r->subject : "",
	        COL_RECIPIENT, r->recipient, COL_STATE, rtls_delivery_state_name (r->state),
	        COL_STATUS, status, COL_ACCEPTED, r->accepted_by ? r->accepted_by : "",
	        COL_REPORTING, r->reporting_mta ? r->reporting_mta : "", COL_REMOTE,
	        r->remote_mta ? r->remote_mta : "", COL_DIAGNOSTIC, words, COL_INDEX, slot,
	        COL_WEIGHT,
	        rtls_delivery_state_is_problem (r->state) ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL,
	        -1);
}

/* A new slot for @r. */
static guint
new_slot (const RtlsDeliveryRow *r)
{
	g_ptr_array_add (dw->slots, (gpointer) r);
	return dw->slots->len - 1;
}

/* Whether the list shows @a and @b alike (everything set_row() reads). */
static gboolean
row_same (const RtlsDeliveryRow *a, const RtlsDeliveryRow *b)
{
	return a->time == b->time && a->state == b->state && g_strcmp0 (a->subject, b->subject) == 0
	       && g_strcmp0 (a->recipient, b->recipient) == 0
	       && g_strcmp0 (a->status, b->status) == 0
	       && g_strcmp0 (a->explanation, b->explanation) == 0
	       && g_strcmp0 (a->reason, b->reason) == 0
	       && g_strcmp0 (a->accepted_by, b->accepted_by) == 0
	       && g_strcmp0 (a->reporting_mta, b->reporting_mta) == 0
	       && g_strcmp0 (a->remote_mta, b->remote_mta) == 0
	       && g_strcmp0 (a->diagnostic, b->diagnostic) == 0;
}

/* A row is the message @key to @recipient: the same row in another reading. */
static guint
row_hash (gconstpointer p)
{
	const RtlsDeliveryRow *r = p;

	return g_str_hash (r->key != NULL ? r->key : "") * 31
	       + g_str_hash (r->recipient != NULL ? r->recipient : "");
}

static gboolean
row_equal (gconstpointer a, gconstpointer b)
{
	const RtlsDeliveryRow *x = a, *y = b;

	return g_strcmp0 (x->key, y->key) == 0 && g_strcmp0 (x->recipient, y->recipient) == 0;
}

static GHashTable *
row_set (GPtrArray *rows, guint n)
{
	GHashTable *set = g_hash_table_new (row_hash, row_equal);

	for (guint i = 0; i < n; i++)
		g_hash_table_add (set, g_ptr_array_index (rows, i));
	return set;
}

/* Where the row @like (another reading's) is in @rows; -1: not there. */
static gint
find_row (GPtrArray *rows, const RtlsDeliveryRow *like)
{
	for (guint i = 0; like != NULL && i < rows->len; i++)
		if (row_equal (g_ptr_array_index (rows, i), like))
			return (gint) i;
	return -1;
}

/* Adds the rows of dw->shown that are not in the store yet to its end. */
static void
append_unshown (void)
{
	for (; dw->in_store < dw->shown->rows->len; dw->in_store++) {
		const RtlsDeliveryRow *r = g_ptr_array_index (dw->shown->rows, dw->in_store);
		GtkTreeIter iter;
		gtk_list_store_append (dw->store, &iter);
		set_row (dw->store, &iter, r, new_slot (r));
	}
}

static void
select_index (gint index)
{
	GtkTreeSelection *sel = gtk_tree_view_get_selection (GTK_TREE_VIEW (dw->view));
	GtkTreePath *path;

	gtk_tree_selection_unselect_all (sel);
	if (index < 0)
		return;
	path = gtk_tree_path_new_from_indices (index, -1);
	gtk_tree_selection_select_path (sel, path);
	gtk_tree_path_free (path);
}

/* A new search: the list shows @next from its top, the selected row kept if it is there. */
static void
show_fresh (Pages *next)
{
	GtkTreeSelection *sel = gtk_tree_view_get_selection (GTK_TREE_VIEW (dw->view));
	Pages *old = dw->shown;
	GPtrArray *old_slots = dw->slots;
	GtkListStore *old_store = dw->store;
	gint keep = find_row (next->rows, selected_row ());

	g_signal_handler_block (sel, dw->selection_changed);
	dw->shown = next;
	dw->in_store = 0;
	dw->slots = g_ptr_array_new ();
	/* filled before the list shows it: no row of it is laid out twice */
	dw->store = new_store ();
	append_unshown ();
	gtk_tree_view_set_model (GTK_TREE_VIEW (dw->view), GTK_TREE_MODEL (dw->store));
	g_object_unref (old_store);
	select_index (keep);
	g_signal_handler_unblock (sel, dw->selection_changed);
	gtk_adjustment_set_value (dw->vadj, gtk_adjustment_get_lower (dw->vadj));
	g_ptr_array_unref (old_slots);
	pages_free (old);
	update_buttons ();
}

/* A refresh: the list shows @next instead of what it showed. A row still there keeps its
 * place in the store (the selection and the keyboard's cursor stay on it), and is set
 * again only if it looks different; the others are taken out or put in where they go. */
static void
show_in_place (Pages *next)
{
	GtkTreeSelection *sel = gtk_tree_view_get_selection (GTK_TREE_VIEW (dw->view));
	Pages *old = dw->shown;
	guint n_old = dw->in_store, i = 0, j = 0;
	const RtlsDeliveryRow *was_selected = selected_row ();
	GHashTable *in_old = row_set (old->rows, n_old);
	GHashTable *in_next = row_set (next->rows, next->rows->len);
	GHashTable *placed = g_hash_table_new (row_hash, row_equal);
	GtkTreeIter iter;
	gboolean valid = gtk_tree_model_get_iter_first (GTK_TREE_MODEL (dw->store), &iter);
	gboolean at_top
	        = gtk_adjustment_get_value (dw->vadj) <= gtk_adjustment_get_lower (dw->vadj);
	gint now;

	g_signal_handler_block (sel, dw->selection_changed);
	while (i < n_old || j < next->rows->len) {
		const RtlsDeliveryRow *o = i < n_old ? g_ptr_array_index (old->rows, i) : NULL;
		const RtlsDeliveryRow *n
		        = j < next->rows->len ? g_ptr_array_index (next->rows, j) : NULL;
		guint slot = G_MAXUINT;

		if (o != NULL
		    && (n == NULL || g_hash_table_contains (placed, o)
		        || !g_hash_table_contains (in_next, o))) {
			/* gone, or put in further up already (it moved up) */
			gtk_tree_model_get (GTK_TREE_MODEL (dw->store), &iter, COL_INDEX, &slot,
			                    -1);
			if (slot < dw->slots->len)
				g_ptr_array_index (dw->slots, slot) = NULL;
			valid = gtk_list_store_remove (dw->store, &iter);
			i++;
		} else if (o != NULL && row_equal (o, n)) {
			/* the same row: the slot takes the new reading */
			gtk_tree_model_get (GTK_TREE_MODEL (dw->store), &iter, COL_INDEX, &slot,
			                    -1);
			if (slot < dw->slots->len)
				g_ptr_array_index (dw->slots, slot) = (gpointer) n;
			if (!row_same (o, n))
				set_row (dw->store, &iter, n, slot);
			valid = gtk_tree_model_iter_next (GTK_TREE_MODEL (dw->store), &iter);
			i++;
			j++;
		} else {
			/* a new row, or one that moved up from further down */
			GtkTreeIter added;
			if (g_hash_table_contains (in_old, n))
				g_hash_table_add (placed, (gpointer) n);
			if (valid)
				gtk_list_store_insert_before (dw->store, &added, &iter);
			else
				gtk_list_store_append (dw->store, &added);
			set_row (dw->store, &added, n, new_slot (n));
			j++;
		}
	}
	dw->shown = next;
	dw->in_store = next->rows->len;
	/* the selected row selected where it went; none when it is gone (GTK selects the next
	 * row when the selected one is taken out: Forget twice would forget that too) */
	if (was_selected != NULL) {
		now = find_row (next->rows, was_selected);
		if (now < 0 || selected_row () == NULL
		    || !row_equal (selected_row (), was_selected))
			select_index (now);
	}
	g_signal_handler_unblock (sel, dw->selection_changed);
	/* a list at its top stays there, new rows in view (else GTK keeps the first row shown
	 * in its place) */
	if (at_top && next->rows->len > 0) {
		GtkTreePath *first = gtk_tree_path_new_first ();
		gtk_tree_view_scroll_to_cell (GTK_TREE_VIEW (dw->view), first, NULL, TRUE, 0, 0);
		gtk_tree_path_free (first);
	}
	g_hash_table_unref (placed);
	g_hash_table_unref (in_next);
	g_hash_table_unref (in_old);
	pages_free (old);
	update_buttons ();
}

/* Whether the list is scrolled to within a screen of its end. */
static gboolean
near_end (void)
{
	gdouble value = gtk_adjustment_get_value (dw->vadj);
	gdouble page = gtk_adjustment_get_page_size (dw->vadj);
	gdouble upper = gtk_adjustment_get_upper (dw->vadj);

	return gtk_widget_get_mapped (dw->view) && value + page >= upper - page;
}

static void
show_count (void)
{
	g_autofree gchar *text = NULL;
	guint matches = (guint) CLAMP (dw->matches, 0, G_MAXUINT);
	guint total = (guint) CLAMP (dw->total, 0, G_MAXUINT);

	if (dw->filter != NULL && dw->matches >= 0 && dw->total >= 0)
		text = g_strdup_printf (
		        /* TRANSLATORS: how many messages match the search, of how many there
		         * are; the plural goes by the second number. %'u: a number with the
		         * language's thousands separator */
		        ngettext ("%'u of %'u message", "%'u of %'u messages", total), matches,
		        total);
	else if (dw->filter != NULL && dw->matches >= 0)
		text = g_strdup_printf (ngettext ("%'u message", "%'u messages", matches), matches);
	else if (dw->filter == NULL && dw->total >= 0)
		text = g_strdup_printf (ngettext ("%'u message", "%'u messages", total), total);
	gtk_label_set_text (GTK_LABEL (dw->count), text != NULL ? text : "");
}

static void
reading_free (Reading *r)
{
	if (r->page != NULL)
		g_ptr_array_unref (r->page);
	g_free (r->search);
	g_free (r);
}

static void
reading_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	Reading *r = data;

	if (r->pages != 0)
		r->page = r->ops.load (r->data, r->search, r->offset, PAGE_MESSAGES, &r->more);
	else
		r->count = r->ops.count != NULL ? r->ops.count (r->data, r->search) : -1;
	g_task_return_boolean (task, TRUE);
}

static void schedule (void);
static void present (void);
static gboolean show_anyway (gpointer data);

/* What a reading brought, where it still belongs: the page that follows those of the Pages
 * it was read for, if they are still wanted and still end where it begins; a count, if
 * the search is still the one counted. */
static void
reading_done (GObject *source, GAsyncResult *res, gpointer data)
{
	Reading *r = g_task_get_task_data (G_TASK (res));

	readings--;
	if (dw == NULL || dw->serial != r->window)
		return; /* the window was closed meanwhile: r goes with the task */
	dw->reading = FALSE;
	if (r->pages != 0) {
		Pages *p = dw->next != NULL && dw->next->serial == r->pages ? dw->next
		           : dw->shown->serial == r->pages                  ? dw->shown
		                                                            : NULL;
		if (p != NULL && p->pages->len * PAGE_MESSAGES == r->offset) {
			add_page (p, g_steal_pointer (&r->page), r->more);
			if (p == dw->next)
				dw->next_read = !p->more || p->pages->len >= dw->next_wanted;
		}
	} else if (r->search == NULL) {
		dw->total = r->count;
		if (dw->filter == NULL)
			dw->matches = dw->total;
		show_count ();
	} else if (g_strcmp0 (r->search, dw->filter) == 0) {
		dw->matches = r->count;
		show_count ();
	}
	schedule ();
}

/* Starts a reading of the page that follows those of @p (@p not NULL) or a count of the
 * messages matching @search. */
static void
start_reading (Pages *p, const char *search)
{
	Reading *r = g_new0 (Reading, 1);
	GTask *task;

	r->ops = dw->ops;
	r->data = dw->data;
	r->window = dw->serial;
	r->pages = p != NULL ? p->serial : 0;
	r->offset = p != NULL ? p->pages->len * PAGE_MESSAGES : 0;
	r->search = g_strdup (search);
	r->count = -1;
	dw->reading = TRUE;
	readings++;
	task = g_task_new (NULL, NULL, reading_done, NULL);
	g_task_set_task_data (task, r, (GDestroyNotify) reading_free);
	g_task_run_in_thread (task, reading_thread);
	g_object_unref (task);
}

/* One thing at a time, each a short step: rows read but not in the list yet; the window
 * shown once its first page is there; a page of a reading under way, or the list updated
 * once it is all read; a count; the next page when the list is near its end. A reading
 * runs in a thread; the steps go on when it is over. */
static gboolean
work (gpointer user_data)
{
	if (dw->in_store < dw->shown->rows->len) {
		append_unshown ();
		return G_SOURCE_CONTINUE;
	}
	if (!dw->presented && dw->shown->pages->len > 0) {
		present ();
		return G_SOURCE_CONTINUE;
	}
	if (dw->reading) {
		dw->idle = 0;
		return G_SOURCE_REMOVE; /* reading_done() schedules the next step */
	}
	if (dw->shown->pages->len == 0) {
		start_reading (dw->shown, dw->filter);
		return G_SOURCE_CONTINUE;
	}
	if (dw->next != NULL) {
		Pages *next = dw->next;
		if (!dw->next_read) {
			start_reading (next, dw->filter);
			return G_SOURCE_CONTINUE;
		}
		dw->next = NULL;
		if (dw->next_fresh)
			show_fresh (next);
		else
			show_in_place (next);
		return G_SOURCE_CONTINUE;
	}
	if (dw->want_count & COUNT_TOTAL) {
		dw->want_count &= ~COUNT_TOTAL;
		start_reading (NULL, NULL);
		return G_SOURCE_CONTINUE;
	}
	if (dw->want_count & COUNT_MATCHES) {
		dw->want_count &= ~COUNT_MATCHES;
		if (dw->filter != NULL) {
			start_reading (NULL, dw->filter);
			return G_SOURCE_CONTINUE;
		}
		show_count ();
	}
	if (dw->want_page) {
		dw->want_page = FALSE;
		/* read now, shown in a step after */
		if (dw->shown->more && near_end ()) {
			start_reading (dw->shown, dw->filter);
			return G_SOURCE_CONTINUE;
		}
	}
	dw->idle = 0;
	return G_SOURCE_REMOVE;
}

static void
schedule (void)
{
	/* below GTK's own layout and drawing: the list is laid out before the next step */
	if (dw->idle == 0)
		dw->idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, work, NULL, NULL);
}

/* Reads the list again beside it: @fresh, from its first page (a new search), else the
 * pages it shows (a refresh). A reading under way starts again. */
static void
reload (gboolean fresh)
{
	if (dw->next != NULL) {
		fresh = fresh || dw->next_fresh;
		pages_free (dw->next);
	}
	dw->next = pages_new ();
	dw->next_wanted = fresh ? 1 : MAX (1, dw->shown->pages->len);
	dw->next_read = FALSE;
	dw->next_fresh = fresh;
	schedule ();
}

/* The list's signals can come while the window is being taken apart (its children go
 * after its "destroy" handlers ran): then dw is gone already. */
static void
on_selection_changed (GtkTreeSelection *sel, gpointer user_data)
{
	if (dw != NULL)
		update_buttons ();
}

static void
on_scrolled (GtkAdjustment *adj, gpointer user_data)
{
	if (dw != NULL && dw->shown->more && near_end ()) {
		dw->want_page = TRUE;
		schedule ();
	}
}

static void
on_search_changed (GtkSearchEntry *entry, gpointer user_data)
{
	gchar *text;

	if (dw == NULL)
		return;
	text = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (entry))));
	if (*text == '\0')
		g_clear_pointer (&text, g_free);
	if (g_strcmp0 (text, dw->filter) == 0) {
		g_free (text);
		return;
	}
	g_free (dw->filter);
	dw->filter = text;
	dw->want_count |= text != NULL ? COUNT_MATCHES : COUNT_TOTAL;
	reload (TRUE);
}

static void
on_stop_search (GtkSearchEntry *entry, gpointer user_data)
{
	gtk_entry_set_text (GTK_ENTRY (entry), "");
}

static gboolean
on_key (GtkWidget *w, GdkEventKey *ev, gpointer user_data)
{
	/* Ctrl+F: to the search (the list's own type-ahead search reads the dates only) */
	if (dw != NULL && (ev->state & gtk_accelerator_get_default_mod_mask ()) == GDK_CONTROL_MASK
	    && gdk_keyval_to_lower (ev->keyval) == GDK_KEY_f) {
		gtk_widget_grab_focus (dw->search);
		return GDK_EVENT_STOP;
	}
	return GDK_EVENT_PROPAGATE;
}

static void
on_action (GtkButton *button, gpointer user_data)
{
	const RtlsDeliveryRow *r = selected_row ();
	void (*fn) (gpointer, const RtlsDeliveryRow *) = NULL;

	if (r == NULL)
		return;
	if (GTK_WIDGET (button) == dw->open_bounce)
		fn = dw->ops.open_bounce;
	else if (GTK_WIDGET (button) == dw->open_sent)
		fn = dw->ops.open_sent;
	else if (GTK_WIDGET (button) == dw->resend)
		fn = dw->ops.resend;
	else if (GTK_WIDGET (button) == dw->forget)
		fn = dw->ops.forget;
	if (fn != NULL)
		fn (dw->data, r);
}

static void
on_destroy (GtkWidget *w, gpointer user_data)
{
	if (dw == NULL)
		return;
	if (dw->idle != 0)
		g_source_remove (dw->idle);
	if (dw->show_timer != 0)
		g_source_remove (dw->show_timer);
	pages_free (dw->next);
	pages_free (dw->shown);
	g_ptr_array_unref (dw->slots);
	g_free (dw->filter);
	g_object_unref (dw->store);
	g_clear_pointer (&dw, g_free);
}

/* A column sized to its text, at least @min_chars and up to @max_chars (0: the date, never
 * cut), the rest cut with "…" and shown whole in the cell's tooltip; @expand: it takes the
 * window's spare width. */
static void
add_column (GtkTreeView *view, const char *title, int col, gboolean expand, int min_chars,
            int max_chars)
{
	GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
	GtkTreeViewColumn *c = gtk_tree_view_column_new_with_attributes (
	        title, cell, "text", col, "weight", COL_WEIGHT, NULL);

	if (max_chars > 0)
		g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", min_chars,
		              "max-width-chars", max_chars, NULL);
	gtk_tree_view_column_set_resizable (c, TRUE);
	gtk_tree_view_column_set_expand (c, expand);
	gtk_tree_view_append_column (view, c);
}

/* The whole text of the cell under the pointer, when there is any. */
static gboolean
on_query_tooltip (GtkWidget *w, gint x, gint y, gboolean keyboard, GtkTooltip *tip,
                  gpointer user_data)
{
	GtkTreeView *view = GTK_TREE_VIEW (w);
	GtkTreeModel *model = NULL;
	GtkTreePath *path = NULL;
	GtkTreeIter iter;
	GtkTreeViewColumn *column = NULL;
	gint bx, by, col = -1;
	g_autofree gchar *text = NULL;

	if (keyboard) {
		if (!gtk_tree_view_get_tooltip_context (view, &x, &y, keyboard, &model, &path,
		                                        &iter))
			return FALSE;
		gtk_tree_view_get_cursor (view, NULL, &column);
	} else {
		gtk_tree_view_convert_widget_to_bin_window_coords (view, x, y, &bx, &by);
		if (!gtk_tree_view_get_path_at_pos (view, bx, by, &path, &column, NULL, NULL))
			return FALSE;
		model = gtk_tree_view_get_model (view);
		gtk_tree_model_get_iter (model, &iter, path);
	}
	if (column != NULL)
		col = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (column), "rtls-col"));
	if (col >= 0 && col < COL_INDEX)
		gtk_tree_model_get (model, &iter, col, &text, -1);
	if (text == NULL || *text == '\0') {
		gtk_tree_path_free (path);
		return FALSE;
	}
	gtk_tooltip_set_text (tip, text);
	gtk_tree_view_set_tooltip_cell (view, tip, path, column, NULL);
	gtk_tree_path_free (path);
	return TRUE;
}

static GtkWidget *
action_button (GtkWidget *box, const char *label, const char *tip)
{
	GtkWidget *b = gtk_button_new_with_mnemonic (label);

	gtk_widget_set_tooltip_text (b, tip);
	g_signal_connect (b, "clicked", G_CALLBACK (on_action), NULL);
	gtk_box_pack_start (GTK_BOX (box), b, FALSE, FALSE, 0);
	return b;
}

void
rtls_delivery_ui_show (GtkWindow *parent, const RtlsDeliveryUiOps *ops, gpointer data)
{
	GtkWidget *vbox, *intro, *searchbar, *scroll, *buttons, *close;

	if (dw != NULL) {
		rtls_delivery_ui_refresh ();
		gtk_window_present (GTK_WINDOW (dw->window));
		return;
	}
	dw = g_new0 (DeliveryWindow, 1);
	dw->serial = ++serials;
	dw->ops = *ops;
	dw->data = data;
	dw->matches = dw->total = -1;
	dw->window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
	gtk_widget_set_name (dw->window, "rtls-delivery-window");
	gtk_window_set_title (GTK_WINDOW (dw->window), _ ("REQUIRETLS delivery"));
	gtk_window_set_role (GTK_WINDOW (dw->window), "requiretls-delivery");
	/* within a 1280×800 screen, with room for the panels around it */
	gtk_window_set_default_size (GTK_WINDOW (dw->window), 1180, 480);
	if (parent != NULL)
		gtk_window_set_transient_for (GTK_WINDOW (dw->window), parent);
	g_signal_connect (dw->window, "destroy", G_CALLBACK (on_destroy), NULL);
	g_signal_connect (dw->window, "key-press-event", G_CALLBACK (on_key), NULL);

	vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
	gtk_container_set_border_width (GTK_CONTAINER (vbox), 8);
	gtk_container_add (GTK_CONTAINER (dw->window), vbox);

	intro = gtk_label_new (
	        _ ("Messages sent with Require TLS, and what came back. REQUIRETLS asks for TLS on "
	           "every hop; it is not end-to-end encryption. A server that cannot honour it "
	           "returns the message, but bounces can be lost, and a bounce's headers, its "
	           "Subject included, may have crossed a hop without TLS. The plugin never sends a "
	           "message without REQUIRETLS unless you confirm it, and never sends again, "
	           "without asking you, a message that may already have been accepted. Messages "
	           "waiting in the queue are sent only when you choose Tools → Send queued "
	           "REQUIRETLS messages, when Claws goes online, or, after a temporary failure, "
	           "by a later retry."));
	gtk_label_set_line_wrap (GTK_LABEL (intro), TRUE);
	gtk_label_set_xalign (GTK_LABEL (intro), 0);
	gtk_box_pack_start (GTK_BOX (vbox), intro, FALSE, FALSE, 0);

	/* the search, and how many messages there are (or match it) */
	searchbar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
	gtk_box_pack_start (GTK_BOX (vbox), searchbar, FALSE, FALSE, 0);
	dw->search = gtk_search_entry_new ();
	gtk_widget_set_name (dw->search, "rtls-delivery-search");
	gtk_entry_set_placeholder_text (GTK_ENTRY (dw->search),
	                                _ ("Search recipient, domain, subject or state"));
	gtk_widget_set_tooltip_text (dw->search,
	                             _ ("Shows only the messages whose subject, recipient or "
	                                "state contains this text (Ctrl+F)"));
	gtk_entry_set_width_chars (GTK_ENTRY (dw->search), 44);
	g_signal_connect (dw->search, "search-changed", G_CALLBACK (on_search_changed), NULL);
	g_signal_connect (dw->search, "stop-search", G_CALLBACK (on_stop_search), NULL);
	gtk_box_pack_start (GTK_BOX (searchbar), dw->search, FALSE, FALSE, 0);
	dw->count = gtk_label_new (NULL);
	gtk_widget_set_name (dw->count, "rtls-delivery-count");
	gtk_style_context_add_class (gtk_widget_get_style_context (dw->count), "dim-label");
	gtk_box_pack_end (GTK_BOX (searchbar), dw->count, FALSE, FALSE, 0);

	dw->store = new_store ();
	dw->view = gtk_tree_view_new_with_model (GTK_TREE_MODEL (dw->store));
	gtk_widget_set_name (dw->view, "rtls-delivery-list");
	add_column (GTK_TREE_VIEW (dw->view), _ ("Date"), COL_DATE, FALSE, 0, 0);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Subject"), COL_SUBJECT, TRUE, 14, 30);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Recipient"), COL_RECIPIENT, FALSE, 14, 26);
	add_column (GTK_TREE_VIEW (dw->view), _ ("State"), COL_STATE, FALSE, 12, 20);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Status"), COL_STATUS, TRUE, 20, 40);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Accepted by"), COL_ACCEPTED, FALSE, 8, 16);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Reported by"), COL_REPORTING, FALSE, 8, 16);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Refused by"), COL_REMOTE, FALSE, 8, 16);
	add_column (GTK_TREE_VIEW (dw->view), _ ("Server's words"), COL_DIAGNOSTIC, TRUE, 12, 30);
	{
		/* which model column each view column shows, for the tooltips */
		static const int cols[]
		        = { COL_DATE,     COL_SUBJECT,   COL_RECIPIENT, COL_STATE,     COL_STATUS,
			    COL_ACCEPTED, COL_REPORTING, COL_REMOTE,    COL_DIAGNOSTIC };
		for (guint i = 0; i < G_N_ELEMENTS (cols); i++)
			g_object_set_data (G_OBJECT (gtk_tree_view_get_column (
			                           GTK_TREE_VIEW (dw->view), (gint) i)),
			                   "rtls-col", GINT_TO_POINTER (cols[i]));
	}
	gtk_widget_set_has_tooltip (dw->view, TRUE);
	g_signal_connect (dw->view, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
	dw->selection_changed
	        = g_signal_connect (gtk_tree_view_get_selection (GTK_TREE_VIEW (dw->view)),
	                            "changed", G_CALLBACK (on_selection_changed), NULL);
	scroll = gtk_scrolled_window_new (NULL, NULL);
	gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
	                                GTK_POLICY_AUTOMATIC);
	gtk_container_add (GTK_CONTAINER (scroll), dw->view);
	gtk_box_pack_start (GTK_BOX (vbox), scroll, TRUE, TRUE, 0);
	dw->vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroll));
	g_signal_connect (dw->vadj, "value-changed", G_CALLBACK (on_scrolled), NULL);
	g_signal_connect (dw->vadj, "changed", G_CALLBACK (on_scrolled), NULL);

	dw->details = gtk_label_new (NULL);
	gtk_widget_set_name (dw->details, "rtls-delivery-details");
	gtk_label_set_line_wrap (GTK_LABEL (dw->details), TRUE);
	gtk_label_set_xalign (GTK_LABEL (dw->details), 0);
	gtk_label_set_selectable (GTK_LABEL (dw->details), TRUE);
	gtk_box_pack_start (GTK_BOX (vbox), dw->details, FALSE, FALSE, 0);

	buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_box_pack_start (GTK_BOX (vbox), buttons, FALSE, FALSE, 0);
	dw->open_bounce
	        = action_button (buttons, _ ("Open _bounce"), _ ("Show the report that came back"));
	dw->open_sent = action_button (buttons, _ ("Open _Sent copy"),
	                               _ ("Show the message as you sent it"));
	dw->resend = action_button (buttons, _ ("_Edit and resend"),
	                            _ ("Open a composer with the same content, Require TLS on"));
	dw->forget = action_button (buttons, _ ("_Forget"),
	                            _ ("Remove this row; the messages themselves stay"));
	close = gtk_button_new_with_mnemonic (_ ("_Close"));
	g_signal_connect_swapped (close, "clicked", G_CALLBACK (gtk_widget_destroy), dw->window);
	gtk_box_pack_end (GTK_BOX (buttons), close, FALSE, FALSE, 0);

	/* the window shows with its first page, so that it does not show empty while that is
	 * read, or after SHOW_WAIT_MS without it; the count and any further page after */
	dw->shown = pages_new ();
	dw->slots = g_ptr_array_new ();
	update_buttons ();
	dw->want_count = COUNT_TOTAL;
	gtk_widget_show_all (gtk_bin_get_child (GTK_BIN (dw->window)));
	dw->show_timer = g_timeout_add (SHOW_WAIT_MS, show_anyway, NULL);
	schedule ();
}

static void
present (void)
{
	if (dw->presented)
		return;
	dw->presented = TRUE;
	if (dw->show_timer != 0)
		g_source_remove (dw->show_timer);
	dw->show_timer = 0;
	gtk_widget_show (dw->window);
	/* the keyboard in the list, as before the search was there */
	gtk_widget_grab_focus (dw->view);
	gtk_window_present (GTK_WINDOW (dw->window));
}

static gboolean
show_anyway (gpointer data)
{
	dw->show_timer = 0;
	present ();
	return G_SOURCE_REMOVE;
}

void
rtls_delivery_ui_refresh (void)
{
	if (dw == NULL)
		return;
	dw->want_count |= COUNT_TOTAL | (dw->filter != NULL ? COUNT_MATCHES : 0);
	reload (FALSE);
}

void
rtls_delivery_ui_close (void)
{
	if (dw != NULL)
		gtk_widget_destroy (dw->window);
}

gboolean
rtls_delivery_ui_busy (void)
{
	return readings > 0;
}

gint
rtls_delivery_ui_row_count (void)
{
	return dw != NULL ? gtk_tree_model_iter_n_children (GTK_TREE_MODEL (dw->store), NULL) : -1;
}

/* ------------------------------------------------------------------ the notification */

typedef struct {
	GtkWidget *window;
	RtlsActionFn on_details;
	RtlsActionFn on_dismiss;
	gpointer data;
} Note;

static Note *note;

static void
note_destroyed (GtkWidget *w, gpointer user_data)
{
	g_clear_pointer (&note, g_free);
}

static void
note_details (GtkButton *b, gpointer user_data)
{
	RtlsActionFn fn = note->on_details;
	gpointer data = note->data;

	gtk_widget_destroy (note->window);
	if (fn != NULL)
		fn (data);
}

static void
note_dismiss (GtkButton *b, gpointer user_data)
{
	RtlsActionFn fn = note->on_dismiss;
	gpointer data = note->data;

	gtk_widget_destroy (note->window);
	if (fn != NULL)
		fn (data);
}

void
rtls_ui_notify (GtkWindow *parent, const char *text, RtlsActionFn on_details, gpointer data)
{
	rtls_ui_notify_titled (parent, _ ("REQUIRETLS delivery problem"), text, on_details, data);
}

void
rtls_ui_notify_titled (GtkWindow *parent, const char *title, const char *text,
                       RtlsActionFn on_details, gpointer data)
{
	rtls_ui_notify_full (parent, title, text, on_details, NULL, data);
}

void
rtls_ui_notify_full (GtkWindow *parent, const char *title, const char *text,
                     RtlsActionFn on_details, RtlsActionFn on_dismiss, gpointer data)
{
	GtkWidget *box, *label, *details, *close, *icon;
	gint px = 0, py = 0, pw = 0, ph = 0;

	rtls_ui_notify_close ();
	note = g_new0 (Note, 1);
	note->on_details = on_details;
	note->on_dismiss = on_dismiss;
	note->data = data;
	note->window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
	gtk_widget_set_name (note->window, "rtls-notification");
	gtk_window_set_title (GTK_WINDOW (note->window), title);
	/* a note, not a dialog: it never takes the focus from what the person is typing */
	gtk_window_set_accept_focus (GTK_WINDOW (note->window), FALSE);
	gtk_window_set_focus_on_map (GTK_WINDOW (note->window), FALSE);
	gtk_window_set_type_hint (GTK_WINDOW (note->window), GDK_WINDOW_TYPE_HINT_NOTIFICATION);
	gtk_window_set_skip_taskbar_hint (GTK_WINDOW (note->window), TRUE);
	gtk_window_set_decorated (GTK_WINDOW (note->window), FALSE);
	gtk_window_set_resizable (GTK_WINDOW (note->window), FALSE);
	if (parent != NULL)
		gtk_window_set_transient_for (GTK_WINDOW (note->window), parent);
	g_signal_connect (note->window, "destroy", G_CALLBACK (note_destroyed), NULL);

	box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
	gtk_container_set_border_width (GTK_CONTAINER (box), 10);
	gtk_container_add (GTK_CONTAINER (note->window), box);
	icon = gtk_image_new_from_icon_name ("dialog-warning", GTK_ICON_SIZE_DIALOG);
	gtk_box_pack_start (GTK_BOX (box), icon, FALSE, FALSE, 0);
	label = gtk_label_new (text);
	gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
	gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
	gtk_label_set_xalign (GTK_LABEL (label), 0);
	gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
	details = gtk_button_new_with_mnemonic (_ ("Show _details"));
	gtk_widget_set_can_focus (details, FALSE);
	gtk_widget_set_valign (details, GTK_ALIGN_CENTER);
	g_signal_connect (details, "clicked", G_CALLBACK (note_details), NULL);
	gtk_box_pack_start (GTK_BOX (box), details, FALSE, FALSE, 0);
	/* a note with nothing more to show offers no button that does nothing */
	gtk_widget_set_no_show_all (details, on_details == NULL);
	close = gtk_button_new_from_icon_name ("window-close", GTK_ICON_SIZE_BUTTON);
	gtk_widget_set_tooltip_text (close, _ ("Dismiss"));
	gtk_widget_set_can_focus (close, FALSE);
	gtk_widget_set_valign (close, GTK_ALIGN_CENTER);
	g_signal_connect (close, "clicked", G_CALLBACK (note_dismiss), NULL);
	gtk_box_pack_start (GTK_BOX (box), close, FALSE, FALSE, 0);
	gtk_widget_show_all (box);

	/* bottom right of the main window */
	if (parent != NULL && gtk_widget_get_visible (GTK_WIDGET (parent))) {
		GtkRequisition req;
		gtk_window_get_position (parent, &px, &py);
		gtk_window_get_size (parent, &pw, &ph);
		gtk_widget_get_preferred_size (box, NULL, &req);
		gtk_window_move (GTK_WINDOW (note->window), px + MAX (0, pw - req.width - 40),
		                 py + MAX (0, ph - req.height - 60));
	}
	gtk_widget_show (note->window);
}

void
rtls_ui_notify_close (void)
{
	if (note != NULL)
		gtk_widget_destroy (note->window);
}
