#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A connection opened ahead whose handshake was sent again is not kept
# (preconnect.c, connector_socket_resent): its TCP took the timestamp that
# the SYN-ACK echoed, the first SYN's, for its round trip, and for the
# first exchanges would resend a lost segment only after a second or more
# (in the lab, at 0.5 % loss, a push on such a connection took 1.8 s).  In
# a network namespace of the test's own, nft drops the first SYN of every
# connection to the daemon: each is made on the SYN sent again, a second
# later.  The worker closes the one it opened ahead, opens another once,
# closes that too and leaves the next run to connect itself: every push
# succeeds, none on a connection opened ahead.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
in_own_net_namespace "$@"
RSYNCD_AUTH=no start_rsyncd
nft_input seen "tcp dport $RSYNCD_PORT tcp sport @seen accept" \
	"tcp dport $RSYNCD_PORT tcp flags & (syn | ack) == syn add @seen { tcp sport } counter drop"
SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"
CFG=$T/resent.ini
{ source_section "$SRC"; RSYNCD_AUTH=no rsyncd_remote r1 'preconnect = 30s'; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
converge_each "$SRC" "$MIRROR" one "-rf" "a b"
assert_eq "$(log_count 'the run takes the connection')" 0 "runs on a connection opened ahead"
wait_for 15 "a connection opened ahead closed, another opened" \
	log_count_gt 'handshake was sent again; opening another' 0
wait_for 15 "that one closed too, the run left to connect" \
	log_count_gt 'handshake was sent again; the run connects itself' 0
assert_no_log 'failed|retry'
stop_syncd
pass
