// SPDX-License-Identifier: GPL-2.0
/*
 * Feature probes: one tiny program per feature, loaded one at a time by src/core/probe.c
 * (all others have autoload off), so one program the kernel rejects cannot hide the rest.
 *
 * Nothing here may read a kernel struct field: vmlinux.h marks every struct for CO-RE, and
 * a single CO-RE relocation would make this whole object need kernel BTF. Programs that
 * need BTF by nature (tp_btf, fentry, lsm, iter) live in probe_btf.bpf.c, so a kernel
 * without BTF still gets honest answers for everything below.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Only created when probe_ringbuf is the program being loaded. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_rb SEC(".maps");

#define PROBE_RINGBUF_MAGIC 0x76696769UL /* "vigi" */

/* Run by BPF_PROG_TEST_RUN: one record must reach user space. */
SEC("raw_tp")
int probe_ringbuf(void *ctx)
{
	__u64 rec = PROBE_RINGBUF_MAGIC;

	return bpf_ringbuf_output(&probe_rb, &rec, sizeof(rec), BPF_RB_FORCE_WAKEUP);
}

static long loop_step(__u32 i, void *data)
{
	(*(__u32 *)data)++;
	return 0;
}

/* Run by BPF_PROG_TEST_RUN: returns 4 when bpf_loop really looped. */
SEC("raw_tp")
int probe_bpf_loop(void *ctx)
{
	__u32 n = 0;

	bpf_loop(4, loop_step, &n, 0);
	return n;
}

SEC("tp/syscalls/sys_enter_openat")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("raw_tp/sched_process_exec")
int probe_raw_tp(void *ctx)
{
	return 0;
}

/* Loaded, never attached: the verifier deciding the helper is allowed here is the answer. */
SEC("tp/syscalls/sys_enter_kill")
int probe_send_signal(void *ctx)
{
	/* The idle task makes no syscalls: never true, but the verifier checks the call. */
	if (bpf_get_current_pid_tgid() == 0)
		bpf_send_signal(9);
	return 0;
}

/* Loaded, never attached. Lockdown (integrity and up) removes this helper from the kernel. */
SEC("tp/syscalls/sys_enter_getpid")
int probe_write_user(void *ctx)
{
	char zero = 0;

	if (bpf_get_current_pid_tgid() == 0)
		bpf_probe_write_user((void *)0, &zero, sizeof(zero));
	return 0;
}

SEC("kprobe/vfs_read")
int probe_kprobe(void *ctx)
{
	return 0;
}

SEC("perf_event")
int probe_perf_event(void *ctx)
{
	return 0;
}

/* Cgroup hooks: attached to an empty temporary cgroup, so they see no traffic. 1 = allow. */
SEC("cgroup/connect4")
int probe_connect4(void *ctx)
{
	return 1;
}

SEC("cgroup/connect6")
int probe_connect6(void *ctx)
{
	return 1;
}

SEC("cgroup/bind4")
int probe_bind4(void *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg4")
int probe_sendmsg4(void *ctx)
{
	return 1;
}

SEC("cgroup/sock_create")
int probe_sock_create(void *ctx)
{
	return 1;
}

SEC("cgroup_skb/egress")
int probe_cgroup_skb(void *ctx)
{
	return 1;
}

SEC("cgroup/sysctl")
int probe_sysctl(void *ctx)
{
	return 1;
}

SEC("cgroup/dev")
int probe_device(void *ctx)
{
	return 1;
}

SEC("xdp")
int probe_xdp(void *ctx)
{
	return XDP_PASS;
}

/* For live-frame test runs: dropped frames never reach a stack or a wire. */
SEC("xdp")
int probe_xdp_drop(void *ctx)
{
	return XDP_DROP;
}

SEC("tc")
int probe_tc(void *ctx)
{
	return 0; /* TC_ACT_OK */
}
