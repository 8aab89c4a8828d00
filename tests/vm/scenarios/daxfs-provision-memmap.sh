#!/bin/sh
# daxfs-provision-memmap: daxfs-setup provision on memmap= PMEM, ext4 then xfs. A second
# provision changes nothing and keeps the files; the store survives kexec; a device
# holding a store is not reformatted without --force.
# vm: memmap=512M!1G
# vm: boots=3
. /guest/lib.sh
load_pmem

B=$(command -v daxfs-setup || echo /usr/local/sbin/daxfs-setup)
S=/mnt/store
prov() { "$B" provision --mount $S --fstab /tmp/fstab --json "$@" >/tmp/prov.json; }
field() { jq -r ".$1" /tmp/prov.json; }

case $(phase) in
1)
	check provision-ext4 prov --fs ext4
	check formatted [ "$(field formatted)" = true ]
	check dax-verified [ "$(field dax_verified)" = true ]
	check fstab-entry grep -q " $S ext4 dax=always" /tmp/fstab
	write_files $S
	echo "store marker" >$S/kstate.store
	save_sums ext4 $S
	check provision-again prov --fs ext4
	check again-no-format [ "$(field formatted)/$(field mounted)" = false/false ]
	check again-no-namespace-change [ "$(field changed_namespace)" = false ]
	check_sums ext4 $S
	check status-dax-verified sh -c "'$B' status --json | jq -e '.namespaces[] | select(.mount == \"$S\") | .dax_verified' >/dev/null"
	next_boot kexec same
	;;
2)
	check provision-after-kexec prov --fs ext4
	check no-format-after-kexec [ "$(field formatted)" = false ]
	check_sums ext4 $S
	umount $S
	# Another filesystem type would destroy the store: refused (exit 5) without --force.
	"$B" provision --mount $S --fstab /tmp/fstab --fs xfs >/tmp/refused.txt 2>&1
	check xfs-refused [ $? = 5 ]
	check refusal-names-store grep -q "kstate store" /tmp/refused.txt
	check still-ext4 sh -c "blkid -o value -s TYPE /dev/pmem0 | grep -qx ext4"
	check provision-xfs-forced prov --fs xfs --force
	check xfs-dax-verified [ "$(field dax_verified)" = true ]
	write_files $S
	save_sums xfs $S
	check provision-xfs-again prov --fs xfs
	check xfs-again-no-format [ "$(field formatted)" = false ]
	next_boot kexec same
	;;
3)
	check provision-xfs-after-kexec prov --fs xfs
	check xfs-no-format-after-kexec [ "$(field formatted)" = false ]
	check_sums xfs $S
	done_scenario
	;;
esac
