#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An ssh:// target's pushes share one authenticated connection (an OpenSSH
# control master with its socket in the instance's runtime directory): three
# pushes after the first log no new login at the sshd.  A killed master is
# replaced at the next push; a hung one costs one push its timeout, the next
# runs on a new master; after a SIGKILL of the worker the next worker
# stops the master left behind and starts its own; a clean stop leaves no
# master and no socket.  Skipped (77) unless root and /usr/sbin/sshd exist.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
start_sshd
SRC=$T/src
DST=$T/ssh-mirror
mkdir -p "$SRC" "$DST"
CFG=$T/reuse.ini
{ source_section "$SRC"; ssh_remote r1 "$DST" | sed 's/^timeout = .*/timeout = 2s/'; fast_sections; } >"$CFG"
SOCK=$SYNCD_RUNTIME/reuse/r1.ssh

logins() { grep -c 'Accepted publickey' "$T/sshd/sshd.log"; }
# master_pid: the pid of the master behind $SOCK, empty: none answers
master_pid() {
	ssh -o ControlPath="$SOCK" -O check root@127.0.0.1 2>&1 | sed -n 's/^Master running (pid=\([0-9]*\)).*/\1/p'
}
alive() { # PID: running, not a zombie
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ]
}
push_one() { # N: one file, pushed
	printf 'file %s\n' "$1" >"$SRC/f$1"
	wait_converged "$SRC" "$DST"
}

start_syncd "$CFG" -v
wait_ready
push_one 0
# the full sync at start may have raced the first push to become the
# master, one of them then logged in on its own: count from when both ended
wait_for 20 "the first full sync" log_count_gt 'r1: full sync done' 0
before=$(logins)
for i in 1 2 3; do
	push_one "$i"
done
assert_eq "$(logins)" "$before" "logins at the sshd for three more pushes"
[ -S "$SOCK" ] || fail "no control socket at $SOCK"

# a master that dies is replaced at the next push
pid=$(master_pid)
[ -n "$pid" ] || fail "no master answers at $SOCK"
kill -KILL "$pid"
push_one 6
push_one 7
assert_eq "$(logins)" "$((before + 1))" "logins after the master was killed (one new)"
pid=$(master_pid)
[ -n "$pid" ] || fail "no master answers at $SOCK after the restart"

# a master that hangs holds a push until its timeout (2s), then it is
# retired and the retry runs on a new master
kill -STOP "$pid"
push_one 9
kill -CONT "$pid"
[ -S "$SOCK.retired" ] || fail "no retired master at $SOCK.retired"
assert_log 'r1: the next run starts a new ssh connection'
retired=$pid
pid=$(master_pid)
[ -n "$pid" ] && [ "$pid" != "$retired" ] || fail "no new master after the hung one (now '$pid')"

# SIGKILL: the masters are left; the next worker stops them and runs its own
kill_syncd
alive "$pid" || fail "the master went with the worker's SIGKILL (the test needs it left)"
start_syncd "$CFG" -v
wait_ready
wait_for 10 "the old master to be stopped" eval '! alive "$pid"'
wait_for 10 "the retired master to be stopped" eval '! alive "$retired"'
assert_not_exists "$SOCK.retired"
push_one 8
newpid=$(master_pid)
[ -n "$newpid" ] && [ "$newpid" != "$pid" ] || fail "no new master after the restart (old $pid, now '$newpid')"

# a clean stop leaves nothing
stop_syncd
wait_for 10 "the master to exit with the worker" eval '! alive "$newpid"'
assert_not_exists "$SOCK"
pass
