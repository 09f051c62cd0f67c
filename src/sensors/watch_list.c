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
#include "sensors/watch_list.h"
#include "vigil/ev_file.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int watch_list_add(struct watch_list *w, const char *path, size_t len, __u16 bits, bool glob)
{
	struct watch_entry *e;
	char *copy = strndup(path, len);

	/* the array doubles each time the count reaches a power of two */
	if (!(w->n & (w->n - 1)) || !w->n) {
		e = realloc(w->entries, (w->n ? 2 * w->n : 1) * sizeof(*e));
		if (!e) {
			free(copy);
			return -ENOMEM;
		}
		w->entries = e;
	}
	if (!copy)
		return -ENOMEM;
	w->entries[w->n++] = (struct watch_entry){ copy, bits, glob };
	return 0;
}

/* Drop the entries from @n on. */
static void truncate_list(struct watch_list *w, size_t n)
{
	while (w->n > n)
		free((char *)w->entries[--w->n].path);
}

void watch_list_free(struct watch_list *w)
{
	truncate_list(w, 0);
	free(w->entries);
	memset(w, 0, sizeof(*w));
}

/* The literal directory of a glob, with its final '/' ("/home/" for `/home/ * /.netrc`). */
static size_t glob_dir_len(const char *glob)
{
	size_t len = strcspn(glob, "*?[");

	while (len > 1 && glob[len - 1] != '/')
		len--;
	return len;
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
 * one glob may add: -E2BIG when it runs out; -EREMOTE when it leads onto @remote.
 */
static int expand(struct watch_list *o, const char *pattern, __u16 bits, size_t *budget,
		  const struct remote_mounts *remote)
{
	size_t dir_len = glob_dir_len(pattern), name_len;
	const char *name = pattern + dir_len, *rest;
	char dir[4096], name_pat[256], child[4096];
	struct dirent *de;
	int err = 0;
	DIR *d;

	if (!*budget)
		return -E2BIG;
	if (remote && remote_mounts_cover(remote, pattern))
		return -EREMOTE;
	if (!strpbrk(pattern, "*?[")) {
		--*budget;
		return watch_list_add(o, pattern, strlen(pattern), bits, false);
	}
	name_len = strcspn(name, "/");
	rest = name + name_len;
	/* the wildcard in the last name: its directory, for everything beneath */
	if (!rest[0] || !rest[1] || dir_len >= sizeof(dir) || name_len >= sizeof(name_pat)) {
		--*budget;
		return watch_list_add(o, pattern, dir_len, bits << 2, false);
	}
	memcpy(dir, pattern, dir_len);
	dir[dir_len] = '\0';
	memcpy(name_pat, name, name_len);
	name_pat[name_len] = '\0';
	d = opendir(dir);
	if (!d) {
		--*budget;
		return watch_list_add(o, pattern, dir_len, bits << 2, false);
	}
	/* what this listing cannot see: a file system mounted over the directory elsewhere */
	--*budget;
	err = watch_list_add(o, pattern, dir_len, stacked(bits), false);
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fnmatch(name_pat, de->d_name, FNM_PATHNAME) || !is_dir(dir, de))
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", dir, de->d_name, rest) >=
		    (int)sizeof(child))
			continue; /* longer than a path can be: nothing to open there */
		err = expand(o, child, bits, budget, remote);
	}
	closedir(d);
	return err;
}

int watch_list_expand(const struct watch_entry *w, size_t n, const struct remote_mounts *remote,
		      size_t per_glob, struct watch_list *out)
{
	int err = 0;

	*out = (struct watch_list){ 0 };
	for (size_t i = 0; i < n && !err; i++) {
		size_t mark = out->n, budget = per_glob;

		if (!w[i].glob) {
			err = watch_list_add(out, w[i].path, strlen(w[i].path), w[i].bits, false);
			continue;
		}
		err = expand(out, w[i].path, w[i].bits, &budget, remote);
		if (err == -E2BIG || err == -EREMOTE) {
			/* too many, or remote: the literal directory, everything beneath */
			truncate_list(out, mark);
			err = watch_list_add(out, w[i].path, glob_dir_len(w[i].path),
					     w[i].bits << 2, false);
		}
	}
	if (err)
		watch_list_free(out);
	return err;
}
