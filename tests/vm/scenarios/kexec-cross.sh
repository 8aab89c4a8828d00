#!/bin/sh
# kexec-cross: files on DAX ext4 over memmap= PMEM survive a kexec into the other kernel ABI
# and a kexec back into the first one.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=3
. /guest/lib.sh
load_pmem

case $(phase) in
1)
	mkfs_dax /dev/pmem0
	mount_dax /dev/pmem0 /mnt
	write_files /mnt/first
	save_sums first /mnt/first
	next_boot kexec 6.1.0-50-amd64
	;;
2)
	mount_dax /dev/pmem0 /mnt
	check_sums first /mnt/first
	# Written by the other kernel, read back by the first one.
	write_files /mnt/second
	save_sums second /mnt/second
	next_boot kexec 6.1.0-56-amd64
	;;
3)
	mount_dax /dev/pmem0 /mnt
	check_sums first /mnt/first
	check_sums second /mnt/second
	done_scenario
	;;
esac
