#!/bin/sh
# vtd-lts: VT-d tables in a kstate region stay in use across kexec between the 6.1 and the
# 6.12 LTS kernel, both ways (6.1.0-56 -> 6.12 -> 6.1.0-56).  A DMA started as late as the
# old kernel allows lands through the preserved tables while the next one boots; 6.12's
# intel_iommu_init() switches translation off as 6.1's does, and the client re-enables it
# on the same root, no rebuild.  Skipped when the 6.12 kernel is not cached.
# vm: machine=q35 iommu=vtd edu=1
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: kernels=6.12.117+deb12-amd64
# vm: boots=3
# vm: append=initcall_debug append=log_buf_len=1M
# vm: early=crc32c_generic,kstate_vtd
. /guest/lib.sh
. /guest/kstate.sh
. /guest/vtd.sh

NEW=6.12.117+deb12-amd64

case $(phase) in
1)
	vtd_boot new
	check first-rebuilt [ "$(vtd .detail.adopted)" = rebuilt ]
	check first-dma-checks [ "$(vtd .detail.dma_checks)" -ge 2 -a "$(vtd .detail.dma_failed)" = 0 ]
	ctl_set root "$(vtd .detail.root_phys)"
	ctl_set crc "$(vtd .detail.tables_crc)"
	vtd_arm_late first
	save_then kexec $NEW
	;;
2)
	vtd_boot old
	check lts-kernel [ "$(uname -r)" = $NEW ]
	vtd_adopted_live lts
	vtd_arm_late lts
	save_then kexec 6.1.0-56-amd64
	;;
3)
	vtd_boot old
	check back-kernel [ "$(uname -r)" = 6.1.0-56-amd64 ]
	vtd_adopted_live back
	done_scenario
	;;
esac
