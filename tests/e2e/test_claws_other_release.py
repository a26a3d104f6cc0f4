#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: a plugin built for another Claws Mail release is refused, and the person is told.

RTLS_FOREIGN_PLUGIN names a requiretls.so built against the other Debian release's Claws
(scripts/release-root.sh runs this test in that release's root with the host's module: 4.1.1
into 4.3.1 on a Debian 12 machine, 4.3.1 into 4.1.1 on Debian 13). The struct layouts differ
between the releases, so the module must not run at all: plugin_init() stops at Claws' own
version check, and Claws says so at start-up, in a dialog, not only on stderr. (A module
built on Debian 13 is refused earlier, by Debian 12's dynamic loader.)"""
import os
import re
import shutil

import clawsdriver as D
from clawsdriver import T

FOREIGN = os.environ.get("RTLS_FOREIGN_PLUGIN", "")
if not FOREIGN or not os.path.exists(FOREIGN):
    T.skip_all_or_fail("RTLS_FOREIGN_PLUGIN names no plugin of another Claws release "
                       "(scripts/release-root.sh run sets it)")
D.require()

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
    claws_check = ("Your version of Claws Mail is newer than the version the 'REQUIRETLS' plugin "
                   "was built with" in log or
                   "Your version of Claws Mail is too old for the 'REQUIRETLS' plugin" in log)
    # A module built on Debian 13 needs its newer C library (GLIBC_2.38, e.g. __isoc23_strtol):
    # Debian 12's dynamic loader refuses it before any of its code runs, and Claws names the
    # reason in its log only (it shows a start-up dialog just for modules it could open).
    loader = re.search(r"plugin loading error: .*(version `GLIBC_[0-9.]+' not found|undefined "
                       r"symbol).*requiretls\.so", log)
    T.plan(5 if claws_check else 4)
    T.ok(claws_check or loader, "the module is refused: by Claws' own version check, or by the "
         "dynamic loader", log[-2000:])
    T.ok("REQUIRETLS plugin loaded" not in log and "REQUIRETLS: " not in log,
         "nothing of the plugin ran", log[-2000:])
    if claws_check:
        w = c.wait_window("^Warning$", 20)
        T.ok(w is not None, "a dialog at start-up says the plugin failed to load")
        if w is not None:
            c.screenshot("claws-other-release-refused")
            c.keys(w, "Return")
        T.ok(c.wait_gone("^Warning$", 10), "the dialog closes")
    else:
        T.diag("refused by the dynamic loader: " + (loader.group(0) if loader else "?"))
        T.ok(loader is not None and "GLIBC" in loader.group(0),
             "the loader's reason is a newer C library than this release's")
    T.ok(c.proc.poll() is None and c.wait_window("Claws Mail", 5) is not None,
         "Claws runs on without the plugin")
    c.stop()
finally:
    x.stop()
T.done()
