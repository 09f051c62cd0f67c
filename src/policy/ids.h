/* SPDX-License-Identifier: GPL-2.0 */
/* Rule ids used more than once, found by sorting: ten thousand rules are checked at once. */
#ifndef VIGIL_POLICY_IDS_H
#define VIGIL_POLICY_IDS_H

#include "policy/policy.h"

/*
 * For each of the @n rules, in order: the first earlier rule with the same id, or NULL (in
 * @first, @n entries). Rules without an id are skipped. 0 or -ENOMEM.
 */
int rules_first_same_id(struct rule *const *rules, size_t n, const struct rule **first);

#endif
