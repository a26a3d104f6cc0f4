#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: every outcome the person can meet, in real Claws Mail.

Tools → Send queued REQUIRETLS messages: success, refusal (no REQUIRETLS), temporary failure,
and Cancel, each shown in the queue window (its text read on the screen through the test
inspector) with the message where it must be. Then the delivery rows after the composer's
sends: a refusal sent again with "Send without REQUIRETLS…" is recorded as sent without
REQUIRETLS, a cancel before the greeting is "not sent", a helper SIGKILLed after the final "."
is "not confirmed"; who accepted and who refused are filled only when it happened (the
delivery window's rows as shown). Assertions are on what the servers received, the MH
folders, the journal and what the windows show."""
import os
import re
import signal

import clawsdriver as D
from clawsdriver import T, wait_for

HELPER = T.HELPER
D.require()
T.plan(28)


def write_rc(c, port, starttls):
    with open(os.path.join(c.prof, "requiretlsrc"), "w") as f:
        f.write(f"[general]\nhelper={HELPER}\ndefault=default\ntimeout=8\n\n"
                f"[account-1]\nca-file={ca}\nhost=localhost\nport={port}\n"
                f"starttls={'true' if starttls else 'false'}\n")


def results_of(q):
    """The result paragraphs of a queue window state (queue_window/queue_done), or []."""
    return q["results"] if q else []


def cancel_taken(c):
    """The queue window took the Cancel: its Cancel sending button is insensitive (pressed)
    or gone (the run is over)."""
    win, _ = c.find_named("rtls-queue-window", 2)
    if win is None:
        return False
    b = win.named("rtls-queue-cancel")
    return b is None or not b.sensitive


def journaled(c, subject, result):
    return re.search(rf"subject={re.escape(subject)}\t[^\n]*result={result}\b", c.journal())


def said_by_title(c, title, timeout=5):
    """What the window titled exactly @title says (the inspector's said()), or ""."""
    win = c.window("^" + re.escape(title) + "$", timeout)
    return win.said() if win else ""


def downgrade_confirmation(c):
    """The modal "Send this message without REQUIRETLS?" is on the screen."""
    return any(w.said().startswith("Send this message without REQUIRETLS?") for w in c.screen())


def sent_with(c, subject):
    return [n for n in c.folder("sent") if f"Subject: {subject}".encode() in c.read("sent", n)]


def later(c, subject):
    """Send later with Require TLS; the keys again if a busy machine lost them."""
    before = len(c.folder("queue"))
    tagged = c.log_text().count("REQUIRETLS: queue entry tagged:")
    w = c.compose(subject)
    c.choose(w, "t")
    for attempt in range(3):
        c.keys(w, "shift+ctrl+s")
        if c.wait_gone(f"{subject} - Compose", 10):
            break
        T.diag(f"{subject}: Send later lost, again")
    wait_for(lambda: len(c.folder("queue")) > before, 10)
    # the plugin locked the entry and tagged it (the last thing it does to a new entry)
    wait_for(lambda: c.log_text().count("REQUIRETLS: queue entry tagged:") > tagged, 10)


def menu(c):
    main = c.wait_window("Claws Mail", 5)
    c.keys(main, "alt+t", "q")
    return c.wait_window("Sending queued REQUIRETLS messages", 10)


def clear_queue(c):
    for n in c.folder("queue"):
        os.unlink(os.path.join(c.mail, "queue", n))


def restart(c, port, starttls):
    c.stop()
    clear_queue(c)
    write_rc(c, port, starttls)
    c.start()


def helper_pids(c):
    """The helpers of this test's Claws only: other programs on the machine (another test
    run, a benchmark) may run requiretls-submit too, and must never be killed by us."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if b"requiretls-submit" not in f.read().split(b"\0")[0]:
                        continue
                with open(f"/proc/{p}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{ppid}/cmdline", "rb") as f:
                    parent = f.read().split(b"\0")
                if any(c.prof.encode() in a for a in parent):
                    out.append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    return out


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=900) as good, \
         T.smtp_peer(certs, "--starttls", "--hide-requiretls", lifetime=900) as bare, \
         T.smtp_peer(certs, "--starttls", "--reject-mail=451", lifetime=900) as temp:
        c = D.Claws(x, good.port, ca, HELPER)
        write_rc(c, good.port, True)
        c.start()

        # 1. success
        later(c, "q-ok")
        win = menu(c)
        msgs = D.wait_events(good, "message", 1)
        q = c.queue_done(20)
        res = results_of(q)
        T.ok(win is not None and len(msgs) == 1 and msgs[0].get("requireTLS") is True,
             "queue: a window opens and the message is sent with REQUIRETLS", msgs)
        # (the progress line, naming the message, the server and the stage, is read in case
        # 4: on this fast send it is gone before it can be read)
        T.ok(len(res) == 1 and res[0].startswith("✔ “q-ok”: localhost accepted the message "
                                                 "with REQUIRETLS"),
             "queue: the result in the composer's words, marked ✔", res)
        T.ok(wait_for(lambda: c.folder("queue") == [] and len(sent_with(c, "q-ok")) == 1, 10),
             "queue: then the queue is empty and one Sent copy is filed",
             (c.folder("queue"), c.folder("sent")))
        T.ok(q is not None and not q["running"] and q["progress"] == "Done: 1 of 1 message sent.",
             "queue: the window sums up, Cancel sending gone", q)
        if win:
            c.xdo("windowclose", win)

        # 2. refused: the server has no REQUIRETLS
        restart(c, bare.port, True)
        later(c, "q-refused")
        rc = os.path.join(c.prof, "tagsrc")
        wait_for(lambda: "REQUIRETLS: queue entry tagged" in c.log_text(), 10)
        tags = open(rc).read() if os.path.exists(rc) else ""
        T.ok("Require TLS: Tools → Send queued REQUIRETLS messages" in tags and
             "REQUIRETLS: queue entry tagged" in c.log_text(),
             "the locked entry carries a tag that says where it is sent from", tags)
        # what a person sees in the Queue's message list, with Claws' default columns (the
        # padlock's and the tag's columns are hidden by default): the mark
        rows = [r for r in c.message_list("queue") if "q-refused" in r.get("Subject", "")]
        T.ok(len(rows) == 1 and rows[0].get("[mark]") == "[mark]",
             "the locked entry is marked in the Queue's message list (✓ in the Mark column)",
             rows)
        win = menu(c)
        res = results_of(c.queue_done(30))
        T.ok(win is not None and res and res[-1].startswith(
             "✘ “q-refused”: localhost does not support REQUIRETLS (5.7.30): the message was "
             "not sent.") and "stays locked" in res[-1],
             "refused: the window says why and what becomes of it, marked ✘", res)
        T.ok(bare.events("mail") == [] and len(c.folder("queue")) == 1 and
             sent_with(c, "q-refused") == [],
             "refused: no MAIL reached the server; the entry stays queued, no Sent copy",
             (bare.events(), c.folder("queue")))
        # the composer's next steps, from the queue window: the account's settings (saying
        # why they opened) and Edit (the entry in a composer, with its choice)
        qwin = c.window("^Sending queued REQUIRETLS messages$", 5)
        nxt = qwin.named("rtls-queue-next") if qwin else None
        steps = [b for b in nxt.walk() if b.type == "GtkButton" and b.mapped] if nxt else []
        labels = [b.text for b in steps]
        why = ""
        if len(steps) == 2:
            c.click_widget(qwin, steps[1])
            prefs = c.wait_window("Account preferences", 15)
            wait_for(lambda: c.named("Account preferences$", "rtls-account-reason"), 10)
            reason = c.named("Account preferences$", "rtls-account-reason")
            why = reason.said() if reason else ""
            if prefs:
                c.keys(prefs, "Escape")
                c.wait_gone("Account preferences", 10)
        T.ok(labels == ["_Edit “q-refused”", "Open the account's REQUIRETLS _settings…"]
             and why.startswith("Opened for “q-refused” in the Queue: localhost does not "
                                "support REQUIRETLS"),
             "refused: the window offers the composer's next steps; the settings say why "
             "they opened", (labels, why))
        composer = None
        if len(steps) == 2:
            qwin = c.window("^Sending queued REQUIRETLS messages$", 5)
            steps = [b for b in qwin.named("rtls-queue-next").walk()
                     if b.type == "GtkButton" and b.mapped]
            c.click_widget(qwin, steps[0])
            composer = c.wait_window("q-refused - ", 20)
        said = c.status_line("q-refused - ")[0] if composer else None
        T.ok(composer is not None and said and said.startswith("Require TLS")
             and len(c.folder("queue")) == 1 and bare.events("mail") == [],
             "Edit opens the entry in a composer with Require TLS; it stays queued, unsent",
             (said, c.folder("queue")))
        if composer:
            c.xdo("windowclose", composer)
            c.wait_gone("q-refused - ", 10)
        if win:
            c.xdo("windowclose", win)

        # 3. temporary: 451 to MAIL
        restart(c, temp.port, True)
        later(c, "q-temp")
        win = menu(c)
        res = results_of(c.queue_done(30))
        T.ok(win is not None and res and res[-1].startswith("✘ “q-temp”: ") and
             "cannot take the message right now" in res[-1] and "retried later" in res[-1],
             "temporary: the window says it is retried later", res)
        T.ok(len(c.folder("queue")) == 1 and
             re.search(r"subject=q-temp\t[^\n]*result=temporary\t[^\n]*retry-at=\d+",
                       c.journal()) is not None,
             "temporary: the entry stays; the back-off is in the journal", c.journal()[-800:])
        if win:
            c.xdo("windowclose", win)

        # 4. cancel: a server that never greets
        with T.hostile(certs, "sleep 60\n", tls="implicit", lifetime=90) as h:
            restart(c, h.port, False)
            later(c, "q-cancel")
            win = menu(c)
            wait_for(lambda: h.events("tls"), 20)
            # the server never greets: the progress line stays on that stage (until the
            # helper's time limit), long enough to be read
            want = (f"“q-cancel” (1 of 1) — localhost:{h.port} — "
                    "waiting for the server's greeting")
            prog = []

            def progress_is_greeting():
                q = c.queue_window(2)
                prog[:] = [q["progress"] if q else None]
                return prog[0] == want
            T.ok(wait_for(progress_is_greeting, 15),
                 "queue: the window names the message, the server and the stage", (want, prog))
            for key in ("alt+s", "space"):  # the mnemonic, else the focused button
                if win and not cancel_taken(c):
                    c.keys(win, key)
                    wait_for(lambda: cancel_taken(c), 3)
            q = c.queue_done(20)
            res = results_of(q)
            T.ok(res and res[-1].startswith(
                 "✘ “q-cancel”: Sending was cancelled before the message left (while waiting "
                 "for the server's greeting): it was not sent.") and q["progress"] ==
                 "Done: 0 of 1 message sent.",
                 "cancel: the window says it was not sent", q)
            T.ok(not any(e.get("data", "").upper().startswith("MAIL") for e in h.events("line"))
                 and len(c.folder("queue")) == 1,
                 "cancel: nothing reached the server; the entry stays queued",
                 (h.events(), c.folder("queue")))
            T.ok("subject=q-cancel" in c.journal() and
                 re.search(r"subject=q-cancel\t[^\n]*result=cancelled", c.journal()),
                 "cancel: journaled as cancelled", c.journal()[-600:])
            if win:
                c.xdo("windowclose", win)

        # 5. composer: refused, then "Send without REQUIRETLS…" (Claws sends it itself, to
        # the account's server: the "good" peer)
        restart(c, bare.port, True)
        good.clear()
        w = c.compose("r-downgrade")
        c.choose(w, "t")
        c.keys(w, "ctrl+Return")
        dlg = c.wait_window("REQUIRETLS: not sent", 20)
        msgs = []
        for attempt in range(3):
            if not dlg or not c.windows("REQUIRETLS: not sent"):
                break
            c.keys(dlg, "alt+w")  # "Send _without REQUIRETLS…"
            if not wait_for(lambda: downgrade_confirmation(c), 5):
                T.diag("downgrade: no confirmation yet, again")
                continue
            c.xdo("key", "alt+w")  # the confirmation: Send without REQUIRETLS
            msgs = D.wait_events(good, "message", 1, timeout=12)
            if msgs:
                break
            T.diag("downgrade: the confirmation keys were lost, again")
        msgs = msgs or D.wait_events(good, "message", 1, timeout=5)
        # the send is over once it is journaled (the composer closed with it)
        wait_for(lambda: journaled(c, "r-downgrade", "sent-default"), 15)
        msgs = good.events("message")
        T.ok(dlg is not None and len(msgs) == 1 and not msgs[0].get("requireTLS") and
             bare.events("mail") == [],
             "downgrade: after the explicit confirmation Claws sent it, without REQUIRETLS",
             (msgs, bare.events()))
        T.ok(journaled(c, "r-downgrade", "sent-default"),
             "downgrade: journaled as sent without REQUIRETLS", c.journal()[-800:])

        # 6. composer: cancel before the server greeted
        with T.hostile(certs, "sleep 60\n", tls="implicit", lifetime=90) as h:
            restart(c, h.port, False)
            w = c.compose("r-cancel")
            c.choose(w, "t")
            c.keys(w, "ctrl+Return")
            wait_for(lambda: h.events("tls"), 20)
            # the composer says what it waits for: the helper is past TLS, at the greeting
            c.composer_says("r-cancel", "— waiting for the server's greeting")
            c.keys(w, "alt+c")
            dlg = c.wait_window("REQUIRETLS: not sent", 15)
            T.ok(dlg is not None and re.search(r"subject=r-cancel\t[^\n]*result=cancelled",
                                               c.journal()),
                 "cancel before the greeting: journaled as cancelled, not 'may have been "
                 "accepted'", c.journal()[-600:])
            if dlg:
                c.keys(dlg, "Return")
                c.wait_gone("REQUIRETLS: not sent", 10)

        # 7. composer: the helper is SIGKILLed after the final "." (Claws keeps running)
        stall = ("send 220 h.test ESMTP\nexpect ^EHLO\nsend 250-h.test\nsend 250 REQUIRETLS\n"
                 "expect ^MAIL\nsend 250 ok\nexpect ^RCPT\nsend 250 ok\nexpect ^DATA\n"
                 "send 354 go\nread-data\nsleep 60\n")
        with T.hostile(certs, stall, tls="implicit", lifetime=90) as h:
            restart(c, h.port, False)
            before = set(helper_pids(c))
            w = c.compose("r-killed")
            c.choose(w, "t")
            c.keys(w, "ctrl+Return")
            got = wait_for(lambda: h.events("data"), 20)
            # the content left (the server has the final "."), and Claws knows it
            c.composer_says("r-killed", "— sending the message")
            for p in set(helper_pids(c)) - before:
                os.kill(p, signal.SIGKILL)
            dlg = c.wait_window("REQUIRETLS: may not have been sent", 15)
            said = said_by_title(c, "REQUIRETLS: may not have been sent") if dlg else ""
            T.ok(got and dlg is not None and
                 re.search(r"subject=r-killed\t[^\n]*result=not-confirmed", c.journal()) and
                 not re.search(r"subject=r-killed\t[^\n]*result=failed", c.journal()),
                 "helper killed after the '.': not confirmed, never 'failed'",
                 c.journal()[-800:])
            T.ok(said.startswith("The message may not have been sent | ") and
                 "may have accepted it" in said,
                 "and the person is told the server may have accepted it", said)
            if dlg:
                c.keys(dlg, "Return")
                c.wait_gone("REQUIRETLS: may not have been sent", 10)

        # the rows
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+t", "d")
        dw = c.wait_window("^REQUIRETLS delivery$", 10)
        shown, _ = c.delivery_rows(10)
        # by subject, as shown; "" where nobody accepted, refused or reported
        rows = {r["subject"]: r for r in shown}
        if len(rows) != len(shown):
            T.diag(f"more than one row for a subject: {[r['subject'] for r in shown]}")

        def row(subject, *cols):
            r = rows.get(subject)
            return tuple(r[k] for k in cols) if r else None
        T.ok(dw is not None and row("q-ok", "state", "accepted", "remote", "weight") ==
             ("sent", "localhost", "", "400"),
             "row: success — accepted by the server, refused by nobody", rows.get("q-ok"))
        T.ok(row("q-refused", "state", "accepted", "remote", "weight") ==
             ("not sent", "", "localhost", "700"),
             "row: refusal — refused by the server, accepted by nobody, in bold",
             rows.get("q-refused"))
        T.ok(row("r-downgrade", "state", "remote") == ("sent without REQUIRETLS", ""),
             "row: refusal then downgrade — sent without REQUIRETLS", rows.get("r-downgrade"))
        T.ok(row("r-cancel", "state", "accepted", "remote") == ("not sent — cancelled", "", ""),
             "row: cancel before the greeting — not sent", rows.get("r-cancel"))
        T.ok(row("r-killed", "state", "accepted", "remote", "weight") ==
             ("not confirmed", "", "", "700"),
             "row: helper killed after '.' — not confirmed, in bold", rows.get("r-killed"))
        T.ok(row("q-temp", "state") == ("waiting to retry",) and
             row("q-cancel", "state") == ("not sent — cancelled",),
             "rows: temporary and cancelled queue sends", (rows.get("q-temp"), rows.get("q-cancel")))
        T.ok(len(rows) >= 7 and all(r["reporting"] == "" for r in rows.values()),
             "no row names a reporting server: no bounce came back", rows)
        c.screenshot("delivery-window-rows")
        c.stop()
finally:
    x.stop()
T.done()
