// SPDX-License-Identifier: GPL-2.0
/* Shield rule sets in memory: CIDR and port entries, limits, list files. */
#include "shield/shield.h"
#include "core/readfile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSEC_PER_SEC 1000000000ULL
#define PSEC_PER_SEC 1000000000000ULL

/* 1,000,000 prefixes with a comment each fit */
#define SHIELD_LIST_MAX (256 << 20)

int shield_rules_init(struct shield_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->ports = calloc(SHIELD_PT_SLOTS, sizeof(*rs->ports));
	if (!rs->ports)
		return -ENOMEM;
	rs->cfg.sample_mask = 1023; /* one record per 1024 drops per reason and CPU */
	shield_set_prefix_len(&rs->cfg, 4, 32);
	shield_set_prefix_len(&rs->cfg, 6, 64);
	rs->lb.cfg.ring_size = LB_RING_DEFAULT;
	return 0;
}

void shield_rules_free(struct shield_ruleset *rs)
{
	free(rs->prefixes);
	free(rs->ports);
	free(rs->lb.svc);
	memset(rs, 0, sizeof(*rs));
}

int shield_rules_add_rule(struct shield_ruleset *rs, const char *name, enum shield_action kind)
{
	struct shield_rule_info *ri;

	if (rs->n_rules >= SHIELD_MAX_RULES)
		return -ENOSPC;
	ri = &rs->rules[rs->n_rules];
	memset(ri, 0, sizeof(*ri));
	snprintf(ri->name, sizeof(ri->name), "%s", name);
	ri->kind = kind;
	return rs->n_rules++;
}

int shield_parse_cidr(const char *s, struct shield_prefix *p, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long len;
	int maxlen;

	memset(p, 0, sizeof(*p));
	if (!s || strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen,
			 "'%.64s' is not a CIDR (want e.g. 192.0.2.0/24 or 2001:db8::/32)",
			 s ? s : "");
		return -EINVAL;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = 4;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = 6;
		maxlen = 128;
	} else {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", buf);
		return -EINVAL;
	}
	len = maxlen;
	if (slash) {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len < 0 || len > maxlen) {
			snprintf(err, errlen, "'%s': prefix length must be 0..%d", s, maxlen);
			return -EINVAL;
		}
	}
	p->len = len;
	/* host bits set usually means a typo in the prefix length: refuse rather than guess */
	for (int bit = len; bit < maxlen; bit++) {
		if (p->addr[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(err, errlen,
				 "'%s' has host bits set (did you mean a /%d network?)", s, maxlen);
			return -EINVAL;
		}
	}
	return 0;
}

static int push_prefix(struct shield_ruleset *rs, const struct shield_prefix *p)
{
	if (rs->n_prefixes == rs->cap_prefixes) {
		size_t cap = rs->cap_prefixes ? rs->cap_prefixes * 2 : 64;
		struct shield_prefix *n;

		if (cap > 2 * SHIELD_MAX_PREFIXES + 2)
			cap = 2 * SHIELD_MAX_PREFIXES + 2;
		if (rs->n_prefixes >= cap)
			return -E2BIG;
		n = realloc(rs->prefixes, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		rs->prefixes = n;
		rs->cap_prefixes = cap;
	}
	rs->prefixes[rs->n_prefixes++] = *p;
	return 0;
}

int shield_rules_add_cidr(struct shield_ruleset *rs, const char *cidr, enum shield_action action,
			  int rule_id, char *err, size_t errlen)
{
	struct shield_prefix p;
	int ret;

	ret = shield_parse_cidr(cidr, &p, err, errlen);
	if (ret)
		return ret;
	p.action = action;
	p.rule_id = rule_id < 0 ? SHIELD_NO_RULE : rule_id;
	ret = push_prefix(rs, &p);
	if (ret == -E2BIG)
		snprintf(err, errlen, "more than %d prefixes per address family",
			 SHIELD_MAX_PREFIXES);
	else if (ret)
		snprintf(err, errlen, "out of memory");
	return ret;
}

/* A list file: one prefix per line, '#' comments, text only. */
int shield_rules_add_list_file(struct shield_ruleset *rs, const char *path,
			       enum shield_action action, int rule_id, char *err, size_t errlen)
{
	char line[256], msg[SHIELD_ERR_LEN], *buf = NULL, *s, *e;
	int lineno = 0, ret;
	size_t len;

	ret = read_regular_file(path, SHIELD_LIST_MAX, &buf, &len);
	if (ret) {
		snprintf(err, errlen, "cannot read list %s: %s", path,
			 ret == -EINVAL	 ? "not a regular file"
			 : ret == -EFBIG ? "larger than 256 MiB"
					 : strerror(-ret));
		return ret;
	}
	for (char *p = buf; !ret && p < buf + len; p = e + 1) {
		size_t n;

		lineno++;
		e = memchr(p, '\n', buf + len - p) ?: buf + len;
		n = e - p;
		if (n >= sizeof(line) || memchr(p, '\0', n)) {
			snprintf(err, errlen, "%s:%d: line too long, or not text", path, lineno);
			ret = -EINVAL;
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		s = strchr(line, '#');
		if (s)
			*s = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (n = strlen(s); n && isspace((unsigned char)s[n - 1]); n--)
			s[n - 1] = '\0';
		if (!*s)
			continue;
		ret = shield_rules_add_cidr(rs, s, action, rule_id, msg, sizeof(msg));
		if (ret)
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
	}
	free(buf);
	return ret;
}

int shield_rules_add_port(struct shield_ruleset *rs, int proto, bool whole_proto, int lo, int hi,
			  bool src, enum shield_action action, int rule_id, char *err,
			  size_t errlen)
{
	struct shield_rule_val v = { .action = action,
				     .rule_id = rule_id < 0 ? SHIELD_NO_RULE : rule_id };
	__u32 base;

	if (proto < 0 || proto > 255) {
		snprintf(err, errlen, "protocol %d out of range 0..255", proto);
		return -EINVAL;
	}
	if (whole_proto) {
		rs->ports[SHIELD_PT_PROTO + proto] = v;
		return 0;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		snprintf(err, errlen, "ports only apply to tcp and udp");
		return -EINVAL;
	}
	if (lo < 0 || hi > 65535 || lo > hi) {
		snprintf(err, errlen, "port range %d-%d is not within 0..65535", lo, hi);
		return -EINVAL;
	}
	if (proto == IPPROTO_TCP)
		base = src ? SHIELD_PT_TCP_SPORT : SHIELD_PT_TCP_DPORT;
	else
		base = src ? SHIELD_PT_UDP_SPORT : SHIELD_PT_UDP_DPORT;
	for (int port = lo; port <= hi; port++)
		rs->ports[base + port] = v;
	return 0;
}

int shield_parse_rate(const char *s, __u64 *out)
{
	double mult = 1, v;
	char *end;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1e3;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1e6;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1e9;
		end++;
		break;
	}
	if (*end || !isfinite(v) || v * mult < 1 || v * mult > 1e12)
		return -EINVAL;
	*out = (__u64)(v * mult + 0.5);
	return 0;
}

int shield_set_limit(struct shield_limit *l, __u64 rate, __u64 burst, bool per_byte)
{
	__u64 unit = per_byte ? NSEC_PER_SEC << SHIELD_BPS_SHIFT : NSEC_PER_SEC;

	if (!rate) {
		memset(l, 0, sizeof(*l));
		return 0;
	}
	if (rate > (per_byte ? PSEC_PER_SEC : NSEC_PER_SEC))
		return -ERANGE;
	if (!burst)
		burst = rate; /* one second's worth */
	l->cost_ns = (unit + rate / 2) / rate;
	/* the program multiplies it by a packet's length (at most 512 KiB, 2^19) */
	if (per_byte && l->cost_ns >= 1ULL << (64 - 19))
		return -ERANGE;
	if (burst > ULLONG_MAX / l->cost_ns)
		return -ERANGE;
	/* bytes: the cost is in 2^-16 ns per byte, the bucket depth in nanoseconds */
	l->burst_ns = per_byte ? burst * l->cost_ns >> SHIELD_BPS_SHIFT : burst * l->cost_ns;
	return 0;
}

int shield_set_prefix_len(struct shield_config *cfg, int family, int len)
{
	if (family == 4) {
		if (len < 1 || len > 32)
			return -EINVAL;
		cfg->mask_v4 = htonl(len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
		return 0;
	}
	if (len < 1 || len > 128)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		int bits = len - 32 * i;

		if (bits >= 32)
			cfg->mask_v6[i] = 0xffffffffu;
		else if (bits <= 0)
			cfg->mask_v6[i] = 0;
		else
			cfg->mask_v6[i] = htonl(~(0xffffffffu >> bits));
	}
	return 0;
}

/* By family, length, then address: management prefixes, found by bsearch. */
static int prefix_order(const void *a, const void *b)
{
	const struct shield_prefix *x = a, *y = b;

	if (x->family != y->family)
		return (int)x->family - (int)y->family;
	if (x->len != y->len)
		return (int)x->len - (int)y->len;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* @p cut to its first @len bits (addresses are stored with their host bits zero). */
static struct shield_prefix prefix_cut(const struct shield_prefix *p, int len)
{
	struct shield_prefix c = { .family = p->family, .len = len };

	memcpy(c.addr, p->addr, len / 8);
	if (len % 8)
		c.addr[len / 8] = p->addr[len / 8] & (0xff << (8 - len % 8));
	return c;
}

static int action_order(const void *a, const void *b)
{
	const struct shield_prefix *x = a, *y = b;

	return (int)x->action - (int)y->action;
}

/*
 * One trie per family: the longest prefix wins, so a block entry nested in a management
 * prefix would beat it. Drop such entries, then order the inserts allow < block < mgmt so
 * that on an identical prefix the later (stronger) one overwrites. Returns entries dropped.
 * An entry is looked up once per length the management prefixes of its family have: a million
 * entries against 10,000 management prefixes took 1 s here, against 90 s comparing each pair.
 */
size_t shield_rules_finalize(struct shield_ruleset *rs)
{
	size_t n_mgmt = 0, kept = 0, dropped = 0;
	bool has_len[2][129] = { 0 };
	struct shield_prefix *mgmt;

	if (!rs->n_prefixes)
		return 0;
	qsort(rs->prefixes, rs->n_prefixes, sizeof(*rs->prefixes), action_order);
	for (size_t i = 0; i < rs->n_prefixes; i++)
		if (rs->prefixes[i].action == SHIELD_ACT_MGMT)
			n_mgmt++;
	if (!n_mgmt)
		return 0;
	mgmt = rs->prefixes + rs->n_prefixes - n_mgmt;
	qsort(mgmt, n_mgmt, sizeof(*mgmt), prefix_order);
	for (size_t j = 0; j < n_mgmt; j++)
		has_len[mgmt[j].family == 6][mgmt[j].len] = true;
	for (size_t i = 0; i < rs->n_prefixes - n_mgmt; i++) {
		const struct shield_prefix *p = &rs->prefixes[i];
		bool covered = false;

		for (int len = 0; len <= p->len && !covered; len++) {
			struct shield_prefix cut;

			if (!has_len[p->family == 6][len])
				continue;
			cut = prefix_cut(p, len);
			covered = bsearch(&cut, mgmt, n_mgmt, sizeof(*mgmt), prefix_order) != NULL;
		}
		if (covered)
			dropped++;
		else
			rs->prefixes[kept++] = *p;
	}
	memmove(rs->prefixes + kept, mgmt, n_mgmt * sizeof(*mgmt));
	rs->n_prefixes = kept + n_mgmt;
	return dropped;
}
