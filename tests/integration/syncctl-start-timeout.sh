#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A worker that never says READY=1 (here a stand-in that only sleeps: a
# worker hung before it is ready) gets SIGABRT after start_timeout, is
# killed, and goes to backoff with "start timeout" as the reason; the
# supervisor and the other instances are not held up meanwhile.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
mkdir -p "$T/bin"
# the real worker for every instance but "hung"
cat >"$T/bin/syncd" <<SH
#!/bin/sh
case "\$*" in
*/hung.ini*) exec sleep 60 ;;
esac
exec "$SCTL_SYNCD" "\$@"
SH
chmod 755 "$T/bin/syncd"
SCTL_SYNCD=$T/bin/syncd
_sctl_set_env
instance_ini www
instance_ini hung "start_timeout = $((1000 * TEST_SLOW))ms" "restart_delay = 5s"
start_supervisor
wait_state www running 10
pid=$(instance_pid hung)
[ -n "$pid" ] && [ "$pid" != 0 ] || fail "hung: no pid"
assert_eq "$(instance_state hung)" starting "hung right after the start"
wait_state hung backoff $((5 * TEST_SLOW))
wait_for 2 "the hung worker $pid to be gone" pid_gone "$pid"
assert_log 'hung: start timeout'
err=$(instance_field hung error)
case $err in
*"start timeout"*) ;;
*) fail "hung: error is '$err'" ;;
esac
# the rest goes on
printf 'x\n' >"$(isrc www)/x"
wait_converged "$(isrc www)" "$(idst www)" 10
assert_eq "$(instance_state www)" running "www while hung timed out"
stop_supervisor
pass
