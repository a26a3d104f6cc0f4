#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_cli.py: the command line contract (usage errors change nothing and connect nowhere),
# configuration and input errors, and that the password never shows in argv, the
# environment, the -v transcript or the status record.
import base64
import os
import socket
import time

import rtlstest as t

C = t.certs()

# A listener that must never be connected to: usage errors happen before any network.
trap = socket.socket()
trap.bind(("127.0.0.1", 0))
trap.listen(5)
trap.setblocking(False)
TRAP = ["--host=127.0.0.1", f"--port={trap.getsockname()[1]}"]


def connected():
    try:
        c, _ = trap.accept()
        c.close()
        return True
    except BlockingIOError:
        return False


usage_cases = [
    ("unknown option", ["--frobnicate", "bob@example.net"]),
    ("--require-tls with --no-require-tls", ["--require-tls", "--no-require-tls", "bob@example.net"]),
    ("no recipients without -t", []),
    ("bad --dsn-return", ["--dsn-return=body", "bob@example.net"]),
    ("bad --dsn-notify", ["--dsn-notify=never,success", "bob@example.net"]),
    ("--envid too long", ["--envid=" + "e" * 101, "bob@example.net"]),
    ("--envid empty", ["--envid=", "bob@example.net"]),
    ("--user without --password-fd", ["--user=alice", "bob@example.net"]),
    ("bad --pin-sha256", ["--pin-sha256=abc", "bob@example.net"]),
    ("bad --port", ["--port=0", "bob@example.net"]),
    ("unsupported -oX", ["-oQ/tmp", "bob@example.net"]),
]
for name, args in usage_cases:
    r = t.run_helper(TRAP + args if "--port=0" not in args else ["--host=127.0.0.1", *args], t.SAMPLE)
    err = r.stderr.splitlines()
    # for a person: one sentence, then where to look; no internal names
    t.ok(r.code == 64 and r.status.get("error") == "RTLS_ERROR_USAGE" and not connected()
         and len(err) == 2 and err[0].startswith("requiretls-submit: ")
         and err[1].startswith("Try ") and "RTLS_ERROR" not in r.stderr
         and "EX_USAGE" not in r.stderr,
         f"usage error ({name}): exit 64, no connection, one sentence on stderr", r)

# with -v the last line is for programs
r = t.run_helper(TRAP + ["-v", "--frobnicate", "bob@example.net"], t.SAMPLE)
t.ok(r.code == 64 and "RTLS_ERROR" not in r.stderr,
     "a usage error is said in one sentence even with -v (the options did not parse)", r)
r = t.run_helper(["--host=127.0.0.1", "--port=1", f"--ca-file={C}/ca.pem", "--timeout=5",
                  "bob@example.net"], t.SAMPLE)
err = r.stderr.splitlines()
t.ok(r.code == 75 and len(err) == 1 and err[0].startswith("requiretls-submit: ")
     and "rtls:" not in r.stderr,
     "a failed connection: one sentence on stderr, the facts in the status record", r)
r = t.run_helper(["-v", "--host=127.0.0.1", "--port=1", f"--ca-file={C}/ca.pem", "--timeout=5",
                  "bob@example.net"], t.SAMPLE)
t.ok(r.code == 75 and r.stderr.splitlines()[-1].startswith("rtls: error=")
     and "exitcode=EX_TEMPFAIL" in r.stderr.splitlines()[-1],
     "with -v the last line of a failed run is the fixed form for programs", r)

r = t.run_helper(["--host=localhost", f"--ca-file={C}/does-not-exist.pem", *TRAP[1:], "bob@example.net"], t.SAMPLE)
t.ok(r.code == 78 and r.status.get("error") == "RTLS_ERROR_CONFIG" and not connected(),
     "unreadable --ca-file: exit 78, before any connection", r)

r = t.run_helper(TRAP + ["bob@example.net"], b"")
t.ok(r.code == 65 and r.status.get("error") == "RTLS_ERROR_MESSAGE" and not connected(),
     "empty message: exit 65, no connection", r)

r = t.run_helper(TRAP + ["bob@example.net"], b"this is not a header\n\nbody\n")
t.ok(r.code == 65 and not connected(), "malformed header: exit 65, no connection", r)

r = t.run_helper(TRAP + ["-t"], b"From: a@example.org\nSubject: no recipients\n\nbody\n")
t.ok(r.code == 65 and not connected(), "-t without any recipient header: exit 65", r)

r = t.run_helper(TRAP + ["bob@example.net"], b"Subject: no sender\n\nbody\n")
t.ok(r.code == 65 and not connected(), "no From: and no -f: exit 65", r)

r = t.run_helper(TRAP + ["bob@example.net", "--user=alice", "--password-fd=9"], t.SAMPLE)
t.ok(r.code == 78 and not connected(), "--password-fd that is not open: exit 78", r)

r = t.run_helper(["--host=nonexistent.invalid", "bob@example.net"], t.SAMPLE)
t.ok(r.code in (68, 75) and r.status.get("error") in ("RTLS_ERROR_NOHOST", "RTLS_ERROR_CONNECT"),
     f"unresolvable host: exit 68 (or 75 when the resolver itself is unreachable), got {r.code}", r)

port = trap.getsockname()[1]
trap.close()
r = t.run_helper(["--host=127.0.0.1", f"--port={port}", "--timeout=5", "bob@example.net"], t.SAMPLE)
t.ok(r.code == 75 and r.status.get("error") == "RTLS_ERROR_CONNECT" and r.status.get("stage") == "connect",
     "connection refused: exit 75", r)

r = t.run_helper(["--version"], b"")
t.ok(r.code == 0 and r.stdout.startswith("requiretls-submit "), "--version", r)
r = t.run_helper(["--help"], b"")
t.ok(r.code == 0 and "--require-tls" in r.stdout and "--password-fd" in r.stdout, "--help lists the options", r)

# --- the password stays secret -------------------------------------------------------------
PASSWORD = "Tr0ub4dor&3-secret"
forms = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(),
         base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()]
script = """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250-REQUIRETLS
send 250 AUTH PLAIN
expect ^AUTH PLAIN
sleep 4
send 535 5.7.8 no
recv-all
"""
seen = {}


def inspect(proc):
    # /usr/bin/time runs the helper as its child; find it, wait until it has sent AUTH.
    deadline = time.monotonic() + 10
    pid = None
    while time.monotonic() < deadline and pid is None:
        try:
            kids = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
            pid = int(kids[0]) if kids else None
        except (OSError, ValueError):
            pid = None
        time.sleep(0.05)
    pid = pid or proc.pid
    time.sleep(1.5)
    for what in ("cmdline", "environ"):
        try:
            seen[what] = open(f"/proc/{pid}/{what}", "rb").read().decode(errors="replace")
        except OSError as e:
            seen[what] = f"<unreadable: {e}>"


with t.hostile(C, script) as peer:
    r = t.run_helper(["--host=localhost", f"--port={peer.port}", f"--ca-file={C}/ca.pem", "-v",
                      "--require-tls", "--user=alice", "bob@example.net"], t.SAMPLE,
                     password=PASSWORD, on_start=inspect)
    received = [e["data"] for e in peer.events("line")]
t.ok(any(l.startswith("AUTH PLAIN ") for l in received) and r.code == 77,
     "the helper authenticated (and was refused) while we looked", (r, received))
t.ok("cmdline" in seen and "requiretls-submit" in seen["cmdline"]
     and not any(f in seen["cmdline"] for f in forms), "the password is not in argv", seen.get("cmdline"))
t.ok("environ" in seen and not seen["environ"].startswith("<unreadable")
     and not any(f in seen["environ"] for f in forms), "the password is not in the environment")
t.ok(">>> AUTH PLAIN [credentials elided]" in r.stderr and not any(f in r.stderr for f in forms),
     "the -v transcript elides the credentials", r.stderr)
t.ok(not any(f in r.status_text for f in forms), "the status record has no password")

t.plan(t._count)
t.done()
