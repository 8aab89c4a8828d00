#!/bin/sh
# kstate-operator: the operator's flow with only the tools and modprobe.  First boot, then
# "kstate-save --kexec" into the other kernel ABI, "kstate-load" (restored, verified), then
# "kstate-save --reboot" through firmware and restored again.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: timeout=360
# vm: boots=3
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

restored() {
	check "$1-load-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
	step "boot $(phase): modprobe the demo clients, which restore as they register" demos_load
	check "$1-iommu-restored" [ "$(client .state iommu-demo)" = restored ]
	check "$1-iommu-verified" [ "$(client .detail.verified iommu-demo)" = 65536 ]
	check "$1-iommu-same-root" [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get root_phys)" ]
	check "$1-kv-restored" [ "$(client .state kv-demo)" = restored ]
	check "$1-kernel-log-clean" kernel_log_clean
	echo "kstate-demo: boot $(phase) on $(uname -r): iommu-demo $(client .state iommu-demo)," \
		"$(client .detail.verified iommu-demo) of 65536 mappings verified, root at" \
		"$(printf '%#x' "$(client .detail.root_phys iommu-demo)") (before: $(printf '%#x' \
		"$(ctl_get root_phys)")), re-attached in $(client .detail.reattach_ns iommu-demo) ns;" \
		"kv-demo $(client .state kv-demo), $(client .detail.objects kv-demo) objects"
}

# kstate-load, timed; its exit code lands in /tmp/load.rc.
load_timed() {
	echo "kstate-demo: boot $(phase) reached /init $(uptime_s) s after the kernel started"
	step "boot $(phase): modprobe kstate && kstate-load" kstate_boot_quiet
	echo "kstate-demo: boot $(phase): kstate-load: $(jq -r .result /tmp/load.json)"
}

kstate_boot_quiet() { kstate_boot >/dev/null; }

case $(phase) in
1)
	store_new /dev/pmem0
	load_timed
	check first-boot-rc0 [ "$(cat /tmp/load.rc)" = 0 ]
	step "boot 1: modprobe the demo clients (iommu-demo builds 65536 mappings)" demos_load
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	echo "kstate-demo: boot 1: iommu-demo $(client .state iommu-demo), page table root at" \
		"$(printf '%#x' "$(client .detail.root_phys iommu-demo)")"
	check bad-kernel-refused-before-saving sh -c "! kstate-save --kexec /nonexistent"
	# The kexec the lab once lost the store with: a command line without memmap=.
	kstate-save --kexec /boot/vmlinuz-6.1.0-50-amd64 --append "console=ttyS0 panic=-1" \
		>/dev/null 2>/tmp/refused.txt
	check no-memmap-kexec-refused-5 [ $? = 5 ]
	check refusal-says-why grep -q "does not reserve it" /tmp/refused.txt
	check nothing-saved-by-refused [ "$(kstate list --json | jq .generation)" = 0 ]
	echo "kstate-demo: boot 1: kstate-save --kexec /boot/vmlinuz-6.1.0-50-amd64 at $(uptime_s) s"
	save_then kexec 6.1.0-50-amd64
	;;
2)
	store_mount /dev/pmem0
	load_timed
	restored kexec-other-abi
	echo "kstate-demo: boot 2: kstate-save --reboot at $(uptime_s) s"
	save_then reset
	;;
3)
	store_mount /dev/pmem0
	load_timed
	restored firmware-reboot
	done_scenario
	;;
esac
