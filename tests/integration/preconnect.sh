#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# [remote] preconnect: after a run that succeeded, the worker has the
# connector open a connection to the rsync daemon, keeps it, and the next
# run uses it (no handshake, the greeting already there).  It is closed
# unused after preconnect's time, or when the daemon hangs up (here: the
# daemon process that holds it is killed; rsync 3.5's daemon also hangs up
# after its `timeout`, 3.2's do not); a run then connects by itself.  The
# mirror is exact throughout, also for a name that a shell would read.  The
# module asks for a password, so no opening is sent ahead.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"

none_kept() { [ -z "$(rsyncd_kept)" ]; }
# server_of PORT: the daemon process (not the listener) serving the
# worker's connection from local port PORT; none while the connection
# waits in the listener's accept queue
server_of() {
	ss -Htnp state established "( sport = :$RSYNCD_PORT and dport = :$1 )" |
		grep -o 'pid=[0-9]*' | cut -d= -f2 | grep -vx "$RSYNCD_PID" | head -n 1
}
# one kept, and a daemon process of its own already serving it
one_served() { rsyncd_one_kept && [ -n "$(server_of "$(rsyncd_kept | tr -d ' ')")" ]; }

CFG=$T/pre.ini
{ source_section "$SRC"; rsyncd_remote r1 'preconnect = 20s'; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
# the full sync succeeded: one connection is opened ahead and kept
wait_for 10 "a connection opened ahead" rsyncd_one_kept
first=$(rsyncd_kept)
log "kept: local port $first"
# its retransmission timeout: a floor of 50 ms, not Linux's 200 ms, where the
# kernel takes TCP_RTO_MIN_US (6.15 and later)
if python3 -c 'import socket; socket.socket().setsockopt(6, 45, 50000)' 2>/dev/null; then
	rto=$(ss -Htin "( dport = :$RSYNCD_PORT and sport = :${first// /} )" | grep -o 'rto:[0-9.]*' | cut -d: -f2)
	log "kept: rto ${rto:-?} ms"
	[ -n "$rto" ] && [ "${rto%%.*}" -lt 150 ] || fail "the kept connection's rto is '${rto:-}' ms"
fi

# the next push takes it (and a new one is opened after it)
printf 'one\n' >"$SRC/one"
printf 'x\n' >"$SRC/\$(reboot) -rf \"a\"b"
wait_converged "$SRC" "$MIRROR"
assert_log 'the run takes the connection opened [0-9]+ms ago'
wait_for 10 "a new connection opened ahead" rsyncd_one_kept
[ "$(rsyncd_kept)" != "$first" ] || fail "the push did not take the connection kept ($first)"
assert_no_log 'push failed'
# The module asks for a password: the challenge is new on each connection,
# so no opening is learned or sent ahead (opening-ahead.sh has them).
[ ! -e "$SYNCD_RUNTIME/$SYNCD_NAME/r1.opening" ] || fail "an opening was learned from a module with auth"
assert_no_log '[1-9][0-9]* bytes of its opening sent'
j=$(ctl status --json) || fail "no status"
n=$(json_remote_field "$j" r1 preconnected_runs) || fail "no preconnected_runs in: $j"
[ "$n" -ge 1 ] || fail "preconnected_runs is $n"
assert_eq "$(json_remote_field "$j" r1 opening_sent_runs)" 0 "opening_sent_runs (a module with auth)"

# the daemon's end of the kept one goes away: the worker sees it and
# closes its end; the next push connects by itself
port=$(rsyncd_kept)
wait_for 10 "a daemon process serving the kept connection" one_served
pid=$(server_of "${port// /}")
[ -n "$pid" ] || fail "no daemon process holds the kept connection (port $port)"
kill "$pid"
wait_for 10 "the daemon hanging up" log_count_gt 'closed after [0-9]+ms: the daemon hung up' 0
wait_for 5 "no connection kept" none_kept
taken=$(log_count 'the run takes the connection')
printf 'two\n' >"$SRC/two"
wait_converged "$SRC" "$MIRROR"
assert_eq "$(log_count 'the run takes the connection')" "$taken" "runs that took a connection the daemon had closed"
assert_no_log 'push failed'
stop_syncd

# start_by_name TIMEOUT PRECONNECT: the worker started on r1 named by its
# host name (the connector resolves it and opens the connections ahead: the
# worker connects itself only to an address), its full sync done
start_by_name() {
	{
		source_section "$SRC"
		printf '[remote r1]\ntarget = %s\npassword_file = %s\ntimeout = %s\npreconnect = %s\n' \
			"${RSYNCD_URL/@127.0.0.1:/@localhost:}" "$PASSFILE" "$1" "$2"
		fast_sections
	} >"$CFG"
	start_syncd "$CFG" -v
	wait_ready
	wait_converged "$SRC" "$MIRROR"
}

# preconnect's time: closed unused after it; and a target that names its
# host
start_by_name 20s 1s
wait_for 10 "the kept one closed after 1 s" log_count_gt 'closed after [0-9]+ms: kept long enough' 0
wait_for 5 "no connection kept" none_kept
taken=$(log_count 'the run takes the connection')
printf 'three\n' >"$SRC/three"
wait_converged "$SRC" "$MIRROR"
wait_for 10 "a connection opened ahead by the connector" rsyncd_one_kept
printf 'four\n' >"$SRC/four"
wait_converged "$SRC" "$MIRROR"
[ "$(log_count 'the run takes the connection')" -gt "$taken" ] ||
	fail "no run took the connection the connector opened"
assert_syncd_running
stop_syncd

# A stop does not wait for a connection being opened: with the daemon's
# listener stopped and its accept queue full, the next connect hangs (SYNs
# dropped) while the connection kept still serves a push; the stop that
# follows kills the connector opening the next one.
start_by_name 30s 30s
wait_for 10 "a connection opened ahead, served by a daemon process" one_served
kill -STOP "$RSYNCD_PID"
backlog=$(ss -Hltn "( sport = :$RSYNCD_PORT )" | awk '{ print $3; exit }')
python3 -c '
import socket, sys, time
held = []
for i in range(int(sys.argv[2]) + 4):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", int(sys.argv[1])))
    held.append(s)
time.sleep(3600)
' "$RSYNCD_PORT" "${backlog:-5}" &
filler=$!
_lib_track $filler
queue_full() { [ -n "$(ss -Htn state syn-sent "( dport = :$RSYNCD_PORT )")" ]; }
wait_for 10 "the daemon's accept queue full" queue_full
opening() { pgrep -f -- "--rsyncd-connect localhost $RSYNCD_PORT " >/dev/null; }
printf 'five\n' >"$SRC/five"
wait_converged "$SRC" "$MIRROR"
wait_for 10 "a connector opening the next connection" opening
sleep 1
opening || fail "the connector opening the next connection did not hang"
t0=$(now_ms)
stop_syncd
took=$(elapsed_since "$t0")
log "stopped in ${took}s with a connector opening a connection"
[ "${took%%.*}" -lt 5 ] || fail "the stop waited ${took}s for the connector opening a connection"
opening && fail "the connector opening a connection outlived the worker"
stop_pid "$filler"
kill -CONT "$RSYNCD_PID"
# nothing of the worker's is left connected
wait_for 5 "no connection left" none_kept
pass
