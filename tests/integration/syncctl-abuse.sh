#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The supervisor's control socket under abuse: it is a socket of mode 0660;
# garbage is answered "error: unknown command ..."; a 1 MiB line without a
# newline gets "error: request too long" (or the connection closed) and the
# supervisor lives on; a client that connects and sends nothing is dropped
# after about 5 s, and while it is connected supervision goes on: other
# requests are answered and a SIGKILLed worker is restarted.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
need_ctl
instance_ini www
start_supervisor
wait_state www running 10

[ -S "$SCTL_SOCK" ] || fail "$SCTL_SOCK is not a socket"
assert_eq "$(stat -c %a "$SCTL_SOCK")" 660 "socket mode"

# ---- garbage
out=$("$CTL_SEND" --timeout 5 "$SCTL_SOCK" 'frobnicate the widgets')
rc=$?
log "garbage: status $rc, '$out'"
[ "$rc" = 1 ] || fail "garbage: ctl_send status $rc, reply '$out'"
case $out in "error: unknown command"*) ;; *) fail "garbage: reply '$out'" ;; esac
out=$("$CTL_SEND" --timeout 5 "$SCTL_SOCK" $'\x01\x02\xff\xfe binary')
case $out in "error:"*) ;; *) fail "binary garbage: reply '$out'" ;; esac
out=$("$CTL_SEND" --timeout 5 "$SCTL_SOCK" '')
case $out in "error:"*) ;; *) fail "an empty line: reply '$out'" ;; esac
assert_supervisor_running

# ---- 1 MiB without a newline
t0=$(now_ms)
out=$("$CTL_SEND" --timeout 10 --raw 1048576 "$SCTL_SOCK")
rc=$?
log "1 MiB request: status $rc after $(elapsed_since "$t0")s: '$out'"
[ "$rc" = 1 ] || fail "a 1 MiB request: ctl_send status $rc, reply '$out'"
case $out in
"error: request too long"*) ;;
"") log "the 1 MiB request was closed without a reply" ;;
*) fail "a 1 MiB request: reply '$out'" ;;
esac
assert_supervisor_running
sctl status >/dev/null || fail "status after the long request: exit $?"

# ---- a silent client, while supervision goes on
IDLE_OUT=$T/idle.out
t0=$(now_ms)
(
	"$CTL_SEND" --idle 9 "$SCTL_SOCK" >"$IDLE_OUT" 2>&1
	echo "$?" >"$T/idle.rc"
) &
_lib_track "$!"
sleep 0.3
out=$(SCTL_TIMEOUT=2 sctl status www) || fail "status while a silent client is connected: exit $? ('$out')"
pid1=$(instance_pid www)
kill -KILL "$pid1"
wait_for 3 "www restarted while a silent client is connected" instance_running_not www "$pid1"
log "www restarted $(elapsed_since "$t0")s after the silent client connected"
[ ! -s "$T/idle.rc" ] || fail "the silent client was dropped too early ($(elapsed_since "$t0")s)"
wait_for 10 "the silent client to be done" test -s "$T/idle.rc"
idle_ms=$(($(now_ms) - t0))
idle_rc=$(cat "$T/idle.rc")
log "silent client: ended after ${idle_ms}ms with status $idle_rc, got '$(cat "$IDLE_OUT")'"
[ "$idle_rc" = 0 ] || fail "the supervisor did not close a silent client within 9 s"
if [ "$idle_ms" -lt 4000 ] || [ "$idle_ms" -gt 7500 ]; then
	fail "the silent client was dropped after ${idle_ms}ms (expected about 5 s)"
fi

# ---- many silent clients at once do not block either
for i in $(seq 1 20); do
	"$CTL_SEND" --idle 8 "$SCTL_SOCK" >/dev/null 2>&1 &
	_lib_track "$!"
done
sleep 0.3
out=$(SCTL_TIMEOUT=2 sctl status www) || fail "status with 20 silent clients connected: exit $? ('$out')"
pid2=$(instance_pid www)
kill -KILL "$pid2"
wait_for 3 "www restarted with 20 silent clients connected" instance_running_not www "$pid2"

assert_supervisor_running
assert_eq "$(instance_state www)" running "www state"
stop_supervisor
pass
