#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rsync daemon auth: with the right password (mode 0600 password file) it
# works.  With a wrong password nothing reaches the mirror and the worker
# keeps running (logging the failure); once the password file is fixed the
# retry succeeds and the mirror converges.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'secret data\n' >"$SRC/data"

# right password
CFG=$T/auth.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
stop_syncd

# wrong password
rm -rf "${MIRROR:?}"/*
BAD=$T/wrong.pass
printf 'not-the-password\n' >"$BAD"
chmod 600 "$BAD"
CFG2=$T/badauth.ini
{
	source_section "$SRC"
	printf '[remote r1]\ntarget = %s\npassword_file = %s\n' "$RSYNCD_URL" "$BAD"
	fast_sections
} >"$CFG2"
start_syncd "$CFG2" -v
printf 'more\n' >"$SRC/more"
wait_for 20 "an auth failure in the log" grep -qiE 'auth|code 5|status 5|exit.* 5' "$SYNCD_LOG"
sleep 0.5
assert_syncd_running
[ -z "$(ls -A "$MIRROR")" ] || fail "files reached the mirror with a wrong password"

# fix the password: the next retry works
printf '%s\n' "$RSYNCD_SECRET" >"$BAD"
wait_converged "$SRC" "$MIRROR" 20
stop_syncd
pass
