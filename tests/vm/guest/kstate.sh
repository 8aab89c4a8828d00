# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# kstate.sh - guest helpers for scenarios that drive kstate itself; source after lib.sh.
#
#   store_mount DEV            mount DEV (DAX ext4) on /mnt/pmem; the store is /mnt/pmem/kstate
#   store_new DEV              mkfs DEV, then store_mount
#   store_new_nvdimm           an fsdax namespace of 512M on the NFIT NVDIMM (its device in
#                              ctl ns_dev), then store_new on it
#   kstate_boot                modprobe kstate, run kstate-load (report in /tmp/load.json,
#                              exit code in /tmp/load.rc)
#   demos_load                 modprobe the iommu and kv demo clients
#   client FIELD NAME          a field of client NAME from "kstate list --json" (jq path)
#   save_then kexec VER | reset    kstate-save and end this boot that way in one step
#   kernel_log_clean           no BUG/WARNING/Oops/Call Trace so far (check it)
#   step TEXT CMD...           run CMD, print "kstate-demo: TEXT (Ns)" for scripts/demo

export KSTATE_STORE=/mnt/pmem/kstate

store_mount() {
	mount_dax "$1" /mnt/pmem
	mkdir -p "$KSTATE_STORE"
	chmod 700 "$KSTATE_STORE"
}

store_new() {
	mkfs_dax "$1"
	store_mount "$1"
}

store_new_nvdimm() {
	init_labels
	ndctl create-namespace -r region0 -m fsdax -s 512M >/tmp/ns.json ||
		abort "ndctl create-namespace -m fsdax failed"
	ctl_set ns_dev "/dev/$(jq -r .blockdev /tmp/ns.json)"
	store_new "$(ctl_get ns_dev)"
}

kstate_boot() {
	modprobe kstate || abort "modprobe kstate failed"
	kstate-load --json >/tmp/load.json 2>/tmp/load.err
	echo $? >/tmp/load.rc
	cat /tmp/load.json /tmp/load.err
}

demos_load() {
	modprobe kstate_iommu_demo mappings=${1:-65536} || abort "modprobe kstate_iommu_demo failed"
	modprobe kstate_kv_demo || abort "modprobe kstate_kv_demo failed"
}

client() {
	kstate list --json 2>/dev/null | jq -r ".clients[] | select(.name == \"$2\") | $1"
}

# save_then kexec VER | reset: save every client, then kexec into VER (loaded by kstate-save
# itself, before it saves) or reboot through firmware (kstate-save --reboot).
save_then() {
	sync
	case "$1" in
	kexec)
		_ird=$(find_disk kstate-initrd) || abort "save_then: no initrd disk"
		cat "$_ird" >/tmp/kexec-initrd
		_cmd="$(sed 's/ *kstate\.via=[^ ]*//' /proc/cmdline) kstate.via=kexec"
		ctl_set state "kexec:$2"
		say "next boot: kstate-save --kexec into $2"
		kstate-save --kexec "/boot/vmlinuz-$2" --initrd /tmp/kexec-initrd --append "$_cmd"
		abort "kstate-save --kexec returned $?" ;;
	reset)
		ctl_set state reset
		say "next boot: kstate-save --reboot"
		kstate-save --reboot
		abort "kstate-save --reboot returned $?" ;;
	esac
}

kernel_log_clean() {
	! dmesg | grep -E 'BUG:|WARNING:|Oops|Call Trace|general protection'
}

# Seconds since boot with two decimals, from /proc/uptime (busybox date has no %N).
uptime_s() { cut -d' ' -f1 /proc/uptime; }

step() {
	_text=$1; shift
	_t0=$(uptime_s)
	"$@"
	_rc=$?
	_t1=$(uptime_s)
	echo "kstate-demo: $_text ($(echo "$_t0 $_t1" | awk '{printf "%.2f", $2 - $1}') s, exit $_rc)"
	return $_rc
}
