#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A burst of 10,000 files in 100 directories converges, and is pushed in
# batches: the number of rsync runs (counted by a wrapper given as
# [rsync] binary) stays far below the number of files, and within what the
# spacing of batches during a stream allows: a few to start with, then
# about one per max_delay (500ms here) while the burst is being written,
# with room for pauses of the writer (each lets a batch go early).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
WRAP=$(make_counting_rsync)
CFG=$T/burst.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[rsync]\nbinary = %s\n' "$WRAP"
	fast_sections
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$MIRROR"
before=$(rsync_runs)

start=$(now_ms)
for d in $(seq -w 1 100); do
	mkdir "$SRC/dir$d"
	for f in $(seq -w 1 100); do
		printf 'file %s/%s\n' "$d" "$f" >"$SRC/dir$d/f$f"
	done
done
made_ms=$(($(now_ms) - start))
made=$(elapsed_since "$start")
wait_converged "$SRC" "$MIRROR" 90
total=$(elapsed_since "$start")
runs=$(($(rsync_runs) - before))
[ "$(find "$MIRROR" -type f | wc -l)" = 10000 ] || fail "mirror does not have 10000 files"
log "10000 files in 100 dirs: created in ${made}s, mirrored in ${total}s after the first write, with $runs rsync runs"
echo "burst: $runs rsync runs for 10000 files, converged ${total}s after the first write"
most=$((15 + 4 * made_ms / 1000))
[ "$runs" -le "$most" ] || fail "$runs rsync runs for 10000 files written in ${made}s (expected <= $most)"
[ "$runs" -ge 1 ] || fail "the counting wrapper was never run"

assert_syncd_running
stop_syncd
pass
