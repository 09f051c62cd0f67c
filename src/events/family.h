/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sensor families beyond the process lifecycle (file, network, privilege, kernel). A family
 * owns a range of event types and knows how to check its records and print them; the stream,
 * decoder and formatters stay generic. Add a family: write one of these in
 * src/events/family_<name>.c and list it in families.c.
 */
#ifndef VIGIL_EVENTS_FAMILY_H
#define VIGIL_EVENTS_FAMILY_H

#include <stdbool.h>
#include <stdio.h>

#include "events/event.h"
#include "events/field.h"

struct event_family {
	const char *name;
	unsigned int first, last;      /* inclusive */
	const char *const *type_names; /* indexed by type - first; NULL for unused */
	/*
	 * Check a record of one of its types; ev->raw and ev->task are set and the record holds
	 * at least a header and a task. Return 0 or -EINVAL; a record that passes must be safe
	 * for json() and text() to read whole.
	 */
	int (*decode)(struct event *ev);
	/* Append the family's JSON members, each written as ,"key":value. */
	void (*json)(FILE *out, const struct event *ev);
	/* Write the text DETAILS column (escape what processes control with text_bytes). */
	void (*text)(FILE *out, const struct event *ev);
	/*
	 * The value of one of its fields (events/field.h) for policy conditions, built in @buf
	 * (FIELD_BUF_SIZE bytes) when it must be. Returns false when the event has none.
	 */
	bool (*field)(const struct event *ev, enum field_id id, struct field_value *out, char *buf);
};

/* The family that owns @type, or NULL. */
const struct event_family *event_family_of(unsigned int type);

#endif
