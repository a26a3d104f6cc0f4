#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench_check.py: requiretls-submit --check on 10 recipient domains on loopback (issue 22),
with and without --probe, all in one run (the helper checks them in parallel) against the
same checks one after the other (one run of the helper per domain), side by side, the
variants interleaved run by run.

The peers are the tests' own (tests/integration/rtlstest.py): NSD with a zone signed now
(each domain: an MX, its A record, a DANE-EE TLSA record, an _mta-sts TXT record and a policy
host), nginx with the test CA serving the 10 MTA-STS policies (enforce), and nodemailer's
smtp-server offering REQUIRETLS after STARTTLS for the probe (reverse lookups off). With
--dns-delay-ms D every DNS answer comes D ms late through a small UDP relay, as from a
resolver that is not on this machine (libunbound's own DNSKEY queries too); HTTPS and SMTP
stay on loopback.

Measured: wall time of all 10 checks (from the first exec to the last exit), the lookups the
records report (DNS queries, policy fetches, probe connections), and the verdicts (each must
be ready with --probe, unknown without). Medians of --runs.

  python3 bench/bench_check.py --runs 5 [--dns-delay-ms 20]

RTLS_HELPER overrides build/helper/requiretls-submit.
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
os.environ.setdefault("RTLS_TESTS_SRCDIR", os.path.join(TOP, "tests"))
os.environ.setdefault("RTLS_HELPER", os.path.join(TOP, "build", "helper", "requiretls-submit"))
import rtlstest as t  # noqa: E402
import test_check  # noqa: E402  (mx_cert, policy)

N = 10


class DelayRelay:
    """UDP relay on 127.0.0.1 that forwards each DNS query to @upstream after @delay s."""

    def __init__(self, upstream, delay):
        self.upstream, self.delay = upstream, delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            data, client = self.sock.recvfrom(65535)
            threading.Thread(target=self.one, args=(data, client), daemon=True).start()

    def one(self, data, client):
        time.sleep(self.delay)
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(5)
        try:
            up.sendto(data, ("127.0.0.1", self.upstream))
            answer, _ = up.recvfrom(65535)
            self.sock.sendto(answer, client)
        except OSError:
            pass
        finally:
            up.close()


def run_one(args):
    """One helper run: (records, seconds)."""
    t0 = time.monotonic()
    rc, recs, err, _ = t.run_check(args, timeout=60)
    return recs, time.monotonic() - t0, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dns-delay-ms", type=int, default=0)
    a = ap.parse_args()

    certdir = t.certs()
    domains = [f"d{i}.sec.example" for i in range(N)]
    names = [f"mx.{d}" for d in domains] + [f"mta-sts.{d}" for d in domains]
    pem, key, spki = test_check.mx_cert(certdir, names)
    zone = ""
    for i in range(N):
        zone += (f"d{i} IN MX 10 mx.d{i}\nmx.d{i} IN A 127.0.0.1\n"
                 f"_25._tcp.mx.d{i} IN TLSA 3 1 1 {spki}\n"
                 f"_mta-sts.d{i} IN TXT \"v=STSv1; id=1\"\nmta-sts.d{i} IN A 127.0.0.1\n")
    sites = {f"mta-sts.{d}": ("policy", test_check.policy("enforce", f"mx.{d}")) for d in domains}

    results = {}
    with t.nsd({"sec.example": zone}, signed={"sec.example"}) as (dns_port, ta), \
            t.nginx(pem, key, sites) as web_port, \
            t.smtp_peer(certdir, "--starttls", cert="names", lifetime=3600) as peer:
        if a.dns_delay_ms:
            relay = DelayRelay(dns_port, a.dns_delay_ms / 1000)
            dns_port = relay.port
        base = [f"--resolver=127.0.0.1@{dns_port}", f"--trust-anchor={ta}",
                f"--ca-file={certdir}/ca.pem", f"--policy-port={web_port}",
                f"--probe-port={peer.port}"]
        variants = [("DNS + MTA-STS", []), ("with --probe", ["--probe"])]
        for run in range(a.runs):
            for label, extra in (variants if run % 2 == 0 else variants[::-1]):
                want = "ready" if extra else "unknown"
                for mode in ("parallel", "one after another"):
                    if mode == "parallel":
                        recs, secs, err = run_one([*base, *extra, *domains])
                    else:
                        recs, secs = [], 0.0
                        for d in domains:
                            r, s, err = run_one([*base, *extra, d])
                            recs += r
                            secs += s
                    bad = [r for r in recs if r.get("verdict") != want]
                    if len(recs) != N or bad:
                        sys.exit(f"{label} {mode}: unexpected records {bad or recs}\n{err}")
                    lookups = sum(int(r["lookups"]) for r in recs)
                    results.setdefault((label, mode), []).append((secs, lookups))

    print(f"10 domains, {a.runs} runs, DNS delay {a.dns_delay_ms} ms, medians:")
    print("| check | run | wall | lookups |")
    print("|---|---|---|---|")
    for (label, mode), vals in results.items():
        wall = statistics.median(v[0] for v in vals)
        lookups = statistics.median(v[1] for v in vals)
        print(f"| {label} | {mode} | {wall * 1000:.0f} ms | {lookups:.0f} |")
    t.done()


main()
