#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGTERM while idle exits 0 promptly; SIGINT likewise; SIGTERM while an
# rsync is in flight (a slow transfer through a bandwidth-limited rsync
# wrapper) exits 0 within a bounded time, and leaves no rsync behind.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'x\n' >"$SRC/x"
CFG=$T/sig.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"

# idle, SIGTERM
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
sleep 0.3
t0=$(now_ms)
stop_syncd TERM 3
log "idle SIGTERM: exited in $(elapsed_since "$t0")s"

# idle, SIGINT
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
t0=$(now_ms)
stop_syncd INT 3
log "idle SIGINT: exited in $(elapsed_since "$t0")s"

# in flight: a slow rsync (50 KiB/s for a 20 MiB incompressible file)
mkdir -p "$T/bin"
SLOW=$T/bin/rsync-slow
PIDS=$T/slow.pids
cat >"$SLOW" <<EOS
#!/usr/bin/env bash
printf '%s\n' "\$\$" >>'$PIDS'
exec rsync --bwlimit=50 "\$@"
EOS
chmod 755 "$SLOW"
: >"$PIDS"
CFG2=$T/slow.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[rsync]\nbinary = %s\n' "$SLOW"
	fast_sections
} >"$CFG2"
start_syncd "$CFG2" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
: >"$PIDS"	# the full sync's run is not the one to watch
head -c $((20 * 1024 * 1024)) /dev/urandom >"$SRC/big"
wait_for 10 "a slow rsync to start" test -s "$PIDS"
pid=$(tail -n 1 "$PIDS")
sleep 1
_lib_alive "$pid" || fail "the slow rsync ($pid) is not running any more"
t0=$(now_ms)
stop_syncd TERM 30
took=$(elapsed_since "$t0")
log "SIGTERM with an rsync in flight: exited 0 in ${took}s"
echo "in-flight SIGTERM: exit 0 after ${took}s"
# no rsync of ours is left running
sleep 0.5
while read -r p; do
	if _lib_alive "$p"; then
		fail "rsync $p still runs after the worker exited"
	fi
done <"$PIDS"
pass
