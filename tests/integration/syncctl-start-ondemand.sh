#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "syncctl start NAME" with no supervisor starts one in the background that
# starts only NAME: the other instances stay stopped (autostart or not).
# "syncctl stop" (no NAME) stops every instance and that background
# supervisor with them: nothing is left, and status exits 3.  A second
# "syncctl start" (no NAME) brings one up that starts every autostart
# instance.  A supervisor run as a service ("daemon --foreground") stays
# after "syncctl stop".
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
instance_ini www
instance_ini bbs

out=$(sctl start www 2>&1) || fail "start www with no supervisor: exit $?: $out"
spid=$(tr -dc 0-9 <"$SCTL_RUNTIME/syncctl.pid")
pid_alive "$spid" || fail "no background supervisor (pid '$spid')"
assert_eq "$(instance_state www)" running "www after start www"
sleep 0.5
assert_eq "$(instance_state bbs)" stopped "bbs after start www"
assert_eq "$(wc -w <<<"$(worker_pids)")" 1 "workers after start www"

out=$(sctl stop 2>&1)
rc=$?
log "stop: exit $rc: $out"
[ "$rc" = 0 ] || fail "stop (no NAME): exit $rc: $out"
wait_for 10 "the background supervisor $spid to exit" pid_gone "$spid"
no_workers_left || fail "workers left after stop: $(worker_pids)"
[ ! -S "$SCTL_SOCK" ] || fail "the control socket is left behind"
sctl status >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] || fail "status after stop: exit $rc (expected 3)"

out=$(sctl start 2>&1) || fail "start (no NAME) with no supervisor: exit $?: $out"
assert_eq "$(instance_state www)" running "www after start"
assert_eq "$(instance_state bbs)" running "bbs after start"
out=$(sctl stop 2>&1) || fail "stop (no NAME): exit $?: $out"
wait_for 10 "the background supervisor to exit" test ! -S "$SCTL_SOCK"
no_workers_left || fail "workers left after stop: $(worker_pids)"

# a supervisor run as a service stays
start_supervisor
wait_state www running 10
out=$(sctl stop 2>&1) || fail "stop (no NAME) under a service supervisor: exit $?: $out"
assert_supervisor_running
supervisor_answers || fail "the service supervisor does not answer after stop"
no_workers_left || fail "workers left after stop: $(worker_pids)"
stop_supervisor
pass
