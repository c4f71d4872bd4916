#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Watch-only mode (sersync -m): an instance with hooks and no [remote]
# passes --check, runs its hooks as soon as a batch is sealed, never starts
# rsync, and reports no remotes; without hooks either, the file is refused.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
SRC=$T/src
mkdir -p "$SRC"
REC=$T/rec
OUT=$T/tcp.out
PORT=$(free_port)
start_line_listener "$OUT" --tcp "$PORT"
RSYNC_WRAPPER=$(make_counting_rsync)
CFG=$T/watchonly.ini
{
	source_section "$SRC"
	printf '[rsync]\nbinary = %s\n' "$RSYNC_WRAPPER"
	printf '[batch]\nsettle = 50ms\n'
	printf '[hook rec]\ntype = command\nrun = %s %s %s/nowhere\nbatch = 10\n' "$HOOK_RECORD" "$REC" "$T"
	printf '[hook tcp]\ntype = socket\nconnect = 127.0.0.1:%s\n' "$PORT"
} >"$CFG"
"$SYNCD" --check --config "$CFG" >"$T/check.out" 2>&1 || fail "--check refused a watch-only file: $(cat "$T/check.out")"

start_syncd "$CFG"
wait_ready
wait_ctl
printf 'one\n' >"$SRC/one"
mkdir "$SRC/dir"
wait_for 10 "the socket hook got two changes" sh -c "[ \$(grep -vc '^delivery	' '$OUT') -ge 2 ]"
rm "$SRC/one"
wait_for 10 "the socket hook got the deletion" grep -qxF 'delete	one' "$OUT"
got=$(grep -v '^delivery	' "$OUT" | sort)
assert_eq "$got" "$(printf 'delete\tone\ndir\tdir\nupdate\tone')" "lines on the socket"
wait_for 10 "the command hook saw the deletion" sh -c "tr '\\0' '\\n' <'$REC' | grep -qx delete"
assert_eq "$(hook_events "$REC")" "$(printf 'delete\tone\ndir\tdir\nupdate\tone')" "the command hook's changes"
j=$(ctl status --json)
grep -q '"remotes":\[\]' <<<"$j" || fail "status --json lists remotes: $j"
assert_eq "$(json_entry_field "$j" hooks tcp delivered)" 3 "changes delivered by hook tcp"
assert_eq "$(rsync_runs)" 0 "rsync runs of a watch-only instance"
assert_syncd_running
stop_syncd

# neither a remote nor a hook: refused with file:line
{ source_section "$SRC"; } >"$T/nothing.ini"
if "$SYNCD" --check --config "$T/nothing.ini" >"$T/nothing.out" 2>&1; then
	fail "--check accepted a file with neither [remote] nor [hook]"
fi
# (the file's last line: SYNCD_TEST_BACKEND adds one)
grep -q "nothing.ini:$(wc -l <"$T/nothing.ini"): no \[remote NAME\] section" "$T/nothing.out" ||
	fail "unexpected error: $(cat "$T/nothing.out")"
pass
