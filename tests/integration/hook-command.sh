#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Command hooks get exactly the expected changes for a scripted sequence
# (create, modify, rename, delete), one kind per run, with include_regex and
# exclude_regex honoured; a when = mirrored hook runs only once the mirror
# has the change; names like '$(touch CANARY);x' and one with a newline are
# arguments like any other (no CANARY appears anywhere); the environment
# names the instance, hook, kind and source; batch = N puts several paths in
# one run; the command's output goes to the log.
# shellcheck disable=SC2016 # the $(...) in a name is literal
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src
mkdir -p "$SRC/skip"
EACH=$T/each.rec MANY=$T/many.rec
CFG=$T/cmd.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[hook each]\ntype = command\nrun = %s %s %s\n' "$HOOK_RECORD" "$EACH" "$MIRROR"
	printf 'include_regex = \\.txt$\nexclude_regex = ^skip/\n'
	printf '[hook many]\ntype = command\nrun = %s %s %s\nwhen = changed\nbatch = 100\n' \
		"$HOOK_RECORD" "$MANY" "$MIRROR"
} >"$CFG"
start_syncd "$CFG"
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"

# step NAME EXPECTED-RUNS-OF-each: after the change, flush, then wait for
# the hook "each" to have run that often in all.
step() {
	ctl flush 10s >/dev/null || fail "$1: flush failed"
	wait_for 10 "$1: hook each has run $2 times" hook_ran "$EACH" "$2"
	sleep 0.3 # a run too many would show now
	assert_eq "$(hook_run_count "$EACH")" "$2" "$1: runs of hook each"
}

printf 'a\n' >"$SRC/a.txt"
printf 'b\n' >"$SRC/b.log"
printf 's\n' >"$SRC/skip/s.txt"
step create 1
printf 'more\n' >>"$SRC/a.txt"
step modify 2
CANARY_NAME='$(touch CANARY);x.txt'
printf 'c\n' >"$SRC/$CANARY_NAME"
step canary 3
NL_NAME=$(printf 'new\nline.txt')
printf 'n\n' >"$SRC/$NL_NAME"
step newline 4
mv "$SRC/a.txt" "$SRC/c.txt"
step rename 6
rm "$SRC/c.txt"
step delete 7

expected=$(
	printf 'update\t%q\n' a.txt a.txt "$CANARY_NAME" "$NL_NAME" c.txt
	printf 'delete\t%q\n' a.txt c.txt
)
got=$(hook_events "$EACH")
if [ "$got" != "$(printf '%s\n' "$expected" | sort)" ]; then
	printf 'expected:\n%s\ngot:\n%s\n' "$(printf '%s\n' "$expected" | sort)" "$got" >&2
	fail "hook each did not get exactly the expected changes"
fi
# one path per run (batch 1), and each on the mirror (or gone from it) first
hook_runs "$EACH" | awk -F'\t' '$2 != 1 || $4 != "mirrored" { bad = 1; print "bad run: " $0 > "/dev/stderr" } END { exit bad }' ||
	fail "hook each ran with more than one path, or before the mirror had the change"

# the environment
fields=$(tr '\0' '\n' <"$EACH" | head -6 | tr '\n' ' ')
assert_eq "$fields" "RUN update cmd each $SRC 1 " "the first record's environment fields"

# hook many: no filter, when = changed; everything, with several paths in a run
wait_for 10 "hook many saw the deletion of c.txt" sh -c "tr '\\0' '\\n' <'$MANY' | grep -qx '$SRC/c.txt'"
many=$(hook_events "$MANY")
for want in "update	b.log" "update	skip/s.txt" "update	a.txt" "delete	c.txt"; do
	grep -qxF "$want" <<<"$many" || fail "hook many did not get '$want': $many"
done
max=$(hook_runs "$MANY" | cut -f2 | sort -n | tail -1)
[ "$max" -ge 2 ] || fail "hook many (batch = 100) never ran with more than one path"
log "hook many: $(hook_run_count "$MANY") runs, at most $max paths in one"

# the output of the command is logged; nothing ran the canary
assert_log 'hook each: recorded 1 paths'
assert_no_canary
j=$(ctl status --json)
assert_eq "$(json_entry_field "$j" hooks each delivered)" 7 "changes delivered by hook each"
assert_eq "$(json_entry_field "$j" hooks each calls_failed)" 0 "failed calls of hook each"
assert_syncd_running
stop_syncd
pass
