#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the plugin in real Claws Mail 4.1.1 under Xvfb, against nodemailer's
smtp-server (STARTTLS on 127.0.0.1). Assertions are on what the server received and on the
MH folders, never on the plugin's own word."""
import os
import re
import time

import clawsdriver as D
from clawsdriver import T

HELPER = T.HELPER

D.require("import")

T.plan(51)


wait_events = D.wait_events


def field_count(headers, name):
    return sum(1 for line in headers.split("\r\n") if line.lower().startswith(name.lower() + ":"))


def sent_with(c, subject):
    return [n for n in c.folder("sent") if f"Subject: {subject}".encode() in c.read("sent", n)]


TAGGED = "REQUIRETLS: queue entry tagged"


# Claws' sender (procmsg_send_queue) ends its run over the queue with this debug line; what
# it sends, it has sent by then
QUEUE_RUN_END = re.compile(r"(?m)^procmsg\.c:\d+:called inc_unlock \(lock count 0\)$")


def claws_send(c):
    """claws-mail --send, then waits until Claws' sender went over the queue."""
    before = len(QUEUE_RUN_END.findall(c.log_text()))
    c.remote("--send")
    if not D.wait_for(lambda: len(QUEUE_RUN_END.findall(c.log_text())) > before, 20):
        T.diag("claws-mail --send: the end of Claws' queue run was not seen")


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=900) as peer, \
         T.smtp_peer(certs, "--starttls", "--hide-requiretls", lifetime=900) as bare:
        c = D.Claws(x, peer.port, ca, HELPER)
        c.start()
        T.ok("REQUIRETLS plugin loaded" in c.log_text(), "the plugin loads into Claws Mail")

        # 1. Require TLS + Send
        w = c.compose("rtls-one", cc="carol@example.gov", bcc="dave@example.com")
        T.ok(w is not None, "a composer opens")
        c.choose(w, "t")
        c.screenshot("composer-require-tls")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        m = msgs[0] if msgs else {}
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True,
             "Require TLS: the server received the message with REQUIRETLS", msgs)
        T.ok(m.get("mailArgs", {}).get("RET") == "HDRS" and
             str(m.get("mailArgs", {}).get("ENVID", "")).startswith("rtls-"),
             "RET=HDRS and our ENVID on MAIL FROM", m.get("mailArgs"))
        T.ok(m.get("rcpts") == ["bob@example.net", "carol@example.gov", "dave@example.com"],
             "To, Cc and Bcc are all in RCPT TO", m.get("rcpts"))
        hdr = m.get("headers", "")
        T.ok(field_count(hdr, "Bcc") == 0, "Bcc is not in the transmitted headers", hdr)
        T.ok(field_count(hdr, "X-RequireTLS-Request") == 0 and field_count(hdr, "TLS-Required") == 0,
             "neither the private marker nor TLS-Required reaches the server", hdr)
        T.ok(c.wait_gone("rtls-one - Compose", 15), "the composer closes after success")
        c.wait_results("closed", 1, 15)  # the Sent copy filed, the queue entry removed
        T.ok(len(sent_with(c, "rtls-one")) == 1, "exactly one Sent copy", c.folder("sent"))
        T.ok(all(b"X-RequireTLS-Request" not in c.read("sent", n) for n in c.folder("sent")),
             "the Sent copy carries no marker")
        T.ok(c.folder("queue") == [], "the queue is empty", c.folder("queue"))
        envid = m.get("mailArgs", {}).get("ENVID", "?")
        T.ok("result=sent" in c.journal() and f"envid={envid}" in c.journal(),
             "the send journal records the attempt with its ENVID", c.journal())
        peer.clear()

        # 2. Don't require TLS: Claws sends, with exactly one TLS-Required: No
        w = c.compose("rtls-two")
        c.choose(w, "n")
        c.screenshot("composer-dont-require-tls")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        m = msgs[0] if msgs else {}
        hdr = m.get("headers", "")
        T.ok(len(msgs) == 1, "Don't require TLS: the message is sent", msgs)
        T.ok(field_count(hdr, "TLS-Required") == 1 and
             re.search(r"(?im)^TLS-Required: No\r?$", hdr) is not None,
             "exactly one 'TLS-Required: No'", hdr)
        T.ok(not m.get("requireTLS") and "REQUIRETLS" not in m.get("mailArgs", {}),
             "no REQUIRETLS parameter", m.get("mailArgs"))
        T.ok(field_count(hdr, "X-RequireTLS-Request") == 0, "no marker in what Claws sent", hdr)
        peer.clear()

        # 3. Default: neither
        w = c.compose("rtls-three")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        m = msgs[0] if msgs else {}
        hdr = m.get("headers", "")
        T.ok(len(msgs) == 1 and not m.get("requireTLS") and field_count(hdr, "TLS-Required") == 0
             and field_count(hdr, "X-RequireTLS-Request") == 0,
             "Default: neither the parameter nor the header", m)
        peer.clear()

        # 4. Send later with Require TLS: Claws' own sending never touches it
        w = c.compose("rtls-four")
        c.choose(w, "t")
        tagged = c.log_text().count(TAGGED)
        c.keys(w, "shift+ctrl+s")
        T.ok(c.wait_gone("rtls-four - Compose", 15), "Send later closes the composer")
        c.wait_log(TAGGED, tagged)  # the entry is in the queue and locked
        T.ok(len(c.folder("queue")) == 1, "the message waits in the queue", c.folder("queue"))
        claws_send(c)
        time.sleep(1)  # (proving an absence takes a wait)
        T.ok(peer.events("mail") == [], "claws-mail --send does not send it", peer.events())
        T.ok(len(c.folder("queue")) == 1, "still queued after --send", c.folder("queue"))
        main = c.wait_window("Claws Mail", 5)
        closed = c.results("closed")
        c.keys(main, "alt+t", "q")
        msgs = wait_events(peer, "message", 1)
        m = msgs[0] if msgs else {}
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True,
             "Tools → Send queued REQUIRETLS messages sends it with REQUIRETLS", msgs)
        c.wait_results("closed", closed + 1, 15)
        T.ok(c.folder("queue") == [] and len(sent_with(c, "rtls-four")) == 1,
             "then the queue is empty and the Sent copy filed once",
             (c.folder("queue"), c.folder("sent")))
        peer.clear()

        # 4b. Send later, then re-edit the queued message: the choice comes back
        w = c.compose("rtls-fourb")
        c.choose(w, "t")
        tagged = c.log_text().count(TAGGED)
        c.keys(w, "shift+ctrl+s")
        c.wait_gone("rtls-fourb - Compose", 15)
        c.wait_log(TAGGED, tagged)
        queued = c.folder("queue")
        c.remote("--select", f"#mh/Mailbox/queue/{queued[0] if queued else 1}")
        c.main_shows("rtls-fourb")
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+m", "e")
        w = c.wait_window("rtls-fourb", 15)
        T.ok(w is not None and len(queued) == 1, "the queued message re-opens for editing",
             queued)
        closed = c.results("closed")
        if w:
            c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0].get("requireTLS") is True,
             "re-edited from the queue, it is still sent with REQUIRETLS", msgs)
        c.wait_results("closed", closed + 1, 15)
        T.ok(c.folder("queue") == [] and len(sent_with(c, "rtls-fourb")) == 1,
             "the queue entry is gone and Sent has one copy", (c.folder("queue"), c.folder("sent")))
        peer.clear()

        # 5. Draft round-trip keeps the choice
        w = c.compose("rtls-five")
        c.choose(w, "t")
        c.keys(w, "ctrl+s")
        D.wait_for(lambda: c.folder("draft") != [], 15)  # Claws moves the saved draft in
        drafts = c.folder("draft")
        T.ok(len(drafts) == 1 and b"X-RequireTLS-Request: require" in c.read("draft", drafts[0]),
             "the draft keeps the choice", drafts)
        c.keys(w, "ctrl+w")
        T.ok(c.wait_gone("rtls-five - Compose", 10), "the composer closes")
        c.remote("--select", f"#mh/Mailbox/draft/{drafts[0] if drafts else 1}")
        c.main_shows("rtls-five")
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+m", "e")
        w = c.wait_window("rtls-five", 15)
        T.ok(w is not None, "the draft re-opens for editing")
        closed = c.results("closed")
        if w:
            c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0].get("requireTLS") is True,
             "the re-opened draft is sent with REQUIRETLS", msgs)
        c.wait_results("closed", closed + 1, 15)
        c.wait_gone("rtls-five - Compose", 15)  # Claws removes the re-edited draft
        D.wait_for(lambda: c.folder("draft") == [], 5)
        T.ok(c.folder("draft") == [], "and the draft is gone after sending", c.folder("draft"))
        peer.clear()
        c.stop()

        # 6. A server without REQUIRETLS: nothing leaves, the person is told, nothing is lost
        c2 = D.Claws(x, peer.port, ca, HELPER,
                     plugin_conf_extra=f"host=localhost\nport={bare.port}\nstarttls=true\n")
        c2.start()
        w = c2.compose("rtls-six", cc="carol@example.gov")
        c2.choose(w, "t")
        c2.keys(w, "ctrl+Return")
        dlg = c2.wait_window("REQUIRETLS: not sent", 20)
        T.ok(dlg is not None, "the failure is explained in a dialog")
        time.sleep(0.5)  # settle before the screenshot
        shot = c2.screenshot("composer-require-tls-refused")
        T.ok(os.path.exists(shot), "screenshot of the explanation taken")
        T.ok(bare.events("mail") == [], "the server without REQUIRETLS received no MAIL",
             bare.events())
        T.ok(c2.windows("rtls-six") != [], "the composer is still open")
        T.ok(len(c2.folder("queue")) == 1, "meanwhile the message is held in the queue",
             c2.folder("queue"))
        T.ok("5.7.30" in c2.journal() and "result=failed" in c2.journal(),
             "the journal records the failure with 5.7.30", c2.journal())
        if dlg:
            c2.keys(dlg, "Return")  # the default: back to editing
        T.ok(c2.wait_gone("REQUIRETLS: not sent", 10), "back to editing closes the dialog")
        D.wait_for(lambda: c2.folder("queue") == [], 10)  # the queued copy goes
        T.ok(c2.folder("queue") == [] and c2.windows("rtls-six") != [],
             "the queued copy is dropped, the composer keeps the message", c2.folder("queue"))
        T.ok(peer.events("mail") == [] and bare.events("mail") == [],
             "nothing was sent anywhere, not even by Claws")

        c2.stop()

        # 6b. Cancel: a server that stalls after EHLO; the person cancels; nothing is sent
        stall = ("send 220 stall.localhost ESMTP\nexpect ^EHLO\n"
                 "send 250-stall.localhost\nsend 250-REQUIRETLS\nsend 250 8BITMIME\nsleep 40\n")
        with T.hostile(certs, stall, tls="implicit", lifetime=90) as h:
            c3 = D.Claws(x, peer.port, ca, HELPER,
                         plugin_conf_extra=f"host=localhost\nport={h.port}\nstarttls=false\n")
            c3.start()
            w = c3.compose("rtls-cancel")
            c3.choose(w, "t")
            c3.keys(w, "ctrl+Return")

            def stalled():
                """The helper is in the stalling session and Cancel sending is offered."""
                win = c3.window("rtls-cancel", 2)
                return (win is not None and "_Cancel sending" in win.buttons()
                        and any(e.get("data", "").upper().startswith("EHLO")
                                for e in h.events("line")))
            if not D.wait_for(stalled, 20):
                T.diag("rtls-cancel: no stalled send seen")
            busy = c3.screenshot("composer-sending")
            mark = len(c3.log_text())
            c3.keys(w, "alt+c")  # "Cancel sending" in the status line
            dlg = c3.wait_window("REQUIRETLS: not sent", 15)
            win = c3.window("^REQUIRETLS: not sent$", 5)  # its buttons are there once it maps
            offers = [" | ".join(win.buttons())] if win else []
            T.ok(dlg is not None and offers == ["_Back to editing"],
                 "Cancel stops the helper and says so; the one way on is back to editing "
                 "(no sending without REQUIRETLS after a cancel)", offers)
            T.ok(not any(e.get("data", "").upper().startswith("MAIL") for e in h.events("line")),
                 "no MAIL reached the stalling server", h.events())
            if dlg:
                c3.keys(dlg, "Return")
            c3.wait_gone("REQUIRETLS: not sent", 10)
            D.wait_for(lambda: c3.folder("queue") == [], 10)  # the queued copy goes
            T.ok(c3.windows("rtls-cancel") != [] and c3.folder("queue") == [],
                 "the composer keeps the message, no queue entry is left behind",
                 c3.folder("queue"))
            c3.stop()
        # 6c. AUTH: the password the person types reaches the helper through a pipe and the
        # server accepts it; it appears in no log.
        secret = "pw-" + os.urandom(6).hex()
        pwfile = os.path.join(T.tmpdir(), "smtp-pass")
        with open(pwfile, "w") as f:
            f.write(secret)
        with T.smtp_peer(certs, "--starttls", "--auth-user=alice",
                         f"--auth-pass-file={pwfile}", lifetime=300) as authpeer:
            c4 = D.Claws(x, peer.port, ca, HELPER,
                         account_extra={"use_smtp_auth": "1", "smtp_user_id": "alice"},
                         plugin_conf_extra=f"host=localhost\nport={authpeer.port}\n"
                                           "starttls=true\n")
            c4.start()
            w = c4.compose("rtls-auth")
            c4.choose(w, "t")
            c4.keys(w, "ctrl+Return")
            pw = c4.wait_window("Input password", 15)
            if pw:
                c4.xdo("windowfocus", "--sync", pw)
                c4.xdo("type", "--delay", "20", secret)
                c4.keys(None, "Return")
            msgs = wait_events(authpeer, "message", 1)
            auth = authpeer.events("auth")
            T.ok(pw is not None and auth and auth[0]["ok"] and auth[0]["user"] == "alice" and
                 len(msgs) == 1 and msgs[0]["requireTLS"] is True,
                 "AUTH with the typed password, then REQUIRETLS", (auth, msgs))
            c4.stop()
            T.ok(secret not in c4.log_text() and secret not in c4.journal(),
                 "the password is in no log and not in the journal")
        c2.start()

        # 7. Unloaded plugin: a locked REQUIRETLS entry simply stays queued
        w = c2.compose("rtls-seven")
        c2.choose(w, "t")
        tagged = c2.log_text().count(TAGGED)
        c2.keys(w, "shift+ctrl+s")
        T.ok(c2.wait_gone("rtls-seven - Compose", 15), "queued with Require TLS")
        c2.wait_log(TAGGED, tagged)
        queued = c2.folder("queue")
        c2.stop()
        c2.plugin = False
        c2.write_clawsrc()
        c2.start()
        claws_send(c2)
        time.sleep(1)  # (proving an absence takes a wait)
        T.ok(peer.events("mail") == [] and bare.events("mail") == [],
             "without the plugin, claws-mail --send sends nothing")
        T.ok(len(queued) == 1 and c2.folder("queue") == queued,
             "the entry stays queued", (queued, c2.folder("queue")))
        c2.stop()
        c2.plugin = True
        c2.write_clawsrc()
        c2.start()
        claws_send(c2)
        time.sleep(1)  # (proving an absence takes a wait)
        T.ok(peer.events("mail") == [] and bare.events("mail") == [] and
             c2.folder("queue") == queued,
             "with the plugin back, Claws' --send still leaves it alone")

        # 8. An entry that reaches the queue another way (written straight into the folder,
        # as a dragged draft would be) is locked before Claws' sender looks at it. The same
        # entry without the marker is sent by Claws: the check can fail.
        def drop(num, subject, marker):
            with open(os.path.join(c2.mail, "queue", str(num)), "w") as f:
                f.write("S:alice@example.org\nSSV:localhost\nR:<bob@example.net>\nMAID:1\n"
                        "X-Claws-End-Special-Headers: 1\n"
                        f"From: alice@example.org\nTo: bob@example.net\nSubject: {subject}\n"
                        f"Message-ID: <{subject}@example.org>\n"
                        + ("X-RequireTLS-Request: require\n" if marker else "")
                        + "\nDropped into the queue.\n")
        drop(90, "rtls-eight-marked", True)
        claws_send(c2)
        time.sleep(1)  # (proving an absence takes a wait)
        T.ok(peer.events("mail") == [] and os.path.exists(os.path.join(c2.mail, "queue", "90")),
             "a marked entry dropped into the queue is locked, not sent by Claws", peer.events())
        drop(91, "rtls-eight-plain", False)
        c2.remote("--send")
        msgs = wait_events(peer, "message", 1, timeout=10)
        T.ok(len(msgs) == 1 and "rtls-eight-plain" in msgs[0].get("headers", "") and
             os.path.exists(os.path.join(c2.mail, "queue", "90")),
             "control: the unmarked entry is sent by Claws, the marked one stays", msgs)
        c2.stop()
finally:
    x.stop()
T.done()
