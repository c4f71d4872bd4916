#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The network lab (tests/helpers/netlab) does what it says: the round-trip
# time through a host's relay is the one set, and so is the rate; rsync and
# ssh reach the host through a jittery link intact; the loss is the one set
# and rsync gets through it intact; a black-holed host makes
# a connect hang, a stalled link holds a connection, both recover; a run
# interrupted while it builds the lab and a `netlab down` leave nothing
# behind.  Needs root and network namespaces (skipped without); runs in the
# normal build's pass only (the worker is not involved).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
case $SYNCD in
*/build-san/*) skip "the lab is tested with the normal build only" ;;
esac
[ -z "${TEST_RSYNC:-}${TEST_RSYNCD:-}" ] || skip "the lab is tested with the system's rsync only"
netlab_up 2
A1=$(netlab addr 1)
A2=$(netlab addr 2)

# what is left of the lab's names and processes
leftovers() { # PREFIX PID...
	local p=$1
	shift
	ip netns list | grep -E "^${p}h" | sed 's/^/netns /'
	ip -o link show | awk -F': ' '{print $2}' | grep -E "^${p}(v[0-9]|br)" | sed 's/^/link /'
	nft list tables netdev 2>/dev/null | awk '{print $3}' | grep -E "^${p}v[0-9]" | sed 's/^/nft table /'
	for pid in "$@"; do
		st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
		[ -z "$st" ] || [ "$st" = Z ] || echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	done
}

# the round-trip time: median of 10 one-byte echoes, 60 ms set
netlab set 1 rtt=60 || fail "netlab set 1 rtt=60"
read -r rtt spread < <(netlab probe rtt "$A1" 7 10)
log "rtt set 60 ms, measured $rtt ms (spread $spread ms)"
num_gt "$rtt" 54 && ! num_gt "$rtt" 100 || fail "rtt '$rtt' ms, set 60"
netlab set 1 rtt=0 || fail "netlab set 1 rtt=0"
read -r rtt spread < <(netlab probe rtt "$A1" 7 10)
! num_gt "${rtt:-999}" 20 || fail "rtt '$rtt' ms with none set"
# jitter: each way +-20 ms, a round trip within 60 +- 40 ms: 10 of them
# spread over more than 10 ms
netlab set 1 rtt=60 jitter=40 || fail "netlab set 1 jitter=40"
read -r rtt spread < <(netlab probe rtt "$A1" 7 10)
log "rtt set 60 ms with 40 ms jitter, measured $rtt ms (spread $spread ms)"
num_gt "$spread" 10 || fail "rtt spread '$spread' ms with 40 ms jitter"
netlab set 1 rtt=0 jitter=0 || fail "netlab set 1 rtt=0 jitter=0"

# the rate: 1.5 MB up at 16 Mbit/s
netlab set 2 rate=16mbit || fail "netlab set 2 rate=16mbit"
rate=$(netlab probe rate "$A2" 7 1500000) || fail "upload through host 2 failed"
log "rate set 16 Mbit/s, measured $rate Mbit/s"
num_gt "$rate" 8 && ! num_gt "$rate" 19 || fail "rate $rate Mbit/s, set 16"

# rsync and ssh through a jittery link: bytes arrive whole and in order
netlab set 1 rtt=40 jitter=30 || fail "netlab set 1 jitter"
head -c 300000 /dev/urandom >"$T/blob"
rsync -a "$T/blob" "rsync://$A1/mirror/" || fail "rsync:// to host 1"
assert_same_file "$NETLAB_DIR/h1/mirror/blob" "$T/blob"
rsync -a -e "ssh -i $NETLAB_SSH_KEY -o UserKnownHostsFile=$NETLAB_KNOWN_HOSTS -o BatchMode=yes" \
	"$T/blob" "root@$A1:$NETLAB_DIR/h1/mirror/blob2" || fail "rsync over ssh to host 1"
assert_same_file "$NETLAB_DIR/h1/mirror/blob2" "$T/blob"

# loss: 0.5 % of the packets dropped each way, where they arrive (nft
# counters, or netem's where the kernel has it): 40,000 datagrams each way
# make 200 +- 14 drops, so 0.3-0.7 % is more than 5 standard deviations
netlab set 2 loss=0.5% || fail "netlab set 2 loss=0.5%"
netlab probe blast "$A2" 9 40000 || fail "datagrams to host 2"
netlab exec 2 python3 "$TESTS_DIR/helpers/netlab_probe.py" blast "$NETLAB_NET.1" 9 40000 ||
	fail "datagrams from host 2"
read -r to_seen to_lost from_seen from_lost < <(netlab drops 2)
log "loss set 0.5 %: to host 2 $to_lost of $to_seen dropped, from it $from_lost of $from_seen"
for dir in "$to_seen $to_lost" "$from_seen $from_lost"; do
	read -r seen lost <<<"$dir"
	[ "${seen:-0}" -ge 20000 ] || fail "only '$seen' packets seen on host 2's link"
	awk -v s="$seen" -v l="$lost" 'BEGIN { exit !(l >= 0.003 * s && l <= 0.007 * s) }' ||
		fail "loss 0.5 % set, $lost of $seen dropped"
done
# and TCP gets through a lossy link intact, by retransmitting: rsync's
# connection to the daemon is the one that crosses the link (the relay
# in the host ends it there)
netlab set 2 loss=3% || fail "netlab set 2 loss=3%"
head -c 2000000 /dev/urandom >"$T/blob3"
rsync -a "$T/blob3" "rsync://$A2/mirror/" || fail "rsync:// to host 2 over a lossy link"
assert_same_file "$NETLAB_DIR/h2/mirror/blob3" "$T/blob3"
read -r to_seen to_lost from_seen from_lost < <(netlab drops 2)
log "loss set 3 %: rsync of 2 MB, $to_lost of $to_seen packets to host 2 dropped, $from_lost of $from_seen from it"
[ "${to_lost:-0}" -gt 0 ] || fail "no packet of the rsync to host 2 was dropped"
netlab set 2 loss=0 || fail "netlab set 2 loss=0"
[ "$(netlab drops 2)" = "0 0 0 0" ] || fail "loss=0 left counters: $(netlab drops 2)"

# faults: a black hole makes a connect hang (exit 3), a stall holds an
# established connection; both recover
netlab blackhole 2 on || fail "netlab blackhole 2 on"
netlab probe connect "$A2" 7 1
assert_eq "$?" 3 "a connect to a black-holed host hangs"
netlab blackhole 2 off || fail "netlab blackhole 2 off"
netlab probe connect "$A2" 7 5 || fail "host 2 does not answer after the black hole"
netlab set 2 stall=1 || fail "netlab set 2 stall=1"
netlab probe connect "$A2" 7 1
assert_eq "$?" 3 "an echo over a stalled link hangs"
netlab set 2 stall=0 || fail "netlab set 2 stall=0"
netlab probe connect "$A2" 7 5 || fail "host 2 does not answer after the stall"

# interrupted while it builds a lossy lab: it removes what it made
(
	export NETLAB_PREFIX=${NETLAB_PREFIX}i NETLAB_DIR=$T/netlab-i NETLAB_NET=10.78.${NETLAB_NET##*.}
	exec "$TESTS_DIR/helpers/netlab" up 3 loss=1%
) &
upid=$!
wait_for 10 "the interrupted lab's first host" test -e "$T/netlab-i/h1/relay-probe.pid"
kill -TERM "$upid"
wait "$upid"
assert_eq "$?" 143 "netlab up exit status after SIGTERM"
left=$(leftovers "${NETLAB_PREFIX}i")
[ -z "$left" ] || fail "an interrupted netlab up left: $left"
assert_not_exists "$T/netlab-i"

# down: nothing of the lab is left, no process of it runs
lab_pids=$(for n in 1 2; do ip netns pids "${NETLAB_PREFIX}h$n"; done)
[ -n "$lab_pids" ] || fail "no processes in the lab's namespaces"
netlab down || fail "netlab down"
_LIB_NETLAB=0
# shellcheck disable=SC2086 # a list of pids
left=$(leftovers "$NETLAB_PREFIX" $lab_pids)
[ -z "$left" ] || fail "netlab down left: $left"
assert_not_exists "$NETLAB_DIR"
pass
