# SPDX-License-Identifier: GPL-3.0-or-later
# rtlstest.py: shared plumbing for the integration tests: TAP output, the test CA, the
# peers (npm smtp-server, Postfix, our hostile server) on 127.0.0.1, and running the helper.
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("RTLS_TESTS_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
BUILDDIR = os.environ.get("RTLS_TESTS_BUILDDIR", os.path.join(SRCDIR, "..", "build", "tests"))
HELPER = os.environ.get("RTLS_HELPER", os.path.join(BUILDDIR, "..", "helper", "requiretls-submit"))
PEERS = os.path.join(SRCDIR, "peers")
CI = os.environ.get("CI") == "true"

_tmp = tempfile.mkdtemp(prefix="rtls-test-")
_count = 0
_failed = 0


def tmpdir():
    return _tmp


def plan(n):
    print(f"1..{n}", flush=True)


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        print(f"# {line}", flush=True)


def ok(cond, name, detail=None):
    global _count, _failed
    _count += 1
    if cond:
        print(f"ok {_count} - {name}", flush=True)
    else:
        _failed += 1
        print(f"not ok {_count} - {name}", flush=True)
        if detail is not None:
            diag(detail)
    return cond


def skip(name, reason):
    global _count
    _count += 1
    print(f"ok {_count} - {name} # SKIP {reason}", flush=True)


def skip_all_or_fail(reason):
    """A missing optional peer: skip (exit 77) locally, fail in CI."""
    if CI:
        print("1..1\nnot ok 1 - prerequisites", flush=True)
        diag(reason)
        sys.exit(1)
    print(f"1..0 # SKIP {reason}", flush=True)
    sys.exit(77)


def done():
    if os.environ.get("RTLS_KEEP_TMP"):
        diag(f"kept {_tmp}")
    else:
        shutil.rmtree(_tmp, ignore_errors=True)
    sys.exit(1 if _failed else 0)


def certs():
    d = os.path.join(_tmp, "certs")
    subprocess.run(["sh", os.path.join(PEERS, "mkcerts.sh"), d], check=True)
    return d


def _read_port(proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    line = b""
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline:
        chunk = proc.stdout.read() or b""
        line += chunk
        if b"\n" in line:
            return json.loads(line.split(b"\n")[0])["port"]
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


class Peer:
    def __init__(self, proc, port, record):
        self.proc, self.port, self.record_path = proc, port, record

    def events(self, kind=None):
        # Give the peer a moment to flush what it recorded for the last connection.
        time.sleep(0.2)
        out = []
        if os.path.exists(self.record_path):
            with open(self.record_path) as f:
                for line in f:
                    line = line.strip()
                    if line:
                        ev = json.loads(line)
                        if kind is None or ev.get("event") == kind:
                            out.append(ev)
        return out

    def clear(self):
        if os.path.exists(self.record_path):
            os.unlink(self.record_path)


@contextlib.contextmanager
def smtp_peer(certdir, *args, lifetime=120, cert="server"):
    """nodemailer's smtp-server with REQUIRETLS (tests/peers/smtp-peer.js), with the
    certificate @cert of tests/peers/mkcerts.sh."""
    if shutil.which("node") is None or not os.path.isdir(os.path.join(SRCDIR, "node_modules", "smtp-server")):
        skip_all_or_fail("node or tests/node_modules/smtp-server missing (run scripts/setup.sh)")
    record = tempfile.mktemp(prefix="peer-", suffix=".jsonl", dir=_tmp)
    proc = subprocess.Popen(
        ["node", os.path.join(PEERS, "smtp-peer.js"), f"--cert={certdir}/{cert}.pem",
         f"--key={certdir}/{cert}-key.pem", f"--record={record}", f"--lifetime={lifetime}", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        yield Peer(proc, _read_port(proc, "smtp-peer"), record)
    finally:
        proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def hostile(certdir, script, tls="implicit", cert="server", lifetime=60, extra=()):
    """Our scripted hostile server (tests/peers/hostile.py); one connection. @extra: more
    of its options (--max-tls, --ciphers)."""
    path = tempfile.mktemp(prefix="script-", dir=_tmp)
    with open(path, "w") as f:
        f.write(script)
    record = tempfile.mktemp(prefix="hostile-", suffix=".jsonl", dir=_tmp)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(PEERS, "hostile.py"), f"--script={path}", f"--tls={tls}",
         f"--cert={certdir}/{cert}.pem", f"--key={certdir}/{cert}-key.pem", f"--record={record}",
         f"--lifetime={lifetime}", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        yield Peer(proc, _read_port(proc, "hostile server"), record)
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Result:
    def __init__(self, code, stdout, stderr, status, rss_kb):
        self.code, self.stdout, self.stderr, self.rss_kb = code, stdout, stderr, rss_kb
        self.status_text = status
        self.status = {}
        self.rcpts = []
        for line in status.splitlines():
            k, _, v = line.partition("=")
            if k == "rcpt":
                self.rcpts.append(v)
            else:
                self.status[k] = v

    def __repr__(self):
        return f"exit={self.code}\nstatus:\n{self.status_text}\nstderr:\n{self.stderr}"


def run_helper(args, message, password=None, timeout=60, env=None, on_start=None):
    """Runs requiretls-submit with @message on stdin, a status pipe on fd 3 and the
    password (if any) on a pipe as fd 4. Returns a Result."""
    status_r, status_w = os.pipe()
    fds = [status_w]
    extra = ["--status-fd=%d" % status_w]
    pw_r = None
    if password is not None:
        pw_r, pw_w = os.pipe()
        os.write(pw_w, password.encode() + b"\n")
        os.close(pw_w)
        fds.append(pw_r)
        extra.append("--password-fd=%d" % pw_r)
    # Peak RSS of the helper alone (the peers are our children too): /usr/bin/time -f %M.
    rssfile = tempfile.mktemp(prefix="rss-", dir=_tmp)
    cmd = [HELPER, *extra, *args]
    if os.path.exists("/usr/bin/time"):
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rssfile, *cmd]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, pass_fds=fds, env=env)
    os.close(status_w)
    if pw_r is not None:
        os.close(pw_r)
    if on_start is not None:
        on_start(proc)
    if isinstance(message, str):
        message = message.encode()
    try:
        out, err = proc.communicate(message, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    with os.fdopen(status_r) as f:
        status = f.read()
    rss = 0
    if os.path.exists(rssfile):
        with open(rssfile) as f:
            tail = f.read().split()
        rss = int(tail[-1]) if tail and tail[-1].isdigit() else 0
    return Result(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"),
                  status, rss)


SAMPLE = ("From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n"
          "Subject: REQUIRETLS test\r\nMessage-ID: <test-1@example.org>\r\n"
          "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nHello Bob.\r\n")


@contextlib.contextmanager
def postfix(certdir, lifetime=120):
    """Debian's Postfix 3.7 from a private directory (tests/peers/postfix.py)."""
    if not os.path.exists("/usr/lib/postfix/sbin/master"):
        skip_all_or_fail("Postfix is not installed (run scripts/setup.sh)")
    d = tempfile.mkdtemp(prefix="postfix-", dir=_tmp)
    # Postfix's daemons run as the postfix user and must reach their queue directory.
    os.chmod(_tmp, 0o755)
    os.chmod(d, 0o755)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(PEERS, "postfix.py"), f"--dir={d}",
         f"--cert={certdir}/server.pem", f"--key={certdir}/server-key.pem", f"--lifetime={lifetime}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = _read_port(proc, "postfix", timeout=40)
        yield Peer(proc, port, os.path.join(d, "maillog"))
    finally:
        proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def postfix_log(peer, settle=1.0):
    time.sleep(settle)
    try:
        with open(peer.record_path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []
