// SPDX-License-Identifier: GPL-2.0
/*
 * Floors for the benchmarks: empty programs on the attach points vigil's sensors use.
 * Whatever these cost, any program there costs; vigil's overhead is judged against them.
 * A benchmark turns on (autoload) only the ones it compares against.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_exec)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit)
{
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int floor_openat(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit)
{
	return 0;
}
