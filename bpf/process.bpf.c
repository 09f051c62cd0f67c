// SPDX-License-Identifier: GPL-2.0
/*
 * Process sensor: exec, fork (new processes, not threads) and exit (the last thread).
 * Typed tp_btf tracepoints: cheap, fire once per event, and give us the kernel's own
 * objects (linux_binprm, task_struct) instead of syscall arguments.
 */
#include "vigil.bpf.h"
#include "path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define EXEC_DATA_SIZE (4 * VIGIL_PATH_MAX)

struct exec_scratch {
	struct vigil_exec_event ev;
	char data[EXEC_DATA_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_scratch);
} exec_scratch SEC(".maps");

static __always_inline bool is_kthread(struct task_struct *task)
{
	return BPF_CORE_READ(task, flags) & PF_KTHREAD;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_scratch *s;
	struct vigil_exec_event *ev;
	unsigned long arg_start, arg_end;
	__u32 zero = 0, off, len;
	bool truncated;
	__u16 flags = 0;

	s = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!s)
		return 0;
	ev = &s->ev;
	ev->hdr.type = VIGIL_EV_EXEC;
	ev->hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev->task, task);
	ev->argc = BPF_CORE_READ(bprm, argc);

	/* The file the kernel actually opened and mapped, not the name the caller gave. */
	off = append_path(s->data, 0, &bprm->file->f_path, &truncated);
	ev->exe_len = off;
	if (truncated)
		flags |= VIGIL_EXEC_EXE_TRUNCATED;

	len = append_path(s->data, off, &task->fs->pwd, &truncated);
	ev->cwd_len = len;
	off += len;
	if (truncated)
		flags |= VIGIL_EXEC_CWD_TRUNCATED;

	/* argv as the kernel just copied it onto the new stack. */
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > VIGIL_ARGS_MAX) {
		len = VIGIL_ARGS_MAX;
		flags |= VIGIL_EXEC_ARGS_TRUNCATED;
	}
	if (len && bpf_probe_read_user(s->data + (off & (2 * VIGIL_PATH_MAX - 1)), len,
				       (void *)arg_start)) {
		len = 0;
		flags |= VIGIL_EXEC_ARGS_FAULT;
	}
	ev->args_len = len;
	off += len;

	ev->hdr.flags = flags;
	ev->hdr.size = sizeof(*ev) + off;
	if (ev->hdr.size <= sizeof(*s))
		emit(s, ev->hdr.size);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct vigil_fork_event ev = {};

	/* Threads share their process's identity; kernel threads are not processes here. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid) || is_kthread(child))
		return 0;
	ev.hdr.type = VIGIL_EV_FORK;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev.task, child);
	emit(&ev, sizeof(ev));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	struct vigil_exit_event ev = {};

	/* signal->live reaches zero when the last thread of the group is exiting. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0 || is_kthread(task))
		return 0;
	ev.hdr.type = VIGIL_EV_EXIT;
	ev.hdr.size = sizeof(ev);
	ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	fill_task(&ev.task, task);
	ev.status = BPF_CORE_READ(task, exit_code);
	ev.duration_ns = ev.hdr.time_ns - ev.task.start_ns;
	emit(&ev, sizeof(ev));
	return 0;
}
