#!/bin/sh
# kstate-reboots: kernel clients keep their state across kexec into the same kernel, into
# the other kernel ABI and back, and a firmware reboot.  The IOMMU page table stays where
# it is (same root_phys, every mapping verified); the kv-demo rbtree is rebuilt intact.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: timeout=480
# vm: boots=5
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

restored_intact() {
	check "$1-load-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
	demos_load
	check "$1-iommu-restored" [ "$(client .state iommu-demo)" = restored ]
	check "$1-iommu-verified-65536" [ "$(client .detail.verified iommu-demo)" = 65536 ]
	check "$1-iommu-same-root-phys" \
		[ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check "$1-kv-restored" [ "$(client .state kv-demo)" = restored ]
	check "$1-kv-same-checksum" [ "$(client .detail.checksum kv-demo)" = "$(ctl_get kv_sum)" ]
	check "$1-kernel-log-clean" kernel_log_clean
}

case $(phase) in
1)
	store_new /dev/pmem0
	kstate_boot
	check first-boot-load-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	check first-boot-nothing-to-restore [ "$(jq -r .result /tmp/load.json)" = nothing-to-restore ]
	demos_load
	check first-boot-iommu-fresh [ "$(client .state iommu-demo)" = fresh ]
	check first-boot-kv-fresh [ "$(client .state kv-demo)" = fresh ]
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	check first-save kstate-save
	next_boot kexec same
	;;
2)
	store_mount /dev/pmem0
	kstate_boot
	restored_intact kexec-same
	check save-2 kstate-save
	next_boot kexec 6.1.0-50-amd64
	;;
3)
	store_mount /dev/pmem0
	kstate_boot
	restored_intact kexec-other-abi
	check save-3 kstate-save
	next_boot kexec 6.1.0-56-amd64
	;;
4)
	store_mount /dev/pmem0
	kstate_boot
	restored_intact kexec-back
	check save-4 kstate-save
	next_boot reset
	;;
5)
	store_mount /dev/pmem0
	kstate_boot
	restored_intact firmware-reboot
	check kept-two-generations [ "$(kstate list --json | jq '[.generations[]] | length')" = 2 ]
	done_scenario
	;;
esac
