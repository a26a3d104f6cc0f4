#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end (issue 21 I): the plugin's widgets make GTK say nothing.

Claws Mail itself writes a few GTK warnings at every start ("Negative content width …" from
its own main window, with no plugin loaded as well). So the same walk is made twice, in real
Claws under Xvfb: once without the plugin (what Claws says by itself), once with it — the
composer with its status line and toolbar item (its menu, all three choices), a refusal
dialog, Send later into the locked queue, the queue window, the delivery window. Any Gtk-, Gdk-, GLib- or GLib-GObject- WARNING or CRITICAL that
appears only with the plugin fails the test; the numbers in a message (sizes, addresses,
process ids) do not make it another message."""
import os
import re

import clawsdriver as D
from clawsdriver import T, wait_for

D.require()

T.plan(4)

WARNING = re.compile(r"\b(Gtk|Gdk|GLib-GObject|GLib|Pango)-(WARNING|CRITICAL)\b")


def warnings(log):
    """The GTK/GLib warnings in Claws' output, each without its numbers (a set)."""
    return {re.sub(r"0x[0-9a-f]+|\d+", "N", ln[ln.index(m.group(0)):]).strip()
            for ln in log.splitlines() for m in [WARNING.search(ln)] if m}


def tools_item(c, ups):
    """Opens the item @ups from the bottom of the Tools menu (the plugin's two items are the
    last ones, after Claws' own)."""
    main = c.wait_window("Claws Mail", 5)
    c.keys(main, "Escape", "F10", "Right", "Right", "Right", "Right", *(["Up"] * ups),
           "Return")


def walk(c, plugin, peer_port):
    """The same walk with and without the plugin (without it, what it adds is skipped)."""
    w = c.compose("rtls-gtk-one")
    title = "rtls-gtk-one - "
    if plugin:
        it = c.named(title, "rtls-toolbar-item")
        if it is not None:
            c.click_widget(c.window(title, 5), it)
            wait_for(lambda: any(x.name == "rtls-toolbar-menu" and x.mapped
                                 for win in c.screen() for x in win.walk()), 5)
            c.keys(None, "Escape")
        for letter in ("t", "n", "f", "t"):
            c.choose(w, letter)
        c.keys(w, "ctrl+Return")  # the server offers no REQUIRETLS: refused
        dlg = c.wait_window("REQUIRETLS: not sent", 20)
        if dlg:
            c.screenshot("gtk-warnings-refusal")
            c.keys(dlg, "Return")  # Back to editing
            c.wait_gone("REQUIRETLS: not sent", 10)
        c.keys(w, "shift+ctrl+s")  # Send later: locked in the queue
        c.wait_gone(title, 15)
        wait_for(lambda: "REQUIRETLS: queue entry tagged" in c.log_text(), 10)
        tools_item(c, 2)  # Send queued REQUIRETLS messages…
        q = c.queue_done(30)
        win = c.wait_window("Sending queued REQUIRETLS messages", 5)
        if win:
            c.keys(win, "alt+c")  # "_Close"
            c.wait_gone("Sending queued REQUIRETLS messages", 10)
        tools_item(c, 1)  # REQUIRETLS delivery…
        dw = c.wait_window("^REQUIRETLS delivery$", 15)
        c.delivery_rows(10)
        if dw:
            c.keys(dw, "alt+c")  # "_Close"
            c.wait_gone("^REQUIRETLS delivery$", 10)
        return q is not None and dw is not None
    c.close_composer(w, title)
    return True


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", "--hide-requiretls", lifetime=300) as bare:
        # what Claws says by itself
        c0 = D.Claws(x, bare.port, ca, T.HELPER, plugin=False)
        c0.start()
        walk(c0, False, bare.port)
        c0.stop()
        own = warnings(c0.log_text())
        T.diag(f"Claws' own warnings: {sorted(own)}")

        c = D.Claws(x, bare.port, ca, T.HELPER,
                    plugin_conf_extra=f"host=localhost\nport={bare.port}\nstarttls=true\n")
        c.start()
        walked = walk(c, True, bare.port)
        T.ok(walked, "the walk went through the plugin's windows: composer, refusal, queue "
                     "window, delivery window")
        T.ok(bare.events("mail") == [] and len(c.folder("queue")) == 1,
             "nothing was sent without REQUIRETLS; the entry waits locked in the queue",
             (bare.events("mail"), c.folder("queue")))
        c.stop()
        log = c.log_text()
        T.ok(f"(from file {D.PLUGIN}) loaded" in log and
             f"(from file {D.PLUGIN}) loaded" not in c0.log_text(),
             "the plugin was loaded in the second run only")
        mine = warnings(log) - own
        T.ok(not mine, "no GTK or GLib warning that Claws does not write without the plugin",
             sorted(mine))
finally:
    x.stop()
T.done()
