#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# cli.sh CACHE-KEEPALIVE: the program driven as an operator would, on a scratch store:
# create and fill, warm again after a clean stop and after SIGKILL, stats and check (text,
# JSON, exit codes), refusals (in use, wrong capacity, no such store or cache, bad
# options), and check finding a damaged pool.
set -uo pipefail
prog=$1
for p in jq pmempool; do
	command -v $p >/dev/null || { echo "SKIP: $p not found; run scripts/install-deps"; exit 77; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/cache-cli.XXXXXX")
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
store=$dir/store pid=""
export PMEM_IS_PMEM_FORCE=1
fails=0

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect CODE DESCRIPTION CMD...: CMD exits CODE.
expect() {
	local want=$1 what=$2 rc; shift 2
	"$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else
		bad "$what: exit $rc, $want expected"; cat "$dir/out" "$dir/err"; fi
}
# field FILE EVENT KEY
field() { jq -r "select(.event == \"$2\") | .$3" "$1"; }
# same A B WHAT
same() { if [ "$1" = "$2" ]; then ok "$3: $1"; else bad "$3: '$1', '$2' expected"; fi; }

expect 0 "run creates and fills" $prog run --store "$store" --capacity 64 --blocks 64 \
	--delay-us 0 --ops 600 --interval-ms 50
cp "$dir/out" "$dir/fill.json"
same "$(field "$dir/fill.json" start created)" true "created"
same "$(field "$dir/fill.json" stop reason)" ops "stopped after --ops"
same "$(field "$dir/fill.json" stop ops)" 600 "operations"
same "$(field "$dir/fill.json" stop entries)" 64 "full"
[ "$(grep -c '"event":"interval"' "$dir/fill.json")" -gt 0 ] && ok "interval lines" ||
	bad "no interval lines"

expect 0 "check" $prog check --store "$store"
grep -q '^consistent  *true$' "$dir/out" && ok "check says consistent" || bad "check text"
expect 0 "stats --json" $prog stats --store "$store" --json
jq -e '.entries == 64 and .capacity == 64 and .state == "idle" and .runs == 1 and
	.clean_stops == 1 and .since_start.misses + .since_start.hits == 600 and
	.total.inserts - .total.evictions == 64 and .health.consistent and
	.health.invariants == "ok" and .health.pmemobj_check == "consistent"' "$dir/out" \
	>/dev/null && ok "stats fields" || { bad "stats fields"; cat "$dir/out"; }

# Warm after a clean stop: the same blocks are hits at once.
expect 0 "run again (warm)" $prog run --store "$store" --blocks 64 --delay-us 0 --ops 200
same "$(field "$dir/out" start entries)" 64 "entries at start"
same "$(field "$dir/out" start previous_stop_clean)" true "previous stop clean"
same "$(field "$dir/out" stop hit_rate)" 1 "hit rate over the cached blocks"

# In use: stats, check and a second run refuse; SIGTERM stops cleanly.
$prog run --store "$store" --delay-us 1000 >"$dir/serve.json" 2>"$dir/serve.err" &
pid=$!
for _ in $(seq 50); do grep -q '"event":"start"' "$dir/serve.json" && break; sleep 0.1; done
expect 6 "stats while serving" $prog stats --store "$store"
grep -q "another process has the pool open" "$dir/err" && ok "says why" || bad "busy message"
expect 6 "a second run" $prog run --store "$store" --ops 1
kill -TERM $pid; wait $pid
same "$?" 0 "SIGTERM exit status"
same "$(field "$dir/serve.json" stop reason)" signal "stop reason"

# SIGKILL while serving: the next session knows, and the pool is consistent.
$prog run --store "$store" --blocks 200 --write-pct 50 --delay-us 0 >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -KILL $pid; wait $pid 2>/dev/null
expect 0 "check after SIGKILL" $prog check --store "$store" --json
jq -e '.consistent and (.last_stop_clean | not)' "$dir/out" >/dev/null &&
	ok "consistent, last stop unclean" || { bad "check after SIGKILL"; cat "$dir/out"; }
expect 0 "run after SIGKILL" $prog run --store "$store" --ops 10 --delay-us 0
same "$(field "$dir/out" start previous_stop_clean)" false "previous stop unclean"

# Refusals and usage.
expect 1 "another capacity" $prog run --store "$store" --capacity 65 --ops 1
expect 3 "no such cache" $prog check --store "$store" --region other
expect 3 "no such cache for run without --capacity" $prog run --store "$store" --region other
expect 3 "no such store" $prog stats --store "$dir/none"
expect 2 "no command" $prog
expect 2 "unknown command" $prog frobnicate
expect 2 "unknown option" $prog run --frob
expect 2 "workload option for check" $prog check --store "$store" --ops 3
expect 2 "bad number" $prog run --store "$store" --capacity lots
expect 2 "write percent" $prog run --store "$store" --write-pct 101
expect 1 "bad block size" $prog run --store "$store" --region b --capacity 4 --block-size 3000
expect 0 "--help" $prog --help
expect 0 "--version" $prog --version

# Damage, at offsets layout.h gives: a payload byte of the most recently used entry (the
# root's lru_head, at 48), then the root's capacity (at 16).
pool=$store/cache.region
root=$(pmempool info "$pool" | sed -n 's/^Root offset *: *//p')
u64() { od -An -t u8 -j $(($2)) -N 8 "$1" | tr -d ' '; }
head=$(u64 "$pool" $((root + 48)))
printf 'X' | dd of="$pool" bs=1 seek=$((head + 64 + 100)) conv=notrunc 2>/dev/null
expect 1 "check finds a torn payload" $prog check --store "$store"
grep -q "half-written" "$dir/err" && ok "names it: $(cat "$dir/err")" ||
	{ bad "damage message"; cat "$dir/err"; }
printf '\377\377\377\377' | dd of="$pool" bs=1 seek=$((root + 16)) conv=notrunc 2>/dev/null
expect 1 "check finds an impossible root" $prog check --store "$store" --json
grep -q "impossible geometry" "$dir/err" && jq -e '.consistent == false' "$dir/out" >/dev/null &&
	ok "names it: $(cat "$dir/err")" || { bad "root damage"; cat "$dir/out" "$dir/err"; }

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
