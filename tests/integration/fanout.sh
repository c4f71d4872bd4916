#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Ten mirrors in the network lab (20 ms RTT), two of them black-holed (their
# connects hang), [rsync] max_parallel = 3: a new file reaches the eight
# live mirrors while the runs to the dead two hang, and at no time do more
# than three rsync runs go at once (counted by a wrapper around rsync), the
# limit being reached.  Needs root and network namespaces (skipped without);
# normal build only (the lab is).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
case $SYNCD in
*/build-san/*) skip "the lab is used with the normal build only" ;;
esac
[ -z "${TEST_RSYNC:-}${TEST_RSYNCD:-}" ] || skip "the lab is used with the system's rsync only"
need_syncd
need_ctl
# the dead ones first: their runs start first and take two of the slots
N=10 DEAD="1 2" MAX=3
netlab_up "$N" rtt=20
for h in $DEAD; do netlab blackhole "$h" on || fail "netlab blackhole $h on"; done

# rsync, counting the runs that go at once (under a lock: exact, no sampling)
C=$T/count
mkdir -p "$C" "$T/bin"
echo 0 >"$C/now"
echo 0 >"$C/max"
cat >"$T/bin/rsync" <<EOW
#!/usr/bin/env bash
[ "\$1" = --version ] && exec rsync "\$@"
{
	flock 9
	n=\$((\$(cat '$C/now') + 1))
	echo \$n >'$C/now'
	[ \$n -le \$(cat '$C/max') ] || echo \$n >'$C/max'
} 9>'$C/lock'
rsync "\$@"
rc=\$?
{
	flock 9
	echo \$((\$(cat '$C/now') - 1)) >'$C/now'
} 9>'$C/lock'
exit \$rc
EOW
chmod 755 "$T/bin/rsync"

SRC=$T/src
mkdir -p "$SRC"
printf 'first\n' >"$SRC/first"
CFG=$T/fanout.ini
{
	source_section "$SRC"
	for ((h = 1; h <= N; h++)); do
		# a timeout longer than the test: the dead ones hang throughout
		printf '[remote h%d]\ntarget = rsync://%s/mirror/\ntimeout = 60s\n' "$h" "$(netlab addr "$h")"
	done
	printf '[rsync]\nbinary = %s\nmax_parallel = %d\n' "$T/bin/rsync" "$MAX"
	fast_sections
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl

live() {
	local h
	for ((h = 3; h <= N; h++)); do
		[ "$(cat "$NETLAB_DIR/h$h/mirror/$1" 2>/dev/null)" = "$2" ] || return 1
	done
}
wait_for 30 "the first file on the live mirrors" live first first
printf 'second\n' >"$SRC/second"
wait_for 30 "a change on the live mirrors" live second second
for h in $DEAD; do
	assert_not_exists "$NETLAB_DIR/h$h/mirror/first"
	st=$(remote_status "h$h" state)
	assert_eq "$st" pushing "the black-holed h$h (its first run still hangs)"
done
max=$(cat "$C/max")
log "rsync runs at once: at most $max (max_parallel $MAX)"
[ "$max" -le "$MAX" ] || fail "$max rsync runs at once with max_parallel = $MAX"
assert_eq "$max" "$MAX" "the most rsync runs at once"
assert_syncd_running
# not stop_syncd: the hanging runs would hold the stop for its grace
kill_syncd
pass
