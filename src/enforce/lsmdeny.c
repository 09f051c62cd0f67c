// SPDX-License-Identifier: GPL-2.0
#include "enforce/lsmdeny.h"
#include "core/log.h"
#include "core/mounts.h"
#include "core/pins.h"
#include "core/probe.h"
#include "core/sensor.h"
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
static struct bpf_map *pinned_map(const struct lsmdeny *l, int i)
{
	return i ? l->skel->maps.deny_scopes : l->skel->maps.deny_objects;
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

	for (int i = 0; i < 2 && !err; i++) {
		int fd = pin_get(l->pin_dir, bpf_map__name(pinned_map(l, i)));

		err = fd < 0 ? fd : bpf_map__reuse_fd(pinned_map(l, i), fd);
		if (fd >= 0)
			close(fd);
	}
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

int lsmdeny_start(struct lsmdeny **out, int ringbuf_fd, int lost_fd, const char *pin_dir)
{
	struct sensor_ctx ctx = { .ringbuf_fd = ringbuf_fd, .lost_fd = lost_fd };
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
		reused = !reuse_pinned(l);
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
	lsmdeny_stop(l);
	return err;
}

/* Is @name one of this run's pins? */
static bool ours(const struct lsmdeny *l, const char *name)
{
	const struct bpf_object_skeleton *s = l->skel->skeleton;

	for (int i = 0; i < 2; i++)
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
	for (int i = 0; i < 2 && !err; i++)
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

void lsmdeny_stop(struct lsmdeny *l)
{
	if (!l)
		return;
	if (l->pin_dir[0] && !l->pin_pending && l->skel) {
		const struct bpf_object_skeleton *s = l->skel->skeleton;

		for (int i = 0; i < 2; i++)
			pin_drop(l->pin_dir, bpf_map__name(pinned_map(l, i)));
		for (int i = 0; i < s->prog_cnt; i++)
			pin_drop(l->pin_dir, s->progs[i].name);
		pin_prune(l->pin_dir);
	}
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

/* The cgroup's (id, level); its id is the inode of its directory on the cgroup2 mount. */
static int cgroup_scope(const char *cgroup, struct vigil_deny_scope *s)
{
	char root[PATH_MAX], path[PATH_MAX * 2];
	struct stat st;
	int err = cgroup2_mount_point(root, sizeof(root));

	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", root, cgroup);
	if (stat(path, &st))
		return -errno;
	memset(s, 0, sizeof(*s));
	s->cgroup_id = st.st_ino;
	for (const char *p = cgroup; *p; p++)
		if (*p != '/' && (p == cgroup || p[-1] == '/'))
			s->level++;
	return 0;
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

/* Resolve @d into sorted, merged entries; their number, or -errno. */
static long resolve(struct lsmdeny *l, const struct lsm_deny *d, size_t count,
		    struct vigil_deny_scope *next, struct entry *e, __u32 *self, __u32 *below)
{
	size_t n = 0, merged = 0;

	for (size_t i = 0; i < count; i++) {
		struct stat st;
		__u32 slot;
		int err;

		if (stat(d[i].path, &st)) {
			pr_debug("enforce", "%s: %s: not refused in the kernel until it exists",
				 d[i].path, strerror(errno));
			continue;
		}
		err = scope_slot(l, next, d[i].cgroup, &slot);
		if (err) {
			pr_warn("enforce", "cgroup %s: %s", d[i].cgroup, strerror(-err));
			return err;
		}
		e[n] = (struct entry){
			.key = { .inode = st.st_ino,
				 .dev = major(st.st_dev) << 20 | minor(st.st_dev),
				 .scope = slot },
			.value = { .self = d[i].ops,
				   .below = d[i].below ? d[i].ops : 0,
				   .rule = d[i].rule },
		};
		*self |= e[n].value.self;
		*below |= e[n].value.below;
		n++;
	}
	/* several paths may name one inode: one entry with all their bits, the first rule */
	qsort(e, n, sizeof(*e), key_cmp);
	for (size_t i = 0; i < n; i++) {
		if (merged && !key_cmp(&e[merged - 1].key, &e[i].key)) {
			e[merged - 1].value.self |= e[i].value.self;
			e[merged - 1].value.below |= e[i].value.below;
			continue;
		}
		e[merged++] = e[i];
	}
	return merged;
}

static void delete_stale(int fd, const struct entry *e, size_t n)
{
	struct vigil_deny_key key, next, *stale = NULL;
	size_t n_stale = 0;

	for (int r = bpf_map_get_next_key(fd, NULL, &next); !r;
	     r = bpf_map_get_next_key(fd, &key, &next)) {
		struct vigil_deny_key *more;

		key = next;
		if (bsearch(&key, e, n, sizeof(*e), key_cmp))
			continue;
		more = realloc(stale, (n_stale + 1) * sizeof(*stale));
		if (!more)
			break;
		stale = more;
		stale[n_stale++] = key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	free(stale);
}

int lsmdeny_set(struct lsmdeny *l, const struct lsm_deny *d, size_t count)
{
	int objects_fd = bpf_map__fd(l->skel->maps.deny_objects);
	int scopes_fd = bpf_map__fd(l->skel->maps.deny_scopes);
	struct vigil_deny_scope next[VIGIL_DENY_SCOPES] = { 0 };
	struct entry *e = calloc(count ? count : 1, sizeof(*e));
	__u32 self = 0, below = 0;
	long n;
	int err = 0;

	if (!e)
		return -ENOMEM;
	n = resolve(l, d, count, next, e, &self, &below);
	if (n < 0) {
		err = n;
		goto out;
	}
	/* widen first: the old list's operations stay watched until its entries are gone */
	l->skel->bss->ops_self |= self;
	l->skel->bss->ops_below |= below;
	for (__u32 i = 1; i < VIGIL_DENY_SCOPES; i++)
		if (next[i].cgroup_id && bpf_map_update_elem(scopes_fd, &i, &next[i], BPF_ANY)) {
			err = -errno;
			goto out;
		}
	for (long i = 0; i < n; i++)
		if (bpf_map_update_elem(objects_fd, &e[i].key, &e[i].value, BPF_ANY)) {
			err = -errno;
			pr_warn("enforce", "the LSM deny map is full (%u entries): %s",
				bpf_map__max_entries(l->skel->maps.deny_objects), strerror(-err));
			goto out;
		}
	delete_stale(objects_fd, e, n);
	l->skel->bss->ops_self = self;
	l->skel->bss->ops_below = below;
	for (__u32 i = 1; i < VIGIL_DENY_SCOPES; i++) {
		if (l->scopes[i].cgroup_id && !next[i].cgroup_id) {
			struct vigil_deny_scope none = { 0 };

			bpf_map_update_elem(scopes_fd, &i, &none, BPF_ANY);
		}
		l->scopes[i] = next[i];
	}
	if (l->pin_pending)
		pin_now(l);
out:
	free(e);
	return err;
}
