/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synchronous network denial (bpf/netdeny.bpf.c): connect() to a denied address and port
 * fails with EPERM, for every process, through cgroup hooks on the cgroup2 root.
 */
#ifndef VIGIL_ENFORCE_NETDENY_H
#define VIGIL_ENFORCE_NETDENY_H

#include <stdbool.h>
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
 * process); 0 or -errno (-ENOENT: no cgroup2 mount). With @pin_dir, links and maps are pinned
 * there and outlive a crash; hooks pinned there already are adopted: this run's programs
 * replace theirs on the same links, over the same maps, so nothing is let through meanwhile.
 */
int netdeny_start(struct netdeny **out, const char *cgroup, const char *pin_dir);
/*
 * Detach; the pins go too (a clean stop). With @keep_pins the pinned hooks stay in force, as
 * after a crash, for the next start to adopt.
 */
void netdeny_stop(struct netdeny *n, bool keep_pins);
/*
 * Make the kernel refuse exactly @d: new entries first, stale ones removed last. The first
 * success pins (old pins that could not be adopted are replaced only then).
 */
int netdeny_set(struct netdeny *n, const struct net_deny *d, size_t count);

#endif
