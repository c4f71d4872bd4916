#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo` (tests/demo.sh) runs to the end with status 0: syncctl starts
# the demo copies of the three shipped examples (www, bbs, blog) against the
# demo's rsync daemon, every mirror converges, the thumbnails hook runs, the
# www worker killed with SIGKILL is restarted once and catches up; no
# process of the demo is left and its temp dir is gone.  A shipped example
# that grows a setting the demo cannot make local fails here.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncctl
out=$T/demo.out
"$TESTS_DIR/demo.sh" >"$out" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
	tail -n 60 "$out" >&2
	fail "tests/demo.sh exited with status $rc"
fi
grep -Eq '^ +(www|bbs|blog) +running ' "$out" || fail "the demo shows no instance running"
[ "$(grep -Ec '^ +(www|bbs|blog) +running +[0-9]+ +[^ ]+ +0 ' "$out")" -ge 3 ] ||
	fail "the demo's first status does not show www, bbs and blog running"
grep -Eq 'make-thumbnails \(demo stand-in\) given: --size 200 .*cat\.png' "$out" ||
	fail "the demo shows no run of the thumbnails hook"
grep -Eq '^ +www +running +[0-9]+ +[^ ]+ +1 +killed by signal 9' "$out" ||
	fail "the demo does not show www restarted once after SIGKILL"
grep -q 'no worker is left' "$out" || fail "the demo did not stop its supervisor"
dt=$(sed -n 's/.*<T> is the demo.s temp dir \(\/tmp\/[^ ]*\)\..*/\1/p' "$out" | head -n 1)
[ -n "$dt" ] || fail "the demo does not say its temp dir"
assert_not_exists "$dt"
for p in /proc/[0-9]*; do
	_sctl_cmdline "${p#/proc/}" 2>/dev/null | grep -qF "$dt/" && fail "left behind by the demo: $(_sctl_cmdline "${p#/proc/}")"
done
pass
