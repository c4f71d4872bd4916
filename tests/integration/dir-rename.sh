#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A populated directory renamed (and renamed again, and moved deeper); files
# written into the renamed directory afterwards still mirror.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/proj/src/lib" "$SRC/proj/docs" "$SRC/other"
for i in 1 2 3 4 5; do
	printf 'file %s\n' "$i" >"$SRC/proj/src/lib/f$i"
	printf 'doc %s\n' "$i" >"$SRC/proj/docs/d$i"
done
CFG=$T/rename.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

mv "$SRC/proj" "$SRC/project"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/proj"
assert_content "$MIRROR/project/src/lib/f3" $'file 3\n'

# the renamed tree is still watched, at every level
printf 'top\n' >"$SRC/project/new-top"
printf 'deep\n' >"$SRC/project/src/lib/new-deep"
mkdir "$SRC/project/src/lib/newsub"
printf 'deeper\n' >"$SRC/project/src/lib/newsub/x"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/project/src/lib/newsub/x" $'deeper\n'

# moved into another directory, then written into
mv "$SRC/project" "$SRC/other/project2"
wait_converged "$SRC" "$MIRROR"
printf 'after move\n' >"$SRC/other/project2/docs/after"
rm "$SRC/other/project2/docs/d1"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/other/project2/docs/after" $'after move\n'

# a quick double rename: a -> b -> c, then write into c
mv "$SRC/other" "$SRC/tmpname"
mv "$SRC/tmpname" "$SRC/final"
printf 'in final\n' >"$SRC/final/project2/in-final"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/other"
assert_not_exists "$MIRROR/tmpname"

assert_syncd_running
stop_syncd
pass
