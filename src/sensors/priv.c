// SPDX-License-Identifier: GPL-2.0
/* The privilege sensor (bpf/priv.bpf.c): setuid, setgid, capset, setns and unshare events. */
#include "core/links.h"
#include "sensors/sensor.h"
#include "vigil/ev_priv.h"

#include <errno.h>
#include <string.h>

#include "priv.skel.h"

/* The event type a program serves, from its name (enter_setresuid, exit_capset, ...). */
static unsigned int prog_type(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);

	if (strstr(name, "capset"))
		return VIGIL_EV_CAPSET;
	if (strstr(name, "setns"))
		return VIGIL_EV_SETNS;
	if (strstr(name, "unshare"))
		return VIGIL_EV_UNSHARE;
	if (strstr(name, "gid"))
		return VIGIL_EV_SETGID;
	return VIGIL_EV_SETUID;
}

static int priv_start(const struct sensor_ctx *ctx, void **state)
{
	struct priv_bpf *skel = priv_bpf__open();
	struct bpf_program *prog;
	int err;

	if (!skel)
		return -errno;
	skel->rodata->wakeup_bytes = ctx->wakeup_bytes;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, !!(ctx->types & EVENT_BIT(prog_type(prog))));
	err = sensor_share_maps(skel->obj, ctx);
	if (!err)
		err = priv_bpf__load(skel);
	if (!err)
		err = priv_bpf__attach(skel);
	if (err) {
		priv_bpf__destroy(skel);
		return err;
	}
	*state = skel;
	return 0;
}

static void priv_detach(void *state)
{
	links_destroy_all(((struct priv_bpf *)state)->skeleton);
}

static void priv_stop(void *state)
{
	priv_bpf__destroy(state);
}

const struct sensor_ops priv_sensor = {
	.name = "priv",
	.types = EVENT_BIT(VIGIL_EV_SETUID) | EVENT_BIT(VIGIL_EV_SETGID) |
		 EVENT_BIT(VIGIL_EV_CAPSET) | EVENT_BIT(VIGIL_EV_SETNS) |
		 EVENT_BIT(VIGIL_EV_UNSHARE),
	.needs_tracefs = true,
	.start = priv_start,
	.detach = priv_detach,
	.stop = priv_stop,
};
