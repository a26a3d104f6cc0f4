#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the choice kept in Drafts on an IMAP server. Many people keep their drafts on
their provider's IMAP server (account setting "Put draft messages in"); Claws stores a draft
there through the IMAP folder class's add_msg, which the plugin wraps like every class.
Debian's Dovecot holds the mailbox (tests/peers/dovecot.py: implicit TLS with the test CA, a
Maildir++ store with a Drafts mailbox as a real server has one); real Claws Mail 4.1.1 has an
IMAP account on it and an SMTP account whose drafts go to that IMAP Drafts folder.

  1. Require TLS, saved as a draft: the message Dovecot holds carries the private marker, no
     TLS-Required, and no composer header row holds the choice.
  2. Re-edited from the IMAP Drafts folder: Require TLS again; sent: the SMTP peer got it once
     with REQUIRETLS, without marker or TLS-Required; the draft is gone from the server; one
     Sent copy (the account's Sent is on the server too). Also when Claws has no cached copy
     of the draft (saved on another computer) and fetches it, and for a draft saved while
     writing and sent from the same composer.
  3. The same with Don't require TLS: exactly one TLS-Required: No, on the server and sent.
  4. An account whose Queue is the IMAP Queue ("Put queued messages in"): Send later with
     Require TLS leaves the entry (with the marker) locked and tagged in the server's Queue;
     Claws' own sender (--send) leaves it there; Tools → Send queued REQUIRETLS messages
     sends it once with REQUIRETLS and removes it. Send with Require TLS goes through the
     IMAP Queue with REQUIRETLS too, and leaves nothing there.

Asserted on the files Dovecot holds, on what smtp-server received and on Claws' folders."""
import os
import re
import sys

import clawsdriver as D
from clawsdriver import T, wait_for

sys.path.insert(0, os.path.join(T.SRCDIR, "peers"))
import dovecot  # noqa: E402

D.require()
missing = dovecot.available()
if missing:
    T.skip_all_or_fail(missing)

T.plan(29)

MARKER = "X-RequireTLS-Request"
USER, PASSWORD = "imapuser", "imap-pass-4711"
DRAFTS = "#imap/IMAP/Drafts"


def header_block(data):
    """The RFC 5322 header block of a Claws file (after its special headers, if any)."""
    if b"X-Claws-End-Special-Headers:" in data:
        data = data.split(b"X-Claws-End-Special-Headers:", 1)[1].split(b"\n", 1)[1]
    return data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode(errors="replace")


def special_headers(data):
    return data.split(b"X-Claws-End-Special-Headers:", 1)[0].decode(errors="replace")


def count(block, name):
    return sum(1 for line in block.split("\n") if line.lower().startswith(name.lower() + ":"))


def field_count(headers, name):
    return count(headers.replace("\r\n", "\n"), name)


class Server:
    """What Dovecot holds for the user: Maildir++ mailboxes under ~/Maildir."""

    def __init__(self, dc):
        self.dc = dc
        self.root = os.path.join(dc.home, USER, "Maildir")

    def make_mailbox(self, name):
        """A mailbox as a server that has it holds it: .Name with cur/new/tmp and the
        maildirfolder mark, owned by the mail user (the root Maildir too)."""
        for d in ([self.root] + [os.path.join(self.root, s) for s in ("cur", "new", "tmp")]
                  + [os.path.join(self.root, "." + name)]
                  + [os.path.join(self.root, "." + name, s) for s in ("cur", "new", "tmp")]):
            os.makedirs(d, exist_ok=True)
            os.chown(d, self.dc.mail_uid, self.dc.mail_gid)
        mark = os.path.join(self.root, "." + name, "maildirfolder")
        open(mark, "w").close()
        os.chown(mark, self.dc.mail_uid, self.dc.mail_gid)
        with open(os.path.join(self.root, "subscriptions"), "a") as f:
            f.write(name + "\n")

    def files(self, mailbox):
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(self.root, "." + mailbox, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, f) for f in sorted(os.listdir(d))]
        return out

    def with_subject(self, mailbox, subject):
        out = []
        for p in self.files(mailbox):
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except FileNotFoundError:  # expunged meanwhile
                continue
            if re.search(rb"(?m)^Subject: " + re.escape(subject.encode()) + rb"\r?$",
                         header_block(data).encode()):
                out.append((p, data))
        return out

    def uid(self, mailbox, path):
        """The IMAP UID Dovecot gave the file (its dovecot-uidlist), or None."""
        base = os.path.basename(path).split(":2,")[0]
        try:
            with open(os.path.join(self.root, "." + mailbox, "dovecot-uidlist")) as f:
                lines = f.read().splitlines()[1:]
        except FileNotFoundError:
            return None
        for line in lines:
            uid, _, rest = line.partition(" ")
            name = rest.split(":", 1)[1] if ":" in rest else rest.split()[-1] if rest else ""
            if name.split(":2,")[0] == base:
                return int(uid)
        return None


def sent_with(c, subject):
    return [n for n in c.folder("sent") if f"Subject: {subject}".encode() in c.read("sent", n)]


def folderlist(c):
    try:
        with open(os.path.join(c.prof, "folderlist.xml")) as f:
            return f.read()
    except FileNotFoundError:  # being written
        return ""


def composer_shown(c, subject, timeout=15):
    """The composer for @subject is on the screen, filled in: its Subject entry (as the
    inspector reads it) holds @subject."""
    def look():
        win = c.window("^" + re.escape(subject) + " - Compose", 2)
        return win is not None and any(e.text == subject for e in win.find("Entry"))
    return wait_for(look, timeout)


def message_shown(c, subject, timeout=15):
    """The main window's message view shows the message @subject (its headers, as the
    inspector reads the text view): the selection took."""
    def look():
        win = c.window("Claws Mail", 2)
        return win is not None and bool(
            win.find("TextView", "(?m)^Subject: " + re.escape(subject) + "$"))
    return wait_for(look, timeout)


def save_draft(c, srv, subject, letter):
    """A composer with the choice @letter, saved as a draft (Ctrl+S); the draft's file on
    the server, once it is there."""
    w = c.compose(subject)
    c.choose(w, letter)
    needle = "REQUIRETLS: draft written with "
    for attempt in range(3):
        before = c.log_text().count(needle)
        c.keys(w, "ctrl+s")
        # the plugin wrote the choice into it: Claws got the key; only then the upload
        if c.wait_log(needle, before, 15):
            break
        T.diag(f"{subject}: Ctrl+S lost, again")
    wait_for(lambda: srv.with_subject("Drafts", subject), 60)
    found = srv.with_subject("Drafts", subject)
    # the composer is saved: it closes without a question
    c.keys(w, "ctrl+w")
    if not c.wait_gone(f"{subject} - Compose", 20):
        T.diag(f"{subject}: the composer did not close")
    return found


def reopen(c, uid, subject, want):
    """Re-edits the draft with @uid from the IMAP Drafts folder (Message → Re-edit), as a
    person selects it; TRUE once the new composer kept the choice @want."""
    needle = f"REQUIRETLS: new composer, choice {want} (kept)"
    before = c.log_text().count(needle)
    for attempt in range(3):
        c.remote("--select", f"{DRAFTS}/{uid}")
        if not message_shown(c, subject):
            T.diag(f"{subject}: the main window does not show the draft yet")
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+m", "e")
        w = c.wait_window(f"{subject} - Compose", 30)
        if w is not None:
            composer_shown(c, subject)
            return w, c.wait_log(needle, before, 10)
        T.diag(f"{subject}: no composer from the IMAP Drafts yet, again")
    return None, False


def send_now(c, peer, w, subject):
    """Send (Ctrl+Return) from @w, the composer of @subject; what the SMTP peer then
    received: all its messages, the first, and that one's headers."""
    if w:
        c.keys(w, "ctrl+Return")
    D.wait_events(peer, "message", 1, timeout=40)
    # the send is over when Claws closes the composer: a second copy (Claws' own send beside
    # the plugin's) would have come by then
    c.wait_gone(f"{subject} - Compose", 20)
    msgs = peer.events("message")
    m = msgs[0] if msgs else {}
    return msgs, m, m.get("headers", "")

certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=900) as peer, \
            dovecot.Dovecot(certs, {USER: PASSWORD}, parent=T.tmpdir()) as dc:
        srv = Server(dc)
        srv.make_mailbox("Drafts")
        srv.make_mailbox("Sent")
        # account 1 (SMTP) keeps its drafts on the IMAP server ("Put draft messages in"),
        # and its Sent copies ("Put sent messages in")
        c = D.Claws(x, peer.port, ca, T.HELPER,
                    account_extra={"set_draft_folder": "1", "draft_folder": DRAFTS,
                                   "set_sent_folder": "1", "sent_folder": "#imap/IMAP/Sent"},
                    plugin_conf_extra=f"\n[account-3]\nca-file={ca}\n")
        c.env["SSL_CERT_FILE"] = ca  # Claws trusts the test CA as a system would
        with open(os.path.join(c.prof, "accountrc"), "a") as f:
            # the IMAP account (protocol 1 = A_IMAP4, ssl_imap 1 = implicit TLS)
            f.write(f"\n[Account: 2]\naccount_name=IMAP\nis_default=0\nprotocol=1\n"
                    f"name=Alice\naddress=alice@example.org\nreceive_server=localhost\n"
                    f"user_id={USER}\npassword={PASSWORD}\nssl_imap=1\nset_imapport=1\n"
                    f"imap_port={dc.imap_port}\nimap_auth_method=0\nssl_certs_auto_accept=1\n"
                    f"smtp_server=localhost\nset_smtpport=1\nsmtp_port={peer.port}\n"
                    "ssl_smtp=0\nuse_smtp_auth=0\nconfig_version=4\n")
            # an SMTP account whose queue is the IMAP Queue: "Put queued messages in"
            f.write(f"\n[Account: 3]\naccount_name=QueueOnIMAP\nis_default=0\nprotocol=4\n"
                    "name=Alice Three\naddress=alice3@example.org\nsmtp_server=localhost\n"
                    f"set_smtpport=1\nsmtp_port={peer.port}\nssl_smtp=0\nuse_smtp_auth=0\n"
                    "save_message=1\nset_queue_folder=1\nqueue_folder=#imap/IMAP/Queue\n"
                    "config_version=4\n")
        c.start()
        # Claws lists the IMAP mailboxes at start; the account's Drafts must be known
        # before a draft is saved, or Claws would fall back to the local Drafts
        T.ok(wait_for(lambda: re.search(r'path="Drafts"[^>]*type="draft"', folderlist(c)), 90),
             "Claws knows the IMAP server's Drafts mailbox", folderlist(c)[-1500:])

        # 1. Require TLS, saved as a draft into the IMAP Drafts
        found = save_draft(c, srv, "rtls-imap-req", "t")
        data = found[0][1] if found else b""
        blk = header_block(data)
        T.ok(len(found) == 1 and count(blk, MARKER) == 1
             and re.search(rf"(?m)^{MARKER}: require$", blk) and count(blk, "TLS-Required") == 0,
             "Require TLS: the draft on the IMAP server carries the marker once, no "
             "TLS-Required", (found and found[0][0], blk))
        manual = re.search(r"(?m)^X-Claws-Manual-Headers:(.*)$", special_headers(data))
        T.ok(found and manual is not None and MARKER.lower() not in manual.group(1).lower()
             and "tls-required" not in manual.group(1).lower() and count(blk, "To") == 1
             and "bob@example.net" in blk and "require" not in blk.split(MARKER)[0],
             "no header row of the composer holds the choice (its rows as saved: "
             f"{manual.group(1) if manual else None!r})", data[:900])
        T.ok(c.folder("draft") == [], "nothing went to the local Drafts instead",
             c.folder("draft"))

        # 2. re-edited from the IMAP Drafts: Require TLS again; sent with REQUIRETLS
        uid = srv.uid("Drafts", found[0][0]) if found else None
        w, kept = reopen(c, uid, "rtls-imap-req", "require") if uid else (None, False)
        c.screenshot("imap-drafts-reopened-require")
        T.ok(w is not None and kept, "re-edited from the IMAP Drafts (UID %s): Require TLS "
             "again" % uid, c.log_text()[-1500:])
        peer.clear()
        msgs, m, h = send_now(c, peer, w, "rtls-imap-req")
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True
             and m.get("rcpts") == ["bob@example.net"]
             and field_count(h, MARKER) == 0 and field_count(h, "TLS-Required") == 0
             and "Subject: rtls-imap-req" in h,
             "sent once with REQUIRETLS; neither marker nor TLS-Required in its headers", msgs)
        T.ok(wait_for(lambda: srv.with_subject("Drafts", "rtls-imap-req") == [], 40),
             "the draft is gone from the IMAP server", srv.files("Drafts"))
        T.ok(wait_for(lambda: len(srv.with_subject("Sent", "rtls-imap-req")) == 1, 30)
             and MARKER.encode() not in srv.with_subject("Sent", "rtls-imap-req")[0][1]
             and not sent_with(c, "rtls-imap-req"),
             "one Sent copy on the IMAP server, without the marker", srv.files("Sent"))
        T.ok(c.wait_gone("rtls-imap-req - Compose", 20), "the composer closed")

        # 2b. a draft saved elsewhere (another computer, or Claws' cache cleared): Claws
        # fetches it from the server on re-edit, and the choice comes with it
        found = save_draft(c, srv, "rtls-imap-fetched", "t")
        uid = srv.uid("Drafts", found[0][0]) if found else None
        cached = [os.path.join(r, str(uid))
                  for r, _, fs in os.walk(os.path.join(c.prof, "imapcache"))
                  if os.path.basename(r) == "Drafts" and str(uid) in fs]
        for p in cached:
            os.unlink(p)
        T.ok(len(found) == 1 and cached and count(header_block(found[0][1]), MARKER) == 1,
             "a second Require TLS draft on the server; Claws' cached copy removed", cached)
        fetches = c.log_text().count("IMAP> ")
        w, kept = reopen(c, uid, "rtls-imap-fetched", "require") if uid else (None, False)
        T.ok(w is not None and kept and c.log_text().count("IMAP> ") > fetches
             and all(os.path.exists(p) for p in cached),
             "re-edited from the server's copy: Require TLS again", c.log_text()[-1500:])
        peer.clear()
        msgs, m, h = send_now(c, peer, w, "rtls-imap-fetched")
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True and field_count(h, MARKER) == 0
             and field_count(h, "TLS-Required") == 0
             and wait_for(lambda: srv.with_subject("Drafts", "rtls-imap-fetched") == [], 40)
             and wait_for(lambda: len(srv.with_subject("Sent", "rtls-imap-fetched")) == 1, 30),
             "sent once with REQUIRETLS, no marker; the draft gone from the server; one Sent "
             "copy", (msgs, srv.files("Drafts")))

        # 2c. saved while writing (Ctrl+S keeps the composer open), then sent from the same
        # composer: the plugin sends it and removes that draft from the server
        subject = "rtls-imap-saved-sent"
        w = c.compose(subject)
        c.choose(w, "t")
        before = c.log_text().count("REQUIRETLS: draft written with ")
        mark = len(c.log_text())
        c.keys(w, "ctrl+s")
        c.wait_log("REQUIRETLS: draft written with ", before, 15)
        T.ok(wait_for(lambda: srv.with_subject("Drafts", subject), 60)
             and count(header_block(srv.with_subject("Drafts", subject)[0][1]), MARKER) == 1,
             "saved while writing: the draft with the marker is on the server",
             srv.files("Drafts"))
        # Claws has saved it once the composer knows the draft it replaces (Claws' --debug
        # line "got draft msgnum N from adding", after the upload): only then the send
        wait_for(lambda: "got draft msgnum" in c.log_text()[mark:], 10)
        peer.clear()
        msgs, m, h = send_now(c, peer, w, subject)
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True and field_count(h, MARKER) == 0
             and field_count(h, "TLS-Required") == 0
             and wait_for(lambda: srv.with_subject("Drafts", subject) == [], 40)
             and wait_for(lambda: len(srv.with_subject("Sent", subject)) == 1, 30),
             "then sent once with REQUIRETLS; its draft gone from the server; one Sent copy",
             (msgs, srv.files("Drafts")))

        # 3. Don't require TLS, the same way
        found = save_draft(c, srv, "rtls-imap-no", "n")
        data = found[0][1] if found else b""
        blk = header_block(data)
        T.ok(len(found) == 1 and count(blk, "TLS-Required") == 1
             and re.search(r"(?m)^TLS-Required: No$", blk) and count(blk, MARKER) == 0,
             "Don't require TLS: the draft on the IMAP server carries one TLS-Required: No, "
             "no marker", blk)
        manual = re.search(r"(?m)^X-Claws-Manual-Headers:(.*)$", special_headers(data))
        T.ok(found and manual is not None and "tls-required" not in manual.group(1).lower()
             and MARKER.lower() not in manual.group(1).lower() and count(blk, "To") == 1,
             "no header row holds it", data[:900])
        uid = srv.uid("Drafts", found[0][0]) if found else None
        w, kept = reopen(c, uid, "rtls-imap-no", "no-require") if uid else (None, False)
        T.ok(w is not None and kept, "re-edited from the IMAP Drafts: Don't require TLS again",
             c.log_text()[-1500:])
        peer.clear()
        msgs, m, h = send_now(c, peer, w, "rtls-imap-no")
        T.ok(len(msgs) == 1 and not m.get("requireTLS") and m.get("rcpts") == ["bob@example.net"]
             and field_count(h, "TLS-Required") == 1 and "\r\nTLS-Required: No\r\n" in h
             and field_count(h, MARKER) == 0,
             "sent once by Claws, with exactly one TLS-Required: No and no marker", msgs)
        T.ok(wait_for(lambda: srv.with_subject("Drafts", "rtls-imap-no") == [], 40),
             "the draft is gone from the IMAP server", srv.files("Drafts"))
        T.ok(wait_for(lambda: len(srv.with_subject("Sent", "rtls-imap-no")) == 1, 30),
             "one Sent copy on the IMAP server", srv.files("Sent"))

        # 4. Send later with Require TLS into a queue on the IMAP server (account 3)
        peer.clear()
        subject = "rtls-imap-queue"
        c.remote("--compose", f"mailto:bob@example.net?from=alice3@example.org"
                              f"&subject={subject}&body=Queued.")
        w = c.wait_window(f"{subject} - Compose", 60)
        composer_shown(c, subject)
        c.choose(w, "t")
        for attempt in range(3):
            c.keys(w, "shift+ctrl+s")
            if c.wait_gone(f"{subject} - Compose", 15):
                break
            T.diag(f"{subject}: Send later lost, again")
        T.ok(wait_for(lambda: srv.with_subject("Queue", subject), 30),
             "Send later: the entry is in the Queue on the IMAP server", srv.files("Queue"))
        queued = srv.with_subject("Queue", subject)
        blk = header_block(queued[0][1]) if queued else ""
        T.ok(len(queued) == 1 and count(blk, MARKER) == 1 and count(blk, "TLS-Required") == 0
             and "R:<bob@example.net>" in special_headers(queued[0][1]),
             "it carries the marker once, no TLS-Required", blk)
        T.ok(c.wait_log("is marked Require TLS; locked", 0, 20)
             and c.wait_log("REQUIRETLS: queue entry tagged:", 0, 20),
             "the plugin locked it and tagged it with where it is sent from",
             [l for l in c.log_text().splitlines() if "queue entry" in l][-6:])
        c.screenshot("imap-queue-send-later")
        # Claws' own sender (Send queued messages, --send) must not send it
        mark = len(c.log_text())
        c.remote("--send")
        # Claws' sender passes over each queue folder (the local one, then the IMAP one)
        # between an inc_lock and an inc_unlock (its --debug lines from procmsg.c); a send
        # would happen inside that pass. Without those lines, the time bounds it
        wait_for(lambda: len(re.findall(r"(?m)^procmsg\.c:\d+:called inc_unlock",
                                        c.log_text()[mark:])) >= 2, 10)
        T.ok(peer.events("mail") == [] and len(srv.with_subject("Queue", subject)) == 1,
             "Claws' own sender leaves it queued: nothing reached the server",
             peer.events())
        # Tools → Send queued REQUIRETLS messages: sent with REQUIRETLS from the IMAP queue
        main = c.wait_window("Claws Mail", 5)
        win = None
        for attempt in range(3):
            c.keys(main, "Escape", "alt+t", "q")
            win = c.wait_window("Sending queued REQUIRETLS messages", 10)
            if win is not None:
                break
            T.diag("queue window: menu keys lost, again")
        D.wait_events(peer, "message", 1, timeout=40)
        # the run is over: what it sent has arrived
        q = c.queue_done(30)
        msgs = peer.events("message")
        m = msgs[0] if msgs else {}
        h = m.get("headers", "")
        T.ok(win is not None and len(msgs) == 1 and m.get("requireTLS") is True
             and m.get("mailFrom") == "alice3@example.org" and field_count(h, MARKER) == 0
             and field_count(h, "TLS-Required") == 0 and q is not None
             and q["progress"] == "Done: 1 of 1 message sent."
             and [r.split(":", 1)[0] for r in q["results"]] == [f"✔ “{subject}”"],
             "Tools → Send queued REQUIRETLS messages sends it once, with REQUIRETLS, "
             "without the marker; its window says so", (msgs, q))
        T.ok(wait_for(lambda: srv.with_subject("Queue", subject) == [], 40),
             "then the entry is gone from the IMAP Queue", srv.files("Queue"))
        T.ok(wait_for(lambda: len(sent_with(c, subject)) == 1, 20)
             and MARKER.encode() not in c.read("sent", sent_with(c, subject)[0]),
             "one Sent copy, without the marker", c.folder("sent"))
        if win:
            c.xdo("windowclose", win)

        # 4b. Send (not later) with Require TLS from the same account: the plugin writes the
        # entry into the IMAP Queue, keeps it locked and sends it itself, with REQUIRETLS
        peer.clear()
        subject = "rtls-imap-queue-now"
        c.remote("--compose", f"mailto:bob@example.net?from=alice3@example.org"
                              f"&subject={subject}&body=Now.")
        w = c.wait_window(f"{subject} - Compose", 60)
        composer_shown(c, subject)
        c.choose(w, "t")
        msgs, m, h = send_now(c, peer, w, subject)
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True
             and m.get("mailFrom") == "alice3@example.org" and field_count(h, MARKER) == 0
             and field_count(h, "TLS-Required") == 0,
             "Send with the queue on IMAP: sent once with REQUIRETLS, no marker", msgs)
        T.ok(c.wait_gone(f"{subject} - Compose", 20)
             and wait_for(lambda: srv.with_subject("Queue", subject) == [], 40)
             and wait_for(lambda: len(sent_with(c, subject)) == 1, 20),
             "the composer closed; nothing left in the IMAP Queue; one Sent copy",
             (srv.files("Queue"), c.folder("sent")))
        c.stop()
finally:
    x.stop()
T.done()
