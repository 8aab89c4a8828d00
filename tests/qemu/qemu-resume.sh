#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# qemu-resume.sh KSTATE_QEMU KQ_GUEST KSTATE - kstate-qemu on the host (suite vmm):
# a real QEMU (TCG) runs kq-guest with its RAM in a region of a store on disk; it is
# suspended (QEMU exits) and resumed by a new QEMU, and must count on from where it
# stopped with its memory intact.  Along the way: the refusals that keep a guest from
# running on inconsistent state (other QEMU arguments, a damaged record, a QEMU killed
# while running), and that a refusal changes and deletes nothing.
set -u
KQ=$1 GUEST=$2 KSTATE=$3 FORGE=$4

command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

tmp=$(mktemp -d /tmp/kq-test.XXXXXX)
S=$tmp/store R=$tmp/run SER=$tmp/serial.log
sup_pid=""
cleanup() {
	[ -n "$sup_pid" ] && kill -9 "$sup_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failures=0 checks=0
check() {	# check NAME CMD...
	checks=$((checks + 1))
	if "${@:2}"; then echo "  ok   $1"; else echo "  FAIL $1"; failures=$((failures + 1)); fi
}
# wait_for REGEX FILE SECONDS: a line of FILE matches (grep -E).
wait_for() {
	local i
	for i in $(seq $(($3 * 10))); do
		grep -qE "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "  (no '$1' in $2 after $3 s)"
	return 1
}
counter_in_ram() {	# the guest's RAM mirror of its counter (kq-guest.h, KQ_STATUS_ADDR + 4)
	od -An -t u4 -j $((0x200004)) -N 4 "$S/vm1-ram.region" | tr -d ' '
}
magic_in_ram() {
	od -An -t x4 -j $((0x200000)) -N 4 "$S/vm1-ram.region" | tr -d ' '
}
last_count() {	# the last "kq n=N" the guest printed
	sed -n 's/^kq n=\([0-9]*\) .*/\1/p' "$SER" | tail -1
}
KQA=(--store "$S" --run-dir "$R" --timeout 60)
kq() { "$KQ" "${KQA[@]}" "$@"; }
# A start that must be refused, killed after 120 s if it resumes the guest instead.
kq_try() { timeout 120 "$KQ" "${KQA[@]}" "$@"; }
jqt() { jq -e "$1" "$2" >/dev/null; }	# jqt FILTER FILE: FILTER is true
# gone PID: the process exited (a zombie nobody reaped yet counts as gone).
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
qemu_pid() { jq -r 'select(.qemu_pid) | .qemu_pid' "$1" | tail -1; }

QEMU_ARGS=(-accel tcg -nodefaults -display none -vga none -nic none -kernel "$GUEST"
	-append "area=256 fill=4" -chardev "file,id=s0,path=$SER,append=on" -serial chardev:s0)

mkdir -m 700 "$S"
"$KSTATE" --store "$S" init >/dev/null 2>&1 || { echo "kstate init failed"; exit 1; }

echo "boot: a new guest, 16 MiB of RAM in region vm1-ram"
"$KQ" "${KQA[@]}" start vm1 --ram 16M -- "${QEMU_ARGS[@]}" >"$tmp/ev1" 2>"$tmp/err1" &
sup_pid=$!
check booted wait_for '"event":"booted"' "$tmp/ev1" 30
check counting wait_for '^kq n=300 ' "$SER" 60
kq start vm1 -- -accel tcg >/dev/null 2>&1
check running-is-busy-6 [ $? = 6 ]
qemu1=$(qemu_pid "$tmp/ev1")

echo "suspend: device state into the store, QEMU exits"
kq suspend vm1 --json >"$tmp/susp1" 2>"$tmp/serr1"
check suspend-rc0 [ $? = 0 ]
wait "$sup_pid"
check supervisor-exit0 [ $? = 0 ]
sup_pid=""
check qemu-gone gone "$qemu1"
gen1=$(jq -r .generation "$tmp/susp1")
stream=$(jq -r .stream_bytes "$tmp/susp1")
echo "  suspended into generation $gen1: $(jq -c '{suspend_us,stop_us,migrate_us,persist_us,commit_us,stream_bytes}' "$tmp/susp1")"
# x-ignore-shared and the region backend: guest RAM is not in the stream.
check stream-is-device-state-only test "$stream" -gt 0 -a "$stream" -lt $(( (16 << 20) / 4 ))
check ram-in-region [ "$(magic_in_ram)" = 4b514753 ]
saved=$(counter_in_ram)
check counter-in-region test "$saved" -ge 300 -a "$saved" -ge "$(last_count)"
kq status vm1 --json >"$tmp/st1"
check status-suspended jqt '.state == "suspended" and .resumable and .generation == '"$gen1" "$tmp/st1"
check store-verifies "$KSTATE" --store "$S" verify >/dev/null
"$KSTATE" --store "$S" region list --json >"$tmp/regions"
check regions-listed jqt '[.regions[] | select(.state == "ok") | .name] == ["vm1-live","vm1-ram"]' "$tmp/regions"

echo "refusals: nothing runs, nothing changes"
rec=$(ls "$S"/vm1.*.ksr)
sum_before=$(sha256sum "$rec" "$S/vm1-live.region" | sha256sum)
lines_before=$(wc -l <"$SER")
kq_try start vm1 -- -accel tcg -nodefaults -kernel "$GUEST" >/dev/null 2>"$tmp/err-args"
check other-args-refused-5 [ $? = 5 ]
check other-args-says-why grep -q "other QEMU arguments" "$tmp/err-args"
# One byte of the migration stream flipped: the record's checksum catches it.
cp "$rec" "$tmp/rec.good"
off=$(( $(stat -c %s "$rec") / 2 ))
printf '\xff' | dd of="$rec" bs=1 seek=$off count=1 conv=notrunc status=none
cmp -s "$rec" "$tmp/rec.good" || printf '\x00' | dd of="$rec" bs=1 seek=$off count=1 conv=notrunc status=none
damaged=$(sha256sum "$rec")
kq_try start vm1 >"$tmp/ev-bad" 2>"$tmp/err-bad"
check damaged-refused-1 [ $? = 1 ]
check damaged-says-why grep -q "device state is refused" "$tmp/err-bad"
echo "  $(cat "$tmp/err-bad")"
check damaged-not-started test ! -s "$tmp/ev-bad" -a "$(wc -l <"$SER")" = "$lines_before"
check damaged-file-kept [ "$(sha256sum "$rec")" = "$damaged" ]
kq status vm1 --json >"$tmp/st-bad"
check status-damaged jqt '.state == "suspended" and (.resumable | not) and (.saved_error | length > 0)' "$tmp/st-bad"
cp "$tmp/rec.good" "$rec"
check unchanged [ "$(sha256sum "$rec" "$S/vm1-live.region" | sha256sum)" = "$sum_before" ]

echo "resume: a new QEMU, the saved arguments, the same RAM"
"$KQ" "${KQA[@]}" start vm1 >"$tmp/ev2" 2>"$tmp/err2" &
sup_pid=$!
check resumed wait_for '"event":"resumed"' "$tmp/ev2" 60
echo "  $(grep resumed "$tmp/ev2" | jq -c '{generation,restore_us,open_us,spawn_us,load_us,cont_us,stream_bytes}')"
check resumed-generation jqt 'select(.event == "resumed") | .generation == '"$gen1" "$tmp/ev2"
qemu2=$(qemu_pid "$tmp/ev2")
check counts-on wait_for "^kq n=$(( (saved / 100 + 2) * 100 )) " "$SER" 60
kq qmp vm1 inject-nmi >/dev/null
check memory-intact wait_for "^kq check n=[0-9]+ area=ok fill=ok" "$SER" 60
n_check=$(sed -n 's/^kq check n=\([0-9]*\) .*/\1/p' "$SER" | tail -1)
check check-after-resume [ "${n_check:-0}" -ge "$saved" ]
check no-reboot [ "$(grep -c '^kq boot' "$SER")" = 1 ]
check no-errors bash -c "! grep -E '^kq .*(bad=[1-9]|mm=[1-9]|BAD|fault)' '$SER'"
kq discard vm1 >/dev/null 2>&1
check discard-while-running-6 [ $? = 6 ]

echo "QEMU killed while running: RAM is newer than the device state"
kill -9 "$sup_pid"
wait "$sup_pid" 2>/dev/null
sup_pid=""
sleep 0.5
check qemu-died-with-supervisor gone "$qemu2"
kq_try start vm1 >/dev/null 2>"$tmp/err-stale"
check stale-refused-5 [ $? = 5 ]
check stale-says-why grep -q "newer than any saved device state" "$tmp/err-stale"
QEMU_ARGS[${#QEMU_ARGS[@]}-3]="file,id=s0,path=$tmp/serial2,append=on"
"$KQ" "${KQA[@]}" start vm1 --fresh -- "${QEMU_ARGS[@]}" >"$tmp/ev3" 2>"$tmp/err3" &
sup_pid=$!
check fresh-boots wait_for '"event":"booted"' "$tmp/ev3" 30
check fresh-boots-again wait_for '^kq n=100 ' "$tmp/serial2" 60
kq suspend vm1 >/dev/null
check suspend2-rc0 [ $? = 0 ]
wait "$sup_pid"
sup_pid=""

echo "a stream every checksum accepts but QEMU cannot load: QEMU refuses, nothing runs"
"$FORGE" "$S" vm1 65536 >"$tmp/forge" 2>&1
check forged [ $? = 0 ]
gen_forged=$(sed -n 's/^kq-forge: generation \([0-9]*\):.*/\1/p' "$tmp/forge")
rec=$(ls "$S"/vm1.*.ksr | tail -1)
sum_before=$(sha256sum "$rec" "$S/vm1-live.region" | sha256sum)
lines_before=$(wc -l <"$tmp/serial2")
kq_try start vm1 >"$tmp/ev-forged" 2>"$tmp/err-forged"
check forged-refused-1 [ $? = 1 ]
check forged-qemu-refused grep -q "QEMU did not take the device state" "$tmp/err-forged"
echo "  $(grep -v '^qemu-system' "$tmp/err-forged" | tail -1)"
check forged-not-run test ! -s "$tmp/ev-forged" -a "$(wc -l <"$tmp/serial2")" = "$lines_before"
check forged-unchanged [ "$(sha256sum "$rec" "$S/vm1-live.region" | sha256sum)" = "$sum_before" ]
kq status vm1 --json >"$tmp/st-forged"
check forged-still-suspended jqt '.state == "suspended" and .generation == '"${gen_forged:-0}" "$tmp/st-forged"
kq discard vm1 --json >"$tmp/disc1"
check discarded-rc0 [ $? = 0 ]
"$KSTATE" --store "$S" list --json >"$tmp/list"
check newest-has-no-vm1 jqt '[.entries[] | select(.name | startswith("vm1"))] == []' "$tmp/list"
# The previous generation, still kept, lists the regions: their files stay until gc.
check files-kept-while-listed jqt '.region_files_kept' "$tmp/disc1"
check store-verifies-after "$KSTATE" --store "$S" verify >/dev/null
"$KSTATE" --store "$S" gc --keep 1 >/dev/null
kq discard vm1 --json >"$tmp/disc2"
check discarded-files-gone test $? = 0 -a ! -e "$S/vm1-ram.region" -a ! -e "$S/vm1-live.region"

echo "$checks checks, $failures failures"
if [ $failures -ne 0 ]; then
	echo "--- supervisor stderr:"; cat "$tmp"/err* 2>/dev/null | tail -20
	echo "--- serial:"; tail -5 "$SER"
fi
[ $failures -eq 0 ]
