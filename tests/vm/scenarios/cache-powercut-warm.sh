#!/bin/sh
# cache-powercut-warm: the block cache of examples/cache-keepalive (a libpmemobj pool in a
# kstate region on an fsdax namespace of an NFIT NVDIMM) is warm after a power cut that
# hits it while it serves: the host kills QEMU (# vm: powercut=1) and starts a new one on
# the same NVDIMM backing file; pmempool and the program's invariants find the pool
# consistent, the previous stop unclean, and the first second after shows at least 90 % of
# the hit rate before, where a cold cache serving the same workload next to it shows next
# to none.  The host prints "cache-powercut-warm: cuts=1 pool-consistent=1".
# vm: nvdimm=1G
# vm: powercut=1
# vm: powercut-check=pool-consistent
# vm: powercut-max-ms=600
# vm: timeout=120
# vm: pvh=1
# vm: append=cryptomgr.notests append=loglevel=5
. /guest/lib.sh
. /guest/kstate.sh
. /guest/cache.sh
cache_modules nvdimm

case $(phase) in
1)
	cache_before_event store_new_nvdimm
	# Still serving: the host cuts the power 200..600 ms after the marker.
	kill -0 $CACHE_PID || abort "the cache server stopped on its own"
	powercut_wait
	wait $CACHE_PID
	abort "the cache server stopped before the power cut: $(cat /tmp/serve.err)"
	;;
2)
	wait_for "$(ctl_get ns_dev)" || abort "$(ctl_get ns_dev) did not appear"
	store_mount "$(ctl_get ns_dev)"
	cache_after "power cut" false
	done_scenario
	;;
esac
