// SPDX-License-Identifier: GPL-2.0
/*
 * The network family: connect, accept, listen, bind, socket (raw and packet), dns.
 * JSON: "result" and "net": {family, proto, type, protocol, saddr, sport, daddr, dport}; dns
 * adds "dns": {name, type}. Everything is checked against the record's size first: the DNS
 * name is bytes a process put on the wire, and it is re-validated here, not trusted.
 */
#include "events/family.h"
#include "events/json.h"
#include "events/text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vigil/ev_net.h"

static const char *const net_type_names[] = {
	[VIGIL_EV_CONNECT - VIGIL_EV_NET_FIRST] = "connect",
	[VIGIL_EV_ACCEPT - VIGIL_EV_NET_FIRST] = "accept",
	[VIGIL_EV_LISTEN - VIGIL_EV_NET_FIRST] = "listen",
	[VIGIL_EV_BIND - VIGIL_EV_NET_FIRST] = "bind",
	[VIGIL_EV_SOCKET - VIGIL_EV_NET_FIRST] = "socket",
	[VIGIL_EV_DNS - VIGIL_EV_NET_FIRST] = "dns",
};

static const struct vigil_net_event *rec(const struct event *ev)
{
	return ev->raw;
}

static unsigned int net_type(const struct event *ev)
{
	return ev->type;
}

static int net_decode(struct event *ev)
{
	const struct vigil_net_event *r = rec(ev);

	if (ev->raw_size < sizeof(*r) || r->name_len > VIGIL_DNS_NAME_MAX ||
	    sizeof(*r) + (size_t)r->name_len > ev->raw_size)
		return -EINVAL;
	return 0;
}

static bool inet(const struct vigil_net_event *r)
{
	return r->family == AF_INET || r->family == AF_INET6;
}

static const char *family_name(__u16 family, char *buf, size_t len)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	case AF_PACKET:
		return "packet";
	case AF_NETLINK:
		return "netlink";
	default:
		snprintf(buf, len, "af%u", family);
		return buf;
	}
}

static const char *sock_type_name(__u16 type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_PACKET:
		return "packet";
	default:
		return NULL;
	}
}

/* "tcp", "udp", "raw", ...: what a rule writer calls it. */
static const char *proto_name(const struct vigil_net_event *r)
{
	if (!inet(r) || r->type == SOCK_RAW)
		return sock_type_name(r->type);
	switch (r->protocol) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_MPTCP:
		return "mptcp";
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return "icmp"; /* unprivileged ping sockets */
	default:
		return sock_type_name(r->type);
	}
}

static const char *dns_type_name(__u16 qtype, char *buf, size_t len)
{
	static const struct {
		__u16 type;
		const char *name;
	} names[] = {
		{ 1, "A" },	 { 2, "NS" },	  { 5, "CNAME" },   { 6, "SOA" },
		{ 12, "PTR" },	 { 13, "HINFO" }, { 15, "MX" },	    { 16, "TXT" },
		{ 28, "AAAA" },	 { 33, "SRV" },	  { 35, "NAPTR" },  { 43, "DS" },
		{ 46, "RRSIG" }, { 47, "NSEC" },  { 48, "DNSKEY" }, { 64, "SVCB" },
		{ 65, "HTTPS" }, { 99, "SPF" },	  { 252, "AXFR" },  { 255, "ANY" },
		{ 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == qtype)
			return names[i].name;
	snprintf(buf, len, "TYPE%u", qtype); /* RFC 3597 */
	return buf;
}

/*
 * An address as text. IPv4-mapped IPv6 (::ffff:a.b.c.d) is printed as the IPv4 address that
 * actually goes on the wire, so that one rule on "10.0.0.1" matches both kinds of socket.
 */
static void addr_string(const struct vigil_net_event *r, const __u8 *addr, char *buf, size_t len)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (r->family == AF_INET)
		inet_ntop(AF_INET, addr, buf, len);
	else if (!memcmp(addr, mapped, sizeof(mapped)))
		inet_ntop(AF_INET, addr + 12, buf, len);
	else
		inet_ntop(AF_INET6, addr, buf, len);
}

static bool is_v6_text(const struct vigil_net_event *r, const char *s)
{
	return r->family == AF_INET6 && strchr(s, ':');
}

/*
 * The wire-format name as dotted text ("www.example.com", the root as "."), with '.' and '\'
 * inside a label escaped as RFC 1035 presentation format does. Stops at the first thing that
 * is not a plain label inside the record; the result is at most 4 * 255 bytes.
 */
static size_t dns_name(const struct vigil_net_event *r, char *out, size_t size)
{
	const __u8 *name = (const __u8 *)(r + 1);
	size_t i = 0, n = 0;

	while (i < r->name_len && name[i] && !(name[i] & 0xc0)) {
		size_t len = name[i++];

		if (n && n < size - 1)
			out[n++] = '.';
		for (size_t j = 0; j < len && i < r->name_len && n < size - 2; j++, i++) {
			if (name[i] == '.' || name[i] == '\\')
				out[n++] = '\\';
			out[n++] = name[i];
		}
	}
	if (!n && i < r->name_len && !name[i])
		out[n++] = '.';
	out[n] = '\0';
	return n;
}

#define DNS_TEXT_MAX (4 * VIGIL_DNS_NAME_MAX + 2)

static void net_json(FILE *out, const struct event *ev)
{
	const struct vigil_net_event *r = rec(ev);
	char fam[16], addr[INET6_ADDRSTRLEN];
	const char *proto = proto_name(r), *type = sock_type_name(r->type);

	if (net_type(ev) != VIGIL_EV_DNS)
		fprintf(out, ",\"result\":%" PRId64, (int64_t)r->result);
	fputs(",\"net\":{\"family\":", out);
	json_cstring(out, family_name(r->family, fam, sizeof(fam)));
	fputs(",\"proto\":", out);
	if (proto)
		json_cstring(out, proto);
	else
		fputs("null", out);
	fputs(",\"type\":", out);
	if (type)
		json_cstring(out, type);
	else
		fputs("null", out);
	fprintf(out, ",\"protocol\":%u", r->protocol);
	if (inet(r)) {
		addr_string(r, r->saddr, addr, sizeof(addr));
		fprintf(out, ",\"saddr\":\"%s\",\"sport\":%u", addr, r->sport);
		addr_string(r, r->daddr, addr, sizeof(addr));
		fprintf(out, ",\"daddr\":\"%s\",\"dport\":%u", addr, r->dport);
	} else {
		fputs(",\"saddr\":null,\"sport\":null,\"daddr\":null,\"dport\":null", out);
	}
	if (ev->flags & VIGIL_NET_DADDR_ASKED)
		fputs(",\"daddr_asked\":true", out);
	if (ev->flags & VIGIL_NET_SADDR_ASKED)
		fputs(",\"saddr_asked\":true", out);
	if (ev->flags & VIGIL_NET_NO_SOCKET)
		fputs(",\"no_socket\":true", out);
	fputc('}', out);

	if (net_type(ev) == VIGIL_EV_DNS) {
		char name[DNS_TEXT_MAX], qtype[16];
		size_t len = dns_name(r, name, sizeof(name));

		fputs(",\"dns\":{\"name\":", out);
		json_string(out, name, len);
		fputs(",\"type\":", out);
		if (ev->flags & VIGIL_NET_DNS_MALFORMED)
			fputs("null,\"malformed\":true", out);
		else
			json_cstring(out, dns_type_name(r->dns_qtype, qtype, sizeof(qtype)));
		if (ev->flags & VIGIL_NET_DNS_RESPONSE)
			fputs(",\"response\":true", out);
		fputc('}', out);
	}
}

static void text_endpoint(FILE *out, const struct vigil_net_event *r, const __u8 *addr, __u16 port)
{
	char s[INET6_ADDRSTRLEN];

	addr_string(r, addr, s, sizeof(s));
	fprintf(out, is_v6_text(r, s) ? "[%s]:%u" : "%s:%u", s, port);
}

static void net_text(FILE *out, const struct event *ev)
{
	const struct vigil_net_event *r = rec(ev);
	const char *proto = proto_name(r);
	char fam[16];

	if (net_type(ev) == VIGIL_EV_DNS) {
		char name[DNS_TEXT_MAX], qtype[16];
		size_t len = dns_name(r, name, sizeof(name));

		fputs(ev->flags & VIGIL_NET_DNS_MALFORMED
			      ? "malformed"
			      : dns_type_name(r->dns_qtype, qtype, sizeof(qtype)),
		      out);
		fputc(' ', out);
		text_bytes(out, name, len);
		fputc(' ', out);
		text_endpoint(out, r, r->saddr, r->sport);
		fputs(" -> ", out);
		text_endpoint(out, r, r->daddr, r->dport);
		return;
	}
	fprintf(out, "%s ", proto ? proto : family_name(r->family, fam, sizeof(fam)));
	if (!inet(r) || net_type(ev) == VIGIL_EV_SOCKET) {
		fprintf(out, "%s protocol %u", family_name(r->family, fam, sizeof(fam)),
			r->protocol);
	} else {
		text_endpoint(out, r, r->saddr, r->sport);
		if (net_type(ev) == VIGIL_EV_CONNECT || net_type(ev) == VIGIL_EV_ACCEPT) {
			fputs(net_type(ev) == VIGIL_EV_CONNECT ? " -> " : " <- ", out);
			text_endpoint(out, r, r->daddr, r->dport);
		}
	}
	text_result(out, r->result);
}

/* IPv4 as ::ffff:a.b.c.d, so that one CIDR matches both kinds of socket. */
static void addr_mapped(const struct vigil_net_event *r, const __u8 *addr, __u8 out[16])
{
	if (r->family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, addr, 4);
	} else {
		memcpy(out, addr, 16);
	}
}

static bool net_field(const struct event *ev, enum field_id id, struct field_value *out, char *buf)
{
	const struct vigil_net_event *r = rec(ev);
	bool dns = net_type(ev) == VIGIL_EV_DNS;

	switch (id) {
	case FIELD_RESULT:
		out->num = r->result;
		return !dns;
	case FIELD_NET_DADDR:
	case FIELD_NET_SADDR:
		addr_mapped(r, id == FIELD_NET_DADDR ? r->daddr : r->saddr, out->addr);
		return inet(r);
	case FIELD_NET_DPORT:
	case FIELD_NET_SPORT:
		out->num = id == FIELD_NET_DPORT ? r->dport : r->sport;
		return inet(r);
	case FIELD_NET_PROTO:
		out->str = proto_name(r);
		break;
	case FIELD_NET_FAMILY:
		out->str = family_name(r->family, buf, FIELD_BUF_SIZE);
		break;
	case FIELD_NET_DIRECTION:
		out->bits = net_type(ev) == VIGIL_EV_CONNECT || dns ? FIELD_DIR_OUT
			    : net_type(ev) == VIGIL_EV_SOCKET	    ? 0
								    : FIELD_DIR_IN;
		return true;
	case FIELD_DNS_NAME:
		if (!dns)
			return false;
		out->len = dns_name(r, buf, FIELD_BUF_SIZE);
		out->str = buf;
		return true;
	default:
		return false;
	}
	if (!out->str)
		return false;
	out->len = strlen(out->str);
	return true;
}

const struct event_family family_net = {
	.name = "net",
	.first = VIGIL_EV_NET_FIRST,
	.last = VIGIL_EV_NET_LAST,
	.type_names = net_type_names,
	.decode = net_decode,
	.json = net_json,
	.text = net_text,
	.field = net_field,
};
