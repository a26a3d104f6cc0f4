#!/bin/sh
# make.sh: writes tests/data/journal/v*.journal again, each with the code of the release that
# wrote such journals (its tree from git, built here in a temporary folder). Never run by the
# tests; the journals are kept as they are. Needs gcc, GLib and libetpan (scripts/setup.sh).
#   v1-outcomes     3aa1eae  one line per send, its outcome
#   v2-reports      bb2a84a  + reports (bounced, unverified), forgotten rows
#   v3-write-ahead  54c60c7  + started, filed, closed, confirmed, interrupted, sent-default,
#                            the queue entry, the stage, the retry time
#   v4-facts        8de785f  + the helper's facts, the plugin's cause, a report's action
#   v5-tls-floor    d4d2462  + the TLS floor (tls-problem)
# (e91dbc8 moved the code to core/ and wrote the same; the store replaces the journal after.)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(git -C "$here" rev-parse --show-toplevel)
out=$here/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' '#define GETTEXT_PACKAGE "claws-requiretls"' '#define LOCALEDIR "/nonexistent"' \
	'#define RTLS_VERSION "0.1.0"' '#define RTLS_BINDIR "/usr/bin"' >"$tmp/config.h"
glib=$(pkg-config --cflags --libs glib-2.0)

tree() {
	mkdir -p "$tmp/$1"
	git -C "$top" archive "$1" | tar -x -C "$tmp/$1"
}

tree 3aa1eae
r=$tmp/3aa1eae
# shellcheck disable=SC2086
gcc -o "$tmp/gen-v1" -I"$tmp" -I"$r/plugin" -I"$r/helper" "$here/gen-v1.c" "$r/plugin/rtls_journal.c" \
	"$r/helper/codec.c" "$r/helper/errors.c" $glib
rm -f "$out/v1-outcomes.journal"
"$tmp/gen-v1" "$out/v1-outcomes.journal"

tree bb2a84a
r=$tmp/bb2a84a
# shellcheck disable=SC2086
gcc -o "$tmp/gen-v2" -I"$tmp" -I"$r/plugin" -I"$r/helper" "$here/gen-v2.c" "$r/plugin/rtls_journal.c" \
	"$r/plugin/rtls_delivery.c" "$r/plugin/rtls_dsn.c" "$r/helper/codec.c" "$r/helper/errors.c" \
	$glib -letpan
rm -f "$out/v2-reports.journal"
"$tmp/gen-v2" "$out/v2-reports.journal" "$r/tests/data/dsn"

for v in 3:54c60c7:v3-write-ahead 4:8de785f:v4-facts 5:d4d2462:v5-tls-floor; do
	n=${v%%:*}
	rest=${v#*:}
	rev=${rest%%:*}
	name=${rest#*:}
	tree "$rev"
	r=$tmp/$rev
	c=$r/plugin/core
	# shellcheck disable=SC2086
	gcc -DREL="$n" -o "$tmp/gen-v$n" -I"$tmp" -I"$c" -I"$r/helper" "$here/gen-wal.c" \
		"$c/rtls_journal.c" "$c/rtls_delivery.c" "$c/rtls_dsn.c" "$c/rtls_attempt.c" \
		"$c/rtls_record.c" "$r/helper/codec.c" "$r/helper/errors.c" $glib -letpan
	rm -f "$out/$name.journal"
	"$tmp/gen-v$n" "$out/$name.journal" "$r/tests/data/dsn"
done
