#!/bin/sh
# vmm-verify: a VMM store (guest RAM region + vCPU and device records) suspended on the host
# by vmm-keepalive is copied onto DAX PMEM and still verifies after a kexec into the other
# kernel ABI and after a firmware reboot (the lab VM has no KVM: verify runs no vCPU).
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: timeout=360
# vm: boots=3
. /guest/lib.sh
load_pmem

verified() {
	vmm-keepalive verify --store /mnt/pmem/vmm-store >/tmp/verify.json
	_rc=$?
	cat /tmp/verify.json
	check "$1-verify-rc0" [ $_rc = 0 ]
	check "$1-verify-ok" grep -q '"ok":true' /tmp/verify.json
	check "$1-same-counter" [ "$(jq -r .guest_counter /tmp/verify.json)" = "$(jq -r .guest_counter /scenario/run.json)" ]
}

case $(phase) in
1)
	mkfs_dax /dev/pmem0
	mount_dax /dev/pmem0 /mnt/pmem
	cp -a /scenario/vmm-store /mnt/pmem/vmm-store
	chmod 700 /mnt/pmem/vmm-store
	verified copied
	next_boot kexec 6.1.0-50-amd64
	;;
2)
	mount_dax /dev/pmem0 /mnt/pmem
	verified kexec-other-abi
	next_boot reset
	;;
3)
	mount_dax /dev/pmem0 /mnt/pmem
	verified firmware-reboot
	done_scenario
	;;
esac
