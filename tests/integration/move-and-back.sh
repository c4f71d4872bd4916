#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A directory renamed to an excluded name and straight back, or moved out of
# the tree and straight back (within the move-pairing grace), keeps its
# watches: files written into it afterwards still mirror.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src
DST=$T/dst
mkdir -p "$SRC/a/sub" "$SRC/b/sub" "$DST" "$T/outside"
printf 'pre\n' >"$SRC/a/sub/f"
printf 'pre\n' >"$SRC/b/sub/f"
CFG=$T/mb.ini
{ source_section "$SRC" 'exclude = *.tmp'; local_remote here "$DST"; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$DST" 20 --exclude='*.tmp'
mv "$SRC/a" "$SRC/a.tmp" && mv "$SRC/a.tmp" "$SRC/a"
mv "$SRC/b" "$T/outside/b" && mv "$T/outside/b" "$SRC/b"
sleep 0.5	# well past the 50 ms pairing grace
printf 'new\n' >"$SRC/a/sub/new"
printf 'new\n' >"$SRC/b/new"
wait_converged "$SRC" "$DST" 10 --exclude='*.tmp'
assert_content "$DST/a/sub/new" $'new\n'
stop_syncd
pass
