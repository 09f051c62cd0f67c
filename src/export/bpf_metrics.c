// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF programs and maps the agent holds, found by its own file descriptors: every sensor,
 * enforcer, the guard and the shields, with no list to keep in step.
 */
#include "core/log.h"
#include "export/collectors.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Hash maps that fill up, named as the kernel keeps them (15 characters at most): what is
 * watched and enforced stops growing when they are full, and pending syscalls are forgotten.
 */
static const char *const filling_maps[] = {
	"file_watch",  "file_watch_miss", "exec_kill",	   "deny_objects",
	"net_deny",    "net_deny_any",	  "exited",	   "kernel_pending",
	"net_pending", "priv_pending",	  "protected_ids",
};

struct prog_sample {
	__u32 id, type;
	char name[BPF_OBJ_NAME_LEN];
	__u64 run_ns, runs;
};

struct found {
	struct prog_sample *progs;
	size_t n_progs, cap_progs;
	__u32 maps_seen[64]; /* ids of the filling maps counted, against dup'd fds */
	size_t n_maps;
};

/* What the fd @name of /proc/self/fd is, like "anon_inode:bpf-prog"; "" when unreadable. */
static void fd_target(const char *name, char *target, size_t len)
{
	char path[sizeof("/proc/self/fd/") + NAME_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%s", name);
	n = readlink(path, target, len - 1);
	target[n > 0 ? n : 0] = '\0';
}

static void add_prog(struct found *f, int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	if (f->n_progs == f->cap_progs) {
		size_t cap = f->cap_progs ? 2 * f->cap_progs : 64;
		struct prog_sample *p = realloc(f->progs, cap * sizeof(*p));

		if (!p)
			return;
		f->progs = p;
		f->cap_progs = cap;
	}
	f->progs[f->n_progs++] = (struct prog_sample){
		.id = info.id, .type = info.type, .run_ns = info.run_time_ns, .runs = info.run_cnt
	};
	memcpy(f->progs[f->n_progs - 1].name, info.name, sizeof(info.name));
}

/* Walk the whole map: the kernel keeps no count of a hash map's entries for user space. */
static __u64 count_entries(int fd, __u32 key_size)
{
	char *keys = malloc(2 * (size_t)key_size);
	void *prev = NULL, *next;
	__u64 n = 0;

	if (!keys)
		return 0;
	next = keys;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		n++;
		prev = next;
		next = next == keys ? keys + key_size : keys;
	}
	free(keys);
	return n;
}

static void add_map(struct metrics_batch *b, struct found *f, int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	size_t i;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	for (i = 0; i < sizeof(filling_maps) / sizeof(filling_maps[0]); i++)
		if (!strcmp(info.name, filling_maps[i]))
			break;
	if (i == sizeof(filling_maps) / sizeof(filling_maps[0]))
		return;
	for (size_t k = 0; k < f->n_maps; k++)
		if (f->maps_seen[k] == info.id)
			return;
	if (f->n_maps < sizeof(f->maps_seen) / sizeof(f->maps_seen[0]))
		f->maps_seen[f->n_maps++] = info.id;
	metrics_gauge(b, "vigil_bpf_map_entries",
		      "Entries in the agent's BPF maps that can fill up (docs/metrics.md)",
		      count_entries(fd, info.key_size), "map", info.name, NULL);
	metrics_gauge(b, "vigil_bpf_map_max_entries", "What each of those maps holds at most",
		      info.max_entries, "map", info.name, NULL);
}

static int by_id(const void *a, const void *b)
{
	const struct prog_sample *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_name(const void *a, const void *b)
{
	const struct prog_sample *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->type > y->type) - (x->type < y->type);
}

/* One sample per program name and type: a program attached twice (two shields) is summed. */
static void emit_progs(struct metrics_batch *b, struct found *f)
{
	static const char note[] = " (counted while kernel.bpf_stats_enabled=1 or with "
				   "vigil run --bpf-stats)";
	char help_time[160], help_runs[160];
	size_t n = 0;

	snprintf(help_time, sizeof(help_time), "Time the agent's BPF programs ran%s", note);
	snprintf(help_runs, sizeof(help_runs), "Times the agent's BPF programs ran%s", note);
	qsort(f->progs, f->n_progs, sizeof(*f->progs), by_id);
	for (size_t i = 0; i < f->n_progs; i++)
		if (!n || f->progs[i].id != f->progs[n - 1].id)
			f->progs[n++] = f->progs[i];
	qsort(f->progs, n, sizeof(*f->progs), by_name);
	for (size_t i = 0; i < n; i++) {
		struct prog_sample sum = f->progs[i];
		const char *type;

		while (i + 1 < n && !by_name(&f->progs[i + 1], &sum)) {
			sum.run_ns += f->progs[++i].run_ns;
			sum.runs += f->progs[i].runs;
		}
		type = libbpf_bpf_prog_type_str(sum.type);
		metrics_counter(b, "vigil_bpf_program_run_seconds_total", help_time,
				sum.run_ns / 1e9, "program", sum.name, "type",
				type ? type : "unknown", NULL);
		metrics_counter(b, "vigil_bpf_program_runs_total", help_runs, sum.runs, "program",
				sum.name, "type", type ? type : "unknown", NULL);
	}
}

/* Is kernel.bpf_stats_enabled on? */
static bool stats_sysctl(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	bool on = f && fgetc(f) == '1';

	if (f)
		fclose(f);
	return on;
}

void bpf_metrics_collect(struct metrics_batch *b, void *ctx)
{
	const struct bpf_metrics *bm = ctx;
	struct found f = { 0 };
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	metrics_gauge(b, "vigil_bpf_stats_enabled",
		      "1 when the kernel counts BPF programs' run time (kernel.bpf_stats_enabled=1 "
		      "or vigil run --bpf-stats), else 0",
		      bm->stats_fd >= 0 || stats_sysctl(), NULL);
	if (!d) {
		pr_debug("metrics", "cannot list /proc/self/fd: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		char target[64];

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		fd_target(de->d_name, target, sizeof(target));
		if (!strcmp(target, "anon_inode:bpf-prog"))
			add_prog(&f, fd);
		else if (!strcmp(target, "anon_inode:bpf-map"))
			add_map(b, &f, fd);
	}
	closedir(d);
	emit_progs(b, &f);
	free(f.progs);
}

int bpf_metrics_enable_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}
