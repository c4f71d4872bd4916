#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The classic "inotifywait | while read; do rsync; done" mirror that the
# syncd README says it replaces, as the how-to articles give it: one rsync of
# the whole tree per event.  bench/tools.sh starts it as
#   inotify-loop.sh SRC DEST [PASSWORD_FILE]
# with a counting rsync first in PATH (and RSYNC_RSH for an ssh DEST).
src=$1 dest=$2 passfile=${3:-}
pass=()
[ -z "$passfile" ] || pass=(--password-file="$passfile")
inotifywait -mrq -e close_write,create,delete,move "$src" | while read -r _; do
	rsync -a --delete "${pass[@]}" "$src/" "$dest"
done
