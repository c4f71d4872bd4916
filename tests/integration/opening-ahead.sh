#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [remote] preconnect to a module that asks for no password: a push's run
# keeps its opening (greeting, module, arguments), the worker sends it with
# the next connection it opens ahead, and the next run finds the daemon's
# answers waiting.  When a run's opening is not the one sent (rsync
# upgraded, options changed: here the kept file is altered under the
# running worker), the connector starts over on a connection of its own: the
# push succeeds, the mirror is exact, and the right opening is kept again.
# Other runs (a full sync) leave such a connection to the next push.  A
# worker started again keeps no opening of an earlier one's; the connection
# it opens ahead after its start-up sync has none sent, and closed at the
# stop with the daemon's greeting unread it must end with an end of file,
# not a reset that the daemon logs as an error.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
RSYNCD_AUTH=no start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"
CFG=$T/ahead.ini
{ source_section "$SRC"; RSYNCD_AUTH=no rsyncd_remote r1 'preconnect = 30s'; fast_sections; } >"$CFG"
OPENING=$SYNCD_RUNTIME/ahead/r1.opening
learned() { [ -s "$OPENING" ]; }
sent() { log_count 'takes the connection .*, [1-9][0-9]* bytes of its opening sent'; }
# opened: connections opened ahead with the opening sent
opened() { log_count 'opened ahead, [1-9][0-9]* bytes of the opening sent'; }
connects() { grep -c 'connect from' "$T/rsyncd/rsyncd.log"; }

start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
# a full sync keeps none (its arguments are not a push's); the first push does
[ ! -e "$OPENING" ] || fail "the full sync kept its opening"
printf 'one\n' >"$SRC/one"
wait_converged "$SRC" "$MIRROR"
wait_for 10 "the push's opening kept" learned
good=$(od -An -tx1 "$OPENING" | tr -d ' \n')

# the next runs take a connection with it sent
wait_for 10 "a connection opened ahead with it" log_count_gt 'opened ahead, [1-9]' 0
printf 'two\n' >"$SRC/two"
printf 'x\n' >"$SRC/\$(reboot) -rf \"a\"b"
wait_converged "$SRC" "$MIRROR"
wait_for 10 "a run with the opening sent" test "$(sent)" -ge 1
assert_no_log 'push failed'

# a full sync (other arguments) leaves the one kept to the next push
wait_for 10 "the next connection opened ahead with it" log_count_gt 'opened ahead, [1-9]' 1
wait_for 10 "only the one kept" rsyncd_one_kept
port=$(rsyncd_kept) taken=$(log_count 'the run takes the connection')
rm "$MIRROR/before"
kill -USR1 "$SYNCD_PID"
wait_converged "$SRC" "$MIRROR"
wait_for 10 "the full sync done" log_count_gt 'full sync done' 1
assert_eq "$(log_count 'the run takes the connection')" "$taken" "runs that took the connection, after the full sync"
assert_eq "$(rsyncd_kept)" "$port" "the connection kept, after the full sync"
printf 'three\n' >"$SRC/three"
wait_converged "$SRC" "$MIRROR"
wait_for 10 "the push taking the one kept" test "$(sent)" -ge 2
j=$(ctl status --json) || fail "no status"
n=$(json_remote_field "$j" r1 opening_sent_runs) || fail "no opening_sent_runs in: $j"
[ "$n" -ge 2 ] || fail "opening_sent_runs is $n"

# alter SED: the kept opening changed by the sed expression under the
# running worker: the next connection opened ahead sends it, and the push
# that takes that one must not use it
alter() {
	local before n c0 o0
	wait_for 10 "($1) only the one kept" rsyncd_one_kept
	sed -i "$1" "$OPENING"
	[ "$(od -An -tx1 "$OPENING" | tr -d ' \n')" != "$good" ] || fail "sed '$1' changed nothing"
	# a push on the connection kept (the right opening), after which
	# the next one is opened with the altered one
	o0=$(opened)
	printf '%s\n' "$1" >"$SRC/before $RANDOM"
	wait_converged "$SRC" "$MIRROR"
	wait_for 10 "($1) a connection opened ahead with it" log_count_gt 'opened ahead, [1-9]' "$o0"
	wait_for 10 "($1) only the one kept" rsyncd_one_kept
	before=$(sent) c0=$(connects)
	n=$RANDOM
	printf '%s\n' "$n" >"$SRC/after $n"
	mkdir -p "$SRC/d$n" && printf 'y\n' >"$SRC/d$n/f"
	wait_converged "$SRC" "$MIRROR"
	[ "$(sent)" -gt "$before" ] || fail "($1) no run took the connection opened ahead"
	# the run's connection of its own, and the next one opened ahead
	wait_for 10 "($1) the run connecting again" test "$(connects)" -ge $((c0 + 2))
	wait_for 10 "the right opening kept again" \
		test "$(od -An -tx1 "$OPENING" | tr -d ' \n')" = "$good"
	assert_no_log 'push failed'
	assert_syncd_running
}
# another rsync: its greeting differs (a digest more)
alter 's/^\(@RSYNCD: [0-9.]*\)/\1 md2/'
# other options: an argument differs
alter 's/--timeout=20/--timeout=21/'
# a worker started again keeps no opening of an earlier one's
stop_syncd
[ -s "$OPENING" ] || fail "no opening kept"
start_syncd "$CFG" -v
wait_ready
[ ! -e "$OPENING" ] || fail "the opening an earlier worker kept is still there"
# stopped during its start-up sync, the daemon would log its end
wait_for 10 "the start-up sync done" log_count_gt 'full sync done' 2
stop_syncd
# nothing in the daemon's log says a connection went wrong
if grep -Ei 'error|unexpectedly|auth failed' "$T/rsyncd/rsyncd.log"; then
	fail "the daemon logged errors"
fi
pass
