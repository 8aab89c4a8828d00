#!/bin/sh
# bench-iommu: re-attaching the iommu-demo page table after a kexec, against building it,
# for 4096 to 262144 mappings.  Each size gets its own store: built fresh (build_ns) in one
# boot, saved, kexec, re-attached and verified (reattach_ns, verify_ns) in the next.
# Prints "bench: iommu,MAPPINGS,BUILD_NS,REATTACH_NS,VERIFY_NS,TABLE_PAGES" lines that
# scripts/bench collects from the serial log.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=5
# vm: timeout=900
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

SIZES="4096 16384 65536 262144"
n=$(phase)
size_of() { echo "$SIZES" | cut -d' ' -f"$1"; }

# Bind store number $1 (a fresh store is fine: nothing to restore).
bind_store() {
	export KSTATE_STORE="/mnt/pmem/s$1"
	mkdir -p "$KSTATE_STORE"
	chmod 700 "$KSTATE_STORE"
	kstate_boot
	check "boot$n-load-s$1-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
}

if [ "$n" = 1 ]; then
	mkfs_dax /dev/pmem0
	mount_dax /dev/pmem0 /mnt/pmem
	echo "bench: iommu,mappings,build_ns,reattach_ns,verify_ns,table_pages"
else
	mount_dax /dev/pmem0 /mnt/pmem
	prev=$((n - 1))
	bind_store $prev
	modprobe kstate_iommu_demo || abort "modprobe kstate_iommu_demo failed"
	m=$(size_of $prev)
	check "restored-$m" [ "$(client .state iommu-demo)" = restored ]
	check "verified-$m" [ "$(client .detail.verified iommu-demo)" = "$m" ]
	check "same-root-$m" [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get "root_$m")" ]
	echo "bench: iommu,$m,$(ctl_get "build_$m"),$(client .detail.reattach_ns iommu-demo),$(
		client .detail.verify_ns iommu-demo),$(client .detail.table_pages iommu-demo)"
	{ rmmod kstate_iommu_demo && rmmod kstate; } || abort "cannot unload the kstate modules"
fi

m=$(size_of "$n")
if [ -z "$m" ]; then
	check kernel-log-clean kernel_log_clean
	done_scenario
fi
bind_store "$n"
modprobe kstate_iommu_demo mappings="$m" || abort "modprobe kstate_iommu_demo mappings=$m failed"
check "fresh-$m" [ "$(client .state iommu-demo)" = fresh ]
ctl_set "build_$m" "$(client .detail.build_ns iommu-demo)"
ctl_set "root_$m" "$(client .detail.root_phys iommu-demo)"
save_then kexec 6.1.0-56-amd64
