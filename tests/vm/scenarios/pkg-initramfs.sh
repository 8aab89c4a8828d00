#!/bin/sh
# pkg-initramfs: kernel state restored from an initramfs built by Debian's mkinitramfs with
# the kstate package's hook (tests/package/package-test), before the root filesystem is
# mounted.  Boot 1 (the lab's initramfs, the packages' files) makes a store on
# /var/lib/kstate, loads kv-demo and "kstate-save --kexec"s into the Debian initramfs with
# the root filesystem made by pkg-initramfs.setup.  There the kstate script mounts the
# store on /run/kstate/store, runs kstate-load and loads kv-demo; boot 2's checks run from
# the real root's /sbin/init: kv-demo restored before init started, the mount and the
# report handed over in /run/kstate/, kstate-load.service would not run again, and the
# real system's own mount of the store (its fstab line) saves the next generation.
# vm: tree=installed
# vm: memmap=512M!1G
# vm: disk=rootfs.img
# vm: boots=2
# vm: timeout=300
. /guest/lib.sh
. /guest/kstate.sh
. /guest/package.sh
load_pmem
unset KSTATE_STORE
STORE=/var/lib/kstate
RUNDIR=/run/kstate

case $(phase) in
1)
	mkfs_dax /dev/pmem0
	mount_dax /dev/pmem0 $STORE
	chmod 700 $STORE
	modprobe kstate || abort "modprobe kstate failed"
	check first-load-rc0 kstate-load
	modprobe kstate_kv_demo || abort "modprobe kstate_kv_demo failed"
	check first-kv-fresh [ "$(client .state kv-demo)" = fresh ]
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	ctl_set gen "$(( $(kstate list --json | jq .generation) + 1 ))"
	# The next boot: this kernel, the Debian initramfs from the root filesystem's /boot.
	rootdev=$(find_disk rootfs) || abort "no root filesystem disk"
	mkdir -p /mnt/root
	mount -o ro "$rootdev" /mnt/root || abort "cannot mount $rootdev"
	initrd=/mnt/root/boot/initrd.img-$(uname -r)
	[ -f "$initrd" ] || abort "no $initrd on the root filesystem"
	cmd="$(sed 's/ *kstate\.via=[^ ]*//' /proc/cmdline) root=LABEL=kstateroot ro kstate.via=kexec"
	ctl_set state "kexec:$(uname -r)"
	say "next boot: kstate-save --kexec into $(uname -r) with Debian's initramfs"
	kstate-save --kexec "/boot/vmlinuz-$(uname -r)" --initrd "$initrd" --append "$cmd"
	abort "kstate-save --kexec returned $?"
	;;
2)
	# /sbin/init of the real root: nothing here has touched kstate yet.
	check real-root [ "$(sed -n 's/^[^ ]* \/ \([^ ]*\) .*/\1/p' /proc/mounts | tail -n 1)" = ext4 ]
	check kv-restored-before-init restored_before_init kv-demo
	check initramfs-report-handed-over [ -s $RUNDIR/initramfs-load.json ]
	check initramfs-load-rc0 [ "$(cat $RUNDIR/initramfs-load.rc)" = 0 ]
	check initramfs-restored-generation sh -c \
		"[ \"\$(jq -r .result $RUNDIR/initramfs-load.json)\" = restored ] &&
		 [ \"\$(jq -r .generation $RUNDIR/initramfs-load.json)\" = $(ctl_get gen) ]"
	check initramfs-kv-restored [ "$(jq -r '.clients[] | select(.name == "kv-demo") | .state' \
		$RUNDIR/initramfs-clients.json)" = restored ]
	check store-mount-handed-over grep -q " $RUNDIR/store ext4 [^ ]*dax" /proc/mounts
	KSTATE_STORE=$RUNDIR/store
	export KSTATE_STORE
	check kv-restored [ "$(client .state kv-demo)" = restored ]
	check kv-same-checksum [ "$(client .detail.checksum kv-demo)" = "$(ctl_get kv_sum)" ]
	# kstate-load.service, as installed, would not run again.
	check unit-skips-after-initramfs sh -c '! systemd-analyze condition --unit=kstate-load.service'
	# The real system's own mount of the store (its fstab line) sees the same store, and
	# the save at shutdown goes through it.
	unset KSTATE_STORE
	mount_dax /dev/pmem0 $STORE
	check save-through-the-systems-mount kstate-save
	check next-generation-sealed [ "$(kstate list --json | jq .generation)" = $(( $(ctl_get gen) + 1 )) ]
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
