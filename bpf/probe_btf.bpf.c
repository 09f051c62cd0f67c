// SPDX-License-Identifier: GPL-2.0
/*
 * Feature probes that need kernel BTF by nature (typed tracepoints, trampolines, BPF LSM,
 * iterators). Kept apart from probe.bpf.c so their CO-RE relocations do not make the
 * BTF-free probes depend on BTF. Loaded one program at a time by src/core/probe.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

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
