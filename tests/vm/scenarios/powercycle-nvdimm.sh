#!/bin/sh
# powercycle-nvdimm: an fsdax namespace on an NFIT NVDIMM (with labels) keeps its namespace,
# filesystem and files when QEMU powers off and a new QEMU starts on the same backing file.
# vm: nvdimm=1G
# vm: boots=2
. /guest/lib.sh
load_pmem

ns_field() { ndctl list -N | jq -r ".[] | select(.mode == \"fsdax\") | .$1" | head -n 1; }

case $(phase) in
1)
	init_labels
	ndctl create-namespace -r region0 -m fsdax -s 512M >/tmp/ns.json ||
		abort "ndctl create-namespace -m fsdax failed"
	dev=/dev/$(jq -r .blockdev /tmp/ns.json)
	ctl_set ns_uuid "$(jq -r .uuid /tmp/ns.json)"
	ctl_set ns_dev "$dev"
	mkfs_dax "$dev"
	mount_dax "$dev" /mnt
	write_files /mnt
	save_sums data /mnt
	umount /mnt
	next_boot poweroff
	;;
2)
	check namespace-uuid [ "$(ns_field uuid)" = "$(ctl_get ns_uuid)" ]
	check namespace-blockdev [ "/dev/$(ns_field blockdev)" = "$(ctl_get ns_dev)" ]
	mount_dax "$(ctl_get ns_dev)" /mnt
	check_sums data /mnt
	done_scenario
	;;
esac
