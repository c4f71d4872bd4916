#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# syncctl import-sersync: every sersync configuration in
# tests/fixtures/sersync/ becomes an instance file that `syncd --check`
# accepts once the source directory and password file it names exist, with
# the keys each sersync setting maps to, and a "FILE:LINE: warning: ..." for
# what has no equivalent or is off.  The plugin <sersync><plugin> turns on is
# a live [hook NAME]; the others, which only "sersync2 -m NAME" ran, are
# commented out and make a watch-only instance that --check accepts once
# uncommented.  A malformed file is "FILE:LINE:COLUMN: error: ..." and exit status 1;
# -o never overwrites a file; values that would break the ini (a newline in
# an attribute) never reach it.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
[ -x "$SYNCCTL" ] || fail "$SYNCCTL not found (build it first)"
FIX=$REPO_ROOT/tests/fixtures/sersync
WRAPPER=()
if [ -n "${SYNCCTL_WRAPPER:-}" ]; then read -r -a WRAPPER <<<"$SYNCCTL_WRAPPER"; fi
mkdir -p "$T/src" "$T/out" "$T/cfg"
printf 'pw\n' >"$T/secret"
chmod 600 "$T/secret"

# imp BASE ARGS...: import-sersync ARGS; the ini in BASE.ini, stderr in
# BASE.err, the exit status in RC.  The state dir is $T/state, the
# configuration directory $T/cfg.
imp() {
	local base=$1
	shift
	"${WRAPPER[@]}" "$SYNCCTL" --state-dir "$T/state" --config-dir "$T/cfg" import-sersync "$@" \
		>"$base.ini" 2>"$base.err"
	RC=$?
}

# has FILE LINE...: FILE holds each LINE, exactly.
has() {
	local f=$1 l
	shift
	for l in "$@"; do
		grep -qxF -- "$l" "$f" || fail "$(basename "$f") has no line '$l'"
	done
}

# count_is FILE N LINE: LINE (exactly) is N times in FILE.
count_is() {
	local n
	n=$(grep -cxF -- "$3" "$1")
	[ "$n" = "$2" ] || fail "$(basename "$1"): '$3' is there $n times, expected $2"
}

# none FILE ERE: no line of FILE matches ERE.
none() {
	if grep -Eq -- "$2" "$1"; then
		grep -E -- "$2" "$1" >&2
		fail "$(basename "$1") has a line matching /$2/"
	fi
}

# warns ERR XML LINE ERE: ERR has a "XML:LINE: warning: " line matching ERE.
warns() {
	grep -F -- "$2:$3: warning: " "$1" | grep -Eq -- "$4" ||
		fail "no warning at $2:$3 matching /$4/ in: $(cat "$1")"
}

# section INI HEAD: the lines of INI from HEAD (exactly) to the next ";"
# line alone.
section() {
	awk -v h="$2" '$0 == h { p = 1 } p && $0 == ";" { exit } p' "$1"
}

# watch_only INI HOOK OUT: the watch-only instance the comments of INI say
# to make for [hook HOOK]: [source] path = $T/src and the section's lines
# that start with a single ';', uncommented.
watch_only() {
	{
		printf '[source]\npath = %s\n' "$T/src"
		section "$1" "; [hook $2]" | sed -n 's/^; //p'
	} >"$3"
	grep -qx "\[hook $2\]" "$3" || fail "no [hook $2] to uncomment in $(basename "$1")"
}

# checked INI: syncd --check accepts INI once its path and password_file
# are things this test made.
checked() {
	sed -E -e "s|^path = .*|path = $T/src|" -e "s|^password_file = .*|password_file = $T/secret|" \
		"$1" >"$1.check"
	local out
	out=$("$SYNCD" --check --config "$1.check" 2>&1) ||
		fail "$(basename "$1") does not pass syncd --check: $out"
}

# ------------------------------------------------------- every fixture --

n=0
for xml in "$FIX"/*.xml; do
	name=$(basename "$xml" .xml)
	imp "$T/out/$name" "$xml"
	[ "$RC" = 0 ] || fail "import of $name: exit status $RC: $(cat "$T/out/$name.err")"
	# stderr: warnings only, one line each (a column where it helps), in line order
	if grep -vqE "^$xml:[0-9]+(:[0-9]+)?: warning: " "$T/out/$name.err"; then
		fail "$name: a stderr line is not '$xml:LINE: warning: ...': $(grep -vE "^$xml:[0-9]+(:[0-9]+)?: warning: " "$T/out/$name.err")"
	fi
	sed -E "s|^$xml:([0-9]+):.*|\\1|" "$T/out/$name.err" | sort -n -c ||
		fail "$name: warnings are not in line order"
	none "$T/out/$name.err" 'not support'
	checked "$T/out/$name.ini"
	log "$name: $(grep -c . "$T/out/$name.err") warnings, passes syncd --check"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n fixtures in $FIX"

# --------------------------------------------------- confxml-article.xml --
# The confxml.xml of the seed article (../shared/articles/000_428c49b0094a4f03.txt),
# line breaks and the tags its web page lost put back: the author's notes
# stand outside comments, two with a bare "2>&1", which sersync's TinyXML
# takes as text and expat refuses; the header says ISO-8859-1, the notes
# are UTF-8.  It imports, with a warning (line and column) per '&'.
xml=$FIX/confxml-article.xml
e=$T/out/confxml-article.err
grep -F -- "$xml:47:128: warning: a '&' that starts no reference is taken as text" "$e" >/dev/null ||
	fail "no warning at 47:128 for the bare '&': $(cat "$e")"
warns_col=$(grep -c "^$xml:4[78]:[0-9]*: warning: a '&'" "$e")
assert_eq "$warns_col" 2 "warnings for a bare '&'"
has "$T/out/confxml-article.ini" "path = /app/rsync_client" \
	"target = rsync://rsync@10.15.43.100/app_rsync_server" "every = 600min"
# sersync passes bytes through whatever the header says: a UTF-8 path stays
printf '<?xml version="1.0" encoding="ISO-8859-1"?>\n<head version="2.5">\n<sersync>\n<localpath watch="%s/src/网站">\n<remote ip="127.0.0.1" name="m"/>\n</localpath>\n</sersync>\n</head>\n' \
	"$T" >"$T/utf8.xml"
imp "$T/out/utf8" "$T/utf8.xml"
[ "$RC" = 0 ] || fail "import of a UTF-8 file that says ISO-8859-1: exit $RC: $(cat "$T/out/utf8.err")"
has "$T/out/utf8.ini" "path = $T/src/网站"
# a '&' in a comment or an attribute's reference is no warning
printf '<?xml version="1.0"?>\n<head version="2.5"><!-- a && b -->\n<sersync>\n<localpath watch="%s/src/a&amp;b">\n<remote ip="127.0.0.1" name="m"/>\n</localpath>\n</sersync>\n</head>\n' \
	"$T" >"$T/amp.xml"
imp "$T/out/amp" "$T/amp.xml"
[ "$RC" = 0 ] || fail "import of amp.xml: exit $RC: $(cat "$T/out/amp.err")"
none "$T/out/amp.err" "'&'"
has "$T/out/amp.ini" "path = $T/src/a&b"

# ------------------------------------------------------ confxml-full.xml --
# NAME defaults to the file's base name (for the fail log).
xml=$FIX/confxml-full.xml
f=$T/out/confxml-full.ini
e=$T/out/confxml-full.err
has "$f" "[source]" "path = /app/rsync_client" \
	"events = create_dir, close_write, move_from, move_to, delete"
# <filter> regexes anchored as sersync's regex_match did; ^info/* pairs with
# <crontabfilter> info/* and becomes an rsync pattern; *.php is crontab only
has "$f" 'exclude_regex = ^((.*)\.svn)$' 'exclude_regex = ^((.*)\.gz)$' \
	"exclude = /info" 'exclude_regex = ^(static/*)$' "; exclude = *.php"
has "$f" "[remote 10.15.43.100_app_rsync_server]" \
	"target = rsync://rsync@10.15.43.100:874/app_rsync_server" \
	"[remote 10.15.43.101_app_rsync_server]" \
	"target = rsync://rsync@10.15.43.101:874/app_rsync_server"
count_is "$f" 2 "password_file = /etc/rsyncd.secret"
count_is "$f" 2 "timeout = 100s"
has "$f" "[rsync]" "options = -artuz" "delete = yes"
has "$f" "[retry]" "fail_log = $T/state/confxml-full/failed.log"
has "$f" "[full_sync]" "on_start = yes" "every = 600min"
# the command plugin is on: a live hook, once everything is mirrored, one
# run of /bin/sh per path; its includes matched the absolute path in sersync
count_is "$f" 1 "[hook command]"
[ "$(section "$f" "[hook command]" | grep -v '^;')" = "[hook command]
type = command
when = mirrored
run = /bin/sh
include_regex = ^((.*)\.php)$
include_regex = ^((.*)\.sh)$
retries = 0" ] || fail "[hook command] is: $(section "$f" "[hook command]")"
# socket and refreshCDN only ran under sersync2 -m: commented out
count_is "$f" 1 "; [hook socket]"
count_is "$f" 1 "; [hook refreshCDN]"
none "$f" '^\[hook (socket|refreshCDN)\]'
has "$f" "; type = socket" "; when = changed" "; connect = 192.168.138.20:8009" "; type = cdn" \
	"; url_template = http://pic.xoyo.com/cms/{path}" \
	";; credentials_file = $T/cfg/confxml-full.cdn-credentials"
none "$f" 'passwd=|pswd=xxxx'
warns "$e" "$xml" 4 "<debug start=\"true\">.*-v"
warns "$e" "$xml" 36 "timeToExecute.*backoff"
warns "$e" "$xml" 36 "temporary directory.*$T/state/confxml-full/failed.log"
warns "$e" "$xml" 39 "crontabfilter.*\\*\\.php"
warns "$e" "$xml" 47 "prefix=\"/bin/sh\">: /bin/sh runs each changed file .* as a script"
warns "$e" "$xml" 54 "plugin name=\"socket\"> is not on: only \"sersync2 -m socket\" ran it"
warns "$e" "$xml" 59 "plugin name=\"refreshCDN\"> is not on: only \"sersync2 -m refreshCDN\" ran it"

# What the comments say to do for a plugin only sersync2 -m ran: a
# watch-only instance (no [remote]) with the section uncommented.
for hook in socket refreshCDN; do
	watch_only "$f" "$hook" "$T/out/full-$hook.ini"
	none "$T/out/full-$hook.ini" '^\[remote'
	out=$("$SYNCD" --check --config "$T/out/full-$hook.ini" 2>&1) ||
		fail "the watch-only instance for [hook $hook] does not pass syncd --check: $out"
done
has "$T/out/full-socket.ini" "connect = 192.168.138.20:8009" "when = changed"

# ------------------------------------------- each plugin on, in turn --
# socket: its own <localpath> is what sersync watched then (a warning).
sed 's|<plugin start="true" name="command"/>|<plugin start="true" name="socket"/>|' "$FIX/confxml-full.xml" \
	>"$T/socket.xml"
imp "$T/out/socket" "$T/socket.xml"
[ "$RC" = 0 ] || fail "socket.xml: exit status $RC: $(cat "$T/out/socket.err")"
has "$T/out/socket.ini" "[hook socket]" "type = socket" "when = mirrored" "connect = 192.168.138.20:8009" \
	"; [hook command]" "; run = /bin/sh"
warns "$T/out/socket.err" "$T/socket.xml" 54 "watched and pushed its <localpath watch=\"/opt/tongbu\">"
warns "$T/out/socket.err" "$T/socket.xml" 56 "one line per change.*must be adapted"
checked "$T/out/socket.ini"

# refreshCDN: a cdn hook; the credentials are left for the operator to put
# in a file of mode 600, which --check then requires.
sed 's|<plugin start="true" name="command"/>|<plugin start="true" name="refreshCDN"/>|' \
	"$FIX/confxml-full.xml" >"$T/cdn.xml"
imp "$T/out/cdn" "$T/cdn.xml" www
[ "$RC" = 0 ] || fail "cdn.xml: exit status $RC: $(cat "$T/out/cdn.err")"
has "$T/out/cdn.ini" "[hook refreshCDN]" "type = cdn" "when = mirrored" \
	"url_template = http://pic.xoyo.com/cms/{path}" "; credentials_file = $T/cfg/www.cdn-credentials"
warns "$T/out/cdn.err" "$T/cdn.xml" 59 "ChinaCache's interface .* cannot be reproduced.*purge endpoint"
[ ! -e "$T/cfg/www.cdn-credentials" ] || fail "import-sersync wrote the credentials file"
none "$T/out/cdn.ini" 'xxxx&pswd=xxxx'
checked "$T/out/cdn.ini"
sed -i "s|^; credentials_file = |credentials_file = |" "$T/out/cdn.ini"
printf 'xxxx:xxxx\n' >"$T/cfg/www.cdn-credentials"
chmod 644 "$T/cfg/www.cdn-credentials"
sed -E -e "s|^path = .*|path = $T/src|" -e "s|^password_file = .*|password_file = $T/secret|" \
	"$T/out/cdn.ini" >"$T/out/cdn.check"
if out=$("$SYNCD" --check --config "$T/out/cdn.check" 2>&1); then
	fail "a credentials file of mode 644 passed syncd --check"
fi
grep -q "credentials_file .*mode 0644" <<<"$out" || fail "credentials of mode 644: --check says: $out"
chmod 600 "$T/cfg/www.cdn-credentials"
checked "$T/out/cdn.ini"

# ------------------------------------------------------- confxml-ssh.xml --
# with NAME given; ssh: the remote's name is a path; delete off.
xml=$FIX/confxml-ssh.xml
imp "$T/out/www" "$xml" www
[ "$RC" = 0 ] || fail "import of confxml-ssh.xml as www: exit status $RC"
f=$T/out/www.ini
e=$T/out/www.err
has "$f" "path = /home/user1/source" \
	"events = create_dir, create_file, close_write, move_from, move_to, attrib" \
	"[remote 107.170.213.95_home_user2_target]" \
	"target = ssh://107.170.213.95/home/user2/target" \
	"options = -az" "delete = no" "fail_log = $T/state/www/failed.log" "on_start = yes" \
	'; <filter> off, not imported: (.*)\.svn'
none "$f" '^(exclude|exclude_regex|password_file|timeout|every) ='
warns "$e" "$xml" 6 "<filter start=\"false\"> is off"
warns "$e" "$xml" 25 "<auth start=\"false\"> is off"
warns "$e" "$xml" 26 "<userDefinedPort start=\"false\"> is off"
warns "$e" "$xml" 27 "<timeout start=\"false\"> is off.*100s"
warns "$e" "$xml" 31 "<crontab start=\"false\"> is off"
warns "$e" "$xml" 36 "<plugin start=\"false\" name=\"command\"> is off"
none "$f" '^\[hook'
checked "$f"

# ------------------------------------------------------------------- -o --
imp "$T/out/o" -o "$T/out/www-o.ini" "$xml" www
[ "$RC" = 0 ] || fail "-o: exit status $RC: $(cat "$T/out/o.err")"
[ ! -s "$T/out/o.ini" ] || fail "-o: something went to stdout"
cmp -s "$T/out/www-o.ini" "$f" || fail "-o wrote something else than stdout had"
printf 'keep\n' >"$T/out/exists.ini"
imp "$T/out/o2" -o "$T/out/exists.ini" "$xml"
[ "$RC" = 1 ] || fail "-o onto an existing file: exit status $RC, expected 1"
grep -q "exists.ini: File exists" "$T/out/o2.err" || fail "-o onto an existing file: $(cat "$T/out/o2.err")"
assert_content "$T/out/exists.ini" "keep
"

# ----------------------------------------------------------- bad input --
printf '<?xml version="1.0"?>\n<head>\n  <sersync>\n</head>\n' >"$T/bad.xml"
imp "$T/out/bad" "$T/bad.xml"
[ "$RC" = 1 ] || fail "malformed XML: exit status $RC, expected 1"
grep -q "^$T/bad.xml:4:3: error: mismatched tag\$" "$T/out/bad.err" ||
	fail "malformed XML: no '$T/bad.xml:4:3: error: ...' (line and column of the end tag's name): $(cat "$T/out/bad.err")"
[ ! -s "$T/out/bad.ini" ] || fail "malformed XML: something went to stdout"

printf '<config><sersync/></config>\n' >"$T/notsersync.xml"
imp "$T/out/ns" "$T/notsersync.xml"
[ "$RC" = 1 ] && grep -q "notsersync.xml:1: error: .*<head>" "$T/out/ns.err" ||
	fail "a root that is not <head>: status $RC: $(cat "$T/out/ns.err")"

imp "$T/out/missing" "$T/nonexistent.xml"
[ "$RC" = 1 ] && grep -q "nonexistent.xml: error: No such file or directory" "$T/out/missing.err" ||
	fail "missing file: status $RC: $(cat "$T/out/missing.err")"

imp "$T/out/usage" "$xml" "bad name"
[ "$RC" = 2 ] || fail "an invalid NAME: exit status $RC, expected 2"

# No remote: nothing to mirror to, an error.
cat >"$T/noremote.xml" <<'EOF'
<head>
  <sersync>
    <localpath watch="/srv/www">
    </localpath>
  </sersync>
</head>
EOF
imp "$T/out/noremote" "$T/noremote.xml"
[ "$RC" = 1 ] && grep -q "noremote.xml:3: error: .*remote" "$T/out/noremote.err" ||
	fail "no remote: status $RC: $(cat "$T/out/noremote.err")"

# A newline in an attribute cannot inject a line into the ini (nor a hook:
# the one that would hold it is commented out); a relative ssh path is left
# for the operator, and --check says so; options syncd sets itself are
# dropped with a warning.
cat >"$T/hostile.xml" <<'EOF'
<head>
  <sersync>
    <localpath watch="/srv/www">
      <remote ip="192.0.2.1" name="www&#10;[remote evil]&#10;target = /tmp/evil"/>
      <remote ip="192.0.2.2" name="www"/>
    </localpath>
    <rsync>
      <commonParams params="-az --delete-after -e ssh --timeout=5"/>
    </rsync>
    <plugin start="true" name="socket"/>
  </sersync>
  <plugin name="socket">
    <localpath watch="/srv/www">
      <deshost ip="192.0.2.3&#10;unix" port="8009"/>
    </localpath>
  </plugin>
</head>
EOF
imp "$T/out/hostile" "$T/hostile.xml"
[ "$RC" = 0 ] || fail "hostile.xml: exit status $RC: $(cat "$T/out/hostile.err")"
none "$T/out/hostile.ini" '^(\[remote evil\]|target = /tmp/evil|unix|\[hook)'
warns "$T/out/hostile.err" "$T/hostile.xml" 14 "<deshost ip=\"192.0.2.3\?unix\"> cannot be written in an ini file"
none "$T/out/hostile.err" 'must be adapted' 
has "$T/out/hostile.ini" "; [hook socket]"
warns "$T/out/hostile.err" "$T/hostile.xml" 4 "cannot be written in an ini file.*skipped"
has "$T/out/hostile.ini" "target = rsync://192.0.2.2/www" "options = -az"
warns "$T/out/hostile.err" "$T/hostile.xml" 8 "--delete-after is set by syncd itself"
warns "$T/out/hostile.err" "$T/hostile.xml" 8 "-e ssh is set by syncd itself"
checked "$T/out/hostile.ini"

sed 's|name="/home/user2/target/"|name="backup"|' "$FIX/confxml-ssh.xml" >"$T/relative.xml"
imp "$T/out/relative" "$T/relative.xml"
[ "$RC" = 0 ] || fail "relative.xml: exit status $RC"
warns "$T/out/relative.err" "$T/relative.xml" 21 "relative to the login's home directory"
has "$T/out/relative.ini" "; target = ssh://107.170.213.95/HOME/DIRECTORY/backup"
sed -E "s|^path = .*|path = $T/src|" "$T/out/relative.ini" >"$T/relative.check"
if out=$("$SYNCD" --check --config "$T/relative.check" 2>&1); then
	fail "an ssh target left to complete passed syncd --check"
fi
grep -q "has no target" <<<"$out" || fail "relative ssh path: --check says: $out"

pass "$n fixtures and the bad cases"
