#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "systemctl start syncctl" (syncctl daemon --foreground) while a background
# supervisor that "syncctl start NAME" left runs: the new one asks it to hand
# over, it stops its workers and exits, and the new one runs what it ran
# (bbs, autostart = no) as well as what it autostarts (www).  A second
# "daemon" beside that one is not handed over to: it says so once and exits
# with status 150 (syncctl.service's RestartPreventExitStatus), at once, and
# the first one and its workers are left as they were.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
instance_ini www
instance_ini bbs "autostart = no"

out=$(sctl start bbs 2>&1) || fail "start bbs with no supervisor: exit $?: $out"
bg=$(tr -dc 0-9 <"$SCTL_RUNTIME/syncctl.pid")
pid_alive "$bg" || fail "no background supervisor (pid '$bg')"
old_bbs=$(instance_pid bbs)
assert_eq "$(instance_state www)" stopped "www under the background supervisor"

start_supervisor
wait_for 10 "the background supervisor $bg to exit" pid_gone "$bg"
wait_state www running 10
wait_state bbs running 10
[ "$(instance_pid bbs)" != "$old_bbs" ] || fail "bbs still has the old supervisor's worker"
pid_gone "$old_bbs" || fail "the old bbs worker $old_bbs is still there"
assert_eq "$(wc -w <<<"$(worker_pids)")" 2 "workers after the takeover"
grep -q 'handing over' "$SCTL_STATE/syncctl.log" || fail "the background supervisor's log does not say it handed over"
assert_log 'hands over'

# a second service supervisor: refused once, with 150, no wait
pids=$(worker_pids)
start=$(date +%s%N)
out=$(syncctl_env timeout -k 5 30 "$SYNCCTL" daemon --foreground 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
log "second daemon: exit $rc in ${ms} ms: $out"
assert_eq "$rc" 150 "exit status of a second daemon"
assert_eq "$(grep -c 'running as a service' <<<"$out")" 1 "lines saying why"
[ "$ms" -lt 10000 ] || fail "the second daemon took $ms ms to give up"
assert_supervisor_running
supervisor_answers || fail "the first supervisor does not answer any more"
assert_eq "$(worker_pids)" "$pids" "workers after the second daemon"
stop_supervisor
pass
