#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real Prometheus (Debian's prometheus package) scrapes the supervisor's
# HTTP listener ([metrics] listen in syncctl.ini) every second and evaluates
# the shipped alerting rules (packaging/monitoring/syncd-alerts.yml; in the
# test's copy only the for: durations and the lag threshold are shortened,
# the expressions are the shipped ones).  promtool checks the rules and what
# syncctl metrics and GET /metrics emit.  Then the rsync daemon stops and
# changes are made: Prometheus' HTTP API has the lag and the failing remote
# (/api/v1/query), SyncdMirrorBehind and SyncdRemoteFailing fire
# (/api/v1/alerts); the daemon comes back and both clear.  Prometheus runs
# on 127.0.0.1 with its own config and storage in $T, never as the
# package's service.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
packaging_pass_only
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
	skip "no prometheus/promtool (tests/install-deps installs Debian's prometheus)"
command -v curl >/dev/null || skip "no curl"
RULES=$REPO_ROOT/packaging/monitoring/syncd-alerts.yml
log "$(prometheus --version 2>&1 | head -n 1)"

need_syncctl
start_rsyncd
instance_ini www
printf '[hook note]\ntype = command\nrun = /bin/true\n' >>"$SCTL_INST/www.ini"
printf 'seed\n' >"$(isrc www)/seed"
# Port 0: any free one, which the log names.
printf '[metrics]\nlisten = 0\n' >"$SCTL_CONFIG/syncctl.ini"
start_supervisor
wait_state www running 10
MPORT=$(log_text | sed -n 's|.*metrics: listening on http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' | tail -n 1)
[ -n "$MPORT" ] || fail "the supervisor does not say where it listens: $(log_text | grep metrics)"
wait_converged "$(isrc www)" "$(idst www)" 10

# ---- promtool on what we ship and emit
promtool check rules "$RULES" >&2 || fail "promtool check rules $RULES"
sctl metrics >"$T/metrics.txt" || fail "syncctl metrics: exit $?"
grep -q '^syncd_remote_lag_seconds{syncd_instance="www",remote="m"} ' "$T/metrics.txt" ||
	fail "syncctl metrics: no lag of www's remote m: $(cat "$T/metrics.txt")"
grep -q '^syncd_hook_queue_length{syncd_instance="www",hook="note"} ' "$T/metrics.txt" ||
	fail "syncctl metrics: no queue length of www's hook"
promtool check metrics <"$T/metrics.txt" >&2 || fail "promtool check metrics (syncctl metrics)"
curl -sS -o "$T/http.txt" "http://127.0.0.1:$MPORT/metrics" || fail "GET /metrics"
promtool check metrics <"$T/http.txt" >&2 || fail "promtool check metrics (GET /metrics)"

# ---- Prometheus, scraping every second
P=$T/prometheus
mkdir -p "$P/data"
# The shipped rules with short for: and a lag threshold of 2 s.
sed -E -e 's/^( +for: ).*/\11s/' -e 's/(syncd_remote_lag_seconds > )300$/\12/' "$RULES" >"$P/rules.yml"
changed=$(diff "$RULES" "$P/rules.yml" | grep -c '^>')
[ "$changed" = 3 ] || fail "the test's copy of the rules changes $changed lines, not 3 (2 for:, 1 threshold)"
cat >"$P/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $P/rules.yml
scrape_configs:
  - job_name: syncd
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
# start_prometheus: on a free port (another one if that was taken meanwhile).
start_prometheus() {
	local try
	for ((try = 0; try < 3; try++)); do
		PPORT=$(free_port)
		_lib_launch "$P/rc" "$P/log" prometheus --config.file="$P/prometheus.yml" \
			--storage.tsdb.path="$P/data" --web.listen-address="127.0.0.1:$PPORT"
		PROM_PID=$_LIB_LAUNCHED
		API=http://127.0.0.1:$PPORT/api/v1
		wait_for 30 "Prometheus ready on 127.0.0.1:$PPORT, or gone" prom_ready_or_gone
		prom_ready && return 0
		log "Prometheus did not start on port $PPORT: $(tail -n 2 "$P/log")"
	done
	fail "Prometheus did not start: $(tail -n 20 "$P/log")"
}
prom_ready() { curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null; }
prom_ready_or_gone() { prom_ready || [ -s "$P/rc" ]; }
start_prometheus

# query EXPR: the series of an instant query, one "labels value" a line.
query() {
	curl -sf --get --data-urlencode "query=$1" "$API/query" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m = r["metric"]
    print(",".join("%s=%s" % (k, m[k]) for k in sorted(m)), r["value"][1])'
}
# has EXPR ERE: the query's answer holds a line matching ERE.
has() { query "$1" | grep -Eq -- "$2"; }
# alerts: "NAME STATE" for each active alert.
alerts() {
	curl -sf "$API/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    print(a["labels"]["alertname"], a["labels"].get("remote", "-"), a["state"])'
}
firing() { alerts | grep -q "^$1 m firing$"; }
gone() { ! alerts | grep -q "^$1 "; }
rules_loaded() { curl -sf "$API/rules" | grep -q SyncdMirrorBehind; }

wait_for 20 "the shipped rules loaded" rules_loaded
wait_for 20 "a scrape with www's lag" has 'syncd_remote_lag_seconds{syncd_instance="www"}' 'remote=m,syncd_instance=www '
has 'up{job="syncd"}' ' 1$' || fail "the target is not up: $(query 'up')"
has 'syncd_supervisor_instance_up' 'syncd_instance=www 1$' || fail "syncd_supervisor_instance_up of www is not 1"
gone SyncdMirrorBehind || fail "SyncdMirrorBehind active before the daemon stopped: $(alerts)"

# ---- the remote goes down, changes wait
stop_rsyncd
t0=$(now_ms)
for i in 1 2 3; do printf 'while down %s\n' "$i" >"$(isrc www)/down-$i"; done
wait_for 20 "a lag above 2s in Prometheus" has 'syncd_remote_lag_seconds{syncd_instance="www"} > 2' 'remote=m'
wait_for 20 "the failing remote in Prometheus" has 'syncd_remote_consecutive_failures > 0' 'remote=m,syncd_instance=www '
has 'syncd_remote_pending_paths{syncd_instance="www"}' ' [1-9][0-9]*$' || fail "no pending paths: $(query syncd_remote_pending_paths)"
has 'sum(syncd_remote_pushes_total{result="retry"})' ' [1-9]' || fail "no failed pushes counted as retry: $(query syncd_remote_pushes_total)"
log "lag and failures in Prometheus $(elapsed_since "$t0")s after the daemon stopped"
wait_for 30 "SyncdMirrorBehind firing" firing SyncdMirrorBehind
wait_for 30 "SyncdRemoteFailing firing" firing SyncdRemoteFailing
log "both alerts firing $(elapsed_since "$t0")s after the daemon stopped: $(alerts | tr '\n' ';')"

# ---- back
restart_rsyncd
t0=$(now_ms)
wait_converged "$(isrc www)" "$(idst www)" 20
wait_for 30 "SyncdMirrorBehind cleared" gone SyncdMirrorBehind
wait_for 30 "SyncdRemoteFailing cleared" gone SyncdRemoteFailing
log "both alerts cleared $(elapsed_since "$t0")s after the daemon came back"
has 'syncd_remote_lag_seconds{syncd_instance="www"}' ' 0$' || fail "lag not 0 after converging: $(query syncd_remote_lag_seconds)"

stop_pid "$PROM_PID" 10
stop_supervisor
pass
