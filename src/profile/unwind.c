// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF unwinding of copied user stacks with libdwfl, as perf's unwind-libdw.c and eu-stack do:
 * each process's mappings are reported as modules, and the "thread" libdwfl unwinds is the
 * sample: its registers are the initial frame, its stack copy the only memory it can read.
 */
#include "profile/unwind.h"
#include "profile/symtab.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Re-read a process's mappings at most this often when an address is in none of them. */
#define MAPS_REFRESH_NS 200000000ull
/* Names by (pid, address), direct-mapped: a profile asks for the same addresses again and again. */
#define NAME_CACHE 16384

struct perf_sym {
	uint64_t start, end;
	char *name;
};

struct uproc {
	uint32_t pid; /* 0: a free slot */
	Dwfl *dwfl;
	uint64_t last_used, maps_read_ns;
	struct perf_sym *perf_syms; /* /tmp/perf-PID.map, sorted; NULL: none */
	size_t nperf;
	bool perf_read;
	/* the sample being unwound */
	const struct vigil_prof_sample *sample;
	const uint8_t *stack;
	bool out_of_copy;
};

struct cached_name {
	uint32_t pid; /* 0: empty */
	uint64_t pc;
	struct uframe frame;
};

struct unwinder {
	char *debuginfo_path; /* NULL: libdwfl's default (.debug, /usr/lib/debug) */
	Dwfl_Callbacks callbacks;
	struct uproc procs[UNWIND_PROCS];
	uint64_t tick;
	struct symtabs symtabs;
	struct cached_name names[NAME_CACHE];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A process's cached names go with it (its pid may come back as another program). */
static void forget_names(struct unwinder *u, uint32_t pid)
{
	for (size_t i = 0; i < NAME_CACHE; i++)
		if (u->names[i].pid == pid)
			u->names[i].pid = 0;
}

/* Open a module's file as the process sees it: through its root (containers' mounts). */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	struct uproc *p = *userdata;
	char path[PATH_MAX];
	int fd;

	(void)mod;
	(void)base;
	*elfp = NULL;
	if (!p || modname[0] != '/')
		return -1;
	snprintf(path, sizeof(path), "/proc/%u/root%s", p->pid, modname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*file_name = strdup(path);
	return fd;
}

/* Each file's mappings, contiguous ones merged, as one module (dwfl_linux_proc_report's way). */
static int report_maps(struct uproc *p)
{
	char path[64], line[PATH_MAX + 128], last[PATH_MAX] = "";
	uint64_t low = 0, high = 0;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	dwfl_report_begin(p->dwfl);
	for (;;) {
		unsigned long long start, end;
		char file[PATH_MAX] = "";
		bool more = fgets(line, sizeof(line), f);
		Dwfl_Module *mod;
		void **ud;

		if (more &&
		    sscanf(line, "%llx-%llx %*s %*s %*s %*s %4095[^\n]", &start, &end, file) < 2)
			continue;
		if (more && file[0] == '/' && !strcmp(file, last)) {
			high = end;
			continue;
		}
		if (last[0]) {
			mod = dwfl_report_module(p->dwfl, last, low, high);
			if (mod && dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL))
				*ud = p;
		}
		if (!more)
			break;
		last[0] = 0;
		if (file[0] == '/' && !strstr(file, " (deleted)")) {
			snprintf(last, sizeof(last), "%s", file);
			low = start;
			high = end;
		}
	}
	fclose(f);
	if (dwfl_report_end(p->dwfl, NULL, NULL))
		ret = -EINVAL;
	p->maps_read_ns = now_ns();
	return ret;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	(void)dwfl;
	(void)arg;
	(void)thread_arg;
	return 0;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
	(void)dwfl;
	(void)tid;
	*thread_arg = arg;
	return true;
}

/* Only the copy can be read: the process may have moved on since the sample. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct uproc *p = arg;
	uint64_t sp = p->sample->regs[VIGIL_PROF_REG_SP];

	(void)dwfl;
	if (addr < sp || addr - sp + sizeof(*result) > p->sample->ustack_bytes) {
		p->out_of_copy = true;
		return false;
	}
	memcpy(result, p->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct uproc *p = arg;
	Dwarf_Word regs[VIGIL_PROF_REGS];

	for (int i = 0; i < VIGIL_PROF_REGS; i++)
		regs[i] = p->sample->regs[i];
	dwfl_thread_state_register_pc(thread, regs[VIGIL_PROF_REG_IP]);
	return dwfl_thread_state_registers(thread, 0, VIGIL_PROF_REGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static void proc_release(struct uproc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	for (size_t i = 0; i < p->nperf; i++)
		free(p->perf_syms[i].name);
	free(p->perf_syms);
	memset(p, 0, sizeof(*p));
}

static int proc_open(struct unwinder *u, struct uproc *p, uint32_t pid)
{
	int ret;

	p->pid = pid;
	p->dwfl = dwfl_begin(&u->callbacks);
	if (!p->dwfl)
		return -ENOMEM;
	ret = report_maps(p);
	if (ret)
		return ret;
	if (!dwfl_attach_state(p->dwfl, NULL, (pid_t)pid, &thread_callbacks, p))
		return -ENOEXEC; /* no module with an ELF libdw knows the machine of */
	return 0;
}

/* The process's slot, opened if new; the least recently used one is replaced when full. */
static struct uproc *proc_get(struct unwinder *u, uint32_t pid)
{
	struct uproc *victim = &u->procs[0];

	for (size_t i = 0; i < UNWIND_PROCS; i++) {
		struct uproc *p = &u->procs[i];

		if (p->pid == pid && p->dwfl) {
			p->last_used = ++u->tick;
			return p;
		}
		if (p->last_used < victim->last_used)
			victim = p;
	}
	if (victim->pid)
		forget_names(u, victim->pid);
	proc_release(victim);
	forget_names(u, pid);
	if (proc_open(u, victim, pid)) {
		proc_release(victim);
		return NULL;
	}
	victim->last_used = ++u->tick;
	return victim;
}

static int by_start(const void *a, const void *b)
{
	const struct perf_sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The pid a process has in its own pid namespace, for its /tmp/perf-<pid>.map. */
static uint32_t ns_pid(uint32_t pid)
{
	char path[64], line[256];
	uint32_t nspid = pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f)) {
		char *last;

		if (strncmp(line, "NSpid:", 6))
			continue;
		last = strrchr(line, '\t');
		if (last)
			nspid = (uint32_t)strtoul(last + 1, NULL, 10);
		break;
	}
	fclose(f);
	return nspid;
}

/* JIT symbols: "START SIZE name" lines in hex, written by the runtime (perf's convention). */
static void perf_map_read(struct uproc *p)
{
	char path[PATH_MAX], line[1024];
	size_t cap = 0;
	FILE *f;

	p->perf_read = true;
	snprintf(path, sizeof(path), "/proc/%u/root/tmp/perf-%u.map", p->pid, ns_pid(p->pid));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && p->nperf < 1000000) {
		unsigned long long start, size;
		int name_at;

		if (sscanf(line, "%llx %llx %n", &start, &size, &name_at) != 2)
			continue;
		line[strcspn(line, "\n")] = 0;
		if (p->nperf == cap) {
			struct perf_sym *s =
				realloc(p->perf_syms, (cap ? cap * 2 : 256) * sizeof(*s));

			if (!s)
				break;
			p->perf_syms = s;
			cap = cap ? cap * 2 : 256;
		}
		p->perf_syms[p->nperf] =
			(struct perf_sym){ start, start + size, strdup(line + name_at) };
		if (p->perf_syms[p->nperf].name)
			p->nperf++;
	}
	fclose(f);
	qsort(p->perf_syms, p->nperf, sizeof(*p->perf_syms), by_start);
}

static const char *perf_map_find(struct uproc *p, uint64_t pc)
{
	size_t lo = 0, hi;

	if (!p->perf_read)
		perf_map_read(p);
	hi = p->nperf;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc < p->perf_syms[mid].start)
			hi = mid;
		else if (pc >= p->perf_syms[mid].end)
			lo = mid + 1;
		else
			return p->perf_syms[mid].name;
	}
	return NULL;
}

static void lookup_name(struct unwinder *u, struct uproc *p, uint64_t pc, struct uframe *f)
{
	Dwfl_Module *mod = dwfl_addrmodule(p->dwfl, pc);
	const char *name, *modname, *base;
	Dwarf_Addr start = 0;

	f->resolved = true;
	if (mod) {
		name = symtabs_find(&u->symtabs, mod, pc);
		if (name) {
			snprintf(f->name, sizeof(f->name), "%s", name);
			return;
		}
		modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
		base = modname ? strrchr(modname, '/') : NULL;
		f->resolved = false;
		snprintf(f->name, sizeof(f->name), "%s+0x%" PRIx64,
			 base ? base + 1 : (modname ? modname : "?"), pc - start);
		return;
	}
	name = perf_map_find(p, pc);
	if (name) {
		snprintf(f->name, sizeof(f->name), "%s", name);
		return;
	}
	f->resolved = false;
	snprintf(f->name, sizeof(f->name), "[unknown]");
}

static void name_frame(struct unwinder *u, struct uproc *p, uint64_t pc, struct uframe *f)
{
	struct cached_name *c = &u->names[((pc >> 2) ^ (p->pid * 2654435761u)) % NAME_CACHE];

	if (c->pid != p->pid || c->pc != pc) {
		lookup_name(u, p, pc, &c->frame);
		c->pid = p->pid;
		c->pc = pc;
	}
	*f = c->frame;
}

struct walk {
	struct unwinder *u;
	struct uproc *p;
	struct ustack *out;
};

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (w->out->n == UNWIND_FRAMES) {
		w->out->truncated = true;
		return DWARF_CB_ABORT;
	}
	/* a return address is past its call: name the call */
	name_frame(w->u, w->p, activation ? pc : pc - 1, &w->out->frames[w->out->n++]);
	return DWARF_CB_OK;
}

int unwinder_stack(struct unwinder *u, const struct vigil_prof_sample *s, const void *stack,
		   struct ustack *out)
{
	struct uproc *p;
	struct walk w;
	int ret;

	out->n = 0;
	out->complete = out->truncated = false;
	if (!s->ustack_bytes)
		return 0;
	p = proc_get(u, s->tgid);
	if (!p)
		return -ESRCH;
	/* a new mapping (dlopen, exec) since the maps were read */
	if (!dwfl_addrmodule(p->dwfl, s->regs[VIGIL_PROF_REG_IP]) &&
	    now_ns() - p->maps_read_ns > MAPS_REFRESH_NS) {
		report_maps(p);
		forget_names(u, p->pid);
	}
	p->sample = s;
	p->stack = stack;
	p->out_of_copy = false;
	w = (struct walk){ .u = u, .p = p, .out = out };
	ret = dwfl_getthread_frames(p->dwfl, (pid_t)s->tid, on_frame, &w);
	if (ret == 0)
		out->complete = true;
	else if (p->out_of_copy)
		out->truncated = true;
	if (!out->n) /* not even the first frame: name the sampled address */
		name_frame(u, p, s->regs[VIGIL_PROF_REG_IP], &out->frames[out->n++]);
	p->sample = NULL;
	p->stack = NULL;
	return 0;
}

int unwinder_new(struct unwinder **out)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->callbacks = (Dwfl_Callbacks){
		.find_elf = find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &u->debuginfo_path,
	};
	*out = u;
	return 0;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < UNWIND_PROCS; i++)
		proc_release(&u->procs[i]);
	symtabs_free(&u->symtabs);
	free(u);
}
