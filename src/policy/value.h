/* SPDX-License-Identifier: GPL-2.0 */
/* One condition value: parsed from its text as its field says, and matched against events. */
#ifndef VIGIL_POLICY_VALUE_H
#define VIGIL_POLICY_VALUE_H

#include "policy/fields.h"

/* Parse @text for @f (field id @field); on error return -EINVAL and the reason in @why. */
int value_parse(const struct field_def *f, int field, const char *text, struct value *v, char *why,
		size_t why_len);
void value_free(struct value *v);

/* Does the event's @fv match @v (operator `contains` when @contains)? */
bool value_match(const struct field_def *f, const struct value *v, const struct field_value *fv,
		 bool contains);

/* Whether a value matches: for a truncated path, "maybe" when only the unknown part decides. */
enum match_result {
	MATCH_NO,
	MATCH_MAYBE,
	MATCH_YES,
};

/*
 * Does @v match a path of which only the tail is known (@fv->truncated)? The whole path is
 * longer than VIGIL_PATH_MAX or deeper than VIGIL_PATH_DEPTH_MAX, and ends with the tail.
 */
enum match_result value_match_truncated(const struct value *v, const struct field_value *fv,
					bool contains);
/* Could the path @v names be long or deep enough to be truncated in an event? */
bool path_value_may_be_truncated(const struct value *v);

/*
 * Does every event value that @inner matches also match @outer (same field, operator `in`)?
 * False when not sure: used to find rules that can never match.
 */
bool value_covers(const struct field_def *f, const struct value *outer, const struct value *inner);

#endif
