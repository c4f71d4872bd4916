#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The remote goes down and comes back: the rsync daemon is stopped, changes
# are made (the pushes fail and are retried with backoff, min_backoff =
# 200ms, max_backoff = 1s), the daemon is started again on the same port,
# and the mirror converges without any further change in the source.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"
CFG=$T/down.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

stop_rsyncd
printf 'while down\n' >"$SRC/while-down"
mkdir -p "$SRC/down/dir"
printf 'x\n' >"$SRC/down/dir/x"
rm "$SRC/before"
sleep 2.5
assert_syncd_running
trees_equal "$SRC" "$MIRROR" && fail "mirror converged while the daemon was down?"

restart_rsyncd
wait_converged "$SRC" "$MIRROR" 20

# and live pushes work again
printf 'after\n' >"$SRC/after"
wait_converged "$SRC" "$MIRROR"
assert_syncd_running
stop_syncd
pass
