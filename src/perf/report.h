/* SPDX-License-Identifier: GPL-2.0 */
/* What `vigil latency` prints for one interval: text as bcc's tools do, or one JSON object. */
#ifndef VIGIL_PERF_REPORT_H
#define VIGIL_PERF_REPORT_H

#include <stdio.h>

#include "perf/latency.h"

struct lat_report {
	enum lat_target target;
	enum vigil_lat_group group;
	uint64_t unit_ns;	   /* the time histograms' unit */
	unsigned int top;	   /* syscall, irq, retransmit rows shown; 0: all */
	double seconds;		   /* the interval reported */
	uint64_t missed;	   /* samples the kernel could not count */
	const char *mode;	   /* "tp_btf", "raw_tp" or "uprobe" */
	const char *probe;	   /* uprobe: "PATH:SYMBOL" */
	struct lat_entry *entries; /* sorted here as the report reads best */
	size_t n;
	const struct lat_peer_count *peers; /* tcp retransmits, largest first */
	size_t npeers;
};

/* "ns", "us", "ms" for @unit_ns; and bcc's "nsecs", "usecs", "msecs". */
const char *lat_unit_short(uint64_t unit_ns);
const char *lat_unit_long(uint64_t unit_ns);

void lat_report_text(FILE *out, struct lat_report *r);
/* One line: {"target":..,"unit":..,"seconds":..,"missed":..,"histograms":[..]} */
void lat_report_json(FILE *out, struct lat_report *r);

#endif
