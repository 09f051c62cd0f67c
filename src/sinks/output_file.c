// SPDX-License-Identifier: GPL-2.0
/*
 * Opening the events file. The agent runs as root and the path may lie in a directory other
 * users can write (/tmp, a shared log directory): a symbolic link planted there would make it
 * append to any file, a hard link to a root file likewise, and a file another user made (0666)
 * would hand them every event. Files of the kernel's pseudo file systems accept the open and
 * fail at the first event, or worse, do something. So only what can take appended lines is
 * taken, and the reason for a refusal is said.
 */
#include "sinks/output.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MEM_MAJOR 1 /* /dev/mem, /dev/kmem, /dev/port: minors 1, 2, 4 */

/* The kernel's interfaces, not storage. */
static const struct {
	unsigned long magic;
	const char *name;
} pseudo_fs[] = {
	{ PROC_SUPER_MAGIC, "procfs" },	    { SYSFS_MAGIC, "sysfs" },
	{ DEBUGFS_MAGIC, "debugfs" },	    { TRACEFS_MAGIC, "tracefs" },
	{ SECURITYFS_MAGIC, "securityfs" }, { BPF_FS_MAGIC, "bpffs" },
	{ CGROUP_SUPER_MAGIC, "cgroupfs" }, { CGROUP2_SUPER_MAGIC, "cgroup2" },
	{ PSTOREFS_MAGIC, "pstore" },	    { EFIVARFS_MAGIC, "efivarfs" },
	{ SELINUX_MAGIC, "selinuxfs" },	    { SMACK_MAGIC, "smackfs" },
	{ AAFS_MAGIC, "apparmorfs" },	    { BINFMTFS_MAGIC, "binfmt_misc" },
	{ HUGETLBFS_MAGIC, "hugetlbfs" },   { RDTGROUP_SUPER_MAGIC, "resctrl" },
	{ 0x62656570, "configfs" },	    { 0x65735543, "fusectl" },
};

static int refuse(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Another user's file, or one others may write, is not for the agent's events. */
static int check_owner(const struct stat *st, char *why, size_t len)
{
	if (st->st_uid != geteuid())
		return refuse(why, len,
			      "it belongs to uid %u, not to the user vigil runs as (uid %u): that "
			      "user could read or rewrite the events; remove it or chown it",
			      (unsigned int)st->st_uid, (unsigned int)geteuid());
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(why, len,
			      "other users may write to it (mode %04o): they could forge or erase "
			      "events; chmod go-w it",
			      (unsigned int)(st->st_mode & 07777));
	return 0;
}

static int check_regular(int fd, const struct stat *st, char *why, size_t len)
{
	struct statfs fs;
	int err;

	if (fstatfs(fd, &fs))
		return refuse(why, len, "cannot tell its file system: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(pseudo_fs) / sizeof(pseudo_fs[0]); i++)
		if ((unsigned long)fs.f_type == pseudo_fs[i].magic)
			return refuse(why, len,
				      "it is a file of %s, the kernel's interface, which cannot "
				      "keep appended lines",
				      pseudo_fs[i].name);
	err = check_owner(st, why, len);
	if (err)
		return err;
	if (st->st_nlink > 1)
		return refuse(why, len,
			      "it has %lu names (hard links): another name may be a file that "
			      "must not grow",
			      (unsigned long)st->st_nlink);
	return 0;
}

static int check_file(int fd, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return refuse(why, len, "cannot stat it: %s", strerror(errno));
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return check_regular(fd, &st, why, len);
	case S_IFIFO:
		return check_owner(&st, why, len);
	case S_IFCHR:
		/* only root makes device nodes; /dev/null is 0666 and fine */
		if (major(st.st_rdev) == MEM_MAJOR &&
		    (minor(st.st_rdev) == 1 || minor(st.st_rdev) == 2 || minor(st.st_rdev) == 4))
			return refuse(why, len, "it is a memory device");
		return 0;
	case S_IFBLK:
		return refuse(why, len, "it is a block device");
	default:
		return refuse(why, len, "it is not a file, a FIFO or a character device");
	}
}

/* Is @path's directory /dev or below it? A name there is meant to be a device. */
static bool under_dev(const char *path)
{
	char dir[PATH_MAX], real[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return realpath(dir, real) && (!strcmp(real, "/dev") || !strncmp(real, "/dev/", 5));
}

int output_file_open(const char *path, char *why, size_t len)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	bool created = false;
	struct stat st;
	int fd, err;

	why[0] = '\0';
	/* O_EXCL: what is created is new, never a link someone put there meanwhile */
	fd = open(path, flags);
	if (fd < 0 && errno == ENOENT) {
		if (under_dev(path))
			return refuse(
				why, len,
				"there is no such device, and vigil creates no file under "
				"/dev (a file in memory there would hide the device it names)");
		fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		created = fd >= 0;
	}
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP && !lstat(path, &st) && S_ISLNK(st.st_mode))
			refuse(why, len,
			       "it is a symbolic link, which vigil does not follow (another user "
			       "may have planted it): give the file it points to");
		else if (err == -EISDIR)
			refuse(why, len, "it is a directory");
		else
			snprintf(why, len, "%s", strerror(-err));
		return err;
	}
	err = check_file(fd, why, len);
	if (err) {
		if (created)
			unlink(path);
		close(fd);
		return err;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & S_IROTH))
		pr_warn("output",
			"%s is readable by every user (mode %04o), and events carry command lines: "
			"chmod o-r it",
			path, (unsigned int)(st.st_mode & 07777));
	return fd;
}
