#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A journal left by a previous run (written here by hand, in the format the
# worker writes: "syncd-journal 1\n", then records KIND PATH NUL) is
# replayed at start, even with on_start = no and a clean previous stop (no
# "running" file): P a path, D a directory and its immediate entries
# exactly (as "rsync --dirs --delete dir/" would), G a path gone.  Its
# last record lacks the NUL (a torn write): it is ignored with a warning
# ("torn"), and nothing is logged as an error.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/sub" "$SRC/dir/deep" "$SRC/other"
printf 'a\n' >"$SRC/a"
printf 'b\n' >"$SRC/sub/b"
printf 'in dir\n' >"$SRC/dir/x"
printf 'deeper\n' >"$SRC/dir/deep/y"
printf 'with space\n' >"$SRC/sp ace"
printf 'not listed\n' >"$SRC/other/unlisted"
printf 'torn\n' >"$SRC/torn-file"
# the mirror has files the source lost while the remote was away
printf 'old\n' >"$MIRROR/old"
mkdir -p "$MIRROR/dir"
printf 'stale\n' >"$MIRROR/dir/stale"

CFG=$T/torn.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[full_sync]\non_start = no\n'
} >"$CFG"
syncd_instance "$CFG"
mkdir -p "$SYNCD_IDIR"
JOURNAL=$(journal_file r1)
printf 'syncd-journal 1\nPa\0Psub/b\0Ddir\0Psp ace\0Gold\0Ptorn-file' >"$JOURNAL"
assert_not_exists "$SYNCD_IDIR/running"

start_syncd "$CFG"
wait_ready
wait_for 10 "the journal's files on the mirror" test -f "$MIRROR/a"
wait_for 5 "sub/b" test -f "$MIRROR/sub/b"
wait_for 5 "dir/x" test -f "$MIRROR/dir/x"
wait_for 5 "'sp ace'" test -f "$MIRROR/sp ace"
wait_for 5 "dir/deep" test -d "$MIRROR/dir/deep"
wait_for 5 "old to be deleted from the mirror" test ! -e "$MIRROR/old"
wait_for 5 "dir/stale to be deleted from the mirror" test ! -e "$MIRROR/dir/stale"
assert_same_file "$SRC/a" "$MIRROR/a"
assert_same_file "$SRC/sub/b" "$MIRROR/sub/b"
assert_same_file "$SRC/dir/x" "$MIRROR/dir/x"
sleep 1
# only what the journal listed: no full sync ran, the torn record is
# dropped, and D covers the immediate entries only
assert_not_exists "$MIRROR/dir/deep/y"
assert_not_exists "$MIRROR/other"
assert_not_exists "$MIRROR/torn-file"
assert_log 'torn'
log_text | grep -i 'torn' | grep -q '^<4>' || fail "the torn record is not reported as a warning: $(log_text | grep -i torn)"
if log_text | grep -q '^<3>'; then
	log_text | grep '^<3>' >&2
	fail "errors logged replaying a journal with a torn last record"
fi
assert_no_log 'unclean'
assert_no_log 'full sync started'
wait_for 5 "the journal emptied" journal_is_empty r1
assert_syncd_running
stop_syncd
pass
