// SPDX-License-Identifier: GPL-2.0
/*
 * YAML to the policy tree (docs/policy.md), with every check that needs no kernel: each problem
 * is reported with its line and column and what would be right, and parsing goes on so that
 * one run shows them all.
 */
#include "policy/fields.h"
#include "policy/ids.h"
#include "policy/policy.h"
#include "policy/value.h"
#include "events/event.h"
#include "vigil/ev_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_VALUES 100000 /* per condition, after lists are expanded */

struct parser {
	yaml_document_t doc;
	const char *file;
	struct diags *d;
	yaml_node_t *lists; /* the `lists` mapping, or NULL */
};

#define LINE(n) ((unsigned int)(n)->start_mark.line + 1)
#define COL(n)	((unsigned int)(n)->start_mark.column + 1)

#define error_at(ps, n, ...)                                                                       \
	diags_add((ps)->d, DIAG_ERROR, (ps)->file, LINE(n), COL(n), __VA_ARGS__)
#define warn_at(ps, n, ...)                                                                        \
	diags_add((ps)->d, DIAG_WARNING, (ps)->file, LINE(n), COL(n), __VA_ARGS__)

static yaml_node_t *node(struct parser *ps, yaml_node_item_t i)
{
	return yaml_document_get_node(&ps->doc, i);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *kind_name(yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE     ? "a value"
	       : n->type == YAML_SEQUENCE_NODE ? "a list"
					       : "a map";
}

/* A scalar, or an error naming @what it should be. */
static const char *want_scalar(struct parser *ps, yaml_node_t *n, const char *what)
{
	const char *s = scalar(n);

	if (!s)
		error_at(ps, n, "%s must be %s, not %s", what, "a single value", kind_name(n));
	return s;
}

static bool is_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= POLICY_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* Check a mapping's keys against @known; report unknown and repeated ones. */
static bool check_keys(struct parser *ps, yaml_node_t *map, const char *what,
		       const char *const *known)
{
	bool ok = true;

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(ps, p->key);
		const char *key = scalar(k);
		size_t i;

		if (!key) {
			error_at(ps, k, "%s keys must be plain words", what);
			ok = false;
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (scalar(node(ps, q->key)) && !strcmp(scalar(node(ps, q->key)), key)) {
				error_at(ps, k, "'%s' is given twice in this %s", key, what);
				ok = false;
			}
		for (i = 0; known[i]; i++)
			if (!strcmp(known[i], key))
				break;
		if (!known[i]) {
			char list[256];
			size_t n = 0;

			for (i = 0; known[i]; i++)
				n += snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
					      known[i]);
			error_at(ps, k, "unknown key '%s' in %s; known keys: %s", key, what, list);
			ok = false;
		}
	}
	return ok;
}

static yaml_node_t *get(struct parser *ps, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(node(ps, p->key));

		if (k && !strcmp(k, key))
			return node(ps, p->value);
	}
	return NULL;
}

/* Call @fn on a scalar, or on each item of a list of scalars. */
static int for_each_scalar(struct parser *ps, yaml_node_t *n, const char *what,
			   int (*fn)(struct parser *ps, yaml_node_t *item, void *arg), void *arg)
{
	int err = 0;

	if (n->type == YAML_SCALAR_NODE)
		return fn(ps, n, arg);
	if (n->type != YAML_SEQUENCE_NODE) {
		error_at(ps, n, "%s must be a value or a list of values, not a map", what);
		return -EINVAL;
	}
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	     i++) {
		yaml_node_t *item = node(ps, *i);

		if (item->type != YAML_SCALAR_NODE) {
			error_at(ps, item, "%s must hold plain values, not %s", what,
				 kind_name(item));
			err = -EINVAL;
			continue;
		}
		err = fn(ps, item, arg) ?: err;
	}
	return err;
}

/* ---- rule parts ---- */

static int add_type(struct parser *ps, yaml_node_t *n, void *arg)
{
	unsigned int type = event_type_from_name(scalar(n));
	__u64 *types = arg;

	if (!type || !(field_all_types() & (1ull << type))) {
		error_at(ps, n,
			 "unknown event type '%s' (see docs/events.md: exec, open, connect, ...)",
			 scalar(n));
		return -EINVAL;
	}
	*types |= 1ull << type;
	return 0;
}

static bool is_mitre_id(const char *s)
{
	/* T1234 or T1234.567 */
	if (s[0] != 'T' || strspn(s + 1, "0123456789") != 4)
		return false;
	if (!s[5])
		return true;
	return s[5] == '.' && strspn(s + 6, "0123456789") == 3 && !s[9];
}

static int add_mitre(struct parser *ps, yaml_node_t *n, void *arg)
{
	struct rule *r = arg;
	char **m;

	if (!is_mitre_id(scalar(n))) {
		error_at(ps, n,
			 "'%s' is not an ATT&CK technique id; write it like T1003 or T1003.008",
			 scalar(n));
		return -EINVAL;
	}
	m = realloc(r->mitre, (r->n_mitre + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	r->mitre = m;
	m[r->n_mitre] = strdup(scalar(n));
	if (!m[r->n_mitre])
		return -ENOMEM;
	r->n_mitre++;
	return 0;
}

struct value_ctx {
	struct cond *c;
	const struct field_def *f;
	int depth;
};

static int add_value(struct parser *ps, yaml_node_t *n, void *arg);

/* $name: the named list's values, in its place */
static int add_list_ref(struct parser *ps, yaml_node_t *n, struct value_ctx *vc)
{
	const char *name = scalar(n) + 1;
	yaml_node_t *list = ps->lists ? get(ps, ps->lists, name) : NULL;
	int err;

	if (!list) {
		error_at(ps, n, "no list named '%s'; define it under 'lists:'", name);
		return -EINVAL;
	}
	if (vc->depth) {
		error_at(ps, n, "a list cannot name another list ('$%s')", name);
		return -EINVAL;
	}
	vc->depth++;
	err = for_each_scalar(ps, list, "a list", add_value, vc);
	vc->depth--;
	return err;
}

static int add_value(struct parser *ps, yaml_node_t *n, void *arg)
{
	struct value_ctx *vc = arg;
	struct cond *c = vc->c;
	char why[256];
	struct value v;

	if (scalar(n)[0] == '$')
		return add_list_ref(ps, n, vc);
	if (c->n_values >= MAX_VALUES) {
		error_at(ps, n, "more than %d values in one condition", MAX_VALUES);
		return -E2BIG;
	}
	if (value_parse(vc->f, c->field, scalar(n), &v, why, sizeof(why))) {
		error_at(ps, n, "%s: %s", vc->f->name, why);
		return -EINVAL;
	}
	if (c->op == OP_CONTAINS && vc->f->kind != VAL_STRING && vc->f->kind != VAL_PATH) {
		value_free(&v);
		error_at(ps, n, "'contains' is for text fields; %s is not one", vc->f->name);
		return -EINVAL;
	}
	if (!(c->n_values & (c->n_values - 1))) {
		struct value *vals =
			realloc(c->values, (c->n_values ? 2 * c->n_values : 1) * sizeof(*vals));

		if (!vals) {
			value_free(&v);
			return -ENOMEM;
		}
		c->values = vals;
	}
	c->values[c->n_values++] = v;
	return 0;
}

/* "field", "field not", "field contains" */
static int parse_cond_key(struct parser *ps, yaml_node_t *k, struct cond *c, __u64 types)
{
	char name[64], op[16] = "";
	const char *key = scalar(k);
	const struct field_def *f;

	if (!key || sscanf(key, "%63s %15s", name, op) < 1 ||
	    strlen(key) > strlen(name) + 1 + strlen(op)) {
		error_at(ps, k,
			 "a condition is 'field: values' or 'field not: values' or "
			 "'field contains: values'");
		return -EINVAL;
	}
	c->field = field_lookup(name);
	if (c->field < 0) {
		error_at(ps, k,
			 "unknown field '%s' (docs/policy.md lists them: process.exe, "
			 "file.path, net.dport, ...)",
			 name);
		return -EINVAL;
	}
	if (!op[0])
		c->op = OP_IN;
	else if (!strcmp(op, "not"))
		c->op = OP_NOT;
	else if (!strcmp(op, "contains"))
		c->op = OP_CONTAINS;
	else {
		error_at(ps, k, "unknown operator '%s' after %s; use 'not' or 'contains'", op,
			 name);
		return -EINVAL;
	}
	f = field_def(c->field);
	if (types & ~f->types) {
		for (unsigned int t = 0; t < 64; t++)
			if ((types & ~f->types) & (1ull << t)) {
				error_at(ps, k,
					 "%s is not a field of %s events; name only event "
					 "types that have it in 'on:'",
					 name, event_type_name(t));
				return -EINVAL;
			}
	}
	c->line = LINE(k);
	c->col = COL(k);
	return 0;
}

static void group_free(struct cond_group *g)
{
	for (size_t i = 0; i < g->n_conds; i++) {
		for (size_t j = 0; j < g->conds[i].n_values; j++)
			value_free(&g->conds[i].values[j]);
		free(g->conds[i].values);
	}
	free(g->conds);
	g->conds = NULL;
	g->n_conds = 0;
}

static int parse_group(struct parser *ps, yaml_node_t *map, struct cond_group *g, __u64 types,
		       const char *what)
{
	size_t n;
	int err = 0;

	g->line = LINE(map);
	g->col = COL(map);
	if (map->type != YAML_MAPPING_NODE) {
		error_at(ps, map, "%s must be a map of 'field: values', not %s", what,
			 kind_name(map));
		return -EINVAL;
	}
	n = map->data.mapping.pairs.top - map->data.mapping.pairs.start;
	g->conds = calloc(n ? n : 1, sizeof(*g->conds));
	if (!g->conds)
		return -ENOMEM;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		struct cond *c = &g->conds[g->n_conds];
		struct value_ctx vc = { .c = c };
		yaml_node_t *k = node(ps, p->key), *v = node(ps, p->value);

		if (parse_cond_key(ps, k, c, types)) {
			err = -EINVAL;
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
			if (scalar(node(ps, q->key)) &&
			    !strcmp(scalar(node(ps, q->key)), scalar(k))) {
				error_at(ps, k,
					 "'%s' is given twice in this %s; put all its values "
					 "in one list",
					 scalar(k), what);
				err = -EINVAL;
			}
		vc.f = field_def(c->field);
		g->n_conds++;
		if (for_each_scalar(ps, v, vc.f->name, add_value, &vc))
			err = -EINVAL;
		else if (!c->n_values) {
			error_at(ps, v, "%s has no values: an empty list matches nothing",
				 vc.f->name);
			err = -EINVAL;
		}
	}
	return err;
}

/* Does every event value @in allows match some value of @out (same field)? */
static bool all_covered(const struct cond *out, const struct cond *in)
{
	const struct field_def *f = field_def(in->field);

	for (size_t i = 0; i < in->n_values; i++) {
		bool found = false;

		for (size_t j = 0; j < out->n_values && !found; j++)
			found = value_covers(f, &out->values[j], &in->values[i]);
		if (!found)
			return false;
	}
	return true;
}

/* Does every string that contains one of @m's substrings contain one of @x's? */
static bool contains_implied(const struct cond *m, const struct cond *x)
{
	for (size_t i = 0; i < m->n_values; i++) {
		bool found = false;

		for (size_t j = 0; j < x->n_values && !found; j++)
			found = strstr(m->values[i].str, x->values[j].str) != NULL;
		if (!found)
			return false;
	}
	return true;
}

/* Does condition @x hold on every event that the match group @m lets through? */
static bool implied(const struct cond_group *m, const struct cond *x)
{
	for (size_t i = 0; i < m->n_conds; i++) {
		const struct cond *c = &m->conds[i];

		if (c->field != x->field || c->op != x->op)
			continue;
		if (x->op == OP_IN && all_covered(x, c))
			return true;
		if (x->op == OP_NOT && all_covered(c, x))
			return true;
		if (x->op == OP_CONTAINS && contains_implied(c, x))
			return true;
	}
	return false;
}

/* Conditions that cannot all hold, and exceptions that swallow the whole rule. */
static void check_contradictions(struct parser *ps, yaml_node_t *rn, struct rule *r)
{
	const struct cond_group *m = &r->match;

	for (size_t i = 0; i < m->n_conds; i++)
		for (size_t j = 0; j < m->n_conds; j++) {
			const struct cond *a = &m->conds[i], *b = &m->conds[j];

			if (a->field == b->field && a->op == OP_IN && b->op == OP_NOT &&
			    all_covered(b, a))
				diags_add(ps->d, DIAG_ERROR, ps->file, b->line, b->col,
					  "rule '%s' can never match: '%s not:' excludes every "
					  "value that '%s:' (line %u) allows; remove one of them",
					  r->id, field_def(a->field)->name,
					  field_def(a->field)->name, a->line);
		}
	for (size_t e = 0; e < r->n_excepts; e++) {
		const struct cond_group *x = &r->excepts[e];
		bool all = true;

		for (size_t i = 0; i < x->n_conds && all; i++)
			all = implied(m, &x->conds[i]);
		if (!x->n_conds)
			diags_add(ps->d, DIAG_ERROR, ps->file, x->line, x->col,
				  "rule '%s' can never match: an empty exception holds for every "
				  "event; give it conditions or remove it",
				  r->id);
		else if (all)
			diags_add(ps->d, DIAG_ERROR, ps->file, x->line, x->col,
				  "rule '%s' can never match: this exception holds for every event "
				  "its match does",
				  r->id);
	}
	if ((r->types & (1ull << VIGIL_EV_OPEN)) && !m->n_conds)
		warn_at(ps, rn,
			"rule '%s' is on every open of every file: name paths with file.path to "
			"keep it cheap",
			r->id);
}

static const char *const rule_keys[] = {
	"id", "description", "severity", "mitre", "on", "match", "except", "action", NULL,
};

static int parse_enum(struct parser *ps, yaml_node_t *n, const char *what, const char *const *names,
		      int count)
{
	const char *s = want_scalar(ps, n, what);
	char list[128];
	size_t len = 0;

	if (!s)
		return -1;
	for (int i = 0; i < count; i++) {
		if (!strcmp(s, names[i]))
			return i;
		len += snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
	}
	error_at(ps, n, "%s '%s' is not one of %s", what, s, list);
	return -1;
}

static int parse_rule(struct parser *ps, yaml_node_t *rn, struct rule *r)
{
	static const char *const severities[] = { "info", "low", "medium", "high", "critical" };
	static const char *const actions[] = { "alert", "deny", "kill" };
	yaml_node_t *n;
	int err = 0, v;

	r->line = LINE(rn);
	r->col = COL(rn);
	if (rn->type != YAML_MAPPING_NODE) {
		error_at(ps, rn, "a rule must be a map (id:, description:, on:, ...), not %s",
			 kind_name(rn));
		r->id = strdup("?"); /* the id checks that follow compare every rule's */
		return r->id ? -EINVAL : -ENOMEM;
	}
	if (!check_keys(ps, rn, "rule", rule_keys))
		err = -EINVAL;

	n = get(ps, rn, "id");
	if (!n || !want_scalar(ps, n, "id") || !is_name(scalar(n))) {
		if (!n)
			error_at(ps, rn, "this rule has no 'id'");
		else if (scalar(n))
			error_at(ps, n,
				 "id '%s' must be letters, digits, '_', '.' or '-', at most "
				 "63 of them",
				 scalar(n));
		err = -EINVAL;
	}
	r->id = strdup(n && scalar(n) ? scalar(n) : "?");
	if (!r->id)
		return -ENOMEM;

	n = get(ps, rn, "description");
	if (!n || !want_scalar(ps, n, "description") || !*scalar(n)) {
		if (!n || scalar(n))
			error_at(ps, n ? n : rn,
				 "rule '%s' needs a description: one line saying "
				 "what it catches",
				 r->id);
		err = -EINVAL;
	}
	r->description = strdup(n && scalar(n) ? scalar(n) : "");

	n = get(ps, rn, "severity");
	if (!n) {
		error_at(ps, rn, "rule '%s' needs a severity: info, low, medium, high or critical",
			 r->id);
		err = -EINVAL;
	} else if ((v = parse_enum(ps, n, "severity", severities, 5)) < 0) {
		err = -EINVAL;
	} else {
		r->severity = v;
	}

	n = get(ps, rn, "action");
	if (n) {
		if ((v = parse_enum(ps, n, "action", actions, 3)) < 0)
			err = -EINVAL;
		else
			r->action = v;
	}

	n = get(ps, rn, "mitre");
	if (n && for_each_scalar(ps, n, "mitre", add_mitre, r))
		err = -EINVAL;

	n = get(ps, rn, "on");
	if (!n) {
		error_at(ps, rn, "rule '%s' needs 'on:', the event types it applies to", r->id);
		return -EINVAL;
	}
	if (for_each_scalar(ps, n, "on", add_type, &r->types))
		return -EINVAL;
	if (!r->types) {
		error_at(ps, n, "'on:' names no event type");
		return -EINVAL;
	}

	n = get(ps, rn, "match");
	if (n && parse_group(ps, n, &r->match, r->types, "match"))
		err = -EINVAL;
	else if (n && !r->match.n_conds)
		warn_at(ps, n,
			"rule '%s' has an empty 'match:', so it matches every event of its types; "
			"remove 'match:' if that is meant",
			r->id);

	n = get(ps, rn, "except");
	if (n) {
		bool list = n->type == YAML_SEQUENCE_NODE;
		size_t count =
			list ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
			     : 1;

		r->excepts = calloc(count, sizeof(*r->excepts));
		if (!r->excepts)
			return -ENOMEM;
		for (size_t i = 0; i < count; i++) {
			yaml_node_t *g = list ? node(ps, n->data.sequence.items.start[i]) : n;

			r->n_excepts++;
			if (parse_group(ps, g, &r->excepts[i], r->types, "except"))
				err = -EINVAL;
		}
	}
	if (!err)
		check_contradictions(ps, rn, r);
	return err;
}

static void rule_free(struct rule *r)
{
	free(r->id);
	free(r->description);
	for (size_t i = 0; i < r->n_mitre; i++)
		free(r->mitre[i]);
	free(r->mitre);
	group_free(&r->match);
	for (size_t i = 0; i < r->n_excepts; i++)
		group_free(&r->excepts[i]);
	free(r->excepts);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	if (p->shield)
		shield_rules_free(&p->shield->rules);
	free(p->shield);
	free(p->name);
	free(p->file);
	free(p);
}

static const char *const policy_keys[] = { "policy", "mode", "lists", "rules", "shield", NULL };

static int parse_lists(struct parser *ps, yaml_node_t *lists)
{
	int err = 0;

	if (lists->type != YAML_MAPPING_NODE) {
		error_at(ps, lists, "'lists' must be a map of name: [values]");
		return -EINVAL;
	}
	for (yaml_node_pair_t *p = lists->data.mapping.pairs.start;
	     p < lists->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(ps, p->key), *v = node(ps, p->value);

		if (!scalar(k) || !is_name(scalar(k))) {
			error_at(ps, k, "a list name must be letters, digits, '_', '.' or '-'");
			err = -EINVAL;
		} else if (v->type == YAML_MAPPING_NODE) {
			error_at(ps, v, "list '%s' must be a list of values, not a map", scalar(k));
			err = -EINVAL;
		}
	}
	ps->lists = lists;
	return err;
}

/* Each rule id once in the policy. */
static int check_ids(struct parser *ps, struct policy *p)
{
	struct rule **rules = calloc(p->n_rules + 1, sizeof(*rules));
	const struct rule **first = calloc(p->n_rules + 1, sizeof(*first));
	int err = -ENOMEM;

	if (!rules || !first)
		goto out;
	for (size_t i = 0; i < p->n_rules; i++)
		rules[i] = &p->rules[i];
	err = rules_first_same_id(rules, p->n_rules, first);
	for (size_t i = 0; i < p->n_rules && !err; i++)
		if (first[i])
			diags_add(ps->d, DIAG_ERROR, ps->file, rules[i]->line, rules[i]->col,
				  "rule id '%s' is used twice (first at line %u)", rules[i]->id,
				  first[i]->line);
	for (size_t i = 0; i < p->n_rules && !err; i++)
		err = first[i] ? -EINVAL : 0;
out:
	free(rules);
	free(first);
	return err;
}

/* The shield section, parsed by the shield's own YAML reader (src/shield/yaml.c). */
static int parse_shield(struct parser *ps, yaml_node_t *root, struct policy *p)
{
	yaml_node_t *n = NULL, *key = NULL;
	struct shield_yaml_error e = { 0 };

	for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top;
	     q++)
		if (scalar(node(ps, q->key)) && !strcmp(scalar(node(ps, q->key)), "shield")) {
			key = node(ps, q->key);
			n = node(ps, q->value);
		}
	p->shield = calloc(1, sizeof(*p->shield));
	if (!p->shield || shield_rules_init(&p->shield->rules)) {
		free(p->shield);
		p->shield = NULL;
		error_at(ps, n, "out of memory");
		return -ENOMEM;
	}
	p->shield->line = LINE(key);
	p->shield->col = COL(key);
	if (shield_rules_parse_section(&p->shield->rules, &ps->doc, n, &p->shield->targets, &e)) {
		diags_add(ps->d, DIAG_ERROR, ps->file, e.line, e.col, "shield: %s", e.msg);
		return -EINVAL;
	}
	return 0;
}

/* A file with only a shield section may go without 'policy:': its file name names it. */
static char *name_from_file(const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);
	char *name;

	if (n > 5 && !strcmp(base + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(base + n - 4, ".yml"))
		n -= 4;
	name = strndup(base, n);
	if (name && !is_name(name)) {
		free(name);
		return NULL;
	}
	return name;
}

static int parse_root(struct parser *ps, yaml_node_t *root, struct policy *p)
{
	static const char *const modes[] = { "audit", "enforce" };
	yaml_node_t *n, *rules, *mode;
	int err = 0, v;

	if (root->type != YAML_MAPPING_NODE) {
		error_at(ps, root,
			 "a policy must be a map with policy:, rules: and optionally "
			 "mode:, lists: and shield:");
		return -EINVAL;
	}
	if (!check_keys(ps, root, "policy", policy_keys))
		err = -EINVAL;
	if (get(ps, root, "shield") && parse_shield(ps, root, p))
		err = -EINVAL;
	n = get(ps, root, "policy");
	if (!n && p->shield && !get(ps, root, "rules")) {
		p->name = name_from_file(ps->file);
		if (!p->name) {
			error_at(ps, root,
				 "the file name does not make a policy name: add 'policy: "
				 "<name>'");
			err = -EINVAL;
		}
	} else if (!n) {
		error_at(ps, root, "the policy has no name: add 'policy: <name>'");
		err = -EINVAL;
	} else if (!want_scalar(ps, n, "policy") || !is_name(scalar(n))) {
		if (scalar(n))
			error_at(ps, n,
				 "policy name '%s' must be letters, digits, '_', '.' or "
				 "'-', at most 63 of them",
				 scalar(n));
		err = -EINVAL;
	}
	if (!p->name)
		p->name = strdup(n && scalar(n) ? scalar(n) : "?");
	if (!p->name)
		return -ENOMEM;
	p->line = LINE(n ? n : root);
	p->col = COL(n ? n : root);
	mode = get(ps, root, "mode");
	if (mode) {
		if ((v = parse_enum(ps, mode, "mode", modes, 2)) < 0)
			err = -EINVAL;
		else
			p->mode = v;
	}
	if (mode && p->mode == MODE_AUDIT && p->shield &&
	    !(p->shield->rules.cfg.flags & SHIELD_CFG_SHADOW))
		warn_at(ps, mode,
			"mode: audit is for the rules; the shield section drops packets unless it "
			"says shadow: true");
	n = get(ps, root, "lists");
	if (n && parse_lists(ps, n))
		err = -EINVAL;

	rules = get(ps, root, "rules");
	if (!rules && p->shield)
		return err;
	if (!rules) {
		error_at(ps, root,
			 "the policy has no rules: add 'rules:' with a list of rules (or "
			 "'shield:')");
		return -EINVAL;
	}
	if (rules->type != YAML_SEQUENCE_NODE ||
	    rules->data.sequence.items.top == rules->data.sequence.items.start) {
		error_at(ps, rules, "'rules' must be a non-empty list of rules");
		return -EINVAL;
	}
	p->rules = calloc(rules->data.sequence.items.top - rules->data.sequence.items.start,
			  sizeof(*p->rules));
	if (!p->rules)
		return -ENOMEM;
	for (yaml_node_item_t *i = rules->data.sequence.items.start;
	     i < rules->data.sequence.items.top; i++) {
		struct rule *r = &p->rules[p->n_rules++];

		r->policy = p;
		if (parse_rule(ps, node(ps, *i), r))
			err = -EINVAL;
	}
	return check_ids(ps, p) ?: err;
}

struct policy *policy_parse(const char *buf, size_t len, const char *file, struct diags *d)
{
	struct parser ps = { .file = file, .d = d };
	size_t errors = d->n_errors;
	yaml_parser_t parser;
	struct policy *p;
	yaml_node_t *root;

	p = calloc(1, sizeof(*p));
	if (!p || !(p->file = strdup(file))) {
		diags_add(d, DIAG_ERROR, file, 0, 0, "out of memory");
		free(p);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		diags_add(d, DIAG_ERROR, file, 0, 0, "out of memory");
		policy_free(p);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &ps.doc)) {
		diags_add(d, DIAG_ERROR, file, parser.problem_mark.line + 1,
			  parser.problem_mark.column + 1, "bad YAML: %s%s%s",
			  parser.problem ? parser.problem : "unreadable", parser.context ? " " : "",
			  parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		policy_free(p);
		return NULL;
	}
	root = yaml_document_get_root_node(&ps.doc);
	if (!root)
		diags_add(d, DIAG_ERROR, file, 1, 1,
			  "the file is empty: a policy needs policy: and rules:");
	else if (parse_root(&ps, root, p) && d->n_errors == errors)
		diags_add(d, DIAG_ERROR, file, 0, 0, "out of memory"); /* never half a policy */
	yaml_document_delete(&ps.doc);
	yaml_parser_delete(&parser);
	if (d->n_errors > errors) {
		policy_free(p);
		return NULL;
	}
	return p;
}
