# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# cache.sh - guest helpers for the cache-keepalive scenarios (examples/cache-keepalive);
# source after lib.sh and kstate.sh.  The cache is the region "cache" of $KSTATE_STORE.
#
#   cache_modules                the modules a DAX store over memmap= PMEM needs, loaded
#   cache_before_event           new store on /dev/pmem0, cache filled and serving, the hit
#                                rate before the event in ctl cache_before
#   cache_fill                   create the cache (CACHE_CAPACITY blocks) and fill it
#   cache_serve_start            'run' the measured workload in the background ($CACHE_PID)
#   cache_serve_stop             SIGTERM it; check it stops cleanly (exit 0, a "stop" line)
#   cache_last_rate FILE         hit rate of the last full interval in a run's JSON lines
#   cache_consistent             pmempool check, then 'cache-keepalive check': all consistent
#   cache_lanes_to_recover       transactions the next open rolls back (pmempool info)
#   cache_after EVENT CLEAN      after the event: consistent, entries kept, the previous stop
#                                clean (CLEAN=true) or not, the warm cache's first second
#                                against a cold cache's, side by side; a note with the rates
#
# The workload: uniform reads of CACHE_BLOCKS blocks (capacity + 1/8) from a synthetic disk
# that costs CACHE_DELAY_US per miss, so a warm cache hits about 8 in 9 and a cold one
# next to none in its first second (at most 50 misses of 1152 blocks).

CACHE=cache-keepalive
CACHE_CAPACITY=1024
CACHE_BLOCKS=1152
CACHE_DELAY_US=20000
CACHE_POOL=$KSTATE_STORE/cache.region

cache_modules() {
	modprobe -a crc32c_generic nd_e820 nd_pmem ext4 ||
		abort "cache_modules: modprobe failed"
	wait_for /dev/pmem0 || abort "/dev/pmem0 did not appear"
}

# cache_before_event: a new store on /dev/pmem0, the cache filled, serving the measured
# workload ($CACHE_PID) long enough to record its hit rate (ctl cache_before).
cache_before_event() {
	store_new /dev/pmem0
	cache_fill
	cache_serve_start
	sleep 3
	ctl_set cache_before "$(cache_last_rate /tmp/serve.json)"
}

cache_fill() {
	$CACHE run --store "$KSTATE_STORE" --capacity $CACHE_CAPACITY --blocks $CACHE_BLOCKS \
		--delay-us 0 --ops 6000 --interval-ms 100000 >/tmp/fill.json ||
		abort "cache_fill: cache-keepalive run failed"
	say "cache filled: $(jq -c 'select(.event == "stop")' /tmp/fill.json) at $(uptime_s) s"
	check cache-created [ "$(jq -r 'select(.event == "start") | .created' /tmp/fill.json)" = true ]
	check cache-filled [ "$(jq -r 'select(.event == "stop") | .entries' /tmp/fill.json)" = \
		$CACHE_CAPACITY ]
}

cache_serve_start() {
	$CACHE run --store "$KSTATE_STORE" --blocks $CACHE_BLOCKS --delay-us $CACHE_DELAY_US \
		--seed 1 >/tmp/serve.json 2>/tmp/serve.err &
	CACHE_PID=$!
}

cache_serve_stop() {
	kill -TERM $CACHE_PID
	wait $CACHE_PID
	_rc=$?
	check serve-sigterm-exit-0 [ $_rc = 0 ]
	check serve-stop-line [ "$(jq -r 'select(.event == "stop") | .reason' /tmp/serve.json)" = \
		signal ]
}

cache_last_rate() {
	jq -r 'select(.event == "interval" and .t_ms >= 1000) | .hit_rate' "$1" | tail -n 1
}

cache_consistent() {
	pmempool check -v "$CACHE_POOL" >/tmp/pmempool.out 2>&1 || { cat /tmp/pmempool.out; return 1; }
	$CACHE check --store "$KSTATE_STORE" --json >/tmp/check.json || { cat /tmp/check.json; return 1; }
	[ "$(jq -r .consistent /tmp/check.json)" = true ]
}

# cache_first_second REGION OUT [--capacity N]: run the measured workload for 2 s on
# REGION; print the first interval's hit rate.
cache_first_second() {
	_region=$1 _out=$2; shift 2
	$CACHE run --store "$KSTATE_STORE" --region "$_region" --blocks $CACHE_BLOCKS \
		--delay-us $CACHE_DELAY_US --seed 2 --seconds 2 "$@" >"$_out" ||
		abort "cache-keepalive run --region $_region failed"
	jq -r 'select(.event == "interval") | .hit_rate' "$_out" | head -n 1
}

# cache_start_fields FILE KEY...: the KEYs of the "start" line of a run, in one line.
cache_start_fields() {
	_f=$1; shift
	jq -r "select(.event == \"start\") | [$(printf '.%s,' "$@" | sed 's/,$//')] | map(tostring) | join(\" \")" "$_f"
}

# ge A B: A >= B as decimals.
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# cache_lanes_to_recover: transactions an open would roll back (PMDK's pmempool reads the
# pool's lanes; run it before anything opens the pool).
cache_lanes_to_recover() {
	pmempool info --lanes --recovery "$CACHE_POOL" | grep -c '^Lane [0-9]'
}

cache_after() {
	_event=$1 _clean=$2
	_lanes=$(cache_lanes_to_recover)
	check pool-consistent cache_consistent
	_before=$(ctl_get cache_before)
	_warm=$(cache_first_second cache /tmp/warm.json)
	_cold=$(cache_first_second cold /tmp/cold.json --capacity $CACHE_CAPACITY)
	# One jq per file (each costs about 0.2 s under TCG).
	set -- $(cache_start_fields /tmp/warm.json entries pmem previous_stop_clean) \
		$(cache_start_fields /tmp/cold.json entries)
	check warm-entries-kept [ "$1" = $CACHE_CAPACITY ]
	check pool-mapped-as-pmem [ "$2" = true ]
	check warm-previous-stop-clean-$_clean [ "$3" = "$_clean" ]
	check cold-starts-empty [ "$4" = 0 ]
	note "$(cat /scenario/name): hit rate before=$_before, first second after the" \
		"$_event: warm=$_warm cold=$_cold (same workload; $CACHE_CAPACITY blocks of" \
		"4 KiB, $CACHE_BLOCKS on disk, $((CACHE_DELAY_US / 1000)) ms a miss);" \
		"transactions rolled back=$_lanes"
	# Warm: at least 90 % of the hit rate before; cold: next to nothing (under 10 % of it).
	check warm-first-second-ge-90pct ge "$_warm" "$(awk -v b="$_before" 'BEGIN { print 0.9 * b }')"
	check cold-first-second-lt-10pct ge "$(awk -v b="$_before" 'BEGIN { print 0.1 * b }')" "$_cold"
	check pool-consistent-after-runs cache_consistent
}
