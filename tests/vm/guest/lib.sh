# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# lib.sh - the guest side of the VM lab, sourced by /init and by every scenario.
#
# State that must survive every kind of reboot (kexec, firmware reset, a new QEMU process)
# lives on the control disk, a small raw virtio disk with the serial "kstate-ctl" that the host
# creates per scenario and reads at the end. It never touches PMEM, so a scenario that loses
# its PMEM data still reports the loss. The disk holds text lines, padded with zeros:
#   KEY=VALUE                  scenario, boots_max, boot, state, run, kernel, ...
#   check BOOT NAME PASS|FAIL  one per check, parsed by the host
#   error BOOT MESSAGE         harness errors (abort)
#   sum LABEL SHA256  PATH     checksums saved by save_sums
#   note TEXT                  printed by the host with the verdict (note)
# /tmp/ctl is this boot's copy; every change is written through with fsync.
#
# Scenario API (see docs/testing.md):
#   phase                       print the boot number, 1 for the first boot
#   check NAME CMD...           run CMD, record and print "CHECK NAME PASS|FAIL"
#   next_boot kexec [same|other|VER] | reset | poweroff
#                               end this boot that way; the scenario runs again after it
#                               (kexec adds $NEXT_BOOT_APPEND to the command line)
#   powercut_wait               power-cut scenarios: print the marker the host cuts after
#   done_scenario               the scenario is complete; power off
#   abort MESSAGE               harness-level failure; power off
#   load_pmem                   load the pmem/nvdimm/dax/fs modules
#   init_labels                 give the NVDIMMs labels so regions can be sub-divided
#   mkfs_dax DEV                mkfs.ext4 -b 4096 (the block size DAX needs)
#   mount_dax DEV DIR           mount -o dax=always, and make sure DAX is really on
#   write_files DIR             write a set of random files of assorted sizes
#   save_sums LABEL DIR         store the checksums of every file under DIR on the control disk
#   check_sums LABEL DIR        check "sums-LABEL": DIR still has exactly those contents
#   ctl_set KEY VALUE / ctl_get KEY   keep small values across boots
#   note TEXT                   a line for the host's summary (measured numbers)

CTL=/tmp/ctl
CTL_SIZE=262144

# Debian's busybox runs its own applets before searching PATH; the module tools must be
# kmod's, which understand the host-generated module index.
for _t in modprobe insmod rmmod lsmod modinfo depmod; do
	eval "$_t() { /usr/sbin/$_t \"\$@\"; }"
done

say() { echo "kstate-lab: $*"; }

# find_disk SERIAL: print /dev/vdX of the virtio disk with that serial.
find_disk() {
	for d in /sys/block/vd*; do
		[ -e "$d/serial" ] && [ "$(cat "$d/serial")" = "$1" ] && {
			echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

ctl_dev() { find_disk kstate-ctl; }

ctl_load() {
	dd if="$(ctl_dev)" bs=$CTL_SIZE count=1 2>/dev/null | tr -d '\000' >$CTL
}

ctl_sync() {
	cp $CTL $CTL.pad
	truncate -s $CTL_SIZE $CTL.pad
	dd if=$CTL.pad of="$(ctl_dev)" bs=$CTL_SIZE conv=notrunc,fsync 2>/dev/null ||
		say "ERROR: cannot write the control disk"
	rm -f $CTL.pad
}

ctl_get() { sed -n "s/^$1=//p" $CTL | tail -n 1; }

ctl_set() {
	grep -v "^$1=" $CTL >$CTL.new
	echo "$1=$2" >>$CTL.new
	mv $CTL.new $CTL
	ctl_sync
}

ctl_add() {
	echo "$*" >>$CTL
	ctl_sync
}

note() {
	say "$*"
	ctl_add "note $*"
}

phase() { ctl_get boot; }

check() {
	_name=$1; shift
	if "$@"; then _res=PASS; else _res=FAIL; fi
	echo "CHECK $_name $_res"
	ctl_add "check $(phase) $_name $_res"
	[ $_res = PASS ]
}

abort() {
	say "HARNESS ERROR: $*"
	ctl_add "error $(phase) $*"
	ctl_set state aborted
	sync
	poweroff -f
	sleep 60
}

done_scenario() {
	ctl_set state "done"
	say "scenario done"
	sync
	poweroff -f
	sleep 60
}

# The kernel the guest would kexec into for "same", "other" or an explicit version.
kexec_target() {
	case "${1:-same}" in
	same) uname -r ;;
	other) grep -vx "$(uname -r)" /etc/kstate-lab-kernels | head -n 1 ;;
	*) echo "$1" ;;
	esac
}

next_boot() {
	sync
	case "$1" in
	kexec)
		_ver=$(kexec_target "${2:-same}")
		[ -f "/boot/vmlinuz-$_ver" ] || abort "next_boot kexec: no kernel $_ver in the initramfs"
		_ird=$(find_disk kstate-initrd) || abort "next_boot kexec: no initrd disk"
		cat "$_ird" >/tmp/kexec-initrd
		# kstate.via=kexec tells the next boot how it was entered; a firmware reset
		# boots QEMU's -append, which never has it.
		_cmd="$(sed 's/ *kstate\.via=[^ ]*//' /proc/cmdline) kstate.via=kexec"
		# NEXT_BOOT_APPEND: words for the next kernel, as a boot loader's new config adds.
		_cmd="$_cmd${NEXT_BOOT_APPEND:+ $NEXT_BOOT_APPEND}"
		kexec -s -l "/boot/vmlinuz-$_ver" --initrd=/tmp/kexec-initrd \
			--command-line="$_cmd" || abort "kexec -s -l /boot/vmlinuz-$_ver failed"
		rm -f /tmp/kexec-initrd
		ctl_set state "kexec:$_ver"
		say "next boot: kexec into $_ver"
		kexec -e
		abort "kexec -e returned" ;;
	reset)
		ctl_set state reset
		say "next boot: firmware reset"
		echo b >/proc/sysrq-trigger
		sleep 10
		abort "sysrq reset did not reset" ;;
	poweroff)
		ctl_set state poweroff
		say "next boot: power off, the host starts a new QEMU"
		poweroff -f
		sleep 60 ;;
	*)
		abort "next_boot: unknown way '$1' (kexec [same|other|VER], reset, poweroff)" ;;
	esac
}

# cmdline_arg NAME: the value of NAME= on the kernel command line.
cmdline_arg() {
	for _a in $(cat /proc/cmdline); do
		case "$_a" in "$1="*) echo "${_a#*=}"; return 0 ;; esac
	done
}

# Called by /init once per boot: count the boot and check it came the way the previous boot
# asked for (kexec into the right kernel, a reset in the same QEMU, or a new QEMU).
boot_begin() {
	_i=0
	until ctl_dev >/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && { say "HARNESS ERROR: no control disk"; poweroff -f; }
		sleep 0.1
	done
	ctl_load
	_prev=$(ctl_get state)
	_boot=$(( $(ctl_get boot) + 1 ))
	_run=$(cmdline_arg kstate.run)
	_via=$(cmdline_arg kstate.via)
	_lastrun=$(ctl_get run)
	grep -v '^boot=' $CTL >$CTL.new; echo "boot=$_boot" >>$CTL.new; mv $CTL.new $CTL
	ctl_set state running
	say "boot $_boot of at most $(ctl_get boots_max), kernel $(uname -r), QEMU run $_run, via ${_via:-firmware}"
	case "$_prev" in
	new)
		_ok=yes ;;
	kexec:*)
		_how="kexec-${_prev#kexec:}"
		_ok=no
		[ "$_via" = kexec ] && [ "$(uname -r)" = "${_prev#kexec:}" ] &&
			[ "$_run" = "$_lastrun" ] && _ok=yes ;;
	reset)
		_how=reset
		_ok=no
		[ -z "$_via" ] && [ "$_run" = "$_lastrun" ] && _ok=yes ;;
	poweroff)
		_how=poweroff
		_ok=no
		[ -z "$_via" ] && [ "$_run" = $((_lastrun + 1)) ] && _ok=yes ;;
	powercut)
		# The host killed QEMU (run-scenario, "# vm: powercut=N") and started a new one.
		_how=powercut
		_ok=no
		[ -z "$_via" ] && [ "$_run" = $((_lastrun + 1)) ] && _ok=yes ;;
	*)
		abort "unexpected reboot: the previous boot ended in state '$_prev'" \
			"(a panic or a crash, see the serial log)" ;;
	esac
	ctl_set run "$_run"
	ctl_set kernel "$(uname -r)"
	if [ "$_boot" -gt "$(ctl_get boots_max)" ]; then
		abort "boot limit: boot $_boot but the scenario declares boots=$(ctl_get boots_max)"
	fi
	[ "$_prev" = new ] || check "boot$_boot-via-$_how" [ $_ok = yes ]
	return 0
}

# wait_for PATH [TENTHS]: wait up to TENTHS/10 s (default 5 s) for PATH to appear.
wait_for() {
	_i=0
	while [ ! -e "$1" ]; do
		_i=$((_i + 1))
		[ $_i -gt "${2:-50}" ] && return 1
		sleep 0.1
	done
}

load_pmem() {
	modprobe -a crc32c_generic libnvdimm nd_pmem nd_btt nd_e820 nfit dax_pmem device_dax \
		kmem ext4 xfs || abort "load_pmem: modprobe failed"
	# Regions probe asynchronously; give the pmem and dax devices time to show up.
	if grep -q 'memmap=[^ ]*!' /proc/cmdline; then
		wait_for /dev/pmem0 || abort "load_pmem: /dev/pmem0 did not appear (memmap=)"
	fi
	if [ -e /sys/firmware/acpi/tables/NFIT ]; then
		wait_for /sys/bus/nd/devices/region0 || abort "load_pmem: the NFIT region did not appear"
	fi
	return 0
}

# init_labels: give every NVDIMM a label area, so its region can hold several namespaces
# (label-less regions refuse "Legacy / label-less namespaces do not support sub-dividing").
init_labels() {
	ndctl disable-region all >/dev/null &&
		ndctl init-labels -f all >/dev/null &&
		ndctl enable-region all >/dev/null || abort "init_labels: ndctl init-labels failed"
}

mkfs_dax() {
	mkfs.ext4 -q -F -b 4096 "$1" || abort "mkfs_dax: mkfs.ext4 -b 4096 $1 failed"
}

mount_dax() {
	mkdir -p "$2"
	mount -t ext4 -o dax=always "$1" "$2" || abort "mount_dax: mount -o dax=always $1 $2 failed"
	grep -q " $2 ext4 [^ ]*dax" /proc/mounts || abort "mount_dax: $2 is mounted without dax"
}

write_files() {
	mkdir -p "$1/sub/deeper"
	head -c 4194304 /dev/urandom >"$1/big"
	head -c 1000000 /dev/urandom >"$1/odd-size"
	head -c 4096 /dev/urandom >"$1/sub/one-page"
	head -c 1 /dev/urandom >"$1/sub/one-byte"
	head -c 123457 /dev/urandom >"$1/sub/deeper/prime"
	echo "kstate-lab $(date) boot $(phase)" >"$1/sub/text"
	: >"$1/empty"
	sync
}

save_sums() {
	_s=$(cd "$2" && find . -type f | sort | xargs sha256sum) || abort "save_sums: cannot read $2"
	grep -v "^sum $1 " $CTL >$CTL.new
	echo "$_s" | sed "s/^/sum $1 /" >>$CTL.new
	mv $CTL.new $CTL
	ctl_sync
	say "saved checksums '$1' of $(echo "$_s" | wc -l) files under $2"
}

sums_match() {
	_want=$(sed -n "s/^sum $1 //p" $CTL)
	[ -n "$_want" ] || { say "no checksums saved under '$1'"; return 1; }
	_have=$(cd "$2" && find . -type f | sort | xargs sha256sum) || return 1
	[ "$_want" = "$_have" ] && return 0
	say "checksums of $2 differ from '$1':"
	echo "$_want" >/tmp/want; echo "$_have" >/tmp/have
	diff /tmp/want /tmp/have
	return 1
}

check_sums() { check "sums-$1" sums_match "$1" "$2"; }

# powercut_wait: tell the host the commit loop starts now (run-scenario cuts the power a
# random moment later, "# vm: powercut=N").  Returns at once; the caller loops.
powercut_wait() {
	say "commit loop started (cut $(( $(ctl_get cuts) + 1 )) of $(ctl_get powercut))"
}
