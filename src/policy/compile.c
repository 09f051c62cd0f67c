// SPDX-License-Identifier: GPL-2.0
#include "policy/compile.h"
#include "policy/fields.h"
#include "vigil/ev_file.h"
#include "vigil/ev_net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* The accesses an open rule wants: its file.access condition, or both. */
static __u8 rule_access(const struct rule *r)
{
	__u8 access = 0;

	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];

		if (c->field != FIELD_FILE_ACCESS)
			continue;
		for (size_t j = 0; j < c->n_values; j++)
			access |= c->values[j].bits;
		if (c->op == OP_NOT)
			access = ~access & 3;
		return access ? access : 3;
	}
	return 3;
}

/*
 * Does the rule match only opens that may create, `file.flags: O_CREAT`? Then the kernel
 * sends no other open of its paths, whatever the access.
 */
static bool rule_creates(const struct rule *r)
{
	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];
		bool all = c->op == OP_IN && c->n_values;

		if (c->field != FIELD_FILE_FLAGS)
			continue;
		for (size_t j = 0; j < c->n_values; j++)
			all = all && c->values[j].bits == O_CREAT;
		if (all)
			return true;
	}
	return false;
}

/* The file.path condition the kernel can use: `file.path: [...]`, or NULL. */
static const struct cond *path_cond(const struct rule *r)
{
	for (size_t i = 0; i < r->match.n_conds; i++)
		if (r->match.conds[i].field == FIELD_FILE_PATH && r->match.conds[i].op == OP_IN)
			return &r->match.conds[i];
	return NULL;
}

/*
 * Can the kernel kill for @r on its own? Only an enforced kill (or deny, which falls back to
 * kill here) whose every condition the watch decides: exact or subtree paths and the access.
 */
bool policy_kernel_kills(const struct rule *r)
{
	if (r->policy->mode != MODE_ENFORCE || r->action == ACTION_ALERT || r->n_excepts ||
	    r->types != (1ull << VIGIL_EV_OPEN) || !path_cond(r))
		return false;
	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];

		if (c->op != OP_IN ||
		    (c->field != FIELD_FILE_PATH && c->field != FIELD_FILE_ACCESS))
			return false;
		for (size_t j = 0; j < c->n_values; j++)
			if (c->field == FIELD_FILE_PATH && c->values[j].path_form == PATH_GLOB)
				return false;
	}
	return true;
}

/*
 * Does @r look only at opens by handle or through io_uring? The kernel sends those whatever
 * the watch (bpf/file.bpf.c), so the rule needs no watch: a path of its would otherwise have
 * every open beneath it sent, and no path at all every open on the host.
 */
static bool rare_doors_only(const struct rule *r)
{
	static const char *const doors[] = { "open_by_handle_at", "io_uring_openat",
					     "io_uring_openat2" };

	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];
		size_t rare = 0;

		if (c->field != FIELD_FILE_SYSCALL || c->op != OP_IN)
			continue;
		for (size_t j = 0; j < c->n_values; j++)
			for (size_t k = 0; k < sizeof(doors) / sizeof(doors[0]); k++)
				rare += !strcmp(c->values[j].str, doors[k]);
		if (rare == c->n_values)
			return true;
	}
	return false;
}

int policy_compile_watches(const struct policy_set *s, struct watch_list *out)
{
	const unsigned int open = VIGIL_EV_OPEN;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n_by_type[open] && !err; i++) {
		const struct rule *r = s->by_type[open][i];
		const struct cond *c = path_cond(r);
		__u8 access = rule_access(r);
		/* what the kernel sends of the object itself; "below" is the same << 2 */
		__u16 self = rule_creates(r) ? VIGIL_WATCH_CREATE : access;
		/* the file sensor kills the opener (a sandbox's sensors: in its cgroup only) */
		__u16 kill = policy_kernel_kills(r) ? access << VIGIL_WATCH_KILL_SHIFT : 0;

		if (rare_doors_only(r))
			continue;
		if (!c) {
			err = watch_list_add(out, "/", 1, self | self << 2, false);
			continue;
		}
		for (size_t j = 0; j < c->n_values && !err; j++) {
			const struct value *v = &c->values[j];

			switch (v->path_form) {
			case PATH_EXACT:
				err = watch_list_add(out, v->str, strlen(v->str), self | kill,
						     false);
				break;
			case PATH_SUBTREE:
				err = watch_list_add(out, v->str, strlen(v->str),
						     (self | kill) | (self | kill) << 2, false);
				break;
			case PATH_GLOB:
				err = watch_list_add(out, v->str, strlen(v->str), self, true);
				break;
			}
		}
	}
	if (err)
		watch_list_free(out);
	return err;
}

void policy_explain_rule(const struct rule *r, FILE *out)
{
	const struct cond *c = path_cond(r);
	__u8 access = rule_access(r);
	bool globs = false;
	const char *acc = rule_creates(r) ? "that may create (O_CREAT), for any access,"
			  : access == 3	  ? "for any access"
			  : access == 1	  ? "for reading"
					  : "for writing";

	if (!(r->types & (1ull << VIGIL_EV_OPEN)))
		return;
	if (!c) {
		fprintf(out, "    kernel: every open %s is sent (no file.path)\n", acc);
		return;
	}
	fprintf(out, "    kernel: opens %s of", acc);
	for (size_t j = 0; j < c->n_values; j++) {
		const struct value *v = &c->values[j];

		globs |= v->path_form == PATH_GLOB;
		fprintf(out, "%s %s%s", j ? "," : "", v->str,
			v->path_form == PATH_SUBTREE ? " and beneath" : "");
	}
	fputs(" (by inode; a missing file by its nearest existing directory and the next name on "
	      "its way)\n",
	      out);
	if (globs)
		fprintf(out,
			"    kernel: a glob by the paths its wildcard directories lead to, listed "
			"again every %d s; a wildcard in the last name by its directory and "
			"beneath\n",
			WATCH_REFRESH_S);
	if (policy_kernel_kills(r) && r->action == ACTION_KILL)
		fputs("    kernel: SIGKILL to the opener before the open returns "
		      "(bpf_send_signal), "
		      "for the paths that exist when the policy loads\n",
		      out);
}

/* The ports of a net.dport condition (NULL: any), counted in *n; false when too many. */
static bool dport_count(const struct cond *c, size_t *n)
{
	*n = 0;
	if (!c)
		return true;
	for (size_t i = 0; i < c->n_values; i++) {
		const struct value *v = &c->values[i];

		if (v->num.lo < 0 || v->num.hi > 65535)
			return false;
		*n += v->num.hi - v->num.lo + 1;
	}
	return *n <= NET_DENY_MAX_PORTS;
}

static const struct cond *find_cond(const struct rule *r, int field)
{
	for (size_t i = 0; i < r->match.n_conds; i++)
		if (r->match.conds[i].field == field)
			return &r->match.conds[i];
	return NULL;
}

bool policy_kernel_denies(const struct rule *r)
{
	size_t ports;

	if (r->policy->mode != MODE_ENFORCE || r->action != ACTION_DENY || r->n_excepts ||
	    r->types != (1ull << VIGIL_EV_CONNECT))
		return false;
	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];

		if (c->op != OP_IN || (c->field != FIELD_NET_DADDR && c->field != FIELD_NET_DPORT))
			return false;
	}
	return dport_count(find_cond(r, FIELD_NET_DPORT), &ports);
}

static int add_deny(struct net_deny_list *l, const __u8 addr[16], __u8 prefix_len, int port)
{
	if (!(l->n & (l->n - 1)) || !l->n) {
		struct net_deny *e = realloc(l->entries, (l->n ? 2 * l->n : 1) * sizeof(*e));

		if (!e)
			return -ENOMEM;
		l->entries = e;
	}
	memcpy(l->entries[l->n].addr, addr, 16);
	l->entries[l->n].prefix_len = prefix_len;
	l->entries[l->n++].port = port;
	return 0;
}

/* Every (address, port) pair of one rule: its CIDRs (or ::/0) times its ports (or any). */
static int add_rule_denies(const struct rule *r, struct net_deny_list *out)
{
	static const struct value anywhere = { .cidr = { .prefix_len = 0 } };
	const struct cond *addrs = find_cond(r, FIELD_NET_DADDR);
	const struct cond *ports = find_cond(r, FIELD_NET_DPORT);
	size_t n_addrs = addrs ? addrs->n_values : 1;
	int err = 0;

	for (size_t i = 0; i < n_addrs && !err; i++) {
		const struct value *a = addrs ? &addrs->values[i] : &anywhere;

		if (!ports) {
			err = add_deny(out, a->cidr.addr, a->cidr.prefix_len, -1);
			continue;
		}
		for (size_t j = 0; j < ports->n_values && !err; j++)
			for (long long p = ports->values[j].num.lo;
			     p <= ports->values[j].num.hi && !err; p++)
				err = add_deny(out, a->cidr.addr, a->cidr.prefix_len, p);
	}
	return err;
}

int policy_compile_net_denies(const struct policy_set *s, struct net_deny_list *out)
{
	const unsigned int connect = VIGIL_EV_CONNECT;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n_by_type[connect] && !err; i++)
		if (policy_kernel_denies(s->by_type[connect][i]))
			err = add_rule_denies(s->by_type[connect][i], out);
	if (err)
		net_deny_list_free(out);
	return err;
}

void net_deny_list_free(struct net_deny_list *l)
{
	free(l->entries);
	memset(l, 0, sizeof(*l));
}
