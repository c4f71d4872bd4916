#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# When the remotes' journals reach the disk.  A power loss while the worker
# runs leaves its "running" mark, and the next start runs a full sync of
# every remote: so a batch's journal appends are not fdatasync'ed one by
# one (with many mirrors, one sync per remote held back every push of the
# batch), only at a clean stop, before the mark goes.  Seen with strace on
# the worker, three local mirrors and one that is down, a batch each for
# four files: no fdatasync of a journal while it runs; at the stop one per
# journal, and the down one's journal holds the four files.  Without a mark
# ("running" is a dangling symlink: it cannot be made) every append is
# synced as before.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
command -v strace >/dev/null || skip "no strace (tests/install-deps installs it)"
strace -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (no ptrace)"
[ -z "${SYNCD_WRAPPER:-}" ] || skip "strace watches the worker itself, not a wrapper around it"
# LeakSanitizer cannot run under ptrace (the ASan pass): the leak checks of
# these paths are the other journal tests'.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
hold_dead_port
SRC=$T/src
mkdir -p "$SRC" "$T/m1" "$T/m2" "$T/m3"
CFG=$T/jsync.ini
{
	source_section "$SRC"
	for i in 1 2 3; do local_remote "m$i" "$T/m$i"; done
	printf '[remote down]\ntarget = rsync://127.0.0.1:%s/mod/\ntimeout = 5s\n' "$DEAD_PORT"
	fast_sections
} >"$CFG"
syncd_instance "$CFG"

# journal_fds: the worker's descriptors of its journals, as a regex
journal_fds() {
	local fd fds=''
	for fd in /proc/"$SYNCD_PID"/fd/*; do
		[[ $(readlink "$fd") != *.journal ]] || fds+=${fd##*/}'|'
	done
	[ -n "$fds" ] || fail "the worker has no journal open"
	printf '^fdatasync\\((%s)\\)' "${fds%|}"
}

# trace_batches TRACE FIRST LAST: the worker started and traced into TRACE
# (STRACE_PID); files FIRST to LAST written, a batch each (each on m1
# before the next); JFDS matches the fdatasyncs of its journals
trace_batches() {
	local trace=$1 i
	start_syncd "$CFG"
	wait_ready
	JFDS=$(journal_fds)
	strace -qq -e trace=fdatasync,fsync -o "$trace" -p "$SYNCD_PID" &
	STRACE_PID=$!
	_lib_track "$STRACE_PID"
	wait_for 10 "strace attached" awk '/^TracerPid:/ {exit !($2 > 0)}' "/proc/$SYNCD_PID/status"
	for ((i = $2; i <= $3; i++)); do
		printf 'file %d\n' "$i" >"$SRC/f$i"
		wait_for 10 "f$i on m1" test -s "$T/m1/f$i"
	done
	wait_for 10 "f$3 on m2 and m3" test -s "$T/m2/f$3" -a -s "$T/m3/f$3"
}

trace_batches "$T/run.trace" 1 4
n=$(grep -cE "$JFDS" "$T/run.trace")
[ "$n" = 0 ] || fail "$n fdatasyncs of a journal while the worker ran with its mark: $(cat "$T/run.trace")"
log "4 batches to 4 remotes: no fdatasync of a journal"
stop_syncd TERM 10
wait "$STRACE_PID"
n=$(grep -cE "$JFDS" "$T/run.trace")
[ "$n" -ge 4 ] || fail "$n fdatasyncs of a journal at the clean stop, expected one per remote: $(cat "$T/run.trace")"
[ ! -e "$SYNCD_IDIR/running" ] || fail "the running mark is left after a clean stop"
for i in 1 2 3 4; do
	grep -qa "f$i" "$(journal_file down)" || fail "the down remote's journal lacks f$i"
done
log "clean stop: $n journal fdatasyncs, the down remote's journal holds f1-f4"

# No mark: the appends are synced again.
ln -s "$T/nowhere/running" "$SYNCD_IDIR/running"
trace_batches "$T/nomark.trace" 5 7
grep -q 'cannot create the running mark' "$SYNCD_LOG" || fail "no warning about the running mark"
n=$(grep -cE "$JFDS" "$T/nomark.trace")
[ "$n" -ge 3 ] || fail "$n fdatasyncs of a journal for 3 batches without a running mark: $(cat "$T/nomark.trace")"
log "without a running mark: $n journal fdatasyncs for 3 batches"
stop_syncd TERM 10
wait "$STRACE_PID"
pass
