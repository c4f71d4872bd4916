#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo`: a short live demonstration of the service: build/syncctl
# supervising one worker per site.
#
# Starts a real rsync daemon on 127.0.0.1 (module "mirror", auth user
# syncuser) in a temp dir, turns the shipped examples instances.d/www.ini,
# bbs.ini and blog.ini into demo copies (same sections and options; every
# path moved under the temp dir, every remote pointed at the local daemon or
# a local dir, the hooks' programs and URLs at local stand-ins; the changes
# are printed), runs "syncctl daemon --foreground" on them, shows "syncctl
# status", makes changes in each site (a name with a space and one with a
# newline included), shows them arrive, kills one worker with SIGKILL,
# shows syncctl restart it and the mirror catch up with a change made while
# it was down, then stops everything it started and removes the temp dir.
#
# SYNCD_DEMO_KEEP=1 keeps the temp dir (configs, sources, mirrors, logs).
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

indent() { sed 's/^/    /'; }

# short: the temp dir as <T>, the log level prefixes (<6>) gone: lines a
# person reads.
short() { sed "s|$T|<T>|g; s/^<[0-7]>//"; }

listing() { # DIR
	(cd "$1" && ls -lR --quoting-style=shell-escape --time-style=+%T .) | indent
}
short_path() { printf '%s\n' "$1" | short; }

status() { # [NAME...]: "syncctl status" as an operator types it
	printf '    $ syncctl status%s\n' "${1:+ $*}"
	sctl status "$@" 2>&1 | short | indent
}

SITES=(www bbs blog)
ROOT=$T/root # the demo's stand-in for /: every shipped path goes below it
SHIPPED=$REPO_ROOT/instances.d

# demo_ini SITE: write $SCTL_INST/SITE.ini from the shipped SITE.ini, and
# $T/SITE.facts: "source DIR", "mirror DIR" (one per remote), "dir DIR"
# (to create), "secret FILE", "program FILE" (a hook's program to stand in
# for), "dropped SECTION" lines.  Rewritten:
#   path, fail_log, password_file, a local target: /X -> $ROOT/X
#   rsync:// and ssh:// targets -> the local daemon's $RSYNCD_URL/SITE-REMOTE
#     (ssh_key and ssh_options dropped, password_file added for ssh)
#   a command hook's program /X -> $ROOT/X, a stand-in that prints its args
#   an http/cdn hook's URL -> the HTTP listener on 127.0.0.1:$HTTP_PORT, or
#     the whole hook dropped when there is none (no python3)
#   a hook shipped commented out (";[hook purge]", ";key = value": www's
#     purge, off until an operator points it at a cache) is turned on first
demo_ini() {
	local site=$1
	SITE=$site ROOT=$ROOT URL=$RSYNCD_URL PASSFILE=$PASSFILE HTTP_PORT=${HTTP_PORT:-} \
		FACTS=$T/$site.facts MIRROR=$MIRROR awk '
	function facts(s) { print s >ENVIRON["FACTS"] }
	function under_root(p) { return ENVIRON["ROOT"] p }
	function flush_section() {
		if (ssh_remote != "" && !has_pass) {
			facts("secret " under_root("/etc/syncd/" ENVIRON["SITE"] ".secret"))
			print "password_file = " under_root("/etc/syncd/" ENVIRON["SITE"] ".secret")
		}
		ssh_remote = ""; has_pass = 0
	}
	/^[ \t]*\[/ {
		flush_section()
		sec = $0; sub(/^[ \t]*\[[ \t]*/, "", sec); sub(/[ \t]*\].*$/, "", sec)
		if (holding) printf "%s", held
		holding = 0; held = ""; dropping = 0
		remote = (sec ~ /^remote /) ? substr(sec, 8) : ""
		hook = (sec ~ /^hook /)
	}
	/^[ \t]*\[/ && hook {
		# decided at its type line: remember the section until then
		held = $0 "\n"; holding = 1; next
	}
	holding && /^[ \t]*type[ \t]*=/ {
		t = $0; sub(/^[^=]*=[ \t]*/, "", t)
		holding = 0
		if ((t == "http" || t == "cdn") && ENVIRON["HTTP_PORT"] == "") {
			dropping = 1; facts("dropped [" sec "]"); held = ""; next
		}
		printf "%s", held; held = ""
	}
	holding { held = held $0 "\n"; next }
	dropping { next }
	!/^[ \t]*[A-Za-z_]+[ \t]*=/ { print; next }
	{
		key = $0; sub(/[ \t]*=.*/, "", key); sub(/^[ \t]*/, "", key)
		val = $0; sub(/^[^=]*=[ \t]*/, "", val)
	}
	key == "path" && sec == "source" {
		facts("source " under_root(val)); print "path = " under_root(val); next
	}
	key == "fail_log" && val ~ /^\// {
		d = under_root(val); sub(/\/[^\/]*$/, "", d); facts("dir " d)
		print "fail_log = " under_root(val); next
	}
	key == "password_file" {
		has_pass = 1; facts("secret " under_root(val)); print "password_file = " under_root(val); next
	}
	key == "target" && val ~ /^(rsync|ssh):\/\// {
		sub_dir = ENVIRON["SITE"] "-" remote
		facts("mirror " ENVIRON["MIRROR"] "/" sub_dir)
		if (val ~ /^ssh:/) ssh_remote = remote
		print "target = " ENVIRON["URL"] "/" sub_dir; next
	}
	key == "target" && val ~ /^\// {
		facts("mirror " under_root(val)); d = under_root(val); sub(/\/[^\/]*$/, "", d); facts("dir " d)
		print "target = " under_root(val); next
	}
	key == "ssh_key" || key == "ssh_options" { next }
	key == "run" && val ~ /^\// {
		prog = val; sub(/[ \t].*/, "", prog); facts("program " under_root(prog))
		print "run = " ENVIRON["ROOT"] val; next
	}
	(key == "url" || key == "url_template") && val ~ /^https?:\/\// {
		rest = val; sub(/^https?:\/\/[^\/]*/, "", rest)
		print key " = http://127.0.0.1:" ENVIRON["HTTP_PORT"] rest; next
	}
	{ print }
	END { flush_section() }
	' < <(sed -E 's/^;(\[hook |[a-z_]+ = )/\1/' "$SHIPPED/$site.ini") >"$SCTL_INST/$site.ini"
}

# demo_ini_is_local SITE: every address of the demo copy is 127.0.0.1 and
# every path in it is below $T, or the demo stops saying which line it does
# not know how to make local (a shipped example grew a new setting).
demo_ini_is_local() {
	local bad
	bad=$(grep -Ev '^[[:space:]]*([;#]|$|\[)' "$SCTL_INST/$1.ini" |
		grep -Ev '^[[:space:]]*(ex|in)clude' |
		grep -E '=[[:space:]]*/|://' | grep -vF "$T" | grep -v '://[^/]*127\.0\.0\.1[:/]')
	[ -z "$bad" ] || fail "demo.sh does not know how to make these lines of instances.d/$1.ini local: $bad"
}

# fact SITE KIND: the values of the KIND lines of $T/SITE.facts.
fact() { sed -n "s/^$2 //p" "$T/$1.facts"; }

# demo_site_prepare SITE: what the demo copy needs to exist: its source
# (with a few files), mirror dirs, password files, stand-in programs.
demo_site_prepare() {
	local site=$1 d f
	: >"$T/$site.facts"
	demo_ini "$site"
	demo_ini_is_local "$site"
	while IFS= read -r d; do mkdir -p "$d"; done < <(fact "$site" source; fact "$site" mirror; fact "$site" dir)
	while IFS= read -r f; do
		mkdir -p "$(dirname "$f")"
		printf '%s\n' "$RSYNCD_SECRET" >"$f"
		chmod 600 "$f"
	done < <(fact "$site" secret)
	while IFS= read -r f; do
		mkdir -p "$(dirname "$f")"
		printf '#!/bin/sh\n# the demo stand-in for %s: says what it was given\necho "%s (demo stand-in) given: $*"\n' \
			"${f#"$ROOT"}" "${f##*/}" >"$f"
		chmod 755 "$f"
	done < <(fact "$site" program)
}

# src SITE / mirrors SITE: the demo copy's source, its mirror dirs.
src() { fact "$1" source; }
mirrors() { fact "$1" mirror; }

# converged SITE [FILTER...]: until every mirror of SITE equals its source.
converged() {
	local site=$1 m
	shift
	while IFS= read -r m; do
		wait_converged "$(src "$site")" "$m" 30 "$@"
	done < <(mirrors "$site")
}

need_syncctl
say "starting an rsync daemon on 127.0.0.1 (module 'mirror', user $RSYNCD_USER, a password file)"
start_rsyncd
echo "    rsync daemon pid $RSYNCD_PID on 127.0.0.1:$RSYNCD_PORT, its files in <T>/mirror"
if command -v python3 >/dev/null 2>&1; then
	start_http_listener
	echo "    an HTTP listener on 127.0.0.1:$HTTP_PORT stands in for the Varnish cache of www.ini"
fi

# a few files in each site before the start: the first full sync sends them
mkdir -p "$ROOT"
for site in "${SITES[@]}"; do
	demo_site_prepare "$site"
done
s=$(src www)
mkdir -p "$s/css" "$s/cache"
printf '<h1>hello</h1>\n' >"$s/index.html"
printf 'body { color: black }\n' >"$s/css/site.css"
printf 'rendered on web1 only\n' >"$s/cache/page.html"
s=$(src bbs)
mkdir -p "$s/2026"
printf 'JPEG\n' >"$s/2026/dog.jpg"
s=$(src blog)
mkdir -p "$s/posts"
printf 'first post\n' >"$s/posts/first.html"
printf 'draft\n' >"$s/posts/draft.html"

say "the three shipped examples, made local"
cat <<EOF
    <T> is the demo's temp dir $T.  Each instances.d/NAME.ini is copied
    to <T>/etc/instances.d/NAME.ini with its paths moved below <T>/root, its
    remotes pointed at the rsync daemon (ssh too: the demo runs no sshd) or at
    a dir below <T>/root, and its hooks' programs and URLs at local stand-ins
    (www's purge hook, shipped commented out, turned on at a stand-in cache).
EOF
for site in "${SITES[@]}"; do
	say "$site.ini: what the demo changed (- shipped, + demo copy)"
	diff "$SHIPPED/$site.ini" "$SCTL_INST/$site.ini" | grep '^[<>]' |
		sed 's/^</-/; s/^>/+/' | short | indent
	while IFS= read -r sec; do
		echo "    dropped $sec: no HTTP listener here (python3 is missing)"
	done < <(fact "$site" dropped)
done
echo
echo "    Everything else (excludes, events, rsync options, batching, schedules, hooks' filters,"
echo "    [instance] restart policy) is as shipped."

say "running: syncctl daemon --foreground (the supervisor, one worker per instance file)"
start_supervisor
for site in "${SITES[@]}"; do wait_state "$site" running 20; done
for site in "${SITES[@]}"; do converged "$site" --exclude=/cache/; done
status
echo "    every mirror got its first full sync (www's cache/ stays out: it is excluded)"

say "making changes in each site"
s=$(src www)
printf '<p>news</p>\n' >"$s/news.html"
echo "    www:  created news.html"
printf '<h1>hello, world</h1>\n' >"$s/index.html"
echo "    www:  rewrote index.html"
mv "$s/css/site.css" "$s/css/main.css"
echo "    www:  renamed css/site.css -> css/main.css"
printf 'about us\n' >"$s/about us.html"
echo "    www:  created 'about us.html'"
printf 'editor swap file\n' >"$s/.news.html.swp"
echo "    www:  created .news.html.swp (excluded by www.ini)"
s=$(src bbs)
printf 'PNG\n' >"$s/2026/cat.png"
echo "    bbs:  uploaded 2026/cat.png (an image: the thumbnails hook gets it)"
printf 'rules\n' >"$s/2026/read me.txt"
echo "    bbs:  uploaded '2026/read me.txt'"
printf 'two lines\n' >"$s/$(printf 'new\nline.txt')"
printf '    bbs:  uploaded %s\n' "\$'new\\nline.txt'"
s=$(src blog)
printf 'second post\n' >"$s/posts/second.html"
echo "    blog: created posts/second.html"
rm "$s/posts/draft.html"
echo "    blog: deleted posts/draft.html"
mkdir -p "$s/posts/2026 archive"
printf 'old\n' >"$s/posts/2026 archive/$(printf 'a\nb.html')"
printf '    blog: created %s\n' "'posts/2026 archive/'\$'a\\nb.html'"

t0=$(now_ms)
say "syncctl flush: the deploy barrier, back once every change made before it is on every mirror"
echo "    \$ syncctl flush --timeout 30s"
sctl flush --timeout 30s 2>&1 | short | indent || fail "syncctl flush failed"
took=$(elapsed_since "$t0")
# and the trees say so
converged www --exclude=/cache/ --exclude='*.swp'
converged bbs
converged blog

for site in "${SITES[@]}"; do
	say "$site: source $(short_path "$(src "$site")")"
	listing "$(src "$site")"
	while IFS= read -r m; do
		say "$site: mirror $(short_path "$m")"
		listing "$m"
	done < <(mirrors "$site")
done
echo
echo "every mirror is in sync (${took}s after the last change; blog.ini's settle = 500ms"
echo "holds its pushes back on purpose; www's .swp file and cache/ stayed behind)"

wait_for 20 "the thumbnails hook" log_count_gt 'thumbnails.*cat\.png' 0
say "what the hooks did"
log_text | grep -E 'demo stand-in' | short | indent
if [ -n "$HTTP_PID" ]; then
	wait_for 20 "the purge of news.html" eval 'http_records requests | grep -q "news\.html"'
	echo "    the stand-in Varnish got (www's purge hook, once both mirrors had the change):"
	http_records requests | sort -u | indent
fi

say "killing the www worker with SIGKILL"
old=$(instance_pid www)
kill -KILL "$old"
wait_for 10 "worker $old gone" pid_gone "$old"
echo "    killed pid $old"
t0=$(now_ms)
printf 'written while www was down\n' >"$(src www)/while-down.html"
echo "    www: created while-down.html while no worker watched it"
status www
wait_for 30 "syncctl restarting www" instance_running_not www "$old"
converged www --exclude=/cache/ --exclude='*.swp'
echo
echo "    syncctl restarted it (restart_delay, 1s by default, after a first failure); the new"
echo "    worker found its unclean stop and ran a full sync: while-down.html is on both mirrors,"
echo "    $(elapsed_since "$t0")s after it was written"
status www

say "what syncctl logged (the last lines)"
grep -v '^====' "$SUPERVISOR_LOG" | tail -n 12 | short | indent

say "stopping the supervisor (SIGTERM: it stops every worker), the rsync daemon, the listener"
stop_supervisor TERM 20
echo "    stopped; no worker is left"

say "try more"
cat <<EOF
    The pieces of this demo (<T> is $T):
      instance files:  <T>/etc/instances.d/{www,bbs,blog}.ini
      sources:         $(short_path "$(src www)") $(short_path "$(src bbs)") $(short_path "$(src blog)")
      mirrors:         <T>/mirror (the rsync daemon's module 'mirror'), $(short_path "$(mirrors blog)")
      supervisor log:  <T>/syncctl.log
      daemon config:   <T>/rsyncd/rsyncd.conf
    On a real host the shipped files go to /etc/syncd/instances.d/ and
      syncctl start; syncctl status; syncctl stop www
    (or systemctl start syncctl / syncd@www); check a file first with: syncctl check FILE
EOF
if [ "${SYNCD_DEMO_KEEP:-0}" = 1 ]; then
	echo "    (kept: $T; remove it with rm -rf $T)"
else
	echo "    Everything above is removed now; keep it with: SYNCD_DEMO_KEEP=1 tests/demo.sh"
fi
exit 0
