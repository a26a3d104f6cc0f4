#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: a message whose send was not confirmed never goes out again without the
person's word, in real Claws Mail.

Found by driving Claws as a person would: the server takes the whole message and never
answers the final "."; the composer says it may not have been sent and offers only what sends
nothing ("Keep it queued", "Back to editing"; never "Send without REQUIRETLS…", which could
deliver it twice); "Back to editing", then Send again. The second send must ask first ("may
already have been accepted"); back to editing, it is not sent and the composer holds it;
switched to Default, Send asks the same before Claws' own sender may take it.
Put off with Send later, it is sent neither by the retry timer (its first retry set to 2 s
here) nor by Tools → Send queued REQUIRETLS messages without the same question. Assertions
are on what the server received, the journal, the queue folder and the dialogs' texts."""
import os
import re
import time

import clawsdriver as D
from clawsdriver import T, wait_for

HELPER = T.HELPER
D.require()
T.plan(13)

# the failure dialog's window title when the server may already have the message
UNSURE = "REQUIRETLS: may not have been sent"
SAFE_ONLY = "_Keep it queued | _Back to editing"


def offered(c):
    """The choices of the failure dialogs on screen, as labelled (read by the inspector)."""
    return [" | ".join(w.buttons()) for w in c.screen()
            if w.title in (UNSURE, "REQUIRETLS: not sent")]


def attempts(c, subject):
    return re.findall(rf"subject={re.escape(subject)}\t[^\n]*result=started", c.journal())


# the whole message, then silence where the reply to "." is due
STALL = ("send 220 h.test ESMTP\nexpect ^EHLO\nsend 250-h.test\nsend 250-PIPELINING\n"
         "send 250 REQUIRETLS\nexpect ^MAIL\nexpect ^RCPT\nexpect ^DATA\nsend 250 ok\n"
         "send 250 ok\nsend 354 go\nread-data\nsleep 60\n")

certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.hostile(certs, STALL, tls="implicit", lifetime=120) as h:
        c = D.Claws(x, h.port, ca, HELPER)
        with open(os.path.join(c.prof, "requiretlsrc"), "w") as f:
            f.write(f"[general]\nhelper={HELPER}\ndefault=default\ntimeout=5\n"
                    f"retry-first-seconds=2\n\n[account-1]\nca-file={ca}\nhost=localhost\n"
                    f"port={h.port}\nstarttls=false\n")
        c.start()
        subject = "r-twice"
        w = c.compose(subject)
        c.choose(w, "t")
        mark = len(c.log_text())
        c.keys(w, "ctrl+Return")
        got = wait_for(lambda: h.events("data"), 20)
        dlg = c.wait_window(UNSURE, 60)
        T.ok(got and dlg is not None and
             re.search(rf"subject={subject}\t[^\n]*result=not-confirmed", c.journal()),
             "the server took the whole message and never answered: not confirmed",
             c.journal()[-600:])
        time.sleep(0.8)
        c.screenshot("resend-not-confirmed")
        said = [w.said() for w in c.screen() if w.title == UNSURE]
        T.ok(said and said[0].startswith("The message may not have been sent | ") and
             offered(c) == [SAFE_ONLY],
             "the dialog says it may not have been sent and offers only Keep it queued and "
             "Back to editing, no sending without REQUIRETLS", (said, offered(c)))
        if dlg:
            c.keys(dlg, "alt+b")  # Back to editing
        c.wait_gone(UNSURE, 10)

        # Send again from the same composer
        w = c.wait_window(f"{subject} - Compose", 10)
        c.keys(w, "ctrl+Return")
        ask = c.wait_window("REQUIRETLS: send again?", 15)
        c.screenshot("resend-question")
        question = c.window("^REQUIRETLS: send again\\?$", 5) if ask else None
        said = question.said() if question else ""
        T.ok(ask is not None and len(attempts(c, subject)) == 1 and
             said.startswith("This message may already have been accepted | An earlier send "
                             "of “r-twice” was not confirmed by localhost") and
             question.buttons() == ["_Send again", "_Back to editing"],
             "Send again asks first, naming the message and the server, offering Send again "
             "and Back to editing; nothing started yet", (c.journal()[-600:], said))
        mark = len(c.log_text())
        if ask:
            c.keys(ask, "Return")  # the default: back to editing
        c.wait_gone("REQUIRETLS: send again?", 10)
        wait_for(lambda: "not sent again: back to editing" in c.log_text()[mark:], 10)
        time.sleep(2)
        T.ok("not sent again: back to editing" in c.log_text()[mark:] and
             c.windows(f"{subject} - Compose") and not c.windows(UNSURE) and
             not c.windows("REQUIRETLS: not sent") and
             len(attempts(c, subject)) == 1 and len(h.events("data")) == 1 and
             c.folder("queue") == [],
             "back to editing: not sent again, no second dialog, nothing queued; the composer "
             "holds the message", (c.log_text()[mark:][-1500:], c.folder("queue")))
        T.ok(offered(c) == [],
             "and nothing offers sending without REQUIRETLS", offered(c))
        # Default, then Send: Claws' own sender would take it, a second copy: it asks too
        w = c.wait_window(f"{subject} - Compose", 10)
        c.choose(w, "f")
        mark = len(c.log_text())
        c.keys(w, "ctrl+Return")
        ask = c.wait_window("REQUIRETLS: send again?", 15)
        if ask:
            time.sleep(0.8)
            c.screenshot("resend-question-default")
            c.keys(ask, "Return")  # the default: back to editing
        gone = c.wait_gone("REQUIRETLS: send again?", 10)
        wait_for(lambda: "not sent again: back to editing" in c.log_text()[mark:], 10)
        T.ok(ask is not None and gone
             and "not sent again: back to editing" in c.log_text()[mark:]
             and c.windows(f"{subject} - Compose") and len(h.events("data")) == 1
             and len([e for e in h.events("line")
                      if e.get("data", "").upper().startswith("MAIL")]) == 1
             and c.folder("queue") == [] and c.folder("sent") == [],
             "Default then Send asks the same question before Claws sends it; back to "
             "editing, nothing is sent or queued and the composer stays",
             (c.log_text()[mark:][-1200:], h.events("line")[-5:], c.folder("queue")))
        c.choose(w, "t")
        # then Send later: the entry waits, locked
        w = c.wait_window(f"{subject} - Compose", 10)
        for attempt in range(3):
            c.keys(w, "shift+ctrl+s")
            if c.wait_gone(f"{subject} - Compose", 10):
                break
        wait_for(lambda: len(c.folder("queue")) == 1, 10)
        c.screenshot("resend-kept")
        T.ok(len(c.folder("queue")) == 1 and not c.windows(f"{subject} - Compose"),
             "Send later: the message waits locked in the queue", c.folder("queue"))

        # the retry timer, well past its first interval
        time.sleep(12)
        T.ok(len(attempts(c, subject)) == 1 and len(c.folder("queue")) == 1,
             "the retry timer never sends it by itself", c.journal()[-800:])

        # the menu asks the same question, about the first send
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+t", "q")
        ask = c.wait_window("REQUIRETLS: send again?", 15)
        T.ok(ask is not None and len(attempts(c, subject)) == 1,
             "Tools → Send queued REQUIRETLS messages asks before sending it", c.journal()[-600:])
        # the menu once more while the question is open: the same entry is not asked about
        # twice (two "Send again" would list it twice)
        if ask:
            c.keys(main, "alt+t", "q")
            c.queue_window(10)
        questions = [w for w in c.screen() if w.title == "REQUIRETLS: send again?"]
        T.ok(ask is not None and len(questions) == 1,
             "Send queued again while the question is open: still one question",
             [w.said() for w in questions])
        if ask:
            c.keys(ask, "Return")
        q = c.queue_done(20)
        T.ok(len(attempts(c, subject)) == 1 and len(h.events("data")) == 1 and
             len(c.folder("queue")) == 1 and c.folder("sent") == [] and
             q is not None and any("“r-twice”: kept in the queue, not sent again" in r
                                   for r in q["results"]),
             "kept again: the window says so; the server got it once, no Sent copy, "
             "still queued", (h.events("data"), c.folder("queue"), c.folder("sent")))
        c.stop()

    # Send again, confirmed: the composer shows that it is sending exactly as the first time
    # (the line with server and stage, Cancel sending, the composer locked, a second Send
    # ignored), and it ends the same way. The server stalls at the end of the data twice.
    # (the server serves one connection at a time: it stalls a little longer than the
    # helper waits for the reply to the end of the data, 2 × 5 s, then takes the next)
    with T.hostile(certs, STALL.replace("sleep 60", "sleep 11"), tls="implicit",
                   lifetime=120, extra=["--connections=2"]) as h2:
        c2 = D.Claws(x, h2.port, ca, HELPER)
        with open(os.path.join(c2.prof, "requiretlsrc"), "w") as f:
            f.write(f"[general]\nhelper={HELPER}\ndefault=default\ntimeout=5\n\n"
                    f"[account-1]\nca-file={ca}\nhost=localhost\nport={h2.port}\n"
                    "starttls=false\n")
        c2.start()
        subject = "r-again"
        w = c2.compose(subject)
        c2.choose(w, "t")
        c2.keys(w, "ctrl+Return")
        dlg = c2.wait_window(UNSURE, 60)
        if dlg:
            c2.keys(dlg, "alt+b")  # Back to editing
        c2.wait_gone(UNSURE, 10)
        w = c2.wait_window(f"{subject} - Compose", 10)
        c2.keys(w, "ctrl+Return")
        ask = c2.wait_window("REQUIRETLS: send again?", 15)
        if ask:
            c2.keys(ask, "alt+s")  # Send again
        second = wait_for(lambda: len(h2.events("data")) == 2, 30)

        seen = {}

        def sending():
            win = c2.window(f"{re.escape(subject)} - Compose", 2)
            bars = win.find("GtkMenuBar") if win else []
            seen.update(buttons=win.buttons() if win else None,
                        menubar=[b.sensitive for b in bars],
                        line=c2.status_line(f"{subject} - Compose")[0])
            return (win is not None and "_Cancel sending" in win.buttons()
                    and bars != [] and not bars[0].sensitive
                    and f"Sending with REQUIRETLS to localhost:{h2.port}" in (seen["line"] or ""))
        shows = second and wait_for(sending, 5)
        c2.screenshot("resend-sending-again")
        T.ok(ask is not None and second and shows,
             "Send again: the server gets the message again, and the composer shows it is "
             "sending: the line with server and stage, Cancel sending, its menus locked",
             (seen, c2.journal()[-400:]))
        started = len(attempts(c2, subject))
        w = c2.wait_window(f"{subject} - Compose", 5)
        if w:
            c2.keys(w, "ctrl+Return")  # a second Send while it sends: ignored
        dlg = c2.wait_window(UNSURE, 40)
        said = [v.said() for v in c2.screen() if v.title == UNSURE]
        T.ok(started == 2 and len(attempts(c2, subject)) == 2 and dlg is not None
             and said and said[0].startswith("The message may not have been sent | ")
             and offered(c2) == [SAFE_ONLY] and not c2.windows("REQUIRETLS: send again?"),
             "it ends as the first send did (may not have been sent, the same two choices); "
             "Send while it was sending started nothing",
             (attempts(c2, subject), said, offered(c2)))
        if dlg:
            c2.keys(dlg, "alt+b")
        c2.wait_gone(UNSURE, 10)
        c2.stop()
finally:
    x.stop()
T.done()
