#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rsync writing into the watched tree (a relay's daemon module, a deploy by
# rsync) renames each file into place from a temporary ".NAME.XXXXXX"
# beside it, which is mirrored too: the worker says so once, naming the
# recipe (RELAYS in syncd.ini(5)).  Not when the temporary files are
# written into an excluded directory, nor for a rename that only looks
# like it.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src
DST=$T/local-mirror
mkdir -p "$SRC/.rsync-tmp" "$DST" "$T/in/d"
CFG=$T/into.ini
{
	source_section "$SRC" 'exclude = /.rsync-tmp/'
	local_remote here "$DST"
} >"$CFG"
start_syncd "$CFG"
wait_ready
WARNING='rsync writes into the tree.*RELAYS in syncd\.ini\(5\)'

# a rename that only looks like rsync's, and rsync's through the excluded
# temp dir: no warning
printf 'x\n' >"$SRC/.f.abc123x"
mv "$SRC/.f.abc123x" "$SRC/f"
printf 'y\n' >"$SRC/.g.ab-123"
mv "$SRC/.g.ab-123" "$SRC/g"
printf 'one\n' >"$T/in/d/one"
rsync -a --temp-dir="$SRC/.rsync-tmp" "$T/in/" "$SRC/"
wait_converged "$SRC" "$DST" 20 --exclude=/.rsync-tmp/
assert_no_log "$WARNING"

# rsync's own temporary files: once
for i in 1 2 3; do printf '%s\n' "$i" >"$T/in/d/f$i"; done
rsync -a "$T/in/" "$SRC/"
wait_converged "$SRC" "$DST" 20 --exclude=/.rsync-tmp/
wait_for 10 "the warning" log_count_gt "$WARNING" 0
assert_eq "$(log_count "$WARNING")" 1 "warnings"
assert_log 'd/f1 was renamed into place from \.f1\.[A-Za-z0-9]{6}'
assert_syncd_running
stop_syncd
pass
