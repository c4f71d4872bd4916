#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "syncctl flush" for a worker run alone (no supervisor, as systemd runs
# syncd@NAME): straight to its socket, it returns 0 once every change made
# before it is on the mirror (checked at once; the batch would have waited
# 5 s); no instance named: every instance file.  An unknown instance gives
# 6, an instance file whose worker does not run 7, a bad --timeout 2.  With
# the rsync daemon down, "--timeout 1s" exits 1 with a line naming the
# instance and the remote that did not get there.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC" "$T/etc/instances.d"
printf 'before\n' >"$SRC/before"
CFG=$T/etc/instances.d/fl.ini
{
	source_section "$SRC"
	rsyncd_remote deploymirror
	# A long batch: only the flush pushes the changes below at once.
	printf '[batch]\nsettle = 5s\nmax_delay = 20s\n'
	printf '[retry]\nmin_backoff = 200ms\nmax_backoff = 1s\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

fctl() {
	env SYNCD_CONFIG_DIR="$T/etc" SYNCD_RUNTIME_DIR="$SYNCD_RUNTIME" SYNCD_STATE_DIR="$SYNCD_STATE" \
		timeout -k 5 $((60 * TEST_SLOW)) "$SYNCCTL" "$@"
}

# ---- (a) changes, then the barrier: on the mirror at once
for round in 1 2; do
	mkdir -p "$SRC/r$round"
	for i in $(seq 1 30); do printf '%s %s\n' "$round" "$i" >"$SRC/r$round/f$i"; done
	printf 'changed %s\n' "$round" >>"$SRC/before"
	t0=$(now_ms)
	if [ "$round" = 1 ]; then
		out=$(fctl flush --timeout 10s fl 2>&1)
	else
		out=$(fctl flush --timeout=10s 2>&1) # none named: every instance
	fi
	rc=$?
	log "flush (round $round): status $rc after $(elapsed_since "$t0")s: $out"
	[ "$rc" = 0 ] || fail "flush (round $round): status $rc: $out"
	grep -q '^fl: ok' <<<"$out" || fail "flush (round $round): no 'fl: ok' line: $out"
	[ "$(wc -l <<<"$out")" = 1 ] || fail "flush (round $round): more than one line: $out"
	if ! trees_equal "$SRC" "$MIRROR"; then
		show_difference "$SRC" "$MIRROR"
		fail "flush (round $round) exited 0 but the mirror is not current"
	fi
done

# ---- (c) an unknown instance; an instance file whose worker does not run; bad usage
out=$(fctl flush nosuch 2>&1)
rc=$?
log "flush nosuch: status $rc: $out"
[ "$rc" = 6 ] || fail "flush of an unknown instance: status $rc (expected 6): $out"
grep -q "unknown instance 'nosuch'" <<<"$out" || fail "flush nosuch: does not say unknown instance: $out"
printf '[source]\npath = %s\n[remote x]\ntarget = %s/idle\n' "$SRC" "$T" >"$T/etc/instances.d/idle.ini"
out=$(fctl flush --timeout 10s 2>&1)
rc=$?
log "flush with idle not running: status $rc: $out"
[ "$rc" = 7 ] || fail "flush with an instance not running: status $rc (expected 7): $out"
grep -q '^fl: ok' <<<"$out" || fail "flush: the running instance is not ok: $out"
grep -q 'idle: not running' <<<"$out" || fail "flush: idle not said to be not running: $out"
rm "$T/etc/instances.d/idle.ini"
for bad in "--timeout" "--timeout soon" "--timeout 0" "fl/x"; do
	# shellcheck disable=SC2086 # the words of a bad line
	out=$(fctl flush $bad 2>&1)
	rc=$?
	[ "$rc" = 2 ] || fail "flush $bad: status $rc (expected 2): $out"
done

# ---- (b) the remote down: the barrier is not reached in time
stop_rsyncd
printf 'for nobody\n' >"$SRC/late"
t0=$(now_ms)
out=$(fctl flush --timeout 1s 2>&1)
rc=$?
log "flush --timeout 1s with the rsync daemon down: status $rc after $(elapsed_since "$t0")s: $out"
[ "$rc" = 1 ] || fail "flush with the remote down: status $rc (expected 1): $out"
grep -q '^fl: error: timeout.*deploymirror' <<<"$out" ||
	fail "flush with the remote down: no line naming the instance and the remote: $out"
assert_syncd_running
stop_syncd
pass
