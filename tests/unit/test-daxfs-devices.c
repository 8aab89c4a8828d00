// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-daxfs-devices - what daxfs-setup checks before it writes to or lends a device:
 * libblkid finds LUKS, LVM and GPT signatures (minimal valid headers written here) and
 * ext4, and an empty image is empty; a device a process has open or mapped is in use
 * and lend refuses it, as it refuses a device neither named nor made by daxfs-setup.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "helpers.h"
#include "inuse.h"
#include "probe.h"

/* Images are sparse: 1 MiB of headers, sized like a device (libblkid ignores RAID and
 * LVM members on tiny devices). */
#define HEAD_SIZE	(1U << 20)
#define IMAGE_SIZE	(64ULL << 20)

static uint32_t crc32_reflected(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
	}
	return crc;
}

static void put_le64(void *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

static char *image(const char *dir, const char *name, const void *buf)
{
	char *path = path_in(dir, "%s", name);

	write_whole(path, buf, HEAD_SIZE);
	assert_int_equal(truncate(path, IMAGE_SIZE), 0);
	return path;
}

/* LUKS1: the magic and version 1 are what identify it. */
static void make_luks(uint8_t *img)
{
	memcpy(img, "LUKS\xba\xbe\x00\x01", 8);
	memcpy(img + 8, "aes", 3);				/* cipher name */
	memcpy(img + 168, "12345678-1234-1234-1234-123456789abc", 36);	/* uuid */
}

/* An LVM2 physical volume label in sector 1, with the label's CRC as LVM computes it. */
static void make_lvm(uint8_t *img)
{
	uint8_t *l = img + 512;

	memcpy(l, "LABELONE", 8);
	put_le64(l + 8, 1);			/* sector of this label */
	put_le32(l + 20, 32);			/* offset of the PV header */
	memcpy(l + 24, "LVM2 001", 8);
	memcpy(l + 32, "abcdefghijklmnopqrstuvwxyz012345", 32);	/* pv uuid */
	put_le64(l + 64, IMAGE_SIZE);		/* device size */
	put_le32(l + 16, crc32_reflected(0xf597a6cfU, l + 20, 512 - 20));
}

/* A GPT: protective MBR, header in LBA 1 and 128 empty entries from LBA 2. */
static void make_gpt(uint8_t *img)
{
	uint64_t last = IMAGE_SIZE / 512 - 1;
	uint8_t *h = img + 512, *mbr = img + 446;

	mbr[4] = 0xee;				/* protective partition */
	put_le32(mbr + 8, 1);
	put_le32(mbr + 12, (uint32_t)last);
	img[510] = 0x55;
	img[511] = 0xaa;
	memcpy(h, "EFI PART", 8);
	put_le32(h + 8, 0x00010000);		/* revision 1.0 */
	put_le32(h + 12, 92);			/* header size */
	put_le64(h + 24, 1);			/* this LBA */
	put_le64(h + 32, last);			/* backup LBA */
	put_le64(h + 40, 34);			/* first usable */
	put_le64(h + 48, last - 33);		/* last usable */
	memcpy(h + 56, "0123456789abcdef", 16);	/* disk GUID */
	put_le64(h + 72, 2);			/* entries LBA */
	put_le32(h + 80, 128);
	put_le32(h + 84, 128);
	put_le32(h + 88, crc32_reflected(0xffffffffU, img + 1024, 128 * 128) ^ 0xffffffffU);
	put_le32(h + 16, crc32_reflected(0xffffffffU, h, 92) ^ 0xffffffffU);
}

static void expect(const char *dir, const char *name, void (*make)(uint8_t *),
		   const char *what_has)
{
	uint8_t *img = calloc(1, HEAD_SIZE);
	char what[256], *path;
	int rc;

	if (make)
		make(img);
	path = image(dir, name, img);
	rc = probe_content(path, what, sizeof(what));
	if (what_has) {
		if (rc != 1 || !strstr(what, what_has))
			fail_msg("%s: probe_content %d '%s', wanted 1 with '%s'", name, rc, what,
				 what_has);
	} else if (rc != 0) {
		fail_msg("%s: probe_content %d '%s', wanted empty", name, rc, what);
	}
	free(path);
	free(img);
}

static void test_signatures(void **state)
{
	char *dir = make_tmpdir();

	(void)state;
	expect(dir, "empty.img", NULL, NULL);
	expect(dir, "luks.img", make_luks, "crypto_LUKS");
	expect(dir, "lvm.img", make_lvm, "LVM2_member");
	expect(dir, "gpt.img", make_gpt, "gpt partition table");
	remove_tree(dir);
}

static void test_ext4(void **state)
{
	char *dir = make_tmpdir(), *path = path_in(dir, "ext4.img"), *cmd, what[256], t[40];
	uint8_t *img = calloc(1, HEAD_SIZE);

	(void)state;
	write_whole(path, img, HEAD_SIZE);
	assert_true(asprintf(&cmd, "mkfs.ext4 -q -F '%s' >/dev/null 2>&1", path) > 0);
	if (system(cmd) != 0) {
		free(cmd);
		remove_tree(dir);
		skip();
	}
	assert_int_equal(probe_content(path, what, sizeof(what)), 1);
	assert_non_null(strstr(what, "ext4"));
	assert_int_equal(probe_fstype(path, t, sizeof(t)), 0);
	assert_string_equal(t, "ext4");
	assert_int_equal(probe_fs_uuid(path, t, sizeof(t)), 0);
	assert_int_equal(strlen(t), 36);
	/* A stale info block of a former namespace counts too (libblkid does not know it). */
	memset(img, 0, HEAD_SIZE);
	memcpy(img + 4096, "NVDIMM_DAX_INFO", 15);
	write_whole(path, img, HEAD_SIZE);
	assert_int_equal(probe_content(path, what, sizeof(what)), 1);
	assert_non_null(strstr(what, "devdax info block"));
	free(cmd);
	free(path);
	free(img);
	remove_tree(dir);
}

static void test_lend_refuses_open_or_mapped(void **state)
{
	char *dir = make_tmpdir(), *path = path_in(dir, "dax0.1"), why[512], comm[64];
	uint8_t *img = calloc(1, HEAD_SIZE);
	int fds[2], fd;
	pid_t pid, who;
	void *map;
	char c;

	(void)state;
	write_whole(path, img, HEAD_SIZE);
	/* Nobody uses it: lend may take it when named or made by daxfs-setup. */
	assert_int_equal(device_user("/proc", path, &who, comm, sizeof(comm)), 0);
	assert_int_equal(lend_allowed("/proc", path, true, false, why, sizeof(why)), 0);
	assert_int_equal(lend_allowed("/proc", path, false, true, why, sizeof(why)), 0);
	/* Neither named nor ours: refused even when idle. */
	assert_int_equal(lend_allowed("/proc", path, false, false, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "not made by daxfs-setup"));

	/* Another process holds it open (as a VMM holds its guest memory). */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int h = open(path, O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive a failed test */
		if (write(fds[1], "x", 1) != 1 || h < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(device_user("/proc", path, &who, comm, sizeof(comm)), 1);
	assert_int_equal(who, pid);
	assert_int_equal(lend_allowed("/proc", path, true, true, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "in use"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(lend_allowed("/proc", path, true, true, why, sizeof(why)), 0);

	/* Mapped, with no descriptor left open: still in use. */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd);
	assert_int_equal(device_user("/proc", path, &who, comm, sizeof(comm)), 1);
	assert_int_equal(who, getpid());
	assert_int_equal(lend_allowed("/proc", path, true, true, why, sizeof(why)), -EBUSY);
	munmap(map, 4096);
	assert_int_equal(lend_allowed("/proc", path, true, true, why, sizeof(why)), 0);
	close(fds[0]);
	close(fds[1]);
	free(img);
	free(path);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_ext4),
		cmocka_unit_test(test_lend_refuses_open_or_mapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
