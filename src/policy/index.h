/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rules of a set indexed by an exact value they require, so that an event visits only the
 * rules that can match it: those whose indexed value is the event's, and those with nothing to
 * index (globs, subtrees, numbers, no `field: values` condition).
 */
#ifndef VIGIL_POLICY_INDEX_H
#define VIGIL_POLICY_INDEX_H

#include "policy/policy.h"

struct rule_list {
	struct rule **rules; /* in load order */
	size_t n;
};

/* Index the rules of @s by event type (s->by_type must be built). 0 or -ENOMEM. */
int rule_index_build(struct policy_set *s);
void rule_index_free(struct rule_index *ix);

/* The rules on @type that no exact value indexes: every event of the type visits them. */
const struct rule_list *rule_index_rest(const struct rule_index *ix, unsigned int type);
/* The fields rules on @type are indexed by; *n of them. */
const int *rule_index_fields(const struct rule_index *ix, unsigned int type, size_t *n);
/* The rules that require @field to be exactly @str (@len bytes), or NULL. */
const struct rule_list *rule_index_lookup(const struct rule_index *ix, int field, const char *str,
					  size_t len);
/* A new mark for the rules one event visits (so that none is judged twice). */
__u64 rule_index_next_mark(struct rule_index *ix);

#endif
