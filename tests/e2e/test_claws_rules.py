#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: rules for sensitive recipients in real Claws Mail. A rule "*.example.gov →
Require TLS"; addresses typed into a new composer make it follow the rule, removing them goes
back to Default, a choice by hand wins. Asserted on what smtp-server received."""
import os
import time

import clawsdriver as D
from clawsdriver import T

D.require()

T.plan(19)


wait_events = D.wait_events


def type_into(c, w, text):
    c.xdo("windowfocus", "--sync", w)
    c.xdo("type", "--delay", "25", text)


def typed(c, title, text, timeout=10):
    """Waits until a field of the window @title holds @text (the keys were handled)."""
    def look():
        win = c.window(title, 2)
        return win is not None and any(text in (e.text or "") for e in win.find("Entry"))
    return D.wait_for(look, timeout)


def window_at(c, title, w, h, timeout=10):
    """Waits until the window @title is at 0,0 with the size @w x @h (as the inspector sees)."""
    def look():
        win = c.window(title, 2)
        return win is not None and (win.wx, win.wy, win.ww, win.wh) == (0, 0, w, h)
    if D.wait_for(look, timeout):
        return True
    T.diag(f"{title}: not moved to 0,0 at {w}x{h}")
    return False


def rc(c):
    with open(os.path.join(c.prof, "requiretlsrc")) as f:
        return f.read()


def rc_changed(c, before, timeout=10):
    """Waits until requiretlsrc differs from @before (the dialog's OK saved it)."""
    if D.wait_for(lambda: rc(c) != before, timeout):
        return True
    T.diag("requiretlsrc was not written")
    return False


RULE_REQ = "REQUIRETLS: choice require (rules)"
RULE_DEF = "REQUIRETLS: choice default (rules)"

certs = T.certs()
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=600) as peer:
        c = D.Claws(x, peer.port, os.path.join(certs, "ca.pem"), T.HELPER,
                    plugin_conf_extra="\n[rule 1]\npattern=*.example.gov\naction=require\n")
        c.start()

        # 1. typing a matching address makes the composer Require TLS, and Send obeys
        c.remote("--compose", "mailto:?subject=rtls-rule-one&body=Hello.")
        w = c.wait_window("rtls-rule-one", 60)
        time.sleep(1)  # settle: the keys below go to a window that just mapped
        n = c.log_text().count(RULE_REQ)
        type_into(c, w, "carol@tax.example.gov")
        T.ok(c.wait_log(RULE_REQ, n), "typing carol@tax.example.gov → Require TLS by the rule")
        time.sleep(0.5)  # settle before the screenshot
        c.screenshot("composer-rule")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0]["requireTLS"] is True and
             msgs[0]["rcpts"] == ["carol@tax.example.gov"],
             "sent with REQUIRETLS", msgs)
        peer.clear()

        # 1b. a Cc (or Bcc) recipient counts as much as a To
        n = c.log_text().count(RULE_REQ)
        w = c.compose("rtls-rule-cc", to="bob@example.net", cc="frank@courts.example.gov")
        T.ok(c.wait_log(RULE_REQ, n), "a matching Cc address → Require TLS by the rule")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0]["requireTLS"] is True and
             "\r\nCc: frank@courts.example.gov\r\n" in msgs[0]["headers"],
             "sent with REQUIRETLS, frank in Cc", msgs)
        peer.clear()

        # 2. removing the address goes back to Default
        c.remote("--compose", "mailto:?subject=rtls-rule-two&body=Hello.")
        w = c.wait_window("rtls-rule-two", 60)
        time.sleep(1)  # settle: the keys below go to a window that just mapped
        n_req, n_def = c.log_text().count(RULE_REQ), c.log_text().count(RULE_DEF)
        type_into(c, w, "carol@tax.example.gov")
        T.ok(c.wait_log(RULE_REQ, n_req), "Require TLS while the address is there")
        c.keys(w, "ctrl+a", "BackSpace")
        T.ok(c.wait_log(RULE_DEF, n_def), "removing it → back to Default")
        type_into(c, w, "bob@example.net")
        typed(c, "rtls-rule-two", "bob@example.net")
        time.sleep(1.5)  # (proving an absence takes a wait): the rules look every 0.6 s
        T.ok(c.log_text().count(RULE_REQ) == n_req + 1, "another address does not match")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and not msgs[0]["requireTLS"] and msgs[0]["rcpts"] == ["bob@example.net"],
             "sent as usual", msgs)
        peer.clear()

        # 3. a choice by hand wins over the rule
        c.remote("--compose", "mailto:?subject=rtls-rule-three&body=Hello.")
        w = c.wait_window("rtls-rule-three", 60)
        time.sleep(1)  # settle: the keys below go to a window that just mapped
        n_req = c.log_text().count(RULE_REQ)
        type_into(c, w, "dan@tax.example.gov")
        T.ok(c.wait_log(RULE_REQ, n_req), "the rule asks for Require TLS")
        c.choose(w, "f")
        time.sleep(1.5)  # (proving an absence takes a wait): the rules look every 0.6 s
        T.ok(c.log_text().count(RULE_REQ) == n_req + 1, "the rule does not take it back")
        c.screenshot("composer-rule-overridden")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and not msgs[0]["requireTLS"], "Default by hand: sent as usual", msgs)
        peer.clear()

        # 4. the preferences page: an invalid pattern is never saved, a valid one is
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+c", "r")
        prefs = []
        D.wait_for(lambda: prefs.extend(w for w in c.windows("Preferences")
                                        if c.xdo("getwindowname", w) == "Preferences")
                   or prefs, 15)
        p = prefs[0] if prefs else None
        T.ok(p is not None, "Configuration → Preferences opens")
        if p:
            # fixed size and place, then the page index entry Plugins → REQUIRETLS
            c.xdo("windowsize", p, "1000", "800")
            c.xdo("windowmove", p, "0", "0")
            window_at(c, "^Preferences$", 1000, 800)
            c.xdo("mousemove", "85", "570")
            c.xdo("click", "1")
            c.showing("^Preferences$", "Label", "^Pattern:$")  # the REQUIRETLS page
            # by mnemonics: _Pattern, A_dd (the focus selects what the field holds)
            c.keys(p, "alt+p")
            c.xdo("type", "--delay", "20", "not a domain")
            c.keys(None, "alt+d")
            time.sleep(0.5)  # settle before the screenshot
            c.screenshot("prefs-invalid-pattern")
            c.keys(None, "alt+p")
            c.xdo("type", "--delay", "20", "*.courts.example")
            c.keys(None, "alt+d")
            if not D.wait_for(lambda: any("*.courts.example" in r for win in c.screen()
                                          if win.title == "Preferences"
                                          for t in win.find("TreeView")
                                          for row in t.rows for r in row), 10):
                T.diag("the rule *.courts.example is not in the list")
            c.xdo("mousemove", "600", "950")
            c.screenshot("prefs-requiretls")
            before = rc(c)
            c.xdo("mousemove", "953", "777")  # OK
            c.xdo("click", "1")
            c.wait_gone("^Preferences$", 15)
            rc_changed(c, before)
        with open(os.path.join(c.prof, "requiretlsrc")) as f:
            saved = f.read()
        T.ok("pattern=*.courts.example" in saved and "not a domain" not in saved and
             "pattern=*.example.gov" in saved,
             "saved: the new rule and the old one, never the invalid pattern", saved)

        # 5. the account page reads the key from the (verified) server; the person confirms;
        # then a Require TLS message goes out with that pin enforced
        import base64
        import hashlib
        import subprocess
        der = subprocess.run(["certtool", "--pubkey-info", "--outder", "--load-certificate",
                              os.path.join(certs, "server.pem")], capture_output=True).stdout
        want = base64.b64encode(hashlib.sha256(der).digest()).decode()
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+c", "p")
        acc = c.wait_window("Account preferences", 10)
        T.ok(acc is not None, "the account preferences open")
        if acc:
            c.xdo("windowsize", acc, "1000", "800")
            c.xdo("windowmove", acc, "0", "0")
            window_at(c, "Account preferences", 1000, 800)
            c.xdo("mousemove", "67", "294")  # page index: REQUIRETLS
            c.xdo("click", "1")
            c.showing("Account preferences", "Button", "^_Read the key from the server")
            c.keys(acc, "alt+r")  # _Read the key from the server…
            ask = c.window("^Read the key from the server$", 20)
            if ask is None or "_Use this pin" not in ask.buttons():
                T.diag(f"no pin to confirm: {ask.said() if ask else None}")
            time.sleep(0.5)  # settle before the screenshot
            c.screenshot("account-pin-confirm")
            c.keys(None, "alt+u")  # _Use this pin
            c.wait_gone("^Read the key from the server$", 10)
            before = rc(c)
            c.xdo("mousemove", "953", "778")  # OK
            c.xdo("click", "1")
            c.wait_gone("Account preferences", 15)
            rc_changed(c, before)
        with open(os.path.join(c.prof, "requiretlsrc")) as f:
            saved = f.read()
        T.ok(f"pin-sha256={want}" in saved, "the confirmed pin is saved for the account", saved)
        w = c.compose("rtls-pinned", to="erin@tax.example.gov")
        c.keys(w, "ctrl+Return")
        msgs = wait_events(peer, "message", 1)
        T.ok(len(msgs) == 1 and msgs[0]["requireTLS"] is True,
             "with the pin, REQUIRETLS still goes out to the same server", msgs)
        peer.clear()

        # 6. a composer never inherits the choice of one closed before it (Claws often
        # allocates the next composer at the same address as the last one)
        NEW = "REQUIRETLS: new composer, choice default\n"
        fresh, by_hand, plain = True, True, True
        for i, letter in enumerate("tnt"):
            n = c.log_text().count(NEW)
            w = c.compose(f"rtls-fresh-{i}a", to="bob@example.net")
            fresh = fresh and c.wait_log(NEW, n)
            c.choose(w, letter)
            c.keys(w, "ctrl+Return")
            msgs = wait_events(peer, "message", 1)
            by_hand = by_hand and len(msgs) == 1 and (
                msgs[0]["requireTLS"] is True if letter == "t"
                else "\r\nTLS-Required: No\r\n" in msgs[0]["headers"])
            peer.clear()
            c.wait_gone(f"rtls-fresh-{i}a", 20)
            n = c.log_text().count(NEW)
            w = c.compose(f"rtls-fresh-{i}b", to="bob@example.net")
            fresh = fresh and c.wait_log(NEW, n)
            c.keys(w, "ctrl+Return")
            msgs = wait_events(peer, "message", 1)
            ok = (len(msgs) == 1 and not msgs[0]["requireTLS"]
                  and "TLS-Required" not in msgs[0]["headers"]
                  and "X-RequireTLS" not in msgs[0]["headers"])
            if not ok:
                T.diag(f"round {i}: {msgs}")
            plain = plain and ok
            peer.clear()
            c.wait_gone(f"rtls-fresh-{i}b", 20)
        T.ok(fresh, "every new composer starts afresh with Default")
        T.ok(by_hand, "Require TLS / Don't require TLS by hand: obeyed each time")
        T.ok(plain, "the next composer sends as usual, nothing inherited")
        c.stop()
finally:
    x.stop()
T.done()
