# SPDX-License-Identifier: GPL-3.0-or-later
# clawsdriver.py: real Claws Mail (4.1.1 in Debian 12, 4.3.1 in Debian 13) under a private
# Xvfb, driven with xdotool (DESIGN §5). Everything is isolated: HOME, XDG_RUNTIME_DIR, the --alternate-config-dir
# profile and the MH mailbox live in the test's temporary directory; every process is started
# with a time limit and stopped at the end.
import hashlib
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rtlstest as T  # noqa: E402

PLUGIN = os.environ.get("RTLS_PLUGIN", "")
# the tests' eyes, loaded beside the plugin (tests/inspect/rtls_inspect.c)
INSPECT = os.environ.get("RTLS_INSPECT_PLUGIN", "")
SHOTS = os.environ.get("RTLS_SHOTS", os.path.join(T.BUILDDIR, "e2e-shots"))


def require(*tools):
    """Every e2e test needs these and the built plugin: skip locally, fail in CI."""
    for tool in ("claws-mail", "Xvfb", "xdotool", *tools):
        if shutil.which(tool) is None:
            T.skip_all_or_fail(f"{tool} is missing (run scripts/setup.sh)")
    if not PLUGIN or not os.path.exists(PLUGIN):
        T.skip_all_or_fail("the plugin was not built (meson -Dplugin=enabled)")
    if not INSPECT or not os.path.exists(INSPECT):
        T.skip_all_or_fail("the test inspector was not built (tests/inspect)")


def _unescape(s):
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n"}.get(m.group(1), m.group(1)), s)


# the model columns of the delivery window's list (ui/rtls_delivery_ui.c): "status" is the
# column as shown ("5.7.30: what it means"), "words" the server's words, "weight" 700 for a
# problem (bold)
DELIVERY_COLUMNS = ("date", "subject", "recipient", "state", "status", "accepted",
                    "reporting", "remote", "words", "index", "weight")


def claws_version():
    """The Claws Mail release as Claws itself says it ("4.3.1"), from claws-mail --version."""
    out = subprocess.run(["claws-mail", "--version"], capture_output=True, text=True,
                         timeout=30).stdout
    m = re.search(r"version (\d+(?:\.\d+)+)", out)
    return m.group(1) if m else "?"


def localised_plugin(langs=("de", "fr")):
    """A copy of the module with its translations beside it (plugin/rtls_main.c looks for a
    "locale" directory next to the module), built from the po files of @langs; the copy's
    path. Set PLUGIN to it before Claws starts."""
    d = os.path.join(T.tmpdir(), "plugin-" + "-".join(langs))
    dst = os.path.join(d, os.path.basename(PLUGIN))
    for lang in langs:
        mo = os.path.join(d, "locale", lang, "LC_MESSAGES")
        os.makedirs(mo, exist_ok=True)
        subprocess.run(["msgfmt", "-o", os.path.join(mo, "claws-requiretls.mo"),
                        os.path.join(os.path.dirname(T.SRCDIR), "po", lang + ".po")],
                       check=True)
    subprocess.run(["cp", PLUGIN, dst], check=True)
    return dst


class Widget:
    """One widget as the inspector saw it (tests/inspect/rtls_inspect.c)."""

    def __init__(self, f):
        (self.depth, self.type, self.name, self.text, sens, mapped, x, y, w, h, self.tooltip,
         extra) = f
        self.depth = int(self.depth)
        self.sensitive = sens == "1"
        self.mapped = mapped == "1"
        self.x, self.y, self.w, self.h = int(x), int(y), int(w), int(h)
        self.extra = dict(kv.split("=", 1) for kv in extra.split() if "=" in kv)
        self.columns = []
        self.rows = []  # each: the model's columns as text
        self.children = []
        self.parent = None

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def find(self, type_=None, text=None, mapped=True):
        """Widgets below (and with) this one whose type name contains @type_ and whose text
        matches the regular expression @text; only mapped ones unless @mapped is False."""
        return [w for w in self.walk()
                if (not mapped or w.mapped)
                and (type_ is None or type_ in w.type)
                and (text is None or (w.text and re.search(text, w.text)))]

    def texts(self, type_="Label"):
        return [w.text for w in self.find(type_) if w.text]

    def inside(self, type_):
        """Whether an ancestor's type name contains @type_."""
        p = self.parent
        while p is not None:
            if type_ in p.type:
                return True
            p = p.parent
        return False

    def named(self, name):
        found = [w for w in self.walk() if w.name == name and w.mapped]
        return found[0] if found else None

    def said(self):
        """What a dialog says: its mapped labels outside buttons, in order, each on one line,
        joined by " | "."""
        return " | ".join(w.text.replace("\n", " ") for w in self.find("Label")
                          if w.text and not w.inside("Button"))


class Window(Widget):
    def __init__(self, f):
        self.title, self.wtype = f[0], f[1]
        self.wx, self.wy, self.ww, self.wh = (int(v) for v in f[2:6])
        self.modal = f[6] == "1"
        self.root = None

    def walk(self):
        return self.root.walk() if self.root else iter(())

    def buttons(self):
        """The labels of the mapped buttons, in order (mnemonic underscores kept)."""
        return [w.text for w in self.find("Button") if w.text]

    def named(self, name):
        return self.root.named(name) if self.root else None

    def said(self):
        return self.root.said() if self.root else ""


def parse_dump(text):
    wins, stack = [], []
    for line in text.split("\n"):
        if not line:
            continue
        f = [_unescape(v) for v in line.split("\t")]
        kind, f = f[0], f[1:]
        if kind == "W":
            wins.append(Window(f))
            stack = []
        elif kind == "N" and wins:
            w = Widget(f)
            while stack and stack[-1].depth >= w.depth:
                stack.pop()
            if stack:
                stack[-1].children.append(w)
                w.parent = stack[-1]
            else:
                wins[-1].root = w
            stack.append(w)
        elif kind == "C" and stack:
            stack[-1].columns = f[1:]
        elif kind == "R" and stack:
            stack[-1].rows.append(f[2:])
    return wins


def wait_for(cond, timeout):
    """Polls @cond until it holds or @timeout seconds are up; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.3)
    return cond()


def wait_events(peer, kind, n, timeout=20):
    """What the peer recorded, once it has at least @n events of @kind (or the time is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ev = peer.events(kind)
        if len(ev) >= n:
            return ev
        time.sleep(0.3)
    return peer.events(kind)


class Xvfb:
    def __init__(self):
        # -displayfd: the server picks a free display itself and writes its number to the pipe
        # once it accepts clients. A picker that looks at /tmp/.X*-lock cannot see a server
        # in another mount namespace (a chroot, a container) whose abstract socket
        # @/tmp/.X11-unix/XN is shared with us; the server itself does see it.
        # -nolisten tcp: clients connect through the local socket only. -noreset: without it
        # the server resets when its last client leaves, and a Claws started in that moment
        # finds no display (seen in CI between two Claws instances of one test).
        rfd, wfd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                ["timeout", "1200", "Xvfb", "-displayfd", str(wfd), "-screen", "0",
                 "1280x1024x24", "-nolisten", "tcp", "-noreset"], pass_fds=(wfd,),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            os.close(wfd)
        got = b""
        deadline = time.monotonic() + 30
        try:
            while not got.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([rfd], [], [], left)[0]:
                    break
                chunk = os.read(rfd, 64)
                if not chunk:  # the server exited before it named a display
                    break
                got += chunk
        finally:
            os.close(rfd)
        if not got.strip().isdigit():
            self.stop()
            raise RuntimeError("Xvfb did not start (no display number from -displayfd)")
        self.num = int(got)
        self.display = f":{self.num}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Claws:
    """One Claws Mail instance on a throwaway profile with one SMTP account."""

    def __init__(self, xvfb, smtp_port, ca, helper, default="default", plugin=True,
                 account_extra=None, plugin_conf_extra=""):
        self.x = xvfb
        self.dir = os.path.join(T.tmpdir(), f"claws-{time.monotonic_ns()}")
        self.prof = os.path.join(self.dir, "profile")
        self.mail = os.path.join(self.dir, "Mail")
        self.home = os.path.join(self.dir, "home")
        self.run = os.path.join(self.dir, "run")
        for d in (self.prof, self.mail, self.home):
            os.makedirs(d)
        os.makedirs(self.run, mode=0o700)
        acc = {
            "account_name": "Test", "is_default": "1", "name": "Alice Example",
            "address": "alice@example.org", "protocol": "4", "smtp_server": "localhost",
            "set_smtpport": "1", "smtp_port": str(smtp_port), "ssl_smtp": "0",
            "use_smtp_auth": "0", "save_message": "1", "config_version": "4",
        }
        acc.update(account_extra or {})
        with open(os.path.join(self.prof, "accountrc"), "w") as f:
            f.write("[Account: 1]\n" + "".join(f"{k}={v}\n" for k, v in acc.items()))
        with open(os.path.join(self.prof, "folderlist.xml"), "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n<folderlist>\n'
                    f'<folder type="mh" name="Mailbox" path="{self.mail}" collapsed="0">\n'
                    "</folder>\n</folderlist>\n")
        self.plugin = plugin
        self.write_clawsrc()
        with open(os.path.join(self.prof, "requiretlsrc"), "w") as f:
            f.write(f"[general]\nhelper={helper}\ndefault={default}\ntimeout=30\n\n"
                    f"[account-1]\nca-file={ca}\n{plugin_conf_extra}")
        self.proc = None
        # put before every claws-mail command: ["chroot", ROOT] runs the Claws of another
        # root (tests/e2e/test_claws_packages.py); Xvfb and xdotool stay here
        self.wrap = []
        self.log = os.path.join(self.dir, "claws.log")
        self.env = dict(os.environ, HOME=self.home, XDG_RUNTIME_DIR=self.run,
                        DISPLAY=xvfb.display, LANG=os.environ.get("RTLS_E2E_LANG", "C.UTF-8"),
                        NO_AT_BRIDGE="1", G_MESSAGES_DEBUG="requiretls")
        self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)

    def write_clawsrc(self):
        with open(os.path.join(self.prof, "clawsrc"), "w") as f:
            f.write("[Common]\nenable_aspell=0\nwarn_queued_on_exit=0\nconfirm_on_exit=0\n"
                    "show_splash=0\ncompose_width=1000\ncompose_height=700\n"
                    "check_while_typing=0\nautosave=0\n")
            f.write("[Plugins_GTK3]\n" + f"{INSPECT}\n" + (f"{PLUGIN}\n" if self.plugin else ""))

    def confine_checks(self):
        """The plugin checks recipients' domains with the helper's --check (issue 22), by
        default through the system's resolver: a test that did not point it at its own DNS
        server gets a port on 127.0.0.1 nobody answers on (and --timeout=1), so that no test
        asks anything of another address."""
        path = os.path.join(self.prof, "requiretlsrc")
        with open(path) as f:
            text = f.read()
        if re.search(r"(?m)^check-options=", text):
            return
        opts = f"check-options=--resolver=127.0.0.1@{T.free_port()} --timeout=1\n"
        text = (text.replace("[general]\n", "[general]\n" + opts, 1) if "[general]\n" in text
                else "[general]\n" + opts + "\n" + text)
        with open(path, "w") as f:
            f.write(text)

    def start(self):
        self.confine_checks()
        logf = open(self.log, "ab")
        logf.write(b"\n=== start ===\n")
        logf.flush()
        self.proc = subprocess.Popen(
            [*self.wrap, "timeout", "900", "stdbuf", "-oL", "claws-mail", "--alternate-config-dir",
             self.prof, "--debug"],
            env=self.env, stdout=logf, stderr=subprocess.STDOUT)
        # A slow machine may take a while; a Claws that never shows its window is an error.
        deadline = time.monotonic() + 90
        while self.wait_window("Claws Mail", 1) is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Claws Mail did not start (see " + self.log + "):\n"
                                   + self.log_text()[-1500:])
        time.sleep(1.0)

    def remote(self, *args, timeout=30):
        subprocess.run([*self.wrap, "timeout", str(timeout), "claws-mail", "--alternate-config-dir",
                        self.prof, *args], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def stop(self):
        if self.proc is None:
            return
        self.remote("--exit", timeout=20)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def ask(self, command, timeout=20):
        """The inspector's answer to @command (tests/inspect/rtls_inspect.c), or None."""
        name = "rtls-inspect-" + hashlib.sha1(self.prof.encode()).hexdigest()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sk:
            sk.settimeout(timeout)
            try:
                sk.connect("\0" + name)
                sk.sendall(command.encode() + b"\n")
                got = bytearray()
                while True:
                    chunk = sk.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except OSError:
                return None
        return got.decode("utf-8", "replace")

    def screen(self):
        """Every mapped window of this Claws with its widget tree, from the inspector."""
        return parse_dump(self.ask("dump") or "")

    def stall(self):
        """The longest time (ms) Claws' main loop did not turn since the last call."""
        got = self.ask("stall")
        return float(got) if got else None

    def window(self, title, timeout=15):
        """The mapped window whose title matches the regular expression @title (waits for
        it), as the inspector sees it; None if it never shows."""
        found = []

        def look():
            found[:] = [w for w in self.screen() if w.title and re.search(title, w.title)]
            return bool(found)
        wait_for(look, timeout)
        return found[0] if found else None

    def named(self, title, name):
        """The mapped widget called @name (gtk_widget_set_name) in the window whose title
        matches @title, or None."""
        win = self.window(title, 5)
        found = [w for w in win.walk() if w.name == name and w.mapped] if win else []
        return found[0] if found else None

    def find_named(self, name, timeout=15):
        """(window, widget): the mapped widget called @name (gtk_widget_set_name) in any
        window of this Claws, waiting for it; (None, None) if it never shows."""
        found = []

        def look():
            for win in self.screen():
                w = win.named(name)
                if w is not None:
                    found[:] = [win, w]
                    return True
            return False
        wait_for(look, timeout)
        return (found[0], found[1]) if found else (None, None)

    def delivery_rows(self, timeout=15):
        """The REQUIRETLS delivery window's list as shown: (its rows, each a dict of
        DELIVERY_COLUMNS, and the index of the selected row or None); ([], None) if the
        window is not open."""
        _, view = self.find_named("rtls-delivery-list", timeout)
        if view is None:
            return [], None
        rows = [dict(zip(DELIVERY_COLUMNS, r)) for r in view.rows]
        sel = view.extra.get("selected")
        return rows, (int(sel) if sel is not None and sel.isdigit() else None)

    def delivery_search(self, text, timeout=10):
        """Types @text into the delivery window's search (a click in it, its text selected
        and replaced); "" clears it with Escape, as a person would. Whether the search then
        holds @text (the list follows after GTK's short delay, from idle callbacks)."""
        win, entry = self.find_named("rtls-delivery-search", timeout)
        if entry is None:
            return False
        xid = self.wait_window("^" + re.escape(win.title) + "$", 5)
        if xid:
            self.xdo("windowfocus", "--sync", xid)
        self.click_widget(win, entry, pause=0.3)
        if text:
            self.xdo("key", "ctrl+a")
            self.xdo("type", "--delay", "30", text)
        else:
            self.xdo("key", "Escape")
        return wait_for(lambda: (self.find_named("rtls-delivery-search", 2)[1] or entry).text
                        == text, timeout)

    def delivery_count(self, timeout=5):
        """What the delivery window says about how many messages there are (or match its
        search), or None if it is not open."""
        _, label = self.find_named("rtls-delivery-count", timeout)
        return label.text if label is not None else None

    def queue_window(self, timeout=10):
        """The queue sender's window as shown: {"progress": the line at the top, "results":
        one paragraph a message, "running": whether Cancel sending is still offered}, or
        None if it is not open."""
        win, _ = self.find_named("rtls-queue-window", timeout)
        if win is None:
            return None
        progress = win.named("rtls-queue-progress")
        results = win.named("rtls-queue-results")
        return {"progress": progress.text if progress else "",
                "results": [p for p in (results.text or "").split("\n\n") if p]
                if results else [],
                "running": win.named("rtls-queue-cancel") is not None}

    def queue_done(self, timeout=30):
        """The queue window once its run ended (Cancel sending gone), or its last state."""
        got = [None]

        def done():
            got[0] = self.queue_window(2)
            return got[0] is not None and not got[0]["running"]
        wait_for(done, timeout)
        return got[0]

    def settled(self, title, where=None, timeout=10):
        """Waits until GTK has the window @title where xdotool put it (@where: x, y[, width,
        height]) and its layout is still: two reads of its geometry and its widgets' agree."""
        last = [None]

        def look():
            win = self.window(title, 2)
            geo = ((win.wx, win.wy, win.ww, win.wh),
                   [(w.type, w.x, w.y, w.w, w.h) for w in win.walk() if w.mapped]) \
                if win else None
            ok = (geo is not None and geo == last[0]
                  and (where is None or geo[0][:len(where)] == tuple(where)))
            last[0] = geo
            return ok
        return wait_for(look, timeout)

    def status_line(self, title):
        """The composer's REQUIRETLS status line: (its text, its height), or (None, None)."""
        win = self.window(title, 5)
        if win is None:
            return None, None
        bar = [w for w in win.walk() if w.name == "rtls-status-line" and w.mapped]
        text = [w for w in win.walk() if w.name == "rtls-status-text" and w.mapped]
        return (text[0].text if text else None), (bar[0].h if bar else None)

    def click_widget(self, win, w, pause=0.8):
        """Clicks the middle of @w, a widget of the window @win (both from the inspector)."""
        self.xdo("mousemove", str(win.wx + w.x + w.w // 2), str(win.wy + w.y + w.h // 2))
        self.xdo("click", "1")
        time.sleep(pause)

    def xdo(self, *args):
        p = subprocess.run(["timeout", "20", "xdotool", *args], env=self.env,
                           capture_output=True, text=True)
        return p.stdout.strip()

    def windows(self, name):
        out = self.xdo("search", "--onlyvisible", "--name", name)
        return [w for w in out.split() if w]

    def wait_window(self, name, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            w = self.windows(name)
            if w:
                return w[0]
            time.sleep(0.2)
        return None

    def wait_gone(self, name, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.windows(name):
                return True
            time.sleep(0.2)
        return False

    def keys(self, window, *keys, pause=0.6):
        # Focus once: focusing again between keys would close a menu that a key opened.
        if window:
            self.xdo("windowfocus", "--sync", window)
            time.sleep(0.2)
        for k in keys:
            self.xdo("key", k)
            time.sleep(pause)

    def compose(self, subject, to="bob@example.net", cc=None, bcc=None, body="Hello."):
        q = f"mailto:{to}?subject={subject}&body={body.replace(' ', '%20')}"
        if cc:
            q += f"&cc={cc}"
        if bcc:
            q += f"&bcc={bcc}"
        self.remote("--compose", q)
        w = self.wait_window(subject, 60)
        if w is None:
            raise RuntimeError(f"no composer for {subject} (see {self.log})")
        time.sleep(0.8)
        return w

    def main(self):
        return self.wait_window("Claws Mail", 5)

    def open_selected(self, path, keys, title, subject):
        """Selects the message @path (its Subject @subject), then @keys to the main window;
        the composer @title they open."""
        for attempt in range(2):
            self.remote("--select", path)
            self.main_shows(subject)  # selected: the main window shows it
            self.keys(self.main(), *keys)
            w = self.wait_window(title, 20)
            if w is not None:
                time.sleep(0.8)  # settle: keys go to it next (as in Claws.compose())
                return w
            T.diag(f"{title}: no composer yet, again")
        return None

    def close_composer(self, w, title):
        """Closes the composer as a person does (ctrl+w, Discard): xdotool's windowclose
        destroys the X window under GTK, which makes Claws and GTK complain by themselves.
        Whether it went."""
        for attempt in range(3):
            self.keys(w, "ctrl+w")
            d = self.wait_window("Discard message", 4)
            if d:
                self.keys(d, "alt+d")  # "_Discard"
            if self.wait_gone(title, 6):
                return True
        return False

    def choose(self, window, letter):
        """Require TLS (t) / Don't require TLS (n) / Default (f), by the accelerators of the
        Options menu items (shift+ctrl+T/N/D). Waits for the plugin to log the change
        (claws-mail --debug), and tries again if the keys were lost (a window without focus)."""
        want = {"t": "require", "n": "no-require", "f": "default"}[letter]
        key = {"t": "shift+ctrl+t", "n": "shift+ctrl+n", "f": "shift+ctrl+d"}[letter]
        before = self.log_text().count(f"REQUIRETLS: choice {want}\n")
        for attempt in range(5):
            if attempt:
                T.diag(f"choice {want}: keys lost, again (attempt {attempt + 1})")
            self.keys(window, key)
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                if self.log_text().count(f"REQUIRETLS: choice {want}\n") > before:
                    return True
                time.sleep(0.2)
        raise RuntimeError(f"could not set the choice {want} in window {window}")

    def folder(self, name):
        d = os.path.join(self.mail, name)
        return sorted((f for f in os.listdir(d) if f.isdigit()), key=int) if os.path.isdir(d) else []

    def read(self, folder, num):
        with open(os.path.join(self.mail, folder, num), "rb") as f:
            return f.read()

    def screenshot(self, name):
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, f"{name}.png")
        subprocess.run(["timeout", "20", "import", "-window", "root", path], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        T.diag(f"screenshot: {path}")
        return path

    def journal(self):
        """What the plugin's store holds, record by record, as the text journal of earlier
        releases wrote it ("" before the first send): read from requiretls.db with Python's
        own sqlite3, outside the product (tests assert on the store, not on what a window
        says). The key order is the journal's (rtls_journal_entry_format())."""
        return store_journal(os.path.join(self.prof, "requiretls.db"))

    def wait_log(self, needle, before, timeout=15):
        """Waits until the log holds @needle more often than @before times; whether it did."""
        return wait_for(lambda: self.log_text().count(needle) > before, timeout)

    def message_list(self, folder, timeout=15):
        """Selects @folder ("queue", "sent", …) in the main window and returns its message
        list as a person sees it: one dict per row, column title → the cell's text, an icon
        as "[mark]", "[locked]", … (tests/inspect). [] when the list cannot be read."""
        self.remote("--select", f"#mh/Mailbox/{folder}")
        want = len(self.folder(folder))
        got = []

        def look():
            nonlocal got
            for win in self.screen():
                if not (win.title and "Claws Mail" in win.title):
                    continue
                for w in win.walk():
                    if w.mapped and "CTree" in w.type and "[mark]" in w.columns:
                        got = [dict(zip(w.columns, r)) for r in w.rows]
                        return len(got) == want
            return False
        if not wait_for(look, timeout):
            T.diag("message list: " + repr([(w.type, w.mapped, w.columns, len(w.rows))
                                             for win in self.screen()
                                             if win.title and "Claws Mail" in win.title
                                             for w in win.walk() if "CList" in w.type
                                             or "CTree" in w.type]))
        return got

    def main_shows(self, subject, timeout=15):
        """Waits until the main window shows the message @subject (after --select)."""
        def look():
            return any(w.text and subject in w.text
                       for win in self.screen() if win.title and "Claws Mail" in win.title
                       for w in win.walk() if w.mapped)
        if wait_for(look, timeout):
            return True
        T.diag(f"the main window does not show {subject}")
        return False

    def showing(self, title, type_, text, timeout=10):
        """Waits until the window @title shows a widget of @type_ whose text matches @text."""
        def look():
            win = self.window(title, 2)
            return win is not None and win.find(type_, text) != []
        if wait_for(look, timeout):
            return True
        T.diag(f"{title}: no {type_} {text!r}")
        return False

    def composer_says(self, subject, text, timeout=15):
        """Waits until the composer's status line (as the inspector reads it) contains @text."""
        return wait_for(lambda: text in (self.status_line(f"{subject} - Compose")[0] or ""),
                        timeout)

    def results(self, result):
        """How many sends the journal records with @result ("closed": filed and done)."""
        return len(re.findall(rf"\tresult={re.escape(result)}(?:\t|$)", self.journal(), re.M))

    def wait_results(self, result, n, timeout=20):
        """Waits until the journal records at least @n sends with @result; whether it did."""
        return wait_for(lambda: self.results(result) >= n, timeout)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


# core/rtls_journal.h's RtlsResult, as the store keeps it (record.result)
RESULT_WORDS = ["", "started", "sent", "failed", "not-confirmed", "temporary", "cancelled",
                "interrupted", "sent-default", "filed", "closed", "confirmed", "bounced",
                "delayed", "delivered", "unverified", "forgotten"]
# core/rtls_journal.c's key order, and core/rtls_store.c's "inherit" bits: the field is the
# record's message's or attempt's first value
JOURNAL_KEYS = ["time", "envid", "message-id", "account", "sender", "recipients", "subject",
                "result", "host", "port", "tls-version", "enhanced-code", "explanation",
                "queue-folder", "queue-msgnum", "stage", "retry-at", "retry-step", "recipient",
                "reporting-mta", "remote-mta", "diagnostic", "bounce-id", "reason", "error",
                "exit", "smtp-code", "server-text", "detail", "cert-problem", "tls-problem",
                "cause", "action", "status-malformed", "gave-up"]
INHERIT = [(1, "envid", "a_envid"), (2, "message-id", "m_msgid"), (4, "subject", "m_subject"),
           (8, "sender", "m_sender"), (16, "recipients", "m_rcpts"), (32, "account", "m_account"),
           (64, "host", "a_host"), (128, "port", "a_port"), (256, "queue-folder", "f_name"),
           (512, "queue-msgnum", "a_msgnum")]


def store_journal(path):
    """The records in the plugin's store @path as journal lines (see Claws.journal)."""
    import sqlite3
    if not os.path.exists(path):
        return ""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT r.time, r.result, r.inherit, r.data, m.message_id AS m_msgid,"
            " m.subject AS m_subject, m.sender AS m_sender, m.recipients AS m_rcpts,"
            " m.account AS m_account, a.envid AS a_envid, a.host AS a_host, a.port AS a_port,"
            " f.name AS f_name, a.msgnum AS a_msgnum FROM record r"
            " JOIN message m ON m.id = r.message LEFT JOIN attempt a ON a.id = r.attempt"
            " LEFT JOIN folder f ON f.id = a.folder ORDER BY r.id").fetchall()
    except sqlite3.OperationalError:
        return ""  # not made yet
    finally:
        db.close()
    out = []
    for r in rows:
        fields = dict(kv.split("=", 1) for kv in (r["data"] or "").split("\t") if "=" in kv)
        fields["time"] = str(r["time"])
        if r["result"]:
            fields["result"] = RESULT_WORDS[r["result"]]
        for bit, key, col in INHERIT:
            if r["inherit"] & bit and r[col] is not None:
                fields[key] = str(r[col])
        if fields.get("account") == "-1":
            del fields["account"]
        out.append("\t".join(f"{k}={fields[k]}" for k in JOURNAL_KEYS if k in fields))
    return "".join(line + "\n" for line in out)
