#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: bounces arrive in real Claws Mail by IMAP and by POP3, as they do for most
users. Debian's Dovecot runs from a private configuration on 127.0.0.1 (implicit TLS with the
test CA, tests/peers/dovecot.py); Claws has an IMAP account (filtering of new messages in the
Inbox on) and a POP3 account on it. A message is sent with Require TLS to five recipients
through nodemailer's smtp-server; the reports about it are delivered into Dovecot with
dovecot-lda, each built from the corpus with this send's ENVID and Message-ID:

  IMAP: bob     5.7.30 (Postfix 3.11's format)           → tag "REQUIRETLS failed"
        dave    5.1.1 unknown user                       → tag "Delivery failed"
        frank   5.7.30, the report as the first part of a gateway's multipart/mixed
                                                         → tag "REQUIRETLS failed"
        a forged 5.7.30 bounce (an ENVID never ours)     → tag "REQUIRETLS unverified"
  POP3: carol   Exim gave up after 450 4.7.30 (real Exim) → tag "REQUIRETLS failed"
        erin    Action: delivered                        → tag "Delivered", no note
        another forged one                               → tag "REQUIRETLS unverified"
        a multipart/report without report-type           → not a report: nothing
        bob's IMAP bounce once more                      → recorded once, not again

Asserted on what Dovecot holds, on the plugin's journal, on Claws' own tag files of the IMAP
cache, the MH Inbox and the Sent folder (read after Claws wrote them at exit), on the note and
on the REQUIRETLS delivery window (by the plugin's debug log of its rows)."""
import os
import re
import struct
import sys
import time

import clawsdriver as D
from clawsdriver import T

sys.path.insert(0, os.path.join(T.SRCDIR, "peers"))
import dovecot  # noqa: E402

D.require()
missing = dovecot.available()
if missing:
    T.skip_all_or_fail(missing)

T.plan(20)

CORPUS = os.path.join(T.SRCDIR, "data", "dsn")
SUBJECT = "rtls-inbox-me"
RCPTS = ["bob@example.org", "carol@example.net", "dave@example.org", "erin@example.org",
         "frank@example.org"]
USERS = {"imapuser": "imap-pass-4711", "popuser": "pop-pass-0815"}


def corpus(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


def about_our_send(name, old_envid, envid, msgid, old_rcpt, rcpt, old_subject):
    """A corpus report made about this send: its ENVID, Message-ID, subject and recipient
    replaced (the Message-ID first: it holds the old ENVID)."""
    raw = corpus(name)
    raw = raw.replace(f"{old_envid}@sender.test".encode(), msgid.strip("<>").encode())
    raw = raw.replace(old_envid.encode(), envid.encode())
    raw = raw.replace(old_rcpt.encode(), rcpt.encode())
    raw = raw.replace(old_subject.encode(), SUBJECT.encode())
    return raw.replace(b"alice@sender.test", b"alice@example.org")


def records(c, result=None):
    out = []
    for line in c.journal().splitlines():
        kv = dict(f.split("=", 1) for f in line.split("\t") if "=" in f)
        if result is None or kv.get("result") == result:
            out.append(kv)
    return out


def tag_names(prof):
    """Claws' tag ids → names (the profile's tagsrc: "id<TAB>name" lines)."""
    names = {}
    try:
        with open(os.path.join(prof, "tagsrc"), encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^(\d+)\t(.*)$", line.rstrip("\n"))
                if m:
                    names[int(m.group(1))] = m.group(2)
    except FileNotFoundError:
        pass
    return names


def read_tags(path, names):
    """A folder's .claws_tags (msgcache.c: a version, then per message its number, its tag
    ids and -1, 32-bit host order) → {msgnum: {tag names}}."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    ints = [v for (v,) in struct.iter_unpack("=i", data[:len(data) // 4 * 4])]
    out, i = {}, 1
    while i < len(ints):
        num, i = ints[i], i + 1
        tags = set()
        while i < len(ints) and ints[i] != -1:
            tags.add(names.get(ints[i], f"#{ints[i]}"))
            i += 1
        i += 1
        out[num] = tags
    return out


def msgid_of(raw):
    m = re.search(rb"(?m)^Message-I[Dd]: *(<[^>]+>)", raw.split(b"\n\n")[0])
    return m.group(1).decode() if m else "?"


def tags_by_message_id(prof, folder_id, folder_dir, names):
    """{Message-ID of the message file: its tags} for one folder of Claws': its tags are in
    the profile's tagsdb/<folder id>/.claws_tags, its message files in @folder_dir (the MH
    folder, or the IMAP cache of one)."""
    out = {}
    path = os.path.join(prof, "tagsdb", folder_id, ".claws_tags")
    for num, tags in read_tags(path, names).items():
        p = os.path.join(folder_dir, str(num))
        if os.path.exists(p):
            with open(p, "rb") as f:
                out[msgid_of(f.read())] = tags
        else:
            out[f"#{num}"] = tags
    return out


def find_imap_inbox(prof):
    for root, dirs, files in os.walk(os.path.join(prof, "imapcache")):
        if os.path.basename(root) == "INBOX":
            return root
    return None


def open_delivery_window(c):
    main = c.wait_window("Claws Mail", 5)
    for attempt in range(3):
        c.keys(main, "Escape", "F10", "Right", "Right", "Right", "Right", "Up", "Return")
        w = c.wait_window("^REQUIRETLS delivery$", 8)
        if w is not None:
            return w
        T.diag(f"delivery window: menu keys lost, again (attempt {attempt + 2})")
    return None


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=900) as peer, \
            dovecot.Dovecot(certs, USERS, parent=T.tmpdir()) as dc:
        c = D.Claws(x, peer.port, ca, T.HELPER)
        # Claws trusts the test CA the way a user's system would trust a real one
        # (SSL_CERT_FILE, src/common/ssl.c), and accepts a certificate that verifies
        # without asking (ssl_certs_auto_accept): no dialog stops the fetch.
        c.env["SSL_CERT_FILE"] = ca
        common = ("name=Alice\naddress=alice@example.org\nreceive_server=localhost\n"
                  "ssl_certs_auto_accept=1\nfilter_on_receive=1\nfilterhook_on_receive=1\n"
                  "receive_at_get_all=1\nconfig_version=4\n")
        with open(os.path.join(c.prof, "accountrc"), "a") as f:
            # IMAP (protocol 1 = A_IMAP4), implicit TLS (ssl_imap 1 = SSL_TUNNEL); Claws
            # moves the password into its password store when it reads the file
            f.write(f"\n[Account: 2]\naccount_name=IMAP\nis_default=0\nprotocol=1\n"
                    f"user_id=imapuser\npassword={USERS['imapuser']}\nssl_imap=1\n"
                    f"set_imapport=1\nimap_port={dc.imap_port}\nimap_auth_method=0\n{common}")
            # POP3 (protocol 0), implicit TLS, messages removed from the server at once
            f.write(f"\n[Account: 3]\naccount_name=POP3\nis_default=0\nprotocol=0\n"
                    f"user_id=popuser\npassword={USERS['popuser']}\nssl_pop=1\n"
                    f"set_popport=1\npop_port={dc.pop3_port}\nremove_mail=1\n"
                    f"message_leave_time=0\nmessage_leave_hour=0\n"
                    f"inbox=#mh/Mailbox/inbox\n{common}")
        c.start()

        # 1. one message with Require TLS to four recipients
        w = c.compose(SUBJECT, to=",".join(RCPTS))
        c.choose(w, "t")
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1, timeout=40)
        m = msgs[0] if msgs else {}
        envid = str(m.get("mailArgs", {}).get("ENVID", ""))
        mid = re.search(r"(?im)^Message-ID:\s*(<[^>]+>)", m.get("headers", ""))
        mid = mid.group(1) if mid else ""
        T.ok(m.get("requireTLS") is True and envid.startswith("rtls-") and mid and
             sorted(m.get("rcpts", [])) == sorted(RCPTS),
             "sent with REQUIRETLS to five recipients, our ENVID and a Message-ID",
             (envid, mid, m.get("rcpts")))
        time.sleep(1.5)

        # 2. the reports, delivered into Dovecot as an MTA would (dovecot-lda)
        bob = about_our_send("postfix311-5.7.30.eml", "rtls-aaaaaaaabbbbbbbbcccccccc", envid,
                             mid, "bob@example.org", "bob@example.org",
                             "Board minutes (REQUIRETLS)")
        dave = about_our_send("rtls-5.1.1-unknown-user.eml", "rtls-c7000000000000000000a511",
                              envid, mid, "bob@example.org", "dave@example.org",
                              "Board minutes (rtls-5.1.1-unknown-user.eml)")
        carol = about_our_send("exim-giveup-4.7.30.eml", "rtls-c1000000000000000000e450",
                               envid, mid, "laterrequiretls@example.net", "carol@example.net",
                               "Quarterly figures (exim-giveup-4.7.30.eml)")
        erin = about_our_send("rtls-delivered.eml", "rtls-c7000000000000000000d000", envid,
                              mid, "bob@example.org", "erin@example.org",
                              "Board minutes (rtls-delivered.eml)")
        frank = about_our_send("nested-mixed-footer.eml", "rtls-c4000000000000000000aaaa",
                               envid, mid, "bob@example.org", "frank@example.org",
                               "Board minutes (nested)")
        forged = corpus("forged-unknown-envid.eml")
        forged2 = forged.replace(b"<bounce-forged-unknown-envid.eml@relay.test>",
                                 b"<bounce-forged-second@relay.test>")
        no_type = corpus("malformed-no-report-type.eml")
        ordinary = (b"From: Bob <bob@example.org>\nTo: alice@example.org\n"
                    b"Subject: lunch?\nMessage-ID: <lunch@example.org>\n"
                    b"Date: Wed, 25 Nov 2026 09:00:00 +0000\n\nAt noon?\n")
        for raw in (bob, dave, frank, forged, ordinary):
            dc.deliver("imapuser", raw)
        for raw in (carol, erin, forged2, no_type, bob):
            dc.deliver("popuser", raw)
        T.ok(len(dc.messages("imapuser")) == 5 and len(dc.messages("popuser")) == 5,
             "Dovecot holds 5 messages for the IMAP user and 5 for the POP3 user",
             (dc.messages("imapuser"), dc.messages("popuser")))

        # 3. Claws fetches both: the IMAP Inbox is scanned and filtered, POP3 is retrieved
        main = c.wait_window("Claws Mail", 5)
        c.xdo("windowfocus", "--sync", main)
        c.remote("--receive-all")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
                len(records(c, "bounced")) >= 4 and records(c, "delivered")
                and len(records(c, "unverified")) >= 2):
            time.sleep(0.5)
        time.sleep(3)
        b = {r.get("recipient"): r for r in records(c, "bounced")}
        T.ok(len(records(c, "bounced")) == 4 and
             b.get("bob@example.org", {}).get("enhanced-code") == "5.7.30" and
             b.get("frank@example.org", {}).get("enhanced-code") == "5.7.30" and
             b.get("dave@example.org", {}).get("enhanced-code") == "5.1.1" and
             b.get("carol@example.net", {}).get("enhanced-code") == "4.7.30" and
             all(r.get("envid") == envid for r in b.values()),
             "by IMAP and POP3: bob 5.7.30, dave 5.1.1, frank 5.7.30 (one level down) and "
             "carol 4.7.30 recorded once each against this send", c.journal())
        T.ok(re.search(r"gave up after: 4\.7\.30 — a server on the path does not support "
                       r"REQUIRETLS", b.get("carol@example.net", {}).get("explanation", "")),
             "Exim's give-up report reads \"gave up after: 4.7.30 …\"",
             b.get("carol@example.net"))
        d = records(c, "delivered")
        T.ok(len(d) == 1 and d[0].get("recipient") == "erin@example.org" and
             d[0].get("envid") == envid,
             "the delivery confirmation for erin is recorded as delivered", d)
        u = records(c, "unverified")
        T.ok(len(u) == 2 and all("deadbeef" in r.get("envid", "") for r in u) and
             not any("deadbeef" in r.get("envid", "") for r in records(c, "bounced")),
             "the two forged bounces are recorded only as unverified", u)
        T.ok(not any("303132333435" in line for line in c.journal().splitlines()),
             "a multipart/report without report-type is not read as a report", c.journal())
        T.ok(dc.messages("popuser") == [] and len(dc.messages("imapuser")) == 5,
             "POP3 took its 5 messages off the server; IMAP left its 5 there",
             (dc.messages("popuser"), dc.messages("imapuser")))
        inbox = [c.read("inbox", n) for n in c.folder("inbox")]
        T.ok(len(inbox) == 5, "the POP3 messages arrived once each in the MH Inbox",
             [msgid_of(r) for r in inbox])

        # 4. the note: about our failures, not the confirmation, not the forged ones; one
        # line a recipient, the newest three, then how many more
        notes = [w.said() for w in c.screen() if w.title == "REQUIRETLS delivery problem"]
        said = notes[0] if notes else ""
        named = [r for r in ("bob@example.org", "carol@example.net", "dave@example.org",
                             "frank@example.org") if r in said]
        T.ok(len(notes) == 1 and len(named) == 3 and "And 1 more." in said and
             ("5.7.30" in said or "4.7.30" in said) and
             "erin@example.org" not in said and "Urgent" not in said,
             "one note names three of bob (5.7.30), carol (4.7.30), dave and frank and one "
             "more, never erin's confirmation or the forged ones", notes)

        # 5. the REQUIRETLS delivery window lists each recipient with what happened
        w = open_delivery_window(c)
        shown, _ = c.delivery_rows() if w else ([], None)
        c.screenshot("delivery-window-inbox")
        rows = [f"state={r['state']} status={r['status']} recipient={r['recipient']} "
                f"subject={r['subject']}" for r in shown]
        # the Status column in plain words (the code is in the details pane); the codes
        # themselves as the store keeps them
        words = r"status=[^0-9\s][^\n]* "
        want = [r"state=failed " + words + r"recipient=bob@example\.org subject=" + SUBJECT,
                r"state=failed " + words + r"recipient=carol@example\.net subject=" + SUBJECT,
                r"state=failed " + words + r"recipient=dave@example\.org subject=" + SUBJECT,
                r"state=failed " + words + r"recipient=frank@example\.org subject=" + SUBJECT,
                r"state=delivered " + words + r"recipient=erin@example\.org subject=" + SUBJECT,
                r"state=unverified bounce status=.* recipient=bob@example\.org subject=Urgent: "]
        j = c.journal()
        codes = [("5.7.30", "bob@example.org"), ("4.7.30", "carol@example.net"),
                 ("5.1.1", "dave@example.org"), ("5.7.30", "frank@example.org"),
                 ("2.0.0", "erin@example.org")]
        coded = all(re.search(rf"enhanced-code={re.escape(k)}\t[^\n]*recipient={re.escape(r)}", j)
                    for k, r in codes)
        T.ok(w is not None and all(any(re.match(p, r) for r in rows) for p in want) and coded and
             not any(re.match(r"state=failed .*subject=Urgent", r) for r in rows),
             "the delivery window lists bob, carol, dave and frank as failed, erin as delivered, "
             "the forged one as unverified", (rows, coded))
        if w:
            c.keys(w, "Escape")
            c.xdo("windowclose", w)

        # 6. fetching again finds nothing new: nothing is recorded twice
        before = c.journal()
        c.remote("--receive-all")
        time.sleep(8)
        T.ok(c.journal() == before, "a second fetch records nothing",
             c.journal()[len(before):])
        T.ok(peer.events("mail")[1:] == [], "nothing was resent by itself", peer.events("mail"))
        c.stop()

        # 7. what Claws wrote at exit: the tags of each message in each folder
        names = tag_names(c.prof)
        imap_dir = find_imap_inbox(c.prof)
        imap_tags = (tags_by_message_id(c.prof, "#imap/IMAP/INBOX", imap_dir, names)
                     if imap_dir else {})
        pop_tags = tags_by_message_id(c.prof, "#mh/Mailbox/inbox", os.path.join(c.mail, "inbox"),
                                      names)
        sent_tags = tags_by_message_id(c.prof, "#mh/Mailbox/sent", os.path.join(c.mail, "sent"),
                                       names)
        T.diag(f"tags: IMAP {imap_tags}; POP3 {pop_tags}; Sent {sent_tags}")
        T.ok(imap_tags.get("<4Q7R2X1Zz9z4y@mx.sender.test>") == {"REQUIRETLS failed"},
             "IMAP: bob's 5.7.30 bounce is tagged \"REQUIRETLS failed\"", imap_tags)
        T.ok(imap_tags.get("<bounce-rtls-5.1.1-unknown-user.eml@mx.sender.test>")
             == {"Delivery failed"},
             "IMAP: dave's 5.1.1 bounce is tagged \"Delivery failed\", not REQUIRETLS's",
             imap_tags)
        T.ok(imap_tags.get("<bounce-nested-mixed-footer.eml@mx.sender.test>")
             == {"REQUIRETLS failed"},
             "IMAP: frank's report inside a gateway's multipart/mixed is found and tagged "
             "\"REQUIRETLS failed\"", imap_tags)
        T.ok(imap_tags.get("<bounce-forged-unknown-envid.eml@relay.test>")
             == {"REQUIRETLS unverified"} and not imap_tags.get("<lunch@example.org>")
             and sum(1 for t in imap_tags.values() if t) == 4,
             "IMAP: the forged bounce is tagged \"REQUIRETLS unverified\", the ordinary "
             "message not at all", imap_tags)
        carol_id = msgid_of(carol)
        T.ok(pop_tags.get(carol_id) == {"REQUIRETLS failed"} and
             pop_tags.get("<bounce-rtls-delivered.eml@mx.sender.test>") == {"Delivered"},
             "POP3: Exim's give-up report is tagged \"REQUIRETLS failed\", erin's "
             "confirmation \"Delivered\"", pop_tags)
        T.ok(pop_tags.get("<bounce-forged-second@relay.test>") == {"REQUIRETLS unverified"}
             and not pop_tags.get("<bounce-malformed-no-report-type.eml@relay.test>")
             and not pop_tags.get("<4Q7R2X1Zz9z4y@mx.sender.test>"),
             "POP3: the forged one is unverified; the report without report-type and bob's "
             "bounce seen a second time get no tag", pop_tags)
        T.ok(sent_tags.get(mid) is not None and
             {"REQUIRETLS failed", "Delivery failed", "Delivered"} <= sent_tags.get(mid, set())
             and "REQUIRETLS unverified" not in sent_tags.get(mid, set()),
             "the Sent copy carries what the reports about it said, never \"unverified\"",
             sent_tags)
finally:
    x.stop()
T.done()
