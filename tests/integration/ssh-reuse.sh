#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An ssh:// target's pushes share one authenticated connection (an OpenSSH
# control master with its socket in the instance's runtime directory): five
# pushes after the first log no new login at the sshd.  A killed master is
# replaced at the next push; after a SIGKILL of the worker the next worker
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
{ source_section "$SRC"; ssh_remote r1 "$DST"; fast_sections; } >"$CFG"
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
before=$(logins)
for i in 1 2 3 4 5; do
	push_one "$i"
done
assert_eq "$(logins)" "$before" "logins at the sshd for five more pushes"
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

# SIGKILL: the master is left; the next worker stops it and runs its own
kill_syncd
alive "$pid" || fail "the master went with the worker's SIGKILL (the test needs it left)"
start_syncd "$CFG" -v
wait_ready
wait_for 10 "the old master to be stopped" eval '! alive "$pid"'
push_one 8
newpid=$(master_pid)
[ -n "$newpid" ] && [ "$newpid" != "$pid" ] || fail "no new master after the restart (old $pid, now '$newpid')"

# a clean stop leaves nothing
stop_syncd
wait_for 10 "the master to exit with the worker" eval '! alive "$newpid"'
assert_not_exists "$SOCK"
pass
