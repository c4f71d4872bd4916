#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The worker's control socket ($RUNTIME/NAME.sock): a Unix stream socket of
# mode 0660 that refuses peers other than root and the worker's uid;
# "status" (text) names the remote; an unknown command and a request over
# 4096 bytes without a newline are answered "error: ..."; a
# client that connects and sends nothing is dropped after 5 s and holds
# nothing up meanwhile (live mirroring and other requests go on);
# "pause" stops pushes (the mirror stays behind, status says paused) and
# "resume" lets them go; "resync" starts a full sync.  A request ending in
# CRLF is the same request.  Flush clients that hang up while they wait
# (also after writing more) leave nothing behind (ASan, valgrind: the
# worker's exit status); with 32 clients asking to flush, at most 24 wait
# and the others are told so, and status still answers.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'x\n' >"$SRC/x"
CFG=$T/ctlsock.ini
{ source_section "$SRC"; rsyncd_remote mirror1; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

# ---- the socket itself
assert_eq "$SYNCD_SOCK" "$SYNCD_RUNTIME/ctlsock.sock" "socket path"
[ -S "$SYNCD_SOCK" ] || fail "$SYNCD_SOCK is not a socket"
assert_eq "$(stat -c %a "$SYNCD_SOCK")" 660 "socket mode"

# a peer that is neither root nor the worker's uid is refused, even when
# the file mode would let it connect
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod 0666 "$SYNCD_SOCK"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL_SEND" --timeout 5 "$SYNCD_SOCK" status 2>&1)
	rc=$?
	chmod 0660 "$SYNCD_SOCK"
	log "status as nobody: status $rc, '$out'"
	case $out in ok* | "{"*) fail "a client running as nobody got an answer: '$out'" ;; esac
	[ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "a client running as nobody: ctl_send status $rc, '$out'"
	assert_syncd_running
fi

# ---- status (text)
out=$(ctl status) || fail "status: '$out'"
case $out in ok*) ;; *) fail "status reply does not start with ok: '$out'" ;; esac
grep -q 'mirror1' <<<"$out" || fail "status does not show the remote mirror1: '$out'"
out=$(ctl status --json) || fail "status --json: '$out'"
assert_eq "$(json_field "$out" instance)" ctlsock "status --json instance"
assert_eq "$(json_field "$out" pid)" "$SYNCD_PID" "status --json pid"
assert_eq "$(json_remote_field "$out" mirror1 state)" ok "mirror1 state"

# ---- bad requests
if out=$(ctl frobnicate); then fail "unknown command answered '$out' with success"; fi
case $out in "error: unknown command"*) ;; *) fail "unknown command: reply '$out'" ;; esac
t0=$(now_ms)
out=$("$CTL_SEND" --timeout 10 --raw 1048576 "$SYNCD_SOCK")
rc=$?
log "1 MiB request: status $rc after $(elapsed_since "$t0")s: $out"
[ "$rc" = 1 ] || fail "a 1 MiB request: ctl_send status $rc, reply '$out'"
case $out in "error: request too long"*) ;; *) fail "a 1 MiB request: reply '$out'" ;; esac
assert_syncd_running
out=$(ctl status) || fail "status after the long request: '$out'"
out=$(ctl $'status\r') || fail "status ending in CRLF: '$out'"
case $out in "ok"*mirror1*) ;; *) fail "status ending in CRLF: reply '$out'" ;; esac
out=$(ctl $'flush\r') || fail "flush ending in CRLF: '$out'"

# ---- a client that sends nothing, while the worker keeps working
IDLE_OUT=$T/idle.out
t0=$(now_ms)
(
	"$CTL_SEND" --idle 7 "$SYNCD_SOCK" >"$IDLE_OUT" 2>&1
	echo "$?" >"$T/idle.rc"
) &
_lib_track "$!"
sleep 0.3
for i in $(seq 1 30); do printf 'during idle %s\n' "$i" >"$SRC/idle$i"; done
wait_converged "$SRC" "$MIRROR" 3
out=$(CTL_TIMEOUT=2 ctl status) || fail "status while an idle client is connected: '$out'"
wait_for 9 "the idle client to be done" test -s "$T/idle.rc"
idle_ms=$(($(now_ms) - t0))
idle_rc=$(cat "$T/idle.rc")
log "idle client: ended after ${idle_ms}ms with status $idle_rc, got '$(cat "$IDLE_OUT")'"
[ "$idle_rc" = 0 ] || fail "the worker did not close a client that sent nothing within 7 s"
if [ "$idle_ms" -lt 4000 ] || [ "$idle_ms" -gt 6900 ]; then
	fail "the idle client was dropped after ${idle_ms}ms (expected about 5 s)"
fi

# ---- pause / resume
out=$(ctl pause) || fail "pause: '$out'"
printf 'while paused\n' >"$SRC/paused"
mkdir -p "$SRC/pdir"
printf 'p\n' >"$SRC/pdir/p"
sleep 1.5
assert_not_exists "$MIRROR/paused"
assert_not_exists "$MIRROR/pdir"
j=$(ctl status --json) || fail "status --json while paused: '$j'"
assert_eq "$(json_remote_field "$j" mirror1 state)" paused "mirror1 state while paused"
p=$(json_remote_field "$j" mirror1 pending)
[ "$p" -gt 0 ] 2>/dev/null || fail "nothing pending while paused: $j"
ctl status | grep -qi 'paused' || fail "text status does not say paused: $(ctl status)"
journal_has_records mirror1 || fail "changes made while paused are not journaled"
out=$(ctl resume) || fail "resume: '$out'"
wait_converged "$SRC" "$MIRROR" 3
wait_for 3 "mirror1 state ok after resume" remote_field_is mirror1 state ok

# ---- clients that wait for a flush (paused: none is answered)
out=$(ctl pause) || fail "pause: '$out'"
printf 'held\n' >"$SRC/held"
for i in 1 2 3; do
	"$CTL_SEND" --hangup 0.3 "$SYNCD_SOCK" flush || fail "flush while paused: answered at once"
done
# one that writes more while it waits, then hangs up: that is no new request
"$CTL_SEND" --hangup 0.3 "$SYNCD_SOCK" flush status || fail "flush while paused: answered at once"
# server-side connections of the worker's socket, listener aside
connections() { echo $(($(grep -c " $SYNCD_SOCK\$" /proc/net/unix) - 1)); }
ended() { find "$T" -maxdepth 1 -name 'fl.*.rc' | wc -l; }
all_in() { [ $(($(connections) + $(ended))) -ge 32 ]; }
all_ended() { [ "$(ended)" -ge 32 ]; }
for i in $(seq 1 32); do
	(
		"$CTL_SEND" --timeout 30 "$SYNCD_SOCK" "flush 20s" >"$T/fl.$i" 2>&1
		echo "$?" >"$T/fl.$i.rc"
	) &
	_lib_track "$!"
done
wait_for 10 "32 flush clients waiting or answered" all_in
log "32 flush clients: $(connections) connected, $(ended) answered"
out=$(CTL_TIMEOUT=5 ctl status) || fail "status with 32 flush clients: '$out'"
refused=$(grep -l 'too many clients waiting' "$T"/fl.[0-9]* | wc -l)
assert_eq "$refused" 8 "flush clients told that too many wait"
out=$(ctl resume) || fail "resume: '$out'"
wait_for 10 "the waiting flushes answered" all_ended
waited=$(grep -l '^ok: every change' "$T"/fl.[0-9]* | wc -l)
assert_eq "$waited" 24 "flush clients answered ok"
wait_converged "$SRC" "$MIRROR" 3

# ---- resync
started=$(log_count 'mirror1: full sync started')
finished=$(log_count 'mirror1: full sync done')
out=$(ctl resync) || fail "resync: '$out'"
wait_for 5 "a full sync started by resync" log_count_gt 'mirror1: full sync started' "$started"
wait_for 10 "the full sync to be done" log_count_gt 'mirror1: full sync done' "$finished"
full=$(remote_status mirror1 full_syncs)
[ "$full" -ge 2 ] 2>/dev/null || fail "full_syncs is '$full' after the start's and resync's"
assert_syncd_running
stop_syncd
assert_not_exists "$SYNCD_SOCK"
pass
