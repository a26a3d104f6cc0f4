#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# install-user.sh: build and install claws-requiretls for the current user, without root:
#   ~/.claws-mail/plugins/requiretls.so      the plugin
#   ~/.local/bin/requiretls-submit           the helper (the plugin's default helper path)
#   ~/.local/share/locale/*/LC_MESSAGES/     the translations
#   ~/.local/share/man/man1/                 the manual page
# and, when Claws Mail is not running, adds the plugin to Claws' plugin list
# (~/.claws-mail/clawsrc), so that it is loaded at the next start.
#
# The build dependencies must be installed (as root: scripts/setup.sh, or the packages named
# in the README). RTLS_BUILDDIR (default build-user) is the build directory.
set -eu
cd "$(dirname "$0")/.."
: "${HOME:?HOME is not set}"

prefix=$HOME/.local
rcdir=$HOME/.claws-mail
plugindir=$rcdir/plugins
plugin=$plugindir/requiretls.so
builddir=${RTLS_BUILDDIR:-build-user}

for tool in meson ninja pkg-config cc msgfmt; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-user.sh: $tool is missing; as root, run scripts/setup.sh (or see the README)" >&2
		exit 1
	fi
done
for pc in glib-2.0 gnutls sqlite3 libcurl claws-mail gtk+-3.0; do
	if ! pkg-config --exists "$pc"; then
		echo "install-user.sh: the $pc development files are missing; as root, run" \
			"scripts/setup.sh (or see the README)" >&2
		exit 1
	fi
done

# (Debian 12's libunbound.pc names libevent, which libunbound-dev does not bring: the header)
if [ ! -f /usr/include/unbound.h ]; then
	echo "install-user.sh: the libunbound development files are missing; as root, run" \
		"scripts/setup.sh (or see the README)" >&2
	exit 1
fi

opts="--prefix=$prefix -Dclaws_plugindir=$plugindir -Dplugin=enabled -Dtests=false"
if [ -f "$builddir/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson setup --reconfigure "$builddir" $opts >/dev/null
else
	# shellcheck disable=SC2086
	meson setup "$builddir" $opts >/dev/null
fi
meson compile -C "$builddir" >/dev/null
meson install -C "$builddir" --quiet --no-rebuild

echo "Installed for $(id -un):"
# Claws' pkg-config version has a fourth number ("4.3.1.0"); Claws itself says "4.3.1"
claws_version=$(pkg-config --modversion claws-mail | sed 's/\.0$//')
echo "  plugin        $plugin (built for Claws Mail $claws_version)"
echo "  helper        $prefix/bin/requiretls-submit"
echo "  translations  $prefix/share/locale"

# Claws' plugin list: Claws rewrites clawsrc when it exits, so it is only edited while no
# Claws of this user runs on ~/.claws-mail (one with another HOME or --alternate-config-dir
# keeps its settings elsewhere).
running=
for p in /proc/[0-9]*; do
	[ -O "$p" ] && [ "$(cat "$p/comm" 2>/dev/null)" = claws-mail ] || continue
	tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "HOME=$HOME" || continue
	tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -q '^--alternate-config-dir' && continue
	running=1
	break
done
if [ -n "$running" ]; then
	echo "Claws Mail is running: load the plugin with Configuration → Plugins → Load… ($plugin)."
elif [ -f "$rcdir/clawsrc" ] && grep -qxF "$plugin" "$rcdir/clawsrc"; then
	echo "Claws Mail loads it at start (it is in $rcdir/clawsrc)."
else
	mkdir -p "$rcdir"
	rc=$rcdir/clawsrc
	if [ -f "$rc" ] && grep -qx '\[Plugins_GTK3\]' "$rc"; then
		tmp=$(mktemp "$rc.XXXXXX")
		awk -v p="$plugin" '{ print } $0 == "[Plugins_GTK3]" { print p }' "$rc" >"$tmp"
		chmod --reference="$rc" "$tmp" 2>/dev/null || true
		mv "$tmp" "$rc"
	else
		# (a last line without its newline gets one first)
		[ -s "$rc" ] && [ -n "$(tail -c 1 "$rc")" ] && echo >>"$rc"
		printf '[Plugins_GTK3]\n%s\n' "$plugin" >>"$rc"
	fi
	echo "Claws Mail loads it at its next start (added to $rc)."
fi
case ":$PATH:" in
*":$prefix/bin:"*) ;;
*) echo "Note: $prefix/bin is not in PATH; the plugin finds the helper there anyway." ;;
esac
