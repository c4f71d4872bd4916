#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make rpm` builds an .rpm with rpmbuild (its database and temp files in
# build/rpm, none in ~/.rpmdb) whose payload is the .deb's: the two file
# lists, with their modes, are the same once normalized (see below); its
# scriptlets pass `sh -n`; it requires rsync as the .deb does; and it
# installs into, and erases from, a throwaway root with the modes and
# ExecStart= lines expected.  Nothing is installed on this machine.
#
# Allowed differences, removed before comparing:
#   /lib/systemd/system (.deb) vs /usr/lib/systemd/system (.rpm): debhelper
#       13.11 writes maintainer scripts only for units in /lib; %{_unitdir}
#       is /usr/lib (the same directory on a merged-/usr system);
#   .gz on the man pages: dh_compress compresses them; Debian's rpmbuild
#       does not (Fedora's brp-compress would);
#   /usr/share/doc/syncd/changelog.gz and copyright: Debian policy files
#       (an rpm keeps its changelog in its header);
#   /usr/share/licenses/syncd*/LICENSE: the rpm's %license (the .deb's
#       copyright names the licence and points to common-licenses);
#   /usr/share/lintian/overrides/syncd: for lintian only;
#   /usr/lib/.build-id/: rpm's links from build ids to the binaries;
#   directories that are not syncd's own (/usr/bin, /usr/share/man/man8,
#       ...): the .deb lists every parent directory, the .rpm only those
#       it owns (%dir).
#
# Root only (the throwaway root install sets owners); run in the normal
# build's pass with the system's rsync only.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_root
packaging_pass_only
for c in rpmbuild rpm dpkg-buildpackage dh; do
	command -v "$c" >/dev/null || skip "$c is not installed (tests/install-deps installs it)"
done

# One package test at a time on this machine (they share build/deb, and
# package-deb installs): another one, e.g. of a concurrent make check, is
# waited for.
exec 8>/run/lock/syncd-package-tests.lock
flock -w 90 8 || skip "another package test held /run/lock/syncd-package-tests.lock for 90 s"

VERSION=$(sed -n 's/^VERSION *= *//p' "$REPO_ROOT/Makefile")
ARCH=$(rpm --eval '%{_arch}')
RPM=$REPO_ROOT/build/rpm/RPMS/$ARCH/syncd-$VERSION-1.$ARCH.rpm
DEB=$REPO_ROOT/build/deb/syncd_${VERSION}_$(dpkg --print-architecture).deb
Q=(rpm --dbpath "$REPO_ROOT/build/rpm/rpmdb")

home_rpmdb_before=0
[ -e "$HOME/.rpmdb" ] && home_rpmdb_before=1

# ---- build both (the .deb to compare with; both from the same tree)
t0=$(now_ms)
make -C "$REPO_ROOT" rpm >"$T/build-rpm.log" 2>&1 || {
	tail -n 30 "$T/build-rpm.log" >&2
	fail "make rpm failed"
}
log "make rpm: $(elapsed_since "$t0")s"
assert_file "$RPM"
make -C "$REPO_ROOT" deb >"$T/build-deb.log" 2>&1 || {
	tail -n 30 "$T/build-deb.log" >&2
	fail "make deb failed"
}
assert_file "$DEB"

out=$("${Q[@]}" -K --nosignature "$RPM" 2>&1) || fail "rpm -K: $out"
case $out in *"digests OK"*) ;; *) fail "rpm -K: $out" ;; esac

# ---- the same payload
# "MODE PATH" lines; directories only where the path names syncd.
normalize() {
	awk '{ print $1, $2 }' |
		sed -E 's|^(\S+) \./|\1 /|; s|/$||' |
		awk '$1 !~ /^d/ || $2 ~ /syncd/' |
		sed -E 's| /lib/systemd/| /usr/lib/systemd/|; s|^(\S+ /usr/share/man/.*)\.gz$|\1|' |
		grep -vE ' (/usr/share/doc/syncd/(changelog\.gz|copyright)|/usr/share/licenses/syncd[^/]*(/LICENSE)?|/usr/share/lintian(/.*)?|/usr/lib/\.build-id(/.*)?)$' |
		sort
}
dpkg-deb -c "$DEB" | awk '{ print $1, $6 }' | normalize >"$T/deb.list"
"${Q[@]}" -qlvp "$RPM" | awk '{ print $1, $9 }' | normalize >"$T/rpm.list"
[ -s "$T/rpm.list" ] || fail "rpm -qlvp listed nothing"
diff -u "$T/deb.list" "$T/rpm.list" >&2 || fail "the .deb (-) and the .rpm (+) install different files"
log "same payload: $(wc -l <"$T/rpm.list") entries"
grep -qx 'drwxr-x--- /var/lib/syncd' "$T/rpm.list" || fail "/var/lib/syncd is not 0750 in the .rpm"

# No config files in either (nothing but an empty directory in /etc).
assert_eq "$("${Q[@]}" -qpc "$RPM")" "" "config files of the .rpm"
if dpkg-deb --ctrl-tarfile "$DEB" | tar -t | grep -qx './conffiles'; then
	fail "the .deb has conffiles: $(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles)"
fi

# rsync, as the .deb depends on it.
"${Q[@]}" -qpR "$RPM" | grep -qx 'rsync >= 3.2' || fail "the .rpm does not require rsync >= 3.2"
dpkg-deb -f "$DEB" Depends | grep -q 'rsync (>= 3.2)' || fail "the .deb does not depend on rsync (>= 3.2)"

# ---- scriptlets
n=0
for tag in PREIN POSTIN PREUN POSTUN PRETRANS POSTTRANS; do
	"${Q[@]}" -qp --qf "%{$tag}" "$RPM" >"$T/$tag.sh"
	[ "$(cat "$T/$tag.sh")" = "(none)" ] && continue
	sh -n "$T/$tag.sh" 2>"$T/sh-n.log" || fail "%$tag: sh -n: $(cat "$T/sh-n.log")"$'\n'"$(cat "$T/$tag.sh")"
	n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "expected %post, %preun and %postun scriptlets, found $n"
grep -q 'preset syncctl.service' "$T/POSTIN.sh" || fail "%post does not preset syncctl.service"

# ---- into a throwaway root (no /bin/sh there: no scriptlets)
RR=$T/root
mkdir -p "$RR"
force=()
[ ! -e /etc/debian_version ] || force=(--force-debian)
rpm --root "$RR" --dbpath /var/lib/rpm -i --nodeps --noscripts "${force[@]}" "$RPM" >"$T/rpm-i.log" 2>&1 ||
	fail "rpm -i --root: $(cat "$T/rpm-i.log")"
assert_eq "$(stat -c %a "$RR/var/lib/syncd")" 750 "mode of /var/lib/syncd"
assert_dir "$RR/etc/syncd/instances.d"
[ -x "$RR/usr/bin/syncd" ] && [ -x "$RR/usr/bin/syncctl" ] || fail "binaries not installed"
grep -qx 'ExecStart=/usr/bin/syncctl daemon --foreground' "$RR/usr/lib/systemd/system/syncctl.service" ||
	fail "syncctl.service does not run /usr/bin/syncctl"
grep -q '^ExecStart=/usr/bin/syncd ' "$RR/usr/lib/systemd/system/syncd@.service" ||
	fail "syncd@.service does not run /usr/bin/syncd"
assert_file "$RR/usr/share/bash-completion/completions/syncctl"
rpm --root "$RR" --dbpath /var/lib/rpm -e --noscripts syncd >>"$T/rpm-i.log" 2>&1 ||
	fail "rpm -e --root: $(cat "$T/rpm-i.log")"
left=$(cd "$RR" && find . -path ./var/lib/rpm -prune -o ! -type d -print)
[ -z "$left" ] || fail "rpm -e left files: $left"

if [ "$home_rpmdb_before" = 0 ] && [ -e "$HOME/.rpmdb" ]; then
	fail "something created $HOME/.rpmdb"
fi
pass
