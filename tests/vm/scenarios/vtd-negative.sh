#!/bin/sh
# vtd-negative: the unit really walks the client's tables, and the client refuses tables
# that fail their check.  A cleared leaf makes the device's write fault in the unit's fault
# recording registers (reason 5, the device's source id, the IOVA) with no data moved.
# Then a stray writer clears the device's context entry on PMEM after the save: after the
# kexec the client refuses to adopt (table CRC differs), the device stays without Bus
# Master and translation stays off, and the kernel log stays clean.  "kstate discard vtd"
# then starts it fresh: tables rebuilt in place, DMA works again.
# vm: machine=q35 iommu=vtd edu=1
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=2
# vm: early=crc32c_generic,kstate_vtd
. /guest/lib.sh
. /guest/kstate.sh
. /guest/vtd.sh

# The IOVA of DMA page N (the client maps its pages from 1 << 39 | 3 << 30 | 5 << 21).
iova() { echo $(( (1 << 39) + (3 << 30) + (5 << 21) + $1 * 4096 )); }

case $(phase) in
1)
	vtd_boot new
	check first-rebuilt [ "$(vtd .detail.adopted)" = rebuilt ]
	checks=$(vtd .detail.dma_checks)
	check fault-test-runs sh -c "echo 2 > $VTD_PARAMS/fault_test"
	vtd_refresh
	check fault-recorded [ "$(vtd .detail.faults)" = 1 ]
	check fault-reason-write [ "$(vtd .detail.fault_reason)" = 5 ]
	check fault-source-is-device [ "$(vtd .detail.fault_sid)" = "$(vtd_sid)" ]
	check fault-address-is-iova [ "$(vtd .detail.fault_addr)" = "$(iova 2)" ]
	check dma-works-after-leaf-restored [ "$(vtd .detail.dma_checks)" -gt "$checks" ]
	check save kstate-save
	# A stray write on PMEM, behind the client's back: the device's context entry.
	root=$(vtd .detail.root_phys)
	ctl_set root "$root"
	ctx=$(( 0x$(vtd_pmem_read64 "$root") & ~0xfff ))
	devfn=$(( $(vtd_sid) & 0xff ))
	vtd_pmem_zero $(( ctx + devfn * 16 )) 16
	check context-entry-cleared [ "$(vtd_pmem_read64 $(( ctx + devfn * 16 )))" = 0000000000000000 ]
	next_boot kexec same
	;;
2)
	vtd_boot old
	check load-reports-failure [ "$(cat /tmp/load.rc)" = 1 ]
	check refused-state-failed [ "$(vtd .state)" = failed ]
	check adopted-refused [ "$(vtd .detail.adopted)" = refused ]
	check refused-because-crc sh -c "jq -r .message /tmp/vtd.json | grep -q 'table CRC differs'"
	check unit-kept-root [ "$(vtd .detail.rtaddr)" = "$(ctl_get root)" ]
	check translation-off [ "$(vtd .detail.translating)" = no ]
	check device-blocked [ "$(vtd_bus_master)" = 0 ]
	# The operator gives the refused state up: the client starts fresh, rebuilds the
	# tables in place, and the device works again.
	check discard kstate discard vtd
	vtd_refresh
	check discard-rebuilt [ "$(vtd .detail.adopted)" = rebuilt -a "$(vtd .state)" = fresh ]
	check discard-dma-works [ "$(vtd .detail.dma_checks)" -ge 2 -a "$(vtd .detail.dma_failed)" = 0 ]
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
