#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The sd_notify protocol, as systemd (or syncctl) sees it: READY=1 once the
# tree is watched, STATUS= with live figures, WATCHDOG=1 from the event loop
# at half of WATCHDOG_USEC, STOPPING=1 on SIGTERM; all sent by the worker's
# own pid.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
LISTEN=$(dirname "$SYNCD")/notify_listen
[ -x "$LISTEN" ] || fail "$LISTEN is missing (make builds it)"
SRC=$T/src
mkdir -p "$SRC" "$T/dst"
printf 'x\n' >"$SRC/x"
CFG=$T/notify.ini
printf '[source]\npath = %s\n[remote local]\ntarget = %s\n' "$SRC" "$T/dst" >"$CFG"

MSGS=$T/notify.msgs
"$LISTEN" "$T/notify.sock" >"$MSGS" &
_lib_track "$!"
wait_for 5 "the notify socket" test -S "$T/notify.sock"

export NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000
start_syncd "$CFG"
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_for 10 "READY=1" grep -q ' READY=1$' "$MSGS"
watching="1 dirs"
[ "${SYNCD_TEST_BACKEND:-}" != fanotify ] || watching="the filesystem"	# no directory watches
grep -q " STATUS=watching $watching" "$MSGS" || fail "no STATUS= with live figures: $(cat "$MSGS")"
sleep 1.3
pings=$(grep -c ' WATCHDOG=1$' "$MSGS")
# every 200 ms: about 6 in 1.3 s; a loop that does not ping is a dead worker
[ "$pings" -ge 4 ] || fail "only $pings WATCHDOG=1 in 1.3s with WATCHDOG_USEC=400000"
log "$pings watchdog pings in 1.3 s"
pid=$(awk '/ READY=1$/ {print $1; exit}' "$MSGS")
[ "$pid" = "$SYNCD_PID" ] || fail "READY=1 came from pid $pid, the worker is $SYNCD_PID"
stop_syncd TERM 5
wait_for 5 "STOPPING=1" grep -q ' STOPPING=1$' "$MSGS"
pass
