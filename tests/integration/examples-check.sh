#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The example instances in instances.d/ are valid configurations: each
# passes `syncd --check` once the paths that only exist on a real server
# (source directory, secrets, keys, hook programs) are pointed at files
# this test makes (or /bin/true), and the fail log below $T (in a directory
# that does not exist: the worker creates it, --check only sees that it can).
# No example has a live http or cdn hook: one edited only for its paths and
# targets would send every change to an address nothing answers on, and log
# a failure for each file (www.ini's purge is shipped commented out), and the
# commented-out one is still valid once its ';' are removed.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
mkdir -p "$T/src" "$T/examples"
printf 'secret\n' >"$T/secret"
chmod 600 "$T/secret"
: >"$T/key"
for ini in "$REPO_ROOT"/instances.d/*.ini; do
	name=$(basename "$ini")
	sed -E -e "s|^path = .*|path = $T/src|" \
		-e "s|^password_file = .*|password_file = $T/secret|" \
		-e "s|^ssh_key = .*|ssh_key = $T/key|" \
		-e "s|^run = [^ ]*|run = /bin/true|" \
		-e "s|^fail_log = /|fail_log = $T/root/|" "$ini" >"$T/examples/$name"
	out=$("$SYNCD" --check --config "$T/examples/$name" 2>&1) ||
		fail "instances.d/$name does not pass --check: $out"
	log "instances.d/$name: $out"
	live=$(awk '/^[ \t]*\[/ { hook = ($0 ~ /^[ \t]*\[hook /) }
		hook && /^[ \t]*type[ \t]*=[ \t]*(http|cdn)[ \t]*$/ { print FILENAME ":" FNR ": " $0 }' "$ini")
	[ -z "$live" ] || fail "a live http/cdn hook in a shipped example: $live"
	if grep -qE '^;\[hook ' "$ini"; then
		sed -E 's/^;(\[hook |[a-z_]+ = )/\1/' "$T/examples/$name" >"$T/examples/on-$name"
		out=$("$SYNCD" --check --config "$T/examples/on-$name" 2>&1) ||
			fail "instances.d/$name with its commented-out hook turned on does not pass --check: $out"
	fi
done
pass
