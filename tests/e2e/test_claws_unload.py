#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the plugin is unloaded (Configuration → Plugins → Unload) while composers are
open, in real Claws Mail. A composer with Require TLS is saved to Drafts with its choice and
closes, so that Claws' own sender never gets it without REQUIRETLS. When Drafts cannot take
it (here the account's Drafts folder is gone from the disk), it stays open, and Send is
refused until the plugin is loaded again: the SMTP server gets nothing. A composer with
Default is left as it is. Assertions on what the server received, the Drafts folder and the
log."""
import os
import shutil
import time

import clawsdriver as D
from clawsdriver import T, wait_for

D.require()
T.plan(10)

NOTICE = "^REQUIRETLS plugin unloaded$"


def notice(c, timeout=10):
    """The unload's note, as the person reads it (its texts joined by " | "), or None."""
    w = c.window(NOTICE, timeout)
    return w.said() if w is not None else None


def status_texts(c):
    """What the main window's status bars show."""
    main = c.window("Claws Mail", 5)  # "Account - Claws Mail 4.3.1"
    bars = main.find("Statusbar") if main else []
    return [w.text for b in bars for w in b.walk() if w.text]


def unload(c):
    """Configuration → Plugins…, the one loaded plugin selected, Unload, Close."""
    main = c.wait_window("Claws Mail", 5)
    for attempt in range(3):
        c.keys(main, "Escape", "alt+c", "g")
        pw = c.wait_window("^Plugins$", 8)
        if pw is not None:
            break
    if pw is None or c.window("^Plugins$", 10) is None:  # mapped in GTK too
        return False
    # the one plugin is selected; focus on the list, then Load…, then Unload
    c.keys(pw, "Tab", "Tab", "space")

    def over():
        dismiss_errors(c)  # Claws' own "Could not save draft." stops the unload until OK
        return "REQUIRETLS: the plugin is being unloaded" in c.log_text()
    ok = wait_for(over, 20)

    def listed():
        win = c.window("^Plugins$", 2)
        view = win.find("TreeView") if win else []
        return [r[0] for r in view[0].rows] if view else None
    # unloaded: the list no longer has it
    wait_for(lambda: dismiss_errors(c) or "REQUIRETLS" not in (listed() or ["REQUIRETLS"]), 10)
    for w in c.windows("^Plugins$"):
        c.keys(w, "alt+c")
    return ok


def dismiss_errors(c):
    """Claws' own "Could not save draft." and our refusal are modal alerts: OK them."""
    for name in ("^Error$", "^Warning$"):
        for w in c.windows(name):
            c.window(name, 5)  # mapped in GTK too
            c.keys(w, "Return")


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=300) as peer:
        # 1. Drafts can take it: saved with its choice, the composer closes
        c = D.Claws(x, peer.port, ca, T.HELPER)
        c.start()
        q = c.compose("unload-queued")
        c.choose(q, "t")
        c.keys(q, "shift+ctrl+s")  # Send later: locked in the queue
        c.wait_gone("unload-queued - Compose", 15)
        wait_for(lambda: len(c.folder("queue")) == 1, 10)
        wait_for(lambda: any("Send queued REQUIRETLS" in t for t in status_texts(c)), 10)
        noted = [t for t in status_texts(c) if "unload-queued" in t]
        w = c.compose("unload-saved")
        c.choose(w, "t")
        other = c.compose("unload-default")
        ok = unload(c)
        t0 = time.monotonic()
        wait_for(lambda: not c.windows("unload-saved - Compose")
                 and any(b"Subject: unload-saved" in c.read("draft", n) for n in c.folder("draft")),
                 10)
        # (proving an absence takes a wait): Claws does not crash soon after the unload, the
        # Default composer is not closed
        time.sleep(max(0.0, 2 - (time.monotonic() - t0)))
        c.screenshot("unload-saved")
        drafts = [c.read("draft", n) for n in c.folder("draft")]
        saved = [d for d in drafts if b"Subject: unload-saved" in d]
        T.ok(ok and not c.windows("unload-saved - Compose") and len(saved) == 1 and
             b"X-RequireTLS-Request: require" in saved[0],
             "unloaded: the Require TLS composer went to Drafts with its choice and closed",
             (ok, c.folder("draft")))
        T.ok(c.proc.poll() is None and c.windows("unload-default - Compose") != [],
             "Claws keeps running, and a composer with Default stays open (unloading with a "
             "composer open used to crash Claws)", c.windows("Compose"))
        said = notice(c)
        c.screenshot("unload-notice")
        T.ok(said is not None and "“unload-saved”" in said and "Drafts" in said
             and "without REQUIRETLS" in said
             and "1 message marked Require TLS stays locked in the Queue until the plugin is "
                 "loaded again" in said and "unload-default" not in said,
             "a note that stays says which message went to Drafts and why, and that the "
             "locked queue entry stays locked until the plugin is loaded again", said)
        time.sleep(1)
        T.ok(noted != [] and not any("REQUIRETLS" in t for t in status_texts(c)),
             "the status bar named the queued message by its subject, and after the unload "
             "nothing of the plugin is left in it", (noted, status_texts(c)))
        nw = c.wait_window(NOTICE, 5)
        if nw:
            c.keys(nw, "Return")  # Close
        T.ok(nw is not None and c.wait_gone(NOTICE, 10) and c.proc.poll() is None,
             "the note closes with its button, after the plugin is gone", c.windows(NOTICE))
        c.stop()

        # 2. Drafts cannot take it: it stays open, and Send sends nothing
        c = D.Claws(x, peer.port, ca, T.HELPER)
        c.start()
        w = c.compose("unload-held", body="Held.")
        c.choose(w, "t")
        draft_dir = os.path.join(c.mail, "draft")
        shutil.rmtree(draft_dir, ignore_errors=True)
        with open(draft_dir, "w") as f:
            f.write("not a folder\n")
        ok = unload(c)
        # the log says why, and no alert is left to answer
        wait_for(lambda: dismiss_errors(c) or (
            "could not be saved to Drafts: it stays open and cannot be sent" in c.log_text()
            and not c.windows("^Error$") and not c.windows("^Warning$")), 10)
        log = c.log_text()
        T.ok(ok and "could not be saved to Drafts: it stays open and cannot be sent" in log and
             c.windows("unload-held - Compose") != [],
             "Drafts refused it: the composer stays open and the log says why",
             log[-1500:])
        said = notice(c)
        T.ok(said is not None and "Could not be saved to Drafts; it stays open and cannot be "
             "sent until the plugin is loaded again: “unload-held”" in said,
             "the note says which message could not be saved, and that it cannot be sent "
             "until the plugin is loaded again", said)
        nw = c.wait_window(NOTICE, 5)
        if nw:
            c.keys(nw, "Return")
        c.wait_gone(NOTICE, 10)
        w = c.wait_window("unload-held - Compose", 5)
        c.keys(w, "ctrl+Return")
        refusal = wait_for(lambda: any(
            "plugin is not loaded, so it was not sent" in line
            for line in c.log_text().splitlines()) or c.windows("^Error$"), 15)
        c.window("^(Error|Warning)$", 5)  # the refusal's alert mapped (if it is one)
        c.screenshot("unload-held-refused")
        dismiss_errors(c)
        time.sleep(3)  # (proving an absence takes a wait): nothing reaches the server
        T.ok(refusal, "Send is refused with a sentence that says why", c.log_text()[-1200:])
        T.ok(peer.events("mail") == [] and peer.events("message") == [],
             "the SMTP server got nothing: Claws' own sender never had it",
             peer.events())
        T.ok(c.windows("unload-held - Compose") != [] and c.folder("queue") == [],
             "the message is still in its composer, nothing left queued", c.folder("queue"))
        os.unlink(draft_dir)
        os.makedirs(draft_dir)
        c.stop()
finally:
    x.stop()
T.done()
