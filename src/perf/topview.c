// SPDX-License-Identifier: GPL-2.0
/* vigil top's rows: per-interval deltas of the kernel's counters, grouped, filtered, sorted. */
#include "perf/topview.h"
#include "core/mounts.h"
#include "core/procstat.h"
#include "events/cgroup.h"
#include "events/json.h"
#include "perf/hist.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* A process as last read: its cumulative counters and its name. */
struct snap {
	struct top_proc p;
	char comm[VIGIL_COMM_LEN];
};

struct top_view_state {
	struct top_session *s;
	struct cgroup_names *cg; /* NULL without a cgroup2 mount */
	struct snap *prev;
	size_t prev_n;
	struct timespec last;
	struct top_row *procs; /* the last refresh per process, before grouping */
	size_t nprocs;
};

static const char *const col_names[TOP_COL_COUNT] = {
	[TOP_COL_PID] = "pid",
	[TOP_COL_CPU] = "cpu",
	[TOP_COL_RUNQ] = "runq",
	[TOP_COL_OFFCPU] = "offcpu",
	[TOP_COL_READ] = "read",
	[TOP_COL_WRITE] = "write",
	[TOP_COL_BLKLAT] = "blklat",
	[TOP_COL_RX] = "rx",
	[TOP_COL_TX] = "tx",
	[TOP_COL_RETRANS] = "retrans",
	[TOP_COL_SYSCALLS] = "syscalls",
	[TOP_COL_ERRORS] = "errors",
	[TOP_COL_NAME] = "name",
};

static const char *const col_headings[TOP_COL_COUNT] = {
	[TOP_COL_PID] = "PID",	     [TOP_COL_CPU] = "CPU%",	    [TOP_COL_RUNQ] = "RUNQ99",
	[TOP_COL_OFFCPU] = "OFFCPU", [TOP_COL_READ] = "READ/s",	    [TOP_COL_WRITE] = "WRITE/s",
	[TOP_COL_BLKLAT] = "BLKLAT", [TOP_COL_RX] = "RX/s",	    [TOP_COL_TX] = "TX/s",
	[TOP_COL_RETRANS] = "RETR",  [TOP_COL_SYSCALLS] = "SYSC/s", [TOP_COL_ERRORS] = "ERR/s",
	[TOP_COL_NAME] = "COMM",
};

static const int col_widths[TOP_COL_COUNT] = {
	[TOP_COL_PID] = 7,  [TOP_COL_CPU] = 6,	   [TOP_COL_RUNQ] = 7,	   [TOP_COL_OFFCPU] = 7,
	[TOP_COL_READ] = 7, [TOP_COL_WRITE] = 7,   [TOP_COL_BLKLAT] = 7,   [TOP_COL_RX] = 7,
	[TOP_COL_TX] = 7,   [TOP_COL_RETRANS] = 5, [TOP_COL_SYSCALLS] = 7, [TOP_COL_ERRORS] = 6,
	[TOP_COL_NAME] = 0,
};

const char *top_col_name(enum top_col c)
{
	return c < TOP_COL_COUNT ? col_names[c] : "?";
}

int top_col_by_name(const char *name)
{
	for (int c = 0; c < TOP_COL_COUNT; c++)
		if (!strcmp(col_names[c], name))
			return c;
	return -ENOENT;
}

int top_col_width(enum top_col c)
{
	return col_widths[c];
}

const char *top_col_heading(const struct top_view *v, enum top_col c)
{
	if (v->grouping != TOP_BY_PROCESS) {
		if (c == TOP_COL_PID)
			return "PROCS";
		if (c == TOP_COL_NAME)
			return "CGROUP";
	}
	return col_headings[c];
}

int top_view_init(struct top_view *v, struct top_session *s)
{
	memset(v, 0, sizeof(*v));
	v->sort = TOP_COL_CPU;
	v->state = calloc(1, sizeof(*v->state));
	if (!v->state)
		return -ENOMEM;
	v->state->s = s;
	v->state->cg = cgroup_names_new();
	clock_gettime(CLOCK_MONOTONIC, &v->state->last);
	return 0;
}

void top_view_free(struct top_view *v)
{
	if (!v->state)
		return;
	cgroup_names_free(v->state->cg);
	free(v->state->prev);
	free(v->state->procs);
	free(v->state);
	free(v->rows);
	memset(v, 0, sizeof(*v));
}

/* ---------------------------------------------------------------- deltas */

/* The counters between the cgroup and the name, as an array. */
#define NCOUNTERS                                                                                  \
	((offsetof(struct vigil_top_stats, comm) - offsetof(struct vigil_top_stats, cpu_ns)) /     \
	 sizeof(__u64))

static void stats_sub(struct vigil_top_stats *a, const struct vigil_top_stats *b)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		(&a->cpu_ns)[i] -= (&b->cpu_ns)[i];
	hist_sub(&a->runq, &b->runq);
}

static void stats_add(struct vigil_top_stats *a, const struct vigil_top_stats *b)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		(&a->cpu_ns)[i] += (&b->cpu_ns)[i];
	hist_add(&a->runq, &b->runq);
}

static bool stats_active(const struct vigil_top_stats *s)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		if ((&s->cpu_ns)[i])
			return true;
	return s->runq.count != 0;
}

static int snap_cmp(const void *a, const void *b)
{
	const struct snap *x = a, *y = b;

	return x->p.tgid < y->p.tgid ? -1 : x->p.tgid > y->p.tgid;
}

static const struct snap *snap_find(const struct top_view_state *st, uint32_t tgid)
{
	struct snap key = { .p.tgid = tgid };

	return st->prev_n ? bsearch(&key, st->prev, st->prev_n, sizeof(key), snap_cmp) : NULL;
}

/*
 * The process's name as the kernel side saw it last, else from /proc (it has not been switched
 * in since top started), with what a terminal would act on replaced.
 */
static void comm_of(const struct top_proc *p, char *buf, size_t size)
{
	struct proc_stat ps;

	if (p->st.comm[0])
		snprintf(buf, size, "%.*s", (int)sizeof(p->st.comm), p->st.comm);
	else if (!proc_stat_read((pid_t)p->tgid, &ps))
		snprintf(buf, size, "%s", ps.comm);
	else
		snprintf(buf, size, "?");
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static const char *cgroup_path(const struct top_view_state *st, uint64_t id, char *buf, size_t size)
{
	const char *path = st->cg && id ? cgroup_names_get(st->cg, id) : NULL;

	if (path)
		snprintf(buf, size, "%s", path);
	else if (id)
		snprintf(buf, size, "cgroup-id:%llu", (unsigned long long)id);
	else
		snprintf(buf, size, "?");
	return buf;
}

/*
 * The cgroup of a process the kernel side has not seen switched in yet (its counters came from
 * syscalls or I/O alone): from /proc/PID/cgroup, the inode of that directory. 0 if unknown.
 */
static uint64_t cgroup_of_pid(uint32_t tgid)
{
	char path[64], line[PATH_MAX], root[PATH_MAX], dir[2 * PATH_MAX];
	uint64_t id = 0;
	struct stat sb;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", tgid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			if (!cgroup2_mount_point(root, sizeof(root))) {
				snprintf(dir, sizeof(dir), "%s%s", root, line + 3);
				if (!stat(dir, &sb))
					id = sb.st_ino;
			}
			break;
		}
	fclose(f);
	return id;
}

static double elapsed_s(struct timespec *since)
{
	struct timespec now;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s = (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
	*since = now;
	return s;
}

int top_view_refresh(struct top_view *v)
{
	struct top_view_state *st = v->state;
	struct top_proc *procs;
	struct snap *next;
	struct top_row *rows;
	size_t n, kept = 0, nrows = 0;
	int ret = top_read(st->s, &procs, &n);

	if (ret)
		return ret;
	v->seconds = elapsed_s(&st->last);
	next = calloc(n ? n : 1, sizeof(*next));
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!next || !rows) {
		free(procs);
		free(next);
		free(rows);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct snap *old = snap_find(st, procs[i].tgid);
		struct vigil_top_stats d = procs[i].st;
		struct snap *sn = &next[kept];
		bool gone = kill((pid_t)procs[i].tgid, 0) && errno == ESRCH;

		sn->p = procs[i];
		if (!procs[i].st.cgroup)
			procs[i].st.cgroup = old && old->p.st.cgroup ? old->p.st.cgroup
								     : cgroup_of_pid(procs[i].tgid);
		if (old)
			stats_sub(&d, &old->p.st);
		if (old && !procs[i].st.comm[0])
			memcpy(sn->comm, old->comm, sizeof(sn->comm));
		else
			comm_of(&procs[i], sn->comm, sizeof(sn->comm));
		if (stats_active(&d)) {
			struct top_row *r = &rows[nrows++];

			r->pid = procs[i].tgid;
			r->cgroup = procs[i].st.cgroup;
			r->d = d;
			snprintf(r->name, sizeof(r->name), "%s", sn->comm);
		}
		/* shown this once; its entry is freed for others */
		if (gone)
			top_forget(st->s, procs[i].tgid);
		else
			kept++;
	}
	free(procs);
	free(st->prev);
	st->prev = next;
	st->prev_n = kept;
	free(st->procs);
	st->procs = rows;
	st->nprocs = nrows;
	v->missed = top_missed(st->s);
	return top_view_regroup(v);
}

/* ---------------------------------------------------------------- grouping */

static struct top_row *cgroup_row(struct top_row **rows, size_t *n, size_t *cap, const char *path,
				  uint64_t id)
{
	struct top_row *grown;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*rows)[i].name, path))
			return &(*rows)[i];
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 32;
		grown = realloc(*rows, *cap * sizeof(**rows));
		if (!grown)
			return NULL;
		*rows = grown;
	}
	grown = &(*rows)[(*n)++];
	memset(grown, 0, sizeof(*grown));
	snprintf(grown->name, sizeof(grown->name), "%s", path);
	grown->cgroup = id;
	return grown;
}

/* Per cgroup (with @tree: every ancestor too, with its subtree's totals). 0 or -ENOMEM. */
static int by_cgroup(struct top_view *v, bool tree, struct top_row **out, size_t *nout)
{
	struct top_view_state *st = v->state;
	struct top_row *rows = NULL, *r;
	size_t n = 0, cap = 0;
	char path[256];

	for (size_t i = 0; i < st->nprocs; i++) {
		const struct top_row *p = &st->procs[i];

		cgroup_path(st, p->cgroup, path, sizeof(path));
		for (;;) {
			r = cgroup_row(&rows, &n, &cap, path, p->cgroup);
			if (!r) {
				free(rows);
				return -ENOMEM;
			}
			stats_add(&r->d, &p->d);
			r->pid++; /* processes */
			if (!tree || path[0] != '/' || !path[1])
				break;
			/* up one level: "/a/b" -> "/a" -> "/" */
			*strrchr(path, '/') = '\0';
			if (!path[0])
				strcpy(path, "/");
		}
	}
	for (size_t i = 0; i < n; i++)
		for (const char *c = rows[i].name; tree && *c; c++)
			rows[i].depth += *c == '/' && c[1];
	*out = rows;
	*nout = n;
	return 0;
}

static bool row_matches(const struct top_view *v, const struct top_row *r)
{
	char path[256];

	if (!v->filter[0] || strstr(r->name, v->filter))
		return true;
	/* a process also matches by its cgroup's path */
	return v->grouping == TOP_BY_PROCESS &&
	       strstr(cgroup_path(v->state, r->cgroup, path, sizeof(path)), v->filter);
}

static int row_cmp(const void *a, const void *b, void *view)
{
	const struct top_view *sort_view = view;
	const struct top_row *x = a, *y = b;
	double vx, vy;

	if (sort_view->grouping == TOP_CGROUP_TREE || sort_view->sort == TOP_COL_NAME) {
		/* tree order: '/' before any other character, so a subtree follows its root */
		const unsigned char *p = (const void *)x->name, *q = (const void *)y->name;

		for (; *p && *p == *q; p++, q++)
			;
		return (*p == '/' ? 1 : *p) - (*q == '/' ? 1 : *q);
	}
	vx = top_row_value(sort_view, x, sort_view->sort);
	vy = top_row_value(sort_view, y, sort_view->sort);
	if (vx != vy)
		return sort_view->sort == TOP_COL_PID ? (vx < vy ? -1 : 1) : (vx < vy ? 1 : -1);
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int top_view_regroup(struct top_view *v)
{
	struct top_view_state *st = v->state;
	struct top_row *rows;
	size_t n, kept = 0;
	int ret;

	if (v->grouping == TOP_BY_PROCESS) {
		n = st->nprocs;
		rows = malloc((n ? n : 1) * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		memcpy(rows, st->procs, n * sizeof(*rows));
	} else {
		ret = by_cgroup(v, v->grouping == TOP_CGROUP_TREE, &rows, &n);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < n; i++)
		if (row_matches(v, &rows[i]))
			rows[kept++] = rows[i];
	if (kept)
		qsort_r(rows, kept, sizeof(*rows), row_cmp, v);
	free(v->rows);
	v->rows = rows;
	v->n = kept;
	return 0;
}

/* ---------------------------------------------------------------- values */

double top_row_value(const struct top_view *v, const struct top_row *r, enum top_col c)
{
	double s = v->seconds > 0 ? v->seconds : 1;
	const struct vigil_top_stats *d = &r->d;

	switch (c) {
	case TOP_COL_PID:
		return r->pid;
	case TOP_COL_CPU:
		return (double)d->cpu_ns / s / 1e7;
	case TOP_COL_RUNQ:
		return hist_quantile(&d->runq, 0.99) / 1e3;
	case TOP_COL_OFFCPU:
		return (double)d->offcpu_ns / s / 1e6;
	case TOP_COL_READ:
		return (double)d->blk_read_bytes / s;
	case TOP_COL_WRITE:
		return (double)d->blk_write_bytes / s;
	case TOP_COL_BLKLAT:
		return d->blk_ios ? (double)d->blk_ns / (double)d->blk_ios / 1e6 : 0;
	case TOP_COL_RX:
		return (double)d->net_rx_bytes / s;
	case TOP_COL_TX:
		return (double)d->net_tx_bytes / s;
	case TOP_COL_RETRANS:
		return (double)d->retransmits;
	case TOP_COL_SYSCALLS:
		return (double)d->syscalls / s;
	case TOP_COL_ERRORS:
		return (double)d->syscall_errors / s;
	default:
		return 0;
	}
}

/* 1234 -> "1234", 12345 -> "12.3K", and so on */
static void human(char *buf, size_t size, double v)
{
	static const char units[] = "KMGTP";
	int u = -1;

	while (v >= 9999.5 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, v < 99.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* microseconds, shortest readable */
static void duration(char *buf, size_t size, double us)
{
	if (us < 999.5)
		snprintf(buf, size, "%.0fus", us);
	else if (us < 999500)
		snprintf(buf, size, us < 9995 ? "%.2fms" : "%.0fms", us / 1e3);
	else
		snprintf(buf, size, "%.1fs", us / 1e6);
}

const char *top_cell(const struct top_view *v, const struct top_row *r, enum top_col c, char *buf,
		     size_t size)
{
	double val = top_row_value(v, r, c);

	switch (c) {
	case TOP_COL_PID:
		snprintf(buf, size, "%u", r->pid);
		break;
	case TOP_COL_CPU:
		snprintf(buf, size, "%.1f", val);
		break;
	case TOP_COL_RUNQ:
		if (r->d.runq.count)
			duration(buf, size, val);
		else
			snprintf(buf, size, "-");
		break;
	case TOP_COL_OFFCPU:
		duration(buf, size, val * 1e3);
		break;
	case TOP_COL_BLKLAT:
		if (r->d.blk_ios)
			duration(buf, size, val * 1e3);
		else
			snprintf(buf, size, "-");
		break;
	case TOP_COL_NAME:
		snprintf(buf, size, "%*s%s", 2 * r->depth, "",
			 r->depth ? strrchr(r->name, '/') + 1 : r->name);
		break;
	default:
		human(buf, size, val);
	}
	return buf;
}

/* ---------------------------------------------------------------- printing */

static const char *grouping_name(enum top_grouping g)
{
	return g == TOP_BY_PROCESS ? "process" : g == TOP_BY_CGROUP ? "cgroup" : "cgroup-tree";
}

void top_view_text(FILE *out, const struct top_view *v, const char *mode, size_t rows)
{
	char hms[16], cell[300];
	time_t t = time(NULL);

	strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&t));
	fprintf(out, "vigil top - %s, %.2f s, %zu %s active, %s, sorted by %s", hms, v->seconds,
		v->n, v->grouping == TOP_BY_PROCESS ? "processes" : "cgroups", mode,
		top_col_name(v->sort));
	if (v->missed)
		fprintf(out, ", %llu updates missed (map full)", (unsigned long long)v->missed);
	fputc('\n', out);
	for (int c = 0; c < TOP_COL_COUNT; c++)
		fprintf(out, "%*s%s", top_col_width(c), top_col_heading(v, c),
			c == TOP_COL_NAME ? "\n" : " ");
	for (size_t i = 0; i < v->n && (!rows || i < rows); i++) {
		for (int c = 0; c < TOP_COL_COUNT; c++) {
			top_cell(v, &v->rows[i], c, cell, sizeof(cell));
			fprintf(out, "%*s%s", top_col_width(c), cell,
				c == TOP_COL_NAME ? "\n" : " ");
		}
	}
	fputc('\n', out);
	fflush(out);
}

void top_view_json(FILE *out, const struct top_view *v, size_t rows)
{
	char path[256];

	fprintf(out,
		"{\"time\":%lld,\"seconds\":%.3f,\"group\":\"%s\",\"sort\":\"%s\",\"missed\":%llu,"
		"\"rows\":[",
		(long long)time(NULL), v->seconds, grouping_name(v->grouping),
		top_col_name(v->sort), (unsigned long long)v->missed);
	for (size_t i = 0; i < v->n && (!rows || i < rows); i++) {
		const struct top_row *r = &v->rows[i];
		const struct vigil_top_stats *d = &r->d;

		fputs(i ? ",{" : "{", out);
		if (v->grouping == TOP_BY_PROCESS) {
			fprintf(out, "\"pid\":%u,\"comm\":", r->pid);
			json_cstring(out, r->name);
			fputs(",\"cgroup\":", out);
			json_cstring(out, cgroup_path(v->state, r->cgroup, path, sizeof(path)));
		} else {
			fputs("\"cgroup\":", out);
			json_cstring(out, r->name);
			fprintf(out, ",\"processes\":%u", r->pid);
			if (v->grouping == TOP_CGROUP_TREE)
				fprintf(out, ",\"depth\":%d", r->depth);
		}
		fprintf(out,
			",\"cpu_pct\":%.2f,\"runq_count\":%llu,\"runq_p99_us\":%.1f,"
			"\"offcpu_ms\":%.3f,\"blk_read_bytes\":%llu,\"blk_write_bytes\":%llu,"
			"\"blk_ios\":%llu,\"blk_avg_ms\":%.3f,\"net_rx_bytes\":%llu,"
			"\"net_tx_bytes\":%llu,\"retransmits\":%llu,\"syscalls\":%llu,"
			"\"syscall_errors\":%llu,\"syscalls_per_s\":%.1f}",
			top_row_value(v, r, TOP_COL_CPU), (unsigned long long)d->runq.count,
			top_row_value(v, r, TOP_COL_RUNQ), (double)d->offcpu_ns / 1e6,
			(unsigned long long)d->blk_read_bytes,
			(unsigned long long)d->blk_write_bytes, (unsigned long long)d->blk_ios,
			top_row_value(v, r, TOP_COL_BLKLAT), (unsigned long long)d->net_rx_bytes,
			(unsigned long long)d->net_tx_bytes, (unsigned long long)d->retransmits,
			(unsigned long long)d->syscalls, (unsigned long long)d->syscall_errors,
			top_row_value(v, r, TOP_COL_SYSCALLS));
	}
	fputs("]}\n", out);
	fflush(out);
}
