// SPDX-License-Identifier: GPL-2.0
/*
 * Feature probes that need kernel BTF by nature (typed tracepoints, trampolines, BPF LSM,
 * iterators). Kept apart from probe.bpf.c so their CO-RE relocations do not make the
 * BTF-free probes depend on BTF. Loaded one program at a time by src/core/probe.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(probe_tp_btf, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(probe_lsm, struct linux_binprm *bprm)
{
	return 0; /* allow */
}

/* One 4-byte record per task: user space counts them. */
SEC("iter/task")
int probe_iter_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	__u32 one = 1;

	if (!ctx->task)
		return 0;
	bpf_seq_write(seq, &one, sizeof(one));
	return 0;
}

/* bpf_d_path is only allowed in a few program kinds; file iterators are one of them. */
SEC("iter/task_file")
int probe_d_path(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	char buf[64];

	if (!file)
		return 0;
	/* f_path is const in newer kernels; the helper only reads it. */
	bpf_d_path((struct path *)&file->f_path, buf, sizeof(buf));
	return 0;
}

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * Plain loads through bpf_rdonly_cast, as the sensors' fd_file() does them: a void cast read
 * at a variable index, then a typed cast whose fields are loaded.
 */
SEC("tp/syscalls/sys_exit_openat")
int probe_plain_reads(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	long fd = ctx->ret;
	const __u64 *slots;
	struct file *file;

	if (fd < 0 || fd >= fdt->max_fds)
		return 0;
	slots = bpf_rdonly_cast(fdt->fd, 0);
	file = bpf_rdonly_cast((void *)slots[fd], bpf_core_type_id_kernel(struct file));
	return file->f_mode & 1;
}
