// SPDX-License-Identifier: GPL-2.0
/*
 * The latency histograms the agent keeps on (vigil run --histograms), as Prometheus
 * histograms: cumulative buckets whose `le` is a log2 slot's upper bound in seconds (or bytes),
 * _sum and _count, from the kernel's cumulative counts at each scrape.
 */
#include "core/log.h"
#include "export/collectors.h"
#include "perf/names.h"
#include "perf/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The last slot takes everything above: it is in +Inf alone. */
#define BUCKETS (VIGIL_LAT_SLOTS - 1)

int latency_metrics_open(struct latency_metrics *lm, unsigned int targets, const char *who)
{
	memset(lm, 0, sizeof(*lm));
	for (int t = 0; t < LAT_TARGET_COUNT; t++) {
		struct lat_config cfg = {
			.target = t,
			.group = t == LAT_BLOCK ? VIGIL_LAT_BY_DISK : VIGIL_LAT_BY_NONE,
			.unit_ns = 1,
		};
		int err;

		if (!(targets & (1u << t)))
			continue;
		err = lat_open(&cfg, &lm->s[t]);
		if (err == -ENOMEM)
			return err;
		if (err)
			pr_warn(who, "no %s histograms: %s (vigil latency %s -v says why)",
				lat_target_name(t), strerror(-err), lat_target_name(t));
		else
			pr_info(who, "keeping %s histograms (%s)", lat_target_name(t),
				lat_mode(lm->s[t]));
	}
	return 0;
}

void latency_metrics_close(struct latency_metrics *lm)
{
	for (int t = 0; t < LAT_TARGET_COUNT; t++)
		lat_close(lm->s[t]);
	memset(lm, 0, sizeof(*lm));
}

struct family_desc {
	const char *name, *help;
	bool bytes; /* sizes, not times */
};

static const struct family_desc families[VIGIL_LAT_KIND_COUNT] = {
	[VIGIL_LAT_RUNQ] = { "vigil_runq_latency_seconds",
			     "Run-queue latency: from a task's wakeup or preemption to running" },
	[VIGIL_LAT_SYSCALL] = { "vigil_syscall_latency_seconds",
				"Syscall latency, entry to exit, by syscall" },
	[VIGIL_LAT_BLK_DEVICE] = { "vigil_block_device_seconds",
				   "Block I/O time on the device, issue to completion, by disk and "
				   "operation" },
	[VIGIL_LAT_BLK_QUEUE] = { "vigil_block_queue_seconds",
				  "Block I/O time queued in the kernel before issue, by disk and "
				  "operation" },
	[VIGIL_LAT_BLK_SIZE] = { "vigil_block_request_bytes",
				 "Block I/O request sizes, by disk and operation", true },
	[VIGIL_LAT_TCP_LIFE] = { "vigil_tcp_connection_duration_seconds",
				 "TCP connection lifetimes, first state change to close" },
	[VIGIL_LAT_TCP_RX] = { "vigil_tcp_connection_received_bytes",
			       "Bytes each TCP connection received over its life", true },
	[VIGIL_LAT_TCP_TX] = { "vigil_tcp_connection_sent_bytes",
			       "Bytes each TCP connection sent and had acknowledged over its life",
			       true },
	[VIGIL_LAT_HARDIRQ] = { "vigil_hardirq_seconds", "Time in hard irq handlers, by irq" },
	[VIGIL_LAT_SOFTIRQ] = { "vigil_softirq_seconds", "Time in softirqs, by vector" },
	[VIGIL_LAT_OFFCPU] = { "vigil_offcpu_seconds",
			       "Time blocked, switched out not runnable to running, by reason" },
};

/* The irq's, softirq vector's or disk's name, found once. */
static const char *cached_name(struct latency_metrics *lm, const struct lat_entry *e)
{
	uint64_t id = e->key.kind == VIGIL_LAT_HARDIRQ || e->key.kind == VIGIL_LAT_SOFTIRQ
			      ? e->key.id
			      : e->key.group;
	uint64_t key = (uint64_t)e->key.kind << 56 | (id & ((1ULL << 56) - 1));
	char *name;

	for (size_t i = 0; i < lm->n_names; i++)
		if (lm->names[i].key == key)
			return lm->names[i].name;
	/* full: the last slot is found again each time */
	if (lm->n_names < sizeof(lm->names) / sizeof(lm->names[0]))
		lm->n_names++;
	lm->names[lm->n_names - 1].key = key;
	name = lm->names[lm->n_names - 1].name;
	if (e->key.kind == VIGIL_LAT_HARDIRQ)
		return irq_name(e->key.id, name, sizeof(lm->names[0].name));
	if (e->key.kind == VIGIL_LAT_SOFTIRQ)
		return softirq_name(e->key.id, name, sizeof(lm->names[0].name));
	return disk_name(e->key.group, name, sizeof(lm->names[0].name));
}

/* Slot i holds the integer values up to 2^(i+1) - 1 (in ns or bytes): its `le`. */
static void bucket_bounds(double *le, bool bytes)
{
	for (int i = 0; i < BUCKETS; i++)
		le[i] = bytes ? (double)((2ULL << i) - 1) : (double)((2ULL << i) - 1) / 1e9;
}

static void one_histogram(struct metrics_batch *b, struct latency_metrics *lm,
			  const struct lat_entry *e, const double *le_time, const double *le_bytes)
{
	const struct family_desc *f = &families[e->key.kind];
	uint64_t cum[BUCKETS], run = 0;
	struct metrics_hist h = {
		.le = f->bytes ? le_bytes : le_time,
		.cumulative = cum,
		.n = BUCKETS,
		.sum = f->bytes ? (double)e->hist.sum : (double)e->hist.sum / 1e9,
		.count = e->hist.count,
	};
	const char *label;
	char name[64];

	if (!f->name)
		return;
	for (int i = 0; i < BUCKETS; i++)
		cum[i] = run += e->hist.slots[i];
	switch (e->key.kind) {
	case VIGIL_LAT_SYSCALL:
		label = syscall_name(e->key.id, name, sizeof(name));
		metrics_histogram(b, f->name, f->help, &h, "syscall", label, NULL);
		metrics_counter(b, "vigil_syscall_errors_total",
				"Syscalls that returned an error, by syscall", e->hist.errors,
				"syscall", label, NULL);
		break;
	case VIGIL_LAT_BLK_DEVICE:
	case VIGIL_LAT_BLK_QUEUE:
	case VIGIL_LAT_BLK_SIZE:
		label = cached_name(lm, e);
		metrics_histogram(b, f->name, f->help, &h, "disk", label, "op",
				  lat_op_name(e->key.op), NULL);
		if (e->key.kind == VIGIL_LAT_BLK_DEVICE)
			metrics_counter(b, "vigil_block_errors_total",
					"Block I/O requests that failed, by disk and operation",
					e->hist.errors, "disk", label, "op", lat_op_name(e->key.op),
					NULL);
		break;
	case VIGIL_LAT_HARDIRQ:
		metrics_histogram(b, f->name, f->help, &h, "irq", cached_name(lm, e), NULL);
		break;
	case VIGIL_LAT_SOFTIRQ:
		metrics_histogram(b, f->name, f->help, &h, "vector", cached_name(lm, e), NULL);
		break;
	case VIGIL_LAT_OFFCPU:
		metrics_histogram(b, f->name, f->help, &h, "reason", lat_offcpu_name(e->key.op),
				  NULL);
		break;
	default:
		metrics_histogram(b, f->name, f->help, &h, NULL);
	}
}

static void tcp_retransmits(struct metrics_batch *b, struct lat_session *s)
{
	struct lat_peer_count *peers;
	uint64_t total = 0;
	size_t n;

	/* per peer would be unbounded: the total */
	if (lat_read_peers(s, &peers, &n))
		return;
	for (size_t i = 0; i < n; i++)
		total += peers[i].count;
	free(peers);
	metrics_counter(b, "vigil_tcp_retransmits_total", "TCP segments retransmitted", total,
			NULL);
}

void latency_metrics_collect(struct metrics_batch *b, void *ctx)
{
	struct latency_metrics *lm = ctx;
	double le_time[BUCKETS], le_bytes[BUCKETS];

	bucket_bounds(le_time, false);
	bucket_bounds(le_bytes, true);
	for (int t = 0; t < LAT_TARGET_COUNT; t++) {
		struct lat_entry *entries;
		size_t n;

		if (!lm->s[t])
			continue;
		metrics_counter(b, "vigil_latency_missed_samples_total",
				"Samples the kernel could not count into a histogram (a map was "
				"full), by target",
				lat_missed(lm->s[t]), "target", lat_target_name(t), NULL);
		if (lat_read(lm->s[t], &entries, &n))
			continue;
		for (size_t i = 0; i < n; i++)
			if (entries[i].key.kind < VIGIL_LAT_KIND_COUNT)
				one_histogram(b, lm, &entries[i], le_time, le_bytes);
		free(entries);
		if (t == LAT_TCP)
			tcp_retransmits(b, lm->s[t]);
	}
}
