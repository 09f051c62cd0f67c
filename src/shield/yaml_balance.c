// SPDX-License-Identifier: GPL-2.0
/*
 * The `balance:` key of a shield section -> the rule set's balancer part. Untrusted input, as
 * the rest of the section: every node checked, errors at file:line:col.
 *
 * balance:
 *   tunnel_source: 10.0.0.2          # outer source of the IP-in-IP packets (with services);
 *                                    # [10.0.0.2, 2001:db8::2]: one of each family
 *                                    # for IPv4 and IPv6 services
 *   table_size: 65537                # Maglev entries per service, a prime (default 65537)
 *   decapsulate: [10.0.0.2]          # on a backend: strip IP-in-IP (IPv6-in-IPv6 for IPv6
 *                                    # addresses) from these balancers
 *   services:
 *     - name: web
 *       address: 192.0.2.10          # or IPv6, with IPv6 backends (IPv6-in-IPv6)
 *       port: 80
 *       proto: tcp                   # or udp
 *       check: { type: http, path: /healthz, expect: 200, port: 8080,
 *                interval: 2s, timeout: 1s, fall: 3, rise: 2 }   # or tcp, or none
 *       backends:
 *         - { address: 10.0.1.1, weight: 2 }
 *         - 10.0.1.2                 # weight 1
 */
#include "shield/shield.h"
#include "shield/yaml_ctx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LB_MAX_WEIGHT 1000

/* An IPv4 or IPv6 unicast address, IPv4 mapped (lb_addr_is_v4) into out[4]. */
static int get_addr(struct yctx *c, const yaml_node_t *n, const char *what, __u32 *out)
{
	struct in6_addr a6;
	const char *s;

	if (yctx_want_scalar(c, n, what, &s))
		return -EINVAL;
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &out[3]) == 1) {
		out[2] = htonl(0xffff);
	} else if (inet_pton(AF_INET6, s, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6) || IN6_IS_ADDR_V4COMPAT(&a6) ||
		    IN6_IS_ADDR_MULTICAST(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6))
			return yctx_fail(c, n,
					 "%s must be a unicast IPv6 address (write IPv4 as "
					 "a.b.c.d), got '%.48s'",
					 what, s);
		memcpy(out, &a6, 16);
	} else {
		return yctx_fail(c, n,
				 "%s must be an address like 192.0.2.10 or 2001:db8::10, got "
				 "'%.48s'",
				 what, s);
	}
	if (lb_addr_is_v4(out) && (!out[3] || (ntohl(out[3]) >> 28) >= 14))
		return yctx_fail(c, n, "%s must be a unicast IPv4 address, got '%.48s'", what, s);
	return 0;
}

static const char *family_name(const __u32 *a)
{
	return lb_addr_is_v4(a) ? "IPv4" : "IPv6";
}

/* tunnel_source: one address, or a list of at most one per family. */
static int parse_tunnel(struct yctx *c, yaml_node_t *n, struct lb_config *cfg, bool *v4, bool *v6)
{
	yaml_node_t *one[2] = { n, NULL };
	unsigned int count = 1;

	if (n && n->type == YAML_SEQUENCE_NODE) {
		count = 0;
		for_each_item(n, it)
		{
			if (count == 2)
				return yctx_fail(c, yctx_node(c, *it),
						 "tunnel_source takes at most two addresses, an "
						 "IPv4 and an IPv6 one");
			one[count++] = yctx_node(c, *it);
		}
	}
	for (unsigned int i = 0; i < count; i++) {
		__u32 a[4];

		if (get_addr(c, one[i], "tunnel_source", a))
			return -EINVAL;
		if (lb_addr_is_v4(a) ? *v4 : *v6)
			return yctx_fail(c, one[i], "tunnel_source has two %s addresses",
					 family_name(a));
		if (lb_addr_is_v4(a)) {
			cfg->tunnel_src = a[3];
			*v4 = true;
		} else {
			memcpy(cfg->tunnel_src6, a, sizeof(cfg->tunnel_src6));
			*v6 = true;
		}
	}
	return 0;
}

/* "2s", "500ms", "1.5s" or a bare number of seconds -> milliseconds in lo..hi. */
static int get_duration(struct yctx *c, const yaml_node_t *n, const char *what, __u32 lo, __u32 hi,
			__u32 *ms)
{
	const char *s;
	double v;
	char *end;

	if (yctx_want_scalar(c, n, what, &s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (!errno && end != s && !strcmp(end, "ms"))
		v /= 1000;
	else if (!errno && end != s && (!*end || !strcmp(end, "s")))
		;
	else
		errno = EINVAL;
	if (errno || v * 1000 < lo || v * 1000 > hi)
		return yctx_fail(c, n,
				 "%s must be a duration like 2s or 500ms in %ums..%us, got "
				 "'%.32s'",
				 what, lo, hi / 1000, s);
	*ms = (__u32)(v * 1000 + 0.5);
	return 0;
}

static bool is_prime(long n)
{
	if (n < 2)
		return false;
	for (long d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

/* One decapsulate source, of either family, at most LB_MAX_DECAP of each. */
static int add_decap(struct yctx *c, yaml_node_t *n, struct lb_config *cfg)
{
	__u32 a[4];

	if (get_addr(c, n, "a decapsulate source", a))
		return -EINVAL;
	if ((lb_addr_is_v4(a) ? cfg->n_decap : cfg->n_decap6) == LB_MAX_DECAP)
		return yctx_fail(c, n, "more than %d %s decapsulate sources", LB_MAX_DECAP,
				 family_name(a));
	if (lb_addr_is_v4(a))
		cfg->decap_src[cfg->n_decap++] = a[3];
	else
		memcpy(cfg->decap_src6[cfg->n_decap6++], a, 16);
	return 0;
}

static int parse_check(struct yctx *c, yaml_node_t *n, struct lb_svc_info *si)
{
	const char *k, *s;
	long v;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yctx_fail(c, n, "check must be a mapping like { type: tcp, interval: 2s }");
	for_each_pair(c, n, p)
	{
		yaml_node_t *val = yctx_node(c, p->value);

		k = yctx_scalar(yctx_node(c, p->key));
		if (!k)
			return yctx_fail(c, yctx_node(c, p->key), "keys must be plain words");
		if (!strcmp(k, "type")) {
			if (yctx_want_scalar(c, val, k, &s))
				return -EINVAL;
			if (!strcmp(s, "tcp"))
				si->check = LB_CHECK_TCP;
			else if (!strcmp(s, "http"))
				si->check = LB_CHECK_HTTP;
			else if (!strcmp(s, "none"))
				si->check = LB_CHECK_NONE;
			else
				return yctx_fail(
					c, val, "check type must be tcp, http or none, got '%.32s'",
					s);
		} else if (!strcmp(k, "port")) {
			if (yctx_get_int(c, val, k, 1, 65535, &v))
				return -EINVAL;
			si->check_port = v;
		} else if (!strcmp(k, "path")) {
			if (yctx_want_scalar(c, val, k, &s))
				return -EINVAL;
			if (s[0] != '/' || strlen(s) >= LB_HTTP_PATH || strpbrk(s, " \r\n\t"))
				return yctx_fail(c, val,
						 "path must start with '/', hold no spaces and be "
						 "shorter than %d characters",
						 LB_HTTP_PATH);
			snprintf(si->path, sizeof(si->path), "%s", s);
		} else if (!strcmp(k, "expect")) {
			if (yctx_get_int(c, val, k, 100, 599, &v))
				return -EINVAL;
			si->expect = v;
		} else if (!strcmp(k, "interval")) {
			if (get_duration(c, val, k, 100, 3600000, &si->interval_ms))
				return -EINVAL;
		} else if (!strcmp(k, "timeout")) {
			if (get_duration(c, val, k, 10, 60000, &si->timeout_ms))
				return -EINVAL;
		} else if (!strcmp(k, "fall") || !strcmp(k, "rise")) {
			if (yctx_get_int(c, val, k, 1, 100, &v))
				return -EINVAL;
			*(k[0] == 'f' ? &si->fall : &si->rise) = v;
		} else {
			return yctx_fail(c, yctx_node(c, p->key),
					 "unknown key '%.32s' in check (want type, port, path, "
					 "expect, interval, timeout, fall, rise)",
					 k);
		}
	}
	if (si->check != LB_CHECK_HTTP && (si->path[0] || si->expect))
		return yctx_fail(c, n, "path and expect belong to an http check");
	if (si->timeout_ms > si->interval_ms)
		return yctx_fail(c, n,
				 "the check's timeout (%ums) is longer than its interval "
				 "(%ums)",
				 si->timeout_ms, si->interval_ms);
	return 0;
}

static int parse_backend(struct yctx *c, yaml_node_t *n, struct lb_service_spec *svc)
{
	struct lb_backend_spec *b = &svc->be[svc->n_be];
	yaml_node_t *addr = n;
	long v;

	if (svc->n_be == LB_MAX_SVC_BACKENDS)
		return yctx_fail(c, n, "more than %d backends in one service", LB_MAX_SVC_BACKENDS);
	b->weight = 1;
	if (n && n->type == YAML_MAPPING_NODE) {
		addr = NULL;
		for_each_pair(c, n, p)
		{
			yaml_node_t *val = yctx_node(c, p->value);
			const char *k = yctx_scalar(yctx_node(c, p->key));

			if (k && !strcmp(k, "address")) {
				addr = val;
			} else if (k && !strcmp(k, "weight")) {
				if (yctx_get_int(c, val, k, 0, LB_MAX_WEIGHT, &v))
					return -EINVAL;
				b->weight = v;
			} else {
				return yctx_fail(c, yctx_node(c, p->key),
						 "unknown key '%.32s' in a backend (want address, "
						 "weight)",
						 k ? k : "");
			}
		}
		if (!addr)
			return yctx_fail(c, n, "a backend needs an address");
	}
	if (get_addr(c, addr, "a backend's address", b->addr))
		return -EINVAL;
	/* 4in6 or 6in4 would need the other family's tunnel on the backends: not done */
	if (lb_addr_is_v4(b->addr) != lb_addr_is_v4(svc->info.addr))
		return yctx_fail(c, addr,
				 "backend %s is %s but the service's address is %s: an IPv4 "
				 "service needs IPv4 backends, an IPv6 one IPv6 backends",
				 yctx_scalar(addr), family_name(b->addr),
				 family_name(svc->info.addr));
	for (unsigned int i = 0; i < svc->n_be; i++)
		if (!memcmp(svc->be[i].addr, b->addr, sizeof(b->addr)))
			return yctx_fail(c, addr, "backend %s is listed twice in this service",
					 yctx_scalar(addr));
	svc->n_be++;
	return 0;
}

static int parse_service(struct yctx *c, yaml_node_t *n)
{
	struct shield_balance *lb = &c->rs->lb;
	yaml_node_t *backends = NULL;
	struct lb_service_spec *svc;
	struct lb_svc_info *si;
	const char *s;
	long v;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yctx_fail(c, n,
				 "each service is a mapping with address, port, proto and "
				 "backends");
	if (lb->n_svc == LB_MAX_SERVICES)
		return yctx_fail(c, n, "more than %d services", LB_MAX_SERVICES);
	svc = &lb->svc[lb->n_svc];
	memset(svc, 0, sizeof(*svc));
	si = &svc->info;
	si->flags = LB_SVC_USED;
	si->interval_ms = 2000;
	si->timeout_ms = 1000;
	si->fall = 3;
	si->rise = 2;
	for_each_pair(c, n, p)
	{
		yaml_node_t *val = yctx_node(c, p->value);
		const char *k = yctx_scalar(yctx_node(c, p->key));

		if (!k)
			return yctx_fail(c, yctx_node(c, p->key), "keys must be plain words");
		if (!strcmp(k, "name")) {
			if (yctx_want_scalar(c, val, k, &s))
				return -EINVAL;
			if (!*s || strlen(s) >= LB_NAME)
				return yctx_fail(c, val, "name must be 1-%d characters",
						 LB_NAME - 1);
			snprintf(si->name, sizeof(si->name), "%s", s);
		} else if (!strcmp(k, "address")) {
			if (get_addr(c, val, "address", si->addr))
				return -EINVAL;
		} else if (!strcmp(k, "port")) {
			if (yctx_get_int(c, val, k, 1, 65535, &v))
				return -EINVAL;
			si->port = v;
		} else if (!strcmp(k, "proto")) {
			if (yctx_want_scalar(c, val, k, &s))
				return -EINVAL;
			if (!strcmp(s, "tcp"))
				si->proto = IPPROTO_TCP;
			else if (!strcmp(s, "udp"))
				si->proto = IPPROTO_UDP;
			else
				return yctx_fail(c, val, "proto must be tcp or udp, got '%.32s'",
						 s);
		} else if (!strcmp(k, "check")) {
			if (parse_check(c, val, si))
				return -EINVAL;
		} else if (!strcmp(k, "backends")) {
			backends = val;
		} else {
			return yctx_fail(c, yctx_node(c, p->key),
					 "unknown key '%.32s' in a service (want name, address, "
					 "port, proto, check, backends)",
					 k);
		}
	}
	if (!lb_addr_set(si->addr) || !si->port || !si->proto)
		return yctx_fail(c, n, "a service needs address, port and proto");
	if (!backends || backends->type != YAML_SEQUENCE_NODE ||
	    backends->data.sequence.items.top == backends->data.sequence.items.start)
		return yctx_fail(c, backends ? backends : n,
				 "a service needs backends: a non-empty list");
	for_each_item(backends, it) if (parse_backend(c, yctx_node(c, *it), svc)) return -EINVAL;
	if (si->check == LB_CHECK_HTTP && !si->path[0])
		snprintf(si->path, sizeof(si->path), "/");
	if (si->check == LB_CHECK_HTTP && !si->expect)
		si->expect = 200;
	if (!si->name[0])
		snprintf(si->name, sizeof(si->name), "%s%s-%u",
			 si->proto == IPPROTO_TCP ? "tcp" : "udp",
			 lb_addr_is_v4(si->addr) ? "" : "6", si->port);
	for (unsigned int i = 0; i < lb->n_svc; i++) {
		const struct lb_svc_info *o = &lb->svc[i].info;

		if (!memcmp(o->addr, si->addr, sizeof(o->addr)) && o->port == si->port &&
		    o->proto == si->proto)
			return yctx_fail(c, n,
					 "services '%s' and '%s' have the same address, port "
					 "and proto",
					 o->name, si->name);
		if (!strcmp(o->name, si->name))
			return yctx_fail(c, n, "two services are named '%s'", si->name);
	}
	lb->n_svc++;
	return 0;
}

int shield_parse_balance(struct yctx *c, yaml_node_t *n)
{
	struct shield_balance *lb = &c->rs->lb;
	bool tunnel_v4 = false, tunnel_v6 = false;
	long v;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yctx_fail(c, n,
				 "balance must be a mapping with services (see 'vigil shield "
				 "--help')");
	for_each_pair(c, n, p)
	{
		yaml_node_t *val = yctx_node(c, p->value);
		const char *k = yctx_scalar(yctx_node(c, p->key));

		if (!k)
			return yctx_fail(c, yctx_node(c, p->key), "keys must be plain words");
		if (!strcmp(k, "tunnel_source")) {
			if (parse_tunnel(c, val, &lb->cfg, &tunnel_v4, &tunnel_v6))
				return -EINVAL;
		} else if (!strcmp(k, "table_size")) {
			if (yctx_get_int(c, val, k, LB_RING_MIN, LB_RING_MAX, &v))
				return -EINVAL;
			if (!is_prime(v))
				return yctx_fail(
					c, val,
					"table_size must be a prime (like 65537 or 131071), "
					"got %ld",
					v);
			lb->cfg.ring_size = v;
		} else if (!strcmp(k, "decapsulate")) {
			if (!val || val->type != YAML_SEQUENCE_NODE)
				return yctx_fail(c, val,
						 "decapsulate must be a list of balancer "
						 "addresses");
			for_each_item(val, it)
			{
				if (add_decap(c, yctx_node(c, *it), &lb->cfg))
					return -EINVAL;
			}
		} else if (!strcmp(k, "services")) {
			if (!val || val->type != YAML_SEQUENCE_NODE)
				return yctx_fail(c, val, "services must be a list");
			if (!lb->svc) {
				lb->svc = calloc(LB_MAX_SERVICES, sizeof(*lb->svc));
				if (!lb->svc)
					return yctx_fail(c, val, "out of memory");
			}
			for_each_item(val,
				      it) if (parse_service(c, yctx_node(c, *it))) return -EINVAL;
		} else {
			return yctx_fail(c, yctx_node(c, p->key),
					 "unknown key '%.32s' in balance (want tunnel_source, "
					 "table_size, decapsulate, services)",
					 k);
		}
	}
	for (unsigned int i = 0; i < lb->n_svc; i++) {
		const struct lb_svc_info *si = &lb->svc[i].info;
		bool v4 = lb_addr_is_v4(si->addr);

		if (v4 ? tunnel_v4 : tunnel_v6)
			continue;
		return yctx_fail(c, n,
				 "balance with %s services (like '%s') needs an %s tunnel_source: "
				 "the balancer's own address, the outer source of its %s packets",
				 family_name(si->addr), si->name, family_name(si->addr),
				 v4 ? "IP-in-IP" : "IPv6-in-IPv6");
	}
	return 0;
}
