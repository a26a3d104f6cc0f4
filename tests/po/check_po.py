#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_po.py: every language in po/LINGUAS translates every user-visible string of the
current sources, with nothing fuzzy and formats that match (msgfmt -c).

The strings are extracted afresh from po/POTFILES.in (as meson's claws-requiretls-pot target
does), each .po is merged against them in a temporary copy, and msgfmt -c --statistics must
report only translated messages. A string added to the code without its translations fails
here. Prints TAP."""
import os
import subprocess
import sys
import tempfile

SRC = os.path.abspath(os.environ.get("RTLS_TESTS_SRCDIR", os.path.join(os.path.dirname(__file__), "..")))
TOP = os.path.dirname(SRC)
PO = os.path.join(TOP, "po")

XGETTEXT_ARGS = [
    "--from-code=UTF-8", "--add-comments", "--language=C",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=ngettext:1,2", "--keyword=g_dngettext:2,3",
    "--flag=N_:1:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_append_printf:2:c-format", "--flag=g_set_error:4:c-format",
    "--flag=log_message:2:c-format", "--flag=log_warning:2:c-format",
]


def main():
    langs = [line.strip() for line in open(os.path.join(PO, "LINGUAS"))
             if line.strip() and not line.startswith("#")]
    files = [line.strip() for line in open(os.path.join(PO, "POTFILES.in"))
             if line.strip() and not line.startswith("#")]
    print(f"1..{1 + 2 * len(langs)}")
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "current.pot")
        p = subprocess.run(["xgettext", *XGETTEXT_ARGS, "-o", pot, *files], cwd=TOP,
                           capture_output=True, text=True)
        n += 1
        count = open(pot, encoding="utf-8").read().count("\nmsgid ") - 1 if p.returncode == 0 else 0
        ok = p.returncode == 0 and count > 100
        print(f"{'ok' if ok else 'not ok'} {n} - the strings of the plugin and the helper are "
              f"extracted ({count})")
        if not ok:
            print("# " + p.stderr.replace("\n", "\n# "))
        for lang in langs:
            merged = os.path.join(tmp, f"{lang}.po")
            m = subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged,
                                os.path.join(PO, f"{lang}.po"), pot],
                               capture_output=True, text=True)
            f = subprocess.run(["msgfmt", "-c", "--check-accelerators=_", "--statistics",
                                "-o", os.devnull, merged], capture_output=True, text=True)
            n += 1
            print(f"{'ok' if m.returncode == 0 and f.returncode == 0 else 'not ok'} {n} - "
                  f"{lang}.po is valid (msgfmt -c): {f.stderr.strip()}")
            if f.returncode != 0 or m.returncode != 0:
                print("# " + (m.stderr + f.stderr).replace("\n", "\n# "))
            n += 1
            stats = f.stderr
            complete = ("untranslated" not in stats and "fuzzy" not in stats
                        and "translated message" in stats)
            print(f"{'ok' if complete else 'not ok'} {n} - {lang}.po translates every string, "
                  f"none fuzzy: {stats.strip()}")
            if not complete:
                u = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", merged],
                                   capture_output=True, text=True).stdout
                ids = [line for line in u.splitlines() if line.startswith("msgid ")][1:20]
                print("# missing: " + "\n# missing: ".join(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
