/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User and group names for the ids events carry, looked up through NSS (getpwuid_r,
 * getgrgid_r) once and kept in a small table: a failed lookup is kept too, so an id without a
 * name costs one lookup, not one per event. Bounded: IDNAMES_SLOTS entries, the least recently
 * used of a set evicted; an entry is looked up again after IDNAMES_TTL_NS.
 */
#ifndef VIGIL_EVENTS_IDNAMES_H
#define VIGIL_EVENTS_IDNAMES_H

#include "vigil/types.h"

#define IDNAMES_SETS	 64
#define IDNAMES_WAYS	 4
#define IDNAMES_SLOTS	 (IDNAMES_SETS * IDNAMES_WAYS)
#define IDNAMES_TTL_NS	 (600ull * 1000000000ull) /* users renamed or added later show up */
#define IDNAMES_NAME_MAX 256			  /* longer names are shown as none */

enum idnames_kind {
	IDNAMES_USERS,
	IDNAMES_GROUPS,
};

struct idnames;

struct idnames *idnames_new(enum idnames_kind kind);
void idnames_free(struct idnames *c);

/*
 * The name of @id, or NULL when it has none (no such user or group, or NSS failed). @now_ns is
 * the caller's clock (the event's time), so that a hit costs no system call. The string lives
 * until the next call.
 */
const char *idnames_get(struct idnames *c, __u32 id, __u64 now_ns);

/* How many NSS lookups were made: what the cache saved is visible to tests. */
__u64 idnames_lookups(const struct idnames *c);

#endif
