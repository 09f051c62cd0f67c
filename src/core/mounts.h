/* SPDX-License-Identifier: GPL-2.0 */
/* The pseudo-filesystems BPF work depends on: where they are, and mounting what is missing. */
#ifndef VIGIL_CORE_MOUNTS_H
#define VIGIL_CORE_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The cgroup2 mount point from /proc/self/mountinfo: 0, -ENOENT or -ENAMETOOLONG. */
int cgroup2_mount_point(char *buf, size_t len);

/* Whether tracefs is mounted where libbpf looks for tracepoint ids. */
bool tracefs_mounted(void);

/*
 * Make tracefs available to this process (tp/ programs need it to attach). When it is not
 * mounted, mount it in a private mount namespace of vigil's own: the host's mounts do not
 * change. 0 or -errno.
 */
int tracefs_ensure(void);

/*
 * Mount bpffs (mode 0700) on /sys/fs/bpf when it is not one already, in the mount namespace
 * vigil was started in, so that pins outlive vigil: call it before tracefs_ensure() may have
 * made a namespace of vigil's own (then -EXDEV: a mount there would die with vigil). 0 or
 * -errno.
 */
int bpffs_ensure(void);

/*
 * The mount points of file systems where a look costs a network round trip, can hang with a
 * server, or mounts something (NFS, SMB, Ceph, 9p, FUSE, autofs): code that walks paths every
 * few seconds (the file sensor's glob listing) keeps out of them.
 */
struct remote_mounts {
	char **points;
	size_t n;
};

/* From @mountinfo (that format), or this process's when NULL. 0 or -errno. */
int remote_mounts_load(struct remote_mounts *r, FILE *mountinfo);
/* Whether @path is one of them or beneath one (by whole leading components). */
bool remote_mounts_cover(const struct remote_mounts *r, const char *path);
void remote_mounts_free(struct remote_mounts *r);

#endif
