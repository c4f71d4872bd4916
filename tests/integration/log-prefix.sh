#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The "<N>" level prefix is for a reader that reads it, and a line carries
# no tag where the journal adds one:
#  - `syncd --check` is plain "syncd: error: FILE:LINE: ..." into a file;
#  - a worker whose stderr is a file is plain "syncd[NAME]: info: ...";
#  - a worker whose stderr is the stream JOURNAL_STREAM names is "<6>..."
#    without "syncd[NAME]: " (journald shows syncd[pid]);
#  - syncctl's lines into a file are plain, with each worker line relayed
#    at the worker's level (its workers keep the prefix: SIGHUP, a warning,
#    is relayed as one);
#  - syncctl's lines into the journal are "<N>NAME: ..." without
#    "syncctl: ", and a relayed worker line keeps its level.
# (lib.sh sets SYNCD_LOG_PREFIX=1 for the other tests; unset here.)
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
unset SYNCD_LOG_PREFIX
SRC=$T/src
mkdir -p "$SRC" "$T/dst"
printf 'x\n' >"$SRC/x"
WRAPPER=()
if [ -n "${SYNCD_WRAPPER:-}" ]; then read -r -a WRAPPER <<<"$SYNCD_WRAPPER"; fi

# no "<N>" in a line of this run of the log
no_prefix() {
	if run_log_text | grep -q '^<'; then
		fail "$1: a line with a '<N>' prefix: $(run_log_text | grep '^<' | head -n 3)"
	fi
}

# ---- --check into a file, even with the relay variable set
printf '[source]\npath = %s\nbogus = 1\n' "$SRC" >"$T/bad.ini"
SYNCD_LOG_PREFIX=1 "${WRAPPER[@]}" "$SYNCD" --check --config "$T/bad.ini" >"$T/check.out" 2>&1 </dev/null
rc=$?
assert_eq "$rc" 2 "--check exit status on a bad file"
grep -q "^syncd: error: $T/bad.ini:3: " "$T/check.out" ||
	fail "--check: no plain 'syncd: error: FILE:3: ' line: $(cat "$T/check.out")"
! grep -q '^<' "$T/check.out" || fail "--check: a '<N>' prefix: $(cat "$T/check.out")"
log "--check: $(head -n 1 "$T/check.out" | _lib_hide_T)"

CFG=$T/lp.ini
{
	source_section "$SRC"
	fast_sections
	local_remote m "$T/dst"
} >"$CFG"

# ---- a worker into a file: plain, tagged
start_syncd "$CFG"
wait_ready
wait_converged "$SRC" "$T/dst"
run_log_text | grep -q '^syncd\[lp\]: info: .*ready' ||
	fail "worker into a file: no plain 'syncd[lp]: info: ... ready' line"
no_prefix "worker into a file"
stop_syncd

# ---- a worker into the journal's stream: "<N>", untagged
JOURNAL_STREAM=$(stat -c '%d:%i' "$SYNCD_LOG")
export JOURNAL_STREAM
start_syncd "$CFG"
wait_ready
kill -HUP "$SYNCD_PID"
wait_for 5 "the SIGHUP warning" eval "run_log_text | grep -q '^<4>SIGHUP ignored'"
run_log_text | grep -q '^<6>ready' || fail "worker into the journal: no '<6>ready ...' line"
if run_log_text | grep -v '^<[0-7]>' | grep -q .; then
	fail "worker into the journal: a line without '<N>': $(run_log_text | grep -v '^<[0-7]>' | head -n 3)"
fi
if run_log_text | grep -q 'syncd\['; then
	fail "worker into the journal: its own tag: $(run_log_text | grep 'syncd\[' | head -n 3)"
fi
stop_syncd
unset JOURNAL_STREAM

# ---- the supervisor into a file: plain, worker levels relayed
need_syncctl
instance_ini www
printf 'w\n' >"$(isrc www)/w"
start_supervisor
wait_state www running 10
pid=$(instance_pid www)
kill -HUP "$pid"
wait_for 5 "the relayed SIGHUP warning" eval "run_log_text | grep -q '^syncctl: warning: www: SIGHUP ignored'"
run_log_text | grep -q '^syncctl: info: www: started' || fail "supervisor into a file: no 'syncctl: info: www: started'"
no_prefix "supervisor into a file"
stop_supervisor

# ---- the supervisor into the journal's stream: "<N>NAME: ...", untagged
JOURNAL_STREAM=$(stat -c '%d:%i' "$SUPERVISOR_LOG")
export JOURNAL_STREAM
start_supervisor
wait_state www running 10
pid=$(instance_pid www)
kill -HUP "$pid"
wait_for 5 "the relayed SIGHUP warning" eval "run_log_text | grep -q '^<4>www: SIGHUP ignored'"
run_log_text | grep -q '^<6>www: started' || fail "supervisor into the journal: no '<6>www: started'"
if run_log_text | grep -Eq 'syncctl: |syncd\['; then
	fail "supervisor into the journal: a tag: $(run_log_text | grep -E 'syncctl: |syncd\[' | head -n 3)"
fi
stop_supervisor
pass
