// SPDX-License-Identifier: GPL-2.0
#include "sensors/sensors.h"
#include "core/links.h"
#include "sensors/sensor.h"
#include "core/bpfmap.h"
#include "core/log.h"
#include "core/mounts.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "process.skel.h"
#include "vigil/budget.h"
#include "vigil/enforce.h"

/* The sensors beside the process sensor, which always runs (it feeds the process table). */
extern const struct sensor_ops file_sensor, sensor_net, priv_sensor, kernel_sensor, app_sensor;

static const struct sensor_ops *const sensor_table[] = {
	&file_sensor,	/* open, unlink, rename, chmod, ... */
	&sensor_net,	/* connect, accept, listen, bind, socket, dns */
	&priv_sensor,	/* setuid, setgid, capset */
	&kernel_sensor, /* module_load, bpf, ptrace, process_vm_write, memfd, proc_mem_write,
			   proc_read */
	&app_sensor,	/* shell, tls (uprobes) */
	NULL,		/* sensors are listed above this line */
};

#define MAX_SENSORS 16

struct running_sensor {
	const struct sensor_ops *ops;
	void *state;
};

struct sensors {
	struct process_bpf *process;
	/* the ring buffer's consumer and producer positions, read-only (sensors_ringbuf_usage) */
	const volatile unsigned long *positions;
	int n_cpus;
	struct running_sensor running[MAX_SENSORS];
	size_t n_running;
};

const char *sensors_strerror(int err)
{
	switch (err) {
	case -EPERM:
		return "not allowed to load BPF programs: run as root (or with CAP_BPF, "
		       "CAP_PERFMON and CAP_SYS_RESOURCE)";
	case -EACCES:
		return "this kernel's verifier rejected a sensor program: run with -v to see which "
		       "and why, and 'vigil probe' for what the kernel supports";
	case -ENOENT:
		return "this kernel has no BTF (/sys/kernel/btf/vmlinux): vigil needs a kernel "
		       "built with CONFIG_DEBUG_INFO_BTF=y (Debian's kernels are)";
	case -EOPNOTSUPP:
	case -EINVAL:
		return "the kernel refused a sensor program (tp_btf tracepoints, ring buffer and "
		       "bpf_loop are needed: Linux 5.17 or later); run 'vigil probe' for details";
	default:
		return "could not start the sensors; run with -v for libbpf's messages";
	}
}

int sensor_share_maps(struct bpf_object *obj, const struct sensor_ctx *ctx)
{
	const struct {
		const char *name;
		int fd;
	} shared[] = {
		{ "events", ctx->ringbuf_fd },
		{ "lost_events", ctx->lost_fd },
		{ "budget_config", ctx->budget_fd },
		{ "uid_losses", ctx->uid_losses_fd },
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]) && !err; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, shared[i].name);

		err = map ? bpf_map__reuse_fd(map, shared[i].fd) : -ENOENT;
	}
	return err;
}

void sensors_shared(const struct sensors *s, struct sensor_ctx *ctx)
{
	ctx->ringbuf_fd = bpf_map__fd(s->process->maps.events);
	ctx->lost_fd = bpf_map__fd(s->process->maps.lost_events);
	ctx->budget_fd = bpf_map__fd(s->process->maps.budget_config);
	ctx->uid_losses_fd = bpf_map__fd(s->process->maps.uid_losses);
}

bool sensors_kernel_has_tracepoint(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char typedef_name[128];
	bool found;

	if (!btf)
		return false;
	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	found = btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return found;
}

__u64 sensors_tick_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) || res.tv_sec)
		return 0;
	return res.tv_nsec;
}

/*
 * Raw events stop short of the ring buffer's last quarter, kept for process records and
 * enforcement outcomes; and each uid but root has its budget (vigil/budget.h).
 */
static int set_budget(struct sensors *s, const struct sensors_opts *opts)
{
	struct vigil_budget_config cfg = {
		.rate = opts->budget_rate,
		.burst = opts->budget_burst ?: opts->budget_rate,
		.tick_ns = sensors_tick_ns(),
	};
	__u32 zero = 0, ring = bpf_map__max_entries(s->process->maps.events);

	cfg.raw_limit = ring - ring / RING_RESERVE_DIVISOR;
	if (bpf_map_update_elem(bpf_map__fd(s->process->maps.budget_config), &zero, &cfg, 0))
		return -errno;
	return 0;
}

static int start_process(struct sensors *s, const struct sensors_opts *opts)
{
	int err;

	s->process = process_bpf__open();
	if (!s->process)
		return -errno;
	s->process->rodata->wakeup_bytes = opts->wakeup_bytes;
	s->process->rodata->self_tgid = getpid();
	s->process->rodata->kill_cgroup_id = opts->kill_scope.cgroup_id;
	s->process->rodata->kill_cgroup_level = opts->kill_scope.level;
	if (opts->ring_bytes) {
		err = bpf_map__set_max_entries(s->process->maps.events, opts->ring_bytes);
		if (err)
			return err;
	}
	err = bpf_map__set_max_entries(s->process->maps.uid_losses, BUDGET_UIDS);
	if (!err)
		err = process_bpf__load(s->process);
	if (!err)
		err = set_budget(s, opts);
	if (!err)
		err = process_bpf__attach(s->process);
	if (!err)
		pr_debug("sensors", "process sensor attached (exec, fork, exit)");
	return err;
}

/* Start the other sensors that emit something wanted. */
static int start_others(struct sensors *s, const struct sensors_opts *opts)
{
	struct sensor_ctx ctx = {
		.types = opts->types ? opts->types : ~0ull,
		.named_types = opts->named_types,
		.wakeup_bytes = opts->wakeup_bytes,
		.watches = opts->watches,
		.n_watches = opts->n_watches,
		.watch = opts->watch || opts->n_watches,
		.all_opens = opts->all_opens,
		.file_access = opts->file_access,
		.agg_window_ns = opts->agg_window_ns,
		.kill_scope = opts->kill_scope,
	};
	int err;

	sensors_shared(s, &ctx);
	for (size_t i = 0; sensor_table[i] && s->n_running < MAX_SENSORS; i++) {
		const struct sensor_ops *ops = sensor_table[i];
		void *state = NULL;

		if (!(ops->types & ctx.types))
			continue;
		err = ops->needs_tracefs ? tracefs_ensure() : 0;
		if (!err)
			err = ops->start(&ctx, &state);
		if (err) {
			/* Asked for by name: fail. Part of "everything": say so and go on. */
			if (ops->types & opts->named_types)
				return err;
			pr_warn("sensors", "%s sensor unavailable (%s): its events are off",
				ops->name, strerror(-err));
			continue;
		}
		pr_debug("sensors", "%s sensor attached", ops->name);
		s->running[s->n_running++] = (struct running_sensor){ ops, state };
	}
	return 0;
}

int sensors_start(struct sensors **out, const struct sensors_opts *opts)
{
	struct sensors *s;
	int err;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n_cpus = libbpf_num_possible_cpus();
	if (s->n_cpus <= 0) {
		err = s->n_cpus ? s->n_cpus : -EINVAL;
		goto fail;
	}
	err = start_process(s, opts);
	if (!err)
		err = start_others(s, opts);
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	pr_debug("sensors", "start failed: %d", err);
	sensors_stop(s);
	return err;
}

void sensors_detach(struct sensors *s)
{
	for (size_t i = 0; i < s->n_running; i++)
		s->running[i].ops->detach(s->running[i].state);
	if (s->process)
		links_destroy_all(s->process->skeleton);
}

void sensors_stop(struct sensors *s)
{
	if (!s)
		return;
	sensors_detach(s);
	if (s->positions)
		munmap((void *)s->positions, 2 * getpagesize());
	while (s->n_running--)
		s->running[s->n_running].ops->stop(s->running[s->n_running].state);
	process_bpf__destroy(s->process);
	free(s);
}

int sensors_ringbuf_fd(const struct sensors *s)
{
	return bpf_map__fd(s->process->maps.events);
}

/*
 * The kernel keeps the consumer position on the ring buffer's first page and the producer's on
 * the second: a read-only view of both shows how far the consumer is behind.
 */
int sensors_ringbuf_usage(struct sensors *s, __u64 *used, __u64 *size)
{
	long page = getpagesize();
	void *p;

	if (!s->positions) {
		p = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, sensors_ringbuf_fd(s), 0);
		if (p == MAP_FAILED)
			return -errno;
		s->positions = p;
	}
	*used = s->positions[page / sizeof(long)] - s->positions[0];
	*size = bpf_map__max_entries(s->process->maps.events);
	return 0;
}

int sensors_lost_fd(const struct sensors *s)
{
	return bpf_map__fd(s->process->maps.lost_events);
}

int sensors_map_fd(const struct sensors *s, const char *name)
{
	for (size_t i = 0; i < s->n_running; i++) {
		const struct running_sensor *r = &s->running[i];
		int fd = r->ops->map_fd ? r->ops->map_fd(r->state, name) : -ENOENT;

		if (fd >= 0)
			return fd;
	}
	return -ENOENT;
}

static int exec_kill_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vigil_deny_key));
}

int sensors_set_exec_kills(struct sensors *s, const struct exec_kill *k, size_t n)
{
	int fd = bpf_map__fd(s->process->maps.exec_kill);
	struct vigil_deny_key *keys = calloc(n ? n : 1, sizeof(*keys));
	size_t n_keys = 0;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	/* new entries first, stale ones last: no moment where neither list holds */
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (stat(k[i].path, &st))
			continue; /* killed from user space until it exists */
		keys[n_keys] = (struct vigil_deny_key){
			.inode = st.st_ino,
			.dev = major(st.st_dev) << 20 | minor(st.st_dev),
		};
		if (bpf_map_update_elem(fd, &keys[n_keys++], &k[i].rule, BPF_ANY)) {
			err = -errno;
			goto out;
		}
	}
	qsort(keys, n_keys, sizeof(*keys), exec_kill_cmp);
	bpf_map_delete_unwanted(
		fd, sizeof(*keys), sorted_keys_has,
		&(struct sorted_keys){ keys, n_keys, sizeof(*keys), sizeof(*keys) });
out:
	free(keys);
	return err;
}

int sensors_set_watches(struct sensors *s, const struct watch_entry *w, size_t n)
{
	for (size_t i = 0; i < s->n_running; i++)
		if (s->running[i].ops->set_watches)
			return s->running[i].ops->set_watches(s->running[i].state, w, n);
	return -ENOENT;
}

void sensors_describe(const struct sensors *s, char *buf, size_t size)
{
	size_t n = snprintf(buf, size, "process");

	for (size_t i = 0; i < s->n_running && n < size; i++)
		n += snprintf(buf + n, size - n, ", %s", s->running[i].ops->name);
}

int sensors_lost(const struct sensors *s, __u64 *lost)
{
	__u64 *values = calloc(s->n_cpus, sizeof(*values));
	__u32 zero = 0;
	int err;

	if (!values)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(s->process->maps.lost_events), &zero, values);
	if (err) {
		err = -errno;
		goto out;
	}
	*lost = 0;
	for (int i = 0; i < s->n_cpus; i++)
		*lost += values[i];
out:
	free(values);
	return err;
}

/* The per-CPU loss counters by slot (vigil/budget.h), summed over CPUs into @out. */
static int read_lost_slots(const struct sensors *s, __u64 out[VIGIL_LOST_SLOTS])
{
	int fd = bpf_map__fd(s->process->maps.lost_events), err = 0;
	__u64 *values = calloc(s->n_cpus, sizeof(*values));

	if (!values)
		return -ENOMEM;
	for (__u32 slot = 0; slot < VIGIL_LOST_SLOTS && !err; slot++) {
		out[slot] = 0;
		if (bpf_map_lookup_elem(fd, &slot, values)) {
			err = -errno;
			break;
		}
		for (int i = 0; i < s->n_cpus; i++)
			out[slot] += values[i];
	}
	free(values);
	return err;
}

int sensors_losses(const struct sensors *s, struct losses *out)
{
	int fd = bpf_map__fd(s->process->maps.uid_losses);
	__u64 slots[VIGIL_LOST_SLOTS];
	struct vigil_uid_loss v;
	__u32 uid, next;
	int err = read_lost_slots(s, slots);

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->total = slots[0];
	for (size_t t = 1; t < VIGIL_EV_TYPE_MAX; t++) {
		out->ring_full[t] = slots[VIGIL_LOST_RING + t];
		out->throttled[t] = slots[VIGIL_LOST_BUDGET + t];
	}
	for (int r = bpf_map_get_next_key(fd, NULL, &next); !r;
	     r = bpf_map_get_next_key(fd, &uid, &next)) {
		struct uid_losses *u;

		uid = next;
		if (bpf_map_lookup_elem(fd, &uid, &v) || (!v.throttled && !v.ring_full))
			continue;
		u = losses_uid(out, uid);
		u->throttled += v.throttled;
		u->ring_full += v.ring_full;
		u->types |= v.types;
	}
	return 0;
}
