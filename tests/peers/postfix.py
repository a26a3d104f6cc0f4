#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# postfix.py: Debian's Postfix 3.7 as a real submission server WITHOUT REQUIRETLS, run from a
# private directory (nothing in /etc/postfix is touched, no system mail service is set up):
# implicit TLS (smtpd_tls_wrappermode) on a free 127.0.0.1 port, every message accepted and
# discarded, everything logged to a file. Runs master in the foreground; stops by itself.
#
#   postfix.py --dir DIR --cert PEM --key PEM [--lifetime S]
# prints {"port": N, "log": "DIR/maillog"} once Postfix accepts connections, and stops when
# stdin closes or the lifetime ends.
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--dir", required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--lifetime", type=float, default=120)
args = ap.parse_args()

MASTER = "/usr/lib/postfix/sbin/master"
if not os.path.exists(MASTER):
    print("postfix.py: Postfix is not installed (apt-get install postfix)", file=sys.stderr)
    sys.exit(69)

d = os.path.abspath(args.dir)
etc, queue, data = (os.path.join(d, x) for x in ("etc", "queue", "data"))
for x in (etc, queue, data):
    os.makedirs(x, exist_ok=True)
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
shutil.copy(args.cert, os.path.join(etc, "cert.pem"))
shutil.copy(args.key, os.path.join(etc, "key.pem"))
os.chmod(os.path.join(etc, "key.pem"), 0o600)
log = os.path.join(d, "maillog")

main_cf = f"""
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
meta_directory = /etc/postfix
myhostname = postfix.localhost
mydomain = localhost
myorigin = localhost
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
default_transport = discard:test
relay_transport = discard:test
local_transport = discard:test
alias_maps =
alias_database =
smtpd_tls_cert_file = {etc}/cert.pem
smtpd_tls_key_file = {etc}/key.pem
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
maillog_file_prefixes = {d}
maillog_file = {log}
biff = no
smtputf8_enable = yes
"""
master_cf = f"""
{port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
with open(os.path.join(etc, "main.cf"), "w") as f:
    f.write(main_cf)
with open(os.path.join(etc, "master.cf"), "w") as f:
    f.write(master_cf)

env = dict(os.environ, MAIL_CONFIG=etc)
# Create the queue tree with Postfix's own owners and modes.
subprocess.run(["postfix", "-c", etc, "set-permissions"], env=env, check=False,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.run(["postfix", "-c", etc, "check"], env=env, check=False,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
master = subprocess.Popen([MASTER, "-c", etc, "-d"], env=env, stdin=subprocess.DEVNULL)


def stop(*_):
    if master.poll() is None:
        master.terminate()
        try:
            master.wait(10)
        except subprocess.TimeoutExpired:
            master.kill()
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
threading.Timer(args.lifetime, stop).start()

deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    if master.poll() is not None:
        print("postfix.py: master exited; see " + log, file=sys.stderr)
        sys.exit(70)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
else:
    print("postfix.py: Postfix did not start", file=sys.stderr)
    stop()
print(json.dumps({"port": port, "log": log}), flush=True)
sys.stdin.read()
stop()
