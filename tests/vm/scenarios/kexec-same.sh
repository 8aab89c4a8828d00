#!/bin/sh
# kexec-same: files on DAX ext4 over memmap= PMEM survive a kexec into the same kernel.
# vm: memmap=512M!1G
# vm: boots=2
. /guest/lib.sh
load_pmem

case $(phase) in
1)
	mkfs_dax /dev/pmem0
	mount_dax /dev/pmem0 /mnt
	write_files /mnt
	save_sums data /mnt
	next_boot kexec same
	;;
2)
	mount_dax /dev/pmem0 /mnt
	check_sums data /mnt
	done_scenario
	;;
esac
