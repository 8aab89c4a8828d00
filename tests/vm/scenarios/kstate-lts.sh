#!/bin/sh
# kstate-lts: kernel records and the iommu-demo region cross kernel versions, on XFS:
# 6.1 -> 6.12 -> (firmware reset) 6.12 -> 6.1, the page table re-attached at the same
# physical root and verified at every step.  Regions on XFS are created, resolved and
# pinned as on ext4, and a 4 GiB region opens without a soft lockup, with its metadata
# size in the kernel log.  QEMU boots 6.12, so that the firmware reset lands on it; the
# first boot only kexecs into 6.1, where the state is created.
# vm: memmap=5G!4G
# vm: mem=8G
# vm: kernel=6.12.117+deb12-amd64
# vm: kernels=6.12.117+deb12-amd64
# vm: boots=5
# vm: timeout=600
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

OLD=6.1.0-56-amd64
NEW=6.12.117+deb12-amd64
R=$KSTATE_STORE/iommu-demo-pt.region

xfs_mount() {
	mkdir -p /mnt/pmem
	mount -t xfs -o dax=always /dev/pmem0 /mnt/pmem || abort "mount xfs -o dax=always failed"
	grep -q " /mnt/pmem xfs [^ ]*dax" /proc/mounts || abort "/mnt/pmem is mounted without dax"
	mkdir -p "$KSTATE_STORE" && chmod 700 "$KSTATE_STORE"
}

# restored STEP: both clients restored, the table where it was and every mapping verified.
restored() {
	check "$1-load-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
	demos_load
	check "$1-iommu-restored" [ "$(client .state iommu-demo)" = restored ]
	check "$1-iommu-same-root" [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check "$1-iommu-verified" [ "$(client .detail.verified iommu-demo)" = 65536 ]
	check "$1-kv-restored" [ "$(client .state kv-demo)" = restored ]
	check "$1-kv-same" [ "$(client .detail.checksum kv-demo)" = "$(ctl_get kv_sum)" ]
	# Not only immutable: with the flag lifted, the open region is still pinned.
	chattr -i $R
	check "$1-pinned" sh -c "! truncate -s 0 $R 2>/tmp/t.err; cat /tmp/t.err; grep -q 'Text file busy' /tmp/t.err"
	chattr +i $R
	check "$1-kernel-log-clean" kernel_log_clean
}

case $(phase) in
1)
	next_boot kexec $OLD
	;;
2)
	mkfs.xfs -q -f -m reflink=0 -b size=4096 /dev/pmem0 || abort "mkfs.xfs failed"
	xfs_mount
	kstate_boot
	demos_load
	check xfs-iommu-fresh [ "$(client .state iommu-demo)" = fresh ]
	check xfs-kv-fresh [ "$(client .state kv-demo)" = fresh ]
	check xfs-region-extents sh -c "dmesg | grep -q 'iommu-demo: region iommu-demo-pt: .* extents at'"
	chattr -i $R
	check xfs-pinned-truncate sh -c "! truncate -s 0 $R 2>/tmp/t.err; cat /tmp/t.err; grep -q 'Text file busy' /tmp/t.err"
	check xfs-pinned-punch sh -c "! /usr/bin/fallocate -p -o 0 -l 4096 $R 2>/tmp/t.err; cat /tmp/t.err; grep -q 'Text file busy' /tmp/t.err"
	chattr +i $R
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	# 4 GiB: created (every block written), resolved and pinned, then removed.
	t0=$(uptime_s)
	check region-4g-opens sh -c "echo 'big 1048576' >/sys/module/kstate/parameters/region_probe"
	echo "kstate-lts: 4 GiB region: $(dmesg | grep 'kstate-probe: region big:' | tail -n 1 | sed 's/.*region big: //')," \
		"$(echo "$t0 $(uptime_s)" | awk '{printf "%.1f", $2 - $1}') s"
	check region-4g-metadata sh -c "dmesg | grep -q 'kstate-probe: region big: 1048576 pages in [0-9]* extents at .*, [0-9]* bytes of metadata'"
	check region-4g-no-soft-lockup sh -c "! dmesg | grep -q 'soft lockup'"
	check region-4g-removed [ ! -e "$KSTATE_STORE/big.region" ]
	check xfs-kernel-log-clean kernel_log_clean
	save_then kexec $NEW
	;;
3)
	xfs_mount
	kstate_boot
	restored "$OLD-to-$NEW"
	check on-$NEW-save kstate-save
	save_then reset
	;;
4)
	check reset-boots-$NEW [ "$(uname -r)" = $NEW ]
	xfs_mount
	kstate_boot
	restored "reset-on-$NEW"
	save_then kexec $OLD
	;;
5)
	xfs_mount
	kstate_boot
	restored "$NEW-to-$OLD"
	done_scenario
	;;
esac
