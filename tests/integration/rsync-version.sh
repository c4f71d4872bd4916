#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The local rsync's version.  An rsync older than 3.2.3 (a fake one that
# says "rsync  version 3.1.2" for --version) is refused: `syncd --check`
# exits 2 with FILE:LINE of [rsync] binary, or of the file's end when the
# default binary found in PATH is the old one; a worker refuses to start
# (exit 2, never ready).  A watch-only instance never runs rsync and is not
# refused.  Then [rsync] binary = an absolute path to another rsync than
# PATH's (Debian 12's 3.2.7 from /opt/rsync327 or /usr/bin/rsync, if either
# is another; else PATH's own, resolved) is the one the worker runs: it logs
# that version and mirrors create, modify, rename, delete and an odd name to
# a local target.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src
DST=$T/dst
mkdir -p "$SRC/d" "$DST" "$T/old"
WRAPPER=()
if [ -n "${SYNCD_WRAPPER:-}" ]; then read -r -a WRAPPER <<<"$SYNCD_WRAPPER"; fi

OLD=$T/old/rsync
cat >"$OLD" <<'EOF'
#!/bin/sh
if [ "$1" = --version ]; then
	echo 'rsync  version 3.1.2  protocol version 31'
	echo 'Copyright (C) 1996-2015 by Andrew Tridgell, Wayne Davison and others.'
	exit 0
fi
echo "old rsync: not to be run for a push: $*" >&2
exit 1
EOF
chmod 755 "$OLD"

check() { # CONFIG [VAR=VALUE...]: sets RC and OUT (stdout and stderr)
	local cfg=$1
	shift
	OUT=$(env "$@" timeout $((10 * TEST_SLOW)) "${WRAPPER[@]}" "$SYNCD" --check --config "$cfg" 2>&1 </dev/null)
	RC=$?
}

# 1. [rsync] binary = the old one: refused at the key's line (2; [rsync]
# first, so that the fanotify pass's backend line after [source] moves nothing)
CFG=$T/old.ini
printf '[rsync]\nbinary = %s\n[source]\npath = %s\n[remote r1]\ntarget = %s\n' "$OLD" "$SRC" "$DST" >"$CFG"
check "$CFG"
log "--check with [rsync] binary = a 3.1.2: status $RC: $OUT"
assert_eq "$RC" 2 "--check status with an rsync 3.1.2"
grep -qF "$CFG:2: [rsync] binary '$OLD' is rsync 3.1.2, older than 3.2.3" <<<"$OUT" ||
	fail "--check does not name $CFG:2, the version found and the oldest supported: $OUT"

# 2. the default binary, the old one first in PATH: at the end of the file (6)
CFG2=$T/default.ini
printf '[source]\npath = %s\n\n[remote r1]\ntarget = %s\n\n' "$SRC" "$DST" >"$CFG2"
check "$CFG2" PATH="$T/old:$PATH"
log "--check with the default binary, a 3.1.2 in PATH: status $RC: $OUT"
assert_eq "$RC" 2 "--check status with rsync 3.1.2 in PATH"
grep -qF "$CFG2:6: [rsync] binary 'rsync' (the default) is rsync 3.1.2" <<<"$OUT" ||
	fail "--check does not point at the end of the file ($CFG2:6): $OUT"

# 3. the worker refuses to start, with the same message, exit 2
start_syncd "$CFG"
wait_syncd_exit $((10 * TEST_SLOW)) || fail "the worker did not exit with an rsync 3.1.2"
assert_eq "$SYNCD_RC" 2 "worker exit status with an rsync 3.1.2"
assert_log "<T>/old.ini:2: \[rsync\] binary '<T>/old/rsync' is rsync 3.1.2, older than 3.2.3"
assert_no_log 'ready'
assert_no_log 'not to be run'

# 4. a watch-only instance never runs rsync: not refused
CFG3=$T/watch.ini
printf '[source]\npath = %s\n[rsync]\nbinary = %s\n[hook h]\ntype = command\nrun = /bin/true\n' \
	"$SRC" "$OLD" >"$CFG3"
check "$CFG3"
assert_eq "$RC" 0 "--check status of a watch-only instance with an rsync 3.1.2 ($OUT)"

# 5. [rsync] binary = another rsync than PATH's: the one the worker runs
OTHER=
for c in /opt/rsync327/usr/bin/rsync /usr/bin/rsync; do
	if "$c" --version >/dev/null 2>&1 && [ "$(readlink -f "$c")" != "$(readlink -f "$(command -v rsync)")" ]; then
		OTHER=$c
		break
	fi
done
[ -n "$OTHER" ] || OTHER=$(readlink -f "$(command -v rsync)")
want=$(rsync_version_of "$OTHER")
[ -n "$want" ] || fail "no version from $OTHER --version"
printf 'pre\n' >"$SRC/d/pre"
CFG4=$T/binary.ini
{
	source_section "$SRC"
	local_remote r1 "$DST"
	printf '[rsync]\nbinary = %s\n' "$OTHER"
	fast_sections
} >"$CFG4"
check "$CFG4"
assert_eq "$RC" 0 "--check status with [rsync] binary = $OTHER ($OUT)"
start_syncd "$CFG4" -v
wait_ready
assert_log "using rsync $want \($OTHER\)"
wait_converged "$SRC" "$DST"
printf 'a\n' >"$SRC/a"
mkdir -p "$SRC/x/y"
printf 'xy\n' >"$SRC/x/y/f"
printf 'odd\n' >"$SRC/$(printf -- '-n a\tb\nc')"
wait_converged "$SRC" "$DST"
printf 'a2\n' >"$SRC/a"
mv "$SRC/x" "$SRC/x2"
rm -rf "$SRC/d"
wait_converged "$SRC" "$DST"
assert_content "$DST/a" $'a2\n'
run_log_text | grep -E 'running ' | grep -qvF "running $OTHER " &&
	fail "the worker ran another rsync than $OTHER: $(run_log_text | grep -E 'running ' | grep -vF "running $OTHER " | head -n 1)"
assert_syncd_running
stop_syncd
pass
