// SPDX-License-Identifier: GPL-2.0
#include "veth.h"
#include "testlib.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int veth_tools(void)
{
	return shf("command -v ip >/dev/null && busybox ping --help >/dev/null 2>&1") ? -1 : 0;
}

static int open_ns(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

int veth_pair_up(struct veth_pair *v, const char *tag)
{
	int pid = getpid();

	memset(v, 0, sizeof(*v));
	v->cli_ns = v->srv_ns = -1;
	snprintf(v->ns_cli, sizeof(v->ns_cli), "%sc%d", tag, pid);
	snprintf(v->ns_srv, sizeof(v->ns_srv), "%ss%d", tag, pid);
	snprintf(v->if_cli, sizeof(v->if_cli), "%.4sc%d", tag, pid);
	snprintf(v->if_srv, sizeof(v->if_srv), "%.4ss%d", tag, pid);
	v->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (shf("ip netns add %s && ip netns add %s", v->ns_cli, v->ns_srv) ||
	    shf("ip link add %s netns %s type veth peer name %s netns %s", v->if_cli, v->ns_cli,
		v->if_srv, v->ns_srv) ||
	    shf("ip -n %s addr add " VETH_GOOD "/24 dev %s && ip -n %s addr add " VETH_BAD
		"/24 dev %s && ip -n %s addr add " VETH_GOOD6 "/64 dev %s nodad",
		v->ns_cli, v->if_cli, v->ns_cli, v->if_cli, v->ns_cli, v->if_cli) ||
	    shf("ip -n %s addr add " VETH_SERVER "/24 dev %s && ip -n %s addr add " VETH_SERVER6
		"/64 dev %s nodad",
		v->ns_srv, v->if_srv, v->ns_srv, v->if_srv) ||
	    shf("ip -n %s link set %s up && ip -n %s link set lo up && ip -n %s link set %s up && "
		"ip -n %s link set lo up",
		v->ns_cli, v->if_cli, v->ns_cli, v->ns_srv, v->if_srv, v->ns_srv))
		goto fail;
	v->cli_ns = open_ns(v->ns_cli);
	v->srv_ns = open_ns(v->ns_srv);
	if (v->cli_ns < 0 || v->srv_ns < 0 || v->orig_ns < 0)
		goto fail;
	return 0;
fail:
	veth_pair_down(v);
	return -1;
}

void veth_pair_down(struct veth_pair *v)
{
	if (!v->ns_cli[0])
		return;
	if (v->orig_ns >= 0)
		setns(v->orig_ns, CLONE_NEWNET);
	shf("ip netns del %s 2>/dev/null", v->ns_cli);
	shf("ip netns del %s 2>/dev/null", v->ns_srv);
	if (v->cli_ns >= 0)
		close(v->cli_ns);
	if (v->srv_ns >= 0)
		close(v->srv_ns);
	v->cli_ns = v->srv_ns = -1;
	v->ns_cli[0] = '\0';
}

int veth_ping(const struct veth_pair *v, const char *src, const char *dst, int count)
{
	return shf("ip netns exec %s busybox ping %s -c %d -i 0.2 -W 1 -I %s %s >/dev/null 2>&1",
		   v->ns_cli, strchr(dst, ':') ? "-6" : "-4", count, src, dst);
}
