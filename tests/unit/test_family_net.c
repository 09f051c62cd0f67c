// SPDX-License-Identifier: GPL-2.0
/* The net family's decoder and formatters: exact output, and no trust in any record. */
#include "harness.h"
#include "events/event.h"
#include "events/family.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "vigil/ev_net.h"

struct rec {
	struct vigil_net_event ev;
	unsigned char name[VIGIL_DNS_NAME_MAX + 64];
};

static size_t build(struct rec *r, unsigned int type, int family, const char *saddr, int sport,
		    const char *daddr, int dport, long long result)
{
	memset(r, 0, sizeof(*r));
	r->ev.hdr.type = type;
	r->ev.hdr.size = sizeof(r->ev);
	r->ev.task.pid = 7;
	r->ev.family = family;
	r->ev.type = SOCK_STREAM;
	r->ev.protocol = IPPROTO_TCP;
	r->ev.sport = sport;
	r->ev.dport = dport;
	r->ev.result = result;
	inet_pton(family, saddr, r->ev.saddr);
	inet_pton(family, daddr, r->ev.daddr);
	return sizeof(r->ev);
}

static size_t build_dns(struct rec *r, const void *wire, size_t len, int qtype)
{
	build(r, VIGIL_EV_DNS, AF_INET, "127.0.0.1", 40000, "127.0.0.53", 53, 0);
	r->ev.type = SOCK_DGRAM;
	r->ev.protocol = IPPROTO_UDP;
	r->ev.dns_qtype = qtype;
	r->ev.name_len = len;
	memcpy(r->name, wire, len);
	r->ev.hdr.size = sizeof(r->ev) + len;
	return r->ev.hdr.size;
}

/* The family's JSON members wrapped into an object and parsed; NULL if not valid JSON. */
static struct json_object *to_json(const struct event *ev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_object *o;

	fputs("{\"x\":0", f);
	event_family_of(ev->type)->json(f, ev);
	fputs("}", f);
	fclose(f);
	o = json_tokener_parse(buf);
	free(buf);
	return o;
}

static void to_text(const struct event *ev, char *out, size_t size)
{
	FILE *f = fmemopen(out, size, "w");

	event_family_of(ev->type)->text(f, ev);
	fclose(f);
}

static const char *str(struct json_object *o, const char *obj, const char *key)
{
	struct json_object *a, *b;

	if (!json_object_object_get_ex(o, obj, &a) || !json_object_object_get_ex(a, key, &b))
		return NULL;
	return json_object_get_string(b);
}

static long long num(struct json_object *o, const char *obj, const char *key)
{
	struct json_object *a = o, *b;

	if (obj && !json_object_object_get_ex(o, obj, &a))
		return -9999;
	if (!json_object_object_get_ex(a, key, &b))
		return -9999;
	return json_object_get_int64(b);
}

TEST(type_names_and_lookup)
{
	ASSERT_STREQ(event_type_name(VIGIL_EV_CONNECT), "connect", "24");
	ASSERT_STREQ(event_type_name(VIGIL_EV_DNS), "dns", "29");
	ASSERT_EQ(event_type_from_name("accept"), VIGIL_EV_ACCEPT, "by name");
	ASSERT_EQ(event_type_from_name("socket"), VIGIL_EV_SOCKET, "by name");
	ASSERT_TRUE(event_type_name(30) == NULL, "30 is unused");
}

TEST(connect_refused_json_and_text)
{
	struct rec r;
	struct event ev;
	struct json_object *o;
	char text[256];
	size_t size = build(&r, VIGIL_EV_CONNECT, AF_INET, "10.0.0.1", 5432, "10.0.0.2", 80, -111);

	r.ev.hdr.flags = VIGIL_NET_DADDR_ASKED;
	if (!ASSERT_OK(event_decode(&r, size, &ev), "decode"))
		return;
	o = to_json(&ev);
	if (!ASSERT_NOT_NULL(o, "valid JSON"))
		return;
	ASSERT_EQ(num(o, NULL, "result"), -111, "result");
	ASSERT_STREQ(str(o, "net", "family"), "inet", "family");
	ASSERT_STREQ(str(o, "net", "proto"), "tcp", "proto");
	ASSERT_STREQ(str(o, "net", "saddr"), "10.0.0.1", "saddr");
	ASSERT_EQ(num(o, "net", "sport"), 5432, "sport");
	ASSERT_STREQ(str(o, "net", "daddr"), "10.0.0.2", "daddr");
	ASSERT_EQ(num(o, "net", "dport"), 80, "dport");
	ASSERT_STREQ(str(o, "net", "daddr_asked"), "true", "flag");
	json_object_put(o);
	to_text(&ev, text, sizeof(text));
	ASSERT_STREQ(text, "tcp 10.0.0.1:5432 -> 10.0.0.2:80 = -111 (ECONNREFUSED)", "text");
}

TEST(ipv6_and_mapped_addresses)
{
	struct rec r;
	struct event ev;
	struct json_object *o;
	char text[256];
	size_t size = build(&r, VIGIL_EV_ACCEPT, AF_INET6, "::1", 80, "::ffff:192.0.2.7", 5555, 4);

	if (!ASSERT_OK(event_decode(&r, size, &ev), "decode"))
		return;
	o = to_json(&ev);
	if (!ASSERT_NOT_NULL(o, "valid JSON"))
		return;
	ASSERT_STREQ(str(o, "net", "family"), "inet6", "family stays the socket's");
	ASSERT_STREQ(str(o, "net", "saddr"), "::1", "saddr");
	ASSERT_STREQ(str(o, "net", "daddr"), "192.0.2.7", "mapped printed as IPv4");
	json_object_put(o);
	to_text(&ev, text, sizeof(text));
	ASSERT_STREQ(text, "tcp [::1]:80 <- 192.0.2.7:5555 = 4", "text");
}

TEST(packet_socket_has_no_addresses)
{
	struct rec r;
	struct event ev;
	struct json_object *o, *saddr = (void *)1;
	char text[256];
	size_t size = build(&r, VIGIL_EV_SOCKET, AF_PACKET, "", 0, "", 0, 3);

	r.ev.type = SOCK_RAW;
	r.ev.protocol = 3;
	if (!ASSERT_OK(event_decode(&r, size, &ev), "decode"))
		return;
	o = to_json(&ev);
	if (!ASSERT_NOT_NULL(o, "valid JSON"))
		return;
	ASSERT_STREQ(str(o, "net", "family"), "packet", "family");
	ASSERT_STREQ(str(o, "net", "proto"), "raw", "proto");
	ASSERT_EQ(num(o, "net", "protocol"), 3, "ethertype");
	json_object_object_get_ex(json_object_object_get(o, "net"), "saddr", &saddr);
	ASSERT_TRUE(saddr == NULL, "saddr is null");
	json_object_put(o);
	to_text(&ev, text, sizeof(text));
	ASSERT_STREQ(text, "raw packet protocol 3 = 3", "text");
}

static const char *dns_name_of(const void *wire, size_t len, int qtype, __u16 flags, char *out,
			       size_t size, const char **type)
{
	static char typebuf[32];
	struct rec r;
	struct event ev;
	struct json_object *o;
	size_t n = build_dns(&r, wire, len, qtype);

	r.ev.hdr.flags = flags;
	*type = NULL;
	if (event_decode(&r, n, &ev))
		return NULL;
	o = to_json(&ev);
	if (!o)
		return NULL;
	snprintf(out, size, "%s", str(o, "dns", "name") ? str(o, "dns", "name") : "(none)");
	if (str(o, "dns", "type")) {
		snprintf(typebuf, sizeof(typebuf), "%s", str(o, "dns", "type"));
		*type = typebuf;
	}
	json_object_put(o);
	return out;
}

TEST(dns_names)
{
	char name[1100];
	const char *type;

	ASSERT_STREQ(dns_name_of("\3www\7example\3com", 17, 28, 0, name, sizeof(name), &type),
		     "www.example.com", "plain name");
	ASSERT_STREQ(type, "AAAA", "AAAA");
	ASSERT_STREQ(dns_name_of("", 1, 1, 0, name, sizeof(name), &type), ".", "the root");
	ASSERT_STREQ(type, "A", "A");
	ASSERT_STREQ(dns_name_of("\3a.b\1c", 7, 65, 0, name, sizeof(name), &type), "a\\.b.c",
		     "a dot inside a label is escaped");
	ASSERT_STREQ(type, "HTTPS", "HTTPS");
	ASSERT_STREQ(dns_name_of("\1x", 3, 4242, 0, name, sizeof(name), &type), "x", "x");
	ASSERT_STREQ(type, "TYPE4242", "unknown types as TYPEnnn");
	ASSERT_STREQ(dns_name_of("\3abc\xc0\x0c", 6, 0, VIGIL_NET_DNS_MALFORMED, name, sizeof(name),
				 &type),
		     "abc", "stops at a compression pointer");
	ASSERT_TRUE(type == NULL, "malformed: type null");
	ASSERT_STREQ(
		dns_name_of("\77short", 6, 0, VIGIL_NET_DNS_MALFORMED, name, sizeof(name), &type),
		"short", "a label longer than the record is cut");
}

TEST(dns_text_escapes_what_the_wire_carries)
{
	struct rec r;
	struct event ev;
	char text[256];
	size_t size = build_dns(&r, "\3a\0b\1c", 7, 1);

	if (!ASSERT_OK(event_decode(&r, size, &ev), "decode"))
		return;
	to_text(&ev, text, sizeof(text));
	ASSERT_STREQ(text, "A a\\x00b.c 127.0.0.1:40000 -> 127.0.0.53:53", "NUL shown as \\x00");
	r.ev.hdr.flags = VIGIL_NET_DNS_MALFORMED;
	if (!ASSERT_OK(event_decode(&r, size, &ev), "decode flagged"))
		return;
	to_text(&ev, text, sizeof(text));
	ASSERT_STREQ(text, "malformed a\\x00b.c 127.0.0.1:40000 -> 127.0.0.53:53", "flagged");
}

TEST(truncated_records_are_rejected)
{
	struct rec r;
	struct event ev;
	size_t size = build_dns(&r, "\3www\0", 5, 1);

	ASSERT_OK(event_decode(&r, size, &ev), "whole record");
	for (size_t cut = sizeof(struct vigil_event_hdr); cut < size; cut++) {
		r.ev.hdr.size = cut;
		if (!ASSERT_EQ(event_decode(&r, cut, &ev), -EINVAL, "cut record"))
			return;
	}
	r.ev.hdr.size = size;
	r.ev.name_len = 6;
	ASSERT_EQ(event_decode(&r, size, &ev), -EINVAL, "name past the end");
	r.ev.name_len = VIGIL_DNS_NAME_MAX + 1;
	r.ev.hdr.size = sizeof(r.ev) + r.ev.name_len;
	ASSERT_EQ(event_decode(&r, r.ev.hdr.size, &ev), -EINVAL, "name longer than DNS allows");
}

/* Random bytes in every field: decode either refuses, or the output is valid JSON. */
TEST(garbage_never_breaks_the_formatters)
{
	static const char *const types[] = {
		"connect", "accept", "listen", "bind", "socket", "dns"
	};
	unsigned int seed = 12345, accepted = 0;
	char text[4096];

	for (int i = 0; i < 20000; i++) {
		struct rec r;
		struct event ev;
		size_t size;

		for (size_t j = 0; j < sizeof(r); j++)
			((unsigned char *)&r)[j] = rand_r(&seed);
		r.ev.hdr.type = event_type_from_name(types[i % 6]);
		r.ev.name_len %= VIGIL_DNS_NAME_MAX + 40;
		size = sizeof(r.ev) + rand_r(&seed) % (VIGIL_DNS_NAME_MAX + 20);
		r.ev.hdr.size = i % 3 ? size : rand_r(&seed) % sizeof(r);
		if (event_decode(&r, size, &ev))
			continue;
		accepted++;
		struct json_object *o = to_json(&ev);

		if (!ASSERT_NOT_NULL(o, "garbage record gives valid JSON"))
			return;
		json_object_put(o);
		to_text(&ev, text, sizeof(text));
	}
	ASSERT_TRUE(accepted > 1000, "many garbage records were decodable and formatted");
}
