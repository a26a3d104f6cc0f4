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

# The unit tests once more, built with AddressSanitizer and UndefinedBehaviorSanitizer: the
# parsers of untrusted input (replies, queue files, bounces) must never read out of bounds.
# Only the unit tests run there, so the Claws module is not built there.
asandir="$builddir-asan"
reconf=
[ -f "$asandir/build.ninja" ] && reconf=--reconfigure
meson setup $reconf "$asandir" -Dplugin=disabled -Dtests=true \
	-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
meson compile -C "$asandir" >/dev/null

rc=0
# One job at a time for the suites that start servers and Claws; unit tests are quick anyway.
meson test -C "$builddir" --num-processes 2 --print-errorlogs "$@" || rc=$?
ASAN_OPTIONS=detect_leaks=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$asandir" --no-rebuild --suite unit --print-errorlogs || rc=$?
python3 scripts/tap-summary.py "$builddir/meson-logs/testlog.json" \
	"asan:$asandir/meson-logs/testlog.json" || rc=$?
exit "$rc"
