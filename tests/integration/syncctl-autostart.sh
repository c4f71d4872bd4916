#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "autostart = no": the daemon does not start the instance but lists it as
# stopped (and "status" with no NAME still exits 0: it is not meant to
# run); "syncctl start NAME" starts it.  pause / resume / resync are
# forwarded to the worker's own socket (the worker's status says paused,
# then ok; resync runs a full sync); with no NAME they go to every running
# instance.  "restart" with no NAME restarts all that are not stopped.
# shellcheck disable=SC2317 # functions called through wait_for
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
instance_ini www
instance_ini lazy "autostart = no"
LSRC=$(isrc lazy)
LDST=$(idst lazy)
printf 'l\n' >"$LSRC/l"
start_supervisor
wait_state www running 10
sleep 0.5
assert_eq "$(instance_state lazy)" stopped "lazy's state (autostart = no)"
assert_eq "$(instance_pid lazy)" 0 "lazy's pid"
assert_no_log 'lazy: started'
assert_eq "$(wc -w <<<"$(worker_pids)")" 1 "number of workers"
out=$(sctl list)
grep -Eqx "lazy +stopped +$SCTL_INST/lazy\.ini" <<<"$out" || fail "list does not show lazy stopped: '$out'"
grep -Eqx "www +running +$SCTL_INST/www\.ini" <<<"$out" || fail "list does not show www running: '$out'"
sctl status >/dev/null
rc=$?
[ "$rc" = 0 ] || fail "status (no NAME) with only an autostart = no instance stopped: exit $rc, expected 0"
sctl status lazy >/dev/null
rc=$?
[ "$rc" = 3 ] || fail "status lazy while stopped: exit $rc, expected 3"

# ---- start it
out=$(sctl start lazy 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "start lazy: exit $rc ('$out')"
assert_eq "$(instance_state lazy)" running "lazy's state after start"
wait_converged "$LSRC" "$LDST" 10

# remote_state NAME: the state of remote m in the worker's status
remote_state() { instance_field "$1" worker.remotes.0.state; }
remote_is() { [ "$(remote_state "$1")" = "$2" ]; }

# ---- pause / resume
out=$(sctl pause lazy 2>&1)
rc=$?
log "pause lazy: exit $rc: $out"
[ "$rc" = 0 ] || fail "pause lazy: exit $rc ('$out')"
wait_for 3 "lazy's remote paused" remote_is lazy paused
printf 'while paused\n' >"$LSRC/paused"
sleep 1
assert_not_exists "$LDST/paused"
sctl status lazy | grep -qi paused || fail "status lazy does not say paused: $(sctl status lazy)"
assert_eq "$(remote_state www)" ok "www's remote while only lazy is paused"
out=$(sctl resume lazy 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "resume lazy: exit $rc ('$out')"
wait_converged "$LSRC" "$LDST" 5
wait_for 3 "lazy's remote ok" remote_is lazy ok

# ---- resync
fs=$(instance_field lazy worker.remotes.0.full_syncs)
out=$(sctl resync lazy 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "resync lazy: exit $rc ('$out')"
full_syncs_gt() { local v; v=$(instance_field "$1" worker.remotes.0.full_syncs) && [ "$v" -gt "$2" ]; }
wait_for 10 "a full sync of lazy after resync" full_syncs_gt lazy "$fs"

# ---- no NAME: every running instance
out=$(sctl pause 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "pause (all): exit $rc ('$out')"
wait_for 3 "www paused" remote_is www paused
wait_for 3 "lazy paused" remote_is lazy paused
out=$(sctl resume 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "resume (all): exit $rc ('$out')"
wait_for 3 "www ok" remote_is www ok
wait_for 3 "lazy ok" remote_is lazy ok

# ---- restart (all not stopped) leaves a stopped one stopped
sctl stop lazy >/dev/null 2>&1 || fail "stop lazy: exit $?"
assert_eq "$(instance_state lazy)" stopped "lazy after stop"
pw=$(instance_pid www)
out=$(sctl restart 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "restart (all): exit $rc ('$out')"
wait_for 10 "www restarted" instance_running_not www "$pw"
sleep 0.5
assert_eq "$(instance_state lazy)" stopped "lazy (stopped) after restart of all"
no_lazy_worker() { ! worker_pids | tr ' ' '\n' | while read -r p; do [ -n "$p" ] && _sctl_cmdline "$p"; done | grep -qF lazy.ini; }
no_lazy_worker || fail "a worker runs for lazy after restart of all"

# the restarts waited for the old worker's exit: none found the state locked
assert_no_log 'in use by another worker'
assert_supervisor_running
stop_supervisor
pass
