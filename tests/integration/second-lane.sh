#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No head-of-line blocking: while a big file is pushed slowly (rsync
# --bwlimit), small files written next to it, in a directory of their own
# and in a new directory reach the mirror through the second lane, while
# the big push is still in flight (its temporary file is there, the file is
# not); a deletion may wait for it.  At the end the mirror equals the
# source.  With [rsync] lane_after = 0 (the lane off) the first small file
# waits for the big push, which is what this test saw before the lane.
# shellcheck disable=SC2317 # functions called through wait_for
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/pages"
echo old >"$SRC/pages/old"
CFG=$T/lane.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	# 8 MiB at 1 MB/s: the big push runs about 8 s
	printf '[rsync]\noptions = -art --bwlimit=1000\n'
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

big_in_flight() { compgen -G "$MIRROR/.big.bin.*" >/dev/null; }
big_there() { [ -e "$MIRROR/big.bin" ]; }
arrived() { [ -e "$MIRROR/$1" ] || big_there; }

head -c 8M /dev/urandom >"$T/big.bin"
mv "$T/big.bin" "$SRC/big.bin"
wait_for 10 "the big push to start" big_in_flight
t0=$(now_ms)
for f in big.bin.sha pages/p1 new/p2; do
	mkdir -p "$(dirname "$SRC/$f")"
	printf %s "$f" >"$SRC/$f"
	wait_for 15 "$f on the mirror" arrived "$f"
	big_there && fail "$f reached the mirror only after the big push ($(elapsed_since "$t0")s)"
	assert_content "$MIRROR/$f" "$f"
	log "$f on the mirror after $(elapsed_since "$t0")s, the big push still in flight"
	rm -f "$SRC/pages/old"	# a deletion: on the mirror by the end
done
big_in_flight || fail "the big push ended during the small ones: the test proves nothing"
j=$(ctl status --json) || fail "no status"
n=$(json_remote_field "$j" r1 lane_pushes) || fail "no lane_pushes in: $j"
[ "$n" -ge 2 ] || fail "lane_pushes is $n"
wait_converged "$SRC" "$MIRROR" 30
assert_log 'pushed [0-9]+ paths in the second lane'
assert_syncd_running
stop_syncd
pass
