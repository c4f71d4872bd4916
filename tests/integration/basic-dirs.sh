#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Directories: create (empty and populated), files written into a new
# directory, rename, delete of a populated tree, replacing a file by a
# directory of the same name and back.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/dirs.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

mkdir "$SRC/empty-dir"
mkdir -p "$SRC/d1/d2"
printf 'one\n' >"$SRC/d1/f1"
printf 'two\n' >"$SRC/d1/d2/f2"
wait_converged "$SRC" "$MIRROR"
assert_dir "$MIRROR/empty-dir"
assert_content "$MIRROR/d1/d2/f2" $'two\n'

# a file written into the new directory later (the watch must be in place)
sleep 0.3
printf 'later\n' >"$SRC/d1/d2/later"
wait_converged "$SRC" "$MIRROR"

# rename a directory
mv "$SRC/empty-dir" "$SRC/renamed-dir"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/empty-dir"
assert_dir "$MIRROR/renamed-dir"

# delete a populated tree
rm -rf "$SRC/d1"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/d1"

# a file replaced by a directory of the same name, and back
printf 'file\n' >"$SRC/shape"
wait_converged "$SRC" "$MIRROR"
rm "$SRC/shape"
mkdir "$SRC/shape"
printf 'inside\n' >"$SRC/shape/inner"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/shape/inner" $'inside\n'
rm -rf "$SRC/shape"
printf 'file again\n' >"$SRC/shape"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/shape" $'file again\n'

assert_syncd_running
stop_syncd
pass
