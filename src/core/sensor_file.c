// SPDX-License-Identifier: GPL-2.0
/* The file sensor: bpf/file.bpf.c, one sys_exit program per syscall it follows. */
#include "core/sensor.h"
#include "core/log.h"
#include "vigil/ev_file.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* The watch map holds each watched path's (dev, inode): what the kernel walk compares. */
static int fill_watch(struct file_bpf *skel, const struct sensor_ctx *ctx)
{
	int fd = bpf_map__fd(skel->maps.file_watch);
	__u8 one = 1;

	for (size_t i = 0; i < ctx->n_watch_paths; i++) {
		struct vigil_file_watch_key key = { 0 };
		struct stat st;

		if (stat(ctx->watch_paths[i], &st)) {
			pr_warn("file", "cannot watch %s: %s (it is matched by name only)",
				ctx->watch_paths[i], strerror(errno));
			continue;
		}
		key.inode = st.st_ino;
		key.dev = major(st.st_dev) << 20 | minor(st.st_dev);
		if (bpf_map_update_elem(fd, &key, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int file_start(const struct sensor_ctx *ctx, void **state)
{
	struct file_bpf *skel = file_bpf__open();
	int err;

	if (!skel)
		return -errno;
	err = sensor_share_maps(skel->obj, ctx);
	if (err)
		goto fail;
	skel->rodata->wakeup_bytes = ctx->wakeup_bytes;
	skel->rodata->self_tgid = getpid();
	skel->rodata->open_access = ctx->file_access;
	skel->rodata->watch_enabled = ctx->n_watch_paths > 0;
	skel->rodata->wanted_types = ctx->types;
	skel->rodata->agg_window_ns = ctx->agg_window_ns;
	choose_programs(skel, ctx->types, ctx->n_watch_paths > 0);
	err = file_bpf__load(skel);
	if (!err)
		err = fill_watch(skel, ctx);
	if (!err)
		err = file_bpf__attach(skel);
	if (err)
		goto fail;
	*state = skel;
	return 0;
fail:
	file_bpf__destroy(skel);
	return err;
}

static void file_stop(void *state)
{
	file_bpf__destroy(state);
}

static int file_map_fd(void *state, const char *name)
{
	struct file_bpf *skel = state;
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
	.stop = file_stop,
	.map_fd = file_map_fd,
};
