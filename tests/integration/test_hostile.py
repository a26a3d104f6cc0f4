#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_hostile.py: the helper against our scripted hostile server: bad certificates,
# stripped or injected STARTTLS, REQUIRETLS only before TLS, refusals, broken replies,
# oversize and endless replies, timeouts, and a connection lost after the final ".".
import rtlstest as t

C = t.certs()
MSG = t.SAMPLE
BASE = ["--host=localhost", f"--ca-file={C}/ca.pem", "--timeout=5", "bob@example.net"]

GREET_EHLO = """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250-PIPELINING
send 250-ENHANCEDSTATUSCODES
send 250 REQUIRETLS
"""


def lines(peer):
    return [e["data"] for e in peer.events("line")]


def case(name, script, args, want_exit, check=None, tls="implicit", cert="server", extra=None):
    with t.hostile(C, script, tls=tls, cert=cert) as peer:
        r = t.run_helper([f"--port={peer.port}", *BASE, *args], MSG, timeout=60)
        got = lines(peer)
        good = r.code == want_exit and (check is None or check(r, got, peer))
        t.ok(good, name, f"{r}\nserver received: {got}")
        return r


def nothing_received(r, got, peer):
    return got == [] and r.status.get("error") == "RTLS_ERROR_CERT"


# --- certificates: the handshake fails and not one byte of SMTP is exchanged -------------
# The status record says what was wrong, as a fact the plugin puts into its own words.
PROBLEM = {"wrongname": "name", "selfsigned": "untrusted", "expired": "expired",
           "unknownca": "untrusted"}
for cert in ["wrongname", "selfsigned", "expired", "unknownca"]:
    case(f"certificate {cert}: refused in the handshake, exit 69, nothing sent, "
         f"cert-problem={PROBLEM[cert]}",
         "send 220 should never be read\nrecv-all\n", ["--require-tls"], 69,
         lambda r, got, p, want=PROBLEM[cert]: nothing_received(r, got, p)
         and r.status.get("cert-problem") == want,
         cert=cert)

# A pin that does not match refuses a certificate that is otherwise fine.
case("--pin-sha256 mismatch: refused, exit 69, nothing sent",
     "send 220 should never be read\nrecv-all\n",
     ["--require-tls", "--pin-sha256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="], 69,
     lambda r, got, p: nothing_received(r, got, p) and r.status.get("cert-problem") == "pin")

# --- STARTTLS mode -----------------------------------------------------------------------
case("REQUIRETLS advertised only before STARTTLS: no MAIL, exit 69",
     """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250-REQUIRETLS
send 250 STARTTLS
expect ^STARTTLS$
send 220 go ahead
starttls
expect ^EHLO
send 250-hostile.test
send 250 PIPELINING
recv-all
""", ["--starttls", "--require-tls"], 69,
     lambda r, got, p: not any(l.upper().startswith("MAIL") for l in got)
     and got[-1:] == ["QUIT"] and r.status.get("enhanced-code") == "5.7.30",
     tls="none")

case("STARTTLS stripped from EHLO: exit 69 (5.7.10), only EHLO and QUIT sent",
     """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250 REQUIRETLS
recv-all
""", ["--starttls", "--require-tls"], 69,
     lambda r, got, p: len(got) == 2 and got[0].startswith("EHLO") and got[1] == "QUIT"
     and r.status.get("enhanced-code") == "5.7.10",
     tls="none")

case("STARTTLS stripped also refuses a message without --require-tls",
     """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250 PIPELINING
recv-all
""", ["--starttls"], 69,
     lambda r, got, p: not any(l.upper().startswith(("MAIL", "AUTH")) for l in got),
     tls="none")

case("plaintext injected after the STARTTLS 220: exit 76, no handshake",
     """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250 STARTTLS
expect ^STARTTLS$
send-raw b'220 go ahead\\r\\n250-injected\\r\\n250 REQUIRETLS\\r\\n'
recv-all
""", ["--starttls", "--require-tls"], 76,
     lambda r, got, p: p.events("tls") == [] and not any("MAIL" in l.upper() for l in got),
     tls="none")

case("STARTTLS refused with 454: temporary, exit 75, nothing sent",
     """send 220 hostile.test ESMTP
expect ^EHLO
send 250-hostile.test
send 250 STARTTLS
expect ^STARTTLS$
send 454 4.7.0 TLS not available due to temporary reason
recv-all
""", ["--starttls", "--require-tls"], 75,
     lambda r, got, p: not any("MAIL" in l.upper() for l in got), tls="none")

# --- refusals ------------------------------------------------------------------------------
case("5.7.30 on RCPT: exit 69, message not sent, rcpt line in the status",
     GREET_EHLO + """expect ^MAIL FROM:<alice@example.org> REQUIRETLS
expect ^RCPT TO:<bob@example.net>
expect ^DATA
send 250 2.1.0 ok
send 550 5.7.30 REQUIRETLS support required by the next hop
send 554 5.5.1 no valid recipients
recv-all
""", ["--require-tls"], 69,
     lambda r, got, p: p.events("data") == [] and r.status.get("enhanced-code") == "5.7.30"
     and r.rcpts == ["550 5.7.30 bob@example.net"])

case("4xx on MAIL: temporary, exit 75",
     GREET_EHLO + """expect ^MAIL
expect ^RCPT
expect ^DATA
send 451 4.3.0 try again later
send 503 5.5.1 need MAIL first
send 503 5.5.1 need RCPT first
recv-all
""", ["--require-tls"], 75,
     lambda r, got, p: r.status.get("error") == "RTLS_ERROR_TEMPFAIL" and p.events("data") == [])

case("354 to DATA although a recipient was refused: abandoned before the final dot",
     GREET_EHLO + """expect ^MAIL
expect ^RCPT
expect ^RCPT
expect ^DATA
send 250 2.1.0 ok
send 250 2.1.5 ok
send 550 5.1.1 no such user
send 354 go ahead
recv-all
""", ["--require-tls", "carol@example.net"], 69,
     lambda r, got, p: not any(l == "." for l in got) and "Hello Bob." not in got)

case("ENVID and ORCPT are xtext-encoded on the wire (RFC 3461 4)",
     GREET_EHLO.replace("250 REQUIRETLS", "250-REQUIRETLS\nsend 250 DSN") + """expect ^MAIL FROM:<alice@example.org> REQUIRETLS RET=HDRS ENVID=id\\+2Bx\\+3Dy$
expect ^RCPT TO:<bob@example.net> NOTIFY=FAILURE ORCPT=rfc822;bob@example.net$
expect ^DATA
send 250 2.1.0 ok
send 250 2.1.5 ok
send 354 go ahead
read-data
send 250 2.0.0 ok
recv-all
""", ["--require-tls", "--envid=id+x=y", "--dsn-notify=failure"], 0,
     lambda r, got, p: p.events("unexpected") == [] and len(p.events("data")) == 1)

# --- the final dot ---------------------------------------------------------------------------
case("connection closed after the final dot without a reply: not confirmed, exit 75",
     GREET_EHLO + """expect ^MAIL
expect ^RCPT
expect ^DATA
send 250 2.1.0 ok
send 250 2.1.5 ok
send 354 go ahead
read-data
close
""", ["--require-tls"], 75,
     lambda r, got, p: r.status.get("result") == "not-confirmed"
     and r.status.get("error") == "RTLS_ERROR_NOT_CONFIRMED" and len(p.events("data")) == 1)

case("no reply to the final dot within the timeout: not confirmed, exit 75",
     GREET_EHLO + """expect ^MAIL
expect ^RCPT
expect ^DATA
send 250 2.1.0 ok
send 250 2.1.5 ok
send 354 go ahead
read-data
sleep 8
""", ["--require-tls", "--timeout=2"], 75,
     lambda r, got, p: r.status.get("result") == "not-confirmed")

case("5xx to the final dot: refused, exit 69, result failed",
     GREET_EHLO + """expect ^MAIL
expect ^RCPT
expect ^DATA
send 250 2.1.0 ok
send 250 2.1.5 ok
send 354 go ahead
read-data
send 554 5.7.1 message refused
recv-all
""", ["--require-tls"], 69, lambda r, got, p: r.status.get("result") == "failed")

# --- malformed and hostile replies -------------------------------------------------------------
case("malformed reply code: exit 76, no MAIL",
     "send 220 hostile.test ESMTP\nexpect ^EHLO\nsend 2x0 what\nrecv-all\n",
     ["--require-tls"], 76, lambda r, got, p: not any("MAIL" in l for l in got))

case("inconsistent codes in a multi-line reply: exit 76",
     "send 220 hostile.test ESMTP\nexpect ^EHLO\nsend 250-hostile.test\nsend 251 REQUIRETLS\nrecv-all\n",
     ["--require-tls"], 76, lambda r, got, p: not any("MAIL" in l for l in got))

case("trailing data after a final reply (not pipelining): exit 76, no MAIL",
     "send 220 hostile.test ESMTP\nexpect ^EHLO\nsend-raw b'250-hostile.test\\r\\n250 REQUIRETLS\\r\\n250 extra\\r\\n'\nrecv-all\n",
     ["--require-tls"], 76, lambda r, got, p: not any("MAIL" in l for l in got))

case("bare LF in a reply: exit 76",
     "send-raw b'220 hostile.test ESMTP\\n'\nrecv-all\n", ["--require-tls"], 76)

case("NUL in a reply: exit 76",
     "send-raw b'220 host\\x00ile ESMTP\\r\\n'\nrecv-all\n", ["--require-tls"], 76)

r = case("a 100 kB reply line: clean error 76, bounded memory",
         "send 220 hostile.test ESMTP\nexpect ^EHLO\nflood-line 100000\n", ["--require-tls"], 76,
         lambda r, got, p: r.status.get("error") == "RTLS_ERROR_PROTOCOL")
t.ok(0 < r.rss_kb < 50 * 1024, "peak RSS with a 100 kB line stays under 50 MB", f"{r.rss_kb} kB")

r = case("an endless multi-line reply: clean error 76",
         "send 220 hostile.test ESMTP\nexpect ^EHLO\nflood-endless\n", ["--require-tls"], 76,
         lambda r, got, p: r.status.get("error") == "RTLS_ERROR_PROTOCOL")
t.ok(0 < r.rss_kb < 50 * 1024, "peak RSS with an endless reply stays under 50 MB", f"{r.rss_kb} kB")

case("server never greets: timeout, exit 75",
     "sleep 10\n", ["--require-tls", "--timeout=2"], 75,
     lambda r, got, p: r.status.get("error") == "RTLS_ERROR_CONNECT" and r.status.get("stage") == "greeting")

case("554 greeting: refused, exit 69, no EHLO",
     "send 554 5.3.2 go away\nrecv-all\n", ["--require-tls"], 69,
     lambda r, got, p: got in ([], ["QUIT"]) or not any(l.startswith("EHLO") for l in got))

case("EHLO refused: no HELO fallback, exit 69",
     "send 220 hostile.test ESMTP\nexpect ^EHLO\nsend 502 5.5.1 EHLO not implemented\nrecv-all\n",
     ["--require-tls"], 69, lambda r, got, p: not any(l.upper().startswith("HELO") for l in got)
     and not any("MAIL" in l for l in got))

# --- AUTH ------------------------------------------------------------------------------------
with t.hostile(C, GREET_EHLO.replace("250 REQUIRETLS", "250-REQUIRETLS\nsend 250 AUTH PLAIN LOGIN")
               + "expect ^AUTH PLAIN \nsend 535 5.7.8 bad credentials\nrecv-all\n") as peer:
    r = t.run_helper([f"--port={peer.port}", *BASE, "--require-tls", "--user=alice"], MSG,
                     password="s3cret-pw")
    t.ok(r.code == 77 and not any("MAIL" in l for l in lines(peer)),
         "AUTH refused: exit 77, no MAIL", f"{r}\n{lines(peer)}")
    t.ok("s3cret" not in r.stderr and "s3cret" not in r.status_text,
         "the password is not in stderr or the status record")

with t.hostile(C, GREET_EHLO + "recv-all\n") as peer:
    r = t.run_helper([f"--port={peer.port}", *BASE, "--require-tls", "--user=alice"], MSG,
                     password="pw")
    t.ok(r.code == 69 and r.status.get("error") == "RTLS_ERROR_UNSUPPORTED"
         and not any(l.startswith(("AUTH", "MAIL")) for l in lines(peer)),
         "AUTH not offered: exit 69, no credentials sent", f"{r}\n{lines(peer)}")

# --- TLS versions ---------------------------------------------------------------------------
import subprocess, sys, os
probe = subprocess.run([sys.executable, "-c", "import ssl;c=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);"
                        "c.set_ciphers('DEFAULT:@SECLEVEL=0');c.minimum_version=ssl.TLSVersion.TLSv1;"
                        "c.maximum_version=ssl.TLSVersion.TLSv1_1"], capture_output=True)
if probe.returncode == 0:
    script_path = os.path.join(t.tmpdir(), "tls11")
    # hostile.py takes --max-tls; run it by hand for this case.
    with open(script_path, "w") as f:
        f.write("send 220 old server\nrecv-all\n")
    rec = os.path.join(t.tmpdir(), "tls11.jsonl")
    proc = subprocess.Popen([sys.executable, os.path.join(t.PEERS, "hostile.py"), f"--script={script_path}",
                             f"--cert={C}/server.pem", f"--key={C}/server-key.pem", f"--record={rec}",
                             "--max-tls=1.1", "--lifetime=30"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    port = t._read_port(proc, "hostile tls1.1")
    r = t.run_helper([f"--port={port}", *BASE, "--require-tls"], MSG)
    proc.stdin.close()
    proc.wait(10)
    received = open(rec).read() if os.path.exists(rec) else ""
    t.ok(r.code == 76 and r.status.get("error") == "RTLS_ERROR_TLS" and '"line"' not in received,
         "a TLS 1.1-only server: handshake refused (exit 76), nothing sent", f"{r}\n{received}")
else:
    t.skip("a TLS 1.1-only server", "this Python/OpenSSL cannot offer TLS 1.1")

t.plan(t._count)
t.done()
