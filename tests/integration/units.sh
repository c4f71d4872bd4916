#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units in units/ pass `systemd-analyze verify` (with ExecStart
# pointing at the built binaries and the man pages of docs/ on MANPATH); no
# running systemd is needed.  The worker unit's command line is one the
# worker accepts: --check with the same options succeeds.  The supervisor
# unit's command line, once syncctl is built, runs a supervisor that listens
# on its control socket and exits 0 on SIGTERM; until then it is verified
# against a stand-in binary.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
D=$T/units
mkdir -p "$D/man/man8" "$D/man/man5" "$D/bin"
cp "$REPO_ROOT/docs/syncd.8" "$REPO_ROOT/docs/syncctl.8" "$D/man/man8/"
cp "$REPO_ROOT/docs/syncd.ini.5" "$D/man/man5/"
sed "s|@BINDIR@|$(dirname "$SYNCD")|" "$REPO_ROOT/units/syncd@.service" >"$D/syncd@demo.service"
cp "$REPO_ROOT/units/syncd.target" "$D/"

SYNCCTL=${SYNCCTL:-$(dirname "$SYNCD")/syncctl}
if [ -x "$SYNCCTL" ]; then
	ctl_bindir=$(dirname "$SYNCCTL")
else
	log "no $SYNCCTL: syncctl.service is verified against a stand-in"
	printf '#!/bin/sh\nexit 0\n' >"$D/bin/syncctl"
	chmod 755 "$D/bin/syncctl"
	ctl_bindir=$D/bin
fi
sed "s|@BINDIR@|$ctl_bindir|" "$REPO_ROOT/units/syncctl.service" >"$D/syncctl.service"
! grep -q @BINDIR@ "$D/syncd@demo.service" "$D/syncctl.service" || fail "@BINDIR@ left in a unit"

# A worker that exits 1 forever (a source never mounted) is restarted a few
# times, then left failed: each unit has a start limit in [Unit] that its
# RestartSec= reaches well within the interval.
for u in syncd@.service syncctl.service; do
	f=$REPO_ROOT/units/$u
	unit=$(sed -n '/^\[Unit\]/,/^\[/p' "$f")
	interval=$(sed -n 's/^StartLimitIntervalSec=\([0-9]*\)s$/\1/p' <<<"$unit")
	burst=$(sed -n 's/^StartLimitBurst=\([0-9]*\)$/\1/p' <<<"$unit")
	delay=$(sed -n 's/^RestartSec=\([0-9]*\)s$/\1/p' "$f")
	[ -n "$interval" ] && [ -n "$burst" ] || fail "$u: no StartLimitIntervalSec=/StartLimitBurst= in [Unit]"
	[ -n "$delay" ] || fail "$u: no RestartSec= in seconds"
	[ "$burst" -ge 2 ] && [ $((burst * delay * 2)) -le "$interval" ] ||
		fail "$u: $burst starts $delay s apart do not reach the limit within $interval s"
done

out=$(MANPATH=$D/man systemd-analyze verify "$D/syncd@demo.service" "$D/syncd.target" \
	"$D/syncctl.service" 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $rc): $out"

# ExecStart's options, with the paths of this test
exec_start=$(sed -n 's/^ExecStart=//p' "$D/syncd@demo.service")
mkdir -p "$T/src" "$T/dst"
printf '[source]\npath = %s\n[remote l]\ntarget = %s\n' "$T/src" "$T/dst" >"$T/demo.ini"
read -r -a argv <<<"${exec_start//\/etc\/syncd\/instances.d\/%i.ini/$T/demo.ini}"
"${argv[@]}" --check >/dev/null || fail "the unit's command line is refused: ${argv[*]}"

# The supervisor's ExecStart, with the directories systemd would give it
# moved under $T and no instance to run.
if [ "$ctl_bindir" != "$D/bin" ]; then
	read -r -a argv <<<"$(sed -n 's/^ExecStart=//p' "$D/syncctl.service")"
	mkdir -p "$T/etc/instances.d" "$T/run" "$T/lib"
	SYNCD_CONFIG_DIR=$T/etc SYNCD_RUNTIME_DIR=$T/run SYNCD_STATE_DIR=$T/lib SYNCD_BIN=$SYNCD \
		"${argv[@]}" >"$T/syncctl.log" 2>&1 </dev/null &
	ctl_pid=$!
	_lib_track "$ctl_pid"
	wait_for 10 "the supervisor's control socket" test -S "$T/run/syncctl.sock"
	ctl_gone() { ! _lib_alive "$ctl_pid"; }
	kill -TERM "$ctl_pid"
	wait_for 10 "the supervisor to exit on SIGTERM" ctl_gone
	wait "$ctl_pid"
	rc=$?
	[ "$rc" = 0 ] || fail "syncctl daemon --foreground exited $rc on SIGTERM: $(cat "$T/syncctl.log")"
fi
pass
