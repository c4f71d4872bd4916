#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Pending changes survive the worker's death.  With on_start = no (no full
# sync at a clean start) and the remote's daemon down:
#  1. changes are made, the worker is killed with SIGKILL; it is started
#     again: it warns that the previous run did not stop cleanly ("unclean",
#     its "running" file was left) and replays the journal ("replayed");
#     the daemon comes back and the mirror converges;
#  2. changes are made with the daemon down again, the worker is stopped
#     cleanly (SIGTERM, its "running" file goes away) and started again:
#     no "unclean" warning and no full sync, so only the journal can
#     deliver them; the daemon comes back and the mirror converges.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/jkill.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[full_sync]\non_start = no\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
assert_exists "$SYNCD_IDIR/running"
mkdir -p "$SRC/live"
printf 'live\n' >"$SRC/live/a"
printf 'gone soon\n' >"$SRC/live/b"
wait_converged "$SRC" "$MIRROR"

# ---- 1: SIGKILL with changes pending for a dead remote
stop_rsyncd
mkdir -p "$SRC/while-down/sub"
for i in $(seq 1 50); do printf '%s\n' "$i" >"$SRC/while-down/sub/f$i"; done
printf 'changed\n' >>"$SRC/live/a"
rm "$SRC/live/b"
wait_for 5 "r1 pending changes" remote_field_gt r1 pending 0
wait_for 5 "r1's journal to hold records" journal_has_records r1
# the last change made must be journaled too before the kill
printf 'last\n' >"$SRC/last"
wait_for 5 "the last change in the journal" grep -aq 'last' "$(journal_file r1)"
kill_syncd
assert_exists "$SYNCD_IDIR/running"
journal_has_records r1 || fail "the journal lost its records with the worker"

start_syncd "$CFG"
wait_ready
wait_ctl
run_log_text | grep -Eqi 'unclean' || fail "no 'unclean' warning after a SIGKILL"
run_log_text | grep -Ei 'unclean' | grep -q '^<4>' || fail "the 'unclean' line is not a warning: $(run_log_text | grep -i unclean)"
run_log_text | grep -Eqi 'r1.*replayed|replayed.*r1' || fail "no log line on start about replayed journal entries for r1"
log "on restart: $(run_log_text | grep -Ei 'unclean|replayed' | tr '\n' '|')"
trees_equal "$SRC" "$MIRROR" && fail "mirror converged while the daemon was down?"
restart_rsyncd
wait_converged "$SRC" "$MIRROR" 20
echo "after SIGKILL: converged ${CONVERGE_SECONDS}s after the daemon came back"
wait_for 5 "the journal emptied" journal_is_empty r1

# ---- 2: clean stop with changes pending: only the journal can deliver them
stop_rsyncd
printf 'second round\n' >"$SRC/second"
printf 'changed again\n' >>"$SRC/live/a"
rm -r "$SRC/while-down/sub"
wait_for 5 "r1's journal to hold records" journal_has_records r1
wait_for 5 "the last change in the journal" grep -aq 'second' "$(journal_file r1)"
stop_syncd
assert_not_exists "$SYNCD_IDIR/running"
journal_has_records r1 || fail "a clean stop emptied the journal of a remote with pending changes"
start_syncd "$CFG"
wait_ready
wait_ctl
if run_log_text | grep -qi 'unclean'; then
	fail "'unclean' warning after a clean stop: $(run_log_text | grep -i unclean)"
fi
run_log_text | grep -Eqi 'r1.*replayed|replayed.*r1' || fail "no log line on start about replayed journal entries for r1"
restart_rsyncd
wait_converged "$SRC" "$MIRROR" 20
echo "after a clean stop: converged ${CONVERGE_SECONDS}s after the daemon came back (journal only)"
if run_log_text | grep -q 'full sync started'; then
	fail "a full sync ran after a clean stop with on_start = no: the journal was not what delivered"
fi
assert_syncd_running
stop_syncd
pass
