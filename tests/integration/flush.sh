#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "flush [TIMEOUT]" on the control socket returns once every change made
# before it is on every mirror: right after an "ok" the mirror equals the
# source, checked at once, with no waiting.  Against a dead remote,
# "flush 1s" answers "error: timeout ..." naming that remote (and not the
# healthy one) within about a second.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/d"
for i in $(seq 1 20); do printf 'old %s\n' "$i" >"$SRC/d/old$i"; done
CFG=$T/flush.ini
{ source_section "$SRC"; rsyncd_remote healthy; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

# nothing pending: ok at once
t0=$(now_ms)
out=$(ctl flush 10s) || fail "flush with nothing pending: '$out'"
log "flush with nothing pending: $(elapsed_since "$t0")s"

for round in 1 2 3; do
	mkdir -p "$SRC/new$round/sub"
	for i in $(seq 1 100); do printf '%s %s\n' "$round" "$i" >"$SRC/new$round/sub/f$i"; done
	printf 'modified %s\n' "$round" >>"$SRC/d/old$round"
	rm "$SRC/d/old$((round + 10))"
	mv "$SRC/d/old$((round + 15))" "$SRC/new$round/moved"
	t0=$(now_ms)
	if [ "$round" = 2 ]; then
		out=$(ctl flush) # the default timeout (60s)
	else
		out=$(ctl flush 10s)
	fi
	rc=$?
	took=$(elapsed_since "$t0")
	[ "$rc" = 0 ] || fail "flush (round $round) answered '$out' (status $rc)"
	case $out in ok*) ;; *) fail "flush reply does not start with ok: '$out'" ;; esac
	if ! trees_equal "$SRC" "$MIRROR"; then
		show_difference "$SRC" "$MIRROR"
		fail "flush (round $round) answered ok after ${took}s but the mirror is not current"
	fi
	log "round $round: flush ok after ${took}s, mirror current"
done

# bare numbers are seconds; a bad duration is an error
out=$(ctl flush 5) || fail "flush 5: '$out'"
if out=$(ctl flush soon); then fail "flush soon: answered '$out'"; fi
case $out in error*) ;; *) fail "flush soon: '$out' is not an error" ;; esac
stop_syncd

# ---- with a dead remote besides the healthy one
hold_dead_port
CFG2=$T/flushdead.ini
{
	source_section "$SRC"
	rsyncd_remote healthy
	printf '[remote deadmirror]\ntarget = rsync://syncuser@127.0.0.1:%s/mirror\npassword_file = %s\n' \
		"$DEAD_PORT" "$PASSFILE"
	fast_sections
	printf '[full_sync]\non_start = no\n'
} >"$CFG2"
start_syncd "$CFG2"
wait_ready
wait_ctl
printf 'for nobody\n' >"$SRC/late"
t0=$(now_ms)
out=$(ctl flush 1s)
rc=$?
ms=$(($(now_ms) - t0))
log "flush 1s with a dead remote: status $rc after ${ms}ms: $out"
[ "$rc" = 1 ] || fail "flush 1s with a dead remote: status $rc, reply '$out'"
case $out in "error: timeout"*) ;; *) fail "flush 1s reply is not 'error: timeout ...': '$out'" ;; esac
grep -q 'deadmirror' <<<"$out" || fail "flush 1s reply does not name the dead remote: '$out'"
if grep -q 'healthy' <<<"$out"; then
	fail "flush 1s reply names the healthy remote as not current: '$out'"
fi
[ "$ms" -ge 900 ] || fail "flush 1s gave up after ${ms}ms, before its timeout"
[ "$ms" -le 2500 ] || fail "flush 1s took ${ms}ms"
# the healthy one got it meanwhile
assert_same_file "$SRC/late" "$MIRROR/late"
assert_syncd_running
stop_syncd
pass
