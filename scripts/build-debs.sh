#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# build-debs.sh [OUTDIR]: build the Debian packages requiretls-submit and
# claws-mail-requiretls-plugin for the Debian release this runs on (12 or 13; the plugin is
# built for, and depends on, exactly the Claws Mail release installed here), and check them
# with lintian. Prints the folder they are in: OUTDIR, by default build-debs/CODENAME.
#
# The packages are built from a clean copy of this tree (its files as they are now,
# uncommitted changes too, without anything .gitignore leaves out: build directories,
# tests/node_modules), in a temporary folder removed at the end.
#
# As root, the build dependencies (debian/control) and dpkg-dev, debhelper and lintian are
# installed with apt when missing; otherwise it says what is missing and stops.
# lintian --fail-on warning: a warning or an error fails the build (its report is kept in
# OUTDIR/lintian.txt).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd -P)

codename=unknown
if [ -r /etc/os-release ]; then
	# shellcheck disable=SC1091
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
fi
out=${1:-build-debs/$codename}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

# The tools, then the build dependencies (apt reads them from debian/control itself).
tools="dpkg-dev debhelper lintian"
missing=""
for p in $tools; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ] || ! dpkg-checkbuilddeps debian/control >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		[ -n "$missing" ] && echo "build-debs.sh: missing packages:$missing" >&2
		command -v dpkg-checkbuilddeps >/dev/null 2>&1 && dpkg-checkbuilddeps debian/control >&2 || true
		echo "build-debs.sh: as root, run this script again (it installs them), or:" \
			"apt-get install$missing && apt-get build-dep $src" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# Another apt run on the machine (unattended-upgrades) holds the lock for a while.
	apt-get -o DPkg::Lock::Timeout=600 update -q
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086
		apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
	fi
	apt-get -o DPkg::Lock::Timeout=600 build-dep -y -q --no-install-recommends "$src"
fi

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/build-debs.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/claws-requiretls-$version
mkdir -p "$tree"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf - | tar -xf - -C "$tree"
else
	tar --exclude='./build*' --exclude='./_build*' --exclude=./tests/node_modules \
		--exclude='./obj-*' --exclude=./debian/.debhelper --exclude=__pycache__ --exclude='*.pyc' \
		-cf - . | tar -xf - -C "$tree"
fi

echo "build-debs.sh: building claws-requiretls $version for $codename" \
	"(Claws Mail $(pkg-config --modversion claws-mail | sed 's/\.0$//')) in $work"
# -us -uc: nothing is signed; the source package (native) is built too, for lintian.
# noautodbgsym: no -dbgsym packages, so that "apt install OUTDIR/*.deb" installs the two.
(cd "$tree" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }noautodbgsym" \
	dpkg-buildpackage -us -uc) >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	echo "build-debs.sh: dpkg-buildpackage failed (the last lines above)" >&2
	exit 1
}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes=claws-requiretls_${version}_$arch.changes
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.dsc "$out"/*.buildinfo "$out"/*.tar.* "$out/lintian.txt"
for f in "$work"/*; do
	[ -f "$f" ] && cp "$f" "$out/"
done
mv "$out/build.log" "$out/build.txt"

# Every tag lintian has, info included (-I), overrides shown (--show-overrides); only a
# warning or an error fails.
lint_rc=0
# (its own notes, such as "running with root privileges", go to stderr, not into the report)
lintian -I --show-overrides --fail-on warning "$out/$changes" >"$out/lintian.txt" || lint_rc=$?
echo "build-debs.sh: lintian ($(lintian --version)):"
if [ -s "$out/lintian.txt" ]; then sed 's/^/  /' "$out/lintian.txt"; else echo "  (nothing to say)"; fi
echo "build-debs.sh: packages in $out:"
(cd "$out" && ls -1 ./*.deb | sed 's|^\./|  |')
if [ "$lint_rc" != 0 ]; then
	echo "build-debs.sh: lintian failed (exit $lint_rc)" >&2
	exit 1
fi
echo "install them:  apt install $out/*.deb"
