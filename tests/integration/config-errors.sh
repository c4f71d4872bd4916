#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Malformed configs: each case must make `syncd --check --config F` exit 2
# and print "F:LINE: message" on stderr with the right line number and a
# meaningful word in the message.  Good configs (a full one, one with
# alternative spellings, a minimal two-section one) pass --check with 0.
# What is no configuration (a directory, a FIFO, /dev/zero, /dev/urandom, a
# file over 1 MiB, a huge line, a NUL byte, a file of junk) is refused at
# once with a few lines naming the file, by syncd --check and syncctl check.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src
DST=$T/dst
C=$T/cases
mkdir -p "$SRC" "$DST" "$C"
printf 'afile\n' >"$T/afile"
printf 'pw\n' >"$T/good.pass"
chmod 600 "$T/good.pass"
printf 'pw\n' >"$T/open.pass"
chmod 644 "$T/open.pass"
printf 'not really a key\n' >"$T/key"
chmod 600 "$T/key"

FAILED=0
NCASES=0
WRAPPER=()
if [ -n "${SYNCD_WRAPPER:-}" ]; then read -r -a WRAPPER <<<"$SYNCD_WRAPPER"; fi

run_check() { # FILE: sets RC, OUT (stderr+stdout)
	OUT=$(timeout $((10 * TEST_SLOW)) "${WRAPPER[@]}" "$SYNCD" --check --config "$1" 2>&1 </dev/null)
	RC=$?
}

# bad NAME LINE WORD-ERE: the config comes on stdin.  LINE may be "any".
bad() {
	local name=$1 line=$2 word=$3 f=$C/$1.ini prefix lines
	cat >"$f"
	NCASES=$((NCASES + 1))
	run_check "$f"
	if [ "$RC" != 2 ]; then
		printf 'case %s: exit status %s, expected 2; output:\n%s\n' "$name" "$RC" "$OUT" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	if [ "$line" = any ]; then
		lines=$(printf '%s\n' "$OUT" | grep -F -- "$f:" | grep -E -- ":[0-9]+: ")
	else
		prefix="$f:$line: "
		lines=$(printf '%s\n' "$OUT" | grep -F -- "$prefix")
	fi
	if [ -z "$lines" ]; then
		printf 'case %s: no "%s:%s: " error line; output:\n%s\n' "$name" "$f" "$line" "$OUT" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	if ! grep -Eqi -- "$word" <<<"$lines"; then
		printf 'case %s: the error at line %s does not mention /%s/:\n%s\n' "$name" "$line" "$word" "$lines" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	printf 'ok   %-28s %s\n' "$name" "$(printf '%s\n' "$lines" | head -n 1)" >&2
}

good() { # NAME: the config on stdin must pass --check with 0
	local name=$1 f=$C/$1.ini
	cat >"$f"
	NCASES=$((NCASES + 1))
	run_check "$f"
	if [ "$RC" != 0 ]; then
		printf 'good config %s: exit status %s, expected 0; output:\n%s\n' "$name" "$RC" "$OUT" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	printf 'ok   %-28s exit 0\n' "$name" >&2
}

# --------------------------------------------------------------- good --

good full <<EOF
; a comment
# another comment
[source]
path = $SRC
events = create_dir, create_file, close_write, move_from, move_to, delete, attrib, modify
exclude = *.swp
exclude = cache/
exclude_regex = \.svn(/|$)
exclude_regex = ^build/

[remote daemon]
target = rsync://syncuser@127.0.0.1:8730/mirror/sub
password_file = $T/good.pass
timeout = 100s

[remote ssh]
target = ssh://root@example.com:2222/srv/mirror
ssh_key = $T/key
ssh_options = -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
timeout = 2min

[remote local]
target = $DST

[rsync]
binary = rsync
options = -artuz
delete = yes

[batch]
settle = 50ms
max_delay = 1s
max_files = 10000

[retry]
min_backoff = 1s
max_backoff = 5min

[full_sync]
on_start = yes
every = 1d
EOF

good spellings <<EOF
[source]
path = $SRC
events = create_dir, close_write, move, delete
[remote a]
target = rsync://127.0.0.1/mirror
timeout = 30
[remote b]
target = ssh://host.example/srv/x
[rsync]
delete = off
[batch]
settle = 2
max_delay = 10min
[retry]
max_backoff = 2h
[full_sync]
on_start = 1
every = 0
EOF

good minimal <<EOF
[source]
path = $SRC
[remote only]
target = $DST
EOF

# ---------------------------------------------------------------- bad --

bad unknown-section 5 'bogus|section' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[bogus]
x = 1
EOF

bad unknown-key-source 5 'colour|unknown|key' <<EOF
; comment lines and blank lines count

[source]
path = $SRC
colour = red
[remote a]
target = $DST
EOF

bad unknown-key-remote 5 'speed|unknown|key' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
speed = fast
EOF

bad duplicate-remote 5 'duplicate|twin|already|twice|more than once' <<EOF
[source]
path = $SRC
[remote twin]
target = $DST
[remote twin]
target = $DST
EOF

bad key-twice 6 'timeout|duplicate|twice|already|again|more than once' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
timeout = 5s
timeout = 6s
EOF

bad bad-duration 6 'duration|settle|parsecs|invalid' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[batch]
settle = 5 parsecs
EOF

bad bad-duration-unit 6 'duration|every|fortnight|invalid|unit' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[full_sync]
every = 1fortnight
EOF

bad bad-duration-remote 5 'duration|timeout|soon|invalid' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
timeout = soon
EOF

bad bad-url-scheme 4 'target|url|scheme|ftp' <<EOF
[source]
path = $SRC
[remote a]
target = ftp://host/x
EOF

bad relative-target 4 'target|url|absolute|relative|path' <<EOF
[source]
path = $SRC
[remote a]
target = relative/path
EOF

bad rsync-no-module 4 'module|target|url|path' <<EOF
[source]
path = $SRC
[remote a]
target = rsync://127.0.0.1:873/
EOF

bad ssh-no-path 4 'path|target|url' <<EOF
[source]
path = $SRC
[remote a]
target = ssh://root@host
EOF

bad bad-port 4 'port|target|url' <<EOF
[source]
path = $SRC
[remote a]
target = rsync://u@127.0.0.1:99999/mod
EOF

bad relative-source 2 'absolute|relative|path' <<EOF
[source]
path = relative/dir
[remote a]
target = $DST
EOF

bad missing-source 2 'exist|no such|not found|missing|director' <<EOF
[source]
path = $T/does/not/exist
[remote a]
target = $DST
EOF

bad source-is-file 2 'director' <<EOF
[source]
path = $T/afile
[remote a]
target = $DST
EOF

bad open-password-file 5 'password|mode|permission|readable|0600|600|accessible|other' <<EOF
[source]
path = $SRC
[remote a]
target = rsync://syncuser@127.0.0.1:873/mirror
password_file = $T/open.pass
EOF

bad password-on-ssh 5 'password|ssh|rsync' <<EOF
[source]
path = $SRC
[remote a]
target = ssh://root@127.0.0.1:22/srv/x
password_file = $T/good.pass
EOF

bad ssh-key-on-rsyncd 5 'ssh' <<EOF
[source]
path = $SRC
[remote a]
target = rsync://syncuser@127.0.0.1/mirror
ssh_key = $T/key
EOF

bad remote-without-target 3 'target' <<EOF
[source]
path = $SRC
[remote empty]
timeout = 5s
EOF

bad no-remote any 'remote' <<EOF
[source]
path = $SRC
[rsync]
delete = yes
EOF

bad no-source any 'source|path' <<EOF
[remote a]
target = $DST
EOF

bad unknown-event 3 'explode|event' <<EOF
[source]
path = $SRC
events = create_dir, explode
[remote a]
target = $DST
EOF

bad bad-regex 3 'regex|regular|paren|unmatched|\)|\(' <<EOF
[source]
path = $SRC
exclude_regex = (unclosed
[remote a]
target = $DST
EOF

# repetitions that glibc's regcomp multiplies (E+ is E E*): 2^20 parts, half
# a GB; 1.6 GB and 3.5 s with 23 +
bad regex-too-large 3 'exclude_regex: .*more than 50000' <<EOF
[source]
path = $SRC
exclude_regex = ^w++++++++++++++++++++
[remote a]
target = $DST
EOF

bad cdn-regex-too-large 6 'path_regex: .*more than 50000' <<EOF
[source]
path = $SRC
[hook cdn]
type = cdn
url_template = http://127.0.0.1:1/{path}
path_regex = (x{1000}){1000}
replace = \\1
EOF

bad line-without-equals 3 '=|syntax|expected|parse|invalid|key' <<EOF
[source]
path = $SRC
just some words
[remote a]
target = $DST
EOF

bad bad-boolean 6 'maybe|bool|yes|delete' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[rsync]
delete = maybe
EOF

bad bad-number 6 'max_files|number|integer|invalid|lots' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[batch]
max_files = lots
EOF

bad key-before-section 1 'section|key|unknown|outside' <<EOF
path = $SRC
[source]
path = $SRC
[remote a]
target = $DST
EOF

# two errors in one file: both are reported
bad two-errors-first 3 'colour|unknown|key' <<EOF
[source]
path = $SRC
colour = red
[remote a]
target = $DST
[batch]
settle = never
EOF
f=$C/two-errors-first.ini
if ! grep -Fq -- "$f:7: " <<<"$OUT"; then
	printf 'case two-errors: the second error (line 7) is not reported; output:\n%s\n' "$OUT" >&2
	FAILED=$((FAILED + 1))
fi

# ----------------------------------------------------- what is no text --
# Each is refused within seconds with "FILE: why" (or FILE:LINE: for a line),
# never read without bound.

# bad_input NAME FILE ERE: --check FILE exits 2 with a line "FILE:" that
# matches ERE, and says at most 25 lines.
bad_input() {
	local name=$1 f=$2 word=$3 lines
	NCASES=$((NCASES + 1))
	run_check "$f"
	if [ "$RC" != 2 ]; then
		printf 'case %s: exit status %s, expected 2; output:\n%s\n' "$name" "$RC" "$(printf '%s\n' "$OUT" | tail -n 5)" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	lines=$(printf '%s\n' "$OUT" | grep -F -- "$f:" | grep -Ei -- "$word")
	if [ -z "$lines" ]; then
		printf 'case %s: no "%s: ..." line matching /%s/; output:\n%s\n' "$name" "$f" "$word" "$(printf '%s\n' "$OUT" | tail -n 5)" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	if [ "$(printf '%s\n' "$OUT" | wc -l)" -gt 25 ]; then
		printf 'case %s: %s lines of errors, expected at most 25\n' "$name" "$(printf '%s\n' "$OUT" | wc -l)" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	printf 'ok   %-28s %s\n' "$name" "$(printf '%s\n' "$lines" | head -n 1)" >&2
}

mkdir "$C/dir.ini"
bad_input directory "$C/dir.ini" "$C/dir.ini: is a directory"
mkfifo "$C/fifo.ini"
bad_input fifo "$C/fifo.ini" "$C/fifo.ini: not a regular file"
bad_input dev-zero /dev/zero "/dev/zero: not a regular file"
bad_input dev-urandom /dev/urandom "/dev/urandom: not a regular file"
# a good configuration made larger than 1 MiB by comments
{
	printf '[source]\npath = %s\n[remote a]\ntarget = %s\n' "$SRC" "$DST"
	head -c 1048576 /dev/zero | tr '\0' '\n' | sed 's/^/;/'
} >"$C/huge.ini"
bad_input larger-than-1MiB "$C/huge.ini" "$C/huge.ini: .*larger than 1 MiB"
# one line of 900,000 characters, no newline
{
	printf '[source]\npath = %s\n[remote a]\ntarget = %s\nexclude = ' "$SRC" "$DST"
	head -c 900000 /dev/zero | tr '\0' x
} >"$C/long.ini"
bad_input huge-line "$C/long.ini" "$C/long.ini:5: .*longer than 4000"
printf '[source]\npath = %s\nexclude = a\0b\n[remote a]\ntarget = %s\n' "$SRC" "$DST" >"$C/nul.ini"
bad_input nul-byte "$C/nul.ini" "$C/nul.ini:3: NUL byte"
# a file of nothing but bad lines: a few errors, then it gives up
for i in $(seq 1 20000); do printf 'no key here %s\n' "$i"; done >"$C/junk.ini"
bad_input many-errors "$C/junk.ini" "$C/junk.ini:[0-9]+: too many errors"

# The worker creates the fail log's directory: one it cannot create is
# refused at the fail_log line; one it can is good.
bad fail-log-dir 6 'fail_log.*afile.*not a directory' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[retry]
fail_log = $T/afile/logs/failed.log
EOF
bad fail-log-is-dir 6 'fail_log.*is a directory' <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[retry]
fail_log = $T
EOF
good fail-log-new-dir <<EOF
[source]
path = $SRC
[remote a]
target = $DST
[retry]
fail_log = $T/not/yet/failed.log
EOF
[ ! -e "$T/not" ] || fail "--check created the fail log's directory"

# Every problem of a file in one run: two errors of the file itself and a
# source that is not there (found by the checks that follow the file's).
NCASES=$((NCASES + 1))
printf '[source]\npath = %s/missing\n[remote a]\ntarget = %s\ntimeout = 0s\n[batch]\nsettle = x\n' \
	"$T" "$DST" >"$C/three.ini"
run_check "$C/three.ini"
if [ "$RC" != 2 ] || ! grep -qF "$C/three.ini:2: path: $T/missing: No such" <<<"$OUT" ||
	! grep -qF "$C/three.ini:5: timeout" <<<"$OUT" ||
	! grep -qF "$C/three.ini:7: settle" <<<"$OUT"; then
	printf 'case three-problems: exit status %s (expected 2), expected lines 2, 5 and 7; output:\n%s\n' \
		"$RC" "$OUT" >&2
	FAILED=$((FAILED + 1))
else
	printf 'ok   %-28s %s\n' three-problems "$(printf '%s\n' "$OUT" | grep -cF "$C/three.ini:") lines" >&2
fi

# Paths under /tmp and /var/tmp: PrivateTmp= of the shipped units hides
# them from everything outside the unit.  A warning, still exit 0.
NCASES=$((NCASES + 1))
case $T in /tmp/*) ;; *) fail "\$T is not under /tmp: $T" ;; esac
printf '#!/bin/sh\n' >"$T/thumb.sh"
chmod 755 "$T/thumb.sh"
printf '[source]\npath = %s\n[remote a]\ntarget = /var/tmp/syncd-nowhere\n[retry]\nfail_log = /tmp/syncd-nowhere/f.log\n[hook h]\ntype = command\nrun = %s\n' \
	"$SRC" "$T/thumb.sh" >"$C/privtmp.ini"
run_check "$C/privtmp.ini"
n=$(printf '%s\n' "$OUT" | grep -E -- "$C/privtmp.ini:[0-9]+: .*PrivateTmp=" | grep -cE ':(2|3|6|7): ')
if [ "$RC" != 0 ] || [ "$n" != 4 ]; then
	printf 'case private-tmp: exit status %s (expected 0), %s of 4 warnings; output:\n%s\n' "$RC" "$n" "$OUT" >&2
	FAILED=$((FAILED + 1))
else
	printf 'ok   %-28s %s\n' private-tmp "$(printf '%s\n' "$OUT" | grep -m1 PrivateTmp=)" >&2
fi

# syncctl reads instance files with the same reader
if [ -x "${SYNCCTL:-}" ]; then
	INST=$T/etc/instances.d
	mkdir -p "$INST" "$INST/dir.ini"
	mkfifo "$INST/fifo.ini"
	printf '[source]\npath = %s\n[remote a]\ntarget = %s\n' "$SRC" "$DST" >"$INST/good.ini"
	NCASES=$((NCASES + 1))
	OUT=$(SYNCD_CONFIG_DIR=$T/etc SYNCD_RUNTIME_DIR=$T/srun SYNCD_STATE_DIR=$T/sstate \
		timeout $((10 * TEST_SLOW)) "$SYNCCTL" check 2>&1 </dev/null)
	RC=$?
	if [ "$RC" != 1 ] ||
		! grep -qF "$INST/fifo.ini: not a regular file" <<<"$OUT" ||
		! grep -qiF "$INST/dir.ini: is a directory" <<<"$OUT" ||
		! grep -qF "$INST/good.ini: ok" <<<"$OUT"; then
		printf 'case syncctl-check: exit status %s (expected 1); output:\n%s\n' "$RC" "$OUT" >&2
		FAILED=$((FAILED + 1))
	else
		printf 'ok   %-28s %s\n' syncctl-check "$(printf '%s\n' "$OUT" | grep -F fifo.ini)" >&2
	fi
	# every problem of a file at once, and the warnings of --check
	INST2=$T/etc2/instances.d
	mkdir -p "$INST2"
	cp "$C/three.ini" "$C/privtmp.ini" "$INST2/"
	NCASES=$((NCASES + 1))
	OUT=$(SYNCD_CONFIG_DIR=$T/etc2 timeout $((10 * TEST_SLOW)) "$SYNCCTL" check 2>&1 </dev/null)
	RC=$?
	if [ "$RC" != 1 ] || ! grep -qF "$INST2/three.ini:2: path: $T/missing: No such" <<<"$OUT" ||
		! grep -qF "$INST2/three.ini:5: timeout" <<<"$OUT" ||
		! grep -qF "$INST2/three.ini:7: settle" <<<"$OUT" ||
		! grep -qF "$INST2/privtmp.ini: ok" <<<"$OUT" ||
		[ "$(printf '%s\n' "$OUT" | grep -cE "$INST2/privtmp.ini:[0-9]+: .*PrivateTmp=")" != 4 ]; then
		printf 'case syncctl-check-all: exit status %s (expected 1); output:\n%s\n' "$RC" "$OUT" >&2
		FAILED=$((FAILED + 1))
	else
		printf 'ok   %-28s %s\n' syncctl-check-all "$(printf '%s\n' "$OUT" | grep -cF three.ini:) lines" >&2
	fi
fi

log "$NCASES cases, $FAILED failed"
[ "$FAILED" = 0 ] || fail "$FAILED of $NCASES config cases failed"
pass
