// SPDX-License-Identifier: GPL-2.0
/* The file sensor: bpf/file.bpf.c, one sys_exit program per syscall it follows. */
#include "core/probe.h"
#include "core/bpfmap.h"
#include "core/links.h"
#include "sensors/sensor.h"
#include "sensors/watch_list.h"
#include "core/log.h"
#include "vigil/ev_file.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "file.skel.h"

/* Which event types each program (exit_<syscall>) can emit. */
static const struct {
	const char *syscall;
	__u64 types;
} programs[] = {
	{ "open", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "openat", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "openat2", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "creat", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "open_by_handle_at", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "io_uring", EVENT_BIT(VIGIL_EV_OPEN) }, /* not a syscall: its requests' completions */
	{ "unlink", EVENT_BIT(VIGIL_EV_UNLINK) },
	{ "unlinkat", EVENT_BIT(VIGIL_EV_UNLINK) | EVENT_BIT(VIGIL_EV_RMDIR) },
	{ "rename", EVENT_BIT(VIGIL_EV_RENAME) },
	{ "renameat", EVENT_BIT(VIGIL_EV_RENAME) },
	{ "renameat2", EVENT_BIT(VIGIL_EV_RENAME) },
	{ "chmod", EVENT_BIT(VIGIL_EV_CHMOD) },
	{ "fchmod", EVENT_BIT(VIGIL_EV_CHMOD) },
	{ "fchmodat", EVENT_BIT(VIGIL_EV_CHMOD) },
	{ "fchmodat2", EVENT_BIT(VIGIL_EV_CHMOD) },
	{ "chown", EVENT_BIT(VIGIL_EV_CHOWN) },
	{ "lchown", EVENT_BIT(VIGIL_EV_CHOWN) },
	{ "fchown", EVENT_BIT(VIGIL_EV_CHOWN) },
	{ "fchownat", EVENT_BIT(VIGIL_EV_CHOWN) },
	{ "link", EVENT_BIT(VIGIL_EV_LINK) },
	{ "linkat", EVENT_BIT(VIGIL_EV_LINK) },
	{ "symlink", EVENT_BIT(VIGIL_EV_SYMLINK) },
	{ "symlinkat", EVENT_BIT(VIGIL_EV_SYMLINK) },
	{ "mkdir", EVENT_BIT(VIGIL_EV_MKDIR) },
	{ "mkdirat", EVENT_BIT(VIGIL_EV_MKDIR) },
	{ "rmdir", EVENT_BIT(VIGIL_EV_RMDIR) },
	{ "truncate", EVENT_BIT(VIGIL_EV_TRUNCATE) },
	{ "ftruncate", EVENT_BIT(VIGIL_EV_TRUNCATE) },
	{ "mount", EVENT_BIT(VIGIL_EV_MOUNT) },
	{ "umount", EVENT_BIT(VIGIL_EV_UMOUNT) },
	{ "setxattr", EVENT_BIT(VIGIL_EV_SETXATTR) },
	{ "lsetxattr", EVENT_BIT(VIGIL_EV_SETXATTR) },
	{ "fsetxattr", EVENT_BIT(VIGIL_EV_SETXATTR) },
	{ "utimensat", EVENT_BIT(VIGIL_EV_UTIMES) },
	{ "futimesat", EVENT_BIT(VIGIL_EV_UTIMES) },
	{ "utimes", EVENT_BIT(VIGIL_EV_UTIMES) },
	{ "utime", EVENT_BIT(VIGIL_EV_UTIMES) },
};

static __u64 program_types(const char *syscall, char *tp, size_t tp_len)
{
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		if (strcmp(programs[i].syscall, syscall))
			continue;
		if (!strcmp(syscall, "io_uring"))
			snprintf(tp, tp_len,
				 "/sys/kernel/tracing/events/io_uring/io_uring_complete");
		else
			snprintf(tp, tp_len, "/sys/kernel/tracing/events/syscalls/sys_exit_%s",
				 syscall);
		return programs[i].types;
	}
	return 0;
}

/* Calls that move trees or free dentries: they reset the kernel's watch verdict cache. */
#define MOVES_TREES                                                                                \
	(EVENT_BIT(VIGIL_EV_RENAME) | EVENT_BIT(VIGIL_EV_MOUNT) | EVENT_BIT(VIGIL_EV_UMOUNT) |     \
	 EVENT_BIT(VIGIL_EV_UNLINK) | EVENT_BIT(VIGIL_EV_RMDIR))

/*
 * Keep only the programs for wanted types whose tracepoint this kernel has; with a watch
 * list, also those that move trees, so that the kernel's verdict cache stays right.
 */
static void choose_programs(struct file_bpf *skel, __u64 wanted, bool watching)
{
	struct bpf_program *prog;
	char tp[128];

	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *syscall = bpf_program__name(prog) + strlen("exit_");
		__u64 types = program_types(syscall, tp, sizeof(tp));
		bool keep = (types & wanted) || (watching && (types & MOVES_TREES));

		if (keep && access(tp, F_OK)) {
			pr_debug("file", "no %s tracepoint on this kernel", tp);
			keep = false;
		}
		bpf_program__set_autoload(prog, keep);
	}
}

struct resolved_watch {
	struct vigil_file_watch_key key;
	__u16 bits;
	bool missing; /* the path does not exist: @bits are for @name in the directory @key */
	struct vigil_file_missing_key name;
};

/*
 * The kernel entry for @path: its (dev, inode) and bits. A path that does not exist (yet) is
 * watched through its nearest existing directory and the next name on its way (the kernel
 * sends what is at or beneath that name); on procfs and sysfs, whose inode numbers are made up
 * anew when an inode is evicted, through the mount's root, for everything beneath. User space
 * finishes the match on the path.
 */
static int watch_key(const char *path, __u16 bits, struct resolved_watch *out)
{
	char dir[4096];
	struct statfs sfs;
	struct stat st;
	bool up = false, missing = false;
	size_t dir_len;

	memset(out, 0, sizeof(*out));
	snprintf(dir, sizeof(dir), "%s", path);
	while (stat(dir, &st)) {
		char *slash = strrchr(dir, '/');

		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		if (!slash || slash == dir) {
			strcpy(dir, "/");
			if (stat(dir, &st))
				return -errno;
		} else {
			*slash = '\0';
		}
		up = missing = true;
	}
	dir_len = strlen(dir);
	if (!statfs(dir, &sfs) && (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)) {
		struct stat parent;

		missing = false;
		for (char *slash; (slash = strrchr(dir, '/')) && slash != dir;) {
			*slash = '\0';
			if (stat(dir, &parent) || parent.st_dev != st.st_dev) {
				*slash = '/';
				break;
			}
			st = parent;
			up = true;
		}
	}
	out->key.inode = st.st_ino;
	out->key.dev = major(st.st_dev) << 20 | minor(st.st_dev);
	out->bits = bits;
	if (missing) {
		const char *next = path + dir_len + (dir_len > 1); /* past "dir/" */
		size_t len = strcspn(next, "/");

		/* not a name the kernel's dentries carry ("", ".", ".."): the whole directory */
		if (len && strncmp(next, ".", len) && strncmp(next, "..", len)) {
			out->missing = true;
			out->name.inode = out->key.inode;
			out->name.dev = out->key.dev;
			out->name.len = len;
			memcpy(out->name.name, next,
			       len < sizeof(out->name.name) ? len : sizeof(out->name.name));
			/* at or beneath the name, whatever was wanted of the path or below it */
			out->bits = (bits | bits >> 2) &
				    (VIGIL_WATCH_READ | VIGIL_WATCH_WRITE | VIGIL_WATCH_CREATE);
			return 0;
		}
	}
	/*
	 * From an ancestor, the file is beneath: what was wanted of it applies below, to be
	 * finished in user space; a kill in the kernel, or a --path mark, would cover its
	 * neighbours too, so neither.
	 */
	if (up)
		out->bits = (bits | bits << 2) & (VIGIL_WATCH_BELOW_READ | VIGIL_WATCH_BELOW_WRITE |
						  VIGIL_WATCH_BELOW_CREATE);
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vigil_file_watch_key));
}

/* The sensor's state: its skeleton, and the paths it could not watch at the last try. */
struct file_state {
	struct file_bpf *skel;
	__u64 *failed; /* a hash of each path and its error */
	size_t n_failed;
	bool globs_collapsed; /* the expansion did not fit: globs by their directories */
};

static __u64 failure_hash(const char *path, int err)
{
	__u64 h = 0xcbf29ce484222325ull ^ (__u32)err;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 0x100000001b3ull;
	return h;
}

/*
 * Warn of the paths that cannot be watched, each once: the list is resolved again every
 * WATCH_REFRESH_S, and a path that stays unwatchable would say so every time.
 */
static void warn_failures(struct file_state *st, const struct watch_entry *w, const int *errs,
			  size_t n)
{
	__u64 *now = calloc(n ? n : 1, sizeof(*now));
	size_t n_now = 0;

	for (size_t i = 0; i < n; i++) {
		bool known = false;
		__u64 h;

		if (!errs[i])
			continue;
		h = failure_hash(w[i].path, errs[i]);
		for (size_t j = 0; j < st->n_failed; j++)
			known |= st->failed[j] == h;
		if (!known)
			pr_warn("file", "cannot watch %s: %s", w[i].path, strerror(-errs[i]));
		if (now)
			now[n_now++] = h;
	}
	free(st->failed);
	st->failed = now;
	st->n_failed = n_now;
}

/* A missing path's entry: its directory and next name, and the accesses wanted there. */
struct resolved_name {
	struct vigil_file_missing_key key;
	__u16 bits;
};

static int name_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vigil_file_missing_key));
}

/*
 * Make the map @fd hold exactly the @n sorted entries at @base (@stride bytes each: a key of
 * @key_size bytes first, its __u16 bits at @bits_off), the bits of equal keys merged. Entries
 * are added or updated first and removed last, so that while it changes the kernel sends at
 * least what the new list wants. 1 when anything changed, 0 when nothing did, or -errno.
 */
static int sync_map(int fd, const void *base, size_t n, size_t stride, size_t key_size,
		    size_t bits_off)
{
	struct sorted_keys keys = { base, n, stride, key_size };
	bool changed = false;

	for (size_t i = 0; i < n; i++) {
		const char *e = (const char *)base + i * stride;
		__u16 bits = *(const __u16 *)(e + bits_off), old;

		while (i + 1 < n && !memcmp(e, e + stride, key_size)) {
			e += stride;
			i++;
			bits |= *(const __u16 *)(e + bits_off);
		}
		if (!bpf_map_lookup_elem(fd, e, &old) && old == bits)
			continue;
		changed = true;
		if (bpf_map_update_elem(fd, e, &bits, BPF_ANY))
			return -errno;
	}
	return bpf_map_delete_unwanted(fd, key_size, sorted_keys_has, &keys) || changed;
}

/*
 * Make the watch maps hold exactly @list, its globs expanded (at most @per_glob entries each),
 * then invalidate the verdict cache if they changed. A path that does not exist puts
 * VIGIL_WATCH_MISSING on its directory's entry and its bits under the next name in
 * file_watch_missing. -E2BIG when a map is full.
 */
static int sync_watches(struct file_state *st, const struct watch_entry *list, size_t n_list,
			size_t per_glob)
{
	struct file_bpf *skel = st->skel;
	struct resolved_watch *rw = NULL;
	struct resolved_name *names = NULL;
	struct remote_mounts remote;
	struct watch_list expanded;
	struct watch_entry *w;
	size_t n, n_rw = 0, n_names = 0;
	int *errs = NULL, err, moved;
	__u8 kill_below;

	/* mounts unknown: no glob is listed, since any of them might lead onto NFS */
	if (remote_mounts_load(&remote, NULL))
		per_glob = 0;
	err = watch_list_expand(list, n_list, &remote, per_glob, &expanded);
	remote_mounts_free(&remote);
	if (err)
		return err;
	w = expanded.entries;
	n = expanded.n;
	rw = calloc(n ? n : 1, sizeof(*rw));
	names = calloc(n ? n : 1, sizeof(*names));
	errs = calloc(n ? n : 1, sizeof(*errs));
	if (!rw || !names || !errs) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		errs[i] = watch_key(w[i].path, w[i].bits, &rw[n_rw]);
		if (errs[i])
			continue;
		if (rw[n_rw].missing) {
			names[n_names++] = (struct resolved_name){ rw[n_rw].name, rw[n_rw].bits };
			rw[n_rw].bits = VIGIL_WATCH_MISSING;
		}
		n_rw++;
	}
	warn_failures(st, w, errs, n);
	/* several paths may share an inode or a name: one entry with all their bits */
	qsort(rw, n_rw, sizeof(*rw), key_cmp);
	qsort(names, n_names, sizeof(*names), name_cmp);
	/* names first: a directory's MISSING mark finds them there */
	err = sync_map(bpf_map__fd(skel->maps.file_watch_missing), names, n_names, sizeof(*names),
		       sizeof(names->key), offsetof(struct resolved_name, bits));
	if (err >= 0) {
		moved = err;
		err = sync_map(bpf_map__fd(skel->maps.file_watch), rw, n_rw, sizeof(*rw),
			       sizeof(rw->key), offsetof(struct resolved_watch, bits));
		moved |= err > 0;
	}
	if (err < 0)
		goto out;
	err = 0;
	kill_below = 0;
	for (size_t i = 0; i < n_rw; i++)
		kill_below |= rw[i].bits >> (VIGIL_WATCH_KILL_SHIFT + 2) & 3;
	for (size_t i = 0; i < n_names; i++)
		kill_below |= names[i].bits >> (VIGIL_WATCH_KILL_SHIFT + 2) & 3;
	if (kill_below != skel->bss->kill_below) {
		skel->bss->kill_below = kill_below;
		moved = 1;
	}
	if (moved)
		__atomic_fetch_add(&skel->bss->watch_gen, 1, __ATOMIC_SEQ_CST);
out:
	watch_list_free(&expanded);
	free(rw);
	free(names);
	free(errs);
	return err;
}

/*
 * sync_watches(), and when the globs' paths overflow the kernel's maps, again with each glob
 * through its literal directory: more opens for user space to match, none missed. A list
 * that overflows even so stays part old, part new, and says so.
 */
static int file_set_watches(void *state, const struct watch_entry *list, size_t n_list)
{
	struct file_state *st = state;
	struct file_bpf *skel = st->skel;
	bool collapsed = false;
	int err;

	err = sync_watches(st, list, n_list, WATCH_GLOB_MAX_MATCHES);
	if (err == -E2BIG) {
		collapsed = true;
		err = sync_watches(st, list, n_list, 0);
	}
	if (collapsed && !err && !st->globs_collapsed)
		pr_warn("file",
			"the globs' paths do not fit the kernel's watch maps (%u paths, %u "
			"missing ones): globs are watched through their directories",
			bpf_map__max_entries(skel->maps.file_watch),
			bpf_map__max_entries(skel->maps.file_watch_missing));
	st->globs_collapsed = collapsed;
	if (err == -E2BIG)
		pr_warn("file", "the watch list is full (%u paths, %u missing ones): %s",
			bpf_map__max_entries(skel->maps.file_watch),
			bpf_map__max_entries(skel->maps.file_watch_missing), strerror(-err));
	return err;
}

/* The secret of the refused opens' path hash: without it no name can be made to fold into
 * another's window. A weak one still works; it only makes collisions predictable. */
static __u64 fold_seed(void)
{
	__u64 seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (__u64)getpid() * 0x9e3779b97f4a7c15ull ^ (__u64)time(NULL);
	return seed;
}

static void file_stop(void *state)
{
	struct file_state *st = state;

	file_bpf__destroy(st->skel);
	free(st->failed);
	free(st);
}

static int file_start(const struct sensor_ctx *ctx, void **state)
{
	struct file_state *st = calloc(1, sizeof(*st));
	struct file_bpf *skel;
	int err;

	if (!st)
		return -ENOMEM;
	skel = st->skel = file_bpf__open();
	if (!skel) {
		err = -errno;
		goto fail;
	}
	err = sensor_share_maps(skel->obj, ctx);
	if (err)
		goto fail;
	skel->rodata->wakeup_bytes = ctx->wakeup_bytes;
	skel->rodata->self_tgid = getpid();
	skel->rodata->open_access = ctx->file_access;
	skel->rodata->watch_enabled = ctx->watch;
	skel->rodata->all_opens = ctx->all_opens;
	skel->rodata->wanted_types = ctx->types;
	skel->rodata->agg_window_ns = ctx->agg_window_ns;
	skel->rodata->kill_cgroup_id = ctx->kill_scope.cgroup_id;
	skel->rodata->kill_cgroup_level = ctx->kill_scope.level;
	skel->rodata->plain_reads = probe_has(FEAT_PLAIN_READS);
	skel->rodata->tick_ns = sensors_tick_ns();
	skel->rodata->fold_seed = fold_seed();
	choose_programs(skel, ctx->types, ctx->watch);
	err = file_bpf__load(skel);
	if (!err)
		err = file_set_watches(st, ctx->watches, ctx->n_watches);
	if (!err)
		err = file_bpf__attach(skel);
	if (err)
		goto fail;
	*state = st;
	return 0;
fail:
	file_stop(st);
	return err;
}

static void file_detach(void *state)
{
	links_destroy_all(((struct file_state *)state)->skel->skeleton);
}

static int file_map_fd(void *state, const char *name)
{
	struct file_bpf *skel = ((struct file_state *)state)->skel;
	struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

const struct sensor_ops file_sensor = {
	.name = "file",
	.types = EVENT_BIT(VIGIL_EV_OPEN) | EVENT_BIT(VIGIL_EV_UNLINK) |
		 EVENT_BIT(VIGIL_EV_RENAME) | EVENT_BIT(VIGIL_EV_CHMOD) |
		 EVENT_BIT(VIGIL_EV_CHOWN) | EVENT_BIT(VIGIL_EV_LINK) |
		 EVENT_BIT(VIGIL_EV_SYMLINK) | EVENT_BIT(VIGIL_EV_MKDIR) |
		 EVENT_BIT(VIGIL_EV_RMDIR) | EVENT_BIT(VIGIL_EV_TRUNCATE) |
		 EVENT_BIT(VIGIL_EV_MOUNT) | EVENT_BIT(VIGIL_EV_UMOUNT) |
		 EVENT_BIT(VIGIL_EV_SETXATTR) | EVENT_BIT(VIGIL_EV_UTIMES),
	.needs_tracefs = true,
	.start = file_start,
	.detach = file_detach,
	.stop = file_stop,
	.map_fd = file_map_fd,
	.set_watches = file_set_watches,
};
