#!/bin/sh
# bench-iommu: re-attaching the iommu-demo page table after a kexec, with every check the
# restore runs (record, region, root address, checksum, a software walk of every mapping,
# the table count), against building it.  For each size (bench-iommu.setup: default
# 65536 mappings) and each of REPS rounds: a fresh store, the table built (build_ns) and
# saved in one boot, kexec, restored in the next (restore_ns: the whole ->restore(), with
# reattach_ns and verify_ns inside it).  One more round per size, first and not among
# the samples, runs its restore under ftrace's function_graph tracer: where the time goes.
# Prints "bench: iommu,..." lines that scripts/bench collects from the serial log.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=21
# vm: timeout=1800
. /guest/lib.sh
. /guest/kstate.sh
. /scenario/params
load_pmem

n=$(phase)
# Round k (1-based) is size $(( (k - 1) / (REPS + 1) + 1 )) of SIZES, repetition
# (k - 1) % (REPS + 1); repetition 0 is the traced one.
size_of() { echo "$SIZES" | cut -d' ' -f"$(( ($1 - 1) / (REPS + 1) + 1 ))"; }
rounds=$(( $(echo "$SIZES" | wc -w) * (REPS + 1) ))

bind_store() {
	export KSTATE_STORE="/mnt/pmem/s$1"
	mkdir -p "$KSTATE_STORE"
	chmod 700 "$KSTATE_STORE"
	kstate_boot
	check "boot$n-load-s$1-rc0" [ "$(cat /tmp/load.rc)" = 0 ]
}

# The profile: ftrace's function_graph tracer over every function of kstate.ko and of the
# demo (the filter is set before the demo is loaded), for the traced round's restore.
# Debian's kernel has no function profiler (CONFIG_FUNCTION_PROFILER is off), so the
# durations the graph tracer prints are summed here: inclusive time per function.  The
# three one-line accessors a walk calls for every entry are not traced (the tracer would
# cost more than they do); their time counts in their callers.
# "bench: iommu-stat,MAPPINGS,FUNCTION,HITS,TIME_US".
tr=/sys/kernel/tracing
profile_on() {
	mount -t tracefs nodev $tr 2>/dev/null
	if ! grep -qw function_graph $tr/available_tracers 2>/dev/null; then
		echo "bench: iommu-profile-missing,no function_graph tracer"
		return 0
	fi
	echo 0 >$tr/tracing_on
	echo 65536 >$tr/buffer_size_kb
	echo ':mod:kstate' >$tr/set_ftrace_filter
	echo ':mod:kstate_iommu_demo' >>$tr/set_ftrace_filter
	# and the kernel's calls a region open makes: finding the blocks as swapon does
	# (with its fsync), the DAX device, the direct map
	for f in iomap_swapfile_activate vfs_fsync_range ext4_sync_file jbd2_complete_transaction \
		 blkdev_issue_flush fs_dax_get_by_bdev dax_direct_access get_dev_pagemap \
		 dentry_open filp_open; do
		echo "$f" >>$tr/set_ftrace_filter 2>/dev/null
	done
	printf '%s\n' kstate_region_phys_to_virt kstate_region_page_addr kstate_region_pages \
		>$tr/set_ftrace_notrace
	echo function_graph >$tr/current_tracer
	echo funcgraph-tail >$tr/trace_options
	echo nofuncgraph-irqs >$tr/trace_options
	echo >$tr/trace
	echo 1 >$tr/tracing_on
}
profile_off() {
	[ "$(cat $tr/current_tracer 2>/dev/null)" = function_graph ] || return 0
	echo 0 >$tr/tracing_on
	# "CPU) [+!#*@$] DURATION us | name [mod]();" for a leaf,
	# "CPU) ... DURATION us | } /* name [mod] */" for the end of a call with callees.
	awk -F'|' -v m="$1" '
		NF >= 2 && match($1, /[0-9]+(\.[0-9]+)? us/) {
			t = substr($1, RSTART, RLENGTH - 3); f = $2
			if (f ~ /\/\* /) { sub(/.*\/\* /, "", f); sub(/ *\*\/.*/, "", f) }
			else if (f ~ /\(\);/) { sub(/\(\);.*/, "", f) }
			else next
			sub(/^ +/, "", f); sub(/ +\[.*/, "", f)
			hits[f]++; us[f] += t
		}
		END { for (f in hits) printf "bench: iommu-stat,%s,%s,%d,%.1f\n", m, f, hits[f], us[f] }
	' $tr/trace
	grep -q 'CPU:.*LOST\|LOST.*EVENTS' $tr/trace && echo "bench: iommu-profile-missing,events lost"
	echo nop >$tr/current_tracer
	echo >$tr/set_ftrace_filter
	echo >$tr/set_ftrace_notrace
	echo 1408 >$tr/buffer_size_kb
}

if [ "$n" = 1 ]; then
	mkfs_dax /dev/pmem0
	mount_dax /dev/pmem0 /mnt/pmem
	echo "bench: iommu,mappings,rep,build_ns,reattach_ns,verify_ns,restore_ns,table_pages"
else
	mount_dax /dev/pmem0 /mnt/pmem
	prev=$((n - 1))
	m=$(size_of $prev)
	rep=$(( (prev - 1) % (REPS + 1) ))
	bind_store $prev
	[ "$rep" = 0 ] && profile_on
	modprobe kstate_iommu_demo || abort "modprobe kstate_iommu_demo failed"
	[ "$rep" = 0 ] && profile_off "$m"
	check "restored-$m-$rep" [ "$(client .state iommu-demo)" = restored ]
	check "verified-$m-$rep" [ "$(client .detail.verified iommu-demo)" = "$m" ]
	check "same-root-$m-$rep" [ "$(client .detail.root_phys iommu-demo)" = "$(ctl_get "root_$prev")" ]
	[ "$rep" = 0 ] && kind=iommu-traced || kind=iommu
	echo "bench: $kind,$m,$rep,$(ctl_get "build_$prev"),$(client .detail.reattach_ns iommu-demo),$(
		client .detail.verify_ns iommu-demo),$(client .detail.restore_ns iommu-demo),$(
		client .detail.table_pages iommu-demo)"
	{ rmmod kstate_iommu_demo && rmmod kstate; } || abort "cannot unload the kstate modules"
	rm -rf "/mnt/pmem/s$prev"
fi

if [ "$n" -gt "$rounds" ]; then
	check kernel-log-clean kernel_log_clean
	done_scenario
fi
m=$(size_of "$n")
bind_store "$n"
modprobe kstate_iommu_demo mappings="$m" || abort "modprobe kstate_iommu_demo mappings=$m failed"
check "fresh-$m" [ "$(client .state iommu-demo)" = fresh ]
ctl_set "build_$n" "$(client .detail.build_ns iommu-demo)"
ctl_set "root_$n" "$(client .detail.root_phys iommu-demo)"
save_then kexec 6.1.0-56-amd64
