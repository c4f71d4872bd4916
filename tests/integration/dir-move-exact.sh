#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A directory moved inside the tree (the link pass) ends up exact:
#   - a file rewritten with the same size and the same mtime (to the
#     nanosecond) just before the move arrives with its new contents: the
#     link pass compares contents, not size and mtime;
#   - what the mirror's copy of the new name held and the source's does
#     not (files deleted just before a directory was moved over that name)
#     goes;
#   - a directory moved in the tree and moved out of it while its link pass
#     runs is deleted on the mirror;
#   - a directory moved to a name with a wildcard (which an rsync daemon
#     would expand in a link pass's destination) lands under that name.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
start_rsyncd
SRC=$T/src OUTSIDE=$T/outside
mkdir -p "$SRC/d" "$SRC/e" "$SRC/d2" "$OUTSIDE"
for i in $(seq 1 50); do printf 'file %s\n' "$i" >"$SRC/d/f$i"; done
printf '1' >"$SRC/d/f"
touch -d @1700000000 "$SRC/d/f"
printf 'x\n' >"$SRC/e/x"
printf 'y\n' >"$SRC/e/y"
for i in $(seq 1 100); do printf 'file %s\n' "$i" >"$SRC/d2/f$i"; done
# An rsync that takes its time to exit after a link pass, which leaves
# room for a change while the pass is still running.
REAL=$(command -v rsync)
cat >"$T/slow-link-rsync" <<EOF
#!/usr/bin/env bash
case " \$* " in
*" --link-dest="*) '$REAL' "\$@"; rc=\$?; sleep 0.8; exit \$rc ;;
esac
exec '$REAL' "\$@"
EOF
chmod 755 "$T/slow-link-rsync"
CFG=$T/exact.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	printf '[rsync]\nbinary = %s\n' "$T/slow-link-rsync"
	fast_sections
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl
wait_converged "$SRC" "$MIRROR"
assert_content "$MIRROR/d/f" '1'

# same size, same mtime, other contents; then the move
printf '2' >"$SRC/d/f"
touch -d @1700000000 "$SRC/d/f"
# e's files deleted and d moved over the emptied e, in one batch
rm "$SRC/e/x" "$SRC/e/y"
mv -T "$SRC/d" "$SRC/e"
out=$(ctl flush 20s) || fail "flush: '$out'"
assert_log 'r1 link pass: running'
assert_content "$MIRROR/e/f" '2'
assert_not_exists "$MIRROR/e/x"
assert_not_exists "$MIRROR/e/y"
if ! trees_equal "$SRC" "$MIRROR"; then
	show_difference "$SRC" "$MIRROR"
	fail "the mirror differs after the move over e"
fi

# moved in the tree, then out of it while the link pass runs
passes=$(log_count 'r1 link pass: running')
python3 - "$SRC" "$OUTSIDE" <<'EOF'
import os, sys, time
src, out = sys.argv[1], sys.argv[2]
os.rename(src + "/d2", src + "/e2")
os.mkdir(src + "/e2/new")
for i in range(200):
    with open("%s/e2/new/g%d" % (src, i), "w") as f:
        f.write("g %d\n" % i)
time.sleep(0.3)
os.rename(src + "/e2", out + "/e2")
EOF
out=$(ctl flush 20s) || fail "flush: '$out'"
log_count_gt 'r1 link pass: running' "$passes" || fail "no link pass ran for d2 -> e2"
assert_not_exists "$MIRROR/e2"
assert_not_exists "$MIRROR/d2"
if ! trees_equal "$SRC" "$MIRROR"; then
	show_difference "$SRC" "$MIRROR"
	fail "the mirror differs after the move in and out"
fi

# moved to a name with a wildcard, beside a directory it would match: an
# rsync daemon would expand it in a link pass's destination
mkdir -p "$SRC/d3" "$SRC/other"
printf 'd3\n' >"$SRC/d3/f"
printf 'other\n' >"$SRC/other/o"
out=$(ctl flush 20s) || fail "flush: '$out'"
mv "$SRC/d3" "$SRC/o*"
out=$(ctl flush 20s) || fail "flush: '$out'"
assert_content "$MIRROR/o*/f" $'d3\n'
assert_not_exists "$MIRROR/other/f"
if ! trees_equal "$SRC" "$MIRROR"; then
	show_difference "$SRC" "$MIRROR"
	fail "the mirror differs after the move to o*"
fi

assert_syncd_running
stop_syncd
pass
