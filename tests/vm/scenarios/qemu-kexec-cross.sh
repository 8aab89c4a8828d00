#!/bin/sh
# qemu-kexec-cross: an unmodified QEMU, run by kstate-qemu inside the lab VM, keeps its
# guest across a kexec into the other kernel ABI.  Guest RAM is a region of the store on
# DAX PMEM; kstate-qemu suspend seals the device state, then kstate-save seals the
# kernel's generation on top and kexecs (the order kstate-qemu@.service and
# kstate-save.service give under systemd).  After the kexec a new QEMU resumes the
# guest: it counts on from where it stopped and its memory checks intact.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=2
# vm: timeout=900
. /guest/lib.sh
. /guest/kstate.sh
. /guest/qemu.sh
load_pmem

case $(phase) in
1)
	store_new /dev/pmem0
	kstate_boot
	kq_boot_and_suspend
	# x-ignore-shared: the record holds device state, not the 16 MiB of guest RAM.
	check stream-is-device-state [ "$(jq -r .stream_bytes /tmp/kq-suspend.json)" -lt 4194304 ]
	check ram-is-pmem [ "$(jq -r .pmem /tmp/kq-suspend.json)" = true ]
	save_then kexec 6.1.0-50-amd64
	;;
2)
	store_mount /dev/pmem0
	kstate_boot
	check other-abi [ "$(uname -r)" = 6.1.0-50-amd64 ]
	# kstate-save sealed a newer generation; it carries the QEMU record along.
	check kernel-generation-on-top [ "$(kstate list --json | jq -r .generation)" -gt "$(ctl_get kq_gen)" ]
	kq status "$KQ_NAME" --json >/tmp/kq-status.json
	cat /tmp/kq-status.json
	check resumable [ "$(jq -r .resumable /tmp/kq-status.json)" = true ]
	kq_resume_and_check
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
