# SPDX-License-Identifier: LGPL-2.1-or-later
# What the shell unit tests share; source it after setting $tmp (a scratch directory).
#   run WANT CMD...   run CMD, stdout in $tmp/out, stderr in $tmp/err; check its exit
#   has out|err TEXT  the last run printed TEXT;  hasnt out|err TEXT  it did not
#   fail MESSAGE      record a failure;  finish  print the count, exit 1 on failures
checks=0 failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() {
	want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	checks=$((checks + 1))
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $(cat "$tmp/err")"
}
has() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks '$2': $(cat "$tmp/$1")"
}
hasnt() {
	checks=$((checks + 1))
	! grep -qF -- "$2" "$tmp/$1" || fail "$1 has '$2': $(cat "$tmp/$1")"
}
finish() {
	echo "$checks checks, $failures failures"
	[ "$failures" -eq 0 ]
}
