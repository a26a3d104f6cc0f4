#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""run.py EXE TARGET: runs one fuzz target (libFuzzer, built with ASan and UBSan in the
sanitizer build, meson -Dfuzzing=true) on a copy of its seed corpus for a fixed time; any
crash, leak, sanitizer report or timeout is a failure, shown with the input that caused it.
Prints TAP.

Environment: RTLS_FUZZ_SECONDS (default 15), RTLS_FUZZ_KEEP (keep the grown corpus here,
in TARGET/)."""
import base64
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.path.abspath(os.environ.get("RTLS_TESTS_SRCDIR",
                                     os.path.join(os.path.dirname(__file__), "..")))
SECONDS = int(os.environ.get("RTLS_FUZZ_SECONDS", "15"))
EXTRA_SEEDS = {"dsn": [os.path.join(SRC, "data", "dsn")]}
MAX_LEN = {"dsn": 262144, "headers": 65536, "queuefile": 65536}


def tap(ok, n, text, detail=""):
    print(f"{'ok' if ok else 'not ok'} {n} - {text}", flush=True)
    if detail and not ok:
        print("# " + detail.rstrip().replace("\n", "\n# "), flush=True)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: run.py EXE TARGET")
    exe, t = sys.argv[1:]
    print("1..1", flush=True)
    run_env = dict(os.environ,
                   ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1",
                   UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
                   G_DEBUG="", MALLOC_PERTURB_="")
    seeds = [os.path.join(SRC, "fuzz", "corpus", t), *EXTRA_SEEDS.get(t, [])]
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{t}-") as tmp:
        corpus = os.path.join(tmp, "corpus")
        os.mkdir(corpus)
        art = os.path.join(tmp, "crash-")
        cmd = [exe, f"-max_total_time={SECONDS}", "-timeout=10", "-rss_limit_mb=2048",
               f"-max_len={MAX_LEN.get(t, 8192)}", f"-artifact_prefix={art}",
               "-print_final_stats=1", corpus, *[s for s in seeds if os.path.isdir(s)]]
        p = subprocess.run(cmd, env=run_env, capture_output=True, text=True,
                           errors="replace", timeout=SECONDS + 120)
        crashes = [f for f in os.listdir(tmp) if f.startswith(("crash-", "leak-", "timeout-",
                                                               "oom-"))]
        runs = [line for line in p.stderr.splitlines()
                if "stat::number_of_executed_units" in line]
        good = p.returncode == 0 and not crashes
        # The head of a sanitizer report says what happened; the tail, on which input.
        lines = p.stderr.splitlines()
        first = next((k for k, line in enumerate(lines)
                      if "ERROR:" in line or "runtime error" in line or "deadly signal" in line),
                     None)
        detail = ("\n".join(lines[first:first + 40]) + "\n...\n" if first is not None else "") \
            + "\n".join(lines[-25:])
        for c in crashes[:1]:
            with open(os.path.join(tmp, c), "rb") as f:
                data = f.read()
            detail += f"\ninput {c} (base64): {base64.b64encode(data[:4096]).decode()}"
        tap(good, 1, f"fuzz-{t}: {SECONDS} s, "
            f"{runs[0].split(':')[-1].strip() if runs else '?'} inputs, no finding", detail)
        if os.environ.get("RTLS_FUZZ_KEEP"):
            keep = os.path.join(os.environ["RTLS_FUZZ_KEEP"], t)
            os.makedirs(keep, exist_ok=True)
            for f in os.listdir(corpus):
                shutil.copy(os.path.join(corpus, f), keep)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
