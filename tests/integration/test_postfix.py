#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_postfix.py: the helper against Debian's Postfix 3.7, a real submission server without
# REQUIRETLS: ordinary mail goes through, REQUIRETLS mail is refused before MAIL.
import re

import rtlstest as t

C = t.certs()


def disconnects(log):
    return [l for l in log if "disconnect from" in l and "commands=0/0" not in l]


with t.postfix(C) as pf:
    base = ["--host=localhost", f"--port={pf.port}", f"--ca-file={C}/ca.pem", "--timeout=20"]
    r = t.run_helper(base + ["bob@example.net"], t.SAMPLE)
    log = t.postfix_log(pf)
    t.ok(r.code == 0 and r.status.get("result") == "sent", "plain submission to Postfix: exit 0", r)
    t.ok(any("status=sent" in l and "bob@example.net" in l for l in log),
         "Postfix accepted and delivered (discard) the message", "\n".join(log[-10:]))
    t.ok(disconnects(log) and re.search(r"\bmail=1\b.*\bbdat=1\b.*\bquit=1\b", disconnects(log)[-1]),
         "Postfix saw MAIL, BDAT (CHUNKING) and QUIT for the plain submission", disconnects(log))

    r = t.run_helper(base + ["--require-tls", "bob@example.net"], t.SAMPLE)
    log = t.postfix_log(pf)
    last = disconnects(log)[-1] if disconnects(log) else ""
    t.ok(r.code == 69 and r.status.get("error") == "RTLS_ERROR_UNSUPPORTED"
         and r.status.get("enhanced-code") == "5.7.30",
         "--require-tls to Postfix 3.7: exit 69, REQUIRETLS not offered (5.7.30)", r)
    t.ok(last and "mail=" not in last and "ehlo=1" in last and "quit=1" in last,
         "Postfix's own log: EHLO and QUIT only, no MAIL command", last)
    t.ok(r.status.get("tls-version") in ("TLS1.2", "TLS1.3"), "TLS was up before the refusal", r)

    r = t.run_helper(base + ["--no-require-tls", "bob@example.net"], t.SAMPLE)
    t.ok(r.code == 0, "--no-require-tls to Postfix: delivered", r)

    r = t.run_helper(["--host=127.0.0.1", f"--port={pf.port}", f"--ca-file={C}/ca.pem", "bob@example.net"], t.SAMPLE)
    t.ok(r.code == 0, "an IP literal host is verified against the certificate's IP address", r)

t.plan(t._count)
t.done()
