#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A run that hangs without a word (here an [rsync] binary wrapper that
# sleeps, as an ssh stuck before rsync speaks would) is killed once it has
# made no progress for twice the remote's timeout (1 s, the least there is):
# the log says "killed: no progress for 2s", status shows the failure and
# the retry, the changes stay pending.  The same for the full sync at the
# start, which runs beside the push.  Once the wrapper runs the real rsync again, the retries go
# through and the mirror converges; a run that says nothing for 3 s but
# reads all the while (the wrapper before it runs rsync) is not killed.  A
# verify that hangs fails saying why.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC" "$T/bin"
printf 'before\n' >"$SRC/before"
HANGING=$T/hanging
SLOWING=$T/slowing
WRAP=$T/bin/rsync-wrap
cat >"$WRAP" <<EOF
#!/usr/bin/env bash
if [ "\$1" != --version ] && [ -e '$HANGING' ]; then
	exec sleep 1000
elif [ "\$1" != --version ] && [ -e '$SLOWING' ]; then
	# busy, not stuck: 3 s of reads, nothing written
	for i in {1..30}; do read -r -N 1024 _ </dev/urandom; sleep 0.1; done
fi
exec rsync "\$@"
EOF
chmod 755 "$WRAP"
CFG=$T/stall.ini
{
	source_section "$SRC"
	printf '[remote m]\ntarget = %s\npassword_file = %s\ntimeout = 1s\n' "$RSYNCD_URL" "$PASSFILE"
	printf '[rsync]\nbinary = %s\n' "$WRAP"
	fast_sections
} >"$CFG"

touch "$HANGING"
start_syncd "$CFG"
wait_ready
wait_ctl
printf 'during\n' >"$SRC/during"
t0=$(now_ms)
wait_for 10 "the hung push killed" log_count_gt 'm push: killed: no progress for [0-9]+s' 0
log "push killed after $(elapsed_since "$t0")s: $(log_text | grep -m1 'killed: no progress')"
wait_for 5 "the push's failure" log_count_gt 'm: push failed: rsync killed by signal 9.*no progress for [0-9]+s.*retrying in' 0
j=$(ctl status --json) || fail "status --json: $j"
state=$(json_remote_field "$j" m state)
case $state in backoff | failing) ;; *) fail "remote m is '$state' after a killed push" ;; esac
json_remote_field "$j" m last_error | grep -q 'no progress for' ||
	fail "last_error does not say why: $(json_remote_field "$j" m last_error)"
[ "$(json_remote_field "$j" m pending)" -ge 1 ] || fail "nothing pending after a killed push"
wait_for 5 "the hung full sync killed" log_count_gt 'm full sync: killed: no progress for [0-9]+s' 0
assert_log 'm: full-sync failed: rsync killed by signal 9.*no progress for [0-9]+s.*retrying in'

# the wrapper runs rsync again, after 3 s without a word: the retries go
# through.  (A retry that started before may still hang and be killed.)
# Every run from here on is 3 s without a word: one that was killed for
# that would never let the mirror converge.
touch "$SLOWING"
rm -f "$HANGING"
wait_converged "$SRC" "$MIRROR" 15
wait_for 5 "remote m ok" remote_field_is m state ok
rm -f "$SLOWING"

# a verify that hangs fails (exit 4 of syncctl: could not verify) with the reason
touch "$HANGING"
t0=$(now_ms)
out=$(CTL_TIMEOUT=10 ctl verify m)
log "verify with a hung rsync: $(elapsed_since "$t0")s: $out"
grep -q 'failed: rsync killed by signal 9.*no progress for [0-9]s' <<<"$out" ||
	fail "verify: '$out'"
assert_log 'm verify: killed: no progress for [0-9]+s'
rm -f "$HANGING"
assert_syncd_running
stop_syncd TERM 5
pass
