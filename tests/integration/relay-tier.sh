#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A relay tier in the network lab: source -> relay -> 3 leaves.  A syncd on
# the source pushes to host 1's rsync daemon; a second syncd watches that
# daemon's module (the lab's hosts share this machine's file system) and
# pushes to hosts 2-4, as the recipe in syncd.ini(5) RELAYS says: the
# relay's daemon writes its temporary files into a directory of the module
# that both workers exclude.  Creates, updates, renames, deletes and a big
# file whose upload stalls for 2 s end exact on every leaf, and no leaf ever
# gets one of the upstream push's temporary files (".NAME.XXXXXX"): neither
# under that name (a rename onto it) nor as the leaf's own temporary file
# for it ("..NAME.XXXXXX.YYYYYY").  Without the recipe the stalled big
# file's temporary file reached the leaves (pushed as it was after
# [source] unclosed), and the relay's worker warned that rsync writes into
# its tree.  Needs root and network namespaces (skipped without);
# normal build, system rsync only.  About 6 s.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
case $SYNCD in
*/build-san/*) skip "the lab is tested with the normal build only" ;;
esac
[ -z "${TEST_RSYNC:-}${TEST_RSYNCD:-}" ] || skip "the lab is tested with the system's rsync only"
command -v inotifywait >/dev/null || skip "inotifywait (inotify-tools) not installed"
need_syncd
netlab_up 4 rtt=10
RELAY=$NETLAB_DIR/h1/mirror
LEAVES=("$NETLAB_DIR/h2/mirror" "$NETLAB_DIR/h3/mirror" "$NETLAB_DIR/h4/mirror")
SRC=$T/src
mkdir -p "$SRC/docs/old" "$SRC/keep" "$RELAY/.rsync-tmp"
for i in $(seq 1 20); do printf 'doc %s\n' "$i" >"$SRC/docs/d$i.html"; done
for i in $(seq 1 5); do printf 'old %s\n' "$i" >"$SRC/docs/old/o$i"; done
printf 'kept\n' >"$SRC/keep/k"

# the recipe: the relay's daemon writes its temporary files in a directory
# of their own, which both workers exclude (the daemon reads its
# configuration per connection; a daemon's temp dir is always inside its
# module)
printf '    temp dir = /.rsync-tmp\n' >>"$NETLAB_DIR/h1/rsyncd.conf"
# a big file takes a while over the first hop
netlab set 1 rtt=10 rate=40mbit || fail "netlab set 1"

# every name made on a leaf, from the start
inotifywait -m -r -e create,moved_to --format '%e %w%f' "${LEAVES[@]}" >"$T/leaf-events" 2>"$T/inotifywait.err" &
_lib_track "$!"
wait_for 10 "inotifywait's watches" grep -q 'Watches established' "$T/inotifywait.err"

RCFG=$T/relay.ini
{
	source_section "$RELAY" 'exclude = /.rsync-tmp/'
	for h in 2 3 4; do
		printf '[remote leaf%s]\ntarget = rsync://%s/mirror/\n' "$h" "$(netlab addr $h)"
	done
	printf '[retry]\nmin_backoff = 200ms\nmax_backoff = 1s\n'
} >"$RCFG"
start_syncd "$RCFG"
wait_ready

# the source's worker: a second one, with its own state and log
SCFG=$T/source.ini
{
	source_section "$SRC" 'exclude = /.rsync-tmp/'
	printf '[remote relay]\ntarget = rsync://%s/mirror/\n' "$(netlab addr 1)"
	printf '[retry]\nmin_backoff = 200ms\nmax_backoff = 1s\n'
} >"$SCFG"
mkdir -p "$T/source-state" "$T/source-run"
_lib_launch "$T/source.rc" "$T/source.log" "$SYNCD" --config "$SCFG" \
	--state-dir "$T/source-state" --runtime-dir "$T/source-run"
[ -n "$_LIB_LAUNCHED" ] || fail "the source's worker did not start"
_lib_track "$_LIB_LAUNCHED"

converged_everywhere() {
	local l
	wait_converged "$SRC" "$RELAY" 30 --exclude=/.rsync-tmp/
	for l in "${LEAVES[@]}"; do
		wait_converged "$SRC" "$l" 30
	done
}
converged_everywhere

# churn: new files and directories, updates, renames of files and of a
# directory, deletes, a big file
for i in $(seq 1 30); do printf 'new %s\n' "$i" >"$SRC/docs/n$i.html"; done
mkdir -p "$SRC/a/b/c"
for i in $(seq 1 10); do printf 'deep %s\n' "$i" >"$SRC/a/b/c/f$i"; done
for i in $(seq 1 10); do printf 'doc %s, edited\n' "$i" >"$SRC/docs/d$i.html"; done
mv "$SRC/docs/d11.html" "$SRC/docs/renamed.html"
mv "$SRC/docs/old" "$SRC/archive"
rm "$SRC/docs/d12.html" "$SRC/docs/d13.html"
rm -r "$SRC/keep"
head -c 6000000 /dev/urandom >"$SRC/big.iso"
# the first hop stalls in the middle of the big file: the relay's rsync
# stops writing its temporary file, which the relay's worker pushes as it
# is after [source] unclosed (1 s) unless it is excluded
big_temp_there() { find "$RELAY" -name '*big.iso.??????' -size +100k | grep -q .; }
wait_for 10 "the big file's temporary file on the relay" big_temp_there
netlab set 1 stall=1 || fail "netlab set 1 stall=1"
sleep 2
netlab set 1 stall=0 || fail "netlab set 1 stall=0"
for i in $(seq 1 10); do printf 'during the big one %s\n' "$i" >"$SRC/docs/during$i"; done
mv "$SRC/docs/n1.html" "$SRC/a/b/n1.html"
converged_everywhere

# a rewrite of the big file and a few more small changes
head -c 3000000 /dev/urandom >"$SRC/big.iso"
rm "$SRC/docs/n2.html"
printf 'last\n' >"$SRC/last"
converged_everywhere

# an upstream temp file, under its name or as the leaf's own temp file
temps=$(grep -E '^MOVED_TO .*/\.[^/]+\.[A-Za-z0-9]{6}$|^CREATE .*/\.\.[^/]+\.[A-Za-z0-9]{6}\.[A-Za-z0-9]{6}$' "$T/leaf-events")
[ -z "$temps" ] || fail "upstream temporary files reached the leaves: $(head -n 5 <<<"$temps")"
log "$(wc -l <"$T/leaf-events") names made on the leaves, none an upstream temporary file"
[ -z "$(ls -A "$RELAY/.rsync-tmp")" ] || fail "the relay's temp dir is not empty"
assert_no_log 'rsync writes into the tree'
[ ! -s "$T/source.rc" ] || fail "the source's worker exited with status $(cat "$T/source.rc")"
assert_syncd_running
stop_syncd
pass
