#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench_submit.py: requiretls-submit next to msmtp, same message, same local server.

Starts nodemailer's smtp-server (tests/peers/smtp-peer.js) on 127.0.0.1 with implicit TLS and a
throwaway CA, then submits a message of each size N times with each client under
/usr/bin/time -v and prints the median wall time and the peak RSS. Run from the top directory:

    RTLS_HELPER=build/helper/requiretls-submit python3 bench/bench_submit.py [--runs 5] [SIZE...]

SIZE is like 10K, 20M, 1G (default: 10K 20M).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("RTLS_TESTS_SRCDIR", os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import rtlstest as T  # noqa: E402

HELPER = os.environ.get("RTLS_HELPER", os.path.join(HERE, "..", "build", "helper", "requiretls-submit"))


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {s}")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def make_message(path, size):
    line = b"The quick brown fox jumps over the lazy dog, REQUIRETLS benchmark line 0123456789.\n"
    with open(path, "wb") as f:
        f.write(b"From: Alice <alice@example.org>\nTo: Bob <bob@example.net>\n"
                b"Subject: benchmark\nMessage-ID: <bench@example.org>\n"
                b"Date: Tue, 24 Nov 2026 10:00:00 +0000\n\n")
        left = size
        while left > 0:
            chunk = line * 12000
            f.write(chunk[:left])
            left -= len(chunk)


def timed(cmd, stdin_path):
    out = tempfile.mktemp(prefix="time-")
    with open(stdin_path, "rb") as fin:
        p = subprocess.run(["/usr/bin/time", "-v", "-o", out, *cmd], stdin=fin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    text = open(out).read()
    os.unlink(out)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')[-400:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    h = int(wall.group(1) or 0)
    secs = h * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return secs, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("sizes", nargs="*", type=parse_size, default=[10 << 10, 20 << 20])
    a = ap.parse_args()
    certs = T.certs()
    ca = os.path.join(certs, "ca.pem")
    rows = []
    with T.smtp_peer(certs, lifetime=3600) as peer:
        clients = {
            "requiretls-submit": [HELPER, "--host=localhost", f"--port={peer.port}",
                                  f"--ca-file={ca}", "-t", "-oi"],
            "msmtp": ["msmtp", "--host=localhost", f"--port={peer.port}", "--tls=on",
                      "--tls-starttls=off", f"--tls-trust-file={ca}", "--auth=off",
                      "--from=alice@example.org", "-t", "-oi"],
        }
        for size in a.sizes:
            msg = os.path.join(T.tmpdir(), f"msg-{size}.eml")
            make_message(msg, size)
            for name, cmd in clients.items():
                runs = [timed(cmd, msg) for _ in range(a.runs)]
                rows.append((size, name, statistics.median(r[0] for r in runs),
                             max(r[1] for r in runs)))
                peer.clear()
            os.unlink(msg)
    print(f"{'size':>8}  {'client':<18} {'wall (median)':>14} {'peak RSS':>10}")
    for size, name, wall, rss in rows:
        label = f"{size >> 20} MB" if size >= 1 << 20 else f"{size >> 10} KB"
        print(f"{label:>8}  {name:<18} {wall:>12.3f} s {rss / 1024:>7.1f} MB")


if __name__ == "__main__":
    main()
