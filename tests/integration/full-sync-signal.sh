#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [full_sync] on_start = no: pre-existing files are not pushed at start;
# SIGUSR1 runs a full sync now (and repairs a mirror changed behind the
# worker's back).  Then [full_sync] every = 1s repairs a tampered mirror
# without any event or signal.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/d"
printf 'pre\n' >"$SRC/pre"
printf 'pre d\n' >"$SRC/d/f"
CFG=$T/nostart.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[full_sync]\non_start = no\nevery = 0\n'
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
# a live change is pushed, the pre-existing files are not
printf 'live\n' >"$SRC/live"
wait_for 20 "live file on the mirror" test -f "$MIRROR/live"
sleep 0.5
assert_not_exists "$MIRROR/pre"
assert_not_exists "$MIRROR/d/f"

kill -USR1 "$SYNCD_PID"
wait_converged "$SRC" "$MIRROR"

# tamper with the mirror; SIGUSR1 repairs it
rm "$MIRROR/pre"
printf 'junk\n' >"$MIRROR/junk"
kill -USR1 "$SYNCD_PID"
wait_converged "$SRC" "$MIRROR"
assert_syncd_running
stop_syncd

# periodic full sync
CFG2=$T/every.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[full_sync]\non_start = no\nevery = 1s\n'
	fast_sections
} >"$CFG2"
start_syncd "$CFG2" -v
wait_ready
rm "$MIRROR/d/f"
printf 'junk\n' >"$MIRROR/junk2"
wait_converged "$SRC" "$MIRROR" 15
assert_syncd_running
stop_syncd
pass
