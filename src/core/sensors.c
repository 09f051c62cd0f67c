// SPDX-License-Identifier: GPL-2.0
#include "core/sensors.h"
#include "core/log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "process.skel.h"

struct sensors {
	struct process_bpf *process;
	int n_cpus;
};

const char *sensors_strerror(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return "not allowed to load BPF programs: run as root (or with CAP_BPF, "
		       "CAP_PERFMON and CAP_SYS_RESOURCE)";
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
	s->process = process_bpf__open();
	if (!s->process) {
		err = -errno;
		goto fail;
	}
	s->process->rodata->wakeup_bytes = opts->wakeup_bytes;
	if (opts->ring_bytes) {
		err = bpf_map__set_max_entries(s->process->maps.events, opts->ring_bytes);
		if (err)
			goto fail;
	}
	err = process_bpf__load(s->process);
	if (err)
		goto fail;
	err = process_bpf__attach(s->process);
	if (err)
		goto fail;
	pr_debug("sensors", "process sensor attached (exec, fork, exit)");
	*out = s;
	return 0;
fail:
	pr_debug("sensors", "start failed: %d", err);
	sensors_stop(s);
	return err;
}

void sensors_stop(struct sensors *s)
{
	if (!s)
		return;
	process_bpf__destroy(s->process);
	free(s);
}

int sensors_ringbuf_fd(const struct sensors *s)
{
	return bpf_map__fd(s->process->maps.events);
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
