#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the install without root (scripts/install-user.sh) into a throwaway HOME, then
real Claws Mail started on that HOME's ~/.claws-mail, under LANG=de_DE.UTF-8.

The plugin must load from ~/.claws-mail/plugins/ (put in Claws' plugin list by the script),
speak German (its own catalogue from ~/.local/share/locale, Claws' from claws-mail-i18n), and
send with Require TLS through the helper the script put in ~/.local/bin: the plugin's settings
name no helper, so only its built-in default can find it."""
import hashlib
import os
import pwd
import shutil
import subprocess

import clawsdriver as D
from clawsdriver import T

D.require("meson", "ninja", "msgfmt")

T.plan(14)

SRC = os.path.dirname(os.path.abspath(T.SRCDIR))
LANG = "de_DE.UTF-8"


def crlf(raw):
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
home = os.path.join(T.tmpdir(), "home")
rcdir = os.path.join(home, ".claws-mail")
plugin = os.path.join(rcdir, "plugins", "requiretls.so")
helper = os.path.join(home, ".local", "bin", "requiretls-submit")

x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=900) as peer:
        # A profile as the driver writes it (account, MH folders, Claws settings), moved to
        # where a user's Claws keeps it; the plugin's settings without helper=.
        c = D.Claws(x, peer.port, ca, "/nonexistent", plugin=False)
        os.makedirs(home)
        shutil.copytree(c.prof, rcdir)
        with open(os.path.join(rcdir, "requiretlsrc"), "w") as f:
            f.write(f"[general]\ndefault=default\ntimeout=30\n\n[account-1]\nca-file={ca}\n")
        c.prof = rcdir
        c.home = home
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("LC_") and k not in ("LANGUAGE", "DESTDIR", "MESON_BUILD_ROOT",
                                                       "MESON_SOURCE_ROOT")}
        env.update(HOME=home, LANG="C.UTF-8", RTLS_BUILDDIR=os.path.join(T.tmpdir(), "build-user"))
        p = subprocess.run(["timeout", "600", os.path.join(SRC, "scripts", "install-user.sh")],
                           env=env, capture_output=True, text=True)
        T.ok(p.returncode == 0, "scripts/install-user.sh succeeds without root paths",
             p.stdout + p.stderr)
        said = (p.stdout + p.stderr).splitlines()
        T.ok(said[:4] == ["Installed for " + pwd.getpwuid(os.getuid()).pw_name + ":",
                          f"  plugin        {plugin} (built for Claws Mail "
                          f"{D.claws_version()})",
                          f"  helper        {helper}",
                          "  translations  " + os.path.join(home, ".local", "share", "locale")]
             and not any("ninja" in ln or "meson" in ln.lower() for ln in said),
             "it says what it installed and where, without the build's own output", said)
        T.ok(os.path.isfile(plugin), "the plugin is in ~/.claws-mail/plugins/", p.stdout)
        T.ok(os.access(helper, os.X_OK), "the helper is in ~/.local/bin/", p.stdout)
        T.ok(os.path.isfile(os.path.join(home, ".local", "share", "locale", "de", "LC_MESSAGES",
                                         "claws-requiretls.mo")),
             "the German catalogue is in ~/.local/share/locale/")
        with open(os.path.join(rcdir, "clawsrc")) as f:
            rc = f.read()
        T.ok(f"[Plugins_GTK3]\n{plugin}\n" in rc and "enable_aspell=0" in rc,
             "the plugin is added to Claws' plugin list, the other settings are kept", rc)

        c.env.update(HOME=home, LANG=LANG)
        for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            c.env.pop(k, None)
        c.start()
        log = c.log_text()
        T.ok(f"(from file {plugin}) loaded" in log,
             "Claws loads the plugin from ~/.claws-mail/plugins/", log[-1500:])
        T.ok("REQUIRETLS-Plugin geladen" in log, "the plugin speaks German", log[-1500:])

        w = c.compose("rtls-user")
        T.ok(w is not None and c.wait_window("rtls-user - Nachricht verfassen", 5) is not None,
             "Claws speaks German too (composer title from claws-mail-i18n)")
        c.choose(w, "t")
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1, timeout=60)
        m = msgs[0] if msgs else {}
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True,
             "Require TLS: sent with REQUIRETLS by the helper in ~/.local/bin (no helper= set)",
             (msgs, c.log_text()[-1500:]))
        T.ok(c.wait_gone("rtls-user - Nachricht verfassen", 30), "the composer closes after success")
        sent = [n for n in c.folder("sent") if b"Subject: rtls-user" in c.read("sent", n)]
        T.ok(len(sent) == 1, "exactly one Sent copy", c.folder("sent"))
        raw = c.read("sent", sent[0]) if sent else b""
        T.ok(hashlib.sha256(crlf(raw)).hexdigest() == m.get("sha256"),
             "the Sent copy is the message the server received, whole", raw[:400])
        T.ok(c.folder("queue") == [], "the queue is empty", c.folder("queue"))
        c.stop()
finally:
    x.stop()
T.done()
