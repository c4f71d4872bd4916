#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGTERM to the supervisor with three instances running: every worker is
# stopped (each sends STOPPING=1, logged as "NAME: stopping"), the
# supervisor exits 0 within a few seconds and no worker pid is left.  Then
# the same with SIGINT, and a worker that ignores SIGTERM (SIGSTOPped) is
# SIGKILLed after stop_timeout.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
NAMES=(www bbs blog)
for n in "${NAMES[@]}"; do instance_ini "$n"; done
start_supervisor
for n in "${NAMES[@]}"; do wait_state "$n" running 10; done
declare -A pid
for n in "${NAMES[@]}"; do
	pid[$n]=$(instance_pid "$n")
	pid_alive "${pid[$n]}" || fail "$n: pid '${pid[$n]}' not alive"
done
spid=$SUPERVISOR_PID

# ---- SIGTERM
kill -TERM "$spid"
t0=$(now_ms)
wait_supervisor_exit 5 || fail "the supervisor did not exit within 5 s of SIGTERM"
log "supervisor exited with status $SUPERVISOR_RC $(elapsed_since "$t0")s after SIGTERM"
assert_eq "$SUPERVISOR_RC" 0 "the supervisor's exit status after SIGTERM"
for n in "${NAMES[@]}"; do
	if pid_alive "${pid[$n]}"; then fail "$n's worker ${pid[$n]} is still there"; fi
	assert_log "(^|[^[:alnum:]_.-])$n: stopping"
done
no_workers_left || fail "workers left: $(worker_pids)"
[ ! -S "$SCTL_SOCK" ] || fail "the control socket is left behind"
# each worker exited 0 (under SYNCD_WRAPPER=valgrind... an error is 99)
assert_no_log 'exited with status [1-9]'
assert_no_log 'signal'

# ---- SIGINT, with one worker that does not react to SIGTERM
start_supervisor
for n in "${NAMES[@]}"; do wait_state "$n" running 10; done
for n in "${NAMES[@]}"; do pid[$n]=$(instance_pid "$n"); done
kill -STOP "${pid[bbs]}"
kill -INT "$SUPERVISOR_PID"
t0=$(now_ms)
wait_supervisor_exit 6 || fail "the supervisor did not exit within 6 s of SIGINT (stop_timeout = 1s)"
ms=$(($(now_ms) - t0))
log "supervisor exited with status $SUPERVISOR_RC ${ms}ms after SIGINT"
assert_eq "$SUPERVISOR_RC" 0 "the supervisor's exit status after SIGINT"
[ "$ms" -ge 800 ] || fail "exited after ${ms}ms: did it wait stop_timeout for the stopped worker?"
for n in "${NAMES[@]}"; do
	if pid_alive "${pid[$n]}"; then fail "$n's worker ${pid[$n]} is still there after SIGINT"; fi
done
no_workers_left || fail "workers left: $(worker_pids)"
pass
