#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Excludes: rsync patterns (*.tmp, cache/) and a POSIX regex (\.bak$) are
# honoured by the full sync on start (files that existed before the worker
# started) and by live events.  Excluded files never reach the mirror; a
# regular file named "cache" is not a directory, so "cache/" does not
# exclude it.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/sub/cache" "$SRC/cache" "$SRC/notdir"
printf 'k\n' >"$SRC/keep.txt"
printf 't\n' >"$SRC/pre.tmp"
printf 'b\n' >"$SRC/pre.bak"
printf 'b\n' >"$SRC/sub/pre.bak"
printf 'n\n' >"$SRC/pre.bak.not"
printf 'c\n' >"$SRC/cache/c1"
printf 'c\n' >"$SRC/sub/cache/c2"
printf 'f\n' >"$SRC/notdir/cache"
CFG=$T/excl.ini
{
	source_section "$SRC" 'exclude = *.tmp' 'exclude = cache/' 'exclude_regex = \.bak$'
	rsyncd_remote r1
	fast_sections
} >"$CFG"
FILTER=(--exclude='*.tmp' --exclude='cache/' --exclude='*.bak')

no_excluded_in_mirror() {
	local bad
	bad=$(find "$MIRROR" \( -name '*.tmp' -o -name '*.bak' -o \( -name cache -type d \) \) -print)
	[ -z "$bad" ] || fail "excluded paths reached the mirror: $bad"
}

start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR" 20 "${FILTER[@]}"
no_excluded_in_mirror
assert_content "$MIRROR/notdir/cache" $'f\n'
assert_content "$MIRROR/pre.bak.not" $'n\n'

# live events
printf 't\n' >"$SRC/live.tmp"
printf 'b\n' >"$SRC/live.bak"
printf 'c\n' >"$SRC/cache/c-live"
mkdir -p "$SRC/new/cache/deeper"
printf 'c\n' >"$SRC/new/cache/deeper/c"
printf 'x\n' >"$SRC/new/ok"
printf 'x\n' >"$SRC/new/ok.tmp"
# inside a new directory, which goes to rsync as "new/": the regex exclude
# must reach rsync as an exact rule
printf 'b\n' >"$SRC/new/inside.bak"
mkdir -p "$T/outside/d"
printf 'b\n' >"$T/outside/m.bak"
printf 'b\n' >"$T/outside/d/n.bak"
printf 'k\n' >"$T/outside/d/keep"
mv "$T/outside" "$SRC/moved-in"
# renamed into an excluded name, and out of one
printf 'r\n' >"$SRC/to-hide"
printf 'r\n' >"$SRC/to-show.tmp"
wait_converged "$SRC" "$MIRROR" 20 "${FILTER[@]}"
mv "$SRC/to-show.tmp" "$SRC/shown"
mv "$SRC/to-hide" "$SRC/hidden.bak"
printf 'last\n' >"$SRC/last.txt"
wait_converged "$SRC" "$MIRROR" 20 "${FILTER[@]}"
no_excluded_in_mirror
assert_content "$MIRROR/new/ok" $'x\n'
assert_content "$MIRROR/moved-in/d/keep" $'k\n'
assert_content "$MIRROR/shown" $'r\n'

# files created in an excluded directory do not trigger anything visible
printf 'more\n' >"$SRC/sub/cache/more"
sleep 0.8
no_excluded_in_mirror

assert_syncd_running
stop_syncd
pass
