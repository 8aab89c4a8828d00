#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools-region.sh KSTATE MAKE_STORE - "kstate region create|list|show|remove" as an
# operator drives it: sizes, refusals and their exit codes, JSON, what a sealed
# generation lists.  No root, no devices.
set -u

KSTATE=$1
MAKE_STORE=$2

command -v jq >/dev/null || { echo "SKIP: jq is not installed (scripts/install-deps)"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kstate-region.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset KSTATE_STORE KSTATE_LOG
. "$(dirname "$0")/tool-lib.sh"

S=$tmp/store
mkdir -m 700 "$S"
run 0 "$KSTATE" --store "$S" init

# --- command line --------------------------------------------------------------------
run 0 "$KSTATE" --help
has out "region"
run 0 "$KSTATE" region --help
has out "Usage: kstate region COMMAND"
has out "Exit status:"
for c in create list show remove; do
	run 0 "$KSTATE" region $c --help
	has out "Usage: kstate region $c"
	run 2 "$KSTATE" region $c --bogus
	has err "kstate region $c: unknown option '--bogus'"
done
run 2 "$KSTATE" region
has err "missing command"
run 2 "$KSTATE" region frob
has err "unknown command 'frob'"
run 2 "$KSTATE" region show
has err "missing NAME"
run 2 "$KSTATE" region list extra
has err "unexpected argument 'extra'"
run 2 "$KSTATE" region create vm1 --store "$S"
has err "--size is required"
run 2 "$KSTATE" region create vm1 --store "$S" --size 1000
has err "multiple of 4096"
run 2 "$KSTATE" region create vm1 --store "$S" --size 12Q
run 2 "$KSTATE" region list --store "$S" --size 4096
has err "only for 'region create'"
[ ! -e "$S/vm1.region" ] || fail "a refused create left vm1.region behind"

# --- create, list, show ---------------------------------------------------------------
run 0 "$KSTATE" region list --store "$S"
has out "(no regions)"
run 0 "$KSTATE" --store "$S" region create vm1 --size 2M --json
jqis .name vm1
jqis .size 2097152
jqis .path "$S/vm1.region"
jqis .state unlisted
jqis .pmem false
checks=$((checks + 1))
[ "$(stat -c %s "$S/vm1.region")" = 2097152 ] || fail "vm1.region is not 2 MiB"
run 5 "$KSTATE" region create vm1 --store "$S" --size 4096
has err "region already exists"
checks=$((checks + 1))
[ "$(stat -c %s "$S/vm1.region")" = 2097152 ] || fail "a refused create changed vm1.region"
run 1 "$KSTATE" region create bad/name --store "$S" --size 4096
has err "invalid region name"
KSTATE_STORE=$S run 0 "$KSTATE" region create b-ram --size 8K
run 0 "$KSTATE" region list --store "$S" --json
jqis '[.regions[].name] | join(",")' "b-ram,vm1"
jqis '.regions[0].size' 8192
run 0 "$KSTATE" region list --store "$S"
has out "vm1"
has out "unlisted"
run 0 "$KSTATE" region show vm1 --store "$S"
has out "path:           $S/vm1.region"
has out "by no sealed generation"
run 3 "$KSTATE" region show nope --store "$S"
has err "has no region 'nope'"
run 3 "$KSTATE" region list --store "$tmp/none"
has err "store not found"

# --- regions a sealed generation lists ---------------------------------------------------
G=$tmp/gen
mkdir -m 700 "$G"
"$MAKE_STORE" "$G" 2 >/dev/null || fail "make-store failed"
run 0 "$KSTATE" region show guest-ram --store "$G" --json
jqis .listed_generation 2
jqis .listed_size 65536
jqis .state ok
run 5 "$KSTATE" region remove guest-ram --store "$G"
has err "listed by sealed generation 2"
has err "nothing was removed"
checks=$((checks + 1))
[ -e "$G/guest-ram.region" ] || fail "a refused remove deleted guest-ram.region"
truncate -s 131072 "$G/guest-ram.region"
run 1 "$KSTATE" region show guest-ram --store "$G" --json
jqis .state size-mismatch
has err "size-mismatch"
rm "$G/guest-ram.region"
run 1 "$KSTATE" region show guest-ram --store "$G"
has out "state:          missing"

# --- remove ----------------------------------------------------------------------------
run 0 "$KSTATE" region remove vm1 --store "$S" --json
jqis .removed true
checks=$((checks + 1))
[ ! -e "$S/vm1.region" ] || fail "vm1.region still there after remove"
run 3 "$KSTATE" region remove vm1 --store "$S"
has err "No such file or directory"
run 0 "$KSTATE" region list --store "$S" --json
jqis '[.regions[].name] | join(",")' "b-ram"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
