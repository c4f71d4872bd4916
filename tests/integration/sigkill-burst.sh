#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL in the middle of a burst: 10,000 files in 100 directories are
# being written; after about half of them the worker is killed with SIGKILL
# (and its rsync runs with it, as systemd would), the rest of the burst is
# written while nothing watches, the worker is started again (it warns of
# the unclean stop) and the mirror converges to all 10,000 files.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'pre\n' >"$SRC/pre"
CFG=$T/kburst.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$MIRROR"

start=$(now_ms)
for d in $(seq -w 1 100); do
	if [ "$d" = 051 ]; then
		log "5000 files written in $(elapsed_since "$start")s: killing the worker"
		kill_syncd
	fi
	mkdir "$SRC/dir$d"
	for f in $(seq -w 1 100); do
		printf 'file %s/%s\n' "$d" "$f" >"$SRC/dir$d/f$f"
	done
done
log "burst written in $(elapsed_since "$start")s"
# some of the first half changes again while no worker runs
for f in $(seq -f '%03g' 1 10); do printf 'rewritten\n' >"$SRC/dir001/f$f"; done
rm -r "$SRC/dir002"

start_syncd "$CFG"
wait_ready 20
back=$(now_ms)
assert_log 'unclean'
wait_converged "$SRC" "$MIRROR" 90
# A push may still be rewriting an identical file (a retry): its rsync
# temporary (.NAME.XXXXXX) is not one of ours.
n=$(find "$MIRROR" -type f -path '*/dir*' ! -name '.*' | wc -l)
[ "$n" = 9900 ] || fail "mirror has $n files in dir*/ (expected 9900)"
echo "sigkill-burst: converged $(elapsed_since "$back")s after the restart"
assert_syncd_running
stop_syncd
pass
