// SPDX-License-Identifier: GPL-2.0
#include "enforce/lsmdeny.h"
#include "core/bpfmap.h"
#include "core/cgroup.h"
#include "core/links.h"
#include "core/log.h"
#include "core/pins.h"
#include "core/probe.h"
#include "sensors/sensor.h"
#include "vigil/enforce.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lsm.skel.h"

struct lsmdeny {
	struct lsm_bpf *skel;
	struct vigil_deny_scope scopes[VIGIL_DENY_SCOPES]; /* as in the kernel's map */
	char pin_dir[PATH_MAX];				   /* "": not pinned */
	bool pin_pending; /* pin at the first set, once the maps hold the policies */
};

/* The maps a later run adopts; the bss (which ops to judge) is each run's own. */
#define N_PINNED_MAPS 3

static struct bpf_map *pinned_map(const struct lsmdeny *l, int i)
{
	return i == 2 ? l->skel->maps.deny_global
	       : i    ? l->skel->maps.deny_scopes
		      : l->skel->maps.deny_objects;
}

static int open_skel(struct lsmdeny *l, const struct sensor_ctx *ctx)
{
	l->skel = lsm_bpf__open();
	if (!l->skel)
		return -errno;
	l->skel->rodata->self_tgid = getpid();
	return sensor_share_maps(l->skel->obj, ctx);
}

/* Reuse the pinned maps: their entries stay what the old programs refuse meanwhile. */
static int reuse_pinned(struct lsmdeny *l)
{
	int err = 0;

	for (int i = 0; i < N_PINNED_MAPS && !err; i++)
		err = pin_reuse_map(pinned_map(l, i), l->pin_dir);
	return err;
}

/* What the adopted maps hold: the scopes this run's updates must keep in their slots. */
static void adopt(struct lsmdeny *l)
{
	int fd = bpf_map__fd(l->skel->maps.deny_objects);
	struct vigil_deny_key key, next;
	size_t n = 0;

	for (__u32 i = 1; i < VIGIL_DENY_SCOPES; i++)
		bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.deny_scopes), &i, &l->scopes[i]);
	for (int r = bpf_map_get_next_key(fd, NULL, &next); !r;
	     r = bpf_map_get_next_key(fd, &key, &next), n++)
		key = next;
	pr_info("enforce",
		"adopted the BPF LSM deny programs pinned under %s: %zu objects stay refused while "
		"the policies are brought in force",
		l->pin_dir, n);
}

int lsmdeny_start(struct lsmdeny **out, const struct sensor_ctx *shared, const char *pin_dir)
{
	struct sensor_ctx ctx = *shared;
	struct lsmdeny *l;
	bool reused = false;
	int err;

	if (!probe_has(FEAT_BPF_LSM))
		return -EOPNOTSUPP;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = open_skel(l, &ctx);
	if (err)
		goto fail;
	if (pin_dir) {
		snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", pin_dir);
		l->pin_pending = true;
		err = reuse_pinned(l);
		reused = !err;
		if (err && err != -ENOENT)
			pr_warn("enforce",
				"cannot adopt the BPF LSM maps pinned under %s (%s): replacing "
				"them "
				"once the policies are in force",
				pin_dir, strerror(-err));
		if (err) {
			/* none of them half-reused */
			lsm_bpf__destroy(l->skel);
			err = open_skel(l, &ctx);
			if (err)
				goto fail;
		}
	}
	err = lsm_bpf__load(l->skel);
	if (err && reused) {
		pr_warn("enforce",
			"cannot adopt the BPF LSM maps pinned under %s (%s): replacing them once "
			"the policies are in force",
			pin_dir, strerror(-err));
		lsm_bpf__destroy(l->skel);
		reused = false;
		err = open_skel(l, &ctx) ?: lsm_bpf__load(l->skel);
	}
	if (err)
		goto fail;
	if (reused)
		adopt(l);
	/* New links beside the old pinned ones: those go when this run's are pinned. */
	err = lsm_bpf__attach(l->skel);
	if (err)
		goto fail;
	*out = l;
	return 0;
fail:
	l->pin_pending = false;
	lsmdeny_stop(l, false);
	return err;
}

/* Is @name one of this run's pins? */
static bool ours(const struct lsmdeny *l, const char *name)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;

	for (int i = 0; i < N_PINNED_MAPS; i++)
		if (!strcmp(name, bpf_map__name(pinned_map(l, i))))
			return true;
	for (int i = 0; i < s->prog_cnt; i++)
		if (!strcmp(name, s->progs[i].name))
			return true;
	return false;
}

/*
 * Maps, then a link per program, each pin replacing the old run's: an old program goes only
 * when this run's twin is pinned (its link was attached already). Pins of programs this run
 * has not (another vigil) go last.
 */
static void pin_now(struct lsmdeny *l)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;
	struct dirent *de;
	int err = 0;
	DIR *d;

	l->pin_pending = false;
	for (int i = 0; i < N_PINNED_MAPS && !err; i++)
		err = pin_put(bpf_map__fd(pinned_map(l, i)), l->pin_dir,
			      bpf_map__name(pinned_map(l, i)));
	for (int i = 0; i < s->prog_cnt && !err; i++)
		err = pin_put(bpf_link__fd(*s->progs[i].link), l->pin_dir, s->progs[i].name);
	if (err) {
		pr_warn("enforce",
			"cannot pin the BPF LSM deny programs under %s (%s): they end with this "
			"run",
			l->pin_dir, strerror(-err));
		l->pin_dir[0] = '\0';
		return;
	}
	d = opendir(l->pin_dir);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && !ours(l, de->d_name))
			pin_drop(l->pin_dir, de->d_name);
	if (d)
		closedir(d);
}

void lsmdeny_stop(struct lsmdeny *l, bool keep_pins)
{
	if (!l)
		return;
	/* refuse nothing from now: a link's last reference may be its pin's, put after we exit */
	if (!keep_pins && l->skel && l->skel->bss)
		memset(l->skel->bss, 0, sizeof(*l->skel->bss));
	if (l->pin_dir[0] && !l->pin_pending && l->skel && keep_pins)
		pr_info("enforce",
			"the BPF LSM deny programs stay in force, pinned under %s, for the next "
			"start to adopt ('vigil unload' removes them)",
			l->pin_dir);
	else if (l->pin_dir[0] && !l->pin_pending && l->skel) {
		const struct bpf_object_skeleton *s = l->skel->skeleton;

		for (int i = 0; i < N_PINNED_MAPS; i++)
			pin_drop(l->pin_dir, bpf_map__name(pinned_map(l, i)));
		for (int i = 0; i < s->prog_cnt; i++)
			pin_drop(l->pin_dir, s->progs[i].name);
		pin_prune(l->pin_dir);
	}
	if (l->skel)
		links_destroy_all(l->skel->skeleton);
	lsm_bpf__destroy(l->skel);
	free(l);
}

struct entry {
	struct vigil_deny_key key;
	struct vigil_deny_value value;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vigil_deny_key));
}

/*
 * The slot of @cgroup's scope: the one it has, else a free one in @next (slots in use by the
 * old list stay theirs until it is gone). -E2BIG when none is free.
 */
static int scope_slot(struct lsmdeny *l, struct vigil_deny_scope *next, const char *cgroup,
		      __u32 *slot)
{
	struct vigil_deny_scope s;
	int err;

	if (!cgroup) {
		*slot = 0;
		return 0;
	}
	err = cgroup_scope(cgroup, &s);
	if (err)
		return err;
	for (__u32 i = 1; i < VIGIL_DENY_SCOPES; i++)
		if (next[i].cgroup_id == s.cgroup_id || l->scopes[i].cgroup_id == s.cgroup_id) {
			next[i] = s;
			*slot = i;
			return 0;
		}
	for (__u32 i = 1; i < VIGIL_DENY_SCOPES; i++)
		if (!next[i].cgroup_id && !l->scopes[i].cgroup_id) {
			next[i] = s;
			*slot = i;
			return 0;
		}
	return -E2BIG;
}

/* What the kernel's maps are to hold. */
struct image {
	struct entry *e; /* sorted by key, merged */
	size_t n;
	struct vigil_deny_scope scopes[VIGIL_DENY_SCOPES];
	__u32 global[VIGIL_DENY_SCOPES]; /* VIGIL_DENY_GLOBAL ops per scope slot */
	__u32 self, below, any_global;	 /* the unions, for the programs' quick exits */
};

/* Resolve @d into @img (whose e has room for @count). 0 or -errno. */
static int resolve(struct lsmdeny *l, const struct lsm_deny *d, size_t count, struct image *img)
{
	size_t merged = 0;

	for (size_t i = 0; i < count; i++) {
		struct stat st;
		__u32 slot;
		int err;

		if (d[i].path && stat(d[i].path, &st)) {
			pr_debug("enforce", "%s: %s: not refused in the kernel until it exists",
				 d[i].path, strerror(errno));
			continue;
		}
		err = scope_slot(l, img->scopes, d[i].cgroup, &slot);
		if (err) {
			pr_warn("enforce", "cgroup %s: %s", d[i].cgroup, strerror(-err));
			return err;
		}
		if (!d[i].path) {
			img->global[slot] |= d[i].ops;
			img->any_global |= d[i].ops;
			continue;
		}
		img->e[img->n] = (struct entry){
			.key = { .inode = st.st_ino,
				 .dev = major(st.st_dev) << 20 | minor(st.st_dev),
				 .scope = slot },
			.value = { .self = d[i].ops,
				   .below = d[i].below ? d[i].ops : 0,
				   .rule = d[i].rule },
		};
		img->self |= img->e[img->n].value.self;
		img->below |= img->e[img->n].value.below;
		img->n++;
	}
	/* several paths may name one inode: one entry with all their bits, the first rule */
	qsort(img->e, img->n, sizeof(*img->e), key_cmp);
	for (size_t i = 0; i < img->n; i++) {
		if (merged && !key_cmp(&img->e[merged - 1].key, &img->e[i].key)) {
			img->e[merged - 1].value.self |= img->e[i].value.self;
			img->e[merged - 1].value.below |= img->e[i].value.below;
			continue;
		}
		img->e[merged++] = img->e[i];
	}
	img->n = merged;
	return 0;
}

int lsmdeny_set(struct lsmdeny *l, const struct lsm_deny *d, size_t count)
{
	struct lsm_bpf__bss *bss = l->skel->bss;
	int objects_fd = bpf_map__fd(l->skel->maps.deny_objects);
	int scopes_fd = bpf_map__fd(l->skel->maps.deny_scopes);
	int global_fd = bpf_map__fd(l->skel->maps.deny_global);
	struct image img = { .e = calloc(count ? count : 1, sizeof(*img.e)) };
	int err = 0;

	if (!img.e)
		return -ENOMEM;
	err = resolve(l, d, count, &img);
	if (err)
		goto out;
	/* widen first: the old list's operations stay watched until its entries are gone */
	bss->ops_self |= img.self;
	bss->ops_below |= img.below;
	bss->ops_global |= img.any_global;
	for (__u32 i = 0; i < VIGIL_DENY_SCOPES; i++) {
		__u32 ops = 0;

		if (img.scopes[i].cgroup_id &&
		    bpf_map_update_elem(scopes_fd, &i, &img.scopes[i], BPF_ANY)) {
			err = -errno;
			goto out;
		}
		bpf_map_lookup_elem(global_fd, &i, &ops);
		ops |= img.global[i];
		if (bpf_map_update_elem(global_fd, &i, &ops, BPF_ANY)) {
			err = -errno;
			goto out;
		}
	}
	for (size_t i = 0; i < img.n; i++)
		if (bpf_map_update_elem(objects_fd, &img.e[i].key, &img.e[i].value, BPF_ANY)) {
			err = -errno;
			pr_warn("enforce", "the LSM deny map is full (%u entries): %s",
				bpf_map__max_entries(l->skel->maps.deny_objects), strerror(-err));
			goto out;
		}
	/* then narrow to exactly the new list */
	bpf_map_delete_unwanted(objects_fd, sizeof(struct vigil_deny_key), sorted_keys_has,
				&(struct sorted_keys){ img.e, img.n, sizeof(*img.e),
						       sizeof(struct vigil_deny_key) });
	for (__u32 i = 0; i < VIGIL_DENY_SCOPES; i++)
		bpf_map_update_elem(global_fd, &i, &img.global[i], BPF_ANY);
	bss->ops_self = img.self;
	bss->ops_below = img.below;
	bss->ops_global = img.any_global;
	for (__u32 i = 1; i < VIGIL_DENY_SCOPES; i++) {
		if (l->scopes[i].cgroup_id && !img.scopes[i].cgroup_id) {
			struct vigil_deny_scope none = { 0 };

			bpf_map_update_elem(scopes_fd, &i, &none, BPF_ANY);
		}
		l->scopes[i] = img.scopes[i];
	}
	if (l->pin_pending)
		pin_now(l);
out:
	free(img.e);
	return err;
}

/* Zero the one value of the array @map_fd: 0 or -errno. */
static int zero_value(int map_fd, __u32 value_size)
{
	void *zero = calloc(1, value_size);
	__u32 key = 0;
	int err;

	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(map_fd, &key, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	return err;
}

/* Zero the .bss of program @id: ops_self, ops_below and ops_global all 0, nothing is judged. */
static int disarm_prog(__u32 id)
{
	__u32 map_ids[32], len = sizeof(struct bpf_prog_info);
	struct bpf_prog_info info = { .nr_map_ids = 32, .map_ids = (__u64)(unsigned long)map_ids };
	int fd = bpf_prog_get_fd_by_id(id), err = -ENOENT;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* released meanwhile */
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	for (__u32 i = 0; err == -ENOENT && i < info.nr_map_ids && i < 32; i++) {
		struct bpf_map_info map = { 0 };
		__u32 map_len = sizeof(map);
		int map_fd = bpf_map_get_fd_by_id(map_ids[i]);
		size_t n;

		if (map_fd < 0)
			continue;
		n = bpf_obj_get_info_by_fd(map_fd, &map, &map_len) ? 0 : strlen(map.name);
		if (n > 4 && !strcmp(map.name + n - 4, ".bss") && map.type == BPF_MAP_TYPE_ARRAY)
			err = zero_value(map_fd, map.value_size);
		close(map_fd);
	}
	close(fd);
	return err;
}

int lsmdeny_disarm(const __u32 *prog_ids, unsigned int count)
{
	int err = 0;

	for (unsigned int i = 0; i < count; i++) {
		int e = disarm_prog(prog_ids[i]);

		if (e)
			pr_warn("enforce", "cannot disarm BPF LSM program %u: %s", prog_ids[i],
				strerror(-e));
		err = err ?: e;
	}
	return err;
}
