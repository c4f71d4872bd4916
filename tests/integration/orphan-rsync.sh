#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A worker's rsync runs die with it.  A bandwidth-limited push (4 MiB at
# 256 KiB/s) runs when the worker is killed with SIGKILL: its rsync is gone
# within 2 s (before: it went on writing into the mirror next to the
# restarted worker).  Under syncctl, with a second remote whose ssh hangs
# in its ProxyCommand (ssh and the command are rsync's children, not the
# worker's): after a SIGKILL and after a watchdog kill, nothing of the dead
# worker's runs is left within 2 s.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
command -v ssh >/dev/null || skip "ssh client not installed"
start_rsyncd
mkdir -p "$T/bin"
HANG=$T/bin/hang
printf '#!/bin/sh\nexec sleep 300\n' >"$HANG"
chmod 755 "$HANG"

# stat_field PID N: field N of /proc/PID/stat counted after the comm (1 the
# state, 2 the ppid, 3 the process group, 4 the session).
stat_field() {
	local line
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	# shellcheck disable=SC2086 # the fields are words
	set -- "$2" ${line##*) }
	shift "$1"
	printf '%s\n' "$1"
}
# rsync_runs_of PID: its children that are rsync, on one line.
rsync_runs_of() {
	local c out=''
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = rsync ] && out+="$c "
	done
	echo "${out% }"
}
has_rsync_runs() { [ "$(rsync_runs_of "$1" | wc -w)" -ge "$2" ]; }
# left_of PGID...: the live processes of these process groups (each run of
# the worker has its own: rsync and what it started), on one line.
left_of() {
	local p g out=''
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		g=$(stat_field "$p" 3) || continue
		for want in "$@"; do
			[ "$g" = "$want" ] && _lib_alive "$p" && out+="$p "
		done
	done
	echo "${out% }"
}
none_left() { [ -z "$(left_of "$@")" ]; }
# gone_within_2s WHAT PGID...: every process of these groups is gone within
# 2 s of now (the worker's death); logs how long they took.
gone_within_2s() {
	local what=$1 t0 ms
	shift
	t0=$(now_ms)
	local deadline=$((t0 + 5000 * TEST_SLOW))
	until none_left "$@"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			ps -o pid,ppid,pgid,sid,etimes,args -p "$(left_of "$@" | tr ' ' ,)" >&2
			fail "$what: the dead worker's runs are still there 5 s after its death: $(left_of "$@")"
		fi
		sleep 0.02
	done
	ms=$(($(now_ms) - t0))
	log "$what: the dead worker's runs (groups $*) gone ${ms}ms after its death"
	[ "$ms" -le $((2000 * TEST_SLOW)) ] || fail "$what: the dead worker's runs lived ${ms}ms after its death"
}

# ---- a worker on its own: its rsync dies with it
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/orphan.ini
{
	source_section "$SRC"
	rsyncd_remote m
	printf '[rsync]\noptions = -artz --bwlimit=256\n'
	fast_sections
	# no full sync that could pass for the push
	printf '[full_sync]\non_start = no\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
head -c 4M /dev/urandom >"$SRC/big"
wait_for 10 "the worker's push of big" has_rsync_runs "$SYNCD_PID" 1
runs=$(rsync_runs_of "$SYNCD_PID")
sleep 0.5
pid_alive "$runs" || fail "the push $runs ended before the kill"
kill -KILL "$SYNCD_PID"
wait_syncd_exit 5 || fail "the worker is still there after SIGKILL"
# shellcheck disable=SC2086 # pids
gone_within_2s "syncd killed" $runs

# ---- under syncctl, with an ssh that hangs below a second rsync
need_syncctl
instance_ini www
SRC=$(isrc www)
{
	printf '[rsync]\noptions = -artz --bwlimit=256\n'
	printf '[remote hung]\ntarget = ssh://root@127.0.0.1:1/%s\ntimeout = 60s\n' "$T/never"
	printf 'ssh_options = -o ProxyCommand=%s\n' "$HANG"
} >>"$SCTL_INST/www.ini"
head -c 4M /dev/urandom >"$SRC/big"
start_supervisor
wait_state www running 10
for how in SIGKILL watchdog; do
	pid=$(instance_pid www)
	# the full sync of each remote at the start: big to the daemon, the
	# other one hung in ssh
	wait_for 10 "two rsync runs of worker $pid" has_rsync_runs "$pid" 2
	runs=$(rsync_runs_of "$pid")
	sleep 0.5
	# shellcheck disable=SC2086 # pids
	[ "$(left_of $runs | wc -w)" -ge 4 ] || fail "no ssh below the runs $runs: $(left_of $runs)"
	if [ "$how" = SIGKILL ]; then
		kill -KILL "$pid"
	else
		# a hung event loop: the watchdog (2 s) kills it, SIGKILL after
		# the SIGABRT that a stopped process leaves pending
		kill -STOP "$pid"
	fi
	wait_for 10 "worker $pid to die ($how)" pid_gone "$pid"
	# shellcheck disable=SC2086 # pids
	gone_within_2s "$how under syncctl" $runs
	wait_for 10 "a new www worker after $how" instance_running_not www "$pid"
done
assert_log 'www: watchdog timeout'
assert_log 'www: .*killed [0-9]+ process'
stop_supervisor
pass
