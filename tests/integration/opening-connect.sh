#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Without [remote] preconnect, to a module that asks for no password: a
# push's run keeps its opening (greeting, module, arguments) and the next
# pushes' connectors send it with their connect, before the daemon's
# greeting is read: one connection per push, none kept between them.  When
# a run's opening is not the one kept (rsync upgraded, options changed: here
# the kept file is altered under the running worker), the connector starts
# over on a second connection: the push succeeds, the mirror is exact, the
# right opening is kept again, and the daemon logs nothing wrong.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
RSYNCD_AUTH=no start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"
CFG=$T/connect.ini
{ source_section "$SRC"; RSYNCD_AUTH=no rsyncd_remote r1; fast_sections; } >"$CFG"
OPENING=$SYNCD_RUNTIME/connect/r1.opening
learned() { [ -s "$OPENING" ]; }
kept_hex() { od -An -tx1 "$OPENING" | tr -d ' \n'; }
sends() { log_count 'the run sends [1-9][0-9]* bytes of its opening with its connect'; }
connects() { grep -c 'connect from' "$T/rsyncd/rsyncd.log"; }

start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
printf 'one\n' >"$SRC/one"
wait_converged "$SRC" "$MIRROR"
wait_for 10 "the push's opening kept" learned
good=$(kept_hex)

# each push: its opening sent with its connect, and that one connection
# is all it takes
for f in two "\$(reboot) -rf \"a\"b" three; do
	s0=$(sends) c0=$(connects)
	printf '%s\n' "$f" >"$SRC/$f"
	wait_converged "$SRC" "$MIRROR"
	wait_for 10 "a push sending its opening with its connect" test "$(sends)" -gt "$s0"
	assert_eq "$(($(connects) - c0))" "$(($(sends) - s0))" "connections for pushes that sent their opening"
done
assert_no_log 'push failed|takes the connection'
assert_eq "$(rsyncd_kept)" "" "connections kept between pushes"
j=$(ctl status --json) || fail "no status"
n=$(json_remote_field "$j" r1 opening_sent_runs) || fail "no opening_sent_runs in: $j"
[ "$n" -ge 3 ] || fail "opening_sent_runs is $n"
assert_eq "$(json_remote_field "$j" r1 preconnected_runs)" 0 "preconnected_runs"

# alter SED: the kept opening changed under the worker; its next push must
# not use what it sent
alter() {
	local s0 c0 n
	sed -i "$1" "$OPENING"
	[ "$(kept_hex)" != "$good" ] || fail "sed '$1' changed nothing"
	s0=$(sends) c0=$(connects)
	n=$RANDOM
	printf '%s\n' "$n" >"$SRC/after $n"
	mkdir -p "$SRC/d$n" && printf 'y\n' >"$SRC/d$n/f"
	wait_converged "$SRC" "$MIRROR"
	[ "$(sends)" -gt "$s0" ] || fail "($1) no push sent the altered opening"
	# the connection with it, and the run's own one
	wait_for 10 "($1) the run connecting again" test "$(connects)" -ge $((c0 + 2))
	wait_for 10 "($1) the right opening kept again" test "$(kept_hex)" = "$good"
	assert_no_log 'push failed'
	assert_syncd_running
}
# another rsync: its greeting differs (a digest more)
alter 's/^\(@RSYNCD: [0-9.]*\)/\1 md2/'
# other options: an argument differs
alter 's/--timeout=20/--timeout=21/'
stop_syncd
if grep -Ei 'error|unexpectedly|auth failed' "$T/rsyncd/rsyncd.log"; then
	fail "the daemon logged errors"
fi
pass
