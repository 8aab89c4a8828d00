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

# adopted_live LABEL: after a kexec the client took the same tables back, the in-flight DMA
# landed through them, and DMA works both ways.
adopted_live() {
	check "$1-load-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
	check "$1-restored" [ "$(vtd .state)" = restored ]
	check "$1-found-translation-off" [ "$(vtd .detail.translation)" = off ]
	check "$1-found-rtaddr-saved-root" [ "$(vtd .detail.rtaddr)" = "$(ctl_get root)" ]
	check "$1-adopted-live" [ "$(vtd .detail.adopted)" = live ]
	check "$1-same-root" [ "$(vtd .detail.root_phys)" = "$(ctl_get root)" ]
	check "$1-same-tables" [ "$(vtd .detail.tables_crc)" = "$(ctl_get crc)" ]
	# The final save froze the tables with a CRC, which kstate checked at open; the
	# DMA buffers, which the device wrote after it, carry none.
	check "$1-tables-frozen-with-crc" [ "$(region_crc vtd-tables)" != 0 ]
	check "$1-dma-buffers-without-crc" [ "$(region_crc vtd-dma)" = 0 ]
	check "$1-inflight-dma-intact" [ "$(vtd .detail.inflight)" = intact ]
	check "$1-dma-checks" [ "$(vtd .detail.dma_checks)" -ge 2 -a "$(vtd .detail.dma_failed)" = 0 ]
	check "$1-no-faults" [ "$(vtd .detail.faults)" = 0 ]
	check "$1-window-reported" [ "$(vtd .detail.window_us)" -gt 0 ]
	say "vtd: untranslated window $(vtd .detail.window_us) us (switch-off to Bus Master off)," \
		"translation back on at $(vtd .detail.enable_us) us"
	check "$1-kernel-log-clean" kernel_log_clean
}

region_crc() { jq -r ".entries[] | select(.name == \"$1\") | .crc" /tmp/list.json; }

arm_late_dma() {
	check "$1-late-dma-armed" sh -c "echo 1 > $VTD_PARAMS/late_dma"
}

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
	arm_late_dma first
	save_then kexec 6.1.0-50-amd64
	;;
2)
	vtd_boot old
	adopted_live other-abi
	arm_late_dma other-abi
	save_then kexec 6.1.0-56-amd64
	;;
3)
	vtd_boot old
	adopted_live back
	done_scenario
	;;
esac
