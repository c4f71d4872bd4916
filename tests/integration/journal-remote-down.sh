#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A remote that is down keeps its changes in a durable journal: the rsync
# daemon is stopped, 1,000 files are written; "status --json" shows them
# pending with a lag that grows, the remote's journal file in the state dir
# holds them; the daemon comes back on the same port and the mirror
# converges with nothing missing (the seconds from the daemon's return to
# convergence are printed).  Then the journal is back to its header line.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"
printf 'keep\n' >"$SRC/keep"
CFG=$T/jdown.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"
JOURNAL=$(journal_file r1)

stop_rsyncd
for d in $(seq -w 1 10); do
	mkdir -p "$SRC/down/d$d"
	for f in $(seq -w 1 100); do
		printf 'file %s/%s\n' "$d" "$f" >"$SRC/down/d$d/f$f"
	done
done
rm "$SRC/before"
printf 'changed\n' >>"$SRC/keep"

wait_for 5 "status --json showing pending changes for r1" remote_field_gt r1 pending 0
j1=$(ctl status --json) || fail "status --json: $j1"
lag1=$(json_remote_field "$j1" r1 lag_s) || fail "no lag_s for r1 in: $j1"
pending1=$(json_remote_field "$j1" r1 pending)
sleep 1.2
j2=$(ctl status --json) || fail "status --json: $j2"
lag2=$(json_remote_field "$j2" r1 lag_s) || fail "no lag_s for r1 in: $j2"
state2=$(json_remote_field "$j2" r1 state)
log "r1 while down: pending $pending1, lag_s $lag1 then $lag2, state $state2"
num_gt "$lag2" "$lag1" || fail "lag_s did not grow while the remote was down: $lag1 then $lag2"
num_gt "$lag2" 1 || fail "lag_s is $lag2 more than 1.2 s after the changes"
case $state2 in
backoff | failing) ;;
*) fail "r1 state is '$state2' while its daemon is down (expected backoff or failing): $j2" ;;
esac

[ -f "$JOURNAL" ] || fail "no journal $JOURNAL while changes are pending; state dir: $(ls -la "$SYNCD_IDIR")"
size=$(stat -c %s "$JOURNAL")
[ "$(head -n 1 "$JOURNAL")" = 'syncd-journal 1' ] || fail "journal header is '$(head -n 1 "$JOURNAL" | cat -v)'"
[ "$size" -gt 16 ] || fail "journal $JOURNAL holds only $size bytes while changes are pending"
grep -aq 'down' "$JOURNAL" || fail "journal does not name the changed directory 'down': $(head -c 300 "$JOURNAL" | cat -v)"
grep -aq 'keep' "$JOURNAL" || fail "journal does not name the modified file 'keep'"
log "journal: $size bytes"

restart_rsyncd
back=$(now_ms)
wait_converged "$SRC" "$MIRROR" 30
secs=$(elapsed_since "$back")
n=$(find "$MIRROR/down" -type f | wc -l)
[ "$n" = 1000 ] || fail "mirror has $n of the 1000 files"
assert_not_exists "$MIRROR/before"
echo "journal-remote-down: 1000 changes pending; mirror converged ${secs}s after the daemon came back"

wait_for 5 "the journal emptied back to its header line" journal_is_empty r1
wait_for 5 "r1 pending 0" remote_field_is r1 pending 0
assert_syncd_running
stop_syncd
pass
