#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A child that writes without end goes into the log only so far: with -v an
# rsync (here a [rsync] binary wrapper that writes 4 MiB to stderr first)
# and a command hook (whose output is always logged) each log at most
# 64 KiB of lines a run, then one line saying how much was left out.
# Mirroring and the hook are unaffected.  (Before: every byte went into the
# log, 847 MB in 12 s from a noisy binary.)
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC" "$T/bin"
NOISY=$T/bin/rsync-noisy
cat >"$NOISY" <<EOS
#!/usr/bin/env bash
yes 'noise from a wrapper of rsync, line after line after line' | head -c 4194304 >&2
exec rsync "\$@"
EOS
HOOK=$T/bin/noisy-hook
cat >"$HOOK" <<EOS
#!/usr/bin/env bash
yes 'noise from a hook command, line after line after line' | head -c 4194304
touch '$T/hook.ran'
EOS
chmod 755 "$NOISY" "$HOOK"
CFG=$T/noisy.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[rsync]\nbinary = %s\n' "$NOISY"
	printf '[hook h]\ntype = command\nrun = %s\n' "$HOOK"
} >"$CFG"
printf 'a\n' >"$SRC/a"
start_syncd "$CFG" -v
# not wait_ready: its grep -q of a large log ends the pipe early
wait_ctl 20
wait_converged "$SRC" "$MIRROR" 20
printf 'b\n' >"$SRC/b"
out=$(ctl flush 20s) || fail "flush: '$out'"
wait_for 20 "the hook to run" test -e "$T/hook.ran"
stop_syncd

size=$(stat -c %s "$SYNCD_LOG")
noise=$(log_count 'noise from a wrapper')
hook_noise=$(log_count 'noise from a hook')
cut=$(log_count 'r1 [a-z ]+: [0-9]+ more bytes of output not logged \(at most 65536 bytes of log a run\)')
log "log: $size bytes; $noise rsync noise lines, $hook_noise hook noise lines, $cut rsync runs cut"
[ "$noise" -gt 0 ] || fail "no rsync output logged with -v"
[ "$hook_noise" -gt 0 ] || fail "no hook output logged"
# two rsync runs at least (the full sync, the push), each 4 MiB of noise,
# and one hook run
runs=$(log_count 'r1 [a-z ]+: running ')
[ "$runs" -ge 2 ] || fail "$runs rsync runs, expected 2 or more"
[ "$size" -lt $(((runs + 1) * 100 * 1024)) ] ||
	fail "the log holds $size bytes after $runs rsync runs and one hook run"
assert_eq "$cut" "$runs" "rsync runs that say their output was cut"
assert_log 'hook h: [0-9]+ more bytes of output not logged \(at most 65536 bytes of log a run\)'
pass
