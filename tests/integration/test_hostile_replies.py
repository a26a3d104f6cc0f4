#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_hostile_replies.py: replies matched to commands exactly (an unsolicited reply during the
# data stops it before its end; replies after the data that do not pair with the commands make
# "sent" only when every reading of them says accepted, otherwise "not confirmed", never a
# refusal: rtls_after_content(), unit-tested in test-reply.c), deadlines per reply, per write, per
# handshake and for the whole submission, the EHLO name, envelope addresses and SMTPUTF8, and
# CHUNKING (BDAT LAST pipelined with MAIL/RCPT and QUIT) against our scripted hostile server.
import socket
import time

import rtlstest as t

C = t.certs()
MSG = t.SAMPLE
BASE = ["--host=localhost", f"--ca-file={C}/ca.pem", "--timeout=5", "bob@example.net"]


def greet(*caps):
    caps = list(caps)
    lines = ["send 220 hostile.test ESMTP", "expect ^EHLO", "send 250-hostile.test"]
    lines += [f"send 250-{c}" for c in caps[:-1]] + [f"send 250 {caps[-1]}"]
    return "\n".join(lines) + "\n"


def lines(peer):
    return [e["data"] for e in peer.events("line")]


def case(name, script, args, want_exit, check=None, tls="implicit", msg=MSG, timeout=60):
    with t.hostile(C, script, tls=tls) as peer:
        start = time.monotonic()
        r = t.run_helper([f"--port={peer.port}", *BASE, *args], msg, timeout=timeout)
        r.elapsed = time.monotonic() - start
        got = lines(peer)
        good = (want_exit is None or r.code == want_exit) and (check is None or check(r, got, peer))
        t.ok(good, name, f"{r}\nelapsed {r.elapsed:.1f} s\nserver received: {got}\n"
             f"events: {peer.events()[-6:]}")
        return r


def settled(p, kind, timeout=10):
    """The server's events of @kind, once it has recorded them (it may still be reading
    when the helper has exited)."""
    end = time.monotonic() + timeout
    while not p.events(kind) and time.monotonic() < end:
        time.sleep(0.1)
    return p.events(kind)


def not_sent(r):
    return r.status.get("result") != "sent" and r.status.get("error") == "RTLS_ERROR_PROTOCOL"


def not_confirmed(r):
    return r.code == 75 and r.status.get("result") == "not-confirmed"


def stopped_or_not_confirmed(r, got, p):
    """The unsolicited reply seen while the data went out (the end of the data never sent:
    exit 76, not sent), or only after the data had all left (then the 554 may be the reply to
    the end of the data: not confirmed, exit 75) — which one is the kernel's timing."""
    if r.code == 76:
        return not_sent(r) and "while the message was being transmitted" in r.stderr
    return not_confirmed(r)


# --- 1. replies matched to commands -----------------------------------------------------------
PIPE = greet("PIPELINING", "REQUIRETLS")
DATA_OK = """expect ^MAIL
expect ^RCPT
expect ^DATA
send 250 2.1.0 ok
send 250 2.1.5 ok
send 354 go ahead
"""

case("unsolicited 250 during the body, then 554 to the final dot (pipelining): not sent "
     "(76) or not confirmed (75), never sent",
     PIPE + DATA_OK + """read-bytes 20
send 250 2.0.0 unsolicited
read-data
send 554 5.7.1 message refused
recv-all
""", ["--require-tls"], None, stopped_or_not_confirmed)

case("the same without PIPELINING (QUIT not pipelined): not sent (76) or not confirmed (75)",
     greet("REQUIRETLS") + """expect ^MAIL
send 250 2.1.0 ok
expect ^RCPT
send 250 2.1.5 ok
expect ^DATA
send 354 go ahead
read-bytes 20
send 250 2.0.0 unsolicited
read-data
send 554 5.7.1 message refused
recv-all
""", ["--require-tls"], None, stopped_or_not_confirmed)

BIG = MSG.replace("Hello Bob.\r\n", "".join(f"line {i:07d} of a long message, "
                                              "seventy-odd characters\r\n" for i in range(330000)))
# 24 MB: more than the kernel buffers hold, so the helper is still writing when the 250 comes.
case("unsolicited 250 while a 24 MB body is still going out: exit 76, the end of the data "
     "never sent",
     PIPE + DATA_OK + """read-bytes 100000
send 250 2.0.0 unsolicited
read-data
send 554 5.7.1 message refused
recv-all
""", ["--require-tls"], 76,
     lambda r, got, p: not_sent(r) and settled(p, "data") != []
     and settled(p, "data")[0].get("ended") is False
     and "while the message was being transmitted" in r.stderr, msg=BIG)

case("two 250 replies to the final dot, QUIT pipelined after it: every reading says "
     "accepted, so sent, exit 0 (never a refusal that would offer a second copy)",
     PIPE + DATA_OK + """read-data
send 250 2.0.0 queued
send 250 2.0.0 queued again
recv-all
""", ["--require-tls"], 0, lambda r, got, p: r.status.get("result") == "sent")

case("two 250 replies, then 221: sent, exit 0",
     PIPE + DATA_OK + """read-data
send 250 2.0.0 queued
send 250 2.0.0 queued again
send 221 2.0.0 bye
""", ["--require-tls"], 0, lambda r, got, p: r.status.get("result") == "sent")

case("250, then 554 where the reply to QUIT is due: the 554 may be the reply to the dot: "
     "not confirmed, exit 75",
     PIPE + DATA_OK + """read-data
send 250 2.0.0 queued
send 554 5.7.1 refused
recv-all
""", ["--require-tls"], 75, lambda r, got, p: not_confirmed(r))

case("554, then 250: either may be the reply to the dot: not confirmed, exit 75 (not a "
     "refusal)",
     PIPE + DATA_OK + """read-data
send 554 5.7.1 refused
send 250 2.0.0 queued
recv-all
""", ["--require-tls"], 75, lambda r, got, p: not_confirmed(r))

case("554 to the dot and 221 to QUIT, in step: refused, exit 69, failed",
     PIPE + DATA_OK + """read-data
send 554 5.7.1 refused
send 221 2.0.0 bye
""", ["--require-tls"], 69,
     lambda r, got, p: r.status.get("result") == "failed" and "5.7.1" in r.stderr)

case("250, then a line that is not a reply: not confirmed, exit 75",
     PIPE + DATA_OK + """read-data
send 250 2.0.0 queued
send-raw b'garbage\\r\\n'
recv-all
""", ["--require-tls"], 75, lambda r, got, p: not_confirmed(r))

case("data after the reply to QUIT: the 554 may be the reply to the dot: not confirmed, "
     "exit 75",
     PIPE + DATA_OK + """read-data
send-raw b'250 2.0.0 queued\\r\\n221 2.0.0 bye\\r\\n554 5.7.1 refused after all\\r\\n'
recv-all
""", ["--require-tls"], 75, lambda r, got, p: not_confirmed(r))

case("without PIPELINING, 250 and then a second 250 before QUIT went out: sent, exit 0",
     greet("REQUIRETLS") + """expect ^MAIL
send 250 2.1.0 ok
expect ^RCPT
send 250 2.1.5 ok
expect ^DATA
send 354 go ahead
read-data
send-raw b'250 2.0.0 queued\\r\\n250 2.0.0 queued again\\r\\n'
expect ^QUIT$
send 221 bye
""", ["--require-tls"], 0, lambda r, got, p: r.status.get("result") == "sent")

case("250 to the final dot, 221 to QUIT: sent, exit 0, QUIT pipelined after the dot",
     PIPE + DATA_OK + """read-data
expect ^QUIT$
send 250 2.0.0 queued
send 221 2.0.0 bye
""", ["--require-tls"], 0,
     lambda r, got, p: r.status.get("result") == "sent" and got[-1] == "QUIT")

case("250 to the final dot and the server closes without answering QUIT: sent, exit 0",
     PIPE + DATA_OK + """read-data
send 250 2.0.0 queued
close
""", ["--require-tls"], 0, lambda r, got, p: r.status.get("result") == "sent")

# --- 2. deadlines ------------------------------------------------------------------------------
case("a greeting dripped one byte every 0.5 s: cut off after --timeout=2, not after 20 s",
     "drip 0.5 220 hostile.test ESMTP dripping very slowly indeed\nrecv-all\n",
     ["--require-tls", "--timeout=2"], 75,
     lambda r, got, p: r.elapsed < 12 and r.status.get("stage") == "greeting"
     and r.status.get("error") == "RTLS_ERROR_CONNECT")

case("each reply within --timeout but the whole beyond --max-time=3: exit 75 at ~3 s",
     """sleep 1.5
send 220 hostile.test ESMTP
expect ^EHLO
sleep 1.5
send 250-hostile.test
send 250 REQUIRETLS
expect ^MAIL
sleep 1.5
send 250 ok
recv-all
""", ["--require-tls", "--max-time=3"], 75,
     lambda r, got, p: r.elapsed < 12 and "--max-time" in r.stderr
     and r.status.get("result") == "failed")

case("a TLS handshake that never completes: exit 75 within --timeout=2",
     "sleep 15\n", ["--require-tls", "--timeout=2"], 75,
     lambda r, got, p: r.elapsed < 12 and r.status.get("stage") == "tls", tls="none")

HUGE = MSG.replace("Hello Bob.\r\n", "x" * 76 + "\r\n") + ("y" * 998 + "\r\n") * 20000
case("a server that stops reading the body: exit 75 within --timeout=2, failed (not "
     "'not confirmed')",
     PIPE + DATA_OK + "sleep 25\n", ["--require-tls", "--timeout=2"], 75,
     lambda r, got, p: r.elapsed < 20 and r.status.get("result") == "failed"
     and "did not accept data" in r.stderr, msg=HUGE)

# --- 4. the EHLO name ------------------------------------------------------------------------
def default_helo():
    name = socket.gethostname()
    fqdn = name if "." in name else None
    if fqdn is None:
        try:
            canon = socket.getaddrinfo(name, None, flags=socket.AI_CANONNAME)[0][3]
            fqdn = canon if canon and "." in canon else None
        except OSError:
            pass
    if fqdn and not fqdn.lower().startswith("localhost"):
        return fqdn
    return "[127.0.0.1]"


want = default_helo()
case(f"default EHLO name is the FQDN or the address literal (here {want}), never 'localhost'",
     "send 220 hostile.test ESMTP\nexpect ^EHLO\nsend 250 hostile.test\nrecv-all\n",
     ["--require-tls"], 69,
     lambda r, got, p: got[:1] == [f"EHLO {want}"])

case("--helo=client.example is used as given",
     "send 220 hostile.test ESMTP\nexpect ^EHLO\nsend 250 hostile.test\nrecv-all\n",
     ["--require-tls", "--helo=client.example"], 69,
     lambda r, got, p: got[:1] == ["EHLO client.example"])

# --- 5. envelope addresses and SMTPUTF8 -------------------------------------------------------
for args, what, bad in ([["bad@@example.org"], "recipient bad@@example.org", "bad@@example.org"],
                        [["-f", "bad@@example.org"], "sender -f bad@@example.org", "bad@@example.org"],
                        [["carol@exa mple.org"], "recipient with a space in the domain", "exa mple"],
                        [["dave@example..org"], "recipient with an empty label", "example..org"]):
    case(f"{what}: exit 65 before connecting, the address named",
         "send 220 should not be reached\nrecv-all\n", args, 65,
         lambda r, got, p: p.events("connect") == [] and r.status.get("error") == "RTLS_ERROR_MESSAGE"
         and bad in r.stderr)

UTF8 = MSG.replace("Subject: REQUIRETLS test", "Subject: Grüße aus Köln")
case("a raw UTF-8 header field goes with SMTPUTF8 (and 8BITMIME) when offered",
     greet("PIPELINING", "8BITMIME", "SMTPUTF8", "REQUIRETLS") + """expect ^MAIL FROM:<alice@example.org> BODY=8BITMIME SMTPUTF8 REQUIRETLS
expect ^RCPT
expect ^DATA
send 250 2.1.0 ok
send 250 2.1.5 ok
send 354 go ahead
read-data
send 250 2.0.0 ok
send 221 bye
""", ["--require-tls"], 0, lambda r, got, p: p.events("unexpected") == [], msg=UTF8.encode())

case("a raw UTF-8 header field to a server without SMTPUTF8: exit 69 (5.6.7), no MAIL",
     greet("PIPELINING", "8BITMIME", "REQUIRETLS") + "recv-all\n", ["--require-tls"], 69,
     lambda r, got, p: not any(l.startswith("MAIL") for l in got)
     and r.status.get("enhanced-code") == "5.6.7" and "SMTPUTF8" in r.stderr, msg=UTF8.encode())

# --- 6. CHUNKING -----------------------------------------------------------------------------
CHUNK = greet("PIPELINING", "CHUNKING", "REQUIRETLS")
WANT = MSG.encode()


def bdat(p):
    ev = p.events("bdat")
    return ev[0] if ev else {}


case("CHUNKING, one recipient: MAIL, RCPT, BDAT n LAST with the message and QUIT in one "
     "flight; sent",
     CHUNK + """expect ^MAIL FROM:<alice@example.org> REQUIRETLS
expect ^RCPT TO:<bob@example.net>$
read-bdat
expect ^QUIT$
send 250 2.1.0 ok
send 250 2.1.5 ok
send 250 2.0.0 queued
send 221 2.0.0 bye
""", ["--require-tls"], 0,
     lambda r, got, p: r.status.get("result") == "sent" and bdat(p).get("last")
     and bdat(p).get("content", "").startswith("From: Alice")
     and bdat(p).get("content", "").endswith("\r\nHello Bob.\r\n")
     and r.status.get("size") == str(bdat(p)["size"]) and p.events("unexpected") == [])

LF_MSG = b"From: alice@example.org\nTo: bob@example.net\nSubject: lf\n\nline one\nbare\rcr\n.dot stays\nno end"
case("BDAT of a message with LF line ends, a bare CR and no final line end: exact size, CRLF "
     "on the wire, no dot-stuffing",
     CHUNK + """expect ^MAIL
expect ^RCPT
read-bdat
expect ^QUIT$
send 250 ok
send 250 ok
send 250 queued
send 221 bye
""", ["--require-tls"], 0,
     lambda r, got, p: bdat(p).get("content", "").endswith(
         "\r\n\r\nline one\r\nbare\r\ncr\r\n.dot stays\r\nno end\r\n")
     and "\n" not in bdat(p)["content"].replace("\r\n", ""), msg=LF_MSG)

case("CHUNKING: 250 to BDAT, then 554 where the reply to QUIT is due: not confirmed, exit 75",
     CHUNK + """expect ^MAIL
expect ^RCPT
read-bdat
expect ^QUIT$
send 250 ok
send 250 ok
send 250 2.0.0 queued
send 554 5.7.1 refused
recv-all
""", ["--require-tls"], 75, lambda r, got, p: not_confirmed(r))

case("CHUNKING: connection closed after the data without any reply: not confirmed, exit 75",
     CHUNK + """expect ^MAIL
expect ^RCPT
read-bdat
expect ^QUIT$
close
""", ["--require-tls"], 75,
     lambda r, got, p: r.status.get("result") == "not-confirmed" and settled(p, "bdat")
     and bdat(p).get("size"))

case("CHUNKING: the only recipient refused: exit 69, failed, the rcpt line in the status",
     CHUNK + """expect ^MAIL
expect ^RCPT
read-bdat
expect ^QUIT$
send 250 2.1.0 ok
send 550 5.1.1 no such user
send 554 5.5.1 no valid recipients
send 221 bye
""", ["--require-tls"], 69,
     lambda r, got, p: r.status.get("result") == "failed"
     and r.rcpts == ["550 5.1.1 bob@example.net"])

case("CHUNKING, two recipients: the data waits for every RCPT reply, then BDAT LAST and "
     "QUIT in one flight",
     CHUNK + """expect ^MAIL
expect ^RCPT TO:<bob@example.net>
expect ^RCPT TO:<carol@example.net>
send 250 ok
send 250 ok
send 250 ok
read-bdat
expect ^QUIT$
send 250 2.0.0 queued
send 221 bye
""", ["--require-tls", "carol@example.net"], 0,
     lambda r, got, p: r.status.get("result") == "sent" and bdat(p).get("last"))

case("CHUNKING, two recipients: an unsolicited reply while the 24 MB BDAT data goes out: "
     "exit 76, the data never completed",
     CHUNK + """expect ^MAIL
expect ^RCPT
expect ^RCPT
send 250 ok
send 250 ok
send 250 ok
expect ^BDAT [0-9]+ LAST$
read-bytes 100000
send 250 2.0.0 unsolicited
read-bytes 30000000
""", ["--require-tls", "carol@example.net"], 76,
     lambda r, got, p: not_sent(r) and "while the message was being transmitted" in r.stderr,
     msg=BIG)

case("CHUNKING, two recipients, one refused: no data at all, QUIT, exit 69",
     CHUNK + """expect ^MAIL
expect ^RCPT
expect ^RCPT
send 250 ok
send 250 ok
send 550 5.1.1 no such user
recv-all
""", ["--require-tls", "carol@example.net"], 69,
     lambda r, got, p: p.events("bdat") == [] and not any(l.startswith("BDAT") for l in got)
     and got[-1:] == ["QUIT"])

case("--no-chunking: DATA even when CHUNKING is offered",
     CHUNK + DATA_OK + "read-data\nsend 250 ok\nsend 221 bye\n", ["--require-tls", "--no-chunking"], 0,
     lambda r, got, p: p.events("unexpected") == [] and r.status.get("result") == "sent")

t.plan(t._count)
t.done()
