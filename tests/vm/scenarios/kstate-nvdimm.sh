#!/bin/sh
# kstate-nvdimm: kernel client state on an fsdax namespace of an NFIT NVDIMM survives a power
# cycle: QEMU exits, a new QEMU on the same backing file restores every client, with the IOMMU
# page table at the same physical address.
# vm: nvdimm=1G
# vm: timeout=300
# vm: boots=2
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

case $(phase) in
1)
	store_new_nvdimm
	kstate_boot
	demos_load
	check fresh-iommu [ "$(client .state iommu-demo)" = fresh ]
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	check save kstate-save
	umount /mnt/pmem
	next_boot poweroff
	;;
2)
	store_mount "$(ctl_get ns_dev)"
	kstate_boot
	check load-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	demos_load
	check iommu-restored [ "$(client .state iommu-demo)" = restored ]
	check iommu-verified-65536 [ "$(client .detail.verified iommu-demo)" = 65536 ]
	check iommu-same-root-phys [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check kv-restored [ "$(client .state kv-demo)" = restored ]
	check kv-same-checksum [ "$(client .detail.checksum kv-demo)" = "$(ctl_get kv_sum)" ]
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
