#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each remote has its own queue: with one remote refusing connections and
# another hanging mid-connect, the healthy one stays current (every round of
# changes converges within 2 s), and the broken ones keep their backlog.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC" "$T/bin"
# ssh's ProxyCommand that never connects: the push hangs until its timeout
HANG=$T/bin/hang
printf '#!/bin/sh\nexec sleep 300\n' >"$HANG"
chmod 755 "$HANG"
# a port nothing listens on: take a free one from the daemon we can stop
hold_dead_port
CFG=$T/slow.ini
{
	source_section "$SRC"
	rsyncd_remote healthy
	printf '[remote refused]\ntarget = rsync://syncuser@127.0.0.1:%s/mirror\npassword_file = %s\n' \
		"$DEAD_PORT" "$PASSFILE"
	printf '[remote hung]\ntarget = ssh://root@127.0.0.1:1/%s\ntimeout = 60s\n' "$T/never"
	printf 'ssh_options = -o ProxyCommand=%s\n' "$HANG"
	fast_sections
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$MIRROR"
for round in 1 2 3 4 5; do
	mkdir -p "$SRC/r$round"
	for i in 1 2 3 4 5; do printf '%s %s\n' "$round" "$i" >"$SRC/r$round/f$i"; done
	rm -f "$SRC/r$((round - 1))/f1"
	wait_converged "$SRC" "$MIRROR" 2
done
assert_log 'refused: .*failed'
assert_syncd_running
stop_syncd TERM 20
pass
