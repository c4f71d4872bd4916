#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `syncd --check` gives the verdict the worker gives when it starts:
#  - a remote name too long for the file names of its state (NAME.journal,
#    NAME.verify-excludes... 248-255 characters, and more) is an error at
#    its [remote] line for both (exit 2), while 200 characters work;
#  - [rsync] binary that is a directory is an error at its line for both,
#    and a directory named rsync early in PATH is passed over as the
#    worker's spawn passes it over;
#  - an instance name too long for its control socket's path in the runtime
#    directory is an error for both;
#  - an http hook's header_file that holds something else than headers is
#    an error for both (exit 2);
#  - [source] path that is a symbolic link to a directory is followed: both
#    accept it, and the worker watches and mirrors the directory; a local
#    target inside that directory is an error for both, although the paths
#    as written do not contain each other.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
C=$T/cases
mkdir -p "$C" "$T/real" "$T/dst" "$T/notbin/rsync" "$T/shadow/rsync"
ln -s "$T/real" "$T/link"
WRAPPER=()
if [ -n "${SYNCD_WRAPPER:-}" ]; then read -r -a WRAPPER <<<"$SYNCD_WRAPPER"; fi

# verdicts CFG: CHECK_RC/CHECK_OUT of --check, START_RC/START_OUT of a
# worker started in the foreground (stopped after a few seconds if it runs:
# START_RC 124 then).
verdicts() {
	CHECK_OUT=$(timeout $((10 * TEST_SLOW)) "${WRAPPER[@]}" "$SYNCD" --check --config "$1" \
		--state-dir "$T/state" --runtime-dir "$T/run" 2>&1 </dev/null)
	CHECK_RC=$?
	START_OUT=$(timeout -k 2 $((3 * TEST_SLOW)) "${WRAPPER[@]}" "$SYNCD" --config "$1" \
		--state-dir "$T/state" --runtime-dir "$T/run" 2>&1 </dev/null)
	START_RC=$?
}

# refused NAME LINE WORD-ERE: the config on stdin is refused by --check and
# by the worker's start alike, exit 2, with "FILE:LINE: " and WORD.
refused() {
	local name=$1 line=$2 word=$3 f=$C/$1.ini what
	cat >"$f"
	verdicts "$f"
	for what in CHECK START; do
		local rc=${what}_RC out=${what}_OUT
		[ "${!rc}" = 2 ] || fail "$name: ${what,,} exit status ${!rc}, expected 2: ${!out}"
		printf '%s\n' "${!out}" | grep -F -- "$f:$line: " | grep -Eqi -- "$word" ||
			fail "$name: ${what,,} has no \"$f:$line: \" error mentioning /$word/: ${!out}"
	done
	log "ok $name: $(printf '%s\n' "$CHECK_OUT" | grep -F -- "$f:$line: " | head -n 1 | _lib_hide_T)"
}

# mirrors NAME SRC DST: the config on stdin passes --check, and a worker
# started with it mirrors a new file from SRC to DST.
mirrors() {
	local name=$1 src=$2 dst=$3 f=$C/$1.ini
	cat >"$f"
	CHECK_OUT=$(timeout $((10 * TEST_SLOW)) "${WRAPPER[@]}" "$SYNCD" --check --config "$f" 2>&1 </dev/null)
	CHECK_RC=$?
	[ "$CHECK_RC" = 0 ] || fail "$name: --check exit status $CHECK_RC, expected 0: $CHECK_OUT"
	start_syncd "$f"
	wait_ready
	printf '%s\n' "$name" >"$src/$name"
	wait_converged "$src" "$dst"
	stop_syncd
	log "ok $name: --check 0, mirrored"
}

name() { printf "%$1s" '' | tr ' ' "${2:-r}"; }

# ---- remote names and the file names of their state
refused remote-name-248 1 '248 characters.*200' <<EOF
[remote $(name 248)]
target = $T/dst
[source]
path = $T/real
EOF
refused remote-name-300 3 '300 characters.*200' <<EOF
[source]
path = $T/real
[remote $(name 300 x)]
target = $T/dst
EOF
refused hook-name-201 3 '201 characters.*200' <<EOF
[source]
path = $T/real
[hook $(name 201 h)]
type = command
run = /bin/true
EOF
LONG=$(name 200)
mirrors remote-name-200 "$T/real" "$T/dst" <<EOF
[source]
path = $T/real
[remote $LONG]
target = $T/dst
EOF
assert_file "$SYNCD_IDIR/$LONG.journal"

# ---- [rsync] binary
refused rsync-binary-dir 6 'directory' <<EOF
[source]
path = $T/real
[remote a]
target = $T/dst
[rsync]
binary = $T/notbin/rsync
EOF
PATH=$T/shadow:$PATH mirrors rsync-dir-in-path "$T/real" "$T/dst" <<EOF
[source]
path = $T/real
[remote a]
target = $T/dst
EOF

# ---- the control socket, RUNTIME/NAME.sock, is a path of 107 bytes at most
f=$C/$(name 80 i).ini
printf '[source]\npath = %s\n[remote a]\ntarget = %s\n' "$T/real" "$T/dst" >"$f"
verdicts "$f"
[ "$CHECK_RC" = 2 ] && [ "$START_RC" = 2 ] ||
	fail "long instance name: --check exit $CHECK_RC, start exit $START_RC, expected 2 and 2: $CHECK_OUT / $START_OUT"
for out in "$CHECK_OUT" "$START_OUT"; do
	printf '%s\n' "$out" | grep -F "$f: " | grep -q 'control socket.*bytes' ||
		fail "long instance name: no error about the control socket's path: $out"
done
log "ok long instance name: $(printf '%s\n' "$CHECK_OUT" | _lib_hide_T)"

# ---- what a hook reads as it opens
printf 'not a header\n' >"$T/headers"
chmod 600 "$T/headers"
cat >"$C/header-file.ini" <<EOF
[source]
path = $T/real
[hook h]
type = http
url = http://127.0.0.1:9/
header_file = $T/headers
EOF
verdicts "$C/header-file.ini"
[ "$CHECK_RC" = 2 ] && [ "$START_RC" = 2 ] ||
	fail "header-file: --check exit $CHECK_RC, start exit $START_RC, expected 2 and 2: $CHECK_OUT / $START_OUT"
for out in "$CHECK_OUT" "$START_OUT"; do
	grep -qF "$T/headers:1: not a header line" <<<"$out" ||
		fail "header-file: no error naming the file and line: $out"
done
log "ok header-file: $(printf '%s\n' "$CHECK_OUT" | _lib_hide_T)"

# ---- [source] path, a symbolic link
mirrors source-symlink "$T/link" "$T/dst" <<EOF
[source]
path = $T/link
[remote a]
target = $T/dst
EOF
run_log_text | grep -F "$(printf '%s\n' "$T/link" | _lib_hide_T)" | grep -qF "<T>/real" ||
	fail "no log line says which directory the link leads to: $(run_log_text | head -n 3)"
[ -e "$T/dst/source-symlink" ] && [ ! -L "$T/dst/source-symlink" ] || fail "the file did not reach the mirror"
refused source-symlink-contains-target 3 'contain' <<EOF
[source]
path = $T/link
[remote inside]
target = $T/real/mirror
EOF
pass
