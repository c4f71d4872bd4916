#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make deb` builds a .deb that lintian finds no error in, that installs
# without a running systemd and enables and starts nothing, whose payload
# works where it is installed (the binaries, man pages, units that pass
# systemd-analyze verify, the bash completion, and a supervisor that mirrors
# an instance with its built-in default directories), that `dpkg -r` leaves
# the operator's files and the state behind, and that `dpkg -P` leaves
# nothing of on this machine: a listing of every path naming syncd or
# syncctl is the same before the install and after the purge.  The package
# is purged on the way out even when the test fails.
#
# Root only; run in the normal build's pass with the system's rsync only
# (the package is built from the source: other passes would repeat it).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_root
packaging_pass_only
for c in dpkg-buildpackage dh lintian man systemd-analyze; do
	command -v "$c" >/dev/null || skip "$c is not installed (tests/install-deps installs it)"
done

# One package test at a time on this machine (they share build/deb, and
# package-deb installs): another one, e.g. of a concurrent make check, is
# waited for.
exec 8>/run/lock/syncd-package-tests.lock
flock -w 90 8 || skip "another package test held /run/lock/syncd-package-tests.lock for 90 s"
if st=$(dpkg-query -W -f='${db:Status-Abbrev}' syncd 2>/dev/null) && [ "${st:1:1}" != n ]; then
	skip "a syncd package is on this machine (dpkg status '$st'): this test would replace and purge it"
fi
for p in /etc/syncd /var/lib/syncd /run/syncd /usr/bin/syncd /usr/bin/syncctl; do
	if [ -e "$p" ]; then skip "$p exists: purging the test package would remove it"; fi
done

VERSION=$(sed -n 's/^VERSION *= *//p' "$REPO_ROOT/Makefile")
DEB=$REPO_ROOT/build/deb/syncd_${VERSION}_$(dpkg --print-architecture).deb

# Every path on this machine that names syncd or syncctl (rsyncd.conf and
# systemd-timesyncd's files among them, unchanged throughout).
snapshot() {
	find /etc /usr /var /run /opt /srv \
		\( -path /var/tmp -o -path /var/cache -o -path /var/log -o -path /var/lib/apt \) -prune -o \
		\( -path '*syncd*' -o -path '*syncctl*' \) -print 2>/dev/null | sort
}

pkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' syncd 2>/dev/null; }

# Purge on any exit, before lib.sh's own cleanup (which gets the exit status).
# shellcheck disable=SC2317 # run by the trap
_pkg_cleanup() {
	local rc=$? st
	# A supervisor of this test first: its binary is about to go.
	_lib_syncctl_cleanup
	SUPERVISOR_PID=
	if st=$(pkg_status) && [ "${st:1:1}" != n ]; then
		echo "cleanup: dpkg -P syncd (status '$st')" >&2
		dpkg -P syncd >>"$T/dpkg.log" 2>&1 || echo "cleanup: dpkg -P syncd failed" >&2
	fi
	(exit "$rc")
	_lib_cleanup
}
trap _pkg_cleanup EXIT

snapshot >"$T/before"

# ---- build
t0=$(now_ms)
make -C "$REPO_ROOT" deb >"$T/build.log" 2>&1 || {
	tail -n 30 "$T/build.log" >&2
	fail "make deb failed"
}
log "make deb: $(elapsed_since "$t0")s"
assert_file "$DEB"

# The payload (usr/share/doc's changelog.gz and copyright aside).
dpkg-deb -c "$DEB" | awk '{ print $1, $6 }' | sed 's| \./| /|; s|/$||' >"$T/contents"
for want in \
	'-rwxr-xr-x /usr/bin/syncd' '-rwxr-xr-x /usr/bin/syncctl' \
	'-rw-r--r-- /lib/systemd/system/syncd@.service' \
	'-rw-r--r-- /lib/systemd/system/syncctl.service' \
	'-rw-r--r-- /lib/systemd/system/syncd.target' \
	'drwxr-xr-x /etc/syncd/instances.d' 'drwxr-x--- /var/lib/syncd' \
	'-rw-r--r-- /usr/lib/sysctl.d/60-syncd.conf' '-rw-r--r-- /usr/lib/tmpfiles.d/syncd.conf' \
	'-rw-r--r-- /usr/share/bash-completion/completions/syncctl' \
	'-rw-r--r-- /usr/share/man/man8/syncd.8.gz' '-rw-r--r-- /usr/share/man/man8/syncctl.8.gz' \
	'-rw-r--r-- /usr/share/man/man5/syncd.ini.5.gz' \
	'-rw-r--r-- /usr/share/doc/syncd/examples/www.ini' \
	'-rw-r--r-- /usr/share/doc/syncd/examples/bbs.ini' \
	'-rw-r--r-- /usr/share/doc/syncd/examples/blog.ini' \
	'-rw-r--r-- /usr/share/doc/syncd/examples/monitoring/syncd-alerts.yml' \
	'-rw-r--r-- /usr/share/doc/syncd/examples/monitoring/syncd-grafana.json'; do
	grep -qxF -- "$want" "$T/contents" || fail "not in the .deb: $want ($(cat "$T/contents"))"
done
if grep -E '^[^d].* /etc/' "$T/contents"; then fail "the .deb ships files in /etc"; fi

# ---- lintian: no error; warnings are listed (see packaging/debian)
lintian_rc=0
lintian --fail-on error "$DEB" >"$T/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$T/lintian.log" >&2
[ "$lintian_rc" = 0 ] || fail "lintian exited $lintian_rc"
if grep -q '^E: ' "$T/lintian.log"; then fail "lintian reports errors"; fi

# ---- install without systemd
[ -d /run/systemd/system ] && log "systemd runs here: the maintainer scripts will call it"
dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 || {
	cat "$T/dpkg.log" >&2
	fail "dpkg -i failed"
}
cat "$T/dpkg.log" >&2
assert_eq "$(pkg_status)" "ii " "dpkg status after dpkg -i"
if grep -q 'Created symlink' "$T/dpkg.log"; then fail "dpkg -i enabled a unit"; fi
if find /etc/systemd/system -name 'sync[dc]*' | grep .; then fail "a unit is enabled after dpkg -i"; fi
assert_dir /etc/syncd/instances.d
[ -z "$(ls -A /etc/syncd/instances.d)" ] || fail "/etc/syncd/instances.d is not empty"
assert_eq "$(stat -c %a /var/lib/syncd)" 750 "mode of /var/lib/syncd"
# The tmpfiles.d entry, applied by the postinst.
assert_dir /run/syncd
assert_eq "$(stat -c %a /run/syncd)" 755 "mode of /run/syncd"

# ---- the payload works
assert_eq "$(/usr/bin/syncctl --version)" "syncctl $VERSION" "syncctl --version"
assert_eq "$(/usr/bin/syncd --version 2>&1 | head -n 1)" "syncd $VERSION" "syncd --version"
for page in "8 syncctl" "8 syncd" "5 syncd.ini"; do
	# shellcheck disable=SC2086 # section and name
	path=$(man -w $page 2>&1) || fail "man -w $page: $path"
	case $path in
	/usr/share/man/*) ;;
	*) fail "man -w $page: $path" ;;
	esac
done
# With the man pages installed, Documentation= is checked too.
out=$(systemd-analyze verify /lib/systemd/system/syncd@.service /lib/systemd/system/syncctl.service \
	/lib/systemd/system/syncd.target 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $rc): $out"
! grep -q @BINDIR@ /lib/systemd/system/sync* || fail "@BINDIR@ left in an installed unit"
grep -qx 'ExecStart=/usr/bin/syncctl daemon --foreground' /lib/systemd/system/syncctl.service ||
	fail "syncctl.service does not run /usr/bin/syncctl"
# The inotify limits: only known keys, each a number above the kernel's
# default, none applied by the install (that is for systemd-sysctl).
while read -r key eq value; do
	case $key in '' | '#'*) continue ;; esac
	[ "$eq" = = ] || fail "60-syncd.conf: bad line: $key $eq $value"
	[ -e "/proc/sys/${key//.//}" ] || fail "60-syncd.conf: no such sysctl: $key"
	case $value in *[!0-9]* | '') fail "60-syncd.conf: $key: not a number: $value" ;; esac
	log "sysctl.d: $key = $value (now $(cat "/proc/sys/${key//.//}"))"
done </usr/lib/sysctl.d/60-syncd.conf
grep -q '^fs.inotify.max_user_watches = ' /usr/lib/sysctl.d/60-syncd.conf || fail "no max_user_watches"
grep -q '^fs.inotify.max_queued_events = ' /usr/lib/sysctl.d/60-syncd.conf || fail "no max_queued_events"
# bash-completion finds the completion by itself.
out=$(bash -c '. /usr/share/bash-completion/bash_completion && __load_completion syncctl && complete -p syncctl' 2>&1)
assert_eq "$out" "complete -F _syncctl syncctl" "the completion bash-completion loads"

# An instance as an operator would add one, run by the installed supervisor
# with its defaults (/etc/syncd, /run/syncd, /var/lib/syncd, syncd next to
# syncctl): lib.sh's supervisor helpers on the installed paths.
SYNCD=/usr/bin/syncd SYNCCTL=/usr/bin/syncctl SCTL_SYNCD=/usr/bin/syncd
SCTL_CONFIG=/etc/syncd SCTL_INST=/etc/syncd/instances.d SCTL_RUNTIME=/run/syncd
SCTL_STATE=/var/lib/syncd SCTL_SOCK=/run/syncd/syncctl.sock
SCTL_ENV=()
instance_ini www
out=$(/usr/bin/syncctl check www 2>&1) || fail "syncctl check www: $out"
start_supervisor
wait_state www running 15
echo hello >"$(isrc www)/hello"
wait_for 10 "hello mirrored by the installed worker" test -f "$(idst www)/hello"
assert_dir /var/lib/syncd/www
stop_supervisor
printf 'secret\n' >/etc/syncd/www.secret
# And as systemctl would enable the units (offline: only the symlinks).
systemctl enable syncctl.service syncd@www.service >>"$T/dpkg.log" 2>&1 ||
	fail "systemctl enable: $(tail -n 5 "$T/dpkg.log")"
assert_exists /etc/systemd/system/multi-user.target.wants/syncctl.service
assert_exists /etc/systemd/system/multi-user.target.wants/syncd@www.service
assert_exists /etc/systemd/system/syncd.target.wants/syncd@www.service

# ---- remove: the operator's files and the state stay
dpkg -r syncd >>"$T/dpkg.log" 2>&1 || fail "dpkg -r failed: $(tail -n 20 "$T/dpkg.log")"
assert_eq "$(pkg_status)" "rc " "dpkg status after dpkg -r"
assert_file /etc/syncd/instances.d/www.ini
assert_file /etc/syncd/www.secret
assert_dir /var/lib/syncd/www
assert_not_exists /usr/bin/syncd
assert_not_exists /usr/bin/syncctl
assert_not_exists /lib/systemd/system/syncctl.service
assert_not_exists /usr/share/man/man8/syncctl.8.gz

# ---- purge: nothing left
dpkg -P syncd >>"$T/dpkg.log" 2>&1 || fail "dpkg -P failed: $(tail -n 20 "$T/dpkg.log")"
st=$(pkg_status) && [ "${st:1:1}" != n ] && fail "dpkg status after dpkg -P: '$st'"
snapshot >"$T/after"
diff -u "$T/before" "$T/after" >&2 || fail "dpkg -P left files behind (+ lines above)"
pass
