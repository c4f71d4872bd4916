#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hooks that fail never slow the mirroring: with a command that hangs (and
# is killed at its timeout), one that exits non-zero (retried, then given
# up), and a socket whose reader never reads while 3,000 changes flood it
# (its calls time out once the socket buffer is full; a call of 1,000 plus
# a queue of 1,000 cannot hold them all, whatever the batches were, so some
# are dropped), a file
# written meanwhile reaches the mirror as fast as without hooks (median of
# five, against the same instance without hooks), and every failure, retry,
# drop and overflow is counted in "status --json".
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/flood"
SLOW_SOCK=$T/slow.sock
start_line_listener "$T/slow.out" --unix "$SLOW_SOCK" --no-read

# mirror_ms NAME: write NAME, print the ms until the mirror has it.
mirror_ms() {
	local t0
	printf '%s\n' "$1" >"$SRC/$1"
	t0=$(now_ms)
	until [ "$(cat "$MIRROR/$1" 2>/dev/null)" = "$1" ]; do
		_lib_past $((t0 + 10000)) && fail "$1 did not reach the mirror in 10s"
		sleep 0.01
	done
	echo $(($(now_ms) - t0))
}
median5() { printf '%s\n' "$@" | sort -n | sed -n 3p; }

base() {
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
}
base >"$T/plain.ini"
start_syncd "$T/plain.ini"
wait_ready
wait_converged "$SRC" "$MIRROR"
s=()
for i in 1 2 3 4 5; do s+=("$(mirror_ms "probe-plain-$i")"); sleep 0.1; done
plain=$(median5 "${s[@]}")
log "without hooks: ${s[*]} ms, median $plain"
stop_syncd

{
	base
	printf '[hook hang]\ntype = command\nrun = %s --hang %s/hang.rec %s\n' "$HOOK_RECORD" "$T" "$MIRROR"
	printf 'include_regex = ^probe\ntimeout = 500ms\nretries = 0\nconcurrency = 2\n'
	printf '[hook fail]\ntype = command\nrun = %s --fail %s/fail.rec %s\n' "$HOOK_RECORD" "$T" "$MIRROR"
	printf 'include_regex = ^probe\nretries = 2\n'
	printf '[hook slow]\ntype = socket\nunix = %s\ninclude_regex = ^flood/\n' "$SLOW_SOCK"
	printf 'timeout = 500ms\nretries = 1\nqueue = 1000\nbatch = 1000\n'
} >"$T/hooked.ini"
start_syncd "$T/hooked.ini"
wait_ready
wait_ctl
long=$(printf 'x%.0s' $(seq 1 240))
for i in $(seq 1 3000); do : >"$SRC/flood/$i-$long"; done
s=()
for i in 1 2 3 4 5; do s+=("$(mirror_ms "probe-hooked-$i")"); sleep 0.1; done
hooked=$(median5 "${s[@]}")
log "with failing hooks: ${s[*]} ms, median $hooked"
[ "$hooked" -le $((plain + 250)) ] ||
	fail "mirroring took ${hooked}ms (median) with failing hooks, ${plain}ms without"
wait_converged "$SRC" "$MIRROR"

wait_for 10 "hook hang: a call timed out" hook_field_gt hang calls_failed 0
wait_for 10 "hook fail: retried" hook_field_gt fail retries 0
wait_for 20 "hook fail: gave up on a change" hook_field_gt fail dropped 0
wait_for 20 "hook slow: a call timed out" hook_field_gt slow calls_failed 0
wait_for 10 "hook slow: changes it had no room for" hook_field_gt slow overflowed 0
case $(hook_status hang last_error) in *"timed out after 500ms"*) ;; *) fail "hook hang's last error: $(hook_status hang last_error)" ;; esac
case $(hook_status fail last_error) in *"exit code 3"*"failing on purpose"*) ;; *) fail "hook fail's last error: $(hook_status fail last_error)" ;; esac
assert_log 'hook slow: .*did not take the lines within 500ms'
assert_log 'hook fail: .*exit code 3.*giving up on 1 changes after 3 attempts'
assert_log 'hook slow: .*dropping new ones'
assert_syncd_running
stop_syncd
# the hanging runs were killed, not left behind
assert_eq "$(pgrep -f -- "--hang $T/hang.rec" | wc -l)" 0 "hanging hook processes left"
pass
