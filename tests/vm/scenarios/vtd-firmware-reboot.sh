#!/bin/sh
# vtd-firmware-reboot: VT-d tables in a kstate region survive a firmware reset.  The unit
# comes back reset (translation off, RTADDR 0); the client points it at the same root and
# switches translation on without rewriting a single table page, and DMA works both ways.
# Unloading the client then switches translation off with the kernel log clean.
# vm: machine=q35 iommu=vtd edu=1
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=2
# vm: early=crc32c_generic,kstate_vtd
. /guest/lib.sh
. /guest/kstate.sh
. /guest/vtd.sh

case $(phase) in
1)
	vtd_boot new
	check first-load-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	check first-rebuilt [ "$(vtd .detail.adopted)" = rebuilt ]
	check first-dma-checks [ "$(vtd .detail.dma_checks)" -ge 2 -a "$(vtd .detail.dma_failed)" = 0 ]
	ctl_set root "$(vtd .detail.root_phys)"
	ctl_set crc "$(vtd .detail.tables_crc)"
	save_then reset
	;;
2)
	vtd_boot old
	check load-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	check restored [ "$(vtd .state)" = restored ]
	check found-unit-reset [ "$(vtd .detail.translation)" = off -a "$(vtd .detail.rtaddr)" = 0 ]
	check adopted-reprogrammed [ "$(vtd .detail.adopted)" = reprogrammed ]
	check same-root [ "$(vtd .detail.root_phys)" = "$(ctl_get root)" ]
	check same-tables [ "$(vtd .detail.tables_crc)" = "$(ctl_get crc)" ]
	check translating [ "$(vtd .detail.translating)" = yes ]
	check dma-checks [ "$(vtd .detail.dma_checks)" -ge 2 -a "$(vtd .detail.dma_failed)" = 0 ]
	check no-faults [ "$(vtd .detail.faults)" = 0 ]
	# Unloading switches translation off and blocks the device before the regions close.
	check unload rmmod kstate_vtd
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
