#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end (issue 15, items 1, 8, 9): each refusal of a Require TLS message has its own
next step, one click away, in real Claws Mail under Xvfb.

- certificate not verified → "Save as draft and open the account's REQUIRETLS settings": the
  message is in Drafts with its choice, the composer is closed, the account preferences are
  open at the REQUIRETLS page; a certificate from the trusted CA, for the right name, but
  issued for TLS clients only is refused the same way, in its own words (issue 18);
- a server without REQUIRETLS → the fact first, "Use another submission server for
  REQUIRETLS…": the same;
- temporary → "Keep queued and retry": the composer closes, the entry waits in the queue;
- "Send without REQUIRETLS…" stays, second, behind a confirmation that, on an account
  without TLS, says the message crosses the first hop in clear text; Cancel there leads
  back.
Asserted on the window texts the plugin logs, the windows, what the servers received and
the MH folders."""
import os
import re
import sqlite3

import clawsdriver as D
from clawsdriver import T, wait_for

D.require("import")

T.plan(26)

NOT_SENT = "REQUIRETLS: not sent"


CONFIRM = "Send this message without REQUIRETLS? | "


def confirmation(c):
    """What the downgrade's confirmation says after its headline, or None while it is not
    shown: a window titled "REQUIRETLS: send without it?" (its title was once empty)."""
    for w in c.screen():
        if w.title == "REQUIRETLS: send without it?" and w.said().startswith(CONFIRM):
            return w.said()[len(CONFIRM):]
    return None


def dialogs(c, title=None):
    """What the dialog @title (the refusal by default) says, as a list of one ("" when it
    is not there): its headline and text, " | " between them (read by the inspector)."""
    win = c.window(title or "^" + re.escape(NOT_SENT) + "$", 5)
    return [win.said()] if win else []


def with_subject(c, folder, subject):
    return [n for n in c.folder(folder) if f"Subject: {subject}".encode() in c.read(folder, n)]


def refuse(c, subject):
    """Require TLS, Send: the refusal dialog (its id) and the texts shown since."""
    mark = len(c.log_text())
    w = c.compose(subject)
    c.choose(w, "t")
    c.keys(w, "ctrl+Return")
    dlg = c.wait_window(NOT_SENT, 30)
    c.window("^" + re.escape(NOT_SENT) + "$", 10)  # mapped in GTK too
    return w, dlg, mark


def settings_step(c, dlg, key, subject, mark, shot):
    """Presses the next-step button; TRUE when the draft is saved with its choice, the
    composer closed, and the account preferences opened at the REQUIRETLS page."""
    c.keys(dlg, key)
    prefs = c.wait_window("Account preferences", 20)
    # the REQUIRETLS page is the one shown (the inspector sees it mapped)
    ok_page = wait_for(lambda: c.named("Account preferences$", "rtls-account-page") is not None,
                       10)
    wait_for(lambda: with_subject(c, "draft", subject), 10)  # the draft filed
    # the page says why it opened: the message's subject, the refusal, where it is now
    reason = c.named("Account preferences$", "rtls-account-reason")
    why = reason.said() if reason is not None else ""
    ok_why = (why.startswith(f"Opened for “{subject}”: ") and "The message is in Drafts." in why)
    c.screenshot(shot)
    drafts = with_subject(c, "draft", subject)
    kept = len(drafts) == 1 and b"X-RequireTLS-Request: require" in c.read("draft", drafts[0])
    closed = c.wait_gone(f"{subject} - Compose", 10)
    if prefs:
        c.keys(prefs, "Escape")  # Cancel: nothing changed
        c.wait_gone("Account preferences", 10)
    return (prefs is not None and ok_page and ok_why and kept and closed,
            (prefs, ok_page, why, drafts, closed))


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
otherca = os.path.join(certs, "otherca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=600) as peer, \
         T.smtp_peer(certs, "--starttls", "--hide-requiretls", lifetime=600) as bare, \
         T.smtp_peer(certs, "--starttls", "--reject-mail=451", lifetime=600) as temp, \
         T.smtp_peer(certs, "--starttls", lifetime=600, cert="eku-client") as client_only:
        # ---- 1. the certificate does not verify (the account trusts another CA)
        c = D.Claws(x, peer.port, otherca, T.HELPER)
        c.start()
        w, dlg, mark = refuse(c, "rtls-ref-cert")
        T.ok(dlg is not None, "a certificate failure: the refusal dialog")
        texts = dialogs(c)
        T.ok(texts and texts[-1].startswith("The server's certificate was not accepted | ")
             and texts[-1].lower().count("not sent") == 1,
             "its headline names the problem; that the message was not sent is said once",
             texts[-1:])
        T.ok(texts and "could not be verified: it is not signed by an authority this "
             "account trusts. The message was not sent." in texts[-1]
             and "NOT trusted" not in texts[-1] and texts[-1].count("localhost") == 1,
             "the certificate's problem is said once, in plain words (GnuTLS's text goes "
             "to the log)", texts[-1:])
        win = c.window(NOT_SENT, 5)
        buttons = [b for b in win.walk() if b.type == "GtkButton" and b.mapped] if win else []
        T.ok(win is not None and win.ww <= 640 and len(buttons) == 3
             and len({b.x for b in buttons}) == 1 and len({b.y for b in buttons}) == 3,
             "the dialog keeps a normal width: its three buttons one under the other",
             (win and (win.ww, win.wh), [(b.text, b.x, b.y, b.w) for b in buttons]))
        c.screenshot("composer-refused-certificate")
        T.ok(peer.events("mail") == [], "nothing reached the server", peer.events())
        ok, why = settings_step(c, dlg, "alt+s", "rtls-ref-cert", mark, "account-requiretls-page")
        T.ok(ok, "\"Save as draft and open the account's REQUIRETLS settings\": saved to "
                 "Drafts with its choice, composer closed, the account's REQUIRETLS page open",
             why)
        T.ok(c.folder("queue") == [] and peer.events("mail") == [],
             "no queue entry is left, and still nothing was sent", c.folder("queue"))
        c.stop()
        logs = [c.log_text()]

        # ---- 1b. trusted CA, right name, but a certificate for TLS clients only (issue 18)
        c = D.Claws(x, client_only.port, ca, T.HELPER)
        c.start()
        w, dlg, mark = refuse(c, "rtls-ref-purpose")
        texts = dialogs(c)
        T.ok(dlg is not None and texts
             and "could not be verified: it was not issued for a mail server. The message "
             "was not sent." in texts[-1],
             "a client-only certificate: refused, 'it was not issued for a mail server'",
             texts[-1:])
        c.screenshot("composer-refused-purpose")
        T.ok(client_only.events("mail") == [] and client_only.events("auth") == [],
             "nothing reached that server (no AUTH, no MAIL)", client_only.events())
        ok, why = settings_step(c, dlg, "alt+s", "rtls-ref-purpose", mark,
                                "account-requiretls-page-purpose")
        T.ok(ok and c.folder("queue") == [],
             "the same next step: saved to Drafts with its choice, no queue entry", why)
        c.stop()
        logs.append(c.log_text())

        # ---- 2. a server without REQUIRETLS; the downgrade's confirmation on an account
        # without TLS (ssl_smtp=0 in the test profile) names the clear-text first hop
        c = D.Claws(x, peer.port, ca, T.HELPER,
                    plugin_conf_extra=f"host=localhost\nport={bare.port}\nstarttls=true\n")
        c.start()
        w, dlg, mark = refuse(c, "rtls-ref-bare")
        texts = dialogs(c)
        T.ok(dlg is not None and texts
             and texts[-1].startswith(f"The server localhost:{bare.port} does not offer "
                                      "REQUIRETLS."),
             "no REQUIRETLS: the dialog leads with the plain fact", texts[-1:])
        c.screenshot("composer-require-tls-refused")
        c.keys(dlg, "alt+w")  # "Send _without REQUIRETLS…"
        texts = []
        wait_for(lambda: texts.extend(t for t in [confirmation(c)] if t is not None) or texts, 5)
        T.ok(texts and texts[-1].startswith(
                 "This account connects to localhost without TLS: the message will cross "
                 "this first hop in clear text"),
             "the downgrade's confirmation says the first hop is in clear text", texts[-1:])
        c.screenshot("composer-downgrade-confirmation")
        c.keys(None, "Escape")  # Cancel: back to the refusal
        wait_for(lambda: confirmation(c) is None and c.windows(NOT_SENT) != [], 10)
        T.ok(c.windows(NOT_SENT) != [] and bare.events("mail") == []
             and peer.events("mail") == [],
             "Cancel leads back to the refusal; nothing was sent")
        dlg = c.wait_window(NOT_SENT, 5)
        ok, why = settings_step(c, dlg, "alt+u", "rtls-ref-bare", mark, "account-requiretls-page-2")
        T.ok(ok, "\"Use another submission server for REQUIRETLS…\": draft saved, composer "
                 "closed, the account's REQUIRETLS page open", why)
        T.ok(c.folder("queue") == [] and bare.events("mail") == [],
             "no queue entry left; nothing sent", c.folder("queue"))

        # the downgrade itself, confirmed: Claws sends it, without REQUIRETLS
        c.remote("--select", f"#mh/Mailbox/draft/{with_subject(c, 'draft', 'rtls-ref-bare')[0]}")
        # selected: the main window's message view shows the draft
        wait_for(lambda: any("rtls-ref-bare" in (t.text or "") for win in c.screen()
                             if "Claws Mail" in (win.title or "") for t in win.find("TextView")),
                 15)
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+m", "e")
        w = c.wait_window("rtls-ref-bare", 15)
        T.ok(w is not None, "the draft re-opens")
        mark = len(c.log_text())
        c.keys(w, "ctrl+Return")
        dlg = c.wait_window(NOT_SENT, 30)
        c.window("^" + re.escape(NOT_SENT) + "$", 10)  # mapped in GTK too
        c.keys(dlg, "alt+w")
        wait_for(lambda: confirmation(c) is not None, 10)
        for attempt in range(3):  # the confirmation's "Send _without REQUIRETLS", again if lost
            if attempt:
                T.diag(f"confirmation: keys lost, again (attempt {attempt + 1})")
            c.keys(None, "alt+w")
            if wait_for(lambda: confirmation(c) is None or "after explicit confirmation"
                        in c.log_text()[mark:] or peer.events("message"), 5):
                break
        msgs = D.wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and not msgs[0].get("requireTLS") and bare.events("mail") == [],
             "confirmed: Claws sends it through the account's own server, without REQUIRETLS",
             msgs)
        wait_for(lambda: with_subject(c, "sent", "rtls-ref-bare")
                 and with_subject(c, "draft", "rtls-ref-bare") == [], 10)
        T.ok(len(with_subject(c, "sent", "rtls-ref-bare")) == 1
             and with_subject(c, "draft", "rtls-ref-bare") == [],
             "one Sent copy, the draft gone", (c.folder("sent"), c.folder("draft")))
        T.ok("sending without REQUIRETLS after explicit confirmation" in c.log_text()[mark:],
             "the log names the act as the button does")
        c.stop()
        logs.append(c.log_text())

        peer.clear()

        # ---- 3. temporary (451 to MAIL FROM): keep queued and retry
        c = D.Claws(x, peer.port, ca, T.HELPER,
                    plugin_conf_extra=f"host=localhost\nport={temp.port}\nstarttls=true\n")
        c.start()
        w, dlg, mark = refuse(c, "rtls-ref-temp")
        T.ok(dlg is not None, "a temporary refusal: the dialog")
        c.screenshot("composer-refused-temporary")
        c.keys(dlg, "alt+k")  # "_Keep queued and retry"
        T.ok(c.wait_gone(f"rtls-ref-temp - Compose", 10), "Keep queued and retry closes the composer")
        wait_for(lambda: with_subject(c, "queue", "rtls-ref-temp"), 10)
        q = with_subject(c, "queue", "rtls-ref-temp")
        T.ok(len(q) == 1 and b"X-RequireTLS-Request: require" in c.read("queue", q[0]),
             "the message waits in the queue, still Require TLS", c.folder("queue"))
        T.ok(temp.events("message") == [] and peer.events("mail") == [],
             "nothing was accepted anywhere", (temp.events("message"), peer.events("mail")))
        c.stop()
        logs.append(c.log_text())
        peer.clear()

        # ---- 4. the history is locked by another program: nothing leaves without its row
        c = D.Claws(x, peer.port, ca, T.HELPER)
        c.start()
        db = sqlite3.connect(os.path.join(c.prof, "requiretls.db"), isolation_level=None,
                             timeout=10)
        db.execute("BEGIN EXCLUSIVE")
        try:
            w, dlg, mark = refuse(c, "rtls-ref-locked")
            texts = dialogs(c)
            T.ok(dlg is not None and any("in use by another program" in t for t in texts),
                 "a locked history: refused, and the dialog says why", texts)
            T.ok(peer.events("mail") == [] and peer.events("message") == [],
                 "nothing reached the server, not even MAIL FROM", peer.events("mail"))
        finally:
            db.execute("ROLLBACK")
            db.close()
        c.stop()
        logs.append(c.log_text())
        T.ok(all("missing action" not in log for log in logs),
             "no 'missing action' warning in the logs of the three Claws runs")
finally:
    x.stop()
T.done()
