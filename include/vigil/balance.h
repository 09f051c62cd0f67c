/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Balancer (Maglev L4, in the shield's XDP program) ABI: map keys and values shared by
 * bpf/shield.bpf.c and src/shield/balance*.c. Every layout is checked at build time.
 *
 * The balancer has its own generation (lb_globals.active), separate from the filter's, so a
 * health change swaps the lookup tables without touching the rules. A packet reads `active`
 * once and then uses only that generation's services (keyed with the generation) and ring.
 *
 * Services and backends have stable slots (lb_svc_info, lb_backends): counters and the flow
 * table refer to them, so they survive reloads and table swaps. A backend slot belongs to one
 * (service, backend address) pair.
 *
 * Addresses of services and backends are 16 bytes, IPv6, or IPv4 mapped (::ffff:a.b.c.d, the
 * IPv4 address in the last word): one slot layout for both families. A service's backends are
 * of its family (the loader refuses anything else). IPv6 services have their own service and
 * flow maps (lb_services6, lb_flows6), so the IPv4 keys stay short on the IPv4 path.
 */
#ifndef VIGIL_BALANCE_H
#define VIGIL_BALANCE_H

#include "vigil/types.h"

#define LB_MAX_SERVICES 64
#define LB_MAX_BACKENDS 1024 /* (service, backend) pairs */
#define LB_RING_DEFAULT 65537
#define LB_RING_MIN	7
#define LB_RING_MAX	131071	   /* a prime; 64 services x 131071 x 4 bytes = 32 MiB */
#define LB_MAX_FLOWS	262144	   /* LRU flow table entries */
#define LB_MAX_DECAP	4	   /* tunnel sources of each family a backend accepts */
#define LB_NO_BACKEND	0xffffffff /* ring entry of a service with no usable backend */
#define LB_NAME		32
#define LB_HTTP_PATH	64

/* lb_config.flags */
#define LB_CFG_BALANCE (1 << 0) /* services to balance in this generation */
#define LB_CFG_DECAP   (1 << 1) /* strip IP-in-IP (and 6-in-6) from the decap sources */

struct lb_config {
	__u32 flags;
	__u32 ring_size;  /* Maglev table entries per service, a prime */
	__u32 tunnel_src; /* outer source address of IPv4 services, network byte order */
	__u32 n_decap;
	__u32 decap_src[LB_MAX_DECAP]; /* network byte order */
	__u32 tunnel_src6[4];	       /* outer source address of IPv6 services */
	__u32 n_decap6;
	__u32 decap_src6[LB_MAX_DECAP][4]; /* IPv6-in-IPv6 sources */
};
VIGIL_ASSERT_SIZE(struct lb_config, 116);

/* The program's global lb (section ".data.lb", pinned as lb_cfg): only `active` is a switch. */
struct lb_globals {
	__u32 active; /* generation in use: 0 or 1 */
	__u32 seq;    /* how many tables were installed */
	struct lb_config cfg[2];
};
VIGIL_ASSERT_SIZE(struct lb_globals, 240);

/* lb_services key: a virtual service in one generation. */
struct lb_svc_key {
	__u32 gen;
	__u32 addr; /* network byte order */
	__u16 port; /* network byte order */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
VIGIL_ASSERT_SIZE(struct lb_svc_key, 12);

/* lb_services6 key: an IPv6 virtual service in one generation (value: lb_svc_val). */
struct lb_svc6_key {
	__u32 gen;
	__u32 addr[4];
	__u16 port; /* network byte order */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};
VIGIL_ASSERT_SIZE(struct lb_svc6_key, 24);

struct lb_svc_val {
	__u32 slot; /* stable: lb_svc_info, lb_svc_stats */
	__u32 row;  /* this generation's ring rows: entries row * ring_size .. + ring_size */
};
VIGIL_ASSERT_SIZE(struct lb_svc_val, 8);

/* lb_backends flags */
#define LB_BE_USED (1 << 0) /* the slot belongs to a configured backend */
#define LB_BE_UP   (1 << 1) /* healthy (or not checked): flows may stay on it */

struct lb_backend {
	__u32 addr[4]; /* IPv6, or IPv4 mapped; network byte order */
	__u32 flags;
	__u32 svc_slot;
	__u32 weight; /* 0: draining, in no ring, its flows stay */
	__u32 pad;
};
VIGIL_ASSERT_SIZE(struct lb_backend, 32);

enum lb_check_type {
	LB_CHECK_NONE = 0,
	LB_CHECK_TCP = 1,
	LB_CHECK_HTTP = 2,
};

/* lb_svc_info: a service's identity and health check (read by `vigil shield health`). */
#define LB_SVC_USED (1 << 0)

struct lb_svc_info {
	char name[LB_NAME];
	__u32 addr[4]; /* IPv6, or IPv4 mapped; network byte order */
	__u16 port;    /* host byte order */
	__u8 proto;
	__u8 check;	   /* enum lb_check_type */
	__u32 flags;	   /* LB_SVC_* */
	__u16 check_port;  /* host byte order; 0: the service port */
	__u16 expect;	   /* HTTP status expected */
	__u32 interval_ms; /* between checks of one backend */
	__u32 timeout_ms;
	__u8 fall; /* consecutive failures that take a backend out */
	__u8 rise; /* consecutive successes that put it back */
	__u16 pad;
	char path[LB_HTTP_PATH];
};
VIGIL_ASSERT_SIZE(struct lb_svc_info, 136);

/* lb_flows: the 5-tuple of an IPv4 flow -> its backend slot. */
struct lb_flow_key {
	__u32 src, dst;
	__u16 sport, dport; /* network byte order */
	__u8 proto;
	__u8 pad[3];
};
VIGIL_ASSERT_SIZE(struct lb_flow_key, 16);

/* lb_flows6: the 5-tuple of an IPv6 flow -> its backend slot. */
struct lb_flow6_key {
	__u32 src[4], dst[4];
	__u16 sport, dport; /* network byte order */
	__u8 proto;
	__u8 pad[3];
};
VIGIL_ASSERT_SIZE(struct lb_flow6_key, 40);

/* Per-CPU counters of a service (lb_svc_stats) or a backend (lb_be_stats). */
struct lb_counter {
	__u64 packets, bytes, new_flows;
	__u64 dropped; /* service: fragments, no usable backend, no route; backend: unused */
};
VIGIL_ASSERT_SIZE(struct lb_counter, 32);

/* Counters of lb_misc (per CPU), indexed by enum lb_misc. */
enum lb_misc {
	LB_M_DECAP = 0,	 /* IP-in-IP and IPv6-in-IPv6 packets decapsulated */
	LB_M_FRAGMENT,	 /* fragments to a service: dropped */
	LB_M_NO_BACKEND, /* a service with no usable backend: dropped */
	LB_M_NO_ROUTE,	 /* the backend's route failed (forwarding off, unreachable): dropped */
	LB_M_NEIGH_PASS, /* no neighbour entry yet: the encapsulated packet went to the stack */
	LB_M_TX,	 /* sent back out the interface it came in */
	LB_M_REDIRECT,	 /* sent out another interface */
	LB_M_UNTOUCHED,	 /* to a service but not balanceable (VLAN tag): passed as is */
	LB_M_V6_EXT,	 /* IPv6 to a service with extension headers: balanced as they are */
	LB_M_MAX,
};

#endif
