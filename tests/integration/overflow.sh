#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A forced event queue overflow: the worker is stopped (SIGSTOP) while
# more events than /proc/sys/fs/inotify/max_queued_events (fanotify's own
# in the fanotify pass) happen (the sysctl is not changed), then continued.  It must log a warning about the
# overflow and still converge (a full resync).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/keep" "$SRC/churn"
for i in $(seq 1 50); do printf 'old %s\n' "$i" >"$SRC/keep/k$i"; done
CFG=$T/inst.ini  # (no "overflow" in names the log may print)
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$MIRROR"

max=$(cat /proc/sys/fs/inotify/max_queued_events)
# the fanotify pass: its queue's own limit
if [ "${SYNCD_TEST_BACKEND:-}" = fanotify ]; then
	max=$(cat /proc/sys/fs/fanotify/max_queued_events 2>/dev/null || echo 16384)
fi
# create + close_write + delete: at least 2 events per file even if the
# worker watches only some of them
n=$((max / 2 + 2000))
log "max_queued_events=$max, churning $n files"

kill -STOP "$SYNCD_PID"
for ((i = 0; i < n; i++)); do
	: >"$SRC/churn/c$i"
done
rm -rf "$SRC/churn"
# real changes hidden in the overflow
for i in $(seq 1 50); do printf 'new %s\n' "$i" >"$SRC/keep/k$i"; done
mkdir -p "$SRC/after/q"
printf 'x\n' >"$SRC/after/q/file"
rm "$SRC/keep/k1"
kill -CONT "$SYNCD_PID"

wait_converged "$SRC" "$MIRROR" 60
assert_log 'overflow'
log_text | grep -Ei 'overflow' | head -n 3 >&2

# still watching afterwards
printf 'post\n' >"$SRC/after/q/post"
wait_converged "$SRC" "$MIRROR"

assert_syncd_running
stop_syncd
pass
