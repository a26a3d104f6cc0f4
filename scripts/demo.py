#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo behind scripts/demo.sh: real servers on 127.0.0.1, a throwaway CA, the built helper."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["RTLS_TESTS_SRCDIR"], "integration"))
import rtlstest as T  # noqa: E402  (peers and helper plumbing shared with the tests)

HELPER = os.environ["RTLS_HELPER"]
MESSAGE = (
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Cc: Carol <carol@tax.example.gov>\r\n"
    "Bcc: archive@example.org\r\n"
    "Subject: Contract draft (sent with REQUIRETLS)\r\n"
    "\r\n"
    "Hello Bob,\r\n\r\nthis message asks every server on the way to use verified TLS\r\n"
    "(RFC 8689 REQUIRETLS), or to return it instead of delivering it in the clear.\r\n"
    ".\r\n"
    "(The line above is a lone dot: it is dot-stuffed, not the end of the message.)\r\n"
)


def banner(text):
    print("\n" + "=" * 78 + "\n" + text + "\n" + "=" * 78, flush=True)


def meaning(record):
    """What the run means, in a sentence, from the status record (its codes stay below)."""
    rec = dict(line.split("=", 1) for line in record.splitlines() if "=" in line)
    if rec.get("result") == "sent":
        return (f"{rec.get('host')} accepted the message"
                + (" with REQUIRETLS" if rec.get("requiretls") == "yes" else "")
                + f" over {rec.get('tls-version', 'TLS')}.")
    said = rec.get("message", "The helper stopped without saying why.")
    if rec.get("stage") in ("connect", "tls", "greeting", "ehlo", "starttls", "auth"):
        said += ". Nothing of the message was transmitted (no MAIL FROM)."
    return said


def show(res):
    print("--- transcript (-v, on stderr) ---")
    # the last stderr line is for programs (rtls: error=… exitcode=…); people read the sentence
    print("\n".join(l for l in res.stderr.rstrip().splitlines() if not l.startswith("rtls: ")))
    print("--- what happened ---")
    print(meaning(res.status_text))
    print("--- status record (--status-fd) ---")
    print(res.status_text.rstrip())
    print(f"--- exit status: {res.code} ---", flush=True)


def submit(port, *extra):
    args = [f"--host=localhost", f"--port={port}", f"--ca-file={certs}/ca.pem", "-t", "-v",
            "--require-tls", *extra]
    print("$ requiretls-submit " + " ".join(args) + " < message.eml", flush=True)
    return T.run_helper(args, MESSAGE)


certs = T.certs()
failures = 0

banner("1. A submission server that offers REQUIRETLS (nodemailer smtp-server, 127.0.0.1)")
with T.smtp_peer(certs) as peer:
    res = submit(peer.port, "--envid=demo-1.example.org")
    show(res)
    got = peer.events("message")
    if res.code == 0 and got and got[0]["requireTLS"]:
        print(f"The server received the message with REQUIRETLS for {', '.join(got[0]['rcpts'])}"
              f" ({got[0]['size']} bytes; Bcc removed from the headers).")
        print("REQUIRETLS means: TLS requested on every hop. It is transport security, not end-to-end"
              " encryption,\nand this 250 only covers the first hop.")
    else:
        print("UNEXPECTED: the message was not accepted with REQUIRETLS")
        failures += 1

banner("2. The same message, to a server that does not offer REQUIRETLS (keyword hidden)")
with T.smtp_peer(certs, "--hide-requiretls") as peer:
    res = submit(peer.port)
    show(res)
    if res.code == 69 and not peer.events("mail"):
        print("Refused as it must be: QUIT before MAIL FROM; the server saw no MAIL command"
              " (exit 69, 5.7.30).")
    else:
        print("UNEXPECTED: the helper did not fail closed")
        failures += 1

def postfix_version():
    try:
        return subprocess.run(["/usr/sbin/postconf", "-dh", "mail_version"], capture_output=True,
                              text=True, timeout=20).stdout.strip()
    except OSError:
        return ""


banner(f"3. The same message, to Debian's Postfix {postfix_version()} (implicit TLS, no REQUIRETLS)")
if os.path.exists("/usr/lib/postfix/sbin/master"):
    with T.postfix(certs) as pf:
        res = submit(pf.port)
        show(res)
        log = T.postfix_log(pf)
        if res.code == 69 and not any("from=<" in line for line in log):
            print("Refused before MAIL FROM: Postfix logged no sender for this connection.")
        else:
            print("UNEXPECTED: the helper did not fail closed against Postfix")
            failures += 1
else:
    print("Postfix is not installed; scripts/setup.sh installs it.")
    failures += 1

if "--claws" in sys.argv[1:]:
    banner("4. Claws Mail with the plugin, on a throwaway profile")
    sys.stdout.flush()
    claws = os.path.join(os.path.dirname(os.path.abspath(__file__)), "claws-demo.py")
    os.execv(sys.executable, [sys.executable, claws, certs])

shutil.rmtree(T.tmpdir(), ignore_errors=True)
banner("Demo finished: " + ("all as expected" if not failures else f"{failures} unexpected result(s)"))
sys.exit(1 if failures else 0)
