#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_smtp_server.py: the helper against nodemailer's smtp-server, a third-party peer that
# implements RFC 8689 REQUIRETLS. Every case asserts on what the server received.
import hashlib
import os

import rtlstest as t

C = t.certs()
MSG = t.SAMPLE


def args(peer, *more):
    return ["--host=localhost", f"--port={peer.port}", f"--ca-file={C}/ca.pem", "--timeout=10", *more]


def normalised(raw: bytes) -> bytes:
    """What must arrive: CRLF line ends, the last line terminated (the peer un-stuffs dots)."""
    out = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    return out if out.endswith(b"\r\n") else out + b"\r\n"


with t.smtp_peer(C) as peer:
    # --- REQUIRETLS advertised -------------------------------------------------------------
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net"), MSG)
    mails, msgs = peer.events("mail"), peer.events("message")
    t.ok(r.code == 0 and r.status.get("result") == "sent" and r.status.get("requiretls") == "yes",
         "REQUIRETLS advertised: exit 0, status result=sent requiretls=yes", r)
    t.ok(len(mails) == 1 and mails[0]["args"].get("REQUIRETLS") is True and mails[0]["requireTLS"],
         "the server saw MAIL FROM with REQUIRETLS", mails)
    t.ok(len(msgs) == 1 and msgs[0]["requireTLS"] and msgs[0]["secure"],
         "the message was accepted over TLS with requireTLS set", msgs)
    t.ok(r.status.get("tls-version") in ("TLS1.2", "TLS1.3"), "TLS 1.2 or newer was used", r)
    t.ok(len(msgs) == 1 and "TLS-Required" not in msgs[0]["headers"],
         "no TLS-Required header travels with REQUIRETLS", msgs)
    t.ok(len(mails) == 1 and mails[0]["args"].get("RET") == "HDRS",
         "REQUIRETLS defaults to RET=HDRS (RFC 8689 5)", mails)
    peer.clear()

    # --- DSN ---------------------------------------------------------------------------------
    r = t.run_helper(args(peer, "--require-tls", "--envid=rtls-42.x+y", "--dsn-notify=failure,delay",
                          "--dsn-return=full", "bob@example.net"), MSG)
    mails, rcpts = peer.events("mail"), peer.events("rcpt")
    t.ok(r.code == 0 and mails and mails[0]["args"].get("ENVID") == "rtls-42.x+y"
         and mails[0]["args"].get("RET") == "FULL",
         "ENVID arrives (the peer decodes the xtext), RET as asked", (r, mails))
    t.ok(rcpts and rcpts[0]["args"].get("NOTIFY") == "FAILURE,DELAY"
         and rcpts[0]["args"].get("ORCPT") == "rfc822;bob@example.net",
         "NOTIFY and ORCPT arrive on RCPT", rcpts)
    peer.clear()

    # --- bytes arrive intact ----------------------------------------------------------------------
    body = (b"From: alice@example.org\nTo: bob@example.net\nSubject: dots\n\n"
            b".leading dot\n.\n..\n...\r\nCRLF line\rbare CR\nmixed\r\n\r\n\nlast line without newline")
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net"), body)
    msgs = peer.events("message")
    expect_body = normalised(body.split(b"\n\n", 1)[1])
    got_ok = False
    if msgs:
        # The peer hashes what it received after un-stuffing; rebuild it from its headers.
        sent_headers = msgs[0]["headers"].encode()
        expect = hashlib.sha256(sent_headers + b"\r\n" + expect_body).hexdigest()
        got_ok = msgs[0]["sha256"] == expect
    t.ok(r.code == 0 and got_ok, "dot-stuffing and CRLF normalisation: the body arrives intact",
         (r, msgs))
    peer.clear()

    big = (b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: big\r\n\r\n"
           + b"".join(b"line %07d " % i + b"x" * 60 + b"\r\n" for i in range(72000)))
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net"), big, timeout=120)
    msgs = peer.events("message")
    ok = False
    if msgs:
        expect = hashlib.sha256(msgs[0]["headers"].encode() + b"\r\n" + big.split(b"\r\n\r\n", 1)[1]).hexdigest()
        ok = msgs[0]["sha256"] == expect
    t.ok(r.code == 0 and ok, f"a {len(big) // 1000000} MB message arrives intact", (r, msgs and msgs[0]["size"]))
    peer.clear()

    # --- -t, Bcc ------------------------------------------------------------------------------
    m = ("From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n"
         "Cc: \"Carol, C.\" <carol@example.net>, team: dan@example.net;\r\nBcc: eve@example.net\r\n"
         "Subject: t\r\n\r\nhi\r\n")
    r = t.run_helper(args(peer, "--require-tls", "-t"), m)
    msgs = peer.events("message")
    t.ok(r.code == 0 and msgs and sorted(msgs[0]["rcpts"]) ==
         ["bob@example.net", "carol@example.net", "dan@example.net", "eve@example.net"],
         "-t: To, Cc (quoted name, group) and Bcc are all envelope recipients", (r, msgs))
    t.ok(msgs and "Bcc" not in msgs[0]["headers"] and "eve@" not in msgs[0]["headers"],
         "-t: the Bcc header is not transmitted", msgs)
    peer.clear()

    # --- TLS-Required: No ----------------------------------------------------------------------
    m = MSG.replace("Subject:", "tls-required: yes\r\nTLS-REQUIRED: maybe\r\nSubject:")
    r = t.run_helper(args(peer, "--no-require-tls", "bob@example.net"), m)
    msgs, mails = peer.events("message"), peer.events("mail")
    hdr = msgs[0]["headers"].lower() if msgs else ""
    t.ok(r.code == 0 and hdr.count("tls-required:") == 1 and "tls-required: no\r\n" in hdr,
         "--no-require-tls: exactly one TLS-Required: No arrives", (r, msgs))
    t.ok(mails and "REQUIRETLS" not in mails[0]["args"] and not mails[0]["requireTLS"],
         "--no-require-tls: no REQUIRETLS parameter", mails)
    peer.clear()

    r = t.run_helper(args(peer, "bob@example.net"), MSG)
    msgs, mails = peer.events("message"), peer.events("mail")
    t.ok(r.code == 0 and msgs and "tls-required" not in msgs[0]["headers"].lower()
         and "REQUIRETLS" not in mails[0]["args"], "default: neither header nor parameter", (r, msgs))
    m = MSG.replace("Subject:", "X-RequireTLS-Request: yes\r\nSubject:")
    peer.clear()
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net"), m)
    msgs = peer.events("message")
    t.ok(r.code == 0 and msgs and "x-requiretls-request" not in msgs[0]["headers"].lower(),
         "the plugin's private marker never reaches the server", msgs)
    peer.clear()

with t.smtp_peer(C, "--hide-requiretls") as peer:
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net"), MSG)
    t.ok(r.code == 69 and r.status.get("error") == "RTLS_ERROR_UNSUPPORTED"
         and r.status.get("enhanced-code") == "5.7.30",
         "keyword hidden: exit 69, UNSUPPORTED, 5.7.30", r)
    t.ok(peer.events("mail") == [] and peer.events("message") == [],
         "keyword hidden: no MAIL reached the server (it would have accepted the parameter)",
         peer.events())
    t.ok("RFC 8689" in r.stderr and "not sent" in r.stderr, "the error names RFC 8689 and says not sent", r.stderr)
    peer.clear()
    r = t.run_helper(args(peer, "bob@example.net"), MSG)
    t.ok(r.code == 0 and peer.events("message"), "without --require-tls the same server accepts", r)

with t.smtp_peer(C, "--hide-dsn") as peer:
    r = t.run_helper(args(peer, "--require-tls", "--envid=abc", "--dsn-notify=failure", "bob@example.net"), MSG)
    mails, rcpts = peer.events("mail"), peer.events("rcpt")
    t.ok(r.code == 0 and mails and "ENVID" not in mails[0]["args"] and "RET" not in mails[0]["args"]
         and rcpts and "NOTIFY" not in rcpts[0]["args"],
         "DSN not advertised: no DSN parameters sent, still delivered", (r, mails, rcpts))

with t.smtp_peer(C, "--hide-pipelining") as peer:
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net", "carol@example.net"), MSG)
    t.ok(r.code == 0 and len(peer.events("rcpt")) == 2 and peer.events("message"),
         "without PIPELINING: one command at a time, delivered", r)

with t.smtp_peer(C, "--starttls") as peer:
    r = t.run_helper(args(peer, "--starttls", "--require-tls", "bob@example.net"), MSG)
    mails = peer.events("mail")
    t.ok(r.code == 0 and mails and mails[0]["requireTLS"] and mails[0]["secure"],
         "--starttls: upgraded, REQUIRETLS from the post-TLS EHLO, delivered", (r, mails))

pwfile = os.path.join(t.tmpdir(), "pw")
with open(pwfile, "w") as f:
    f.write("correct horse\n")
with t.smtp_peer(C, "--auth-user=alice", f"--auth-pass-file={pwfile}") as peer:
    for mech in ("plain", "login"):
        peer.clear()
        r = t.run_helper(args(peer, "--require-tls", "--user=alice", f"--auth={mech}", "bob@example.net"),
                         MSG, password="correct horse")
        auths = peer.events("auth")
        t.ok(r.code == 0 and auths and auths[0]["ok"] and auths[0]["method"] == mech.upper()
             and peer.events("message"), f"AUTH {mech.upper()} with the password from a fd", (r, auths))
    peer.clear()
    r = t.run_helper(args(peer, "--require-tls", "--user=alice", "bob@example.net"), MSG, password="wrong")
    t.ok(r.code == 77 and r.status.get("error") == "RTLS_ERROR_AUTH" and not peer.events("mail"),
         "wrong password: exit 77, no MAIL", r)

with t.smtp_peer(C, "--reject-rcpt=nobody@example.net=550") as peer:
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net", "nobody@example.net"), MSG)
    t.ok(r.code == 69 and not peer.events("message") and "550 5.1.1 nobody@example.net" in r.rcpts
         and "250 2.1.5 bob@example.net" in r.rcpts,
         "a refused recipient: exit 69, nobody gets the message, per-recipient status", r)

with t.smtp_peer(C, "--reject-mail=451") as peer:
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net"), MSG)
    t.ok(r.code == 75 and r.status.get("error") == "RTLS_ERROR_TEMPFAIL" and not peer.events("message"),
         "451 on MAIL: exit 75", r)

with t.smtp_peer(C, "--size=1000") as peer:
    r = t.run_helper(args(peer, "--require-tls", "bob@example.net"), MSG + "x" * 5000 + "\r\n")
    t.ok(r.code == 69 and not peer.events("mail") and r.status.get("enhanced-code") == "5.3.4",
         "larger than the advertised SIZE: refused before MAIL", r)

# --show-pin: the key of a verified server, for the plugin's account page; never of one
# that failed verification.
import base64
import hashlib
import subprocess as _sp

def spki_pin(pem):
    der = _sp.run(["certtool", "--pubkey-info", "--outder", "--load-certificate", pem],
                  capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()

with t.smtp_peer(C) as peer:
    r = t.run_helper(args(peer, "--show-pin"), "")
    want = spki_pin(f"{C}/server.pem")
    t.ok(r.code == 0 and f"pin-sha256={want}" in r.stdout and "requiretls=yes" in r.stdout
         and not peer.events("mail"),
         "--show-pin prints the verified server's key pin and REQUIRETLS support, sends no MAIL", r)
    r2 = t.run_helper(args(peer, f"--pin-sha256={want}", "--require-tls", "bob@example.net"), MSG)
    t.ok(r2.code == 0, "that pin is accepted by --pin-sha256", r2)
with t.smtp_peer(C, "--hide-requiretls") as peer:
    r = t.run_helper([f"--host=localhost", f"--port={peer.port}", f"--ca-file={C}/otherca.pem",
                      "--show-pin"], "")
    t.ok(r.code == 69 and "pin-sha256" not in r.stdout,
         "--show-pin offers no pin when verification fails", r)

t.plan(t._count)
t.done()
