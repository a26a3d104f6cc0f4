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



def _reap(proc):
    """Waits up to 5 s for a server that was told to stop, then kills it."""
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

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
        _reap(proc)


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


def free_port():
    """A TCP port nobody listens on at the moment (bound and released)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _wait_port(port, proc, what, timeout=20):
    """Waits until @proc listens on @port (TCP). A connection that some other process took
    while @proc failed to bind does not count: @proc must still be running after it."""
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
            time.sleep(0.05)
            if proc.poll() is None:
                return True
            break
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def _dns_ready(port, zone, proc, timeout=20):
    """Waits until the authoritative server answers for @zone over UDP."""
    import socket
    import struct
    q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0)
    for label in zone.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 6, 1)  # SOA IN
    deadline = time.monotonic() + timeout
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            s.sendto(q, ("127.0.0.1", port))
            try:
                data, _ = s.recvfrom(4096)
                if data[:2] == q[:2] and data[3] & 0x0F == 0:
                    return
            except OSError:
                pass
    finally:
        s.close()
    raise RuntimeError("nsd did not start")


@contextlib.contextmanager
def nsd(zones, signed=(), break_sigs=()):
    """Debian's NSD, authoritative on 127.0.0.1 for @zones ({origin: zone text}), those in
    @signed signed here with ldns-signzone (ECDSA P-256: a KSK and a ZSK made now);
    @break_sigs: (owner, type) pairs whose RRSIG is damaged after signing (bogus answers).
    Yields (port, trust_anchor_file): the DS records of the signed zones."""
    for prog in ("nsd", "ldns-signzone", "ldns-keygen"):
        if shutil.which(prog) is None and not os.path.exists(f"/usr/sbin/{prog}"):
            skip_all_or_fail(f"{prog} is not installed (run scripts/setup.sh)")
    d = tempfile.mkdtemp(prefix="nsd-", dir=_tmp)
    ta = os.path.join(d, "trust-anchors")
    ta_lines = []
    conf_zones = []
    for origin, text in zones.items():
        path = os.path.join(d, origin + ".zone")
        with open(path, "w") as f:
            f.write(f"$ORIGIN {origin}.\n$TTL 300\n"
                    f"@ IN SOA ns.{origin}. admin.{origin}. 1 3600 600 86400 300\n"
                    f"@ IN NS ns.{origin}.\nns IN A 127.0.0.1\n" + text)
        if origin in signed:
            def keygen(*a):
                return subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", *a, origin], cwd=d,
                                      check=True, capture_output=True, text=True).stdout.strip()
            ksk = keygen("-k")
            zsk = keygen()
            subprocess.run(["ldns-signzone", "-f", path + ".signed", path, zsk, ksk], cwd=d,
                           check=True, capture_output=True)
            with open(os.path.join(d, ksk + ".ds")) as f:
                ta_lines.append(f.read().strip())
            lines = []
            with open(path + ".signed") as f:
                for line in f:
                    fields = line.split()
                    if (len(fields) > 5 and fields[3] == "RRSIG"
                            and (fields[0].rstrip("."), fields[4]) in
                            {(o.rstrip("."), t) for o, t in break_sigs}):
                        sig = fields[-1]
                        fields[-1] = sig[:8] + ("A" if sig[8] != "A" else "B") + sig[9:]
                        line = "\t".join(fields) + "\n"
                    lines.append(line)
            with open(path + ".signed", "w") as f:
                f.writelines(lines)
            path += ".signed"
        conf_zones.append(f"zone:\n  name: {origin}\n  zonefile: {path}\n")
    with open(ta, "w") as f:
        f.write("\n".join(ta_lines) + "\n")
    conf = os.path.join(d, "nsd.conf")
    # a free TCP port may still be taken for UDP (or taken by then): three tries
    for attempt in range(3):
        port = free_port()
        with open(conf, "w") as f:
            f.write(f"""server:
  ip-address: 127.0.0.1
  port: {port}
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "{d}"
  database: ""
  zonelistfile: "{d}/zone.list"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  pidfile: "{d}/nsd.pid"
  logfile: "{d}/nsd.log"
  server-count: 1
  verbosity: 0
remote-control:
  control-enable: no
""" + "".join(conf_zones))
        # NSD 4.6 (Debian 12) keeps a database unless told "", later releases have none: a
        # configuration its own checker refuses is tried once more without the line
        checkconf = shutil.which("nsd-checkconf") or "/usr/sbin/nsd-checkconf"
        if os.path.exists(checkconf) and subprocess.run([checkconf, conf],
                                                        capture_output=True).returncode != 0:
            with open(conf) as f:
                text = f.read().replace('  database: ""\n', "")
            with open(conf, "w") as f:
                f.write(text)
        nsd_bin = shutil.which("nsd") or "/usr/sbin/nsd"
        proc = subprocess.Popen([nsd_bin, "-d", "-c", conf], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _dns_ready(port, next(iter(zones)), proc)
            break
        except RuntimeError:
            proc.kill()
            proc.wait()
            if attempt == 2:
                raise
    try:
        yield port, ta
    finally:
        proc.terminate()
        _reap(proc)


@contextlib.contextmanager
def nginx(cert, key, sites):
    """Debian's nginx on 127.0.0.1 (a port of its own) with @cert, serving each MTA-STS
    policy host of @sites ({host: (kind, body)}): kind "policy" (200, text/plain), "html"
    (200, text/html), "redirect" (301 to another host's policy), "missing" (404). Yields
    the port."""
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx_bin):
        skip_all_or_fail("nginx is not installed (run scripts/setup.sh)")
    d = tempfile.mkdtemp(prefix="nginx-", dir=_tmp)
    conf = os.path.join(d, "nginx.conf")
    for host, (kind, body) in sites.items():
        root = os.path.join(d, host)
        os.makedirs(os.path.join(root, ".well-known"))
        with open(os.path.join(root, ".well-known", "mta-sts.txt"), "w") as f:
            f.write(body)
    # a port found free may be taken by the time nginx binds it: three tries
    for attempt in range(3):
        port = free_port()
        servers = []
        for host, (kind, body) in sites.items():
            if kind == "redirect":
                loc = f"return 301 https://{body.strip()}:{port}/.well-known/mta-sts.txt;"
            elif kind == "missing":
                loc = "return 404;"
            else:
                loc = f"default_type {'text/html' if kind == 'html' else 'text/plain'};"
            servers.append(f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {host};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {os.path.join(d, host)};
        location = /.well-known/mta-sts.txt {{ types {{ }} {loc} }}
    }}""")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{"".join(servers)}
}}
""")
        proc = subprocess.Popen([nginx_bin, "-c", conf, "-p", d, "-e", f"{d}/error.log"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            _wait_port(port, proc, "nginx")
            break
        except RuntimeError:
            proc.kill()
            proc.wait()
            if attempt == 2:
                raise
    try:
        yield port
    finally:
        proc.terminate()
        _reap(proc)


def run_check(args, timeout=60):
    """requiretls-submit --check ARGS: (exit code, [record dict], stderr, seconds). A
    record's repeated keys (recipient, reason, mx, mx-host) are lists."""
    t0 = time.monotonic()
    proc = subprocess.run([HELPER, "--check", *args], capture_output=True, text=True,
                          timeout=timeout)
    elapsed = time.monotonic() - t0
    records = []
    for block in proc.stdout.split("\n\n"):
        if not block.strip():
            continue
        rec = {"reason": [], "recipient": [], "mx": [], "mx-host": []}
        for line in block.splitlines():
            k, _, v = line.partition("=")
            if k in ("reason", "recipient", "mx", "mx-host"):
                rec[k].append(v)
            else:
                rec[k] = v
        records.append(rec)
    return proc.returncode, records, proc.stderr, elapsed
