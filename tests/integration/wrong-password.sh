#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A wrong password is an operator error, not a network hiccup: the worker
# logs it once, as an error naming the remote and rsync's own message
# ("@ERROR: auth failed on module mirror"), "status --json" shows the
# remote in state operator-error with that message, and it retries only
# every max_backoff (min_backoff = 200ms, max_backoff = 2500ms, less a
# quarter of jitter: at most 4 rsync runs in 5 s, counted by a wrapper given
# as [rsync] binary).  Once the
# operator fixes the password file, the next retry succeeds and the mirror
# converges.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'data\n' >"$SRC/data"
BAD=$T/wrong.pass
printf 'not-the-password\n' >"$BAD"
chmod 600 "$BAD"
WRAP=$(make_counting_rsync)
CFG=$T/wrongpw.ini
{
	source_section "$SRC"
	printf '[remote r1]\ntarget = %s\npassword_file = %s\ntimeout = 20s\n' "$RSYNCD_URL" "$BAD"
	printf '[rsync]\nbinary = %s\n' "$WRAP"
	printf '[batch]\nsettle = 50ms\nmax_delay = 500ms\n'
	printf '[retry]\nmin_backoff = 200ms\nmax_backoff = 2500ms\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_for 10 "an error about r1's auth failure in the log" \
	eval "log_text | grep -E '^<3>' | grep -F 'r1' | grep -qi 'auth failed'"
log "error: $(log_text | grep -E '^<3>' | grep -i 'auth failed' | head -n 1)"
log_text | grep -E '^<3>' | grep -qF '@ERROR: auth failed on module mirror' ||
	fail "the error does not carry rsync's message '@ERROR: auth failed on module mirror'"
wait_for 5 "r1 in state operator-error" remote_field_is r1 state operator-error
err=$(remote_status r1 last_error) || fail "no last_error for r1"
grep -qi 'auth' <<<"$err" || fail "status last_error does not mention auth: '$err'"
log "status: state operator-error, last_error '$err'"
ctl status | grep -qi 'auth' || fail "the text status does not show the auth error: $(ctl status)"

# no tight retry loop, even with changes coming in
before=$(rsync_runs)
for i in 1 2 3 4 5; do
	printf 'change %s\n' "$i" >"$SRC/change$i"
	sleep 1
done
runs=$(($(rsync_runs) - before))
echo "wrong-password: $runs rsync runs in 5 s with max_backoff = 2500ms"
[ "$runs" -le 4 ] || fail "$runs rsync runs in 5 s against a wrong password (max_backoff = 2500ms: expected at most 4)"
[ "$runs" -ge 1 ] || fail "no retry at all in 5 s (max_backoff = 2500ms)"
n=$(log_text | grep -ci 'auth failed')
if [ "$n" != 1 ]; then
	log_text | grep -i 'auth failed' >&2
	fail "the auth failure is logged $n times (expected once)"
fi
[ -z "$(ls -A "$MIRROR")" ] || fail "files reached the mirror with a wrong password"
# the fail log has one line per attempt, classed as an operator error
grep -Eq '^[0-9T:-]+Z remote=r1 what=(push|full-sync) paths=[0-9]+ exit=5 class=operator error=.*auth failed' \
	"$SYNCD_IDIR/failed.log" || fail "no operator-class line in the fail log: $(cat "$SYNCD_IDIR/failed.log")"
remote_field_is r1 state operator-error || fail "r1 left state operator-error: $(ctl status --json)"
assert_syncd_running

# the operator fixes the password: the next retry (at max_backoff) works
printf '%s\n' "$RSYNCD_SECRET" >"$BAD"
wait_converged "$SRC" "$MIRROR" 12
wait_for 5 "r1 back in state ok" remote_field_is r1 state ok
err=$(remote_status r1 last_error)
[ -z "$err" ] || fail "last_error still '$err' after a success"
assert_syncd_running
stop_syncd
pass
