#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""tap-summary.py [PREFIX:]TESTLOG.json...: count TAP subtests across meson test runs.

A PREFIX names the run in what is printed (e.g. "asan:build-asan/meson-logs/testlog.json").

Prints one line per failing or skipped subtest, a subtotal per PREFIX when there are several
runs, the time each tier (meson suite) of each run took (from its first test's start to its
last test's end, and the tests' own durations added up), then exactly one last line "N passed, N failed" over all of them. A test program that crashed, timed out or printed no plan counts as one
failure on top of its subtests. A skipped subtest counts as a failure: nothing is skipped in CI.
Exit status 1 when anything failed.
"""
import json
import re
import sys

OK = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*-?\s*(.*)$")


def load(arg):
    prefix, _, path = arg.rpartition(":") if ":" in arg and not arg.startswith("/") else ("", "", arg)
    with open(path, encoding="utf-8", errors="replace") as f:
        return [(prefix, json.loads(line)) for line in f if line.strip()]


def main(args):
    passed = failed = 0
    entries = []
    runs = {}  # prefix -> [passed, failed]
    for arg in args:
        prefix = arg.rpartition(":")[0] if ":" in arg and not arg.startswith("/") else ""
        runs.setdefault(prefix, [0, 0])
        try:
            got = load(arg)
        except OSError as e:
            print(f"tap-summary: {e}", file=sys.stderr)
            failed += 1
            runs[prefix][1] += 1
            continue
        if not got:
            print(f"tap-summary: no tests ran in {arg}", file=sys.stderr)
            failed += 1
            runs[prefix][1] += 1
        entries += got
    for prefix, t in entries:
        p0, f0 = passed, failed
        name = (prefix + ":" if prefix else "") + t.get("name", "?")
        seen_plan = False
        for line in (t.get("stdout") or "").splitlines():
            if re.match(r"^1\.\.\d+", line):
                seen_plan = True
                continue
            m = OK.match(line)
            if not m:
                continue
            verdict, _num, desc = m.groups()
            directive = desc.upper()
            if verdict == "ok" and "# SKIP" not in directive:
                passed += 1
            elif verdict == "not ok" and "# TODO" in directive:
                # An expected failure is not a pass either: report it.
                failed += 1
                print(f"TODO  {name}: {desc}")
            else:
                failed += 1
                print(("SKIP  " if verdict == "ok" else "FAIL  ") + f"{name}: {desc}")
        if t.get("result") not in ("OK", "EXPECTEDFAIL") or not seen_plan:
            failed += 1
            print(f"FAIL  {name}: test program result {t.get('result')} "
                  f"(exit {t.get('returncode')}){'' if seen_plan else ', no TAP plan'}")
        runs[prefix][0] += passed - p0
        runs[prefix][1] += failed - f0
    if len(runs) > 1:
        for prefix, (p, f) in runs.items():
            print(f"  {prefix or 'host'}: {p} passed, {f} failed")
    tiers = {}  # (prefix, suite) -> [first start, last end, summed durations, programs]
    for prefix, t in entries:
        # meson names a test "project:suite / name"
        head, sep, _ = t.get("name", "").partition(" / ")
        suite = head.rpartition(":")[2] if sep else "?"
        start = float(t.get("starttime") or 0.0)
        dur = float(t.get("duration") or 0.0)
        tier = tiers.setdefault((prefix or "host", suite), [start, start + dur, 0.0, 0])
        tier[0], tier[1] = min(tier[0], start), max(tier[1], start + dur)
        tier[2] += dur
        tier[3] += 1
    for (prefix, suite), (first, last, total, n) in tiers.items():
        print(f"  time {prefix}/{suite}: {last - first:.0f} s "
              f"({n} programs, {total:.0f} s of their own)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["build-test/meson-logs/testlog.json"]))
