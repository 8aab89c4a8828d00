#!/bin/sh
# kstate-hostile: an attacker with write access to the store plants things in it.  Each
# case is run twice: through kstate-load (libkstate checks first, then the module), and
# through "kstate-forge bind", which binds without any userspace check (as if the files
# changed after kstate-load looked at them), so that the module's own checks must catch
# it.  Every case gives a specific error, refuses only what was attacked (the other
# client restores), changes nothing else in the store, and the kernel log stays clean.
# kstate-forge rewrites files with every checksum correct again, so that only the checks
# of meaning (lengths, versions, features, generations) can catch them.
# vm: memmap=512M!1G
# vm: timeout=400
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

PATH=/scenario:$PATH
MAPPINGS=4096
S=$KSTATE_STORE
OUT=/mnt/pmem/outside		# the attacker's files, on the same filesystem

demos_unload() { rmmod kstate_kv_demo kstate_iommu_demo 2>/dev/null; return 0; }

# A fresh module with the demo clients registered, waiting for a bind.
fresh_module() {
	demos_unload
	rmmod kstate 2>/dev/null
	modprobe kstate || abort "modprobe kstate failed"
	demos_load "$MAPPINGS"
}

# Every file of the store except those given (by name) and quarantine/.
others_sums() {
	(cd "$S" && find . -type f ! -path './quarantine/*' | sort | while read -r _f; do
		_skip=0
		for _x in "$@"; do [ "$_f" = "./$_x" ] && _skip=1; done
		[ $_skip = 1 ] || sha256sum "$_f"
	done)
}

state() { client .state "$1"; }
message() { kstate list --json 2>/dev/null | jq -r ".clients[] | select(.name==\"$1\") | .message"; }

# by_module CASE VICTIM PATTERN: bind generation $G without userspace checks; VICTIM ("bind" for the
# whole store) is refused with PATTERN in its status message (or kstate-forge's error for a
# bind); the other client restores.
by_module() {
	fresh_module
	kstate-forge bind "$G" >/tmp/forge.out 2>&1
	_rc=$?
	cat /tmp/forge.out
	if [ "$2" = bind ]; then
		check "$1-module-bind-refused" [ $_rc = 1 ]
		check "$1-module-says-why" grep -q "$3" /tmp/forge.out
		check "$1-module-nobody-restored" [ "$(state kv-demo)$(state iommu-demo)" = waitingwaiting ]
		return
	fi
	check "$1-module-bound" [ $_rc = 0 ]
	say "$2: $(message "$2")"
	check "$1-module-refused" [ "$(state "$2")" = failed ]
	check "$1-module-says-why" sh -c "kstate list --json | jq -r '.clients[] | select(.name==\"$2\") | .message' | grep -q '$3'"
	_other=iommu-demo
	[ "$2" = iommu-demo ] && _other=kv-demo
	check "$1-module-$_other-restored" [ "$(state $_other)" = restored ]
}

# by_load CASE VICTIM PATTERN: kstate-load exits 1 and says PATTERN; VICTIM ("all" when
# the whole generation is refused) fails, the other client restores.
by_load() {
	fresh_module
	kstate-load >/tmp/load.out 2>/tmp/load.err
	_rc=$?
	cat /tmp/load.err
	check "$1-load-exit1" [ $_rc = 1 ]
	check "$1-load-says-why" grep -q "$3" /tmp/load.err
	if [ "$2" = all ] || [ "$2" = bind ]; then
		check "$1-load-nothing-restored" sh -c "[ '$(state kv-demo)' != restored ] && [ '$(state iommu-demo)' != restored ]"
		return
	fi
	check "$1-load-refused" [ "$(state "$2")" = failed ]
	_other=iommu-demo
	[ "$2" = iommu-demo ] && _other=kv-demo
	check "$1-load-$_other-restored" [ "$(state $_other)" = restored ]
}

# hostile CASE VICTIM MODULE-PATTERN LOAD-PATTERN FILE...: run both, then check that the
# store's other files are unchanged and put the attacked FILEs back from /tmp/pristine.
hostile() {
	_case=$1 _victim=$2 _mpat=$3 _lpat=$4
	shift 4
	by_module "$_case" "$_victim" "$_mpat"
	by_load "$_case" "$_victim" "$_lpat"
	check "$_case-others-unchanged" [ "$(others_sums "$@")" = "$(cat /tmp/others.$_case)" ]
	check "$_case-kernel-log-clean" kernel_log_clean
	for _f in "$@"; do
		rm -f "$S/$_f"
		cp -p "/tmp/pristine/$_f" "$S/$_f"
	done
	rm -rf "$S/quarantine" "$OUT"*
}

# before CASE FILE...: remember the other files' checksums, then the attack follows.
before() {
	_c=$1
	shift
	others_sums "$@" >/tmp/others.$_c
}

store_new /dev/pmem0
kstate_boot >/dev/null
demos_load "$MAPPINGS"
check save-1 kstate-save
check save-2 kstate-save
G=$(kstate list --json | jq -r .generation)
M=$(cd "$S" && ls manifest.* | sort | tail -n 1)
K=$(cd "$S" && ls kv-demo.*.ksr | sort | tail -n 1)
I=iommu-demo.$(printf '%016x' "$G").ksr
R=iommu-demo-pt.region
mkdir -p /tmp/pristine
(cd "$S" && cp -p "$M" "$K" "$I" /tmp/pristine/)
say "store: generation $G, manifest $M, kv-demo file $K"

# Planted files: a symlink, a hard link, a fifo in place of the record file, a symlink in
# place of the region (pointing at a valid copy each time: only the rule stops them).
before symlink "$K"
cp "$S/$K" "$OUT.ksr" && rm -f "$S/$K" && ln -s "$OUT.ksr" "$S/$K" || abort "cannot plant a symlink"
hostile symlink kv-demo "cannot read (-40)" "$K.*symbolic links" "$K"

before hardlink "$K"
ln "$S/$K" "$OUT-link" || abort "cannot plant a hard link"
hostile hardlink kv-demo "cannot read (-31)" "$K.*more than one link" "$K"

before fifo "$K"
rm -f "$S/$K" && mkfifo -m 600 "$S/$K" || abort "cannot plant a fifo"
hostile fifo kv-demo "cannot read (-1)" "$K.*not a plain file" "$K"

# kstate-load moves the refused iommu-demo's record file to quarantine/: not compared.
before region-symlink "$R" "$I"
# While a client has it open the region is pinned (even root cannot rename it); with the
# clients unloaded it is only immutable, and the attacker is root and lifts the flag.
demos_unload
chattr -i "$S/$R" && mv "$S/$R" "$OUT.region" && ln -s "$OUT.region" "$S/$R" ||
	abort "cannot plant a symlink for the region"
by_module region-symlink iommu-demo "cannot open region"
by_load region-symlink iommu-demo "$R.*symbolic links"
check region-symlink-others-unchanged [ "$(others_sums "$R" "$I")" = "$(cat /tmp/others.region-symlink)" ]
rm -f "$S/$R" && mv "$OUT.region" "$S/$R" || abort "cannot put the region back"
rm -rf "$S/quarantine" "$S/$I" && cp -p "/tmp/pristine/$I" "$S/$I"
check region-symlink-kernel-log-clean kernel_log_clean

# The store directory itself: not root's, or writable by others.  kstate-load refuses it in
# libkstate before the module is asked; kstate-forge bind shows the module refuses it too.
before dir-owner
chown 1000 "$S"
by_module dir-owner bind "owned by root"
by_load dir-owner bind "not by root or this user: chown it"
chown 0 "$S"
check dir-owner-others-unchanged [ "$(others_sums)" = "$(cat /tmp/others.dir-owner)" ]
before dir-mode
chmod 0777 "$S"
by_module dir-mode bind "owned by root"
by_load dir-mode bind "writable by others (mode 0777): chmod go-w"
chmod 0700 "$S"
check dir-mode-others-unchanged [ "$(others_sums)" = "$(cat /tmp/others.dir-mode)" ]
check dir-kernel-log-clean kernel_log_clean

# Oversize lengths, every checksum recomputed: a record longer than the file, a payload
# longer than the file.
before record-length "$K" "$M"
kstate-forge record-length kv-demo 0x3ffffff0 || abort "kstate-forge record-length failed"
hostile record-length kv-demo "at offset" "$K: .*offset" "$K" "$M"

before payload-length "$K" "$M"
kstate-forge file kv-demo payload_length 0x7fffffffffff || abort "kstate-forge file failed"
hostile payload-length kv-demo "at offset" "$K: .*offset" "$K" "$M"

# Written by something newer: the file format's major version, an unknown incompatible
# feature, a newer client record layout (only the module knows the client's version).
before file-version "$K" "$M"
kstate-forge file kv-demo version_major 2 || abort "kstate-forge file failed"
hostile file-version kv-demo "version" "$K: .*version" "$K" "$M"

before file-incompat "$K" "$M"
kstate-forge file kv-demo incompat 0x80000000 || abort "kstate-forge file failed"
hostile file-incompat kv-demo "incompat\|feature" "$K: .*\(incompat\|feature\)" "$K" "$M"

before client-version "$K" "$M"
kstate-forge file kv-demo client_version 3 || abort "kstate-forge file failed"
hostile client-version kv-demo "client format version 3, this client knows up to 2" \
	"kv-demo: refused: .*client format version 3" "$K" "$M"

# A file of another generation under this one's name (header and manifest disagree).
before file-generation "$K" "$M"
kstate-forge file kv-demo generation 1 || abort "kstate-forge file failed"
hostile file-generation kv-demo "header does not match" "$K: header does not match" "$K" "$M"

# The manifest: newer format, unknown incompatible feature, the previous (genuine, sealed)
# manifest replayed under the newest name; then the newest generation removed, so that the store went back
# in time (the high-water mark in kstate.store catches it).
before manifest-version "$M"
kstate-forge manifest version_major 2 || abort "kstate-forge manifest failed"
hostile manifest-version bind "cannot bind" "$M: .*version" "$M"

before manifest-incompat "$M"
kstate-forge manifest incompat 0x80000000 || abort "kstate-forge manifest failed"
hostile manifest-incompat bind "cannot bind" "$M: .*\(incompat\|feature\)" "$M"

before manifest-replayed "$M"
cp "$S/manifest.$(printf '%016x' $((G - 1)))" "$S/$M" || abort "cannot replay the old manifest"
hostile manifest-replayed bind "cannot bind" "$M: holds generation $((G - 1)), not $G" "$M"

before rollback "$M" "$K" "$I"
rm -f "$S/$M" "$S/$K" "$S/$I"
by_load rollback all "older than the last sealed generation $G"
check rollback-others-unchanged [ "$(others_sums "$M" "$K" "$I")" = "$(cat /tmp/others.rollback)" ]
check rollback-kernel-log-clean kernel_log_clean
done_scenario
