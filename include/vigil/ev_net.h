/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network events: connect, accept, bind, listen, raw/packet socket creation and DNS queries.
 *
 * One record layout for every type. Addresses are 16 bytes: an IPv4 address fills the first 4
 * (family AF_INET), an IPv6 address all 16 (an IPv4-mapped one stays in its ::ffff:a.b.c.d
 * form; user space prints the IPv4 part). Ports are in host byte order.
 */
#ifndef VIGIL_EV_NET_H
#define VIGIL_EV_NET_H

#include "vigil/events.h"

/* Plain numbers, not an enum: they are used wherever an enum vigil_event_type is. */
#define VIGIL_EV_CONNECT  (VIGIL_EV_NET_FIRST + 0) /* 24 */
#define VIGIL_EV_ACCEPT	  (VIGIL_EV_NET_FIRST + 1)
#define VIGIL_EV_LISTEN	  (VIGIL_EV_NET_FIRST + 2)
#define VIGIL_EV_BIND	  (VIGIL_EV_NET_FIRST + 3)
#define VIGIL_EV_SOCKET	  (VIGIL_EV_NET_FIRST + 4) /* raw and packet sockets only */
#define VIGIL_EV_DNS	  (VIGIL_EV_NET_FIRST + 5)
#define VIGIL_EV_NET_LAST VIGIL_EV_DNS

/*
 * hdr.flags of a net record. *_ASKED: the address is the one the caller passed, because the
 * kernel had already dropped its own (a connect that failed is disconnected; a failed bind
 * binds nothing). NO_SOCKET: the fd was closed before it could be read. DNS_MALFORMED: not a
 * well-formed query; the name is what parsed and the type is 0. DNS_RESPONSE: the QR bit was
 * set (a response sent to port 53).
 */
#define VIGIL_NET_DADDR_ASKED	(1 << 0)
#define VIGIL_NET_SADDR_ASKED	(1 << 1)
#define VIGIL_NET_NO_SOCKET	(1 << 2)
#define VIGIL_NET_DNS_MALFORMED (1 << 3)
#define VIGIL_NET_DNS_RESPONSE	(1 << 4)

/* Longest DNS name in wire format (RFC 1035: 255 octets, so 253 characters in dotted form). */
#define VIGIL_DNS_NAME_MAX 255

/* Every net type; for dns it is followed by name_len bytes of the query name in wire format. */
struct vigil_net_event {
	struct vigil_event_hdr hdr;
	struct vigil_task task;
	__s64 result;	 /* the syscall's return: 0, a new fd, or -errno; 0 for dns */
	__u16 family;	 /* AF_INET, AF_INET6, AF_PACKET, ... (the socket's, from the kernel) */
	__u16 type;	 /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, ... */
	__u16 protocol;	 /* IPPROTO_*, or the ethertype (host order) for AF_PACKET */
	__u16 sport;	 /* local port */
	__u16 dport;	 /* remote port */
	__u16 dns_qtype; /* dns: QTYPE (1 A, 28 AAAA, ...) */
	__u16 name_len;	 /* dns: bytes of wire-format name after the fixed part */
	__u16 pad;
	__u8 saddr[16]; /* local address */
	__u8 daddr[16]; /* remote address */
};
VIGIL_ASSERT_SIZE(struct vigil_net_event, 136);
VIGIL_ASSERT_OFFSET(struct vigil_net_event, result, 80);
VIGIL_ASSERT_OFFSET(struct vigil_net_event, family, 88);
VIGIL_ASSERT_OFFSET(struct vigil_net_event, name_len, 100);
VIGIL_ASSERT_OFFSET(struct vigil_net_event, saddr, 104);
VIGIL_ASSERT_OFFSET(struct vigil_net_event, daddr, 120);

#endif
