#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An instance whose worker exits at once (its [source] path does not exist:
# exit status 1) is restarted with a growing delay (state backoff, restart
# count rising), and after more than restart_limit starts within
# restart_interval it is "failed" with the reason, and no longer spawned.
# "syncctl start NAME" while the cause remains exits 1 with the reason;
# once the directory exists, "syncctl start NAME" exits 0 with it running.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
instance_ini www "restart_delay = 200ms" "restart_limit = 3" "restart_interval = 60s"
SRC=$(isrc www)
DST=$(idst www)
rmdir "$SRC"
start_supervisor

# watch the states go by
seen_backoff=0
restarts_seen=()
st=
deadline=$(_lib_deadline 15)
while :; do
	j=$(sctl status --json www 2>/dev/null)
	st=$(json_instance_field "$j" www state)
	r=$(json_instance_field "$j" www restarts)
	[ "$st" = backoff ] && seen_backoff=1
	if [ -n "$r" ] && { [ ${#restarts_seen[@]} = 0 ] || [ "${restarts_seen[-1]}" != "$r" ]; }; then
		restarts_seen+=("$r")
	fi
	[ "$st" = failed ] && break
	_lib_past "$deadline" && fail "www not failed within 15 s (state '$st', restarts ${restarts_seen[*]})"
	sleep 0.02
done
log "states: backoff seen=$seen_backoff, restarts values seen: ${restarts_seen[*]}"
[ "$seen_backoff" = 1 ] || fail "state backoff never seen before failed"
[ ${#restarts_seen[@]} -ge 2 ] || fail "the restart count did not grow: ${restarts_seen[*]}"
for ((i = 1; i < ${#restarts_seen[@]}; i++)); do
	[ "${restarts_seen[i]}" -gt "${restarts_seen[i - 1]}" ] || fail "restart count went down: ${restarts_seen[*]}"
done
starts=$(log_count 'www: started')
log "www started $starts times"
{ [ "$starts" -ge 3 ] && [ "$starts" -le 5 ]; } || fail "www started $starts times with restart_limit = 3"
assert_log 'www: .*restarting in'
assert_log 'www: failed'

# the reason, in json and in the table
j=$(sctl status --json www)
assert_eq "$(json_instance_field "$j" www pid)" 0 "pid of a failed instance"
err=$(json_instance_field "$j" www error)
[ -n "$err" ] || fail "no error for a failed instance: $j"
log "error: $err; last_exit: $(json_instance_field "$j" www last_exit)"
json_instance_field "$j" www last_exit | grep -Eqi 'status 1' ||
	fail "last_exit does not say 'exited with status 1': $(json_instance_field "$j" www last_exit)"
out=$(sctl status www)
rc=$?
printf '%s\n' "$out" >&2
[ "$rc" = 3 ] || fail "status of a failed instance: exit $rc, expected 3"
grep -Eq '^www +failed ' <<<"$out" || fail "status: no 'www failed' line"
grep -q 'www.ini:2: path: .*No such file' <<<"$out" || fail "status does not show why www failed"
STATUS_OUT=$out

# failed stays failed: nothing spawned any more
sleep 1
assert_eq "$(log_count 'www: started')" "$starts" "starts after failed"
assert_eq "$(instance_state www)" failed "state 1 s after failed"

# start while the cause remains: exit 1, a reason
out=$(sctl start www 2>&1)
rc=$?
log "start with the source missing: exit $rc: $out"
[ "$rc" = 1 ] || fail "start of an instance that cannot run: exit $rc, expected 1 ('$out')"
[ -n "$out" ] || fail "start exited 1 without a reason"
[ "$(log_count 'www: started')" -gt "$starts" ] || fail "start did not spawn the worker again"
wait_state www failed 15

# the cause is fixed: start resets the failed state
mkdir -p "$SRC"
printf 'now\n' >"$SRC/now"
out=$(sctl start www 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "start after the dir was created: exit $rc ('$out')"
assert_eq "$(instance_state www)" running "state after start"
pid_alive "$(instance_pid www)" || fail "no live pid after start"
wait_converged "$SRC" "$DST" 10
# ---- format (checked last: cosmetic): the reason on an indented line
grep -Eq '^  error: .+' <<<"$STATUS_OUT" || fail "status: no '  error: ...' line under the table"

assert_supervisor_running
stop_supervisor
pass
