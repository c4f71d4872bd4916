#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A broken instance file next to a good one: "syncctl check" (no
# supervisor needed) exits 1 naming FILE:LINE of the error and says the
# good file is ok; "check good" exits 0.  Under the supervisor the good
# instance runs and mirrors; the broken one is "failed" at once with its
# FILE:LINE: error (human and json status), is never spawned and never
# restarted; "status" with no NAME exits 3 (an instance that should run does
# not).  An instance file that is a FIFO (no text to read, and an open that
# would wait for a writer) is failed the same way, "not a regular file",
# and holds up neither check nor the supervisor.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
start_rsyncd
instance_ini good
GOOD=$SCTL_INST/good.ini
BAD=$SCTL_INST/broken.ini
mkdir -p "$T/src/broken" "$T/dst/broken"
cat >"$BAD" <<EOB
[source]
path = $T/src/broken
this line is not ini
[remote m]
target = $T/dst/broken
EOB
printf 'good\n' >"$(isrc good)/g"
FIFO=$SCTL_INST/fifo.ini
mkfifo "$FIFO"

# ---- check, without a supervisor
out=$(sctl check 2>&1)
rc=$?
printf '%s\n' "$out" >&2
[ "$rc" = 1 ] || fail "check with a broken file: exit $rc, expected 1"
grep -qF "$BAD:3:" <<<"$out" || fail "check does not name $BAD:3:"
grep -qE "^$GOOD: ok( |\$)" <<<"$out" || fail "check does not say '$GOOD: ok'"
grep -qF "$FIFO: not a regular file" <<<"$out" || fail "check does not say '$FIFO: not a regular file'"
out=$(sctl check good 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "check good: exit $rc ('$out')"
grep -qE "^$GOOD: ok( |\$)" <<<"$out" || fail "check good does not say '$GOOD: ok': '$out'"
out=$(sctl check broken 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "check broken: exit $rc ('$out')"
grep -qF "$BAD:3:" <<<"$out" || fail "check broken does not name $BAD:3: '$out'"
out=$(sctl check "$BAD" 2>&1)
rc=$?
[ "$rc" = 1 ] || fail "check $BAD (a path): exit $rc ('$out')"
grep -qF "$BAD:3:" <<<"$out" || fail "check $BAD does not name $BAD:3: '$out'"
[ ! -e "$SCTL_SOCK" ] || fail "check created the supervisor's socket"
no_workers_left || fail "check started workers: $(worker_pids)"

# ---- under the supervisor
start_supervisor
# failed at once: the first answer already says so
assert_eq "$(instance_state broken)" failed "broken's state right after the supervisor answered"
wait_state good running 10
wait_converged "$(isrc good)" "$(idst good)" 10
printf 'more\n' >"$(isrc good)/more"
wait_converged "$(isrc good)" "$(idst good)" 10

j=$(sctl status --json)
assert_eq "$(json_instance_field "$j" broken pid)" 0 "broken pid"
assert_eq "$(json_instance_field "$j" broken restarts)" 0 "broken restarts"
if json_instance_field "$j" broken worker.pid >/dev/null; then fail "json of broken has a worker object"; fi
err=$(json_instance_field "$j" broken error)
grep -qF "$BAD:3:" <<<"$err" || fail "json error of broken is '$err', not $BAD:3: ..."
out=$(sctl status)
rc=$?
printf '%s\n' "$out" >&2
[ "$rc" = 3 ] || fail "status with a failed instance: exit $rc, expected 3"
grep -Eq '^broken +failed ' <<<"$out" || fail "status: no 'broken failed' line"
grep -qF "$BAD:3:" <<<"$out" || fail "status does not show $BAD:3:"
grep -Eq '^fifo +failed ' <<<"$out" || fail "status: no 'fifo failed' line"
grep -qF "$FIFO: not a regular file" <<<"$out" || fail "status does not show '$FIFO: not a regular file'"
STATUS_OUT=$out
grep -Eq '^good +running ' <<<"$out" || fail "status: no 'good running' line"
sctl status good >/dev/null || fail "status good: exit $?"

# never spawned, never restarted
sleep 1.5
assert_eq "$(instance_field broken restarts)" 0 "broken restarts after 1.5 s"
assert_eq "$(instance_state broken)" failed "broken state after 1.5 s"
assert_no_log 'broken: started'
assert_no_log 'broken: restarting'
for p in $(worker_pids); do
	if _sctl_cmdline "$p" | grep -qF "$BAD"; then fail "a worker runs for broken.ini: pid $p"; fi
done
assert_eq "$(wc -w <<<"$(worker_pids)")" 1 "number of workers"
# ---- format (checked last: cosmetic): the reason on an indented line
grep -Eq "^  error: .*broken\.ini:3:" <<<"$STATUS_OUT" ||
	fail "status: no '  error: ...broken.ini:3: ...' line under the table"

assert_supervisor_running
stop_supervisor
pass
