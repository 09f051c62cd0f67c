// SPDX-License-Identifier: GPL-2.0
/*
 * What of a policy set BPF LSM refuses by itself: enforced deny rules on exec and file events
 * whose every condition the kernel decides, by inode and cgroup (docs/policy.md, "Where the
 * denial happens").
 */
#include "policy/compile.h"
#include "enforce/fanotify.h"
#include "policy/fields.h"
#include "vigil/enforce.h"
#include "vigil/ev_file.h"
#include "vigil/ev_kernel.h"
#include "vigil/ev_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The operation refused for each event type an LSM hook covers (0: none covers it). */
static __u32 type_op(unsigned int type)
{
	switch (type) {
	case VIGIL_EV_EXEC:
		return VIGIL_DENY_EXEC;
	case VIGIL_EV_OPEN:
		return VIGIL_DENY_READ | VIGIL_DENY_WRITE;
	case VIGIL_EV_UNLINK:
		return VIGIL_DENY_UNLINK;
	case VIGIL_EV_RMDIR:
		return VIGIL_DENY_RMDIR;
	case VIGIL_EV_RENAME:
		return VIGIL_DENY_RENAME;
	case VIGIL_EV_LINK:
		return VIGIL_DENY_LINK;
	case VIGIL_EV_SYMLINK:
		return VIGIL_DENY_SYMLINK;
	case VIGIL_EV_MKDIR:
		return VIGIL_DENY_MKDIR;
	case VIGIL_EV_CHMOD:
		return VIGIL_DENY_CHMOD;
	case VIGIL_EV_CHOWN:
		return VIGIL_DENY_CHOWN;
	case VIGIL_EV_TRUNCATE:
		return VIGIL_DENY_TRUNCATE;
	case VIGIL_EV_MODULE_LOAD:
		return VIGIL_DENY_MODULE;
	case VIGIL_EV_BPF:
		return VIGIL_DENY_BPF_PROG | VIGIL_DENY_BPF_MAP;
	case VIGIL_EV_PTRACE:
		return VIGIL_DENY_PTRACE;
	case VIGIL_EV_SOCKET:
		return VIGIL_DENY_RAW_SOCK;
	default:
		return 0;
	}
}

/* The VIGIL_DENY_* of @r's event types, with its file.access; 0 when a type has no hook. */
static __u32 rule_ops(const struct rule *r)
{
	__u32 ops = 0;

	for (unsigned int t = 0; t < 64; t++) {
		if (!(r->types & (1ull << t)))
			continue;
		if (!type_op(t))
			return 0;
		ops |= type_op(t);
	}
	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];
		__u64 access = 0;

		if (c->field == FIELD_BPF_CMD) {
			__u32 cmds = 0;

			for (size_t j = 0; j < c->n_values; j++)
				cmds |= !strcmp(c->values[j].str, "BPF_PROG_LOAD")
						? VIGIL_DENY_BPF_PROG
					: !strcmp(c->values[j].str, "BPF_MAP_CREATE")
						? VIGIL_DENY_BPF_MAP
						: 0;
			ops &= ~(VIGIL_DENY_BPF_PROG | VIGIL_DENY_BPF_MAP) | cmds;
			continue;
		}
		if (c->field != FIELD_FILE_ACCESS)
			continue;
		for (size_t j = 0; j < c->n_values; j++)
			access |= c->values[j].bits;
		ops &= ~(VIGIL_DENY_READ | VIGIL_DENY_WRITE);
		ops |= (access & VIGIL_FILE_ACCESS_READ ? VIGIL_DENY_READ : 0) |
		       (access & VIGIL_FILE_ACCESS_WRITE ? VIGIL_DENY_WRITE : 0);
	}
	return ops;
}

/* The field that names the object: process.exe for exec (the new image), else file.path. */
static int object_field(const struct rule *r)
{
	return r->types == (1ull << VIGIL_EV_EXEC) ? FIELD_PROCESS_EXE : FIELD_FILE_PATH;
}

/* Does @r refuse operations whatever their object (module loads, bpf, ptrace)? */
static bool is_global(const struct rule *r)
{
	return !(rule_ops(r) & ~VIGIL_DENY_GLOBAL);
}

bool policy_lsm_denies(const struct rule *r)
{
	bool has_object = false;
	__u32 ops = rule_ops(r);

	if (r->policy->mode != MODE_ENFORCE || r->action != ACTION_DENY || r->n_excepts || !ops ||
	    ((ops & VIGIL_DENY_GLOBAL) && !is_global(r)) ||
	    ((r->types & (1ull << VIGIL_EV_EXEC)) && r->types != (1ull << VIGIL_EV_EXEC)))
		return false;
	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];

		if (c->op != OP_IN)
			return false;
		if (c->field == object_field(r) && !is_global(r)) {
			has_object = true;
		} else if (c->field != FIELD_PROCESS_CGROUP && c->field != FIELD_FILE_ACCESS &&
			   c->field != FIELD_BPF_CMD) {
			return false;
		}
		/* paths by inode: exact or subtree; cgroups: subtrees (ancestor ids) */
		for (size_t j = 0; j < c->n_values; j++)
			if (c->field != FIELD_FILE_ACCESS && c->field != FIELD_BPF_CMD &&
			    (c->values[j].path_form == PATH_GLOB ||
			     (c->field == FIELD_PROCESS_CGROUP &&
			      c->values[j].path_form != PATH_SUBTREE)))
				return false;
	}
	return has_object || is_global(r);
}

static const struct cond *find(const struct rule *r, int field)
{
	for (size_t i = 0; i < r->match.n_conds; i++)
		if (r->match.conds[i].field == field)
			return &r->match.conds[i];
	return NULL;
}

static int add(struct lsm_deny_list *l, const char *path, bool below, __u32 ops, const char *cgroup,
	       __u32 rule)
{
	struct lsm_deny *e;

	if (!(l->n & (l->n - 1)) || !l->n) {
		e = realloc(l->entries, (l->n ? 2 * l->n : 1) * sizeof(*e));
		if (!e)
			return -ENOMEM;
		l->entries = e;
	}
	l->entries[l->n++] = (struct lsm_deny){
		.path = path,
		.below = below,
		.ops = ops,
		.cgroup = cgroup,
		.rule = rule,
	};
	return 0;
}

static int add_rule(struct lsm_deny_list *l, const struct rule *r, const char *set_scope)
{
	const struct cond *objects = is_global(r) ? NULL : find(r, object_field(r));
	const struct cond *cgroups = find(r, FIELD_PROCESS_CGROUP);
	size_t n_objects = objects ? objects->n_values : 1; /* global: no object */
	size_t n_scopes = cgroups ? cgroups->n_values : 1;
	const struct rule **rules;
	__u32 ops = rule_ops(r);
	int err = 0;

	rules = realloc(l->rules, (l->n_rules + 1) * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	l->rules = rules;
	rules[l->n_rules] = r;
	for (size_t i = 0; i < n_objects && !err; i++)
		for (size_t j = 0; j < n_scopes && !err; j++)
			err = add(l, objects ? objects->values[i].str : NULL,
				  objects && objects->values[i].path_form == PATH_SUBTREE, ops,
				  cgroups ? cgroups->values[j].str : set_scope, l->n_rules);
	l->n_rules++;
	return err;
}

bool policy_fanotify_denies(const struct rule *r)
{
	return policy_lsm_denies(r) && !(rule_ops(r) & ~FANDENY_OPS);
}

static int compile_denies(const struct policy_set *s, bool (*denies)(const struct rule *),
			  struct lsm_deny_list *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (size_t p = 0; p < s->n_policies && !err; p++)
		for (size_t i = 0; i < s->policies[p]->n_rules && !err; i++)
			/* in a scoped set, a rule's own cgroups are left to user space */
			if (denies(&s->policies[p]->rules[i]) &&
			    !(s->scope && find(&s->policies[p]->rules[i], FIELD_PROCESS_CGROUP)))
				err = add_rule(out, &s->policies[p]->rules[i], s->scope);
	if (err)
		lsm_deny_list_free(out);
	return err;
}

int policy_compile_lsm_denies(const struct policy_set *s, struct lsm_deny_list *out)
{
	return compile_denies(s, policy_lsm_denies, out);
}

int policy_compile_fanotify_denies(const struct policy_set *s, struct lsm_deny_list *out)
{
	return compile_denies(s, policy_fanotify_denies, out);
}

void lsm_deny_list_free(struct lsm_deny_list *l)
{
	free(l->entries);
	free(l->rules);
	memset(l, 0, sizeof(*l));
}

/*
 * Does the process sensor kill at exec for @r: an enforced exec kill rule, or an exec deny rule
 * BPF LSM does not refuse (@lsm: it runs), naming exact files by process.exe only? The kill
 * comes before the new image runs an instruction (for a scoped set, the sensors kill in its
 * cgroup only).
 */
bool policy_exec_kills(const struct rule *r, bool lsm)
{
	if (r->policy->mode != MODE_ENFORCE || r->types != (1ull << VIGIL_EV_EXEC) ||
	    r->n_excepts || r->match.n_conds != 1 || r->action == ACTION_ALERT ||
	    (r->action == ACTION_DENY && lsm && policy_lsm_denies(r)))
		return false;
	if (r->match.conds[0].field != FIELD_PROCESS_EXE || r->match.conds[0].op != OP_IN)
		return false;
	for (size_t j = 0; j < r->match.conds[0].n_values; j++)
		if (r->match.conds[0].values[j].path_form != PATH_EXACT)
			return false;
	return true;
}

int policy_compile_exec_kills(const struct policy_set *s, bool lsm, struct exec_kill_list *out)
{
	const unsigned int exec = VIGIL_EV_EXEC;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->n_by_type[exec]; i++) {
		const struct rule *r = s->by_type[exec][i];
		const struct cond *c;
		const struct rule **rules;
		struct exec_kill *e;

		if (!policy_exec_kills(r, lsm))
			continue;
		c = &r->match.conds[0]; /* its one condition, process.exe */
		rules = realloc(out->rules, (out->n_rules + 1) * sizeof(*rules));
		e = rules ? realloc(out->entries, (out->n + c->n_values) * sizeof(*e)) : NULL;
		if (rules)
			out->rules = rules;
		if (!e) {
			exec_kill_list_free(out);
			return -ENOMEM;
		}
		out->entries = e;
		for (size_t j = 0; j < c->n_values; j++)
			e[out->n++] = (struct exec_kill){ c->values[j].str, out->n_rules };
		out->rules[out->n_rules++] = r;
	}
	return 0;
}

void exec_kill_list_free(struct exec_kill_list *l)
{
	free(l->entries);
	free(l->rules);
	memset(l, 0, sizeof(*l));
}
