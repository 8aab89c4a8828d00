#!/bin/sh
# qemu-damaged-state: kstate-qemu fails closed.  A suspended guest whose device-state
# record was damaged on PMEM is not resumed: kstate-qemu says why, starts no guest, and
# changes and deletes nothing (with the byte put back, the same guest resumes).  A record
# every checksum accepts but whose migration stream is cut short is refused by QEMU
# itself: the guest never runs and the store is unchanged.  A QEMU killed while its guest
# ran leaves RAM newer than any device state: refused until --fresh.
# vm: memmap=512M!1G
# vm: kernel=6.1.0-56-amd64
# vm: boots=1
# vm: timeout=900
. /guest/lib.sh
. /guest/kstate.sh
. /guest/qemu.sh
load_pmem

# unchanged_since LABEL: the record files and the live page are as saved by keep_sums.
keep_sums() { sha256sum "$KSTATE_STORE"/*.ksr "$KSTATE_STORE/$KQ_NAME-live.region" >"/tmp/sums-$1"; }
unchanged_since() { sha256sum "$KSTATE_STORE"/*.ksr "$KSTATE_STORE/$KQ_NAME-live.region" | cmp -s - "/tmp/sums-$1"; }
lines() { wc -l <"$KQ_SERIAL"; }
# refused LABEL RC TEXT: a start is refused with exit RC and a message with TEXT in it;
# no guest runs (no event, no line from the guest) and nothing in the store changes.
refused() {
	keep_sums "$1"
	_lines=$(lines)
	kq_try start "$KQ_NAME" >"/tmp/kq-ev-$1" 2>"/tmp/kq-err-$1"
	check "$1-refused-rc$2" [ $? = "$2" ]
	cat "/tmp/kq-err-$1"
	check "$1-says-why" grep -q "$3" "/tmp/kq-err-$1"
	check "$1-no-guest" test ! -s "/tmp/kq-ev-$1" -a "$(lines)" = "$_lines"
	check "$1-nothing-changed" unchanged_since "$1"
}

store_new /dev/pmem0
kstate init >/dev/null
kq_boot_and_suspend
saved=$(kq_counter)

# 1. One byte of the sealed record flipped on PMEM.
rec=$(ls "$KSTATE_STORE/$KQ_NAME".*.ksr)
cp "$rec" /tmp/rec.good
off=$(( $(stat -c %s "$rec") / 2 ))
printf '\377' | dd of="$rec" bs=1 seek=$off count=1 conv=notrunc 2>/dev/null
cmp -s "$rec" /tmp/rec.good || printf '\000' | dd of="$rec" bs=1 seek=$off count=1 conv=notrunc 2>/dev/null
refused damaged 1 "checksum"
check damaged-verify-fails-too sh -c '! kstate verify >/dev/null 2>&1'
kq status "$KQ_NAME" --json >/tmp/kq-st-damaged
check damaged-status-not-resumable [ "$(jq -r '.state + " " + (.resumable | tostring)' /tmp/kq-st-damaged)" = "suspended false" ]

# Nothing was deleted: with the byte put back the same guest resumes and counts on.
cp /tmp/rec.good "$rec"
kq_resume
check repaired-resumes kq_event resumed 300
check repaired-counts-on kq_count_after "$saved"
check repaired-memory-intact kq_memory_check
kq_suspend
check suspend-2-rc0 [ "$(cat /tmp/kq-suspend.rc)" = 0 ]

# 2. A stream every checksum accepts, cut short: only QEMU can tell.
check forged kq-forge "$KSTATE_STORE" "$KQ_NAME" 65536
refused forged 1 "QEMU did not take the device state"

# 3. QEMU killed while the guest runs: its RAM is newer than any saved device state.
: >/tmp/kq-events
kq start "$KQ_NAME" --fresh -- -accel tcg -nodefaults -display none -vga none -nic none \
	-kernel /scenario/kq-guest.elf -append "area=64 fill=1" \
	-chardev "file,id=s0,path=$KQ_SERIAL.fresh,append=on" -serial chardev:s0 \
	>>/tmp/kq-events 2>>/tmp/kq-err &
KQ_BG=$!
check fresh-boots kq_event booted 300
check fresh-counts kq_wait '^kq n=100 ' "$KQ_SERIAL.fresh" 300
kill -9 "$(kq_supervisor_pid)"
sleep 1
refused stale 5 "newer than any saved device state"
kq_messages
check kernel-log-clean kernel_log_clean
done_scenario
