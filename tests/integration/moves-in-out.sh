#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Moves into the tree and out of it, from/to a sibling directory outside the
# source: a file and a populated directory each way; files later written
# into a directory moved in still mirror (it is watched).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
OUT=$T/outside
mkdir -p "$SRC/stay" "$OUT/tree/sub"
printf 'stay\n' >"$SRC/stay/f"
printf 'outside file\n' >"$OUT/file-in"
printf 'a\n' >"$OUT/tree/a"
printf 'b\n' >"$OUT/tree/sub/b"
CFG=$T/moves.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

# into the tree
mv "$OUT/file-in" "$SRC/file-in"
mv "$OUT/tree" "$SRC/tree"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/tree/sub/b" $'b\n'
assert_content "$MIRROR/file-in" $'outside file\n'

# the moved-in directory is watched
sleep 0.3
printf 'new in moved dir\n' >"$SRC/tree/sub/new"
mkdir "$SRC/tree/sub/newdir"
printf 'deeper\n' >"$SRC/tree/sub/newdir/x"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/tree/sub/newdir/x" $'deeper\n'

# out of the tree
mv "$SRC/file-in" "$OUT/file-out"
mv "$SRC/tree" "$OUT/tree-out"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/file-in"
assert_not_exists "$MIRROR/tree"

# changes in the moved-out directory are not mirrored anywhere
printf 'ghost\n' >"$OUT/tree-out/ghost"
mkdir "$OUT/tree-out/ghostdir"
# and an unrelated change inside the tree proves the worker is still alive
printf 'marker\n' >"$SRC/stay/marker"
wait_converged "$SRC" "$MIRROR"
sleep 0.5
wait_converged "$SRC" "$MIRROR" 1
assert_not_exists "$MIRROR/ghost"
assert_not_exists "$MIRROR/ghostdir"

# a directory moved out and another moved in under the same name
mkdir -p "$OUT/swap"
printf 'swapped in\n' >"$OUT/swap/s"
mv "$SRC/stay" "$OUT/stay-out"
mv "$OUT/swap" "$SRC/stay"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/stay/s" $'swapped in\n'
assert_not_exists "$MIRROR/stay/f"

assert_syncd_running
stop_syncd
pass
