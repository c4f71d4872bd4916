#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reload rescans instances.d: with a, b, c running, d is added, b removed,
# c edited ([batch] settle) and a left alone; after "syncctl reload": d
# runs, b is gone (unknown to status, its worker dead), c runs with a new
# pid, a keeps its pid.  A second round (e added, d removed, c edited
# again) is done with SIGHUP to the supervisor.  A bad edit of c is not
# applied: c keeps running, and reload exits non-zero naming c.ini:LINE.
# shellcheck disable=SC2317 # functions called through wait_for
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
for n in a b c; do instance_ini "$n"; done
start_supervisor
for n in a b c; do wait_state "$n" running 10; done
pa=$(instance_pid a)
pb=$(instance_pid b)
pc=$(instance_pid c)
log "pids: a=$pa b=$pb c=$pc"

# instance_gone NAME: status NAME exits 4 and --json does not list it
instance_gone() {
	local rc
	SCTL_TIMEOUT=10 sctl status "$1" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 4 ] || return 1
	! json_instance_names "$(SCTL_TIMEOUT=10 sctl status --json 2>/dev/null)" | grep -qx "$1"
}

check_round() { # ADDED REMOVED REMOVED-PID EDITED EDITED-OLD-PID
	wait_state "$1" running 10
	wait_for 5 "$2 forgotten" instance_gone "$2"
	wait_for 5 "$2's worker $3 gone" pid_gone "$3"
	wait_for 10 "$4 restarted with a new pid" instance_running_not "$4" "$5"
	pid_gone "$5" || fail "$4's old worker $5 is still there"
	assert_eq "$(instance_pid a)" "$pa" "a's pid (a was not changed)"
	assert_eq "$(instance_state a)" running "a's state"
	local names
	names=$(sctl list | awk '{print $1}' | sort | tr '\n' ' ')
	assert_eq "$names" "$6" "list after the reload"
	# the new and the edited instance mirror
	printf 'new\n' >"$(isrc "$1")/new"
	printf 'edited\n' >"$(isrc "$4")/edited"
	wait_converged "$(isrc "$1")" "$(idst "$1")" 10
	wait_converged "$(isrc "$4")" "$(idst "$4")" 10
}

# ---- round 1: syncctl reload
instance_ini d
rm "$SCTL_INST/b.ini"
sed -i 's/^settle = .*/settle = 20ms/' "$SCTL_INST/c.ini"
out=$(sctl reload 2>&1)
rc=$?
[ "$rc" = 0 ] || fail "reload: exit $rc ('$out')"
check_round d b "$pb" c "$pc" "a c d "
assert_log '(^|[^[:alnum:]_.-])b: stopping'
pc2=$(instance_pid c)
pd=$(instance_pid d)

# ---- round 2: SIGHUP
instance_ini e
rm "$SCTL_INST/d.ini"
sed -i 's/^settle = .*/settle = 30ms/' "$SCTL_INST/c.ini"
kill -HUP "$SUPERVISOR_PID"
check_round e d "$pd" c "$pc2" "a c e "

# a reload with nothing changed touches nothing
pc3=$(instance_pid c)
pe=$(instance_pid e)
sctl reload >/dev/null 2>&1 || fail "reload with nothing changed: exit $?"
sleep 0.5
assert_eq "$(instance_pid a)" "$pa" "a's pid after an empty reload"
assert_eq "$(instance_pid c)" "$pc3" "c's pid after an empty reload"
assert_eq "$(instance_pid e)" "$pe" "e's pid after an empty reload"
assert_eq "$(wc -w <<<"$(worker_pids)")" 3 "number of workers"
# a bad edit is not applied: the running worker keeps its configuration,
# reload says where the file is wrong and exits non-zero; fixed, it applies
cp "$SCTL_INST/c.ini" "$T/c.ini.good"
printf '[batch]\nsettle = soon\n' >>"$SCTL_INST/c.ini"
out=$(sctl reload 2>&1)
rc=$?
[ "$rc" != 0 ] || fail "reload of an invalid file exited 0 ('$out')"
grep -Eq 'not applied .*c \(.*c\.ini:[0-9]+: ' <<<"$out" || fail "reload does not say where c.ini is wrong: '$out'"
sleep 0.5
assert_eq "$(instance_pid c)" "$pc3" "c's pid after a reload of its invalid file"
assert_eq "$(instance_state c)" running "c's state after a reload of its invalid file"
printf 'still mirrored\n' >"$(isrc c)/still"
wait_converged "$(isrc c)" "$(idst c)" 10
cp "$T/c.ini.good" "$SCTL_INST/c.ini"
sed -i 's/^settle = .*/settle = 40ms/' "$SCTL_INST/c.ini"
out=$(sctl reload 2>&1) || fail "reload of the fixed file: exit $? ('$out')"
wait_for 10 "c restarted with a new pid" instance_running_not c "$pc3"

# the restarts waited for the old worker's exit: none found the state locked
assert_no_log 'in use by another worker'
assert_supervisor_running
stop_supervisor
pass
