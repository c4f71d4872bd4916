#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Full sync on start: a pre-populated source and a mirror with stale extra
# files, a stale extra directory and an outdated file; after the start the
# mirror equals the source (stale things deleted with delete = yes).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/a/b/c" "$SRC/empty" "$MIRROR/stale-dir/sub" "$MIRROR/a"
for i in $(seq 1 30); do printf 'content %s\n' "$i" >"$SRC/a/b/c/f$i"; done
printf 'top\n' >"$SRC/top"
ln -s a/b "$SRC/link-to-b"
printf 'stale\n' >"$MIRROR/stale-file"
printf 'stale\n' >"$MIRROR/stale-dir/sub/x"
printf 'stale\n' >"$MIRROR/a/stale-in-a"
printf 'outdated\n' >"$MIRROR/top"
touch -d '2001-01-01 00:00:00' "$MIRROR/top"
CFG=$T/fullstart.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[rsync]\ndelete = yes\n[full_sync]\non_start = yes\n'
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/stale-file"
assert_not_exists "$MIRROR/stale-dir"
assert_not_exists "$MIRROR/a/stale-in-a"
assert_content "$MIRROR/top" $'top\n'
assert_symlink "$MIRROR/link-to-b" a/b
assert_dir "$MIRROR/empty"
wait_ready

assert_syncd_running
stop_syncd
pass
