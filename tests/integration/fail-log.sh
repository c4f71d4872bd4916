#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fail log: one line per failed push or full sync,
#   TIME remote=NAME what=push|full-sync paths=N exit=CODE class=CLASS error=TEXT
# with TIME in ISO 8601 UTC.  With a dead remote (connection refused: rsync
# exit 10, class retry) it is written at its default path STATE/NAME/
# failed.log, at the path given by [retry] fail_log (whose directory the
# worker creates), and not at all with
# fail_log = none.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src
mkdir -p "$SRC"
printf 'x\n' >"$SRC/x"
hold_dead_port
PASSFILE=$T/rsync.pass
printf 'whatever\n' >"$PASSFILE"
chmod 600 "$PASSFILE"
dead_remote() {
	printf '[remote dead]\ntarget = rsync://syncuser@127.0.0.1:%s/mirror\npassword_file = %s\n' \
		"$DEAD_PORT" "$PASSFILE"
}
no_start_sync() { printf '[full_sync]\non_start = no\n'; }
LINE_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z remote=dead what=(push|full-sync) paths=[0-9]+ exit=5 class=retry error=.*syncd connector: failed to connect to 127\.0\.0\.1 port [0-9]+: Connection refused.*$'

# check_fail_log FILE: lines for both a failed push and (after a SIGUSR1)
# a failed full sync, every line in the format.  (on_start = no: while a
# remote fails, a wanted full sync is the only run that probes it.)
check_fail_log() {
	local f=$1
	wait_for 10 "a push line in $f" grep -q ' what=push ' "$f"
	kill -USR1 "$SYNCD_PID"
	wait_for 10 "a full-sync line in $f" grep -q ' what=full-sync ' "$f"
	if grep -Evq -- "$LINE_RE" "$f"; then
		grep -Ev -- "$LINE_RE" "$f" | head -n 5 >&2
		fail "lines of $f not in the fail log format"
	fi
	grep ' what=push ' "$f" | grep -Eqv ' paths=0 ' || fail "no push line of $f with paths > 0"
	log "$f: $(wc -l <"$f") lines, e.g. $(grep -m1 ' what=push ' "$f")"
}

# ---- the default path
CFG=$T/flog.ini
{ source_section "$SRC"; dead_remote; fast_sections; no_start_sync; } >"$CFG"
start_syncd "$CFG"
wait_ready
DEFAULT_LOG=$SYNCD_IDIR/failed.log
printf 'y\n' >"$SRC/y"
mkdir -p "$SRC/d"
printf 'z\n' >"$SRC/d/z"
check_fail_log "$DEFAULT_LOG"
stop_syncd

# ---- a configured path, in a directory the worker creates
CUSTOM=$T/logs/sub/fails.log
{ source_section "$SRC"; dead_remote; fast_sections "fail_log = $CUSTOM"; no_start_sync; } >"$CFG"
n_default=$(wc -l <"$DEFAULT_LOG")
start_syncd "$CFG"
wait_ready
printf 'again\n' >"$SRC/again"
check_fail_log "$CUSTOM"
assert_eq "$(stat -c %a "$T/logs/sub")" 750 "mode of the fail log's directory the worker created"
sleep 0.5
stop_syncd
assert_eq "$(wc -l <"$DEFAULT_LOG")" "$n_default" "lines of the default fail log while fail_log is set"

# ---- none
CFG2=$T/nolog.ini
{ source_section "$SRC"; dead_remote; fast_sections "fail_log = none"; no_start_sync; } >"$CFG2"
start_syncd "$CFG2"
wait_ready
printf 'more\n' >"$SRC/more"
wait_for 10 "a failed push in the log" log_count_gt 'dead: .*fail' 0
sleep 1.5
assert_not_exists "$SYNCD_IDIR/failed.log"
assert_not_exists "$T/logs/none"
assert_not_exists "$SYNCD_IDIR/none"
assert_syncd_running
stop_syncd
pass
