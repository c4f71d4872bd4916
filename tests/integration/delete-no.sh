#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [rsync] delete = no: deleted files and directories stay on the mirror,
# new files still arrive, and the full sync on start does not delete either.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/d" "$MIRROR"
printf 'a\n' >"$SRC/a"
printf 'in d\n' >"$SRC/d/f"
printf 'stale\n' >"$MIRROR/stale-on-mirror"
CFG=$T/nodelete.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[rsync]\ndelete = no\n'
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_for 20 "initial files on the mirror" test -f "$MIRROR/d/f"
wait_for 5 "a on the mirror" test -f "$MIRROR/a"
assert_content "$MIRROR/stale-on-mirror" $'stale\n'

rm "$SRC/a"
rm -rf "$SRC/d"
printf 'marker\n' >"$SRC/marker"
wait_for 20 "marker on the mirror" test -f "$MIRROR/marker"
sleep 1
assert_content "$MIRROR/a" $'a\n'
assert_content "$MIRROR/d/f" $'in d\n'
assert_content "$MIRROR/stale-on-mirror" $'stale\n'

# everything that exists in the source is there, with the right content
wait_converged "$SRC" "$MIRROR" 5 --exclude=/a --exclude=/d --exclude=/stale-on-mirror

assert_syncd_running
stop_syncd
pass
