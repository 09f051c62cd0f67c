// SPDX-License-Identifier: GPL-2.0
/* The file sensor: bpf/file.bpf.c, one sys_exit program per syscall it follows. */
#include "core/probe.h"
#include "core/links.h"
#include "core/sensor.h"
#include "core/log.h"
#include "vigil/ev_file.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "file.skel.h"

/* Which event types each syscall's program can emit. */
static const struct {
	const char *syscall;
	__u64 types;
} programs[] = {
	{ "open", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "openat", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "openat2", EVENT_BIT(VIGIL_EV_OPEN) },
	{ "creat", EVENT_BIT(VIGIL_EV_OPEN) },
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
};

static __u64 program_types(const char *syscall)
{
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (!strcmp(programs[i].syscall, syscall))
			return programs[i].types;
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
		__u64 types = program_types(syscall);
		bool keep = (types & wanted) || (watching && (types & MOVES_TREES));

		snprintf(tp, sizeof(tp), "/sys/kernel/tracing/events/syscalls/sys_exit_%s",
			 syscall);
		if (keep && access(tp, F_OK)) {
			pr_debug("file", "no %s syscall tracepoint on this kernel", syscall);
			keep = false;
		}
		bpf_program__set_autoload(prog, keep);
	}
}

/*
 * The kernel entry for @path: its (dev, inode) and bits. A path that does not exist (yet) is
 * watched through its nearest existing directory, for what will be beneath it; on procfs and
 * sysfs, whose inode numbers are made up anew when an inode is evicted, through the mount's
 * root. User space finishes the match on the path.
 */
static int watch_key(const char *path, __u16 bits, struct vigil_file_watch_key *key, __u16 *out)
{
	char dir[4096];
	struct statfs sfs;
	struct stat st;
	bool up = false;

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
		up = true;
	}
	if (!statfs(dir, &sfs) && (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)) {
		struct stat parent;

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
	key->inode = st.st_ino;
	key->dev = major(st.st_dev) << 20 | minor(st.st_dev);
	/*
	 * From an ancestor, the file is beneath: what was wanted of it applies below, to be
	 * finished in user space; a kill in the kernel, or a --path mark, would cover its
	 * neighbours too, so neither.
	 */
	*out = up ? (bits | bits << 2) & (VIGIL_WATCH_BELOW_READ | VIGIL_WATCH_BELOW_WRITE |
					  VIGIL_WATCH_BELOW_CREATE)
		  : bits;
	return 0;
}

struct resolved_watch {
	struct vigil_file_watch_key key;
	__u16 bits;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vigil_file_watch_key));
}

/* The sensor's state: its skeleton, and the paths it could not watch at the last try. */
struct file_state {
	struct file_bpf *skel;
	__u64 *failed; /* a hash of each path and its error */
	size_t n_failed;
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

		if (!errs[i])
			continue;
		if (now)
			now[n_now++] = failure_hash(w[i].path, errs[i]);
		for (size_t j = 0; j < st->n_failed && now && !known; j++)
			known = st->failed[j] == now[n_now - 1];
		if (!known)
			pr_warn("file", "cannot watch %s: %s", w[i].path, strerror(-errs[i]));
	}
	free(st->failed);
	st->failed = now;
	st->n_failed = n_now;
}

/*
 * Make the watch map hold exactly @w: entries are added or updated first and removed last, so
 * that while it changes the kernel sends at least what the new list wants. Then the verdict
 * cache is invalidated.
 */
static int file_set_watches(void *state, const struct watch_entry *w, size_t n)
{
	struct file_state *st = state;
	struct file_bpf *skel = st->skel;
	int fd = bpf_map__fd(skel->maps.file_watch);
	struct resolved_watch *rw = calloc(n ? n : 1, sizeof(*rw));
	int *errs = calloc(n ? n : 1, sizeof(*errs));
	struct vigil_file_watch_key key, next, *stale = NULL;
	size_t n_rw = 0, n_stale = 0, cap_stale = 0;
	bool changed = false;
	int err = 0;

	if (!rw || !errs) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&rw[n_rw], 0, sizeof(rw[n_rw]));
		errs[i] = watch_key(w[i].path, w[i].bits, &rw[n_rw].key, &rw[n_rw].bits);
		if (!errs[i])
			n_rw++;
	}
	warn_failures(st, w, errs, n);
	/* several paths may share an inode: one entry with all their bits */
	qsort(rw, n_rw, sizeof(*rw), key_cmp);
	for (size_t i = 0; i < n_rw; i++) {
		__u16 bits = rw[i].bits, old;

		while (i + 1 < n_rw && !key_cmp(&rw[i], &rw[i + 1]))
			bits |= rw[++i].bits;
		if (!bpf_map_lookup_elem(fd, &rw[i].key, &old) && old == bits)
			continue;
		changed = true;
		if (bpf_map_update_elem(fd, &rw[i].key, &bits, BPF_ANY)) {
			err = -errno;
			pr_warn("file", "the watch list is full (%u entries): %s",
				bpf_map__max_entries(skel->maps.file_watch), strerror(-err));
			goto out;
		}
	}
	for (int r = bpf_map_get_next_key(fd, NULL, &next); !r;
	     r = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (bsearch(&key, rw, n_rw, sizeof(*rw), key_cmp))
			continue;
		if (n_stale == cap_stale) {
			void *more = realloc(stale, (cap_stale = 2 * cap_stale + 64) * sizeof(key));

			if (!more) {
				err = -ENOMEM;
				goto out;
			}
			stale = more;
		}
		stale[n_stale++] = key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	if (changed || n_stale)
		__atomic_fetch_add(&skel->bss->watch_gen, 1, __ATOMIC_SEQ_CST);
out:
	free(rw);
	free(errs);
	free(stale);
	return err;
}

/* The length of a jiffy: the resolution of the coarse clocks is one tick. 0 when unknown. */
static __u64 tick_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec)
		return 0;
	return res.tv_nsec;
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
	skel->rodata->wanted_types = ctx->types;
	skel->rodata->agg_window_ns = ctx->agg_window_ns;
	skel->rodata->plain_reads = probe_has(FEAT_PLAIN_READS);
	skel->rodata->tick_ns = tick_ns();
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
		 EVENT_BIT(VIGIL_EV_SETXATTR),
	.needs_tracefs = true,
	.start = file_start,
	.detach = file_detach,
	.stop = file_stop,
	.map_fd = file_map_fd,
	.set_watches = file_set_watches,
};
