#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A directory with a change pending below it is replaced by a file, and
# another by a symlink to a directory outside the tree, while pushes wait:
# the push does not fail on the stale path below (it would retry forever),
# and nothing from outside the tree is sent through the symlink.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
SRC=$T/src
DST=$T/dst
mkdir -p "$SRC/d" "$SRC/l" "$DST" "$T/outside"
printf 'old\n' >"$SRC/d/x"
printf 'old\n' >"$SRC/l/x"
printf 'SECRET\n' >"$T/outside/x"
CFG=$T/nd.ini
{ source_section "$SRC"; local_remote here "$DST"; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$DST"
ctl pause >/dev/null
printf 'new\n' >"$SRC/d/x"
printf 'new\n' >"$SRC/l/x"
sleep 1.2	# sealed: d/x and l/x pending
rm -rf "$SRC/d" "$SRC/l"
printf 'a file now\n' >"$SRC/d"
ln -s "$T/outside" "$SRC/l"
sleep 1.2	# sealed: d and l, merged with the older entries below them
ctl resume >/dev/null
ctl flush 10s >/dev/null || fail "flush did not succeed: $(ctl status)"
trees_equal "$SRC" "$DST" || fail "mirror differs: $(show_difference "$SRC" "$DST")"
[ -L "$DST/l" ] || fail "the symlink was not mirrored as a symlink"
assert_content "$DST/d" $'a file now\n'
stop_syncd
pass
