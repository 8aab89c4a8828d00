#!/bin/sh
# kstate-damage: what is wrong is refused with a reason, kept for inspection, and never
# half-applied, while everything intact still restores.
#   boot 1: a region on a store that is not DAX is refused with a clear error; then two
#           generations on DAX, and one byte of kv-demo's newest record file flipped.
#   boot 2: kv-demo is refused (its file is quarantined, not deleted), iommu-demo restores;
#           then the newest manifest is damaged.
#   boot 3: the damaged newest generation is refused and nothing restores; --generation 1
#           restores the previous one; gc keeps K generations.
# vm: memmap=512M!1G
# vm: timeout=360
# vm: boots=3
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

case $(phase) in
1)
	# A store on tmpfs: record files work there, persistent regions cannot.
	mkdir -p /mnt/nodax && mount -t tmpfs tmpfs /mnt/nodax
	KSTATE_STORE=/mnt/nodax/kstate
	mkdir -m 700 $KSTATE_STORE
	kstate_boot
	check nodax-load-warns grep -q "not on a DAX filesystem" /tmp/load.err
	demos_load
	check nodax-iommu-failed [ "$(client .state iommu-demo)" = failed ]
	check nodax-kernel-says-why sh -c "dmesg | grep -q 'iommu-demo: region iommu-demo-pt: the store is not on a DAX filesystem'"
	check nodax-kv-fresh [ "$(client .state kv-demo)" = fresh ]
	rmmod kstate_iommu_demo kstate_kv_demo kstate || abort "rmmod failed"

	KSTATE_STORE=/mnt/pmem/kstate
	store_new /dev/pmem0
	kstate_boot
	demos_load
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	check save-1 kstate-save
	check save-2 kstate-save
	f=$KSTATE_STORE/kv-demo.0000000000000002.ksr
	ctl_set kv_file_sum "$(sha256sum <$f | cut -d' ' -f1)"
	# Flip one byte in the middle of the records, past every header.
	off=$(( $(stat -c %s $f) / 2 ))
	b=$(dd if=$f bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	printf "$(printf '\\%03o' $(( b ^ 0x20 )))" | dd of=$f bs=1 seek=$off conv=notrunc 2>/dev/null
	ctl_set kv_bad_sum "$(sha256sum <$f | cut -d' ' -f1)"
	check corrupted [ "$(ctl_get kv_bad_sum)" != "$(ctl_get kv_file_sum)" ]
	next_boot kexec same
	;;
2)
	store_mount /dev/pmem0
	kstate_boot
	check damaged-load-rc1 [ "$(cat /tmp/load.rc)" = 1 ]
	check damaged-load-says-why grep -q "kv-demo.0000000000000002.ksr.*checksum" /tmp/load.err
	demos_load
	check damaged-kv-refused [ "$(client .state kv-demo)" = failed ]
	check damaged-kv-reason sh -c "kstate list --json | jq -r '.clients[] | select(.name==\"kv-demo\") | .message' | grep -q 'quarantine'"
	check damaged-iommu-restored [ "$(client .state iommu-demo)" = restored ]
	check damaged-iommu-same-root [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check quarantined-not-deleted sh -c "ls $KSTATE_STORE/quarantine/ | grep -q '^kv-demo.0000000000000002.ksr'"
	check quarantined-file-kept-as-is sh -c "cat $KSTATE_STORE/quarantine/kv-demo.0000000000000002.ksr* | sha256sum | grep -q '$(ctl_get kv_bad_sum)'"
	check damaged-kernel-log-clean kernel_log_clean
	# Now damage the newest manifest itself.
	m=$KSTATE_STORE/manifest.0000000000000002
	printf 'X' | dd of=$m bs=1 seek=40 conv=notrunc 2>/dev/null
	ctl_set before "$(ls $KSTATE_STORE | sha256sum)"
	next_boot kexec same
	;;
3)
	store_mount /dev/pmem0
	kstate_boot
	check newest-refused-rc1 [ "$(cat /tmp/load.rc)" = 1 ]
	check newest-refused-result [ "$(jq -r .result /tmp/load.json)" = refused ]
	check newest-refused-says-why grep -q "manifest.0000000000000002" /tmp/load.err
	check refused-files-kept [ "$(ls $KSTATE_STORE | sha256sum)" = "$(ctl_get before)" ]
	check refused-nothing-bound sh -c "kstate list --json | jq -e '[.clients[] | select(.state==\"restored\")] | length == 0' >/dev/null"
	check generation-1-load kstate-load --generation 1
	demos_load
	check generation-1-iommu-restored [ "$(client .state iommu-demo)" = restored ]
	check generation-1-kv-restored [ "$(client .state kv-demo)" = restored ]
	check generation-1-kernel-log-clean kernel_log_clean
	check save-after-recovery kstate-save
	check gc-keep-1 kstate gc --keep 1
	check gc-kept-1 [ "$(kstate list --json | jq '[.generations[] | select(.state != "damaged")] | length')" = 1 ]
	done_scenario
	;;
esac
