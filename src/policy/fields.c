// SPDX-License-Identifier: GPL-2.0
#include "policy/fields.h"
#include "sensors/sensor.h"
#include "events/family.h"
#include "vigil/ev_app.h"
#include "vigil/ev_file.h"
#include "vigil/ev_kernel.h"
#include "vigil/ev_net.h"
#include "vigil/ev_priv.h"

#include <fcntl.h>
#include <string.h>

#define RANGE(first, last) ((EVENT_BIT((last) + 1) - 1) & ~(EVENT_BIT(first) - 1))
#define T_PROC		   (EVENT_BIT(VIGIL_EV_EXEC) | EVENT_BIT(VIGIL_EV_FORK) | EVENT_BIT(VIGIL_EV_EXIT))
#define T_FILE		   RANGE(VIGIL_EV_FILE_FIRST, VIGIL_EV_FILE_LAST)
#define T_NET		   RANGE(VIGIL_EV_NET_FIRST, VIGIL_EV_NET_LAST)
#define T_PRIV		   RANGE(VIGIL_EV_PRIV_FIRST, VIGIL_EV_PRIV_LAST)
#define T_KERNEL	   RANGE(VIGIL_EV_KERNEL_FIRST, VIGIL_EV_KERNEL_LAST)
#define T_APP		   RANGE(VIGIL_EV_APP_FIRST, VIGIL_EV_APP_LAST)
#define T_ALL		   (T_PROC | T_FILE | T_NET | T_PRIV | T_KERNEL | T_APP)
#define T_SETID		   (EVENT_BIT(VIGIL_EV_SETUID) | EVENT_BIT(VIGIL_EV_SETGID))
#define T_TARGET                                                                                   \
	(EVENT_BIT(VIGIL_EV_PTRACE) | EVENT_BIT(VIGIL_EV_PROCESS_VM_WRITE) |                       \
	 EVENT_BIT(VIGIL_EV_PROC_MEM_WRITE) | EVENT_BIT(VIGIL_EV_PROC_READ))
#define T_OPEN	  EVENT_BIT(VIGIL_EV_OPEN)
#define T_NS	  (EVENT_BIT(VIGIL_EV_SETNS) | EVENT_BIT(VIGIL_EV_UNSHARE))
#define T_NOT_DNS (T_FILE | (T_NET & ~EVENT_BIT(VIGIL_EV_DNS)) | T_PRIV | T_KERNEL)

static const char *const exe_flag_names[] = VIGIL_EXE_FLAG_NAMES;
static const char *const access_names[] = { "read", "write" };
static const char *const direction_names[] = { "out", "in" };
static const char *const times_names[] = { "given", "now" };
static const char *const ns_names[] = {
	"mnt", "uts", "ipc", "net", "pid", "cgroup", "user", "time"
};
static const char *const relation_names[] = { "descendant", "other" };
#define RELATION_DESCENDANT 1
#define RELATION_OTHER	    2
static const char *const mode_names[] = { "setuid", "setgid", "sticky", "world_writable" };
static const __u64 mode_bits[] = { 04000, 02000, 01000, 00002 };
static const char *const open_flag_names[] = {
	"O_WRONLY",   "O_RDWR",	     "O_CREAT",	   "O_EXCL",	"O_NOCTTY",  "O_TRUNC", "O_APPEND",
	"O_NONBLOCK", "O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC", "O_TMPFILE", "O_PATH",	"O_NOATIME",
};
static const __u64 open_flag_bits[] = {
	O_WRONLY,   O_RDWR,	 O_CREAT,    O_EXCL,	O_NOCTTY,  O_TRUNC, O_APPEND,
	O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_TMPFILE, O_PATH,  O_NOATIME,
};

#define NAMES(a)	 .names = a, .n_names = sizeof(a) / sizeof(a[0])
#define NAMED_BITS(a, b) NAMES(a), .name_bits = b

static const struct field_def fields[FIELD_COUNT] = {
	[FIELD_PROCESS_EXE] = { "process.exe", VAL_PATH, T_ALL },
	[FIELD_PROCESS_COMM] = { "process.comm", VAL_STRING, T_ALL },
	[FIELD_PROCESS_ARGS] = { "process.args", VAL_STRING, T_ALL },
	[FIELD_PROCESS_CWD] = { "process.cwd", VAL_PATH, T_ALL },
	[FIELD_PROCESS_UID] = { "process.uid", VAL_NUMBER, T_ALL },
	[FIELD_PROCESS_EUID] = { "process.euid", VAL_NUMBER, T_ALL },
	[FIELD_PROCESS_GID] = { "process.gid", VAL_NUMBER, T_ALL },
	[FIELD_PROCESS_CGROUP] = { "process.cgroup", VAL_PATH, T_ALL },
	[FIELD_PROCESS_EXE_FLAGS] = { "process.exe_flags", VAL_NAMES, EVENT_BIT(VIGIL_EV_EXEC),
				      NAMES(exe_flag_names) },
	[FIELD_PARENT_EXE] = { "parent.exe", VAL_PATH, T_ALL },
	[FIELD_PARENT_COMM] = { "parent.comm", VAL_STRING, T_ALL },
	[FIELD_PROCESS_ANCESTORS] = { "process.ancestors", VAL_PATH, T_ALL },
	[FIELD_TARGET_EXE] = { "target.exe", VAL_PATH, T_TARGET },
	[FIELD_TARGET_RELATION] = { "target.relation", VAL_NAMES, T_TARGET, NAMES(relation_names) },
	[FIELD_STDIN_EXE] = { "stdin.exe", VAL_PATH, EVENT_BIT(VIGIL_EV_EXEC) },
	[FIELD_STDIN_ARGS] = { "stdin.args", VAL_STRING, EVENT_BIT(VIGIL_EV_EXEC) },
	[FIELD_RESULT] = { "result", VAL_NUMBER, T_NOT_DNS },
	[FIELD_FILE_PATH] = { "file.path", VAL_PATH, T_FILE },
	[FIELD_FILE_TARGET] = { "file.target", VAL_PATH,
				EVENT_BIT(VIGIL_EV_RENAME) | EVENT_BIT(VIGIL_EV_LINK) |
					EVENT_BIT(VIGIL_EV_SYMLINK) },
	[FIELD_FILE_ACCESS] = { "file.access", VAL_NAMES, T_OPEN, NAMES(access_names) },
	[FIELD_FILE_FLAGS] = { "file.flags", VAL_NAMES, T_OPEN,
			       NAMED_BITS(open_flag_names, open_flag_bits) },
	[FIELD_FILE_MODE] = { "file.mode", VAL_NUMBER,
			      T_OPEN | EVENT_BIT(VIGIL_EV_CHMOD) | EVENT_BIT(VIGIL_EV_MKDIR),
			      NAMED_BITS(mode_names, mode_bits) },
	[FIELD_FILE_XATTR] = { "file.xattr", VAL_STRING, EVENT_BIT(VIGIL_EV_SETXATTR) },
	[FIELD_FILE_TIMES] = { "file.times", VAL_NAMES, EVENT_BIT(VIGIL_EV_UTIMES),
			       NAMES(times_names) },
	[FIELD_NET_DADDR] = { "net.daddr", VAL_ADDR, T_NET },
	[FIELD_NET_SADDR] = { "net.saddr", VAL_ADDR, T_NET },
	[FIELD_NET_DPORT] = { "net.dport", VAL_NUMBER, T_NET },
	[FIELD_NET_SPORT] = { "net.sport", VAL_NUMBER, T_NET },
	[FIELD_NET_PROTO] = { "net.proto", VAL_STRING, T_NET },
	[FIELD_NET_FAMILY] = { "net.family", VAL_STRING, T_NET },
	[FIELD_NET_DIRECTION] = { "net.direction", VAL_NAMES, T_NET, NAMES(direction_names) },
	[FIELD_DNS_NAME] = { "dns.name", VAL_STRING, EVENT_BIT(VIGIL_EV_DNS) },
	[FIELD_CRED_UID] = { "cred.uid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETUID) },
	[FIELD_CRED_EUID] = { "cred.euid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETUID) },
	[FIELD_CRED_GID] = { "cred.gid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETGID) },
	[FIELD_CRED_EGID] = { "cred.egid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETGID) },
	[FIELD_CRED_BEFORE_UID] = { "cred.before.uid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETUID) },
	[FIELD_CRED_BEFORE_EUID] = { "cred.before.euid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETUID) },
	[FIELD_CRED_BEFORE_GID] = { "cred.before.gid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETGID) },
	[FIELD_CRED_BEFORE_EGID] = { "cred.before.egid", VAL_NUMBER, EVENT_BIT(VIGIL_EV_SETGID) },
	[FIELD_MODULE_NAME] = { "module.name", VAL_STRING, EVENT_BIT(VIGIL_EV_MODULE_LOAD) },
	[FIELD_MODULE_PATH] = { "module.path", VAL_PATH, EVENT_BIT(VIGIL_EV_MODULE_LOAD) },
	[FIELD_BPF_CMD] = { "bpf.cmd", VAL_STRING, EVENT_BIT(VIGIL_EV_BPF) },
	[FIELD_BPF_PROG_TYPE] = { "bpf.prog_type", VAL_STRING, EVENT_BIT(VIGIL_EV_BPF) },
	[FIELD_PTRACE_REQUEST] = { "ptrace.request", VAL_STRING, EVENT_BIT(VIGIL_EV_PTRACE) },
	[FIELD_NS_CHANGED] = { "namespace.changed", VAL_NAMES, T_NS, NAMES(ns_names) },
	[FIELD_NS_INTO_HOST] = { "namespace.into_host", VAL_NAMES, T_NS, NAMES(ns_names) },
	[FIELD_SHELL_LINE] = { "shell.line", VAL_STRING, EVENT_BIT(VIGIL_EV_SHELL) },
	[FIELD_TLS_SNI] = { "tls.sni", VAL_STRING, EVENT_BIT(VIGIL_EV_TLS) },
	[FIELD_FILE_SYSCALL] = { "file.syscall", VAL_STRING, T_FILE },
	/* FIELD_TARGET_PID has no name: it is how target.exe is found */
};

int field_lookup(const char *name)
{
	for (int i = 0; i < FIELD_COUNT; i++)
		if (fields[i].name && !strcmp(fields[i].name, name))
			return i;
	return -1;
}

const struct field_def *field_def(int field)
{
	return &fields[field];
}

__u64 field_all_types(void)
{
	return T_ALL;
}

static bool set_str(struct field_value *out, const char *s)
{
	if (!s)
		return false;
	out->str = s;
	out->len = strlen(s);
	return true;
}

/* argv, NUL-separated, joined with spaces */
static bool args_joined(const struct proc *p, struct field_value *out, char *buf)
{
	size_t n = p->args_len < FIELD_BUF_SIZE - 1 ? p->args_len : FIELD_BUF_SIZE - 1;

	memcpy(buf, p->args, n);
	while (n && !buf[n - 1])
		n--;
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	out->str = buf;
	out->len = n;
	return true;
}

/*
 * Whether the target process descends from the acting one (its child, grandchild, ...), as
 * the process table knows them; false when the target is unknown.
 */
static bool target_relation(const struct event_view *v, struct field_value *out, char *buf)
{
	const struct proc *anc[VIEW_MAX_ANCESTORS];
	const struct proc *target;
	size_t n;

	if (!field_get(v, FIELD_TARGET_PID, out, buf))
		return false;
	target = proctab_lookup(v->procs, out->num);
	if (!target)
		return false;
	out->bits = RELATION_OTHER;
	n = proctab_ancestors(v->procs, target, anc, VIEW_MAX_ANCESTORS);
	for (size_t i = 0; i < n; i++)
		if (anc[i]->pid == v->ev->task->pid)
			out->bits = RELATION_DESCENDANT;
	return true;
}

bool field_get(const struct event_view *v, int field, struct field_value *out, char *buf)
{
	const struct vigil_task *t = v->ev->task;
	const struct event_family *fam;
	const struct proc *p = v->proc;

	memset(out, 0, sizeof(*out));
	switch (field) {
	case FIELD_PROCESS_EXE:
		out->truncated = p && p->exe_truncated;
		return p && p->exe[0] && set_str(out, p->exe);
	case FIELD_PROCESS_CWD:
		out->truncated = p && p->cwd_truncated;
		return p && p->cwd && p->cwd[0] && set_str(out, p->cwd);
	case FIELD_PROCESS_ARGS:
		return p && p->args && args_joined(p, out, buf);
	case FIELD_PROCESS_COMM:
		out->str = t->comm;
		out->len = strnlen(t->comm, sizeof(t->comm));
		return true;
	case FIELD_PROCESS_UID:
		out->num = t->uid;
		return true;
	case FIELD_PROCESS_EUID:
		out->num = t->euid;
		return true;
	case FIELD_PROCESS_GID:
		out->num = t->gid;
		return true;
	case FIELD_PROCESS_CGROUP:
		return set_str(out, v->cgroup);
	case FIELD_PROCESS_EXE_FLAGS:
		out->bits = v->ev->exe_flags;
		return v->ev->type == VIGIL_EV_EXEC;
	case FIELD_PARENT_EXE:
		out->truncated = v->parent && v->parent->exe_truncated;
		return v->parent && v->parent->exe[0] && set_str(out, v->parent->exe);
	case FIELD_PARENT_COMM:
		return v->parent && set_str(out, v->parent->comm);
	case FIELD_TARGET_EXE: {
		const struct proc *target;

		if (!field_get(v, FIELD_TARGET_PID, out, buf))
			return false;
		target = proctab_lookup(v->procs, out->num);
		out->truncated = target && target->exe_truncated;
		return target && target->exe[0] && set_str(out, target->exe);
	}
	case FIELD_TARGET_RELATION:
		return target_relation(v, out, buf);
	case FIELD_STDIN_EXE:
		out->truncated = v->stdin && v->stdin->exe_truncated;
		return v->stdin && v->stdin->exe[0] && set_str(out, v->stdin->exe);
	case FIELD_STDIN_ARGS:
		return v->stdin && v->stdin->args && args_joined(v->stdin, out, buf);
	default:
		fam = event_family_of(v->ev->type);
		return fam && fam->field && fam->field(v->ev, field, out, buf);
	}
}
