#!/usr/bin/env bash
# Compatibility with an older rsync: [rsync] binary = Debian 12's rsync
# 3.2.7 (extracted in /opt/rsync327) against a 3.2.7 daemon.  Full sync on
# start, create, modify, rename, delete, odd names.  Skipped (77) if that
# rsync is not there.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
OLD=/opt/rsync327/usr/bin/rsync
[ -x "$OLD" ] || skip "$OLD not present (tests/install-deps fetches it)"
"$OLD" --version >/dev/null 2>&1 || skip "$OLD does not run"
need_syncd
RSYNCD_BIN=$OLD start_rsyncd
SRC=$T/src
mkdir -p "$SRC/d"
printf 'pre\n' >"$SRC/d/pre"
CFG=$T/compat.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[rsync]\nbinary = %s\n' "$OLD"
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

printf 'a\n' >"$SRC/a"
mkdir -p "$SRC/x/y"
printf 'xy\n' >"$SRC/x/y/f"
printf 'odd\n' >"$SRC/$(printf -- '-n a\tb\nc')"
wait_converged "$SRC" "$MIRROR"
printf 'a2\n' >"$SRC/a"
mv "$SRC/x" "$SRC/x2"
rm -rf "$SRC/d"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/a" $'a2\n'
assert_log "$OLD"

assert_syncd_running
stop_syncd
pass
