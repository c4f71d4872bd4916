#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two remotes at once (an rsync daemon and a local path): both converge, on
# start and after live changes.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
DST=$T/local-mirror
mkdir -p "$SRC/d" "$DST"
printf 'pre\n' >"$SRC/d/pre"
CFG=$T/two.ini
{
	source_section "$SRC"
	rsyncd_remote daemon
	local_remote local "$DST"
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
wait_converged "$SRC" "$DST"

for i in $(seq 1 20); do printf '%s\n' "$i" >"$SRC/d/f$i"; done
mkdir -p "$SRC/e/f"
mv "$SRC/d/f1" "$SRC/e/f/moved"
rm "$SRC/d/pre"
wait_converged "$SRC" "$MIRROR"
wait_converged "$SRC" "$DST"

assert_syncd_running
stop_syncd
pass
