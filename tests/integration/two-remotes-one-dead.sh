#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One healthy remote and one dead one (a port nothing listens on), seen
# through "status --json" while changes keep coming: the healthy one's
# lag_s stays under 1 s at every sample and its mirror converges each
# round; the dead one is in backoff (or failing) with failures > 0 and a
# pending count (pending + in_flight) that grows.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'x\n' >"$SRC/x"
hold_dead_port
CFG=$T/onedead.ini
{
	source_section "$SRC"
	rsyncd_remote healthy
	printf '[remote dead]\ntarget = rsync://syncuser@127.0.0.1:%s/mirror\npassword_file = %s\n' \
		"$DEAD_PORT" "$PASSFILE"
	fast_sections
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

prev_pending=-1
grew=0
for round in 1 2 3 4 5 6; do
	for i in $(seq 1 20); do printf '%s %s\n' "$round" "$i" >"$SRC/r${round}-f$i"; done
	sleep 0.3
	j=$(ctl status --json) || fail "status --json: $j"
	lag=$(json_remote_field "$j" healthy lag_s) || fail "no lag_s for healthy: $j"
	dstate=$(json_remote_field "$j" dead state)
	dfail=$(json_remote_field "$j" dead failures)
	dpend=$(json_remote_field "$j" dead pending)
	dfly=$(json_remote_field "$j" dead in_flight)
	case $dpend:$dfly in :* | *: | *[!0-9:]*) fail "dead remote's pending/in_flight not numbers: $j" ;; esac
	# a retry in flight holds some of them: count both
	dtotal=$((dpend + dfly))
	log "round $round: healthy lag_s $lag; dead state $dstate failures $dfail pending $dpend in_flight $dfly"
	num_lt "$lag" 1 || fail "healthy remote's lag_s is $lag (round $round): $j"
	wait_converged "$SRC" "$MIRROR" 2
	if [ "$round" -ge 2 ]; then
		case $dstate in
		backoff | failing) ;;
		*) fail "dead remote in state '$dstate' (expected backoff or failing): $j" ;;
		esac
		[ "$dfail" -gt 0 ] 2>/dev/null || fail "dead remote has failures '$dfail': $j"
		[ "$dtotal" -gt 0 ] || fail "dead remote has nothing pending: $j"
		[ "$dtotal" -gt "$prev_pending" ] && grew=$((grew + 1))
	fi
	prev_pending=$dtotal
done
[ "$grew" -ge 3 ] || fail "the dead remote's pending count grew in only $grew of 5 rounds"
j=$(ctl status --json)
[ "$(json_remote_field "$j" healthy state)" = ok ] || fail "healthy remote not in state ok: $j"
[ "$(json_remote_field "$j" healthy pending)" = 0 ] || fail "healthy remote has pending changes: $j"
ls=$(json_remote_field "$j" healthy last_success)
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$' <<<"$ls" ||
	fail "healthy last_success '$ls' is not an ISO 8601 UTC time"
[ "$(json_remote_field "$j" dead last_success)" = null ] || fail "dead remote has a last_success: $j"
assert_syncd_running
stop_syncd
pass
