#!/bin/sh
# selftest-lost-data: the harness self-test. The second boot runs mkfs again, so the data
# written before the kexec really is gone, and check_sums must FAIL. Registered with
# --expect-fail: the meson test passes only if that failure is seen.
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
	mkfs_dax /dev/pmem0	# the deliberate bug: the data is destroyed
	mount_dax /dev/pmem0 /mnt
	check_sums data /mnt
	done_scenario
	;;
esac
