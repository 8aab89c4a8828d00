#!/bin/sh
# qemu-firmware-reboot: an unmodified QEMU, run by kstate-qemu inside the lab VM, keeps
# its guest across a firmware reset of the machine (SeaBIOS runs again): guest RAM is a
# region of the store on DAX PMEM, the device state is sealed in the store, and after the
# reset a new QEMU resumes the guest, which counts on with its memory intact.
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
	kstate init >/dev/null
	kq_boot_and_suspend
	umount /mnt/pmem
	next_boot reset
	;;
2)
	store_mount /dev/pmem0
	kq_resume_and_check
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
