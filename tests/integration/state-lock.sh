#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One worker per state directory.  A worker runs (on_start = no, so only
# its journal can deliver what it had pending at a crash); a second worker
# of the same instance, with the same state dir and another runtime dir (a
# hand-run syncd next to syncctl's), must exit non-zero at once naming the
# first one's pid, and leave the first one's journal (the same inode), its
# "running" mark and its mirroring alone.  Then the first is killed with
# SIGKILL while its remote is down: started again, it finds the mark
# (unclean stop) and its journal, and the mirror converges once the remote
# is back.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/locked.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[full_sync]\non_start = no\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
printf 'one\n' >"$SRC/one"
wait_converged "$SRC" "$MIRROR"
FIRST=$SYNCD_PID
JOURNAL=$(journal_file r1)
assert_exists "$SYNCD_IDIR/running"
inode=$(stat -c %i "$JOURNAL") || fail "no journal $JOURNAL"

# ---- the second worker: refused before it touches anything
WRAPPER=()
if [ -n "${SYNCD_WRAPPER:-}" ]; then read -r -a WRAPPER <<<"$SYNCD_WRAPPER"; fi
t0=$(now_ms)
out=$(timeout -k 2 $((10 * TEST_SLOW)) "${WRAPPER[@]}" "$SYNCD" --config "$CFG" \
	--state-dir "$SYNCD_STATE" --runtime-dir "$T/run2" 2>&1 </dev/null)
rc=$?
secs=$(elapsed_since "$t0")
log "second worker: exit $rc after ${secs}s: $out"
[ "$rc" = 124 ] && fail "a second worker of the instance ran (killed by timeout after ${secs}s): $out"
[ "$rc" != 0 ] || fail "the second worker exited 0: $out"
[ "$rc" != 99 ] || fail "valgrind found an error in the refused worker: $out"
grep -q "pid $FIRST\b" <<<"$out" || fail "the refusal does not name the holder's pid $FIRST: $out"
grep -qF "$SYNCD_IDIR" <<<"$out" || fail "the refusal does not name the state directory: $out"
assert_not_exists "$T/run2/locked.sock"
assert_syncd_running
assert_exists "$SYNCD_IDIR/running"
assert_eq "$(stat -c %i "$JOURNAL")" "$inode" "the journal's inode after the refused start"

# ---- the first one still mirrors, and journals
printf 'two\n' >"$SRC/two"
wait_converged "$SRC" "$MIRROR"
stop_rsyncd
mkdir -p "$SRC/while-down"
for i in $(seq 1 20); do printf '%s\n' "$i" >"$SRC/while-down/f$i"; done
rm "$SRC/one"
printf 'last\n' >"$SRC/last"
wait_for 5 "the last change in r1's journal" grep -aq 'last' "$JOURNAL"
kill_syncd
assert_exists "$SYNCD_IDIR/running"

start_syncd "$CFG"
wait_ready
wait_ctl
run_log_text | grep -qi 'unclean' || fail "no 'unclean' warning after the SIGKILL"
run_log_text | grep -Eqi 'r1.*replayed|replayed.*r1' || fail "r1's journal was not replayed"
restart_rsyncd
wait_converged "$SRC" "$MIRROR" 20
assert_syncd_running
stop_syncd
echo "state-lock: the second worker was refused in ${secs}s (exit $rc)"
pass
