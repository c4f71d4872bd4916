#!/usr/bin/env bash
# The systemd units in units/ pass `systemd-analyze verify` (with ExecStart
# pointing at the built worker and the man pages of docs/ on MANPATH); no
# running systemd is needed.  The worker unit's command line is one the
# worker accepts: --check with the same options succeeds.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
D=$T/units
mkdir -p "$D/man/man8" "$D/man/man5"
cp "$REPO_ROOT/docs/syncd.8" "$D/man/man8/"
cp "$REPO_ROOT/docs/syncd.ini.5" "$D/man/man5/"
sed "s|@BINDIR@|$(dirname "$SYNCD")|" "$REPO_ROOT/units/syncd@.service" >"$D/syncd@demo.service"
cp "$REPO_ROOT/units/syncd.target" "$D/"
out=$(MANPATH=$D/man systemd-analyze verify "$D/syncd@demo.service" "$D/syncd.target" 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $rc): $out"

# ExecStart's options, with the paths of this test
exec_start=$(sed -n 's/^ExecStart=//p' "$D/syncd@demo.service")
mkdir -p "$T/src" "$T/dst"
printf '[source]\npath = %s\n[remote l]\ntarget = %s\n' "$T/src" "$T/dst" >"$T/demo.ini"
read -r -a argv <<<"${exec_start//\/etc\/syncd\/instances.d\/%i.ini/$T/demo.ini}"
"${argv[@]}" --check >/dev/null || fail "the unit's command line is refused: ${argv[*]}"
pass
