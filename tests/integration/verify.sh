#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "syncctl verify" proves each mirror (a real rsync daemon and a local
# target): exit 0 once converged; after drift made by hand on the daemon's
# mirror (a file's content changed with its size and mtime kept, a file
# deleted, an extra file, a chmod, a symlink pointed elsewhere, files with
# odd names changed) exit 1 with each of them named, and the local mirror
# still ok; files written continuously in the source (one of them kept
# open) while a correct mirror is verified are not drift (exit 0, and the
# answer says some were not counted); [verify] every logs the drift as a
# warning and status shows the last result; a remote that is down, or that
# cannot catch up before the timeout, gives exit 4 (could not verify).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
LOCAL=$T/local
mkdir -p "$SRC/d" "$LOCAL"
for i in $(seq 1 40); do printf 'file %s\n' "$i" >"$SRC/d/f$i"; done
printf 'same size\n' >"$SRC/same"
printf 'to be lost\n' >"$SRC/gone"
printf 'mode\n' >"$SRC/mode"
printf 'other\n' >"$SRC/other"
ln -s same "$SRC/link"
# names rsync escapes in its lines (\#ooo), and a backslash before "#123"
printf 'odd\n' >"$SRC/new"$'\n'"line"
printf 'odd\n' >"$SRC/caf"$'\xe9'
printf 'odd\n' >"$SRC/back\\#123"
# Where syncctl looks for instances, as for a worker that systemd runs.
mkdir -p "$T/etc/instances.d"
CFG=$T/etc/instances.d/vfy.ini
write_cfg() {
	{
		source_section "$SRC"
		rsyncd_remote daemon
		local_remote local "$LOCAL"
		fast_sections
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$CFG"
}
write_cfg
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"
wait_converged "$SRC" "$LOCAL"

vctl() {
	env SYNCD_CONFIG_DIR="$T/etc" SYNCD_RUNTIME_DIR="$SYNCD_RUNTIME" SYNCD_STATE_DIR="$SYNCD_STATE" \
		timeout -k 5 $((60 * TEST_SLOW)) "$SYNCCTL" "$@"
}

# ---- converged: every mirror matches (no instance named: all of them)
t0=$(now_ms)
out=$(vctl verify)
rc=$?
log "verify of converged mirrors: status $rc after $(elapsed_since "$t0")s: $out"
[ "$rc" = 0 ] || fail "verify of converged mirrors: status $rc: $out"
grep -q '^vfy: ok' <<<"$out" || fail "verify: no 'vfy: ok' line: $out"
grep -q '^  remote daemon: ok' <<<"$out" || fail "verify: daemon not ok: $out"
grep -q '^  remote local: ok' <<<"$out" || fail "verify: local not ok: $out"

# ---- drift made by hand on the daemon's mirror
printf 'SAME SIZE\n' >"$MIRROR/same"
touch -r "$SRC/same" "$MIRROR/same" # same size, same mtime: rsync's quick check sees nothing
rm "$MIRROR/gone"
printf 'not in the source\n' >"$MIRROR/extra"
chmod 600 "$MIRROR/mode"
ln -sfn other "$MIRROR/link"
for f in "new"$'\n'"line" "caf"$'\xe9' "back\\#123"; do printf 'other size\n' >"$MIRROR/$f"; done
t0=$(now_ms)
out=$(vctl verify vfy)
rc=$?
log "verify after drift: status $rc after $(elapsed_since "$t0")s:"
printf '%s\n' "$out" >&2
[ "$rc" = 1 ] || fail "verify after drift: status $rc (expected 1): $out"
grep -q '^vfy: drift: differs from the source: daemon$' <<<"$out" ||
	fail "verify: first line does not name the daemon remote alone: $out"
grep -q '^  remote daemon: drift, 8 differences' <<<"$out" || fail "verify: not 8 differences: $out"
grep -q '^  remote local: ok' <<<"$out" || fail "verify: the local mirror is not ok: $out"
# (odd bytes as \xNN, a backslash doubled, as in the log)
for want in 'content same' 'missing gone' 'extra extra' 'perms mode' 'target link' \
	'content new\x0aline' 'content caf\xe9' 'content back\\#123'; do
	grep -qxF "    $want" <<<"$out" || fail "verify does not name '$want': $out"
done
j=$(vctl verify --json vfy)
rc=$?
[ "$rc" = 1 ] || fail "verify --json after drift: status $rc: $j"
assert_eq "$(json_field "$j" result)" drift "verify --json result"
assert_eq "$(json_field "$j" instances.0.worker.remotes.0.differences)" 8 "verify --json differences"
assert_eq "$(json_field "$j" instances.0.worker.remotes.1.result)" ok "verify --json local result"
for want in same 'new\\u000aline' 'caf\\u00e9' 'back\\\\#123'; do
	json_flat <<<"$j" | grep -qx "instances.0.worker.remotes.0.paths.[0-9]*.path=$want" ||
		fail "verify --json does not list '$want': $j"
done

# set the mirror right again (a checksum copy: the quick check misses 'same')
rsync -ac --delete "$SRC/" "$MIRROR/" || fail "repairing the mirror"
out=$(vctl verify vfy) || fail "verify after the repair: status $?: $out"

# ---- files written all the time in the source (and one kept open) while a
# correct mirror is verified: not drift
mkdir -p "$SRC/churn"
(
	i=0
	exec 9>>"$SRC/churn/open.log" # written all along, closed only at the end
	while [ ! -e "$T/churn.stop" ]; do
		i=$((i + 1))
		printf 'line %s\n' "$i" >&9
		printf 'churn %s\n' "$i" >"$SRC/churn/f$((i % 300))"
		[ $((i % 7)) = 0 ] && rm -f "$SRC/churn/f$(((i + 150) % 300))"
		[ $((i % 50)) = 0 ] && mkdir -p "$SRC/churn/d$i" && printf '%s\n' "$i" >"$SRC/churn/d$i/x"
		sleep 0.002
	done
) &
_lib_track "$!"
sleep 0.3
not_counted=0
for round in 1 2; do
	t0=$(now_ms)
	out=$(vctl verify vfy)
	rc=$?
	log "verify during churn ($round): status $rc after $(elapsed_since "$t0")s: $out"
	[ "$rc" = 0 ] || fail "verify during churn (round $round): status $rc: $out"
	n=$(printf '%s\n' "$out" | sed -n 's/.*not counted: \([0-9]*\) path.*/\1/p' | awk '{s += $1} END {print s + 0}')
	not_counted=$((not_counted + n))
done
touch "$T/churn.stop"
log "differences not counted because their paths changed meanwhile: $not_counted"
[ "$not_counted" -gt 0 ] || fail "the churn never showed up as a difference: the test proves nothing"
wait_converged "$SRC" "$MIRROR"
wait_converged "$SRC" "$LOCAL"
stop_syncd

# ---- [verify] every, under the supervisor: the drift is logged as a
# warning, and syncctl status shows the last verify's result
write_cfg '[verify]' 'every = 300ms'
start_supervisor
wait_state vfy running
wait_for 10 "a scheduled verify that finds the mirrors equal" \
	log_count_gt '^<6>.*local: verify: the mirror matches the source' 0
printf 'X\n' >"$LOCAL/d/f1" # "file 1" was 7 bytes: content and size
wait_for 10 "the drift warning" \
	log_count_gt '^<4>.*local: verify: the mirror differs from the source in 1 path: content d/f1$' 0
assert_log 'daemon: verify: the mirror matches the source'
vfy_field() { instance_field vfy "worker.remotes.$1.verify.$2"; }
vfy_field_is() { [ "$(vfy_field "$1" "$2")" = "$3" ]; }
wait_for 5 "status --json showing the drift" vfy_field_is 1 result drift
assert_eq "$(vfy_field 1 differences)" 1 "status: local differences"
assert_eq "$(vfy_field 1 paths.0.path)" d/f1 "status: local path"
assert_eq "$(vfy_field 1 paths.0.what.0)" content "status: what differs"
vfy_field 1 time | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' || fail "status: no verify time"
assert_eq "$(vfy_field 0 result)" ok "status: daemon verify result"
out=$(sctl status vfy)
grep -q '^    last verify: drift, 1 difference at ' <<<"$out" || fail "syncctl status: $out"
# syncctl verify of what the supervisor runs
out=$(sctl verify)
rc=$?
[ "$rc" = 1 ] || fail "syncctl verify under the supervisor: status $rc: $out"
grep -qxF '    content d/f1' <<<"$out" || fail "syncctl verify under the supervisor: $out"
cp -p "$SRC/d/f1" "$LOCAL/d/f1"
stop_supervisor

# ---- a mirror that is down: could not verify (4)
write_cfg
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"
stop_rsyncd
out=$(vctl verify)
rc=$?
log "verify with the daemon down: status $rc: $out"
[ "$rc" = 4 ] || fail "verify with the daemon down: status $rc (expected 4): $out"
grep -q '^vfy: error: could not verify: daemon$' <<<"$out" || fail "verify, daemon down: $out"
grep -q '^  remote daemon: failed: rsync exit code 5: syncd connector: failed to connect' <<<"$out" || fail "verify, daemon down: $out"
grep -q '^  remote local: ok' <<<"$out" || fail "verify, daemon down: local: $out"
# and one that has changes it cannot take: the verify waits for them until
# its timeout
printf 'late\n' >"$SRC/late"
t0=$(now_ms)
out=$(vctl verify --timeout 1s vfy)
rc=$?
ms=$(($(now_ms) - t0))
log "verify --timeout 1s with a change the daemon cannot take: status $rc after ${ms}ms: $out"
[ "$rc" = 4 ] || fail "verify --timeout 1s: status $rc (expected 4): $out"
grep -q '^  remote daemon: failed: changes made before the verify are still not on the mirror' <<<"$out" ||
	fail "verify --timeout 1s: $out"
[ "$ms" -le 3000 ] || fail "verify --timeout 1s took ${ms}ms"
# a worker that does not run
stop_syncd
out=$(vctl verify vfy 2>&1)
rc=$?
[ "$rc" = 4 ] || fail "verify of a stopped instance: status $rc (expected 4): $out"
grep -q 'vfy: not running' <<<"$out" || fail "verify of a stopped instance: $out"
out=$(vctl verify nosuch 2>&1)
rc=$?
[ "$rc" = 6 ] || fail "verify of an unknown instance: status $rc (expected 6): $out"
pass
