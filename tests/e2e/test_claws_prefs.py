#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the REQUIRETLS preferences in real Claws Mail, driven by keyboard (mnemonics).

Preferences → Plugins → REQUIRETLS: rules name the account (the id stays in the file, a rule
for a deleted account says so); import says what it did, skips exact duplicates, and a file
with bad lines is refused in its own dialog, line by line, changing nothing.
The account page: fits the dialog at Claws' default size, greys out Host/Port/STARTTLS while
the other server is off, Browse… sets the CA file, "Read the key…" explains failures in
sentences (codes only in Claws' log), leads with "does not offer REQUIRETLS" for such a
server and puts that fact next to the pin button, shows progress and stops the helper on
Cancel. Asserted on the window texts (read by the test inspector, tests/inspect), on the servers
and on the saved requiretlsrc."""
import base64
import hashlib
import os
import re
import socket
import subprocess
import threading
import time

import clawsdriver as D
from clawsdriver import T, wait_for

D.require()

T.plan(36)

LANG = os.environ.get("RTLS_E2E_LANG", "C.UTF-8")
GERMAN = LANG.startswith("de")
# What the person sees, and the mnemonics that reach it, in the run's language.
W = {
    "prefs_menu": ("alt+k", "e") if GERMAN else ("alt+c", "r"),
    "account_menu": ("alt+k", "u") if GERMAN else ("alt+c", "p"),
    "prefs_title": "Einstellungen" if GERMAN else "Preferences",
    "account_title": "Kontoeinstellungen" if GERMAN else "Account preferences",
    "require": "TLS verlangen" if GERMAN else "Require TLS",
    "no_require": "TLS nicht verlangen" if GERMAN else "Don't require TLS",
    "any": "Jedes Konto" if GERMAN else "Any account",
    "gone": "ein Konto, das es nicht mehr gibt" if GERMAN else "an account that no longer exists",
    "import_title": "REQUIRETLS-Regeln importieren" if GERMAN else "Import REQUIRETLS rules",
    "summary": ("3 Regeln hinzugefügt, 2 schon vorhanden." if GERMAN
                else "3 rules added, 2 already there."),
    "not_imported": ("Die Regeldatei wurde nicht importiert | Nichts wurde geändert" if GERMAN
                     else "The rules file was not imported | Nothing was changed"),
    "line": "Zeile" if GERMAN else "line",
    "read_key": "Schlüssel vom Server lesen" if GERMAN else "Read the key from the server",
    "no_rt": "localhost bietet kein REQUIRETLS an" if GERMAN else "localhost does not offer REQUIRETLS",
    "beside": ("Dieser Server bietet kein REQUIRETLS an." if GERMAN
               else "This server does not offer REQUIRETLS."),
    "cert": ("Das Zertifikat von localhost konnte nicht geprüft werden" if GERMAN
             else "The certificate of localhost could not be verified"),
    "ca_title": "Vertrauenswürdige CA-Datei" if GERMAN else "Trusted CA file",
    "reading": ("Der Schlüssel von 127.0.0.1 (Port {}) wird gelesen…" if GERMAN
                else "Reading the key of 127.0.0.1 (port {})…"),
    "cancelled": "abgebrochen" if GERMAN else "cancelled",
    "new_messages": "Neue Nachrichten beginnen mit:" if GERMAN else "New messages start with:",
    # mnemonics: rules page, account page, pin dialog
    "pattern": "alt+m" if GERMAN else "alt+p",
    "account": "alt+k" if GERMAN else "alt+n",
    "add": "alt+z" if GERMAN else "alt+d",
    "import": "alt+i",
    "other": "alt+v" if GERMAN else "alt+e",
    "host": "alt+h",
    "port": "alt+p",
    "ca": "alt+c" if GERMAN else "alt+f",
    "browse": "alt+d" if GERMAN else "alt+b",
    "read": "alt+l" if GERMAN else "alt+r",
    "cancel": "alt+r" if GERMAN else "alt+n",
    "anyway": "alt+a" if GERMAN else "alt+p",
}
SHOT = "-de" if GERMAN else ""
READ_KEY = W["read_key"]


def opened_window(c, title, timeout=15):
    """The X id of the first visible window called exactly @title (xdotool matches a part)."""
    got = []

    def look():
        got[:] = [w for w in c.windows(title) if c.xdo("getwindowname", w) == title]
        return bool(got)
    wait_for(look, timeout)
    return got[0] if got else None


def since(c, mark):
    return c.log_text()[mark:]


def said(c, title, timeout=15):
    """What the dialog @title says (its labels, " | " between them), once it shows."""
    win = c.window(title, timeout)
    return win.said() if win else ""


def rule_rows(c):
    """The rows of the rules list as shown: "pattern | action | account" (the inspector
    reads the list's model: on, pattern, action, account)."""
    win = c.window("^" + re.escape(W["prefs_title"]) + "$", 5)
    view = win.named("rtls-rules") if win else None
    return [" | ".join(r[1:4]) for r in view.rows] if view else []


def account_widget(c, name):
    win = c.window(re.escape(W["account_title"]) + "$", 5)
    return win.named(name) if win else None


def field(c, name):
    """The text of the account page's field @name, or None."""
    w = account_widget(c, name)
    return w.text if w else None


def rules_file(c):
    with open(os.path.join(c.prof, "requiretlsrc")) as f:
        return f.read()


def rule_groups(text):
    """[rule N] groups of requiretlsrc as dicts, in order."""
    out = []
    for m in re.finditer(r"^\[rule \d+\]\n((?:[^\[\n][^\n]*\n?)*)", text, re.M):
        out.append(dict(line.split("=", 1) for line in m.group(1).splitlines() if "=" in line))
    return out


def type_text(c, text, shown=None):
    """Types @text; @shown: a function that tells when the text arrived (then waits for it)."""
    c.xdo("type", "--delay", "30", text)
    if shown is not None:
        wait_for(shown, 10)


def location_entry(c, title):
    """The text of the file chooser @title's location field, or None while it is not shown."""
    win = c.window("^" + re.escape(title) + "$", 2)
    entries = win.find("FileChooserEntry") if win else []
    return entries[0].text or "" if entries else None


def choose_file(c, title, path):
    """The GTK file chooser: a leading "/" opens its location field."""
    w = c.wait_window(title, 15)
    if w is None or c.window("^" + re.escape(title) + "$", 15) is None:
        return False
    # ctrl+l shows the location field (and hides it again: pressed only while not shown)
    for attempt in range(3):
        if attempt:
            T.diag(f"{title}: ctrl+l lost, again (attempt {attempt + 1})")
        c.keys(w, "ctrl+l")
        if wait_for(lambda: location_entry(c, title) is not None, 5):
            break
    type_text(c, path, lambda: location_entry(c, title) == path)
    # Return right after the typing may go to the field's completion instead: again while
    # the chooser (by its id: the answer may have the same title) still shows the path
    for attempt in range(3):
        if attempt:
            T.diag(f"{title}: Return lost, again (attempt {attempt + 1})")
        c.keys(None, "Return")
        if wait_for(lambda: w not in c.windows(title), 4 if attempt < 2 else 10):
            return True
        if location_entry(c, title) != path:
            return False
    return False


class SilentServer:
    """Accepts one connection on 127.0.0.1 and never answers; notes when the client hangs
    up. Stops by itself after @lifetime seconds."""

    def __init__(self, lifetime=120):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(lifetime)
        self.port = self.sock.getsockname()[1]
        self.accepted = self.closed = None
        self.thread = threading.Thread(target=self._run, args=(lifetime,), daemon=True)
        self.thread.start()

    def _run(self, lifetime):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.accepted = time.monotonic()
        conn.settimeout(lifetime)
        try:
            while conn.recv(4096):
                pass
            self.closed = time.monotonic()
        except OSError:
            pass
        conn.close()
        self.sock.close()


certs = T.certs()
ca = os.path.join(certs, "ca.pem")
der = subprocess.run(["certtool", "--pubkey-info", "--outder", "--load-certificate",
                      os.path.join(certs, "server.pem")], capture_output=True).stdout
PIN = base64.b64encode(hashlib.sha256(der).digest()).decode()
work = T.tmpdir()
good_import = os.path.join(work, "rules-import.txt")
with open(good_import, "w") as f:
    f.write("# from a colleague\n"
            "require *.EXAMPLE.gov account=1\n"  # already there (case does not matter)
            "require courts.example\n"
            "no-require news.example\n"
            "require old.example account=7\n"  # already there
            "require lawyer@firm.example account=2\n")
bad_import = os.path.join(work, "rules-bad.txt")
with open(bad_import, "w") as f:
    f.write("require fine.example\nmaybe other.example\nrequire also-fine.example\n"
            "require not a domain\n")

if GERMAN:
    D.PLUGIN = D.localised_plugin((LANG.split("_")[0],))
x = D.Xvfb()
try:
    with T.smtp_peer(certs, "--starttls", lifetime=600) as peer, \
            T.smtp_peer(certs, "--hide-requiretls", lifetime=600) as plain:
        c = D.Claws(x, peer.port, ca, T.HELPER,
                    plugin_conf_extra="\n[rule 1]\npattern=*.example.gov\naction=require\n"
                                      "account=1\n\n[rule 2]\npattern=old.example\n"
                                      "action=require\naccount=7\n")
        # a second account, named: rules pick it by that name
        with open(os.path.join(c.prof, "accountrc"), "a") as f:
            f.write("\n[Account: 2]\naccount_name=Work\nname=Alice Example\n"
                    "address=alice@work.example\nprotocol=4\nsmtp_server=localhost\n"
                    f"set_smtpport=1\nsmtp_port={peer.port}\nssl_smtp=0\nuse_smtp_auth=0\n"
                    "config_version=4\n")
        c.start()

        # ---- Preferences → Plugins → REQUIRETLS -------------------------------------------
        mark = len(c.log_text())
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, *W["prefs_menu"])
        p = opened_window(c, W["prefs_title"])
        T.ok(p is not None, "Configuration → Preferences opens")
        c.xdo("windowsize", p, "1000", "800")
        c.xdo("windowmove", p, "0", "0")
        c.settled("^" + re.escape(W["prefs_title"]) + "$", (0, 0, 1000, 800))
        c.xdo("mousemove", "85", "570")  # page index: Plugins → REQUIRETLS
        c.xdo("click", "1")
        wait_for(lambda: rule_rows(c), 10)  # the page, its list filled
        rows = rule_rows(c)
        T.ok(f"*.example.gov | {W['require']} | Test" in rows,
             "the list names the account of a rule (\"Test\", not 1)", rows)
        T.ok(f"old.example | {W['require']} | {W['gone']}" in rows,
             "a rule whose account was deleted says so", rows)
        T.ok(not any(re.search(r"\| \d+$", r) for r in rows), "no account number in the list")
        win = c.window("^" + re.escape(W["prefs_title"]) + "$", 5)
        labels = [t for t in (win.texts() if win else []) if "new" in t.lower() or "neu" in t.lower()]
        T.ok(W["new_messages"] in labels,
             f"the choice for new messages is labelled \"{W['new_messages']}\"", labels)
        c.screenshot("prefs-rules-accounts" + SHOT)

        # a new rule for the account picked by name: Any account → Test → Work
        c.keys(p, W["pattern"])
        type_text(c, "bank.example")
        c.keys(None, W["account"], "Down", "Down")
        c.screenshot("prefs-rule-account-chosen" + SHOT)
        c.keys(None, W["add"])
        T.ok(wait_for(lambda: f"bank.example | {W['require']} | Work" in rule_rows(c), 10),
             "a rule added for the account chosen by name shows that name", rule_rows(c))

        # import: 3 new rules, 2 already there
        before = rule_rows(c)
        c.keys(p, W["import"])
        T.ok(choose_file(c, W["import_title"], good_import), "the import file is chosen")
        text = said(c, "^" + re.escape(W["import_title"]) + "$")
        T.ok(text != "", "import answers in its own window")
        T.ok(text.startswith(W["summary"]),
             "it says what it did: \"3 rules added, 2 already there.\"", text)
        now = rule_rows(c)
        added = now[len(before):] if now[:len(before)] == before else now
        T.ok(added == [f"courts.example | {W['require']} | {W['any']}",
                       f"news.example | {W['no_require']} | {W['any']}",
                       f"lawyer@firm.example | {W['require']} | Work"],
             "exactly the 3 new rules are appended, named", added)
        c.screenshot("prefs-import-summary" + SHOT)
        c.keys(None, "Return")
        c.wait_gone(W["import_title"], 10)

        # import of a file with bad lines: its own dialog, every bad line, nothing changed
        before = rule_rows(c)
        c.keys(p, W["import"])
        choose_file(c, W["import_title"], bad_import)
        text = said(c, "^" + re.escape(W["import_title"]) + "$")
        ln = W["line"]
        T.ok(text.startswith(W["not_imported"])
             and f"{ln} 2: " in text and f"{ln} 4: " in text
             and f"{ln} 1" not in text and f"{ln} 3" not in text,
             "a bad file: its own error window names lines 2 and 4", text)
        c.screenshot("prefs-import-errors" + SHOT)
        T.ok(rule_rows(c) == before, "and not one rule was added", rule_rows(c))
        c.keys(None, "Return")
        c.wait_gone(W["import_title"], 10)
        # GTK is done with it (its grab gone) when the inspector no longer sees it
        wait_for(lambda: c.window("^" + re.escape(W["import_title"]) + "$", 0) is None, 10)
        c.xdo("mousemove", "953", "777")  # OK
        c.xdo("click", "1")
        c.wait_gone(W["prefs_title"], 10)
        wait_for(lambda: "pattern=lawyer@firm.example" in rules_file(c), 10)  # saved
        saved = rules_file(c)
        got = [(r.get("pattern"), r.get("action"), r.get("account")) for r in rule_groups(saved)]
        T.ok(got == [("*.example.gov", "require", "1"), ("old.example", "require", "7"),
                     ("bank.example", "require", "2"), ("courts.example", "require", None),
                     ("news.example", "no-require", None),
                     ("lawyer@firm.example", "require", "2")],
             "saved: the ids stay in the file, each rule once, nothing of the bad file", got)
        T.ok("fine.example" not in saved, "the good lines of the bad file were not imported")

        # ---- the account page, at Claws' default size ---------------------------------------
        silent = SilentServer()
        mark = len(c.log_text())
        main = c.wait_window("Claws Mail", 5)
        c.keys(main, *W["account_menu"])
        acc = c.wait_window(W["account_title"], 10)
        T.ok(acc is not None, "the account preferences open")
        if acc is None:
            raise RuntimeError("no account preferences window")
        geo = c.xdo("getwindowgeometry", acc)
        T.diag(f"account window: {geo}")
        c.xdo("windowmove", acc, "0", "0")
        c.settled(re.escape(W["account_title"]) + "$", (0, 0))
        c.xdo("mousemove", "67", "294")  # page index: REQUIRETLS
        c.xdo("click", "1")
        wait_for(lambda: account_widget(c, "rtls-account-page") is not None, 10)
        c.settled(re.escape(W["account_title"]) + "$")  # its layout done
        c.screenshot("account-page-default-size" + SHOT)
        # the page in Claws' scrolled window: what it needs, what it is shown in, the Port box
        page = account_widget(c, "rtls-account-page")
        sw = page.parent if page else None
        while sw is not None and "ScrolledWindow" not in sw.type:
            sw = sw.parent
        port = account_widget(c, "rtls-account-port")
        lay = (int(sw.extra.get("hupper", 0)), int(sw.extra.get("hpage", 0)),
               port.x + port.w - sw.x, sw.w) if sw and port else None
        T.diag(f"account page layout (needed, shown, Port box end, width): {lay}")
        T.ok(lay and 0 < lay[0] <= lay[1],
             "the page needs no more width than it is shown in (no sideways scrolling)", lay)
        T.ok(lay and 0 < lay[2] <= lay[3], "the Port box is whole", lay)

        def editable():
            ws = [account_widget(c, n) for n in
                  ("rtls-account-host", "rtls-account-port", "rtls-account-starttls")]
            return [w.sensitive for w in ws if w is not None]
        T.ok(editable() == [False, False, False],
             "Host, Port and STARTTLS are greyed out while the other server is off", editable())

        # the other server: a real one without REQUIRETLS
        c.keys(acc, W["other"])
        T.ok(wait_for(lambda: editable() == [True, True, True], 5),
             "switching it on makes them editable", editable())
        c.keys(None, W["host"])
        type_text(c, "localhost", lambda: field(c, "rtls-account-host") == "localhost")
        c.keys(None, W["port"], "ctrl+a")
        type_text(c, str(plain.port))
        c.keys(None, "Tab")

        # Read the key: a server without REQUIRETLS leads with that fact
        c.keys(acc, W["read"])
        d = c.wait_window(READ_KEY, 30)
        c.window("^" + re.escape(READ_KEY) + "$", 5)  # mapped in GTK too
        c.screenshot("account-pin-no-requiretls" + SHOT)
        text = said(c, "^" + re.escape(READ_KEY) + "$", 5)
        T.ok(d is not None and text.startswith(W["no_rt"] + " | "),
             "the pin dialog leads with \"localhost does not offer REQUIRETLS\"", text)
        T.ok(text.endswith("| " + W["beside"]) and PIN in text,
             "the pin is offered with that fact said next to its button", text)
        c.keys(d, W["anyway"])  # Pin it anyway
        c.wait_gone(READ_KEY, 10)

        # Read the key: a certificate that does not verify (no CA file) is a sentence
        c.keys(acc, W["ca"], "ctrl+a", "BackSpace")
        mark = len(c.log_text())
        c.keys(acc, W["read"])
        d = c.wait_window(READ_KEY, 30)
        c.window("^" + re.escape(READ_KEY) + "$", 5)  # mapped in GTK too
        c.screenshot("account-read-key-cert-failure" + SHOT)
        text = said(c, "^" + re.escape(READ_KEY) + "$", 5)
        T.ok(text.startswith(W["cert"] + " | "),
             "a certificate failure is told as a sentence", text)
        T.ok(text and not re.search(r"RTLS_|EX_[A-Z]|exitcode|error=", text),
             "no internal code on screen", text)
        log = since(c, mark)
        T.ok("error=RTLS_ERROR_CERT exit=69 stage=tls" in log,
             "the codes go to Claws' log", log[-800:])
        c.keys(d, "Return")
        c.wait_gone(READ_KEY, 10)

        # Browse… sets the trusted CA file
        c.keys(acc, W["browse"])
        T.ok(choose_file(c, W["ca_title"], ca), "Browse… opens a file chooser and takes the file")

        # Read the key from a server that never answers: progress, then Cancel stops it
        c.keys(acc, W["port"], "ctrl+a")
        type_text(c, str(silent.port))
        c.keys(None, W["host"], "ctrl+a")
        type_text(c, "127.0.0.1", lambda: field(c, "rtls-account-host") == "127.0.0.1")
        mark = len(c.log_text())
        c.keys(acc, W["read"])
        def busy_text():
            w = account_widget(c, "rtls-account-busy")
            return w.text if w else None
        busy = wait_for(lambda: busy_text() == W["reading"].format(silent.port), 10)
        started = re.findall(r"key reader (\d+) started", since(c, mark))
        T.ok(busy and started, "progress: \"Reading the key of 127.0.0.1 (port N)…\"",
             (busy_text(), since(c, mark)[-500:]))
        wait_for(lambda: silent.accepted is not None, 10)
        T.ok(silent.accepted is not None, "the helper is connected and waiting")
        c.screenshot("account-read-key-progress" + SHOT)
        t0 = time.monotonic()
        c.keys(acc, W["cancel"])  # Cancel
        T.ok(c.wait_log("stopped: " + W["cancelled"], 0), "Cancel stops the reading")
        wait_for(lambda: silent.closed is not None, 10)
        T.ok(silent.closed is not None and silent.closed - t0 < 10,
             "the server sees the connection closed at once (the helper waits 20 s by itself)")
        pid = started[0] if started else "0"

        def helper_gone():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().split(") ")[-1].startswith("Z")
            except FileNotFoundError:
                return True
        T.ok(wait_for(helper_gone, 10), f"the helper process {pid} is gone")
        time.sleep(1.5)  # (proving an absence takes a wait)
        T.ok(c.windows(READ_KEY) == [], "no failure window after a cancel")
        c.screenshot("account-read-key-cancelled" + SHOT)

        # OK saves: the other server, the CA file from Browse…, the pin taken anyway
        c.xdo("mousemove", "652", "528")  # OK at the default size
        c.xdo("click", "1")
        T.ok(c.wait_gone(W["account_title"], 10), "OK closes the account preferences")

        def account_1():
            m = re.search(r"^\[account-1\]\n((?:[^\[\n][^\n]*\n?)*)", rules_file(c), re.M)
            return dict(line.split("=", 1) for line in m.group(1).splitlines() if "=" in line) if m else {}
        wait_for(lambda: account_1().get("port") == str(silent.port), 10)  # saved
        acc1 = account_1()
        T.ok(acc1.get("host") == "127.0.0.1" and acc1.get("port") == str(silent.port),
             "saved: the other server as typed", acc1)
        T.ok(acc1.get("ca-file") == ca, "saved: the CA file chosen with Browse…", acc1)
        T.ok(acc1.get("pin-sha256") == PIN, "saved: the pin taken anyway", acc1)
        T.ok(not plain.events("mail") and not peer.events("mail"),
             "reading keys never sent a MAIL command")
        c.stop()
finally:
    x.stop()
T.done()
