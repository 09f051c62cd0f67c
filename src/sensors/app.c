// SPDX-License-Identifier: GPL-2.0
/*
 * The application sensor (bpf/app.bpf.c): uprobes on /bin/bash's readline (shell events) and
 * on this host's libssl (tls events). A program or library that is missing, or lacks the
 * functions, leaves its events off with a warning; the agent goes on.
 *
 * tls puts a uprobe and a uretprobe (traps into the kernel: 130-160 us a call on our test VM)
 * on every SSL_read and SSL_write of every process: it runs only when named (--events tls).
 */
#include "core/elfsym.h"
#include "core/log.h"
#include "sensors/sensor.h"
#include "vigil/ev_app.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.skel.h"

#define SHELL_PATH "/bin/bash"
#define LIBSSL	   "libssl.so.3"
#define MAX_LINKS  16

struct app_state {
	struct app_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int n_links;
};

/* One function of @path: its entry (or return) runs @prog. 0 or -errno. */
static int attach_func(struct app_state *st, struct bpf_program *prog, const char *path,
		       const char *func, bool retprobe)
{
	struct elf_func fn;
	struct bpf_link *link;
	int err = elf_func_find(path, func, &fn);

	if (err)
		return err;
	if (st->n_links == MAX_LINKS)
		return -E2BIG;
	link = bpf_program__attach_uprobe(prog, retprobe, -1, path, fn.offset);
	if (!link)
		return -errno;
	st->links[st->n_links++] = link;
	return 0;
}

static void detach_all(struct app_state *st)
{
	while (st->n_links)
		bpf_link__destroy(st->links[--st->n_links]);
}

static int attach_shell(struct app_state *st)
{
	return attach_func(st, st->skel->progs.shell_readline, SHELL_PATH, "readline", true);
}

static int attach_tls(struct app_state *st, const char *lib)
{
	struct app_bpf *k = st->skel;
	const struct {
		const char *func;
		struct bpf_program *entry;
		bool ret; /* tls_return counts what it returned */
	} funcs[] = {
		{ "SSL_read", k->progs.tls_read, true },
		{ "SSL_write", k->progs.tls_write, true },
		{ "SSL_read_ex", k->progs.tls_read_ex, true },
		{ "SSL_write_ex", k->progs.tls_write_ex, true },
		{ "SSL_do_handshake", k->progs.tls_handshake, true },
		{ "SSL_ctrl", k->progs.tls_ctrl, false },
		{ "SSL_free", k->progs.tls_free, false },
	};
	struct bpf_link *peer;
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		err = attach_func(st, funcs[i].entry, lib, funcs[i].func, false);
		if (!err && funcs[i].ret)
			err = attach_func(st, k->progs.tls_return, lib, funcs[i].func, true);
		if (err)
			pr_warn("app", "tls: %s in %s: %s", funcs[i].func, lib, elf_strerror(err));
	}
	if (err)
		return err;
	peer = bpf_program__autoload(k->progs.tls_peer) ? bpf_program__attach(k->progs.tls_peer)
							: NULL;
	if (!peer)
		pr_warn("app",
			"tls: the peers' addresses are not seen (tp_btf/sock_send_length: %s)",
			bpf_program__autoload(k->progs.tls_peer) ? strerror(errno)
								 : "not in this kernel");
	else if (st->n_links < MAX_LINKS)
		st->links[st->n_links++] = peer;
	else
		bpf_link__destroy(peer);
	return 0;
}

/*
 * Load only what is wanted: shell's or tls's programs; the peer's tracepoint only where the
 * kernel has it (6.1 has not), so that its absence costs the peer's address, not the sensor.
 */
static void set_autoload(struct app_bpf *k, bool shell, bool tls)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, k->obj)
		bpf_program__set_autoload(prog, prog == k->progs.shell_readline ? shell : tls);
	if (tls && !sensors_kernel_has_tracepoint("sock_send_length"))
		bpf_program__set_autoload(k->progs.tls_peer, false);
}

static int app_start(const struct sensor_ctx *ctx, void **state)
{
	bool shell = ctx->types & EVENT_BIT(VIGIL_EV_SHELL);
	bool tls = ctx->named_types & EVENT_BIT(VIGIL_EV_TLS);
	struct app_state *st = calloc(1, sizeof(*st));
	char lib[4096];
	int err, before;

	if (!st)
		return -ENOMEM;
	st->skel = app_bpf__open();
	if (!st->skel) {
		err = -errno;
		goto fail;
	}
	st->skel->rodata->wakeup_bytes = ctx->wakeup_bytes;
	st->skel->rodata->self_tgid = getpid();
	set_autoload(st->skel, shell, tls);
	err = sensor_share_maps(st->skel->obj, ctx);
	if (!err)
		err = app_bpf__load(st->skel);
	if (err)
		goto fail;
	if (shell) {
		err = attach_shell(st);
		if (err)
			pr_warn("app", "shell events off: readline in %s: %s", SHELL_PATH,
				elf_strerror(err));
	}
	if (tls) {
		before = st->n_links;
		err = elf_library_find(LIBSSL, lib, sizeof(lib));
		if (!err)
			err = attach_tls(st, lib);
		if (err) {
			while (st->n_links > before)
				bpf_link__destroy(st->links[--st->n_links]);
			pr_warn("app", "tls events off: %s %s", LIBSSL,
				err == -ENOENT ? "is not installed (ldconfig -p)"
					       : "cannot be traced");
		}
	}
	*state = st;
	return 0;
fail:
	app_bpf__destroy(st->skel);
	free(st);
	return err;
}

static void app_detach(void *state)
{
	detach_all(state);
}

static void app_stop(void *state)
{
	struct app_state *st = state;

	detach_all(st);
	app_bpf__destroy(st->skel);
	free(st);
}

const struct sensor_ops app_sensor = {
	.name = "app",
	.types = EVENT_BIT(VIGIL_EV_SHELL) | EVENT_BIT(VIGIL_EV_TLS),
	.start = app_start,
	.detach = app_detach,
	.stop = app_stop,
};
