#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The classic "inotifywait | while read; do rsync; done" mirror that the
# syncd README says it replaces, as the how-to articles give it: one rsync of
# the whole tree per event, to each destination in turn.  bench/tools.sh
# starts it as
#   inotify-loop.sh [--RSYNC-OPTION...] SRC DEST...
# (the options, e.g. --password-file, --timeout, go to every rsync) with a
# counting rsync first in PATH (and RSYNC_RSH for an ssh DEST).
opts=()
while [[ ${1:-} == --* ]]; do
	opts+=("$1")
	shift
done
src=$1
shift
inotifywait -mrq -e close_write,create,delete,move "$src" | while read -r _; do
	for dest; do
		rsync -a --delete "${opts[@]}" "$src/" "$dest"
	done
done
