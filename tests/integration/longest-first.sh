#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A batch starts its pushes longest first: the remote whose pushes took
# longest gets its run started before the quick ones (far mirrors' time is
# round trips; started first, it overlaps the quick ones' CPU work instead of
# waiting behind it).  Two remotes, "quick" first in the file, "slow" second,
# whose runs an rsync wrapper makes 0.4 s longer: without a full sync at
# start the first batch starts them in the file's order (nothing known yet),
# the next ones slow first; after the full syncs at start (the slow one's
# longer too) the first batch already starts the slow one first.  The order
# is read from the worker's debug lines ("NAME push: running").
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
SRC=$T/src
mkdir -p "$SRC" "$T/quick" "$T/slow" "$T/bin"
cat >"$T/bin/rsync" <<EOW
#!/bin/sh
for a; do last=\$a; done
case \$last in
*/slow/) sleep 0.4 ;;
esac
exec rsync "\$@"
EOW
chmod 755 "$T/bin/rsync"
# config [FULL-SYNC-SECTION-LINES]
config() {
	source_section "$SRC"
	local_remote quick "$T/quick"
	local_remote slow "$T/slow"
	printf '[rsync]\nbinary = %s\n' "$T/bin/rsync"
	fast_sections "$@"
}
CFG=$T/order.ini
config "$(printf '[full_sync]\non_start = no')" >"$CFG"
start_syncd "$CFG" -v
wait_ready

# order FILE: writes FILE, waits until both remotes pushed it; prints the
# remotes in the order their pushes for it started
order() {
	local before pushed
	before=$(log_count ' push: running ') pushed=$(log_count ': pushed ')
	printf '%s\n' "$1" >"$SRC/$1"
	wait_for 10 "the pushes of $1" log_count_gt ': pushed ' $((pushed + 1))
	test -s "$T/quick/$1" -a -s "$T/slow/$1" || fail "$1 is not on both mirrors"
	log_text | grep -E ' push: running ' | tail -n +$((before + 1)) |
		sed -E 's/.*[[:space:]:]([a-z]+) push: running .*/\1/' | tr '\n' ' '
}
first=$(order a)
assert_eq "$first" "quick slow " "the first batch's order (the file's: nothing known yet)"
for f in b c; do
	next=$(order "$f")
	assert_eq "$next" "slow quick " "the order of the pushes for $f (the slow one known)"
done
log "pushes started: a: $first; b, c: slow first"
assert_syncd_running
stop_syncd TERM 10

config >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_for 10 "the full syncs at start" log_count_gt ': full sync done' 1
first=$(order d)
assert_eq "$first" "slow quick " "the first batch's order after the full syncs"
assert_syncd_running
stop_syncd TERM 10
pass
