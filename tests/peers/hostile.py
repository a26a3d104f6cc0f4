#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# hostile.py: our scripted misbehaving SMTP server, for what no real server does on purpose.
# One connection on 127.0.0.1 (or --connections N, one after the other), driven by a script; every line received is recorded (JSON
# lines) so that tests assert on what the client actually sent. Stops by itself.
#
# Script commands, one a line ("#" comments):
#   send TEXT          send TEXT + CRLF
#   send-raw PYBYTES   send a Python bytes literal as is, e.g. b'220 a\r\n250 b\r\n'
#   drip SECONDS TEXT  send TEXT + CRLF one byte at a time, SECONDS between bytes
#   expect REGEX       read one line; record it; if it does not match (case-insensitive),
#                      record "unexpected" and end the script
#   starttls           server side of the TLS upgrade
#   sleep SECONDS
#   read-data          read message content up to CRLF.CRLF (recorded as one "data" event)
#   read-bdat          read "BDAT n [LAST]" (recorded as a line) and its n bytes (one "bdat"
#                      event: size, last, and the content when it is under 64 KiB)
#   read-bytes N       read N bytes of whatever comes (one "bytes" event)
#   flood-line N       send one reply line of N bytes, without line end, then wait
#   flood-endless      send "250-xxx..." lines until the client goes away (max 60 s)
#   recv-all           record everything until the client closes (a QUIT is answered 221,
#                      as a real server does: the client need not wait for its timeout)
#   close              close the connection
import argparse
import ast
import json
import re
import socket
import ssl
import sys
import threading
import time
import os
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

ap = argparse.ArgumentParser()
ap.add_argument("--script", required=True)
ap.add_argument("--tls", choices=["implicit", "starttls", "none"], default="implicit")
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--record", required=True)
ap.add_argument("--lifetime", type=float, default=60)
ap.add_argument("--connections", type=int, default=1,
                help="serve the script to this many connections, one after the other")
ap.add_argument("--max-tls", choices=["1.1", "1.2", "1.3"], default=None)
# OpenSSL cipher list for TLS 1.2 and older, e.g. "AES128-GCM-SHA256" (static RSA) or
# "ECDHE-ECDSA-AES128-SHA" (CBC); "@SECLEVEL=0" lets a 1024-bit RSA key load.
ap.add_argument("--ciphers", default=None)
args = ap.parse_args()

# Stop by ourselves whatever happens.
threading.Timer(args.lifetime, lambda: os._exit(0)).start()
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()


def record(**ev):
    with open(args.record, "a") as f:
        f.write(json.dumps(ev) + "\n")


def context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if args.ciphers is not None:
        ctx.set_ciphers(args.ciphers)
    ctx.load_cert_chain(args.cert, args.key)
    if args.max_tls == "1.1":
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    elif args.max_tls == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.said_bye = False

    def readline(self, limit=1 << 20):
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except (OSError, ssl.SSLError):
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
            if len(self.buf) > limit:
                break
        line, sep, self.buf = self.buf.partition(b"\n")
        return line + sep

    def readexact(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(1 << 20)
            except (OSError, ssl.SSLError):
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, data):
        # a 221 from the script is its answer to a QUIT that may be on its way (pipelined)
        if re.search(rb"(^|\n)221[ -]", data):
            self.said_bye = True
        try:
            self.sock.sendall(data)
            return True
        except (OSError, ssl.SSLError):
            return False


def record_line(conn, line):
    """Records a line the client sent after the script's own dialogue, and answers a QUIT
    with 221 as RFC 5321 4.1.1.10 asks (unless the script said 221 itself), so that a
    refused session ends at once instead of at the client's QUIT timeout."""
    text = line.decode("latin-1").rstrip("\r\n")
    record(event="line", data=text)
    if text.upper() == "QUIT" and not conn.said_bye:
        conn.send(b"221 2.0.0 bye\r\n")


def main():
    with open(args.script) as f:
        script = [l.rstrip("\n") for l in f if l.strip() and not l.lstrip().startswith("#")]
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    print(json.dumps({"port": lsock.getsockname()[1]}), flush=True)
    for _ in range(args.connections):
        serve(lsock.accept()[0], script)


def serve(sock, script):
    record(event="connect")
    if args.tls == "implicit":
        ssock = context().wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        try:
            ssock.do_handshake()
            record(event="tls", version=ssock.version())
            sock = ssock
        except (ssl.SSLError, OSError) as e:
            # The client refused us inside the handshake: it cannot have sent any SMTP.
            record(event="handshake-failed", error=str(e))
            record(event="eof")
            return
    conn = Conn(sock)
    for cmd in script:
        verb, _, arg = cmd.partition(" ")
        if verb == "send":
            if not conn.send(arg.encode() + b"\r\n"):
                break
        elif verb == "send-raw":
            if not conn.send(ast.literal_eval(arg)):
                break
        elif verb == "expect":
            line = conn.readline()
            if line is None:
                record(event="eof")
                return
            text = line.decode("latin-1").rstrip("\r\n")
            record(event="line", data=text)
            if not re.match(arg, text, re.I):
                record(event="unexpected", expected=arg)
                break
        elif verb == "starttls":
            try:
                conn.sock = context().wrap_socket(conn.sock, server_side=True)
                conn.buf = b""
                record(event="tls", version=conn.sock.version())
            except (ssl.SSLError, OSError) as e:
                record(event="handshake-failed", error=str(e))
                return
        elif verb == "drip":
            delay, _, text = arg.partition(" ")
            gone = False
            for b in text.encode() + b"\r\n":
                if not conn.send(bytes([b])):
                    gone = True
                    break
                time.sleep(float(delay))
            if gone:
                break
        elif verb == "read-bdat":
            line = conn.readline()
            if line is None:
                record(event="eof")
                return
            text = line.decode("latin-1").rstrip("\r\n")
            record(event="line", data=text)
            m = re.match(r"^BDAT ([0-9]+)( LAST)?$", text)
            if not m:
                record(event="unexpected", expected="BDAT n [LAST]")
                break
            data = conn.readexact(int(m.group(1)))
            if data is None:
                record(event="eof")
                return
            ev = {"event": "bdat", "size": len(data), "last": bool(m.group(2))}
            if len(data) < 65536:
                ev["content"] = data.decode("latin-1")
            record(**ev)
        elif verb == "read-bytes":
            data = conn.readexact(int(arg))
            if data is None:
                record(event="eof")
                return
            record(event="bytes", size=len(data))
        elif verb == "sleep":
            time.sleep(float(arg))
        elif verb == "read-data":
            # Up to and including CRLF.CRLF; the search restarts near the end only, so a
            # large message costs linear time.
            data = conn.buf
            conn.buf = b""
            start = 0
            ended = False
            while True:
                i = data.find(b"\r\n.\r\n", start)
                if i >= 0 or data == b".\r\n":
                    end = i + 5 if i >= 0 else 3
                    conn.buf = data[end:]
                    data = data[:end]
                    ended = True
                    break
                start = max(0, len(data) - 4)
                try:
                    chunk = conn.sock.recv(1 << 20)
                except (OSError, ssl.SSLError):
                    chunk = b""
                if not chunk:
                    break
                data += chunk
            record(event="data", size=len(data), ended=ended)
        elif verb == "flood-line":
            conn.send(b"250-" + b"x" * int(arg))
            time.sleep(3)
        elif verb == "flood-endless":
            end = time.monotonic() + 60
            while time.monotonic() < end and conn.send(b"250-" + b"y" * 70 + b"\r\n"):
                pass
        elif verb == "recv-all":
            while True:
                line = conn.readline()
                if line is None:
                    break
                record_line(conn, line)
        elif verb == "close":
            record(event="closed-by-server")
            try:
                conn.sock.close()
            except OSError:
                pass
            return
        else:
            raise SystemExit(f"hostile.py: unknown command {verb}")
    # Record whatever else arrives before the client hangs up.
    conn.sock.settimeout(3)
    while True:
        try:
            line = conn.readline()
        except (OSError, ssl.SSLError):
            line = None
        if line is None:
            break
        record_line(conn, line)
    record(event="eof")
    try:
        conn.sock.close()
    except OSError:
        pass


main()
os._exit(0)
