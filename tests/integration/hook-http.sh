#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An http hook posts, once a change is on the mirror, exactly the changes
# that pass its filters, step after step: create, modify, rename (a delete
# and an update), delete, a directory moved in and out ("dir" per
# directory and an "update" per file in it, then one "delete"), names with a newline, with
# $(...) and that are not UTF-8 (the exact bytes in path_base64).  Every change was on the mirror when it was
# posted; headers from the configuration and from header_file go out, the
# header file's secret never reaches the log.  A second hook (when =
# changed, kinds = delete) gets only the deletions, with no remotes.
# shellcheck disable=SC2016 # the $(...) in a name is literal
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_syncd
need_ctl
need_python
start_rsyncd
start_http_listener --mirror "$MIRROR"
SRC=$T/src
STAGE=$T/stage
mkdir -p "$SRC" "$STAGE"
printf '# for the notify hook\n\nAuthorization: Bearer sekrit-T0KEN\n' >"$T/headers"
chmod 600 "$T/headers"
CFG=$T/www.ini
{
	source_section "$SRC"
	rsyncd_remote r1
	fast_sections
	printf '[hook notify]\ntype = http\nurl = http://127.0.0.1:%s/mirrored?src=syncd\n' "$HTTP_PORT"
	printf 'header = X-Syncd-Test: yes\nheader_file = %s\n' "$T/headers"
	printf 'include_regex = ^[^_]\nexclude_regex = \\.tmp$\ntimeout = 5s\n'
	printf '[hook gone]\ntype = http\nwhen = changed\nkinds = delete\n'
	printf 'url = http://127.0.0.1:%s/changed\n' "$HTTP_PORT"
} >"$CFG"
start_syncd "$CFG" -v
wait_ready
wait_ctl

b64() { printf '%s' "$1" | base64 -w0; }

# the events posted to TARGET so far, one "KIND BASE64" a line, sorted
posted() { http_records events "$1" | sort; }

EXPECT=()
expect() { # KIND NAME...
	local kind=$1 n
	shift
	for n in "$@"; do EXPECT+=("$kind $(b64 "$n")"); done
}
expected() { printf '%s\n' "${EXPECT[@]}" | sort; }
posted_as_expected() { [ "$(posted /mirrored?src=syncd)" = "$(expected)" ]; }

step() { # DESCRIPTION: wait until what was posted is what is expected
	local deadline
	deadline=$(_lib_deadline 10)
	until posted_as_expected; do
		if _lib_past "$deadline"; then
			echo "---- expected ----" >&2
			expected >&2
			echo "---- posted ----" >&2
			posted /mirrored?src=syncd >&2
			fail "$1: the hook did not post exactly the expected events"
		fi
		sleep 0.05
	done
	log "$1: posted as expected"
}

printf 'one\n' >"$SRC/a.txt"
expect update a.txt
step "create"

printf 'two\n' >>"$SRC/a.txt"
expect update a.txt
step "modify"

mv "$SRC/a.txt" "$SRC/b.txt"
expect delete a.txt
expect update b.txt
step "rename"

rm "$SRC/b.txt"
expect delete b.txt
step "delete"

# not included (^[^_]) or excluded (\.tmp$): only c.txt is told
mkdir -p "$SRC/_private"
printf 'x\n' >"$SRC/_private/secret"
printf 'x\n' >"$SRC/_hidden"
printf 'x\n' >"$SRC/draft.tmp"
printf 'c\n' >"$SRC/c.txt"
expect update c.txt
step "filters"

canary='$(touch CANARY);x'
newline=$(printf 'new\nline')
notutf8=$(printf 'caf\xe9 \xff\xfe')
printf 'c\n' >"$SRC/$canary"
printf 'n\n' >"$SRC/$newline"
printf 'u\n' >"$SRC/$notutf8"
printf 'e\n' >"$SRC/$(printf 'caf\xc3\xa9')"
expect update "$canary" "$newline" "$notutf8" "$(printf 'caf\xc3\xa9')"
step "odd names"

# a tree moved in is a "dir" per directory and an "update" per file in it,
# moved out one "delete"
mkdir -p "$STAGE/d/sub"
printf '1\n' >"$STAGE/d/sub/f1"
printf '2\n' >"$STAGE/d/f2"
mv "$STAGE/d" "$SRC/d"
expect dir d d/sub
expect update d/f2 d/sub/f1
step "directory moved in"
mv "$SRC/d" "$STAGE/d-out"
expect delete d
step "directory moved out"

wait_converged "$SRC" "$MIRROR"
# nothing more comes
sleep 1
posted_as_expected || fail "more events were posted after the last step: $(posted /mirrored?src=syncd)"

# each was on the mirror when it was posted
unmirrored=$(http_records unmirrored /mirrored?src=syncd)
[ -z "$unmirrored" ] || fail "posted before the mirror had it: $unmirrored"

# the document itself: names as UTF-8 text, U+FFFD and path_base64 for the
# one that is not, the instance, the hook and the remote
bodies=$(http_records bodies /mirrored?src=syncd | sort -u)
assert_eq "$bodies" "www notify r1" "instance, hook and remotes of the bodies"
raw=$(http_records raw /mirrored?src=syncd)
has() { grep -qF -- "$1" <<<"$raw"; }
has '"path":"new\nline"' || fail "the newline is not a JSON \\n"
has '"path":"$(touch CANARY);x"' || fail "the \$(...) name is not sent as it is"
has "$(printf '"path":"caf\xc3\xa9"}')" || fail "the UTF-8 name is not sent as UTF-8"
has "$(printf '"path":"caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd","path_base64":"%s"' "$(b64 "$notutf8")")" ||
	fail "the invalid UTF-8 name is not U+FFFD for each bad byte and its path_base64"
[ "$(printf '%s\n' "$raw" | grep -o path_base64 | wc -l)" = 1 ] || fail "path_base64 on a name that is valid UTF-8"

# the headers
n=$(http_records requests | grep -n '^POST /mirrored?src=syncd$' | head -n 1 | cut -d: -f1)
[ -n "$n" ] || fail "no POST to /mirrored?src=syncd"
assert_eq "$(http_records header "$n" Content-Type)" "application/json" "Content-Type"
assert_eq "$(http_records header "$n" X-Syncd-Test)" "yes" "the header from the configuration"
assert_eq "$(http_records header "$n" Authorization)" "Bearer sekrit-T0KEN" "the header from header_file"
http_records header "$n" User-Agent | grep -q '^syncd/' || fail "User-Agent is not syncd/..."
assert_no_log 'sekrit'

# the when = changed hook: the deletions only, no remotes
gone=$(posted /changed)
want=$(printf '%s\n' "delete $(b64 a.txt)" "delete $(b64 b.txt)" "delete $(b64 d)" | sort)
assert_eq "$gone" "$want" "events of the when = changed, kinds = delete hook"
assert_eq "$(http_records bodies /changed | sort -u)" "www gone " "instance, hook and remotes of the changed hook"

# the figures
j=$(ctl status --json) || fail "status --json"
assert_eq "$(json_entry_field "$j" hooks notify type)" http "hook type in status"
assert_eq "$(json_entry_field "$j" hooks notify state)" ok "hook state"
assert_eq "$(json_entry_field "$j" hooks notify delivered)" "${#EXPECT[@]}" "changes delivered"
assert_eq "$(json_entry_field "$j" hooks notify calls_failed)" 0 "failed calls"
assert_eq "$(json_entry_field "$j" hooks gone delivered)" 3 "changes delivered by the changed hook"

assert_syncd_running
stop_syncd
assert_no_canary
pass
