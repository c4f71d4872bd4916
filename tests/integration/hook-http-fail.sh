#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An http hook whose receiver fails never slows the mirroring: while the
# listener answers 503, is down or hangs past the hook's timeout, every
# change is still on the mirror within 2 s, and the hook retries with
# backoff until it gets through.  The failures, retries and the last error
# show in status --json; a stop while a request hangs is prompt and clean.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
need_python
start_rsyncd
start_http_listener --fail-first 3
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/fail.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[hook notify]\ntype = http\nurl = http://127.0.0.1:%s/hook\n' "$HTTP_PORT"
	printf 'timeout = 1s\nretries = 30\n'
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

# change NAME: write a file and assert the mirror has it within 2 s
change() {
	local t0 ms
	t0=$(now_ms)
	printf '%s\n' "$1" >"$SRC/$1"
	wait_converged "$SRC" "$MIRROR" 2
	ms=$(($(now_ms) - t0))
	[ "$ms" -le $((2000 * TEST_SLOW)) ] || fail "$1 took ${ms}ms to reach the mirror while the hook fails"
	log "$1 on the mirror after ${ms}ms"
}
field() { hook_status notify "$1"; }

# ---- 503 for the first three requests
change f1
wait_for 10 "f1 delivered after three 503 answers" hook_field_is notify delivered 1
assert_eq "$(field calls_failed)" 3 "failed calls after three 503"
assert_eq "$(field retries)" 3 "retries after three 503"
assert_eq "$(field calls_ok)" 1 "successful calls"
assert_eq "$(field last_error)" "" "last_error once a call got through"
assert_eq "$(field state)" ok "state once delivered"
[ "$(field last_success)" != null ] || fail "no last_success after a delivery"
assert_log "hook notify: http://127\.0\.0\.1:$HTTP_PORT/hook: HTTP 503; retry 1 of 30"
assert_eq "$(http_requests)" 4 "requests for f1 (three 503, one 200)"
assert_eq "$(http_records events | sort -u)" "update $(printf f1 | base64 -w0)" "what the retries sent"

# ---- the listener is down
stop_http_listener
change f2
wait_for 10 "a connection failure in status" \
	hook_field_matches notify last_error "^http://127\.0\.0\.1:$HTTP_PORT/hook: .*(onnect|refused)"
wait_for 10 "state backoff" hook_field_is notify state backoff
change f3
failed=$(field calls_failed)
[ "$failed" -gt 3 ] || fail "calls_failed is $failed with the listener down"
log "listener down: $failed failed calls, last error: $(field last_error)"
start_http_listener
wait_for 15 "f2 and f3 delivered once the listener is back" hook_field_is notify delivered 3
assert_eq "$(field last_error)" "" "last_error once the listener is back"

# ---- the listener hangs: the hook's timeout (1s) ends each request
echo hang >"$HTTP_MODE"
n0=$(http_requests)
change f4
wait_for 10 "a request timed out" hook_field_matches notify last_error "timed out"
assert_log "hook notify: timed out; retry"
change f5
rm -f "$HTTP_MODE"
wait_for 15 "f4 and f5 delivered once the listener answers" hook_field_is notify delivered 5
[ "$(http_requests)" -gt $((n0 + 1)) ] || fail "no retry reached the hanging listener"
assert_eq "$(field dropped)" 0 "changes dropped"

# ---- a stop while a request hangs: no later than the hook's timeout, status 0
echo hang >"$HTTP_MODE"
n0=$(http_requests)
printf 'f6\n' >"$SRC/f6"
wait_for 10 "the request for f6" http_requests_ge $((n0 + 1))
t0=$(now_ms)
stop_syncd
ms=$(($(now_ms) - t0))
log "stopped in ${ms}ms with a request hanging"
[ "$ms" -le $((3000 * TEST_SLOW)) ] || fail "the stop took ${ms}ms with a request hanging"
pass
