#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: every outcome the person can meet, in real Claws Mail.

Tools → Send queued REQUIRETLS messages: success, refusal (no REQUIRETLS), temporary failure,
and Cancel, each shown in the queue window (its text asserted through the plugin's debug log)
with the message where it must be. Then the delivery rows after the composer's sends: a
refusal sent again with "Send without REQUIRETLS…" is recorded as sent without REQUIRETLS,
a cancel before the greeting is "not sent", a helper SIGKILLed after the final "." is "not
confirmed"; who accepted and who refused are filled only when it happened. Assertions are on
what the servers received, the MH folders and the journal."""
import os
import re
import signal
import time

import clawsdriver as D
from clawsdriver import T, wait_for

HELPER = T.HELPER
D.require()
T.plan(25)


def write_rc(c, port, starttls):
    with open(os.path.join(c.prof, "requiretlsrc"), "w") as f:
        f.write(f"[general]\nhelper={HELPER}\ndefault=default\ntimeout=8\n\n"
                f"[account-1]\nca-file={ca}\nhost=localhost\nport={port}\n"
                f"starttls={'true' if starttls else 'false'}\n")


def queue_lines(c, kind):
    if kind == "cancel":
        return re.findall(r"REQUIRETLS: queue window: cancel$", c.log_text(), re.M)
    return re.findall(rf"REQUIRETLS: queue window: {kind}: (.*)", c.log_text())


def sent_with(c, subject):
    return [n for n in c.folder("sent") if f"Subject: {subject}".encode() in c.read("sent", n)]


def later(c, subject):
    """Send later with Require TLS; the keys again if a busy machine lost them."""
    before = len(c.folder("queue"))
    w = c.compose(subject)
    c.choose(w, "t")
    for attempt in range(3):
        c.keys(w, "shift+ctrl+s")
        if c.wait_gone(f"{subject} - Compose", 10):
            break
        T.diag(f"{subject}: Send later lost, again")
    wait_for(lambda: len(c.folder("queue")) > before, 10)
    time.sleep(1)


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
        wait_for(lambda: queue_lines(c, "done"), 20)
        res = queue_lines(c, "result")
        prog = queue_lines(c, "progress")
        T.ok(win is not None and len(msgs) == 1 and msgs[0].get("requireTLS") is True,
             "queue: a window opens and the message is sent with REQUIRETLS", msgs)
        T.ok(any("“q-ok” (1 of 1) — localhost:" in p for p in prog),
             "queue: the window names the message, the server and the stage", prog)
        T.ok(res and "“q-ok”: localhost accepted the message with REQUIRETLS" in res[-1],
             "queue: the result in the composer's words", res)
        T.ok(c.folder("queue") == [] and len(sent_with(c, "q-ok")) == 1,
             "queue: then the queue is empty and one Sent copy is filed",
             (c.folder("queue"), c.folder("sent")))
        T.ok("Done: 1 of 1 message sent." in queue_lines(c, "done")[-1],
             "queue: the window sums up", queue_lines(c, "done"))
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
        win = menu(c)
        wait_for(lambda: queue_lines(c, "done"), 30)
        res = queue_lines(c, "result")
        T.ok(win is not None and res and "“q-refused”: localhost does not support REQUIRETLS "
             "(5.7.30): the message was not sent." in res[-1] and "stays locked" in res[-1],
             "refused: the window says why and what becomes of it", res)
        T.ok(bare.events("mail") == [] and len(c.folder("queue")) == 1 and
             sent_with(c, "q-refused") == [],
             "refused: no MAIL reached the server; the entry stays queued, no Sent copy",
             (bare.events(), c.folder("queue")))
        if win:
            c.xdo("windowclose", win)

        # 3. temporary: 451 to MAIL
        restart(c, temp.port, True)
        later(c, "q-temp")
        win = menu(c)
        wait_for(lambda: queue_lines(c, "done"), 30)
        res = queue_lines(c, "result")
        T.ok(win is not None and res and "cannot take the message right now" in res[-1] and
             "retried later" in res[-1], "temporary: the window says it is retried later", res)
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
            time.sleep(1)
            for key in ("alt+s", "space"):  # the mnemonic, else the focused button
                if win and not queue_lines(c, "cancel"):
                    c.keys(win, key)
                    wait_for(lambda: "queue window: cancel" in c.log_text(), 3)
            wait_for(lambda: queue_lines(c, "done"), 20)
            res = queue_lines(c, "result")
            T.ok(res and "“q-cancel”: Sending was cancelled before the message left (while "
                 "waiting for the server's greeting): it was not sent." in res[-1],
                 "cancel: the window says it was not sent", res)
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
            time.sleep(2)
            c.xdo("key", "alt+w")  # the confirmation: Send without REQUIRETLS
            msgs = D.wait_events(good, "message", 1, timeout=12)
            if msgs:
                break
            T.diag("downgrade: the confirmation keys were lost, again")
        msgs = msgs or D.wait_events(good, "message", 1, timeout=5)
        time.sleep(2)
        T.ok(dlg is not None and len(msgs) == 1 and not msgs[0].get("requireTLS") and
             bare.events("mail") == [],
             "downgrade: after the explicit confirmation Claws sent it, without REQUIRETLS",
             (msgs, bare.events()))
        T.ok(re.search(r"subject=r-downgrade\t[^\n]*result=sent-default", c.journal()),
             "downgrade: journaled as sent without REQUIRETLS", c.journal()[-800:])

        # 6. composer: cancel before the server greeted
        with T.hostile(certs, "sleep 60\n", tls="implicit", lifetime=90) as h:
            restart(c, h.port, False)
            w = c.compose("r-cancel")
            c.choose(w, "t")
            c.keys(w, "ctrl+Return")
            wait_for(lambda: h.events("tls"), 20)
            time.sleep(1)
            c.keys(w, "alt+c")
            dlg = c.wait_window("REQUIRETLS: not sent", 15)
            T.ok(dlg is not None and re.search(r"subject=r-cancel\t[^\n]*result=cancelled",
                                               c.journal()),
                 "cancel before the greeting: journaled as cancelled, not 'may have been "
                 "accepted'", c.journal()[-600:])
            if dlg:
                c.keys(dlg, "Return")
            time.sleep(1)

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
            time.sleep(0.5)
            for p in set(helper_pids(c)) - before:
                os.kill(p, signal.SIGKILL)
            dlg = c.wait_window("REQUIRETLS: may not have been sent", 15)
            T.ok(got and dlg is not None and
                 re.search(r"subject=r-killed\t[^\n]*result=not-confirmed", c.journal()) and
                 not re.search(r"subject=r-killed\t[^\n]*result=failed", c.journal()),
                 "helper killed after the '.': not confirmed, never 'failed'",
                 c.journal()[-800:])
            T.ok("may have accepted it" in c.log_text(),
                 "and the person is told the server may have accepted it")
            if dlg:
                c.keys(dlg, "Return")
            time.sleep(1)

        # the rows
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+t", "d")
        dw = c.wait_window("^REQUIRETLS delivery$", 10)
        time.sleep(1.5)
        rows, servers = {}, {}
        log = c.log_text()
        for m in re.finditer(r"delivery row: servers accepted=(\S+) refused=(\S+) "
                             r"reported=(\S+) subject=(.*)", log):
            servers[m.group(4).strip()] = m.groups()[:3]
        for m in re.finditer(r"delivery row: state=(.*?) status=(\S+) recipient=(\S+) "
                             r"subject=(.*)", log):
            subj = m.group(4).strip()
            acc, ref, rep = servers.get(subj, ("?", "?", "?"))
            rows[subj] = (m.group(1), m.group(2), acc, ref, rep, m.group(3), subj)
        T.ok(dw is not None and rows.get("q-ok", ())[:1] == ("sent",) and
             rows["q-ok"][2] == "localhost" and rows["q-ok"][3] == "-",
             "row: success — accepted by the server, refused by nobody", rows.get("q-ok"))
        T.ok(rows.get("q-refused", ())[:1] == ("not sent",) and
             rows["q-refused"][2] == "-" and rows["q-refused"][3] == "localhost",
             "row: refusal — refused by the server, accepted by nobody", rows.get("q-refused"))
        T.ok(rows.get("r-downgrade", ())[:1] == ("sent without REQUIRETLS",) and
             rows["r-downgrade"][3] == "-",
             "row: refusal then downgrade — sent without REQUIRETLS", rows.get("r-downgrade"))
        T.ok(rows.get("r-cancel", ())[:1] == ("not sent — cancelled",) and
             rows["r-cancel"][2] == "-" and rows["r-cancel"][3] == "-",
             "row: cancel before the greeting — not sent", rows.get("r-cancel"))
        T.ok(rows.get("r-killed", ())[:1] == ("not confirmed",) and
             rows["r-killed"][2] == "-" and rows["r-killed"][3] == "-",
             "row: helper killed after '.' — not confirmed", rows.get("r-killed"))
        T.ok(rows.get("q-temp", ())[:1] == ("waiting to retry",) and
             rows.get("q-cancel", ())[:1] == ("not sent — cancelled",),
             "rows: temporary and cancelled queue sends", (rows.get("q-temp"), rows.get("q-cancel")))
        T.ok(all(r[4] == "-" for r in rows.values()),
             "no row names a reporting server: no bounce came back", rows)
        c.screenshot("delivery-window-rows")
        c.stop()
finally:
    x.stop()
T.done()
