#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Metrics without Prometheus.  A worker running outside syncctl (as
# syncd@NAME does) answers "metrics" on its own socket in the text format
# (lag, pushes by result, bytes sent from rsync's statistics, the push
# duration histogram), and an idle worker is never woken up: its figures
# are computed when asked, not kept up to date by a timer.  "syncctl
# metrics" with no supervisor says so (syncd_supervisor_running 0) and
# still has that worker's figures.  A supervisor with [metrics] listen in
# syncctl.ini answers GET /metrics with its own figures (up, state) and
# those of its workers and of the outside one, each family once; another
# path is 404, another method 405; silent clients hold up no one, and past
# 4 at once the next gets 503.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
need_ctl
command -v curl >/dev/null || skip "no curl"
start_rsyncd
instance_ini www
instance_ini bbs
printf 'x\n' >"$(isrc www)/x"
SYNCD_STATE=$SCTL_STATE
SYNCD_RUNTIME=$SCTL_RUNTIME
start_syncd "$SCTL_INST/www.ini"
wait_ctl
wait_converged "$(isrc www)" "$(idst www)" 10
printf 'y\n' >"$(isrc www)/y"
wait_converged "$(isrc www)" "$(idst www)" 10

# metrics_port: the port the supervisor's log says it listens on.
metrics_port() {
	log_text | sed -n 's|.*metrics: listening on http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' | tail -n 1
}

# sample TEXT METRIC{LABELS}: the value of that series, or fail.
sample() {
	local v
	v=$(awk -v k="$2 " 'index($0, k) == 1 { print $2 }' <<<"$1")
	[ -n "$v" ] || fail "no sample $2 in: $1"
	printf '%s\n' "$v"
}

# ---- the worker's own metrics
m=$(ctl metrics) || fail "metrics on the worker's socket: $m"
R='{syncd_instance="www",remote="m"'
assert_eq "$(sample "$m" "syncd_remote_lag_seconds$R}")" 0.000 "lag once converged"
assert_eq "$(sample "$m" "syncd_remote_pending_paths$R}")" 0 "pending paths"
num_gt "$(sample "$m" "syncd_remote_pushes_total$R,result=\"ok\"}")" 0 || fail "no ok push counted: $m"
assert_eq "$(sample "$m" "syncd_remote_pushes_total$R,result=\"retry\"}")" 0 "failed pushes"
num_gt "$(sample "$m" "syncd_remote_sent_bytes_total$R}")" 0 || fail "no bytes sent counted: $m"
num_gt "$(sample "$m" "syncd_remote_push_duration_seconds_count$R}")" 0 || fail "no push duration: $m"
sample "$m" "syncd_remote_push_duration_seconds_bucket$R,le=\"+Inf\"}" >/dev/null
num_gt "$(sample "$m" 'syncd_events_total{syncd_instance="www"}')" 0 || fail "no events counted"
assert_eq "$(grep -c '^# TYPE syncd_remote_pushes_total counter$' <<<"$m")" 1 "TYPE lines of the pushes"

# ---- idle: no wakeups at all in 2 s (after the timers that follow a
# push, up to max_delay later, and the control socket's tick after a
# request).  A mount or unmount anywhere on the host wakes the worker (it
# watches the mount table), and other tests mount: of three windows, one
# must be quiet; a timer of the metrics would leave none quiet.
# fanotify hears every write on the source's filesystem (syncd.ini(5)):
# with it, other tests' writes wake the worker, and the check says nothing.
switches() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$SYNCD_PID/status"; }
if [ "${SYNCD_TEST_BACKEND:-}" != fanotify ]; then
	settle_for 2
	quiet=
	for try in 1 2 3; do
		before=$(switches)
		settle_for 2
		after=$(switches)
		log "idle worker: $((after - before)) context switches in 2 s"
		[ "$after" = "$before" ] && quiet=1 && break
	done
	[ -n "$quiet" ] || fail "the idle worker was woken in each of 3 windows of 2 s"
fi

# ---- syncctl metrics without a supervisor
out=$(sctl metrics) || fail "syncctl metrics without a supervisor: exit $?"
assert_eq "$(sample "$out" syncd_supervisor_running)" 0 "syncd_supervisor_running without one"
sample "$out" "syncd_remote_lag_seconds$R}" >/dev/null
if command -v promtool >/dev/null; then
	promtool check metrics <<<"$out" >&2 || fail "promtool check metrics: $out"
fi

# ---- the supervisor's listener
# A setting it cannot use stops it, saying why.
printf '[metrics]\nlisten = 127.0.0.1\n' >"$SCTL_CONFIG/syncctl.ini"
out=$(sctl daemon --foreground 2>&1) && fail "a supervisor started with listen = 127.0.0.1"
grep -qF "syncctl.ini: [metrics] listen = 127.0.0.1: want [ADDRESS:]PORT" <<<"$out" ||
	fail "no clear error for listen = 127.0.0.1: $out"
# Port 0: any free one, which the log names (no race for a port).
printf '# the test'"'"'s\n[metrics]\nlisten = 0\n' >"$SCTL_CONFIG/syncctl.ini"
start_supervisor
wait_state bbs running 10
MPORT=$(metrics_port)
URL=http://127.0.0.1:$MPORT
code=$(curl -sS -o "$T/get.txt" -D "$T/head.txt" -w '%{http_code}' "$URL/metrics") || fail "GET /metrics"
assert_eq "$code" 200 "GET /metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/head.txt" || fail "content type: $(cat "$T/head.txt")"
h=$(cat "$T/get.txt")
assert_eq "$(sample "$h" syncd_supervisor_running)" 1 "syncd_supervisor_running"
assert_eq "$(sample "$h" 'syncd_supervisor_instance_up{syncd_instance="bbs"}')" 1 "bbs up"
sample "$h" 'syncd_supervisor_state_seconds{syncd_instance="bbs",state="running"}' >/dev/null
sample "$h" "syncd_remote_lag_seconds$R}" >/dev/null
sample "$h" 'syncd_remote_lag_seconds{syncd_instance="bbs",remote="m"}' >/dev/null
dup=$(grep '^# TYPE' <<<"$h" | sort | uniq -d)
[ -z "$dup" ] || fail "families listed twice: $dup"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/")" 404 "GET /"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")" 405 "POST /metrics"
# Clients that connect and say nothing hold up no one: each has a child of
# its own (which gives up on it after 5 s); past 4 of them the next client
# gets 503 at once, and once they hang up GET works again.
# (exec {fd}<>: fds the shell picks, never one it uses itself)
exec {silent}<>"/dev/tcp/127.0.0.1/$MPORT"
t0=$(now_ms)
curl -sS -o /dev/null "$URL/metrics" || fail "GET /metrics beside a silent client"
log "GET /metrics beside a silent client: $(elapsed_since "$t0")s"
exec {silent}>&-
# Five at once (the children of earlier requests gone first): one of them
# is answered 503 at once, the others wait for their request.
settle_for "$TEST_SLOW"
fds=()
for i in 1 2 3 4 5; do
	exec {silent}<>"/dev/tcp/127.0.0.1/$MPORT"
	fds+=("$silent")
done
busy=0
for silent in "${fds[@]}"; do
	line=
	IFS= read -r -t 0.5 -u "$silent" line
	case $line in "HTTP/1.1 503"*) busy=$((busy + 1)) ;; esac
done
log "5 silent clients: $busy answered 503 at once"
[ "$busy" -ge 1 ] || fail "5 silent clients at once: none was answered 503"
for silent in "${fds[@]}"; do exec {silent}>&-; done
# GET /x: 404 from a child that asks no worker (quick under valgrind).
http_code() { curl -sS -o /dev/null -w '%{http_code}' "$URL/x"; }
wait_for 10 "an answer again after they hung up" eval '[ "$(http_code)" = 404 ]'
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/metrics")" 200 "GET /metrics after them"
sctl status bbs >/dev/null || fail "status while serving metrics: exit $?"
stop_syncd
stop_supervisor
pass
