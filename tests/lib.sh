#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared helpers for the syncd integration tests, sourced by every
# tests/integration/*.sh (and by tests/demo.sh).
#
# Sourcing this file:
#   - creates a private temp dir $T under /tmp (removed on exit unless
#     KEEP_TMP=1),
#   - installs an EXIT trap that stops every process the test started
#     (syncd, rsync daemons, sshd) by pid,
#   - sets SYNCD to the worker binary (env SYNCD, default build/syncd in the
#     repo root; a relative path is taken relative to the repo root).
#
# Exit statuses of a test: 0 pass, 1 fail, 77 skip.
#
# Optional environment:
#   SYNCD_WRAPPER  whitespace-separated command put in front of $SYNCD,
#                  e.g. "valgrind -q --error-exitcode=99"
#   TEST_SLOW      multiply every wait timeout by this integer (default 1;
#                  useful under valgrind)
#   KEEP_TMP=1     keep $T after the test for inspection
#   LIB_QUIET=1    no progress messages from log()
#   TEST_RSYNC     the rsync of the sending end: a private directory
#                  $T/rsync-client holding an `rsync` symlink to it goes in
#                  front of PATH, so the worker's default [rsync] binary =
#                  rsync, the tests' own rsync runs (trees_equal ...) and
#                  wrappers that exec `rsync` all run it.  A local target's
#                  receiver is this rsync too (rsync forks it).
#   TEST_RSYNCD    the rsync of the receiving end: the rsync daemon of
#                  start_rsyncd (RSYNCD_BIN) and the rsync that the sshd of
#                  start_sshd runs for ssh targets (PATH through SetEnv).
#                  Either unset: that end runs the rsync found in PATH, as
#                  before.  Each test logs the versions it runs with.

set -u
set -o pipefail
export LC_ALL=C
# Log lines with their "<N>" level, as under syncctl, for the tests that
# assert levels (a worker's stderr here is a file: plain text otherwise);
# no JOURNAL_STREAM of the shell that runs the tests applies.
export SYNCD_LOG_PREFIX=1
unset JOURNAL_STREAM

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$TESTS_DIR/.." && pwd)

SYNCD=${SYNCD:-build/syncd}
case $SYNCD in
/*) ;;
*) SYNCD=$REPO_ROOT/$SYNCD ;;
esac
export SYNCD

TEST_SLOW=${TEST_SLOW:-1}
TEST_NAME=$(basename "${0%.sh}")

T=$(mktemp -d "/tmp/syncd-test.${TEST_NAME//[^A-Za-z0-9_-]/_}.XXXXXX") || {
	echo "cannot create a temp dir" >&2
	exit 1
}
chmod 755 "$T"
export T

# ------------------------------------------------------- rsync versions --

# The rsync in PATH before TEST_RSYNC changes it: the receiving end's
# default.
_LIB_PATH_RSYNC=$(command -v rsync 2>/dev/null) || _LIB_PATH_RSYNC=rsync

# _lib_rsync_knob VAR: VAR (TEST_RSYNC or TEST_RSYNCD) as an absolute path
# to an rsync that runs, or the test fails (exit 1) saying why.
_lib_rsync_knob() {
	local var=$1 v p
	v=${!var}
	case $v in
	*/*) p=$(realpath -e -- "$v" 2>/dev/null) ;;
	*) p=$(command -v -- "$v" 2>/dev/null) ;;
	esac
	case $p in
	/*) ;;
	*) p= ;;
	esac
	if [ -z "$p" ] || ! "$p" --version >/dev/null 2>&1; then
		printf 'FAIL: %s=%s: not an rsync that runs\n' "$var" "$v" >&2
		rm -rf "$T"
		exit 1
	fi
	printf -v "$var" '%s' "$p"
	export "${var?}"
}

if [ -n "${TEST_RSYNC:-}" ]; then
	_lib_rsync_knob TEST_RSYNC
	mkdir -p "$T/rsync-client"
	ln -s "$TEST_RSYNC" "$T/rsync-client/rsync"
	PATH=$T/rsync-client:$PATH
	export PATH
fi
if [ -n "${TEST_RSYNCD:-}" ]; then
	_lib_rsync_knob TEST_RSYNCD
fi

# rsync_version_of PROGRAM: "3.2.7" (from its --version), empty if none.
rsync_version_of() {
	"$1" --version 2>/dev/null | sed -n '1s/^rsync *version v\{0,1\}\([0-9][0-9.]*[0-9]\).*/\1/p'
}

# Processes to stop on exit, in the order they were started.
_LIB_PIDS=()
_LIB_CREATED_RUN_SSHD=0
_LIB_NETLAB=0
SYNCD_PID=
SYNCD_LOG=$T/syncd.log
SYNCD_RCFILE=
SYNCD_STATE=$T/state
SYNCD_RUNTIME=$T/run

# log MSG: progress on stderr (silenced by LIB_QUIET=1).
log() {
	[ "${LIB_QUIET:-0}" = 1 ] || printf '[%s] %s\n' "$TEST_NAME" "$*" >&2
}

# ---------------------------------------------------------------- cleanup --

_lib_alive() {
	# True while $1 runs and is not a zombie.
	local line st
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	st=${line##*) }
	[ "${st%% *}" != Z ]
}

# _lib_await_server PID TRIES PAUSE CHECK...: true as soon as CHECK succeeds;
# false when PID died first or TRIES checks PAUSE seconds apart all failed.
_lib_await_server() {
	local pid=$1 tries=$2 pause=$3 i
	shift 3
	for ((i = 0; i < tries; i++)); do
		_lib_alive "$pid" || return 1
		"$@" && return 0
		sleep "$pause"
	done
	return 1
}

# stop_pid PID [GRACE_SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
	local pid=$1 grace=${2:-5} i
	[ -n "$pid" ] || return 0
	_lib_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < grace * 20; i++)); do
		_lib_alive "$pid" || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		_lib_alive "$pid" || return 0
		sleep 0.05
	done
}

_lib_cleanup() {
	local rc=$? i pid
	trap - EXIT INT TERM HUP
	# A supervisor first: it stops its own workers.
	_lib_syncctl_cleanup
	if [ -n "$SYNCD_PID" ]; then
		# The worker gives an in-flight rsync a bounded time (10 s) after
		# SIGTERM; a SIGKILL before that would orphan the rsync.
		stop_pid "$SYNCD_PID" 15
	fi
	for ((i = ${#_LIB_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${_LIB_PIDS[i]}
		stop_pid "$pid" 3
	done
	_lib_syncctl_sweep
	[ "$_LIB_NETLAB" = 0 ] || netlab down
	# Reap what is ours so nothing lingers as a zombie.
	wait 2>/dev/null
	if [ "$_LIB_CREATED_RUN_SSHD" = 1 ]; then
		rmdir /run/sshd 2>/dev/null || true
	fi
	_lib_unmount_under "$T"
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap _lib_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

_lib_track() { _LIB_PIDS+=("$1"); }

# _lib_unmount_under DIR: what a test mounted below DIR, deepest first, so
# that removing DIR never reaches through a mount.
_lib_unmount_under() {
	local point
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r point; do umount -l "$point" 2>/dev/null; done
}

# in_own_mount_namespace "$@": run the rest of the test in a mount namespace
# of its own (root only), so a mount it makes never outlives it.  Under a
# chroot whose root is no mount point the whole tree cannot be made
# private: $T, bound onto itself, is.
in_own_mount_namespace() {
	need_root
	if [ -z "${_LIB_IN_MOUNT_NS:-}" ]; then
		command -v unshare >/dev/null || skip "no unshare"
		trap - EXIT
		rm -rf "$T"
		_LIB_IN_MOUNT_NS=1 exec unshare --mount --propagation unchanged -- "$BASH" "$0" "$@"
	fi
	mount --make-rprivate / 2>/dev/null ||
		{ mount --bind "$T" "$T" && mount --make-private "$T"; } ||
		fail "cannot make $T private to the test's mount namespace"
}

# in_own_net_namespace "$@": run the rest of the test in a network
# namespace of its own (root only) with only a loopback, so that the
# kernel's TCP counters (/proc/net/netstat) count the test's connections
# alone.
in_own_net_namespace() {
	need_root
	if [ -z "${_LIB_IN_NET_NS:-}" ]; then
		command -v unshare >/dev/null || skip "no unshare"
		command -v ip >/dev/null || skip "no ip (iproute2)"
		trap - EXIT
		rm -rf "$T"
		_LIB_IN_NET_NS=1 exec unshare --net -- "$BASH" "$0" "$@"
	fi
	ip link set lo up || fail "cannot bring up the loopback of the test's network namespace"
}

# nft_input SET RULE...: in the test's own network namespace, an nft table
# with a set of ports SET (added to by the rules) and RULEs on input, where a
# drop is a loss the sender only learns of by its timeouts.
nft_input() {
	local set=$1 r
	shift
	command -v nft >/dev/null || skip "no nft (package nftables)"
	{
		printf 'table inet syncd_test {\n\tset %s { type inet_service; flags dynamic; }\n' "$set"
		printf '\tchain input {\n\t\ttype filter hook input priority 0;\n'
		for r; do
			printf '\t\t%s\n' "$r"
		done
		printf '\t}\n}\n'
	} | nft -f - || fail "nft: the test's rules"
}

# tcp_counter NAME: a TcpExt counter of /proc/net/netstat (DelayedACKs...).
tcp_counter() {
	awk -v want="$1" '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1 }
		else for (i = 2; i <= NF; i++) if (n[i] == want) print $i }' /proc/net/netstat
}

# ---------------------------------------------------------- fail / assert --

# fail MSG...: print the message and the tail of the worker log, exit 1.
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	if [ -s "$SYNCD_LOG" ]; then
		echo "---- last 40 lines of $SYNCD_LOG ----" >&2
		tail -n 40 "$SYNCD_LOG" >&2
		echo "----" >&2
	fi
	exit 1
}

skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

pass() {
	printf 'OK: %s\n' "${*:-$TEST_NAME}" >&2
	exit 0
}

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# packaging_pass_only: the packages are built from the source tree and use
# the system's rsync: they are tested in the normal build's pass with the
# system's rsync, not again on the ASan build or with other rsyncs.
packaging_pass_only() {
	case $SYNCD in
	*/build-san/*) skip "the packages are tested with the normal build only" ;;
	esac
	[ -z "${TEST_RSYNC:-}${TEST_RSYNCD:-}" ] ||
		skip "the packages are tested with the system's rsync only"
}

need_syncd() {
	[ -x "$SYNCD" ] || fail "worker binary $SYNCD not found (build it first)"
}

assert_eq() { # ACTUAL EXPECTED [WHAT]
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_exists() { # PATH (no dereference)
	[ -e "$1" ] || [ -L "$1" ] || fail "expected $1 to exist"
}

assert_not_exists() {
	if [ -e "$1" ] || [ -L "$1" ]; then fail "expected $1 not to exist"; fi
}

assert_dir() {
	if [ ! -d "$1" ] || [ -L "$1" ]; then fail "expected directory $1"; fi
}

assert_file() {
	if [ ! -f "$1" ] || [ -L "$1" ]; then fail "expected regular file $1"; fi
}

assert_content() { # FILE EXPECTED-CONTENT (exact, compared byte for byte)
	assert_file "$1"
	local tmp=$T/.expected.$$
	printf '%s' "$2" >"$tmp"
	cmp -s "$tmp" "$1" || fail "content of $1 differs from expected"
	rm -f "$tmp"
}

assert_same_file() { # A B: both regular files with identical bytes
	assert_file "$1"
	assert_file "$2"
	cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# assert_no_canary: no file named CANARY* exists anywhere below $T or at
# the top of the repo, the working dir, $HOME, / and /tmp: a test that puts
# '$(touch CANARY)' into names proves with it that no name was run.
assert_no_canary() {
	local found
	found=$(find "$T" -name 'CANARY*' 2>/dev/null)
	found+=$(find "$REPO_ROOT" "$PWD" "${HOME:-/root}" / /tmp -xdev -maxdepth 1 -name 'CANARY*' 2>/dev/null)
	[ -z "$found" ] || fail "a name was executed: $found"
}
assert_symlink() { # LINK TARGET
	[ -L "$1" ] || fail "expected symlink $1"
	local t
	t=$(readlink "$1") || fail "readlink $1"
	[ "$t" = "$2" ] || fail "symlink $1 points to '$t', expected '$2'"
}

# log_text: the worker's own log lines, without the harness's "==== start"
# markers and with every occurrence of the test dir $T replaced by "<T>",
# so that a pattern cannot match a path or a test name by accident.
#
# Both end with "|| true" because they feed `grep -q` under pipefail: grep
# leaves at the first match, the next write of a long log gets SIGPIPE, and
# without it the pipeline would fail although grep found the line.
log_text() {
	grep -v '^==== ' "$SYNCD_LOG" 2>/dev/null | _lib_hide_T || true
}

# run_log_text: log_text of the last start of the worker only (the log is
# shared by successive starts).
run_log_text() {
	awk '/^==== /{n=0; next} {l[n++]=$0} END{for(i=0;i<n;i++) print l[i]}' "$SYNCD_LOG" 2>/dev/null |
		_lib_hide_T || true
}

_lib_hide_T() {
	awk -v t="$T" '{
		while ((i = index($0, t)) > 0)
			$0 = substr($0, 1, i - 1) "<T>" substr($0, i + length(t))
		print
	}'
}

assert_log() { # ERE, case-insensitive, in the worker log
	log_text | grep -Eqi -- "$1" || fail "worker log does not match /$1/"
}

assert_no_log() {
	if log_text | grep -Eqi -- "$1"; then
		log_text | grep -Ei -- "$1" | head -n 5 >&2
		fail "worker log unexpectedly matches /$1/"
	fi
}

# log_count ERE: how many worker log lines match ERE (case-insensitive);
# log_count_gt ERE N: true when more than N do (a condition for wait_for).
log_count() { log_text | grep -Eci -- "$1"; }
log_count_gt() { [ "$(log_count "$1")" -gt "$2" ]; }

# wait_for TIMEOUT DESCRIPTION CMD...: poll CMD every 50 ms until it succeeds.
wait_for() {
	local timeout=$1 what=$2 deadline
	shift 2
	deadline=$(_lib_deadline "$timeout")
	until "$@"; do
		if _lib_past "$deadline"; then
			fail "timed out after ${timeout}s waiting for: $what"
		fi
		sleep 0.05
	done
}

_lib_now_ms() {
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000 + 10#${t#*.} / 1000))
}
_lib_deadline() { echo $(($(_lib_now_ms) + $1 * 1000 * TEST_SLOW)); }
_lib_past() { [ "$(_lib_now_ms)" -ge "$1" ]; }

# elapsed_since MS: seconds with one decimal since a _lib_now_ms value.
now_ms() { _lib_now_ms; }
elapsed_since() {
	local d=$(($(_lib_now_ms) - $1))
	printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

# ------------------------------------------------------------ free ports --

_lib_port_busy() {
	[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# free_port: a port nobody listens on now, below the kernel's ephemeral
# range: a port in that range may be taken as the source port of any
# connection meanwhile (a listener then fails to bind, and a client that
# connects to a dead port there may, rarely, connect to itself).
free_port() {
	local lo hi p i
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	[ "$lo" -gt 12000 ] || lo=32768
	for ((i = 0; i < 200; i++)); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		if ! _lib_port_busy "$p"; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port found"
}

# hold_dead_port: sets DEAD_PORT to a port of 127.0.0.1 that refuses every
# connection until the test ends.  A port that is merely free now may get a
# listener from a test running beside this one (make check runs two passes
# at once), and a remote meant to be down would then answer, or hang: a
# helper holds the port bound and never listens, so connects get a reset
# and no one else can take it.
hold_dead_port() {
	local f=$T/dead-port.$RANDOM
	python3 -c '
import socket, sys, os, signal
s = socket.socket()
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.pause()
' "$f" &
	_lib_track $!
	wait_for 10 "the dead port's holder" test -s "$f"
	DEAD_PORT=$(cat "$f")
}

# ------------------------------------------------------------ rsync daemon --

RSYNCD_USER=syncuser
RSYNCD_SECRET=s3cret-Pa55
RSYNCD_BIN=${RSYNCD_BIN:-${TEST_RSYNCD:-$_LIB_PATH_RSYNC}}

# Every test says which rsyncs it runs with.
log "rsync: sending end $(rsync_version_of rsync) ($(command -v rsync)${TEST_RSYNC:+ -> $TEST_RSYNC}), receiving end $(rsync_version_of "$RSYNCD_BIN") ($RSYNCD_BIN)"

# The fixture's daemon sets TCP_NODELAY (syncd's connector makes it no longer
# matter: a stock daemon's small replies would otherwise wait for the
# client's delayed ACK, ~40 ms a push).  RSYNCD_SOCKET_OPTIONS= (empty) runs
# without it, as a stock daemon does.
RSYNCD_SOCKET_OPTIONS=${RSYNCD_SOCKET_OPTIONS-TCP_NODELAY}
# The daemon's own `timeout` (seconds); RSYNCD_TIMEOUT= (empty) leaves it
# out, as a stock rsyncd.conf does.
RSYNCD_TIMEOUT=${RSYNCD_TIMEOUT-30}
# RSYNCD_AUTH=no: the module asks for no password (RSYNCD_URL names no user)
RSYNCD_AUTH=${RSYNCD_AUTH:-yes}
RSYNCD_PID=
RSYNCD_PORT=

_rsyncd_write_conf() {
	local d=$T/rsyncd
	mkdir -p "$d" "$MIRROR"
	printf '%s:%s\n' "$RSYNCD_USER" "$RSYNCD_SECRET" >"$d/secrets"
	chmod 600 "$d/secrets"
	printf '%s\n' "$RSYNCD_SECRET" >"$PASSFILE"
	chmod 600 "$PASSFILE"
	{
		printf 'pid file = %s\n' "$d/rsyncd.pid"
		# chroot (root only) keeps absolute symlink targets as they are:
		# without it the daemon strips their leading "/".
		if [ "$(id -u)" = 0 ]; then
			printf 'use chroot = yes\n'
		else
			printf 'use chroot = no\n'
		fi
		[ -z "$RSYNCD_TIMEOUT" ] || printf 'timeout = %s\n' "$RSYNCD_TIMEOUT"
		[ -z "$RSYNCD_SOCKET_OPTIONS" ] || printf 'socket options = %s\n' "$RSYNCD_SOCKET_OPTIONS"
		_rsyncd_module mirror
		if [ "$RSYNCD_AUTH" != no ]; then
			printf '    auth users = %s\n' "$RSYNCD_USER"
			printf '    secrets file = %s\n' "$d/secrets"
		fi
		# the same directory without a password (RSYNCD_OPEN_URL)
		_rsyncd_module open
	} >"$d/rsyncd.conf"
}

# _rsyncd_module NAME: a writable module NAME at $MIRROR
_rsyncd_module() {
	printf '[%s]\n' "$1"
	printf '    path = %s\n' "$MIRROR"
	printf '    read only = no\n'
	printf '    munge symlinks = no\n'
	if [ "$(id -u)" = 0 ]; then
		printf '    uid = root\n'
		printf '    gid = root\n'
	fi
}

_rsyncd_answers() {
	"$RSYNCD_BIN" --contimeout=2 --password-file="$PASSFILE" \
		"rsync://$RSYNCD_USER@127.0.0.1:$RSYNCD_PORT/mirror/" >/dev/null 2>&1
}

_rsyncd_launch() {
	local d=$T/rsyncd
	rm -f "$d/rsyncd.pid"
	"$RSYNCD_BIN" --daemon --no-detach --config="$d/rsyncd.conf" \
		--address=127.0.0.1 --port="$RSYNCD_PORT" \
		--log-file="$d/rsyncd.log" >>"$d/stderr" 2>&1 &
	RSYNCD_PID=$!
	_lib_track "$RSYNCD_PID"
	_lib_await_server "$RSYNCD_PID" 200 0.05 _rsyncd_answers && return 0
	if ! _lib_alive "$RSYNCD_PID"; then
		wait "$RSYNCD_PID" 2>/dev/null
		RSYNCD_PID=
	fi
	return 1
}

# start_rsyncd: a real rsync daemon with module "mirror" (auth user
# syncuser) and module "open", the same directory without a password.
# Exports RSYNCD_PORT, MIRROR (the modules' dir), PASSFILE (the client
# password file, mode 0600), RSYNCD_URL (rsync://syncuser@...:PORT/mirror),
# RSYNCD_OPEN_URL (rsync://...:PORT/open).
# RSYNCD_BIN selects the rsync program of the daemon.
start_rsyncd() {
	local tries
	MIRROR=${MIRROR:-$T/mirror}
	PASSFILE=${PASSFILE:-$T/rsync.pass}
	export MIRROR PASSFILE
	_rsyncd_write_conf
	for ((tries = 0; tries < 5; tries++)); do
		RSYNCD_PORT=$(free_port)
		if _rsyncd_launch; then
			export RSYNCD_PORT
			RSYNCD_URL=rsync://$RSYNCD_USER@127.0.0.1:$RSYNCD_PORT/mirror
			[ "$RSYNCD_AUTH" != no ] || RSYNCD_URL=rsync://127.0.0.1:$RSYNCD_PORT/mirror
			RSYNCD_OPEN_URL=rsync://127.0.0.1:$RSYNCD_PORT/open
			export RSYNCD_URL RSYNCD_OPEN_URL
			log "rsync daemon ($RSYNCD_BIN) pid $RSYNCD_PID on 127.0.0.1:$RSYNCD_PORT, module dir $MIRROR"
			return 0
		fi
		stop_pid "${RSYNCD_PID:-}" 1
	done
	cat "$T/rsyncd/stderr" "$T/rsyncd/rsyncd.log" >&2 2>/dev/null
	fail "rsync daemon did not start"
}

stop_rsyncd() {
	[ -n "$RSYNCD_PID" ] || return 0
	stop_pid "$RSYNCD_PID" 5
	wait "$RSYNCD_PID" 2>/dev/null
	RSYNCD_PID=
	log "rsync daemon stopped"
}

# restart_rsyncd: start it again on the same port.
restart_rsyncd() {
	local i
	stop_rsyncd
	for ((i = 0; i < 100; i++)); do
		if _rsyncd_launch; then
			log "rsync daemon restarted, pid $RSYNCD_PID, port $RSYNCD_PORT"
			return 0
		fi
		sleep 0.1
	done
	cat "$T/rsyncd/stderr" >&2 2>/dev/null
	fail "rsync daemon did not restart on port $RSYNCD_PORT"
}

# rsyncd_kept: the local ports of the connections to the daemon started by
# start_rsyncd, ESTABLISHED (a worker's kept ones, between runs)
rsyncd_kept() {
	ss -Htn state established "( dport = :$RSYNCD_PORT )" 2>/dev/null |
		awk '{ n = split($(NF-1), a, ":"); print a[n] }' | sort -n | tr '\n' ' '
}
rsyncd_one_kept() { [ "$(wc -w <<<"$(rsyncd_kept)")" = 1 ]; }

# rsyncd_remote NAME [EXTRA-LINE...]: print a [remote NAME] section for the
# daemon started by start_rsyncd.
rsyncd_remote() {
	local name=$1
	shift
	printf '[remote %s]\n' "$name"
	printf 'target = %s\n' "$RSYNCD_URL"
	[ "$RSYNCD_AUTH" = no ] || printf 'password_file = %s\n' "$PASSFILE"
	printf 'timeout = 20s\n'
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# -------------------------------------------------------------- ssh daemon --

SSHD_PID=
SSHD_PORT=

_sshd_answers() {
	"${SSH_CMD[@]}" root@127.0.0.1 true 2>/dev/null
}

# start_sshd: a private sshd on 127.0.0.1 (ENV-NOTES section 7).  Skips the
# test (77) unless root and /usr/sbin/sshd exist.  Exports SSHD_PORT,
# SSH_KEY (client private key), SSH_OPTIONS (string for ssh_options),
# SSH_CMD (array: a full ssh command line for checks).

start_sshd() {
	local d=$T/sshd tries
	need_root
	[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not installed"
	command -v ssh >/dev/null || skip "ssh client not installed"
	command -v ssh-keygen >/dev/null || skip "ssh-keygen not installed"
	mkdir -p "$d"
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" || fail "ssh-keygen host"
	ssh-keygen -q -t ed25519 -N '' -f "$d/client_ed25519" || fail "ssh-keygen client"
	cp "$d/client_ed25519.pub" "$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	if [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd && chmod 755 /run/sshd && _LIB_CREATED_RUN_SSHD=1
	fi
	SSH_KEY=$d/client_ed25519
	SSH_OPTIONS="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
	export SSH_KEY SSH_OPTIONS
	for ((tries = 0; tries < 5; tries++)); do
		SSHD_PORT=$(free_port)
		cat >"$d/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $d/host_ed25519
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
		# the rsync that ssh targets run on this side: TEST_RSYNCD first in
		# PATH (root's shell rc files may add to it, not take it away)
		if [ -n "${TEST_RSYNCD:-}" ]; then
			mkdir -p "$d/bin"
			ln -sfn "$TEST_RSYNCD" "$d/bin/rsync"
			printf 'SetEnv PATH=%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' "$d/bin" >>"$d/sshd_config"
		fi
		/usr/sbin/sshd -t -f "$d/sshd_config" 2>>"$d/sshd.log" || fail "sshd -t failed: $(tail -n 3 "$d/sshd.log")"
		/usr/sbin/sshd -D -e -f "$d/sshd_config" 2>>"$d/sshd.log" &
		SSHD_PID=$!
		_lib_track "$SSHD_PID"
		# shellcheck disable=SC2206 # SSH_OPTIONS is a whitespace-split list on purpose
		SSH_CMD=(ssh -p "$SSHD_PORT" -i "$SSH_KEY" $SSH_OPTIONS)
		if _lib_await_server "$SSHD_PID" 100 0.1 _sshd_answers; then
			export SSHD_PORT
			_sshd_check_rsync
			log "sshd pid $SSHD_PID on 127.0.0.1:$SSHD_PORT"
			return 0
		fi
		stop_pid "$SSHD_PID" 1
	done
	cat "$d/sshd.log" >&2
	fail "sshd did not start"
}

# netlab_up N [SETTING...]: a network lab of N mirror hosts for this test
# (tests/helpers/netlab: its names and subnet of its own, its files in
# $T/netlab), removed on exit; `netlab CMD...` runs the lab's commands and
# NETLAB_* says where its keys are.  Skips where network namespaces or a
# bridge cannot be made.
netlab() { "$TESTS_DIR/helpers/netlab" "$@"; }
netlab_up() {
	local tries
	need_root
	[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not installed"
	command -v python3 >/dev/null || skip "python3 not installed"
	export NETLAB_PREFIX=nl$(($$ % 100000)) NETLAB_DIR=$T/netlab
	export NETLAB_RELAY=${NETLAB_RELAY:-$(dirname "$SYNCD")/netlab_relay}
	[ -x "$NETLAB_RELAY" ] || fail "$NETLAB_RELAY not found (make builds it)"
	ip netns add "${NETLAB_PREFIX}h0" 2>/dev/null || skip "cannot create a network namespace here"
	ip netns del "${NETLAB_PREFIX}h0"
	ip link add "${NETLAB_PREFIX}br" type bridge 2>/dev/null || skip "cannot create a bridge here"
	ip link del "${NETLAB_PREFIX}br"
	_LIB_NETLAB=1
	for ((tries = 0; tries < 5; tries++)); do
		# a /24 no interface here has: the lab refuses one in use
		export NETLAB_NET=10.77.$(((RANDOM + $$) % 200 + 20))
		ip -o -4 addr show | grep -q " $NETLAB_NET\." && continue
		netlab up "$@" || fail "netlab up $*"
		eval "$(netlab env)"
		log "netlab: $1 hosts on $NETLAB_NET.0/24 ($NETLAB_PREFIX*)"
		return 0
	done
	fail "no free 10.77.x.0/24 for the lab"
}

# _sshd_check_rsync: the rsync an ssh login runs is TEST_RSYNCD's version
# (if set); logs it.
_sshd_check_rsync() {
	local got want
	got=$("${SSH_CMD[@]}" root@127.0.0.1 rsync --version 2>&1 | head -n 1)
	log "sshd runs ${got:-no rsync}"
	[ -n "${TEST_RSYNCD:-}" ] || return 0
	want=$(rsync_version_of "$TEST_RSYNCD")
	case $got in
	*"version $want "* | *"version v$want "*) ;;
	*) fail "the sshd's rsync is '$got', not TEST_RSYNCD's $want ($TEST_RSYNCD)" ;;
	esac
}

# ssh_remote NAME DIR [EXTRA-LINE...]: a [remote NAME] section for the sshd.
ssh_remote() {
	local name=$1 dir=$2
	shift 2
	printf '[remote %s]\n' "$name"
	printf 'target = ssh://root@127.0.0.1:%s%s\n' "$SSHD_PORT" "$dir"
	printf 'ssh_key = %s\n' "$SSH_KEY"
	printf 'ssh_options = %s\n' "$SSH_OPTIONS"
	printf 'timeout = 20s\n'
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

local_remote() { # NAME DIR [EXTRA-LINE...]
	local name=$1 dir=$2
	shift 2
	printf '[remote %s]\n' "$name"
	printf 'target = %s\n' "$dir"
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# fast_sections [RETRY-LINE...]: [batch]/[retry] values that keep tests
# quick; extra lines (e.g. "fail_log = none") go into [retry].
fast_sections() {
	printf '[batch]\nsettle = 50ms\nmax_delay = 500ms\n'
	printf '[retry]\nmin_backoff = 200ms\nmax_backoff = 1s\n'
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# source_section DIR [EXTRA-LINE...]
source_section() {
	local dir=$1
	shift
	printf '[source]\npath = %s\n' "$dir"
	[ $# -eq 0 ] || printf '%s\n' "$@"
	# the fanotify pass of run-all, also for workers that syncctl starts
	local line
	for line in "$@"; do
		[[ $line != backend*=* ]] || return 0
	done
	[ -z "${SYNCD_TEST_BACKEND:-}" ] || printf 'backend = %s\n' "$SYNCD_TEST_BACKEND"
}

# ------------------------------------------------------------ the worker --

# start_syncd CONFIG [ARGS...]: run the worker in the background, stderr and
# stdout appended to $SYNCD_LOG, state and runtime dirs inside $T.  Sets
# SYNCD_PID.  SIGINT/SIGQUIT are reset to default for it (bash would
# otherwise start a background job with them ignored).
start_syncd() {
	local cfg=$1
	shift
	need_syncd
	[ -z "$SYNCD_PID" ] || fail "start_syncd: a worker is already running"
	local -a wrapper=()
	if [ -n "${SYNCD_WRAPPER:-}" ]; then
		read -r -a wrapper <<<"$SYNCD_WRAPPER"
	fi
	mkdir -p "$SYNCD_STATE" "$SYNCD_RUNTIME"
	syncd_instance "$cfg"
	# The fanotify pass of run-all: every [source] watched with it.
	if [ -n "${SYNCD_TEST_BACKEND:-}" ] && ! grep -q '^backend *=' "$cfg"; then
		sed -i "/^\[source\]/a backend = $SYNCD_TEST_BACKEND" "$cfg"
	fi
	SYNCD_RCFILE=$T/syncd.rc.$RANDOM$RANDOM
	printf '==== %s start: %s --config %s %s\n' "$(date +%T.%N)" "$SYNCD" "$cfg" "$*" >>"$SYNCD_LOG"
	_lib_launch "$SYNCD_RCFILE" "$SYNCD_LOG" "${wrapper[@]}" "$SYNCD" --config "$cfg" \
		--state-dir "$SYNCD_STATE" --runtime-dir "$SYNCD_RUNTIME" "$@"
	SYNCD_PID=$_LIB_LAUNCHED
	[ -n "$SYNCD_PID" ] || fail "start_syncd: no pid"
	log "syncd pid $SYNCD_PID started with $cfg $*"
}

# _lib_launch RCFILE LOG [VAR=VALUE...] CMD...: CMD (through env, so $! is
# its pid) in the background, output appended to LOG, its exit status
# written to RCFILE when it ends; sets _LIB_LAUNCHED to its pid.
# SIGINT/SIGQUIT are reset to default for it (bash would otherwise start a
# background job with them ignored).
_LIB_LAUNCHED=
_lib_launch() {
	local rcfile=$1 logf=$2 pidfile=$1.pid i
	shift 2
	rm -f "$rcfile" "$pidfile"
	(
		trap - TERM INT HUP EXIT
		env --default-signal=INT,QUIT "$@" >>"$logf" 2>&1 </dev/null &
		echo "$!" >"$pidfile"
		wait "$!"
		echo "$?" >"$rcfile.tmp"
		mv "$rcfile.tmp" "$rcfile"
	) &
	_lib_track "$!"
	for ((i = 0; i < 200; i++)); do
		[ -s "$pidfile" ] && break
		sleep 0.01
	done
	_LIB_LAUNCHED=$(cat "$pidfile" 2>/dev/null)
}

# syncd_instance CONFIG: set SYNCD_NAME (the instance name: the config
# file's base name without ".ini", as the worker names it), SYNCD_IDIR (its
# state dir $SYNCD_STATE/NAME: journals, "running", failed.log) and
# SYNCD_SOCK (its control socket $SYNCD_RUNTIME/NAME.sock).  start_syncd
# calls it; call it yourself to prepare the state dir before a start.
SYNCD_NAME=
SYNCD_IDIR=
SYNCD_SOCK=
syncd_instance() {
	SYNCD_NAME=$(basename "$1")
	SYNCD_NAME=${SYNCD_NAME%.ini}
	SYNCD_IDIR=$SYNCD_STATE/$SYNCD_NAME
	SYNCD_SOCK=$SYNCD_RUNTIME/$SYNCD_NAME.sock
}

# syncd_instance CONFIG sets where; journal_file REMOTE prints the path of
# that remote's durable journal.
journal_file() { printf '%s/%s.journal\n' "$SYNCD_IDIR" "$1"; }

# kill_syncd: SIGKILL the worker and, as systemd's control-group kill
# would, every process it started (rsync runs); wait for the worker to be
# gone and assert it died of the signal.  Nothing of it gets to clean up.
kill_syncd() {
	local -a pids
	[ -n "$SYNCD_PID" ] || fail "kill_syncd: no worker running"
	syncd_exited && fail "worker exited before it was killed (status $SYNCD_RC)"
	kill -STOP "$SYNCD_PID" 2>/dev/null
	read -r -a pids <<<"$(_lib_descendants "$SYNCD_PID")"
	kill -KILL "$SYNCD_PID" || fail "cannot kill worker $SYNCD_PID"
	[ "${#pids[@]}" -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null
	wait_syncd_exit 10 || fail "worker $SYNCD_PID still there 10s after SIGKILL"
	[ "$SYNCD_RC" = 137 ] || fail "worker exited with status $SYNCD_RC, expected 137 (SIGKILL)"
	log "syncd killed with SIGKILL (and ${#pids[@]} child processes)"
}

_lib_descendants() { # PID: every descendant's pid, on one line
	local c out='' kids
	read -r -a kids <<<"$(cat /proc/"$1"/task/*/children 2>/dev/null)"
	for c in "${kids[@]}"; do
		out+="$c $(_lib_descendants "$c") "
	done
	echo "$out"
}

# syncd_exited: true once the worker has exited; its status is then in
# SYNCD_RC.
syncd_exited() {
	if [ -z "$SYNCD_RCFILE" ] || [ ! -s "$SYNCD_RCFILE" ]; then return 1; fi
	SYNCD_RC=$(cat "$SYNCD_RCFILE")
	return 0
}

# wait_syncd_exit TIMEOUT: wait for the worker to exit; sets SYNCD_RC.
# Returns 1 on timeout.
wait_syncd_exit() {
	local deadline
	deadline=$(_lib_deadline "$1")
	until syncd_exited; do
		_lib_past "$deadline" && return 1
		sleep 0.05
	done
	SYNCD_PID=
	return 0
}

# stop_syncd [SIGNAL] [TIMEOUT]: signal the worker (TERM), wait for it, and
# assert exit status 0.
stop_syncd() {
	local sig=${1:-TERM} timeout=${2:-15}
	[ -n "$SYNCD_PID" ] || fail "stop_syncd: no worker running"
	syncd_exited && fail "worker exited before it was stopped (status $SYNCD_RC)"
	kill "-$sig" "$SYNCD_PID" || fail "cannot signal worker $SYNCD_PID"
	if ! wait_syncd_exit "$timeout"; then
		fail "worker did not exit within ${timeout}s after SIG$sig"
	fi
	[ "$SYNCD_RC" = 0 ] || fail "worker exited with status $SYNCD_RC after SIG$sig (expected 0)"
	log "syncd stopped with SIG$sig, status 0"
}

# assert_syncd_running: the worker has not exited.
assert_syncd_running() {
	if syncd_exited; then
		fail "worker exited unexpectedly with status $SYNCD_RC"
	fi
}

# wait_ready [TIMEOUT]: until the worker logged a line containing "ready".
wait_ready() {
	local timeout=${1:-10} deadline
	deadline=$(_lib_deadline "$timeout")
	# only this run's lines count: the log is shared by successive starts
	# (awk decides alone: feeding grep -q, under pipefail, a big log made
	# awk's broken pipe a miss)
	until awk '/^==== /{r=0} tolower($0) ~ /(^|[^[:alnum:]_])ready([^[:alnum:]_]|$)/{r=1} END{exit !r}' \
		"$SYNCD_LOG" 2>/dev/null; do
		syncd_exited && fail "worker exited with status $SYNCD_RC before it was ready"
		_lib_past "$deadline" && fail "worker not ready within ${timeout}s"
		sleep 0.05
	done
	if [ "${SYNCD_TEST_BACKEND:-}" = fanotify ] &&
		! awk '/^==== /{r=0} /ready: .* with fanotify/{r=1} END{exit !r}' "$SYNCD_LOG"; then
		fail "SYNCD_TEST_BACKEND=fanotify, the worker watches with something else: $(grep -m1 'with fanotify' "$SYNCD_LOG")"
	fi
}

# ------------------------------------------------------------ convergence --

# trees_equal SRC DST [RSYNC-FILTER-ARGS...]: true when DST is an exact copy
# of SRC by names, types, file contents and symlink targets.  It is an rsync
# checksum dry run that must print nothing; nothing is parsed from its output.
# Filter args (e.g. --exclude='*.tmp') hide paths from the comparison.
trees_equal() {
	local src=$1 dst=$2 out
	shift 2
	[ -d "$dst" ] || return 1
	out=$(rsync -rlDcn --delete --itemize-changes "$@" -- "$src/" "$dst/" 2>&1) || return 1
	[ -z "$out" ]
}

# show_difference SRC DST [RSYNC-FILTER-ARGS...]
show_difference() {
	local src=$1 dst=$2
	shift 2
	echo "---- rsync -rlDcn --delete -i $src/ $dst/ (what differs) ----" >&2
	rsync -rlDcn --delete --itemize-changes "$@" -- "$src/" "$dst/" 2>&1 | head -n 40 >&2
	echo "---- diff -rq --no-dereference ----" >&2
	diff -rq --no-dereference "$src" "$dst" 2>&1 | head -n 20 >&2
}

# wait_converged SRC DST [TIMEOUT] [RSYNC-FILTER-ARGS...]: poll every 50 ms
# until trees_equal; fail after TIMEOUT seconds (default 20) showing the
# difference and the worker log.  Also fails at once if the worker exited.
wait_converged() {
	local src=$1 dst=$2 timeout=${3:-20} deadline start
	shift 2
	[ $# -eq 0 ] || shift
	start=$(_lib_now_ms)
	deadline=$(_lib_deadline "$timeout")
	until trees_equal "$src" "$dst" "$@"; do
		if [ -n "$SYNCD_PID" ] && syncd_exited; then
			show_difference "$src" "$dst" "$@"
			fail "worker exited (status $SYNCD_RC) before $dst converged"
		fi
		if _lib_past "$deadline"; then
			show_difference "$src" "$dst" "$@"
			fail "$dst did not converge to $src within ${timeout}s"
		fi
		sleep 0.05
	done
	CONVERGE_SECONDS=$(elapsed_since "$start")
	log "converged $dst in ${CONVERGE_SECONDS}s"
}

# converge_each SRC DST NAME...: write each NAME (its name as its content)
# into SRC, one at a time, each until DST has converged: one push each.
converge_each() {
	local src=$1 dst=$2 f
	shift 2
	for f; do
		printf '%s\n' "$f" >"$src/$f"
		wait_converged "$src" "$dst"
	done
}

# stays_equal SECONDS SRC DST [FILTER...]: assert the trees stay equal (or
# stay as they are) for a while: used after "nothing should happen" changes.
settle_for() { sleep "$1"; }

# ------------------------------------------------------- rsync wrappers --

# make_counting_rsync [REAL-RSYNC]: write $T/bin/rsync-counting, a wrapper
# that appends one line per run to $RSYNC_COUNT_FILE and execs the real
# rsync with all its arguments.  The worker's version probe at start
# (--version) is not counted.  Prints the wrapper's path.
RSYNC_COUNT_FILE=$T/rsync.count
make_counting_rsync() {
	local real=${1:-$(command -v rsync)} w=$T/bin/rsync-counting
	mkdir -p "$T/bin"
	: >"$RSYNC_COUNT_FILE"
	cat >"$w" <<EOF
#!/usr/bin/env bash
[ "\$1" = --version ] || printf 'run %s\n' "\$\$" >>'$RSYNC_COUNT_FILE'
exec '$real' "\$@"
EOF
	chmod 755 "$w"
	echo "$w"
}

rsync_runs() {
	local n
	n=$(wc -l <"$RSYNC_COUNT_FILE" 2>/dev/null) || n=0
	echo "$((n))"
}

# ---------------------------------------------------------- control socket --

# The worker's control socket ($SYNCD_SOCK, set by start_syncd) is spoken
# to with tests/helpers/ctl_send, built next to the worker.
CTL_SEND=$(dirname "$SYNCD")/ctl_send

need_ctl() {
	[ -x "$CTL_SEND" ] || fail "$CTL_SEND is missing (make builds it)"
}

# ctl REQUEST...: send the words of REQUEST (joined by spaces) as one
# request line to the worker's control socket and print the reply.  Status
# 0 for an "ok"/JSON reply, 1 for "error: ...", 2 if it cannot connect, 3
# if no reply came (CTL_TIMEOUT seconds, default 60).
ctl() {
	"$CTL_SEND" --timeout "${CTL_TIMEOUT:-60}" "$SYNCD_SOCK" "$*"
}

# wait_ctl [TIMEOUT]: until the control socket answers "status" with ok.
wait_ctl() {
	wait_for "${1:-10}" "the control socket $SYNCD_SOCK" _lib_ctl_answers
}
_lib_ctl_answers() {
	[ -S "$SYNCD_SOCK" ] && ctl status >/dev/null 2>&1
}

# json_flat: read one JSON document on stdin, print one line per scalar:
# PATH=VALUE, PATH being keys and array indexes joined by dots
# ("remotes.0.pending=12"), VALUE the token as written without the quotes
# of a string (escapes are left as they are).  Not a validator: enough for
# the worker's "status --json".  awk only (no jq or python on a fresh box).
json_flat() {
	awk '
	{ s = s $0 "\n" }
	function where(   d, p) {
		p = ""
		for (d = 1; d <= depth; d++)
			p = p (d > 1 ? "." : "") (type[d] == "o" ? key[d] : idx[d])
		return p
	}
	END {
		n = length(s); i = 1; depth = 0
		while (i <= n) {
			c = substr(s, i, 1)
			if (c == "{") { depth++; type[depth] = "o"; want[depth] = 1; i++; continue }
			if (c == "[") { depth++; type[depth] = "a"; idx[depth] = 0; i++; continue }
			if (c == "}" || c == "]") { depth--; i++; continue }
			if (c == ",") {
				if (type[depth] == "a") idx[depth]++; else want[depth] = 1
				i++; continue
			}
			if (c == ":" || c == " " || c == "\t" || c == "\r" || c == "\n") { i++; continue }
			if (c == "\"") {
				j = i + 1
				while (j <= n) {
					d = substr(s, j, 1)
					if (d == "\\") j += 2
					else if (d == "\"") break
					else j++
				}
				tok = substr(s, i + 1, j - i - 1); i = j + 1
			} else {
				j = i
				while (j <= n && index(",}] \t\r\n", substr(s, j, 1)) == 0) j++
				tok = substr(s, i, j - i); i = j
			}
			if (type[depth] == "o" && want[depth]) { key[depth] = tok; want[depth] = 0; continue }
			print where() "=" tok
		}
	}'
}

# json_field JSON PATH: the value at PATH (see json_flat) in JSON, e.g.
# json_field "$j" state; status 1 (printing nothing) if there is none.
json_field() {
	local line
	while IFS= read -r line; do
		case $line in
		"$2="*)
			printf '%s\n' "${line#"$2="}"
			return 0
			;;
		esac
	done < <(printf '%s\n' "$1" | json_flat)
	return 1
}

# json_entry_field JSON ARRAY NAME KEY: KEY of the entry of ARRAY whose
# "name" is NAME, e.g. json_entry_field "$j" remotes r1 pending.
json_entry_field() {
	local flat i='' line
	flat=$(printf '%s\n' "$1" | json_flat)
	while IFS= read -r line; do
		case $line in
		"$2".*.name="$3")
			i=${line#"$2".}
			i=${i%%.*}
			break
			;;
		esac
	done <<<"$flat"
	[ -n "$i" ] || return 1
	json_field "$1" "$2.$i.$4"
}

# json_remote_field JSON REMOTE KEY: KEY of the entry of "remotes" whose
# name is REMOTE, e.g. json_remote_field "$j" r1 pending.
json_remote_field() { json_entry_field "$1" remotes "$2" "$3"; }

# status_entry LIST NAME KEY: KEY of the entry NAME of LIST ("remotes" or
# "hooks") in a fresh "status --json".
status_entry() {
	local j
	j=$(ctl status --json) || return 1
	json_entry_field "$j" "$1" "$2" "$3"
}

# num_gt A B / num_lt A B: compare decimal numbers (lag_s is fractional).
num_gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
num_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

# Conditions for wait_for on a fresh "status --json" (false if the worker
# does not answer):
#   status_entry_is LIST NAME KEY VALUE       KEY is exactly VALUE
#   status_entry_gt LIST NAME KEY NUMBER      KEY is a number above NUMBER
#   status_entry_matches LIST NAME KEY ERE    KEY matches ERE
# and the same for one remote or hook: remote_field_is REMOTE KEY VALUE,
# hook_field_gt HOOK KEY NUMBER, ...
status_entry_is() {
	local v
	v=$(status_entry "$1" "$2" "$3") && [ "$v" = "$4" ]
}
status_entry_gt() {
	local v
	v=$(status_entry "$1" "$2" "$3") && [ -n "$v" ] && num_gt "$v" "$4"
}
status_entry_matches() {
	local v
	v=$(status_entry "$1" "$2" "$3") && grep -Eq -- "$4" <<<"$v"
}
remote_status() { status_entry remotes "$@"; }
remote_field_is() { status_entry_is remotes "$@"; }
remote_field_gt() { status_entry_gt remotes "$@"; }
remote_field_matches() { status_entry_matches remotes "$@"; }
hook_status() { status_entry hooks "$@"; }
hook_field_is() { status_entry_is hooks "$@"; }
hook_field_gt() { status_entry_gt hooks "$@"; }
hook_field_matches() { status_entry_matches hooks "$@"; }

# journal_is_empty REMOTE: the remote's journal is exactly its header line.
JOURNAL_HEADER='syncd-journal 1'
journal_is_empty() {
	local f
	f=$(journal_file "$1")
	[ -f "$f" ] && [ "$(stat -c %s "$f")" = $((${#JOURNAL_HEADER} + 1)) ] &&
		[ "$(head -n 1 "$f")" = "$JOURNAL_HEADER" ]
}

# journal_has_records REMOTE: the journal holds more than its header.
journal_has_records() {
	local f
	f=$(journal_file "$1")
	[ -f "$f" ] && [ "$(stat -c %s "$f")" -gt $((${#JOURNAL_HEADER} + 1)) ]
}

# ---------------------------------------------------------------- syncctl --
#
# The supervisor, syncctl (env SYNCCTL, default: next to $SYNCD), with all
# its directories inside $T:
#   SCTL_CONFIG   $T/etc; instances are $SCTL_INST/NAME.ini
#                 ($SCTL_CONFIG/instances.d)
#   SCTL_RUNTIME  $T/srun: syncctl.sock ($SCTL_SOCK), syncctl.pid, NAME.sock
#   SCTL_STATE    $T/sstate: the workers' state, syncctl.log of a background
#                 supervisor
# They reach syncctl through its environment (SYNCD_CONFIG_DIR,
# SYNCD_RUNTIME_DIR, SYNCD_STATE_DIR, SYNCD_BIN), never exported to the test
# itself.  SYNCD_WRAPPER applies to the workers (through a wrapper script
# given as SYNCD_BIN), never to syncctl.
#
# start_supervisor runs "syncctl daemon --foreground" with its output in
# $SUPERVISOR_LOG, which becomes $SYNCD_LOG: fail() shows its tail and
# log_text / assert_log / log_count search it.  On exit the harness sends
# SIGTERM to the supervisor (and to a background one found by
# $SCTL_RUNTIME/syncctl.pid), then kills whatever is left that mentions $T
# (workers, their rsyncs).

SYNCCTL=${SYNCCTL:-$(dirname "$SYNCD")/syncctl}
case $SYNCCTL in
/*) ;;
*) SYNCCTL=$REPO_ROOT/$SYNCCTL ;;
esac
export SYNCCTL
SCTL_CONFIG=$T/etc
SCTL_INST=$SCTL_CONFIG/instances.d
SCTL_RUNTIME=$T/srun
SCTL_STATE=$T/sstate
SCTL_SOCK=$SCTL_RUNTIME/syncctl.sock
SCTL_SYNCD=$SYNCD
SCTL_TIMEOUT=${SCTL_TIMEOUT:-30}
SUPERVISOR_PID=
SUPERVISOR_RC=
SUPERVISOR_RCFILE=
SUPERVISOR_LOG=$T/syncctl.log
_SCTL_USED=0

# need_syncctl: the binaries are there; creates the three dirs.
need_syncctl() {
	need_syncd
	[ -x "$SYNCCTL" ] || fail "supervisor binary $SYNCCTL not found (build it first)"
	mkdir -p "$SCTL_INST" "$SCTL_RUNTIME" "$SCTL_STATE"
	_SCTL_USED=1
	SYNCD_LOG=$SUPERVISOR_LOG
	if [ -n "${SYNCD_WRAPPER:-}" ]; then
		mkdir -p "$T/bin"
		SCTL_SYNCD=$T/bin/syncd
		printf '#!/bin/sh\nexec %s %q "$@"\n' "$SYNCD_WRAPPER" "$SYNCD" >"$SCTL_SYNCD"
		chmod 755 "$SCTL_SYNCD"
		_sctl_set_env
	fi
}

# syncctl_env CMD [ARGS...]: run CMD with the supervisor's environment.
syncctl_env() {
	env "${SCTL_ENV[@]}" "$@"
}
_sctl_set_env() {
	SCTL_ENV=(SYNCD_CONFIG_DIR="$SCTL_CONFIG" SYNCD_RUNTIME_DIR="$SCTL_RUNTIME"
		SYNCD_STATE_DIR="$SCTL_STATE" SYNCD_BIN="$SCTL_SYNCD")
}
_sctl_set_env

# sctl ARGS...: run syncctl with the test's dirs (killed after SCTL_TIMEOUT
# seconds, status 124 then).  Its exit status is the command's.
sctl() {
	syncctl_env timeout -k 5 $((SCTL_TIMEOUT * TEST_SLOW)) "$SYNCCTL" "$@"
}

# start_supervisor [ARGS...]: "syncctl daemon --foreground ARGS" in the
# background (after $SYNCCTL_WRAPPER, e.g. valgrind, if set); sets
# SUPERVISOR_PID and waits until "status --json" answers with that pid.
start_supervisor() {
	need_syncctl
	[ -z "$SUPERVISOR_PID" ] || fail "start_supervisor: a supervisor is already running"
	SUPERVISOR_RCFILE=$T/syncctl.rc.$RANDOM$RANDOM
	SUPERVISOR_RC=
	printf '==== %s start: %s daemon --foreground %s\n' "$(date +%T.%N)" "$SYNCCTL" "$*" >>"$SUPERVISOR_LOG"
	# shellcheck disable=SC2086 # the wrapper is words
	_lib_launch "$SUPERVISOR_RCFILE" "$SUPERVISOR_LOG" "${SCTL_ENV[@]}" ${SYNCCTL_WRAPPER:-} \
		"$SYNCCTL" daemon --foreground "$@"
	SUPERVISOR_PID=$_LIB_LAUNCHED
	[ -n "$SUPERVISOR_PID" ] || fail "start_supervisor: no pid"
	log "syncctl supervisor pid $SUPERVISOR_PID started"
	wait_supervisor
}

# supervisor_answers [PID]: "status --json" answers with supervisor.pid PID
# (default: SUPERVISOR_PID).
supervisor_answers() {
	local j want=${1:-$SUPERVISOR_PID}
	[ -S "$SCTL_SOCK" ] || return 1
	j=$(SCTL_TIMEOUT=5 sctl status --json 2>/dev/null)
	[ -n "$j" ] && [ "$(json_field "$j" supervisor.pid)" = "$want" ]
}

# wait_supervisor [TIMEOUT]: until the supervisor answers (fails at once if
# it exited).
wait_supervisor() {
	local deadline
	deadline=$(_lib_deadline "${1:-10}")
	until supervisor_answers; do
		supervisor_exited && fail "the supervisor exited with status $SUPERVISOR_RC before it answered"
		_lib_past "$deadline" && fail "the supervisor did not answer on $SCTL_SOCK within ${1:-10}s"
		sleep 0.05
	done
}

# supervisor_exited: true once the supervisor started by start_supervisor
# has exited; its status is then in SUPERVISOR_RC.
supervisor_exited() {
	if [ -z "$SUPERVISOR_RCFILE" ] || [ ! -s "$SUPERVISOR_RCFILE" ]; then return 1; fi
	SUPERVISOR_RC=$(cat "$SUPERVISOR_RCFILE")
	return 0
}

assert_supervisor_running() {
	if supervisor_exited; then
		fail "the supervisor exited unexpectedly with status $SUPERVISOR_RC"
	fi
}

# wait_supervisor_exit TIMEOUT: returns 1 on timeout.
wait_supervisor_exit() {
	local deadline
	deadline=$(_lib_deadline "$1")
	until supervisor_exited; do
		_lib_past "$deadline" && return 1
		sleep 0.05
	done
	SUPERVISOR_PID=
	return 0
}

# stop_supervisor [SIGNAL] [TIMEOUT]: signal it (TERM), wait, assert status
# 0 and that no worker is left.
stop_supervisor() {
	local sig=${1:-TERM} timeout=${2:-10} left
	[ -n "$SUPERVISOR_PID" ] || fail "stop_supervisor: no supervisor running"
	assert_supervisor_running
	kill "-$sig" "$SUPERVISOR_PID" || fail "cannot signal the supervisor $SUPERVISOR_PID"
	wait_supervisor_exit "$timeout" || fail "the supervisor did not exit within ${timeout}s after SIG$sig"
	[ "$SUPERVISOR_RC" = 0 ] || fail "the supervisor exited with status $SUPERVISOR_RC after SIG$sig (expected 0)"
	wait_for 3 "every worker gone after the supervisor" no_workers_left
	# under valgrind (SYNCD_WRAPPER, SYNCCTL_WRAPPER) an error is exit status 99
	if [ -n "${SYNCD_WRAPPER:-}" ] && log_text | grep -q 'exited with status 99'; then
		fail "a worker exited with status 99 (valgrind found an error)"
	fi
	log "supervisor stopped with SIG$sig, status 0"
}

# _sctl_cmdline PID: the process's command line, arguments joined by spaces.
_sctl_cmdline() {
	local -a a
	mapfile -d '' -t a 2>/dev/null <"/proc/$1/cmdline" || return 1
	printf '%s\n' "${a[*]}"
}

# worker_pids: the live workers of this test (their --config is in
# $SCTL_INST), on one line.
worker_pids() {
	local p c out=''
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		c=$(_sctl_cmdline "$p") || continue
		case $c in
		*"$SCTL_INST/"*) _lib_alive "$p" && out+="$p " ;;
		esac
	done
	echo "${out% }"
}
no_workers_left() { [ -z "$(worker_pids)" ]; }

# pid_alive PID / pid_gone PID: the process exists (not a zombie) / not.
pid_alive() { [ -n "$1" ] && [ "$1" != 0 ] && _lib_alive "$1"; }
pid_gone() { ! pid_alive "$1"; }

_lib_syncctl_cleanup() {
	local p
	[ "$_SCTL_USED" = 1 ] || return 0
	if [ -n "$SUPERVISOR_PID" ]; then
		stop_pid "$SUPERVISOR_PID" 20
	fi
	# a background supervisor (syncctl start / syncctl daemon)
	p=$(cat "$SCTL_RUNTIME/syncctl.pid" 2>/dev/null)
	p=${p//[^0-9]/}
	if [ -n "$p" ] && _sctl_cmdline "$p" 2>/dev/null | grep -q syncctl; then
		stop_pid "$p" 20
	fi
}

# Whatever still runs and mentions $T (or has the supervisor's environment)
# after everything else was stopped: workers, their rsyncs, syncctl
# commands.  SIGTERM, then SIGKILL.
_lib_syncctl_sweep() {
	local p c i left
	local -a pids=()
	[ "$_SCTL_USED" = 1 ] || return 0
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
		c=$(_sctl_cmdline "$p") || continue
		if [[ $c == *"$T/"* ]] ||
			{ tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "SYNCD_RUNTIME_DIR=$SCTL_RUNTIME"; then
			_lib_alive "$p" && pids+=("$p")
		fi
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	echo "cleanup: processes left behind: ${pids[*]}" >&2
	kill -TERM "${pids[@]}" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		left=0
		for p in "${pids[@]}"; do _lib_alive "$p" && left=1; done
		[ "$left" = 0 ] && return 0
		sleep 0.05
	done
	kill -KILL "${pids[@]}" 2>/dev/null
}

# ------------------------------------------------------ syncctl instances --

# isrc NAME / idst NAME: an instance's source dir ($T/src/NAME) and its
# mirror ($MIRROR/NAME when start_rsyncd ran before instance_ini, else
# $T/dst/NAME).
isrc() { printf '%s\n' "$T/src/$1"; }
idst() {
	if [ -n "${RSYNCD_URL:-}" ]; then
		printf '%s\n' "$MIRROR/$1"
	else
		printf '%s\n' "$T/dst/$1"
	fi
}

# instance_ini NAME [INSTANCE-LINE...]: write $SCTL_INST/NAME.ini: [source]
# isrc NAME (created), one remote "m" to idst NAME (the rsync daemon if one
# runs, else a local dir), fast_sections, and an [instance] section with
# quick test values (stop_timeout = 1s, restart_delay = 100ms,
# watchdog = 2s, times TEST_SLOW) unless a line sets the key itself; a line
# "-KEY" drops the default for KEY (the supervisor's own default applies).
instance_ini() {
	local name=$1 line key
	shift
	local src dst
	src=$(isrc "$name")
	dst=$(idst "$name")
	mkdir -p "$src" "$dst" "$SCTL_INST"
	local -A given=()
	local -a lines=()
	for line in "$@"; do
		key=${line%%=*}
		key=${key// /}
		case $key in
		-*) given[${key#-}]=1 ;;
		*)
			given[$key]=1
			lines+=("$line")
			;;
		esac
	done
	[ -n "${given[stop_timeout]:-}" ] || lines+=("stop_timeout = $((1000 * TEST_SLOW))ms")
	[ -n "${given[restart_delay]:-}" ] || lines+=("restart_delay = 100ms")
	[ -n "${given[watchdog]:-}" ] || lines+=("watchdog = $((2000 * TEST_SLOW))ms")
	{
		source_section "$src"
		if [ -n "${RSYNCD_URL:-}" ]; then
			printf '[remote m]\ntarget = %s/%s\npassword_file = %s\ntimeout = 20s\n' \
				"$RSYNCD_URL" "$name" "$PASSFILE"
		else
			local_remote m "$dst"
		fi
		fast_sections
		printf '[instance]\n'
		printf '%s\n' "${lines[@]}"
	} >"$SCTL_INST/$name.ini"
}

# json_instance_field JSON NAME KEY: KEY (a json_flat path below the
# instance, e.g. "pid", "worker.remotes.0.state") of the entry of
# "instances" whose name is NAME in a syncctl "status --json" document.
json_instance_field() { json_entry_field "$1" instances "$2" "$3"; }

# json_instance_names JSON: the instance names, one a line, in order.
json_instance_names() {
	printf '%s\n' "$1" | json_flat | sed -n 's/^instances\.[0-9]*\.name=//p'
}

# instance_field NAME KEY: KEY of NAME in a fresh "status --json" (status 1
# if the supervisor does not answer or there is no such instance).
instance_field() {
	local j
	j=$(SCTL_TIMEOUT=10 sctl status --json 2>/dev/null)
	[ -n "$j" ] || return 1
	json_instance_field "$j" "$1" "$2"
}
instance_pid() { instance_field "$1" pid; }
instance_state() { instance_field "$1" state; }

# Conditions for wait_for:
instance_is() { [ "$(instance_state "$1")" = "$2" ]; }     # NAME STATE
instance_running_not() {                                   # NAME OLD-PID
	local j s p
	j=$(SCTL_TIMEOUT=10 sctl status --json 2>/dev/null)
	[ -n "$j" ] || return 1
	s=$(json_instance_field "$j" "$1" state) || return 1
	p=$(json_instance_field "$j" "$1" pid) || return 1
	[ "$s" = running ] && [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$2" ]
}

# wait_state NAME STATE [SECONDS]: until NAME's state is STATE (default
# 10 s); on timeout fail showing the last state seen and the status table.
wait_state() {
	local name=$1 want=$2 timeout=${3:-10} deadline st=
	deadline=$(_lib_deadline "$timeout")
	while :; do
		st=$(instance_state "$name") || st='(none)'
		[ "$st" = "$want" ] && return 0
		if _lib_past "$deadline"; then
			echo "---- syncctl status ----" >&2
			SCTL_TIMEOUT=5 sctl status >&2 2>&1
			fail "$name: state '$st' after ${timeout}s, waiting for '$want'"
		fi
		sleep 0.05
	done
}

# ------------------------------------------------------------------ hooks --

# The command hook of the tests (tests/helpers/hook_record): records each
# run into a file; see hook_runs.
HOOK_RECORD=$TESTS_DIR/helpers/hook_record

# hook_runs FILE: hook_record's records, one line per path, tab-separated:
# EVENT  PATHS-IN-THE-RUN  RUN-NUMBER  mirrored|not-mirrored  PATH
# PATH relative to the source, printf %q-quoted (one line even with a
# newline in the name).
hook_runs() {
	local f=$1 tok ev src n i=0 k run=0
	local -a a=()
	[ -f "$f" ] || return 0
	while IFS= read -r -d '' tok; do a+=("$tok"); done <"$f"
	while [ "$i" -lt "${#a[@]}" ]; do
		[ "${a[i]}" = RUN ] || fail "hook_runs $f: no RUN at field $i"
		ev=${a[i + 1]} src=${a[i + 4]} n=${a[i + 5]}
		i=$((i + 6)) run=$((run + 1))
		for ((k = 0; k < n; k++)); do
			printf '%s\t%s\t%s\t%s\t%q\n' "$ev" "$n" "$run" "${a[i + 1]}" "${a[i]#"$src"/}"
			i=$((i + 2))
		done
	done
}
# hook_run_count FILE: how many runs hook_record recorded in FILE.
hook_run_count() {
	[ -f "$1" ] || { echo 0; return; }
	tr '\0' '\n' <"$1" | grep -c '^RUN$'
}
# hook_ran FILE N: hook_record recorded at least N runs (for wait_for).
hook_ran() { [ "$(hook_run_count "$1")" -ge "$2" ]; }
# hook_events FILE: "EVENT PATH" lines of hook_runs, sorted.
hook_events() { hook_runs "$1" | cut -f1,5 | sort; }

# start_line_listener OUT ARGS...: tests/helpers/line_listen.py (ARGS:
# --tcp PORT or --unix PATH, maybe --no-read) in the background, appending
# what it receives to OUT; returns once it listens.  Sets LISTENER_PID.
LISTENER_PID=
start_line_listener() {
	local out=$1
	shift
	rm -f "$out.ready"
	_lib_launch "$out.rc" "$T/listener.log" python3 "$TESTS_DIR/helpers/line_listen.py" \
		--out "$out" --ready "$out.ready" "$@"
	LISTENER_PID=$_LIB_LAUNCHED
	_lib_track "$LISTENER_PID" # the launcher's subshell does not take it along
	wait_for 10 "the listener for $out" test -e "$out.ready"
}

# ---------------------------------------------------------- HTTP listener --
#
# tests/helpers/http_listen.py (Python 3, standard library) on 127.0.0.1,
# the receiver of http and cdn hooks: each request is a JSON line in
# $HTTP_OUT; tests/helpers/http_records.py reads them (http_records).

HTTP_PID=
HTTP_PORT=
HTTP_OUT=$T/http.jsonl
HTTP_MODE=$T/http.mode

need_python() {
	command -v python3 >/dev/null 2>&1 || skip "python3 is not installed (tests/install-deps)"
}

# start_http_listener [ARGS...]: start the listener with ARGS (see
# http_listen.py: --fail-first N, --mirror DIR...); it answers what
# $HTTP_MODE holds ("hang", a status) or 200 when there is no such file.
# Sets HTTP_PORT from free_port the first time and keeps it for a restart.
start_http_listener() {
	local tries pf fixed=${HTTP_PORT:-}
	[ -z "$HTTP_PID" ] || fail "start_http_listener: one is already running"
	for ((tries = 0; tries < 5; tries++)); do
		[ -n "$fixed" ] || HTTP_PORT=$(free_port)
		pf=$T/http.port.$RANDOM
		python3 "$TESTS_DIR/helpers/http_listen.py" --port "$HTTP_PORT" --port-file "$pf" \
			--out "$HTTP_OUT" --mode-file "$HTTP_MODE" "$@" 2>>"$T/http.stderr" &
		HTTP_PID=$!
		_lib_track "$HTTP_PID"
		if _lib_await_server "$HTTP_PID" 200 0.05 test -s "$pf"; then
			log "HTTP listener pid $HTTP_PID on 127.0.0.1:$HTTP_PORT"
			return 0
		fi
		stop_pid "$HTTP_PID" 1
		HTTP_PID=
		[ -z "$fixed" ] || sleep 0.2
	done
	cat "$T/http.stderr" >&2
	fail "the HTTP listener did not start"
}

stop_http_listener() {
	[ -n "$HTTP_PID" ] || return 0
	stop_pid "$HTTP_PID" 2
	wait "$HTTP_PID" 2>/dev/null
	HTTP_PID=
	log "HTTP listener stopped"
}

# http_records CMD [ARGS...]: tests/helpers/http_records.py CMD $HTTP_OUT ARGS.
http_records() {
	local cmd=$1
	shift
	[ -e "$HTTP_OUT" ] || : >"$HTTP_OUT"
	python3 "$TESTS_DIR/helpers/http_records.py" "$cmd" "$HTTP_OUT" "$@"
}
http_requests() { http_records count; }
http_requests_ge() { [ "$(http_records count)" -ge "$1" ]; }
