#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile file names, each mirrored byte for byte, as files and inside a
# directory that itself has a hostile name; both by the full sync on start
# and by live events; renamed and deleted too.  A name like $(touch CANARY)
# must never be run by anything: no CANARY file may appear anywhere.
# shellcheck disable=SC2016 # the $(...) and backticks in names are literal
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"

long=$(printf 'L%.0s' $(seq 1 255))
names=(
	'with space'
	' leading space'
	'trailing space '
	"$(printf 'tab\there')"
	"$(printf 'new\nline')"
	"$(printf '\nstarts-with-newline')"
	'double"quote'
	"single'quote"
	'back`tick`'
	'$(touch CANARY)'
	'`touch CANARY`'
	'-rf'
	'--delete'
	'-e touch CANARY'
	'*'
	'?'
	'[ab]'
	'back\slash'
	"$(printf '\xff\xfe')"
	"$(printf 'caf\xc3\xa9-\xe2\x98\x83')"
	'a:b'
	'host:path'
	'#hash'
	'%s%n'
	'.hidden'
	'...'
	"$long"
)
[ ${#long} = 255 ] || fail "long name is ${#long} bytes"

make_names() { # DIR: one file per name (content = the name) + a hostile dir
	local d=$1 n
	mkdir -p "$d"
	for n in "${names[@]}"; do
		printf '%s' "$n" >"$d/$n" || fail "cannot create test name in $d"
	done
	local hd
	hd="$d/$(printf 'dir with\nnewline $(touch CANARY) -rf')"
	mkdir -p "$hd"
	for n in "${names[@]}"; do
		printf 'in dir: %s' "$n" >"$hd/$n"
	done
}

make_names "$SRC/pre"
CFG=$T/hostile.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"

# live: at the top level and in a new directory
for n in "${names[@]}"; do
	printf '%s' "$n" >"$SRC/$n"
done
make_names "$SRC/live"
wait_converged "$SRC" "$MIRROR"

# check a few byte for byte explicitly
assert_content "$MIRROR/$(printf 'new\nline')" "$(printf 'new\nline')"
assert_content "$MIRROR/$(printf '\xff\xfe')" "$(printf '\xff\xfe')"
assert_content "$MIRROR/-rf" '-rf'
assert_content "$MIRROR/--delete" '--delete'
assert_content "$MIRROR/$long" "$long"

# modify, rename to another hostile name, delete
printf 'changed' >"$SRC/*"
mv "$SRC/-rf" "$SRC/$(printf -- '--renamed\nto\tthis')"
mv "$SRC/live" "$SRC/$(printf 'live \xff renamed $(touch CANARY)')"
rm "$SRC/--delete" "$SRC/$(printf 'tab\there')"
rm -rf "$SRC/pre/$(printf 'dir with\nnewline $(touch CANARY) -rf')"
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/*" 'changed'
assert_not_exists "$MIRROR/-rf"
assert_not_exists "$MIRROR/--delete"
assert_exists "$MIRROR/?"

# no glob expansion happened: "*" did not stand for every file, "-rf" and
# "--delete" were not options (the mirror still has everything else)
[ "$(find "$MIRROR" -mindepth 1 | wc -l)" = "$(find "$SRC" -mindepth 1 | wc -l)" ] ||
	fail "entry counts of source and mirror differ"

# nothing executed a name
stop_syncd
assert_no_canary
pass
