#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools.sh KSTATE MAKE_STORE - drive the kstate command as an operator would: options,
# exit codes, messages and JSON, on stores made in a temporary directory, on the golden
# files of tests/data/ and on damaged copies of them.  No root, no devices.
set -u

KSTATE=$1
MAKE_STORE=$2
DATA=${KSTATE_TEST_DATA:-tests/data}

command -v jq >/dev/null || { echo "SKIP: jq is not installed (scripts/install-deps)"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kstate-tools.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset KSTATE_STORE KSTATE_LOG
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

# has FILE TEXT: the output file contains TEXT.
has() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$tmp/$1" || fail "$1 of the last command lacks '$2': $(cat "$tmp/$1")"
}

# jqtrue FILTER: the last command's stdout is JSON and FILTER is true on it.
jqtrue() {
	checks=$((checks + 1))
	[ "$(jq -r "$1" "$tmp/out" 2>&1)" = true ] || fail "jq '$1' is not true on: $(cat "$tmp/out")"
}

version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$DATA/../../meson.build")

# --- options, help, version, usage errors -----------------------------------------------
run 0 "$KSTATE" --help
has out "Usage: kstate"
has out "Exit status"
run 0 "$KSTATE" --version
has out "kstate $version"
run 2 "$KSTATE"
has err "missing command"
run 2 "$KSTATE" frobnicate
has err "unknown command 'frobnicate'"
run 2 "$KSTATE" --bogus list
has err "unknown option '--bogus'"
for cmd in list show verify dump gc init; do
	run 0 "$KSTATE" $cmd --help
	has out "Usage: kstate $cmd"
	run 0 "$KSTATE" $cmd -h
	has out "Exit status"
	run 0 "$KSTATE" $cmd --version
	has out "kstate $version"
	run 2 "$KSTATE" $cmd --no-such-flag
	has err "kstate $cmd: unknown option '--no-such-flag' (try 'kstate $cmd --help')"
	run 2 "$KSTATE" $cmd -Q
	has err "unknown option '-Q'"
done
run 2 "$KSTATE" show
has err "missing NAME"
run 2 "$KSTATE" dump
has err "missing FILE"
run 2 "$KSTATE" list extra
has err "unexpected argument 'extra'"
run 2 "$KSTATE" verify --generation x
has err "--generation needs a number"
run 2 "$KSTATE" show vmm --generation 0
has err "at least 1"
run 2 "$KSTATE" gc --keep 0
has err "--keep must be at least 1"
run 2 "$KSTATE" gc --keep
has err "needs an argument"
run 2 "$KSTATE" dump --json --store x y
has err "unknown option '--store'"

# --- no store ---------------------------------------------------------------------------
run 3 "$KSTATE" list --store "$tmp/none"
has err "store not found"
has err "--store"
KSTATE_STORE="$tmp/none" run 3 "$KSTATE" verify
has err "$tmp/none"
mkdir "$tmp/empty"
run 3 "$KSTATE" --store "$tmp/empty" list
has err "not a kstate store"
run 0 "$KSTATE" init --store "$tmp/empty"
has out "store $tmp/empty: uuid"
run 0 "$KSTATE" list --store "$tmp/empty" --json
jqtrue '.generation == 0 and .clients == [] and .entries == [] and .generations == []'
run 3 "$KSTATE" verify --store "$tmp/empty"
has err "no generation to verify"
run 0 "$KSTATE" gc --store "$tmp/empty"
has out "removed 0 files"

# --- not permitted: the store belongs to root --------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -m 700 "$tmp/private"
	"$KSTATE" init --store "$tmp/private" >/dev/null 2>&1
	run 4 setpriv --reuid=nobody --regid=nogroup --clear-groups "$KSTATE" list --store "$tmp/private"
	has err "Permission denied: must be root"
else
	echo "not root: the 'must be root' check is skipped"
fi

# --- a store with three generations --------------------------------------------------
S="$tmp/store"
mkdir "$S"
run 0 "$MAKE_STORE" "$S" 3
run 0 "$KSTATE" list --store "$S"
has out "generation:     3 (newest sealed"
has out "iommu-demo"
has out "saved"
has err "not on a DAX filesystem"
run 0 "$KSTATE" --store "$S" list --json
jqtrue ".store == \"$S\" and .generation == 3 and .last_sealed == 3 and .live == false"
jqtrue '.clients == [{"name": "iommu-demo", "version": 1, "state": "saved", "detail": {"generation": 3, "size": .clients[0].detail.size}}]'
jqtrue '[.generations[] | .generation] == [3, 2, 1] and all(.generations[]; .state == "sealed")'
jqtrue '[.entries[] | [.name, .kind, .owner, .client_version]] == [["iommu-demo", "records", "kernel", 1], ["vmm", "records", "user", 2], ["guest-ram", "region", "user", 0]]'
KSTATE_STORE="$S" run 0 "$KSTATE" list --json
jqtrue '.generation == 3'
# --store wins over the environment.
KSTATE_STORE="$tmp/none" run 0 "$KSTATE" list --json --store "$S"
jqtrue '.generation == 3'

run 0 "$KSTATE" show vmm --store "$S"
has out "record 0: type 1, flags 0x0001 (critical), 25 bytes, crc ok"
has out "record 1: type 7, flags 0x0000, 8 bytes, crc ok"
run 0 "$KSTATE" show vmm --store "$S" --hex --generation 2
has out "|vmm state of gen|"
has out "generation 2 of"
run 0 "$KSTATE" show vmm --store "$S" --json --hex
jqtrue '.generation == 3 and .entries[0].ok and (.entries[0].records | length) == 2'
jqtrue '.entries[0].records[1].payload == "6f7074696f6e616c"'
run 0 "$KSTATE" show guest-ram --store "$S" --json
jqtrue '.entries[0].kind == "region" and .entries[0].size == 65536 and .entries[0].ok'
run 3 "$KSTATE" show nosuch --store "$S"
has err "has no entry 'nosuch'"
run 3 "$KSTATE" show vmm --store "$S" --generation 9
has err "manifest.0000000000000009"

run 0 "$KSTATE" verify --store "$S"
has out "all 3 generations intact"
run 0 "$KSTATE" verify --store "$S" --json
jqtrue '.ok and .problems == 0 and .newest == 3 and (.generations | length) == 3'
run 0 "$KSTATE" verify --store "$S" --generation 2 --json
jqtrue '.ok and [.generations[].generation] == [2]'
run 3 "$KSTATE" verify --store "$S" --generation 9
has err "has no generation 9"

# --- gc -------------------------------------------------------------------------------
before=$(ls "$S" | wc -l)
run 0 "$KSTATE" gc --store "$S" --dry-run --keep 2
has out "would remove manifest.0000000000000001"
has out "would remove 3 files"
[ "$(ls "$S" | wc -l)" -eq "$before" ] || fail "gc --dry-run removed files"
run 0 "$KSTATE" gc --store "$S" --keep 2 --json
jqtrue '.keep == 2 and .dry_run == false and (.removed | sort) == ["iommu-demo.0000000000000001.ksr", "manifest.0000000000000001", "vmm.0000000000000001.ksr"]'
[ ! -e "$S/manifest.0000000000000001" ] || fail "gc left generation 1"
[ -e "$S/manifest.0000000000000002" ] || fail "gc removed generation 2"
run 0 "$KSTATE" gc --store "$S"
has out "removed 0 files; kept the newest 2 sealed generations (newest: 3)"
run 0 "$KSTATE" list --store "$S" --json
jqtrue '[.generations[].generation] == [3, 2]'

# --- a damaged store -------------------------------------------------------------------
# flip FILE OFFSET: invert one byte of FILE in place.
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
cp -r "$S" "$tmp/damaged"
D="$tmp/damaged"
flip "$D/vmm.0000000000000003.ksr" 300
run 1 "$KSTATE" verify --store "$D"
has err "vmm.0000000000000003.ksr"
has err "checksum"
has out "DAMAGED"
has out "1 problem found"
run 1 "$KSTATE" verify --store "$D" --json
jqtrue '.ok == false and .problems == 1 and (.generations[0].entries[] | select(.name == "vmm") | .ok) == false'
jqtrue '(.generations[0].entries[] | select(.name == "vmm") | .error) | test("checksum")'
run 0 "$KSTATE" verify --store "$D" --generation 2
run 1 "$KSTATE" show vmm --store "$D"
has err "vmm.0000000000000003.ksr"
# A damaged newest manifest: a default load would refuse it; generation 2 is still fine.
cp -r "$S" "$tmp/badmanifest"
B="$tmp/badmanifest"
flip "$B/manifest.0000000000000003" 40
run 1 "$KSTATE" list --store "$B" --json
jqtrue '.generation == 0 and (.error | test("damaged")) and .generations[0].state == "damaged"'
has err "manifest.0000000000000003"
run 1 "$KSTATE" verify --store "$B"
has err "checksum mismatch"
has out "REFUSED"
run 0 "$KSTATE" verify --store "$B" --generation 2
run 0 "$KSTATE" show vmm --store "$B" --generation 2

# --- dump: every golden file, then damaged copies ---------------------------------------
ngolden=0
for f in "$DATA"/golden-* "$DATA"/golden-store/*; do
	[ -f "$f" ] || continue
	ngolden=$((ngolden + 1))
	run 0 "$KSTATE" dump "$f"
	has out "valid"
	run 0 "$KSTATE" dump --json --hex "$f"
	jqtrue '.type == "records" or .type == "manifest" or .type == "store"'
done
[ "$ngolden" -ge 8 ] || fail "only $ngolden golden files in $DATA"
run 0 "$KSTATE" dump --json "$DATA/golden-records.ksr"
jqtrue '.type == "records" and .name == "golden" and .record_count == 4 and .file_size == 440'
run 0 "$KSTATE" dump --json "$DATA/golden-manifest-sealed"
jqtrue '.type == "manifest" and .generation == 3 and .state == "sealed" and (.entries | length) == 3'
jqtrue '.entries[1].name == "iommu-demo" and .entries[1].owner == "kernel"'
run 0 "$KSTATE" dump --json "$DATA/golden-store-header"
jqtrue '.type == "store" and .last_sealed == 3 and .uuid == "6b737461-7465-4f01-8a5e-102030405060"'
run 0 "$KSTATE" dump "$S/vmm.0000000000000003.ksr" --hex
has out "vmm state of gen"

# Damaged copies: a byte flipped every 13 bytes and truncations every 29 bytes of each
# golden file; the library test (test-file) covers every bit and every offset.
ndamaged=0
for f in "$DATA"/golden-records.ksr "$DATA"/golden-manifest-sealed "$DATA"/golden-store-header; do
	size=$(stat -c %s "$f")
	off=0
	while [ "$off" -lt "$size" ]; do
		cp "$f" "$tmp/copy"
		flip "$tmp/copy" "$off"
		run 1 "$KSTATE" dump "$tmp/copy"
		has err "kstate dump: $tmp/copy: "
		ndamaged=$((ndamaged + 1))
		off=$((off + 13))
	done
	off=0
	while [ "$off" -lt "$size" ]; do
		head -c "$off" "$f" >"$tmp/copy"
		run 1 "$KSTATE" dump --json "$tmp/copy"
		[ -s "$tmp/out" ] && fail "dump printed JSON for a truncated copy"
		ndamaged=$((ndamaged + 1))
		off=$((off + 29))
	done
done
run 1 "$KSTATE" dump "$D/vmm.0000000000000003.ksr"
has err "record 0: record checksum mismatch (offset 268)"
run 3 "$KSTATE" dump "$tmp/missing"
has err "No such file"
run 1 "$KSTATE" dump "$tmp"
has err "not a plain file"
printf 'hello, world\n' >"$tmp/text"
run 1 "$KSTATE" dump "$tmp/text"
has err "not a kstate file"

echo "$checks checks, $ngolden golden files, $ndamaged damaged copies, $failures failures"
[ "$failures" -eq 0 ]
