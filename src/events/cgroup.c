// SPDX-License-Identifier: GPL-2.0
#include "events/cgroup.h"
#include "core/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* kernfs (cgroupfs) file handles are the 64-bit node id; see name_to_handle_at(2). */
#define FILEID_KERNFS 0xfe

#define CACHE_SLOTS 1024 /* direct-mapped: a collision just costs one lookup */

struct cgroup_slot {
	__u64 id;
	char *path;
};

struct cgroup_names {
	int mount_fd;
	char mount[PATH_MAX];
	size_t mount_len;
	struct cgroup_slot cache[CACHE_SLOTS];
};

struct cgroup_names *cgroup_names_new(void)
{
	struct cgroup_names *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	err = cgroup2_mount_point(c->mount, sizeof(c->mount));
	if (err) {
		free(c);
		errno = -err;
		return NULL;
	}
	c->mount_len = strlen(c->mount);
	c->mount_fd = open(c->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->mount_fd < 0) {
		free(c);
		return NULL;
	}
	return c;
}

void cgroup_names_free(struct cgroup_names *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		free(c->cache[i].path);
	close(c->mount_fd);
	free(c);
}

/* Open the cgroup directory by id and read back its path: no tree walk. */
static char *resolve(struct cgroup_names *c, __u64 id)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh = { .handle_bytes = sizeof(__u64), .handle_type = FILEID_KERNFS } };
	char link[64], path[PATH_MAX];
	ssize_t n;
	int fd;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->mount_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	if (strncmp(path, c->mount, c->mount_len))
		return NULL;
	return strdup(path[c->mount_len] ? path + c->mount_len : "/");
}

const char *cgroup_names_get(struct cgroup_names *c, __u64 id)
{
	struct cgroup_slot *slot = &c->cache[(id * 0x9e3779b97f4a7c15ull) >> 54];

	if (slot->path && slot->id == id)
		return slot->path;
	free(slot->path);
	slot->id = id;
	slot->path = resolve(c, id);
	return slot->path;
}
