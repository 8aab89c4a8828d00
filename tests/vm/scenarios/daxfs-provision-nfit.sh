#!/bin/sh
# daxfs-provision-nfit: daxfs-setup provision on a label-less NFIT NVDIMM: the raw
# namespace is put in fsdax mode, ext4 is made and mounted with DAX; after a power cycle
# a second provision changes nothing and the files are there; then xfs with --force.
# vm: nvdimm=1G
# vm: boots=2
. /guest/lib.sh
load_pmem

B=$(command -v daxfs-setup || echo /usr/local/sbin/daxfs-setup)
S=/mnt/store
prov() { "$B" provision --mount $S --fstab /tmp/fstab --json "$@" >/tmp/prov.json; }
field() { jq -r ".$1" /tmp/prov.json; }

case $(phase) in
1)
	check starts-raw sh -c "ndctl list -N | jq -e '.[0].mode == \"raw\"' >/dev/null"
	check provision-ext4 prov --fs ext4
	check namespace-changed [ "$(field changed_namespace)" = true ]
	check now-fsdax sh -c "ndctl list -N | jq -e '.[0].mode == \"fsdax\"' >/dev/null"
	check dax-verified [ "$(field dax_verified)" = true ]
	write_files $S
	echo "store marker" >$S/kstate.store
	save_sums ext4 $S
	check provision-again prov --fs ext4
	check again-nothing-changed [ "$(field changed_namespace)/$(field formatted)/$(field mounted)" = false/false/false ]
	next_boot poweroff
	;;
2)
	check provision-after-powercycle prov --fs ext4
	check nothing-changed [ "$(field changed_namespace)/$(field formatted)" = false/false ]
	check_sums ext4 $S
	umount $S
	check provision-xfs-forced prov --fs xfs --force
	check xfs-dax-verified [ "$(field dax_verified)" = true ]
	done_scenario
	;;
esac
