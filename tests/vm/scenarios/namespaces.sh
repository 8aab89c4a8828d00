#!/bin/sh
# namespaces: on an NFIT NVDIMM with labels, create an fsdax and a devdax namespace (the
# devdax one starts as fsdax and is reconfigured), online the devdax device as movable
# system RAM with daxctl and take it back, then power cycle and find both namespaces and
# the fsdax files intact.
# vm: nvdimm=1G
# vm: boots=2
. /guest/lib.sh
load_pmem

memtotal() { sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
ns_count() { ndctl list -N | jq "[.[] | select(.mode == \"$1\")] | length"; }

case $(phase) in
1)
	init_labels
	ndctl create-namespace -r region0 -m fsdax -s 384M >/tmp/fs.json ||
		abort "create-namespace fsdax failed"
	ndctl create-namespace -r region0 -m fsdax -s 512M -a 2M >/tmp/dd.json ||
		abort "create-namespace for devdax failed"
	ddns=$(jq -r .dev /tmp/dd.json)
	ndctl create-namespace -f -e "$ddns" -m devdax -a 2M >/tmp/dd.json ||
		abort "reconfigure $ddns to devdax failed"
	check reconfigured-to-devdax [ "$(jq -r .mode /tmp/dd.json)" = devdax ]
	check one-fsdax-one-devdax [ "$(ns_count fsdax)/$(ns_count devdax)" = 1/1 ]
	ctl_set fs_uuid "$(jq -r .uuid /tmp/fs.json)"
	ctl_set dd_uuid "$(jq -r .uuid /tmp/dd.json)"

	fsdev=/dev/$(jq -r .blockdev /tmp/fs.json)
	ctl_set fs_dev "$fsdev"
	mkfs_dax "$fsdev"
	mount_dax "$fsdev" /mnt
	write_files /mnt
	save_sums data /mnt
	umount /mnt

	# The devdax device name comes from daxctl, not from a guess (it was dax0.1 here).
	dax=$(jq -r '.daxregion.devices[0].chardev' /tmp/dd.json)
	before=$(memtotal)
	check dax-to-system-ram daxctl reconfigure-device --mode=system-ram "$dax"
	daxctl list -d "$dax" -M
	after=$(memtotal)
	echo "MemTotal ${before} kB -> ${after} kB"
	# Whole 128 MiB memory blocks only: at least two of them must have come online.
	check memtotal-grew [ $((after - before)) -ge 262144 ]
	check memory-movable sh -c "daxctl list -d $dax -M | jq -e '.[0].movable == true' >/dev/null"
	check dax-memory-offline daxctl offline-memory "$dax"
	check dax-back-to-devdax daxctl reconfigure-device --mode=devdax "$dax"
	check memtotal-restored [ "$(memtotal)" = "$before" ]
	check dax-mode-devdax sh -c "daxctl list -d $dax | jq -e '.[0].mode == \"devdax\"' >/dev/null"
	next_boot poweroff
	;;
2)
	check fsdax-uuid sh -c "ndctl list -N | jq -e '.[] | select(.uuid == \"$(ctl_get fs_uuid)\" and .mode == \"fsdax\")' >/dev/null"
	check devdax-uuid sh -c "ndctl list -N | jq -e '.[] | select(.uuid == \"$(ctl_get dd_uuid)\" and .mode == \"devdax\")' >/dev/null"
	mount_dax "$(ctl_get fs_dev)" /mnt
	check_sums data /mnt
	done_scenario
	;;
esac
