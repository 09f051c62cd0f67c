// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel integrity and injection sensor (bpf/kernel.bpf.c): module_load, bpf, ptrace,
 * process_vm_write, memfd, proc_mem_write and proc_read events.
 */
#include "core/links.h"
#include "sensors/sensor.h"
#include "core/log.h"
#include "vigil/ev_kernel.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel.skel.h"

/* Present when the kernel has loadable modules (CONFIG_MODULES). */
#define FINIT_MODULE_TP "/sys/kernel/tracing/events/syscalls/sys_enter_finit_module"

/* The event type a program serves, from its name. */
static unsigned int prog_type(const struct bpf_program *prog)
{
	static const struct {
		const char *part;
		unsigned int type;
	} map[] = {
		{ "module", VIGIL_EV_MODULE_LOAD },
		{ "bpf", VIGIL_EV_BPF },
		{ "ptrace", VIGIL_EV_PTRACE },
		{ "process_vm_writev", VIGIL_EV_PROCESS_VM_WRITE },
		{ "memfd", VIGIL_EV_MEMFD },
		{ "exit_open", VIGIL_EV_PROC_MEM_WRITE },
	};
	const char *name = bpf_program__name(prog);

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(name, map[i].part))
			return map[i].type;
	return 0;
}

/* The open exit programs serve both procfs events. */
static __u64 prog_types(const struct bpf_program *prog)
{
	unsigned int type = prog_type(prog);

	if (type == VIGIL_EV_PROC_MEM_WRITE)
		return EVENT_BIT(type) | EVENT_BIT(VIGIL_EV_PROC_READ);
	return EVENT_BIT(type);
}

/*
 * Which module programs fit this kernel: syscall tracepoints, else raw sys_enter/exit. The
 * raw fallback runs on every syscall of every task, and a kernel without those tracepoints
 * is one built without modules, where a load can only fail: it is used only when module_load
 * was asked for by name.
 */
static void choose_module_progs(struct kernel_bpf *skel, bool named)
{
	bool modules = !access(FINIT_MODULE_TP, F_OK);

	bpf_program__set_autoload(skel->progs.enter_init_module, modules);
	bpf_program__set_autoload(skel->progs.exit_init_module, modules);
	bpf_program__set_autoload(skel->progs.enter_finit_module, modules);
	bpf_program__set_autoload(skel->progs.exit_finit_module, modules);
	bpf_program__set_autoload(skel->progs.raw_enter_module, !modules && named);
	bpf_program__set_autoload(skel->progs.raw_exit_module, !modules && named);
	bpf_program__set_autoload(skel->progs.module_load_name,
				  sensors_kernel_has_tracepoint("module_load"));
	if (!modules)
		pr_debug("kernel", "no module syscall tracepoints (kernel without modules): %s",
			 named ? "watching init_module/finit_module on raw sys_enter/sys_exit"
			       : "module loads are not watched unless module_load is named");
}

static int kernel_start(const struct sensor_ctx *ctx, void **state)
{
	struct kernel_bpf *skel = kernel_bpf__open();
	struct bpf_program *prog;
	int err;

	if (!skel)
		return -errno;
	skel->rodata->wakeup_bytes = ctx->wakeup_bytes;
	skel->rodata->self_tgid = getpid();
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, !!(ctx->types & prog_types(prog)));
	if (ctx->types & EVENT_BIT(VIGIL_EV_MODULE_LOAD))
		choose_module_progs(skel, ctx->named_types & EVENT_BIT(VIGIL_EV_MODULE_LOAD));
	err = sensor_share_maps(skel->obj, ctx);
	if (!err)
		err = kernel_bpf__load(skel);
	if (!err)
		err = kernel_bpf__attach(skel);
	if (err) {
		kernel_bpf__destroy(skel);
		return err;
	}
	*state = skel;
	return 0;
}

static void kernel_detach(void *state)
{
	links_destroy_all(((struct kernel_bpf *)state)->skeleton);
}

static void kernel_stop(void *state)
{
	kernel_bpf__destroy(state);
}

const struct sensor_ops kernel_sensor = {
	.name = "kernel",
	.types = EVENT_BIT(VIGIL_EV_MODULE_LOAD) | EVENT_BIT(VIGIL_EV_BPF) |
		 EVENT_BIT(VIGIL_EV_PTRACE) | EVENT_BIT(VIGIL_EV_PROCESS_VM_WRITE) |
		 EVENT_BIT(VIGIL_EV_MEMFD) | EVENT_BIT(VIGIL_EV_PROC_MEM_WRITE) |
		 EVENT_BIT(VIGIL_EV_PROC_READ),
	.needs_tracefs = true,
	.start = kernel_start,
	.detach = kernel_detach,
	.stop = kernel_stop,
};
