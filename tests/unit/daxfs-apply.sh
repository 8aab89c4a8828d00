#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# daxfs-apply.sh DAXFS-SETUP: "daxfs-setup apply" as an operator runs it, before and
# after the reboot, on sample roots, /proc/iomem samples and command lines: applied
# once, then a no-op (exit 0) before the reboot and after it; a reservation that is
# active is kept, never re-planned; kernel-install systems are refused with a reason;
# plan --json always has ranges[]; sizes are decimal.
set -u
B=$1
DATA=${KSTATE_TEST_DATA:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/script-lib.sh"
is() {	# what jq-filter value
	checks=$((checks + 1))
	got=$(jq -r "$2" "$tmp/out" 2>&1)
	[ "$got" = "$3" ] || fail "$1: $2 is '$got', not '$3'"
}
newroot() {
	rm -rf "$tmp/root"
	mkdir -p "$tmp/root/etc/default/grub.d"
	printf 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n' \
		>"$tmp/root/etc/default/grub"
}
cfg=$tmp/root/etc/default/grub.d/kstate.cfg
echo "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro quiet" >"$tmp/cmdline-before"
echo "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro quiet memmap=512M!1G" >"$tmp/cmdline-after"
before="--iomem $DATA/iomem/qemu-2g --cmdline $tmp/cmdline-before"
after="--iomem $DATA/iomem/qemu-2g-memmap-512m --cmdline $tmp/cmdline-after"
A="$B apply --root $tmp/root --no-update --json"

# 1. First apply: planned and written to the drop-in, the distribution's file untouched.
newroot
cp "$tmp/root/etc/default/grub" "$tmp/grub.orig"
run 0 $A --size 512M $before
is first .result applied
is first .memmap 'memmap=512M!1G'
is first .changed true
checks=$((checks + 2))
grep -q 'memmap=512M!1G' "$cfg" || fail "kstate.cfg lacks the reservation"
cmp -s "$tmp/grub.orig" "$tmp/root/etc/default/grub" || fail "etc/default/grub was edited"
stamp=$(stat -c '%Y %i %s' "$cfg")

# 2. Again before the reboot: configured, nothing written.
run 0 $A --size 512M $before
is again .result configured
is again .changed false

# 3. After the reboot the range is PMEM, not RAM: already applied, not re-planned.
run 0 $A --size 512M $after
is rebooted .result already-applied
is rebooted .active true
is rebooted .memmap 'memmap=512M!1G'
is rebooted '.ranges[0].start' 1073741824
run 0 $B apply --root "$tmp/root" --no-update --size 512M $after
checks=$((checks + 1)); grep -q 'already applied' "$tmp/out" || fail "text: $(cat "$tmp/out")"
run 0 $A --memmap 'memmap=512M!1G' $after
is rebooted-memmap .result already-applied
checks=$((checks + 1))
[ "$(stat -c '%Y %i %s' "$cfg")" = "$stamp" ] || fail "kstate.cfg was rewritten"

# 4. Another size while one is active would move the store: refused, nothing changed.
run 5 $A --size 1G $after
checks=$((checks + 1)); grep -q "is active" "$tmp/err" || fail "refusal: $(cat "$tmp/err")"
checks=$((checks + 1)); [ "$(stat -c '%Y %i %s' "$cfg")" = "$stamp" ] || fail "changed by a refusal"

# 5. Active but not configured (a new root): the active range is written, not a plan.
newroot
run 0 $A --size 512M $after
is adopt .result applied
is adopt .memmap 'memmap=512M!1G'

# 6. memmap= already in GRUB_CMDLINE_LINUX_DEFAULT: no second reservation.
newroot
printf 'GRUB_CMDLINE_LINUX_DEFAULT="quiet memmap=256M!1G"\n' >>"$tmp/root/etc/default/grub"
run 5 $A --size 512M $before
checks=$((checks + 1)); [ ! -e "$cfg" ] || fail "kstate.cfg written despite memmap= in _DEFAULT"

# 7. kernel-install (BLS) systems: refused with the reason, nothing written.
newroot
mkdir -p "$tmp/root/etc/kernel"
echo "root=/dev/vda1 ro quiet" >"$tmp/root/etc/kernel/cmdline"
run 5 $A --size 512M $before
checks=$((checks + 1)); grep -q "etc/kernel/cmdline" "$tmp/err" || fail "no reason: $(cat "$tmp/err")"
checks=$((checks + 1)); [ ! -e "$cfg" ] || fail "kstate.cfg written on a kernel-install system"

# 8. plan --json: one shape whatever the plan, and decimal sizes ("010G" is 10 GiB).
run 0 $B plan --size 512M --iomem "$DATA/iomem/qemu-2g" --json
is plan-one '.ranges | length' 1
is plan-one .size 536870912
run 0 $B plan --size 010G --iomem "$DATA/iomem/qemu-24g" --json
is plan-decimal .size 10737418240
is plan-decimal '.ranges[0].size' 10737418240
run 2 $B plan --size 0x1000 --iomem "$DATA/iomem/qemu-24g"

finish
