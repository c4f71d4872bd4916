#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A full or read-only state directory stops no run: the files a run is
# given (exclude rules, the empty copies of the parents of deletions for a
# receiver that rejects --delete-missing-args) are made in the runtime
# directory, and the deletions read the source's parents when the copies
# cannot be made at all.  Pushes, deletions and a full sync with excludes
# and regex excludes all reach the mirror while the state directory is a
# full tmpfs, then while it is read-only; the journal is off meanwhile
# (journal-full-disk tests that part).  With Debian 12's rsync 3.2.7
# extracted by tests/install-deps, the daemon is that one.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
in_own_mount_namespace "$@"
need_syncd
need_ctl
[ -n "${TEST_RSYNCD:-}" ] || [ ! -x /opt/rsync327/usr/bin/rsync ] ||
	RSYNCD_BIN=/opt/rsync327/usr/bin/rsync
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/d" "$SYNCD_STATE"
for i in 1 2 3; do printf 'old %s\n' "$i" >"$SRC/d/old$i"; done
rsync -a "$SRC/" "$MIRROR/"
FILTER=(--exclude='*.tmp' --exclude='*.bak')

mount -t tmpfs -o size=64k,mode=0755 syncd-test "$SYNCD_STATE" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs: $(cat "$T/mount.err")"
CFG=$T/full.ini
{
	source_section "$SRC" 'exclude = *.tmp' 'exclude_regex = \.bak$'
	rsyncd_remote r1
	fast_sections
	printf '[full_sync]\non_start = true\n'
} >"$CFG"
dd if=/dev/zero of="$SYNCD_STATE/filler" bs=4k 2>/dev/null
start_syncd "$CFG"
wait_ready
wait_ctl
# A .bak made while the full sync reads the tree could reach the mirror
# (syncd.ini(5), exclude_regex); this test is about the state dir.
wait_for 20 "the full sync at start" log_count_gt 'r1: full sync done' 0

changes() { # TAG
	printf 'new %s\n' "$1" >"$SRC/d/new-$1"
	printf 'skip\n' >"$SRC/d/x-$1.tmp"
	printf 'skip\n' >"$SRC/d/y-$1.bak"
	mkdir "$SRC/dir-$1"
	printf 'in dir\n' >"$SRC/dir-$1/f"
}
changes full
rm "$SRC/d/old1"
wait_converged "$SRC" "$MIRROR" 20 "${FILTER[@]}"
assert_not_exists "$MIRROR/d/x-full.tmp"
assert_not_exists "$MIRROR/d/y-full.bak"
assert_not_exists "$MIRROR/d/old1"
assert_no_log 'cannot (create|write) .*excludes'

# read-only (a tmpfs is remounted so only with no file open for writing)
stop_syncd
mount -o remount,ro "$SYNCD_STATE" || fail "cannot remount $SYNCD_STATE read-only"
# and no empty copies: a file where their directory goes
rm -rf "$SYNCD_RUNTIME/full/r1.deletions"
printf 'not a directory\n' >"$SYNCD_RUNTIME/full/r1.deletions"
start_syncd "$CFG"
wait_ready
wait_ctl
changes ro
rm "$SRC/d/old2"
wait_converged "$SRC" "$MIRROR" 20 "${FILTER[@]}"
assert_not_exists "$MIRROR/d/x-ro.tmp"
assert_not_exists "$MIRROR/d/old2"
# a full sync too
printf 'later\n' >"$SRC/d/later"
out=$(ctl resync) || fail "resync: '$out'"
wait_converged "$SRC" "$MIRROR" 20 "${FILTER[@]}"
assert_syncd_running
pass
