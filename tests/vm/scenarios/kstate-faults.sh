#!/bin/sh
# kstate-faults: every fault injection point of kstate.ko (module parameters fail_where and
# fail_nth, see kmod-kstate/kstate_fault.c) fails in turn, on the save, restore and region
# paths.  Each failure must surface as a clean error (kstate-save exit 1, a failed client
# with a message, a refused bind), leave the module's resource counters (files_open,
# buffers, regions, dax_refs) where they were, never half-apply a restore, never change
# the store (save) or leave a region behind (fresh start), and keep the kernel log free
# of BUG/WARNING/Oops.
# vm: memmap=512M!1G
# vm: timeout=400
. /guest/lib.sh
. /guest/kstate.sh
load_pmem

P=/sys/module/kstate/parameters
MAPPINGS=4096

counters() {
	echo "files_open=$(cat $P/files_open) buffers=$(cat $P/buffers)" \
		"regions=$(cat $P/regions) dax_refs=$(cat $P/dax_refs)"
}
store_sums() { (cd "$KSTATE_STORE" && find . -type f | sort | xargs sha256sum); }
newest() { kstate list --json 2>/dev/null | jq -r .generation; }

demos_unload() { rmmod kstate_kv_demo kstate_iommu_demo 2>/dev/null; return 0; }

# reload_kstate [PARAMS]: a fresh module (its injection counter at 0) with PARAMS.
reload_kstate() {
	demos_unload
	rmmod kstate || abort "rmmod kstate failed"
	modprobe kstate "$@" || abort "modprobe kstate $* failed"
}

# Put a file kstate-load quarantined (a refused client) back, for the next case.
unquarantine() {
	for _f in "$KSTATE_STORE"/quarantine/*; do
		[ -e "$_f" ] || continue
		_n=${_f##*/}
		mv "$_f" "$KSTATE_STORE/${_n%.*}"
	done
}

# save_fault POINT NTH: kstate-save fails cleanly and the store is exactly as before.
save_fault() {
	_c="save-$1-$2"
	_gen=$(newest)
	_sums=$(store_sums)
	_base=$(counters)
	_inj=$(cat $P/fail_injected)
	echo "$1" >$P/fail_where
	echo "$2" >$P/fail_nth
	kstate-save >/tmp/save.out 2>/tmp/save.err
	_rc=$?
	echo 0 >$P/fail_nth
	cat /tmp/save.err
	check "$_c-reached" [ "$(cat $P/fail_injected)" = $((_inj + 1)) ]
	check "$_c-exit1" [ $_rc = 1 ]
	check "$_c-says-why" grep -q "the previous generation is unchanged" /tmp/save.err
	# A client that failed says why in its status; the entry list fails before any client.
	[ "$1" = save_entries ] ||
		check "$_c-client-says-why" sh -c "kstate list --json | jq -r '.clients[].message' | grep -q '^cannot'"
	check "$_c-previous-kept" [ "$(newest)" = "$_gen" ]
	check "$_c-store-unchanged" [ "$(store_sums)" = "$_sums" ]
	check "$_c-balanced" [ "$(counters)" = "$_base" ]
}

# restore_fault POINT NTH WHO: kstate-load with the module armed at POINT and the demo
# clients registered; WHO is
# "bind" (the bind is refused, nobody restores) or the client that must fail while the
# other restores.  Afterwards, with the clients unloaded, the module holds nothing but
# the bound generation's entry list.
restore_fault() {
	_c="restore-$1-$2"
	_sums=$(store_sums)
	reload_kstate fail_where="$1" fail_nth="$2"
	# The clients first: kstate-load then sees them restore (or fail) at its bind.
	demos_load "$MAPPINGS"
	kstate-load --json >/tmp/load.json 2>/tmp/load.err
	_rc=$?
	cat /tmp/load.err
	check "$_c-reached" [ "$(cat $P/fail_injected)" = 1 ]
	check "$_c-exit1" [ $_rc = 1 ]
	case "$3" in
	bind)
		check "$_c-bind-refused" grep -q "bind" /tmp/load.err
		check "$_c-clients-wait" sh -c "kstate list --json | jq -e '[.clients[] | select(.state == \"waiting\")] | length == 2' >/dev/null"
		_held="files_open=0 buffers=0 regions=0 dax_refs=0" ;;
	*)
		# The failed client applied nothing: iommu-demo has no table, kv-demo no objects.
		_other=kv-demo _applied=table_pages
		[ "$3" = kv-demo ] && _other=iommu-demo _applied=objects
		check "$_c-$3-failed" [ "$(client .state "$3")" = failed ]
		check "$_c-$3-says-why" grep -q "$3: refused: ..*" /tmp/load.err
		check "$_c-$3-nothing-applied" [ "$(client ".detail.$_applied" "$3")" = 0 ]
		check "$_c-$_other-restored" [ "$(client .state $_other)" = restored ]
		_held="files_open=0 buffers=1 regions=0 dax_refs=0" ;;
	esac
	demos_unload
	check "$_c-balanced" [ "$(counters)" = "$_held" ]
	unquarantine
	check "$_c-store-unchanged" [ "$(store_sums)" = "$_sums" ]
}

# fresh_fault POINT NTH: iommu-demo cannot create its region on a store with nothing
# saved: it fails with a message and leaves no region file behind.
fresh_fault() {
	_c="fresh-$1-$2"
	reload_kstate fail_where="$1" fail_nth="$2"
	KSTATE_STORE=/mnt/pmem/fresh kstate-load >/dev/null 2>&1
	demos_load "$MAPPINGS"
	check "$_c-reached" [ "$(cat $P/fail_injected)" = 1 ]
	check "$_c-iommu-failed" [ "$(client .state iommu-demo)" = failed ]
	check "$_c-says-why" sh -c "dmesg | tail -n 20 | grep -q 'iommu-demo: .*\(region\|fresh\)'"
	check "$_c-no-region-left" [ ! -e /mnt/pmem/fresh/iommu-demo-pt.region ]
	demos_unload
	check "$_c-balanced" [ "$(counters)" = "files_open=0 buffers=0 regions=0 dax_refs=0" ]
}

store_new /dev/pmem0
mkdir -m 700 /mnt/pmem/fresh
kstate_boot >/dev/null
demos_load "$MAPPINGS"
check save-1 kstate-save
check save-2 kstate-save

# Save: the record buffer, the entry list, the file's create, write and fsync; the second
# client's too, so that the first client's file must be taken back.
for f in save_alloc:1 save_entries:1 save_open:1 save_open:2 save_write:1 save_write:2 \
	save_fsync:1 save_fsync:2; do
	save_fault "${f%:*}" "${f#*:}"
done
check save-after-faults kstate-save

# Restore: reading the manifest at bind (open, buffer, read, entry list), then the
# clients' files (iommu-demo registers first), validation, and the region re-attach.
for f in read_open:1 read_alloc:1 read:1 bind_alloc:1; do
	restore_fault "${f%:*}" "${f#*:}" bind
done
for f in read_open:2 read_alloc:2 read:2 restore_validate:1 region_alloc:1 region_alloc:2 \
	region_open:1 region_extents:1 region_dax:1 region_dax:2; do
	restore_fault "${f%:*}" "${f#*:}" iommu-demo
done
for f in read:3 restore_validate:2; do
	restore_fault "${f%:*}" "${f#*:}" kv-demo
done

# Region creation on a fresh start: buffers, zero fill, the filesystem's extents (the
# swap-activation walk), DAX access, immutable flag.
for f in region_alloc:1 region_alloc:2 region_open:1 region_zero:1 region_extents:1 \
	region_dax:1 region_dax:2 region_immutable:1; do
	fresh_fault "${f%:*}" "${f#*:}"
done

# Nothing armed: everything restores and saves again.
reload_kstate
kstate_boot >/dev/null
demos_load "$MAPPINGS"
check final-iommu-restored [ "$(client .state iommu-demo)" = restored ]
check final-kv-restored [ "$(client .state kv-demo)" = restored ]
check final-save kstate-save
check final-verify kstate verify
check kernel-log-clean kernel_log_clean
done_scenario
