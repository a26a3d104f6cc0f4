#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# test.sh: install what is needed, build in ./build-test (gcc) and ./build-test-san (clang,
# ASan, UBSan, libFuzzer), run every test (unit, under the sanitizers too, fuzz, integration
# against real local servers, end-to-end in Claws Mail under Xvfb), then the whole end-to-end
# suite once more against the Claws Mail of the other Debian release (4.3.1 in a Debian 13 root
# on Debian 12, 4.1.1 in a Debian 12 root on Debian 13: scripts/release-root.sh; the root is
# cached in ./build-test/release-root). Prints one summary line "N passed, N failed" over all
# of it. Exit status is non-zero when anything failed or was skipped.
# Last, the Debian packages of both releases (scripts/build-debs.sh, here and in the other
# release's root) are installed with apt into a root of each release that has only Debian's
# Claws Mail, and tried there in Claws (scripts/release-root.sh packages-prepare and
# packages-run; those roots are cached in ./build-test/package-roots).
#
# RTLS_RELEASE_ROOT=off leaves the other release out, and the packages with it (the summary
# then says so, and fails).
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
	# The package roots (one per release, only Claws Mail in them), then this release's
	# packages: also in the background, also mostly downloading (the other release's packages
	# are built in its root by "prepare" above).
	pkg_log=$builddir/packages-prepare.log
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	{ ./scripts/release-root.sh packages-prepare "$builddir" &&
		nice ./scripts/build-debs.sh "$builddir/debs/$codename"; } >"$pkg_log" 2>&1 &
	pkg_pid=$!
	# an interrupt stops them too (release-root.sh cleans up after itself)
	trap 'kill "$prep_pid" "$pkg_pid" 2>/dev/null; exit 130' INT
	trap 'kill "$prep_pid" "$pkg_pid" 2>/dev/null; exit 143' TERM HUP
fi

if [ -f "$builddir/build.ninja" ]; then
	meson setup --reconfigure "$builddir" -Dplugin=enabled -Dtests=true -Dtest_hooks=true >/dev/null
else
	meson setup "$builddir" -Dplugin=enabled -Dtests=true -Dtest_hooks=true
fi
meson compile -C "$builddir"

# The sanitizer build: clang with AddressSanitizer and UndefinedBehaviorSanitizer, every file
# instrumented for libFuzzer too. The unit tests run once more there (the parsers of untrusted
# input must never read out of bounds), and so do the fuzz targets (tests/fuzz/). No Claws
# module is built there.
sandir="$builddir-san"
if [ -f "$sandir/build.ninja" ]; then
	meson setup --reconfigure "$sandir" >/dev/null
else
	CC=clang CFLAGS="-fsanitize=fuzzer-no-link -fno-omit-frame-pointer -gline-tables-only" \
		meson setup "$sandir" -Dplugin=disabled -Dtests=true -Dfuzzing=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
meson compile -C "$sandir" >/dev/null

# Tests run side by side: each starts its servers on port 0 in a folder of its own, and each
# e2e suite its own Xvfb, profile and Claws. They mostly wait (for windows, servers, timers),
# so more of them than cores: RTLS_TEST_JOBS (default 6).
jobs=${RTLS_TEST_JOBS:-6}
rc=0
ASAN_OPTIONS=detect_leaks=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$sandir" --no-rebuild --suite unit --suite fuzz --num-processes 2 \
	--print-errorlogs || rc=$?
# (The "release" suite needs a module of the other release: scripts/release-root.sh runs it.)
# (The "packages" suite needs the package roots mounted: scripts/release-root.sh packages-run.)
meson test -C "$builddir" --num-processes "$jobs" --print-errorlogs --no-suite release \
	--no-suite packages "$@" || rc=$?

if [ "${RTLS_RELEASE_ROOT:-on}" != off ]; then
	prep_rc=0
	wait "$prep_pid" || prep_rc=$?
	trap 'kill "$pkg_pid" 2>/dev/null; exit 130' INT
	trap 'kill "$pkg_pid" 2>/dev/null; exit 143' TERM HUP
	cat "$prep_log"
	if [ "$prep_rc" = 0 ]; then
		RTLS_TEST_JOBS=$jobs ./scripts/release-root.sh run "$builddir" || rc=$?
	else
		echo "test.sh: the other release's root could not be prepared (exit $prep_rc)" >&2
		rc=1
	fi
	# the run's TAP log (absent when it could not run: tap-summary counts that as a failure)
	other=$(./scripts/release-root.sh log "$builddir") || rc=1

	# The Debian packages of both releases, each in a root with only Claws Mail.
	pkg_rc=0
	wait "$pkg_pid" || pkg_rc=$?
	trap - INT TERM HUP
	cat "$pkg_log"
	rm -f "$builddir/meson-logs/packages-testlog.json"
	if [ "$prep_rc" = 0 ] && [ "$pkg_rc" = 0 ]; then
		./scripts/release-root.sh packages-run "$builddir" || rc=$?
	else
		echo "test.sh: the packages or their roots could not be made (exit $pkg_rc)" >&2
		rc=1
	fi
	other="$other packages:$builddir/meson-logs/packages-testlog.json"
else
	echo "test.sh: RTLS_RELEASE_ROOT=off: the other Debian release's Claws was not tested" >&2
	rc=1
fi

# shellcheck disable=SC2086
python3 scripts/tap-summary.py "$builddir/meson-logs/testlog.json" \
	"sanitizers:$sandir/meson-logs/testlog.json" $other || rc=$?
exit "$rc"
