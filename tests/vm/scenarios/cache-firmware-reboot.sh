#!/bin/sh
# cache-firmware-reboot: the block cache of examples/cache-keepalive (a libpmemobj pool in a
# kstate region on DAX ext4 over memmap= PMEM) is warm after a firmware reset that hits it
# while it serves: libpmemobj's recovery rolls back the transaction the reset interrupted,
# pmempool and the program's invariants find the pool consistent, and the first second
# after shows at least 90 % of the hit rate before, where a cold cache serving the same
# workload next to it shows next to none.
# vm: memmap=512M!1G
# vm: boots=2
# vm: timeout=300
# vm: pvh=1
# vm: append=cryptomgr.notests append=loglevel=5
. /guest/lib.sh
. /guest/kstate.sh
. /guest/cache.sh
cache_modules

case $(phase) in
1)
	cache_before_event
	# Still serving: the reset lands in the middle of its transactions.
	kill -0 $CACHE_PID || abort "the cache server stopped on its own"
	next_boot reset
	;;
2)
	store_mount /dev/pmem0
	cache_after "firmware reset" false
	done_scenario
	;;
esac
