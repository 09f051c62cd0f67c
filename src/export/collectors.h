/* SPDX-License-Identifier: GPL-2.0 */
/* The metrics the agent serves (docs/metrics.md): collectors for export/metrics.h, one a file. */
#ifndef VIGIL_EXPORT_COLLECTORS_H
#define VIGIL_EXPORT_COLLECTORS_H

#include <stdbool.h>
#include <stdint.h>

#include "export/metrics.h"
#include "perf/latency.h"

/*
 * agent_metrics.c: build and kernel, events, alerts, enforcement, losses, queues, reloads.
 * @ctx: the agent's struct agent_status_ctx (agent/control.h).
 */
void agent_metrics_collect(struct metrics_batch *b, void *ctx);

/*
 * bpf_metrics.c: run time and count of every BPF program the agent holds, and how full its
 * maps that can fill up are. @ctx: a struct bpf_metrics.
 */
struct bpf_metrics {
	int stats_fd; /* BPF_ENABLE_STATS held by the agent (--bpf-stats), or -1 */
};

void bpf_metrics_collect(struct metrics_batch *b, void *ctx);
/* Count programs' run time while the agent runs (closed: as before): the fd, or -errno. */
int bpf_metrics_enable_stats(void);

/* shield_metrics.c: the policies' shields' counters. @ctx: the agent's struct agent_shields. */
void shield_metrics_collect(struct metrics_batch *b, void *ctx);

/*
 * latency_metrics.c: the latency histograms `vigil run --histograms` keeps on, as Prometheus
 * histograms. @ctx: a struct latency_metrics, opened with the targets (1 << enum lat_target).
 */
struct latency_metrics {
	struct lat_session *s[LAT_TARGET_COUNT]; /* NULL: not asked for, or it failed (said) */
	/* irq, softirq and disk names, found once: finding one reads /proc, /sys or the BTF */
	struct {
		uint64_t key;
		char name[48];
	} names[128];
	size_t n_names;
};

/* 0 or -ENOMEM; a target that cannot be traced is left out with a warning from @who. */
int latency_metrics_open(struct latency_metrics *lm, unsigned int targets, const char *who);
void latency_metrics_close(struct latency_metrics *lm);
void latency_metrics_collect(struct metrics_batch *b, void *ctx);

#endif
