#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hooks hear of the changes they missed: a hook whose own queue overflowed
# (queue = 20, its listener failing meanwhile) gets one "resync" once it
# drains; after an inotify queue overflow (the worker stopped with SIGSTOP
# while more events than max_queued_events happen, as in the overflow
# test), a hook gets one "resync" once the full sync is done, which a hook
# whose kinds leave it out never gets.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
need_python
start_rsyncd
start_http_listener
SRC=$T/src
mkdir -p "$SRC/churn"
CFG=$T/www.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[hook lost]\ntype = http\nkinds = resync\nurl = http://127.0.0.1:%s/lost\n' "$HTTP_PORT"
	printf '[hook small]\ntype = http\nqueue = 20\nbatch = 5\nretries = 1000\n'
	printf 'kinds = update, resync\nurl = http://127.0.0.1:%s/small\n' "$HTTP_PORT"
	printf '[hook plain]\ntype = http\nkinds = update\nurl = http://127.0.0.1:%s/plain\n' "$HTTP_PORT"
} >"$CFG"
start_syncd "$CFG" -v # its POSTs are logged
wait_ready
wait_ctl

resyncs() { http_records events "$1" | grep -c '^resync ' || true; }

# ---- the small hook's own queue overflows while its listener fails
echo 503 >"$HTTP_MODE"
for i in $(seq 1 60); do : >"$SRC/s$i"; done
wait_converged "$SRC" "$MIRROR"
wait_for 10 "hook small dropped changes" hook_field_gt small overflowed 0
rm -f "$HTTP_MODE"
wait_for 20 "hook small drained" hook_field_is small pending 0
assert_eq "$(resyncs /small)" 1 "resyncs posted to hook small after its overflow"
assert_log 'hook small: the queue drained.*a resync follows'
# the resync is the last thing it was told
last=$(http_records events /small | tail -n 1)
assert_eq "$last" "resync " "the last event posted to hook small"
assert_eq "$(resyncs /lost)" 0 "resyncs posted to hook lost (it lost nothing)"

# ---- an inotify overflow: lost events, a full sync, then one resync
max=$(cat /proc/sys/fs/inotify/max_queued_events)
n=$((max / 2 + 2000))
log "max_queued_events=$max, churning $n files"
kill -STOP "$SYNCD_PID"
for ((i = 0; i < n; i++)); do : >"$SRC/churn/c$i"; done
rm -rf "$SRC/churn"
printf 'x\n' >"$SRC/after"
kill -CONT "$SYNCD_PID"
wait_converged "$SRC" "$MIRROR" 60
assert_log 'overflow'
wait_for 20 "hook lost got its resync" sh -c "grep -q '/lost' '$HTTP_OUT'"
wait_for 20 "hook lost drained" hook_field_is lost pending 0
assert_eq "$(resyncs /lost)" 1 "resyncs posted to hook lost"
assert_eq "$(http_records events /lost | grep -vc '^resync ')" 0 "other events posted to hook lost"
# posted once the full sync that followed the overflow was done
log_text | awk '/overflowed/ { o = 1 } o && /r1: full sync done/ && !d { d = NR }
	o && /hook lost: POST/ && !p { p = NR } END { exit !(d && p && d < p) }' ||
	fail "hook lost was not told after the full sync that followed the overflow"
assert_eq "$(resyncs /plain)" 0 "resyncs posted to hook plain (kinds = update)"
assert_syncd_running
stop_syncd
pass
