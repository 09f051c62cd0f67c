/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel integrity and injection events: module loads, BPF loads, ptrace, process_vm_writev,
 * memfd_create and opens of /proc/<pid>/mem for writing. Every record starts with
 * struct vigil_event_hdr and struct vigil_task; result is the syscall's return value.
 */
#ifndef VIGIL_EV_KERNEL_H
#define VIGIL_EV_KERNEL_H

#include "vigil/events.h"

/* Types (plain ints: they extend enum vigil_event_type). */
#define VIGIL_EV_MODULE_LOAD	  (VIGIL_EV_KERNEL_FIRST + 0) /* struct vigil_module_event */
#define VIGIL_EV_BPF		  (VIGIL_EV_KERNEL_FIRST + 1) /* struct vigil_bpf_event */
#define VIGIL_EV_PTRACE		  (VIGIL_EV_KERNEL_FIRST + 2) /* struct vigil_ptrace_event */
#define VIGIL_EV_PROCESS_VM_WRITE (VIGIL_EV_KERNEL_FIRST + 3) /* struct vigil_pvm_event */
#define VIGIL_EV_MEMFD		  (VIGIL_EV_KERNEL_FIRST + 4) /* struct vigil_memfd_event */
#define VIGIL_EV_PROC_MEM_WRITE	  (VIGIL_EV_KERNEL_FIRST + 5) /* struct vigil_proc_mem_event */
#define VIGIL_EV_PROC_READ	  (VIGIL_EV_KERNEL_FIRST + 6) /* struct vigil_proc_mem_event */
#define VIGIL_EV_KERNEL_LAST	  VIGIL_EV_PROC_READ

#define VIGIL_MODULE_NAME_LEN 56 /* MODULE_NAME_LEN on 64-bit */
#define VIGIL_BPF_NAME_LEN    16 /* BPF_OBJ_NAME_LEN */
#define VIGIL_MEMFD_NAME_MAX  255

/* vigil_module_event.syscall */
#define VIGIL_SYS_INIT_MODULE  1
#define VIGIL_SYS_FINIT_MODULE 2

/* hdr.flags of a module_load record */
#define VIGIL_MODULE_PATH_TRUNCATED (1 << 0)

/*
 * module_load: followed by path_len bytes of the path of the file finit_module read (resolved
 * from the caller's fd table; empty for init_module). name is the loaded module's name, empty
 * when the kernel did not get as far as naming one (a failed load) or cannot tell us.
 */
struct vigil_module_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;
	__u64 len;     /* init_module: bytes of the image */
	__u32 syscall; /* VIGIL_SYS_*_MODULE */
	__s32 fd;      /* finit_module: the fd; -1 otherwise */
	__u32 flags;   /* finit_module: MODULE_INIT_* */
	__u16 path_len;
	__u16 pad;
	char name[VIGIL_MODULE_NAME_LEN]; /* NUL-padded */
					  /* the path follows here */
};
VIGIL_ASSERT_SIZE(struct vigil_module_event, 168);
VIGIL_ASSERT_OFFSET(struct vigil_module_event, name, 112);

/* hdr.flags of a bpf record */
#define VIGIL_BPF_FROM_KERNEL (1 << 0) /* type and name read from the object the kernel made */

/* bpf: BPF_PROG_LOAD and BPF_MAP_CREATE. */
struct vigil_bpf_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;
	__u32 cmd;		       /* BPF_PROG_LOAD or BPF_MAP_CREATE */
	__u32 obj_type;		       /* enum bpf_prog_type or enum bpf_map_type */
	__u32 id;		       /* the kernel's prog or map id; 0 when the load failed */
	__u32 insn_cnt;		       /* BPF_PROG_LOAD: instructions asked to load */
	char name[VIGIL_BPF_NAME_LEN]; /* NUL-padded */
};
VIGIL_ASSERT_SIZE(struct vigil_bpf_event, 120);
VIGIL_ASSERT_OFFSET(struct vigil_bpf_event, name, 104);

/* ptrace: target_pid is the pid as the caller named it (in its pid namespace). */
struct vigil_ptrace_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;
	__s64 request;
	__u64 addr;
	__u32 target_pid;
	__u32 pad;
};
VIGIL_ASSERT_SIZE(struct vigil_ptrace_event, 112);

/* process_vm_writev: bytes is what the kernel wrote (the result when positive). */
struct vigil_pvm_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;
	__u32 target_pid; /* as the caller named it */
	__u32 liovcnt;
	__u32 riovcnt;
	__u32 flags;
};
VIGIL_ASSERT_SIZE(struct vigil_pvm_event, 104);

/* memfd: followed by name_len bytes of the name (without the kernel's "memfd:" prefix). */
struct vigil_memfd_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result; /* the new fd or -errno */
	__u32 flags;  /* MFD_* */
	__u16 name_len;
	__u16 pad;
	/* the name follows here */
};
VIGIL_ASSERT_SIZE(struct vigil_memfd_event, 96);

/*
 * proc_mem_write: an open of /proc/<pid>/mem (or /proc/<pid>/task/<tid>/mem) with write
 * access succeeded. proc_read: an open for reading only of another process's
 * /proc/<pid>/mem or /proc/<pid>/environ succeeded (proc_file says which). The target comes
 * from the opened inode, not from the path string.
 */
enum { VIGIL_PROC_FILE_MEM = 0, VIGIL_PROC_FILE_ENVIRON = 1 };

struct vigil_proc_mem_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;	  /* the fd */
	__u32 target_pid; /* thread-group id of the target (0 if it is already gone) */
	__u32 target_tid; /* the thread the file names */
	__u32 open_flags; /* O_* as the file has them */
	__u32 proc_file;  /* VIGIL_PROC_FILE_* */
};
VIGIL_ASSERT_SIZE(struct vigil_proc_mem_event, 104);

/* result is at the same offset in every record of the family: user space relies on it. */
VIGIL_ASSERT_OFFSET(struct vigil_module_event, result, 80);
VIGIL_ASSERT_OFFSET(struct vigil_bpf_event, result, 80);
VIGIL_ASSERT_OFFSET(struct vigil_ptrace_event, result, 80);
VIGIL_ASSERT_OFFSET(struct vigil_pvm_event, result, 80);
VIGIL_ASSERT_OFFSET(struct vigil_memfd_event, result, 80);
VIGIL_ASSERT_OFFSET(struct vigil_proc_mem_event, result, 80);

#endif
