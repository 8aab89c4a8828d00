#!/bin/sh
# vtd-kexec-cross: VT-d tables in a kstate region stay in use across kexec into the other
# kernel ABI and back (6.1.0-56 -> 6.1.0-50 -> 6.1.0-56).  Before each kexec the edu device
# gets a DMA started as late as Linux allows (a kmsg dumper, after pci_device_shutdown()
# took Bus Master away); it lands through the preserved tables while the next kernel
# boots.  That kernel switches translation off (intel_iommu_init()); the client re-enables
# it on the same root, no rebuild, and reports the untranslated window it measured.
# vm: machine=q35 iommu=vtd edu=1
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=3
# vm: append=initcall_debug append=log_buf_len=1M
# vm: early=crc32c_generic,kstate_vtd
. /guest/lib.sh
. /guest/kstate.sh
. /guest/vtd.sh

case $(phase) in
1)
	vtd_boot new
	check first-load-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	check first-rebuilt [ "$(vtd .detail.adopted)" = rebuilt ]
	check first-translating [ "$(vtd .detail.translating)" = yes ]
	check first-dma-checks [ "$(vtd .detail.dma_checks)" -ge 2 -a "$(vtd .detail.dma_failed)" = 0 ]
	check first-hw-from-dmar [ "$(vtd .detail.hw)" = $((0xfed90000)) ]
	ctl_set root "$(vtd .detail.root_phys)"
	ctl_set crc "$(vtd .detail.tables_crc)"
	vtd_arm_late first
	save_then kexec 6.1.0-50-amd64
	;;
2)
	vtd_boot old
	vtd_adopted_live other-abi
	vtd_arm_late other-abi
	save_then kexec 6.1.0-56-amd64
	;;
3)
	vtd_boot old
	vtd_adopted_live back
	done_scenario
	;;
esac
