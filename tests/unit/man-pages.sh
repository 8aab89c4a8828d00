#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# man-pages.sh render PAGE...
#	every page renders with man -l, and groff has nothing to warn about;
# man-pages.sh example PAGE CC [CFLAGS-AND-LIBS...]
#	the program in PAGE's EXAMPLE section, taken from the rendered page (what a reader
#	copies), compiles with -Wall -Wextra -Werror, and keeps a counter in a store:
#	two runs on one directory print counter 1, then counter 2.
set -eu

command -v man >/dev/null || { echo "SKIP: man (man-db) is not installed"; exit 77; }
render() { LC_ALL=C.UTF-8 MANWIDTH=200 man --warnings -l "$1"; }

mode=$1
shift
case "$mode" in
render)
	rc=0
	for page in "$@"; do
		if ! out=$(render "$page" 2>&1 >/dev/null); then
			echo "FAIL: man -l $page failed: $out"; rc=1
		elif [ -n "$out" ]; then
			echo "FAIL: $page: $out"; rc=1
		elif [ "$(render "$page" 2>/dev/null | wc -l)" -lt 10 ]; then
			echo "FAIL: $page renders to almost nothing"; rc=1
		else
			echo "ok: $page"
		fi
	done
	exit $rc ;;
example)
	page=$1
	shift
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# The literal block of the EXAMPLE section: from the line that starts the program
	# to the first line indented less than it, without the page's indentation.
	render "$page" | col -bx | awk '
		/^EXAMPLE/ { in_ex = 1; next }
		in_ex && /^[A-Z]/ { exit }
		in_ex && !ind && /^ +(\/\*|#include)/ { match($0, /^ +/); ind = RLENGTH }
		!ind { next }
		/^ *$/ { print ""; next }
		{ match($0, /^ */); if (RLENGTH < ind) exit; print substr($0, ind + 1) }
	' >"$tmp/example.c"
	[ "$(wc -l <"$tmp/example.c")" -gt 20 ] ||
		{ echo "FAIL: no program found in the EXAMPLE section of $page"; exit 1; }
	echo "example: $(wc -l <"$tmp/example.c") lines from $page"
	cc=$1
	shift
	"$cc" -Wall -Wextra -Werror -o "$tmp/example" "$tmp/example.c" "$@" 2>&1 ||
		{ echo "FAIL: the example of $page does not compile:"; cat -n "$tmp/example.c"; exit 1; }
	mkdir -m 0700 "$tmp/store"
	for want in 1 2; do
		out=$("$tmp/example" "$tmp/store") || { echo "FAIL: run $want: $out"; exit 1; }
		echo "run $want: $out"
		case "$out" in
		*"counter $want") ;;
		*) echo "FAIL: run $want printed '$out', expected counter $want"; exit 1 ;;
		esac
	done ;;
*)
	echo "usage: man-pages.sh render PAGE... | example PAGE CC [ARGS...]" >&2
	exit 2 ;;
esac
