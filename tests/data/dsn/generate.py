#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Regenerates the real-MTA part of the DSN corpus (postfix-*.eml, exim-*.eml).

Not run by the tests: its output is committed. Run as root on Debian 12 with Postfix installed
(scripts/setup.sh installs it); Exim 4.96 is unpacked from Debian's .debs into a temporary
directory (apt-get download, dpkg-deb -x) because Exim and Postfix cannot both be installed.

  python3 tests/data/dsn/generate.py [--postfix] [--exim [--giveup-only]]

Both MTAs run on 127.0.0.1 only. A small SMTP server here plays every remote: it refuses
recipients by their local part (unknown → 550 5.1.1, relay → 554 5.7.1 relay refused,
norequiretls → 550 5.7.30, notls → 550 5.7.10, laterrequiretls → 450 4.7.30 until Exim's
retry time of 3 s has run out and it gives up) and accepts mail for @sender.test, which is
where the bounces go; each bounce it receives is written here as it arrived. The unpacked
Exim needs libidn12 (apt-get install libidn12).
"""
import argparse
import glob
import os
import shutil
import smtplib
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFUSE = {
    "unknown": "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table",
    "relay": "554 5.7.1 <{rcpt}>: Relay access denied",
    "norequiretls": "550 5.7.30 REQUIRETLS support required",
    "notls": "550 5.7.10 Encryption needed: TLS could not be established with the next hop",
    # a temporary refusal, until the MTA's retry time runs out and it gives up
    "laterrequiretls": "450 4.7.30 REQUIRETLS support required, try again later",
}
received = []


class Remote(socketserver.StreamRequestHandler):
    def reply(self, s):
        self.wfile.write((s + "\r\n").encode())

    def handle(self):
        self.reply("220 remote.test ESMTP")
        rcpts, data = [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            up = cmd.upper()
            if up.startswith(("EHLO", "HELO")):
                self.reply("250-remote.test\r\n250-8BITMIME\r\n250 DSN")
            elif up.startswith("MAIL"):
                rcpts = []
                self.reply("250 2.1.0 ok")
            elif up.startswith("RCPT"):
                addr = cmd[cmd.index("<") + 1:cmd.index(">")]
                local = addr.split("@")[0]
                if addr.endswith("@sender.test"):
                    rcpts.append(addr)
                    self.reply("250 2.1.5 ok")
                else:
                    self.reply(REFUSE.get(local, "550 5.1.1 unknown").format(rcpt=addr))
            elif up == "DATA":
                if not rcpts:
                    self.reply("554 5.5.1 no valid recipients")
                    continue
                self.reply("354 go ahead")
                buf = []
                while True:
                    l = self.rfile.readline()
                    if l in (b".\r\n", b".\n", b""):
                        break
                    buf.append(l[1:] if l.startswith(b"..") else l)
                received.append(b"".join(buf))
                self.reply("250 2.0.0 queued")
            elif up == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("250 ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.1)


def original(subject, to, msgid):
    return (f"From: Alice Example <alice@sender.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{msgid}>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            "The quarterly figures are attached.\r\n")


def wait_bounces(n, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(received) < n:
        time.sleep(0.2)
    return list(received)


def save(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data.replace(b"\r\n", b"\n"))
    print("wrote", name)


def postfix(remote_port):
    d = tempfile.mkdtemp(prefix="rtls-dsn-postfix-")
    os.chmod(d, 0o755)  # Postfix daemons run as the postfix user
    etc, queue, data = (os.path.join(d, x) for x in ("etc", "queue", "data"))
    for x in (etc, queue, data):
        os.makedirs(x)
    port = free_port()
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(f"""compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
meta_directory = /etc/postfix
myhostname = mx.postfix.test
mydomain = postfix.test
myorigin = postfix.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = smtp:[127.0.0.1]:{remote_port}
relay_transport = smtp:[127.0.0.1]:{remote_port}
smtp_tls_security_level = none
alias_maps =
alias_database =
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
smtputf8_enable = no
""")
    services = ["pickup unix n - n 60 1 pickup", "cleanup unix n - n - 0 cleanup",
                "qmgr unix n - n 300 1 qmgr", "rewrite unix - - n - - trivial-rewrite",
                "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce",
                "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
                "flush unix n - n 1000? 0 flush", "proxymap unix - - n - - proxymap",
                "smtp unix - - n - - smtp", "showq unix n - n - - showq",
                "error unix - - n - - error", "retry unix - - n - - error",
                "discard unix - - n - - discard", "anvil unix - - n - 1 anvil",
                "scache unix - - n - 1 scache", "postlog unix-dgram n - n - 1 postlogd",
                f"127.0.0.1:{port} inet n - n - - smtpd"]
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write("\n".join(services) + "\n")
    env = dict(os.environ, MAIL_CONFIG=etc)
    subprocess.run(["postfix", "-c", etc, "set-permissions"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    master = subprocess.Popen(["/usr/lib/postfix/sbin/master", "-c", etc, "-d"], env=env)
    try:
        wait_port(port)
        cases = [
            ("postfix-unknown-user.eml", "unknown@example.net", "HDRS", "pf-env-1"),
            ("postfix-relay-refused.eml", "relay@example.net", "FULL", "pf-env-2"),
            ("postfix-5.7.30-remote.eml", "norequiretls@example.net", "HDRS",
             "rtls-0123456789abcdef01234567"),
        ]
        for name, rcpt, ret, envid in cases:
            received.clear()
            with smtplib.SMTP("127.0.0.1", port) as s:
                s.ehlo("client.test")
                s.sendmail("alice@sender.test", [rcpt],
                           original(f"Quarterly figures ({name})", rcpt, f"{envid}@sender.test"),
                           mail_options=[f"RET={ret}", f"ENVID={envid}"],
                           rcpt_options=["NOTIFY=FAILURE,DELAY"])
            got = wait_bounces(1)
            if not got:
                sys.exit(f"no bounce from Postfix for {name}; see {d}/maillog")
            save(name, got[0])
    finally:
        master.terminate()
        master.wait()
        if os.environ.get("RTLS_KEEP_TMP"):
            print("kept", d)
        else:
            shutil.rmtree(d, ignore_errors=True)


def exim(remote_port):
    d = tempfile.mkdtemp(prefix="rtls-dsn-exim-")
    os.chmod(d, 0o755)
    subprocess.run(["apt-get", "download", "exim4-daemon-light", "exim4-base"], cwd=d, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = os.path.join(d, "root")
    for deb in glob.glob(os.path.join(d, "*.deb")):
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    exim_bin = os.path.join(root, "usr/sbin/exim4")
    # the binary looks its compiled-in user up before it reads any configuration
    subprocess.run(["sh", "-c", "getent passwd Debian-exim >/dev/null || "
                    "useradd --system --no-create-home --shell /usr/sbin/nologin Debian-exim"],
                   check=True)
    spool = os.path.join(d, "spool")
    os.makedirs(spool)
    subprocess.run(["chown", "Debian-exim:", spool], check=True)
    conf = os.path.join(d, "exim.conf")
    with open(conf, "w") as f:
        f.write(f"""primary_hostname = mx.exim.test
exim_path = {exim_bin}
spool_directory = {spool}
log_file_path = {spool}/%slog
never_users =
dsn_advertise_hosts = *
acl_smtp_rcpt = accept
begin routers
remote:
  driver = manualroute
  transport = remote_smtp
  route_list = * 127.0.0.1::{remote_port}
  self = send
begin transports
remote_smtp:
  driver = smtp
  hosts_avoid_tls = *
  allow_localhost
begin retry
laterrequiretls@example.net * F,3s,1s
* * F,1m,1m
""")
    try:
        cases = [
            ("exim-unknown-user.eml", "unknown@example.net", "HDRS", "ex-env-1"),
            ("exim-relay-refused.eml", "relay@example.net", "FULL", "ex-env-2"),
            ("exim-5.7.30-remote.eml", "norequiretls@example.net", "HDRS",
             "rtls-fedcba9876543210fedcba98"),
        ]
        if a.giveup_only:
            cases = []
        # Exim's give-up report: 450 4.7.30 until the retry time (3 s here) has run out;
        # the queue runs after it make Exim give up with "Status: 5.0.0"
        cases.append(("exim-giveup-4.7.30.eml", "laterrequiretls@example.net", "HDRS",
                      "rtls-c1000000000000000000e450"))
        for name, rcpt, ret, envid in cases:
            received.clear()
            port = free_port()
            daemon = subprocess.Popen([exim_bin, "-C", conf, "-bd", "-odi", "-oX",
                                       f"127.0.0.1.{port}", "-oP", os.path.join(d, "pid")])
            try:
                wait_port(port)
                with smtplib.SMTP("127.0.0.1", port) as s:
                    s.ehlo("client.test")
                    s.sendmail("alice@sender.test", [rcpt],
                               original(f"Quarterly figures ({name})", rcpt,
                                        f"{envid}@sender.test"),
                               mail_options=[f"RET={ret}", f"ENVID={envid}"],
                               rcpt_options=["NOTIFY=FAILURE"])
                for _ in range(10):
                    if received or "giveup" not in name:
                        break
                    time.sleep(2)
                    subprocess.run([exim_bin, "-C", conf, "-qff"], check=False)
                got = wait_bounces(1)
            finally:
                daemon.terminate()
                daemon.wait()
            if not got:
                sys.exit(f"no bounce from Exim for {name}; see {spool}/mainlog")
            save(name, got[0])
    finally:
        if os.environ.get("RTLS_KEEP_TMP"):
            print("kept", d)
        else:
            shutil.rmtree(d, ignore_errors=True)


ap = argparse.ArgumentParser()
ap.add_argument("--postfix", action="store_true")
ap.add_argument("--exim", action="store_true")
ap.add_argument("--giveup-only", action="store_true",
                help="with --exim: only exim-giveup-4.7.30.eml")
a = ap.parse_args()
rp = free_port()
srv = Server(("127.0.0.1", rp), Remote)
threading.Thread(target=srv.serve_forever, daemon=True).start()
threading.Timer(600, lambda: os._exit(3)).start()  # never outlive its purpose
if a.postfix or not a.exim:
    postfix(rp)
if a.exim or not a.postfix:
    exim(rp)
srv.shutdown()
os._exit(0)
