#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [source] events without close_write: writes are ignored (a modified
# existing file is not pushed), but a created directory still is, and a
# deletion still is.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'old\n' >"$SRC/existing"
CFG=$T/noclose.ini
{
	source_section "$SRC" 'events = create_dir, move, delete'
	rsyncd_remote r1
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/existing" $'old\n'

printf 'new content, not pushed\n' >"$SRC/existing"
mkdir "$SRC/newdir"
wait_for 20 "newdir on the mirror" test -d "$MIRROR/newdir"
sleep 1
assert_content "$MIRROR/existing" $'old\n'

# deletions are still mirrored
mkdir "$SRC/gone"
wait_for 20 "gone/ on the mirror" test -d "$MIRROR/gone"
rmdir "$SRC/gone"
wait_for 20 "gone/ deleted on the mirror" test ! -e "$MIRROR/gone"
sleep 0.5
assert_content "$MIRROR/existing" $'old\n'

assert_syncd_running
stop_syncd
pass
