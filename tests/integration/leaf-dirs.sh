#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Directories without subdirectories are watched without being read (their
# link count says so on ext4, xfs and tmpfs): every one of them still gets
# its watch, and what is made inside them later is mirrored, down to a
# directory created in a leaf and a file written into that one afterwards.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/a" "$SRC/b/c" "$SRC/b/d" "$SRC/e" "$SRC/f/g/h"
for d in a b/c b/d f/g/h; do
	printf 'old %s\n' "$d" >"$SRC/$d/file"
done
rsync -a "$SRC/" "$MIRROR/"
CFG=$T/leaf.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
log "the filesystem of the tree: $(stat -f -c %T "$SRC")"

# every directory has its watch (fanotify has no directory watches: what
# is made in leaves is all there is to check with it)
all_watched() {
	[ "${SYNCD_TEST_BACKEND:-}" != fanotify ] || return 0
	local dirs j watched
	dirs=$(find "$SRC" -type d | wc -l)
	j=$(ctl status --json) || fail "no status"
	watched=$(json_field "$j" watched_dirs) || fail "no watched_dirs in $j"
	[ "$watched" = "$dirs" ] || fail "$watched directories watched, the tree has $dirs"
}
all_watched

# in leaves: a file, a new directory with a file, a new deep path
printf 'new\n' >"$SRC/a/new-file"
mkdir "$SRC/e/sub"
printf 'in sub\n' >"$SRC/e/sub/file"
mkdir -p "$SRC/b/c/x/y"
printf 'deep\n' >"$SRC/b/c/x/y/file"
printf 'changed\n' >"$SRC/f/g/h/file"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/e/sub/file" $'in sub\n'

# the directories made in leaves have watches of their own
sleep 0.3
printf 'later\n' >"$SRC/e/sub/later"
printf 'later\n' >"$SRC/b/c/x/y/later"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/b/c/x/y/later" $'later\n'
all_watched

assert_syncd_running
stop_syncd
pass
