// SPDX-License-Identifier: GPL-2.0
/* Kernel integrity and injection events (vigil/ev_kernel.h). */
#include "events/family.h"
#include "events/json.h"
#include "events/pathmark.h"
#include "events/text.h"
#include "vigil/ev_kernel.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

static const char *const kernel_type_names[] = {
	[VIGIL_EV_MODULE_LOAD - VIGIL_EV_KERNEL_FIRST] = "module_load",
	[VIGIL_EV_BPF - VIGIL_EV_KERNEL_FIRST] = "bpf",
	[VIGIL_EV_PTRACE - VIGIL_EV_KERNEL_FIRST] = "ptrace",
	[VIGIL_EV_PROCESS_VM_WRITE - VIGIL_EV_KERNEL_FIRST] = "process_vm_write",
	[VIGIL_EV_MEMFD - VIGIL_EV_KERNEL_FIRST] = "memfd",
	[VIGIL_EV_PROC_MEM_WRITE - VIGIL_EV_KERNEL_FIRST] = "proc_mem_write",
};

static size_t record_size(unsigned int type)
{
	switch (type) {
	case VIGIL_EV_MODULE_LOAD:
		return sizeof(struct vigil_module_event);
	case VIGIL_EV_BPF:
		return sizeof(struct vigil_bpf_event);
	case VIGIL_EV_PTRACE:
		return sizeof(struct vigil_ptrace_event);
	case VIGIL_EV_PROCESS_VM_WRITE:
		return sizeof(struct vigil_pvm_event);
	case VIGIL_EV_MEMFD:
		return sizeof(struct vigil_memfd_event);
	case VIGIL_EV_PROC_MEM_WRITE:
		return sizeof(struct vigil_proc_mem_event);
	default:
		return 0;
	}
}

static int kernel_decode(struct event *ev)
{
	size_t need = record_size(ev->type);

	if (!need || ev->raw_size < need)
		return -EINVAL;
	if (ev->type == VIGIL_EV_MODULE_LOAD) {
		const struct vigil_module_event *r = ev->raw;

		if (r->syscall != VIGIL_SYS_INIT_MODULE && r->syscall != VIGIL_SYS_FINIT_MODULE)
			return -EINVAL;
		need += r->path_len;
	} else if (ev->type == VIGIL_EV_MEMFD) {
		need += ((const struct vigil_memfd_event *)ev->raw)->name_len;
	}
	return need > ev->raw_size ? -EINVAL : 0;
}

static const char *ptrace_request_name(__s64 req)
{
	static const struct {
		__s64 req;
		const char *name;
	} names[] = {
		{ 0, "PTRACE_TRACEME" },
		{ 1, "PTRACE_PEEKTEXT" },
		{ 2, "PTRACE_PEEKDATA" },
		{ 3, "PTRACE_PEEKUSER" },
		{ 4, "PTRACE_POKETEXT" },
		{ 5, "PTRACE_POKEDATA" },
		{ 6, "PTRACE_POKEUSER" },
		{ 7, "PTRACE_CONT" },
		{ 8, "PTRACE_KILL" },
		{ 9, "PTRACE_SINGLESTEP" },
		{ 12, "PTRACE_GETREGS" },
		{ 13, "PTRACE_SETREGS" },
		{ 14, "PTRACE_GETFPREGS" },
		{ 15, "PTRACE_SETFPREGS" },
		{ 16, "PTRACE_ATTACH" },
		{ 17, "PTRACE_DETACH" },
		{ 18, "PTRACE_GETFPXREGS" },
		{ 19, "PTRACE_SETFPXREGS" },
		{ 24, "PTRACE_SYSCALL" },
		{ 0x4200, "PTRACE_SETOPTIONS" },
		{ 0x4201, "PTRACE_GETEVENTMSG" },
		{ 0x4202, "PTRACE_GETSIGINFO" },
		{ 0x4203, "PTRACE_SETSIGINFO" },
		{ 0x4204, "PTRACE_GETREGSET" },
		{ 0x4205, "PTRACE_SETREGSET" },
		{ 0x4206, "PTRACE_SEIZE" },
		{ 0x4207, "PTRACE_INTERRUPT" },
		{ 0x4208, "PTRACE_LISTEN" },
		{ 0x4209, "PTRACE_PEEKSIGINFO" },
		{ 0x420a, "PTRACE_GETSIGMASK" },
		{ 0x420b, "PTRACE_SETSIGMASK" },
		{ 0x420c, "PTRACE_SECCOMP_GET_FILTER" },
		{ 0x420d, "PTRACE_SECCOMP_GET_METADATA" },
		{ 0x420e, "PTRACE_GET_SYSCALL_INFO" },
		{ 0x420f, "PTRACE_GET_RSEQ_CONFIGURATION" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].req == req)
			return names[i].name;
	return NULL;
}

/* Flag names joined with '|', or "0"; unknown bits as one hex number. */
static void flag_names(char *buf, size_t len, __u32 flags, const char *const names[32])
{
	size_t n = 0;

	buf[0] = '\0';
	for (int bit = 0; bit < 32; bit++) {
		if (!(flags & (1u << bit)) || !names[bit])
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "", names[bit]);
		flags &= ~(1u << bit);
	}
	if (flags || !n)
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%#x", n ? "|" : "", flags);
}

static const char *const memfd_flag_names[32] = {
	"MFD_CLOEXEC", "MFD_ALLOW_SEALING", "MFD_HUGETLB", "MFD_NOEXEC_SEAL", "MFD_EXEC",
};
static const char *const module_flag_names[32] = {
	"MODULE_INIT_IGNORE_MODVERSIONS",
	"MODULE_INIT_IGNORE_VERMAGIC",
	"MODULE_INIT_COMPRESSED_FILE",
};

static const char *bpf_cmd_name(__u32 cmd)
{
	return cmd == 0 ? "BPF_MAP_CREATE" : cmd == 5 ? "BPF_PROG_LOAD" : "unknown";
}

static const char *bpf_obj_type_name(const struct vigil_bpf_event *r)
{
	return r->cmd == 5 ? libbpf_bpf_prog_type_str(r->obj_type)
			   : libbpf_bpf_map_type_str(r->obj_type);
}

/* finit_module: the module file's path, marked when truncated */
static size_t module_path(const struct vigil_module_event *r, char *buf, size_t size)
{
	return path_mark(buf, size, (const char *)(r + 1), r->path_len,
			 r->hdr.flags & VIGIL_MODULE_PATH_TRUNCATED);
}

static void json_module(FILE *out, const struct vigil_module_event *r)
{
	size_t name_len = strnlen(r->name, sizeof(r->name));
	char flags[160], path[PATH_MARK_LEN + VIGIL_PATH_MAX + 1];

	fprintf(out, ",\"syscall\":\"%s\",\"module\":{\"name\":",
		r->syscall == VIGIL_SYS_INIT_MODULE ? "init_module" : "finit_module");
	if (name_len)
		json_string(out, r->name, name_len);
	else
		fputs("null", out);
	if (r->syscall == VIGIL_SYS_INIT_MODULE) {
		fprintf(out, ",\"len\":%" PRIu64 "}", (uint64_t)r->len);
	} else {
		flag_names(flags, sizeof(flags), r->flags, module_flag_names);
		fprintf(out, ",\"fd\":%" PRId32 ",\"flags\":\"%s\",\"path\":", r->fd, flags);
		if (r->path_len)
			json_string(out, path, module_path(r, path, sizeof(path)));
		else
			fputs("null", out);
		if (r->hdr.flags & VIGIL_MODULE_PATH_TRUNCATED)
			fputs(",\"path_truncated\":true", out);
		fputc('}', out);
	}
}

static void json_bpf(FILE *out, const struct vigil_bpf_event *r)
{
	const char *type = bpf_obj_type_name(r);

	fprintf(out, ",\"bpf\":{\"cmd\":\"%s\",\"%s\":", bpf_cmd_name(r->cmd),
		r->cmd == 5 ? "prog_type" : "map_type");
	if (type)
		json_cstring(out, type);
	else
		fprintf(out, "%" PRIu32, r->obj_type);
	fputs(",\"name\":", out);
	json_string(out, r->name, strnlen(r->name, sizeof(r->name)));
	fprintf(out, ",\"id\":%" PRIu32, r->id);
	if (r->cmd == 5)
		fprintf(out, ",\"insn_cnt\":%" PRIu32, r->insn_cnt);
	/* Whether type and name are the kernel's (a load that worked) or only what was asked. */
	fprintf(out, ",\"source\":\"%s\"}",
		(r->hdr.flags & VIGIL_BPF_FROM_KERNEL) ? "kernel" : "request");
}

static void kernel_json(FILE *out, const struct event *ev)
{
	char flags[160];

	switch ((unsigned int)ev->type) {
	case VIGIL_EV_MODULE_LOAD:
		json_module(out, ev->raw);
		break;
	case VIGIL_EV_BPF:
		json_bpf(out, ev->raw);
		break;
	case VIGIL_EV_PTRACE: {
		const struct vigil_ptrace_event *r = ev->raw;
		const char *name = ptrace_request_name(r->request);

		fputs(",\"ptrace\":{\"request\":", out);
		if (name)
			json_cstring(out, name);
		else
			fprintf(out, "%" PRId64, (int64_t)r->request);
		fprintf(out,
			",\"request_id\":%" PRId64 ",\"target_pid\":%" PRIu32 ",\"addr\":%" PRIu64
			"}",
			(int64_t)r->request, r->target_pid, (uint64_t)r->addr);
		break;
	}
	case VIGIL_EV_PROCESS_VM_WRITE: {
		const struct vigil_pvm_event *r = ev->raw;

		fprintf(out,
			",\"process_vm\":{\"target_pid\":%" PRIu32 ",\"bytes\":%" PRId64
			",\"liovcnt\":%" PRIu32 ",\"riovcnt\":%" PRIu32 "}",
			r->target_pid, (int64_t)(r->result > 0 ? r->result : 0), r->liovcnt,
			r->riovcnt);
		break;
	}
	case VIGIL_EV_MEMFD: {
		const struct vigil_memfd_event *r = ev->raw;

		flag_names(flags, sizeof(flags), r->flags, memfd_flag_names);
		fputs(",\"memfd\":{\"name\":", out);
		json_string(out, (const char *)(r + 1), r->name_len);
		fprintf(out, ",\"flags\":\"%s\",\"fd\":%" PRId64 "}", flags,
			(int64_t)(r->result >= 0 ? r->result : -1));
		break;
	}
	case VIGIL_EV_PROC_MEM_WRITE: {
		const struct vigil_proc_mem_event *r = ev->raw;

		fprintf(out,
			",\"proc_mem\":{\"target_pid\":%" PRIu32 ",\"target_tid\":%" PRIu32
			",\"access\":\"%s\",\"fd\":%" PRId64 "}",
			r->target_pid, r->target_tid,
			(r->open_flags & O_ACCMODE) == O_RDWR ? "read_write" : "write",
			(int64_t)r->result);
		break;
	}
	}
	/* result sits at the same offset in every record of the family */
	fprintf(out, ",\"result\":%" PRId64,
		(int64_t)((const struct vigil_ptrace_event *)ev->raw)->result);
}

static void kernel_text(FILE *out, const struct event *ev)
{
	/* result sits at the same offset in every record of the family */
	int64_t result = ((const struct vigil_ptrace_event *)ev->raw)->result;

	switch ((unsigned int)ev->type) {
	case VIGIL_EV_MODULE_LOAD: {
		const struct vigil_module_event *r = ev->raw;

		fputs(r->syscall == VIGIL_SYS_INIT_MODULE ? "init_module " : "finit_module ", out);
		text_bytes(out, r->name, strnlen(r->name, sizeof(r->name)));
		if (r->path_len) {
			char path[PATH_MARK_LEN + VIGIL_PATH_MAX + 1];

			fputc(' ', out);
			text_bytes(out, path, module_path(r, path, sizeof(path)));
		}
		break;
	}
	case VIGIL_EV_BPF: {
		const struct vigil_bpf_event *r = ev->raw;
		const char *type = bpf_obj_type_name(r);

		fprintf(out, "%s %s ", bpf_cmd_name(r->cmd), type ? type : "?");
		text_bytes(out, r->name, strnlen(r->name, sizeof(r->name)));
		fprintf(out, " id=%" PRIu32, r->id);
		break;
	}
	case VIGIL_EV_PTRACE: {
		const struct vigil_ptrace_event *r = ev->raw;
		const char *name = ptrace_request_name(r->request);

		if (name)
			fprintf(out, "%s pid=%" PRIu32, name, r->target_pid);
		else
			fprintf(out, "request=%" PRId64 " pid=%" PRIu32, (int64_t)r->request,
				r->target_pid);
		break;
	}
	case VIGIL_EV_PROCESS_VM_WRITE:
		fprintf(out, "pid=%" PRIu32, ((const struct vigil_pvm_event *)ev->raw)->target_pid);
		break;
	case VIGIL_EV_MEMFD: {
		const struct vigil_memfd_event *r = ev->raw;

		fputs("memfd:", out);
		text_bytes(out, (const char *)(r + 1), r->name_len);
		break;
	}
	case VIGIL_EV_PROC_MEM_WRITE:
		fprintf(out, "/proc/%" PRIu32 "/mem",
			((const struct vigil_proc_mem_event *)ev->raw)->target_tid);
		break;
	}
	text_result(out, result);
}

static bool kernel_field(const struct event *ev, enum field_id id, struct field_value *out,
			 char *buf)
{
	const struct vigil_module_event *mod = ev->raw;
	const struct vigil_bpf_event *bpf = ev->raw;
	const struct vigil_ptrace_event *pt = ev->raw;
	const struct vigil_pvm_event *pvm = ev->raw;
	const struct vigil_proc_mem_event *pm = ev->raw;
	unsigned int type = ev->type;

	switch (id) {
	case FIELD_RESULT:
		out->num = mod->result; /* at the same offset in every record */
		return true;
	case FIELD_MODULE_NAME:
		if (type != VIGIL_EV_MODULE_LOAD)
			return false;
		out->str = mod->name;
		out->len = strnlen(mod->name, sizeof(mod->name));
		return true;
	case FIELD_MODULE_PATH:
		if (type != VIGIL_EV_MODULE_LOAD)
			return false;
		out->len = module_path(mod, buf, FIELD_BUF_SIZE);
		out->str = buf;
		out->truncated = mod->hdr.flags & VIGIL_MODULE_PATH_TRUNCATED;
		return true;
	case FIELD_BPF_CMD:
		out->str = bpf_cmd_name(bpf->cmd);
		break;
	case FIELD_BPF_PROG_TYPE:
		out->str = bpf->cmd == 5 ? bpf_obj_type_name(bpf) : NULL;
		break;
	case FIELD_PTRACE_REQUEST:
		if (type != VIGIL_EV_PTRACE)
			return false;
		out->str = ptrace_request_name(pt->request);
		if (!out->str) {
			snprintf(buf, FIELD_BUF_SIZE, "%lld", (long long)pt->request);
			out->str = buf;
		}
		break;
	case FIELD_TARGET_PID:
		out->num = type == VIGIL_EV_PTRACE	       ? pt->target_pid
			   : type == VIGIL_EV_PROCESS_VM_WRITE ? pvm->target_pid
			   : type == VIGIL_EV_PROC_MEM_WRITE   ? pm->target_pid
							       : 0;
		return out->num > 0;
	default:
		return false;
	}
	if (id == FIELD_BPF_CMD || id == FIELD_BPF_PROG_TYPE) {
		if (type != VIGIL_EV_BPF || !out->str)
			return false;
	}
	out->len = strlen(out->str);
	return true;
}

const struct event_family kernel_family = {
	.name = "kernel",
	.first = VIGIL_EV_KERNEL_FIRST,
	.last = (enum vigil_event_type)VIGIL_EV_KERNEL_LAST,
	.type_names = kernel_type_names,
	.decode = kernel_decode,
	.json = kernel_json,
	.text = kernel_text,
	.field = kernel_field,
};
