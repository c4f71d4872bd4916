#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A connect whose SYN is lost is tried again beside itself after 250 ms
# (connector.c), not only after TCP's own second.  In a network namespace
# of the test's own, nft drops every packet of every other new connection
# to the daemon, SYNs sent again on it included (its source port is
# doomed): a run that waited for its first connect would fail every other
# time.  Every push succeeds, and the daemon never sees the doomed ones.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
in_own_net_namespace "$@"
start_rsyncd
nft_input doomed "tcp dport $RSYNCD_PORT tcp sport @doomed drop" \
	"tcp dport $RSYNCD_PORT tcp flags & (syn | ack) == syn numgen inc mod 2 == 0 add @doomed { tcp sport } counter drop"
# doomed: the connections whose packets were all dropped
doomed() { nft list chain inet syncd_test input | sed -n 's/.*add @doomed.* counter packets \([0-9]*\).*/\1/p'; }

SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"
CFG=$T/again.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$MIRROR"
converge_each "$SRC" "$MIRROR" one "-rf" "a b"
n=$(doomed)
[ "$n" -ge 2 ] || fail "only $n connections were doomed"
assert_no_log 'failed|retry'
n=$(json_remote_field "$(ctl status --json)" r1 pushes) || fail "no status"
[ "$n" -ge 3 ] || fail "$n pushes"
stop_syncd
pass
