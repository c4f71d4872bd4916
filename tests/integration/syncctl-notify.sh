#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The supervisor as a Type=notify service: to its own NOTIFY_SOCKET it
# sends READY=1 (once the control socket listens), STATUS= with the
# instance counts, WATCHDOG=1 at half of WATCHDOG_USEC and STOPPING=1 on
# SIGTERM, all from its own pid.  Its workers report to the supervisor,
# never to that socket.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
LISTEN=$(dirname "$SYNCD")/notify_listen
[ -x "$LISTEN" ] || fail "$LISTEN is missing (make builds it)"
instance_ini www
instance_ini bbs
MSGS=$T/notify.msgs
"$LISTEN" "$T/notify.sock" >"$MSGS" &
_lib_track "$!"
wait_for 5 "the notify socket" test -S "$T/notify.sock"

export NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000
start_supervisor
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_state www running 10
wait_state bbs running 10
wait_for 5 "READY=1" grep -q ' READY=1$' "$MSGS"
wait_for 5 "STATUS= with 2 running" grep -q ' STATUS=2 running' "$MSGS"
sleep 1
pings=$(grep -c ' WATCHDOG=1$' "$MSGS")
[ "$pings" -ge 3 ] || fail "only $pings WATCHDOG=1 in 1s with WATCHDOG_USEC=400000"
senders=$(awk '{print $1}' "$MSGS" | sort -u)
[ "$senders" = "$SUPERVISOR_PID" ] || fail "messages from pids $senders; the supervisor is $SUPERVISOR_PID: $(cat "$MSGS")"
stop_supervisor TERM 10
grep -q ' STOPPING=1$' "$MSGS" || fail "no STOPPING=1: $(cat "$MSGS")"
pass
