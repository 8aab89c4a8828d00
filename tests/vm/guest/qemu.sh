# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# qemu.sh - guest helpers for the qemu-* scenarios: a QEMU inside the lab VM (TCG in
# TCG) runs kq-guest (tests/qemu/guest) under kstate-qemu, with guest RAM in a region of
# the store on DAX.  Source after lib.sh and kstate.sh; the scenario's NAME.setup is
# tests/vm/tools/install-qemu.
#
#   kq ARGS...             kstate-qemu on this store, run directory /run/kq
#   kq_try ARGS...         the same, killed after 300 s (a start that should be refused
#                          but resumes would otherwise supervise its guest forever)
#   kq_boot                boot kq-guest anew (16 MiB RAM) in the background
#   kq_resume              resume it from the store in the background
#   kq_wait REGEX FILE S   wait up to S seconds for a line of FILE matching REGEX
#   kq_event EVENT S       wait up to S seconds for kstate-qemu's EVENT
#                          (kq_wait and kq_event fail at once when the start in the
#                          background, $KQ_BG, has exited)
#   kq_suspend             suspend it; the event in /tmp/kq-suspend.json, rc in /tmp/kq-suspend.rc
#   kq_counter             the guest's counter, read from its RAM (the region file)
#   kq_count_after N       wait for the guest to print a count above N with no error
#   kq_memory_check        ask the guest (NMI) to check all its memory; wait for "ok"
#   kq_supervisor_pid      the pid of the running kstate-qemu start
#   kq_boot_and_suspend    boot, let it count, suspend; checks, and its counter in ctl kq_count
#   kq_resume_and_check    resume; checks that it counts on from kq_count with its memory
#                          intact and was not booted again, then suspends it again
#   kq_messages            kstate-qemu's and QEMU's messages so far, into the serial log
# The inner guest's serial log is $KQ_SERIAL (a new one per boot), kstate-qemu's events
# /tmp/kq-events (emptied at each start), its messages /tmp/kq-err.

KQ_NAME=vm1
KQ_RUN=/run/kq
KQ_SERIAL=/tmp/kq-serial.log
export PATH="/scenario/qemu/usr/bin:/scenario:$PATH"
export LD_LIBRARY_PATH="/scenario/qemu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

kq() {
	kstate-qemu --store "$KSTATE_STORE" --run-dir "$KQ_RUN" --timeout 300 "$@"
}

kq_try() {
	timeout 300 kstate-qemu --store "$KSTATE_STORE" --run-dir "$KQ_RUN" --timeout 240 "$@"
}

# Each start gets a new events file, so that waiting for its event cannot match an
# event of an earlier start.
kq_boot() {
	: >/tmp/kq-events
	kq start "$KQ_NAME" --ram 16M -- -accel tcg -nodefaults -display none -vga none \
		-nic none -kernel /scenario/kq-guest.elf -append "area=64 fill=1" \
		-chardev "file,id=s0,path=$KQ_SERIAL,append=on" -serial chardev:s0 \
		>>/tmp/kq-events 2>>/tmp/kq-err &
	KQ_BG=$!
}

kq_resume() {
	: >/tmp/kq-events
	kq start "$KQ_NAME" >>/tmp/kq-events 2>>/tmp/kq-err &
	KQ_BG=$!
}

# kq_gone: the kstate-qemu start in the background ($KQ_BG) has exited.
kq_gone() {
	[ -n "$KQ_BG" ] && { [ ! -e "/proc/$KQ_BG" ] ||
		grep -q '^State:[[:space:]]*Z' "/proc/$KQ_BG/status" 2>/dev/null; }
}

# kq_wait REGEX FILE S; when the start in the background exits (its QEMU is gone), the
# line will never come: fail at once.
kq_wait() {
	_n=0
	while [ $_n -lt "$3" ]; do
		grep -qE "$1" "$2" 2>/dev/null && return 0
		if kq_gone; then
			grep -qE "$1" "$2" 2>/dev/null && return 0
			say "no '$1' in $2: kstate-qemu start has exited"
			return 1
		fi
		sleep 1
		_n=$((_n + 1))
	done
	say "no '$1' in $2 after $3 s"
	return 1
}

# kq_event EVENT S: the start in the background printed EVENT (JSON, on its stdout).
kq_event() {
	kq_wait "\"event\":\"$1\"" /tmp/kq-events "$2"
}

kq_supervisor_pid() {
	cat "$KQ_RUN/$KQ_NAME.pid" 2>/dev/null
}

kq_suspend() {
	_sup=$(kq_supervisor_pid)
	kq suspend "$KQ_NAME" --json >/tmp/kq-suspend.json
	echo $? >/tmp/kq-suspend.rc
	cat /tmp/kq-suspend.json
	# The supervisor and its QEMU are gone before the machine goes down.
	while [ -n "$_sup" ] && [ -e "/proc/$_sup" ]; do sleep 0.2; done
}

kq_counter() {
	od -An -t u4 -j $((0x200004)) -N 4 "$KSTATE_STORE/$KQ_NAME-ram.region" | tr -d ' '
}

# kq_count_after N: the guest prints a count above N, and no error so far.
kq_count_after() {
	_want=$(( ($1 / 100 + 2) * 100 ))
	kq_wait "^kq n=$_want " "$KQ_SERIAL" 300 &&
		! grep -E '^kq .*(bad=[1-9]|mm=[1-9]|BAD|fault)' "$KQ_SERIAL"
}

kq_memory_check() {
	kq qmp "$KQ_NAME" inject-nmi >/dev/null &&
		kq_wait '^kq check n=[0-9]+ area=ok fill=ok' "$KQ_SERIAL" 300
}

kq_boot_and_suspend() {
	kq_boot
	check guest-booted kq_event booted 300
	check guest-counting kq_wait '^kq n=200 ' "$KQ_SERIAL" 300
	kq_suspend
	check suspend-rc0 [ "$(cat /tmp/kq-suspend.rc)" = 0 ]
	ctl_set kq_count "$(kq_counter)"
	ctl_set kq_gen "$(jq -r .generation /tmp/kq-suspend.json)"
	check counter-in-region [ "$(kq_counter)" -ge 200 ]
	kq_messages
}

kq_resume_and_check() {
	check ram-survived [ "$(kq_counter)" = "$(ctl_get kq_count)" ]
	kq_resume
	if ! check resumed kq_event resumed 300; then
		kq_messages
		return 1
	fi
	grep resumed /tmp/kq-events
	check counts-on kq_count_after "$(ctl_get kq_count)"
	check memory-intact kq_memory_check
	check not-rebooted [ "$(grep -c '^kq boot' "$KQ_SERIAL")" = 0 ]
	kq_suspend
	check suspend-again [ "$(cat /tmp/kq-suspend.rc)" = 0 ]
	kq_messages
}

# What kstate-qemu and QEMU said on stderr, into the serial log.
kq_messages() {
	[ -s /tmp/kq-err ] && sed 's/^/kq-err: /' /tmp/kq-err
	return 0
}
