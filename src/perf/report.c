// SPDX-License-Identifier: GPL-2.0
/* What `vigil latency` prints for one interval: text as bcc's tools do, or one JSON object. */
#include "perf/report.h"
#include "core/procstat.h"
#include "events/json.h"
#include "perf/hist.h"
#include "perf/names.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const kind_names[VIGIL_LAT_KIND_COUNT] = {
	[VIGIL_LAT_RUNQ] = "runq",
	[VIGIL_LAT_SYSCALL] = "syscall",
	[VIGIL_LAT_BLK_DEVICE] = "device",
	[VIGIL_LAT_BLK_QUEUE] = "queue",
	[VIGIL_LAT_BLK_SIZE] = "size",
	[VIGIL_LAT_TCP_LIFE] = "lifetime",
	[VIGIL_LAT_TCP_RX] = "received_bytes",
	[VIGIL_LAT_TCP_TX] = "sent_bytes",
	[VIGIL_LAT_HARDIRQ] = "hardirq",
	[VIGIL_LAT_SOFTIRQ] = "softirq",
	[VIGIL_LAT_OFFCPU] = "offcpu",
	[VIGIL_LAT_UPROBE] = "uprobe",
};

static const char *const op_names[] = { "read", "write", "flush", "discard", "other" };
static const char *const why_names[] = { "sleep", "uninterruptible", "other" };

const char *lat_unit_short(uint64_t unit_ns)
{
	return unit_ns >= 1000000 ? "ms" : unit_ns >= 1000 ? "us" : "ns";
}

const char *lat_unit_long(uint64_t unit_ns)
{
	return unit_ns >= 1000000 ? "msecs" : unit_ns >= 1000 ? "usecs" : "nsecs";
}

static bool kind_is_bytes(unsigned int kind)
{
	return kind == VIGIL_LAT_BLK_SIZE || kind == VIGIL_LAT_TCP_RX || kind == VIGIL_LAT_TCP_TX;
}

static const char *kind_name(unsigned int kind)
{
	return kind < VIGIL_LAT_KIND_COUNT && kind_names[kind] ? kind_names[kind] : "?";
}

static const char *op_name(unsigned int op)
{
	return op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "other";
}

/* The name of what @k's id numbers (a syscall, an irq), or NULL when it numbers nothing. */
static const char *id_name(const struct vigil_lat_key *k, char *buf, size_t size)
{
	switch (k->kind) {
	case VIGIL_LAT_SYSCALL:
		return syscall_name(k->id, buf, size);
	case VIGIL_LAT_HARDIRQ:
		return irq_name(k->id, buf, size);
	case VIGIL_LAT_SOFTIRQ:
		return softirq_name(k->id, buf, size);
	default:
		return NULL;
	}
}

static const char *comm_of(uint64_t pid, char *buf, size_t size)
{
	struct proc_stat st;

	if (proc_stat_read((pid_t)pid, &st))
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%s", st.comm);
	return buf;
}

/* ---------------------------------------------------------------- ordering */

/* group, then op, then kind: the block report reads disk by disk, op by op */
static int by_group(const void *a, const void *b)
{
	const struct vigil_lat_key *x = &((const struct lat_entry *)a)->key;
	const struct vigil_lat_key *y = &((const struct lat_entry *)b)->key;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->op != y->op)
		return x->op < y->op ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_count(const void *a, const void *b)
{
	const struct lat_entry *x = a, *y = b;

	if (x->hist.count != y->hist.count)
		return x->hist.count < y->hist.count ? 1 : -1;
	return by_group(a, b);
}

static int by_sum(const void *a, const void *b)
{
	const struct lat_entry *x = a, *y = b;

	if (x->hist.sum != y->hist.sum)
		return x->hist.sum < y->hist.sum ? 1 : -1;
	return by_group(a, b);
}

static void sort_entries(struct lat_report *r)
{
	int (*cmp)(const void *, const void *) = by_group;

	if (r->target == LAT_SYSCALL)
		cmp = by_count;
	else if (r->target == LAT_IRQ)
		cmp = by_sum;
	if (r->n)
		qsort(r->entries, r->n, sizeof(*r->entries), cmp);
}

/* How many rows a table shows. */
static size_t shown(const struct lat_report *r)
{
	return r->top && r->top < r->n ? r->top : r->n;
}

/* ---------------------------------------------------------------- text */

/* "pid 1234 (stress)", "cpu 1", "disk loop3": what a group is, or "" when not grouped. */
static const char *group_label(const struct lat_report *r, uint64_t grp, char *buf, size_t size)
{
	char name[64];

	switch (r->group) {
	case VIGIL_LAT_BY_CPU:
		snprintf(buf, size, "cpu %llu", (unsigned long long)grp);
		break;
	case VIGIL_LAT_BY_PID:
		snprintf(buf, size, "pid %llu (%s)", (unsigned long long)grp,
			 comm_of(grp, name, sizeof(name)));
		break;
	case VIGIL_LAT_BY_CGROUP:
		snprintf(buf, size, "cgroup id %llu", (unsigned long long)grp);
		break;
	case VIGIL_LAT_BY_DISK:
		snprintf(buf, size, "disk %s", disk_name(grp, name, sizeof(name)));
		break;
	default:
		buf[0] = '\0';
	}
	return buf;
}

static void print_hist_block(FILE *out, const struct lat_report *r, const struct lat_entry *e,
			     const char *title)
{
	const char *u = lat_unit_short(r->unit_ns);

	if (title[0])
		fprintf(out, "\n%s\n", title);
	hist_print(out, &e->hist, lat_unit_long(r->unit_ns));
	hist_summary(out, &e->hist, u, (double)r->unit_ns);
}

/* A summary line for a histogram printed as one line ("  queued: count ..."). */
static void print_line(FILE *out, const struct lat_report *r, const struct lat_entry *e,
		       const char *label)
{
	bool bytes = kind_is_bytes(e->key.kind);

	fprintf(out, "%s: ", label);
	hist_summary(out, &e->hist, bytes ? "bytes" : lat_unit_short(r->unit_ns),
		     bytes ? 1 : (double)r->unit_ns);
}

/* syscall and irq: one row each, the top ones; times in the unit, the total in ms */
static void print_table(FILE *out, const struct lat_report *r)
{
	const char *u = lat_unit_short(r->unit_ns);
	char name[64], grp[96], head[4][16];

	snprintf(head[0], sizeof(head[0]), "MEAN(%s)", u);
	snprintf(head[1], sizeof(head[1]), "P50(%s)", u);
	snprintf(head[2], sizeof(head[2]), "P90(%s)", u);
	snprintf(head[3], sizeof(head[3]), "P99(%s)", u);
	if (r->group != VIGIL_LAT_BY_NONE)
		fprintf(out, "%-24s ", r->group == VIGIL_LAT_BY_CPU ? "CPU" : "PROCESS");
	fprintf(out, "%-22s %10s %8s %10s %10s %10s %10s %11s\n",
		r->target == LAT_SYSCALL ? "SYSCALL" : "IRQ", "COUNT", "ERRORS", head[0], head[1],
		head[2], head[3], "TOTAL(ms)");
	for (size_t i = 0; i < shown(r); i++) {
		const struct lat_entry *e = &r->entries[i];
		const struct vigil_lat_hist *h = &e->hist;
		double unit = (double)r->unit_ns;
		char label[80];

		if (r->group != VIGIL_LAT_BY_NONE)
			fprintf(out, "%-24s ", group_label(r, e->key.group, grp, sizeof(grp)));
		snprintf(label, sizeof(label), "%s%s",
			 e->key.kind == VIGIL_LAT_SOFTIRQ   ? "soft:"
			 : e->key.kind == VIGIL_LAT_HARDIRQ ? "hard:"
							    : "",
			 id_name(&e->key, name, sizeof(name)));
		fprintf(out, "%-22s %10llu %8llu %10.1f %10.0f %10.0f %10.0f %11.3f\n", label,
			(unsigned long long)h->count, (unsigned long long)h->errors,
			h->count ? (double)h->sum / (double)h->count / unit : 0.0,
			hist_quantile(h, 0.5), hist_quantile(h, 0.9), hist_quantile(h, 0.99),
			(double)h->sum / 1e6);
	}
	if (shown(r) < r->n)
		fprintf(out, "(%zu more; --top 0 shows all)\n", r->n - shown(r));
}

static void print_runq(FILE *out, const struct lat_report *r)
{
	char grp[96];

	for (size_t i = 0; i < r->n; i++)
		print_hist_block(out, r, &r->entries[i],
				 group_label(r, r->entries[i].key.group, grp, sizeof(grp)));
}

static void print_block(FILE *out, const struct lat_report *r)
{
	char grp[96], title[160];

	for (size_t i = 0; i < r->n; i++) {
		const struct lat_entry *e = &r->entries[i];

		group_label(r, e->key.group, grp, sizeof(grp));
		snprintf(title, sizeof(title), "%s%s%s", grp, grp[0] ? ", " : "",
			 op_name(e->key.op));
		if (e->key.kind == VIGIL_LAT_BLK_DEVICE) {
			fprintf(out, "\n%s: time on the device (issue to completion)\n", title);
			print_hist_block(out, r, e, "");
		} else if (e->key.kind == VIGIL_LAT_BLK_QUEUE) {
			print_line(out, r, e, "queued (insert to issue)");
		} else {
			print_line(out, r, e, "request sizes");
		}
	}
}

static void print_offcpu(FILE *out, const struct lat_report *r)
{
	static const char *const what[] = { "sleeping (S: waiting for an event)",
					    "uninterruptible (D: disk I/O, some locks)",
					    "other (stopped, traced, idle kernel threads)" };
	char grp[96], title[160];

	for (size_t i = 0; i < r->n; i++) {
		const struct lat_entry *e = &r->entries[i];

		group_label(r, e->key.group, grp, sizeof(grp));
		snprintf(title, sizeof(title), "%s%s%s", grp, grp[0] ? ": " : "",
			 e->key.op < 3 ? what[e->key.op] : "?");
		print_hist_block(out, r, e, title);
	}
}

static void print_uprobe(FILE *out, const struct lat_report *r)
{
	char grp[96], title[PATH_MAX + 128];

	for (size_t i = 0; i < r->n; i++) {
		const struct lat_entry *e = &r->entries[i];

		group_label(r, e->key.group, grp, sizeof(grp));
		snprintf(title, sizeof(title), "%s%s%s: calls, entry to return", grp,
			 grp[0] ? ": " : "", r->probe);
		print_hist_block(out, r, e, title);
	}
}

static void print_peer(FILE *out, const struct vigil_lat_peer *p)
{
	char addr[INET6_ADDRSTRLEN];
	int family = p->family == 2 ? AF_INET : AF_INET6;

	if (!inet_ntop(family, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	fprintf(out, family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, p->port);
}

static void print_tcp(FILE *out, const struct lat_report *r)
{
	char grp[96];

	for (size_t i = 0; i < r->n; i++) {
		const struct lat_entry *e = &r->entries[i];

		if (e->key.kind == VIGIL_LAT_TCP_LIFE) {
			group_label(r, e->key.group, grp, sizeof(grp));
			fprintf(out, "\n%s%sconnection lifetimes\n", grp, grp[0] ? ": " : "");
			print_hist_block(out, r, e, "");
		} else {
			print_line(out, r, e,
				   e->key.kind == VIGIL_LAT_TCP_RX ? "bytes received"
								   : "bytes sent (acked)");
		}
	}
	fprintf(out, "\nretransmits: %s\n", r->npeers ? "" : "none");
	for (size_t i = 0; i < r->npeers && (!r->top || i < r->top); i++) {
		fprintf(out, "  %8llu  ", (unsigned long long)r->peers[i].count);
		print_peer(out, &r->peers[i].peer);
		fputc('\n', out);
	}
}

void lat_report_text(FILE *out, struct lat_report *r)
{
	sort_entries(r);
	if (!r->n && r->target != LAT_TCP)
		fprintf(out, "(no samples)\n");
	switch (r->target) {
	case LAT_SYSCALL:
	case LAT_IRQ:
		if (r->n)
			print_table(out, r);
		break;
	case LAT_BLOCK:
		print_block(out, r);
		break;
	case LAT_TCP:
		print_tcp(out, r);
		break;
	case LAT_OFFCPU:
		print_offcpu(out, r);
		break;
	case LAT_UPROBE:
		print_uprobe(out, r);
		break;
	default:
		print_runq(out, r);
	}
	if (r->missed)
		fprintf(out, "%llu samples not counted: a map was full\n",
			(unsigned long long)r->missed);
	fflush(out);
}

/* ---------------------------------------------------------------- JSON */

static void json_group(FILE *out, const struct lat_report *r, uint64_t grp)
{
	char name[64];

	switch (r->group) {
	case VIGIL_LAT_BY_CPU:
		fprintf(out, "\"cpu\":%llu,", (unsigned long long)grp);
		break;
	case VIGIL_LAT_BY_PID:
		fprintf(out, "\"pid\":%llu,\"comm\":", (unsigned long long)grp);
		json_cstring(out, comm_of(grp, name, sizeof(name)));
		fputc(',', out);
		break;
	case VIGIL_LAT_BY_CGROUP:
		fprintf(out, "\"cgroup_id\":%llu,", (unsigned long long)grp);
		break;
	case VIGIL_LAT_BY_DISK:
		fputs("\"disk\":", out);
		json_cstring(out, disk_name(grp, name, sizeof(name)));
		fprintf(out, ",\"dev\":\"%llu:%llu\",", (unsigned long long)(grp >> 20),
			(unsigned long long)(grp & 0xfffff));
		break;
	default:
		break;
	}
}

void lat_report_json(FILE *out, struct lat_report *r)
{
	char name[64], addr[INET6_ADDRSTRLEN];
	size_t rows = r->target == LAT_SYSCALL || r->target == LAT_IRQ ? shown(r) : r->n;

	sort_entries(r);
	fprintf(out, "{\"target\":\"%s\",\"mode\":\"%s\",\"seconds\":%.3f,\"missed\":%llu,",
		lat_target_name(r->target), r->mode, r->seconds, (unsigned long long)r->missed);
	if (r->probe) {
		fputs("\"probe\":", out);
		json_cstring(out, r->probe);
		fputc(',', out);
	}
	fputs("\"histograms\":[", out);
	for (size_t i = 0; i < rows; i++) {
		const struct lat_entry *e = &r->entries[i];
		bool bytes = kind_is_bytes(e->key.kind);
		const char *id = id_name(&e->key, name, sizeof(name));

		fprintf(out, "%s{\"kind\":\"%s\",", i ? "," : "", kind_name(e->key.kind));
		json_group(out, r, e->key.group);
		if (r->target == LAT_BLOCK)
			fprintf(out, "\"op\":\"%s\",", op_name(e->key.op));
		if (r->target == LAT_OFFCPU)
			fprintf(out, "\"reason\":\"%s\",",
				e->key.op < 3 ? why_names[e->key.op] : "other");
		if (id) {
			fprintf(out,
				"\"%s\":", e->key.kind == VIGIL_LAT_SYSCALL ? "syscall" : "name");
			json_cstring(out, id);
			fprintf(out, ",\"nr\":%u,", e->key.id);
		}
		fprintf(out, "\"unit\":\"%s\",", bytes ? "bytes" : lat_unit_short(r->unit_ns));
		hist_json(out, &e->hist, bytes ? "sum_bytes" : "sum_ns");
		fputc('}', out);
	}
	fputc(']', out);
	if (r->target == LAT_TCP) {
		fputs(",\"retransmits\":[", out);
		for (size_t i = 0; i < r->npeers && (!r->top || i < r->top); i++) {
			const struct lat_peer_count *p = &r->peers[i];

			if (!inet_ntop(p->peer.family == 2 ? AF_INET : AF_INET6, p->peer.addr, addr,
				       sizeof(addr)))
				snprintf(addr, sizeof(addr), "?");
			fprintf(out, "%s{\"addr\":\"%s\",\"port\":%u,\"count\":%llu}", i ? "," : "",
				addr, p->peer.port, (unsigned long long)p->count);
		}
		fputc(']', out);
	}
	fputs("}\n", out);
	fflush(out);
}
