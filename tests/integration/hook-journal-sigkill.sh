#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hook's journal keeps what it has not delivered: an http hook (a call per
# change, 4 at once) whose listener is down holds 1,000 mirrored changes
# when the worker is killed with SIGKILL; started again, with the listener
# up, every one of them is posted, each under the same delivery id whenever
# it is posted (X-Syncd-Delivery and the body's "delivery" agree), and the
# repeats are counted: at most the calls running at the kill (concurrency x
# batch = 4), none here since no call got through before it.  The unclean
# stop also brings one "resync", after the replayed changes.  Then a clean
# stop with 50 changes undelivered: the next start delivers them, with
# numbers that go on from the first run's, and no resync.  Last, a SIGKILL
# while 4 calls hang in the listener: those 4 are sent again after the
# restart, under the same ids, and nothing else is repeated.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
need_python
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/p"
HTTP_PORT=$(free_port) # nobody listens there yet
CFG=$T/www.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	# nothing but the hook's journal starts its calls after a clean stop
	printf '[full_sync]\non_start = no\n'
	printf '[hook purge]\ntype = http\nurl = http://127.0.0.1:%s/purge\n' "$HTTP_PORT"
	printf 'batch = 1\nconcurrency = 4\nretries = 1000\ntimeout = 5s\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
N=1000
for ((i = 1; i <= N; i++)); do : >"$SRC/p/f$i"; done
wait_converged "$SRC" "$MIRROR" 30
wait_for 20 "the hook holds the $N changes" hook_field_is purge pending "$N"
hook_field_gt purge retries 0 || fail "no call was tried with the listener down"
kill_syncd

start_syncd "$CFG"
wait_ready
assert_log "hook purge: replayed $N undelivered changes"
start_http_listener

# posted: "KIND BASE64" per event, repeats included
posted_paths() { http_records events /purge | grep -v '^resync ' | sort -u | wc -l; }
t0=$(now_ms)
deadline=$(_lib_deadline 60)
until [ "$(posted_paths)" -ge "$N" ]; do
	_lib_past "$deadline" && fail "only $(posted_paths) of the $N changes were posted"
	sleep 0.2
done
log "all $N changes posted $(($(now_ms) - t0))ms after the check began"
want=$(for ((i = 1; i <= N; i++)); do printf 'update %s\n' "$(printf 'p/f%s' "$i" | base64 -w0)"; done | sort)
assert_eq "$(http_records events /purge | grep -v '^resync ' | sort -u)" "$want" "the changes posted"

# the ids: one id, one content, whenever it was sent
wait_for 20 "the resync posted" sh -c "grep -q resync '$HTTP_OUT'"
deliveries=$(http_records deliveries /purge) || fail "a body or its X-Syncd-Delivery is not as it should be"
requests=$(printf '%s\n' "$deliveries" | wc -l)
ids=$(printf '%s\n' "$deliveries" | cut -d' ' -f1 | sort -u | wc -l)
pairs=$(printf '%s\n' "$deliveries" | sort -u | wc -l)
assert_eq "$pairs" "$ids" "distinct (id, content) pairs against distinct ids"
repeats=$((requests - ids))
log "$requests requests, $ids delivery ids, $repeats repeats"
[ "$repeats" -le 4 ] || fail "$repeats repeats, more than the calls that could run at the kill (4)"
resyncs=$(printf '%s\n' "$deliveries" | grep -c '"kind":"resync"')
assert_eq "$resyncs" 1 "resyncs posted"
# the resync came after the replayed changes: it holds the highest number
last=$(printf '%s\n' "$deliveries" | sed -E 's|^[^ ]*/([0-9]+)-[0-9]+ .*|\1|' | sort -n | tail -n 1)
grep -q "/$last-$last .*resync" <<<"$deliveries" || fail "the resync is not the last numbered delivery"
wait_for 10 "the hook drained" hook_field_is purge pending 0
assert_eq "$(hook_status purge dropped)" 0 "changes dropped"

# ---- a clean stop with the listener down
stop_http_listener
for ((i = 1; i <= 50; i++)); do : >"$SRC/p/g$i"; done
wait_converged "$SRC" "$MIRROR"
wait_for 20 "the hook holds the 50 changes" hook_field_is purge pending 50
stop_syncd
assert_log "hook purge: [0-9]+ changes .* are in its journal for the next start"
before=$(printf '%s\n' "$deliveries" | wc -l)
start_syncd "$CFG"
wait_ready
start_http_listener
wait_for 20 "the 50 changes posted" sh -c "[ \$(grep -c '' '$HTTP_OUT') -ge $((before + 50)) ]"
deliveries=$(http_records deliveries /purge) || fail "a body or its X-Syncd-Delivery is not as it should be"
got=$(printf '%s\n' "$deliveries" | tail -n +$((before + 1)) | sort -u)
assert_eq "$(printf '%s\n' "$got" | wc -l)" 50 "deliveries after the clean stop"
assert_eq "$(printf '%s\n' "$got" | grep -c 'g[0-9]')" 50 "of the files written before it"
first=$(printf '%s\n' "$got" | sed -E 's|^[^ ]*/([0-9]+)-.*|\1|' | sort -n | head -n 1)
[ "$first" -gt "$last" ] || fail "numbering started again at $first (the first run ended at $last)"
sleep 0.5
assert_eq "$(http_records deliveries /purge | grep -c resync)" 1 "resyncs (none after a clean stop)"

# ---- a SIGKILL while calls run
before=$(grep -c '' "$HTTP_OUT")
echo hang >"$HTTP_MODE"
for ((i = 1; i <= 20; i++)); do : >"$SRC/p/h$i"; done
wait_for 20 "4 calls hang in the listener" sh -c "[ \$(grep -c '' '$HTTP_OUT') -ge $((before + 4)) ]"
kill_syncd
hung=$(http_records deliveries /purge | tail -n +$((before + 1)))
assert_eq "$(printf '%s\n' "$hung" | wc -l)" 4 "calls that hung at the kill"
rm -f "$HTTP_MODE"
start_syncd "$CFG"
wait_ready
wait_for 20 "the 20 changes and a resync posted" sh -c "[ \$(grep -c '' '$HTTP_OUT') -ge $((before + 4 + 21)) ]"
sleep 0.5
after=$(http_records deliveries /purge | tail -n +$((before + 1)))
assert_eq "$(printf '%s\n' "$after" | wc -l)" 25 "requests: 4 hung, 20 changes, 1 resync"
assert_eq "$(printf '%s\n' "$after" | sort -u | wc -l)" 21 "distinct deliveries"
assert_eq "$(printf '%s\n' "$after" | sort | uniq -d)" "$(printf '%s\n' "$hung" | sort)" \
	"the repeated deliveries are the hung ones, under the same ids"
assert_syncd_running
stop_syncd
pass
