#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A cdn hook sends one request per change to url_template with {path}
# replaced: rewritten first by path_regex/replace (groups), then encoded
# (a space is %20, a newline %0A, bytes that are not ASCII %XX, '/' kept);
# a path the regex does not match is skipped and counts as delivered.
# method = PURGE, basic auth from credentials_file (never in the log) and
# the configured headers; a second cdn hook with no method sends GET and no
# credentials.
# shellcheck disable=SC2016 # the $(...) in a name is literal
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
need_python
start_rsyncd
start_http_listener
SRC=$T/src
# the directories exist before the start: only the files make changes
mkdir -p "$SRC/www/sub" "$SRC/other" "$SRC/plain"
printf 'purger:s3cr3t:with:colons\n' >"$T/cdn.cred"
chmod 600 "$T/cdn.cred"
CFG=$T/site.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[hook purge]\ntype = cdn\n'
	printf 'url_template = http://127.0.0.1:%s/purge/{path}?from=syncd\n' "$HTTP_PORT"
	printf 'path_regex = ^www/(.*)$\nreplace = static/\\1\nmethod = PURGE\n'
	printf 'credentials_file = %s\nheader = X-Cdn-Key: abc\nkinds = update, delete\n' "$T/cdn.cred"
	printf '[hook get]\ntype = cdn\nurl_template = http://127.0.0.1:%s/plain/{path}\n' "$HTTP_PORT"
	printf 'include_regex = ^plain/\nkinds = update\n'
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl

sent() { http_records requests | sort; }
EXPECT=()
expected() { printf '%s\n' "${EXPECT[@]}" | sort; }
sent_as_expected() { [ "$(sent)" = "$(expected)" ]; }
step() {
	local deadline
	deadline=$(_lib_deadline 10)
	until sent_as_expected; do
		if _lib_past "$deadline"; then
			echo "---- expected ----" >&2
			expected >&2
			echo "---- sent ----" >&2
			sent >&2
			fail "$1: not exactly the expected requests"
		fi
		sleep 0.05
	done
	log "$1: requests as expected"
}

P='?from=syncd'
printf 'x' >"$SRC/www/a b.html"
printf 'x' >"$SRC/www/$(printf 'new\nline')"
printf 'x' >"$SRC/www/sub/$(printf 'caf\xc3\xa9')"
printf 'x' >"$SRC/www/$(printf '\xff')"
printf 'x' >"$SRC/www/\$(touch CANARY);x"
printf 'x' >"$SRC/other/x.html"
printf 'x' >"$SRC/plain/with space&?"
EXPECT+=(
	"PURGE /purge/static/a%20b.html$P"
	"PURGE /purge/static/new%0Aline$P"
	"PURGE /purge/static/sub/caf%C3%A9$P"
	"PURGE /purge/static/%FF$P"
	"PURGE /purge/static/%24%28touch%20CANARY%29%3Bx$P"
	"GET /plain/plain/with%20space%26%3F"
)
step "creates"

rm "$SRC/www/a b.html"
EXPECT+=("PURGE /purge/static/a%20b.html$P")
step "delete"
wait_converged "$SRC" "$MIRROR"
sleep 1
sent_as_expected || fail "more requests came after the last step: $(sent)"

# credentials and headers: on every PURGE, never on the GETs
auth="Basic $(printf 'purger:s3cr3t:with:colons' | base64 -w0)"
n=0
while read -r method _; do
	n=$((n + 1))
	got_auth=$(http_records header "$n" Authorization) || got_auth=
	got_key=$(http_records header "$n" X-Cdn-Key) || got_key=
	case $method in
	PURGE)
		assert_eq "$got_auth" "$auth" "Authorization of request $n"
		assert_eq "$got_key" abc "X-Cdn-Key of request $n"
		;;
	GET)
		assert_eq "$got_auth" "" "Authorization of the GET request $n"
		;;
	esac
done < <(http_records requests)
assert_no_log 's3cr3t'

# the skipped paths count as delivered: purge saw 7 updates and a delete
j=$(ctl status --json) || fail "status --json"
assert_eq "$(json_entry_field "$j" hooks purge type)" cdn "hook type in status"
assert_eq "$(json_entry_field "$j" hooks purge delivered)" 8 "changes delivered by purge"
assert_eq "$(json_entry_field "$j" hooks purge calls_failed)" 0 "failed calls of purge"
assert_eq "$(json_entry_field "$j" hooks get delivered)" 1 "changes delivered by get"

assert_syncd_running
stop_syncd
assert_no_canary
pass
