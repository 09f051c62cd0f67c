// SPDX-License-Identifier: GPL-2.0
/*
 * Globs in the file watch list. The kernel matches opens by inode, so a glob cannot be handed
 * to it as is; watching its literal directory for everything beneath made `/home/ * /.netrc`
 * (written with no spaces) send every open under /home. Instead the wildcard directories are
 * listed, as the file system is now, down to the paths they lead to; the agent and `trace`
 * resolve the list again every WATCH_REFRESH_S, so a home directory made since is watched from
 * the next refresh on. A listed directory is also watched for whatever is mounted over it where
 * the listing does not see (a tmpfs over /home in a sandbox's mount namespace).
 */
#include "core/watch_glob.h"
#include "vigil/ev_file.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t watch_glob_dir_len(const char *glob)
{
	size_t len = strcspn(glob, "*?[");

	while (len > 1 && glob[len - 1] != '/')
		len--;
	return len;
}

struct out_list {
	struct watch_entry *e;
	size_t n, cap;
};

/* Append the first @len bytes of @path with @bits (a copy). */
static int push(struct out_list *o, const char *path, size_t len, __u16 bits)
{
	char *copy;

	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		struct watch_entry *e = realloc(o->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		o->e = e;
		o->cap = cap;
	}
	copy = strndup(path, len);
	if (!copy)
		return -ENOMEM;
	o->e[o->n++] = (struct watch_entry){ .path = copy, .bits = bits };
	return 0;
}

static void free_paths(struct watch_entry *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)w[i].path);
}

/* A real directory, not a symlink: the kernel's paths run through the target, not the link. */
static bool is_dir(const char *dir, const struct dirent *de)
{
	char path[4096];
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	if (snprintf(path, sizeof(path), "%s%s", dir, de->d_name) >= (int)sizeof(path))
		return false;
	return !lstat(path, &st) && S_ISDIR(st.st_mode);
}

/* The VIGIL_WATCH_STACKED_* bits of a listed directory whose files are wanted with @bits. */
static __u16 stacked(__u16 bits)
{
	return (bits & VIGIL_WATCH_READ ? VIGIL_WATCH_STACKED_READ : 0) |
	       (bits & VIGIL_WATCH_WRITE ? VIGIL_WATCH_STACKED_WRITE : 0) |
	       (bits & VIGIL_WATCH_CREATE ? VIGIL_WATCH_STACKED_CREATE : 0);
}

/*
 * Expand @pattern, whose files are wanted with @bits, into @o. @budget counts down the entries
 * one glob may add: -E2BIG when it runs out.
 */
static int expand(struct out_list *o, const char *pattern, __u16 bits, size_t *budget)
{
	size_t dir_len = watch_glob_dir_len(pattern), name_len;
	const char *name = pattern + dir_len, *rest;
	char dir[4096], name_pat[256], child[4096];
	struct dirent *de;
	int err = 0;
	DIR *d;

	if (!*budget)
		return -E2BIG;
	if (!strpbrk(pattern, "*?[")) {
		--*budget;
		return push(o, pattern, strlen(pattern), bits);
	}
	name_len = strcspn(name, "/");
	rest = name + name_len;
	/* the wildcard in the last name: its directory, for everything beneath */
	if (!rest[0] || !rest[1] || dir_len >= sizeof(dir) || name_len >= sizeof(name_pat)) {
		--*budget;
		return push(o, pattern, dir_len, bits << 2);
	}
	memcpy(dir, pattern, dir_len);
	dir[dir_len] = '\0';
	memcpy(name_pat, name, name_len);
	name_pat[name_len] = '\0';
	d = opendir(dir);
	if (!d) {
		--*budget;
		return push(o, pattern, dir_len, bits << 2);
	}
	/* what this listing cannot see: a file system mounted over the directory elsewhere */
	--*budget;
	err = push(o, pattern, dir_len, stacked(bits));
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fnmatch(name_pat, de->d_name, FNM_PATHNAME) || !is_dir(dir, de))
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", dir, de->d_name, rest) >=
		    (int)sizeof(child))
			continue; /* longer than a path can be: nothing to open there */
		err = expand(o, child, bits, budget);
	}
	closedir(d);
	return err;
}

int watch_glob_expand(const struct watch_entry *w, size_t n, struct watch_entry **out,
		      size_t *n_out)
{
	struct out_list o = { 0 };
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		size_t mark = o.n, budget = WATCH_GLOB_MAX_MATCHES;

		if (!w[i].glob) {
			err = push(&o, w[i].path, strlen(w[i].path), w[i].bits);
			continue;
		}
		err = expand(&o, w[i].path, w[i].bits, &budget);
		if (err == -E2BIG) {
			/* too many: the literal directory, everything beneath, as one entry */
			free_paths(o.e + mark, o.n - mark);
			o.n = mark;
			err = push(&o, w[i].path, watch_glob_dir_len(w[i].path), w[i].bits << 2);
		}
	}
	if (err) {
		watch_glob_free(o.e, o.n);
		return err;
	}
	*out = o.e;
	*n_out = o.n;
	return 0;
}

void watch_glob_free(struct watch_entry *w, size_t n)
{
	free_paths(w, n);
	free(w);
}
