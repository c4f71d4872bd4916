#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Changes that come without a close_write still reach the mirror:
#   - a name made by link() whose first name is then unlinked (git objects,
#     maildir delivery), at once;
#   - truncate(2) by path, once no write came for [source] unclosed;
#   - a file written and kept open (a log), as it is once no write came for
#     [source] unclosed, again after more writes, and at its close;
#   - a file written without pause and never closed, unclosed_max after its
#     first write;
#   - on flush, every file written and still open, as it is now;
#   - an open file in a directory moved away is not pushed under its old
#     name (which is a file by then).
# A file written and closed is pushed once, not also as an open one.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'hello\n' >"$SRC/a2"
printf '0123456789\n' >"$SRC/cut"
CFG=$T/unclosed.ini
{
	source_section "$SRC" 'unclosed = 400ms' 'unclosed_max = 1500ms'
	rsyncd_remote r1
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

# link() then unlink() of the first name, in one process
python3 -c 'import os, sys; os.link(sys.argv[1] + "/a2", sys.argv[1] + "/b2"); os.unlink(sys.argv[1] + "/a2")' "$SRC"
wait_for 5 "b2 on the mirror, a2 gone" eval '[ -f "$MIRROR/b2" ] && [ ! -e "$MIRROR/a2" ]'
assert_content "$MIRROR/b2" $'hello\n'

# truncate(2) by path: a write with no open and no close
python3 -c 'import os, sys; os.truncate(sys.argv[1], 3)' "$SRC/cut"
wait_for 5 "the truncated file on the mirror" eval '[ "$(stat -c %s "$MIRROR/cut")" = 3 ]'

# a log kept open: each quiet spell pushes what it has
exec 3>>"$SRC/log.txt"
printf 'line 1\n' >&3
wait_for 5 "the open log on the mirror" eval '[ "$(cat "$MIRROR/log.txt" 2>/dev/null)" = "line 1" ]'
assert_log 'log\.txt: written and still open: pushed as it is'
printf 'line 2\n' >&3
wait_for 5 "the second line on the mirror" eval '[ "$(wc -l <"$MIRROR/log.txt")" = 2 ]'
printf 'line 3\n' >&3
exec 3>&-
wait_for 5 "the closed log on the mirror" eval 'cmp -s "$SRC/log.txt" "$MIRROR/log.txt"'

# written without a pause longer than unclosed: pushed unclosed_max after
# the first write, while the writes go on
python3 - "$SRC/busy.log" <<'EOF' &
import sys, time
with open(sys.argv[1], "a") as f:
    for i in range(40):
        f.write("tick %d\n" % i)
        f.flush()
        time.sleep(0.1)
EOF
busy=$!
wait_for 5 "the busy file on the mirror before its writer is done" test -s "$MIRROR/busy.log"
_lib_alive "$busy" || fail "the writer ended before the busy file was on the mirror"
wait "$busy"
wait_for 5 "the whole busy file" eval 'cmp -s "$SRC/busy.log" "$MIRROR/busy.log"'

# an open file whose directory is moved away, and a file takes the
# directory's name: nothing is pushed under the old name (through what is
# now a file)
mkdir "$SRC/dir"
exec 5>>"$SRC/dir/open.txt"
printf 'open\n' >&5
mv "$SRC/dir" "$SRC/dir2"
printf 'now a file\n' >"$SRC/dir"
sleep 0.8
out=$(ctl flush 10s) || fail "flush after the open file's directory moved: '$out'"
exec 5>&-
wait_converged "$SRC" "$MIRROR"
assert_no_log 'Not a directory'

# flush pushes an open file as it is, without waiting for unclosed
stop_syncd
{
	source_section "$SRC" 'unclosed = 1h'
	rsyncd_remote r1
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"
exec 4>>"$SRC/held.txt"
printf 'held\n' >&4
sleep 0.3
out=$(ctl flush 10s) || fail "flush: '$out'"
assert_content "$MIRROR/held.txt" $'held\n'
exec 4>&-

# a file written and closed at once is pushed once (by its close), never
# as an open file
runs=$(log_count 'written and still open')
for i in $(seq 1 50); do printf 'f %s\n' "$i" >"$SRC/closed$i"; done
wait_converged "$SRC" "$MIRROR"
assert_eq "$(log_count 'written and still open')" "$runs" "files pushed as open after their close"

# a stop pushes an open file as it is, and what was written just before it
exec 4>>"$SRC/held-at-stop.txt"
printf 'at stop\n' >&4
sleep 0.3
for i in $(seq 1 20); do printf 'g %s\n' "$i" >"$SRC/last$i"; done
assert_syncd_running
stop_syncd
exec 4>&-
assert_content "$MIRROR/held-at-stop.txt" $'at stop\n'
for i in $(seq 1 20); do assert_content "$MIRROR/last$i" "g $i"$'\n'; done
pass
