#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-timeout: 600
# The .deb under a real systemd: a Debian 12 root booted with its own
# systemd (systemd-nspawn -b, --private-network: only its loopback), the
# freshly built package installed into it with dpkg -i, then from inside:
#   - syncd@www (the shipped www.ini pointed at the container's rsync
#     daemon) READY (active/running) with the worker's STATUS= line, a
#     change mirrored, `syncctl status` showing it outside syncctl;
#   - SIGSTOP: the watchdog (WatchdogSec= shortened by a drop-in) restarts
#     it; SIGKILL: Restart= does, and KillMode=mixed leaves nothing of the
#     dead worker (a process its command hook left behind);
#   - journald gets the worker's levels and no doubled tag;
#   - a file that does not parse: failed at once, no restart (exit 2); a
#     missing source (exit 1 forever): failed by the start limit;
#   - syncctl.service running www, bbs and blog (the shipped examples
#     pointed at the rsync daemon and a local path), changes in each site,
#     `syncctl flush` as the barrier, the bbs thumbnail hook;
#   - syncctl.service enabled comes back after `systemctl reboot` (nspawn
#     exits; the root is booted again) and mirrors again;
#   - an upgrade (dpkg -i of the same .deb) restarts the supervisor;
#     dpkg -r stops everything and keeps /etc/syncd and /var/lib/syncd;
#   - dpkg --purge: no process, unit or path of ours is left.
# The root is debootstrapped once and cached as a tarball in
# /var/cache/syncd-tests (rebuilt when missing, older than 30 days or
# broken) and extracted fresh for every run.  Everything the test makes
# (the container, its cgroups, the root) is removed on any exit.  Skips where
# systemd-nspawn or debootstrap is missing, the archive cannot be reached,
# or the container does not boot.
#
# Root only; run once, in the normal build's pass with the system's rsync
# (the package is built from the source tree, as package-deb does).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_root
packaging_pass_only
for c in systemd-nspawn debootstrap nsenter dpkg-buildpackage dh flock; do
	command -v "$c" >/dev/null || skip "$c is not installed (tests/install-deps installs it)"
done

CACHE_DIR=${SYNCD_TEST_CACHE:-/var/cache/syncd-tests}
MIRROR=${SYNCD_TEST_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
INCLUDE=systemd,systemd-sysv,dbus,rsync,libsystemd0,libinih1,libcurl4,libexpat1,procps,iproute2
# The cache's name changes with what it holds.
CACHE=$CACHE_DIR/$SUITE-minbase-$(printf '%s' "$INCLUDE" | md5sum | cut -c1-8).tar.gz
ROOT=$T/root
MACHINE=snt$$ # not "syncd": package-deb lists every host path naming syncd
VERSION=$(sed -n 's/^VERSION *= *//p' "$REPO_ROOT/Makefile")
DEB=$REPO_ROOT/build/deb/syncd_${VERSION}_$(dpkg --print-architecture).deb
NSPAWN_PID='' LEADER=''
CGROUPS=()
RUN_NSPAWN_OURS=0
[ -e /run/systemd/nspawn ] || RUN_NSPAWN_OURS=1

# ---- cleanup: the container, its cgroups, then lib.sh's (which removes $T)

# container_stop: the container gone (poweroff asked by SIGTERM to nspawn,
# then SIGKILL to both), its cgroups removed.
# shellcheck disable=SC2317 # run by the trap
container_stop() {
	local cg
	if [ -n "$NSPAWN_PID" ]; then
		stop_pid "$NSPAWN_PID" 20
		# SIGKILL of the container's init ends its whole pid namespace.
		[ -z "$LEADER" ] || stop_pid "$LEADER" 0
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	NSPAWN_PID='' LEADER=''
	for cg in "${CGROUPS[@]}"; do
		[ -d "$cg" ] || continue
		# the container's own cgroups below, deepest first
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null ||
			echo "cleanup: cannot remove $cg: $(tr '\n' ' ' <"$cg/cgroup.procs" 2>/dev/null)" >&2
	done
	CGROUPS=()
	# nspawn's own runtime directory, if this test made it (empty once
	# the container is gone)
	[ "$RUN_NSPAWN_OURS" = 0 ] ||
		rmdir /run/systemd/nspawn/locks /run/systemd/nspawn/propagate /run/systemd/nspawn 2>/dev/null
}
# shellcheck disable=SC2317 # run by the trap
_nspawn_cleanup() {
	local rc=$?
	container_stop
	rm -f "$CACHE.new.$$"
	(exit "$rc")
	_lib_cleanup
}
trap _nspawn_cleanup EXIT

# ---- the root, from the cache

# build_cache: debootstrap into a temp dir, tarred into $CACHE (renamed into
# place once whole: a cut-off build leaves no cache).
build_cache() {
	local dir t0
	dir=$T/debootstrap
	t0=$(now_ms)
	log "debootstrap $SUITE from $MIRROR (once; cached in $CACHE)"
	if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$dir" "$MIRROR" >"$T/debootstrap.log" 2>&1; then
		tail -n 5 "$T/debootstrap.log" >&2
		skip "debootstrap could not make a $SUITE root from $MIRROR: $(grep -m1 -E '^E:' "$T/debootstrap.log")"
	fi
	# The downloaded packages: not needed by the container, half the tarball.
	rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*_Packages
	log "debootstrap: $(elapsed_since "$t0")s"
	tar -C "$dir" -czf "$CACHE.new.$$" . || fail "cannot write $CACHE.new.$$"
	mv "$CACHE.new.$$" "$CACHE" || fail "cannot rename $CACHE.new.$$"
	rm -rf "$dir"
	log "cached $CACHE ($(du -m "$CACHE" | cut -f1) MB, $(elapsed_since "$t0")s)"
}

# extract_root: the cached root into $ROOT; false if the cache is broken.
extract_root() {
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	tar -C "$ROOT" -xzf "$CACHE" 2>"$T/tar.log" &&
		[ -x "$ROOT/lib/systemd/systemd" ] && [ -x "$ROOT/usr/bin/rsync" ] && [ -x "$ROOT/usr/bin/dpkg" ]
}

mkdir -p "$CACHE_DIR" || fail "cannot create $CACHE_DIR"
exec 7>"$CACHE_DIR/.lock"
flock -w 300 7 || skip "another run held $CACHE_DIR/.lock for 300 s"
if [ -f "$CACHE" ] && [ -n "$(find "$CACHE" -mtime +30)" ]; then
	log "$CACHE is older than 30 days: rebuilt"
	rm -f "$CACHE"
fi
[ -f "$CACHE" ] || build_cache
t0=$(now_ms)
if ! extract_root; then
	log "$CACHE is broken ($(head -c 300 "$T/tar.log")): rebuilt"
	rm -f "$CACHE"
	build_cache
	extract_root || fail "the freshly built $CACHE does not extract: $(head -c 300 "$T/tar.log")"
fi
exec 7>&-
log "root extracted: $(elapsed_since "$t0")s"

# ---- the package, built as package-deb builds it (and under its lock)
exec 8>/run/lock/syncd-package-tests.lock
flock -w 90 8 || skip "another package test held /run/lock/syncd-package-tests.lock for 90 s"
t0=$(now_ms)
make -C "$REPO_ROOT" deb >"$T/build.log" 2>&1 || {
	tail -n 30 "$T/build.log" >&2
	fail "make deb failed"
}
assert_file "$DEB"
cp "$DEB" "$ROOT/root/syncd.deb" || fail "cannot copy $DEB into the root"
exec 8>&-
log "make deb: $(elapsed_since "$t0")s"

# ---- booting and driving the container

# in_ct CMD...: run CMD inside the container (every namespace of its init),
# with a clean environment.
in_ct() {
	nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb LC_ALL=C.UTF-8 "$@"
}
# ct_sh SCRIPT: a shell script inside the container.
ct_sh() { in_ct /bin/sh -ec "$1"; }
prop() { in_ct systemctl show -P "$2" "$1"; } # UNIT PROPERTY
prop_is() { [ "$(prop "$1" "$2")" = "$3" ]; }  # UNIT PROPERTY VALUE
journal() { in_ct journalctl -b -u "$1" --no-pager -o cat; } # UNIT: this boot's lines
journal_has() { journal "$1" | grep -qF -- "$2"; } # UNIT TEXT

# The cgroup directories the launching shell moves into: nspawn needs a
# cgroup of its own, in the named systemd hierarchy and the unified one
# (hybrid, as on this machine) or in the unified one alone.
cgroup_dirs() {
	local h
	if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup/$MACHINE"
		return
	fi
	for h in systemd unified; do
		[ -e "/sys/fs/cgroup/$h/cgroup.procs" ] && echo "/sys/fs/cgroup/$h/$MACHINE"
	done
}

# boot: systemd-nspawn -b of $ROOT in the background (its pid NSPAWN_PID,
# the container's init LEADER), waited for until systemd reports the system
# running.  Where PID 1 is systemd, nspawn registers a scope of its own;
# elsewhere the launching shell moves into cgroups of its own first.  A
# first boot that does not get there is a skip (this host cannot), a later
# one a failure (the package's doing).
BOOTED=0
boot() {
	local state i cg no_boot=skip
	[ "$BOOTED" = 0 ] || no_boot=fail
	local -a opts=(-D "$ROOT" -b -M "$MACHINE" --private-network --console=passive)
	if [ "$(cat /proc/1/comm)" != systemd ]; then
		opts+=(--register=no --keep-unit)
		mapfile -t CGROUPS < <(cgroup_dirs)
		[ ${#CGROUPS[@]} -gt 0 ] || skip "no cgroup hierarchy nspawn could use under /sys/fs/cgroup"
	fi
	: >"$T/nspawn.log"
	(
		for cg in "${CGROUPS[@]}"; do
			mkdir -p "$cg" && echo "$BASHPID" >"$cg/cgroup.procs" ||
				{ echo "error: cannot move into the cgroup $cg" && exit 125; }
		done
		exec setsid systemd-nspawn "${opts[@]}"
	) >>"$T/nspawn.log" 2>&1 </dev/null &
	NSPAWN_PID=$!
	LEADER=
	for ((i = 0; i < 600 * TEST_SLOW; i++)); do
		_lib_alive "$NSPAWN_PID" || break
		LEADER=$(ps --ppid "$NSPAWN_PID" -o pid= | tr -d ' ' | head -n 1)
		[ -z "$LEADER" ] || [ "$(cat "/proc/$LEADER/comm" 2>/dev/null)" != systemd ] || break
		LEADER=
		sleep 0.1
	done
	if [ -z "$LEADER" ]; then
		tail -n 20 "$T/nspawn.log" >&2
		$no_boot "systemd-nspawn -b does not start a systemd here ($(grep -m1 -iE 'fail|error' "$T/nspawn.log"))"
	fi
	for ((i = 0; i < 900 * TEST_SLOW; i++)); do
		state=$(in_ct systemctl is-system-running 2>/dev/null)
		case $state in running | degraded) break ;; esac
		_lib_alive "$NSPAWN_PID" || break
		sleep 0.1
	done
	case $state in
	running) ;;
	degraded) fail "the container booted degraded: $(in_ct systemctl --failed --no-legend --plain)" ;;
	*)
		tail -n 30 "$T/nspawn.log" >&2
		$no_boot "the container did not boot within 90 s (systemd says '$state')"
		;;
	esac
	BOOTED=1
}

# reboot_container: systemctl reboot inside makes nspawn exit; boot again.
reboot_container() {
	local cg
	in_ct systemctl reboot || fail "systemctl reboot failed"
	wait_for 60 "nspawn to exit after systemctl reboot" gone "$NSPAWN_PID"
	wait "$NSPAWN_PID"
	log "nspawn exited with $? after the reboot"
	NSPAWN_PID='' LEADER=''
	for cg in "${CGROUPS[@]}"; do find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null; done
	boot
}
gone() { ! _lib_alive "$1"; } # PID

# unit_wait TIMEOUT UNIT PROPERTY VALUE: poll until UNIT's PROPERTY is
# VALUE; on a timeout the failure shows the unit's state and journal.
unit_wait() {
	local deadline
	deadline=$(_lib_deadline "$1")
	until prop_is "$2" "$3" "$4"; do
		if _lib_past "$deadline"; then
			in_ct systemctl status --no-pager -n 30 "$2" >&2
			fail "$2: $3 is '$(prop "$2" "$3")' after ${1}s, waiting for '$4'"
		fi
		sleep 0.1
	done
}

t0=$(now_ms)
boot
log "booted: $(elapsed_since "$t0")s (systemd $(in_ct systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'))"

# Every path of the root naming syncd or syncctl, as package-deb's snapshot.
snapshot() {
	ct_sh 'find / /run -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /root \) -prune -o \
		\( -path "*syncd*" -o -path "*syncctl*" \) -print | grep -Ev "timesyncd|rsyncd" | sort'
}
snapshot >"$T/before" || fail "snapshot before the install"

# ---- install
in_ct dpkg -i /root/syncd.deb >"$T/dpkg.log" 2>&1 || {
	cat "$T/dpkg.log" >&2
	fail "dpkg -i in the container failed"
}
assert_eq "$(in_ct dpkg-query -W -f='${db:Status-Abbrev}' syncd)" "ii " "dpkg status after dpkg -i"
prop_is syncctl.service UnitFileState disabled || fail "syncctl.service is $(prop syncctl.service UnitFileState) after dpkg -i"
prop_is syncctl.service ActiveState inactive || fail "syncctl.service runs after dpkg -i"

# The mirrors: the container's rsync daemon (Debian's rsync.service) with a
# module per remote, and a local path for blog.
ct_sh '
mkdir -p /srv/mirror/www1 /srv/mirror/www2 /srv/mirror/bbs /mnt/backup/blog /var/www/html \
	/srv/bbs/uploads /var/www/blog
cat >/etc/rsyncd.conf <<EOF
address = 127.0.0.1
uid = root
gid = root
use chroot = yes
read only = no
auth users = sync
secrets file = /etc/rsyncd.secrets
[www1]
path = /srv/mirror/www1
[www2]
path = /srv/mirror/www2
[bbs]
path = /srv/mirror/bbs
EOF
printf "sync:s3cret\n" >/etc/rsyncd.secrets
chmod 600 /etc/rsyncd.secrets
printf "s3cret\n" >/etc/syncd/www.secret
printf "s3cret\n" >/etc/syncd/bbs.secret
chmod 600 /etc/syncd/www.secret /etc/syncd/bbs.secret
systemctl enable rsync.service 2>/dev/null
systemctl restart rsync.service
' || fail "setting up the rsync daemon in the container"
unit_wait 20 rsync.service ActiveState active

# The shipped examples, pointed at them: www's two web servers at two
# modules (its CDN purge hook has no Varnish here: dropped), bbs's ssh
# backup at a module, its thumbnail program at a stand-in that lists what it
# gets; blog as shipped (a local path).
EX=/usr/share/doc/syncd/examples
ct_sh "
sed -e 's|rsync://sync@192.0.2.21/www|rsync://sync@127.0.0.1/www1|' \
    -e 's|rsync://sync@192.0.2.22/www|rsync://sync@127.0.0.1/www2|' \
    -e '/^\[hook purge\]/,\$d' $EX/www.ini >/root/www.ini
sed -e 's|^target = ssh://.*|target = rsync://sync@127.0.0.1/bbs\npassword_file = /etc/syncd/bbs.secret|' \
    -e '/^ssh_key\|^ssh_options/d' $EX/bbs.ini >/root/bbs.ini
cp $EX/blog.ini /root/blog.ini
mkdir -p /usr/local/bin
printf '#!/bin/sh\nprintf \"%%s\\\\n\" \"\$@\" >>/var/lib/thumbs.list\n' >/usr/local/bin/make-thumbnails
chmod 755 /usr/local/bin/make-thumbnails
" || fail "adapting the examples"
for n in www bbs blog; do
	in_ct grep -q 192.0.2 "/root/$n.ini" && fail "$n.ini still names 192.0.2.x"
done
in_ct grep -q '^target = rsync://sync@127.0.0.1/bbs$' /root/bbs.ini || fail "bbs.ini: $(in_ct cat /root/bbs.ini)"

# ---- syncd@www: READY, STATUS, a change mirrored
# A watchdog of 8 s instead of 30 s, so that a stopped worker is seen soon.
# A hook that leaves a process behind (as an ssh below a run can): what
# KillMode=mixed must kill once the worker is gone.
ct_sh '
cp /root/www.ini /etc/syncd/instances.d/www.ini
printf "[hook stray]\ntype = command\nrun = /usr/local/bin/stray\n" >>/etc/syncd/instances.d/www.ini
printf "#!/bin/sh\nsleep 1000 </dev/null >/dev/null 2>&1 &\necho \$! >>/var/lib/stray.pids\n" >/usr/local/bin/stray
chmod 755 /usr/local/bin/stray
mkdir -p /etc/systemd/system/syncd@.service.d
printf "[Service]\nWatchdogSec=8s\n" >/etc/systemd/system/syncd@.service.d/watchdog.conf
systemctl daemon-reload
echo "<h1>hi</h1>" >/var/www/html/index.html
' || fail "installing www.ini"
out=$(in_ct syncd --check --config /etc/syncd/instances.d/www.ini 2>&1) || fail "syncd --check www.ini: $out"
t0=$(now_ms)
in_ct systemctl enable --now syncd@www.service >>"$T/dpkg.log" 2>&1 ||
	fail "systemctl enable --now syncd@www: $(in_ct journalctl -b -u syncd@www --no-pager | tail -n 20)"
# Type=notify: start returns once the worker sent READY=1.
assert_eq "$(prop syncd@www.service ActiveState)/$(prop syncd@www.service SubState)" active/running "syncd@www"
log "syncd@www ready: $(elapsed_since "$t0")s"
status=$(prop syncd@www.service StatusText)
case $status in
*"watching "*" dirs"*"of 2 remotes failing"*) log "syncd@www STATUS: $status" ;;
*) fail "syncd@www StatusText: '$status'" ;;
esac
wait_for 20 "index.html on both www mirrors" \
	in_ct test -f /srv/mirror/www1/index.html -a -f /srv/mirror/www2/index.html
status_has() { [[ "$(prop "$1" StatusText)" == *"$2"* ]]; } # UNIT TEXT
wait_for 10 "the mirrors' full sync in StatusText" \
	status_has syncd@www.service "0 paths pending; 0 of 2 remotes failing"
# syncctl, with no supervisor, knows who runs www.
out=$(in_ct syncctl status www 2>&1) || fail "syncctl status www (syncd@www running): $out"
grep -Eq "^www +running +$(prop syncd@www.service MainPID) " <<<"$out" && grep -q 'outside syncctl' <<<"$out" ||
	fail "syncctl status does not show www running outside syncctl: $out"

main_pid() { prop syncd@www.service MainPID; }
restarted_from() { # OLD-PID: another worker runs and is ready
	local p
	p=$(main_pid)
	[ "$p" != 0 ] && [ "$p" != "$1" ] && prop_is syncd@www.service SubState running
}

# ---- SIGSTOP: the watchdog (8 s) aborts it, Restart= starts it again
pid=$(main_pid)
n0=$(prop syncd@www.service NRestarts)
t0=$(now_ms)
in_ct kill -STOP "$pid"
wait_for 40 "the watchdog to restart the stopped worker $pid" restarted_from "$pid"
log "SIGSTOP -> restarted in $(elapsed_since "$t0")s"
assert_eq "$(prop syncd@www.service NRestarts)" $((n0 + 1)) "NRestarts after the watchdog"
journal_has syncd@www 'Watchdog timeout' ||
	fail "no 'Watchdog timeout' in syncd@www's journal"
in_ct sh -c 'rm -f /var/lib/stray.pids; echo two >/var/www/html/two.html'
wait_for 20 "two.html mirrored by the restarted worker" in_ct test -f /srv/mirror/www2/two.html

# ---- SIGKILL: Restart=on-failure, and nothing of the dead worker's left
wait_for 20 "the stray hook's process" in_ct test -s /var/lib/stray.pids
strays=$(in_ct cat /var/lib/stray.pids)
for p in $strays; do in_ct kill -0 "$p" || fail "the stray hook's process $p is not running"; done
pid=$(main_pid)
t0=$(now_ms)
in_ct kill -KILL "$pid"
wait_for 20 "syncd@www to restart after SIGKILL of $pid" restarted_from "$pid"
log "SIGKILL -> restarted in $(elapsed_since "$t0")s"
assert_eq "$(prop syncd@www.service NRestarts)" $((n0 + 2)) "NRestarts after SIGKILL"
for p in $strays; do
	if in_ct kill -0 "$p" 2>/dev/null; then fail "a process the killed worker left (pid $p) outlived its restart"; fi
done

# ---- no restart loop: a file that does not parse (exit 2, no restart)
# and a source that is missing (exit 1: restarted until the start limit)
ct_sh '
printf "[source]\npath = /srv/x\n[remote a\ntarget = /tmp/x\n" >/etc/syncd/instances.d/bad.ini
sed "s|^path = /var/www/html|path = /srv/nowhere|" /root/www.ini >/etc/syncd/instances.d/nosrc.ini
systemctl start --no-block syncd@bad.service syncd@nosrc.service
'
t0=$(now_ms)
unit_wait 20 syncd@bad.service ActiveState failed
assert_eq "$(prop syncd@bad.service ExecMainStatus)/$(prop syncd@bad.service NRestarts)" 2/0 \
	"syncd@bad: exit status / restarts"
# (systemd 252 keeps Result=exit-code and says so in the journal)
wait_for 60 "syncd@nosrc to hit its start limit" \
	journal_has syncd@nosrc 'syncd@nosrc.service: Start request repeated too quickly'
unit_wait 5 syncd@nosrc.service ActiveState failed
log "missing source: start limit hit in $(elapsed_since "$t0")s"
assert_eq "$(prop syncd@nosrc.service NRestarts)" 5 "syncd@nosrc restarts (StartLimitBurst=5)"
journal_has syncd@bad 'bad.ini:3' || fail "syncd@bad's journal does not name bad.ini:3: $(journal syncd@bad | tail -n 5)"
# journald: the worker's levels reach it ("<N>"), no tag of ours is doubled
# before journald's own syncd[PID].
in_ct journalctl -b -u syncd@nosrc -p err -o cat --no-pager | grep -qF '/srv/nowhere: No such file or directory' ||
	fail "the missing source is not in syncd@nosrc's journal at priority err: $(journal syncd@nosrc | tail -n 5)"
no_own_tag() { # UNIT TAG
	if journal "$1" | grep -E "^(<[0-7]>|$2)"; then fail "$1: lines with '<N>' or '$2' in the journal"; fi
}
no_own_tag syncd@www 'syncd\[|syncd:'

# ---- syncctl.service with www, bbs and blog
ct_sh '
systemctl disable --now syncd@www.service
systemctl reset-failed syncd@bad.service syncd@nosrc.service
rm /etc/syncd/instances.d/bad.ini /etc/syncd/instances.d/nosrc.ini
cp /root/bbs.ini /root/blog.ini /etc/syncd/instances.d/
' >>"$T/dpkg.log" 2>&1 || fail "switching to syncctl.service"
in_ct systemctl enable --now syncctl.service >>"$T/dpkg.log" 2>&1 ||
	fail "systemctl enable --now syncctl: $(in_ct journalctl -b -u syncctl --no-pager | tail -n 20)"
assert_eq "$(prop syncctl.service ActiveState)" active "syncctl.service"

# status_running: syncctl status says www, bbs and blog are running.
status_running() {
	local out
	out=$(in_ct syncctl status 2>&1) || return 1
	for n in www bbs blog; do
		grep -Eq "^$n +running" <<<"$out" || return 1
	done
}
wait_for 30 "www, bbs and blog running under syncctl.service" status_running
# changes in each site, then flush: on every mirror once it returns
change_and_flush() { # TAG
	ct_sh "
echo $1 >/var/www/html/$1.html
mkdir -p /srv/bbs/uploads/$1 && echo jpeg >/srv/bbs/uploads/$1/cat.jpg
echo $1 >/var/www/blog/$1.html
" || fail "changing the sites"
	out=$(in_ct syncctl flush --timeout 30 2>&1) || fail "syncctl flush: $out"
	for f in www1/$1.html www2/$1.html bbs/$1/cat.jpg; do
		in_ct test -f "/srv/mirror/$f" || fail "/srv/mirror/$f missing after syncctl flush ($out)"
	done
	in_ct test -f "/mnt/backup/blog/$1.html" || fail "/mnt/backup/blog/$1.html missing after syncctl flush ($out)"
}
change_and_flush first
no_own_tag syncctl 'syncctl:'
journal syncctl | grep -q '^www: ' || fail "no worker line of www relayed as 'www: ...' in syncctl's journal"
log "syncctl flush: $out"
wait_for 20 "the thumbnail hook to get uploads/first/cat.jpg" \
	in_ct grep -qx /srv/bbs/uploads/first/cat.jpg /var/lib/thumbs.list

# ---- reboot: syncctl.service is enabled, and runs the three again
t0=$(now_ms)
reboot_container
log "rebooted: $(elapsed_since "$t0")s"
assert_eq "$(prop syncctl.service ActiveState)" active "syncctl.service after the reboot"
assert_eq "$(prop syncd@www.service ActiveState)" inactive "syncd@www (disabled) after the reboot"
wait_for 30 "www, bbs and blog running after the reboot" status_running
change_and_flush second

# ---- upgrade (the same .deb again): the running supervisor is restarted
# on the new binaries and runs the three again
pid=$(prop syncctl.service MainPID)
in_ct dpkg -i /root/syncd.deb >>"$T/dpkg.log" 2>&1 || fail "dpkg -i over itself: $(tail -n 20 "$T/dpkg.log")"
unit_wait 30 syncctl.service SubState running
[ "$(prop syncctl.service MainPID)" != "$pid" ] || fail "syncctl.service was not restarted by the upgrade"
wait_for 30 "www, bbs and blog running after the upgrade" status_running
change_and_flush third

# ---- remove: everything stopped, the operator's files and the state kept
in_ct dpkg -r syncd >>"$T/dpkg.log" 2>&1 || fail "dpkg -r: $(tail -n 20 "$T/dpkg.log")"
assert_eq "$(prop syncctl.service ActiveState)" inactive "syncctl.service after dpkg -r"
if in_ct pgrep -l -x 'syncd|syncctl'; then fail "processes of ours after dpkg -r"; fi
for f in /etc/syncd/instances.d/www.ini /etc/syncd/www.secret /var/lib/syncd/www; do
	in_ct test -e "$f" || fail "dpkg -r removed $f"
done

# ---- purge: nothing of ours left (the test's own drop-in aside, which an
# operator's would be too)
in_ct rm -r /etc/systemd/system/syncd@.service.d
in_ct dpkg --purge syncd >>"$T/dpkg.log" 2>&1 || fail "dpkg --purge: $(tail -n 20 "$T/dpkg.log")"
st=$(in_ct dpkg-query -W -f='${db:Status-Abbrev}' syncd 2>/dev/null) && [ "${st:1:1}" != n ] &&
	fail "dpkg status after dpkg --purge: '$st'"
if in_ct pgrep -l -x 'syncd|syncctl'; then fail "processes of ours after the purge"; fi
in_ct systemctl daemon-reload
units=$(in_ct systemctl list-units --all --no-legend --plain 'sync[cd]*')
[ -z "$units" ] || fail "units left after the purge: $units"
snapshot >"$T/after" || fail "snapshot after the purge"
diff -u "$T/before" "$T/after" >&2 || fail "dpkg --purge left paths behind (+ lines above)"

in_ct systemctl poweroff
wait_for 60 "nspawn to exit after poweroff" gone "$NSPAWN_PID"
pass
