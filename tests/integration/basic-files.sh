#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Files: create, modify (longer, shorter, same size), rename, delete, and an
# empty file, pushed to an rsync daemon (with auth).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/basic.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

# create
printf 'hello\n' >"$SRC/a.txt"
printf 'second\n' >"$SRC/b.txt"
: >"$SRC/empty"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/a.txt" $'hello\n'
assert_file "$MIRROR/empty"

# modify: longer (append), rewritten, then shorter.  (A same-size rewrite
# within the same second is modify-same-size.sh.)
printf 'hello world, longer now\n' >>"$SRC/a.txt"
wait_converged "$SRC" "$MIRROR"
printf 'SECOND!\n' >"$SRC/b.txt"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/b.txt" $'SECOND!\n'
printf 'x' >"$SRC/a.txt"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/a.txt" 'x'

# rename
mv "$SRC/b.txt" "$SRC/c.txt"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/b.txt"
assert_content "$MIRROR/c.txt" $'SECOND!\n'

# rename over an existing file
printf 'new a\n' >"$SRC/a.new"
mv "$SRC/a.new" "$SRC/c.txt"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/c.txt" $'new a\n'

# delete
rm "$SRC/a.txt" "$SRC/empty"
wait_converged "$SRC" "$MIRROR"
assert_not_exists "$MIRROR/a.txt"
assert_not_exists "$MIRROR/empty"

assert_syncd_running
stop_syncd
pass
