#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# exit-codes.sh SRCDIR PROGRAM...: one exit-code table for every command.
# docs/man/exit-status.scd is the table; tools/common.h must number it the same way,
# every PROGRAM's --help must print it word for word, and every man page of those
# commands must include it (the @EXIT_STATUS@ line build-man.sh replaces).
set -u
SRC=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checks=0 failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The table: "N text" per line.
awk '/^\*[0-9]+\*$/ { n = substr($0, 2, length($0) - 2); next }
     n != "" && /^\t/ { sub(/^\t/, ""); print n " " $0; n = "" }' \
	"$SRC/docs/man/exit-status.scd" >"$tmp/table"
[ "$(wc -l <"$tmp/table")" -ge 8 ] || fail "exit-status.scd: table not found"
sed -n 's/^#define TOOL_EXIT_[A-Z]*[[:space:]]*\([0-9]*\).*/\1/p' "$SRC/tools/common.h" >"$tmp/h"
checks=$((checks + 1))
[ "$(cut -d' ' -f1 "$tmp/table")" = "$(cat "$tmp/h")" ] ||
	fail "tools/common.h numbers $(tr '\n' ' ' <"$tmp/h") differ from the table"

for prog in "$@"; do
	name=$(basename "$prog")
	"$prog" --help >"$tmp/help" 2>&1
	sed -n '/^Exit status:$/,/^[^ ]/s/^  \([0-9]\)  /\1 /p' "$tmp/help" >"$tmp/got"
	checks=$((checks + 1))
	cmp -s "$tmp/table" "$tmp/got" ||
		fail "$name --help: exit codes differ: $(diff "$tmp/table" "$tmp/got" | grep '^[<>]' | head -3)"
	page=$(ls "$SRC/docs/man/$name".[18].scd 2>/dev/null)
	checks=$((checks + 1))
	[ -n "$page" ] && grep -qx '@EXIT_STATUS@' "$page" ||
		fail "$name: its man page does not include the table (@EXIT_STATUS@)"
done
# build-man.sh puts the table in place of the marker.
printf 'x(1)\n\n@EXIT_STATUS@\n' >"$tmp/page.scd"
checks=$((checks + 1))
sh "$SRC/docs/man/build-man.sh" cat "$tmp/page.scd" "$SRC/docs/man/exit-status.scd" "$tmp/page"
grep -q '^\*7\*$' "$tmp/page" && ! grep -q '@EXIT_STATUS@' "$tmp/page" ||
	fail "build-man.sh did not include the table"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
