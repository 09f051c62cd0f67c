// SPDX-License-Identifier: GPL-2.0
#include "policy/match.h"
#include "policy/fields.h"
#include "policy/index.h"
#include "policy/value.h"

#include <stdlib.h>
#include <string.h>

struct cached_field {
	__u64 event; /* the event it was read for (match_cache.event) */
	bool present;
	struct field_value value;
	char *buf; /* FIELD_BUF_SIZE, allocated on first use */
};

struct match_cache {
	__u64 event; /* counts events: cached values of an older one are stale */
	struct cached_field fields[FIELD_COUNT];
};

struct match_cache *match_cache_new(void)
{
	struct match_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->event = 1; /* fields start at 0: never read */
	return c;
}

void match_cache_free(struct match_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < FIELD_COUNT; i++)
		free(c->fields[i].buf);
	free(c);
}

/* The field's value for @v, read once per event. */
static const struct field_value *value_of(struct match_cache *c, const struct event_view *v,
					  int field)
{
	struct cached_field *cf = &c->fields[field];

	if (cf->event != c->event) {
		if (!cf->buf && !(cf->buf = malloc(FIELD_BUF_SIZE)))
			return NULL;
		cf->event = c->event;
		cf->present = field_get(v, field, &cf->value, cf->buf);
	}
	return cf->present ? &cf->value : NULL;
}

/* Does any value of @c match @fv? A truncated path may leave it open ("maybe"). */
static enum match_result any_value(const struct cond *c, const struct field_value *fv)
{
	const struct field_def *f = field_def(c->field);
	enum match_result best = MATCH_NO, m;

	for (size_t i = 0; i < c->n_values; i++) {
		if (fv->truncated && f->kind == VAL_PATH)
			m = value_match_truncated(&c->values[i], fv, c->op == OP_CONTAINS);
		else
			m = value_match(f, &c->values[i], fv, c->op == OP_CONTAINS) ? MATCH_YES
										    : MATCH_NO;
		if (m == MATCH_YES)
			return m;
		if (m == MATCH_MAYBE)
			best = m;
	}
	return best;
}

/* process.ancestors: does any ancestor's exe match any value? */
static enum match_result any_ancestor(const struct cond *c, const struct event_view *v)
{
	const struct proc *anc[VIEW_MAX_ANCESTORS];
	enum match_result best = MATCH_NO, m;
	size_t n;

	if (!v->proc || !v->procs)
		return MATCH_NO;
	n = proctab_ancestors(v->procs, v->proc, anc, VIEW_MAX_ANCESTORS);
	for (size_t i = 0; i < n; i++) {
		struct field_value fv = { .str = anc[i]->exe,
					  .len = strlen(anc[i]->exe),
					  .truncated = anc[i]->exe_truncated };

		m = fv.len ? any_value(c, &fv) : MATCH_NO;
		if (m == MATCH_YES)
			return m;
		if (m == MATCH_MAYBE)
			best = m;
	}
	return best;
}

/* A hard link to a file a rule names is that file: the kernel gave its (dev, inode). */
static bool alias_matches(const struct cond *c, struct match_cache *mc, const struct event_view *v,
			  const struct policy_set *s)
{
	const struct field_value *id = value_of(mc, v, FIELD_FILE_INODE);
	struct field_value alias = { 0 };

	if (!id || !s || !(alias.str = policy_set_alias(s, id->bits, id->num)))
		return false;
	alias.len = strlen(alias.str);
	return any_value(c, &alias) == MATCH_YES;
}

static enum match_result cond_holds(const struct cond *c, struct match_cache *mc,
				    const struct event_view *v, const struct policy_set *s)
{
	const struct field_value *fv;
	enum match_result hit;

	if (c->field == FIELD_PROCESS_ANCESTORS) {
		hit = any_ancestor(c, v);
	} else {
		fv = value_of(mc, v, c->field);
		/* an unknown value matches no value: `not` holds, the others do not */
		hit = fv ? any_value(c, fv) : MATCH_NO;
		if (hit != MATCH_YES && c->field == FIELD_FILE_PATH && alias_matches(c, mc, v, s))
			hit = MATCH_YES;
	}
	if (c->op != OP_NOT || hit == MATCH_MAYBE)
		return hit;
	return hit == MATCH_YES ? MATCH_NO : MATCH_YES;
}

/*
 * Does @g hold? "maybe" when it holds only if a truncated path's unknown part allows: the
 * field of such a condition goes to *unsure.
 */
static enum match_result group_holds(const struct cond_group *g, struct match_cache *mc,
				     const struct event_view *v, const struct policy_set *s,
				     int *unsure)
{
	enum match_result all = MATCH_YES;

	for (size_t i = 0; i < g->n_conds; i++) {
		enum match_result h = cond_holds(&g->conds[i], mc, v, s);

		if (h == MATCH_NO)
			return h;
		if (h == MATCH_MAYBE) {
			all = h;
			*unsure = g->conds[i].field;
		}
	}
	return all;
}

/*
 * A truncated path errs toward the rule: a match that is only "maybe" fires, an exception that
 * is only "maybe" does not spare the event. *unsure: the field that decided so, or -1.
 */
static bool rule_holds(const struct rule *r, struct match_cache *c, const struct event_view *v,
		       const struct policy_set *s, int *unsure)
{
	int field = -1;

	*unsure = -1;
	if (!(r->types & (1ull << v->ev->type)) || !group_holds(&r->match, c, v, s, &field))
		return false;
	for (size_t i = 0; i < r->n_excepts; i++) {
		int except_field = -1;
		enum match_result h = group_holds(&r->excepts[i], c, v, s, &except_field);

		if (h == MATCH_YES)
			return false;
		if (h == MATCH_MAYBE)
			field = except_field;
	}
	*unsure = field;
	return true;
}

bool rule_matches(const struct rule *r, struct match_cache *c, const struct event_view *v)
{
	int unsure;

	c->event++;
	return rule_holds(r, c, v, NULL, &unsure);
}

/* Rank: severity, then action (kill > deny > alert), then enforcing over auditing. */
static int strength(const struct rule *r)
{
	int action = r->action == ACTION_KILL ? 2 : r->action == ACTION_DENY ? 1 : 0;

	return r->severity * 8 + action * 2 + (r->policy->mode == MODE_ENFORCE);
}

/* Does @r decide over @best? The stronger does; of equals, the first loaded. */
static bool decides_over(const struct rule *r, const struct rule *best)
{
	return !best || strength(r) > strength(best) ||
	       (strength(r) == strength(best) && r->seq < best->seq);
}

struct visit {
	const struct policy_set *s;
	struct match_cache *c;
	const struct event_view *v;
	__u64 mark;
	struct rule *best;
	int best_unsure; /* the truncated field that made best match, or -1 */
};

static void visit_list(struct visit *vi, const struct rule_list *l)
{
	int unsure;

	for (size_t i = 0; l && i < l->n; i++) {
		struct rule *r = l->rules[i];

		if (r->mark == vi->mark)
			continue;
		r->mark = vi->mark;
		if (!rule_holds(r, vi->c, vi->v, vi->s, &unsure))
			continue;
		r->hits++;
		if (decides_over(r, vi->best)) {
			vi->best = r;
			vi->best_unsure = unsure;
		}
	}
}

/* The rules indexed by the event's value of @field (and, for file.path, by its alias). */
static void visit_indexed(struct visit *vi, int field)
{
	const struct rule_index *ix = vi->s->index;
	const struct field_value *fv = value_of(vi->c, vi->v, field);
	const struct field_value *id;
	const char *alias;

	if (fv)
		visit_list(vi, rule_index_lookup(ix, field, fv->str, fv->len));
	if (field != FIELD_FILE_PATH || !(id = value_of(vi->c, vi->v, FIELD_FILE_INODE)))
		return;
	alias = policy_set_alias(vi->s, id->bits, id->num);
	if (alias)
		visit_list(vi, rule_index_lookup(ix, field, alias, strlen(alias)));
}

/* Is @cgroup ("/a/b") @scope ("/a/") or beneath it? An unknown cgroup is not. */
static bool in_scope(const char *cgroup, const char *scope)
{
	size_t len = strlen(scope) - 1; /* without its final '/' */

	return cgroup && !strncmp(cgroup, scope, len) && (!cgroup[len] || cgroup[len] == '/');
}

struct rule *policy_match(const struct policy_set *s, struct match_cache *c,
			  const struct event_view *v, int *unsure)
{
	unsigned int type = v->ev->type;
	struct visit vi = { .s = s, .c = c, .v = v, .best_unsure = -1 };
	const int *fields;
	size_t n;

	if (!s || type >= 64 || !s->n_by_type[type] || (s->scope && !in_scope(v->cgroup, s->scope)))
		return NULL;
	c->event++;
	vi.mark = rule_index_next_mark(s->index);
	visit_list(&vi, rule_index_rest(s->index, type));
	fields = rule_index_fields(s->index, type, &n);
	for (size_t i = 0; i < n; i++)
		visit_indexed(&vi, fields[i]);
	if (unsure)
		*unsure = vi.best_unsure;
	return vi.best;
}
