#!/bin/sh
# kstate-operator: the operator's flow with only the tools and modprobe.  First boot, then
# "kstate-save --kexec" into the other kernel ABI, "kstate-load" (restored, verified), then
# "kstate-save --reboot" through firmware and restored again.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=3
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

restored() {
	check "$1-load-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
	demos_load
	check "$1-iommu-restored" [ "$(client .state iommu-demo)" = restored ]
	check "$1-iommu-verified" [ "$(client .detail.verified iommu-demo)" = 65536 ]
	check "$1-iommu-same-root" [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check "$1-kv-restored" [ "$(client .state kv-demo)" = restored ]
	check "$1-kernel-log-clean" kernel_log_clean
}

case $(phase) in
1)
	store_new /dev/pmem0
	kstate_boot
	check first-boot-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	demos_load
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	check bad-kernel-refused-before-saving sh -c "! kstate-save --kexec /nonexistent"
	check nothing-saved-by-refused [ "$(kstate list --json | jq .generation)" = 0 ]
	save_then kexec 6.1.0-50-amd64
	;;
2)
	store_mount /dev/pmem0
	kstate_boot
	restored kexec-other-abi
	save_then reset
	;;
3)
	store_mount /dev/pmem0
	kstate_boot
	restored firmware-reboot
	done_scenario
	;;
esac
