#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: a bounce comes back into real Claws Mail. A message is sent with Require TLS
through nodemailer's smtp-server; a matching 5.7.30 bounce (the Postfix 3.11 format from the
corpus, with this send's ENVID and Message-ID), a forged one and an ordinary message are put
into a local mbox account; "claws-mail --receive-all" fetches them. The real bounce is tagged,
the Sent copy too, a note appears without taking the focus, the REQUIRETLS delivery window
lists it (also after a restart), the next composer to that domain warns; the forged bounce is
listed as unverified and never shown as a failure.

Its last step restarts Claws in German: the window and the rows written in English read in
German (the words of every row in German and French are checked by tests/unit/test-delivery.c).
With RTLS_E2E_LANG=de_DE.UTF-8 the whole run is in German (by hand: no test runs it twice)."""
import os
import re
import time

import clawsdriver as D
from clawsdriver import T, wait_for

D.require()

T.plan(29)

CORPUS = os.path.join(T.SRCDIR, "data", "dsn")
URGENT = "Urgent: resend without TLS"  # the forged bounce's subject
LANG = os.environ.get("RTLS_E2E_LANG", "C.UTF-8")
GERMAN = LANG.startswith("de")
SHOT = "-de" if GERMAN else ""
# what the person sees, in the language of the run
W = {
    "note": "REQUIRETLS-Zustellproblem" if GERMAN else "REQUIRETLS delivery problem",
    "window": "^REQUIRETLS-Zustellung$" if GERMAN else "^REQUIRETLS delivery$",
    "failed": "fehlgeschlagen" if GERMAN else "failed",
    "unverified": ("unbestätigte Unzustellbarkeitsmeldung" if GERMAN
                   else "unverified bounce"),
    "bounced": "kam zurück" if GERMAN else "bounced",
    # the status line leads with it: the domain, that it bounced and when, then why
    "warning": (r"example\.org hat Ihre letzte REQUIRETLS-Nachricht zurückgeschickt "
                r"\((\d{1,2})\. [^)]+\): .*unterstützt REQUIRETLS nicht" if GERMAN else
                r"example\.org returned your last REQUIRETLS message \((\d{1,2}) [^)]+\): "
                r".*does not support REQUIRETLS"),
    "tag": "REQUIRETLS fehlgeschlagen" if GERMAN else "REQUIRETLS failed",
    # the window's buttons by their mnemonics
    "open_bounce": "alt+m" if GERMAN else "alt+b",
    "open_sent": "alt+k" if GERMAN else "alt+s",
    "resend": "alt+b" if GERMAN else "alt+e",
    "forget": "alt+v" if GERMAN else "alt+f",
    # the count above the list, without and with a search
    "count": r"^(\d+) Nachrichten?$" if GERMAN else r"^(\d+) messages?$",
    "count_of": r"^(\d+) von (\d+) Nachrichten?$" if GERMAN else r"^(\d+) of (\d+) messages?$",
}


def records(c, result):
    out = []
    for line in c.journal().splitlines():
        kv = dict(f.split("=", 1) for f in line.split("\t") if "=" in f)
        if kv.get("result") == result:
            out.append(kv)
    return out


def mbox_entry(raw):
    # mboxrd: a "From " line first, body lines starting "From " quoted
    body = re.sub(rb"^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"), flags=re.M)
    return b"From MAILER-DAEMON Wed Nov 25 08:00:05 2026\n" + body.rstrip(b"\n") + b"\n\n"


def bounce_for(envid, msgid, subject):
    with open(os.path.join(CORPUS, "postfix311-5.7.30.eml"), "rb") as f:
        raw = f.read()
    raw = raw.replace(b"rtls-aaaaaaaabbbbbbbbcccccccc@sender.test", msgid.strip("<>").encode())
    raw = raw.replace(b"rtls-aaaaaaaabbbbbbbbcccccccc", envid.encode())
    raw = raw.replace(b"Board minutes (REQUIRETLS)", subject.encode())
    raw = raw.replace(b"alice@sender.test", b"alice@example.org")
    return raw


def open_delivery_window(c):
    """Tools → REQUIRETLS delivery, by keyboard: F10 opens the menu bar, four steps right is
    Tools, Up wraps to its last item, which is ours."""
    main = c.wait_window("Claws Mail", 5)
    for attempt in range(3):
        c.keys(main, "Escape", "F10", "Right", "Right", "Right", "Right", "Up", "Return")
        w = c.wait_window(W["window"], 8)
        if w is not None:
            return w
        T.diag(f"delivery window: menu keys lost, again (attempt {attempt + 2})")
    return None


def select_row(c, w, state, subject):
    """Moves the list's cursor until the selected row is the one with @state and @subject."""
    def selected():
        rows, sel = c.delivery_rows(5)
        return (sel is not None and sel < len(rows) and rows[sel]["state"] == state
                and rows[sel]["subject"] == subject)
    for key in ["Down"] * 6 + ["Up"] * 8:
        if selected():
            return True
        c.keys(w, key, pause=0.3)
    return selected()


def shown(rows):
    """The rows as the person sees them, in order."""
    return [tuple(r[k] for k in D.DELIVERY_COLUMNS if k != "index") for r in rows]


def row(rows, state, subject):
    """The row with @state and @subject, or None."""
    found = [r for r in rows if r["state"] == state and r["subject"] == subject]
    return found[0] if found else None


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
D.PLUGIN = D.localised_plugin()
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=600) as peer:
        c = D.Claws(x, peer.port, ca, T.HELPER)
        mbox = os.path.join(c.dir, "incoming.mbox")
        open(mbox, "wb").close()
        with open(os.path.join(c.prof, "accountrc"), "a") as f:
            f.write("\n[Account: 2]\naccount_name=Local\nis_default=0\nname=Alice\n"
                    "address=alice@example.org\nprotocol=3\n"
                    f"local_mbox={mbox}\nfilter_on_receive=1\nconfig_version=4\n")
        c.start()

        # 1. a message with Require TLS, accepted by the submission server
        w = c.compose("rtls-bounce-me", to="bob@example.org")
        c.choose(w, "t")
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 1)
        m = msgs[0] if msgs else {}
        envid = str(m.get("mailArgs", {}).get("ENVID", ""))
        mid = re.search(r"(?im)^Message-ID:\s*(<[^>]+>)", m.get("headers", ""))
        mid = mid.group(1) if mid else ""
        T.ok(m.get("requireTLS") is True and envid.startswith("rtls-") and mid,
             "sent with REQUIRETLS, our ENVID and a Message-ID", (envid, mid))
        wait_for(lambda: any(r.get("envid") == envid for r in records(c, "closed")), 20)
        # and a second one, whose bounce arrives in the same fetch
        w = c.compose("rtls-bounce-two", to="dave@example.net")
        c.choose(w, "t")
        c.keys(w, "ctrl+Return")
        msgs = D.wait_events(peer, "message", 2)
        m2 = msgs[1] if len(msgs) > 1 else {}
        envid2 = str(m2.get("mailArgs", {}).get("ENVID", ""))
        mid2 = re.search(r"(?im)^Message-ID:\s*(<[^>]+>)", m2.get("headers", ""))
        mid2 = mid2.group(1) if mid2 else ""
        wait_for(lambda: any(r.get("envid") == envid2 for r in records(c, "closed")), 20)

        # 2. the bounce, a forged one and an ordinary message arrive in the local mbox
        with open(os.path.join(CORPUS, "forged-unknown-envid.eml"), "rb") as f:
            forged = f.read()
        ordinary = (b"From: Bob <bob@example.org>\nTo: alice@example.org\n"
                    b"Subject: lunch?\nMessage-ID: <lunch@example.org>\n"
                    b"Date: Wed, 25 Nov 2026 09:00:00 +0000\n\nAt noon?\n")
        with open(mbox, "wb") as f:
            f.write(mbox_entry(bounce_for(envid, mid, "rtls-bounce-me")))
            f.write(mbox_entry(bounce_for(envid2, mid2, "rtls-bounce-two")
                               .replace(b"bob@example.org", b"dave@example.net")))
            f.write(mbox_entry(forged))
            f.write(mbox_entry(ordinary))
        main = c.wait_window("Claws Mail", 5)
        c.xdo("windowfocus", "--sync", main)
        c.remote("--receive-all")
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not (len(records(c, "bounced")) >= 2
                                                   and records(c, "unverified")):
            time.sleep(0.5)
        time.sleep(2)
        b2 = [r for r in records(c, "bounced") if r.get("envid") == envid2]
        b = [r for r in records(c, "bounced") if r.get("envid") != envid2]
        T.ok(len(b2) == 1 and b2[0].get("recipient") == "dave@example.net",
             "the second bounce of the fetch is recorded against its own send", c.journal())
        T.ok(len(b) == 1 and b[0].get("envid") == envid and
             b[0].get("recipient") == "bob@example.org" and
             b[0].get("enhanced-code") == "5.7.30",
             "the bounce is recorded against this send, recipient and 5.7.30", c.journal())
        u = records(c, "unverified")
        T.ok(len(u) == 1 and "deadbeef" in u[0].get("envid", "") and
             not any("deadbeef" in r.get("envid", "") for r in b),
             "the forged bounce is recorded only as unverified", u)
        inbox = [c.read("inbox", n).split(b"\n\n")[0] for n in c.folder("inbox")]
        subjects = sorted(re.search(rb"(?m)^Subject: (.*)$", h).group(1).decode()
                          for h in inbox)
        T.ok(len(inbox) == 4, "the four messages arrived once each in the Inbox", subjects)
        log = c.log_text()
        T.ok(f'tagged the bounce "{W["tag"]}"' in log and
             'tagged the Sent copy' in log,
             "the bounce and the Sent copy are tagged \"REQUIRETLS failed\"",
             [line for line in log.splitlines() if "tagged" in line])

        # 3. a note that does not take the focus, about ours only
        notes = c.windows(W["note"])
        T.ok(len(notes) == 1, "a note appears in the main window", notes)
        focus = c.xdo("getwindowfocus").strip()
        T.ok(focus not in notes, "the note did not take the keyboard focus", (focus, notes))
        # what the note says (one line a bounce, the newest first)
        said = [w.said() for w in c.screen() if w.title == W["note"]]
        last = said[0] if said else ""
        T.ok("rtls-bounce-me" in last and W["bounced"] in last and
             "5.7.30" in last and "bob@example.org" in last and "Urgent" not in last,
             "it names the subject, the recipient and 5.7.30; the forged one is not in it",
             said)
        T.ok(len(notes) == 1 and "rtls-bounce-two" in last and "dave@example.net" in last,
             "the two bounces of one fetch are in the one note: the second did not replace "
             "the first", said)
        shot = c.screenshot("bounce-notification" + SHOT)

        # 4. the REQUIRETLS delivery window
        w = open_delivery_window(c)
        rows, _ = c.delivery_rows() if w else ([], None)
        c.screenshot("delivery-window" + SHOT)
        failed = row(rows, W["failed"], "rtls-bounce-me")
        T.ok(failed is not None and failed["recipient"] == "bob@example.org" and
             failed["status"] and not failed["status"][0].isdigit()
             and "5.7.30" not in failed["status"] and failed["weight"] == "700",
             "the delivery window lists the failure in bold, its status in plain words (the "
             "code is in the details pane)", rows)
        forged = row(rows, W["unverified"], URGENT)
        T.ok(forged is not None and forged["recipient"] == "bob@example.org" and
             row(rows, W["failed"], URGENT) is None,
             "the forged bounce is listed as unverified, never as failed", rows)
        # the bounce's "Diagnostic-Code: X-Postfix; REQUIRETLS support is required, …": the
        # window shows the server's words without the diagnostic-type (RFC 3464 §2.3.6)
        words = failed["words"] if failed else ""
        T.ok(words.startswith("REQUIRETLS support is required, but was not offered") and
             not re.match(r"\s*X-Postfix\s*;", words, re.I),
             "the server's words of the Postfix bounce are shown without \"X-Postfix;\"",
             words)
        # the search: part of a subject leaves that message's rows only, the count says how
        # many messages match of how many; Escape clears it and every row is back. Here
        # every message has a subject of its own.
        messages = len({r["subject"] for r in rows})
        wait_for(lambda: re.match(W["count"], c.delivery_count() or ""), 10)
        said = c.delivery_count()
        m = re.match(W["count"], said or "")
        T.ok(messages == 3 and m and int(m.group(1)) == messages,
             "the delivery window says how many messages it lists", (said, messages, rows))
        typed = c.delivery_search("bounce-tw") if w else False
        wait_for(lambda: {r["subject"] for r in c.delivery_rows(5)[0]} == {"rtls-bounce-two"},
                 10)
        found = c.delivery_rows(5)[0]
        wait_for(lambda: re.match(W["count_of"], c.delivery_count() or ""), 10)
        said = c.delivery_count()
        m = re.match(W["count_of"], said or "")
        T.ok(typed and found and {r["subject"] for r in found} == {"rtls-bounce-two"} and
             len(found) == len([r for r in rows if r["subject"] == "rtls-bounce-two"]) and
             m and (int(m.group(1)), int(m.group(2))) == (1, messages),
             "a search for part of a subject lists that message's rows only, and says 1 of "
             f"{messages}", (typed, said, found))
        c.screenshot("delivery-window-search" + SHOT)
        cleared = c.delivery_search("") if w else False
        wait_for(lambda: len(c.delivery_rows(5)[0]) == len(rows), 10)
        back = c.delivery_rows(5)[0]
        wait_for(lambda: re.match(W["count"], c.delivery_count() or ""), 10)
        said = c.delivery_count()
        m = re.match(W["count"], said or "")
        # (the model's "index" column is the window's own bookkeeping)
        T.ok(cleared and shown(back) == shown(rows) and m and
             int(m.group(1)) == messages,
             "Escape clears the search: every row is back, and the count", (said, back))
        if w:
            c.keys(w, "Escape")
            c.xdo("windowclose", w)

        # 5. the next composer to that domain with Require TLS warns
        w = c.compose("rtls-next", to="carol@example.org")
        c.choose(w, "t")
        wait_for(lambda: re.match(W["warning"], c.status_line("^rtls-next - ")[0] or ""), 10)
        c.screenshot("composer-domain-warning" + SHOT)
        said = c.status_line("^rtls-next - ")[0] or ""
        m = re.match(W["warning"], said)
        T.ok(m and m.group(1) == str(int(m.group(1))),
             "the composer's status line leads with example.org's last REQUIRETLS bounce "
             "(the date unpadded)", said)
        c.xdo("windowclose", w)
        time.sleep(1)
        for d in c.windows("Save"):
            c.keys(d, "Escape")
        T.ok(peer.events("mail")[2:] == [], "nothing was resent by itself",
             peer.events("mail"))

        # 6. the same mbox delivered again: the bounce is recorded once
        with open(mbox, "wb") as f:
            f.write(mbox_entry(bounce_for(envid, mid, "rtls-bounce-me")))
        c.remote("--receive-all")
        # the copy arrives in the Inbox; then a moment for a second record to appear if one
        # were made (proving an absence takes a wait)
        wait_for(lambda: len(c.folder("inbox")) == 5, 20)
        time.sleep(2)
        T.ok(len(records(c, "bounced")) == 2, "a bounce seen twice is recorded once",
             records(c, "bounced"))

        # 7. after a restart the window still knows
        c.stop()
        c.start()
        w = open_delivery_window(c)
        rows, _ = c.delivery_rows() if w else ([], None)
        failed = row(rows, W["failed"], "rtls-bounce-me")
        T.ok(failed is not None and failed["recipient"] == "bob@example.org" and
             failed["status"] != "",
             "after a restart the delivery window lists the failure again", rows)
        T.ok(row(rows, W["unverified"], URGENT) is not None, "and the unverified one", rows)

        # 8. the window's actions: open the bounce, open the Sent copy, edit and resend, forget
        ok = w is not None and select_row(c, w, W["failed"], "rtls-bounce-me")
        _, details = c.find_named("rtls-delivery-details", 5)
        win = c.window(W["window"], 5)
        T.ok(ok and details is not None and "5.7.30" in (details.text or "")
             and win is not None and win.ww <= 1280 and win.wh <= 800,
             "the selected row's status code is in the details pane, and the window fits a "
             "1280×800 screen", (details.text if details else None,
                                 (win.ww, win.wh) if win else None))
        if ok:
            c.keys(w, W["open_bounce"])
        b = c.wait_window("Undelivered Mail Returned to Sender", 10) if ok else None
        T.ok(b is not None, "Open bounce shows the report that came back")
        if b:
            c.xdo("windowclose", b)
        if ok:
            c.keys(w, W["open_sent"])
        s_ = c.wait_window("^rtls-bounce-me$", 10) if ok else None
        T.ok(s_ is not None, "Open Sent copy shows the message as it was sent")
        if s_:
            c.xdo("windowclose", s_)
        peer.clear()
        if ok:
            c.keys(w, W["resend"])
        comp = c.wait_window("rtls-bounce-me", 20) if ok else None
        if comp:
            time.sleep(1)
            c.screenshot("resend-composer" + SHOT)
            c.keys(comp, "ctrl+Return")
        # the domain returned the last one: Send asks first (issue 22), the person sends anyway
        q = c.window("^REQUIRETLS: it would come back$", 15) if comp else None
        asked = q.said() if q else ""
        if q:
            c.keys(c.wait_window("REQUIRETLS: it would come back", 5), "alt+s")
        msgs = D.wait_events(peer, "message", 1) if comp else []
        m = msgs[0] if msgs else {}
        T.ok(asked.startswith("This message would come back from bob@example.org. | "
                              "example.org: it returned your last REQUIRETLS message"),
             "Send first says that example.org returned the last one and would again", asked)
        T.ok(len(msgs) == 1 and m.get("requireTLS") is True and
             "rtls-bounce-me" in m.get("headers", "") and m.get("rcpts") == ["bob@example.org"],
             "Edit and resend, Send anyway: the same content goes out with REQUIRETLS",
             (len(msgs), m.get("requireTLS"), m.get("rcpts")))
        # the resend's own row ("sent") joins the list when its send is journaled
        wait_for(lambda: len(c.delivery_rows(5)[0]) > len(rows), 15)
        before = c.delivery_rows(5)[0]
        ok = w is not None and select_row(c, w, W["failed"], "rtls-bounce-me")
        if ok:
            c.keys(w, W["forget"])
            wait_for(lambda: len(c.delivery_rows(5)[0]) != len(before), 10)
        after = c.delivery_rows(5)[0]
        T.ok(ok and len(after) == len(before) - 1 and
             row(after, W["failed"], "rtls-bounce-me") is None and
             any(r["subject"] == "rtls-bounce-me" for r in after),
             "Forget removes the row, and only it", (before, after))
        c.stop()

        # 9. Claws restarted in another language: the rows written in this one read in that
        # one (the journal keeps facts; the words are made when shown), the server's words
        # excepted
        other = "fr_FR.UTF-8" if GERMAN else "de_DE.UTF-8"
        c.env["LANG"] = other
        c.start()
        main = c.wait_window("Claws Mail", 5)
        title = "^Remise REQUIRETLS$" if GERMAN else "^REQUIRETLS-Zustellung$"
        for attempt in range(3):  # the menu by position, as open_delivery_window()
            c.keys(main, "Escape", "F10", "Right", "Right", "Right", "Right", "Up", "Return")
            if c.wait_window(title, 8):
                break
        rows, _ = c.delivery_rows()
        two = [r["status"] for r in rows if r["subject"] == "rtls-bounce-two"]
        want = ("un serveur sur le chemin ne prend pas en charge REQUIRETLS" if GERMAN
                else "ein Server auf dem Weg unterstützt REQUIRETLS nicht")
        T.ok(two and want in two[-1] and c.wait_window(title, 5) is not None,
             f"restarted in {other}: the window's title and the bounce row written in "
             f"{'German' if GERMAN else 'English'} read in the new language", rows)
        c.screenshot("delivery-window-relocalised" + SHOT)
        win = c.window(title, 5)
        T.ok(win is not None and win.ww <= 1280 and win.wh <= 800,
             f"in {other} too the window fits a 1280×800 screen",
             (win.ww, win.wh) if win else None)
        c.stop()
finally:
    x.stop()
T.done()
