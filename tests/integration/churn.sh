#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Randomized, seeded churn: whatever the order and pace of changes, once the
# tree is quiet and a "flush" on the control socket answered, every mirror
# equals the source in names, types, contents, symlink targets and
# permission bits.
#
# For each seed: a fresh source tree (tests/helpers/churn.py populate), one
# worker with two remotes, the rsync daemon (one for all seeds, a module
# subdirectory per seed: odd seeds through the module without a password,
# whose pushes send rsync's opening with their connect, even seeds through
# the one with) and a local path; the initial full syncs are
# awaited and checked; then churn.py run makes CHURN_OPS random changes
# (files, appends, same-size rewrites, truncates, atomic saves, renames over
# files and directories, moves in and out of the tree, deletions, type
# changes, symlinks, hard links, chmods, hostile names, files held open),
# mostly back to back so that batches overlap pushes; then "flush" and
# churn.py cmp against each mirror, while the files held open still are.
# A failing seed prints its op log, the differences with the ops that touched
# each differing path, the worker log's tail and the command that replays
# it; its logs are kept in CHURN_ARTIFACTS.
#
# Environment:
#   CHURN_SEEDS        seeds to run, e.g. "7 8 9" (default: CHURN_BASE..+COUNT)
#   CHURN_BASE         first seed (default 1000), CHURN_COUNT how many (20)
#   CHURN_OPS          changes per seed (default 150)
#   CHURN_OPS_EXCLUDE  op kinds or groups left out, e.g. "known" or
#                      "link_unlink,open" (tests/helpers/churn.py kinds)
#   CHURN_OPS_ONLY     only these op kinds or groups
#   CHURN_OPTIONS      [rsync] options (default: syncd's own, -artz)
#   CHURN_RSYNC        [rsync] binary (default: syncd's own, rsync)
#   CHURN_EVENTS       [source] events (default: syncd's own)
#   CHURN_BATCH        "default" (settle 20ms, max_delay 1s) or "fast"
#                      (fast_sections: 50ms, 500ms)
#   CHURN_VERBOSE=0    run the worker without -v
#   CHURN_KEEP_GOING=0 stop at the first failing seed
#   CHURN_ARTIFACTS    where the logs of failing seeds are kept (default: a
#                      new /tmp/syncd-churn.XXXXXX, made at the first failure)
#   CHURN_TIMING=1     log how long each step of a seed took
# 20 seeds take about 45 s on 2 busy CPUs; a larger CHURN_COUNT needs a larger
# TEST_TIMEOUT for tests/run-integration (make soak sets it).
# shellcheck disable=SC2016,SC2317 # $(...) in messages is literal; functions called through wait_for
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
need_python
CHURN=$TESTS_DIR/helpers/churn.py
# the interpreter itself, not a wrapper script (pyenv's shim costs 0.1 s a
# run); -S: churn.py needs the standard library only
PY=$(python3 -c 'import sys; print(sys.executable)') || fail "python3 does not run"
churn() { "$PY" -S "$CHURN" "$@"; }

if [ -n "${CHURN_SEEDS:-}" ]; then
	read -r -a seeds <<<"${CHURN_SEEDS//,/ }"
else
	base=${CHURN_BASE:-1000}
	count=${CHURN_COUNT:-20}
	seeds=()
	for ((s = base; s < base + count; s++)); do seeds+=("$s"); done
fi
[ ${#seeds[@]} -gt 0 ] || fail "no seeds (CHURN_SEEDS, CHURN_BASE, CHURN_COUNT)"
OPS=${CHURN_OPS:-150}
EVENTS=${CHURN_EVENTS:-}
# the kinds are checked once, before anything starts
churn run --seed 0 --src /nonexistent --outside /nonexistent --log /dev/null \
	--ops 0 --ops-exclude "${CHURN_OPS_EXCLUDE:-}" --ops-only "${CHURN_OPS_ONLY:-}" ||
	fail "bad CHURN_OPS_EXCLUDE or CHURN_OPS_ONLY"

# What replays one seed: the CHURN_* settings given, the build, this test.
replay_env=
for v in CHURN_OPS CHURN_OPS_EXCLUDE CHURN_OPS_ONLY CHURN_OPTIONS CHURN_RSYNC CHURN_EVENTS CHURN_BATCH \
	CHURN_VERBOSE; do
	[ -z "${!v:-}" ] || replay_env+="$v=$(printf '%q' "${!v}") "
done
[ "$RSYNCD_BIN" = rsync ] || replay_env+="RSYNCD_BIN=$(printf '%q' "$RSYNCD_BIN") "
build_dir=$(dirname "$SYNCD")
build_dir=${build_dir#"$REPO_ROOT"/}
replay_cmd() { # SEED
	printf '%sCHURN_SEEDS=%s tests/run-integration %s churn' "$replay_env" "$1" "$build_dir"
}

# One rsync daemon for all seeds; each seed has its own module subdirectory,
# local mirror, worker (and worker log: SYNCD_LOG is set per seed).
start_rsyncd
verbose=(-v)
[ "${CHURN_VERBOSE:-1}" = 1 ] || verbose=()

CUR_SEED=
ARTIFACTS=${CHURN_ARTIFACTS:-}
failed_seeds=()

# lib.sh's fail, with the seed and the replay command first.
eval "lib_fail() $(declare -f fail | tail -n +2)"
fail() {
	if [ -n "$CUR_SEED" ]; then
		printf 'FAIL: seed %s: %s\n' "$CUR_SEED" "$*" >&2
		keep_artifacts "$CUR_SEED" "$T/s$CUR_SEED"
		[ ! -s "${OPLOG:-}" ] || {
			echo "---- last 15 ops (all of them: $ARTIFACTS/seed-$CUR_SEED/ops.log) ----" >&2
			tail -n 15 "$OPLOG" >&2
		}
		printf 'replay: %s\n' "$(replay_cmd "$CUR_SEED")" >&2
	fi
	lib_fail "$@"
}

full_syncs_done() { [ "$(grep -c ': full sync done' "$SYNCD_LOG")" -ge 2 ]; }
gen_finished() { [ -e "$GEN_DONE" ] || ! _lib_alive "$GEN_PID"; }

# keep_artifacts SEED DIR: copy a failing seed's logs out of $T.
keep_artifacts() {
	local seed=$1 d=$2
	if [ -z "$ARTIFACTS" ]; then
		ARTIFACTS=$(mktemp -d /tmp/syncd-churn.XXXXXX) || return
	fi
	mkdir -p "$ARTIFACTS/seed-$seed"
	cp "$d"/ops.log "$d"/syncd.log "$d"/*.diff "$d"/*.paths "$d"/*.history "$d"/churn.ini \
		"$ARTIFACTS/seed-$seed/" 2>/dev/null
}

# report SEED DIR WHAT: everything about a failing seed; one summary line
# for the end in $summary.
summary=()
report() {
	local seed=$1 d=$2 what=$3 r line=
	keep_artifacts "$seed" "$d"
	{
		echo "======== seed $seed FAILED: $what"
		grep '^# done' "$d/ops.log"
		echo "---- last 25 ops (all of them: $ARTIFACTS/seed-$seed/ops.log) ----"
		grep -v '^#' "$d/ops.log" | tail -n 25
		for r in rd loc; do
			[ -s "$d/$r.diff" ] || continue
			echo "---- $r ($(remote_dir "$r" "$seed")): $(head -n 1 "$d/$r.diff")"
			tail -n +2 "$d/$r.diff"
			[ ! -s "$d/$r.history" ] || {
				echo "---- $r: the ops behind each difference ----"
				head -n 150 "$d/$r.history"
			}
		done
		echo "---- last 30 lines of the worker log ($ARTIFACTS/seed-$seed/syncd.log) ----"
		grep -v '^==== ' "$d/syncd.log" | tail -n 30
		echo "---- replay: $(replay_cmd "$seed")"
	} >&2
	for r in rd loc; do
		[ -s "$d/$r.diff" ] || continue
		line+="$r: $(head -n 1 "$d/$r.diff" | sed 's/ (.*//'), last op $(sed -n 's/^# last op on each differing path (or its parent), by kind: //p' "$d/$r.history" 2>/dev/null); "
	done
	summary+=("seed $seed: ${line:-$what}")
}

remote_dir() { # rd|loc SEED
	if [ "$1" = rd ]; then echo "$MIRROR/s$2"; else echo "$T/s$2/local"; fi
}

# overlap LOG: "N batches, M sealed while a push ran" from a -v log.
overlap() {
	awk '{r = $2; sub(/:$/, "", r)}
		/ (push|link pass): running /{busy[r] = 1}
		/: (pushed [0-9]+ paths|link pass of a directory .* done|link pass for a moved directory failed)/ ||
		/: push failed/ {busy[r] = 0}
		/ sealed: /{n++; for (r in busy) if (busy[r]) {o++; break}}
		END {printf "%d batches, %d sealed while a push ran", n, o}' "$1"
}

ts() { [ -z "${CHURN_TIMING:-}" ] || log "seed $CUR_SEED: $1 at $(elapsed_since "$SEED_T0")s"; }

run_seed() {
	local seed=$1 d=$T/s$1 r out rc bad=
	CUR_SEED=$seed
	SEED_T0=$(now_ms)
	mkdir -p "$d/src" "$d/outside" "$d/local" "$MIRROR/s$seed"
	OPLOG=$d/ops.log
	churn populate --seed "$seed" --src "$d/src" --outside "$d/outside" ||
		fail "churn.py populate failed"
	local cfg=$d/churn-$seed.ini
	{
		source_section "$d/src" ${EVENTS:+"events = $EVENTS"}
		if ((seed % 2)); then
			RSYNCD_URL=$RSYNCD_OPEN_URL RSYNCD_AUTH=no rsyncd_remote rd
		else
			rsyncd_remote rd
		fi | sed "s|^target = .*|&/s$seed|"
		local_remote loc "$d/local"
		if [ -n "${CHURN_OPTIONS:-}" ] || [ -n "${CHURN_RSYNC:-}" ]; then
			printf '[rsync]\n'
			[ -z "${CHURN_OPTIONS:-}" ] || printf 'options = %s\n' "$CHURN_OPTIONS"
			[ -z "${CHURN_RSYNC:-}" ] || printf 'binary = %s\n' "$CHURN_RSYNC"
		fi
		if [ "${CHURN_BATCH:-default}" = fast ]; then
			fast_sections
		else
			# the default batching; quick retries, should a push fail
			printf '[retry]\nmin_backoff = 200ms\nmax_backoff = 1s\n'
		fi
	} >"$cfg"
	cp "$cfg" "$d/churn.ini"
	SYNCD_LOG=$d/syncd.log
	ts populated
	start_syncd "$cfg" "${verbose[@]}"
	wait_ready 20
	wait_ctl 20
	# churn only once the initial full syncs are over: their --delete
	# would race with the first changes (syncd handles that, but it is not
	# what this test is about)
	wait_for 30 "the initial full sync of both remotes" full_syncs_done
	for r in rd loc; do
		churn cmp "$d/src" "$(remote_dir "$r" "$seed")" >"$d/initial.diff" ||
			fail "the mirror $r differs from the source after the initial full sync: $(cat "$d/initial.diff")"
	done
	ts "initial sync checked"

	GEN_DONE=$d/gen.done
	"$PY" -S "$CHURN" run --seed "$seed" --src "$d/src" --outside "$d/outside" --log "$OPLOG" \
		--ops "$OPS" --ops-exclude "${CHURN_OPS_EXCLUDE:-}" --ops-only "${CHURN_OPS_ONLY:-}" \
		--done "$GEN_DONE" --stop "$d/gen.stop" 2>"$d/gen.stderr" &
	GEN_PID=$!
	_lib_track "$GEN_PID"
	wait_for 120 "churn.py run" gen_finished
	if [ ! -e "$GEN_DONE" ]; then
		cat "$d/gen.stderr" >&2
		fail "churn.py run failed (a bug of the test, not of syncd)"
	fi
	ts "churn done"

	# The tree is quiet; the files held open stay open (and written to
	# since their last write) until the comparison is over.
	out=$(CTL_TIMEOUT=$((40 * TEST_SLOW)) ctl flush "$((30 * TEST_SLOW))s")
	rc=$?
	case $rc:$out in
	0:ok*) ;;
	*) bad="flush answered '$out' (status $rc)" ;;
	esac
	ts flushed
	assert_syncd_running
	for r in rd loc; do
		if churn cmp "$d/src" "$(remote_dir "$r" "$seed")" --paths "$d/$r.paths" >"$d/$r.diff"; then
			rm -f "$d/$r.diff" "$d/$r.paths"
		else
			bad+="${bad:+; }the mirror $r differs"
			churn history "$OPLOG" --paths "$d/$r.paths" >"$d/$r.history"
		fi
	done
	ts compared

	: >"$d/gen.stop"
	wait "$GEN_PID" 2>/dev/null
	stop_syncd
	assert_no_canary
	ts stopped
	if [ -n "$bad" ]; then
		report "$seed" "$d" "$bad"
		failed_seeds+=("$seed")
	else
		log "seed $seed: ok ($(sed -n 's/^ops=\([0-9]*\) held=\([0-9]*\)/\1 ops, \2 files held open/p' "$GEN_DONE")$(
			[ ${#verbose[@]} = 0 ] || printf ', %s' "$(overlap "$SYNCD_LOG")"))"
		rm -rf "$d" "${MIRROR:?}/s$seed"
	fi
	CUR_SEED=
}

t0=$(now_ms)
log "seeds ${seeds[*]}; $OPS ops each${CHURN_OPS_EXCLUDE:+, without $CHURN_OPS_EXCLUDE}${CHURN_OPS_ONLY:+, only $CHURN_OPS_ONLY}"
ran=0
for seed in "${seeds[@]}"; do
	run_seed "$seed"
	ran=$((ran + 1))
	[ ${#failed_seeds[@]} -eq 0 ] || [ "${CHURN_KEEP_GOING:-1}" = 1 ] || break
done
log "$ran seeds in $(elapsed_since "$t0")s"
if [ ${#failed_seeds[@]} -gt 0 ]; then
	{
		echo "======== ${#failed_seeds[@]} of $ran seeds failed (their logs: $ARTIFACTS)"
		printf '%s\n' "${summary[@]}"
		echo "replay one: $(replay_cmd "${failed_seeds[0]}")"
		[ ${#failed_seeds[@]} = 1 ] || echo "replay all: $(replay_cmd "'${failed_seeds[*]}'")"
		echo "(the same seed makes the same changes; their timing, and so a race, may differ)"
	} >&2
	SYNCD_LOG=/dev/null
	fail "${#failed_seeds[@]} of $ran seeds left a mirror different from the source: ${failed_seeds[*]}"
fi
pass "${#seeds[@]} seeds, $OPS ops each: every mirror equals the source"
