#!/bin/sh
# kstate-lifecycle: what a client may stake its state on (issue 12), on ext4.
#   boot 1: the open region is pinned (truncate after chattr -i, punch, ftruncate, write,
#           unlink, rename all fail; the data stays); a final save freezes the clients
#           (a live change is refused, kstate list says so, the store remounts read-only)
#           and "kstate thaw" cancels it; a kexec that cannot load and a final save that
#           fails leave nothing frozen; then kstate-save --kexec.
#   boot 2: kv-demo is loaded as its older module before the bind and the region is
#           damaged: both are refused (the region by the CRC of the freeze), kstate-load
#           leaves the sound file in place and says it is kept; a save neither oopses nor
#           saves them as fresh: their last good entries are carried; the damage is undone.
#   boot 3: both restore their last good state; the region, damaged again, is refused
#           and iommu-demo discarded: it starts fresh over it; kv-demo, refused again, is
#           discarded and starts fresh; a namespace removal waits for the open region to
#           close.
# vm: memmap=512M!1G
# vm: boots=3
# vm: timeout=420
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

MAPPINGS=4096
R=$KSTATE_STORE/iommu-demo-pt.region
LIVE=/sys/module/kstate_iommu_demo/parameters/live_mappings
KP=/sys/module/kstate/parameters

frozen() { kstate list --json 2>/dev/null | jq -r .frozen; }
# entry FIELD KIND NAME: a field of an entry of the newest generation.
entry() {
	kstate list --json 2>/dev/null |
		jq -r ".entries[] | select(.kind == \"$2\" and .name == \"$3\") | .$1"
}
newest() { kstate list --json 2>/dev/null | jq -r .generation; }
# busy CMD...: CMD fails and says "Text file busy" (or, for unlink and rename, EPERM).
busy() {
	"$@" 2>/tmp/busy.err && { echo "$*: succeeded"; return 1; }
	cat /tmp/busy.err
	grep -q 'Text file busy\|Operation not permitted' /tmp/busy.err
}
# flip OFFSET: invert one byte of the (closed) region file, immutable flag lifted and put back.
flip() {
	_b=$(dd if=$R bs=1 skip="$1" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	chattr -i $R
	printf "$(printf '\\%03o' $(( _b ^ 0xff )))" | dd of=$R bs=1 seek="$1" conv=notrunc 2>/dev/null
	chattr +i $R
}

case $(phase) in
1)
	store_new /dev/pmem0
	kstate_boot
	demos_load $MAPPINGS
	check fresh-iommu [ "$(client .state iommu-demo)" = fresh ]
	check fresh-kv [ "$(client .state kv-demo)" = fresh ]

	# Pinned: root cannot free or move the blocks of an open region, immutable or not.
	size=$(stat -c %s $R)
	sum=$(sha256sum <$R)
	chattr -i $R || abort "chattr -i failed"
	check pin-truncate-after-chattr-i busy truncate -s 0 $R
	check pin-punch-hole busy /usr/bin/fallocate -p -o 0 -l 4096 $R
	check pin-ftruncate busy xfs_io -c 'truncate 4096' $R
	check pin-write busy xfs_io -c 'pwrite 0 4096' $R
	check pin-unlink busy rm -f $R
	check pin-rename busy mv $R $R.moved
	chattr +i $R
	check pin-size-kept [ "$(stat -c %s $R)" = "$size" ]
	check pin-data-kept [ "$(sha256sum <$R)" = "$sum" ]
	check pin-ndctl-disable-refused sh -c "! ndctl disable-namespace namespace0.0"

	# The table changes at run time; a final save freezes it until the reboot.
	check live-map sh -c "echo 4100 >$LIVE"
	check freeze-save kstate-save --freeze
	check frozen-listed [ "$(frozen)" = true ]
	check frozen-change-refused sh -c "! echo 4200 2>/dev/null >$LIVE"
	check frozen-table-unchanged [ "$(cat $LIVE)" = 4100 ]
	check frozen-region-crc [ "$(entry crc region iommu-demo-pt)" != 0 ]
	check frozen-remount-ro mount -o remount,ro /mnt/pmem
	mount -o remount,rw /mnt/pmem || abort "remount rw failed"
	check thaw kstate thaw
	check thawed-listed [ "$(frozen)" = false ]
	check thawed-change sh -c "echo 4096 >$LIVE"
	check checkpoint-save kstate-save
	check checkpoint-no-crc [ "$(entry crc region iommu-demo-pt)" = 0 ]

	# The reboot does not happen: nothing may stay frozen.
	kstate-save --kexec /guest/lib.sh --force 2>/tmp/kexec.err
	rc=$?
	cat /tmp/kexec.err
	check kexec-unloadable-fails sh -c "[ $rc = 1 ] && grep -q 'kexec_file_load failed' /tmp/kexec.err"
	check kexec-unloadable-not-frozen [ "$(frozen)" = false ]
	cat "$(find_disk kstate-initrd)" >/tmp/kexec-initrd
	echo save_fsync >$KP/fail_where
	echo 1 >$KP/fail_nth
	check final-save-fails sh -c "! kstate-save --kexec /boot/vmlinuz-$(uname -r) --initrd /tmp/kexec-initrd --reuse-cmdline"
	echo 0 >$KP/fail_nth
	check failed-final-save-thawed sh -c "echo 4097 >$LIVE && echo 4096 >$LIVE"
	check failed-final-save-not-frozen [ "$(frozen)" = false ]
	check boot1-kernel-log-clean kernel_log_clean

	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	save_then kexec "$(uname -r)"
	;;
2)
	store_mount /dev/pmem0
	# kv-demo registers before the bind, as its older module (format_version=1, which
	# cannot read the version 2 records): kstate-load sees it refused.
	modprobe kstate || abort "modprobe kstate failed"
	modprobe kstate_kv_demo format_version=1 || abort "modprobe kstate_kv_demo failed"
	kstate_boot
	ctl_set good_gen "$(newest)"
	ctl_set region_crc "$(entry crc region iommu-demo-pt)"
	check refused-kv [ "$(client .state kv-demo)" = failed ]
	check refused-kv-load-says-kept sh -c "jq -e '.clients[] | select(.name == \"kv-demo\") | .kept.generation == $(ctl_get good_gen)' /tmp/load.json"
	check refused-kv-not-quarantined [ "$(client .kept.quarantined kv-demo)" = null ]
	check refused-kv-file-in-place [ -f "$KSTATE_STORE/kv-demo.$(printf %016x "$(ctl_get good_gen)").ksr" ]
	check refused-kv-kept [ "$(client .kept.generation kv-demo)" = "$(ctl_get good_gen)" ]
	# One byte of the region changes while no kernel has it open.
	flip 100
	modprobe kstate_iommu_demo mappings=$MAPPINGS || abort "modprobe kstate_iommu_demo failed"
	check refused-iommu [ "$(client .state iommu-demo)" = failed ]
	check refused-iommu-by-crc sh -c "dmesg | grep -q 'region iommu-demo-pt changed after it was frozen'"
	check save-with-refused kstate-save
	check save-no-oops kernel_log_clean
	check carried-kv [ "$(entry generation records kv-demo)" = "$(ctl_get good_gen)" ]
	check carried-iommu [ "$(entry generation records iommu-demo)" = "$(ctl_get good_gen)" ]
	check carried-region-crc [ "$(entry crc region iommu-demo-pt)" = "$(ctl_get region_crc)" ]
	check newer-generation [ "$(newest)" -gt "$(ctl_get good_gen)" ]
	check refused-listed sh -c "kstate list | grep -q \"kept: its last good state, generation $(ctl_get good_gen)\""
	rmmod kstate_iommu_demo kstate_kv_demo || abort "rmmod failed"
	flip 100
	save_then kexec "$(uname -r)"
	;;
3)
	store_mount /dev/pmem0
	kstate_boot
	demos_load $MAPPINGS
	check last-good-iommu-restored [ "$(client .state iommu-demo)" = restored ]
	check last-good-iommu-same-root [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check last-good-iommu-verified [ "$(client .detail.verified iommu-demo)" = $MAPPINGS ]
	check last-good-kv-restored [ "$(client .state kv-demo)" = restored ]
	check last-good-kv-same [ "$(client .detail.checksum kv-demo)" = "$(ctl_get kv_sum)" ]
	check discard-needs-refusal sh -c "! kstate discard kv-demo"
	# The bound generation still holds the region's frozen CRC: damaged again, the region
	# is refused, and the operator's discard starts iommu-demo fresh over it (a fresh
	# start never checks the old contents' CRC).
	rmmod kstate_iommu_demo || abort "rmmod kstate_iommu_demo failed"
	flip 100
	modprobe kstate_iommu_demo mappings=$MAPPINGS || abort "modprobe kstate_iommu_demo failed"
	check refused-iommu-again [ "$(client .state iommu-demo)" = failed ]
	check discard-refused-region kstate discard iommu-demo
	check discarded-iommu-fresh [ "$(client .state iommu-demo)" = fresh ]
	check discarded-iommu-verified [ "$(client .detail.verified iommu-demo)" = $MAPPINGS ]
	rmmod kstate_kv_demo && modprobe kstate_kv_demo format_version=1 || abort "reload kv-demo failed"
	check refused-again [ "$(client .state kv-demo)" = failed ]
	check discard kstate discard kv-demo
	check discarded-fresh [ "$(client .state kv-demo)" = fresh ]
	check save-after-discard kstate-save
	check discard-replaced [ "$(entry generation records kv-demo)" = "$(newest)" ]
	check boot3-kernel-log-clean kernel_log_clean

	# Removing the namespace under an open region waits until the region is closed: the
	# pages stay mapped meanwhile, and a live change still works on them.
	(echo namespace0.0 >/sys/bus/nd/drivers/nd_pmem/unbind; touch /tmp/unbound) &
	sleep 3
	check nsremove-waits [ ! -e /tmp/unbound ]
	check nsremove-pages-still-mapped sh -c "echo 4097 >$LIVE"
	rmmod kstate_iommu_demo || abort "rmmod kstate_iommu_demo failed"
	check nsremove-done-after-close wait_for /tmp/unbound 100
	check nsremove-kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
