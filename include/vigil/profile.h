/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vigil profile: stack samples (bpf/profile.bpf.c) sent through a ring buffer to user space,
 * which unwinds the user part with the DWARF call frame information (src/profile/).
 *
 * Debian builds without frame pointers, so a sample carries what an unwinder needs instead of
 * a walked stack: the user registers and a copy of the top of the user stack, as
 * `perf record --call-graph dwarf` does. The kernel part is walked in the kernel.
 */
#ifndef VIGIL_PROFILE_H
#define VIGIL_PROFILE_H

#include "vigil/types.h"

/* x86_64's DWARF registers 0-16: rax rdx rcx rbx rsi rdi rbp rsp r8-r15, and rip (16). */
#define VIGIL_PROF_REGS	   17
#define VIGIL_PROF_REG_BP  6
#define VIGIL_PROF_REG_SP  7
#define VIGIL_PROF_REG_IP  16
#define VIGIL_PROF_KFRAMES 64
/* Most user stack a sample copies, from its stack pointer up (a multiple of the page). */
#define VIGIL_PROF_USTACK 32768
#define VIGIL_PROF_PAGE	  4096

/* vigil_prof_sample.kind */
enum vigil_prof_kind {
	VIGIL_PROF_ONCPU = 0,	   /* a cpu-clock tick */
	VIGIL_PROF_OFFCPU_OUT = 1, /* switched out, not runnable: the stacks; ts = when */
	VIGIL_PROF_OFFCPU_IN = 2,  /* back in: value = ns off CPU since ts; header only */
};

/* vigil_prof_sample.flags */
#define VIGIL_PROF_F_KTHREAD 0x1 /* a kernel thread: no user stack */

/* Map counters (per-CPU array): what the kernel side could not send. */
enum vigil_prof_counter {
	VIGIL_PROF_LOST = 0,	  /* the ring buffer was full */
	VIGIL_PROF_NO_USTACK = 1, /* the user stack could not be read at all */
	VIGIL_PROF_COUNTERS,
};

/*
 * One sample; @ustack_bytes of user stack follow it in the ring buffer record, copied from
 * regs[VIGIL_PROF_REG_SP] up. @kstack_bytes: bytes of kstack filled (8 a frame), or -errno.
 * An OFFCPU_IN record is a struct vigil_prof_switch, its first bytes.
 */
struct vigil_prof_sample {
	__u32 kind;
	__u32 flags;
	__u32 tgid;
	__u32 tid;
	__u64 ts;
	__u64 value;
	__s32 kstack_bytes;
	__u32 ustack_bytes;
	char comm[16];
	__u64 regs[VIGIL_PROF_REGS];
	__u64 kstack[VIGIL_PROF_KFRAMES];
};
VIGIL_ASSERT_SIZE(struct vigil_prof_sample, 704);
VIGIL_ASSERT_OFFSET(struct vigil_prof_sample, ts, 16);
VIGIL_ASSERT_OFFSET(struct vigil_prof_sample, value, 24);
VIGIL_ASSERT_OFFSET(struct vigil_prof_sample, kstack_bytes, 32);
VIGIL_ASSERT_OFFSET(struct vigil_prof_sample, comm, 40);
VIGIL_ASSERT_OFFSET(struct vigil_prof_sample, regs, 56);
VIGIL_ASSERT_OFFSET(struct vigil_prof_sample, kstack, 192);

/* OFFCPU_IN: the same first fields as a sample. */
struct vigil_prof_switch {
	__u32 kind;
	__u32 flags;
	__u32 tgid;
	__u32 tid;
	__u64 ts;
	__u64 value;
};
VIGIL_ASSERT_SIZE(struct vigil_prof_switch, 32);

#endif
