#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# test_check.py: requiretls-submit --check against real peers on 127.0.0.1 (issue 22): Debian's
# NSD serving zones signed here with ldns-signzone (secure, insecure, bogus, null MX, no MX,
# TLSA right, wrong and bogus), Debian's nginx serving MTA-STS policies with the test CA
# (enforce, testing, names that do not match, a redirect, the wrong content type, none at
# all), and MX hosts for --probe: nodemailer's smtp-server offering REQUIRETLS after
# STARTTLS and one hiding it, our scripted server without STARTTLS and one that never
# answers, and a port nobody listens on. A second NSD serving the same zones unsigned is a
# forwarder that strips DNSSEC (the trust anchors say they are signed): it is found out once
# and the check recurses instead (--stub-zone: the signed NSD as the authoritative server of
# the test zones' parent, asked without recursion). Each case asserts the verdict and its
# reasons.
import os
import subprocess
import time

import rtlstest as t

PLAN = 53


def mx_cert(certdir, names):
    """A leaf of the test CA for the MX and policy host names (RFC 6125 DNS-IDs)."""
    key = os.path.join(certdir, "names-key.pem")
    pem = os.path.join(certdir, "names.pem")
    tmpl = os.path.join(certdir, "names.tmpl")
    with open(tmpl, "w") as f:
        f.write("cn = mx test names\nserial = 77\nexpiration_days = 30\n"
                "tls_www_server\nsigning_key\nencryption_key\n")
        for n in names:
            f.write(f"dns_name = {n}\n")
    subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa", "--curve=secp256r1",
                    "--outfile", key], check=True, capture_output=True)
    subprocess.run(["certtool", "--generate-certificate", "--load-privkey", key,
                    "--load-ca-certificate", f"{certdir}/ca.pem", "--load-ca-privkey",
                    f"{certdir}/ca-key.pem", "--template", tmpl, "--outfile", pem],
                   check=True, capture_output=True)
    info = subprocess.run(["certtool", "-i", "--infile", pem], check=True, capture_output=True,
                          text=True).stdout
    lines = info.splitlines()
    i = next(k for k, l in enumerate(lines) if "Public Key ID:" in l)
    spki = next(l.strip()[7:] for l in lines[i:i + 4] if l.strip().startswith("sha256:"))
    # the same with the CA in its chain, for DANE-TA (RFC 7672 3.1.2: the server sends it)
    with open(os.path.join(certdir, "nameschain.pem"), "w") as out:
        for part in (pem, f"{certdir}/ca.pem"):
            with open(part) as f:
                out.write(f.read())
    with open(key) as f, open(os.path.join(certdir, "nameschain-key.pem"), "w") as out:
        out.write(f.read())
    return pem, key, spki


def fingerprint(pem):
    """SHA-256 of the certificate's DER (a TLSA 2 0 1 record)."""
    lines = subprocess.run(["certtool", "-i", "--infile", pem], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    i = next(k for k, l in enumerate(lines) if l.strip() == "Fingerprint:")
    return next(l.strip()[7:] for l in lines[i:i + 4] if l.strip().startswith("sha256:"))


def policy(mode, *mx, max_age=86400):
    return ("version: STSv1\r\nmode: %s\r\n" % mode + "".join(f"mx: {m}\r\n" for m in mx)
            + f"max_age: {max_age}\r\n")


def main():
    t.plan(PLAN)
    certdir = t.certs()
    names = ["mx.webpki.sec.example", "nomx.sec.example", "mx.dane.sec.example",
             "mx.danebad.sec.example", "mx.sts.plain.example", "mx.stsmismatch.plain.example",
             "mx.stsdead.plain.example", "mx.daneta.sec.example", "mx.stsmixed.plain.example"]
    sts_hosts = ["mta-sts.sts.plain.example", "mta-sts.stsmismatch.plain.example",
                 "mta-sts.ststesting.plain.example", "mta-sts.stsredirect.plain.example",
                 "mta-sts.ststype.plain.example", "mta-sts.stsnone.plain.example",
                 "mta-sts.stsmixed.plain.example"]
    pem, key, spki = mx_cert(certdir, names + sts_hosts)
    wrong = "00" * 32
    ca_fp = fingerprint(f"{certdir}/ca.pem")

    sec = f"""
webpki IN MX 10 mx.webpki
mx.webpki IN A 127.0.0.1
dane IN MX 10 mx.dane
mx.dane IN A 127.0.0.1
_25._tcp.mx.dane IN TLSA 3 1 1 {spki}
danebad IN MX 10 mx.danebad
mx.danebad IN A 127.0.0.1
_25._tcp.mx.danebad IN TLSA 3 1 1 {wrong}
daneunusable IN MX 10 mx.daneunusable
mx.daneunusable IN A 127.0.0.1
_25._tcp.mx.daneunusable IN TLSA 1 1 1 {spki}
tlsabogus IN MX 10 mx.tlsabogus
mx.tlsabogus IN A 127.0.0.1
_25._tcp.mx.tlsabogus IN TLSA 3 1 1 {spki}
daneta IN MX 10 mx.daneta
mx.daneta IN A 127.0.0.1
_25._tcp.mx.daneta IN TLSA 2 0 1 {ca_fp}
danetaname IN MX 10 mx.danetaname
mx.danetaname IN A 127.0.0.1
_25._tcp.mx.danetaname IN TLSA 2 0 1 {ca_fp}
nullmx IN MX 0 .
nomx IN A 127.0.0.1
bogus IN MX 10 mx.webpki
"""
    plain = """
nosts IN MX 10 mx.nosts
mx.nosts IN A 127.0.0.1
"""
    for d in ("sts", "stsmismatch", "ststesting", "stsredirect", "ststype", "stsnone", "stsdead"):
        plain += (f"{d} IN MX 10 mx.{d}\nmx.{d} IN A 127.0.0.1\n"
                  f"_mta-sts.{d} IN TXT \"v=STSv1; id=20261207\"\n"
                  f"mta-sts.{d} IN A 127.0.0.1\n")
    # the better MX is outside the policy: only the other is a candidate (its name is not in
    # the MX certificate either, so a probe of it would say "certificate")
    plain += ("stsmixed IN MX 5 mx0.stsmixed\nstsmixed IN MX 10 mx.stsmixed\n"
              "mx0.stsmixed IN A 127.0.0.1\nmx.stsmixed IN A 127.0.0.1\n"
              "_mta-sts.stsmixed IN TXT \"v=STSv1; id=2\"\nmta-sts.stsmixed IN A 127.0.0.1\n")
    plain += "stsbadtxt IN MX 10 mx.nosts\n_mta-sts.stsbadtxt IN TXT \"v=STSv1; id=a-b\"\n"
    sites = {
        "mta-sts.sts.plain.example": ("policy", policy("enforce", "mx.sts.plain.example")),
        "mta-sts.stsmismatch.plain.example": ("policy", policy("enforce", "*.other.example")),
        "mta-sts.ststesting.plain.example": ("policy", policy("testing", "*.ststesting.plain.example")),
        "mta-sts.stsredirect.plain.example": ("redirect", "mta-sts.sts.plain.example"),
        "mta-sts.ststype.plain.example": ("html", policy("enforce", "mx.ststype.plain.example")),
        "mta-sts.stsnone.plain.example": ("missing", ""),
        "mta-sts.stsmixed.plain.example": ("policy", policy("enforce", "mx.stsmixed.plain.example")),
    }

    with t.nsd({"sec.example": sec, "plain.example": plain}, signed={"sec.example"},
               break_sigs=[("bogus.sec.example", "MX"),
                           ("_25._tcp.mx.tlsabogus.sec.example", "TLSA")]) as (dns_port, ta), \
            t.nginx(pem, key, sites) as web_port:
        base = [f"--resolver=127.0.0.1@{dns_port}", f"--trust-anchor={ta}",
                f"--ca-file={certdir}/ca.pem", f"--policy-port={web_port}", "--timeout=2"]

        def check(name, domain, verdict, reasons, extra=(), more=None, code=None):
            rc, recs, err, secs = t.run_check([*base, *extra, domain])
            rec = recs[0] if len(recs) == 1 else {}
            good = (rec.get("verdict") == verdict and rec.get("reason") == reasons
                    and (code is None or rc == code))
            for k, v in (more or {}).items():
                good = good and rec.get(k) == v
            t.ok(good, f"{name}: {verdict} ({', '.join(reasons)}) in {secs:.2f} s",
                 f"exit {rc}\n{rec}\n{err}")
            return rec

        # --- DNS and MTA-STS alone (no probe) ---
        check("insecure MX, no MTA-STS: bounces without a probe (8689 4.2.1 step 2)",
              "bob@nosts.plain.example", "will-bounce", ["mx-not-validated"],
              more={"mx-dnssec": "insecure", "mta-sts": "absent", "dane": "not-checked"},
              code=69)
        good = check("secure MX, not probed: unknown", "webpki.sec.example", "unknown",
                     ["mx-dnssec-secure", "not-probed"],
                     more={"mx-dnssec": "secure", "dane": "none", "mta-sts": "absent",
                           "resolver": f"127.0.0.1@{dns_port}"}, code=75)
        t.ok("resolver-problem" not in good, "... a forwarder that carries DNSSEC: no problem",
             good)
        rec = check("bogus MX answer: never used, never ready", "bogus.sec.example", "unknown",
                    ["mx-bogus"], more={"mx-dnssec": "bogus", "mx-kind": "failed", "mx": []},
                    code=75)
        t.ok(rec.get("dnssec-problem", "").startswith("bogus.sec.example type 15: "),
             "... and says why it is bogus", rec.get("dnssec-problem"))
        check("null MX (RFC 7505)", "nullmx.sec.example", "will-bounce", ["null-mx"],
              more={"mx-kind": "null"}, code=69)
        check("no MX: the A record is the implicit MX (RFC 5321 5.1)", "nomx.sec.example",
              "unknown", ["mx-dnssec-secure", "not-probed"],
              more={"mx-kind": "fallback", "mx-dnssec": "secure"})
        check("no such domain (secure NXDOMAIN)", "x@nothing.sec.example", "will-bounce",
              ["no-mail-server"], more={"mx-kind": "none", "mx-dnssec": "secure"})
        check("TLSA usable under a secure MX", "dane.sec.example", "unknown",
              ["mx-dnssec-secure", "not-probed"], more={"dane": "usable"})
        check("TLSA of PKIX-EE usage only: unusable (RFC 7672 3.1.3)", "daneunusable.sec.example",
              "unknown", ["mx-dnssec-secure", "not-probed"], more={"dane": "unusable"})
        check("bogus TLSA answer", "tlsabogus.sec.example", "unknown",
              ["mx-dnssec-secure", "tlsa-bogus"], more={"dane": "bogus"})
        check("MTA-STS enforce matching the MX validates an insecure MX", "sts.plain.example",
              "unknown", ["mx-mta-sts-enforced", "not-probed"],
              more={"mta-sts": "enforce", "mta-sts-max-age": "86400", "mta-sts-mx-match": "yes",
                    "mta-sts-id": "20261207"})
        check("MTA-STS enforce, MX names outside the policy (8461 4.1)",
              "stsmismatch.plain.example", "will-bounce", ["mx-not-in-policy"],
              more={"mta-sts": "enforce", "mta-sts-mx-match": "no",
                    "mx": ["10 mx.stsmismatch.plain.example outside-policy"]})
        check("MTA-STS testing validates nothing (8461 5)", "ststesting.plain.example",
              "will-bounce", ["mx-not-validated"],
              more={"mta-sts": "testing", "mta-sts-mx-match": "yes"})
        rec = check("MTA-STS policy behind a redirect is not followed (8461 3.3)",
                    "stsredirect.plain.example", "will-bounce", ["mx-not-validated"],
                    more={"mta-sts": "unusable"})
        t.ok("301" in rec.get("mta-sts-problem", ""), "the redirect is named",
             rec.get("mta-sts-problem"))
        check("MTA-STS policy as text/html is refused (8461 3.2)", "ststype.plain.example",
              "will-bounce", ["mx-not-validated"], more={"mta-sts": "unusable"})
        check("MTA-STS TXT, but no policy (404)", "stsnone.plain.example", "will-bounce",
              ["mx-not-validated"], more={"mta-sts": "unusable"})
        check("invalid _mta-sts TXT record: no policy (8461 3.1)", "stsbadtxt.plain.example",
              "will-bounce", ["mx-not-validated"], more={"mta-sts": "absent"})
        # the policy host does not answer: not known (the relay may hold the policy)
        rc, recs, err, secs = t.run_check(
            [*base[:3], f"--policy-port={t.free_port()}", "--timeout=2", "stsdead.plain.example"])
        t.ok(len(recs) == 1 and recs[0]["verdict"] == "unknown"
             and recs[0]["reason"] == ["mta-sts-failed"] and recs[0]["mta-sts"] == "failed",
             f"MTA-STS policy host unreachable: unknown (mta-sts-failed) in {secs:.2f} s",
             f"{recs}\n{err}")

        # --- the probe (port 25 replaced by the peers' ports) ---
        with t.smtp_peer(certdir, "--starttls", cert="names") as offers, \
                t.smtp_peer(certdir, "--starttls", "--hide-requiretls", cert="names") as hides:
            def probe(name, domain, port, verdict, reasons, more=None):
                rec = check(name, domain, verdict, reasons,
                            extra=["--probe", f"--probe-port={port}"], more=more)
                return rec

            probe("probe: secure MX, REQUIRETLS after STARTTLS (WebPKI)", "webpki.sec.example",
                  offers.port, "ready", ["mx-dnssec-secure", "requiretls-offered"],
                  more={"probe": "offered", "probe-verify": "webpki",
                        "probe-host": "mx.webpki.sec.example"})
            probe("probe: REQUIRETLS hidden after STARTTLS", "webpki.sec.example", hides.port,
                  "will-bounce", ["mx-dnssec-secure", "requiretls-not-offered"],
                  more={"probe": "not-offered"})
            probe("probe: DANE-EE TLSA matching the MX's key", "dane.sec.example", offers.port,
                  "ready", ["mx-dnssec-secure", "requiretls-offered"],
                  more={"probe-verify": "dane", "dane": "usable"})
            probe("probe: DANE-EE TLSA matching nothing the MX shows", "danebad.sec.example",
                  offers.port, "will-bounce", ["mx-dnssec-secure", "dane-mismatch"],
                  more={"probe": "dane-mismatch", "probe-verify": "dane"})
            probe("probe: MTA-STS-validated MX, verified by the policy's names",
                  "sts.plain.example", offers.port, "ready",
                  ["mx-mta-sts-enforced", "requiretls-offered"], more={"probe-verify": "mta-sts"})
            probe("probe: only the MX hosts an enforced policy names are candidates",
                  "stsmixed.plain.example", offers.port, "ready",
                  ["mx-mta-sts-enforced", "requiretls-offered"],
                  more={"probe-host": "mx.stsmixed.plain.example",
                        "mx": ["5 mx0.stsmixed.plain.example outside-policy",
                               "10 mx.stsmixed.plain.example"]})
            probe("probe: port nobody listens on", "webpki.sec.example", t.free_port(), "unknown",
                  ["mx-dnssec-secure", "port-25-unreachable"], more={"probe": "unreachable"})
            probe("probe: not connected where DNS already says it bounces",
                  "nosts.plain.example", offers.port, "will-bounce", ["mx-not-validated"],
                  more={"probe": "not-run"})
            # never MAIL: what the REQUIRETLS peer saw of all the probes
            mails = offers.events("mail") + hides.events("mail")
            t.ok(not mails, "the probes never sent MAIL", mails)
        with t.smtp_peer(certdir, "--starttls", cert="nameschain") as chain:
            check("probe: DANE-TA TLSA naming the CA the MX sends in its chain",
                  "daneta.sec.example", "ready", ["mx-dnssec-secure", "requiretls-offered"],
                  extra=["--probe", f"--probe-port={chain.port}"],
                  more={"probe-verify": "dane", "dane": "usable"})
            check("probe: DANE-TA, but the certificate is not for the MX name (7672 3.2.2)",
                  "danetaname.sec.example", "will-bounce", ["mx-dnssec-secure", "dane-mismatch"],
                  extra=["--probe", f"--probe-port={chain.port}"], more={"probe": "dane-mismatch"})
            # DANE-TA without the CA in the chain: the peer sends its leaf alone
        with t.smtp_peer(certdir, "--starttls", cert="names") as leafonly:
            check("probe: DANE-TA, but the MX sends no certificate of that CA",
                  "daneta.sec.example", "will-bounce", ["mx-dnssec-secure", "dane-mismatch"],
                  extra=["--probe", f"--probe-port={leafonly.port}"])
        with t.hostile(certdir, "sleep 20\n", tls="none", lifetime=30) as silent:
            t0 = time.monotonic()
            probe_rec = check("probe: a server that never answers", "webpki.sec.example",
                              "unknown", ["mx-dnssec-secure", "probe-timeout"],
                              extra=["--probe", f"--probe-port={silent.port}"],
                              more={"probe": "timeout"})
            t.ok(time.monotonic() - t0 < 6, "... within the step's timeout", probe_rec)
        with t.hostile(certdir, "send 220 plain.test ESMTP\nexpect ^EHLO\nsend 250 plain.test\n"
                       "expect ^QUIT\nsend 221 bye\n", tls="none") as plainsrv:
            check("probe: no STARTTLS (5.7.10)", "webpki.sec.example", "will-bounce",
                  ["mx-dnssec-secure", "no-starttls"],
                  extra=["--probe", f"--probe-port={plainsrv.port}"], more={"probe": "no-starttls"})

        # --- several domains at once, in parallel ---
        rc, recs, err, secs = t.run_check([*base, "a@nosts.plain.example", "b@webpki.sec.example",
                                           "c@nosts.plain.example", "nullmx.sec.example"])
        by = {r["domain"]: r for r in recs}
        t.ok(rc == 69 and len(recs) == 3 and by["nosts.plain.example"]["recipient"]
             == ["a@nosts.plain.example", "c@nosts.plain.example"],
             "three domains, one record each, recipients grouped, exit 69", f"{rc}\n{recs}\n{err}")

        # --- a forwarder that strips DNSSEC (the same zones unsigned), and the fallback ---
        dead = f"--stub-zone=example=127.0.0.1@{t.free_port()}"
        rec = check("a forwarder with one bogus zone: still bogus, not asked elsewhere",
                    "bogus.sec.example", "unknown", ["mx-bogus"], extra=[dead],
                    more={"mx-dnssec": "bogus", "resolver": f"127.0.0.1@{dns_port}"})
        t.ok("resolver-problem" not in rec, "... and no resolver problem said", rec)
        with t.nsd({"sec.example": sec, "plain.example": plain}) as (strip_port, _):
            strip = [f"--resolver=127.0.0.1@{strip_port}", f"--trust-anchor={ta}",
                     f"--ca-file={certdir}/ca.pem", f"--policy-port={web_port}", "--timeout=2"]
            root = f"--stub-zone=example=127.0.0.1@{dns_port}"
            rc, recs, err, secs = t.run_check([*strip, root, "-v", "webpki.sec.example",
                                               "bob@nosts.plain.example", "sts.plain.example",
                                               "dane.sec.example"])
            by = {r["domain"]: r for r in recs}
            w = by.get("webpki.sec.example", {})
            t.ok(len(recs) == 4 and w.get("resolver") == "recursive"
                 and "does not pass DNSSEC" in w.get("resolver-problem", "")
                 and "asked the DNS servers directly" in w.get("resolver-problem", "")
                 and "asking from the root instead" in err,
                 f"stripping forwarder found out once, recursion used instead ({secs:.2f} s)",
                 f"{recs}\n{err}")
            asked = [l for l in err.splitlines() if " resolver: DNS " in l]
            t.ok(len(asked) == 2 and all(" resolver: DNS sec.example type 48" in l for l in asked),
                 "... by the trust anchor's DNSKEY, asked once of each (not per domain)", err)
            t.ok(w.get("verdict") == "unknown" and w.get("reason") == good["reason"]
                 and w.get("mx-dnssec") == "secure" and w.get("mx") == good["mx"]
                 and "dnssec-problem" not in w,
                 "... and the secure MX is secure, as through a good resolver", w)
            t.ok(by.get("nosts.plain.example", {}).get("verdict") == "will-bounce"
                 and by["nosts.plain.example"]["mx-dnssec"] == "insecure"
                 and by.get("sts.plain.example", {}).get("reason")
                 == ["mx-mta-sts-enforced", "not-probed"]
                 and by.get("dane.sec.example", {}).get("dane") == "usable",
                 "... insecure stays insecure, MTA-STS and DANE as before", recs)
            rec = check("stripping forwarder, recursion: a bogus zone is still bogus",
                        "bogus.sec.example", "unknown", ["mx-bogus"], extra=strip[:1] + [root],
                        more={"resolver": "recursive", "mx-dnssec": "bogus"})
            rc, recs, err, secs = t.run_check([*strip[:2], dead, "--timeout=1",
                                               "webpki.sec.example"])
            rec = recs[0] if len(recs) == 1 else {}
            t.ok(rec.get("verdict") == "unknown" and rec.get("reason") == ["mx-lookup-failed"]
                 and "failed too" in rec.get("resolver-problem", "") and secs < 4 and rc == 75,
                 f"stripping forwarder, recursion unreachable: unknown (mx-lookup-failed) with "
                 f"the reason, in {secs:.2f} s", f"{recs}\n{err}")
            # the same without a forwarder: --resolver=recursive asks nobody else first
            rc, recs, err, secs = t.run_check(["--resolver", "recursive", root, *strip[1:],
                                               "-v", "webpki.sec.example"])
            rec = recs[0] if len(recs) == 1 else {}
            t.ok(rec.get("resolver") == "recursive" and rec.get("mx-dnssec") == "secure"
                 and "resolver-problem" not in rec and " type 48: " not in err,
                 f"--resolver=recursive: secure, nothing asked first ({secs:.2f} s)",
                 f"{recs}\n{err}")

    # --- the resolver does not answer: bounded by the step's timeout ---
    rc, recs, err, secs = t.run_check([f"--resolver=127.0.0.1@{t.free_port()}",
                                       f"--trust-anchor={ta}", "--timeout=1", "x.sec.example"])
    t.ok(len(recs) == 1 and recs[0]["verdict"] == "unknown"
         and recs[0]["reason"] == ["mx-lookup-failed"] and secs < 5,
         f"no resolver: unknown (mx-lookup-failed) in {secs:.2f} s", f"{recs}\n{err}")
    # --- the whole check within --max-time, whatever each step's timeout ---
    rc, recs, err, secs = t.run_check([f"--resolver=127.0.0.1@{t.free_port()}",
                                       f"--trust-anchor={ta}", "--timeout=10", "--max-time=2",
                                       "a.sec.example", "b.sec.example", "c.sec.example"])
    t.ok(len(recs) == 3 and all(r["verdict"] == "unknown" for r in recs) and secs < 4.5
         and rc == 75, f"three domains, no resolver, --max-time=2: done in {secs:.2f} s, exit {rc}",
         f"{recs}\n{err}")
    # --- the command line ---
    rc, recs, err, _ = t.run_check([])
    t.ok(rc == 64 and not recs and "address or domain" in err, "--check alone: exit 64", err)
    rc, recs, err, _ = t.run_check([f"--trust-anchor={ta}", "bob@[192.0.2.1]"])
    t.ok(rc == 64 and not recs, "an address literal has no MX to check: exit 64", err)
    rc, recs, err, _ = t.run_check([f"--trust-anchor={t.tmpdir()}/none.key", "example.org"])
    t.ok(rc == 78 and not recs and "trust anchor" in err, "no trust anchor file: exit 78", err)
    rc, recs, err, _ = t.run_check([f"--trust-anchor={ta}", "--resolver=not an address",
                                    "example.org"])
    t.ok(rc == 78 and not recs and "--resolver" in err, "a resolver that is no address: exit 78",
         err)
    rc, recs, err, _ = t.run_check([f"--trust-anchor={ta}", "--resolver=recursive",
                                    "--stub-zone=example=nowhere", "example.org"])
    t.ok(rc == 78 and not recs and "--stub-zone" in err, "a stub zone server that is no "
         "address: exit 78", err)
    bad = os.path.join(t.tmpdir(), "bad.key")
    with open(bad, "w") as f:
        f.write("this is no DS record\n")
    rc, recs, err, _ = t.run_check([f"--trust-anchor={bad}", "example.org"])
    t.ok(rc == 78 and not recs and "trust anchor" in err, "a trust anchor file that does not "
         "parse: exit 78", err)
    t.done()


if __name__ == "__main__":
    main()
