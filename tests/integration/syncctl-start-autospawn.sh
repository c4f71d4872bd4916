#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "syncctl start NAME" with no supervisor running starts one in the
# background first (it logs to STATE/syncctl.log, its pid is in
# RUNTIME/syncctl.pid; the dirs given as options reach it), then waits for
# NAME to run: exit 0.  A second start asks that one.  "stop NAME" waits until stopped (pid gone); exit codes: status
# of a stopped instance 3, of an unknown one 4; start/stop of an unknown
# one 6; resync/pause of a stopped one 7.  SIGTERM to the background
# supervisor leaves nothing behind; then status exits 3 (no supervisor),
# reload exits 7 (not running) and stop 0 (nothing to stop); restart, like
# start, brings a supervisor up.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
instance_ini www
SRC=$(isrc www)
DST=$(idst www)
printf 'x\n' >"$SRC/x"
SYNCD_LOG=$SCTL_STATE/syncctl.log

out=$(sctl status 2>&1)
rc=$?
[ "$rc" = 3 ] || fail "status with no supervisor: exit $rc, expected 3 ('$out')"

# ---- start: the dirs as options, not in the environment
t0=$(now_ms)
timeout -k 5 $((30 * TEST_SLOW)) "$SYNCCTL" --config-dir "$SCTL_CONFIG" --runtime-dir "$SCTL_RUNTIME" \
	--state-dir "$SCTL_STATE" --syncd "$SCTL_SYNCD" start www >"$T/start.out" 2>&1 </dev/null
rc=$?
log "start www: exit $rc after $(elapsed_since "$t0")s: $(cat "$T/start.out")"
[ "$rc" = 0 ] || fail "start www with no supervisor: exit $rc: $(cat "$T/start.out")"
assert_file "$SCTL_RUNTIME/syncctl.pid"
spid=$(tr -dc 0-9 <"$SCTL_RUNTIME/syncctl.pid")
pid_alive "$spid" || fail "the pid '$spid' in syncctl.pid is not a live process"
_sctl_cmdline "$spid" | grep -q syncctl || fail "pid $spid is not syncctl: $(_sctl_cmdline "$spid")"
supervisor_answers "$spid" || fail "status --json does not report supervisor pid $spid"
assert_eq "$(instance_state www)" running "www state right after start returned"
pid1=$(instance_pid www)
pid_alive "$pid1" || fail "www pid '$pid1' not alive"
# the worker got the dirs: its state dir and its socket are there
wait_for 5 "the worker's state dir $SCTL_STATE/www" test -d "$SCTL_STATE/www"
wait_for 5 "the worker's socket $SCTL_RUNTIME/www.sock" test -S "$SCTL_RUNTIME/www.sock"
wait_converged "$SRC" "$DST" 10
assert_file "$SCTL_STATE/syncctl.log"
assert_log 'www: started'
sctl status www >/dev/null || fail "status www while running: exit $?"

# ---- a second start asks the same supervisor (a second supervisor, which
# takes over from this one or is refused: syncctl-takeover)
out=$(sctl start www 2>&1) || fail "start of a running instance: exit $? ('$out')"
assert_eq "$(instance_pid www)" "$pid1" "www pid after a second start"
assert_eq "$(tr -dc 0-9 <"$SCTL_RUNTIME/syncctl.pid")" "$spid" "syncctl.pid after a second start"

# ---- stop
out=$(sctl stop www 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "stop www: exit $rc ('$out')"
assert_eq "$(instance_state www)" stopped "state right after stop returned"
pid_gone "$pid1" || fail "www's worker $pid1 is still there after stop"
assert_eq "$(instance_pid www)" 0 "pid of a stopped instance"
no_workers_left || fail "workers left after stop: $(worker_pids)"
sleep 1.2
assert_eq "$(instance_state www)" stopped "state 1.2 s after stop (a stopped instance stays stopped)"

# ---- exit codes
expect_rc() { # RC COMMAND...
	local want=$1 out rc
	shift
	out=$(sctl "$@" 2>&1)
	rc=$?
	log "syncctl $*: exit $rc: $out"
	[ "$rc" = "$want" ] || fail "syncctl $*: exit $rc, expected $want ('$out')"
}
expect_rc 3 status www
expect_rc 4 status nosuch
expect_rc 4 status --json nosuch
expect_rc 6 start nosuch
expect_rc 6 stop nosuch
expect_rc 6 restart nosuch
expect_rc 6 resync nosuch
expect_rc 7 resync www
expect_rc 7 pause www
expect_rc 7 resume www
expect_rc 2 frobnicate
expect_rc 2 status --no-such-option
out=$(sctl list)
grep -Eqx "www +stopped +$SCTL_INST/www\.ini" <<<"$out" || fail "list: '$out'"

# ---- the background supervisor goes with SIGTERM, and nothing is left
kill -TERM "$spid"
wait_for 5 "the background supervisor $spid to exit" pid_gone "$spid"
no_workers_left || fail "workers left: $(worker_pids)"
[ ! -S "$SCTL_SOCK" ] || fail "the control socket is left behind"
expect_rc 3 status
expect_rc 3 status www
# reload needs a supervisor: LSB's 7; stop has nothing to do: 0
expect_rc 7 reload
expect_rc 0 stop www
no_workers_left || fail "a command started a worker with no supervisor: $(worker_pids)"
[ ! -S "$SCTL_SOCK" ] || fail "reload or stop started a supervisor"
# restart of a stopped service starts it (LSB), with a supervisor
expect_rc 0 restart www
[ "$(instance_state www)" = running ] || fail "restart: www is $(instance_state www)"
spid=$(tr -dc 0-9 <"$SCTL_RUNTIME/syncctl.pid")
kill -TERM "$spid"
wait_for 5 "the background supervisor $spid to exit" pid_gone "$spid"
no_workers_left || fail "workers left: $(worker_pids)"
pass
