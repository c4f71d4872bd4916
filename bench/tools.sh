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
# its configuration and output in DIR.  Sets TOOL_PID (the process started)
# and TOOL_LOG (where its log goes).
tool_start() {
	local tool=$1 dir=$2 src=$3 dest=$4 rsync=$5 pass=${6:-} rsh=${7:-}
	local -a cmd
	TOOL_LOG=$dir/$tool.out
	case $tool in
	lsyncd | lsyncd-tuned)
		TOOL_LOG=$dir/lsyncd.log
		: >"$TOOL_LOG"
		{
			printf 'settings {\n\tlogfile = "%s",\n\tnodaemon = true,\n}\n' "$TOOL_LOG"
			printf 'sync {\n\tdefault.rsync,\n\tsource = "%s",\n\ttarget = "%s",\n' "$src" "$dest"
			printf '\trsync = {\n\t\tbinary = "%s",\n' "$rsync"
			[ -z "$pass" ] || printf '\t\tpassword_file = "%s",\n' "$pass"
			printf '\t},\n'
			[ "$tool" = lsyncd ] || printf '\tdelay = 0,\n\tmaxProcesses = %s,\n' "$(nproc)"
			printf '}\n'
		} >"$dir/lsyncd.conf.lua"
		cmd=(lsyncd -nodaemon "$dir/lsyncd.conf.lua")
		;;
	clsync)
		# its lists of paths go in a directory others cannot read (it
		# refuses any other); as root it would switch to nobody, who
		# cannot write there, unless told to stay root
		mkdir -p "$dir/clsync-lists" && chmod 700 "$dir/clsync-lists"
		cmd=(clsync -H /NULL/ -M rsyncdirect -S "$rsync" -W "$src" -D "$dest" -L "$dir/clsync-lists"
			-w0 -t0 -T0 -x 24 --uid 0 --gid 0)
		# its default rsync arguments with the password file added
		[ -z "$pass" ] || cmd+=(-- %RSYNC-ARGS% "--password-file=$pass" %watch-dir%/ %destination-dir%/)
		;;
	inotify-loop)
		cmd=("$BENCH_DIR/inotify-loop.sh" "$src" "$dest" "$pass")
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
		exec "${cmd[@]}" >>"$dir/$tool.out" 2>&1 </dev/null
	) &
	TOOL_PID=$!
}
