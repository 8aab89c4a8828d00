#!/bin/sh
# kstate-powercut: the power-cut campaign.  A commit loop keeps sealing generations on an
# fsdax namespace of an NFIT NVDIMM, alternating two kinds: pc-writer (userspace records of
# known content, a counter and a pattern derived from it, plus every kernel client in the
# same generation) and kstate-save (kernel records and the iommu-demo region; the user
# object is carried over).  The host kills QEMU at random moments of the loop; after each
# new boot on the same backing file the store must hold the last generation the guest saw
# sealed, or the one whose commit the cut interrupted, fully valid and restorable.
#
# The guest reports on the control disk (fsync'ed, not on PMEM), before each commit
# "pc_begin G" and after it returns "pc_sealed G", so after a cut the newest sealed
# generation N is correct only if N == pc_sealed, or N == pc_begin > pc_sealed (the commit
# finished but its report did not).  Anything older lost a durable commit; a generation
# that fails verification is torn.
#
# Every second of a boot is paid once per cut, so the boots are lean: the kernel's ELF
# image through PVH (no decompression), no crypto self-tests, only warnings and worse
# on the console (the harness still sees every BUG, WARNING and Oops there; the
# recovery check reads the whole kernel log), and the guest batches its control-disk
# writes (one fsync'ed write before a commit, one after).
# vm: nvdimm=1G
# vm: powercut=20
# vm: timeout=120
# vm: pvh=1
# vm: append=cryptomgr.notests append=loglevel=5
. /guest/lib.sh
. /guest/kstate.sh
# Only what an fsdax namespace on the NVDIMM needs (not load_pmem's whole set): every
# second of a boot is paid once per cut.
modprobe -a crc32c_generic nfit nd_pmem ext4 || abort "modprobe of the pmem modules failed"
wait_for /sys/bus/nd/devices/region0 || abort "the NFIT region did not appear"

MAPPINGS=16384
PATH=/scenario:$PATH

# ctl_put KEY VALUE: like ctl_set, but only in this boot's copy; ctl_sync writes it out.
ctl_put() {
	grep -v "^$1=" $CTL >$CTL.new
	echo "$1=$2" >>$CTL.new
	mv $CTL.new $CTL
}

# The generation the next commit claims: one above every manifest (sealed or left open
# by a cut) in the store.  Manifest names carry 16 hex digits.
next_generation() {
	_h=$(ls "$KSTATE_STORE" | sed -n 's/^manifest\.\([0-9a-f]\{16\}\)$/\1/p' | sort | tail -n 1)
	echo $(( ${_h:+0x$_h} + 1 ))
}

# commit_user COUNTER: a generation with pc-user (counter) and every kernel client.
commit_user() {
	_g=$(next_generation)
	ctl_put pc_counter "$1"
	ctl_put pc_user_begin "$_g $1"
	ctl_put pc_begin "$_g"
	ctl_sync
	_out=$(pc-writer commit "$1" --kernel) || abort "pc-writer commit $1 failed"
	[ "$_out" = "generation $_g" ] || abort "pc-writer sealed '$_out', generation $_g expected"
	ctl_put pc_user "$_g $1"
	ctl_put pc_sealed "$_g"
	ctl_sync
}

# commit_kernel: kstate-save, kernel clients only.
commit_kernel() {
	_g=$(next_generation)
	ctl_set pc_begin "$_g"
	_out=$(kstate-save --json | jq -r .generation) || abort "kstate-save failed"
	[ "$_out" = "$_g" ] || abort "kstate-save sealed '$_out', generation $_g expected"
	ctl_set pc_sealed "$_g"
}

# Until the host cuts the power.
commit_loop() {
	_i=$(ctl_get pc_counter)
	powercut_wait
	_n=0
	while [ $_n -lt 1000 ]; do
		_n=$((_n + 1))
		_i=$((_i + 1))
		commit_user "$_i"
		commit_kernel
	done
	abort "the host did not cut the power during 1000 commits"
}

# why TEXT: a reason the recovery check fails.
why() { say "recovery: $*"; _bad=1; }

# After a cut: what is in the store is what the guest saw sealed (or the one in flight),
# every generation verifies, pc-user holds that generation's counter and pattern, and the
# kernel clients restore from it (iommu-demo re-attached and every mapping verified).
recovered() {
	_bad=0
	_sealed=$(ctl_get pc_sealed)
	_begun=$(ctl_get pc_begin)
	# kstate verify: every kept generation intact, and the one a default load takes.
	kstate verify --json >/tmp/verify.json 2>/tmp/verify.err ||
		{ cat /tmp/verify.json /tmp/verify.err; why "kstate verify failed"; }
	_newest=$(jq -r .newest /tmp/verify.json)
	# Written out with the check's result (ctl_add), like everything below.
	echo "powercut $(phase) newest=$_newest sealed=$_sealed begun=$_begun" >>$CTL
	say "recovery: newest sealed generation $_newest; last reported sealed $_sealed, last begun $_begun"
	if [ "$_newest" != "$_sealed" ] &&
		! { [ "$_begun" -gt "$_sealed" ] && [ "$_newest" = "$_begun" ]; }; then
		why "generation $_newest is neither the last sealed ($_sealed) nor the one in flight ($_begun)"
	fi
	# pc-user: the counter of the generation that wrote it.
	set -- $(ctl_get pc_user) $(ctl_get pc_user_begin)
	_want="$1 counter $2"
	[ "$_newest" = "$3" ] && _want="$3 counter $4"
	_have=$(pc-writer check) || why "pc-writer check failed"
	[ "$_have" = "generation $_newest user-generation $_want" ] ||
		why "pc-user: '$_have', expected generation $_newest user-generation $_want"
	kstate_boot >/dev/null
	[ "$(cat /tmp/load.rc)" = 0 ] || { cat /tmp/load.err; why "kstate-load exit $(cat /tmp/load.rc)"; }
	[ "$(jq -r .generation /tmp/load.json)" = "$_newest" ] || why "kstate-load did not restore $_newest"
	demos_load "$MAPPINGS"
	kstate list --json >/tmp/list.json 2>/dev/null
	c() { jq -r ".clients[] | select(.name == \"$2\") | $1" /tmp/list.json; }
	# One jq for every field (each jq costs a fifth of a second under TCG).
	_want="restored $MAPPINGS $(ctl_get root_phys) restored $(ctl_get kv_sum)"
	_got=$(jq -r '[(.clients[] | select(.name == "iommu-demo") |
		.state, .detail.verified, .detail.root_phys),
		(.clients[] | select(.name == "kv-demo") | .state, .detail.checksum)] |
		map(tostring) | join(" ")' /tmp/list.json)
	if [ "$_got" != "$_want" ]; then
		why "clients (iommu-demo state, verified, root_phys; kv-demo state, checksum):" \
			"'$_got', expected '$_want'; iommu-demo: $(c .message iommu-demo);" \
			"kv-demo: $(c .message kv-demo)"
	fi
	kernel_log_clean || why "the kernel log has errors"
	[ $_bad = 0 ] || return 1
	# What the store holds is now the reference: an in-flight commit that made it is
	# sealed as far as the next cut is concerned (its report was what the cut took).
	set -- $_have
	ctl_put pc_user "$4 $6"
	ctl_put pc_user_begin "$4 $6"
	ctl_put pc_sealed "$_newest"
	ctl_put pc_begin "$_newest"
	ctl_sync
}

case $(phase) in
1)
	store_new_nvdimm
	kstate_boot >/dev/null
	demos_load "$MAPPINGS"
	ctl_set root_phys "$(client .detail.root_phys iommu-demo)"
	ctl_set kv_sum "$(client .detail.checksum kv-demo)"
	ctl_set pc_counter 1
	commit_user 1
	check first-commit [ "$(pc-writer check)" = "generation 1 user-generation 1 counter 1" ]
	commit_loop
	;;
*)
	wait_for "$(ctl_get ns_dev)" || abort "$(ctl_get ns_dev) did not appear"
	store_mount "$(ctl_get ns_dev)"
	check recovered recovered
	if [ "$(ctl_get cuts)" -ge "$(ctl_get powercut)" ]; then
		done_scenario
	fi
	commit_loop
	;;
esac
