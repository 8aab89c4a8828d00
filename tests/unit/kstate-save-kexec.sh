#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kstate-save-kexec.sh SAVE NO-KEXEC MAKE-STORE: the checks kstate-save makes before a
# kexec, and the systemd hand-over, on this machine without ever kexecing it: no-kexec
# answers kexec_file_load(2) itself (see no-kexec.c), a sysfs sample puts the store on a
# memmap= region, a fake bzImage and module trees stand for the next kernel, and a stub
# systemctl on PATH records what it is asked.
set -u
SAVE=$1 NOKEXEC=$2 MAKE_STORE=$3
[ "$(id -u)" = 0 ] || { echo "SKIP: kstate-save's kexec path needs root"; exit 77; }
command -v objcopy >/dev/null || { echo "SKIP: objcopy (binutils) not found"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/script-lib.sh"

# The store, on a "memmap=512M!1G" region as far as the sysfs sample says.
mkdir -m 700 "$tmp/store" && "$MAKE_STORE" "$tmp/store" 2 >/dev/null || fail "make-store"
gen_before=$(ls "$tmp/store" | grep -c '^manifest')
devno=$(stat -c '%Hd:%Ld' "$tmp/store")
bus=$tmp/sys/devices/platform/e820_pmem/ndbus0
mkdir -p "$bus/region0/namespace0.0/block/pmem0" "$tmp/sys/dev/block"
echo e820 >"$bus/provider"
echo 0x40000000 >"$bus/region0/resource"
echo 536870912 >"$bus/region0/size"
ln -s ../../devices/platform/e820_pmem/ndbus0/region0/namespace0.0/block/pmem0 \
	"$tmp/sys/dev/block/$devno"
export KSTATE_SYSFS=$tmp/sys KSTATE_STORE=$tmp/store

# The next kernel: a bzImage header naming release 6.1.0-99-test.
head -c 4096 /dev/zero >"$tmp/vmlinuz"
printf 'HdrS' | dd of="$tmp/vmlinuz" bs=1 seek=$((0x202)) conv=notrunc 2>/dev/null
printf '\000\001' | dd of="$tmp/vmlinuz" bs=1 seek=$((0x20e)) conv=notrunc 2>/dev/null
printf '6.1.0-99-test (fake@kstate) #1 SMP\000' |
	dd of="$tmp/vmlinuz" bs=1 seek=$((0x300)) conv=notrunc 2>/dev/null
# Module trees: none for it, one with a module reading format 0.9, one reading 1.0.
fake_module() {	# DIR MODINFO-STRING...
	dir=$1
	shift
	mkdir -p "$dir/6.1.0-99-test/extra"
	{ printf '%s\000' "$@"; printf 'name=kstate\000'; } >"$tmp/modinfo"
	objcopy -I binary -O elf64-x86-64 -B i386:x86-64 --rename-section .data=.modinfo \
		"$tmp/modinfo" "$dir/6.1.0-99-test/extra/kstate.ko"
}
mkdir -p "$tmp/mods-none/6.1.0-99-test/kernel"
fake_module "$tmp/mods-old" "kstate_format=0.9"
# What kmod-kstate declares (MODULE_INFO in kstate_main.c), spelled as __stringify does.
fake_module "$tmp/mods-ok" "kstate_format=1.0" "kstate_incompat_store=0x00000000U" \
	"kstate_incompat_manifest=0x00000001U" "kstate_incompat_file=0x00000000U"
# A module from before the incompat declarations: it does not read region CRCs.
fake_module "$tmp/mods-pre" "kstate_format=1.0"
fake_module "$tmp/mods-garbled" "kstate_format=1.0" "kstate_incompat_manifest=one"

# A stub systemctl that records its arguments.
mkdir "$tmp/bin"
cat >"$tmp/bin/systemctl" <<'STUB'
#!/bin/sh
echo "$*" >>"$STUB_LOG"
case "$1" in
is-active) [ "${STUB_ACTIVE:-yes}" = yes ] && { echo active; exit 0; }; echo inactive; exit 3 ;;
esac
exit 0
STUB
chmod +x "$tmp/bin/systemctl"
export STUB_LOG=$tmp/systemctl.log PATH="$tmp/bin:$PATH"

K="--kexec $tmp/vmlinuz"
MEMMAP="memmap=512M!1G"

# 1. An empty command line is refused, before any load.
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append "" --modules-dir "$tmp/mods-ok" --systemd
has err "command line is empty"; has err "nothing was loaded or saved"
hasnt err "kexec_file_load failed"

# 2. A command line without the store's memmap= range is refused: the running one
#    (this machine has no such reservation), one reserving only part of it, and one
#    that reserves it and keeps nothing else is fine for this check.
run 5 "$NOKEXEC" load-fails "$SAVE" $K --modules-dir "$tmp/mods-ok" --systemd
has err "does not reserve it"; has err "0x40000000-0x5fffffff"; hasnt err "kexec_file_load"
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append "root=/dev/vda memmap=256M!1G,256M!2G" \
	--modules-dir "$tmp/mods-ok" --systemd
has err "does not reserve it"
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append "root=/dev/vda -- $MEMMAP" \
	--modules-dir "$tmp/mods-ok" --systemd
has err "does not reserve it"

# 3. A next kernel without a kstate module, or with one for an older format.
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append-extra "$MEMMAP" --modules-dir "$tmp/mods-none" --systemd
has err "has no kstate module"; has err "6.1.0-99-test"; hasnt err "kexec_file_load"
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append-extra "$MEMMAP" --modules-dir "$tmp/mods-old" --systemd
has err "reads kstate format 0.9"; hasnt err "kexec_file_load"
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append-extra "$MEMMAP" --modules-dir "$tmp/mods-pre" --systemd
has err "does not read every incompatible feature"; has err "manifest 0x1"
hasnt err "kexec_file_load"
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append-extra "$MEMMAP" --modules-dir "$tmp/mods-garbled" --systemd
has err "unreadable kstate_incompat_manifest 'one'"
run 5 "$NOKEXEC" load-fails "$SAVE" $K --append-extra "$MEMMAP" --modules-dir "$tmp/nowhere" --systemd
has err "no module tree"

# 4. All checks pass (the running command line plus memmap= in hex, as memparse reads
#    it): the kernel is loaded, and under systemd kstate-save hands over to systemctl
#    kexec without saving anything itself.
: >"$STUB_LOG"
run 0 "$NOKEXEC" load-ok "$SAVE" $K --append-extra "memmap=0x20000000!0x40000000" \
	--modules-dir "$tmp/mods-ok" --systemd --json
[ "$(jq -r '.handed_over + "/" + .then' "$tmp/out")" = "systemctl kexec/kexec" ] ||
	fail "no hand-over in the report: $(cat "$tmp/out")"
# The running command line, memmap= added before any "--" (after it, words are init's).
want=$(sed 's/^\(.*[^ ]\)  *--\( .*\)*$/\1/' /proc/cmdline)
checks=$((checks + 1))
case "$(jq -r .cmdline "$tmp/out")" in
"$want memmap=0x20000000!0x40000000"*) ;;
*) fail "command line: $(jq -r .cmdline "$tmp/out")" ;;
esac
[ "$(cat "$STUB_LOG")" = "$(printf 'is-active kstate-save.service\nkexec')" ] ||
	fail "systemctl was asked: $(cat "$STUB_LOG")"
checks=$((checks + 2))
[ "$(ls "$tmp/store" | grep -c '^manifest')" = "$gen_before" ] || fail "the hand-over saved"

# 5. Without kstate-save.service active nothing would save on the way down: refused.
: >"$STUB_LOG"
STUB_ACTIVE=no run 5 "$NOKEXEC" load-ok "$SAVE" $K --append-extra "$MEMMAP" \
	--modules-dir "$tmp/mods-ok" --systemd
has err "kstate-save.service is not active"
checks=$((checks + 1)); ! grep -qx kexec "$STUB_LOG" || fail "systemctl kexec ran anyway"

# 6. --reboot hands over to systemctl reboot.
: >"$STUB_LOG"
run 0 "$NOKEXEC" load-ok "$SAVE" --reboot --systemd
checks=$((checks + 1)); grep -qx reboot "$STUB_LOG" || fail "no systemctl reboot: $(cat "$STUB_LOG")"

# 7. An NVDIMM needs no memmap=: the running command line is fine.
echo ACPI.NFIT >"$bus/provider"
: >"$STUB_LOG"
run 0 "$NOKEXEC" load-ok "$SAVE" $K --modules-dir "$tmp/mods-ok" --systemd
echo e820 >"$bus/provider"

# 8. --force overrides the checks (with a warning); without systemd the save is made
#    here, which fails without the module (exit 7) and unloads the kernel.
run 7 "$NOKEXEC" load-ok "$SAVE" $K --modules-dir "$tmp/mods-none" --force --no-systemd
has err "warning: --force"; has err "modprobe kstate"; has err "unloaded"

finish
