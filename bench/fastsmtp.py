#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# fastsmtp.py: a fast local submission server for the benchmarks (never for tests): implicit
# TLS on 127.0.0.1, PIPELINING, CHUNKING (unless --no-chunking), REQUIRETLS, AUTH PLAIN; the
# message is read and thrown away. With --raw it only reads until the client closes (the
# floor: openssl s_client sending the same bytes). Prints {"port": N}; stops when stdin
# closes or after --lifetime seconds.
import argparse
import json
import os
import re
import socket
import ssl
import sys
import threading

ap = argparse.ArgumentParser()
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--raw", action="store_true")
ap.add_argument("--no-chunking", action="store_true")
ap.add_argument("--lifetime", type=float, default=3600)
args = ap.parse_args()

threading.Timer(args.lifetime, lambda: os._exit(0)).start()
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
CAPS = ["fast.test", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "DSN"]
if not args.no_chunking:
    CAPS.append("CHUNKING")
CAPS += ["REQUIRETLS", "AUTH PLAIN LOGIN"]
EHLO = "".join(f"250-{c}\r\n" for c in CAPS[:-1]) + f"250 {CAPS[-1]}\r\n"
BDAT = re.compile(rb"^BDAT ([0-9]+)( LAST)?\r\n$", re.I)


def serve(sock):
    try:
        s = ctx.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError):
        return
    try:
        scratch = bytearray(1 << 18)  # one buffer for every read of message data
        if args.raw:
            while s.recv_into(scratch):
                pass
            return
        s.sendall(b"220 fast.test ESMTP\r\n")
        buf = b""
        out = []
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                if out:  # flush replies once the input is drained (as real servers do)
                    s.sendall("".join(out).encode())
                    out = []
                chunk = s.recv(1 << 20)
                if not chunk:
                    return
                buf += chunk
                continue
            line, buf = buf[:nl + 1], buf[nl + 1:]
            verb = line[:4].upper()
            if verb == b"EHLO":
                out.append(EHLO)
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                out.append("250 2.0.0 ok\r\n")
            elif verb == b"AUTH":
                out.append("235 2.7.0 ok\r\n")
            elif verb == b"QUIT":
                out.append("221 2.0.0 bye\r\n")
                s.sendall("".join(out).encode())
                return
            elif verb == b"DATA":
                out.append("354 go ahead\r\n")
                s.sendall("".join(out).encode())
                out = []
                term = b"\r\n.\r\n"
                i = buf.find(term)
                if i >= 0:
                    buf = buf[i + 5:]
                else:
                    tail = buf[-4:]
                    while True:
                        got = s.recv_into(scratch)
                        if not got:
                            return
                        edge = tail + bytes(scratch[:min(4, got)])
                        j = edge.find(term)
                        if j >= 0:
                            buf = bytes(scratch[j + 5 - len(tail):got])
                            break
                        i = scratch.find(term, 0, got)
                        if i >= 0:
                            buf = bytes(scratch[i + 5:got])
                            break
                        tail = (tail + bytes(scratch[max(0, got - 4):got]))[-4:]
                out.append("250 2.0.0 queued\r\n")
            elif BDAT.match(line):
                n = int(BDAT.match(line).group(1))
                if len(buf) >= n:
                    buf = buf[n:]
                else:
                    n -= len(buf)
                    buf = b""
                    while n > 0:
                        got = s.recv_into(scratch, min(n, len(scratch)))
                        if not got:
                            return
                        n -= got
                out.append("250 2.0.0 queued\r\n")
            else:
                out.append("500 5.5.2 what\r\n")
    except (ssl.SSLError, OSError):
        pass
    finally:
        try:
            s.close()
        except OSError:
            pass


lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(16)
print(json.dumps({"port": lsock.getsockname()[1]}), flush=True)
while True:
    c, _ = lsock.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
