# SPDX-License-Identifier: GPL-3.0-or-later
# clawsdriver.py: real Claws Mail (4.1.1 in Debian 12, 4.3.1 in Debian 13) under a private
# Xvfb, driven with xdotool (DESIGN §5). Everything is isolated: HOME, XDG_RUNTIME_DIR, the --alternate-config-dir
# profile and the MH mailbox live in the test's temporary directory; every process is started
# with a time limit and stopped at the end.
import os
import select
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rtlstest as T  # noqa: E402

PLUGIN = os.environ.get("RTLS_PLUGIN", "")
SHOTS = os.environ.get("RTLS_SHOTS", os.path.join(T.BUILDDIR, "e2e-shots"))


def require(*tools):
    """Every e2e test needs these and the built plugin: skip locally, fail in CI."""
    for tool in ("claws-mail", "Xvfb", "xdotool", *tools):
        if shutil.which(tool) is None:
            T.skip_all_or_fail(f"{tool} is missing (run scripts/setup.sh)")
    if not PLUGIN or not os.path.exists(PLUGIN):
        T.skip_all_or_fail("the plugin was not built (meson -Dplugin=enabled)")


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
            f.write("[Plugins_GTK3]\n" + (f"{PLUGIN}\n" if self.plugin else ""))

    def start(self):
        logf = open(self.log, "ab")
        logf.write(b"\n=== start ===\n")
        logf.flush()
        self.proc = subprocess.Popen(
            ["timeout", "900", "stdbuf", "-oL", "claws-mail", "--alternate-config-dir", self.prof,
             "--debug"],
            env=self.env, stdout=logf, stderr=subprocess.STDOUT)
        # A slow machine may take a while; a Claws that never shows its window is an error.
        deadline = time.monotonic() + 90
        while self.wait_window("Claws Mail", 1) is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Claws Mail did not start (see " + self.log + "):\n"
                                   + self.log_text()[-1500:])
        time.sleep(1.0)

    def remote(self, *args, timeout=30):
        subprocess.run(["timeout", str(timeout), "claws-mail", "--alternate-config-dir",
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
        """The plugin's send journal, as text ("" before the first send)."""
        try:
            with open(os.path.join(self.prof, "requiretls-journal")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""
