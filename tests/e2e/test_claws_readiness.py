#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: readiness before Send (issue 22 §2), in real Claws Mail.

The recipients' domains live in Debian's NSD on 127.0.0.1 (zones signed here), their mail
servers are nodemailer's smtp-server with a certificate for the MX names, reached by the
helper's --check --probe (the probe preference on; check-options point the helper at the
test resolver, trust anchor, CA and ports). The account's own submission server is another
smtp-server. Cases:
  - a Require TLS composer to a ready domain (secure MX, REQUIRETLS seen by the probe), a
    will-bounce one (insecure MX, no MTA-STS) and an unknown one (bogus DNSSEC) says each in
    words on its status line and tooltip; the probe never said MAIL;
  - a Default composer checks nothing;
  - a second composer to the same domains asks nobody again (the answers are kept);
  - Send asks first, naming the recipients that would bounce, offering the four answers,
    and nothing has gone out; Back to editing sends nothing;
  - Remove them sends with REQUIRETLS to the others only (what the server received: RCPT TO,
    the To header), and files one Sent copy without those recipients;
  - Don't require TLS sends the message as Default: no REQUIRETLS, no TLS-Required header;
  - Claws' main loop keeps turning while a check waits 2 s for a slow mail server;
  - a reply in a conversation begun with Require TLS (issue 22 §3) starts with Require TLS,
    says why and goes out with REQUIRETLS; a reply to a list message of it stays Default;
  - a composer closed while its check waits: the check is stopped, no helper left."""
import os
import re
import time

import clawsdriver as D
from clawsdriver import T, wait_for
from test_check import mx_cert

HELPER = T.HELPER
D.require()
T.plan(20)

QUESTION = "REQUIRETLS: it would come back"
READY = "ready.sec.example"
BOUNCE = "nosts.plain.example"
BOGUS = "bogus.sec.example"
SLOW = "slow.sec.example"
SLOW2 = "slow2.sec.example"
NAMES = [f"mx.{READY}", f"mx.{SLOW}"]
SEC = f"""
ready IN MX 10 mx.ready
mx.ready IN A 127.0.0.1
slow IN MX 10 mx.slow
mx.slow IN A 127.0.0.1
slow2 IN MX 10 mx.slow2
mx.slow2 IN A 127.0.0.1
bogus IN MX 10 mx.ready
"""
PLAIN = """
nosts IN MX 10 mx.nosts
mx.nosts IN A 127.0.0.1
"""
# a mail server that thinks 2 s before its greeting, then offers REQUIRETLS after STARTTLS
SLOW_MX = ("sleep 2\nsend 220 mx.slow ESMTP\nexpect ^EHLO\nsend 250-mx.slow\n"
           "send 250 STARTTLS\nexpect ^STARTTLS\nsend 220 go\nstarttls\nexpect ^EHLO\n"
           "send 250-mx.slow\nsend 250 REQUIRETLS\nexpect ^QUIT\nsend 221 bye\n")


def write_conf(c, dns_port, ta, probe_port, ca):
    opts = (f"--resolver=127.0.0.1@{dns_port} --trust-anchor={ta} --ca-file={ca} "
            f"--probe-port={probe_port} --timeout=5")
    with open(os.path.join(c.prof, "requiretlsrc"), "w") as f:
        f.write(f"[general]\nhelper={HELPER}\ndefault=default\ntimeout=30\nprobe=true\n"
                f"check-options={opts}\n\n[account-1]\nca-file={ca}\n")


def checks_started(c):
    return len(re.findall(r"REQUIRETLS: checking \d+ domain", c.log_text()))


def tooltip(c, title, needle):
    """The tooltip of the composer's status line that contains @needle."""
    win = c.window(title, 5)
    tips = [w.tooltip for w in win.walk() if w.tooltip and needle in w.tooltip] if win else []
    return tips[0] if tips else ""


def helpers(dns_port):
    """The helpers running a check against this test's DNS server (their pids, from /proc:
    a fresh Debian has no pgrep)."""
    want = f"--resolver=127.0.0.1@{dns_port}"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if "--check" in argv and want in argv and argv[0].endswith("requiretls-submit"):
            found.append(pid)
    return found


def chosen_of(c, subject):
    """The choice as the status line's tooltip begins ("Require TLS: sent only if …")."""
    win = c.window(f"{subject} - Compose", 5)
    label = win.named("rtls-status-text") if win else None
    return (label.tooltip or "").split(":")[0] if label else ""


def mails(peer):
    """MAIL commands a server received: smtp-server's "mail" events, the scripted server's
    lines."""
    return peer.events("mail") + [e for e in peer.events("line")
                                  if e.get("data", "").upper().startswith("MAIL")]


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
mx_cert(certs, NAMES)  # names.pem: what the recipients' mail servers show
x = D.Xvfb()
try:
    with T.nsd({"sec.example": SEC, "plain.example": PLAIN}, signed={"sec.example"},
               break_sigs=[(BOGUS, "MX")]) as (dns_port, ta), \
            T.smtp_peer(certs, "--starttls", lifetime=900) as sub, \
            T.smtp_peer(certs, "--starttls", lifetime=900, cert="names") as mx:
        c = D.Claws(x, sub.port, ca, HELPER)
        write_conf(c, dns_port, ta, mx.port, ca)
        c.start()

        # a Default composer checks nothing
        w = c.compose("rd-default", to=f"ann@{READY}")
        time.sleep(2.5)
        T.ok(checks_started(c) == 0 and mx.events() == [],
             "a Default composer checks nothing (no check started, no mail server asked)",
             c.log_text()[-800:])
        c.keys(w, "Escape")
        c.wait_gone("rd-default - Compose", 10)

        # Require TLS to three domains: one ready, one that would bounce, one not known
        subject = "rd-three"
        w = c.compose(subject, to=f"ann@{READY}", cc=f"bob@{BOUNCE},cy@{BOGUS}")
        c.choose(w, "t")
        title = f"{subject} - Compose"
        c.composer_says(subject, f"{READY}: its mail server offers REQUIRETLS", 30)
        text = c.status_line(title)[0] or ""
        c.screenshot("readiness-status-line")
        T.ok(f"{BOUNCE}: its mail servers cannot be verified" in text
             and "this message would come back" in text
             and text.index(BOUNCE) < text.index("Require TLS: sent only if"),
             "will bounce: said first on the status line, before the choice, in words", text)
        T.ok(f"{READY}: its mail server offers REQUIRETLS, its certificate verified — "
             "checked just now" in text,
             "ready: the probe saw REQUIRETLS after verified TLS, said with since when", text)
        T.ok(f"{BOGUS}: not known — its DNS answers failed DNSSEC validation" in text,
             "bogus DNSSEC: not known, never ready", text)
        tip = tooltip(c, title, READY)
        T.ok(all(re.search(rf"(?m)^{re.escape(d)}: ", tip) for d in (READY, BOUNCE, BOGUS)),
             "the tooltip has one sentence for each domain", tip)
        probe = mx.events()
        T.ok(mx.events("close") and not mails(mx) and not mx.events("rcpt"),
             "the probe connected to the ready domain's mail server and never said MAIL",
             probe[-6:])
        T.ok(sub.events() == [], "checking never connected to the submission server",
             sub.events()[-4:])
        asked = checks_started(c)

        # a second composer to the same domains: the answers are kept, nobody is asked
        w2 = c.compose("rd-again", to=f"dee@{READY}", cc=f"ed@{BOUNCE}")
        c.choose(w2, "t")
        c.composer_says("rd-again", f"{READY}: its mail server offers REQUIRETLS", 15)
        time.sleep(1.5)
        T.ok(checks_started(c) == asked and
             f"{BOUNCE}:" in (c.status_line("rd-again - Compose")[0] or ""),
             "a second composer to the same domains uses the kept answers (no new check)",
             c.log_text()[-600:])

        # Send asks first; Back to editing sends nothing
        c.keys(w, "ctrl+Return")
        q = c.window(f"^{re.escape(QUESTION)}$", 15)
        c.screenshot("readiness-question")
        said = q.said() if q else ""
        T.ok(q is not None and
             q.buttons() == ["_Send anyway", "_Remove them", "_Don't require TLS",
                             "_Back to editing"] and
             said.startswith(f"This message would come back from bob@{BOUNCE}.") and
             not mails(sub),
             "Send asks first, naming the recipient, with the four answers; nothing sent yet",
             (said, q.buttons() if q else None))
        if q:
            c.keys(c.wait_window(QUESTION, 5), "alt+b")
        c.wait_gone(QUESTION, 10)
        time.sleep(1.5)
        T.ok(not mails(sub) and c.windows(title) and c.folder("queue") == [] and
             c.folder("sent") == [],
             "Back to editing: nothing sent or queued, the composer holds the message",
             (sub.events()[-4:], c.folder("queue")))

        # Send again; Remove them: the others get it with REQUIRETLS
        c.keys(w, "ctrl+Return")
        q = c.wait_window(QUESTION, 15)
        if q:
            c.keys(q, "alt+r")
        msgs = D.wait_events(sub, "message", 1, 30)
        m = msgs[0] if msgs else {}
        hdr = m.get("headers", "")
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True and
             m.get("rcpts") == [f"ann@{READY}", f"cy@{BOGUS}"],
             "Remove them: sent with REQUIRETLS to the others only", m.get("rcpts"))
        T.ok(BOUNCE not in hdr and f"ann@{READY}" in hdr,
             "the transmitted headers no longer name the removed recipient", hdr)
        c.wait_results("closed", 1, 20)
        sent = [n for n in c.folder("sent") if f"Subject: {subject}".encode() in c.read("sent", n)]
        T.ok(len(sent) == 1 and BOUNCE.encode() not in c.read("sent", sent[0]),
             "one Sent copy, without the removed recipient", c.folder("sent"))
        sub.clear()

        # Don't require TLS: Default, sent by Claws as usual
        c.keys(w2, "ctrl+Return")
        q = c.wait_window(QUESTION, 15)
        if q:
            c.keys(q, "alt+d")
        msgs = D.wait_events(sub, "message", 1, 30)
        m = msgs[0] if msgs else {}
        hdr = m.get("headers", "")
        T.ok(len(msgs) == 1 and not m.get("requireTLS") and
             not re.search(r"(?im)^(TLS-Required|X-RequireTLS-Request):", hdr) and
             m.get("rcpts") == [f"dee@{READY}", f"ed@{BOUNCE}"],
             "Don't require TLS: sent to both as Default, no REQUIRETLS, no TLS-Required",
             (m.get("mailArgs"), m.get("rcpts")))
        c.stop()

        # replies to ann's answer to rd-three: one in that conversation, one from a list
        raw = c.read("sent", sent[0]) if sent else b""
        mid = re.search(rb"(?im)^Message-ID:\s*(<[^>\r\n]+>)", raw)
        mid = mid.group(1).decode() if mid else "<none@x>"
        inbox = os.path.join(c.mail, "inbox")
        os.makedirs(inbox, exist_ok=True)
        for n, extra in ((1, ""), (2, "List-Id: Friends <friends.ready.sec.example>\n")):
            with open(os.path.join(inbox, str(n)), "w") as f:
                f.write(f"From: Ann <ann@{READY}>\nTo: Alice Example <alice@example.org>\n"
                        f"Subject: Re: {subject} {n}\nMessage-ID: <ann-{n}@{READY}>\n"
                        f"In-Reply-To: {mid}\nReferences: {mid}\n{extra}"
                        "Date: Mon, 7 Dec 2026 10:00:00 +0000\n\nAn answer.\n")

        # a slow mail server: the check waits 2 s for it, Claws' main loop does not
        with T.hostile(certs, SLOW_MX, tls="starttls", cert="names", lifetime=120,
                       extra=("--connections=2",)) as slow:
            write_conf(c, dns_port, ta, slow.port, ca)
            c.start()
            w = c.compose("rd-slow", to=f"fay@{SLOW}")
            c.choose(w, "t")
            c.stall()
            began = time.monotonic()
            gaps = []
            while time.monotonic() - began < 6 and not slow.events("line"):
                c.keys(w, "x", pause=0.1)
                gaps.append(c.stall())
            done = c.composer_says("rd-slow", f"{SLOW}: its mail server offers REQUIRETLS", 20)
            T.ok(done and len(gaps) >= 3 and max(gaps) < 250,
                 "typing while a check waits 2 s for a mail server: the main loop keeps "
                 "turning (no gap of 250 ms)", (done, gaps))
            T.ok(len(mails(slow)) == 0 and slow.events("unexpected") == [],
                 "the slow server was probed to the end, never MAIL", slow.events()[-6:])

            # a reply in the conversation begun with Require TLS starts with it, and says why
            w = c.open_selected("#mh/Mailbox/inbox/1", ["ctrl+r"], f"Re: {subject} 1",
                                f"Re: {subject} 1")
            ok = c.composer_says(f"Re: {subject} 1", "a reply in a conversation you began "
                                 f"with Require TLS (“{subject}”", 10)
            c.screenshot("readiness-reply")
            line = c.status_line(f"Re: {subject} 1 - Compose")[0] or ""
            T.ok(w is not None and ok and "Require TLS" in chosen_of(c, f"Re: {subject} 1"),
                 "a reply in a conversation begun with Require TLS starts with Require TLS and "
                 "says why", line)
            sub.clear()
            if w:
                c.keys(w, "ctrl+Return")
            msgs = D.wait_events(sub, "message", 1, 30) if w else []
            m = msgs[0] if msgs else {}
            T.ok(len(msgs) == 1 and m.get("requireTLS") is True and
                 m.get("rcpts") == [f"ann@{READY}"],
                 "and it goes out with REQUIRETLS", (m.get("rcpts"), m.get("requireTLS")))
            # the same from a mailing list: Default
            w = c.open_selected("#mh/Mailbox/inbox/2", ["ctrl+r"], f"Re: {subject} 2",
                                f"Re: {subject} 2")
            time.sleep(1.5)
            T.ok(w is not None and chosen_of(c, f"Re: {subject} 2") == "Default",
                 "a reply to a list message in that conversation stays Default",
                 c.status_line(f"Re: {subject} 2 - Compose")[0])
            if w:
                c.close_composer(w, f"Re: {subject} 2 - Compose")

            # the composer closed while its check waits: the check is stopped
            w = c.compose("rd-close", to=f"gus@{SLOW2}")
            c.choose(w, "t")
            began = wait_for(lambda: checks_started(c) >= 2 and helpers(dns_port), 10)
            gone = c.close_composer(w, "rd-close - Compose")
            stopped = wait_for(lambda: "REQUIRETLS: readiness check stopped" in c.log_text()
                               and not helpers(dns_port), 5)
            T.ok(began and gone and stopped,
                 "the composer closed while its check waits for a slow server: the check is "
                 "stopped, no helper left running", (began, gone, helpers(dns_port)))
finally:
    x.stop()
T.done()
