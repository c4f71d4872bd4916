#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The checksum and the compression rsync negotiates with a remote cost a
# round trip per run; the worker's first run asks rsync what it negotiated
# (--debug=NSTR), the next ones name that (--checksum-choice,
# --compress-choice) and skip the round trip.  A failed run forgets: the
# remote's rsync may have changed; a daemon that refuses the options ends
# it for the remote.  The mirror stays exact throughout.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_rsyncd
SRC=$T/src
mkdir -p "$SRC"
printf 'before\n' >"$SRC/before"
CFG=$T/negotiated.ini
{ source_section "$SRC"; rsyncd_remote r1; fast_sections; } >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_converged "$SRC" "$MIRROR"
# the full sync asked
assert_log 'full sync: running .* --debug=NSTR '
cs=$(log_text | grep -Eo 'Client negotiated checksum: [a-z0-9]+' | head -n 1)
cs=${cs##* }
[ -n "$cs" ] || fail "rsync did not say what it negotiated"
named="--checksum-choice=$cs"
cz=$(log_text | grep -Eo 'Client negotiated compress: [a-z0-9]+' | head -n 1)
[ -z "$cz" ] || named="$named --compress-choice=${cz##* }"
log "negotiated: $named"

printf 'one\n' >"$SRC/one"
wait_converged "$SRC" "$MIRROR"
assert_log "push: running .* $named "
assert_eq "$(log_count 'push: running .*--debug=NSTR')" 0 "pushes that asked again"

# a failed run forgets; the next negotiates and asks again
stop_rsyncd
printf 'two\n' >"$SRC/two"
wait_for 10 "a failed push" log_count_gt 'push failed' 0
restart_rsyncd
wait_converged "$SRC" "$MIRROR" 20
assert_log 'push: running .* --debug=NSTR '
printf 'three\n' >"$SRC/three"
wait_converged "$SRC" "$MIRROR"
last=$(log_text | grep -E 'push: running ' | tail -n 1)
case $last in
*" $named "*) ;;
*) fail "the push after a new negotiation does not name it: $last" ;;
esac

# a daemon that refuses the options: the run that named them fails, and
# the remote's later runs neither name nor ask (else every other run would
# fail)
failures=$(log_count 'push failed')
sed -i '/^\[mirror\]/a\    refuse options = checksum-choice' "$T/rsyncd/rsyncd.conf"
restart_rsyncd
printf 'four\n' >"$SRC/four"
wait_converged "$SRC" "$MIRROR" 20
[ "$(log_count 'push failed')" -gt "$failures" ] || fail "the daemon did not refuse --checksum-choice"
printf 'five\n' >"$SRC/five"
wait_converged "$SRC" "$MIRROR"
last=$(log_text | grep -E 'push: running ' | tail -n 1)
case $last in
*--checksum-choice* | *--debug=NSTR*) fail "the push after a refusal still names or asks: $last" ;;
esac
assert_syncd_running
stop_syncd
pass
