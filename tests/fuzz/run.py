#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""run.py: builds the fuzz targets with clang (libFuzzer, ASan, UBSan) in their own build
directory and runs each on a copy of its seed corpus for a fixed time; any crash, leak,
sanitizer report or timeout is a failure, with the input that caused it. Prints TAP.

Environment: RTLS_FUZZ_SECONDS (per target, default 15), RTLS_FUZZ_BUILDDIR, RTLS_FUZZ_ONLY
(space-separated target names), RTLS_FUZZ_KEEP (keep the grown corpora here)."""
import base64
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.path.abspath(os.environ.get("RTLS_TESTS_SRCDIR", os.path.join(os.path.dirname(__file__), "..")))
TOP = os.path.dirname(SRC)
BUILD = os.environ.get("RTLS_FUZZ_BUILDDIR", os.path.join(TOP, "build-fuzz"))
TARGETS = os.environ.get("RTLS_FUZZ_TARGETS",
                         "reply codec headers dsn queuefile rules settings journal").split()
if os.environ.get("RTLS_FUZZ_ONLY"):
    TARGETS = [t for t in TARGETS if t in os.environ["RTLS_FUZZ_ONLY"].split()]
SECONDS = int(os.environ.get("RTLS_FUZZ_SECONDS", "15"))
EXTRA_SEEDS = {"dsn": [os.path.join(SRC, "data", "dsn")]}
MAX_LEN = {"dsn": 262144, "headers": 65536, "queuefile": 65536}


def tap(ok, n, text, detail=""):
    print(f"{'ok' if ok else 'not ok'} {n} - {text}", flush=True)
    if detail and not ok:
        print("# " + detail.rstrip().replace("\n", "\n# "), flush=True)


def main():
    print(f"1..{1 + len(TARGETS)}", flush=True)
    env = dict(os.environ, CC="clang",
               CFLAGS="-fsanitize=fuzzer-no-link -fno-omit-frame-pointer -gline-tables-only")
    if os.path.exists(os.path.join(BUILD, "build.ninja")):
        setup = ["meson", "setup", "--reconfigure", BUILD]
    else:
        setup = ["meson", "setup", BUILD]
    setup += ["-Dplugin=disabled", "-Dtests=true", "-Db_sanitize=address,undefined",
              "-Db_lundef=false", "-Dbuildtype=debugoptimized"]
    p = subprocess.run(setup, cwd=TOP, env=env, capture_output=True, text=True)
    if p.returncode == 0:
        p = subprocess.run(["meson", "compile", "-C", BUILD, *[f"fuzz-{t}" for t in TARGETS]],
                           cwd=TOP, env=env, capture_output=True, text=True)
    tap(p.returncode == 0, 1, f"the fuzz targets build with clang, libFuzzer, ASan and UBSan "
        f"({len(TARGETS)} targets)", p.stdout[-3000:] + p.stderr[-3000:])
    if p.returncode != 0:
        for i, t in enumerate(TARGETS):
            tap(False, i + 2, f"fuzz-{t}: not built")
        return 1
    rc = 0
    run_env = dict(os.environ,
                   ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1",
                   UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
                   G_DEBUG="", MALLOC_PERTURB_="")
    for i, t in enumerate(TARGETS):
        exe = os.path.join(BUILD, "tests", "fuzz", f"fuzz-{t}")
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
            crashes = [f for f in os.listdir(tmp) if f.startswith("crash-") or
                       f.startswith("leak-") or f.startswith("timeout-") or f.startswith("oom-")]
            runs = [l for l in p.stderr.splitlines() if "stat::number_of_executed_units" in l]
            good = p.returncode == 0 and not crashes
            # The head of a sanitizer report says what happened; the tail, on which input.
            lines = p.stderr.splitlines()
            first = next((k for k, l in enumerate(lines)
                          if "ERROR:" in l or "runtime error" in l or "deadly signal" in l), None)
            detail = ("\n".join(lines[first:first + 40]) + "\n...\n" if first is not None else "") \
                + "\n".join(lines[-25:])
            for c in crashes[:1]:
                data = open(os.path.join(tmp, c), "rb").read()
                detail += f"\ninput {c} (base64): {base64.b64encode(data[:4096]).decode()}"
            tap(good, i + 2, f"fuzz-{t}: {SECONDS} s, "
                f"{runs[0].split(':')[-1].strip() if runs else '?'} inputs, no finding", detail)
            if os.environ.get("RTLS_FUZZ_KEEP"):
                keep = os.path.join(os.environ["RTLS_FUZZ_KEEP"], t)
                os.makedirs(keep, exist_ok=True)
                for f in os.listdir(corpus):
                    shutil.copy(os.path.join(corpus, f), keep)
            rc = rc or (0 if good else 1)
    return rc


if __name__ == "__main__":
    sys.exit(main())
