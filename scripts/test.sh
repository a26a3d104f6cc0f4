#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# test.sh: install what is needed, build in ./build-test, run every test (unit, integration
# against real local servers, end-to-end in Claws Mail under Xvfb), and print one summary line
# "N passed, N failed". Exit status is non-zero when anything failed or was skipped.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh

builddir=${RTLS_BUILDDIR:-build-test}
if [ -f "$builddir/build.ninja" ]; then
	meson setup --reconfigure "$builddir" -Dplugin=enabled -Dtests=true >/dev/null
else
	meson setup "$builddir" -Dplugin=enabled -Dtests=true
fi
meson compile -C "$builddir"

rc=0
# One job at a time for the suites that start servers and Claws; unit tests are quick anyway.
meson test -C "$builddir" --num-processes 2 --print-errorlogs "$@" || rc=$?
python3 scripts/tap-summary.py "$builddir/meson-logs/testlog.json" || rc=$?
exit "$rc"
