#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the Debian packages (scripts/build-debs.sh) in a root of one Debian release
that has nothing but Debian's Claws Mail (argument: bookworm or trixie).

scripts/release-root.sh packages-run mounts that root (a throwaway overlay on the cached
package root) and names it in RTLS_PACKAGE_ROOT_<SUITE>; RTLS_PACKAGE_DEBS/<SUITE> holds the
packages built on that release. Only what apt installs runs in the root (Claws Mail, the
helper); this test, Xvfb, xdotool and the REQUIRETLS peer run outside it, on the same loopback
and X server, and see the root's files at the same paths (TMPDIR is mounted into it).

  - lintian said nothing worse than info about the packages (build-debs.sh's report);
  - "apt-get install ./…deb" installs both, the plugin in Claws' own plugin folder, the
    catalogues in the system locale folder, the helper on PATH;
  - Claws offers it: Configuration → Plugins → Load… lists requiretls.so in the folder it
    opens in, and loads it from there (the windows read by the tests' inspector, built for
    that release's Claws: RTLS_PACKAGE_INSPECT_<SUITE>);
  - Claws, started again under LANG=de_DE.UTF-8, loads the plugin at start, speaks German,
    and sends with Require TLS through the installed helper (no helper= in its settings);
  - debian/tests/control (autopkgtest) passes against the installed helper;
  - "apt-get remove" leaves no file of ours (dpkg -L before, the whole root after);
  - the packages built on the other release are refused by apt (wrong Claws), nothing is
    installed."""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

import clawsdriver as D
from clawsdriver import T

SUITES = {"bookworm": "trixie", "trixie": "bookworm"}
SUITE = sys.argv[1] if len(sys.argv) > 1 else ""
if SUITE not in SUITES:
    print("usage: test_claws_packages.py bookworm|trixie", file=sys.stderr)
    sys.exit(64)
OTHER = SUITES[SUITE]
ROOT = os.environ.get(f"RTLS_PACKAGE_ROOT_{SUITE}", "")
DEBS = os.environ.get("RTLS_PACKAGE_DEBS", "")
INSPECT = os.environ.get(f"RTLS_PACKAGE_INSPECT_{SUITE}", "")
if not ROOT or not os.path.isdir(os.path.join(ROOT, "etc")):
    T.skip_all_or_fail(f"RTLS_PACKAGE_ROOT_{SUITE} names no root "
                       "(scripts/release-root.sh packages-run sets it)")
if not INSPECT or not os.path.isfile(INSPECT):
    T.skip_all_or_fail(f"RTLS_PACKAGE_INSPECT_{SUITE} names no inspector built for {SUITE}'s "
                       "Claws (scripts/release-root.sh packages-run sets it)")
for tool in ("Xvfb", "xdotool", "chroot", "node"):
    if shutil.which(tool) is None:
        T.skip_all_or_fail(f"{tool} is missing (run scripts/setup.sh)")
if not os.path.isdir(os.path.join(T.SRCDIR, "node_modules", "smtp-server")):
    T.skip_all_or_fail("tests/node_modules/smtp-server is missing (run scripts/setup.sh)")

SRC = os.path.dirname(os.path.abspath(T.SRCDIR))
LANG = "de_DE.UTF-8"
PKGS = ["requiretls-submit", "claws-mail-requiretls-plugin"]
PLUGIN_RE = re.compile(r"^/usr/lib/[a-z0-9_]+-linux-[a-z0-9_]+/claws-mail/plugins/requiretls\.so$")

T.plan(23)


def inroot(*cmd, timeout=600, env=None):
    """@cmd in the root, with a clean environment; (exit status, stdout + stderr)."""
    e = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root",
         "DEBIAN_FRONTEND=noninteractive", *(env or [])]
    p = subprocess.run(["timeout", str(timeout), "chroot", ROOT, *e, *cmd],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def debs_of(suite):
    """The two packages built on @suite, copied where the root sees them."""
    found = sorted(glob.glob(os.path.join(DEBS, suite, "*.deb")))
    d = os.path.join(T.tmpdir(), f"debs-{suite}")
    os.makedirs(d, exist_ok=True)
    for f in found:
        shutil.copy(f, d)
    return [os.path.join(d, os.path.basename(f)) for f in found]


def installed(pkg):
    rc, out = inroot("dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg)
    return rc == 0 and out.startswith("ii")


def claws_in_root():
    """The claws-mail processes that run in the root."""
    found = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and os.path.samefile(f"/proc/{p}/root", ROOT):
                with open(f"/proc/{p}/comm") as f:
                    if f.read().strip() == "claws-mail":
                        found.append(int(p))
        except OSError:
            pass
    return found


def crlf(raw):
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# --- lintian (scripts/build-debs.sh ran it with -I --fail-on warning) -------------------------
try:
    with open(os.path.join(DEBS, SUITE, "lintian.txt")) as f:
        lint = f.read()
except OSError as e:
    lint = f"(no report: {e})"
bad = [line for line in lint.splitlines() if re.match(r"^[EW]: ", line)]
T.ok(not lint.startswith("(no report") and not bad,
     f"lintian on {SUITE}: no error, no warning", lint)
T.diag(f"lintian on {SUITE}: " + (lint.strip().replace("\n", "\n  ") or "nothing to say"))

# --- apt install ./…deb --------------------------------------------------------------------
debs = debs_of(SUITE)
T.ok(len(debs) == 2 and all(any(os.path.basename(d).startswith(p + "_") for d in debs)
                            for p in PKGS), f"the two packages built on {SUITE}", debs)
rc, out = inroot("apt-get", "install", "-y", "-q", "--no-install-recommends", *debs)
T.ok(rc == 0 and all(installed(p) for p in PKGS),
     "apt-get install ./…deb into a root with only Claws Mail", out[-3000:])
lists = {}
for p in PKGS:
    lists[p] = inroot("dpkg", "-L", p)[1].split("\n")
    lists[p] = [f for f in lists[p] if f.startswith("/") and f != "/."]
plugin = [f for f in lists[PKGS[1]] if PLUGIN_RE.match(f)]
T.ok(len(plugin) == 1 and os.path.isfile(ROOT + plugin[0]),
     "the plugin is in Claws' own plugin folder, /usr/lib/<triplet>/claws-mail/plugins",
     lists[PKGS[1]])
plugin = plugin[0] if plugin else "/nonexistent/requiretls.so"
mo = "/usr/share/locale/de/LC_MESSAGES/claws-requiretls.mo"
T.ok(mo in lists[PKGS[0]] and os.path.isfile(ROOT + mo),
     "the German catalogue is in the system locale folder", lists[PKGS[0]])
rc, out = inroot("sh", "-c", "command -v requiretls-submit")
T.ok(rc == 0 and out.strip() == "/usr/bin/requiretls-submit", "the helper is on PATH", out)

# --- Claws Mail: Configuration → Plugins → Load…, then in German ---------------------------
certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=900) as peer:
        # the tests' eyes, built for this release's Claws, where the root sees it
        D.INSPECT = os.path.join(T.tmpdir(), "rtls_inspect.so")
        shutil.copy(INSPECT, D.INSPECT)
        c = D.Claws(x, peer.port, ca, "/nonexistent", plugin=False)  # the inspector alone
        c.wrap = [shutil.which("chroot"), ROOT]
        # the plugin's settings name no helper: only its built-in default can find it
        with open(os.path.join(c.prof, "requiretlsrc"), "w") as f:
            f.write(f"[general]\ndefault=default\ntimeout=30\n\n[account-1]\nca-file={ca}\n")
        c.env = {"HOME": c.home, "XDG_RUNTIME_DIR": c.run, "DISPLAY": x.display,
                 "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin", "NO_AT_BRIDGE": "1",
                 "G_MESSAGES_DEBUG": "requiretls"}
        c.start()
        main = c.wait_window("Claws Mail", 5)
        pw = None
        for attempt in range(3):
            c.keys(main, "Escape", "alt+c", "g")  # Configuration → Plugins…
            pw = c.wait_window("^Plugins$", 8)
            if pw is not None:
                break
        win = c.window("^Plugins$", 10) if pw is not None else None
        load = win.find("Button", r"^_?Load") if win else []
        chooser = None
        if load:
            c.click_widget(win, load[0])
            chooser = c.wait_window("^Select the Plugins to load$", 15)

        def offered():
            fc = c.window("^Select the Plugins to load$", 2)
            return fc is not None and any(
                "requiretls.so" in r for v in fc.find("TreeView") for r in v.rows)
        T.ok(chooser is not None and D.wait_for(offered, 15),
             f"Configuration → Plugins → Load… opens in {os.path.dirname(plugin)} and offers "
             "requiretls.so", [w.title for w in c.screen()])
        if chooser is not None:
            # the location, typed into the chooser (ctrl+L), then Open
            c.keys(chooser, "ctrl+l")
            c.xdo("type", "--delay", "30", plugin)
            time.sleep(0.5)
            c.keys(chooser, "Return")
        T.ok(c.wait_log(f"(from file {plugin}) loaded", 0, 20),
             "Claws loads it from there", c.log_text()[-2000:])

        def listed():
            w = c.window("^Plugins$", 2)
            return w is not None and any("REQUIRETLS" in r for v in w.find("TreeView")
                                         for r in v.rows)
        T.ok(D.wait_for(listed, 10), "the Plugins window lists it, loaded")
        for w in c.windows("^Plugins$"):
            c.keys(w, "alt+c")
        c.stop()
        # Every Claws of the root gone (the "--exit" client too), then a control socket of
        # its own for the next one: a client that came too late can hold the old one.
        T.ok(D.wait_for(lambda: claws_in_root() == [], 30), "Claws has quit",
             claws_in_root())
        c.run = os.path.join(T.tmpdir(), "run-de")
        os.makedirs(c.run, mode=0o700)

        # Claws keeps its plugin list: loaded again at the next start, now in German
        c.env.update(LANG=LANG, XDG_RUNTIME_DIR=c.run)
        c.start()
        log = c.log_text().rsplit("=== start ===", 1)[-1]
        T.ok(f"(from file {plugin}) loaded" in log,
             f"started again, Claws loads it from {os.path.dirname(plugin)}", log[-2000:])
        T.ok("REQUIRETLS-Plugin geladen" in log,
             "the plugin speaks German (its catalogue from /usr/share/locale)", log[-2000:])
        w = c.compose("rtls-deb")
        T.ok(w is not None and c.wait_window("rtls-deb - Nachricht verfassen", 5) is not None,
             "Claws speaks German too (claws-mail-i18n)")
        c.choose(w, "t")
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1, timeout=60)
        m = msgs[0] if msgs else {}
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True,
             "Require TLS: sent with REQUIRETLS by /usr/bin/requiretls-submit (no helper= set)",
             (msgs, c.log_text()[-1500:]))
        T.ok(c.wait_gone("rtls-deb - Nachricht verfassen", 30), "the composer closes after success")
        sent = [n for n in c.folder("sent") if b"Subject: rtls-deb" in c.read("sent", n)]
        raw = c.read("sent", sent[0]) if sent else b""
        T.ok(len(sent) == 1 and hashlib.sha256(crlf(raw)).hexdigest() == m.get("sha256"),
             "one Sent copy, the message the server received", (c.folder("sent"), raw[:400]))
        c.stop()
finally:
    x.stop()

# --- debian/tests/control, as autopkgtest runs it: its Depends installed, from the source tree
src = os.path.join(T.tmpdir(), "src")
shutil.copytree(SRC, src, symlinks=True, ignore=shutil.ignore_patterns(
    "build*", "_build*", "node_modules", ".git", "obj-*", "__pycache__"))
tests = []
with open(os.path.join(SRC, "debian", "tests", "control")) as f:
    for para in f.read().split("\n\n"):
        fields = dict(re.findall(r"^(\S+):[ \t]*((?:.*)(?:\n[ \t].*)*)", para, re.M))
        if "Tests" in fields:
            deps = [d.strip() for d in fields.get("Depends", "@").replace("\n", " ").split(",")]
            tests.append((fields["Tests"].split(), [d for d in deps if d and d != "@"]))
results = []
for names, deps in tests:
    if deps:
        rc, out = inroot("apt-get", "install", "-y", "-q", "--no-install-recommends", *deps)
        if rc != 0:
            results.append((names, rc, out[-2000:]))
            continue
    for n in names:
        tmp = os.path.join(T.tmpdir(), f"autopkgtest-{n}")
        os.makedirs(tmp)
        rc, out = inroot("sh", "-c", f"cd {src} && debian/tests/{n}",
                         env=[f"AUTOPKGTEST_TMP={tmp}", f"TMPDIR={tmp}"])
        results.append(([n], rc, out[-3000:]))
T.ok(tests and all(rc == 0 for _n, rc, _o in results),
     "debian/tests/control: " + ", ".join(" ".join(n) for n, _rc, _o in results), results)

# --- apt-get remove ------------------------------------------------------------------------
rc, out = inroot("apt-get", "remove", "-y", "-q", *PKGS)
T.ok(rc == 0 and not any(installed(p) for p in PKGS), "apt-get remove removes both",
     out[-2000:])
state = {p: inroot("dpkg-query", "-W", "-f=${db:Status-Abbrev}", p)[1].strip() for p in PKGS}
T.ok(all(not s.startswith(("rc", "ii")) for s in state.values()),
     "nothing is left for a purge (no configuration files)", state)
left = []
for p, files in lists.items():
    for f in files:
        if not os.path.lexists(ROOT + f):
            continue
        # a folder that another package also has (/usr/bin, /usr/share/locale/de/...) stays
        if os.path.isdir(ROOT + f) and not os.path.islink(ROOT + f) and \
                inroot("dpkg-query", "-S", f)[0] == 0:
            continue
        left.append(f)
T.ok(left == [], "no file or folder of theirs is left (dpkg -L before removal)", left)
rc, out = inroot("find", "/", "-xdev", "(", "-path", "/proc", "-o", "-path", "/sys", "-o",
                 "-path", "/dev", "-o", "-path", "/tmp", "-o", "-path", "/run", "-o",
                 "-path", os.path.dirname(T.tmpdir()), ")", "-prune", "-o",
                 "-iname", "*requiretls*", "-print")
T.ok(rc == 0 and out.strip() == "", "no file named after us anywhere in the root", out)

# --- the other release's packages ----------------------------------------------------------
foreign = debs_of(OTHER)
rc, out = inroot("apt-get", "install", "-y", "-q", "--no-install-recommends", *foreign)
T.ok(len(foreign) == 2 and rc != 0 and not any(installed(p) for p in PKGS),
     f"apt-get refuses the packages built on {OTHER}, nothing is installed", out[-2000:])
# the plugin's unmet dependencies (Debian 13's apt writes "<" for "<<"; on Debian 12 the C library
# and the t64 libraries of Debian 13 are named too): Claws Mail's release among them
block = re.search(r"^ claws-mail-requiretls-plugin : (.*(?:\n {20,}.*)*)", out, re.M)
T.ok(block is not None and re.search(r"Depends: claws-mail \((>=|<<|<) [^)]+\) but \S+ is to be "
                                     r"installed", block.group(1)) is not None,
     "the reason given includes the Claws Mail release", out[-2000:])
T.done()
