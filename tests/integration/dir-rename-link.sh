#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A directory moved inside the tree is not sent again: a link pass
# hardlinks its files on the mirror from the old copy before the batch
# deletes that (a mirror file keeps its inode across the rename), to an
# rsync daemon and to a local target, at the same depth and into another
# directory.  What the excludes keep off the mirror stays off; a file
# changed right after the move arrives changed; odd names survive.  With
# --inplace in the rsync options there is no link pass.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src LOCAL=$T/local
mkdir -p "$SRC/old/sub" "$SRC/deep/er" "$LOCAL"
for i in $(seq 1 200); do printf 'file %s\n' "$i" >"$SRC/old/f$i"; done
printf 'sub\n' >"$SRC/old/sub/s1"
printf 'odd\n' >"$SRC/old/$(printf 'new\nline')"
printf 'odd\n' >"$SRC/old/-rf"
ln -s f1 "$SRC/old/link"
printf 'scratch\n' >"$SRC/old/scratch.tmp"
CFG=$T/link.ini
{
	source_section "$SRC" 'exclude = *.tmp'
	rsyncd_remote r1
	local_remote local "$LOCAL"
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR" 10 --exclude='*.tmp'
wait_converged "$SRC" "$LOCAL" 10 --exclude='*.tmp'
assert_not_exists "$MIRROR/old/scratch.tmp"
inode() { stat -c %i "$1"; }
m1=$(inode "$MIRROR/old/f1") ms=$(inode "$MIRROR/old/sub/s1") l1=$(inode "$LOCAL/old/f7")

mv "$SRC/old" "$SRC/new"
printf 'changed after the move\n' >"$SRC/new/f2"
wait_converged "$SRC" "$MIRROR" 10 --exclude='*.tmp'
wait_converged "$SRC" "$LOCAL" 10 --exclude='*.tmp'
assert_not_exists "$MIRROR/old"
assert_not_exists "$MIRROR/new/scratch.tmp"
assert_not_exists "$LOCAL/new/scratch.tmp"
assert_content "$MIRROR/new/f2" $'changed after the move\n'
assert_symlink "$MIRROR/new/link" f1
assert_eq "$(inode "$MIRROR/new/f1")" "$m1" "inode of new/f1 on the daemon (linked, not sent)"
assert_eq "$(inode "$MIRROR/new/sub/s1")" "$ms" "inode of new/sub/s1 on the daemon"
assert_eq "$(inode "$LOCAL/new/f7")" "$l1" "inode of new/f7 on the local target"
assert_log 'r1 link pass: running'
assert_log 'local link pass: running'

# into another directory, two levels down
m9=$(inode "$MIRROR/new/f9")
mv "$SRC/new" "$SRC/deep/er/moved"
wait_converged "$SRC" "$MIRROR" 10 --exclude='*.tmp'
assert_eq "$(inode "$MIRROR/deep/er/moved/f9")" "$m9" "inode of f9 moved two levels down"
assert_not_exists "$MIRROR/new"
assert_syncd_running
stop_syncd

# rsync told to write in place would change a linked file's old copy too
# (kept by a mirror without deletions): no link pass then
{
	source_section "$SRC" 'exclude = *.tmp'
	rsyncd_remote r1
	printf '[rsync]\noptions = -artuz --inplace\n'
	fast_sections
} >"$T/inplace.ini"
start_syncd "$T/inplace.ini" -v
wait_ready
wait_converged "$SRC" "$MIRROR" 10 --exclude='*.tmp'
runs_before=$(log_count 'link pass: running')
mv "$SRC/deep/er/moved" "$SRC/again"
wait_converged "$SRC" "$MIRROR" 10 --exclude='*.tmp'
assert_eq "$(log_count 'link pass: running')" "$runs_before" "link passes with --inplace"
stop_syncd
pass
