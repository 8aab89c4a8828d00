// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * no-kexec MODE PROGRAM [ARGS...] - run PROGRAM where kexec and reboot cannot happen,
 * so that kstate-save's kexec path can be tested on the machine that runs the tests.
 *
 * A seccomp filter answers kexec_file_load(2) without running it: with success
 * (MODE "load-ok": the kernel counts as loaded, nothing is) or with ENOTUNIQ (MODE
 * "load-fails", an errno kstate-save's messages make easy to spot).  kexec_load(2) and
 * reboot(2) always fail with EPERM.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DENY(nr, err)							\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((err) & SECCOMP_RET_DATA))

int main(int argc, char **argv)
{
	unsigned int load_err;

	if (argc < 3 || (strcmp(argv[1], "load-ok") && strcmp(argv[1], "load-fails"))) {
		fprintf(stderr, "usage: no-kexec load-ok|load-fails PROGRAM [ARGS...]\n");
		return 2;
	}
	load_err = strcmp(argv[1], "load-ok") == 0 ? 0 : ENOTUNIQ;
	{
		struct sock_filter filter[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			DENY(__NR_kexec_file_load, load_err),
			DENY(__NR_kexec_load, EPERM),
			DENY(__NR_reboot, EPERM),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {
			.len = sizeof(filter) / sizeof(filter[0]),
			.filter = filter,
		};

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
			perror("no-kexec: seccomp");
			return 77;
		}
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
