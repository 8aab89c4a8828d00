#!/bin/sh
# cache-kexec: the block cache of examples/cache-keepalive, a libpmemobj pool in a kstate
# region on DAX ext4 over memmap= PMEM, is as warm after a kexec into the other lab kernel
# as before it: the first second after shows at least 90 % of the hit rate before, where a
# cold cache serving the same workload next to it shows next to none.  The server is
# stopped with SIGTERM first (a clean stop); the pool is checked by pmempool and by the
# program's own invariants.
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
	cache_serve_stop
	check pool-consistent-before cache_consistent
	next_boot kexec other
	;;
2)
	store_mount /dev/pmem0
	cache_after kexec true
	done_scenario
	;;
esac
