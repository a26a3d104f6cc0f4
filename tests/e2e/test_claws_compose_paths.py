#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the choice is the composer's own state, never a header row (issue 10). Every
path of real Claws Mail 4.1.1 that rebuilds the header rows or starts a composer from a
message: account switch both ways (by hand, after a rule), template, reply, reply-all,
forward, redirect, re-edit from Drafts and from Queue, autosave, external editor; mailto:
starts every composer here. Asserted on what smtp-server received (RCPT list, MAIL
parameters, DATA headers) and on the MH folders (Drafts, Queue, Sent)."""
import os
import re
import stat
import time

import clawsdriver as D
from clawsdriver import T, wait_for

D.require()

T.plan(48)

MARKER = "X-RequireTLS-Request"
RULE_REQ = "REQUIRETLS: choice require (rules)"


def field_count(headers, name):
    return sum(1 for line in headers.split("\r\n") if line.lower().startswith(name.lower() + ":"))


def wait_files(c, folder, n, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(c.folder(folder)) < n:
        time.sleep(0.3)
    return c.folder(folder)


def sent_with(c, subject):
    return [n for n in c.folder("sent") if f"Subject: {subject}".encode() in c.read("sent", n)]


def header_block(data):
    """The RFC 5322 header block of a Claws file (after its special headers, if any)."""
    if b"X-Claws-End-Special-Headers:" in data:
        data = data.split(b"X-Claws-End-Special-Headers:", 1)[1].split(b"\n", 1)[1]
    return data.split(b"\n\n", 1)[0].decode(errors="replace")


def unfolded_count(block, name):
    return sum(1 for line in block.split("\n") if line.lower().startswith(name.lower() + ":"))


class Claws2(D.Claws):
    """Two SMTP accounts on the same peer; a rule; a template; autosave; an external editor."""

    def __init__(self, x, port, ca, helper, tmp):
        self.tmp = tmp
        super().__init__(x, port, ca, helper, plugin_conf_extra=(
            f"\n[account-2]\nca-file={ca}\n"
            "\n[rule 1]\npattern=*.example.gov\naction=require\n"))
        with open(os.path.join(self.prof, "accountrc"), "a") as f:
            f.write("\n[Account: 2]\naccount_name=Second\nis_default=0\nname=Alice Two\n"
                    "address=alice2@example.com\nprotocol=4\nsmtp_server=localhost\n"
                    f"set_smtpport=1\nsmtp_port={port}\nssl_smtp=0\nuse_smtp_auth=0\n"
                    "save_message=1\nconfig_version=4\n")
        with open(os.path.join(self.prof, "menurc"), "w") as f:
            f.write('(gtk_accel_path "<Actions>/Menu/Message/Redirect" "<Primary><Alt>j")\n')
        os.makedirs(os.path.join(self.prof, "templates"))
        with open(os.path.join(self.prof, "templates", "1"), "w") as f:
            f.write("Name: rtls-tmpl\n\nText from the template.\n")
        os.makedirs(os.path.join(self.mail, "inbox"))
        for n in (1, 2):  # one for replies, forward and the first redirect; one more
            with open(os.path.join(self.mail, "inbox", str(n)), "w") as f:
                f.write("From: Dave <dave@example.com>\nTo: Alice Example <alice@example.org>\n"
                        f"Cc: carol@tax.example.gov\nSubject: rtls-orig{n}\n"
                        f"Message-ID: <orig-{n}@example.com>\n"
                        "Date: Mon, 30 Nov 2026 10:00:00 +0000\n"
                        "TLS-Required: No\nX-RequireTLS-Request: require\n\nThe original.\n")

    def write_clawsrc(self):
        super().write_clawsrc()
        with open(os.path.join(self.prof, "clawsrc")) as f:
            rc = f.read()
        rc = rc.replace("autosave=0\n", "autosave=1\nautosave_length=40\n"
                        f"ext_editor_command=sh {self.tmp}/editor.sh %s\n")
        with open(os.path.join(self.prof, "clawsrc"), "w") as f:
            f.write(rc)

    def at_origin(self, w):
        title = "^" + re.escape(self.xdo("getwindowname", w)) + "$"
        self.xdo("windowmove", w, "0", "0")

        def there():
            win = self.window(title, 2)
            return win is not None and (win.wx, win.wy) == (0, 0)
        if not wait_for(there, 10):
            T.diag(f"{title}: not moved to 0,0")

    def switch_account(self, w, down=True):
        """Scrolls the From combo: the next (or previous) account; Claws rebuilds the rows.
        TRUE once the plugin saw the composer on the other account."""
        want = "REQUIRETLS: composer account " + ("2" if down else "1") + "\n"
        before = self.log_text().count(want)
        self.at_origin(w)
        # the From combo: the one on the row of the "From:" label (the inspector says where)
        win = self.window("^" + re.escape(self.xdo("getwindowname", w)) + "$", 5)
        lab = win.find("Label", "^From:$") if win else []
        combo = [cb for cb in (win.find("ComboBox") if win else [])
                 if lab and cb.x > lab[0].x and abs(cb.y + cb.h // 2 - lab[0].y - lab[0].h // 2) < 15]
        if not combo:
            return False
        cb = combo[0]
        self.xdo("mousemove", str(win.wx + cb.x + cb.w // 2), str(win.wy + cb.y + cb.h // 2))
        self.xdo("click", "5" if down else "4")
        moved = self.wait_log(want, before, timeout=8)
        self.xdo("mousemove", "600", "900")
        return moved


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
tmp = T.tmpdir()
with open(os.path.join(tmp, "editor.sh"), "w") as f:
    f.write('#!/bin/sh\nprintf "Edited outside.\\n" >> "$1"\n')
os.chmod(os.path.join(tmp, "editor.sh"), stat.S_IRWXU)

x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=1200) as peer:
        c = Claws2(x, peer.port, ca, T.HELPER, tmp)
        c.start()

        filed = [len(c.folder("sent"))]

        def one(what):
            msgs = D.wait_events(peer, "message", 1, timeout=25)
            if len(msgs) != 1:
                T.diag(f"{what}: {len(msgs)} messages: {msgs}")
            # the send is over once its Sent copy is filed
            if not wait_for(lambda: len(c.folder("sent")) > filed[0], 10):
                T.diag(f"{what}: no new Sent copy")
            filed[0] = len(c.folder("sent"))
            peer.clear()
            return msgs[0] if len(msgs) == 1 else {"headers": "", "rcpts": None}

        def clean(m):
            h = m.get("headers", "")
            return field_count(h, MARKER) == 0 and "auto-require" not in h

        def req(m, rcpts, sender="alice@example.org"):
            h = m.get("headers", "")
            return (m.get("requireTLS") is True and m.get("rcpts") == rcpts
                    and m.get("mailFrom") == sender and clean(m)
                    and field_count(h, "TLS-Required") == 0)

        def no_req(m, rcpts):
            h = m.get("headers", "")
            return (not m.get("requireTLS") and m.get("rcpts") == rcpts and clean(m)
                    and field_count(h, "TLS-Required") == 1 and "\r\nTLS-Required: No\r\n" in h)

        def plain(m, rcpts):
            h = m.get("headers", "")
            return (not m.get("requireTLS") and m.get("rcpts") == rcpts and clean(m)
                    and field_count(h, "TLS-Required") == 0)

        # 1. Require TLS by a rule, then the From account changes (the reported bug: a row
        # "To: auto-require" appeared and Claws sent RCPT TO:<auto-require>)
        n = c.log_text().count(RULE_REQ)
        w = c.compose("rtls-acct-rule", to="carol@tax.example.gov")
        T.ok(c.wait_log(RULE_REQ, n), "the rule chooses Require TLS")
        c.switch_account(w, down=True)
        c.screenshot("paths-account-switched")
        c.keys(w, "ctrl+Return")
        m = one("acct-rule")
        T.ok(req(m, ["carol@tax.example.gov"], "alice2@example.com"),
             "account 1 → 2 after a rule: REQUIRETLS, RCPT exactly carol, no marker", m)
        T.ok("alice2@example.com" in m.get("headers", ""), "sent from the second account",
             m.get("headers"))

        # 2. Require TLS by hand, account 1 → 2 → 1
        w = c.compose("rtls-acct-hand")
        c.choose(w, "t")
        moved = c.switch_account(w, down=True)
        moved = c.switch_account(w, down=False) and moved
        c.keys(w, "ctrl+Return")
        m = one("acct-hand")
        T.ok(moved and req(m, ["bob@example.net"]),
             "by hand, account 1 → 2 → 1: REQUIRETLS, RCPT bob", (moved, m))

        # 3. Don't require TLS by hand, account 1 → 2 (Claws sends it itself)
        w = c.compose("rtls-acct-no")
        c.choose(w, "n")
        c.switch_account(w, down=True)
        c.keys(w, "ctrl+Return")
        m = one("acct-no")
        T.ok(no_req(m, ["bob@example.net"]) and m.get("mailFrom") == "alice2@example.com",
             "Don't require TLS, account 1 → 2: one TLS-Required: No, RCPT bob", m)
        c.wait_gone("rtls-acct-no - Compose", 15)
        wait_for(lambda: sent_with(c, "rtls-acct-no"), 10)
        s = sent_with(c, "rtls-acct-no")
        T.ok(len(s) == 1 and unfolded_count(header_block(c.read("sent", s[0])), "TLS-Required") == 1
             and MARKER.encode() not in c.read("sent", s[0]),
             "its Sent copy: one TLS-Required: No, no marker", s)

        # 4. a rule overridden by hand is said at once, on every transition
        n = c.log_text().count(RULE_REQ)
        w = c.compose("rtls-override", to="carol@tax.example.gov")
        T.ok(c.wait_log(RULE_REQ, n), "the rule chooses Require TLS")
        def says(text, timeout, whole=False):
            """The composer's status line (as the inspector reads it) says @text."""
            got = []

            def look():
                got[:] = [c.status_line("rtls-override")[0] or ""]
                return got[0] == text if whole else got[0].startswith(text)
            return wait_for(look, timeout), got[0] if got else None
        said = "Default — chosen by hand; rule *.example.gov asks for Require TLS"
        c.choose(w, "f")
        T.ok(says(said, 3)[0], "rule → Default by hand: said at once", said)
        c.screenshot("paths-override-said")
        said2 = "Don't require TLS — chosen by hand; rule *.example.gov asks for Require TLS"
        c.choose(w, "n")
        T.ok(says(said2, 3)[0], "Default → Don't require TLS by hand: said at once")
        # another recipient typed (into the empty To row that has the focus): still said
        c.xdo("windowfocus", "--sync", w)
        c.xdo("type", "--delay", "25", "dan@example.net")
        c.showing("rtls-override", "Entry", "dan@example.net")  # the keys were handled
        T.ok(says(said2, 5)[0], "a recipient added after the choice: still said")
        # the account changes: Claws rebuilds the rows, the rules look again, the note stays
        moved = c.switch_account(w, down=True)
        ok, got = says(said2 + " (carol@tax.example.gov)", 5, whole=True)
        T.ok(moved and ok,  # the one line is the note, whole
             "after the rows change the note is still there", got)
        c.keys(w, "ctrl+Return")
        m = one("override")
        T.ok(no_req(m, ["carol@tax.example.gov", "dan@example.net"])
             and m.get("mailFrom") == "alice2@example.com",
             "the choice by hand is obeyed: one TLS-Required: No, no REQUIRETLS", m)

        # 5. a template applied after Require TLS by hand
        c.remote("--compose", "mailto:bob@example.net?subject=rtls-template")
        w = c.wait_window("rtls-template", 60)
        time.sleep(0.8)  # settle: keys go to it next (as in Claws.compose())
        c.choose(w, "t")
        c.keys(w, "alt+t", "t", "Return")  # Tools → Template → rtls-tmpl
        ask = c.wait_window("Apply template", 15)
        if ask is None:
            T.diag("no Apply template question")
        c.keys(ask, "Return")  # "Apply template": Replace
        c.showing("rtls-template", "TextView", "Text from the template")
        c.keys(w, "ctrl+Return")
        m = one("template")
        T.ok(req(m, ["bob@example.net"]), "after the template: REQUIRETLS, RCPT bob", m)
        c.wait_gone("rtls-template - Compose", 15)
        wait_for(lambda: sent_with(c, "rtls-template"), 10)
        s = sent_with(c, "rtls-template")
        T.ok(len(s) == 1 and b"Text from the template." in c.read("sent", s[0]),
             "the template was applied to what went out", s)

        # 6. reply / reply-all / forward / redirect of a message that carries TLS-Required: No
        # and someone else's marker
        INBOX = "#mh/Mailbox/inbox/1"
        w = c.open_selected(INBOX, ["ctrl+r"], "Re: rtls-orig1", "rtls-orig1")
        T.ok(w is not None, "reply opens")
        if w:
            c.keys(w, "ctrl+Return")
        m = one("reply")
        T.ok(plain(m, ["dave@example.com"]), "a reply does not inherit the original's choice", m)

        n = c.log_text().count(RULE_REQ)
        w = c.open_selected(INBOX, ["ctrl+shift+r"], "Re: rtls-orig1", "rtls-orig1")
        T.ok(w is not None and c.wait_log(RULE_REQ, n), "reply-all: the rule chooses Require TLS")
        if w:
            c.keys(w, "ctrl+Return")
        m = one("reply-all")
        T.ok(m.get("requireTLS") is True and sorted(m.get("rcpts") or [])
             == ["carol@tax.example.gov", "dave@example.com"] and clean(m)
             and field_count(m.get("headers", ""), "TLS-Required") == 0,
             "reply-all: REQUIRETLS, RCPT dave and carol, no marker", m)

        w = c.open_selected(INBOX, ["ctrl+alt+f"], "Fw: rtls-orig1", "rtls-orig1")
        T.ok(w is not None, "forward opens")
        if w:
            c.xdo("windowfocus", "--sync", w)
            c.xdo("type", "--delay", "25", "bob@example.net")
            c.choose(w, "n")
            c.keys(w, "ctrl+Return")
        m = one("forward")
        T.ok(no_req(m, ["bob@example.net"]), "forward, Don't require TLS: one header, RCPT bob", m)

        for i, letter in enumerate(["", "t"]):
            # Message → Redirect, by the shortcut our menurc gave it (its mnemonic "t" is
            # also "Move to _trash"'s, and the menu opens on the item used last)
            w = c.open_selected(f"#mh/Mailbox/inbox/{i + 1}", ["ctrl+alt+j"],
                                f"rtls-orig{i + 1} - Compose", f"rtls-orig{i + 1}")
            T.ok(w is not None, f"redirect {i + 1} opens")
            if not w:
                continue
            c.xdo("windowfocus", "--sync", w)
            c.xdo("type", "--delay", "25", "erin@example.net")
            if letter:
                c.choose(w, letter)
            c.keys(w, "ctrl+Return")
            m = one(f"redirect-{i}")
            if not letter:
                T.ok(no_req(m, ["erin@example.net"]),
                     "redirect keeps the message's TLS-Required: No once; the foreign marker "
                     "never leaves", m)
            else:
                T.ok(req(m, ["erin@example.net"]),
                     "redirect with Require TLS: REQUIRETLS, neither marker nor TLS-Required", m)

        # 7. re-edit from Drafts: by rule and Don't require TLS (by hand: test_claws_send)
        # and Default by hand against a rule: the draft remembers it was by hand ("default"),
        # so the rule does not take over on re-edit; that marker never goes out
        for subj, to, letter, want in (("rtls-draft-rule", "carol@tax.example.gov", "", "auto-require"),
                                       ("rtls-draft-no", "bob@example.net", "n", None),
                                       ("rtls-draft-default", "carol@tax.example.gov", "f", "default")):
            before = c.folder("draft")
            n = c.log_text().count(RULE_REQ)
            w = c.compose(subj, to=to)
            if "example.gov" in to:
                c.wait_log(RULE_REQ, n)
            if letter:
                c.choose(w, letter)
            c.keys(w, "ctrl+s")
            drafts = [d for d in wait_files(c, "draft", len(before) + 1) if d not in before]
            blk = header_block(c.read("draft", drafts[0])) if drafts else ""
            if want:
                T.ok(f"\n{MARKER}: {want}" in "\n" + blk and unfolded_count(blk, MARKER) == 1,
                     f"{subj}: the draft holds the marker {want}", blk)
            else:
                T.ok(unfolded_count(blk, "TLS-Required") == 1 and unfolded_count(blk, MARKER) == 0,
                     f"{subj}: the draft holds one TLS-Required: No", blk)
            T.ok(unfolded_count(blk, "To") == 1 and "auto-require" not in blk.split(MARKER)[0],
                 f"{subj}: no row of ours became a recipient", blk)
            c.keys(w, "ctrl+w")
            c.wait_gone(subj, 10)
            w = c.open_selected(f"#mh/Mailbox/draft/{drafts[0] if drafts else 1}",
                                ["alt+m", "e"], subj, subj)
            if w:
                c.switch_account(w, down=True)  # and the rows are rebuilt once more
                c.keys(w, "ctrl+Return")
            m = one(subj)
            if want == "default":
                T.ok(plain(m, [to]) and m.get("mailFrom") == "alice2@example.com",
                     f"{subj}: re-edited, still Default by hand: no REQUIRETLS, no marker", m)
            elif want:
                T.ok(req(m, [to], "alice2@example.com"), f"{subj}: re-edited, REQUIRETLS", m)
            else:
                T.ok(no_req(m, [to]), f"{subj}: re-edited, one TLS-Required: No", m)

        # 8. re-edit from Queue: by rule and Don't require TLS
        for subj, to, letter in (("rtls-queue-rule", "carol@tax.example.gov", ""),
                                 ("rtls-queue-no", "bob@example.net", "n")):
            n = c.log_text().count(RULE_REQ)
            w = c.compose(subj, to=to)
            if letter:
                c.choose(w, letter)
            else:
                c.wait_log(RULE_REQ, n)
            c.keys(w, "shift+ctrl+s")
            queued = wait_files(c, "queue", 1)
            blk = header_block(c.read("queue", queued[0])) if queued else ""
            if letter:
                T.ok(unfolded_count(blk, "TLS-Required") == 1 and unfolded_count(blk, MARKER) == 0,
                     f"{subj}: the queue entry holds one TLS-Required: No, no marker", blk)
            else:
                T.ok(f"\n{MARKER}: auto-require" in "\n" + blk and unfolded_count(blk, MARKER) == 1,
                     f"{subj}: the queue entry holds the marker", blk)
            w = c.open_selected(f"#mh/Mailbox/queue/{queued[0] if queued else 1}",
                                ["alt+m", "e"], subj, subj)
            T.ok(w is not None, f"{subj}: re-opens from the queue")
            if w:
                c.keys(w, "ctrl+Return")
            m = one(subj)
            if letter:
                T.ok(no_req(m, [to]), f"{subj}: sent with one TLS-Required: No", m)
            else:
                T.ok(req(m, [to]), f"{subj}: sent with REQUIRETLS", m)
            wait_for(lambda: c.folder("queue") == [], 10)  # the re-edited entry goes
            T.ok(c.folder("queue") == [], f"{subj}: the queue is empty after", c.folder("queue"))

        # 9. autosave: Claws saves the draft by itself after 40 characters typed
        before = c.folder("draft")
        w = c.compose("rtls-autosave", body="")
        c.choose(w, "t")
        c.xdo("windowfocus", "--sync", w)
        c.xdo("key", "ctrl+End")
        c.at_origin(w)
        c.xdo("mousemove", "400", "500")
        c.xdo("click", "1")
        c.xdo("type", "--delay", "15", "This line is long enough for autosaving it.")
        auto = [d for d in wait_files(c, "draft", len(before) + 1) if d not in before]
        blk = header_block(c.read("draft", auto[0])) if auto else ""
        T.ok(auto and f"\n{MARKER}: require" in "\n" + blk,
             "the autosaved draft holds the marker require", (auto, blk))
        c.keys(w, "ctrl+Return")
        m = one("autosave")
        T.ok(req(m, ["bob@example.net"]), "then sent with REQUIRETLS", m)
        wait_for(lambda: c.folder("draft") == before, 10)  # Claws removes the autosaved draft
        T.ok(c.folder("draft") == before, "the autosaved draft is gone after sending",
             c.folder("draft"))

        # 10. the external editor changes the body; the choice stays
        w = c.compose("rtls-exteditor")
        c.choose(w, "n")
        c.keys(w, "shift+ctrl+x")
        # Claws reads the file back once the editor is done, and unlocks the composer
        c.showing("rtls-exteditor", "TextView", "Edited outside", timeout=20)
        c.keys(w, "ctrl+Return")
        m = one("exteditor")
        T.ok(no_req(m, ["bob@example.net"]), "after the external editor: one TLS-Required: No", m)
        c.wait_gone("rtls-exteditor - Compose", 15)
        wait_for(lambda: sent_with(c, "rtls-exteditor"), 10)
        s = sent_with(c, "rtls-exteditor")
        T.ok(len(s) == 1 and b"Edited outside." in c.read("sent", s[0]),
             "the external editor's change went out with it", s)

        # Sent copies never carry the marker; no rows of ours anywhere (every send above
        # waited for its Sent copy)
        leaked = [s for s in c.folder("sent") if MARKER.encode() in c.read("sent", s)]
        T.ok(c.folder("sent") and leaked == [], "no Sent copy carries the marker",
             (len(c.folder("sent")), leaked))
        T.ok("auto-require>" not in c.log_text() and "<require>" not in c.log_text(),
             "Claws never tried a marker value as an address")
        c.stop()
finally:
    x.stop()
T.done()
