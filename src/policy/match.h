/* SPDX-License-Identifier: GPL-2.0 */
/* Matching events against the loaded rules, in user space: what the kernel could not decide. */
#ifndef VIGIL_POLICY_MATCH_H
#define VIGIL_POLICY_MATCH_H

#include "events/format.h"
#include "policy/policy.h"

/* Room for the field values of one event (paths and arguments are built once per event). */
struct match_cache;

struct match_cache *match_cache_new(void);
void match_cache_free(struct match_cache *c);

/*
 * The rule that decides event @v: of those that match, the most severe, then the one with the
 * strongest action. Counts a hit on every rule that matched. NULL when none did. A condition on
 * a truncated path that its unknown part could decide counts as met (and an exception as not):
 * *@unsure (when not NULL) is then the field (enum field_id), else -1.
 */
struct rule *policy_match(const struct policy_set *s, struct match_cache *c,
			  const struct event_view *v, int *unsure);

/* Does @r match @v? (One rule, no hit counted: for tests and explain.) */
bool rule_matches(const struct rule *r, struct match_cache *c, const struct event_view *v);

#endif
