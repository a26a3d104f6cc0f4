#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# setup.sh: install what building and testing claws-requiretls needs, as root, on Debian 12
# (bookworm, Claws Mail 4.1.1) or Debian 13 (trixie, Claws Mail 4.3.1).
# Idempotent: when every package is already there, apt is not touched.
#
# Postfix is installed as a *program* only: debconf is told "No configuration", so no system
# mail service is set up or started; the tests run their own Postfix from a private directory
# on 127.0.0.1.
set -eu
cd "$(dirname "$0")/.."

release=unknown
if [ -r /etc/os-release ]; then
	# shellcheck disable=SC1091
	release=$(. /etc/os-release && echo "${ID:-}-${VERSION_ID:-${VERSION_CODENAME:-}}")
fi

# One package a line: add yours where it belongs.
PACKAGES="
	gcc
	libc6-dev
	pkg-config
	meson
	ninja-build
	git
	ca-certificates
	libglib2.0-dev
	libgnutls28-dev
	libetpan-dev
	libsqlite3-dev
	libunbound-dev
	libcurl4-gnutls-dev
	dns-root-data
	gnutls-bin
	claws-mail
	claws-mail-i18n
	libclaws-mail-dev
	libgtk-3-dev
	postfix
	dovecot-imapd
	dovecot-pop3d
	python3
	time
	gettext
	xvfb
	xauth
	xdotool
	imagemagick
	x11-utils
	fonts-dejavu-core
	locales
	debootstrap
	debian-archive-keyring
	nsd
	ldnsutils
	dpkg-dev
	debhelper
	lintian
"
# claws-mail-i18n: GLib's g_dgettext() translates the plugin's own domain only when the
# program's domain (claws-mail) has a catalogue for the locale; without it Claws and the
# plugin stay English under LANG=de_DE.UTF-8.
# debootstrap, debian-archive-keyring: scripts/test.sh also runs the end-to-end suite in a root
# of the other Debian release (scripts/release-root.sh).
# dpkg-dev, debhelper, lintian: scripts/build-debs.sh (the Debian packages; scripts/test.sh
# builds them on both releases).

case $release in
debian-12 | debian-13) ;;
*) echo "setup.sh: $release is neither Debian 12 nor Debian 13; trying the same packages" >&2 ;;
esac

# The readiness check (requiretls-submit --check, issue 22): libunbound-dev (DNSSEC-validating
# DNS), libcurl4-gnutls-dev (MTA-STS policies over HTTPS) and dns-root-data (the root trust
# anchor) to build and run it; its tests serve signed zones with NSD (signed at test time with
# ldnsutils' ldns-keygen and ldns-signzone) and MTA-STS policies with nginx: nginx-light on
# Debian 12; Debian 13 has one nginx package.
case $release in
debian-12) PACKAGES="$PACKAGES nginx-light" ;;
*) PACKAGES="$PACKAGES nginx" ;;
esac

# Fuzz targets (tests/fuzz/): clang with libFuzzer and the sanitizer runtimes. Both are
# Debian's default-version names, so that they hold on Debian 12 (clang 14) and 13 (clang 19).
PACKAGES="$PACKAGES clang libclang-rt-dev"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
# Debian's nodejs + npm (Node 18 in Debian 12, Node 20 in Debian 13) only when there is no node
# at all: a node that is already there (e.g. from NodeSource, which bundles npm) is used as it is.
if ! command -v node >/dev/null 2>&1; then
	missing="$missing nodejs npm"
elif ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "setup.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	echo "postfix postfix/mailname string localhost" | debconf-set-selections
	# Never start a service from a package's postinst (policy-rc.d 101 = action forbidden).
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' > "$policy"
		chmod 755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	# Another apt run on the machine (unattended-upgrades) holds the lock for a while.
	apt-get -o DPkg::Lock::Timeout=600 update -q
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
fi

# German and French locales for the translated end-to-end runs.
need_locales=
for l in de_DE fr_FR; do
	locale -a 2>/dev/null | grep -qix "$l.utf8" || need_locales=1
done
if [ -n "$need_locales" ]; then
	if [ "$(id -u)" = 0 ] && [ -f /etc/locale.gen ]; then
		sed -i -e 's/^# *\(de_DE.UTF-8 UTF-8\)/\1/' -e 's/^# *\(fr_FR.UTF-8 UTF-8\)/\1/' /etc/locale.gen
		grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >> /etc/locale.gen
		grep -q '^fr_FR.UTF-8 UTF-8' /etc/locale.gen || echo 'fr_FR.UTF-8 UTF-8' >> /etc/locale.gen
		locale-gen >/dev/null
	else
		echo "setup.sh: the de_DE.UTF-8 and fr_FR.UTF-8 locales are missing (run as root)" >&2
	fi
fi

# The npm test peers, exactly as pinned in tests/package-lock.json.
if [ ! -f tests/node_modules/.package-lock.json ] ||
   ! cmp -s tests/package-lock.json tests/node_modules/.rtls-lock 2>/dev/null; then
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	cp tests/package-lock.json tests/node_modules/.rtls-lock
fi
