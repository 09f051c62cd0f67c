// SPDX-License-Identifier: GPL-2.0
#include "events/aggregate.h"
#include "vigil/ev_file.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096
/* Reads of its slot that may find a key gone before it is forgotten: its slot was taken over,
 * and the record that says so (agg_evicted_*) is normally read well before. */
#define UNSEEN_READS 3
/* A key whose counts are final is read only every this many flushes, to see if it is gone. */
#define FINAL_EVERY 10
/* The kernel's windows run on its tick: past this much longer, they have surely ended. */
#define TICK_MARGIN_NS 50000000ull

/* What user space knows of one kernel aggregation key. */
struct agg_entry {
	__u64 key;
	__u64 counted; /* the kernel total up to which folded opens are in the stream */
	/* CLOCK_BOOTTIME of the last reported open, where the kernel's window began (its own
	 * clock is coarse and kernel-only) */
	__u64 window_start;
	unsigned int unseen; /* reads of its slot since it was last there */
	/* read after the kernel's window ended: nothing more folds until the next report */
	bool final;
	size_t size, cap;
	void *record; /* the last reported record, to describe a summary */
	bool shown;   /* what became of it */
	struct event_verdict *verdict;
	struct agg_entry *next;
};

struct aggregate {
	struct agg_entry *buckets[BUCKETS];
	unsigned int flushes;
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

/* Emit a summary of what @e's key folded up to @total beyond what the stream has. */
static void summarize(struct agg_entry *e, __u64 total, __u64 reported, __u64 now_ns,
		      aggregate_emit_fn emit, void *ctx)
{
	struct vigil_file_event *r = e->record;
	__u64 from = reported > e->counted ? reported : e->counted;

	if (!r || total <= from)
		return;
	r->hdr.time_ns = now_ns;
	r->hdr.flags |= VIGIL_FILE_SUMMARY;
	emit(ctx, r, e->size, total - from, e->shown, e->verdict);
	r->hdr.flags &= ~VIGIL_FILE_SUMMARY;
	e->counted = total;
}

static void forget(struct agg_entry **pp)
{
	struct agg_entry *e = *pp;

	*pp = e->next;
	entry_free(e);
}

__u64 aggregate_on_event(struct aggregate *a, const struct event *ev, aggregate_emit_fn emit,
			 void *ctx)
{
	const struct vigil_file_event *r = ev->raw;
	struct agg_entry **pp, *e;
	__u64 from, repeats;
	void *copy;

	if (ev->type != VIGIL_EV_OPEN || !r->agg_key)
		return 0;
	/* This open took over another key's slot: what that key folded ends here. */
	if (r->agg_evicted_key && *(pp = slot(a, r->agg_evicted_key))) {
		summarize(*pp, r->agg_evicted_total, r->agg_evicted_reported, r->hdr.time_ns, emit,
			  ctx);
		forget(pp);
	}
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
	e->final = false;
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
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	bool all = !window_ns || ++a->flushes % FINAL_EVERY == 0;
	const struct vigil_file_agg *v;
	struct vigil_file_agg *cpus;
	struct agg_entry **pp, *e;
	__u32 idx;

	if (ncpu < 0)
		return ncpu;
	cpus = calloc(ncpu, sizeof(*cpus));
	if (!cpus)
		return -ENOMEM;
	for (size_t b = 0; b < BUCKETS; b++) {
		pp = &a->buckets[b];
		while ((e = *pp)) {
			if (e->final && !all) {
				pp = &e->next;
				continue;
			}
			idx = VIGIL_OPEN_AGG_SLOT(e->key);
			if (bpf_map_lookup_elem(map_fd, &idx, cpus)) {
				err = -errno;
				goto out;
			}
			v = NULL;
			for (int c = 0; c < ncpu && !v; c++)
				if (cpus[c].key == e->key && cpus[c].key_end == e->key)
					v = &cpus[c];
			if (!v) {
				/* taken over: forgotten when the record that says so comes */
				if (++e->unseen >= UNSEEN_READS) {
					forget(pp);
					continue;
				}
			} else {
				e->unseen = 0;
				if (now_ns - e->window_start >= window_ns)
					summarize(e, v->total, v->reported, now_ns, emit, ctx);
				if (now_ns - e->window_start >= window_ns + TICK_MARGIN_NS)
					e->final = true;
			}
			pp = &e->next;
		}
	}
out:
	free(cpus);
	return err;
}
