#!/usr/bin/env bash
# `make demo`: a short live demonstration of syncd.
#
# Starts a real rsync daemon on 127.0.0.1 (module "mirror", auth user
# syncuser) in a temp dir, writes an instance config, runs build/syncd -v on
# it, makes a few changes in the source (create, modify, rename, delete, a
# name with a space and one with a newline), shows them arrive, then stops
# everything it started and removes the temp dir.
#
# SYNCD_DEMO_KEEP=1 keeps the temp dir (config, source, mirror) afterwards.
set -u
[ "${SYNCD_DEMO_KEEP:-0}" = 1 ] && export KEEP_TMP=1
export LIB_QUIET=1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

say() {
	if [ -t 1 ]; then
		printf '\n\033[1m== %s\033[0m\n' "$*"
	else
		printf '\n== %s\n' "$*"
	fi
}

listing() { # DIR
	(cd "$1" && ls -lR --quoting-style=shell-escape --time-style=+%T .) | sed 's/^/    /'
}

need_syncd
say "starting an rsync daemon (module 'mirror', user $RSYNCD_USER, password file)"
start_rsyncd

SRC=$T/source
mkdir -p "$SRC/docs" "$SRC/src"
printf '# demo project\n' >"$SRC/README.md"
printf 'first notes\n' >"$SRC/docs/notes.txt"
printf 'int main(void) { return 0; }\n' >"$SRC/src/main.c"
printf 'scratch\n' >"$SRC/scratch.txt"

CFG=$T/demo.ini
cat >"$CFG" <<EOF
; syncd demo instance: mirror $SRC to a local rsync daemon
[source]
path = $SRC
exclude = *.swp

[remote local-daemon]
target = $RSYNCD_URL
password_file = $PASSFILE
timeout = 30s

[batch]
settle = 20ms
max_delay = 500ms

[full_sync]
on_start = yes

; once the mirror has a new or changed file, tell a program (no shell: the
; paths are appended to this argv)
[hook announce]
type = command
run = /bin/echo on the mirror now:
kinds = update
batch = 10
EOF
say "instance config $CFG"
sed 's/^/    /' "$CFG"

say "running: $SYNCD -v --config $CFG"
start_syncd "$CFG" -v
wait_ready 10
wait_converged "$SRC" "$MIRROR" 10
echo "    initial full sync done: the mirror has $(find "$MIRROR" -type f | wc -l) files"

say "making changes in the source"
printf 'a new file\n' >"$SRC/docs/new.txt"
echo "    created docs/new.txt"
printf 'more notes\n' >>"$SRC/docs/notes.txt"
echo "    appended to docs/notes.txt"
mv "$SRC/src/main.c" "$SRC/src/demo.c"
echo "    renamed src/main.c -> src/demo.c"
rm "$SRC/scratch.txt"
echo "    deleted scratch.txt"
printf 'spaces are fine\n' >"$SRC/docs/with space.txt"
echo "    created 'docs/with space.txt'"
printf 'so are newlines\n' >"$SRC/docs/$(printf 'new\nline.txt')"
printf '    created docs/%s\n' "\$'new\\nline.txt'"
printf 'editor swap file\n' >"$SRC/docs/.notes.txt.swp"
echo "    created docs/.notes.txt.swp (excluded by the config)"

t0=$(now_ms)
wait_converged "$SRC" "$MIRROR" 10 --exclude='*.swp'
took=$(elapsed_since "$t0")

say "source $SRC"
listing "$SRC"
say "mirror $MIRROR (rsync daemon on 127.0.0.1:$RSYNCD_PORT)"
listing "$MIRROR"
echo
echo "mirror is in sync (${took}s after the last change; the .swp file stayed behind)"

wait_for 10 "the hook's run" log_count_gt 'hook announce:.*docs/new\.txt' 0
say "what the worker logged (the last lines)"
grep -v '^====' "$SYNCD_LOG" | tail -n 12 | sed 's/^/    /'

stop_syncd TERM 10

say "try more"
cat <<EOF
    The pieces of this demo:
      source dir:     $SRC
      mirror dir:     $MIRROR   (module 'mirror' of the rsync daemon)
      instance ini:   $CFG
      daemon config:  $T/rsyncd/rsyncd.conf
    Run the worker by hand (after starting the daemon again):
      rsync --daemon --no-detach --config=$T/rsyncd/rsyncd.conf --address=127.0.0.1 --port=$RSYNCD_PORT &
      $SYNCD -v --config $CFG --state-dir $SYNCD_STATE --runtime-dir $SYNCD_RUNTIME
    then change files in the source dir in another terminal; SIGUSR1 runs a
    full sync, Ctrl-C stops it.  Check a config only: $SYNCD --check --config FILE
EOF
if [ "${SYNCD_DEMO_KEEP:-0}" = 1 ]; then
	echo "    (kept: $T; remove it with rm -rf $T)"
else
	echo "    Everything above is removed now; keep it with: SYNCD_DEMO_KEEP=1 tests/demo.sh"
fi
say "stopping the rsync daemon and cleaning up"
exit 0
