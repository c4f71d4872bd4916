#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A local path target: full sync on start, then create, modify, rename,
# delete converge.  The two-line-ish config ([source] path and one [remote]
# target, everything else default) must work.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src
DST=$T/local-mirror
mkdir -p "$SRC/d" "$DST"
printf 'pre\n' >"$SRC/d/pre"
CFG=$T/minimal.ini
printf '[source]\npath = %s\n[remote here]\ntarget = %s\n' "$SRC" "$DST" >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$DST"

printf 'a\n' >"$SRC/a"
mkdir -p "$SRC/n/m"
printf 'nm\n' >"$SRC/n/m/f"
wait_converged "$SRC" "$DST"
printf 'a2\n' >"$SRC/a"
mv "$SRC/n" "$SRC/n2"
rm -rf "$SRC/d"
wait_converged "$SRC" "$DST"
assert_content "$DST/a" $'a2\n'
assert_not_exists "$DST/d"

assert_syncd_running
stop_syncd
pass
