#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Deletions to a receiver that rejects --delete-missing-args (Debian 12's
# stock 3.2.7, Debian 11's 3.2.3 with its security updates): a second run
# per batch deletes exactly the deleted names and nothing else of their
# directories.  Names with wildcards and backslashes, a deleted directory
# with its contents, a name whose parent is gone too, a name at the top, a
# deletion beside a new file, a directory replaced by a file; what the
# excludes match stays on the mirror, and the directories keep their modes.
# Skipped without such an rsync.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
OLD=${TEST_RSYNCD:-/opt/rsync327/usr/bin/rsync}
"$OLD" --version >/dev/null 2>&1 || skip "no rsync that rejects --delete-missing-args ($OLD)"
RSYNCD_BIN=$OLD start_rsyncd
SRC=$T/src
W='w*[x]\q'
mkdir -p "$SRC/$W/sub/deeper" "$SRC/a/b/c" "$SRC/d2" "$SRC/plain"
for f in 'f?1' g h; do printf '%s\n' "$f" >"$SRC/$W/$f"; done
printf 'sub\n' >"$SRC/$W/sub/deeper/s"
printf 'c\n' >"$SRC/a/b/c/f"
printf 'a\n' >"$SRC/a/keep"
printf 'x\n' >"$SRC/d2/x"
printf 'top\n' >"$SRC/top file"
printf 'p\n' >"$SRC/plain/one"
chmod 0751 "$SRC/$W" "$SRC/a"
CFG=$T/fallback.ini
{ source_section "$SRC" 'exclude = *.keep'; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR" 20 --exclude='*.keep'
# on the mirror only, and excluded: must survive every deletion beside it
printf 'mirror only\n' >"$MIRROR/$W/m.keep"
printf 'mirror only\n' >"$MIRROR/m.keep"

# a first deletion: the receiver says it rejects the way of one run
rm "$SRC/plain/one"
out=$(ctl flush 20s) || fail "flush: '$out'"
assert_log 'rejects --delete-missing-args'
assert_not_exists "$MIRROR/plain/one"

rm "$SRC/$W/f?1"
rm -r "$SRC/$W/sub"
rm -r "$SRC/a/b"
rm "$SRC/top file"
printf 'new\n' >"$SRC/$W/new"
rm -r "$SRC/d2"
printf 'now a file\n' >"$SRC/d2"
out=$(ctl flush 20s) || fail "flush: '$out'"
assert_not_exists "$MIRROR/$W/f?1"
assert_not_exists "$MIRROR/$W/sub"
assert_not_exists "$MIRROR/a/b"
assert_not_exists "$MIRROR/top file"
assert_content "$MIRROR/$W/new" $'new\n'
assert_content "$MIRROR/$W/g" $'g\n'
assert_content "$MIRROR/d2" $'now a file\n'
assert_content "$MIRROR/$W/m.keep" $'mirror only\n'
assert_content "$MIRROR/m.keep" $'mirror only\n'
# the deletions ran from empty copies of their directories (mode 0700):
# those gave the mirror's directories nothing of theirs
assert_eq "$(stat -c %a "$MIRROR/$W")" 751 "mode of $W on the mirror"
assert_eq "$(stat -c %a "$MIRROR/a")" 751 "mode of a on the mirror"
if ! trees_equal "$SRC" "$MIRROR" --exclude='*.keep'; then
	show_difference "$SRC" "$MIRROR" --exclude='*.keep'
	fail "the mirror differs"
fi
# a deletion sends nothing else: no file was transferred by a prune
assert_no_log 'r1 prune: [<>]f'
assert_syncd_running
stop_syncd

# A batch that needs no run: one entry a batch, the deletion of d3/x pushed
# after d3 became a file (whose own push took x along).  It is done once,
# and nothing spins.
mkdir "$SRC/d3"
printf 'x\n' >"$SRC/d3/x"
{
	source_section "$SRC" 'exclude = *.keep'
	rsyncd_remote r1
	printf '[batch]\nsettle = 50ms\nmax_delay = 500ms\nmax_files = 1\n'
	printf '[retry]\nmin_backoff = 200ms\nmax_backoff = 1s\n'
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR" 20 --exclude='*.keep'
out=$(ctl pause) || fail "pause: '$out'"
rm "$SRC/d3/x"
sleep 0.3
rm -r "$SRC/d3"
printf 'now a file\n' >"$SRC/d3"
sleep 0.3
out=$(ctl resume) || fail "resume: '$out'"
out=$(ctl flush 20s) || fail "flush: '$out'"
assert_content "$MIRROR/d3" $'now a file\n'
batches=$(log_count 'sealed')
sleep 1
assert_eq "$(log_count 'sealed')" "$batches" "batches sealed with nothing changing"
assert_syncd_running
stop_syncd
pass
