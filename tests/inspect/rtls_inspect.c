/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * rtls_inspect.c: a Claws Mail plugin that only the end-to-end tests build and load, beside
 * requiretls.so. It lets a test read the screen from outside the product: on an abstract
 * Unix socket named "rtls-inspect-" and the SHA-1 of Claws' configuration directory, each
 * connection that sends "dump\n" gets every mapped window with its whole widget tree, then
 * the connection is closed. Never installed (tests/meson.build).
 *
 * One line per item, fields separated by tabs; in text, "\\", tab and newline are written as
 * "\\\\", "\\t" and "\\n":
 *   W  title  type-name  x  y  width  height  modal(0|1)           a mapped toplevel
 *   N  depth  type-name  widget-name  text  sensitive  mapped  x  y  width  height
 *      tooltip  extra                                             a widget in it
 *   C  depth  column titles...                                    a tree view's columns
 *   R  depth  path  values...                                     a row of its model
 * Claws' own lists (GtkCMCList, GtkCMCTree: the message list) get a C line with their column
 * titles and an R line per row (path: the row's index) with each cell's text; a cell that
 * shows one of Claws' icons is "[mark]", "[locked]", … ("[icon]" for one not named here).
 * x and y of a widget are relative to its toplevel. "text" is what the widget shows: a
 * label's text, a button's or tool button's label, an entry's or text view's content, a
 * spin button's value, a combo box's active text. "sensitive" is the widget's effective
 * sensitivity (its parents' included). "extra": active=0|1 for toggles, icon=NAME for
 * images, wrap=0|1 and lines=N (ellipsized=1) for labels, hupper=N hpage=N for scrolled
 * windows (wider content than shown: upper > page), selected=PATH for each selected row of a
 * tree view.
 *
 * Two more requests, for the benchmark of issue 20 (bench/bench_history.py):
 *   "stall\n"       the longest time, in milliseconds, that Claws' main loop did not turn since
 *                   the last "stall\n" (or since this plugin was loaded): a heartbeat, a
 *                   G_PRIORITY_HIGH timeout every 5 ms from plugin_init on, keeps the longest
 *                   gap between two of its ticks, and the gap still open when asked; the
 *                   answer ("12.5\n") resets it. Idle, the gap is the 5 ms interval itself.
 *                   The first gap runs from plugin_init to the first turn of the loop: what
 *                   Claws and the plugins loaded after this one do before the loop runs.
 *   "rows NAME\n"   how many rows the model of the mapped tree view called NAME
 *                   (gtk_widget_set_name) has, in the first mapped window that has one; -1:
 *                   none is mapped. Cheap (no texts), so that it can be asked every few ms.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <gtk/gtk.h>
#include <string.h>

#include "gtk/gtkcmclist.h"
#include "plugin.h"
#include "stock_pixmap.h"
#include "utils.h"
#include "version.h"

static GSocketService *service;

static void
put_text (GString *out, const char *s)
{
	g_string_append_c (out, '\t');
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			g_string_append (out, "\\\\");
			break;
		case '\t':
			g_string_append (out, "\\t");
			break;
		case '\n':
			g_string_append (out, "\\n");
			break;
		default:
			g_string_append_c (out, *s);
		}
	}
}

static void
put_int (GString *out, gint v)
{
	g_string_append_printf (out, "\t%d", v);
}

/* The text a widget shows itself (newly allocated), or NULL. */
static gchar *
widget_text (GtkWidget *w)
{
	if (GTK_IS_LABEL (w))
		return g_strdup (gtk_label_get_text (GTK_LABEL (w)));
	if (GTK_IS_SPIN_BUTTON (w))
		return g_strdup_printf ("%d",
		                        gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (w)));
	if (GTK_IS_ENTRY (w))
		return g_strdup (gtk_entry_get_text (GTK_ENTRY (w)));
	if (GTK_IS_TEXT_VIEW (w)) {
		GtkTextBuffer *b = gtk_text_view_get_buffer (GTK_TEXT_VIEW (w));
		GtkTextIter s, e;
		gtk_text_buffer_get_bounds (b, &s, &e);
		return gtk_text_buffer_get_text (b, &s, &e, FALSE);
	}
	if (GTK_IS_COMBO_BOX_TEXT (w))
		return gtk_combo_box_text_get_active_text (GTK_COMBO_BOX_TEXT (w));
	if (GTK_IS_TOOL_BUTTON (w))
		return g_strdup (gtk_tool_button_get_label (GTK_TOOL_BUTTON (w)));
	if (GTK_IS_BUTTON (w))
		return g_strdup (gtk_button_get_label (GTK_BUTTON (w)));
	if (GTK_IS_WINDOW (w))
		return g_strdup (gtk_window_get_title (GTK_WINDOW (w)));
	return NULL;
}

static gchar *
widget_extra (GtkWidget *w)
{
	GString *e = g_string_new (NULL);

	if (GTK_IS_TOGGLE_BUTTON (w))
		g_string_append_printf (e, "active=%d ",
		                        gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (w)));
	if (GTK_IS_CHECK_MENU_ITEM (w))
		g_string_append_printf (e, "active=%d ",
		                        gtk_check_menu_item_get_active (GTK_CHECK_MENU_ITEM (w)));
	if (GTK_IS_IMAGE (w) && gtk_image_get_storage_type (GTK_IMAGE (w)) == GTK_IMAGE_ICON_NAME) {
		const gchar *icon = NULL;
		gtk_image_get_icon_name (GTK_IMAGE (w), &icon, NULL);
		g_string_append_printf (e, "icon=%s ", icon != NULL ? icon : "");
	}
	if (GTK_IS_SCROLLED_WINDOW (w)) {
		GtkAdjustment *h = gtk_scrolled_window_get_hadjustment (GTK_SCROLLED_WINDOW (w));
		g_string_append_printf (e, "hupper=%d hpage=%d ",
		                        (gint) gtk_adjustment_get_upper (h),
		                        (gint) gtk_adjustment_get_page_size (h));
	}
	if (GTK_IS_TREE_VIEW (w)) {
		GtkTreeSelection *sel = gtk_tree_view_get_selection (GTK_TREE_VIEW (w));
		GList *paths = gtk_tree_selection_get_selected_rows (sel, NULL);
		for (GList *l = paths; l != NULL; l = l->next) {
			g_autofree gchar *p = gtk_tree_path_to_string (l->data);
			g_string_append_printf (e, "selected=%s ", p);
		}
		g_list_free_full (paths, (GDestroyNotify) gtk_tree_path_free);
	}
	if (GTK_IS_LABEL (w)) {
		PangoLayout *l = gtk_label_get_layout (GTK_LABEL (w));
		g_string_append_printf (e, "wrap=%d lines=%d ",
		                        gtk_label_get_line_wrap (GTK_LABEL (w)),
		                        l != NULL ? pango_layout_get_line_count (l) : 0);
		if (pango_layout_is_ellipsized (l))
			g_string_append (e, "ellipsized=1 ");
	}
	if (e->len > 0)
		g_string_truncate (e, e->len - 1);
	return g_string_free (e, FALSE);
}

static gboolean
put_row (GtkTreeModel *model, GtkTreePath *path, GtkTreeIter *iter, gpointer data)
{
	GString *out = ((gpointer *) data)[0];
	gint depth = GPOINTER_TO_INT (((gpointer *) data)[1]);
	g_autofree gchar *p = gtk_tree_path_to_string (path);

	g_string_append (out, "R");
	put_int (out, depth);
	put_text (out, p);
	for (gint c = 0; c < gtk_tree_model_get_n_columns (model); c++) {
		GValue v = G_VALUE_INIT, s = G_VALUE_INIT;
		GType t = gtk_tree_model_get_column_type (model, c);
		gtk_tree_model_get_value (model, iter, c, &v);
		g_value_init (&s, G_TYPE_STRING);
		if ((t == G_TYPE_STRING || g_type_is_a (t, G_TYPE_INT) || t == G_TYPE_UINT
		     || t == G_TYPE_BOOLEAN || t == G_TYPE_INT64 || t == G_TYPE_UINT64)
		    && g_value_transform (&v, &s))
			put_text (out, g_value_get_string (&s));
		else
			put_text (out, "");
		g_value_unset (&s);
		g_value_unset (&v);
	}
	g_string_append_c (out, '\n');
	return FALSE;
}

/* the name a test reads for an icon in a Claws list's cell */
static const char *
icon_name (GdkPixbuf *pix)
{
	static const struct {
		StockPixmap icon;
		const char *name;
	} known[] = {
		{ STOCK_PIXMAP_MARK, "mark" },       { STOCK_PIXMAP_LOCKED, "locked" },
		{ STOCK_PIXMAP_NEW, "new" },         { STOCK_PIXMAP_UNREAD, "unread" },
		{ STOCK_PIXMAP_REPLIED, "replied" }, { STOCK_PIXMAP_FORWARDED, "forwarded" },
		{ STOCK_PIXMAP_CLIP, "attachment" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (known); i++) {
		GdkPixbuf *p = NULL;
		if (stock_pixbuf_gdk (known[i].icon, &p) == 0 && p == pix)
			return known[i].name;
	}
	return "icon";
}

/* the first label's text in @w (a column's title widget) */
static const char *
first_label (GtkWidget *w)
{
	const char *found = NULL;
	GList *kids;

	if (GTK_IS_LABEL (w))
		return gtk_label_get_text (GTK_LABEL (w));
	if (!GTK_IS_CONTAINER (w))
		return NULL;
	kids = gtk_container_get_children (GTK_CONTAINER (w));
	for (GList *k = kids; k != NULL && found == NULL; k = k->next)
		found = first_label (k->data);
	g_list_free (kids);
	return found;
}

static void
put_cmclist (GtkCMCList *list, gint depth, GString *out)
{
	g_string_append (out, "C");
	put_int (out, depth);
	/* a title is text, or a widget: Claws' icon ("[mark]") or a box with a label */
	for (gint c = 0; c < list->columns; c++) {
		const char *title = gtk_cmclist_get_column_title (list, c);
		GtkWidget *w = gtk_cmclist_get_column_widget (list, c);
		g_autofree gchar *icon = NULL;
		if ((title == NULL || *title == '\0') && GTK_IS_IMAGE (w)
		    && gtk_image_get_storage_type (GTK_IMAGE (w)) == GTK_IMAGE_PIXBUF)
			title = icon = g_strdup_printf (
			        "[%s]", icon_name (gtk_image_get_pixbuf (GTK_IMAGE (w))));
		else if ((title == NULL || *title == '\0') && w != NULL)
			title = first_label (w);
		put_text (out, title);
	}
	g_string_append_c (out, '\n');
	for (gint r = 0; r < list->rows; r++) {
		g_autofree gchar *path = g_strdup_printf ("%d", r);
		g_string_append (out, "R");
		put_int (out, depth);
		put_text (out, path);
		for (gint c = 0; c < list->columns; c++) {
			gchar *text = NULL;
			GdkPixbuf *pix = NULL;
			guint8 spacing;
			g_autofree gchar *shown = NULL;
			switch (gtk_cmclist_get_cell_type (list, r, c)) {
			case GTK_CMCELL_TEXT:
				gtk_cmclist_get_text (list, r, c, &text);
				shown = g_strdup (text);
				break;
			case GTK_CMCELL_PIXBUF:
				gtk_cmclist_get_pixbuf (list, r, c, &pix);
				shown = pix != NULL ? g_strdup_printf ("[%s]", icon_name (pix))
				                    : NULL;
				break;
			case GTK_CMCELL_PIXTEXT:
				gtk_cmclist_get_pixtext (list, r, c, &text, &spacing, &pix);
				if (pix != NULL)
					shown = g_strdup_printf ("[%s]%s", icon_name (pix),
					                         text != NULL ? text : "");
				else
					shown = g_strdup (text);
				break;
			default:
				break;
			}
			put_text (out, shown);
		}
		g_string_append_c (out, '\n');
	}
}

static void put_widget (GtkWidget *w, GtkWidget *top, gint depth, GString *out);

static void
put_child (GtkWidget *w, gpointer data)
{
	gpointer *ctx = data;
	put_widget (w, ctx[1], GPOINTER_TO_INT (ctx[2]), ctx[0]);
}

static void
put_widget (GtkWidget *w, GtkWidget *top, gint depth, GString *out)
{
	GtkAllocation a;
	gint x = 0, y = 0;
	g_autofree gchar *text = widget_text (w);
	g_autofree gchar *tip = gtk_widget_get_tooltip_text (w);
	g_autofree gchar *extra = widget_extra (w);

	gtk_widget_get_allocation (w, &a);
	if (w != top)
		gtk_widget_translate_coordinates (w, top, 0, 0, &x, &y);
	g_string_append (out, "N");
	put_int (out, depth);
	put_text (out, G_OBJECT_TYPE_NAME (w));
	put_text (out, gtk_widget_get_name (w));
	put_text (out, text);
	put_int (out, gtk_widget_is_sensitive (w));
	put_int (out, gtk_widget_get_mapped (w));
	put_int (out, x);
	put_int (out, y);
	put_int (out, a.width);
	put_int (out, a.height);
	put_text (out, tip);
	put_text (out, extra);
	g_string_append_c (out, '\n');
	if (GTK_IS_TREE_VIEW (w)) {
		GtkTreeModel *model = gtk_tree_view_get_model (GTK_TREE_VIEW (w));
		gpointer ctx[2] = { out, GINT_TO_POINTER (depth) };
		g_string_append (out, "C");
		put_int (out, depth);
		for (guint i = 0; i < gtk_tree_view_get_n_columns (GTK_TREE_VIEW (w)); i++)
			put_text (out, gtk_tree_view_column_get_title (gtk_tree_view_get_column (
			                       GTK_TREE_VIEW (w), (gint) i)));
		g_string_append_c (out, '\n');
		if (model != NULL)
			gtk_tree_model_foreach (model, put_row, ctx);
	} else if (GTK_IS_CMCLIST (w)) {
		put_cmclist (GTK_CMCLIST (w), depth, out);
	}
	if (GTK_IS_CONTAINER (w)) {
		gpointer ctx[3] = { out, top, GINT_TO_POINTER (depth + 1) };
		gtk_container_forall (GTK_CONTAINER (w), put_child, ctx);
	}
	/* a menu item's submenu lives in a popup window of its own, listed as a toplevel */
}

static gchar *
dump (void)
{
	GString *out = g_string_new (NULL);
	GList *tops = gtk_window_list_toplevels ();

	for (GList *l = tops; l != NULL; l = l->next) {
		GtkWidget *w = l->data;
		gint x = 0, y = 0;
		GtkAllocation a;
		if (!gtk_widget_get_mapped (w))
			continue;
		gtk_window_get_position (GTK_WINDOW (w), &x, &y);
		gtk_widget_get_allocation (w, &a);
		g_string_append (out, "W");
		put_text (out, gtk_window_get_title (GTK_WINDOW (w)));
		put_text (out, G_OBJECT_TYPE_NAME (w));
		put_int (out, x);
		put_int (out, y);
		put_int (out, a.width);
		put_int (out, a.height);
		put_int (out, gtk_window_get_modal (GTK_WINDOW (w)));
		g_string_append_c (out, '\n');
		put_widget (w, w, 0, out);
	}
	g_list_free (tops);
	return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------- the heartbeat */

#define HEARTBEAT_MS 5

static guint heartbeat;
static gint64 last_tick;   /* monotonic µs */
static gint64 longest_gap; /* µs, since the last "stall\n" */

static gboolean
tick (gpointer data)
{
	gint64 now = g_get_monotonic_time ();

	longest_gap = MAX (longest_gap, now - last_tick);
	last_tick = now;
	return G_SOURCE_CONTINUE;
}

static gchar *
stall (void)
{
	gint64 now = g_get_monotonic_time ();
	gint64 gap = MAX (longest_gap, now - last_tick);

	/* the gap open now ends with this answer: the next one counts from here */
	longest_gap = 0;
	last_tick = now;
	return g_strdup_printf ("%.1f\n", gap / 1000.0);
}

/* The mapped tree view called @name below @w, or NULL. */
static GtkWidget *
named_view (GtkWidget *w, const char *name)
{
	GtkWidget *found = NULL;

	if (!gtk_widget_get_mapped (w))
		return NULL;
	if (GTK_IS_TREE_VIEW (w) && g_strcmp0 (gtk_widget_get_name (w), name) == 0)
		return w;
	if (GTK_IS_CONTAINER (w)) {
		GList *children = gtk_container_get_children (GTK_CONTAINER (w));
		for (GList *l = children; l != NULL && found == NULL; l = l->next)
			found = named_view (l->data, name);
		g_list_free (children);
	}
	return found;
}

static gchar *
rows (const char *name)
{
	GList *tops = gtk_window_list_toplevels ();
	gint n = -1;

	for (GList *l = tops; l != NULL && n < 0; l = l->next) {
		GtkWidget *view = named_view (l->data, name);
		GtkTreeModel *model
		        = view != NULL ? gtk_tree_view_get_model (GTK_TREE_VIEW (view)) : NULL;
		if (view != NULL)
			n = model != NULL ? gtk_tree_model_iter_n_children (model, NULL) : 0;
	}
	g_list_free (tops);
	return g_strdup_printf ("%d\n", n);
}

/* The rest of a request line after its first @got bytes, without the newline, into @buf
 * (@size bytes); FALSE when it does not end in a newline within @size. */
static gboolean
rest_of_line (GInputStream *in, gchar *buf, gsize got, gsize size)
{
	while (got < size - 1) {
		gsize n = 0;
		if (got > 0 && buf[got - 1] == '\n') {
			buf[got - 1] = '\0';
			return TRUE;
		}
		if (!g_input_stream_read_all (in, buf + got, 1, &n, NULL, NULL) || n != 1)
			return FALSE;
		got++;
	}
	return FALSE;
}

static gboolean
incoming (GSocketService *s, GSocketConnection *conn, GObject *source, gpointer data)
{
	GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
	GOutputStream *outs = g_io_stream_get_output_stream (G_IO_STREAM (conn));
	gchar buf[64] = { 0 };
	gsize got = 0;

	/* the request is one short line; the reply is written whole, then the connection ends.
	 * A client that sends nothing may not hold Claws' main loop for long. */
	g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
	if (g_input_stream_read_all (in, buf, 5, &got, NULL, NULL) && got == 5
	    && memcmp (buf, "dump\n", 5) == 0) {
		g_autofree gchar *text = dump ();
		g_output_stream_write_all (outs, text, strlen (text), NULL, NULL, NULL);
	} else if (got == 5 && rest_of_line (in, buf, got, sizeof buf)) {
		g_autofree gchar *text = strcmp (buf, "stall") == 0        ? stall ()
		                         : g_str_has_prefix (buf, "rows ") ? rows (buf + 5)
		                                                           : NULL;
		if (text != NULL)
			g_output_stream_write_all (outs, text, strlen (text), NULL, NULL, NULL);
	}
	g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
	return TRUE;
}

gint
plugin_init (gchar **error)
{
	g_autofree gchar *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA1, get_rc_dir (), -1);
	g_autofree gchar *name = g_strconcat ("rtls-inspect-", sum, NULL);
	g_autoptr (GSocketAddress) addr
	        = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
	g_autoptr (GError) e = NULL;

	service = g_socket_service_new ();
	if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), addr, G_SOCKET_TYPE_STREAM,
	                                    G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &e)) {
		*error = g_strdup_printf ("rtls-inspect: %s", e->message);
		g_clear_object (&service);
		return -1;
	}
	g_signal_connect (service, "incoming", G_CALLBACK (incoming), NULL);
	g_socket_service_start (service);
	last_tick = g_get_monotonic_time ();
	heartbeat = g_timeout_add_full (G_PRIORITY_HIGH, HEARTBEAT_MS, tick, NULL, NULL);
	return 0;
}

gboolean
plugin_done (void)
{
	if (heartbeat != 0)
		g_source_remove (heartbeat);
	heartbeat = 0;
	if (service != NULL) {
		g_socket_service_stop (service);
		g_socket_listener_close (G_SOCKET_LISTENER (service));
		g_clear_object (&service);
	}
	return TRUE;
}

const gchar *
plugin_name (void)
{
	return "REQUIRETLS test inspector";
}

const gchar *
plugin_desc (void)
{
	return "Answers the end-to-end tests with what is on the screen. Never installed.";
}

const gchar *
plugin_type (void)
{
	return "GTK3";
}

const gchar *
plugin_licence (void)
{
	return "GPL3+";
}

const gchar *
plugin_version (void)
{
	return "0";
}

struct PluginFeature *
plugin_provides (void)
{
	static struct PluginFeature features[]
	        = { { PLUGIN_UTILITY, "test inspector" }, { PLUGIN_NOTHING, NULL } };
	return features;
}
