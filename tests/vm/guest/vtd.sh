# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# vtd.sh - guest helpers for the scenarios of the VT-d client (kstate_vtd, "# vm: machine=q35
# iommu=vtd edu=1"); source after lib.sh and kstate.sh.
#
#   vtd_boot new|old           bring the client up as early as this boot allows: kstate_vtd
#                              (loaded by /init first with "# vm: early=crc32c_generic,kstate_vtd";
#                              it takes Bus Master from its device at once when the unit kept a
#                              root but was switched off), then only the pmem and ext4
#                              modules, the store (mkfs with "new") and kstate-load (report in
#                              /tmp/load.json, exit code in /tmp/load.rc)
#   vtd FIELD                  a field of the client as last read: vtd .detail.adopted
#   vtd_refresh                read the client's status again (kstate list --json, all of
#                              it in /tmp/list.json)
#   vtd_sid                    the source id (bus << 8 | devfn) of the edu device, from sysfs
#   vtd_bus_master             1 if the edu device has Bus Master on, else 0
#   vtd_pmem_read64 PHYS       the 8 bytes at physical address PHYS of /dev/pmem0, in hex
#   vtd_pmem_zero PHYS LEN     zero LEN bytes at physical address PHYS of /dev/pmem0, behind
#                              the module's back (a stray writer)
#   vtd_arm_late LABEL         arm the late DMA the client starts at the next kexec (check)
#   vtd_adopted_live LABEL     after a kexec: the checks that the client took the same tables
#                              back live (ctl keys root and crc), the late DMA landed through
#                              them, the window was reported, the kernel log is clean
#   vtd_region_crc NAME        the CRC kstate recorded for region NAME in the restored
#                              generation (0: none)

VTD_PARAMS=/sys/module/kstate_vtd/parameters

vtd_boot() {
	modprobe crc32c_generic || abort "modprobe crc32c_generic failed"
	modprobe kstate_vtd || abort "modprobe kstate_vtd failed"
	modprobe -a nd_pmem nd_e820 ext4 || abort "modprobe nd_pmem nd_e820 ext4 failed"
	wait_for /dev/pmem0 || abort "vtd_boot: /dev/pmem0 did not appear (memmap=)"
	case "$1" in
	new) store_new /dev/pmem0 ;;
	*) store_mount /dev/pmem0 ;;
	esac
	kstate-load --json >/tmp/load.json 2>/tmp/load.err
	echo $? >/tmp/load.rc
	vtd_refresh
}

vtd_refresh() {
	kstate list --json >/tmp/list.json
	jq -c '.clients[] | select(.name == "vtd")' /tmp/list.json >/tmp/vtd.json
	say "vtd: $(jq -c '{state, message, detail}' /tmp/vtd.json)"
}

vtd() { jq -r "$1" /tmp/vtd.json; }

vtd_edu() { basename "$(readlink -f /sys/bus/pci/drivers/kstate_vtd/0000:*)"; }

vtd_sid() {
	_b=$(vtd_edu)
	_b=${_b#*:}
	_bus=${_b%%:*} _df=${_b#*:}
	echo $(( 0x$_bus * 256 + 0x${_df%.*} * 8 + ${_df#*.} ))
}

vtd_bus_master() {
	_cmd=$(od -An -tu2 -j4 -N2 "/sys/bus/pci/devices/$(vtd_edu)/config" | tr -d ' ')
	echo $(( (_cmd >> 2) & 1 ))
}

# Physical address PHYS as an offset of /dev/pmem0 (memmap= PMEM, one region).
vtd_pmem_off() { echo $(( $1 - $(cat /sys/bus/nd/devices/region0/resource) )); }

vtd_pmem_read64() { od -An -tx8 -j "$(vtd_pmem_off "$1")" -N8 /dev/pmem0 | tr -d ' '; }

vtd_pmem_zero() {
	dd if=/dev/zero of=/dev/pmem0 bs=1 seek="$(vtd_pmem_off "$1")" count="$2" conv=notrunc \
		2>/dev/null || abort "vtd_pmem_zero: cannot write /dev/pmem0"
	sync
}

vtd_region_crc() { jq -r ".entries[] | select(.name == \"$1\") | .crc" /tmp/list.json; }

vtd_arm_late() {
	check "$1-late-dma-armed" sh -c "echo 1 > $VTD_PARAMS/late_dma"
}

vtd_adopted_live() {
	check "$1-load-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
	check "$1-restored" [ "$(vtd .state)" = restored ]
	check "$1-found-translation-off" [ "$(vtd .detail.translation)" = off ]
	check "$1-found-rtaddr-saved-root" [ "$(vtd .detail.rtaddr)" = "$(ctl_get root)" ]
	check "$1-adopted-live" [ "$(vtd .detail.adopted)" = live ]
	check "$1-same-root" [ "$(vtd .detail.root_phys)" = "$(ctl_get root)" ]
	check "$1-same-tables" [ "$(vtd .detail.tables_crc)" = "$(ctl_get crc)" ]
	# The final save froze the tables with a CRC, which kstate checked at open; the
	# DMA buffers, which the device wrote after it, carry none.
	check "$1-tables-frozen-with-crc" [ "$(vtd_region_crc vtd-tables)" != 0 ]
	check "$1-dma-buffers-without-crc" [ "$(vtd_region_crc vtd-dma)" = 0 ]
	check "$1-inflight-dma-intact" [ "$(vtd .detail.inflight)" = intact ]
	check "$1-dma-checks" [ "$(vtd .detail.dma_checks)" -ge 2 -a "$(vtd .detail.dma_failed)" = 0 ]
	check "$1-no-faults" [ "$(vtd .detail.faults)" = 0 ]
	check "$1-window-reported" [ "$(vtd .detail.window_us)" -gt 0 ]
	say "vtd: $(uname -r): untranslated window $(vtd .detail.window_us) us (switch-off to Bus Master off)," \
		"translation back on at $(vtd .detail.enable_us) us"
	note "vtd: $1 ($(uname -r)): window $(vtd .detail.window_us) us, translation back on at $(vtd .detail.enable_us) us"
	check "$1-kernel-log-clean" kernel_log_clean
}
