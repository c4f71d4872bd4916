#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Links in the tree: symlinks (relative, absolute, dangling, to a
# directory) arrive with their exact targets; a hard-linked file arrives with
# the same content under both names.  Both at start and live.  With -H in
# the options, the full sync makes them one file on the mirror too.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/dir"
printf 'target\n' >"$SRC/dir/t"
ln -s dir/t "$SRC/pre-rel"
CFG=$T/links.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
assert_symlink "$MIRROR/pre-rel" dir/t

ln -s dir/t "$SRC/rel"
ln -s /etc/hostname "$SRC/abs"
ln -s 'does not exist' "$SRC/dangling"
ln -s dir "$SRC/dirlink"
ln -s ../dir/t "$SRC/dir/up"
printf 'hard\n' >"$SRC/h1"
ln "$SRC/h1" "$SRC/dir/h2"
wait_converged "$SRC" "$MIRROR"
assert_symlink "$MIRROR/rel" dir/t
assert_symlink "$MIRROR/abs" /etc/hostname
assert_symlink "$MIRROR/dangling" 'does not exist'
assert_symlink "$MIRROR/dirlink" dir
assert_symlink "$MIRROR/dir/up" ../dir/t
assert_content "$MIRROR/h1" $'hard\n'
assert_content "$MIRROR/dir/h2" $'hard\n'

# retarget a symlink (replace it atomically) and delete one
ln -s 'new target' "$SRC/rel.tmp"
mv -T "$SRC/rel.tmp" "$SRC/rel"
rm "$SRC/dangling"
wait_converged "$SRC" "$MIRROR"
assert_symlink "$MIRROR/rel" 'new target'
assert_not_exists "$MIRROR/dangling"

assert_syncd_running
stop_syncd

# -H in the options: a full sync keeps hard links as links on the mirror
# (live pushes send each name they list as a file of its own)
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[rsync]\noptions = -artzH\n[full_sync]\non_start = yes\n'
	fast_sections
} >"$T/hard.ini"
start_syncd "$T/hard.ini" -v
wait_ready
wait_for 10 "h1 and dir/h2 one file on the mirror" \
	eval '[ "$(stat -c %i "$MIRROR/h1")" = "$(stat -c %i "$MIRROR/dir/h2")" ]'
wait_converged "$SRC" "$MIRROR"
stop_syncd
pass
