/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synchronous network denial (bpf/netdeny.bpf.c): connect() to a denied address and port
 * fails with EPERM, for every process, through cgroup hooks on the cgroup2 root.
 */
#ifndef VIGIL_ENFORCE_NETDENY_H
#define VIGIL_ENFORCE_NETDENY_H

#include <stddef.h>

#include "vigil/types.h"

struct net_deny {
	__u8 addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u8 prefix_len;
	int port; /* host order; -1: any */
};

struct netdeny;

/*
 * Load and attach the hooks to @cgroup ("/a/b" below the cgroup2 root; NULL: the root, every
 * process); 0 or -errno (-ENOENT: no cgroup2 mount).
 */
int netdeny_start(struct netdeny **out, const char *cgroup);
void netdeny_stop(struct netdeny *n);
/* Make the kernel refuse exactly @d: new entries first, stale ones removed last. */
int netdeny_set(struct netdeny *n, const struct net_deny *d, size_t count);

#endif
