#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench_readiness.py: readiness in the composer (issue 22 §2), in real Claws Mail: a Require
TLS composer to 10 recipient domains, with and without the probe, and again from the answers
kept, side by side with the helper's own --check of the same 10 domains in one run.

The peers are the tests' (tests/integration/rtlstest.py, as bench/bench_check.py uses them):
NSD with a zone signed now (each domain an MX and its A record), nodemailer's smtp-server
offering REQUIRETLS after STARTTLS for the probe, on 127.0.0.1. Claws is clawsdriver's
(tests/e2e), started without --debug, the probe preference on or off, check-options pointing
the helper at those peers. For each variant and run (interleaved, a fresh profile each run):

  answered   Require TLS chosen (its accelerator) to every domain's sentence on the status
             line's tooltip (the inspector polled every 20 ms)
  stall      the longest time Claws' main loop did not turn (the inspector's "stall"
             heartbeat) from the choice to the answers, while a key is typed into the body
             every 50 ms
  kept       a second composer to the same recipients, Require TLS chosen, to its sentences
             (no check runs: the answers are kept)
  helper     requiretls-submit --check [--probe] of the same 10 domains, run directly

Medians of --runs; a Markdown table.

    python3 bench/bench_readiness.py --build build-bench --runs 3
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
TESTS = os.path.join(TOP, "tests")

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--build", default=os.path.join(TOP, "build-bench"),
                help="a build with -Dplugin=enabled -Dtests=true")
ap.add_argument("--runs", type=int, default=3)
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
os.environ.update({
    "RTLS_HELPER": os.path.join(BUILD, "helper", "requiretls-submit"),
    "RTLS_PLUGIN": os.path.join(BUILD, "plugin", "requiretls.so"),
    "RTLS_INSPECT_PLUGIN": os.path.join(BUILD, "tests", "rtls_inspect.so"),
    "RTLS_TESTS_SRCDIR": TESTS,
    "RTLS_TESTS_BUILDDIR": os.path.join(BUILD, "tests"),
    "PYTHONDONTWRITEBYTECODE": "1",
})
sys.path.insert(0, os.path.join(TESTS, "e2e"))
import clawsdriver as D  # noqa: E402
from clawsdriver import T  # noqa: E402
from test_check import mx_cert  # noqa: E402

for f in (D.PLUGIN, D.INSPECT, T.HELPER):
    if not os.path.exists(f):
        sys.exit(f"bench_readiness.py: {f} is missing (meson setup {args.build} "
                 "-Dplugin=enabled -Dtests=true && ninja -C {args.build})")

N = 10
DOMAINS = [f"d{i}.sec.example" for i in range(N)]
ZONE = "".join(f"d{i} IN MX 10 mx.d{i}\nmx.d{i} IN A 127.0.0.1\n" for i in range(N))


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def tooltip(c, subject):
    win = c.window(f"{subject} - Compose", 2)
    label = win.named("rtls-status-text") if win else None
    return (label.tooltip or "") if label else ""


def answered(c, subject, probe):
    """Every domain has its answer on the tooltip (not "checking…")."""
    tip = tooltip(c, subject)
    word = "offers REQUIRETLS" if probe else "not known"
    return all(f"{d}: " in tip and f"{d}: checking" not in tip for d in DOMAINS) and \
        tip.count(word) >= N


def composer(c, subject):
    to = ",".join(f"u{i}@{d}" for i, d in enumerate(DOMAINS))
    return c.compose(subject, to=to)


def choose_and_wait(c, w, subject, probe, type_keys):
    """Seconds from Require TLS chosen to every answer shown; the longest stall meanwhile."""
    c.stall()
    c.xdo("windowfocus", "--sync", w)
    c.xdo("key", "shift+ctrl+t")
    t0 = time.monotonic()
    last_key = t0
    while time.monotonic() - t0 < 30:
        if answered(c, subject, probe):
            return time.monotonic() - t0, c.stall()
        if type_keys and time.monotonic() - last_key >= 0.05:
            c.xdo("key", "x")
            last_key = time.monotonic()
        time.sleep(0.02)
    return None, c.stall()


def one(probe, dns_port, ta, mx_port, ca, x, sub_port):
    c = D.Claws(x, sub_port, ca, T.HELPER)
    c.env.pop("G_MESSAGES_DEBUG", None)
    opts = (f"--resolver=127.0.0.1@{dns_port} --trust-anchor={ta} --ca-file={ca} "
            f"--probe-port={mx_port} --timeout=5")
    with open(os.path.join(c.prof, "requiretlsrc"), "w") as f:
        f.write(f"[general]\nhelper={T.HELPER}\ndefault=default\nprobe={str(probe).lower()}\n"
                f"check-options={opts}\n\n[account-1]\nca-file={ca}\n")
    c.start()
    try:
        w = composer(c, "rb-first")
        first, stall = choose_and_wait(c, w, "rb-first", probe, True)
        w2 = composer(c, "rb-kept")
        kept, _ = choose_and_wait(c, w2, "rb-kept", probe, False)
    finally:
        c.stop()
    t0 = time.monotonic()
    subprocess.run([T.HELPER, "--check", *(["--probe"] if probe else []), *opts.split(),
                    *DOMAINS], capture_output=True, timeout=60)
    helper = time.monotonic() - t0
    return {"answered": first, "stall": stall, "kept": kept, "helper": helper}


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def ms(v):
    return "—" if v is None else f"{v * 1000:.0f} ms"


def main():
    certs = T.certs()
    ca = os.path.join(certs, "ca.pem")
    mx_cert(certs, [f"mx.{d}" for d in DOMAINS])
    got = {True: [], False: []}
    x = D.Xvfb()
    try:
        with T.nsd({"sec.example": ZONE}, signed={"sec.example"}) as (dns_port, ta), \
                T.smtp_peer(certs, "--starttls", lifetime=3600) as sub, \
                T.smtp_peer(certs, "--starttls", lifetime=3600, cert="names") as mx:
            for run in range(args.runs):
                for probe in ((True, False) if run % 2 == 0 else (False, True)):
                    r = one(probe, dns_port, ta, mx.port, ca, x, sub.port)
                    say(f"run {run + 1} probe={probe}: {r}")
                    got[probe].append(r)
    finally:
        x.stop()
    print(f"| {N} domains, median of {args.runs} | with the probe | without |")
    print("|---|---|---|")
    for key, label in (("answered", "Require TLS chosen → every answer shown"),
                       ("stall", "longest main-loop stall meanwhile (typing)"),
                       ("kept", "second composer, answers kept → shown"),
                       ("helper", "the helper's --check alone, one run")):
        row = []
        for probe in (True, False):
            v = median([r[key] for r in got[probe]])
            row.append("—" if v is None else (f"{v:.1f} ms" if key == "stall" else ms(v)))
        print(f"| {label} | {row[0]} | {row[1]} |")


main()
