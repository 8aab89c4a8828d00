#!/bin/sh
# pkg-operator: the operator's flow run entirely from the installed Debian packages: the
# tools, libkstate, kstate-load.service's own command lines and the modules DKMS built, as
# the package suite staged them (tests/package/package-test), with nothing of the build
# directory.  Boot 1 checks the tree against dpkg's md5sums, starts from an empty store on
# /var/lib/kstate (the packaged default), loads the demo clients and runs
# "kstate-save --kexec" into the other kernel ABI; boot 2 restores with the unit's commands.
# vm: tree=installed
# vm: memmap=512M!1G
# vm: boots=2
# vm: timeout=300
. /guest/lib.sh
. /guest/kstate.sh
. /guest/package.sh
load_pmem
# The tools' default store, where daxfs-setup provision mounts it.
unset KSTATE_STORE
STORE=/var/lib/kstate
MAPPINGS=4096

from_the_packages() {
	check "$1-installed-tree-as-packaged" installed_tree_ok
	check "$1-tools-lib-modules-from-packages" from_packages
}

# As systemd starts kstate-load.service: its ExecStartPre (modprobe kstate), then ExecStart.
load_with_unit() {
	unit_exec kstate-load.service ExecStartPre &&
		unit_exec kstate-load.service ExecStart >/tmp/load.out 2>&1
	echo $? >/tmp/load.rc
	cat /tmp/load.out
}

case $(phase) in
1)
	from_the_packages boot1
	mkfs_dax /dev/pmem0
	mount_dax /dev/pmem0 $STORE
	chmod 700 $STORE
	load_with_unit
	check first-load-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	demos_load $MAPPINGS
	check first-iommu-fresh [ "$(client .state iommu-demo)" = fresh ]
	check first-kv-fresh [ "$(client .state kv-demo)" = fresh ]
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	ctl_set gen "$(( $(kstate list --json | jq .generation) + 1 ))"
	save_then kexec "$(kexec_target other)"
	;;
2)
	from_the_packages boot2
	mount_dax /dev/pmem0 $STORE
	load_with_unit
	check load-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	check load-generation grep -q "generation $(ctl_get gen)" /tmp/load.out
	demos_load $MAPPINGS
	check iommu-restored [ "$(client .state iommu-demo)" = restored ]
	check iommu-verified [ "$(client .detail.verified iommu-demo)" = $MAPPINGS ]
	check iommu-same-root-phys [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check kv-restored [ "$(client .state kv-demo)" = restored ]
	check kv-same-checksum [ "$(client .detail.checksum kv-demo)" = "$(ctl_get kv_sum)" ]
	check kernel-log-clean kernel_log_clean
	done_scenario
	;;
esac
