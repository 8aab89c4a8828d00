#!/bin/sh
# cache-powercut: power cuts during a write-heavy workload of the block cache of
# examples/cache-keepalive (a libpmemobj pool in a kstate region on an fsdax namespace of an
# NFIT NVDIMM).  The host kills QEMU at a random moment of the workload (# vm: powercut=N);
# after each cut, before anything opens the pool, `pmempool check` and libpmemobj's own
# pmemobj_check() must find it consistent, and after libpmemobj's recovery the program's
# invariants must hold (index, LRU list, counters, every payload's CRC and content: no
# entry half-written).  `pmempool info --lanes --recovery` tells whether the cut hit a
# transaction.  The host prints "cache-powercut: cuts=N consistent=N".
# vm: nvdimm=1G
# vm: powercut=20
# vm: powercut-check=consistent
# vm: powercut-max-ms=1500
# vm: timeout=120
#
# Every second of a boot is paid once per cut, so the boots are lean, as kstate-powercut's:
# the kernel's ELF through PVH, no crypto self-tests, only warnings and worse on the
# console (the harness still sees every BUG, WARNING and Oops there).
# vm: pvh=1
# vm: append=cryptomgr.notests append=loglevel=5
. /guest/lib.sh
. /guest/kstate.sh
. /guest/cache.sh
modprobe -a crc32c_generic nfit nd_pmem ext4 || abort "modprobe of the pmem modules failed"
wait_for /sys/bus/nd/devices/region0 || abort "the NFIT region did not appear"

# Misses (3 in 4: 256 blocks cached of 1024) evict and insert, half the operations rewrite
# a block: every operation is a transaction that allocates, frees or logs a whole entry.
# The host's cut comes 200..1500 ms after the marker, which is printed once the program
# serves (its "start" line), so the cut lands in the workload, not in its start-up.
workload() {
	$CACHE run --store "$KSTATE_STORE" --blocks 1024 --write-pct 50 --delay-us 0 \
		--seed "$(phase)" >/tmp/serve.json 2>/tmp/serve.err &
	_pid=$!
	_i=0
	until grep -q '"event":"start"' /tmp/serve.json; do
		_i=$((_i + 1))
		[ $_i -gt 200 ] && abort "cache-keepalive run did not start: $(cat /tmp/serve.err)"
		sleep 0.05
	done
	say "serving from $(uptime_s) s"
	powercut_wait
	wait $_pid
	abort "cache-keepalive run stopped before the cut: $(cat /tmp/serve.err)"
}

# What the cut left, before recovery, then after it.
consistent() {
	_bad=0
	_lanes=$(cache_lanes_to_recover)
	# Written out with the check's result (ctl_add).
	echo "cache-lanes $(phase) $_lanes" >>$CTL
	say "recovery: $_lanes lane(s) with a transaction to roll back (at $(uptime_s) s)"
	cache_consistent || _bad=1
	# Serving when the power went, and not emptied by recovery.
	[ "$(jq -r '"\(.last_stop_clean) \(.entries > 0)"' /tmp/check.json)" = "false true" ] ||
		{ say "after the cut: $(cat /tmp/check.json)"; _bad=1; }
	[ $_bad = 0 ]
}

case $(phase) in
1)
	store_new_nvdimm
	# The cache exists before the first cut can come.
	$CACHE run --store "$KSTATE_STORE" --capacity 256 --blocks 1024 --delay-us 0 \
		--ops 300 >/dev/null || abort "cache-keepalive run failed"
	check cache-created cache_consistent
	workload
	;;
*)
	wait_for "$(ctl_get ns_dev)" || abort "$(ctl_get ns_dev) did not appear"
	store_mount "$(ctl_get ns_dev)"
	check consistent consistent
	if [ "$(ctl_get cuts)" -ge "$(ctl_get powercut)" ]; then
		note "cache-powercut: in-transaction=$(grep -c '^cache-lanes [0-9]* [1-9]' $CTL)" \
			"of cuts=$(ctl_get cuts)" \
			"(lanes to recover, pmempool info --lanes --recovery)"
		done_scenario
	fi
	workload
	;;
esac
