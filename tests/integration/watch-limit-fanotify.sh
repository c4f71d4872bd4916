#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A tree with more directories than the inotify watch limit, for real:
# watched with [source] backend = fanotify (no watch per directory), it is
# ready at once and a file made deep in it reaches the mirror.  The limit
# is not lowered (fanotify cannot be used in a user namespace with its own
# lower limit: opening directories by handle needs CAP_DAC_READ_SEARCH in
# the initial one), so the tree has as many directories as the machine's
# limit, on a tmpfs of the test's own mount namespace (quick to fill and
# to drop); above 250,000 the test is skipped as too slow.  With inotify the
# same tree would take every watch root has, which the tests running
# alongside need: that side is watch-limit.sh, in a user namespace.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
in_own_mount_namespace "$@"
limit=$(cat /proc/sys/fs/inotify/max_user_watches)
ns=$(cat /proc/sys/user/max_inotify_watches 2>/dev/null || echo "$limit")
[ "$ns" -lt "$limit" ] && limit=$ns
[ "$limit" -le 250000 ] || skip "the inotify watch limit is $limit: too big a tree for a quick test"
SRC=$T/big/src
DST=$T/big/dst
mkdir -p "$T/big"
mount -t tmpfs -o size=1g,nr_inodes=0 none "$T/big" || skip "cannot mount a tmpfs"
mkdir -p "$SRC" "$DST"
side=1
while [ $((side * side)) -le "$limit" ]; do side=$((side + 1)); done
for ((i = 0; i < side; i++)); do
	mkdir "$SRC/d$i" || fail "cannot make the tree"
	(cd "$SRC/d$i" && seq 0 $((side - 1)) | xargs mkdir) || fail "cannot make the tree"
done
log "$((side * side + side)) directories, the inotify watch limit is $limit"
CFG=$T/big.ini
{
	source_section "$SRC" 'backend = fanotify'
	local_remote here "$DST"
	fast_sections
	printf '[full_sync]\non_start = no\n'
} >"$CFG"
start_syncd "$CFG"
wait_ready 20
log_text | grep -q 'cannot watch .* with fanotify' &&
	skip "fanotify is not available here: $(log_text | grep -m1 'cannot watch .* with fanotify')"
assert_log 'ready: watching the filesystem .* with fanotify in [0-9]ms'
last=$((side - 1))
printf 'deep\n' >"$SRC/d$last/$last/new"
wait_for 20 "the new file in the mirror" test -f "$DST/d$last/$last/new"
assert_content "$DST/d$last/$last/new" $'deep\n'
assert_syncd_running
stop_syncd
pass
