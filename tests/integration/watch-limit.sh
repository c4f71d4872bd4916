#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# When the inotify watch limit is too low for the tree, the worker says so
# and exits 1: it names the sysctl, its value and how many directories need
# a watch.  The limit is lowered only inside a user namespace this test
# creates (user.max_inotify_watches), never machine-wide.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
unshare -Ur true 2>/dev/null || skip "cannot create a user namespace here"
SRC=$T/src
for d in a b c d e; do mkdir -p "$SRC/$d/1" "$SRC/$d/2" "$SRC/$d/3"; done
mkdir -p "$T/dst"
CFG=$T/limit.ini
printf '[source]\npath = %s\n[remote local]\ntarget = %s\n' "$SRC" "$T/dst" >"$CFG"
out=$T/limit.out
unshare -Ur sh -c 'echo 5 >/proc/sys/user/max_inotify_watches && exec "$@"' sh \
	"$SYNCD" --config "$CFG" --state-dir "$T/state" --runtime-dir "$T/run" >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" = 1 ] || fail "exit status $rc, expected 1"
grep -q 'user.max_inotify_watches is 5' "$out" || fail "the limit and its value are not named"
grep -q '21 directories' "$out" || fail "the number of directories is not given"
grep -q 'sysctl -w user.max_inotify_watches=' "$out" || fail "no advice how to raise it"
pass
