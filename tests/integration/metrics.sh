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
# path is 404, another method 405.
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
# push, up to max_delay later, and the control socket's tick after a request)
switches() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$SYNCD_PID/status"; }
settle_for 2
before=$(switches)
settle_for 2
after=$(switches)
log "idle worker: $((after - before)) context switches in 2 s"
assert_eq "$((after - before))" 0 "context switches of the idle worker in 2 s"

# ---- syncctl metrics without a supervisor
out=$(sctl metrics) || fail "syncctl metrics without a supervisor: exit $?"
assert_eq "$(sample "$out" syncd_supervisor_running)" 0 "syncd_supervisor_running without one"
sample "$out" "syncd_remote_lag_seconds$R}" >/dev/null
if command -v promtool >/dev/null; then
	promtool check metrics <<<"$out" >&2 || fail "promtool check metrics: $out"
fi

# ---- the supervisor's listener
MPORT=$(free_port)
printf '# the test'"'"'s\n[metrics]\nlisten = %s\n' "$MPORT" >"$SCTL_CONFIG/syncctl.ini"
start_supervisor
wait_state bbs running 10
assert_log "metrics: listening on http://127.0.0.1:$MPORT/metrics"
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
# A client that connects and says nothing holds up no one.
exec 7<>"/dev/tcp/127.0.0.1/$MPORT"
t0=$(now_ms)
curl -sS -o /dev/null "$URL/metrics" || fail "GET /metrics while a client is silent"
log "GET /metrics beside a silent client: $(elapsed_since "$t0")s"
exec 7>&-
sctl status bbs >/dev/null || fail "status while serving metrics: exit $?"
stop_syncd
stop_supervisor
pass
