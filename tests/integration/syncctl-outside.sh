#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A worker that runs outside syncctl (as systemd runs syncd@NAME, or by
# hand) with the runtime dir syncctl uses: "syncctl status" shows it
# running "outside syncctl" with the worker's own pid (exit 0 for it, no
# "start one" hint), and "syncctl start NAME" says so once and exits 0
# without starting a duplicate nor a supervisor.  A supervisor started
# meanwhile does not start a worker for it (it would fail on the state-dir
# lock and restart into it): one log line, no restart; "stop NAME" exits 1
# saying where to stop it.  Once that worker is gone, "start" runs one
# under the supervisor.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
need_ctl
instance_ini www
SRC=$(isrc www)
DST=$(idst www)
printf 'x\n' >"$SRC/x"
SYNCD_STATE=$SCTL_STATE
SYNCD_RUNTIME=$SCTL_RUNTIME
start_syncd "$SCTL_INST/www.ini"
wait_ctl
lone=$SYNCD_PID

# ---- status: running, outside syncctl, with the worker's pid
out=$(sctl status 2>&1)
rc=$?
log "status (no supervisor, www alone): exit $rc: $out"
[ "$rc" = 0 ] || fail "status with www running outside syncctl: exit $rc (expected 0): $out"
grep -Eq "^www +running +$lone " <<<"$out" || fail "status does not show www running with pid $lone: $out"
grep -q 'outside syncctl' <<<"$out" || fail "status does not say www runs outside syncctl: $out"
grep -q 'start one with' <<<"$out" && fail "status still tells to start a supervisor: $out"
out=$(sctl status www 2>&1) || fail "status www: exit $? (expected 0): $out"
j=$(sctl status --json)
assert_eq "$(json_instance_field "$j" www state)" running "www state in status --json"
assert_eq "$(json_instance_field "$j" www pid)" "$lone" "www pid in status --json"
assert_eq "$(json_instance_field "$j" www outside)" true "www outside in status --json"

# ---- start: no duplicate, no supervisor, one clear line, exit 0
out=$(sctl start www 2>&1)
rc=$?
log "start www: exit $rc: $out"
[ "$rc" = 0 ] || fail "start of an instance running outside syncctl: exit $rc (expected 0): $out"
grep -q "www: already running outside syncctl (pid $lone" <<<"$out" || fail "start www does not say why: $out"
[ "$(wc -l <<<"$out")" = 1 ] || fail "start www: more than one line: $out"
[ ! -S "$SCTL_SOCK" ] || fail "start www started a supervisor"
assert_eq "$(worker_pids)" "$lone" "workers after start www"

# ---- a supervisor leaves it alone, says so once
start_supervisor
wait_for 10 "the supervisor to see www outside" assert_log 'www: a worker already runs outside syncctl'
sleep 1
assert_eq "$(log_count 'already runs outside syncctl')" 1 "lines about www running outside syncctl"
assert_no_log 'www: started'
assert_eq "$(worker_pids)" "$lone" "workers under a supervisor"
assert_eq "$(instance_pid www)" "$lone" "www pid with a supervisor"
out=$(sctl start www 2>&1) || fail "start www with a supervisor: exit $?: $out"
grep -q "already running outside syncctl" <<<"$out" || fail "start www with a supervisor does not say why: $out"
out=$(sctl stop www 2>&1)
rc=$?
log "stop www: exit $rc: $out"
[ "$rc" = 1 ] || fail "stop of an instance running outside syncctl: exit $rc (expected 1): $out"
grep -q "www: runs outside syncctl (pid $lone:" <<<"$out" || fail "stop www does not say why: $out"
pid_alive "$lone" || fail "stop www killed the worker running outside syncctl"

# ---- once it is gone, the supervisor runs it
stop_pid "$lone"
SYNCD_PID=
out=$(sctl start www 2>&1) || fail "start www after the lone worker stopped: exit $?: $out"
p=$(instance_pid www)
{ [ "$p" != "$lone" ] && pid_alive "$p"; } || fail "www pid '$p' after start"
wait_converged "$SRC" "$DST" 10
stop_supervisor
pass
