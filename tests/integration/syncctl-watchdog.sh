#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [instance] watchdog = 1s: a worker that pings keeps running (same pid for
# a few periods); a worker that stops pinging (SIGSTOP: a hung event loop)
# is killed and replaced within the watchdog period plus a margin: the
# supervisor logs a watchdog timeout, a new pid runs, the old one is gone,
# and its metrics count the kill, the restart and the exit (SIGABRT: 134).
# stop_timeout is long: a stopped process acts on the SIGABRT only with a
# SIGCONT, and the kill must not wait for the SIGKILL a stop_timeout later.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
instance_ini www "watchdog = $((1000 * TEST_SLOW))ms" "stop_timeout = 60s"
SRC=$(isrc www)
DST=$(idst www)
printf 'x\n' >"$SRC/x"
start_supervisor
wait_state www running 10
wait_converged "$SRC" "$DST" 10
pid1=$(instance_pid www)
pid_alive "$pid1" || fail "www: pid '$pid1' is not alive"

# pinging: no false alarm over three periods
sleep $((3 * TEST_SLOW))
assert_eq "$(instance_pid www)" "$pid1" "www pid after 3 s of a healthy worker"
assert_no_log 'www: watchdog'

kill -STOP "$pid1" || fail "cannot stop $pid1"
t0=$(now_ms)
wait_for 4 "a new www worker after the watchdog" instance_running_not www "$pid1"
log "new pid $(instance_pid www) running $(elapsed_since "$t0")s after SIGSTOP"
wait_for 2 "the stopped worker $pid1 to be gone" pid_gone "$pid1"
assert_log 'www: watchdog timeout'
assert_no_log 'www: pid [0-9]* is still there: SIGKILL'
log "$(log_text | grep -i 'www: watchdog')"
r=$(instance_field www restarts)
[ "$r" -ge 1 ] 2>/dev/null || fail "restarts is '$r' after a watchdog kill"
m=$(sctl metrics) || fail "syncctl metrics: exit $?"
for want in 'syncd_supervisor_watchdog_kills_total{syncd_instance="www"} 1' \
	'syncd_supervisor_last_exit_code{syncd_instance="www"} 134' \
	"syncd_supervisor_restarts_total{syncd_instance=\"www\"} $r"; do
	grep -qxF "$want" <<<"$m" || fail "no '$want' in the metrics: $(grep '^syncd_supervisor' <<<"$m")"
done

# the new worker works
printf 'y\n' >"$SRC/y"
wait_converged "$SRC" "$DST" 10
# the restarts waited for the old worker's exit: none found the state locked
assert_no_log 'in use by another worker'
assert_supervisor_running
stop_supervisor
pass
