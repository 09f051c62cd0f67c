// SPDX-License-Identifier: GPL-2.0
/*
 * Network sensor: loads bpf/net.bpf.c with only the programs the wanted types need; dns
 * attaches a cgroup_skb egress program to the cgroup2 root, the rest are syscall tracepoints.
 */
#include "core/links.h"
#include "sensors/sensor.h"
#include "core/log.h"
#include "core/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "vigil/ev_net.h"
#include "net.skel.h"

struct net_state {
	struct net_bpf *skel;
	struct bpf_link *dns_link;
};

/* Which programs each type needs. */
static void select_programs(struct net_bpf *skel, __u64 types)
{
	const struct {
		struct bpf_program *prog;
		unsigned int type;
	} progs[] = {
		{ skel->progs.net_connect_in, VIGIL_EV_CONNECT },
		{ skel->progs.net_connect_out, VIGIL_EV_CONNECT },
		{ skel->progs.net_accept_in, VIGIL_EV_ACCEPT },
		{ skel->progs.net_accept4_in, VIGIL_EV_ACCEPT },
		{ skel->progs.net_accept_out, VIGIL_EV_ACCEPT },
		{ skel->progs.net_accept4_out, VIGIL_EV_ACCEPT },
		{ skel->progs.net_bind_in, VIGIL_EV_BIND },
		{ skel->progs.net_bind_out, VIGIL_EV_BIND },
		{ skel->progs.net_listen_in, VIGIL_EV_LISTEN },
		{ skel->progs.net_listen_out, VIGIL_EV_LISTEN },
		{ skel->progs.net_socket_in, VIGIL_EV_SOCKET },
		{ skel->progs.net_socket_out, VIGIL_EV_SOCKET },
		{ skel->progs.net_dns_egress, VIGIL_EV_DNS },
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_autoload(progs[i].prog, !!(types & EVENT_BIT(progs[i].type)));
}

static int attach_dns(struct net_state *st)
{
	char root[PATH_MAX];
	int fd, err;

	err = cgroup2_mount_point(root, sizeof(root));
	if (err) {
		pr_warn("net", "dns needs a cgroup2 mount: %s", strerror(-err));
		return err;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A link: several programs may share the root (systemd's, other agents'). */
	st->dns_link = bpf_program__attach_cgroup(st->skel->progs.net_dns_egress, fd);
	err = st->dns_link ? 0 : -errno;
	close(fd);
	if (err)
		pr_warn("net", "cannot attach dns to cgroup %s: %s", root, strerror(-err));
	return err;
}

static void net_detach(void *state)
{
	struct net_state *st = state;

	bpf_link__destroy(st->dns_link);
	st->dns_link = NULL;
	links_destroy_all(st->skel->skeleton);
}

static void net_stop(void *state)
{
	struct net_state *st = state;

	if (!st)
		return;
	bpf_link__destroy(st->dns_link);
	net_bpf__destroy(st->skel);
	free(st);
}

static int net_start(const struct sensor_ctx *ctx, void **state)
{
	struct net_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	st->skel = net_bpf__open();
	if (!st->skel) {
		err = -errno;
		goto fail;
	}
	st->skel->rodata->wakeup_bytes = ctx->wakeup_bytes;
	select_programs(st->skel, ctx->types);
	err = sensor_share_maps(st->skel->obj, ctx);
	if (!err)
		err = net_bpf__load(st->skel);
	if (!err)
		err = net_bpf__attach(st->skel); /* every loaded tracepoint; not the cgroup one */
	if (!err && (ctx->types & EVENT_BIT(VIGIL_EV_DNS))) {
		err = attach_dns(st);
		/* Not named with --events: keep the other net events without it. */
		if (err && !(ctx->named_types & EVENT_BIT(VIGIL_EV_DNS))) {
			pr_warn("net", "dns events are off");
			err = 0;
		}
	}
	if (err)
		goto fail;
	*state = st;
	return 0;
fail:
	net_stop(st);
	return err;
}

const struct sensor_ops sensor_net = {
	.name = "net",
	.types = EVENT_BIT(VIGIL_EV_CONNECT) | EVENT_BIT(VIGIL_EV_ACCEPT) |
		 EVENT_BIT(VIGIL_EV_LISTEN) | EVENT_BIT(VIGIL_EV_BIND) |
		 EVENT_BIT(VIGIL_EV_SOCKET) | EVENT_BIT(VIGIL_EV_DNS),
	.needs_tracefs = true,
	.start = net_start,
	.detach = net_detach,
	.stop = net_stop,
};
