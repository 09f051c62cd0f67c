/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Enforcement maps: what the kernel refuses by itself. Network: connect() to addresses (and
 * ports) that an enforced deny rule names, refused by cgroup connect4/connect6 hooks with EPERM.
 * Addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d, so one entry covers both kinds of socket.
 */
#ifndef VIGIL_ENFORCE_H
#define VIGIL_ENFORCE_H

#include "vigil/types.h"

/*
 * LPM trie keys. net_deny: a port (network order), then the address; prefixlen counts both,
 * so it is 16 plus the address's prefix. net_deny_any (rules on any port): the address alone.
 */
struct vigil_net_deny_key {
	__u32 prefixlen;
	__u16 port; /* network byte order */
	__u8 addr[16];
} __attribute__((packed));
VIGIL_ASSERT_SIZE(struct vigil_net_deny_key, 22);

struct vigil_net_deny_any_key {
	__u32 prefixlen;
	__u8 addr[16];
};
VIGIL_ASSERT_SIZE(struct vigil_net_deny_any_key, 20);

#endif
