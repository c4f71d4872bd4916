#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The example instances in instances.d/ are valid configurations: each
# passes `syncd --check` once the paths that only exist on a real server
# (source directory, secrets, keys, hook programs) are pointed at files
# this test makes (or /bin/true), and the fail log below $T (in a directory
# that does not exist: the worker creates it, --check only sees that it can).
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
done
pass
