#!/bin/sh
# kstate-crashstates: every crash state of the commit protocol, at the block layer.
#
# The store lives on ext4 (not DAX) over dm-log-writes, which records every write,
# flush and FUA the workload sends to the device, in the order the device completed
# them.  The workload mixes commits of userspace records with every kernel client
# (pc-writer --kernel: pc-user and kv-demo in one generation), kernel-only commits
# (kstate-save), userspace-only commits and explicit gc; before each commit of G it
# logs the mark "begin:G:S" (S: the newest sealed so far), after it "sealed:G", before
# a gc "gc:S", and keeps a copy of manifest.G as sealed.
#
# Then, in the same boot, lw-replay rebuilds every crash state the log allows: the
# image at every flush and FUA, and sampled subsets of the writes between two flushes
# (what a device with a volatile cache may have kept); each is mounted as a boot would
# (ext4 journal replay) on a snapshot and checked by kstate-crashcheck: its own reading
# of the store (written from docs/format.md) and "kstate verify" must agree that the
# newest sealed generation is the one the last mark allows, every file of it whole and
# as sealed, no manifest torn.  The run prints
#	crashstates: enumerated=N ok=N lost=0
# Console: warnings and worse only (each state's mount would print two lines).
# vm: timeout=600
# vm: pvh=1
# vm: append=cryptomgr.notests append=loglevel=5
. /guest/lib.sh
. /guest/kstate.sh
PATH=/scenario:$PATH

ITER=16				# loop iterations (each: 2 or 3 commits)
SAMPLES=3			# reorderings per pair of flushes
MIN_STATES=1000

modprobe -a crc32c_generic ext4 dm_mod dm_log_writes dm_snapshot ||
	abort "modprobe of ext4 and the device-mapper targets failed"
# Four RAM disks: the device under test, the write log, the replay base, the snapshot's
# exception store.
modprobe brd rd_nr=4 rd_size=65536 || abort "modprobe brd failed"
DATA=/dev/ram0 LOG=/dev/ram1 BASE=/dev/ram2 COW=/dev/ram3
export DM_DISABLE_UDEV=1
dm() { dmsetup --noudevsync "$@"; }

export KSTATE_STORE=/mnt/lw/kstate
EXPECT=/tmp/expect
mkdir -p /mnt/lw /mnt/crash $EXPECT

newest() { ls "$KSTATE_STORE" | sed -n 's/^manifest\.\([0-9a-f]\{16\}\)$/\1/p' | sort | tail -n 1; }
mark() { dm message lw 0 mark "$1" || abort "dmsetup message lw mark $1 failed"; }
keep_sealed() {
	cp "$KSTATE_STORE/manifest.$(printf %016x "$1")" $EXPECT/ || abort "no manifest of $1"
}

# commit KIND N: one commit, between its marks; KIND user (pc-user and every kernel
# client), useronly (pc-user alone) or kernel (kstate-save: the kernel clients).
SEALED=1
commit() {
	_g=$(( 0x$(newest) + 1 ))
	mark "begin:$_g:$SEALED"
	case "$1" in
	user) _out=$(pc-writer commit "$2" --kernel) ;;
	useronly) _out=$(pc-writer commit "$2") ;;
	kernel) _out="generation $(kstate-save --json | jq -r .generation)" ;;
	esac
	[ "$_out" = "generation $_g" ] || abort "$1 commit sealed '$_out', generation $_g expected"
	mark "sealed:$_g"
	keep_sealed "$_g"
	SEALED=$_g
}

# The store before logging starts: generation 1 (pc-user alone) on a fresh ext4.
mkfs.ext4 -q -F -b 4096 -E nodiscard -J size=4 $DATA || abort "mkfs.ext4 $DATA failed"
mount -t ext4 $DATA /mnt/lw || abort "mount $DATA failed"
mkdir -m 700 $KSTATE_STORE
kstate init >/dev/null || abort "kstate init failed"
pc-writer commit 1 >/dev/null || abort "the first commit failed"
keep_sealed 1
umount /mnt/lw
dd if=$DATA of=$BASE bs=1M 2>/dev/null || abort "copying the base image failed"

# From here on, every write is logged.
dm create lw --table "0 $(blockdev --getsz $DATA) log-writes $DATA $LOG" ||
	abort "dmsetup create log-writes failed"
mark sealed:1
mount -t ext4 /dev/mapper/lw /mnt/lw || abort "mount of the log-writes device failed"
kstate_boot >/dev/null
[ "$(cat /tmp/load.rc)" = 0 ] || abort "kstate-load failed: $(cat /tmp/load.err)"
modprobe kstate_kv_demo objects=64 || abort "modprobe kstate_kv_demo failed"

i=1
while [ $i -le "$ITER" ]; do
	i=$((i + 1))
	commit user $i
	commit kernel
	if [ $((i % 3)) = 0 ]; then
		i=$((i + 1))
		commit useronly $i
	fi
	if [ $((i % 4)) = 0 ]; then
		mark "gc:$SEALED"
		kstate gc --keep 1 >/dev/null || abort "kstate gc failed"
	fi
done
say "workload: $(ls $EXPECT | wc -l) generations sealed, newest $SEALED"
rmmod kstate_kv_demo kstate || abort "rmmod of the kernel clients failed"
umount /mnt/lw || abort "umount of the log-writes device failed"
dm remove lw || abort "dmsetup remove lw failed"
check kernel-log-clean-workload kernel_log_clean

lw-replay enumerate $LOG --base $BASE --cow $COW --mnt /mnt/crash --samples $SAMPLES \
	--seed "$(cut -d' ' -f1 /proc/uptime | tr -d .)" -- \
	kstate-crashcheck check /mnt/crash/kstate --expect $EXPECT --verifier --record /tmp/seen \
	>/tmp/enum.out 2>&1
echo $? >/tmp/enum.rc
cat /tmp/enum.out
set -- $(sed -n 's/^crashstates: enumerated=\([0-9]*\) ok=\([0-9]*\) lost=\([0-9]*\)$/\1 \2 \3/p' /tmp/enum.out)
note "crashstates: enumerated=${1:-0} ok=${2:-0} lost=${3:-0}"
check crashstates-none-lost [ "$(cat /tmp/enum.rc)" = 0 ] && [ "${3:-1}" = 0 ]
check crashstates-at-least-$MIN_STATES [ "${1:-0}" -ge $MIN_STATES ]
# The enumeration reached inside the commits: for every commit, some crash state still
# had the previous generation and some already had the new one.
covered() {
	_miss=$(awk '$1 ~ /^begin:/ { split($1, m, ":"); k = m[2]; if ($2 == m[3]) old[k] = 1;
		if ($2 == k) new[k] = 1; seen[k] = 1 }
		END { for (k in seen) if (!old[k] || !new[k]) printf "%s ", k }' /tmp/seen)
	_n=$(awk '$1 ~ /^begin:/ { split($1, m, ":"); if (!(m[2] in s)) n++; s[m[2]] = 1 }
		END { print n + 0 }' /tmp/seen)
	note "commits crashed inside: $_n; without both outcomes: ${_miss:-none}"
	[ -z "$_miss" ] && [ "$_n" -ge "$ITER" ]
}
check crashstates-inside-every-commit covered
check kernel-log-clean kernel_log_clean
done_scenario
