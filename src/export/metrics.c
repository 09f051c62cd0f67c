// SPDX-License-Identifier: GPL-2.0
/*
 * Collectors add samples in any order; the text format wants each family's samples together
 * under one HELP and TYPE, so a batch keeps a buffer per family and joins them at the end.
 */
#include "export/metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct collector {
	metrics_collect_fn fn;
	void *ctx;
};

struct family {
	char *name, *help;
	const char *type; /* "counter", "gauge", "histogram" */
	char *buf;	  /* its sample lines */
	size_t len, cap;
};

struct metrics_batch {
	struct family *fams;
	size_t n, cap;
	bool failed; /* out of memory: the snapshot is not published */
};

struct metrics {
	struct collector *collectors;
	size_t n_collectors;
	double last_build_s; /* how long the previous snapshot took to build */
	pthread_mutex_t lock;
	pthread_cond_t published;
	/* under the lock: the last snapshot, and the requests it answers */
	char *text;
	size_t len;
	uint64_t requested, generation;
};

int metrics_new(struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));
	pthread_condattr_t attr;

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->published, &attr);
	pthread_condattr_destroy(&attr);
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_cond_destroy(&m->published);
	pthread_mutex_destroy(&m->lock);
	free(m->collectors);
	free(m->text);
	free(m);
}

int metrics_add_collector(struct metrics *m, metrics_collect_fn fn, void *ctx)
{
	struct collector *c =
		realloc(m->collectors, (m->n_collectors + 1) * sizeof(*m->collectors));

	if (!c)
		return -ENOMEM;
	c[m->n_collectors++] = (struct collector){ fn, ctx };
	m->collectors = c;
	return 0;
}

static void append(struct metrics_batch *b, struct family *f, const char *s, size_t n)
{
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 256;
		char *buf;

		while (cap < f->len + n)
			cap *= 2;
		buf = realloc(f->buf, cap);
		if (!buf) {
			b->failed = true;
			return;
		}
		f->buf = buf;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, n);
	f->len += n;
}

static void append_str(struct metrics_batch *b, struct family *f, const char *s)
{
	append(b, f, s, strlen(s));
}

/* A label value as the text format escapes it: backslash, double quote and newline. */
static void append_escaped(struct metrics_batch *b, struct family *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			append(b, f, "\\", 1);
		if (*s == '\n')
			append_str(b, f, "\\n");
		else
			append(b, f, s, 1);
	}
}

static struct family *family(struct metrics_batch *b, const char *name, const char *help,
			     const char *type)
{
	struct family *f;

	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->fams[i].name, name))
			return !strcmp(b->fams[i].type, type) ? &b->fams[i] : NULL;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;

		f = realloc(b->fams, cap * sizeof(*f));
		if (!f) {
			b->failed = true;
			return NULL;
		}
		b->fams = f;
		b->cap = cap;
	}
	f = &b->fams[b->n];
	*f = (struct family){ .name = strdup(name), .help = strdup(help), .type = type };
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		b->failed = true;
		return NULL;
	}
	b->n++;
	return f;
}

/* "name<suffix>{k="v",...,le="<le>"} value\n"; @suffix and @le may be NULL */
static void sample(struct metrics_batch *b, struct family *f, const char *suffix, const char *le,
		   const char *value, va_list ap)
{
	const char *key;
	int n = 0;

	append_str(b, f, f->name);
	if (suffix)
		append_str(b, f, suffix);
	while ((key = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		append_str(b, f, n++ ? "," : "{");
		append_str(b, f, key);
		append_str(b, f, "=\"");
		append_escaped(b, f, v ? v : "");
		append_str(b, f, "\"");
	}
	if (le) {
		append_str(b, f, n++ ? ",le=\"" : "{le=\"");
		append_str(b, f, le);
		append_str(b, f, "\"");
	}
	append_str(b, f, n ? "} " : " ");
	append_str(b, f, value);
	append_str(b, f, "\n");
}

/*
 * Integers exactly (counts stay below 2^53), the rest in the fewest digits that read back as
 * the same double: 0.004734626, not 0.0047346259999999996.
 */
static void format_value(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, len, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void add_sample(struct metrics_batch *b, const char *name, const char *help,
		       const char *type, double v, va_list ap)
{
	struct family *f = family(b, name, help, type);
	char value[32];

	if (!f)
		return;
	format_value(value, sizeof(value), v);
	sample(b, f, NULL, NULL, value, ap);
}

void metrics_counter(struct metrics_batch *b, const char *name, const char *help, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	add_sample(b, name, help, "counter", v, ap);
	va_end(ap);
}

void metrics_gauge(struct metrics_batch *b, const char *name, const char *help, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	add_sample(b, name, help, "gauge", v, ap);
	va_end(ap);
}

void metrics_histogram(struct metrics_batch *b, const char *name, const char *help,
		       const struct metrics_hist *h, ...)
{
	struct family *f = family(b, name, help, "histogram");
	char value[32], le[32];
	va_list ap, labels;

	if (!f)
		return;
	va_start(ap, h);
	for (size_t i = 0; i <= h->n; i++) {
		/* the last bucket, +Inf, holds every observation */
		if (i < h->n)
			format_value(le, sizeof(le), h->le[i]);
		snprintf(value, sizeof(value), "%llu",
			 (unsigned long long)(i < h->n ? h->cumulative[i] : h->count));
		va_copy(labels, ap);
		sample(b, f, "_bucket", i < h->n ? le : "+Inf", value, labels);
		va_end(labels);
	}
	format_value(value, sizeof(value), h->sum);
	va_copy(labels, ap);
	sample(b, f, "_sum", NULL, value, labels);
	va_end(labels);
	snprintf(value, sizeof(value), "%llu", (unsigned long long)h->count);
	sample(b, f, "_count", NULL, value, ap);
	va_end(ap);
}

void metrics_drops(struct metrics_batch *b, const char *stage, const char *sink, uint64_t n)
{
	static const char help[] = "Events lost after the ring buffer, by the stage that lost them "
				   "and its sink (none: before any sink)";

	if (sink)
		metrics_counter(b, "vigil_events_dropped_total", help, n, "stage", stage, "sink",
				sink, NULL);
	else
		metrics_counter(b, "vigil_events_dropped_total", help, n, "stage", stage, NULL);
}

void metrics_queue(struct metrics_batch *b, const char *queue, enum metrics_unit unit,
		   uint64_t depth, uint64_t capacity)
{
	bool bytes = unit == METRICS_BYTES;

	metrics_gauge(b, bytes ? "vigil_queue_bytes" : "vigil_queue_events",
		      bytes ? "Bytes waiting in each queue now"
			    : "Events waiting in each queue now",
		      depth, "queue", queue, NULL);
	metrics_gauge(b, bytes ? "vigil_queue_capacity_bytes" : "vigil_queue_capacity_events",
		      bytes ? "Bytes each queue holds at most" : "Events each queue holds at most",
		      capacity, "queue", queue, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The families joined, each under its HELP and TYPE; NULL when out of memory. */
static char *render(struct metrics_batch *b, size_t *len)
{
	size_t total = 1;
	char *text, *p;

	for (size_t i = 0; i < b->n; i++)
		total +=
			2 * strlen(b->fams[i].name) + strlen(b->fams[i].help) + 32 + b->fams[i].len;
	text = malloc(total);
	if (!text)
		return NULL;
	p = text;
	for (size_t i = 0; i < b->n; i++) {
		const struct family *f = &b->fams[i];

		p += sprintf(p, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		memcpy(p, f->buf, f->len);
		p += f->len;
	}
	*p = '\0';
	*len = p - text;
	return text;
}

static char *build(struct metrics *m, size_t *len)
{
	struct metrics_batch b = { 0 };
	double start = now_s();
	char *text = NULL;

	for (size_t i = 0; i < m->n_collectors; i++)
		m->collectors[i].fn(&b, m->collectors[i].ctx);
	metrics_gauge(&b, "vigil_metrics_build_seconds",
		      "How long the agent's main loop took to build the previous snapshot",
		      m->last_build_s, NULL);
	if (!b.failed)
		text = render(&b, len);
	for (size_t i = 0; i < b.n; i++) {
		free(b.fams[i].name);
		free(b.fams[i].help);
		free(b.fams[i].buf);
	}
	free(b.fams);
	m->last_build_s = now_s() - start;
	return text;
}

/* Build a snapshot that answers the requests up to @target, and wake them. */
static void publish(struct metrics *m, uint64_t target)
{
	size_t len = 0;
	/* without the lock: the server thread serves the last snapshot meanwhile */
	char *text = build(m, &len);

	pthread_mutex_lock(&m->lock);
	if (text) {
		free(m->text);
		m->text = text;
		m->len = len;
	}
	m->generation = target;
	pthread_cond_broadcast(&m->published);
	pthread_mutex_unlock(&m->lock);
}

void metrics_publish(struct metrics *m)
{
	uint64_t target;

	pthread_mutex_lock(&m->lock);
	target = m->requested;
	pthread_mutex_unlock(&m->lock);
	publish(m, target);
}

void metrics_tick(struct metrics *m)
{
	uint64_t target;

	pthread_mutex_lock(&m->lock);
	target = m->requested;
	pthread_mutex_unlock(&m->lock);
	if (target != m->generation)
		publish(m, target);
}

int metrics_snapshot(struct metrics *m, int timeout_ms, char **text, size_t *len)
{
	struct timespec deadline;
	uint64_t ticket;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&m->lock);
	/* a build that started before this call does not answer it: the next one does */
	ticket = ++m->requested;
	while (m->generation < ticket &&
	       pthread_cond_timedwait(&m->published, &m->lock, &deadline) != ETIMEDOUT)
		;
	if (!m->text)
		err = -EAGAIN;
	else if (!(*text = malloc(m->len + 1)))
		err = -ENOMEM;
	else {
		memcpy(*text, m->text, m->len + 1);
		*len = m->len;
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}
