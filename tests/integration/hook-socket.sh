#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Socket hooks, TCP and Unix: each listener receives exactly one line per
# expected change, "KIND<TAB>PATH", with include/exclude honoured and a
# newline, tab or backslash in a name escaped (\n, \t, \\), so every line is
# one change; a name like '$(touch CANARY);x' arrives as it is.  With the
# listener down the mirror still converges at once, the failures and
# retries are counted, and the line arrives once the listener is back.
# shellcheck disable=SC2016 # the $(...) in a name is literal
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/skip"
TCP_OUT=$T/tcp.out UNIX_OUT=$T/unix.out UNIX_SOCK=$T/hook.sock
PORT=$(free_port)
start_line_listener "$TCP_OUT" --tcp "$PORT"
TCP_LISTENER=$LISTENER_PID
start_line_listener "$UNIX_OUT" --unix "$UNIX_SOCK"
CFG=$T/sock.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[hook tcp]\ntype = socket\nconnect = 127.0.0.1:%s\n' "$PORT"
	printf 'include_regex = \\.txt$\nexclude_regex = ^skip/\nretries = 100\n'
	printf '[hook unix]\ntype = socket\nunix = %s\nwhen = changed\n' "$UNIX_SOCK"
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

# the change lines, without the "delivery<TAB>ID" line that leads each call's
changes() { [ -f "$1" ] && grep -av '^delivery	' "$1"; }
lines() { changes "$1" | tr -cd '\n' | wc -c; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }
step() { # NAME TCP-LINES-IN-ALL
	ctl flush 10s >/dev/null || fail "$1: flush failed"
	wait_for 10 "$1: $2 lines on the TCP listener" has_lines "$TCP_OUT" "$2"
}
printf 'a\n' >"$SRC/a.txt"
printf 'b\n' >"$SRC/b.log"
printf 's\n' >"$SRC/skip/s.txt"
step create 1
printf 'more\n' >>"$SRC/a.txt"
step modify 2
printf 'c\n' >"$SRC/\$(touch CANARY);x.txt"
printf 'n\n' >"$SRC/$(printf 'new\nline.txt')"
printf 't\n' >"$SRC/$(printf 'tab\there\\back.txt')"
step names 5
mv "$SRC/a.txt" "$SRC/c.txt"
step rename 7
rm "$SRC/c.txt"
step delete 8
sleep 0.3 # a line too many would show now

expected_tcp=$(printf '%s\n' 'update	a.txt' 'update	a.txt' 'update	$(touch CANARY);x.txt' \
	'update	new\nline.txt' 'update	tab\there\\back.txt' 'delete	a.txt' 'update	c.txt' 'delete	c.txt' | sort)
got_tcp=$(changes "$TCP_OUT" | sort)
if [ "$got_tcp" != "$expected_tcp" ]; then
	printf 'expected:\n%s\ngot:\n%s\n' "$expected_tcp" "$got_tcp" >&2
	fail "the TCP listener did not get exactly the expected lines"
fi
# the unix hook has no filter: the .log and the skip/ file too
wait_for 10 "the unix listener got the deletion" grep -qxF 'delete	c.txt' "$UNIX_OUT"
for want in 'update	b.log' 'update	skip/s.txt' 'update	new\nline.txt'; do
	grep -qxF "$want" "$UNIX_OUT" || fail "the unix listener did not get '$want'"
done
assert_eq "$(grep -c . "$TCP_OUT.conns")" 1 "connections to the TCP listener (kept open)"
# each call's lines follow its id, INSTANCE/HOOK/FIRST-LAST, numbered on
awk -F'\t' -v inst="$SYNCD_NAME" '
	$1 == "delivery" {
		if (left) { print "a call short of " left " lines before " $0; bad = 1 }
		n = split($2, f, "/"); split(f[3], r, "-")
		if (n != 3 || f[1] != inst || f[2] != "tcp" || r[1] != next_seq + 0 && next_seq) {
			print "unexpected id " $2 " (next " next_seq ")"; bad = 1
		}
		left = r[2] - r[1] + 1; next_seq = r[2] + 1; next
	}
	{ if (!left--) { print "a line outside a call: " $0; bad = 1 } }
	END { exit bad }' "$TCP_OUT" >&2 || fail "the TCP listener did not get whole calls after their ids"

# ---- the listener goes away: mirroring does not wait, the hook retries
stop_pid "$TCP_LISTENER"
t0=$(now_ms)
printf 'late\n' >"$SRC/late.txt"
wait_converged "$SRC" "$MIRROR"
ms=$(($(now_ms) - t0))
log "mirrored with the listener down in ${ms}ms"
[ "$ms" -lt 2000 ] || fail "mirroring took ${ms}ms while the hook's listener was down"
wait_for 10 "hook tcp counts a failed call" hook_field_gt tcp calls_failed 0
wait_for 10 "hook tcp retries" hook_field_gt tcp retries 0
assert_eq "$(hook_status tcp state)" backoff "state of hook tcp with its listener down"
start_line_listener "$TCP_OUT" --tcp "$PORT"
wait_for 15 "the line for late.txt after the listener came back" grep -qxF 'update	late.txt' "$TCP_OUT"
wait_for 5 "hook tcp is ok again" hook_field_is tcp state ok
assert_eq "$(hook_status tcp dropped)" 0 "changes dropped by hook tcp"
assert_no_canary
assert_syncd_running
stop_syncd
pass
