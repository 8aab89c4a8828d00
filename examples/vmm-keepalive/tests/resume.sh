#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# resume.sh VMM: a guest on real KVM keeps running across a VMM restart.
#
#   run -> SIGTERM -> verify -> resume -> SIGTERM -> verify: the counter continues
#   and the guest reports memory and registers intact; then the failure paths:
#   verify of a read-only copy, resume after kill -9 (refused, exit 3), verify of
#   corrupted guest RAM (exit 1), a resume whose top-of-RAM word was changed (the
#   guest's first work reports it).
# Exit 77 (skip) when /dev/kvm is missing or unusable.
set -u

VMM=${1:?usage: resume.sh PATH-TO-vmm-keepalive}
T=$(mktemp -d "${TMPDIR:-/tmp}/vmm-resume.XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# field JSON NAME: the value of a top-level number or boolean field.
field() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([0-9a-z]*\).*/\1/p"; }

# start NAME ARGS...: run the VMM in the background, output in $T/NAME.{out,err}.
start() {
	name=$1; shift
	"$VMM" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
}

# stop NAME: SIGTERM, wait, and set $rc and $json.
stop() {
	kill -TERM "$pid"
	wait "$pid"; rc=$?
	json=$(grep '"event":"suspended"' "$T/$1.out")
}

[ -e /dev/kvm ] || skip "/dev/kvm does not exist (no KVM on this machine)"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not readable and writable by $(id -un)"

S=$T/store
start run run --store "$S" --mem 64M
sleep 1.5
stop run
if [ "$rc" -ne 0 ] && grep -q -e '/dev/kvm' -e 'KVM_CREATE' "$T/run.err"; then
	skip "KVM is not usable: $(head -1 "$T/run.err")"
fi
[ "$rc" -eq 0 ] && pass "run exits 0 on SIGTERM" || fail "run exited $rc: $(cat "$T/run.err")"
echo "  $json"
c1=$(field "$json" guest_counter)
[ "$(field "$json" guest_ok)" = true ] && pass "guest ok at first suspend" ||
	fail "guest not ok at first suspend"
[ "${c1:-0}" -gt 0 ] && pass "guest counter $c1 > 0" || fail "guest counter '${c1}' not > 0"

out=$("$VMM" verify --store "$S"); rc=$?
echo "  $out"
[ "$rc" -eq 0 ] && [ "$(field "$out" guest_counter)" = "$c1" ] &&
	pass "verify after run" || fail "verify after run exited $rc"

start resume resume --store "$S" --console
sleep 1.5
stop resume
resumed=$(grep '"event":"resumed"' "$T/resume.out")
echo "  $resumed"
echo "  $json"
[ "$rc" -eq 0 ] && pass "resume exits 0 on SIGTERM" ||
	fail "resume exited $rc: $(cat "$T/resume.err")"
[ "$(field "$resumed" guest_counter)" = "$c1" ] &&
	pass "resume starts from the saved counter $c1" ||
	fail "resumed counter '$(field "$resumed" guest_counter)', saved $c1"
[ -n "$(field "$resumed" restore_us)" ] && pass "resume reports restore_us" ||
	fail "no restore_us in '$resumed'"
c2=$(field "$json" guest_counter)
[ "${c2:-0}" -gt "$c1" ] && pass "counter continues: $c1 -> $c2" ||
	fail "counter did not continue: $c1 -> '$c2'"
[ "$(field "$json" guest_ok)" = true ] &&
	pass "guest reports memory and registers intact after resume" ||
	fail "guest not ok after resume: $(grep result= "$T/resume.err")"

out=$("$VMM" verify --store "$S"); rc=$?
echo "  $out"
[ "$rc" -eq 0 ] && [ "$(field "$out" guest_counter)" = "$c2" ] &&
	pass "verify after resume" || fail "verify after resume exited $rc"

# The resumed guest's first real work is a read and a write at the top of its RAM, with
# all of RAM registered before its vCPU ran: it reports that on PORT_WORK, and the
# resumed line (restore_us) ends there.
[ "$(field "$resumed" first_work_ok)" = true ] &&
	pass "resumed guest's first work at the top of RAM: $(field "$resumed" restore_us) us" ||
	fail "no first work reported in '$resumed'"

# verify needs neither KVM nor a writable store: a read-only copy elsewhere will do.
cp -r "$S" "$T/copy" && chmod -R a-w "$T/copy"
out=$("$VMM" verify --store "$T/copy"); rc=$?
[ "$rc" -eq 0 ] && pass "verify of a read-only copy" || fail "verify of a copy exited $rc: $out"
chmod -R u+w "$T/copy"

# Corrupt one word of the check area in the copy: verify must notice.
printf 'X' | dd of="$T/copy/guest-ram.region" bs=1 seek=$((0x100000 + 4242)) conv=notrunc \
	2>/dev/null
"$VMM" verify --store "$T/copy" >/dev/null 2>"$T/verify-bad.err"; rc=$?
[ "$rc" -eq 1 ] && pass "verify finds corrupted guest RAM (exit 1)" ||
	fail "verify of corrupted RAM exited $rc, not 3"

# The top-of-RAM word changed behind the guest's back: its first work must notice.
cp -r "$S" "$T/top"
printf 'XXXX' | dd of="$T/top/guest-ram.region" bs=1 seek=$((64 * 1024 * 1024 - 64)) \
	conv=notrunc 2>/dev/null
start top resume --store "$T/top"
sleep 1.2
stop top
resumed=$(grep '"event":"resumed"' "$T/top.out")
[ "$(field "$resumed" first_work_ok)" = false ] && [ "$(field "$json" guest_ok)" = false ] &&
	pass "a changed top-of-RAM word is reported by the resumed guest" ||
	fail "changed top-of-RAM word not noticed: $resumed $json"

# A VMM killed while the guest runs leaves RAM newer than the saved vCPU state.
start crash resume --store "$S"
sleep 1
kill -KILL "$pid"; wait "$pid"
"$VMM" resume --store "$S" >/dev/null 2>"$T/stale.err"; rc=$?
[ "$rc" -eq 3 ] && pass "resume after kill -9 is refused (exit 3)" ||
	fail "resume after kill -9 exited $rc, not 4"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
