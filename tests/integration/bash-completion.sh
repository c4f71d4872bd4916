#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion for syncctl (packaging/bash-completion/syncctl):
# sourced in a bash, alone and after bash-completion's own library, its
# function fills COMPREPLY with the commands, a command's options (anywhere
# after it), the global options, the instance names of $SYNCD_CONFIG_DIR
# or --config-dir (not those already on the line), files for check and
# import-sersync, nothing for the --timeout value of verify and flush.
#
# Independent of the build: run for the normal build only.
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
case $SYNCD in
*/build-san/*) skip "does not depend on the build: run for the normal build only" ;;
esac
COMPLETION=$REPO_ROOT/packaging/bash-completion/syncctl
assert_file "$COMPLETION"
bash -n "$COMPLETION" || fail "bash -n $COMPLETION"

mkdir -p "$T/etc/instances.d" "$T/other/instances.d" "$T/files"
touch "$T/etc/instances.d/www.ini" "$T/etc/instances.d/bbs.ini" "$T/etc/instances.d/blog.ini" \
	"$T/etc/instances.d/notes.txt" "$T/other/instances.d/zed.ini" \
	"$T/files/confxml.xml" "$T/files/other.txt"

# The cases: "LINE|EXPECTED", LINE completed with the cursor at its end
# (words split at blanks and, as bash does, at "="), EXPECTED the sorted
# COMPREPLY joined by blanks.
cat >"$T/cases" <<EOF
syncctl |check daemon flush help import-sersync list metrics pause reload restart resume resync start status stop verify
syncctl st|start status stop
syncctl re|reload restart resume resync
syncctl start |bbs blog www
syncctl start b|bbs blog
syncctl stop www b|bbs blog
syncctl status www bbs blog |
syncctl start -|--no-block
syncctl status --|--json
syncctl daemon -|--foreground
syncctl list |
syncctl metrics |
syncctl -|--config-dir --help --runtime-dir --state-dir --syncd --version
syncctl --config-dir $T/other start |zed
syncctl --config-dir=$T/other resync |zed
syncctl --config-dir $T/oth|$T/other
syncctl --state-dir=$T/oth|$T/other
syncctl --runtime-dir $T/other st|start status stop
syncctl check $T/etc/instances.d/|$T/etc/instances.d/bbs.ini $T/etc/instances.d/blog.ini $T/etc/instances.d/www.ini
syncctl status www -|--json
syncctl restart -|--no-block
syncctl start --no-block www -|
syncctl start www --no-block |bbs blog
syncctl import-sersync $T/files/|$T/files/confxml.xml
syncctl import-sersync -|--output -o
syncctl import-sersync -o $T/files/o|$T/files/other.txt
syncctl import-sersync --output=$T/files/c|$T/files/confxml.xml
syncctl import-sersync --output=$T/x.ini $T/files/|$T/files/confxml.xml
syncctl import-sersync $T/files/confxml.xml |
syncctl v|verify
syncctl verify |bbs blog www
syncctl verify -|--json --timeout
syncctl verify --timeout |
syncctl verify --timeout 5min b|bbs blog
syncctl verify www --json -|--timeout
syncctl f|flush
syncctl flush |bbs blog www
syncctl flush -|--timeout
syncctl flush --timeout |
syncctl flush --timeout=|
syncctl flush --timeout 2min www b|bbs blog
syncctl flush www --timeout -|
EOF

# One bash per mode: the function on its own, and under bash-completion.
run_cases() { # PRELUDE
	PRELUDE=$1 SYNCD_CONFIG_DIR=$T/etc bash -c '
		eval "$PRELUDE"
		. "$0" || exit 1
		while IFS="|" read -r line want; do
			COMP_LINE=$line
			COMP_POINT=${#line}
			# As readline splits: at blanks and at "=" (COMP_WORDBREAKS).
			spaced=${line//=/ = }
			read -ra COMP_WORDS <<<"$spaced"
			case $spaced in *" ") COMP_WORDS+=("") ;; esac
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			_syncctl syncctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
			got=$(printf "%s\n" "${COMPREPLY[@]}" | sed "/^\$/d" | sort | tr "\n" " ")
			got=${got% }
			if [ "$got" = "$want" ]; then
				echo "ok   [$line] -> [$got]"
			else
				echo "FAIL [$line] -> [$got], expected [$want]"
			fi
		done <"$1"
	' "$COMPLETION" "$T/cases"
}

out=$(run_cases '' 2>&1)
printf '%s\n' "$out" | sed 's/^/plain: /' >&2
if grep -q '^FAIL' <<<"$out"; then fail "completion without bash-completion"; fi
[ "$(printf '%s\n' "$out" | grep -c '^ok')" = "$(wc -l <"$T/cases")" ] || fail "not every case ran (plain)"

if [ -r /usr/share/bash-completion/bash_completion ]; then
	out=$(run_cases '. /usr/share/bash-completion/bash_completion' 2>&1)
	printf '%s\n' "$out" | sed 's/^/bash-completion: /' >&2
	if grep -q '^FAIL' <<<"$out"; then fail "completion under bash-completion"; fi
	[ "$(printf '%s\n' "$out" | grep -c '^ok')" = "$(wc -l <"$T/cases")" ] ||
		fail "not every case ran (bash-completion)"
else
	log "no /usr/share/bash-completion/bash_completion: tested without it only"
fi
pass
