#!/bin/sh
# kstate-faildev: the device under the store fails in the middle of a commit.
#
# The store lives on ext4 over a device-mapper device that starts healthy (linear).
# Each round runs a commit (pc-user with every kernel client, or the kernel clients
# alone, kstate-save) with the preload faildev-shim.so, which swaps the table for
# dm-flakey in its "down" state right before the commit's Kth call that can reach the
# device (fsync, fdatasync, syncfs, ioctl), K = 1, 2, ... until a commit ends before
# call K: first with error_writes (every write fails, reads work), then with no feature
# (every read and write fails).  Then the table goes back
# to healthy, the kernel clients are unloaded, the filesystem unmounted and mounted
# again (journal replay, as after a crash), and:
#   - the commit either returned 0 or failed with exit status 1 and a message (no
#     signal, no hang);
#   - the store holds the generation the commit sealed if it returned 0, else the
#     previous one or (if the seal reached the disk before the error) the new one, and
#     kstate-crashcheck (its own reading) and "kstate verify" agree, every file whole;
#   - every generation the store keeps still reads: pc-writer check, kstate-load
#     restoring the newest, kv-demo restored with its checksum.
# Then the same on a full filesystem: before each commit a filler leaves exactly K free
# blocks, K = 0, 1, 2, ... until a commit fits, so ENOSPC hits every allocation of a
# commit in turn; the space is freed after each one.
# Throughout, the kernel log must show no BUG, WARNING, Oops or Call Trace.
# vm: timeout=480
# vm: pvh=1
# vm: append=cryptomgr.notests
. /guest/lib.sh
. /guest/kstate.sh
PATH=/scenario:$PATH

modprobe -a crc32c_generic ext4 dm_mod dm_flakey ||
	abort "modprobe of ext4 and the device-mapper targets failed"
modprobe brd rd_nr=1 rd_size=65536 || abort "modprobe brd failed"
DEV=/dev/ram0
SECTORS=$(blockdev --getsz $DEV)
export DM_DISABLE_UDEV=1
dm() { dmsetup --noudevsync "$@"; }

export KSTATE_STORE=/mnt/fd/kstate
EXPECT=/tmp/expect
mkdir -p /mnt/fd $EXPECT

# table KIND: healthy, or flakey down for good with error_writes or with every I/O failing.
table() {
	case "$1" in
	healthy) echo "0 $SECTORS linear $DEV 0" ;;
	writes) echo "0 $SECTORS flakey $DEV 0 0 3600 1 error_writes" ;;
	all) echo "0 $SECTORS flakey $DEV 0 0 3600" ;;
	esac
}
# Swap the table without freezing the filesystem first (that would flush it).
dm_swap() { dm reload fd --table "$(table "$1")" && dm resume --nolockfs fd; }

# The highest manifest (OPEN or SEALED: the next commit claims one above it), and the
# newest sealed generation.
newest() { ls "$KSTATE_STORE" | sed -n 's/^manifest\.\([0-9a-f]\{16\}\)$/\1/p' | sort | tail -n 1; }
sealed() { kstate verify --json 2>/dev/null | jq -r .newest; }
keep_sealed() { cp "$KSTATE_STORE/manifest.$(printf %016x "$1")" $EXPECT/; }

up() {
	mount -t ext4 /dev/mapper/fd /mnt/fd || return 1
	kstate_boot >/dev/null
	[ "$(cat /tmp/load.rc)" = 0 ] || { cat /tmp/load.err; return 1; }
	modprobe kstate_kv_demo objects=64 || return 1
}
down() {
	rmmod kstate_kv_demo kstate && umount /mnt/fd
}

# The store after a failure: MARK says what it may hold (kstate-crashcheck), every kept
# generation verifies, pc-user of the newest reads back.
files_ok() {
	kstate-crashcheck check "$KSTATE_STORE" --expect $EXPECT --mark "$1" --verifier &&
		pc-writer check >/dev/null
}
# ... and, after a new start of the kernel clients, they restored from it.
store_ok() {
	files_ok "$1" || return 1
	_kv=$(client .state kv-demo)
	[ "$_kv" = restored ] || { say "kv-demo: $_kv: $(client .message kv-demo)"; return 1; }
	[ "$(client .detail.checksum kv-demo)" = "$KV_SUM" ] || { say "kv-demo checksum differs"; return 1; }
}

# attempt KIND COUNTER [K TABLE]: one commit; its exit status and message go to
# /tmp/commit.*.  With K, the device gets TABLE right before the commit's call K
# (faildev-shim.so; it reports to /tmp/fired).
attempt() {
	_k=${3:-0} _t=${4:-healthy}
	case "$1" in
	user) set -- pc-writer commit "$2" --kernel ;;
	kernel) set -- kstate-save --json ;;
	esac
	[ "$_k" -gt 0 ] && set -- env FAILDEV_AT="$_k" FAILDEV_LOG=/tmp/fired \
		LD_PRELOAD=/scenario/faildev-shim.so \
		FAILDEV_CMD="dmsetup --noudevsync reload fd --table '$(table "$_t")' &&
			dmsetup --noudevsync resume --nolockfs fd" "$@"
	"$@" >/tmp/commit.out 2>/tmp/commit.err
	echo $? >/tmp/commit.rc
}

# A clean failure: one of the tools' documented failure statuses (not 2, a usage
# error; not a signal) and a message that says what failed.
clean_result() {
	_rc=$(cat /tmp/commit.rc)
	case "$_rc" in
	0) return 0 ;;
	1|3|4|5|6|7) [ -s /tmp/commit.err ] && return 0 ;;
	esac
	say "commit: exit status $_rc: $(cat /tmp/commit.err)"
	return 1
}

# After an attempt at generation $1 on top of $2: what the store may hold.
after_mark() {
	if [ "$(cat /tmp/commit.rc)" = 0 ]; then
		keep_sealed "$1"
		echo "sealed:$1"
	else
		echo "begin:$1:$2"
	fi
}

# The starting point: a store with generation 1 (pc-user and kv-demo).
mkfs.ext4 -q -F -b 4096 -m 0 -E nodiscard -J size=4 $DEV || abort "mkfs.ext4 failed"
dm create fd --table "$(table healthy)" || abort "dmsetup create failed"
mount -t ext4 /dev/mapper/fd /mnt/fd || abort "mount failed"
mkdir -m 700 $KSTATE_STORE
kstate init >/dev/null || abort "kstate init failed"
pc-writer commit 1 >/dev/null || abort "the first commit failed"
keep_sealed 1
umount /mnt/fd
up || abort "the store did not come up"
KV_SUM=$(client .detail.checksum kv-demo)
pc-writer commit 2 --kernel >/dev/null || abort "the first commit with kv-demo failed"
keep_sealed 2
SEALED=2

# Device errors in the middle of a commit, after every step of it in turn: the preload
# faildev-shim.so counts the commit's calls that can reach the device (fsync, fdatasync,
# syncfs, ioctl: a page-cache store's writes reach the device only when fsynced, a kernel
# client's record is written and fsynced inside the save ioctl) and swaps the table for
# the failing one right before call number K.  K = 1, 2, ... until a commit runs to its
# end without reaching call K.
n=0 failed=0 fired_ok=0
for kind in writes all; do
	for what in user kernel; do
		K=1
		while :; do
			[ $K -le 60 ] || abort "a commit ($what) makes more than 60 calls"
			n=$((n + 1))
			g=$(( 0x$(newest) + 1 ))
			rm -f /tmp/fired
			attempt $what $((n + 1)) $K $kind
			dm_swap healthy || abort "cannot make the device healthy again"
			fired=$(cat /tmp/fired 2>/dev/null)
			case "$fired" in
			fired*) ;;
			calls*)
				# Fewer than K calls: the commit ran untouched, the last round of K.
				check "faildev-$kind-$what-untouched-commit-ok" [ "$(cat /tmp/commit.rc)" = 0 ]
				keep_sealed $g
				SEALED=$g
				say "device errors ($kind, $what): ${fired#calls } calls per commit"
				break ;;
			*) abort "faildev-shim reported nothing ($what, K=$K)" ;;
			esac
			# fired K NAME PATH rc=R: FAILDEV_CMD must have swapped the table.
			[ "${fired##* }" = rc=0 ] || abort "the table swap failed: $fired"
			say "round $n: $kind fail before call ${fired#fired }: exit status $(cat /tmp/commit.rc)"
			check "faildev-$n-$kind-$what-call-$K-clean-result" clean_result
			[ "$(cat /tmp/commit.rc)" = 0 ] || failed=$((failed + 1))
			mark=$(after_mark $g $SEALED)
			down || abort "cannot unmount after round $n"
			up || abort "the store did not come up after round $n"
			# A failed commit whose seal reached the disk before the error: there is no
			# copy of what the writer sealed, so its manifest is taken as it is (every
			# file it lists is still checked).
			_m=$KSTATE_STORE/manifest.$(printf %016x $g)
			[ -f $_m ] && [ ! -f $EXPECT/${_m##*/} ] && [ "$(sealed)" = $g ] && cp $_m $EXPECT/
			check "faildev-$n-store-ok" store_ok "$mark"
			SEALED=$(sealed)
			K=$((K + 1))
		done
	done
done
note "device errors: $n commits, $failed failed"
ctl_add "faildev rounds=$n failed=$failed"
# The test has teeth only if the errors really hit commits.
check faildev-commits-failed [ $failed -ge $((n / 2)) ]

# A full filesystem at every point of a commit.  fill K: a filler file leaves K blocks
# free, or a few more (the filler's own extent blocks are counted in, then it is made
# smaller by what they took); prints how many are free.
fill() {
	rm -f /mnt/fd/filler
	sync
	_want=$(( $(stat -f -c %a /mnt/fd) - $1 ))
	while [ $_want -gt 0 ]; do
		if fallocate -l $((_want * 4096)) /mnt/fd/filler 2>/dev/null; then
			sync
			_free=$(stat -f -c %a /mnt/fd)
			[ "$_free" -ge $1 ] && break
			_want=$((_want - ($1 - _free)))
		else
			_want=$((_want - 1))
		fi
		rm -f /mnt/fd/filler
		sync
	done
	stat -f -c %a /mnt/fd
}
k=0 enospc=0
while [ $k -le 200 ]; do
	g=$(( 0x$(newest) + 1 ))
	free=$(fill $k)
	[ "$free" -ge $k ] 2>/dev/null || abort "cannot measure the free blocks ($free)"
	k=$free
	attempt user $((1000 + k))
	check "enospc-free-$k-clean-result" clean_result
	if [ "$(cat /tmp/commit.rc)" = 0 ]; then
		keep_sealed $g
		rm -f /mnt/fd/filler
		down && up || abort "the store did not come up after the full filesystem"
		check "enospc-free-$k-store-ok" store_ok "sealed:$g"
		break
	fi
	grep -q 'No space left' /tmp/commit.err || say "commit with $k free blocks: $(cat /tmp/commit.err)"
	enospc=$((enospc + 1))
	rm -f /mnt/fd/filler
	# The failed commit left the live store as it was: the previous generation.
	check "enospc-free-$k-files-ok" files_ok "sealed:$SEALED"
	k=$((k + 1))
done
note "full filesystem: $enospc commits refused, the first to fit had $k free blocks"
ctl_add "enospc refused=$enospc fit_at=$k"
check enospc-some-refused [ $enospc -gt 0 ]
check enospc-one-fit [ "$(cat /tmp/commit.rc)" = 0 ]
check kernel-log-clean kernel_log_clean
done_scenario
