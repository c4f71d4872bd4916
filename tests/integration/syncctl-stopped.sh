#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Ten instances under one supervisor, three of their workers stopped with
# SIGSTOP (they accept a connection and never answer): "syncctl status",
# "status --json" and "metrics" each take under 2 s (the workers are asked
# all at once, under one deadline, not one after the other), name the
# stopped ones as not answering and show the others' mirrors.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
N=10
for ((i = 1; i <= N; i++)); do
	# no watchdog restart of the stopped ones while the test looks
	instance_ini "i$i" "watchdog = 60s"
done
start_supervisor
for ((i = 1; i <= N; i++)); do wait_state "i$i" running 20; done
STOPPED=()
for i in 2 5 9; do
	pid=$(instance_pid "i$i")
	pid_alive "$pid" || fail "no worker for i$i"
	kill -STOP "$pid"
	STOPPED+=("$pid")
done

timed() { # OUT-VAR CMD...: runs CMD, its output in OUT-VAR, fails if it takes 2 s or more
	local _v=$1 _t0 _ms _out
	shift
	_t0=$(now_ms)
	_out=$("$@")
	_ms=$(($(now_ms) - _t0))
	log "$* took $_ms ms"
	[ "$_ms" -lt 2000 ] || fail "$* took $_ms ms with 3 of $N workers stopped"
	printf -v "$_v" "%s" "$_out"
}
out='' j='' m=''
timed out sctl status
for i in 2 5 9; do
	printf '%s\n' "$out" | grep -A1 "^i$i:" | grep -q "does not answer" ||
		fail "status: stopped i$i not shown as not answering: $out"
done
assert_eq "$(printf '%s\n' "$out" | grep -c "does not answer")" 3 "workers not answering in status"
timed j sctl status --json
for ((i = 1; i <= N; i++)); do
	st=$(json_instance_field "$j" "i$i" worker.remotes.0.state)
	case $i in
	2 | 5 | 9) [ -z "$st" ] || [ "$st" = null ] || fail "stopped i$i has a remote state '$st'" ;;
	*) [ -n "$st" ] && [ "$st" != null ] || fail "i$i: no remote state in status --json: $j" ;;
	esac
done
timed m sctl metrics
grep -q '^syncd_' <<<"$m" || fail "metrics without syncd_ figures: $m"
kill -CONT "${STOPPED[@]}"
stop_supervisor
pass
