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
