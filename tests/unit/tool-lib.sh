# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tool-lib.sh - sourced by the command-line tests: run a command and check its exit
# status, output and JSON.  Needs $tmp (a scratch directory) set before use; the caller
# prints "$checks checks, $failures failures" and exits with [ "$failures" -eq 0 ].
failures=0
checks=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run EXPECTED_RC CMD...: runs CMD, keeps stdout in $tmp/out and stderr in $tmp/err.
run() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	checks=$((checks + 1))
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $(cat "$tmp/err")"
	[ "$rc" -lt 128 ] || fail "'$*' died of a signal ($rc)"
}

# has out|err TEXT: the last command's stdout or stderr contains TEXT.
has() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$tmp/$1" || fail "$1 of the last command lacks '$2': $(cat "$tmp/$1")"
}

# jqis FILTER VALUE: the last command's stdout is JSON and FILTER gives VALUE.
jqis() {
	checks=$((checks + 1))
	got=$(jq -r "$1" "$tmp/out" 2>&1)
	[ "$got" = "$2" ] || fail "jq '$1' gave '$got', expected '$2', on: $(cat "$tmp/out")"
}
