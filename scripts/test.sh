#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# test.sh: install what is needed, build in ./build-test, run every test (unit, integration
# against real local servers, end-to-end in Claws Mail under Xvfb), then the whole end-to-end
# suite once more against the Claws Mail of the other Debian release (4.3.1 in a Debian 13 root
# on Debian 12, 4.1.1 in a Debian 12 root on Debian 13: scripts/release-root.sh; the root is
# cached in ./build-test/release-root). Prints one summary line "N passed, N failed" over all
# of it. Exit status is non-zero when anything failed or was skipped.
#
# RTLS_RELEASE_ROOT=off leaves the other release out (the summary then says so, and fails).
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh

builddir=${RTLS_BUILDDIR:-build-test}
mkdir -p "$builddir"

# The other release's root is made and built in the background while the tests run here: it
# is mostly downloading and unpacking. Its log is printed only when it fails.
other=
if [ "${RTLS_RELEASE_ROOT:-on}" != off ]; then
	prep_log=$builddir/release-root-prepare.log
	./scripts/release-root.sh prepare "$builddir" >"$prep_log" 2>&1 &
	prep_pid=$!
	# an interrupt stops it too (release-root.sh cleans up after itself)
	trap 'kill "$prep_pid" 2>/dev/null; exit 130' INT
	trap 'kill "$prep_pid" 2>/dev/null; exit 143' TERM HUP
fi

if [ -f "$builddir/build.ninja" ]; then
	meson setup --reconfigure "$builddir" -Dplugin=enabled -Dtests=true -Dtest_hooks=true >/dev/null
else
	meson setup "$builddir" -Dplugin=enabled -Dtests=true -Dtest_hooks=true
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
# (The "release" suite needs a module of the other release: scripts/release-root.sh runs it.)
meson test -C "$builddir" --num-processes 2 --print-errorlogs --no-suite release "$@" || rc=$?
ASAN_OPTIONS=detect_leaks=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$asandir" --no-rebuild --suite unit --print-errorlogs || rc=$?

if [ "${RTLS_RELEASE_ROOT:-on}" != off ]; then
	prep_rc=0
	wait "$prep_pid" || prep_rc=$?
	trap - INT TERM HUP
	cat "$prep_log"
	if [ "$prep_rc" = 0 ]; then
		./scripts/release-root.sh run "$builddir" || rc=$?
	else
		echo "test.sh: the other release's root could not be prepared (exit $prep_rc)" >&2
		rc=1
	fi
	# the run's TAP log (absent when it could not run: tap-summary counts that as a failure)
	other=$(./scripts/release-root.sh log "$builddir") || rc=1
else
	echo "test.sh: RTLS_RELEASE_ROOT=off: the other Debian release's Claws was not tested" >&2
	rc=1
fi

# shellcheck disable=SC2086
python3 scripts/tap-summary.py "$builddir/meson-logs/testlog.json" \
	"asan:$asandir/meson-logs/testlog.json" $other || rc=$?
exit "$rc"
