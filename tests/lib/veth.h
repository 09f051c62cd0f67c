/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two network namespaces joined by a veth pair, for tests with real traffic. Named with the
 * test's pid; the client end holds VETH_GOOD, VETH_BAD and VETH_GOOD6, the server end
 * VETH_SERVER and VETH_SERVER6.
 */
#ifndef VIGIL_TESTS_VETH_H
#define VIGIL_TESTS_VETH_H

#define VETH_GOOD    "10.78.0.2"
#define VETH_BAD     "10.78.0.3"
#define VETH_SERVER  "10.78.0.1"
#define VETH_GOOD6   "fd00:78::2"
#define VETH_SERVER6 "fd00:78::1"

struct veth_pair {
	char ns_cli[32], ns_srv[32], if_cli[16], if_srv[16];
	int orig_ns, cli_ns, srv_ns; /* namespace fds for setns() */
};

/* 0 when ip (iproute2) and busybox ping are there, else -1: the caller skips. */
int veth_tools(void);
/* Set it up (@tag: a few letters, unique per test binary); 0, or -1 with it torn down. */
int veth_pair_up(struct veth_pair *v, const char *tag);
/* Delete both namespaces (and with them the pair); back to the original namespace. */
void veth_pair_down(struct veth_pair *v);
/* busybox ping from the client namespace: its exit status (0: every reply came). */
int veth_ping(const struct veth_pair *v, const char *src, const char *dst, int count);

#endif
