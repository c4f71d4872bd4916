#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A rollback reaches the mirror: files restored with mtimes older than the
# mirror's copies (tar x, cp -p of a previous release) are pushed by the
# default options, live and by the full sync after a restart; with -u in
# [rsync] options (as sersync's -artuz is imported) they would be skipped.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src OLD=$T/release-1
mkdir -p "$SRC" "$OLD"
for i in 1 2 3; do printf 'release 1, file %s\n' "$i" >"$OLD/f$i"; done
touch -d '2020-01-01 00:00' "$OLD"/f*
cp -p "$OLD"/f* "$SRC/"
CFG=$T/rollback.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

# release 2, then back to release 1 while running
for i in 1 2 3; do printf 'release 2, file %s\n' "$i" >"$SRC/f$i"; done
wait_converged "$SRC" "$MIRROR"
cp -p "$OLD"/f1 "$OLD"/f2 "$SRC/"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/f1" $'release 1, file 1\n'

# and while stopped: the full sync at start brings it back
stop_syncd
cp -p "$OLD"/f3 "$SRC/"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/f3" $'release 1, file 3\n'
assert_syncd_running
stop_syncd
pass
