/* SPDX-License-Identifier: GPL-2.0 */
/* The fields a condition can test: their names, value kinds and the events that have them. */
#ifndef VIGIL_POLICY_FIELDS_H
#define VIGIL_POLICY_FIELDS_H

#include <stdbool.h>

#include "events/field.h"
#include "events/format.h"
#include "policy/policy.h"

struct field_def {
	const char *name;
	enum value_kind kind;
	__u64 types;		  /* EVENT_BIT of the event types that have it */
	const char *const *names; /* VAL_NAMES: the name of each bit; VAL_NUMBER: named masks */
	const __u64 *name_bits;	  /* the bits of each name (NULL: bit i) */
	unsigned int n_names;
};

/* The field called @name, or -1. */
int field_lookup(const char *name);
const struct field_def *field_def(int field);

/* Every event type a rule can be on, and the types of a family's events. */
__u64 field_all_types(void);

/*
 * The value of @field in the event @v, built in @buf (FIELD_BUF_SIZE bytes) when needed.
 * False when the event has none. Not for FIELD_PROCESS_ANCESTORS (a list: see match.c).
 */
bool field_get(const struct event_view *v, int field, struct field_value *out, char *buf);

#endif
