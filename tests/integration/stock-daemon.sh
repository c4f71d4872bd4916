#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A stock rsync daemon (no `socket options = TCP_NODELAY`, no `timeout`)
# holds each of its small writes until the previous one is acknowledged,
# and rsync's client acknowledges only when its delayed-ACK timer fires: one
# 40 ms stall or more in every push.  The worker's rsync reaches the daemon
# through the worker's connector, which acknowledges every read at once: ten
# one-file pushes cause no delayed ACK in the test's own network namespace
# (before: one or more per push), and the connector leaves nothing behind.
set -u
export RSYNCD_SOCKET_OPTIONS='' RSYNCD_TIMEOUT=''
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
in_own_net_namespace "$@"
start_rsyncd
grep -q 'socket options\|timeout' "$T/rsyncd/rsyncd.conf" && fail "the daemon is not stock"
SRC=$T/src
mkdir -p "$SRC"
CFG=$T/stock.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

d0=$(tcp_counter DelayedACKs)
for i in 1 2 3 4 5 6 7 8 9 10; do
	printf 'file %s\n' "$i" >"$SRC/f$i"
	wait_converged "$SRC" "$MIRROR"
done
d=$(($(tcp_counter DelayedACKs) - d0))
pushes=$(grep -c 'running .*--rsyncd-connect' "$SYNCD_LOG")
log "delayed ACKs in $pushes pushes of one file: $d"
[ "$d" -le 1 ] || fail "$d delayed ACKs in 10 one-file pushes"
[ "$pushes" -ge 10 ] || fail "expected at least 10 pushes through the connector, saw $pushes"
assert_content "$MIRROR/f10" $'file 10\n'
