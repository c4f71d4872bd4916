#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An ssh:// target (with a port, ssh_key and ssh_options) through a real
# private sshd on 127.0.0.1: full sync on start, then create, modify,
# delete, rename of files and directories, and an odd name, converge.
# Skipped (77) unless root and /usr/sbin/sshd exist.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_sshd
SRC=$T/src
DST=$T/ssh-mirror
mkdir -p "$SRC/d" "$DST"
printf 'pre\n' >"$SRC/d/pre"
CFG=$T/ssh.ini
{ source_section "$SRC"; ssh_remote r1 "$DST"; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$DST"

printf 'one\n' >"$SRC/one"
mkdir -p "$SRC/x/y"
printf 'deep\n' >"$SRC/x/y/z"
printf 'odd\n' >"$SRC/$(printf 'a b\nc -rf')"
wait_converged "$SRC" "$DST"
printf 'one more\n' >>"$SRC/one"
mv "$SRC/x" "$SRC/x2"
rm "$SRC/d/pre"
wait_converged "$SRC" "$DST"
assert_content "$DST/one" $'one\none more\n'
assert_not_exists "$DST/x"
rm -rf "$SRC/x2"
wait_converged "$SRC" "$DST"

assert_syncd_running
stop_syncd
pass
