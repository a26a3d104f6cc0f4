#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench_submit.py: requiretls-submit next to msmtp and a raw TLS pipe, side by side, one run.

Servers (bench/fastsmtp.py, implicit TLS on 127.0.0.1, a throwaway CA): one offering
PIPELINING and CHUNKING, and a raw TLS sink as the floor, to which `openssl s_client` sends the
same bytes. Clients, interleaved run by run, each with the message file on stdin:

  rtls        requiretls-submit --require-tls (BDAT LAST pipelined with MAIL/RCPT and QUIT)
  rtls-data   requiretls-submit --require-tls --no-chunking (DATA)
  msmtp       msmtp 1.8 (DATA), when installed
  raw         openssl s_client sending the message file (the floor: TLS and nothing else)

Figures: median wall time and CPU (user+sys) per size; CPU per MB; writes (syscalls, strace)
and TLS records (counted by bench/proxy.py) per 20 MB; round trips after the TCP connect,
counted by bench/proxy.py (with AUTH, as a real submission has) and checked against the wall
time with 50 ms added each way; peak RSS at 1 GB. Prints a Markdown table and the targets.

    python3 bench/bench_submit.py [--runs 3] [--sizes 10K,20M,200M] [--rss-size 1G]

RTLS_HELPER overrides build/helper/requiretls-submit.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
HELPER = os.environ.get("RTLS_HELPER", os.path.join(TOP, "build", "helper", "requiretls-submit"))
PASSWORD = "bench-password"


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {s}")
    return int(m.group(1)) * {"": 1, "K": 1000, "M": 1000 ** 2, "G": 1000 ** 3}[m.group(2)]


def label(n):
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= f:
            return f"{n / f:g} {unit}"
    return f"{n} B"


def make_message(path, size):
    """Text lines of 78 bytes with CRLF, as a mail client writes them."""
    line = b"The quick brown fox jumps over the lazy dog; REQUIRETLS benchmark 0123456789\r\n"
    head = (b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n"
            b"Subject: benchmark\r\nMessage-ID: <bench@example.org>\r\n"
            b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n")
    block = line * 13000
    lines = max(1, (size - len(head)) // len(line))
    full, rest = divmod(lines, 13000)
    with open(path, "wb") as f:
        f.write(head)
        for _ in range(full):
            f.write(block)
        f.write(line * rest)


class Server:
    def __init__(self, args, stats=None):
        self.proc = subprocess.Popen([sys.executable, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.port = json.loads(self.proc.stdout.readline())["port"]

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def client_cmd(name, port, ca, pwfile):
    if name in ("rtls", "rtls-data"):
        cmd = [HELPER, "--host=localhost", f"--port={port}", f"--ca-file={ca}", "--require-tls",
               "--user=alice", "--password-fd=PWFD", "-t", "-oi"]
        return cmd + (["--no-chunking"] if name == "rtls-data" else [])
    if name == "msmtp":
        return ["msmtp", "--host=localhost", f"--port={port}", "--tls=on", "--tls-starttls=off",
                f"--tls-trust-file={ca}", "--auth=plain", "--user=alice",
                f"--passwordeval=cat {pwfile}", "--from=alice@example.org", "-t", "-oi"]
    if name == "raw":
        return ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                "-CAfile", ca, "-verify_return_error", "-quiet", "-no_ign_eof", "-nocommands"]
    raise ValueError(name)


def run(cmd, msg, pwfile):
    """Runs @cmd with @msg on stdin (the password on an inherited fd); wall time, and CPU and
    peak RSS of the client from wait4() (microseconds, not the 10 ms of time -f %U)."""
    with open(msg, "rb") as fin, open(pwfile, "rb") as pw:
        cmd = [x.replace("PWFD", str(pw.fileno())) for x in cmd]
        start = time.monotonic()
        # /usr/bin/time execs the client from a small process and reports the client's own
        # peak RSS (wait4() here would count this Python's forked image); wait4() gives the
        # CPU of both to the microsecond (time's own is a fraction of a millisecond).
        rssfile = tempfile.mktemp(prefix="rss-")
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rssfile, *cmd], stdin=fin,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             pass_fds=(pw.fileno(),))
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[-600:]}")
    rss = int(open(rssfile).read().split()[-1])
    os.unlink(rssfile)
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": rss}


def syscall_writes(cmd, msg, pwfile):
    """Write syscalls of the client (strace -c): write, writev, send, sendto, sendmsg."""
    log = tempfile.mktemp(prefix="strace-")
    with open(msg, "rb") as fin, open(pwfile, "rb") as pw:
        cmd = [x.replace("PWFD", str(pw.fileno())) for x in cmd]
        subprocess.run(["strace", "-f", "-c", "-o", log, "-e",
                        "trace=write,writev,send,sendto,sendmsg", *cmd], stdin=fin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       pass_fds=(pw.fileno(),))
    total = 0
    for line in open(log):
        parts = line.split()
        if len(parts) >= 5 and parts[-1] in ("write", "writev", "send", "sendto", "sendmsg"):
            total += int(parts[3])
    os.unlink(log)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="10K,20M,200M")
    ap.add_argument("--rss-size", default="1G")
    ap.add_argument("--delay-ms", type=float, default=50)
    a = ap.parse_args()
    sizes = [parse_size(s) for s in a.sizes.split(",") if s]
    tmp = tempfile.mkdtemp(prefix="rtls-bench-")
    certs = os.path.join(tmp, "certs")
    subprocess.run(["sh", os.path.join(TOP, "tests", "peers", "mkcerts.sh"), certs], check=True)
    ca = os.path.join(certs, "ca.pem")
    pwfile = os.path.join(tmp, "pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")
    srv_args = ["--cert", os.path.join(certs, "server.pem"), "--key",
                os.path.join(certs, "server-key.pem")]
    smtp = Server([os.path.join(HERE, "fastsmtp.py"), *srv_args])
    raw = Server([os.path.join(HERE, "fastsmtp.py"), "--raw", *srv_args])
    clients = ["rtls", "rtls-data", "raw"] + (["msmtp"] if shutil.which("msmtp") else [])
    port = {"raw": raw.port}
    results = {}
    try:
        for size in sizes:
            msg = os.path.join(tmp, f"m{size}.eml")
            make_message(msg, size)
            real = os.path.getsize(msg)
            for r in range(a.runs):
                for c in clients:  # interleaved: one run of each client, then the next run
                    cmd = client_cmd(c, port.get(c, smtp.port), ca, pwfile)
                    results.setdefault((c, size), []).append(run(cmd, msg, pwfile))
            for c in clients:
                rs = results[(c, size)]
                results[(c, size)] = {
                    "wall": statistics.median(x["wall"] for x in rs),
                    "cpu": statistics.median(x["cpu"] for x in rs),
                    "rss_kb": max(x["rss_kb"] for x in rs), "bytes": real}
            if size >= 20 * 1000 ** 2 and size <= 20 * 1000 ** 2:
                # writes and records per 20 MB
                for c in clients:
                    cmd = client_cmd(c, port.get(c, smtp.port), ca, pwfile)
                    results[(c, size)]["writes"] = syscall_writes(cmd, msg, pwfile)
                    stats = os.path.join(tmp, f"records-{c}.jsonl")
                    px = Server([os.path.join(HERE, "proxy.py"), f"--to={port.get(c, smtp.port)}",
                                 "--delay-ms=0", f"--stats={stats}"])
                    run(client_cmd(c, px.port, ca, pwfile), msg, pwfile)
                    time.sleep(0.5)
                    px.stop()
                    results[(c, size)]["records"] = json.loads(open(stats).readlines()[-1])["records"]
            os.unlink(msg)

        # Round trips after the TCP connect, with AUTH: counted by the proxy, and from the wall
        # time with --delay-ms each way (10 KB message).
        msg = os.path.join(tmp, "rt.eml")
        make_message(msg, 10 * 1000)
        rts = {}
        for c in [x for x in clients if x != "raw"]:
            stats = os.path.join(tmp, f"rt-{c}.jsonl")
            px0 = Server([os.path.join(HERE, "proxy.py"), f"--to={smtp.port}", "--delay-ms=0",
                          f"--stats={stats}0"])
            pxd = Server([os.path.join(HERE, "proxy.py"), f"--to={smtp.port}",
                          f"--delay-ms={a.delay_ms}", f"--stats={stats}"])
            w0 = statistics.median(run(client_cmd(c, px0.port, ca, pwfile), msg, pwfile)["wall"]
                                   for _ in range(3))
            wd = statistics.median(run(client_cmd(c, pxd.port, ca, pwfile), msg, pwfile)["wall"]
                                   for _ in range(3))
            time.sleep(0.5)
            px0.stop()
            pxd.stop()
            counted = [json.loads(l)["round_trips"] for l in open(stats)]
            rts[c] = (statistics.median(counted), (wd - w0) / (2 * a.delay_ms / 1000))

        # Peak RSS at 1 GB (requiretls-submit only).
        rss = None
        if a.rss_size:
            big = parse_size(a.rss_size)
            msg = os.path.join(tmp, "big.eml")
            make_message(msg, big)
            rss = run(client_cmd("rtls", smtp.port, ca, pwfile), msg, pwfile)
            os.unlink(msg)
    finally:
        smtp.stop()
        raw.stop()

    print(f"\nrequiretls-submit {subprocess.run([HELPER, '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"{a.runs} interleaved runs, medians; {time.strftime('%Y-%m-%d')}\n")
    print("| size | client | wall | CPU | CPU per MB | peak RSS | writes | TLS records |")
    print("|---|---|---|---|---|---|---|---|")
    for size in sizes:
        for c in clients:
            r = results[(c, size)]
            mb = r["bytes"] / 1e6
            print(f"| {label(size)} | {c} | {r['wall']:.3f} s | {r['cpu']:.3f} s | "
                  f"{1000 * r['cpu'] / mb:.2f} ms | {r['rss_kb'] / 1024:.1f} MB | "
                  f"{r.get('writes', '')} | {r.get('records', '')} |")
    print("\n| client | round trips after connect (proxy) | from wall time (+%g ms each way) |" % a.delay_ms)
    print("|---|---|---|")
    for c, (n, est) in rts.items():
        print(f"| {c} | {n:g} | {est:.1f} |")
    if rss is not None:
        print(f"\nrequiretls-submit at {label(parse_size(a.rss_size))}: peak RSS "
              f"{rss['rss_kb'] / 1024:.1f} MB, wall {rss['wall']:.2f} s, CPU {rss['cpu']:.2f} s")

    print("\nTargets:")
    big = max(sizes)
    checks = []
    if "rtls" in rts:
        checks.append(("5 round trips with CHUNKING", rts["rtls"][0] == 5, rts["rtls"][0]))
    if "rtls-data" in rts:
        checks.append(("6 round trips without", rts["rtls-data"][0] == 6, rts["rtls-data"][0]))
    ratio = results[("rtls", big)]["wall"] / results[("raw", big)]["wall"]
    checks.append((f"{label(big)} within 1.15x of the raw TLS floor", ratio <= 1.15, f"{ratio:.2f}x"))
    cpu = 1000 * results[("rtls", big)]["cpu"] / (results[("rtls", big)]["bytes"] / 1e6)
    small = min(sizes)
    marginal = 1000 * (results[("rtls", big)]["cpu"] - results[("rtls", small)]["cpu"]) / (
        (results[("rtls", big)]["bytes"] - results[("rtls", small)]["bytes"]) / 1e6) \
        if big != small else cpu
    checks.append(("CPU <= 0.8 ms per MB", cpu <= 0.8,
                   f"{cpu:.2f} ms/MB at {label(big)}, start-up included; "
                   f"{marginal:.2f} ms/MB beyond {label(small)}"))
    if rss is not None:
        checks.append((f"RSS <= 12 MB at {label(parse_size(a.rss_size))}", rss["rss_kb"] <= 12 * 1024,
                       f"{rss['rss_kb'] / 1024:.1f} MB"))
    for name, ok, value in checks:
        print(f"- {'met' if ok else 'NOT met'}: {name} ({value})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
