#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools-save-load.sh SAVE LOAD MAKE-STORE: kstate-save and kstate-load where no kstate
# module is loaded (the VM scenarios run them with the module): options, usage errors,
# root and module refusals, and kstate-load --verify-only on intact and damaged stores.
set -u
SAVE=$1 LOAD=$2 MAKE_STORE=$3
DATA=${KSTATE_TEST_DATA:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/script-lib.sh"


version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$DATA/../../meson.build")
for t in "$SAVE" "$LOAD"; do
	n=$(basename "$t")
	run 0 "$t" --help; has out "Usage: $n"; has out "Exit status:"; has out "  5  refused"
	run 0 "$t" --version; has out "$n"; has out "$version"
	run 2 "$t" --no-such-flag; has err "unknown option '--no-such-flag'"
	run 2 "$t" extra-argument; has err "unexpected argument"
done
run 2 "$SAVE" --initrd /x; has err "go with --kexec"
run 2 "$SAVE" --kexec /x --reboot; has err "exclude each other"
run 2 "$SAVE" --kexec /x --append a --reuse-cmdline; has err "exclude each other"
run 2 "$LOAD" --generation 0; has err "above 0"

mkdir -m 700 "$tmp/store" && "$MAKE_STORE" "$tmp/store" 3 >/dev/null || fail "make-store failed"
run 0 "$LOAD" --verify-only --store "$tmp/store" --json
[ "$(jq -r '.result + " " + (.generation|tostring) + " " + ([.entries[] | .valid] | all | tostring)' "$tmp/out")" = "verified 3 true" ] ||
	fail "verify-only on an intact store: $(cat "$tmp/out")"
run 0 "$LOAD" --verify-only --store "$tmp/store" --generation 2
has out "generation 2"
run 3 "$LOAD" --verify-only --store "$tmp/store" --generation 9

# A damaged member file: reported by name, with the reason, exit 1, nothing moved.
f=$(ls "$tmp/store" | grep '^vmm\..*0003\.ksr$')
printf 'X' | dd of="$tmp/store/$f" bs=1 seek=300 conv=notrunc 2>/dev/null
ls "$tmp/store" >"$tmp/before"
run 1 "$LOAD" --verify-only --store "$tmp/store"
has err "$f"
has out "damaged"
ls "$tmp/store" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" || fail "--verify-only changed the store"

# A damaged newest manifest: refused as a whole, no older generation used silently.
printf 'X' | dd of="$tmp/store/manifest.0000000000000003" bs=1 seek=40 conv=notrunc 2>/dev/null
run 1 "$LOAD" --verify-only --store "$tmp/store" --json
[ "$(jq -r .result "$tmp/out")" = refused ] || fail "damaged manifest not refused: $(cat "$tmp/out")"
has err "--generation N"

# Not root / no module: each says what to do.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run 4 setpriv --reuid=nobody --regid=nogroup --clear-groups "$SAVE" --store "$tmp/store"
	has err "must be root"
	run 4 setpriv --reuid=nobody --regid=nogroup --clear-groups "$LOAD" --store "$tmp/store"
	has err "must be root"
fi
if [ ! -e /dev/kstate ] && [ "$(id -u)" = 0 ]; then
	mkdir -m 700 "$tmp/store2" && "$MAKE_STORE" "$tmp/store2" 1 >/dev/null
	run 7 "$SAVE" --store "$tmp/store2"
	has err "modprobe kstate"
	run 3 "$SAVE" --store "$tmp/store2" --kexec /nonexistent-kernel --no-systemd
	has err "/nonexistent-kernel"
	run 7 "$LOAD" --store "$tmp/store2"
	has err "modprobe kstate"
fi

finish
