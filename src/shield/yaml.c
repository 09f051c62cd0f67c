// SPDX-License-Identifier: GPL-2.0
/*
 * The `shield:` section of a YAML file -> rule set. Untrusted input: every node's type is
 * checked, every number range-checked, and every error names file:line:col.
 *
 * shield:
 *   interfaces: [eth0]                # where: a policy must say; a rules file may
 *   attach: auto                      # or native, generic, tc
 *   shadow: false                     # true: count what would be dropped, drop nothing
 *   management: [10.0.0.0/8]          # never blocked, never limited
 *   allow: [192.0.2.0/24]             # exempt from the block list (longest prefix wins)
 *   block:
 *     - 198.51.100.0/24               # a plain entry belongs to the rule "block"
 *     - { name: bogons, cidrs: [...], file: /etc/vigil/bogons.txt }
 *   ports:
 *     - { proto: tcp, port: 23, action: block }
 *     - { proto: udp, src_port: 19, action: block, name: chargen-reflection }
 *     - { proto: tcp, port: "8000-8100", action: allow }
 *     - { proto: gre, action: block }
 *   rate_limit: { packets_per_sec: 10k, bytes_per_sec: 50M, prefix_v4: 24, prefix_v6: 64 }
 *   syn_limit: { per_sec: 100, burst: 200 }
 *   icmp_limit: { per_sec: 20 }
 *   fragments: inspect                # or drop
 *   drop_sample: 64                   # one net_drop record per 64 drops (power of two)
 *   track_sources: true               # per-source stats for `top` even without limits
 *   balance: {...}                    # the load balancer: yaml_balance.c
 */
#include "shield/shield.h"
#include "shield/yaml_ctx.h"
#include "core/readfile.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SHIELD_YAML_MAX (64 << 20)

int yctx_fail(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->e->msg, sizeof(c->e->msg), fmt, ap);
	va_end(ap);
	c->e->line = n ? n->start_mark.line + 1 : 0;
	c->e->col = n ? n->start_mark.column + 1 : 0;
	return -EINVAL;
}

yaml_node_t *yctx_node(struct yctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

const char *yctx_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yctx_want_scalar(struct yctx *c, const yaml_node_t *n, const char *what, const char **out)
{
	*out = yctx_scalar(n);
	if (!*out)
		return yctx_fail(c, n, "%s must be a single value", what);
	return 0;
}

static int get_bool(struct yctx *c, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s;
	int ret = yctx_want_scalar(c, n, what, &s);

	if (ret)
		return ret;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else
		return yctx_fail(c, n, "%s must be true or false, got '%.32s'", what, s);
	return 0;
}

int yctx_get_int(struct yctx *c, const yaml_node_t *n, const char *what, long lo, long hi,
		 long *out)
{
	const char *s;
	char *end;
	int ret = yctx_want_scalar(c, n, what, &s);

	if (ret)
		return ret;
	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < lo || *out > hi)
		return yctx_fail(c, n, "%s must be a whole number in %ld..%ld, got '%.32s'", what,
				 lo, hi, s);
	return 0;
}

static int get_rate(struct yctx *c, const yaml_node_t *n, const char *what, __u64 *out)
{
	const char *s;
	int ret = yctx_want_scalar(c, n, what, &s);

	if (ret)
		return ret;
	if (shield_parse_rate(s, out))
		return yctx_fail(c, n,
				 "%s must be a positive rate like 5000, 10k or 1.5M, got '%.32s'",
				 what, s);
	return 0;
}

static int add_cidr_node(struct yctx *c, const yaml_node_t *n, enum shield_action act, int rule)
{
	char msg[SHIELD_ERR_LEN];
	const char *s = yctx_scalar(n);

	if (!s)
		return yctx_fail(c, n, "expected a CIDR like 192.0.2.0/24");
	if (shield_rules_add_cidr(c->rs, s, act, rule, msg, sizeof(msg)))
		return yctx_fail(c, n, "%s", msg);
	return 0;
}

static int new_rule(struct yctx *c, const yaml_node_t *n, const char *name, enum shield_action act)
{
	int id = shield_rules_add_rule(c->rs, name, act);

	if (id < 0)
		return yctx_fail(c, n, "more than %d named rules", SHIELD_MAX_RULES);
	return id;
}

/* A named group: { name: x, cidrs: [...], file: path } */
static int parse_group(struct yctx *c, yaml_node_t *n, enum shield_action act, const char *section)
{
	const char *name = section;
	char msg[SHIELD_ERR_LEN];
	int rule;

	for_each_pair(c, n, p)
	{
		const char *k = yctx_scalar(yctx_node(c, p->key));

		if (k && !strcmp(k, "name") &&
		    yctx_want_scalar(c, yctx_node(c, p->value), "name", &name))
			return -EINVAL;
	}
	rule = new_rule(c, n, name, act);
	if (rule < 0)
		return rule;
	for_each_pair(c, n, p)
	{
		yaml_node_t *v = yctx_node(c, p->value);
		const char *k = yctx_scalar(yctx_node(c, p->key)), *path;

		if (!k)
			return yctx_fail(c, yctx_node(c, p->key), "keys must be plain words");
		if (!strcmp(k, "name"))
			continue;
		if (!strcmp(k, "cidrs")) {
			if (!v || v->type != YAML_SEQUENCE_NODE)
				return yctx_fail(c, v, "cidrs must be a list");
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++)
				if (add_cidr_node(c, yctx_node(c, *it), act, rule))
					return -EINVAL;
		} else if (!strcmp(k, "file")) {
			if (yctx_want_scalar(c, v, "file", &path))
				return -EINVAL;
			if (shield_rules_add_list_file(c->rs, path, act, rule, msg, sizeof(msg)))
				return yctx_fail(c, v, "%s", msg);
		} else {
			return yctx_fail(c, yctx_node(c, p->key),
					 "unknown key '%.32s' in %s (want name, cidrs, file)", k,
					 section);
		}
	}
	return 0;
}

static int parse_cidr_section(struct yctx *c, yaml_node_t *n, enum shield_action act,
			      const char *section)
{
	int rule = -1;

	if (!n || n->type != YAML_SEQUENCE_NODE)
		return yctx_fail(c, n, "%s must be a list of CIDRs or {name, cidrs, file} groups",
				 section);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yctx_node(c, *it);

		if (item && item->type == YAML_MAPPING_NODE) {
			if (parse_group(c, item, act, section))
				return -EINVAL;
			continue;
		}
		if (rule < 0) {
			rule = new_rule(c, n, section, act);
			if (rule < 0)
				return rule;
		}
		if (add_cidr_node(c, item, act, rule))
			return -EINVAL;
	}
	return 0;
}

static int parse_proto(struct yctx *c, const yaml_node_t *n, int *proto)
{
	static const struct {
		const char *name;
		int num;
	} names[] = { { "tcp", IPPROTO_TCP },	{ "udp", IPPROTO_UDP },
		      { "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
		      { "gre", IPPROTO_GRE },	{ "esp", IPPROTO_ESP },
		      { "sctp", IPPROTO_SCTP }, { "ipip", IPPROTO_IPIP } };
	const char *s;
	long v;

	if (yctx_want_scalar(c, n, "proto", &s))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*proto = names[i].num;
			return 0;
		}
	}
	if (yctx_get_int(c, n, "proto (a name like tcp, udp, icmp, gre or a number)", 0, 255, &v))
		return -EINVAL;
	*proto = v;
	return 0;
}

static int parse_port_range(struct yctx *c, const yaml_node_t *n, int *lo, int *hi)
{
	const char *s;
	char *end;
	long a, b;

	if (yctx_want_scalar(c, n, "port", &s))
		return -EINVAL;
	errno = 0;
	a = strtol(s, &end, 10);
	b = a;
	if (!errno && end != s && *end == '-') {
		const char *s2 = end + 1;

		b = strtol(s2, &end, 10);
		if (end == s2)
			errno = EINVAL;
	}
	if (errno || end == s || *end || a < 0 || b > 65535 || a > b)
		return yctx_fail(c, n, "port must be N or N-M within 0..65535, got '%.32s'", s);
	*lo = a;
	*hi = b;
	return 0;
}

static int parse_port_rule(struct yctx *c, yaml_node_t *n)
{
	yaml_node_t *port_node = NULL, *action_node = NULL;
	int proto = -1, lo = 0, hi = 65535, rule, act;
	char name[SHIELD_RULE_NAME] = "", msg[SHIELD_ERR_LEN];
	bool src = false, have_port = false;
	const char *s;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yctx_fail(c, n,
				 "each port rule is a mapping like { proto: tcp, port: 23, "
				 "action: block }");
	for_each_pair(c, n, p)
	{
		yaml_node_t *v = yctx_node(c, p->value);
		const char *k = yctx_scalar(yctx_node(c, p->key));

		if (!k)
			return yctx_fail(c, yctx_node(c, p->key), "keys must be plain words");
		if (!strcmp(k, "proto")) {
			if (parse_proto(c, v, &proto))
				return -EINVAL;
		} else if (!strcmp(k, "port") || !strcmp(k, "src_port")) {
			if (have_port)
				return yctx_fail(c, v, "give either port or src_port, not both");
			if (parse_port_range(c, v, &lo, &hi))
				return -EINVAL;
			src = !strcmp(k, "src_port");
			have_port = true;
			port_node = v;
		} else if (!strcmp(k, "action")) {
			action_node = v;
		} else if (!strcmp(k, "name")) {
			if (yctx_want_scalar(c, v, "name", &s))
				return -EINVAL;
			snprintf(name, sizeof(name), "%s", s);
		} else {
			return yctx_fail(
				c, yctx_node(c, p->key),
				"unknown key '%.32s' in a port rule (want proto, port, src_port, "
				"action, name)",
				k);
		}
	}
	if (proto < 0)
		return yctx_fail(c, n, "port rule needs a proto");
	if (yctx_want_scalar(c, action_node ? action_node : n, "action (block or allow)", &s))
		return -EINVAL;
	if (!strcmp(s, "block") || !strcmp(s, "drop"))
		act = SHIELD_ACT_BLOCK;
	else if (!strcmp(s, "allow") || !strcmp(s, "pass"))
		act = SHIELD_ACT_ALLOW;
	else
		return yctx_fail(c, action_node, "action must be block or allow, got '%.32s'", s);
	if (!name[0]) {
		if (!have_port)
			snprintf(name, sizeof(name), "proto-%d", proto);
		else if (lo == hi)
			snprintf(name, sizeof(name), "%s/%s%d",
				 proto == IPPROTO_TCP ? "tcp" : "udp", src ? "src-" : "", lo);
		else
			snprintf(name, sizeof(name), "%s/%s%d-%d",
				 proto == IPPROTO_TCP ? "tcp" : "udp", src ? "src-" : "", lo, hi);
	}
	rule = new_rule(c, n, name, act);
	if (rule < 0)
		return rule;
	if (shield_rules_add_port(c->rs, proto, !have_port, lo, hi, src, act, rule, msg,
				  sizeof(msg)))
		return yctx_fail(c, port_node ? port_node : n, "%s", msg);
	return 0;
}

/* { per_sec: N, burst: N } or, for rate_limit, the packets/bytes pair plus prefixes. */
static int parse_limit(struct yctx *c, yaml_node_t *n, const char *section, bool full)
{
	__u64 pps = 0, pburst = 0, bps = 0, bburst = 0;
	struct shield_config *cfg = &c->rs->cfg;
	long len;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yctx_fail(c, n, "%s must be a mapping", section);
	for_each_pair(c, n, p)
	{
		yaml_node_t *v = yctx_node(c, p->value);
		const char *k = yctx_scalar(yctx_node(c, p->key));

		if (!k)
			return yctx_fail(c, yctx_node(c, p->key), "keys must be plain words");
		if (!strcmp(k, full ? "packets_per_sec" : "per_sec")) {
			if (get_rate(c, v, k, &pps))
				return -EINVAL;
		} else if (!strcmp(k, full ? "packets_burst" : "burst")) {
			if (get_rate(c, v, k, &pburst))
				return -EINVAL;
		} else if (full && !strcmp(k, "bytes_per_sec")) {
			if (get_rate(c, v, k, &bps))
				return -EINVAL;
		} else if (full && !strcmp(k, "bytes_burst")) {
			if (get_rate(c, v, k, &bburst))
				return -EINVAL;
		} else if (full && !strcmp(k, "prefix_v4")) {
			if (yctx_get_int(c, v, k, 1, 32, &len))
				return -EINVAL;
			shield_set_prefix_len(cfg, 4, len);
		} else if (full && !strcmp(k, "prefix_v6")) {
			if (yctx_get_int(c, v, k, 1, 128, &len))
				return -EINVAL;
			shield_set_prefix_len(cfg, 6, len);
		} else {
			return yctx_fail(c, yctx_node(c, p->key), "unknown key '%.32s' in %s", k,
					 section);
		}
	}
	if (!full) {
		struct shield_limit *l = !strcmp(section, "syn_limit") ? &cfg->syn : &cfg->icmp;

		if (shield_set_limit(l, pps, pburst, false))
			return yctx_fail(c, n, "%s: rate or burst out of range", section);
		return 0;
	}
	if (shield_set_limit(&cfg->pps, pps, pburst, false))
		return yctx_fail(c, n,
				 "packets_per_sec or packets_burst out of range (at most 1G/s)");
	if (shield_set_limit(&cfg->bps, bps, bburst, true))
		return yctx_fail(c, n, "bytes_per_sec or bytes_burst out of range");
	return 0;
}

/* What the kernel takes as a device name (dev_valid_name). */
static bool ifname_ok(const char *s)
{
	if (!*s || strlen(s) >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static int add_iface(struct yctx *c, const yaml_node_t *n)
{
	struct shield_targets *t = c->targets;
	const char *s = yctx_scalar(n);

	if (!s || !ifname_ok(s))
		return yctx_fail(c, n,
				 "'%.32s' is not an interface name (1-%d characters, no '/', ':' "
				 "or spaces)",
				 s ? s : "", IF_NAMESIZE - 1);
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->ifaces[i].name, s))
			return yctx_fail(c, n, "interface '%s' is named twice", s);
	if (t->n == SHIELD_MAX_IFACES)
		return yctx_fail(c, n, "more than %d interfaces in one shield section",
				 SHIELD_MAX_IFACES);
	snprintf(t->ifaces[t->n].name, IF_NAMESIZE, "%s", s);
	t->ifaces[t->n].line = n->start_mark.line + 1;
	t->ifaces[t->n].col = n->start_mark.column + 1;
	t->n++;
	return 0;
}

/* interfaces: eth0 | [eth0, eth1]; attach: auto | native | generic | tc */
static int parse_target_key(struct yctx *c, const yaml_node_t *key, yaml_node_t *val)
{
	const char *k = yctx_scalar(key), *s;

	if (!strcmp(k, "attach")) {
		if (yctx_want_scalar(c, val, k, &s))
			return -EINVAL;
		if (shield_parse_mode(s, &c->targets->mode))
			return yctx_fail(c, val,
					 "attach must be auto, native, generic or tc, got '%.32s'",
					 s);
		return 0;
	}
	if (val && val->type == YAML_SCALAR_NODE)
		return add_iface(c, val);
	if (!val || val->type != YAML_SEQUENCE_NODE ||
	    val->data.sequence.items.top == val->data.sequence.items.start)
		return yctx_fail(c, val ? val : key,
				 "interfaces must be a non-empty list of names");
	for (yaml_node_item_t *it = val->data.sequence.items.start;
	     it < val->data.sequence.items.top; it++)
		if (add_iface(c, yctx_node(c, *it)))
			return -EINVAL;
	return 0;
}

static int parse_shield(struct yctx *c, yaml_node_t *n)
{
	struct shield_config *cfg = &c->rs->cfg;
	bool b;
	long v;

	if (!n || n->type != YAML_MAPPING_NODE)
		return yctx_fail(c, n, "the shield section must be a mapping");
	for_each_pair(c, n, p)
	{
		yaml_node_t *val = yctx_node(c, p->value);
		const char *k = yctx_scalar(yctx_node(c, p->key)), *s;

		if (!k)
			return yctx_fail(c, yctx_node(c, p->key), "keys must be plain words");
		if (!strcmp(k, "interfaces") || !strcmp(k, "attach")) {
			if (parse_target_key(c, yctx_node(c, p->key), val))
				return -EINVAL;
		} else if (!strcmp(k, "shadow")) {
			if (get_bool(c, val, k, &b))
				return -EINVAL;
			cfg->flags = b ? cfg->flags | SHIELD_CFG_SHADOW
				       : cfg->flags & ~SHIELD_CFG_SHADOW;
		} else if (!strcmp(k, "track_sources")) {
			if (get_bool(c, val, k, &b))
				return -EINVAL;
			cfg->flags = b ? cfg->flags | SHIELD_CFG_TRACK_SOURCES
				       : cfg->flags & ~SHIELD_CFG_TRACK_SOURCES;
		} else if (!strcmp(k, "management")) {
			if (parse_cidr_section(c, val, SHIELD_ACT_MGMT, k))
				return -EINVAL;
		} else if (!strcmp(k, "allow")) {
			if (parse_cidr_section(c, val, SHIELD_ACT_ALLOW, k))
				return -EINVAL;
		} else if (!strcmp(k, "block")) {
			if (parse_cidr_section(c, val, SHIELD_ACT_BLOCK, k))
				return -EINVAL;
		} else if (!strcmp(k, "ports")) {
			if (!val || val->type != YAML_SEQUENCE_NODE)
				return yctx_fail(c, val, "ports must be a list of rules");
			for (yaml_node_item_t *it = val->data.sequence.items.start;
			     it < val->data.sequence.items.top; it++)
				if (parse_port_rule(c, yctx_node(c, *it)))
					return -EINVAL;
		} else if (!strcmp(k, "rate_limit")) {
			if (parse_limit(c, val, k, true))
				return -EINVAL;
		} else if (!strcmp(k, "syn_limit") || !strcmp(k, "icmp_limit")) {
			if (parse_limit(c, val, k, false))
				return -EINVAL;
		} else if (!strcmp(k, "fragments")) {
			if (yctx_want_scalar(c, val, k, &s))
				return -EINVAL;
			if (!strcmp(s, "drop"))
				cfg->flags |= SHIELD_CFG_DROP_FRAGS;
			else if (!strcmp(s, "inspect"))
				cfg->flags &= ~SHIELD_CFG_DROP_FRAGS;
			else
				return yctx_fail(c, val,
						 "fragments must be inspect or drop, got '%.32s'",
						 s);
		} else if (!strcmp(k, "drop_sample")) {
			if (yctx_get_int(c, val, k, 1, 1 << 30, &v))
				return -EINVAL;
			if (v & (v - 1))
				return yctx_fail(
					c, val,
					"drop_sample must be a power of two (1, 2, 4, ...)");
			cfg->sample_mask = v - 1;
		} else if (!strcmp(k, "balance")) {
			if (shield_parse_balance(c, val))
				return -EINVAL;
		} else {
			return yctx_fail(
				c, yctx_node(c, p->key),
				"unknown key '%.32s' in shield (see 'vigil shield --help')", k);
		}
	}
	return 0;
}

int shield_rules_parse_section(struct shield_ruleset *rs, yaml_document_t *doc,
			       yaml_node_t *section, struct shield_targets *targets,
			       struct shield_yaml_error *e)
{
	struct yctx c = { .doc = doc, .rs = rs, .targets = targets, .e = e };
	int ret;

	memset(targets, 0, sizeof(*targets));
	ret = parse_shield(&c, section);
	if (!ret && !targets->n)
		ret = yctx_fail(&c, section,
				"a policy's shield section needs 'interfaces:', the interfaces to "
				"attach it to (like interfaces: [eth0])");
	return ret;
}

/* A rules file: the same keys as a policy's section, where interfaces: may be left out. */
static int parse_yaml(struct shield_ruleset *rs, const char *buf, size_t len, const char *fname,
		      struct shield_targets *targets, char *err, size_t errlen)
{
	struct shield_yaml_error e = { 0 };
	struct yctx c = { .rs = rs, .targets = targets, .e = &e };
	yaml_node_t *root, *section = NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	memset(targets, 0, sizeof(*targets));
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: cannot initialise the YAML parser", fname);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: error: bad YAML: %s", fname,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "malformed");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		for_each_pair(&c, root, p)
		{
			const char *k = yctx_scalar(yctx_node(&c, p->key));

			if (k && !strcmp(k, "shield"))
				section = yctx_node(&c, p->value);
		}
	}
	if (!section)
		ret = yctx_fail(&c, root, "no 'shield:' section (a mapping at the top level)");
	else
		ret = parse_shield(&c, section);
	if (ret && e.line)
		snprintf(err, errlen, "%s:%u:%u: error: %s", fname, e.line, e.col, e.msg);
	else if (ret)
		snprintf(err, errlen, "%s: error: %s", fname, e.msg);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

int shield_rules_parse_yaml(struct shield_ruleset *rs, const char *buf, size_t len,
			    const char *fname, char *err, size_t errlen)
{
	struct shield_targets targets;

	return parse_yaml(rs, buf, len, fname, &targets, err, errlen);
}

int shield_rules_load_file(struct shield_ruleset *rs, const char *path,
			   struct shield_targets *targets, char *err, size_t errlen)
{
	struct shield_targets ignored;
	char *buf = NULL;
	size_t n;
	int ret;

	ret = read_regular_file(path, SHIELD_YAML_MAX, &buf, &n);
	if (ret == -EINVAL || ret == -EFBIG)
		snprintf(err, errlen, "%s: not a regular file of at most %d MiB", path,
			 SHIELD_YAML_MAX >> 20);
	else if (ret)
		snprintf(err, errlen, "cannot open rules file %s: %s", path, strerror(-ret));
	else
		ret = parse_yaml(rs, buf, n, path, targets ? targets : &ignored, err, errlen);
	free(buf);
	return ret;
}
