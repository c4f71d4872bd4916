#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Changes a remote replays from its journal reach the hooks that have no
# journal of their own yet (the first start with hook journals, a new
# hook), once they are mirrored: a remote journal written by hand (as in
# journal-torn) lists an update, a deletion, a directory and a wanted full
# sync for lost events, after a clean previous stop (on_start = no).  Hook
# "fresh" posts the changes, each after the mirror had it, and a resync; hook "old", whose journal exists (drained), holds
# what it was offered already and gets nothing; a hook for another remote
# (which replayed nothing) gets nothing either.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_python
start_rsyncd
start_http_listener --mirror "$MIRROR"
SRC=$T/src
mkdir -p "$SRC/d" "$T/other"
printf 'a\n' >"$SRC/a"
printf 'x\n' >"$SRC/d/x"
printf 'old\n' >"$MIRROR/gone"

CFG=$T/www.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	local_remote r2 "$T/other"
	fast_sections
	printf '[full_sync]\non_start = no\n'
	printf '[hook fresh]\ntype = http\nremote = r1\nurl = http://127.0.0.1:%s/fresh\n' "$HTTP_PORT"
	printf '[hook old]\ntype = http\nurl = http://127.0.0.1:%s/old\n' "$HTTP_PORT"
	printf '[hook r2only]\ntype = http\nremote = r2\nurl = http://127.0.0.1:%s/r2\n' "$HTTP_PORT"
} >"$CFG"
syncd_instance "$CFG"
mkdir -p "$SYNCD_IDIR"
printf 'syncd-journal 1\nF\0Pa\0Dd\0Ggone\0' >"$(journal_file r1)"
printf 'syncd-journal 1\nN7\0' >"$SYNCD_IDIR/old.hook-journal"

start_syncd "$CFG"
wait_ready
wait_for 10 "hook fresh posted" sh -c "grep -q /fresh '$HTTP_OUT'"
b64() { printf '%s' "$1" | base64 -w0; }
want=$(printf '%s\n' "update $(b64 a)" "dir $(b64 d)" "update $(b64 d/x)" "delete $(b64 gone)" \
	"resync " | sort)
wait_for 10 "every replayed change posted" sh -c \
	"[ \"\$(python3 '$TESTS_DIR/helpers/http_records.py' events '$HTTP_OUT' /fresh | sort)\" = '$want' ]"
assert_eq "$(http_records unmirrored /fresh)" "" "changes posted before the mirror had them"
assert_log 'hook fresh: offered the 3 changes the remotes replayed'
sleep 0.5
assert_eq "$(http_records events /old)" "" "changes posted to the hook that had a journal"
assert_eq "$(http_records events /r2)" "" "changes posted to the hook of the other remote"
assert_syncd_running
stop_syncd
pass
