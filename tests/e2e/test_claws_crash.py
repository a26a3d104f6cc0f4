#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: Claws Mail killed (SIGKILL from the test) in the middle of a Require TLS send,
at each phase (waiting for the greeting; after the final "." before the reply; after the 250
reached the helper), with the helper killed too or left running. Then Claws restarts on the
same profile and is poked by everything that sends queued mail: the retry timer (the test
shortens its first interval to 3 s), `claws-mail --send`, offline/online, and Tools → Send
queued REQUIRETLS messages, where the question about a message that may already have been
accepted is answered "keep it queued". The server must have the message at most once; the Sent
folder holds one copy when the server accepted it, none otherwise; the journal and the
delivery window say what happened. Finally the test, as the person, confirms a resend once.
Assertions are on what the servers received, the MH folders, the journal and what the windows
show (the question, the queue window and the delivery rows, read through the test inspector).

The cases run as three tests side by side (the argument): "before" (killed while the helper
waits for the greeting, helper killed and left running), "after" (killed after the content
left, before the reply to "."; both ways; then the person confirms a resend) and "completed"
(the helper, left running, gets the 250 while Claws is dead; Claws killed between filing the
Sent copy and journaling it). Every other crash point is replayed by tests/unit/test-attempt.c."""
import os
import re
import signal
import sys
import time

import clawsdriver as D
from clawsdriver import T, wait_for

HELPER = T.HELPER
D.require()

# (phase, helper killed) per test; "filed" is the kill between the Sent copy and the journal
GROUPS = {
    "before": [("greeting", True), ("greeting", False)],
    "after": [("dot", True), ("dot", False)],
    "completed": [("quit", False), ("filed", None)],
}
GROUP = sys.argv[1] if len(sys.argv) > 1 else ""
if GROUP not in GROUPS:
    sys.exit(f"usage: {sys.argv[0]} {'|'.join(GROUPS)}")
CASES = GROUPS[GROUP]
T.plan(sum(4 if phase == "filed" else 9 for phase, _ in CASES)
       + (3 if ("greeting", True) in CASES else 0) + (3 if ("dot", True) in CASES else 0))

SCRIPTS = {
    # implicit TLS is up, then nothing: the helper waits for the greeting
    "greeting": "sleep 100\n",
    # the whole message arrives, the reply to "." never does
    "dot": ("send 220 h.test ESMTP\nexpect ^EHLO\nsend 250-h.test\nsend 250 REQUIRETLS\n"
            "expect ^MAIL\nsend 250 ok\nexpect ^RCPT\nsend 250 ok\nexpect ^DATA\n"
            "send 354 go\nread-data\nsleep 100\n"),
    # the 250 reaches the helper; the reply to QUIT never does. The helper takes the 250 as
    # the reply to "." only once the reply to QUIT (or the server closing) shows that nothing
    # came after it (an unsolicited 250 then a 554 must never read as sent): killed while it
    # waits for that, the message is "not confirmed" and the person decides; left running, its
    # timeout on QUIT leaves the 250 standing.
    "quit": ("send 220 h.test ESMTP\nexpect ^EHLO\nsend 250-h.test\nsend 250 REQUIRETLS\n"
             "expect ^MAIL\nsend 250 ok\nexpect ^RCPT\nsend 250 ok\nexpect ^DATA\n"
             "send 354 go\nread-data\nsend 250 2.0.0 queued as X\nexpect ^QUIT\nsleep 100\n"),
}


def write_rc(c, port):
    with open(os.path.join(c.prof, "requiretlsrc"), "w") as f:
        f.write(f"[general]\nhelper={HELPER}\ndefault=default\ntimeout=5\n"
                "retry-first-seconds=3\n\n"
                f"[account-1]\nca-file={ca}\nhost=localhost\nport={port}\nstarttls=false\n")


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def claws_pid(c):
    # timeout → stdbuf, which execs claws-mail
    for p in children(c.proc.pid):
        if any(b"claws-mail" in a for a in cmdline(p)):
            return p
    return None


def helpers_of(pid):
    """The helpers sending for Claws @pid (not a readiness check, requiretls-submit --check,
    which a Require TLS composer may run beside them and which sends nothing)."""
    return [p for p in children(pid) if any(b"requiretls-submit" in a for a in cmdline(p))
            and b"--check" not in cmdline(p)]


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def sent_with(c, subject):
    return [n for n in c.folder("sent") if f"Subject: {subject}".encode() in c.read("sent", n)]


def received(peer, subject):
    return [m for m in peer.events("message") if f"Subject: {subject}" in m.get("headers", "")]


def results(c, envid):
    return re.findall(rf"envid={envid}\t.*?result=([a-z-]+)", c.journal())


def results_by_subject(c, subject):
    return re.findall(rf"subject={re.escape(subject)}\t.*?result=([a-z-]+)", c.journal())


QUESTION = "REQUIRETLS: send again?"


def menu_send_queued(c, answer=None):
    """Tools → Send queued REQUIRETLS messages; a resend question is answered @answer
    ("keep" or "send"). Returns what the question said (the inspector's said(), read before
    it is answered; None if no question came) and the queue window's state once its run
    ended (Claws' queue_done; None if the window never showed)."""
    main = c.wait_window("Claws Mail", 5)
    seen = {}

    def question_or_over():
        # the questions come first, the run after them: a run that ended asked nothing
        for w in c.screen():
            if w.title == QUESTION:
                seen["question"] = w
                return True
            if w.named("rtls-queue-window") is not None and w.named("rtls-queue-cancel") is None:
                seen["over"] = w
                return True
        return False
    for attempt in range(3):
        c.keys(main, "Escape", "alt+t", "q")
        if wait_for(question_or_over, 15):
            break
        T.diag("Send queued REQUIRETLS messages: menu keys lost, again")
    said = None
    if "question" in seen:
        said = seen["question"].said()
        q = c.wait_window(QUESTION, 5)
        c.keys(q, "alt+s" if answer == "send" else "Return")
        c.wait_gone(QUESTION, 10)
    state = c.queue_done(30)
    w = c.wait_window("Sending queued REQUIRETLS messages", 5)
    if w is not None:
        c.keys(w, "Escape")
        c.xdo("windowclose", w)
        c.wait_gone("Sending queued REQUIRETLS messages", 10)
    return said, state


def delivery_rows(c):
    """Tools → REQUIRETLS delivery: (the window, its rows as (state, subject)); the window
    is closed again."""
    main = c.wait_window("Claws Mail", 5)
    c.keys(main, "alt+t", "d")
    dw = c.wait_window("^REQUIRETLS delivery$", 10)
    rows = [(r["state"], r["subject"]) for r in c.delivery_rows()[0]] if dw else []
    if dw:
        c.xdo("windowclose", dw)
        c.wait_gone("^REQUIRETLS delivery$", 10)
    return dw, rows


def spool_left(c):
    spool = os.path.join(c.prof, "requiretls")
    return sorted(os.listdir(spool)) if os.path.isdir(spool) else []


def killed_after_copy(peer):
    """Killed after the Sent copy was filed, before the journal said so and before the
    queue entry went (the plugin kills itself at that very point: RTLS_TEST_KILL_AFTER_COPY
    names the message, a seam built only with -Dtest_hooks=true; a test can hit no narrower
    moment from outside)."""
    subject = "crash-filed"
    peer.clear()
    c = D.Claws(x, peer.port, ca, HELPER)
    write_rc(c, peer.port)
    c.env["RTLS_TEST_KILL_AFTER_COPY"] = subject
    c.start()
    w = c.compose(subject)
    c.choose(w, "t")
    c.keys(w, "ctrl+Return")
    died = wait_for(lambda: c.proc.poll() is not None, 40)
    c.proc = None
    j = c.journal()
    T.ok(died and len(sent_with(c, subject)) == 1 and len(c.folder("queue")) == 1 and
         "result=sent\t" in j and "result=filed" not in j,
         "filed/killed: Claws died with the copy in Sent, the entry queued, the journal "
         "not yet saying 'filed'", (died, c.folder("sent"), c.folder("queue"), j[-800:]))
    m = re.search(r"envid=(rtls-[0-9a-f]+)\t[^\n]*result=started", j)
    envid = m.group(1) if m else "?"
    del c.env["RTLS_TEST_KILL_AFTER_COPY"]
    c.start()
    # the restart finishes the bookkeeping: filed, the entry removed, closed
    wait_for(lambda: "closed" in results(c, envid) and c.folder("queue") == [], 30)
    # the queue is empty: nothing is left that the timer, --send or going online could send;
    # they are poked anyway, and the menu then has nothing to ask or send
    c.remote("--send")
    c.remote("--offline")
    c.remote("--online")
    asked, q = menu_send_queued(c, answer="keep")
    T.ok(len(received(peer, subject)) == 1 and len(sent_with(c, subject)) == 1 and
         c.folder("queue") == [],
         "filed/killed: after the restart the server has it once, Sent holds one copy, "
         "the queue is empty", (received(peer, subject), c.folder("sent"), c.folder("queue")))
    T.ok(results(c, envid) == ["started", "sent", "filed", "closed"],
         "filed/killed: the journal says started → sent → filed → closed", results(c, envid))
    dw, rows = delivery_rows(c)
    mine = [st for st, subj in rows if subj == subject]
    T.ok(asked is None and q is not None and not q["results"] and mine == ["sent"],
         "filed/killed: nothing asked or sent by the menu, the row says 'sent'",
         (asked, q, rows))
    c.stop()


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
previous = os.path.join(T.SRCDIR, "data", "journal-previous-release.txt")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, lifetime=1500) as peer:
        for phase, helper_killed in CASES:
            if phase != "filed":
                name = f"{phase}/{'helper killed' if helper_killed else 'helper left running'}"
                subject = f"crash-{phase}-{'k' if helper_killed else 'r'}"
                with T.hostile(certs, SCRIPTS[phase], tls="implicit", lifetime=150) as h:
                    c = D.Claws(x, peer.port, ca, HELPER)
                    write_rc(c, h.port)
                    first = phase == "greeting" and helper_killed
                    if first:
                        # rows written by the previous release must still show
                        with open(previous) as src, \
                             open(os.path.join(c.prof, "requiretls-journal"), "w") as dst:
                            dst.write(src.read())
                    c.start()
                    w = c.compose(subject)
                    c.choose(w, "t")
                    c.keys(w, "ctrl+Return")
                    # the composer's status line says the stage once Claws got it from the
                    # helper: the kill comes at that very stage
                    if phase == "greeting":
                        reached = wait_for(lambda: h.events("tls"), 30) and c.composer_says(
                            subject, "— waiting for the server's greeting")
                    elif phase == "dot":
                        reached = wait_for(lambda: h.events("data"), 30) and c.composer_says(
                            subject, "— sending the message")
                    else:
                        reached = wait_for(lambda: any(e.get("data", "").upper() == "QUIT"
                                                       for e in h.events("line")), 30)
                    pid = claws_pid(c)
                    helpers = helpers_of(pid) if pid else []
                    m = re.search(r"envid=(rtls-[0-9a-f]+)\t[^\n]*result=started", c.journal())
                    envid = m.group(1) if m else "?"
                    # Claws first: killed in that order, Claws never sees its helper die
                    # (the other order lets a slow machine's Claws take the helper's death
                    # as a result before its own kill lands, a different scenario)
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                    if helper_killed:
                        for hp in helpers:
                            os.kill(hp, signal.SIGKILL)
                    c.proc.wait(20)
                    c.proc = None
                    T.ok(reached and pid and len(helpers) == 1 and m is not None,
                         f"{name}: Claws killed at the phase, 'started' journaled first",
                         (reached, pid, helpers, c.journal()[-600:]))
                    if not helper_killed:
                        # it finishes (or times out) on its own; the test waits for that
                        wait_for(lambda: not any(alive(p) for p in helpers), 40)
                    # restart on the same profile; every later send goes to the peer
                    write_rc(c, peer.port)
                    c.start()
                    wait_for(lambda: len(results(c, envid)) >= 2, 30)
                    # may the server have it while the plugin cannot know? (see SCRIPTS)
                    held = phase == "dot" or (phase == "quit" and helper_killed)
                    # by the person only: interrupted (the helper killed before the content
                    # left: Tools → Send queued sends it, without asking) and held
                    by_person = held or (phase == "greeting" and helper_killed)
                    if phase == "greeting" and not helper_killed:
                        # a temporary failure (the helper's time limit): the retry timer (3 s
                        # here) sends it again by itself, once; that send is over when its
                        # Sent copy is filed, the queue empty and the journal says closed
                        wait_for(lambda: received(peer, subject) and sent_with(c, subject)
                                 and c.folder("queue") == []
                                 and results_by_subject(c, subject)[-1:] == ["closed"], 40)
                    elif by_person:
                        # nothing to wait for: the time proves that the retry timer (its
                        # first interval 3 s here) never sends it by itself
                        time.sleep(7)
                    else:
                        # accepted while Claws was dead: the restart files it and removes
                        # the entry (journaled: closed)
                        wait_for(lambda: c.folder("queue") == [], 20)
                    mark = len(c.log_text())
                    c.remote("--send")
                    c.remote("--offline")
                    c.remote("--online")
                    if c.folder("queue"):
                        # Claws handles the three in order, each to its end (its own sender
                        # skips the locked entry): once going online made the plugin look
                        # at the entry and leave it ("not due"), none of them sent it
                        wait_for(lambda: re.search(r"REQUIRETLS: queue entry \d+ not due",
                                                   c.log_text()[mark:]), 15)
                    # (otherwise the queue is empty: the pokes have nothing to send)
                    asked, q = menu_send_queued(c, answer="keep")
                    at_server = len(h.events("data")) + len(received(peer, subject))
                    want = {"greeting": 1, "dot": 1, "quit": 1}[phase]
                    T.ok(at_server == want,
                         f"{name}: the servers received the message {want} time(s), not more",
                         (h.events("data"), received(peer, subject)))
                    sent = sent_with(c, subject)
                    want_sent = 0 if held else 1
                    T.ok(len(sent) == want_sent,
                         f"{name}: {want_sent} Sent cop{'y' if want_sent == 1 else 'ies'}",
                         c.folder("sent"))
                    queue = c.folder("queue")
                    T.ok(len(queue) == (1 if held else 0),
                         f"{name}: the queue holds the entry only while it is not confirmed",
                         queue)
                    res = results(c, envid)
                    want_res = {
                        "greeting": ["started", "interrupted"] if helper_killed
                        else ["started", "temporary"],
                        "dot": ["started", "not-confirmed"],
                        "quit": ["started", "not-confirmed"] if helper_killed
                        else ["started", "sent", "filed", "closed"],
                    }[phase]
                    T.ok(res == want_res, f"{name}: the journal says {' → '.join(want_res)}",
                         (res, c.journal()[-1500:]))
                    T.ok((asked is not None) == held,
                         f"{name}: the menu asks before a message that may have been accepted"
                         if held else f"{name}: the menu asks nothing", (asked, q))
                    if held:
                        kept = f"✘ “{subject}”: kept in the queue, not sent again"
                        T.ok(asked is not None
                             and f" | “{subject}” to bob@example.net: " in asked
                             and "the server may have accepted it" in asked
                             and q is not None and any(r.startswith(kept) for r in q["results"]),
                             f"{name}: the question says what is known; the window says it "
                             "was kept", (asked, q))
                    else:
                        # the window says what the menu did: sent the interrupted one, or
                        # nothing (the queue was empty)
                        T.ok(asked is None and q is not None and (
                             [r.split(":", 1)[0] for r in q["results"]] == [f"✔ “{subject}”"]
                             if by_person else q["results"] == []),
                             f"{name}: no question; the window says what was sent",
                             (asked, q))
                    spool = os.path.join(c.prof, "requiretls")
                    wait_for(lambda: spool_left(c) == [], 10)
                    left = spool_left(c)
                    T.ok(left == [] and os.stat(spool).st_mode & 0o777 == 0o700,
                         f"{name}: no message copy or status file is left; the directory is 0700",
                         left)
                    # the delivery window: the row says what happened
                    dw, rows = delivery_rows(c)
                    mine = [s for s, subj in rows if subj == subject]
                    want_row = "not confirmed" if held else "sent"
                    T.ok(dw is not None and mine == [want_row],
                         f"{name}: the delivery row says '{want_row}'", rows)
                    if first:
                        old = [subj for s, subj in rows if subj.startswith("Previous ")]
                        T.ok(len(set(old)) == 4 and
                             ("not sent", "Previous refused") in rows and
                             ("waiting to retry", "Previous temporary") in rows,
                             "the previous release's rows still show", rows)
                        # the migration: once, said in the log, the old file kept beside
                        j = os.path.join(c.prof, "requiretls-journal")
                        T.ok(not os.path.exists(j) and os.path.exists(j + ".imported") and
                             "imported 5 records of the earlier history" in c.log_text() and
                             "0 lines could not be read" in c.log_text(),
                             "the previous release's journal was imported into the store "
                             "once, said in the log, and kept as requiretls-journal.imported",
                             [ln for ln in c.log_text().splitlines() if "import" in ln])
                        db = os.path.join(c.prof, "requiretls.db")
                        T.ok(all(os.stat(db + sfx).st_mode & 0o777 == 0o600
                                 for sfx in ("", "-wal", "-shm") if os.path.exists(db + sfx)),
                             "the store and its -wal and -shm files are 0600",
                             [(sfx, oct(os.stat(db + sfx).st_mode)) for sfx in
                              ("", "-wal", "-shm") if os.path.exists(db + sfx)])
                    if phase == "dot" and helper_killed:
                        # the person confirms: now, and only now, it goes out again
                        peer.clear()
                        asked, q = menu_send_queued(c, answer="send")
                        # the run is over: sent, or not at all
                        msgs = peer.events("message")
                        T.ok(asked is not None and len(received(peer, subject)) == 1 and
                             "result=confirmed" in c.journal(),
                             "confirmed by the person: sent again, once, and journaled", msgs)
                        T.ok(wait_for(lambda: len(sent_with(c, subject)) == 1
                                      and c.folder("queue") == [], 15),
                             "then one Sent copy and an empty queue",
                             (c.folder("sent"), c.folder("queue")))
                        T.ok(q is not None and q["progress"] == "Done: 1 of 1 message sent."
                             and any(r.startswith(f"✔ “{subject}”: localhost accepted the "
                                                  "message with REQUIRETLS")
                                     for r in q["results"]),
                             "the queue window shows its result", q)
                        peer.clear()
                    c.stop()

        if ("filed", None) in CASES:
            killed_after_copy(peer)
finally:
    x.stop()
T.done()
