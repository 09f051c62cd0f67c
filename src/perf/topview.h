/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vigil top shows for one interval: the kernel's per-process counters (perf/top.h) turned
 * into rows with rates, per process or per cgroup (flat or as a tree of subtree totals),
 * filtered and sorted; printed as text (batch mode) or one JSON object. The ncurses screen
 * (perf/topscreen.h) draws the same rows.
 */
#ifndef VIGIL_PERF_TOPVIEW_H
#define VIGIL_PERF_TOPVIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "perf/top.h"

/* The columns, in their order on screen; each can be the sort key. */
enum top_col {
	TOP_COL_PID,
	TOP_COL_CPU,
	TOP_COL_RUNQ,
	TOP_COL_OFFCPU,
	TOP_COL_READ,
	TOP_COL_WRITE,
	TOP_COL_BLKLAT,
	TOP_COL_RX,
	TOP_COL_TX,
	TOP_COL_RETRANS,
	TOP_COL_SYSCALLS,
	TOP_COL_ERRORS,
	TOP_COL_NAME,
	TOP_COL_COUNT,
};

/* "cpu", "runq", ...: the --sort names; and the column called @name, or -ENOENT. */
const char *top_col_name(enum top_col c);
int top_col_by_name(const char *name);

struct top_row {
	uint32_t pid;		  /* 0 for a cgroup */
	int depth;		  /* in the tree view: the cgroup's depth below the root */
	char name[256];		  /* the process's comm, or the cgroup's path */
	uint64_t cgroup;	  /* its cgroup's id */
	struct vigil_top_stats d; /* what it did in the interval */
};

enum top_grouping {
	TOP_BY_PROCESS,
	TOP_BY_CGROUP,
	TOP_CGROUP_TREE, /* each cgroup with its subtree's totals, in tree order */
};

struct top_view {
	/* settings, changed between refreshes as the screen's keys do */
	enum top_grouping grouping;
	enum top_col sort;
	char filter[128]; /* a substring of the name or cgroup path; "": all */
	/* the last refresh */
	struct top_row *rows;
	size_t n;
	double seconds; /* the interval it covers */
	uint64_t missed;
	/* private: the previous read, and names by process */
	struct top_view_state *state;
};

/* 0 or -ENOMEM; the view reads @s (which the caller closes after top_view_free). */
int top_view_init(struct top_view *v, struct top_session *s);
void top_view_free(struct top_view *v);
/*
 * Read the kernel's counters once; rows := what happened since the last refresh (since
 * top_view_init at the first), grouped, filtered and sorted by the settings. Processes that
 * exited are shown one last time and then forgotten. 0 or -errno.
 */
int top_view_refresh(struct top_view *v);
/* Apply changed settings to the rows of the last refresh, without reading the kernel. */
int top_view_regroup(struct top_view *v);

/* A row's value in column @c, as sorted and shown (rates per second, times in ms or us). */
double top_row_value(const struct top_view *v, const struct top_row *r, enum top_col c);
/* The column's heading, and @r's cell formatted to fit it (@buf of 16 at least). */
const char *top_col_heading(const struct top_view *v, enum top_col c);
int top_col_width(enum top_col c);
const char *top_cell(const struct top_view *v, const struct top_row *r, enum top_col c, char *buf,
		     size_t size);

/* Batch mode: a header line, the column headings and a line per row (@rows: at most; 0: all). */
void top_view_text(FILE *out, const struct top_view *v, const char *mode, size_t rows);
/* One line: {"time":..,"seconds":..,"group":..,"missed":..,"rows":[..]} */
void top_view_json(FILE *out, const struct top_view *v, size_t rows);

#endif
