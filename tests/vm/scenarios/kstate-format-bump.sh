#!/bin/sh
# kstate-format-bump: a client changes its record layout.  kv-demo version 1 saves; after a
# kexec, kv-demo version 2 restores the version 1 records (same objects, same checksum) and
# saves version 2; after another kexec, the old version 1 module refuses the newer records
# with a reason instead of misreading them.
# vm: memmap=512M!1G
# vm: timeout=360
# vm: boots=3
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

case $(phase) in
1)
	store_new /dev/pmem0
	kstate_boot
	modprobe kstate_kv_demo format_version=1 objects=300 || abort "modprobe kv-demo v1 failed"
	check v1-fresh [ "$(client .state kv-demo)" = fresh ]
	check v1-version [ "$(client .version kv-demo)" = 1 ]
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	check v1-save kstate-save
	check v1-file-version sh -c "kstate list --json | jq -e '.entries[] | select(.name==\"kv-demo\") | .client_version == 1' >/dev/null"
	next_boot kexec same
	;;
2)
	store_mount /dev/pmem0
	kstate_boot
	modprobe kstate_kv_demo || abort "modprobe kv-demo v2 failed"
	check v2-restored [ "$(client .state kv-demo)" = restored ]
	check v2-read-v1-records [ "$(client .detail.restored_version kv-demo)" = 1 ]
	check v2-same-objects [ "$(client .detail.objects kv-demo)" = 300 ]
	check v2-same-checksum [ "$(client .detail.checksum kv-demo)" = "$(ctl_get kv_sum)" ]
	check v2-save kstate-save
	check v2-file-version sh -c "kstate list --json | jq -e '.entries[] | select(.name==\"kv-demo\") | .client_version == 2' >/dev/null"
	next_boot kexec same
	;;
3)
	store_mount /dev/pmem0
	kstate_boot
	modprobe kstate_kv_demo format_version=1 || abort "modprobe kv-demo v1 failed"
	check v1-refuses-v2 [ "$(client .state kv-demo)" = failed ]
	check v1-says-why sh -c "kstate list --json | jq -r '.clients[] | select(.name==\"kv-demo\") | .message' | grep -q 'format version 2'"
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
