#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench_history.py: the plugin in real Claws Mail with a history of 0, 10 000 and 100 000
sends (issue 20), side by side in one run.

For every size N and run (the sizes interleaved run by run, their order turned each run): a
fresh Claws profile as the end-to-end tests make one (tests/e2e/clawsdriver.py: an SMTP
account on the npm smtp-server peer with STARTTLS and REQUIRETLS on 127.0.0.1, a local mbox
account for bounces, the plugin and the test inspector loaded), the history of N sends that
bench-gen-history wrote (requiretls.db; with --journal the same history as the text journal
requiretls-journal), a private Xvfb. Claws runs without --debug. Measured:

  start      exec of claws-mail to its main window mapped (xdotool, polled every 10 ms)
  stalls     the longest time Claws' main loop did not turn (the inspector's "stall"
             heartbeat, tests/inspect/rtls_inspect.c) in each step:
               before-loop   from the plugins' load to the main loop's first turn (Claws'
                             own start work and the plugins' plugin_init)
               start         the first 3 s after the main window is mapped
               composer      a composer opened (claws-mail --compose) until 1.5 s after
               typing        three recipients typed (xdotool type) at domains of the history,
                             Require TLS chosen, until 2 s after the last key (the plugin
                             looks again 600 ms after typing pauses)
               send          Send with Require TLS until the server has it, the Sent copy is
                             filed and the queue is empty, and 1.5 s after
               queued        a second message put in the queue with Send later, then Tools →
                             Send queued REQUIRETLS messages, until it is sent and filed, and
                             1.5 s after (the queue run asks the history about the entry)
               bounce        a 5.7.30 DSN for that send fetched from the local mbox
                             (--receive-all) until the REQUIRETLS note shows, and 2 s after
               window        Tools → REQUIRETLS delivery until 2 s after its rows show
  visible    the Return that chooses Tools → REQUIRETLS delivery to its list having rows
             (the inspector's "rows" request, polled every 5 ms)
  db size    the history's file as written by bench-gen-history, per send

Prints a Markdown table of the medians (and --json writes every figure).

    python3 bench/bench_history.py --build build-bench --runs 3 [--sizes 0,10000,100000]
        [--journal] [--label before] [--json out.json] [--keep]
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
TESTS = os.path.join(TOP, "tests")
CORPUS = os.path.join(TESTS, "data", "dsn")

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--build", default=os.path.join(TOP, "build-bench"),
                help="a build with -Dplugin=enabled -Dbench=true -Dtests=true")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--sizes", default="0,10000,100000")
ap.add_argument("--journal", action="store_true",
                help="the history as the text journal (requiretls-journal), not requiretls.db")
ap.add_argument("--label", default="", help="a name for this column of figures")
ap.add_argument("--json", help="write every figure to this file")
ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
ap.add_argument("--start-only", action="store_true", help="measure the start only")
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
SIZES = [int(s) for s in args.sizes.split(",")]

# what tests/meson.build gives the e2e suites, before clawsdriver reads it
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

GEN = os.path.join(BUILD, "bench", "bench-gen-history")
for f in (GEN, D.PLUGIN, D.INSPECT, T.HELPER):
    if not os.path.exists(f):
        sys.exit(f"bench_history.py: {f} is missing (meson setup {args.build} -Dplugin=enabled "
                 "-Dbench=true -Dtests=true -Dtest_hooks=true && ninja -C {args.build})")
for tool in ("claws-mail", "Xvfb", "xdotool", "node"):
    if shutil.which(tool) is None:
        sys.exit(f"bench_history.py: {tool} is missing (scripts/setup.sh)")

TMP = T.tmpdir()
NOTE = "REQUIRETLS delivery problem"
WINDOW = "^REQUIRETLS delivery$"


def say(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the histories

def generate(n):
    """bench-gen-history's history of @n sends: (its file, its size in bytes, its output)."""
    d = os.path.join(TMP, f"history-{n}")
    os.makedirs(d)
    if args.journal:
        path = os.path.join(d, "requiretls-journal")
        cmd = [GEN, "--journal", path, str(n)]
    else:
        path = os.path.join(d, "requiretls.db")
        cmd = [GEN, path, str(n)]
    t0 = time.monotonic()
    out = subprocess.run(["timeout", "1800", *cmd], check=True, capture_output=True,
                         text=True).stdout
    say(f"N={n}: generated in {time.monotonic() - t0:.1f} s: " + out.strip().replace("\n", "; "))
    size = os.path.getsize(path) if os.path.exists(path) else 0
    return path, size, out


# ---------------------------------------------------------------- Claws

def mbox_entry(raw):
    body = re.sub(rb"^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"), flags=re.M)
    return b"From MAILER-DAEMON Wed Nov 25 08:00:05 2026\n" + body.rstrip(b"\n") + b"\n\n"


def bounce_for(envid, msgid, subject, rcpt):
    """The Postfix 3.11 5.7.30 bounce of the corpus, about this send (as claws-bounce)."""
    with open(os.path.join(CORPUS, "postfix311-5.7.30.eml"), "rb") as f:
        raw = f.read()
    raw = raw.replace(b"rtls-aaaaaaaabbbbbbbbcccccccc@sender.test", msgid.strip("<>").encode())
    raw = raw.replace(b"rtls-aaaaaaaabbbbbbbbcccccccc", envid.encode())
    raw = raw.replace(b"Board minutes (REQUIRETLS)", subject.encode())
    raw = raw.replace(b"alice@sender.test", b"alice@example.org")
    raw = raw.replace(b"bob@example.org", rcpt.encode())
    return raw


class BenchClaws(D.Claws):
    """A Claws of clawsdriver's, started without --debug and timed, in its own process
    group (so that everything it started goes with it)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.env.pop("G_MESSAGES_DEBUG", None)
        self.mbox = os.path.join(self.dir, "incoming.mbox")
        open(self.mbox, "wb").close()
        with open(os.path.join(self.prof, "accountrc"), "a") as f:
            f.write("\n[Account: 2]\naccount_name=Local\nis_default=0\nname=Alice\n"
                    "address=alice@example.org\nprotocol=3\n"
                    f"local_mbox={self.mbox}\nfilter_on_receive=1\nconfig_version=4\n")

    def start_timed(self):
        """Starts Claws; seconds from exec to its main window mapped."""
        logf = open(self.log, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["timeout", "600", "claws-mail", "--alternate-config-dir", self.prof],
            env=self.env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        deadline = t0 + 120
        while time.monotonic() < deadline:
            if self.windows("Claws Mail"):
                return time.monotonic() - t0
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError("Claws Mail did not start (see " + self.log + "):\n"
                           + self.log_text()[-1500:])

    def stall(self):
        """The longest main-loop gap since the last call, in ms (and starts again)."""
        got = self.ask("stall")
        try:
            return float(got)
        except (TypeError, ValueError):
            raise RuntimeError(f"the inspector gave no stall figure ({got!r}): is it the "
                               "one of tests/inspect built with this harness?")

    def rows(self, name="rtls-delivery-list"):
        got = self.ask("rows " + name, timeout=5)
        try:
            return int(got)
        except (TypeError, ValueError):
            return -1

    def kill(self):
        """Stops Claws: --exit, then its whole process group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.remote("--exit", timeout=20)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None


def settle(c, seconds):
    time.sleep(seconds)
    return c.stall()


def chosen(c, subject):
    """What the composer's status line says is chosen: its tooltip begins with the choice's
    meaning ("Require TLS: sent only if …"), whatever the line itself shows (a rule, the
    last bounce for a recipient's domain)."""
    win = c.window(f"{subject} - Compose", 5)
    label = win.named("rtls-status-text") if win else None
    return (label.tooltip or "").split(":")[0] if label else ""


def choose_require(c, win, subject):
    """Require TLS by its accelerator (shift+ctrl+T); True once the status line says so."""
    for attempt in range(4):
        c.keys(win, "shift+ctrl+t", pause=0.3)
        if D.wait_for(lambda: chosen(c, subject) == "Require TLS", 4):
            return True
    return False


def open_delivery_window(c):
    """Tools → REQUIRETLS delivery by keyboard, as claws-bounce does (F10, four steps right
    is Tools, Up wraps to its last item, ours); seconds from the Return to rows shown."""
    main = c.wait_window("Claws Mail", 5)
    for attempt in range(3):
        c.keys(main, "Escape", "F10", "Right", "Right", "Right", "Right", "Up", pause=0.4)
        t0 = time.monotonic()
        c.xdo("key", "Return")
        deadline = t0 + 30
        while time.monotonic() < deadline:
            if c.rows() > 0:
                return time.monotonic() - t0
            time.sleep(0.005)
        say(f"delivery window: no rows after the menu keys (attempt {attempt + 1})")
        for w in c.windows(WINDOW):
            c.xdo("windowclose", w)
    return None


def one(n, history, certs, run):
    """One Claws with the history @history of @n sends: its figures (a dict)."""
    fig = {"n": n, "run": run}
    x = D.Xvfb()
    c = None
    try:
        with T.smtp_peer(certs, "--starttls", lifetime=600) as peer:
            c = BenchClaws(x, peer.port, os.path.join(certs, "ca.pem"), T.HELPER)
            if n > 0 or not args.journal:
                shutil.copy(history, os.path.join(c.prof, os.path.basename(history)))
            fig["start_ms"] = c.start_timed() * 1000
            fig["stall_before_loop_ms"] = c.stall()
            fig["stall_start_ms"] = settle(c, 3)
            if args.start_only:
                return fig

            subject = f"bench-{n}-{run}"
            c.remote("--compose", f"mailto:?subject={subject}&body=Hello.")
            w = c.wait_window(subject, 60)
            if w is None:
                raise RuntimeError(f"no composer (see {c.log})")
            fig["stall_composer_ms"] = settle(c, 1.5)

            if not choose_require(c, w, subject):
                raise RuntimeError("Require TLS could not be chosen")
            c.stall()
            # the To row has the focus in a new composer without recipients; three domains
            # the history has reports for (bench-gen-history: every fourth send, d0 to d499)
            rcpts = ["user4@d4.example", "user8@d8.example", "carol@d12.example"]
            c.xdo("windowfocus", "--sync", w)
            c.xdo("type", "--delay", "40", ", ".join(rcpts))
            fig["stall_typing_ms"] = settle(c, 2)
            win = c.window(f"{subject} - Compose", 5)
            if win is None or not win.find("Entry", re.escape(rcpts[0])):
                say(f"N={n}: the recipients did not land in the To row")

            c.stall()
            c.keys(w, "ctrl+Return", pause=0.1)
            msgs = D.wait_events(peer, "message", 1, 60)
            m = msgs[0] if msgs else {}
            if m.get("requireTLS") is not True:
                raise RuntimeError(f"the server got no REQUIRETLS message ({msgs})")
            D.wait_for(lambda: c.folder("sent") and not c.folder("queue")
                       and not c.windows(f"{subject} - Compose"), 30)
            fig["stall_send_ms"] = settle(c, 1.5)

            # Send later, then Tools → Send queued REQUIRETLS messages: the queue run asks
            # what the history says about the entry (its number, its Message-ID)
            later = f"bench-later-{n}-{run}"
            c.remote("--compose", f"mailto:user16@d16.example?subject={later}&body=Later.")
            wl = c.wait_window(later, 60)
            if wl is None or not choose_require(c, wl, later):
                raise RuntimeError("no composer for Send later")
            c.keys(wl, "shift+ctrl+s", pause=0.1)
            if not D.wait_for(lambda: len(c.folder("queue")) == 1
                              and not c.windows(f"{later} - Compose"), 30):
                raise RuntimeError("Send later left nothing in the queue")
            time.sleep(1)  # the plugin tags the entry after Claws queued it
            c.stall()
            c.keys(c.wait_window("Claws Mail", 5), "alt+t", "q", pause=0.1)
            if len(D.wait_events(peer, "message", 2, 60)) < 2:
                raise RuntimeError("Send queued sent nothing")
            D.wait_for(lambda: not c.folder("queue") and len(c.folder("sent")) == 2, 30)
            fig["stall_queued_ms"] = settle(c, 1.5)

            envid = str(m.get("mailArgs", {}).get("ENVID", ""))
            mid = re.search(r"(?im)^Message-ID:\s*(<[^>]+>)", m.get("headers", ""))
            with open(c.mbox, "wb") as f:
                f.write(mbox_entry(bounce_for(envid, mid.group(1) if mid else "", subject,
                                              rcpts[0])))
            c.stall()
            c.remote("--receive-all")
            if not D.wait_for(lambda: c.windows(NOTE), 40):
                say(f"N={n}: no REQUIRETLS note after the bounce")
            fig["stall_bounce_ms"] = settle(c, 2)

            c.stall()
            visible = open_delivery_window(c)
            fig["visible_ms"] = visible * 1000 if visible is not None else None
            fig["stall_window_ms"] = settle(c, 2)
            fig["window_rows"] = c.rows()
    finally:
        if c is not None:
            c.kill()
            for name in ("requiretls.db", "requiretls-journal"):
                p = os.path.join(c.prof, name)
                if os.path.exists(p):
                    fig[f"after_{name}"] = os.path.getsize(p)
            if not args.keep:
                shutil.rmtree(c.dir, ignore_errors=True)
        x.stop()
    return fig


# ---------------------------------------------------------------- the table

ROWS = [
    ("start_ms", "Claws start: exec to main window mapped", "ms"),
    ("start_delta_ms", "  … more than with the empty history", "ms"),
    ("stall_before_loop_ms", "longest gap before the main loop runs (Claws' and the plugins' start)",
     "ms"),
    ("stall_start_ms", "stall: first 3 s after the window is mapped", "ms"),
    ("stall_composer_ms", "stall: a composer opened", "ms"),
    ("stall_typing_ms", "stall: three recipients typed (Require TLS)", "ms"),
    ("stall_send_ms", "stall: a Require TLS send (to Sent copy filed)", "ms"),
    ("stall_queued_ms", "stall: Tools → Send queued (a Send later entry)", "ms"),
    ("stall_bounce_ms", "stall: a 5.7.30 bounce fetched", "ms"),
    ("stall_window_ms", "stall: the delivery window opened", "ms"),
    ("visible_ms", "delivery window: menu to rows shown", "ms"),
    ("bytes_per_send", "history on disk per send", "B"),
]


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, unit):
    if v is None:
        return "—"
    if unit == "ms":
        return f"{v:.0f} ms"
    return f"{v:.0f} B"


def main():
    certs = T.certs()
    histories = {}
    for n in SIZES:
        path, size, out = generate(n)
        histories[n] = (path, size, out)
    figures = []
    for run in range(args.runs):
        order = SIZES if run % 2 == 0 else list(reversed(SIZES))
        for n in order:
            say(f"run {run + 1}/{args.runs}, N={n}")
            try:
                fig = one(n, histories[n][0], certs, run)
            except Exception as e:  # noqa: BLE001 (one failed step must not lose the others)
                say(f"run {run + 1}, N={n} failed: {e}")
                fig = {"n": n, "run": run, "error": str(e)}
            say(json.dumps(fig))
            figures.append(fig)
    med = {}
    for n in SIZES:
        mine = [f for f in figures if f["n"] == n]
        med[n] = {k: median([f.get(k) for f in mine]) for k, _, _ in ROWS}
        size = histories[n][1]
        med[n]["bytes_per_send"] = size / n if n else None
        med[n]["history_bytes"] = size
    for n in SIZES:
        s, e = med[n].get("start_ms"), med.get(0, {}).get("start_ms")
        med[n]["start_delta_ms"] = s - e if s is not None and e is not None and n else None

    kind = "text journal" if args.journal else "requiretls.db"
    head = f"| {args.label + ': ' if args.label else ''}history as {kind}, median of " \
        f"{args.runs} | " + " | ".join(f"N = {n:,}".replace(",", " ") for n in SIZES) + " |"
    print(head)
    print("|---|" + "---|" * len(SIZES))
    for key, name, unit in ROWS:
        print(f"| {name} | " + " | ".join(fmt(med[n].get(key), unit) for n in SIZES) + " |")
    print("| history file | " + " | ".join(f"{med[n]['history_bytes']:,} B".replace(",", " ")
                                           for n in SIZES) + " |")
    failed = [f for f in figures if "error" in f]
    if failed:
        print(f"\n{len(failed)} of {len(figures)} runs failed: "
              + "; ".join(f"N={f['n']}: {f['error']}" for f in failed))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"label": args.label, "journal": args.journal, "runs": figures,
                       "medians": {str(n): med[n] for n in SIZES},
                       "generator": {str(n): histories[n][2] for n in SIZES}}, f, indent=1)


try:
    main()
finally:
    if args.keep:
        say(f"kept {TMP}")
    else:
        shutil.rmtree(TMP, ignore_errors=True)
