#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: a filtering rule redirects incoming mail (a batch composer, where no dialog may
open). With Require TLS as the plugin's default, the redirect goes out with REQUIRETLS; against
a server without REQUIRETLS it is not sent, no dialog opens, and it waits locked in the queue."""
import os
import sqlite3
import time

import clawsdriver as D
from clawsdriver import T

D.require()

T.plan(10)


wait_events = D.wait_events


def setup_incoming(c, subject):
    mbox = os.path.join(c.dir, "incoming.mbox")
    with open(mbox, "w") as f:
        f.write("From someone@example.net Tue Nov 24 10:00:00 2026\n"
                "From: Someone <someone@example.net>\nTo: alice@example.org\n"
                f"Subject: {subject}\nMessage-ID: <{subject}@example.net>\n"
                "Date: Tue, 24 Nov 2026 10:00:00 +0000\n\nPlease pass this on.\n\n")
    with open(os.path.join(c.prof, "accountrc"), "a") as f:
        f.write("\n[Account: 2]\naccount_name=Local\nis_default=0\nname=Alice\n"
                "address=alice@example.org\nprotocol=3\n"
                f"local_mbox={mbox}\nconfig_version=4\n")
    with open(os.path.join(c.prof, "matcherrc"), "w") as f:
        f.write("[preglobal]\n\n[postglobal]\n\n[filtering]\n"
                f'enabled rulename "pass on" subject matchcase "{subject}" '
                'redirect 1 "carol@example.gov"\n')


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=600) as peer, \
         T.smtp_peer(certs, "--starttls", "--hide-requiretls", lifetime=600) as bare:
        c = D.Claws(x, peer.port, ca, T.HELPER, default="require")
        setup_incoming(c, "rtls-redirect")
        # a damaged store (not a database at all): moved aside, the person told once, and
        # the plugin goes on with a new one (the send below is made with it)
        db = os.path.join(c.prof, "requiretls.db")
        with open(db, "wb") as f:
            f.write(b"this is not an SQLite database\0" * 200)
        c.start()
        note = c.window("REQUIRETLS: the history of your sends", 20)
        aside = [n for n in os.listdir(c.prof) if n.startswith("requiretls.db.damaged-")]
        texts = [w.text for w in note.walk() if w.text] if note else []
        T.ok(note is not None and len(aside) == 1 and
             any("requiretls.db.damaged-" in t for t in texts) and
             open(os.path.join(c.prof, aside[0]), "rb").read(30) == b"this is not an SQLite database",
             "a damaged store is moved aside whole and the note says where", (aside, texts))
        T.ok(note is not None and not any(b.text and "details" in b.text.lower()
                                           for b in note.walk()
                                           if b.type == "GtkButton" and b.mapped),
             "the note offers no 'Show details' that would do nothing", texts)
        c.remote("--receive-all")
        msgs = wait_events(peer, "message", 1, timeout=30)
        m = msgs[0] if msgs else {}
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True and m.get("rcpts") == ["carol@example.gov"],
             "a filter's Redirect goes out with REQUIRETLS", msgs)
        c.wait_results("closed", 1, 10)  # the send's bookkeeping is over: the entry removed
        T.ok(c.folder("queue") == [] and c.windows("Compose") == [],
             "no queue entry and no composer left behind", c.folder("queue"))
        c.stop()
        peer.clear()

        c2 = D.Claws(x, peer.port, ca, T.HELPER, default="require",
                     plugin_conf_extra=f"host=localhost\nport={bare.port}\nstarttls=true\n")
        setup_incoming(c2, "rtls-redirect-refused")
        c2.start()
        c2.remote("--receive-all")
        c2.wait_results("failed", 1, 30)
        T.ok(bare.events("mail") == [] and peer.events("mail") == [],
             "refused: nothing was sent anywhere", (bare.events(), peer.events()))
        # the refusal's dialog would be made at once after the journal's record, in the same
        # turn of Claws' main loop: the inspector, answering from that loop later, would see it
        T.ok(c2.window("^REQUIRETLS: not sent$", 0) is None
             and c2.windows("REQUIRETLS: not sent") == [], "no dialog opens for a filter action")
        T.ok(len(c2.folder("queue")) == 1, "the redirect waits in the queue", c2.folder("queue"))
        c2.remote("--send")
        time.sleep(3)  # (proving an absence takes a wait): nothing goes out
        T.ok(bare.events("mail") == [] and peer.events("mail") == [] and
             len(c2.folder("queue")) == 1, "locked: claws-mail --send leaves it alone")
        c2.stop()

        # a store damaged inside (its first page sound, pages in the middle overwritten):
        # opening does not read the whole file; the check in a thread finds it, and the
        # store is replaced between sends
        c3 = D.Claws(x, peer.port, ca, T.HELPER, default="require")
        db = os.path.join(c3.prof, "requiretls.db")
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE filler (x TEXT)")
        con.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 2000)
        con.commit()
        con.close()
        size = os.path.getsize(db)
        with open(db, "r+b") as f:
            f.seek(size // 2 // 4096 * 4096)
            f.write(b"\x5a" * 3 * 4096)
        c3.start()
        note = c3.window("REQUIRETLS: the history of your sends", 30)
        aside = [n for n in os.listdir(c3.prof) if n.startswith("requiretls.db.damaged-")]
        T.ok(note is not None and len(aside) == 1 and
             any(w.text and "requiretls.db.damaged-" in w.text for w in note.walk()),
             "a store damaged inside is found by the check off the main loop, moved aside, "
             "and the note says where", aside)
        ok = sqlite3.connect(db).execute("PRAGMA quick_check").fetchone()[0]
        T.ok(ok == "ok" and "damaged" in c3.log_text(),
             "the new store is sound, and Claws' log says what happened", ok)
        c3.stop()
finally:
    x.stop()
T.done()
