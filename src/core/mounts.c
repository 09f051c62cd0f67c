// SPDX-License-Identifier: GPL-2.0
#include "core/mounts.h"
#include "core/log.h"

#include <errno.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#define TRACEFS_PATH "/sys/kernel/tracing"
#define BPFFS_PATH   "/sys/fs/bpf"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The next mount of a mountinfo stream: its mount point (unescaped) and its type. */
static bool mountinfo_next(FILE *f, char mnt[1024], char type[64])
{
	char line[4096];

	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		/* id parent major:minor root mount-point options... - type source options */
		if (!sep || sscanf(sep, " - %63s", type) != 1 ||
		    sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		unescape_octal(mnt);
		return true;
	}
	return false;
}

int cgroup2_mount_point(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char mnt[1024], type[64];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (mountinfo_next(f, mnt, type)) {
		if (strcmp(type, "cgroup2"))
			continue;
		if (strlen(mnt) >= len) {
			err = -ENAMETOOLONG;
			continue;
		}
		snprintf(buf, len, "%s", mnt);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

bool tracefs_mounted(void)
{
	struct statfs st;

	return !statfs(TRACEFS_PATH, &st) && st.f_type == TRACEFS_MAGIC;
}

int tracefs_ensure(void)
{
	if (tracefs_mounted())
		return 0;
	/* Our own mount namespace, with no propagation back to the host's. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("tracefs", TRACEFS_PATH, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	pr_debug("mounts", "mounted tracefs on " TRACEFS_PATH " in vigil's own mount namespace");
	return 0;
}

int bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs(BPFFS_PATH, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS_PATH, "bpf", 0, NULL))
		return -errno;
	/* 'ip netns exec' hides the host's /sys/fs/bpf: our mount dies with its namespace */
	pr_warn("mounts",
		"mounted a new bpf filesystem on " BPFFS_PATH "; under 'ip netns exec' the pins "
		"vanish when it exits: use 'nsenter --net=/run/netns/NAME' instead");
	return 0;
}

static bool remote_type(const char *type)
{
	static const char *const types[] = { "autofs", "nfs",  "nfs4", "cifs",	 "smb3", "smbfs",
					     "afs",    "ceph", "9p",   "lustre", "gpfs", "fuse" };

	/* FUSE file systems are "fuse.NAME" (sshfs, s3fs...); fuseblk is a local disk */
	if (!strncmp(type, "fuse.", 5))
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i]))
			return true;
	return false;
}

int remote_mounts_load(struct remote_mounts *r, FILE *mountinfo)
{
	FILE *f = mountinfo ?: fopen("/proc/self/mountinfo", "re");
	char mnt[1024], type[64];
	int err = 0;

	*r = (struct remote_mounts){ 0 };
	if (!f)
		return -errno;
	while (!err && mountinfo_next(f, mnt, type)) {
		char **points;

		if (!remote_type(type))
			continue;
		points = realloc(r->points, (r->n + 1) * sizeof(*points));
		if (!points || !(points[r->n] = strdup(mnt)))
			err = -ENOMEM;
		if (points) {
			r->points = points;
			r->n += !err;
		}
	}
	if (!mountinfo)
		fclose(f);
	if (err)
		remote_mounts_free(r);
	return err;
}

bool remote_mounts_cover(const struct remote_mounts *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++) {
		const char *m = r->points[i];
		size_t len = strlen(m);

		if (len == 1 || (!strncmp(path, m, len) && (path[len] == '/' || !path[len])))
			return true; /* "/" covers all: an NFS root, say */
	}
	return false;
}

void remote_mounts_free(struct remote_mounts *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->points[i]);
	free(r->points);
	*r = (struct remote_mounts){ 0 };
}

int mkdir_p(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}
