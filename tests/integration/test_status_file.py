#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_status_file.py: requiretls-submit --status-file: the record outlives the caller, is
# replaced atomically (no temporary file left, mode 0600), says "progress=content" before the
# content leaves, and a helper killed after the final "." leaves exactly that behind (not
# confirmed), while one killed before the greeting leaves nothing (the content never left).
# A file planted where a fixed temporary name would be (PATH.tmp, a hard link to another
# file), or a link planted as PATH itself, never receives the record (issue 18).
import os
import signal
import stat
import threading
import time

import rtlstest as t

C = t.certs()
MSG = t.SAMPLE
t.plan(13)


def kill_helper(proc):
    """SIGKILL to the helper itself: run_helper may have started it under /usr/bin/time."""
    pid = proc.pid
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        kids = []
    for k in kids or [pid]:
        os.kill(k, signal.SIGKILL)


def record(path):
    with open(path) as f:
        return dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)


with t.smtp_peer(C) as peer:
    d = os.path.join(t.tmpdir(), "sf-ok")
    os.makedirs(d)
    sf = os.path.join(d, "rtls-abc.status")
    r = t.run_helper(["--host=localhost", f"--port={peer.port}", f"--ca-file={C}/ca.pem",
                      "--require-tls", "--envid=rtls-abc", f"--status-file={sf}",
                      "bob@example.net"], MSG)
    rec = record(sf) if os.path.exists(sf) else {}
    t.ok(r.code == 0 and rec.get("result") == "sent" and rec.get("envid") == "rtls-abc",
         "a sent message: the file holds the final record", (r, rec))
    with open(sf) as f:
        ftext = f.read()
    fd_text = "".join(l + "\n" for l in r.status_text.splitlines() if not l.startswith("progress="))
    t.ok(ftext == fd_text, "the file and the fd say the same", (ftext, fd_text))
    t.ok(os.listdir(d) == ["rtls-abc.status"] and stat.S_IMODE(os.stat(sf).st_mode) == 0o600,
         "no temporary file is left, the record is mode 0600", os.listdir(d))
    prog = [l.split("=", 1)[1] for l in r.status_text.splitlines() if l.startswith("progress=")]
    t.ok(prog[:1] == ["connect"] and "content" in prog and prog.index("content") > prog.index("data"),
         "the fd tells each stage as it begins, 'content' after DATA", prog)

    # Planted in the directory before the run: PATH.tmp as a hard link to a file of someone
    # else's, and PATH itself as a symbolic link to another.
    d = os.path.join(t.tmpdir(), "sf-planted")
    os.makedirs(d)
    victim, victim2 = os.path.join(t.tmpdir(), "victim"), os.path.join(t.tmpdir(), "victim2")
    for v in (victim, victim2):
        with open(v, "w") as f:
            f.write("not yours\n")
        os.chmod(v, 0o644)
    sf = os.path.join(d, "rtls-p.status")
    os.link(victim, sf + ".tmp")
    os.symlink(victim2, sf)
    r = t.run_helper(["--host=localhost", f"--port={peer.port}", f"--ca-file={C}/ca.pem",
                      "--require-tls", "--envid=rtls-p", f"--status-file={sf}",
                      "bob@example.net"], MSG)
    victims = [open(v).read() for v in (victim, victim2)]
    t.ok(r.code == 0 and victims == ["not yours\n"] * 2
         and os.stat(victim).st_nlink == 2 and os.path.samefile(victim, sf + ".tmp"),
         "a planted PATH.tmp (a hard link) and a link planted as PATH receive nothing",
         (r, victims))
    st = os.lstat(sf)
    t.ok(stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and stat.S_IMODE(st.st_mode) == 0o600
         and record(sf).get("result") == "sent" and record(sf).get("envid") == "rtls-p",
         "PATH is then the helper's own file, mode 0600, with the record",
         (oct(st.st_mode), st.st_nlink, open(sf).read()))
    t.ok(sorted(os.listdir(d)) == ["rtls-p.status", "rtls-p.status.tmp"],
         "and no temporary file of the helper's is left beside them", os.listdir(d))

    # A umask that would open the file to everyone does not.
    d = os.path.join(t.tmpdir(), "sf-umask")
    os.makedirs(d)
    sf = os.path.join(d, "rtls-u.status")
    old = os.umask(0)
    try:
        r = t.run_helper(["--host=localhost", f"--port={peer.port}", f"--ca-file={C}/ca.pem",
                          "--require-tls", "--envid=rtls-u", f"--status-file={sf}",
                          "bob@example.net"], MSG)
    finally:
        os.umask(old)
    t.ok(r.code == 0 and stat.S_IMODE(os.stat(sf).st_mode) == 0o600,
         "with umask 0 the record is still mode 0600", oct(os.stat(sf).st_mode))

# Killed after the final ".": the server never answers.
script = """send 220 h.test ESMTP
expect ^EHLO
send 250-h.test
send 250 REQUIRETLS
expect ^MAIL
send 250 ok
expect ^RCPT
send 250 ok
expect ^DATA
send 354 go
read-data
sleep 30
"""
killed = {}


def kill_when_data(peer):
    # on_start runs before the message is written to the helper's stdin: watch in a thread
    def watch(proc):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not peer.events("data"):
            time.sleep(0.1)
        killed["data"] = bool(peer.events("data"))
        kill_helper(proc)
    return lambda proc: threading.Thread(target=watch, args=(proc,), daemon=True).start()


with t.hostile(C, script) as peer:
    d = os.path.join(t.tmpdir(), "sf-dot")
    os.makedirs(d)
    sf = os.path.join(d, "rtls-dot.status")
    r = t.run_helper(["--host=localhost", f"--port={peer.port}", f"--ca-file={C}/ca.pem",
                      "--require-tls", "--envid=rtls-dot", f"--status-file={sf}", "--timeout=20",
                      "bob@example.net"], MSG, on_start=kill_when_data(peer))
    rec = record(sf) if os.path.exists(sf) else {}
    t.ok(r.code != 0 and killed.get("data"), "the helper was killed after the final '.'",
         (r, killed))
    t.ok(rec == {"progress": "content", "envid": "rtls-dot"},
         "the file says the content left (so: not confirmed), and nothing more", rec)
    t.ok(os.listdir(d) == ["rtls-dot.status"], "no temporary file is left", os.listdir(d))

# Killed while waiting for the greeting: no content, no file.
with t.hostile(C, "sleep 30\n") as peer:
    d = os.path.join(t.tmpdir(), "sf-greet")
    os.makedirs(d)
    sf = os.path.join(d, "rtls-greet.status")

    def kill_soon(proc):
        def later():
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not peer.events("tls"):
                time.sleep(0.1)
            time.sleep(0.5)
            kill_helper(proc)
        threading.Thread(target=later, daemon=True).start()
    r = t.run_helper(["--host=localhost", f"--port={peer.port}", f"--ca-file={C}/ca.pem",
                      "--require-tls", "--envid=rtls-greet", f"--status-file={sf}",
                      "--timeout=20", "bob@example.net"], MSG, on_start=kill_soon)
    t.ok(r.code != 0 and os.listdir(d) == [],
         "killed before the greeting: no status file (the content never left)", os.listdir(d))
    prog = [l for l in r.status_text.splitlines() if l.startswith("progress=")]
    t.ok("progress=content" not in prog and prog[:1] == ["progress=connect"],
         "and the fd never said 'content'", prog)
t.done()
