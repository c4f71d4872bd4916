#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A worker killed with SIGKILL is restarted by syncctl after the default
# restart_delay (1s): a new pid runs within 2 s, the state is running again,
# status counts the restart and names the signal, the log says so; files
# created while no worker ran reach the mirror.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
start_rsyncd
instance_ini www -restart_delay
SRC=$(isrc www)
DST=$(idst www)
printf 'before\n' >"$SRC/before"
start_supervisor
wait_state www running 10
wait_converged "$SRC" "$DST" 10
pid1=$(instance_pid www)
pid_alive "$pid1" || fail "www: pid '$pid1' is not alive"

kill -KILL "$pid1" || fail "cannot kill $pid1"
t0=$(now_ms)
# changes while the worker is down (nobody watches them)
mkdir -p "$SRC/while-down/sub"
for i in $(seq 1 20); do printf '%s\n' "$i" >"$SRC/while-down/sub/f$i"; done
printf 'changed\n' >>"$SRC/before"
wait_for 5 "a new www worker" instance_running_not www "$pid1"
ms=$(($(now_ms) - t0))
pid2=$(instance_pid www)
log "new pid $pid2 running ${ms}ms after SIGKILL of $pid1"
[ "$ms" -le $((2000 * TEST_SLOW)) ] || fail "the new worker ran ${ms}ms after the SIGKILL (expected within 2 s)"
[ "$ms" -ge 800 ] || fail "the new worker ran ${ms}ms after the SIGKILL: the default restart_delay is 1s"
pid_gone "$pid1" || fail "the killed worker $pid1 is still there"
wait_converged "$SRC" "$DST" 10

j=$(sctl status --json www) || fail "status --json www: exit $?"
assert_eq "$(json_instance_field "$j" www state)" running "state"
assert_eq "$(json_instance_field "$j" www restarts)" 1 "restarts"
le=$(json_instance_field "$j" www last_exit)
grep -Eqi 'signal 9|SIGKILL' <<<"$le" || fail "last_exit '$le' does not name signal 9"
out=$(sctl status www) || fail "status www: exit $?"
grep -Eq '^www +running +'"$pid2"' +[^ ]+ +1 ' <<<"$out" || fail "status: no 'www running $pid2 ... 1' line: '$out'"
grep -Eqi 'signal 9|SIGKILL' <<<"$out" || fail "status does not show the last exit: '$out'"
assert_log "www: .*(exited|killed).*(signal 9|SIGKILL)"
assert_log 'www: .*restarting in 1s'
assert_log "www: started \(pid $pid2\)"

# and it keeps mirroring
printf 'after\n' >"$SRC/after"
wait_converged "$SRC" "$DST" 10
# the restarts waited for the old worker's exit: none found the state locked
assert_no_log 'in use by another worker'
assert_supervisor_running
stop_supervisor
pass
