// SPDX-License-Identifier: GPL-2.0
#include "core/pins.h"
#include "core/log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *pin_root(void)
{
	const char *env = getenv(PIN_ROOT_ENV);

	return env && *env ? env : PIN_ROOT;
}

int pin_enforce_dir(const char *what, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/enforce/%s", pin_root(), what);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_get(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int pin_reuse_map(struct bpf_map *map, const char *dir)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = pin_get(dir, bpf_map__name(map)), err;

	if (fd < 0)
		return fd;
	/* libbpf takes any map: one of another layout would be read with this one's keys */
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		 info.value_size != bpf_map__value_size(map) ||
		 info.max_entries != bpf_map__max_entries(map) ||
		 info.map_flags != bpf_map__map_flags(map))
		err = -EINVAL;
	else
		err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err;
}

/*
 * One directory on the way to a pin: made 0700 if missing; an existing one must be a directory
 * of ours that nobody else may write, or another user could have moved pins aside or put
 * theirs in (a world-writable bpffs root lets anyone make /sys/fs/bpf/vigil first).
 */
static int pin_dir_check(const char *path, bool create)
{
	struct stat st;

	if (create && mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		pr_warn("pins", "refusing to pin into %s: %s (remove it, then start vigil again)",
			path, S_ISDIR(st.st_mode) ? "another user owns it" : "not a directory");
		return -EPERM;
	}
	if (st.st_mode & 022) {
		if (chmod(path, 0700))
			return -errno;
		pr_warn("pins", "%s was writable by others: made it 0700", path);
	}
	return 0;
}

/* Each component of @dir below the bpffs mount point, from the top; the mount point is the
 * mount's. Without @create, the first that does not exist ends the walk: 0. */
static int pin_dirs_walk(const char *dir, bool create)
{
	size_t top = strlen(BPFFS_ROOT);
	char buf[PATH_MAX];
	int err = 0;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; !err && *p; p++) {
		if (*p != '/' || (size_t)(p - buf) <= top)
			continue;
		*p = '\0';
		err = pin_dir_check(buf, create);
		*p = '/';
	}
	err = err ?: pin_dir_check(buf, create);
	return err == -ENOENT && !create ? 0 : err;
}

int pin_mkdir(const char *dir)
{
	return pin_dirs_walk(dir, true);
}

int pin_dirs_check(const char *dir)
{
	return pin_dirs_walk(dir, false);
}

int pin_put(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int err = pin_mkdir(dir);

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/%s_new", dir, name); /* bpffs refuses dots */
	unlink(tmp);
	/* pinned aside, then renamed over: the old pin is there until the new one is */
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
	return err;
}

void pin_prune(const char *dir)
{
	char buf[PATH_MAX];
	size_t root = strlen(pin_root());

	snprintf(buf, sizeof(buf), "%s", dir);
	/* the root too, when nothing else is pinned there */
	while (strlen(buf) >= root && !rmdir(buf)) {
		char *slash = strrchr(buf, '/');

		if (!slash || slash == buf)
			break;
		*slash = '\0';
	}
}

void pin_drop(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* What a pinned object is, from its fd's anon inode name. */
static unsigned int *kind_of(int fd, struct pin_count *c)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	/* "bpf_link" when created, "bpf-link" when opened from a pin */
	if (!strcmp(target, "anon_inode:bpf_link") || !strcmp(target, "anon_inode:bpf-link"))
		return &c->links;
	if (!strcmp(target, "anon_inode:bpf-map"))
		return &c->maps;
	if (!strcmp(target, "anon_inode:bpf-prog"))
		return &c->progs;
	return NULL;
}

int pin_remove_tree(const char *dir, struct pin_count *c)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		unsigned int *kind;
		int fd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR) {
			int e = pin_remove_tree(path, c);

			err = err ?: e;
			continue;
		}
		fd = bpf_obj_get(path);
		kind = fd >= 0 ? kind_of(fd, c) : NULL;
		/* detach now even if a process still holds the link (LSM links cannot: their
		 * last reference detaches them) */
		if (kind == &c->links && bpf_link_detach(fd)) {
			struct bpf_link_info info = { 0 };
			__u32 len = sizeof(info);

			c->attached++;
			if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id &&
			    c->n_prog_ids < PIN_PROGS_MAX)
				c->prog_ids[c->n_prog_ids++] = info.prog_id;
		}
		if (fd >= 0)
			close(fd);
		if (unlink(path)) {
			err = err ?: -errno;
			continue;
		}
		if (kind)
			(*kind)++;
	}
	closedir(d);
	if (rmdir(dir))
		err = err ?: -errno;
	return err;
}
