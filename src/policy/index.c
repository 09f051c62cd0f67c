// SPDX-License-Identifier: GPL-2.0
#include "policy/index.h"
#include "policy/fields.h"
#include "policy/value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct index_entry {
	int field;
	const char *str; /* the rule's value: lives as long as the set */
	size_t len;
	__u64 hash;
	struct rule_list list; /* list.rules NULL: an empty slot */
};

struct rule_index {
	struct index_entry *slots;
	size_t cap, used; /* cap: a power of 2, at most half used */
	struct rule_list rest[64];
	int fields[64][FIELD_COUNT];
	size_t n_fields[64];
	__u64 mark;
};

static __u64 hash_of(int field, const char *s, size_t len)
{
	__u64 h = 14695981039346656037ull ^ (__u64)field;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static int list_add(struct rule_list *l, struct rule *r)
{
	struct rule **more;

	if (l->n && l->rules[l->n - 1] == r)
		return 0; /* the same value twice in one condition */
	if (!(l->n & (l->n - 1))) {
		more = realloc(l->rules, (l->n ? 2 * l->n : 1) * sizeof(*more));
		if (!more)
			return -ENOMEM;
		l->rules = more;
	}
	l->rules[l->n++] = r;
	return 0;
}

static struct index_entry *slot_of(const struct rule_index *ix, int field, const char *s,
				   size_t len, __u64 hash)
{
	size_t i = hash & (ix->cap - 1);

	for (;; i = (i + 1) & (ix->cap - 1)) {
		struct index_entry *e = &ix->slots[i];

		if (!e->list.rules || (e->hash == hash && e->field == field && e->len == len &&
				       !memcmp(e->str, s, len)))
			return e;
	}
}

static int grow(struct rule_index *ix)
{
	struct index_entry *old = ix->slots;
	size_t old_cap = ix->cap;

	ix->cap = old_cap ? 2 * old_cap : 64;
	ix->slots = calloc(ix->cap, sizeof(*ix->slots));
	if (!ix->slots) {
		ix->slots = old;
		ix->cap = old_cap;
		return -ENOMEM;
	}
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].list.rules)
			*slot_of(ix, old[i].field, old[i].str, old[i].len, old[i].hash) = old[i];
	free(old);
	return 0;
}

static int add_value(struct rule_index *ix, int field, const char *s, struct rule *r)
{
	size_t len = strlen(s);
	__u64 hash = hash_of(field, s, len);
	struct index_entry *e;

	if (2 * (ix->used + 1) > ix->cap && grow(ix))
		return -ENOMEM;
	e = slot_of(ix, field, s, len, hash);
	if (!e->list.rules) {
		*e = (struct index_entry){ field, s, len, hash, { NULL, 0 } };
		ix->used++;
	}
	return list_add(&e->list, r);
}

/* Every value of @c is compared whole (no glob, subtree, substring or number)? */
static bool exact_only(const struct cond *c)
{
	const struct field_def *f = field_def(c->field);

	if (c->op != OP_IN || c->field == FIELD_PROCESS_ANCESTORS ||
	    (f->kind != VAL_PATH && f->kind != VAL_STRING))
		return false;
	/* a path so long that events may carry only its tail is looked for in them all */
	for (size_t i = 0; i < c->n_values; i++)
		if (f->kind == VAL_PATH ? c->values[i].path_form != PATH_EXACT ||
						  path_value_may_be_truncated(&c->values[i])
					: c->values[i].is_glob)
			return false;
	return true;
}

/* The condition to index @r by: file.path when it can, else the first that can be; or NULL. */
static const struct cond *index_cond(const struct rule *r)
{
	const struct cond *best = NULL;

	for (size_t i = 0; i < r->match.n_conds; i++) {
		const struct cond *c = &r->match.conds[i];

		if (!exact_only(c))
			continue;
		if (c->field == FIELD_FILE_PATH)
			return c;
		if (!best)
			best = c;
	}
	return best;
}

static void add_field(struct rule_index *ix, unsigned int type, int field)
{
	for (size_t i = 0; i < ix->n_fields[type]; i++)
		if (ix->fields[type][i] == field)
			return;
	ix->fields[type][ix->n_fields[type]++] = field;
}

int rule_index_build(struct policy_set *s)
{
	struct rule_index *ix = calloc(1, sizeof(*ix));
	int err = 0;

	if (!ix)
		return -ENOMEM;
	for (unsigned int t = 0; t < 64 && !err; t++)
		for (size_t i = 0; i < s->n_by_type[t] && !err; i++) {
			struct rule *r = s->by_type[t][i];
			const struct cond *c = index_cond(r);

			if (!c) {
				err = list_add(&ix->rest[t], r);
				continue;
			}
			add_field(ix, t, c->field);
			/* a rule on several types is indexed once, by its first type */
			if (t != (unsigned int)__builtin_ctzll(r->types))
				continue;
			for (size_t j = 0; j < c->n_values && !err; j++)
				err = add_value(ix, c->field, c->values[j].str, r);
		}
	if (err) {
		rule_index_free(ix);
		return err;
	}
	rule_index_free(s->index);
	s->index = ix;
	return 0;
}

void rule_index_free(struct rule_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->cap; i++)
		free(ix->slots[i].list.rules);
	free(ix->slots);
	for (unsigned int t = 0; t < 64; t++)
		free(ix->rest[t].rules);
	free(ix);
}

const struct rule_list *rule_index_rest(const struct rule_index *ix, unsigned int type)
{
	return &ix->rest[type];
}

const int *rule_index_fields(const struct rule_index *ix, unsigned int type, size_t *n)
{
	*n = ix->n_fields[type];
	return ix->fields[type];
}

const struct rule_list *rule_index_lookup(const struct rule_index *ix, int field, const char *str,
					  size_t len)
{
	const struct index_entry *e;

	if (!ix->cap)
		return NULL;
	e = slot_of(ix, field, str, len, hash_of(field, str, len));
	return e->list.rules ? &e->list : NULL;
}

__u64 rule_index_next_mark(struct rule_index *ix)
{
	return ++ix->mark;
}
