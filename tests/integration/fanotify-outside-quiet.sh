#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# With fanotify the worker hears every change on the source's filesystem;
# it reads them at most every 10 ms (coalesce_ms), and between two reads
# the kernel must not wake it.  Files written outside the source: the
# worker's wakeups (voluntary context switches) stay near two per 10 ms
# (the fd readable, then the read timer; three are allowed, for reads that
# wait in the kernel), however many events there are: one per event before.
# Before, the fd stayed in epoll with EPOLLERR|EPOLLHUP while "off", and
# fanotify's wakeup, which carries no poll flags, woke epoll_wait for each
# event (in vain: nothing to return), which was most of the worker's CPU on
# a busy filesystem.  Skipped where fanotify cannot be used.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src DST=$T/dst OUT=$T/outside
mkdir -p "$SRC" "$DST" "$OUT"
CFG=$T/quiet.ini
{
	source_section "$SRC" 'backend = fanotify'
	local_remote here "$DST"
	fast_sections
	printf '[full_sync]\non_start = no\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
log_text | grep -q 'cannot watch .* with fanotify' &&
	skip "fanotify is not available here: $(log_text | grep -m1 'cannot watch .* with fanotify')"
assert_log 'with fanotify'

switches() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$SYNCD_PID/status"; }
n=3000
s0=$(switches)
t0=$(now_ms)
for ((i = 0; i < n; i++)); do : >"$OUT/f$i"; done
sleep 0.2
ms=$(($(now_ms) - t0))
woke=$(($(switches) - s0))
allowed=$((3 * ms / 10 + 50))
log "$n files written outside the source in $ms ms: the worker woke $woke times (at most $allowed)"
[ "$woke" -le "$allowed" ] ||
	fail "the worker woke $woke times in $ms ms for $n files written outside the source (at most $allowed: three per 10 ms)"
assert_not_exists "$DST/f0"
assert_syncd_running
stop_syncd
pass
