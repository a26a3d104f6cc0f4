#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the history kept as long as the person chose. An earlier release's journal
with thousands of sends from more than a year ago is imported at the first start; with
"Keep the delivery history for 30 days" the old finished sends are then forgotten, a slice at
a time, and the file gives the space back; what is unfinished and what is recent stays, in the
store and in the delivery window."""
import os
import sqlite3
import time

import clawsdriver as D
from clawsdriver import T

D.require()

T.plan(6)

OLD = 3000
now = int(time.time())


def send_lines(t, n, subject, outcome):
    """One send as the text journal of earlier releases wrote it."""
    envid = f"rtls-{n:024x}"
    common = (f"envid={envid}\tmessage-id=<hist{n}@example.org>\taccount=1\t"
              f"sender=alice@example.org\trecipients=bob@example.net\tsubject={subject}")
    where = "host=localhost\tport=465"
    queue = f"queue-folder=#mh/Mailbox/queue\tqueue-msgnum={n % 50 + 1}"
    if outcome == "not-confirmed":
        return [f"time={t}\t{common}\tresult=started\t{where}",
                f"time={t + 1}\t{common}\tresult=not-confirmed\t{where}\t"
                "explanation=Sending was cancelled."]
    return [f"time={t}\t{common}\tresult=started\t{where}\t{queue}",
            f"time={t + 1}\t{common}\tresult=sent\t{where}\ttls-version=TLS1.3\t"
            f"enhanced-code=2.0.0\t{queue}\tstage=done\tsmtp-code=250",
            f"time={t + 2}\t{common}\tresult=filed\t{where}\t{queue}",
            f"time={t + 2}\t{common}\tresult=closed\t{where}\t{queue}"]


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
x = D.Xvfb()
try:
    with T.smtp_peer(certs, lifetime=600) as peer:
        c = D.Claws(x, peer.port, ca, T.HELPER)
        rc = os.path.join(c.prof, "requiretlsrc")
        with open(rc) as f:
            text = f.read()
        with open(rc, "w") as f:
            f.write(text.replace("[general]\n", "[general]\nhistory-days=30\n", 1))
        lines = []
        year_ago = now - 400 * 86400
        for i in range(OLD):
            lines += send_lines(year_ago + 10 * i, i, f"Old {i}", "sent")
        lines += send_lines(year_ago, OLD, "Old held", "not-confirmed")
        lines += send_lines(now - 2 * 86400, OLD + 1, "Recent one", "sent")
        lines += send_lines(now - 86400, OLD + 2, "Recent two", "sent")
        with open(os.path.join(c.prof, "requiretls-journal"), "w") as f:
            f.write("".join(ln + "\n" for ln in lines))
        c.start()
        T.ok(c.wait_log(f"imported {len(lines)} records of the earlier history", 0, 60),
             "the earlier journal is imported", c.log_text()[-800:])
        T.ok(c.wait_log(f"forgot {OLD} messages older than 30 days", 0, 60),
             "then, with a 30-day retention, the old finished sends are forgotten and the "
             "log says how many", [ln for ln in c.log_text().splitlines() if "REQUIRETLS" in ln])
        db = os.path.join(c.prof, "requiretls.db")

        def subjects():
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                return sorted(r[0] for r in con.execute("SELECT subject FROM message"))
            finally:
                con.close()
        T.ok(subjects() == ["Old held", "Recent one", "Recent two"],
             "what is unfinished (an old send not confirmed) and what is recent stays",
             subjects()[:10])

        def free_pages():
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                return con.execute("PRAGMA freelist_count").fetchone()[0]
            finally:
                con.close()
        T.ok(D.wait_for(lambda: free_pages() == 0, 30),
             "the file gives the space back (no free pages left)", free_pages())
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, "alt+t", "d")
        dw = c.wait_window("^REQUIRETLS delivery$", 10)
        rows, _ = c.delivery_rows() if dw else ([], None)
        T.ok(sorted(r["subject"] for r in rows) == ["Old held", "Recent one", "Recent two"],
             "the delivery window lists those three", [r["subject"] for r in rows][:10])
        T.ok(D.wait_for(lambda: c.delivery_count() == "3 messages", 10),
             "and counts three messages", c.delivery_count())
        c.stop()
finally:
    x.stop()
T.done()
