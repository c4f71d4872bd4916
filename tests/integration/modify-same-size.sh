#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A file rewritten with the same size within the same second as the version
# already on the mirror still converges.  rsync's quick check compares size
# and whole-second mtimes by default, so a worker that relies on it (plain
# -artuz, no --modify-window=-1 / --checksum / --ignore-times for changed
# files) would skip this change forever.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/samesize.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

hit=0
for attempt in 1 2 3 4 5; do
	# start just after a second boundary, by the file system's clock: file
	# times come from the kernel's coarse clock, a tick (up to 10 ms)
	# behind the one bash reads
	frac=${EPOCHREALTIME#*.}
	wait_us=$((1030000 - 10#$frac))
	sleep "$((wait_us / 1000000)).$(printf '%06d' $((wait_us % 1000000)))"
	printf 'value %s-A\n' "$attempt" >"$SRC/counter"
	wait_converged "$SRC" "$MIRROR"
	printf 'value %s-B\n' "$attempt" >"$SRC/counter"
	if [ "$(stat -c %Y "$SRC/counter")" = "$(stat -c %Y "$MIRROR/counter")" ]; then
		hit=1
		break
	fi
	log "attempt $attempt crossed a second boundary, again"
done
[ "$hit" = 1 ] || skip "could not rewrite within the same second (machine too slow)"
log "rewrote 'counter' with the same size within the same second (attempt $attempt)"
wait_converged "$SRC" "$MIRROR" 10
assert_content "$MIRROR/counter" "value $attempt-B"$'\n'

assert_syncd_running
stop_syncd
pass
