// SPDX-License-Identifier: GPL-2.0
#include "events/aggregate.h"
#include "vigil/ev_file.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

/* What user space knows of one kernel aggregation key. */
struct agg_entry {
	__u64 key;
	__u64 counted; /* the kernel total up to which folded opens are in the stream */
	/* CLOCK_BOOTTIME of the last reported open, where the kernel's window began (its own
	 * clock is coarse and kernel-only) */
	__u64 window_start;
	bool seen; /* still in the kernel map at the last flush */
	size_t size, cap;
	void *record; /* the last reported record, to describe a summary */
	bool shown;   /* what became of it */
	struct event_verdict *verdict;
	struct agg_entry *next;
};

struct aggregate {
	struct agg_entry *buckets[BUCKETS];
};

struct aggregate *aggregate_new(void)
{
	return calloc(1, sizeof(struct aggregate));
}

static void entry_free(struct agg_entry *e)
{
	free(e->record);
	verdict_free(e->verdict);
	free(e);
}

void aggregate_free(struct aggregate *a)
{
	if (!a)
		return;
	for (size_t b = 0; b < BUCKETS; b++)
		while (a->buckets[b]) {
			struct agg_entry *e = a->buckets[b];

			a->buckets[b] = e->next;
			entry_free(e);
		}
	free(a);
}

static struct agg_entry **slot(struct aggregate *a, __u64 key)
{
	struct agg_entry **pp = &a->buckets[(key >> 1) % BUCKETS];

	while (*pp && (*pp)->key != key)
		pp = &(*pp)->next;
	return pp;
}

__u64 aggregate_on_event(struct aggregate *a, const struct event *ev)
{
	const struct vigil_file_event *r = ev->raw;
	struct agg_entry **pp, *e;
	__u64 from, repeats;
	void *copy;

	if (ev->type != VIGIL_EV_OPEN || !r->agg_key)
		return 0;
	pp = slot(a, r->agg_key);
	e = *pp;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return r->agg_total - r->agg_reported;
		e->key = r->agg_key;
		*pp = e;
	}
	/* What a summary already put in the stream is not counted again. */
	from = r->agg_reported > e->counted ? r->agg_reported : e->counted;
	repeats = r->agg_total > from ? r->agg_total - from : 0;
	if (r->agg_total > e->counted)
		e->counted = r->agg_total;
	e->window_start = r->hdr.time_ns;
	/* Keep the record to describe a later summary; its buffer only ever grows. */
	if (ev->raw_size > e->cap) {
		copy = realloc(e->record, ev->raw_size);
		if (!copy)
			return repeats;
		e->record = copy;
		e->cap = ev->raw_size;
	}
	memcpy(e->record, ev->raw, ev->raw_size);
	e->size = ev->raw_size;
	return repeats;
}

void aggregate_note_outcome(struct aggregate *a, const struct event *ev, bool shown,
			    const struct event_verdict *verdict)
{
	const struct vigil_file_event *r = ev->raw;
	struct agg_entry *e;

	if (ev->type != VIGIL_EV_OPEN || !r->agg_key || !(e = *slot(a, r->agg_key)))
		return;
	e->shown = shown;
	verdict_free(e->verdict);
	e->verdict = verdict ? verdict_dup(verdict) : NULL;
}

int aggregate_flush(struct aggregate *a, int map_fd, __u64 now_ns, __u64 window_ns,
		    aggregate_emit_fn emit, void *ctx)
{
	struct vigil_file_agg v;
	__u64 key, next, *prev = NULL;
	struct agg_entry **pp, *e;

	for (size_t b = 0; b < BUCKETS; b++)
		for (e = a->buckets[b]; e; e = e->next)
			e->seen = false;
	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &v))
			continue;
		e = *slot(a, key);
		if (!e)
			continue;
		e->seen = true;
		if (v.total > e->counted && v.total > v.reported &&
		    now_ns - e->window_start >= window_ns && e->record) {
			struct vigil_file_event *r = e->record;
			__u64 from = v.reported > e->counted ? v.reported : e->counted;

			r->hdr.time_ns = now_ns;
			r->hdr.flags |= VIGIL_FILE_SUMMARY;
			emit(ctx, r, e->size, v.total - from, e->shown, e->verdict);
			r->hdr.flags &= ~VIGIL_FILE_SUMMARY;
			e->counted = v.total;
		}
	}
	if (errno != ENOENT && prev)
		return -errno;
	/* Keys the kernel's LRU evicted: forget them too, so this stays bounded. */
	for (size_t b = 0; b < BUCKETS; b++) {
		pp = &a->buckets[b];
		while (*pp) {
			e = *pp;
			if (!e->seen) {
				*pp = e->next;
				entry_free(e);
			} else {
				pp = &e->next;
			}
		}
	}
	return 0;
}
