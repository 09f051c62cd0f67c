/* SPDX-License-Identifier: GPL-2.0 */
/* Crafted packets for the shield tests and benchmark: Ethernet, VLAN, IPv4/6, ext headers, L4. */
#ifndef VIGIL_TESTS_SHIELD_PKT_H
#define VIGIL_TESTS_SHIELD_PKT_H

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

struct pkt_spec {
	int family;	 /* 4 or 6 */
	const char *src; /* address text */
	const char *dst;
	int proto;	    /* IPPROTO_TCP/UDP/ICMP/ICMPV6/other */
	int sport, dport;   /* TCP/UDP */
	uint8_t tcp_flags;  /* 0x02 SYN, 0x10 ACK */
	int vlans;	    /* 0..3 tags (first 802.1ad when 2+) */
	uint16_t frag_off;  /* IPv4 frag_off field (host order: MF 0x2000, offset in 8B) */
	const uint8_t *ext; /* IPv6 extension header types to insert, in order */
	int n_ext;
	uint16_t v6_frag_off; /* for a fragment ext header: offset field (already << 3) */
	int payload;	      /* bytes after the L4 header */
};

#define PKT_MAX 2048

static inline uint16_t pkt_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum);
}

/* Writes the packet into buf (PKT_MAX bytes); returns its length. */
static inline size_t pkt_build(uint8_t *buf, const struct pkt_spec *s)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 1 }, smac[6] = { 0x02, 0, 0, 0, 0, 2 };
	size_t off = 0, l3, l4, l4len;
	uint16_t *ethertype;

	memset(buf, 0, PKT_MAX);
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	off = 12;
	for (int i = 0; i < s->vlans; i++) {
		uint16_t tpid = (i == 0 && s->vlans > 1) ? 0x88a8 : 0x8100;

		*(uint16_t *)(buf + off) = htons(tpid);
		*(uint16_t *)(buf + off + 2) = htons(100 + i);
		off += 4;
	}
	ethertype = (uint16_t *)(buf + off);
	*ethertype = htons(s->family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	off += 2;
	l3 = off;

	switch (s->proto) {
	case IPPROTO_TCP:
		l4len = 20;
		break;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4len = 8;
		break;
	default:
		l4len = 0;
	}

	if (s->family == 4) {
		uint8_t *ip = buf + off;
		size_t tot = 20 + l4len + s->payload;

		ip[0] = 0x45;
		*(uint16_t *)(ip + 2) = htons(tot);
		*(uint16_t *)(ip + 6) = htons(s->frag_off);
		ip[8] = 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		*(uint16_t *)(ip + 10) = pkt_csum(ip, 20);
		off += 20;
	} else {
		uint8_t *ip = buf + off, *nh = ip + 6;
		size_t ext_len = 8 * s->n_ext;

		ip[0] = 0x60;
		*(uint16_t *)(ip + 4) = htons(ext_len + l4len + s->payload);
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		off += 40;
		for (int i = 0; i < s->n_ext; i++) {
			*nh = s->ext[i];
			nh = buf + off;
			buf[off + 1] = 0; /* (0 + 1) * 8 bytes; AH would be (len + 2) * 4 */
			if (s->ext[i] == 51)
				buf[off + 1] = 0;
			if (s->ext[i] == 44)
				*(uint16_t *)(buf + off + 2) = htons(s->v6_frag_off);
			off += 8;
		}
		*nh = s->proto;
	}
	l4 = off;
	if (s->proto == IPPROTO_TCP) {
		*(uint16_t *)(buf + l4) = htons(s->sport);
		*(uint16_t *)(buf + l4 + 2) = htons(s->dport);
		buf[l4 + 12] = 5 << 4;
		buf[l4 + 13] = s->tcp_flags;
	} else if (s->proto == IPPROTO_UDP) {
		*(uint16_t *)(buf + l4) = htons(s->sport);
		*(uint16_t *)(buf + l4 + 2) = htons(s->dport);
		*(uint16_t *)(buf + l4 + 4) = htons(8 + s->payload);
	} else if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		buf[l4] = s->proto == IPPROTO_ICMP ? 8 : 128; /* echo request */
	}
	(void)l3;
	off += l4len + s->payload;
	if (off < 60)
		off = 60; /* Ethernet minimum; IP lengths say where the packet really ends */
	return off;
}

#endif
