#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# syncctl supervises three instances (www, bbs, blog), each pushing its own
# source to its own directory of one rsync daemon: "syncctl daemon
# --foreground" starts all three, files created in each source reach their
# mirror; "status" shows a table with the three running (and each worker's
# remote below it), "status --json" parses and agrees with it, "status NAME"
# narrows to NAME, "list" prints "NAME STATE FILE" for each; SIGTERM stops
# the supervisor with status 0 and no worker left.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
start_rsyncd
NAMES=(www bbs blog)
for n in "${NAMES[@]}"; do
	instance_ini "$n"
	printf '%s seed\n' "$n" >"$(isrc "$n")/seed"
done
start_supervisor
for n in "${NAMES[@]}"; do wait_state "$n" running 10; done
for n in "${NAMES[@]}"; do wait_converged "$(isrc "$n")" "$(idst "$n")" 10; done

# files created in all three
for n in "${NAMES[@]}"; do
	s=$(isrc "$n")
	mkdir -p "$s/sub/deeper"
	printf 'new in %s\n' "$n" >"$s/new-$n.txt"
	printf 'deep %s\n' "$n" >"$s/sub/deeper/f"
done
for n in "${NAMES[@]}"; do
	wait_converged "$(isrc "$n")" "$(idst "$n")" 10
	assert_content "$(idst "$n")/new-$n.txt" "new in $n"$'\n'
done
# nothing crossed over
assert_not_exists "$(idst www)/new-bbs.txt"
assert_not_exists "$(idst blog)/new-www.txt"

# ---- status (human)
out=$(sctl status)
rc=$?
printf '%s\n' "$out" >&2
[ "$rc" = 0 ] || fail "status with three running: exit $rc"
printf '%s\n' "$out" | head -n 1 | grep -Eq '^INSTANCE +STATE +PID +UPTIME +RESTARTS +LAST EXIT +STATUS' ||
	fail "status: no header line 'INSTANCE STATE PID UPTIME RESTARTS LAST EXIT STATUS'"
for n in "${NAMES[@]}"; do
	grep -Eq "^$n +running +[1-9][0-9]* +[^ ]+ +0 " <<<"$out" ||
		fail "status: no line '$n running PID UPTIME 0 ...'"
done
[ "$(printf '%s\n' "$out" | grep -Ec ' running ')" = 3 ] || fail "status: not exactly three running lines"
STATUS_OUT=$out

# ---- status --json
j=$(sctl status --json)
rc=$?
[ "$rc" = 0 ] || fail "status --json: exit $rc"
case $j in "{"*) ;; *) fail "status --json does not print a JSON object: '$j'" ;; esac
assert_eq "$(json_field "$j" supervisor.pid)" "$SUPERVISOR_PID" "status --json supervisor.pid"
names=$(json_instance_names "$j" | sort | tr '\n' ' ')
assert_eq "$names" "bbs blog www " "status --json instance names"
for n in "${NAMES[@]}"; do
	assert_eq "$(json_instance_field "$j" "$n" state)" running "$n state"
	p=$(json_instance_field "$j" "$n" pid)
	pid_alive "$p" || fail "$n: pid '$p' in status --json is not a live process"
	assert_eq "$(json_instance_field "$j" "$n" restarts)" 0 "$n restarts"
	assert_eq "$(json_instance_field "$j" "$n" file)" "$SCTL_INST/$n.ini" "$n file"
	assert_eq "$(json_instance_field "$j" "$n" worker.instance)" "$n" "$n worker.instance"
	assert_eq "$(json_instance_field "$j" "$n" worker.pid)" "$p" "$n worker.pid"
	assert_eq "$(json_instance_field "$j" "$n" worker.remotes.0.name)" m "$n worker remote"
	u=$(json_instance_field "$j" "$n" uptime_s)
	num_gt "$u" -0.001 || fail "$n: uptime_s '$u' is not a number"
	# the pid is a worker of ours: syncd with this instance's file
	_sctl_cmdline "$p" | grep -qF "$SCTL_INST/$n.ini" || fail "$n: pid $p is not a worker for $n.ini: $(_sctl_cmdline "$p")"
done
[ "$(wc -w <<<"$(worker_pids)")" = 3 ] || fail "not exactly three workers run: $(worker_pids)"

# ---- status NAME
out=$(sctl status bbs)
rc=$?
[ "$rc" = 0 ] || fail "status bbs: exit $rc"
grep -Eq '^bbs +running ' <<<"$out" || fail "status bbs does not show bbs: '$out'"
if grep -Eq '^(www|blog) ' <<<"$out"; then fail "status bbs shows other instances: '$out'"; fi
j=$(sctl status --json blog) || fail "status --json blog: exit $?"
assert_eq "$(json_instance_names "$j" | tr '\n' ' ')" "blog " "status --json blog: instances"

# ---- list
out=$(sctl list)
rc=$?
printf '%s\n' "$out" >&2
[ "$rc" = 0 ] || fail "list: exit $rc"
[ "$(printf '%s\n' "$out" | grep -c .)" = 3 ] || fail "list: not three lines: '$out'"
for n in "${NAMES[@]}"; do
	grep -Eqx "$n +running +$SCTL_INST/$n\.ini" <<<"$out" ||
		fail "list: no line '$n running $SCTL_INST/$n.ini'"
done

# ---- formats (checked last: cosmetic)
# the table, then each live worker's remotes indented under it
[ "$(printf '%s\n' "$STATUS_OUT" | grep -Ec '^ +remote m -> ')" = 3 ] ||
	fail "status: expected one indented '    remote m -> ...' line per instance"
# worker output re-logged as "NAME: <line>"
for n in "${NAMES[@]}"; do
	assert_log "(^|[^[:alnum:]_.-])$n: (.*: )?m: full sync done"
done

assert_supervisor_running
stop_supervisor TERM 10
pass
