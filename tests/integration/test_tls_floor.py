#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_tls_floor.py: verified means verified (issue 18). Against our hostile server with
# certificates made at test time: a leaf from the trusted CA for the right name whose extended
# key usage is for TLS clients or e-mail protection only is refused inside the handshake (also
# by --show-pin, also over STARTTLS, also without --require-tls); one for server and client,
# or without the extension, is accepted; a name only in the Common Name is refused. TLS 1.2
# servers below the floor (CBC only, static RSA only, a 1024-bit key) are refused before any
# SMTP command, and a TLS 1.2 server with ECDHE and AES-GCM is accepted. A NUL in the body is
# refused before connecting. The helper keeps no core file and cannot be traced.
import os
import shutil
import subprocess
import time

import rtlstest as t

C = t.certs()
MSG = t.SAMPLE
BASE = ["--host=localhost", f"--ca-file={C}/ca.pem", "--timeout=10", "bob@example.net"]

# A whole submission, to the QUIT, for the servers that must be accepted.
SEND = """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250-AUTH PLAIN
send 250 REQUIRETLS
expect ^AUTH PLAIN
send 235 2.7.0 ok
expect ^MAIL FROM:<alice@example.org> REQUIRETLS$
send 250 2.1.0 ok
expect ^RCPT TO:<bob@example.net>$
send 250 2.1.5 ok
expect ^DATA$
send 354 go
read-data
send 250 2.0.0 queued
expect ^QUIT$
send 221 bye
"""
# For the servers that must be refused: whatever arrives is recorded.
REFUSE = "send 220 hostile.test ESMTP\nrecv-all\n"


def lines(peer):
    return [e["data"] for e in peer.events("line")]


def submit(cert, script, args, extra=(), tls="implicit", password="s3cret-pw"):
    with t.hostile(C, script, tls=tls, cert=cert, extra=extra) as peer:
        r = t.run_helper([f"--port={peer.port}", "--user=alice", *BASE, *args], MSG,
                         password=password)
        return r, lines(peer), peer.events()


def refused_in_handshake(r, got, events, problem=None, tls_problem=None):
    """Nothing of SMTP either way, the server saw the handshake fail, the status says why."""
    return (got == [] and not any(e["event"] in ("tls", "data") for e in events)
            and any(e["event"] == "handshake-failed" for e in events)
            and (problem is None or r.status.get("cert-problem") == problem)
            and (tls_problem is None or r.status.get("tls-problem") == tls_problem)
            and "s3cret" not in r.stderr + r.status_text)


# --- the certificate's purpose (RFC 5280 4.2.1.12) ----------------------------------------
for cert, what in [("eku-client", "TLS client authentication only"),
                   ("eku-email", "e-mail protection only")]:
    for args in (["--require-tls"], []):
        r, got, ev = submit(cert, REFUSE, args)
        t.ok(r.code == 69 and r.status.get("error") == "RTLS_ERROR_CERT"
             and refused_in_handshake(r, got, ev, "purpose")
             and "not issued for a TLS server" in r.status.get("message", ""),
             f"a leaf for {what} {'with' if args else 'without'} --require-tls: refused in the "
             f"handshake, exit 69, cert-problem=purpose, no AUTH, no MAIL",
             f"{r}\nserver: {ev}")

# Over STARTTLS the same certificate ends the session after STARTTLS: no EHLO again, no AUTH.
r, got, ev = submit("eku-client", """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250-AUTH PLAIN
send 250 STARTTLS
expect ^STARTTLS$
send 220 go ahead
starttls
recv-all
""", ["--starttls", "--require-tls"], tls="none")
t.ok(r.code == 69 and r.status.get("cert-problem") == "purpose" and len(got) == 2
     and got[0].startswith("EHLO") and got[1] == "STARTTLS"
     and any(e["event"] == "handshake-failed" for e in ev),
     "STARTTLS to a client-only leaf: refused in the handshake, nothing after STARTTLS",
     f"{r}\nserver: {ev}")

for cert, what in [("eku-both", "server and client authentication"),
                   ("eku-none", "no extended key usage (any purpose, RFC 5280)")]:
    r, got, ev = submit(cert, SEND, ["--require-tls"])
    t.ok(r.code == 0 and r.status.get("result") == "sent" and got[-1:] == ["QUIT"]
         and len(ev_data := [e for e in ev if e["event"] == "data"]) == 1,
         f"a leaf for {what}: accepted, the message sent with REQUIRETLS", f"{r}\nserver: {ev}")

# --- the name in the subjectAltName only (RFC 9525 6.3) -----------------------------------
r, got, ev = submit("cn-only", REFUSE, ["--require-tls"])
t.ok(r.code == 69 and refused_in_handshake(r, got, ev, "cn-only"),
     "a leaf that names localhost only in its Common Name: refused, cert-problem=cn-only",
     f"{r}\nserver: {ev}")

# --- the TLS floor (RFC 9325) -------------------------------------------------------------
# OpenSSL's names: AES128-GCM-SHA256 and AES128-SHA are static RSA key exchange (no forward
# secrecy), ECDHE-*-AES*-SHA* are CBC with an HMAC (SHA-1 or SHA-256).
BELOW = [
    ("TLS 1.2 with CBC suites only (ECDHE, SHA-1 and SHA-256 MACs)", "server",
     ["--max-tls=1.2", "--ciphers=ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384"]),
    ("TLS 1.2 with static RSA key exchange only (even with AES-GCM)", "rsa2048",
     ["--max-tls=1.2", "--ciphers=AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA"]),
]
for what, cert, extra in BELOW:
    for args in (["--require-tls"], []):
        r, got, ev = submit(cert, REFUSE, args, extra=extra)
        t.ok(r.code == 76 and r.status.get("error") == "RTLS_ERROR_TLS"
             and refused_in_handshake(r, got, ev, tls_problem="floor")
             and "RFC 9325" in r.status.get("message", ""),
             f"{what} {'with' if args else 'without'} --require-tls: refused before any SMTP "
             f"command, tls-problem=floor", f"{r}\nserver: {ev}")

# A 1024-bit RSA server key, in TLS 1.2 with an otherwise good suite and in TLS 1.3.
for extra in (["--max-tls=1.2", "--ciphers=ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"],
              ["--ciphers=DEFAULT:@SECLEVEL=0"]):
    r, got, ev = submit("rsa1024", REFUSE, ["--require-tls"], extra=extra)
    t.ok(r.code == 69 and refused_in_handshake(r, got, ev, "weak"),
         f"a 1024-bit RSA server key ({'TLS 1.2' if '--max-tls=1.2' in extra else 'TLS 1.3'}): "
         f"refused in the handshake, cert-problem=weak", f"{r}\nserver: {ev}")

# The floor is not "TLS 1.3 only": TLS 1.2 with ECDHE and AES-GCM, a 2048-bit key, is fine.
r, got, ev = submit("rsa2048", SEND, ["--require-tls"],
                    extra=["--max-tls=1.2", "--ciphers=ECDHE-RSA-AES128-GCM-SHA256"])
t.ok(r.code == 0 and r.status.get("tls-version") == "TLS1.2"
     and "GCM" in r.status.get("tls-cipher", ""),
     "TLS 1.2 with ECDHE-RSA and AES-128-GCM, RSA 2048: accepted and sent", f"{r}\nserver: {ev}")

# --- --show-pin: no pin for a certificate that is not for a server ------------------------
PROBE = """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250 REQUIRETLS
expect ^QUIT$
send 221 bye
"""
with t.hostile(C, PROBE, cert="eku-client") as peer:
    r = t.run_helper([f"--port={peer.port}", "--host=localhost", f"--ca-file={C}/ca.pem",
                      "--timeout=10", "--show-pin"], "")
    ev = peer.events()
    t.ok(r.code == 69 and "pin-sha256" not in r.stdout and r.status.get("cert-problem") == "purpose"
         and lines(peer) == [],
         "--show-pin against a client-only leaf: refused, no pin offered, nothing sent",
         f"{r}\nstdout: {r.stdout}\nserver: {ev}")
with t.hostile(C, PROBE, cert="eku-both") as peer:
    r = t.run_helper([f"--port={peer.port}", "--host=localhost", f"--ca-file={C}/ca.pem",
                      "--timeout=10", "--show-pin"], "")
    t.ok(r.code == 0 and "pin-sha256=" in r.stdout and "requiretls=yes" in r.stdout,
         "--show-pin against a server+client leaf: the pin is offered", f"{r}\nstdout: {r.stdout}")

# --- a NUL in the body: refused before anything is sent (RFC 2045 2.8) -------------------
nul = MSG.replace("Hello Bob.", "Hello\0Bob.").encode()
path = os.path.join(t.tmpdir(), "nul.eml")
with open(path, "wb") as f:
    f.write(nul)
for how in ("pipe", "file"):
    with t.hostile(C, REFUSE) as peer:
        args = [f"--port={peer.port}", *BASE, "--require-tls"]
        if how == "file":
            with open(path, "rb") as f:
                p = subprocess.run([t.HELPER, *args], stdin=f, capture_output=True, timeout=30)
            code, err = p.returncode, p.stderr.decode(errors="replace")
        else:
            r = t.run_helper(args, nul)
            code, err = r.code, r.stderr
        ev = peer.events()
        t.ok(code == 65 and "NUL byte" in err and ev == [],
             f"a NUL in the body ({how}): exit 65, not even a connection", f"{code} {err}\n{ev}")
hdr = MSG.replace("Subject: REQUIRETLS test", "Subject: REQUIRETLS\0test").encode()
r = t.run_helper(["--port=1", *BASE], hdr)
t.ok(r.code == 65 and r.status.get("message", "x").split(" (", 1)[0]
     == t.run_helper(["--port=1", *BASE], nul).status.get("message", "y").split(" (", 1)[0],
     "a NUL in a header is refused with the same sentence", r)

# --- no core file, no tracing --------------------------------------------------------------
# The helper blocks reading its message from a pipe we keep open; meanwhile its limits and
# the owner of its /proc entry (root for a process that is not dumpable) are read. Run as
# nobody, so that the owner tells.
setpriv = shutil.which("setpriv")
if setpriv is None:
    t.skip("core dumps off", "setpriv (util-linux) is missing")
else:
    p = subprocess.Popen([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                          t.HELPER, "--host=localhost", "--port=1", "bob@example.net"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    limit, owner = None, None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            exe = os.readlink(f"/proc/{p.pid}/exe")
        except OSError:
            exe = ""
        if exe.endswith("requiretls-submit"):
            time.sleep(0.3)  # past main()'s first lines
            with open(f"/proc/{p.pid}/limits") as f:
                limit = [l.split()[4:6] for l in f if l.startswith("Max core file size")]
            owner = os.stat(f"/proc/{p.pid}/status").st_uid
            break
        time.sleep(0.05)
    p.stdin.close()
    p.wait(20)
    t.ok(limit == [["0", "0"]] and owner == 0,
         "the helper runs with no core file limit (0/0) and is not dumpable", (limit, owner))

t.plan(t._count)
t.done()
