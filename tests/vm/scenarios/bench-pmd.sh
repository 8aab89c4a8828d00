#!/bin/sh
# bench-pmd: kstate-bench in the guest, on DAX ext4 over memmap= PMEM.  What a commit
# costs there, counted by the kernel (fsync-family system calls, jbd2 journal commits);
# restoring a region (open, validate, map) costs the same at 64 MiB as at 512 MiB; the
# first touch of a restored 512 MiB region is mapped by PMDs: one fault per 2 MiB.
# Counts and growth ratios only: under TCG absolute times and speed ratios mean nothing.
# Prints "bench: NAME JSON" lines that scripts/bench collects from the serial log.
# vm: memmap=1G!1G
# vm: mem=3G
# vm: timeout=900
. /guest/lib.sh
load_pmem

bench=$(find / -xdev -type f -name kstate-bench 2>/dev/null | head -n 1)
[ -n "$bench" ] || abort "kstate-bench is not in the guest: build with -Dtests=true"
emit() { echo "bench: $1 $(jq -c . "$2")"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# stride=512 (2 MiB of 4 KiB blocks): ext4 aligns large allocations to it, so the
# region's blocks start on 2 MiB boundaries of the device and fsdax can map PMDs.
mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 /dev/pmem0 ||
	abort "mkfs.ext4 -E stride=512 /dev/pmem0 failed"
mount_dax /dev/pmem0 /mnt/pmem
store=/mnt/pmem/bench
tr=/sys/kernel/tracing
mount -t tracefs nodev $tr 2>/dev/null

# ---- commits on fsdax: fsync-equivalents and journal commits per commit ----------------
# A save run brings the store to the steady state (each commit reuses the blocks of the
# record file the previous one freed); then only commits run, with the kernel counting
# every fsync-family call kstate-bench makes and every jbd2 commit of the filesystem.
"$bench" save --dir /mnt/pmem/save --bytes 32M --record 64K --reps 2 -o /tmp/save.json ||
	abort "kstate-bench save failed"
check commit-store-is-dax [ "$(jq -r .store_is_dax /tmp/save.json)" = true ]
sc=$tr/events/syscalls
[ -d $sc/sys_enter_fsync ] || abort "no syscall trace events in this kernel"
echo 0 >$tr/tracing_on
echo >$tr/trace
for e in fsync fdatasync syncfs sync sync_file_range msync; do
	echo 1 >$sc/sys_enter_$e/enable
done
jbd=$(ls -d /proc/fs/jbd2/pmem0* | head -n 1)
jbd2_commits() { sed -n 's/^\([0-9]*\) transactions.*/\1/p' "$jbd/info"; }
j0=$(jbd2_commits)
echo 1 >$tr/tracing_on
commits=5
check commit-loop "$bench" commit --dir /mnt/pmem/save --bytes 32M --record 64K \
	--reps $commits -o /tmp/commit.json
echo 0 >$tr/tracing_on
j1=$(jbd2_commits)
for e in fsync fdatasync syncfs sync sync_file_range msync; do
	echo 0 >$sc/sys_enter_$e/enable
done
grep 'kstate-bench' $tr/trace | grep -c 'sys_.*(' >/tmp/nsync || true
grep 'kstate-bench' $tr/trace | sed -n 's/.*\(sys_[a-z_]*\)(.*/\1/p' | sort | uniq -c
jq --argjson calls "$(cat /tmp/nsync)" --argjson jbd "$((j1 - j0))" --argjson n $commits \
	'. + {fsync_calls: $calls, jbd2_commits: $jbd,
	      fsyncs_per_commit: ($calls / $n), jbd2_commits_per_commit: ($jbd / $n)}' \
	/tmp/commit.json >/tmp/commit-count.json
emit commit-fsyncs /tmp/commit-count.json
check commit-fsyncs-at-most-3 ge 3 "$(jq .fsyncs_per_commit /tmp/commit-count.json)"
check commit-journal-at-most-3 ge 3 "$(jq .jbd2_commits_per_commit /tmp/commit-count.json)"
rm -rf /mnt/pmem/save /mnt/pmem/save.pmem2-baseline

"$bench" setup --dir $store --sizes 64M,256M,512M --fill 512M >/tmp/setup.json ||
	abort "kstate-bench setup failed"
check dax-restore "$bench" restore --dir $store --sizes 64M,256M,512M --reps 15 \
	--csv /tmp/restore.csv -o /tmp/restore.json
emit dax-restore /tmp/restore.json
check dax-restore-flat-below-2 ge 2 "$(jq .flatness_last_over_first /tmp/restore.json)"

# smaps cannot show fsdax PMDs on 6.1 (vm_normal_page_pmd() skips devmap entries, so
# FilePmdMapped stays 0): count the kernel's own dax_pmd_fault_done events instead, each a
# 2 MiB mapping unless its result is FALLBACK (then 4 KiB faults follow).
ev=$tr/events/fs_dax/dax_pmd_fault_done/enable
[ -w $ev ] || abort "no fs_dax trace events in this kernel"
echo 0 >$tr/tracing_on
echo >$tr/trace
echo 1 >$ev
echo 1 >$tr/tracing_on
reps=3
check first-touch "$bench" first-touch --dir $store --sizes 512M --reps $reps -o /tmp/touch.json
echo 0 >$tr/tracing_on
grep dax_pmd_fault_done $tr/trace >/tmp/pmd.trace
head -n 2 /tmp/pmd.trace
pmd=$(grep -vc FALLBACK /tmp/pmd.trace)
fallback=$(grep -c FALLBACK /tmp/pmd.trace)
jq --argjson pmd "$pmd" --argjson fallback "$fallback" --argjson reps $reps \
	'. + {pmd_faults: $pmd, pmd_fallbacks: $fallback,
	      pmd_share: ($pmd * 2097152 / ($reps * .bytes))}' /tmp/touch.json >/tmp/pmd.json
emit first-touch /tmp/pmd.json
check region-is-pmem [ "$(jq -r .is_pmem /tmp/pmd.json)" = true ]
check pmd-share-at-least-95pct ge "$(jq .pmd_share /tmp/pmd.json)" 0.95
check kernel-log-clean sh -c '! dmesg | grep -E "BUG:|WARNING:|Oops|Call Trace"'
done_scenario
