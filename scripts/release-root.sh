#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# release-root.sh prepare|run|log BUILDDIR: the end-to-end suite against the Claws Mail of the
# *other* Debian release, in a root made with debootstrap from Debian's own archive.
#
# On Debian 12 (Claws Mail 4.1.1) the root is Debian 13 (Claws Mail 4.3.1), on Debian 13 it is
# Debian 12; RTLS_OTHER_RELEASE=bookworm|trixie chooses by hand (any other host needs it).
#
#   prepare  makes the root (cached in BUILDDIR/release-root/SUITE and reused when present),
#            installs the packages there with this tree's scripts/setup.sh, copies this source
#            tree in (with tests/node_modules, so npm is not needed in the root) and builds the
#            helper and the plugin there.
#   run      runs every test of the e2e suite there (meson test --suite e2e, so a test added
#            to tests/meson.build is run as well), and the "release" suite: the host's own
#            module (BUILDDIR/plugin/requiretls.so) refused by the other Claws; copies the TAP
#            log out to BUILDDIR/release-root/SUITE-testlog.json (for scripts/tap-summary.py).
#   log      prints the argument for scripts/tap-summary.py: "debian13:BUILDDIR/…-testlog.json".
#   packages-prepare
#            makes the package roots, one per release (bookworm and trixie, cached in
#            BUILDDIR/package-roots/SUITE and reused when present): debootstrap's minbase
#            with Claws Mail from Debian (claws-mail, claws-mail-i18n) and the German locale,
#            nothing of our build dependencies, so that a Depends missing from our packages
#            shows.
#   packages-run
#            mounts each package root as the lower layer of an overlay whose upper layer is a
#            tmpfs (the cached root is never changed: every run starts from Claws alone) and
#            runs the "packages" suite (tests/e2e/test_claws_packages.py, once per release)
#            against them: the packages of BUILDDIR/debs/SUITE (scripts/build-debs.sh here,
#            and in the release root by "prepare") installed with apt, Claws, removal, and the
#            other release's packages refused. TAP log: BUILDDIR/meson-logs/packages-testlog.json.
#
# Each phase runs in its own mount and PID namespace (unshare): every mount it makes is gone
# and every process it started is killed when the phase ends, on success, failure, interrupt
# (TERM, INT, HUP) or SIGKILL of unshare. Nothing is mounted on the host, no service is
# started in the root.
# Needs root. RTLS_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -Eeuo pipefail
export LC_ALL=C
# a command that fails under set -e says where, instead of ending the phase in silence
trap 'echo "release-root: failed: line $LINENO: $BASH_COMMAND" >&2' ERR

usage() { echo "usage: $0 prepare|run|log|packages-prepare|packages-run BUILDDIR" >&2; exit 64; }
[ $# = 2 ] || usage
phase=$1
case $phase in prepare | run | log | packages-prepare | packages-run) ;; *) usage ;; esac

src=$(cd "$(dirname "$0")/.." && pwd -P)
mkdir -p "$2"
builddir=$(cd "$2" && pwd -P)

host=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
suite=${RTLS_OTHER_RELEASE:-}
if [ -z "$suite" ]; then
	case $host in
	bookworm) suite=trixie ;;
	trixie) suite=bookworm ;;
	*) echo "release-root: host is '$host', not Debian 12 or 13: set RTLS_OTHER_RELEASE" >&2
	   exit 1 ;;
	esac
fi
case $suite in
bookworm) label=debian12 ;;
trixie) label=debian13 ;;
*) echo "release-root: RTLS_OTHER_RELEASE=$suite: only bookworm or trixie" >&2; exit 64 ;;
esac

cache=$builddir/release-root
root=$cache/$suite
log=$cache/$suite-$phase.log
case $phase in
packages-*)
	# both releases, one after the other (pkg_suite sets root, suite, label and log)
	cache=$builddir/package-roots
	suite=packages
	label=packages
	log=$cache/$phase.log
	;;
esac
mkdir -p "$cache"
[ "$(id -u)" = 0 ] || [ "$phase" = log ] || { echo "release-root: must run as root (debootstrap, chroot)" >&2; exit 1; }

# The argument of scripts/tap-summary.py for this run's TAP log (no namespace needed).
if [ "$phase" = log ]; then
	echo "$label:$cache/$suite-testlog.json"
	exit 0
fi

# ---------------------------------------------------------------------------------------------
# Outside: start the phase again as PID 1 of a new PID namespace, in a private mount namespace.
# --kill-child: when unshare ends however it ends, its child gets SIGKILL, and with it (PID 1)
# the kernel kills every process of the namespace; the last process gone takes the mounts.
# unshare itself ignores TERM and INT while it waits, so this shell stays and hands them on to
# the inner script, whose trap cleans up.
if [ -z "${RTLS_IN_NS:-}" ]; then
	self=$(readlink -f "$0")
	# Mounts made in the namespace must not propagate back: unshare makes every mount private.
	# That needs "/" to be a mount point, which it is not inside a plain chroot (then the mount
	# holding the chroot is out of sight, and its propagation is left as the chroot's maker set
	# it; the mounts made here are still unmounted by the trap below).
	prop=private
	awk '$5 == "/" { found = 1 } END { exit !found }' /proc/self/mountinfo || prop=unchanged
	# (trap - INT: a background job of a script would otherwise start with SIGINT ignored)
	(
		trap - INT QUIT
		export RTLS_IN_NS=1
		exec unshare --mount --propagation "$prop" --pid --fork --kill-child --mount-proc \
			/bin/bash "$self" "$phase" "$builddir"
	) &
	upid=$!
	fwd() {
		local c
		for c in $(cat "/proc/$upid/task/$upid/children" 2>/dev/null); do kill -s "$1" "$c" 2>/dev/null; done
	}
	trap 'fwd TERM' TERM
	trap 'fwd INT' INT
	trap 'fwd HUP' HUP
	while :; do
		rc=0
		wait "$upid" || rc=$?
		kill -0 "$upid" 2>/dev/null || exit "$rc"
	done
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
say() { echo "release-root[$label $phase]: $*"; }

exec 9>"$cache/$suite.lock"
flock -w 3600 9 || { say "could not lock $cache/$suite.lock"; exit 1; }

mounted=()
cleanup() {
	local i
	trap '' INT TERM HUP
	# stop what still runs in the root (the namespace would end it too, a moment later)
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		[ "$p/root" -ef "$root" ] 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM HUP

# The long commands run in the background while this shell waits: bash runs a trap only once
# the foreground command is over, but "wait" gives way to a signal at once.
fg() {
	"$@" &
	wait $!
}

mnt() { # mnt TARGET mount-args...
	local t=$1
	shift
	mount "$@" "$t"
	mounted+=("$t")
}

mount_root() {
	local n name maj min
	mnt "$root/proc" -t proc -o nosuid,nodev,noexec proc
	mnt "$root/sys" -t sysfs -o ro,nosuid,nodev,noexec sysfs
	# a minimal /dev of its own: the host's devices stay out of reach
	mnt "$root/dev" -t tmpfs -o nosuid,mode=0755,size=16m rtls-dev
	for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		IFS=: read -r name maj min <<<"$n"
		mknod -m 666 "$root/dev/$name" c "$maj" "$min"
	done
	ln -s /proc/self/fd "$root/dev/fd"
	ln -s /proc/self/fd/0 "$root/dev/stdin"
	ln -s /proc/self/fd/1 "$root/dev/stdout"
	ln -s /proc/self/fd/2 "$root/dev/stderr"
	mkdir -p "$root/dev/pts" "$root/dev/shm"
	mnt "$root/dev/pts" -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts
	ln -s pts/ptmx "$root/dev/ptmx"
	mnt "$root/dev/shm" -t tmpfs -o nosuid,nodev,mode=1777 rtls-shm
	mnt "$root/tmp" -t tmpfs -o nosuid,nodev,mode=1777 rtls-tmp
	mnt "$root/run" -t tmpfs -o nosuid,nodev,mode=0755 rtls-run
	mkdir -p "$root/run/lock"
	chmod 1777 "$root/run/lock"
}

# Run a command in the root, with a clean environment (proxies passed on for apt).
in_root() {
	local e=()
	for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY CI; do
		[ -n "${!v:-}" ] && e+=("$v=${!v}")
	done
	env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${e[@]}" \
		chroot "$root" "$@"
}

# The host's name service and any CA the host added (a proxy's), so apt works as on the host.
sync_net() {
	rm -f "$root/etc/resolv.conf" "$root/etc/hosts"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf"
	cp -L /etc/hosts "$root/etc/hosts"
	if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
		mkdir -p "$root/usr/local/share/ca-certificates"
		cp -rL /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
		in_root update-ca-certificates >/dev/null 2>&1 || true
	fi
	# apt proxy settings of the host, if any
	local f
	for f in /etc/apt/apt.conf.d/*; do
		[ -f "$f" ] || continue
		if grep -qsE '^[[:space:]]*Acquire::(https?::Proxy|Check-Valid-Until|Check-Date)' "$f"; then
			cp "$f" "$root/etc/apt/apt.conf.d/"
		fi
	done
}

make_root() {
	local mirror=${RTLS_DEBIAN_MIRROR:-http://deb.debian.org/debian} tmp=$root.part t0=$SECONDS
	command -v debootstrap >/dev/null || { say "debootstrap is missing (run scripts/setup.sh)"; return 1; }
	rm -rf --one-file-system "$tmp"
	say "debootstrap --variant=minbase $suite from $mirror into $tmp (log: $log)"
	fg debootstrap --variant=minbase --include=ca-certificates --components=main \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$tmp" "$mirror" >>"$log" 2>&1 || { tail -20 "$log"; say "debootstrap failed"; return 1; }
	rm -f "$tmp"/etc/apt/sources.list
	printf '%s\n' "Types: deb" "URIs: $mirror" "Suites: $suite $suite-updates" "Components: main" \
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "" \
		"Types: deb" "URIs: ${RTLS_DEBIAN_SECURITY_MIRROR:-http://security.debian.org/debian-security}" \
		"Suites: $suite-security" "Components: main" \
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
		>"$tmp/etc/apt/sources.list.d/debian.sources"
	printf '#!/bin/sh\n# release-root: no service starts in this root\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	mv "$tmp" "$root"
	say "root made in $((SECONDS - t0)) s"
}

prepare() {
	local t0=$SECONDS
	: >"$log"
	[ -x "$root/usr/sbin/policy-rc.d" ] && [ -d "$root/etc/apt" ] || make_root
	sync_net
	mount_root
	# this source tree, as it is now (uncommitted changes too), without build directories
	rm -rf --one-file-system "$root/src" "$root/build"
	mkdir -p "$root/src"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$src" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
			tar --null -T - -cf -) | tar -xf - -C "$root/src"
	else
		(cd "$src" && tar --exclude='./build*' --exclude=./tests/node_modules -cf - .) |
			tar -xf - -C "$root/src"
	fi
	[ -d "$src/tests/node_modules" ] && cp -a "$src/tests/node_modules" "$root/src/tests/"
	say "setup.sh in the root (log: $log)"
	fg in_root /bin/sh -c 'cd /src && ./scripts/setup.sh' >>"$log" 2>&1 </dev/null ||
		{ tail -30 "$log"; say "setup.sh failed in the root"; return 1; }
	in_root /bin/sh -c 'claws-mail --version' 2>/dev/null | head -1 | sed "s/^/release-root[$label]: /"
	say "building the helper and the plugin in the root"
	fg in_root /bin/sh -c 'meson setup /build /src -Dplugin=enabled -Dtests=true -Dtest_hooks=true && meson compile -C /build' \
		>>"$log" 2>&1 </dev/null || { tail -30 "$log"; say "the build failed in the root"; return 1; }
	# this release's Debian packages, for the packages phases (BUILDDIR/debs/SUITE)
	say "building the Debian packages in the root (scripts/build-debs.sh)"
	rm -rf "$root/debs" "$builddir/debs/$suite"
	fg in_root /bin/sh -c 'cd /src && ./scripts/build-debs.sh /debs' >>"$log" 2>&1 </dev/null ||
		{ tail -30 "$log"; say "build-debs.sh failed in the root"; return 1; }
	mkdir -p "$builddir/debs"
	cp -a "$root/debs" "$builddir/debs/$suite"
	say "ready in $((SECONDS - t0)) s"
}

run() {
	local t0=$SECONDS rc=0 out=$cache/$suite-testlog.json
	rm -f "$out"
	[ -f "$root/build/build.ninja" ] || { say "not prepared (run: $0 prepare $builddir)"; return 1; }
	sync_net
	mount_root
	# the host's own module, built for the host's Claws: the "release" suite sees it refused
	rm -rf "$root/foreign"
	mkdir -p "$root/foreign"
	cp "$builddir/plugin/requiretls.so" "$root/foreign/" 2>/dev/null ||
		say "no module in $builddir/plugin: the release suite will fail"
	say "meson test --suite e2e --suite release against $(in_root claws-mail --version 2>/dev/null | head -1)"
	# Side by side, as on the host (RTLS_TEST_JOBS, default 6): each starts its own Xvfb,
	# servers and Claws.
	fg in_root /usr/bin/env RTLS_FOREIGN_PLUGIN=/foreign/requiretls.so \
		meson test -C /build --no-rebuild --suite e2e --suite release \
		--num-processes "${RTLS_TEST_JOBS:-6}" --print-errorlogs </dev/null || rc=$?
	cp "$root/build/meson-logs/testlog.json" "$out" 2>/dev/null || true
	cp "$root/build/meson-logs/testlog.txt" "$cache/$suite-testlog.txt" 2>/dev/null || true
	rm -rf "$cache/$suite-e2e-shots"
	[ -d "$root/build/tests/e2e-shots" ] && cp -r "$root/build/tests/e2e-shots" "$cache/$suite-e2e-shots"
	say "e2e done in $((SECONDS - t0)) s (exit $rc); log: $out"
	run_rc=$rc # (a "return 1" would set off the ERR trap: the tests failed, not this script)
}

# The package roots ---------------------------------------------------------------------------
pkg_suites="bookworm trixie"

pkg_suite() { # pkg_suite SUITE ROOT: the globals make_root, mount_root and in_root use
	suite=$1
	root=$2
	case $suite in bookworm) label=debian12 ;; trixie) label=debian13 ;; esac
	log=$cache/$suite-$phase.log
}

packages-prepare() {
	local s t0
	for s in $pkg_suites; do
		t0=$SECONDS
		pkg_suite "$s" "$cache/$s"
		: >"$log"
		if [ -f "$root/.rtls-package-root" ]; then
			say "cached in $root"
			continue
		fi
		[ -x "$root/usr/sbin/policy-rc.d" ] && [ -d "$root/etc/apt" ] || make_root
		sync_net
		mount_root
		say "Claws Mail from Debian in the root (log: $log)"
		# --no-install-recommends: what our packages need must be in their Depends
		fg in_root /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive &&
			apt-get update -q && apt-get install -y -q --no-install-recommends \
				claws-mail claws-mail-i18n locales &&
			sed -i "s/^# *\(de_DE.UTF-8 UTF-8\)/\1/" /etc/locale.gen && locale-gen &&
			apt-get clean' >>"$log" 2>&1 </dev/null ||
			{ tail -30 "$log"; say "apt-get failed in the root"; return 1; }
		touch "$root/.rtls-package-root"
		say "made in $((SECONDS - t0)) s"
	done
}

packages-run() {
	local s t0=$SECONDS rc=0 ov lower envs=() ptmp=$cache/tmp
	rm -rf --one-file-system "$ptmp"
	mkdir -p "$ptmp"
	for s in $pkg_suites; do
		lower=$cache/$s
		[ -f "$lower/.rtls-package-root" ] ||
			{ say "no package root for $s (run: $0 packages-prepare $builddir)"; return 1; }
		# the cached root, untouched, under a throwaway upper layer
		ov=$cache/$s-overlay
		mkdir -p "$ov"
		mnt "$ov" -t tmpfs -o mode=0755 rtls-overlay
		mkdir -p "$ov/upper" "$ov/work" "$ov/root"
		mnt "$ov/root" -t overlay -o "lowerdir=$lower,upperdir=$ov/upper,workdir=$ov/work" rtls-root
		pkg_suite "$s" "$ov/root"
		sync_net
		mount_root
		# The tests' folders (TMPDIR) at the same path inside, for Claws' profile and the
		# packages: the tests run here, and only what is installed runs in the root.
		mkdir -p "$root$ptmp"
		mnt "$root$ptmp" --bind "$ptmp"
		# the cached lists may be older than the archive
		fg in_root apt-get update -q >>"$log" 2>&1 </dev/null ||
			{ tail -20 "$log"; say "apt-get update failed in the root"; return 1; }
		envs+=("RTLS_PACKAGE_ROOT_$s=$root")
		# the tests' inspector built for this release's Claws: here, or in the release root
		if [ "$s" = "$host" ]; then
			envs+=("RTLS_PACKAGE_INSPECT_$s=$builddir/tests/rtls_inspect.so")
		else
			envs+=("RTLS_PACKAGE_INSPECT_$s=$builddir/release-root/$s/build/tests/rtls_inspect.so")
		fi
	done
	label=packages
	say "meson test --suite packages (roots: ${envs[*]})"
	fg env "${envs[@]}" RTLS_PACKAGE_DEBS="$builddir/debs" TMPDIR="$ptmp" \
		meson test -C "$builddir" --no-rebuild --suite packages --logbase packages-testlog \
		--num-processes 2 --print-errorlogs </dev/null || rc=$?
	say "packages done in $((SECONDS - t0)) s (exit $rc); log: $builddir/meson-logs/packages-testlog.json"
	run_rc=$rc
}

run_rc=0
"$phase"
exit "$run_rc"
