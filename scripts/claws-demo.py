#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/demo.sh --claws: Claws Mail with the plugin on a throwaway profile, one account
pointed at a local REQUIRETLS-capable submission server (STARTTLS on 127.0.0.1, throwaway CA).
Write a message, pick Options → Require TLS (or the padlock in the toolbar), press Send; then
close Claws and this script shows what the server received."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["RTLS_TESTS_SRCDIR"], "e2e"))
os.environ.setdefault("RTLS_PLUGIN", os.path.join(os.environ["RTLS_BUILDDIR"], "plugin",
                                                  "requiretls.so"))
import clawsdriver as D  # noqa: E402
from clawsdriver import T  # noqa: E402

certs = sys.argv[1] if len(sys.argv) > 1 else T.certs()
if not os.path.exists(D.PLUGIN):
    print("The plugin was not built (Claws Mail headers missing?); see README.")
    sys.exit(1)


class Display:
    display = os.environ.get("DISPLAY", "")


if not Display.display:
    print("No display: set DISPLAY (or run under an X session) to try the plugin by clicking.\n"
          "The end-to-end tests do the same clicks under Xvfb: ./scripts/test.sh")
    sys.exit(0)

with T.smtp_peer(certs, "--starttls", lifetime=3600) as peer:
    c = D.Claws(Display, peer.port, os.path.join(certs, "ca.pem"), os.environ["RTLS_HELPER"])
    print(f"Profile: {c.prof}\nServer: nodemailer smtp-server on 127.0.0.1:{peer.port} "
          "(STARTTLS, REQUIRETLS)\nClaws Mail is starting; close it when you are done.")
    c.start()
    c.compose("Try REQUIRETLS", body="Options, Require TLS, then Send.")
    while c.proc.poll() is None:
        time.sleep(1)
    print("\nWhat the server received:")
    for ev in peer.events("message"):
        print(json.dumps({k: ev[k] for k in ("mailFrom", "mailArgs", "requireTLS", "rcpts")}))
