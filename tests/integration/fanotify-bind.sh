#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fanotify names directories by file handle: the names it finds must be the
# ones below the source.  The source is a bind mount of a subdirectory (not
# its filesystem's root): a file written through the directory's own name
# reaches the mirror, files written outside the bind mount's root on the
# same filesystem do not (nor as a wrong name).  A directory from elsewhere
# bind-mounted inside the tree: a file written through its outside name
# reaches the mirror under its name in the tree.  A directory hidden by a
# mount: what is made in it is not taken for the mounted filesystem's.
# Skipped where fanotify cannot be used.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
in_own_mount_namespace "$@"
need_syncd
REAL=$T/real SRC=$T/src DST=$T/dst OUT=$T/out
mkdir -p "$REAL/sub/in" "$REAL/other" "$SRC" "$DST" "$OUT/deep"
printf 'x\n' >"$REAL/sub/in/first"
mount --bind "$REAL/sub" "$SRC" || skip "cannot bind-mount"
CFG=$T/bind.ini
{ source_section "$SRC" 'backend = fanotify'; local_remote here "$DST"; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
log_text | grep -q 'cannot watch .* with fanotify' &&
	skip "fanotify is not available here: $(log_text | grep -m1 'cannot watch .* with fanotify')"
assert_log 'with fanotify'
wait_converged "$SRC" "$DST"

# outside the bind mount's root, same filesystem: names that would also
# exist below the source if the handle were taken for one there
mkdir -p "$REAL/other/in" "$REAL/in"
printf 'no\n' >"$REAL/other/in/evil"
printf 'no\n' >"$REAL/in/evil"
printf 'no\n' >"$REAL/evil"
# through the source's own directory, by its real name
printf 'yes\n' >"$REAL/sub/in/direct"
wait_for 10 "direct in the mirror" test -f "$DST/in/direct"
assert_not_exists "$DST/in/evil"
assert_not_exists "$DST/evil"
assert_no_log 'evil'

# a directory from outside bind-mounted inside the tree, after the start
mkdir "$SRC/b"
mount --bind "$OUT" "$SRC/b" || fail "cannot bind-mount $OUT"
wait_converged "$SRC" "$DST"
printf 'through the outside name\n' >"$OUT/deep/far"
wait_for 10 "b/deep/far in the mirror" test -f "$DST/b/deep/far"
assert_content "$DST/b/deep/far" $'through the outside name\n'
umount "$SRC/b"

# a directory hidden by a filesystem mounted on it: a file made in it (by
# a process whose working directory it is) is not the mounted one's
mkdir "$SRC/h"
wait_converged "$SRC" "$DST"
(cd "$SRC/h" && until [ -e "$T/go" ]; do sleep 0.02; done && printf 'x\n' >under-the-mount) &
hider=$!
mount -t tmpfs -o size=1m syncd-test "$SRC/h" || fail "cannot mount a tmpfs"
wait_converged "$SRC" "$DST"
: >"$T/go"
wait "$hider"
printf 'seen\n' >"$SRC/h/visible"
wait_for 10 "h/visible in the mirror" test -f "$DST/h/visible"
assert_no_log 'under-the-mount'
umount "$SRC/h"
assert_syncd_running
stop_syncd
pass
