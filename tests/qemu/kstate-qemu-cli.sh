#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kstate-qemu-cli.sh KSTATE_QEMU KSTATE - kstate-qemu's command line without running QEMU
# (suite unit): usage errors, refusals before anything starts, status and discard of a
# guest that never ran, the --args-file format.  No root, no devices.
set -u
KQ=$1 KSTATE=$2

command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kq-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset KSTATE_STORE KSTATE_QEMU_RUN_DIR
. "$(dirname "$0")/../unit/tool-lib.sh"

S=$tmp/store R=$tmp/run
mkdir -m 700 "$S"
"$KSTATE" --store "$S" init >/dev/null 2>&1
K="$KQ --store $S --run-dir $R"

run 0 $KQ --help
has out "Usage: kstate-qemu COMMAND NAME"
has out "Exit status:"
run 0 $KQ --version
has out "kstate-qemu (kstate)"
run 2 $KQ
has err "missing command"
run 2 $KQ frob vm1
has err "unknown command 'frob'"
run 2 $KQ start
has err "missing NAME"
run 2 $K status vm1 extra
has err "unexpected argument 'extra'"
run 2 $K status vm1 -- -m 1G
has err "only for start"
run 2 $K suspend vm1 --ram 16M
has err "only for start"
run 2 $K qmp vm1
has err "missing COMMAND"
run 2 $K start vm1 --ram 3M -- -accel tcg
has err "multiple of 2 MiB"
run 2 $K start vm1 --ram 16M -- -accel tcg -m 1G
has err "QEMU argument -m is kstate-qemu's own"
run 2 $K start vm1 --ram 16M -- -incoming defer
has err "-incoming"
run 2 $K start 'bad/name' --ram 16M -- -accel tcg
has err "invalid guest name"
run 2 $K start abcdefghijklmnopqrstuvwxyz0 --ram 16M -- -accel tcg
has err "1 to 26 characters"
run 2 $K start vm1
has err "no QEMU arguments"
run 2 $K start vm1 -- -accel tcg
has err "give --ram SIZE"
run 3 $KQ --store "$tmp/nostore" --run-dir "$R" start vm1 --ram 16M -- -accel tcg
has err "store not found"
test ! -e "$S/vm1-ram.region" || fail "a refused start created vm1-ram"

# --args-file: one argument per line, spaces kept, comments and empty lines skipped.
printf '# QEMU for vm1\n-append\narea=64 fill=1\n\n-m\n' >"$tmp/args"
run 2 $K start vm1 --ram 16M --args-file "$tmp/args"
has err "QEMU argument -m is kstate-qemu's own"
run 3 $K start vm1 --ram 16M --args-file "$tmp/missing"
has err "--args-file $tmp/missing"
run 2 $K start vm1 --ram 16M --args-file "$tmp/args" -- -accel tcg
has err "not both"

# A guest that never ran: nothing to suspend, nothing saved, nothing to discard.
run 3 $K suspend vm1
has err "not running under kstate-qemu"
run 0 $K status vm1 --json
jqis .state none
jqis .resumable false
jqis .supervisor_running false
run 0 $K status vm1
has out "resumable:      no"
run 0 $K discard vm1 --json
jqis .discarded true
run 3 $K qmp vm1 query-status
has err "not ready"

# A live page that is not one: the guest's state is unknown, so nothing starts.
head -c 4096 /dev/urandom >"$S/vm1-live.region"
chmod 600 "$S/vm1-live.region"
run 1 $K start vm1 --ram 16M -- -accel tcg
has err "holds no valid live page"
test ! -e "$S/vm1-ram.region" || fail "a refused start created vm1-ram"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
