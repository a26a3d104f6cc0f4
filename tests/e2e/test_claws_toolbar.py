#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end (issue 15, items 6, 7, 11, 12): the composer's toolbar item and status line in
real Claws Mail under Xvfb.

- The item is a Claws plugin toolbar item: the plugin puts it into the compose toolbar once
  (toolbar_compose.xml), Preferences → Toolbars → Compose Window lists it, Delete takes it
  out of the composer's toolbar, and Add (item type "Plugins") puts it back; the button still
  switches the choice (a menu of the three), and the server receives REQUIRETLS.
- The status line is one line of one height whatever it says (Default, Require TLS, a rule,
  Don't require TLS, sending): the rows below never move; no part of it said twice.
- The send wait names the server, the stage and the seconds.
- Closing composers leaves no "Gtk-WARNING ... missing action RequireTLS/..." in Claws' log.
Asserted on what is on the screen (the texts, widgets and sizes the test inspector reads, tests/inspect), on the toolbar
file Claws saved, on what the servers received and on the MH folders."""
import os
import re

import clawsdriver as D
from clawsdriver import T, wait_for

D.require("import")

T.plan(33)

KEY = "REQUIRETLS/TLS on every hop"
STATUS = "REQUIRETLS: status line: "
# Preferences at 0,0, 1000x800 (test_claws_prefs.py does the same): the page index and the
# Toolbars → Compose Window page of Claws 4.1.1 / 4.3.1
PREFS_COMPOSE_WINDOW = (103, 524)
PREFS_ROW_SEND = (261, 298)
PREFS_DELETE = (411, 225)
PREFS_ADD = (251, 225)
PREFS_ITEM_TYPE = (620, 79)
PREFS_OK = (952, 778)


def toolbar_list(c):
    """The Toolbars → Compose Window page's list of items as shown: (its rows, each [icon
    name, text], the selected row or None), or None while the page is not shown."""
    win = c.window("^Preferences$", 2)
    for v in (win.find("TreeView") if win else []):
        if any(len(r) > 2 and r[1] == "mail_send_queue" for r in v.rows):
            sel = v.extra.get("selected")
            return [r[1:3] for r in v.rows], (int(sel) if sel and sel.isdigit() else None)
    return None


def combo_popup(c):
    """Whether a combo box's popup menu is open."""
    return any(w.named("gtk-combobox-popup-menu") is not None for w in c.screen())


def line(c, title, heights):
    """The composer's status line now (read by the inspector); its height goes to @heights."""
    text, h = c.status_line(title)
    heights.append(h)
    return text or ""


def toolbar_file(c):
    try:
        with open(os.path.join(c.prof, "toolbar_compose.xml")) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def click(c, xy, then=None, timeout=10):
    """Clicks at @xy; @then: a function that tells when the click took effect (waits for it)."""
    c.xdo("mousemove", str(xy[0]), str(xy[1]))
    c.xdo("click", "1")
    return wait_for(then, timeout) if then is not None else True


def item(c, title):
    """The toolbar item in the composer @title, as the inspector sees it, or None."""
    return c.named(title, "rtls-toolbar-item")


def click_item(c, title):
    """Clicks the toolbar item where the inspector sees it; the menu that opens (its window
    and its items, in order), or None."""
    win = c.window(title, 5)
    it = item(c, title)
    if win is None or it is None:
        return None
    c.click_widget(win, it)
    menu = []

    def opened():
        for mw in c.screen():
            m = [w for w in mw.walk() if w.name == "rtls-toolbar-menu" and w.mapped]
            if m:
                menu[:] = [mw, [w for w in m[0].children if "MenuItem" in w.type]]
                return True
        return False
    return menu if wait_for(opened, 5) else None


def pick(c, menu, k):
    """Clicks entry @k of the menu that opened under the item (Default, Require TLS, Don't
    require TLS)."""
    if menu is not None and len(menu[1]) > k:
        c.click_widget(menu[0], menu[1][k])


def open_toolbar_prefs(c):
    main = c.wait_window("Claws Mail", 5)
    c.keys(main, "alt+c", "r")
    prefs = []

    def opened():
        prefs[:] = [w for w in c.windows("Preferences")
                    if c.xdo("getwindowname", w) == "Preferences"]
        return bool(prefs)
    if not wait_for(opened, 15):
        return None
    p = prefs[0]
    c.xdo("windowsize", p, "1000", "800")
    c.xdo("windowmove", p, "0", "0")
    c.settled("^Preferences$", (0, 0, 1000, 800))
    click(c, PREFS_COMPOSE_WINDOW, lambda: toolbar_list(c) is not None)
    c.settled("^Preferences$")  # the page laid out
    return p


def ok_prefs(c, p):
    click(c, PREFS_OK)
    return c.wait_gone("Preferences", 10)


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=600) as peer:
        c = D.Claws(x, peer.port, ca, T.HELPER,
                    plugin_conf_extra="\n[rule 1]\npattern=*.example.gov\naction=require\n")
        c.start()
        xml = toolbar_file(c)
        T.ok(f'text="{KEY}" action="A_CLAWS_PLUGINS"' in xml,
             "the plugin put its item into the compose toolbar (toolbar_compose.xml)", xml)
        T.ok(os.path.exists(os.path.join(c.prof, "requiretls-toolbar")),
             "and noted that it did, once")

        # ---- the item in the composer: three states, one label style, the choice switches
        w = c.compose("rtls-tb-one")
        T.ok(item(c, "rtls-tb-one") is not None, "the composer's toolbar has the item")
        tools = [t.text for t in c.window("rtls-tb-one - Compose").find("ToolButton")]
        T.ok("Send later" in tools and tools.index("Send later") + 1 < len(tools)
             and tools[tools.index("Send later") + 1] == "TLS: Default",
             "it was put right after Send later, and says TLS: Default", tools)
        under = click_item(c, "rtls-tb-one")
        T.ok(under is not None and [m.texts() for m in under[1]] ==
             [["TLS: Default"], ["Require TLS (REQUIRETLS)"], ["Don't require TLS"]],
             "clicking it opens the menu of the three choices",
             under and [m.texts() for m in under[1]])
        c.screenshot("composer-toolbar-menu")
        n = c.log_text().count("REQUIRETLS: choice require\n")
        pick(c, under, 1)
        T.ok(c.wait_log("REQUIRETLS: choice require\n", n, 5),
             "its menu sets Require TLS")
        wait_for(lambda: line(c, "rtls-tb-one", []).startswith("Require TLS: "), 5)
        c.screenshot("composer-require-tls")
        last = line(c, "rtls-tb-one", [])
        T.ok(last.startswith("Require TLS: ") and "not at all" in last
             and last.count("Require TLS") == 1,
             "the status line says what Require TLS means, once", last)
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0].get("requireTLS") is True,
             "the server received the message with REQUIRETLS", msgs)
        T.ok(c.wait_gone("rtls-tb-one - Compose", 15), "the composer closes after success")
        peer.clear()

        # ---- Don't require TLS by the item; a rule's reason; one line, one height
        hs = []
        w = c.compose("rtls-tb-two", to="carol@example.gov")
        wait_for(lambda: line(c, "rtls-tb-two", hs).startswith("Require TLS — rule"), 5)
        last = line(c, "rtls-tb-two", hs)
        T.ok(last.startswith("Require TLS — rule: *.example.gov")
             and last.count("Require TLS") == 1,
             "a rule: the line names the choice and the rule, no repetition", last)
        under = click_item(c, "rtls-tb-two")
        n = c.log_text().count("REQUIRETLS: choice no-require\n")
        pick(c, under, 2)
        T.ok(c.wait_log("REQUIRETLS: choice no-require\n", n, 5),
             "the item's menu sets Don't require TLS")
        wait_for(lambda: line(c, "rtls-tb-two", hs).startswith("Don't require TLS"), 5)
        c.screenshot("composer-dont-require-tls")
        last = line(c, "rtls-tb-two", hs)
        T.ok(last.startswith("Don't require TLS — chosen by hand; rule *.example.gov asks for "
                             "Require TLS") and last.count("Don't require TLS") == 1,
             "chosen by hand against a rule: one line says both, once each", last)
        T.ok(len(set(hs)) == 1 and None not in hs,
             "the status line kept one height through every text", hs)
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1)
        hdr = msgs[0].get("headers", "") if msgs else ""
        T.ok(len(msgs) == 1 and not msgs[0].get("requireTLS")
             and re.search(r"(?im)^TLS-Required: No\r?$", hdr) is not None,
             "sent by Claws with TLS-Required: No, without REQUIRETLS", msgs)
        c.wait_gone("rtls-tb-two - Compose", 15)
        peer.clear()

        # ---- Preferences → Toolbars → Compose Window: the item is listed; Delete; OK
        p = open_toolbar_prefs(c)
        T.ok(p is not None, "Preferences → Toolbars → Compose Window opens")
        c.screenshot("prefs-toolbar-compose")
        # the item's row in the list: as in the file (after Send later)
        rows_in_file = re.findall(r"^\t<(?:item|separator)[^\n]*", toolbar_file(c), re.M)
        our_row = next((i for i, r in enumerate(rows_in_file) if KEY in r), -1)
        row_y = 298 + 26 * our_row
        shown = toolbar_list(c)
        click(c, (344, row_y), lambda: (toolbar_list(c) or ([], None))[1] == our_row)
        click(c, PREFS_DELETE,
              lambda: shown and len((toolbar_list(c) or ([], None))[0]) == len(shown[0]) - 1)
        T.ok(ok_prefs(c, p), "Delete, then OK closes the preferences")
        wait_for(lambda: toolbar_file(c) and KEY not in toolbar_file(c), 10)  # saved
        T.ok(KEY not in toolbar_file(c), "the item is no longer in the compose toolbar",
             toolbar_file(c))
        w = c.compose("rtls-tb-three")
        tools = [t.text for t in c.window("rtls-tb-three").find("ToolButton")]
        T.ok(item(c, "rtls-tb-three") is None and "Send" in tools,
             "a new composer has no such item; the Options menu still has the choice", tools)
        c.choose(w, "n")
        wait_for(lambda: line(c, "rtls-tb-three", []).startswith("Don't require TLS"), 5)
        last = line(c, "rtls-tb-three", [])
        T.ok(last.startswith("Don't require TLS: ") and "without TLS" in last
             and "TLS-Required" not in last,
             "Don't require TLS says what it means for the person, not the header", last)
        c.choose(w, "t")
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0].get("requireTLS") is True,
             "without the item, Require TLS by the menu still goes with REQUIRETLS", msgs)
        c.wait_gone("rtls-tb-three - Compose", 15)
        peer.clear()

        # ---- and added back: Item type "Plugins" offers it; Add; OK
        c.stop()
        c.start()  # a restart does not put it back by itself
        T.ok(KEY not in toolbar_file(c), "a restart leaves the toolbar as the person set it")
        p = open_toolbar_prefs(c)
        # a row: its icon is the one the new item gets
        click(c, PREFS_ROW_SEND, lambda: (toolbar_list(c) or ([], None))[1] == 0)
        click(c, PREFS_ITEM_TYPE, lambda: combo_popup(c))
        c.keys(None, "Down", "Return")  # "User Action" is greyed out without actions
        wait_for(lambda: not combo_popup(c), 10)
        c.settled("^Preferences$")  # the fields of the item type shown
        c.screenshot("prefs-toolbar-plugin-item")
        shown = toolbar_list(c)
        click(c, PREFS_ADD,
              lambda: shown and len((toolbar_list(c) or ([], None))[0]) == len(shown[0]) + 1)
        T.ok(ok_prefs(c, p), "Add, then OK closes the preferences")
        wait_for(lambda: KEY in toolbar_file(c), 10)  # saved
        T.ok(f'text="{KEY}" action="A_CLAWS_PLUGINS"' in toolbar_file(c),
             "the item is back in the compose toolbar", toolbar_file(c))
        w = c.compose("rtls-tb-four")
        T.ok(item(c, "rtls-tb-four") is not None, "a new composer shows it again")
        under = click_item(c, "rtls-tb-four")
        n = c.log_text().count("REQUIRETLS: choice require\n")
        pick(c, under, 1)
        c.wait_log("REQUIRETLS: choice require\n", n, 5)
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0].get("requireTLS") is True,
             "the item put back still switches the choice: REQUIRETLS on the wire", msgs)
        c.wait_gone("rtls-tb-four - Compose", 15)

        def sent_copies():
            return [n for n in c.folder("sent") if b"Subject: rtls-tb-" in c.read("sent", n)]
        wait_for(lambda: len(sent_copies()) >= 4 and c.folder("queue") == [], 10)
        sent = sent_copies()
        T.ok(len(sent) == 4 and c.folder("queue") == [],
             "four Sent copies, one each, and an empty queue", (c.folder("sent"), c.folder("queue")))

        # ---- the send wait: server, stage, seconds, on the same one line
        stall = ("send 220 stall.localhost ESMTP\nexpect ^EHLO\n"
                 "send 250-stall.localhost\nsend 250-REQUIRETLS\nsend 250 8BITMIME\nsleep 60\n")
        with T.hostile(certs, stall, tls="implicit", lifetime=120) as h:
            c.stop()
            rc = os.path.join(c.prof, "requiretlsrc")
            with open(rc) as f:
                text = f.read()
            with open(rc, "w") as f:
                f.write(text.replace("[account-1]\n", "[account-1]\nhost=localhost\n"
                                     f"port={h.port}\nstarttls=false\n", 1))
            c.start()
            w = c.compose("rtls-tb-wait")
            c.choose(w, "t")
            hs = []
            seen = [line(c, "rtls-tb-wait", hs)]
            c.keys(w, "ctrl+Return")
            # the line, read again and again while the helper waits, until it has counted
            # three seconds at a stage (or 20 s are up)

            def waits_now():
                return [ln for ln in seen
                        if ln.startswith(f"Sending with REQUIRETLS to localhost:{h.port} — ")]

            def counted():
                seen.append(line(c, "rtls-tb-wait", hs))
                secs = {m.group(1) for m in (re.search(r" — (\d+) s$", ln)
                                             for ln in waits_now()) if m}
                return len(secs) >= 3 and any(" — asking what the server supports — " in ln
                                              or " — sending the envelope — " in ln
                                              for ln in waits_now())
            wait_for(counted, 20)
            c.screenshot("composer-sending")
            waits = waits_now()
            secs = {int(m.group(1)) for m in (re.search(r" — (\d+) s$", ln) for ln in waits) if m}
            T.ok(waits and len(secs) >= 3 and any(" — asking what the server supports — " in ln
                                                  or " — sending the envelope — " in ln
                                                  for ln in waits),
                 "the wait names the server, the stage and the seconds, counting", waits[-4:])
            T.ok(len(set(hs)) == 1 and None not in hs, "the line keeps its height while sending",
                 hs)
            c.keys(w, "alt+c")  # "Cancel sending" on the status line
            dlg = c.wait_window("REQUIRETLS: not sent", 15)
            if dlg:
                c.keys(dlg, "Return")  # back to editing
                c.wait_gone("REQUIRETLS: not sent", 10)
                # GTK is done with it (its grab gone) when the inspector no longer sees it
                wait_for(lambda: c.window("^REQUIRETLS: not sent$", 0) is None, 10)
            d = None
            for attempt in range(3):  # ctrl+w again only if it was lost (no question came)
                c.keys(w, "ctrl+w")
                d = c.wait_window("Discard message", 5 if attempt < 2 else 10)
                if d:
                    break
            if d:
                c.keys(d, "alt+d")  # "_Discard"
            T.ok(c.wait_gone("rtls-tb-wait", 10)
                 and not any(e.get("data", "").upper().startswith("MAIL") for e in h.events("line")),
                 "cancelled: nothing was sent, and the composer closes", h.events())
            c.stop()
        log = c.log_text()

        # ---- at Claws' default composer width (600 px) the item stays on the toolbar, not in
        # its overflow menu, in English, German and French (a new profile: the item offered
        # there for the first time)
        D.PLUGIN = D.localised_plugin()
        for lang, label in (("C.UTF-8", "TLS: Default"), ("de_DE.UTF-8", "TLS: Standard"),
                            ("fr_FR.UTF-8", "TLS : par défaut")):
            n = D.Claws(x, peer.port, ca, T.HELPER)
            n.env["LANG"] = lang
            with open(os.path.join(n.prof, "clawsrc")) as f:
                rc = f.read()
            with open(os.path.join(n.prof, "clawsrc"), "w") as f:
                f.write(rc.replace("compose_width=1000\n", "compose_width=600\n"))
            n.start()
            try:
                n.compose("rtls-tb-narrow")
                win = n.window("^rtls-tb-narrow - ", 10)
                it = n.named("^rtls-tb-narrow - ", "rtls-toolbar-item")
                bar = it.parent if it is not None else None
                T.ok(win is not None and win.ww <= 640 and it is not None and it.mapped
                     and it.text == label and bar is not None and it.x + it.w <= bar.x + bar.w,
                     f"{lang}: at the default width ({win.ww if win else '?'} px) the item "
                     f"\"{label}\" is on the toolbar, whole",
                     (win and win.ww, it and (it.mapped, it.text, it.x, it.w),
                      bar and (bar.x, bar.w)))
                if lang == "de_DE.UTF-8":
                    n.screenshot("composer-toolbar-600-de")
            finally:
                n.stop()
        T.ok("missing action" not in log,
             "no 'missing action RequireTLS/…' in Claws' log after closing the composers",
             [line for line in log.splitlines() if "missing action" in line][:3])
finally:
    x.stop()
T.done()
