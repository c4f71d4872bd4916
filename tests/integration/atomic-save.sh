#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An editor's atomic save: write a temp file next to the original, then
# rename it over the original (several times, quickly).  The mirror ends up
# with the last content and without the temp files.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/doc"
printf 'version 0\n' >"$SRC/doc/notes.txt"
CFG=$T/atomic.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/doc/notes.txt" $'version 0\n'

save() { # vim/gedit style: temp file, fsync-less write, rename over
	local tmp="$SRC/doc/.notes.txt.swx$RANDOM"
	printf '%s' "$1" >"$tmp"
	mv -f "$tmp" "$SRC/doc/notes.txt"
}
save $'version 1, saved\n'
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/doc/notes.txt" $'version 1, saved\n'

# quick successive saves (growing, so that rsync's size+mtime quick check
# cannot hide a change; the same-size case is modify-same-size.sh)
v=''
for i in 2 3 4 5 6 7 8 9; do
	v+="version $i"$'\n'
	save "$v"
done
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/doc/notes.txt" "$v"

# emacs style: backup by rename, then write a new file
mv "$SRC/doc/notes.txt" "$SRC/doc/notes.txt~"
printf 'version 10\n' >"$SRC/doc/notes.txt"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/doc/notes.txt" $'version 10\n'
assert_content "$MIRROR/doc/notes.txt~" "$v"

assert_syncd_running
stop_syncd
pass
