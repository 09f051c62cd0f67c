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
#include <unistd.h>

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

static bool same_mount_namespace(pid_t a, pid_t b)
{
	char pa[64], pb[64];
	struct stat sa, sb;

	snprintf(pa, sizeof(pa), "/proc/%d/ns/mnt", (int)a);
	snprintf(pb, sizeof(pb), "/proc/%d/ns/mnt", (int)b);
	/* unknown (no /proc, or not allowed to look): say nothing */
	return stat(pa, &sa) || stat(pb, &sb) || (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

/* Set once tracefs_ensure() has moved this process into a mount namespace of its own. */
static bool in_own_namespace;

int tracefs_ensure(void)
{
	if (tracefs_mounted())
		return 0;
	/*
	 * Our own mount namespace, with no propagation back to the host's; the host's mounts
	 * still propagate in (a slave), so that rules follow mounts made after the start.
	 */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	in_own_namespace = true;
	if (mount("tracefs", TRACEFS_PATH, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	pr_info("mounts",
		"mounted tracefs on " TRACEFS_PATH " in a mount namespace of vigil's own: "
		"the host's mounts are unchanged");
	return 0;
}

int bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs(BPFFS_PATH, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	/* Each bpffs mount is a file system of its own: one made in our namespace dies with it. */
	if (in_own_namespace) {
		pr_warn("mounts", "no bpf filesystem on " BPFFS_PATH " in the namespace vigil was "
				  "started in, and it is too late to mount one there");
		return -EXDEV;
	}
	/* root's alone, as systemd mounts it: nobody else may make or move vigil's pins */
	if (mount("bpf", BPFFS_PATH, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		return -errno;
	pr_info("mounts", "mounted a bpf filesystem on " BPFFS_PATH " (mode 0700) in the mount "
			  "namespace vigil was started in: pins outlive vigil");
	/* 'ip netns exec', unshare, a container: pins live as long as that namespace */
	if (!same_mount_namespace(getpid(), 1))
		pr_warn("mounts", "vigil runs in another mount namespace than init's ('ip netns "
				  "exec' makes one): the pins last only as long as it does; "
				  "'nsenter --net=/run/netns/NAME' keeps the host's");
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
