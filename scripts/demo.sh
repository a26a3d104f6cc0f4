#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# demo.sh: the main job on an embedded default. Installs what it needs, builds, then:
#   1. starts a local REQUIRETLS-capable submission server (nodemailer's smtp-server) with a
#      throwaway CA on 127.0.0.1 and submits a sample message with --require-tls (transcript);
#   2. shows the same message refused, before MAIL FROM, by a server that does not offer
#      REQUIRETLS (the same peer with the keyword hidden, then Debian's Postfix 3.7);
#   3. with --claws (and a display, or Xvfb), opens Claws Mail on a throwaway profile with the
#      plugin loaded and an account pointed at the local REQUIRETLS server, ready to click.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
builddir=${RTLS_BUILDDIR:-build}
if [ -f "$builddir/build.ninja" ]; then
	meson setup --reconfigure "$builddir" -Dplugin=enabled >/dev/null
else
	meson setup "$builddir" -Dplugin=enabled >/dev/null
fi
meson compile -C "$builddir" >/dev/null
RTLS_HELPER="$PWD/$builddir/helper/requiretls-submit" \
RTLS_BUILDDIR="$PWD/$builddir" \
RTLS_TESTS_SRCDIR="$PWD/tests" \
	exec python3 scripts/demo.py "$@"
