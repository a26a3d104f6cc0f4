#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: a plugin built for another Claws Mail release is refused, and the person is told.

RTLS_FOREIGN_PLUGIN names a requiretls.so built against the other Debian release's Claws
(scripts/release-root.sh runs this test in that release's root with the host's module: 4.1.1
into 4.3.1 on a Debian 12 machine, 4.3.1 into 4.1.1 on Debian 13). The struct layouts differ
between the releases, so the module must not run at all: plugin_init() stops at Claws' own
version check, and Claws says so at start-up, in a dialog, not only on stderr."""
import os
import shutil

import clawsdriver as D
from clawsdriver import T

FOREIGN = os.environ.get("RTLS_FOREIGN_PLUGIN", "")
if not FOREIGN or not os.path.exists(FOREIGN):
    T.skip_all_or_fail("RTLS_FOREIGN_PLUGIN names no plugin of another Claws release "
                       "(scripts/release-root.sh run sets it)")
D.require()

T.plan(5)

certs = T.certs()
ca = os.path.join(certs, "ca.pem")
d = os.path.join(T.tmpdir(), "foreign")
os.makedirs(d)
D.PLUGIN = os.path.join(d, "requiretls.so")
shutil.copy(FOREIGN, D.PLUGIN)

x = D.Xvfb()
try:
    c = D.Claws(x, 9, ca, T.HELPER)  # nothing is sent: no server
    c.env["LANG"] = "C.UTF-8"
    c.start()
    log = c.log_text()
    refused = ("Your version of Claws Mail is newer than the version the 'REQUIRETLS' plugin was "
               "built with" in log or
               "Your version of Claws Mail is too old for the 'REQUIRETLS' plugin" in log)
    T.ok(refused, "Claws' own version check refuses the module", log[-2000:])
    T.ok("REQUIRETLS plugin loaded" not in log and "REQUIRETLS: " not in log,
         "nothing of the plugin ran", log[-2000:])
    w = c.wait_window("^Warning$", 20)
    T.ok(w is not None, "a dialog at start-up says a plugin failed to load")
    if w is not None:
        c.screenshot("claws-other-release-refused")
        c.keys(w, "Return")
    T.ok(c.wait_gone("^Warning$", 10), "the dialog closes")
    T.ok(c.proc.poll() is None and c.wait_window("Claws Mail", 5) is not None,
         "Claws runs on without the plugin")
    c.stop()
finally:
    x.stop()
T.done()
