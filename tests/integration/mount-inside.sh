#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A filesystem mounted inside the tree after the worker started is watched
# and mirrored (what it shows replaces what the directory held), files
# written into it later follow, a bind mount's contents arrive, and what the
# directory holds again after an unmount (a bind mount's leaves no inotify
# event at all) comes back to the mirror.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
in_own_mount_namespace "$@"
need_syncd
start_rsyncd
SRC=$T/src OUT=$T/elsewhere
mkdir -p "$SRC/m" "$SRC/b/sub" "$OUT/sub"
printf 'under the mount\n' >"$SRC/m/old.txt"
printf 'under the bind mount\n' >"$SRC/b/sub/hidden.txt"
printf 'bound\n' >"$OUT/sub/shown.txt"
rsync -a "$SRC/" "$MIRROR/"
CFG=$T/mount.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready

mount -t tmpfs -o size=1m syncd-test "$SRC/m" || skip "cannot mount a tmpfs"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/m/old.txt"
mkdir "$SRC/m/d"
printf 'on the tmpfs\n' >"$SRC/m/d/new.txt"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/m/d/new.txt" $'on the tmpfs\n'

mount --bind "$OUT" "$SRC/b"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/b/sub/shown.txt" $'bound\n'
printf 'written through the bind mount\n' >"$SRC/b/sub/later.txt"
wait_converged "$SRC" "$MIRROR"

umount "$SRC/b"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/b/sub/hidden.txt" $'under the bind mount\n'
umount "$SRC/m"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/m/old.txt" $'under the mount\n'
# the directories are watched as they are now
printf 'after\n' >"$SRC/m/after.txt"
printf 'after\n' >"$SRC/b/sub/after.txt"
wait_converged "$SRC" "$MIRROR"
assert_log 'mount table: .*/src/m changed'

assert_syncd_running
stop_syncd
pass
