#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mkdir -p 20 levels deep with a file written into every level at once: the
# worker must watch each new level and not miss files created before the
# watch was added; the mirror gets everything.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/deep.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

p=$SRC/deep
for i in $(seq 1 20); do p=$p/l$i; done
mkdir -p "$p"
d=$SRC/deep
for i in $(seq 1 20); do
	d=$d/l$i
	printf 'level %s\n' "$i" >"$d/file"
done
# a second tree, created level by level as fast as possible
d=$SRC/deep2
for i in $(seq 1 20); do
	mkdir "$d" 2>/dev/null || mkdir -p "$d"
	printf 'level %s\n' "$i" >"$d/f$i"
	d=$d/n$i
done
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR${p#"$SRC"}/file" $'level 20\n'
[ "$(find "$MIRROR/deep" -type f | wc -l)" = 20 ] || fail "expected 20 files under $MIRROR/deep"
[ "$(find "$MIRROR/deep2" -type f | wc -l)" = 20 ] || fail "expected 20 files under $MIRROR/deep2"

# the deepest level is watched: write again
printf 'late\n' >"$p/late"
wait_converged "$SRC" "$MIRROR"

assert_syncd_running
stop_syncd
pass
