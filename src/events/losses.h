/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel could not send, and why: by event type, and by uid (vigil/budget.h). The
 * sensors read the kernel's counters into a snapshot; the stream keeps the totals since start
 * (a uid's kernel counters may be forgotten by its LRU map) and reports what is new.
 */
#ifndef VIGIL_EVENTS_LOSSES_H
#define VIGIL_EVENTS_LOSSES_H

#include <stddef.h>

#include "vigil/events.h"

/* Uids kept apart; the others are summed in the last slot, uid LOSSES_OTHER_UIDS. */
#define LOSSES_UIDS_MAX	  64
#define LOSSES_OTHER_UIDS ((__u32)-1)

struct uid_losses {
	__u32 uid;
	__u64 throttled; /* over the uid's budget */
	__u64 ring_full; /* no room in the ring buffer */
	__u64 types;	 /* 1 << type of each type it lost */
};

struct losses {
	__u64 total;			    /* every record lost */
	__u64 ring_full[VIGIL_EV_TYPE_MAX]; /* by type: no room in the ring buffer */
	__u64 throttled[VIGIL_EV_TYPE_MAX]; /* by type: over their uid's budget */
	size_t n_uids;
	struct uid_losses uids[LOSSES_UIDS_MAX];
};

/* @uid's entry in @l, added (zero) when missing; past LOSSES_UIDS_MAX, the "others" entry. */
struct uid_losses *losses_uid(struct losses *l, __u32 uid);
/*
 * Fold the kernel's snapshot @now into the totals @total, @prev being the snapshot before it: a
 * uid whose counters went down was forgotten and counted again from 0 by the kernel.
 */
void losses_accumulate(struct losses *total, const struct losses *prev, const struct losses *now);
/* @to minus @from: what is new since @from was taken. */
void losses_since(const struct losses *to, const struct losses *from, struct losses *out);
/* Records throttled (over a uid's budget) in @l, and those that found no room. */
__u64 losses_throttled(const struct losses *l);
__u64 losses_ring_full(const struct losses *l);
/* "open 120, connect 3" (the largest first, at most @max types): @buf, for messages. */
const char *losses_types_text(const struct losses *l, size_t max, char *buf, size_t len);
/* "uid 65534 120, uid 33 3" (the largest first, at most @max uids) */
const char *losses_uids_text(const struct losses *l, size_t max, char *buf, size_t len);
/* For people: "N over a uid's budget, M with the ring buffer full; by type: ...; by uid: ..." */
const char *losses_text(const struct losses *l, char *buf, size_t len);

#endif
