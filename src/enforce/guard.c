// SPDX-License-Identifier: GPL-2.0
#include "enforce/guard.h"
#include "core/bpfmap.h"
#include "core/links.h"
#include "core/log.h"
#include "core/probe.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.skel.h"

struct guard {
	struct guard_bpf *skel;
};

/* The protected ids found in this process, sorted for lookups. */
struct id_set {
	struct vigil_guard_key *keys;
	size_t n, cap;
};

static int id_add(struct id_set *s, __u32 kind, __u32 id)
{
	if (!id)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct vigil_guard_key *k = realloc(s->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		s->keys = k;
		s->cap = cap;
	}
	s->keys[s->n++] = (struct vigil_guard_key){ .kind = kind, .id = id };
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct vigil_guard_key *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* A program and the maps it uses (a map whose fd was closed is still reachable from it). */
static int add_prog(struct id_set *s, int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), map_ids[64], n;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	n = info.nr_map_ids < 64 ? info.nr_map_ids : 64;
	err = id_add(s, VIGIL_GUARD_PROG, info.id);
	if (err || !n)
		return err;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (__u64)(unsigned long)map_ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	for (__u32 i = 0; !err && i < n && i < info.nr_map_ids; i++)
		err = id_add(s, VIGIL_GUARD_MAP, map_ids[i]);
	return err;
}

/* The maps held in a map of maps (user space reads their ids as its values). */
static int add_inner_maps(struct id_set *s, int fd, const struct bpf_map_info *info)
{
	char key[256], next[256];
	__u32 inner;
	int err = 0, r;

	if ((info->type != BPF_MAP_TYPE_ARRAY_OF_MAPS && info->type != BPF_MAP_TYPE_HASH_OF_MAPS) ||
	    info->key_size > sizeof(key))
		return 0;
	for (r = bpf_map_get_next_key(fd, NULL, next); !r && !err;
	     r = bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, info->key_size);
		if (!bpf_map_lookup_elem(fd, key, &inner))
			err = id_add(s, VIGIL_GUARD_MAP, inner);
	}
	return err;
}

/* Is the object @k names still there? (The agent may get an fd for any id.) */
static bool still_exists(const struct vigil_guard_key *k)
{
	int fd = k->kind == VIGIL_GUARD_PROG  ? bpf_prog_get_fd_by_id(k->id)
		 : k->kind == VIGIL_GUARD_MAP ? bpf_map_get_fd_by_id(k->id)
					      : bpf_link_get_fd_by_id(k->id);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != ENOENT;
}

/* What fd @fd of this process is, added to @s when it is a BPF object. */
static int add_fd(struct id_set *s, int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0; /* closed meanwhile */
	target[n] = '\0';
	if (!strcmp(target, "anon_inode:bpf-prog"))
		return add_prog(s, fd);
	if (!strcmp(target, "anon_inode:bpf-map")) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		return id_add(s, VIGIL_GUARD_MAP, info.id) ?: add_inner_maps(s, fd, &info);
	}
	if (!strcmp(target, "anon_inode:bpf_link") || !strcmp(target, "anon_inode:bpf-link")) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		return id_add(s, VIGIL_GUARD_LINK, info.id)
			       ?: id_add(s, VIGIL_GUARD_PROG, info.prog_id);
	}
	return 0;
}

static int scan_fds(struct id_set *s)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int err = 0;

	if (!dir)
		return -errno;
	while (!err && (de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd == dirfd(dir))
			continue;
		err = add_fd(s, fd);
	}
	closedir(dir);
	return err;
}

/* keep() for the protected ids: still the agent's, or still existing (see guard_protect) */
static bool keep_id(const void *key, const void *ctx)
{
	const struct id_set *s = ctx;

	return bsearch(key, s->keys, s->n, sizeof(*s->keys), key_cmp) || still_exists(key);
}

int guard_protect(struct guard *g)
{
	int fd = bpf_map__fd(g->skel->maps.protected_ids);
	struct id_set s = { 0 };
	__u8 one = 1;
	int err;

	err = scan_fds(&s);
	for (size_t i = 0; !err && i < s.n; i++)
		if (bpf_map_update_elem(fd, &s.keys[i], &one, BPF_ANY))
			err = -errno;
	if (err) {
		pr_warn("guard", "cannot protect the agent's BPF objects: %s", strerror(-err));
		goto out;
	}
	/*
	 * Ids of objects gone (closed probe objects) are dropped: they would fill the set. One
	 * the agent made and still reaches another way (a map only a program or an outer map
	 * holds) stays: it is still there.
	 */
	qsort(s.keys, s.n, sizeof(*s.keys), key_cmp);
	bpf_map_delete_unwanted(fd, sizeof(*s.keys), keep_id, &s);
out:
	free(s.keys);
	return err;
}

int guard_start(struct guard **out)
{
	struct guard *g;
	int err;

	if (!probe_has(FEAT_BPF_LSM))
		return -EOPNOTSUPP;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->skel = guard_bpf__open();
	if (!g->skel) {
		err = -errno;
		goto fail;
	}
	g->skel->rodata->agent_tgid = getpid();
	err = guard_bpf__load(g->skel);
	if (!err)
		err = guard_bpf__attach(g->skel);
	if (!err)
		err = guard_protect(g);
	if (err)
		goto fail;
	*out = g;
	return 0;
fail:
	guard_stop(g);
	return err;
}

void guard_stop(struct guard *g)
{
	if (!g)
		return;
	if (g->skel)
		links_destroy_all(g->skel->skeleton);
	guard_bpf__destroy(g->skel);
	free(g);
}

int guard_stats(const struct guard *g, struct guard_stats *st)
{
	int ids = bpf_map__fd(g->skel->maps.protected_ids);
	int refused = bpf_map__fd(g->skel->maps.refused);
	struct vigil_guard_key key, next;
	int r;

	memset(st, 0, sizeof(*st));
	for (r = bpf_map_get_next_key(ids, NULL, &next); !r;
	     r = bpf_map_get_next_key(ids, &key, &next)) {
		key = next;
		st->protected_ids++;
	}
	for (__u32 i = 0; i < VIGIL_GUARD_COUNTERS; i++)
		if (bpf_map_lookup_elem(refused, &i, &st->refused[i]))
			return -errno;
	return 0;
}

bool guard_available(char *why, size_t len)
{
	struct probe_result res;
	int err = probe_feature(FEAT_BPF_LSM, &res);

	if (err) {
		snprintf(why, len, "cannot probe for BPF LSM: %s", strerror(-err));
		return false;
	}
	if (!res.supported)
		snprintf(why, len, "no BPF LSM: %s", res.reason);
	return res.supported;
}
