#!/bin/sh
# daxfs-apply: an operator's first steps on a machine without PMEM.  "daxfs-setup apply"
# plans a reservation from the real /proc/iomem and writes its GRUB drop-in (in a sample
# root: the lab has no GRUB); the next kernel gets the command line GRUB would build from
# that configuration (sourced as grub-mkconfig does) and reserves the range; after that
# reboot "apply" again is a no-op with exit 0 (it used to re-plan and exit 3), and
# "provision" makes the store's DAX filesystem on the reserved memory.
# vm: boots=2
# vm: timeout=240
. /guest/lib.sh
load_pmem

B=$(command -v daxfs-setup || echo /usr/local/sbin/daxfs-setup)
R=/tmp/root
CFG=$R/etc/default/grub.d/kstate.cfg
field() { jq -r ".$1" /tmp/apply.json; }
apply() { "$B" apply --root $R --no-update --json "$@" >/tmp/apply.json; }
make_root() {
	mkdir -p $R/etc/default/grub.d
	printf 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n' \
		>$R/etc/default/grub
}
# The command line GRUB would add: the files sourced in grub-mkconfig's order.
grub_words() {
	sh -c ". $R/etc/default/grub; for f in $R/etc/default/grub.d/*.cfg; do . \"\$f\"; done;
		echo \$GRUB_CMDLINE_LINUX"
}

case $(phase) in
1)
	make_root
	check no-pmem-yet [ ! -e /dev/pmem0 ]
	check apply apply --size 512M --align 16M
	check apply-result [ "$(field result)" = applied ]
	check grub-untouched grep -qx 'GRUB_CMDLINE_LINUX=""' $R/etc/default/grub
	check apply-again apply --size 512M --align 16M
	check again-configured [ "$(field result)/$(field changed)" = configured/false ]
	ctl_set memmap "$(field memmap)"
	ctl_set cfg "$(tr '\n' '\036' <$CFG)"
	ctl_set cfg_sum "$(sha256sum <$CFG)"
	echo "daxfs-apply: reserving $(field memmap); GRUB adds '$(grub_words)'"
	NEXT_BOOT_APPEND="$(grub_words)" next_boot kexec same
	;;
2)
	# The machine's disk keeps the configuration across the reboot.
	make_root
	printf '%s' "$(ctl_get cfg)" | tr '\036' '\n' >$CFG
	check cfg-restored [ "$(sha256sum <$CFG)" = "$(ctl_get cfg_sum)" ]
	check booted-with-memmap grep -q "$(ctl_get memmap)" /proc/cmdline
	check pmem-reserved grep -q 'Persistent Memory (legacy)' /proc/iomem
	check apply-after-reboot apply --size 512M
	check already-applied [ "$(field result)/$(field active)/$(field changed)" = already-applied/true/false ]
	check same-memmap [ "$(field memmap)" = "$(ctl_get memmap)" ]
	check cfg-unchanged [ "$(sha256sum <$CFG)" = "$(ctl_get cfg_sum)" ]
	check no-backup [ ! -e $CFG.bak ]
	"$B" apply --root $R --no-update --size 1G >/dev/null 2>&1
	check other-size-refused-5 [ $? = 5 ]
	"$B" provision --mount /mnt/store --fstab /tmp/fstab --json >/tmp/prov.json
	check provision-rc0 [ $? = 0 ]
	check provision-formatted-dax [ "$(jq -r '.formatted, .dax_verified' /tmp/prov.json | tr '\n' /)" = true/true/ ]
	"$B" provision --mount /mnt/store --fstab /tmp/fstab --json >/tmp/prov.json
	check provision-again-no-format [ "$(jq -r '.formatted, .dax_verified' /tmp/prov.json | tr '\n' /)" = false/true/ ]
	check apply-after-provision apply --size 512M
	check still-already-applied [ "$(field result)" = already-applied ]
	done_scenario
	;;
esac
