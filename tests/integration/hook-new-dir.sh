#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hook with kinds = update gets the files that arrive inside a new
# directory (mkdir -p; cp) and inside a directory moved in from outside the
# tree, though the change set holds them as one dir change: each file with
# the hook's include_regex/exclude_regex and the instance's excludes
# applied, none of the directories themselves; a hook with kinds = dir still
# gets the directories only; past dir_files files in one directory the rest
# are not listed and a warning says so.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src OUTSIDE=$T/outside
mkdir -p "$SRC" "$OUTSIDE/album/sub" "$OUTSIDE/big"
JPG=$T/jpg.rec DIRS=$T/dirs.rec FEW=$T/few.rec
CFG=$T/newdir.ini
{
	source_section "$SRC" 'exclude = *.tmp'
	rsyncd_remote r1
	fast_sections
	printf '[hook jpg]\ntype = command\nrun = %s %s %s\nkinds = update\n' "$HOOK_RECORD" "$JPG" "$MIRROR"
	printf 'include_regex = \\.jpg$\nexclude_regex = private\nexclude_regex = ^big/\nbatch = 100\n'
	printf '[hook dirs]\ntype = command\nrun = %s %s %s\nkinds = dir\nbatch = 100\n' "$HOOK_RECORD" "$DIRS" "$MIRROR"
	printf '[hook few]\ntype = command\nrun = %s %s %s\nkinds = update\ndir_files = 3\n' \
		"$HOOK_RECORD" "$FEW" "$MIRROR"
	printf 'include_regex = ^big/\nbatch = 100\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl

# A new directory with files (what a forum's upload does), and a directory
# with a subdirectory moved in from outside the tree.
for f in a.jpg b.txt c.jpg.tmp private.jpg; do printf '%s\n' "$f" >"$OUTSIDE/$f"; done
mkdir -p "$SRC/uploads/2026"
cp "$OUTSIDE/a.jpg" "$OUTSIDE/b.txt" "$OUTSIDE/c.jpg.tmp" "$OUTSIDE/private.jpg" "$SRC/uploads/2026/"
printf 'x\n' >"$OUTSIDE/album/x.jpg"
printf 'y\n' >"$OUTSIDE/album/sub/y.jpg"
printf 'z\n' >"$OUTSIDE/album/sub/z.png"
mv "$OUTSIDE/album" "$SRC/uploads/album"
for i in 1 2 3 4 5; do printf '%s\n' "$i" >"$OUTSIDE/big/$i.jpg"; done
mv "$OUTSIDE/big" "$SRC/big"
ctl flush 10s >/dev/null || fail "flush failed"

want_jpg=$(printf 'update\t%s\n' uploads/2026/a.jpg uploads/album/x.jpg uploads/album/sub/y.jpg | sort)
# has FILE N ERE: the hook recording into FILE got at least N paths matching ERE.
has() { [ "$(hook_events "$1" | grep -Ec "$3")" -ge "$2" ]; }
wait_for 10 "hook jpg got the three images" has "$JPG" 3 '\.jpg$'
wait_for 10 "hook dirs got big" has "$DIRS" 1 '^dir	big$'
wait_for 10 "hook few ran" hook_ran "$FEW" 1
sleep 0.3 # a path too many would show now
# unique: a file whose close_write was seen after its directory was listed in
# an earlier batch comes twice (at least once), on a loaded machine
got=$(hook_events "$JPG" | sort -u)
assert_eq "$got" "$want_jpg" "the changes hook jpg got"

got=$(hook_events "$DIRS")
for want in uploads uploads/2026 uploads/album uploads/album/sub big; do
	grep -qxF "dir	$want" <<<"$got" || fail "hook dirs did not get '$want': $got"
done
grep -qv '^dir	' <<<"$got" && fail "hook dirs got another kind: $got"

n=$(hook_events "$FEW" | sort -u | grep -c '^update	big/[1-5]\.jpg$')
assert_eq "$n" 3 "files of big/ hook few got (dir_files = 3)"
assert_log 'hook few: big: .*2 more files? .*not listed'
assert_syncd_running
stop_syncd
pass
