#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A journal that cannot be written is off, says so, and comes back by
# itself.  The state dir is a 64 KiB tmpfs (root only: mounted by the test):
#  1. with the remote down, 3,000 files are rewritten: the journal fills the
#     disk and goes off with one warning; every change stays pending in
#     memory; "status", "status --json" and sd_notify's STATUS= say
#     "journal off (No space left on device)" for the remote;
#  2. the remote comes back: the mirror converges, the stale journal is
#     truncated (its header line only) and the journal is on again (one
#     info line, the status says so);
#  3. a change with the remote down again is journaled: after a SIGKILL the
#     restarted worker replays it and it reaches the mirror;
#  4. the disk fills again and the worker is stopped cleanly: the changes
#     only memory held are named, the running mark stays, the next start
#     is unclean (a full sync) and the journal comes back once current;
#  5. the worker starts on a read-only state dir: it replays the journal it
#     cannot write, which is off ("Read-only file system"); the status says
#     the running mark is missing (an unclean stop would go unnoticed);
#     mirroring goes on; once the dir is writable the journal and the mark
#     come back by themselves;
#  6. syncctl shows the same for an instance whose state dir is read-only:
#     its table's STATUS=, the worker's lines, the worker's JSON.
# Prints the journal's size when full and after, and the times to recover.
# shellcheck disable=SC2317 # functions called through wait_for
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
in_own_mount_namespace "$@"
need_syncd
need_ctl
LISTEN=$(dirname "$SYNCD")/notify_listen
[ -x "$LISTEN" ] || fail "$LISTEN is missing (make builds it)"

# The source and the mirror on a tmpfs too: 3,000 files are written three
# times, which takes seconds on a busy disk.  (lib.sh unmounts them.)
FAST=$T/fast
mkdir -p "$SYNCD_STATE" "$FAST"
mount -t tmpfs -o size=64k,mode=0755 syncd-test "$SYNCD_STATE" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs: $(cat "$T/mount.err")"
mount -t tmpfs -o size=64m,mode=0755 syncd-test "$FAST" || fail "cannot mount a tmpfs on $FAST"

MSGS=$T/notify.msgs
"$LISTEN" "$T/notify.sock" >"$MSGS" &
_lib_track "$!"
wait_for 5 "the notify socket" test -S "$T/notify.sock"
start_worker() {
	NOTIFY_SOCKET=$T/notify.sock start_syncd "$CFG"
	wait_ready
	wait_ctl
}
# the last STATUS= the worker sent
last_status() { grep ' STATUS=' "$MSGS" | tail -n 1; }
status_says() { last_status | grep -qF -- "$1"; }
status_says_on() { ! status_says "journal off"; }
# (grep -q reads a here-string: fed by a pipe, under pipefail, its early
# exit could fail the writer with SIGPIPE)
status_text_says() {
	local out
	out=$(ctl status) && grep -qF -- "$1" <<<"$out"
}
# paths not on the mirror yet: pending and in flight
unpushed() {
	local j p f
	j=$(ctl status --json) || return 1
	p=$(json_remote_field "$j" r1 pending) && f=$(json_remote_field "$j" r1 in_flight) &&
		echo $((p + f))
}
unpushed_is() { [ "$(unpushed)" = "$1" ]; }
running_mark_is() { [ "$(json_field "$(ctl status --json)" running_mark)" = "$1" ]; }
# syncctl's table line of www says its journal is off
www_row_says_off() { grep -Eq '^www +running .*m: journal off \(Read-only file system\)' <<<"$(sctl status www)"; }
# journal warnings and infos in the worker log
warned_off() { log_count '^<4>.*journal .*r1\.journal.*'"$1"; }

MIRROR=$FAST/mirror
# rewrite_all WORD: 3,000 changes
rewrite_all() {
	local d f
	for d in $(seq -w 1 30); do
		for f in $(seq -w 1 100); do
			printf '%s\n' "$1" >>"$SRC/directory-with-a-long-name-$d/file-with-a-long-name-$f"
		done
	done
}

start_rsyncd
SRC=$FAST/src
mkdir -p "$SRC"
# long names: the journal outgrows the disk well before the 3,000th record
for d in $(seq -w 1 30); do
	mkdir "$SRC/directory-with-a-long-name-$d"
	for f in $(seq -w 1 100); do
		printf 'first %s\n' "$f" >"$SRC/directory-with-a-long-name-$d/file-with-a-long-name-$f"
	done
done
CFG=$T/jfull.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_worker
JOURNAL=$(journal_file r1)
wait_converged "$SRC" "$MIRROR" 30
wait_for 5 "r1's journal on" remote_field_is r1 journal on

# ---- 1: the disk fills
stop_rsyncd
rewrite_all second
wait_for 10 "r1's journal off" remote_field_is r1 journal off
wait_for 10 "3000 changes pending for r1" unpushed_is 3000
assert_eq "$(remote_status r1 journal_error)" "No space left on device" "r1 journal_error"
status_text_says "journal off (No space left on device)" ||
	fail "status does not say 'journal off (No space left on device)': $(ctl status)"
wait_for 5 "STATUS= saying r1's journal is off" status_says "r1: journal off (No space left on device)"
ctl status >&2
full_size=$(stat -c %s "$JOURNAL")
used=$(df --output=used -k "$SYNCD_STATE" | tail -n 1)
log "journal off: $full_size bytes, ${used// /} KiB of 64 used; $(last_status)"
# more batches while it is off: tried again at a bounded rate, said once
for i in 1 2 3 4 5; do
	printf 'more %s\n' "$i" >>"$SRC/directory-with-a-long-name-01/file-with-a-long-name-001"
	sleep 0.3
done
wait_for 5 "3000 changes pending for r1" unpushed_is 3000
assert_eq "$(warned_off 'No space left on device')" 1 "warnings that r1's journal is off"

# ---- 2: the remote comes back
restart_rsyncd
back=$(now_ms)
wait_converged "$SRC" "$MIRROR" 30
converged=$CONVERGE_SECONDS
wait_for 10 "r1's journal on again" remote_field_is r1 journal on
on_again=$(elapsed_since "$back")
wait_for 5 "r1's journal truncated to its header" journal_is_empty r1
after_size=$(stat -c %s "$JOURNAL")
assert_eq "$(remote_status r1 journal_error)" "" "r1 journal_error once on"
assert_eq "$(log_count '^<6>.*journal .*r1\.journal.* on again')" 1 "infos that r1's journal is on again"
if status_text_says "journal off"; then fail "status still says 'journal off': $(ctl status)"; fi
wait_for 5 "STATUS= without 'journal off'" status_says_on
echo "journal-full-disk: journal ${full_size} bytes when the disk was full, ${after_size} after;" \
	"converged ${converged}s and journal on ${on_again}s after the remote came back"

# ---- 3: journaled again: a SIGKILL loses nothing
stop_rsyncd
printf 'after recovery\n' >"$SRC/after-recovery"
wait_for 5 "the new change in r1's journal" grep -aq 'after-recovery' "$JOURNAL"
kill_syncd
start_worker
run_log_text | grep -Eqi 'r1: replayed [1-9]' || fail "r1's journal was not replayed: $(run_log_text | head -n 5)"
restart_rsyncd
wait_converged "$SRC" "$MIRROR" 20
assert_file "$MIRROR/after-recovery"

# ---- 4: a clean stop while the journal is off keeps the running mark
stop_rsyncd
rewrite_all third
wait_for 10 "r1's journal off" remote_field_is r1 journal off
wait_for 10 "3000 changes pending for r1" unpushed_is 3000
stop_syncd
assert_exists "$SYNCD_IDIR/running"
run_log_text | grep -Eq '^<4>.*r1: 3000 changes pending are not in the journal \(No space left on device\): the next start runs a full sync' ||
	fail "no warning at the stop that the pending changes are not in the journal: $(run_log_text | tail -n 3)"
start_worker
run_log_text | grep -qi 'unclean' || fail "no unclean start after a stop that left changes out of the journal"
# what the stale journal held is replayed, but it cannot be rewritten yet
wait_for 5 "r1's journal off" remote_field_is r1 journal off
restart_rsyncd
wait_converged "$SRC" "$MIRROR" 20
wait_for 10 "r1's journal on again" remote_field_is r1 journal on
wait_for 5 "r1's journal truncated to its header" journal_is_empty r1

# ---- 5: a read-only state dir; what its journal holds is replayed
stop_rsyncd
printf 'replayed read-only\n' >"$SRC/ro-replay"
wait_for 5 "the new change in r1's journal" grep -aq 'ro-replay' "$JOURNAL"
stop_syncd
mount -o remount,ro "$SYNCD_STATE" || fail "cannot remount $SYNCD_STATE read-only"
start_worker
run_log_text | grep -Eqi 'r1: replayed [1-9]' || fail "r1's read-only journal was not replayed: $(run_log_text | head -n 5)"
wait_for 5 "r1's journal off" remote_field_is r1 journal off
assert_eq "$(remote_status r1 journal_error)" "Read-only file system" "r1 journal_error"
j=$(ctl status --json)
assert_eq "$(json_field "$j" running_mark)" off "running_mark"
assert_eq "$(json_field "$j" running_mark_error)" "Read-only file system" "running_mark_error"
out=$(ctl status)
grep -qF "journal off (Read-only file system)" <<<"$out" ||
	fail "status does not say 'journal off (Read-only file system)': $out"
grep -Eq '^warning: .*running.*Read-only file system.*unclean stop would go unnoticed' <<<"$out" ||
	fail "status does not warn that an unclean stop would go unnoticed: $out"
wait_for 5 "STATUS= saying r1's journal is off" status_says "r1: journal off (Read-only file system)"
status_says "no running mark (Read-only file system)" || fail "STATUS= does not say the running mark is missing: $(last_status)"
restart_rsyncd
printf 'read-only state\n' >"$SRC/ro-state"
wait_converged "$SRC" "$MIRROR" 10
mount -o remount,rw "$SYNCD_STATE" || fail "cannot remount $SYNCD_STATE read-write"
rw=$(now_ms)
wait_for 5 "r1's journal on" remote_field_is r1 journal on
wait_for 5 "running_mark ok" running_mark_is ok
assert_exists "$SYNCD_IDIR/running"
log "read-only state dir: journal and mark back $(elapsed_since "$rw")s after the remount"
printf 'writable again\n' >"$SRC/rw-state"
wait_converged "$SRC" "$MIRROR" 10
assert_syncd_running
stop_syncd
assert_not_exists "$SYNCD_IDIR/running"

# ---- 6: syncctl shows what the worker says
need_syncctl
mkdir -p "$SCTL_STATE/www"
mount -t tmpfs -o ro,size=64k,mode=0755 syncd-test "$SCTL_STATE/www" || fail "cannot mount a tmpfs on $SCTL_STATE/www"
instance_ini www
start_supervisor
wait_state www running 10
wait_for 5 "www's STATUS= saying its journal is off" www_row_says_off
out=$(sctl status www)
printf '%s\n' "$out" >&2
grep -Eq '^    remote m -> .*: [a-z]+, journal off \(Read-only file system\), ' <<<"$out" ||
	fail "syncctl status: no remote line with 'journal off (Read-only file system)': $out"
grep -Eq '^    warning: cannot create the running mark .*unclean stop would go unnoticed' <<<"$out" ||
	fail "syncctl status: no warning about the running mark: $out"
j=$(sctl status --json www)
assert_eq "$(json_instance_field "$j" www worker.remotes.0.journal)" off "syncctl status --json: the journal"
assert_eq "$(json_instance_field "$j" www worker.running_mark)" off "syncctl status --json: the running mark"
stop_supervisor
pass
