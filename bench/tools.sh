# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/tools.sh: the other mirroring tools that bench/run (a daemon on
# 127.0.0.1) and bench/wan-tools (the network lab) run beside syncd, each
# configured here once.  Sourced; BENCH_DIR is bench/.
#   lsyncd        Debian's lsyncd, its defaults (delay = 15, maxProcesses = 1)
#   lsyncd-tuned  the same with delay = 0 and maxProcesses = one per core
#   clsync        Debian's clsync, rsyncdirect mode (it runs rsync itself)
#                 with its shortest delays: -w0 -t0 -T0 (no wait between
#                 syncs, none to collect events, big files included)
#   inotify-loop  bench/inotify-loop.sh: one whole-tree rsync per event

# tools_need INSTALL TOOL...: the packages those tools come from are
# installed, with apt-get when INSTALL is 1 and we are root; else an error.
tools_need() {
	local install=$1 t
	local -a missing=()
	shift
	for t in "$@"; do
		case $t in
		lsyncd*) command -v lsyncd >/dev/null || missing+=(lsyncd) ;;
		clsync) command -v clsync >/dev/null || missing+=(clsync) ;;
		inotify-loop) command -v inotifywait >/dev/null || missing+=(inotify-tools) ;;
		esac
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	# shellcheck disable=SC2207 # package names
	missing=($(printf '%s\n' "${missing[@]}" | sort -u))
	if [ "$install" != 1 ] || [ "$(id -u)" != 0 ]; then
		echo "missing ${missing[*]} (apt-get install ${missing[*]})" >&2
		return 1
	fi
	echo "installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

# tools_versions TOOL...: a Markdown list item per tool's package version
tools_versions() {
	local t
	for t in "$@"; do
		case $t in
		lsyncd*) echo lsyncd ;;
		clsync) echo clsync ;;
		inotify-loop) echo inotify-tools ;;
		esac
	done | sort -u | while read -r p; do
		echo "- $p $(dpkg-query -W -f '${Version}' "$p" 2>/dev/null) (Debian package)"
	done
}

# tool_start TOOL DIR SRC DEST RSYNC [PASSFILE] [RSH]: TOOL in the
# background, mirroring SRC to DEST (an rsync:// URL, with the daemon's
# PASSFILE, or HOST:PATH through the remote shell RSH), RSYNC as its rsync;
# its configuration and output in DIR.  DEST may be several destinations,
# one a line: lsyncd takes a sync {} block for each, clsync (one destination
# a process) runs once for each, the loop runs one rsync for each in turn.
# With TOOL_TIMEOUT set (seconds, as syncd's remote timeout), every rsync
# they run gets --timeout and, to a daemon, --contimeout with it.  Sets
# TOOL_PID (the process started: the tool, or with several clsyncs a shell
# waiting for them; tool_stop ends it and all below it) and TOOL_LOG (where
# its log goes).
tool_start() {
	local tool=$1 dir=$2 src=$3 rsync=$5 pass=${6:-} rsh=${7:-} d i
	local -a cmd dests opts=()
	mapfile -t dests <<<"$4"
	TOOL_LOG=$dir/$tool.out
	# the options each rsync run gets beside the tool's own
	[ -z "$pass" ] || opts+=("--password-file=$pass")
	[ -z "${TOOL_TIMEOUT:-}" ] || opts+=("--timeout=$TOOL_TIMEOUT")
	[ -z "${TOOL_TIMEOUT:-}" ] || [[ ${dests[0]} != rsync://* ]] || opts+=("--contimeout=$TOOL_TIMEOUT")
	case $tool in
	lsyncd | lsyncd-tuned)
		TOOL_LOG=$dir/lsyncd.log
		: >"$TOOL_LOG"
		{
			# insist: start even when a target cannot be reached
			printf 'settings {\n\tlogfile = "%s",\n\tnodaemon = true,\n\tinsist = true,\n}\n' "$TOOL_LOG"
			for d in "${dests[@]}"; do
				printf 'sync {\n\tdefault.rsync,\n\tsource = "%s",\n\ttarget = "%s",\n' "$src" "$d"
				printf '\trsync = {\n\t\tbinary = "%s",\n' "$rsync"
				[ -z "$pass" ] || printf '\t\tpassword_file = "%s",\n' "$pass"
				[ -z "${TOOL_TIMEOUT:-}" ] || printf '\t\ttimeout = %s,\n' "$TOOL_TIMEOUT"
				[[ " ${opts[*]} " != *" --contimeout="* ]] ||
					printf '\t\t_extra = { "--contimeout=%s" },\n' "$TOOL_TIMEOUT"
				printf '\t},\n'
				[ "$tool" = lsyncd ] || printf '\tdelay = 0,\n\tmaxProcesses = %s,\n' "$(nproc)"
				printf '}\n'
			done
		} >"$dir/lsyncd.conf.lua"
		cmd=(lsyncd -nodaemon "$dir/lsyncd.conf.lua")
		;;
	clsync)
		# its lists of paths go in a directory others cannot read (it
		# refuses any other); as root it would switch to nobody, who
		# cannot write there, unless told to stay root.  It dies when a
		# sync fails, unless told to try again (-r 0: forever, each try
		# after the last one's end)
		cmd=(clsync -H /NULL/ -M rsyncdirect -S "$rsync" -W "$src" -w0 -t0 -T0 -x 24 -r 0 --uid 0 --gid 0)
		;;
	inotify-loop)
		cmd=("$BENCH_DIR/inotify-loop.sh" "${opts[@]}" "$src" "${dests[@]}")
		;;
	*)
		echo "tool_start: no tool '$tool'" >&2
		return 1
		;;
	esac
	(
		trap - TERM INT HUP EXIT
		[ -z "$rsh" ] || export RSYNC_RSH=$rsh
		# the loop runs "rsync" from PATH
		[ "$tool" != inotify-loop ] || PATH=$(dirname "$rsync"):$PATH
		[ "$tool" = clsync ] || exec "${cmd[@]}" >>"$dir/$tool.out" 2>&1 </dev/null
		# its default rsync arguments with ours added
		set --
		[ ${#opts[@]} = 0 ] || set -- -- %RSYNC-ARGS% "${opts[@]}" %watch-dir%/ %destination-dir%/
		i=0
		for d in "${dests[@]}"; do
			i=$((i + 1))
			mkdir -p "$dir/clsync-lists.$i" && chmod 700 "$dir/clsync-lists.$i" || exit 1
			[ ${#dests[@]} -gt 1 ] || exec "${cmd[@]}" -D "$d" -L "$dir/clsync-lists.$i" "$@" \
				>>"$dir/$tool.out" 2>&1 </dev/null
			"${cmd[@]}" -D "$d" -L "$dir/clsync-lists.$i" "$@" >>"$dir/$tool.out" 2>&1 </dev/null &
		done
		wait
	) &
	TOOL_PID=$!
}

# tool_tree PID: PID and the processes below it, one a line
tool_tree() {
	local c
	echo "$1"
	# shellcheck disable=SC2013 # pids, one a word
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		tool_tree "$c"
	done
}

# tool_stop PID: ends PID and whatever runs below it (the tool's rsync,
# ssh, inotifywait; the clsyncs of several destinations)
tool_stop() {
	local p tree
	# stopped first, so none starts another run between the two
	tree=$(tool_tree "$1")
	# shellcheck disable=SC2086 # a list of pids
	kill -STOP $tree 2>/dev/null
	tree=$(tool_tree "$1")
	for p in $tree; do kill -KILL "$p" 2>/dev/null; done
	wait "$1" 2>/dev/null
}
