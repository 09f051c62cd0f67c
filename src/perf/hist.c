// SPDX-License-Identifier: GPL-2.0
/* log2 histograms: percentiles, bcc's ASCII bars, JSON. */
#include "perf/hist.h"

#include <string.h>

#define BAR_WIDTH 40

void hist_slot_range(unsigned int i, unsigned long long *lo, unsigned long long *hi)
{
	*lo = i ? 1ULL << i : 0;
	*hi = (1ULL << (i + 1)) - 1;
}

double hist_quantile(const struct vigil_lat_hist *h, double q)
{
	unsigned long long total = 0, seen = 0, lo, hi;
	double rank;

	for (unsigned int i = 0; i < VIGIL_LAT_SLOTS; i++)
		total += h->slots[i];
	/* all zero (a sum of 0): slot 0 alone cannot say so */
	if (!total || !h->sum)
		return 0;
	rank = q * (double)total;
	for (unsigned int i = 0; i < VIGIL_LAT_SLOTS; i++) {
		if (!h->slots[i] || (double)(seen + h->slots[i]) < rank) {
			seen += h->slots[i];
			continue;
		}
		hist_slot_range(i, &lo, &hi);
		/* the slot spans [lo, hi + 1): spread its values evenly over it */
		return (double)lo +
		       (rank - (double)seen) / (double)h->slots[i] * (double)(hi + 1 - lo);
	}
	return 0;
}

void hist_add(struct vigil_lat_hist *a, const struct vigil_lat_hist *b)
{
	for (unsigned int i = 0; i < VIGIL_LAT_SLOTS; i++)
		a->slots[i] += b->slots[i];
	a->count += b->count;
	a->sum += b->sum;
	a->errors += b->errors;
}

void hist_sub(struct vigil_lat_hist *a, const struct vigil_lat_hist *b)
{
	for (unsigned int i = 0; i < VIGIL_LAT_SLOTS; i++)
		a->slots[i] -= b->slots[i];
	a->count -= b->count;
	a->sum -= b->sum;
	a->errors -= b->errors;
}

static int last_used(const struct vigil_lat_hist *h)
{
	int last = -1;

	for (int i = 0; i < VIGIL_LAT_SLOTS; i++)
		if (h->slots[i])
			last = i;
	return last;
}

static void print_bar(FILE *out, unsigned long long n, unsigned long long max)
{
	int stars = max ? (int)((n * BAR_WIDTH + max - 1) / max) : 0;

	fputc('|', out);
	for (int i = 0; i < BAR_WIDTH; i++)
		fputc(i < stars ? '*' : ' ', out);
	fputc('|', out);
}

void hist_print(FILE *out, const struct vigil_lat_hist *h, const char *unit)
{
	int last = last_used(h);
	unsigned long long max = 0, lo, hi;

	for (int i = 0; i <= last; i++)
		if (h->slots[i] > max)
			max = h->slots[i];
	fprintf(out, "%10s%-14s : count    distribution\n", unit, "");
	for (int i = 0; i <= last; i++) {
		hist_slot_range((unsigned int)i, &lo, &hi);
		if (i == VIGIL_LAT_SLOTS - 1)
			fprintf(out, "%10llu -> %-10s : %-8llu ", lo, "...", h->slots[i]);
		else
			fprintf(out, "%10llu -> %-10llu : %-8llu ", lo, hi, h->slots[i]);
		print_bar(out, h->slots[i], max);
		fputc('\n', out);
	}
}

/* Compact numbers: 3 significant digits, no exponent for what latencies reach. */
static void print_num(FILE *out, double v)
{
	if (v >= 100 || v == (long long)v)
		fprintf(out, "%.0f", v);
	else if (v >= 10)
		fprintf(out, "%.1f", v);
	else
		fprintf(out, "%.2f", v);
}

void hist_summary(FILE *out, const struct vigil_lat_hist *h, const char *unit, double ns_per_unit)
{
	static const double qs[] = { 0.50, 0.90, 0.99 };
	static const char *const qn[] = { "p50", "p90", "p99" };
	double mean;

	fprintf(out, "count %llu", (unsigned long long)h->count);
	if (!h->count) {
		fputc('\n', out);
		return;
	}
	mean = (double)h->sum / (double)h->count / (ns_per_unit > 0 ? ns_per_unit : 1);
	fputs(", mean ", out);
	print_num(out, mean);
	fprintf(out, " %s", unit);
	for (unsigned int i = 0; i < 3; i++) {
		fprintf(out, ", %s ", qn[i]);
		print_num(out, hist_quantile(h, qs[i]));
	}
	fprintf(out, " %s", unit);
	if (h->errors)
		fprintf(out, ", %llu errors", (unsigned long long)h->errors);
	fputc('\n', out);
}

void hist_json(FILE *out, const struct vigil_lat_hist *h, const char *sum_name)
{
	int last = last_used(h);
	unsigned long long lo, hi;

	fprintf(out,
		"\"count\":%llu,\"%s\":%llu,\"errors\":%llu,\"p50\":%.3f,\"p90\":%.3f,"
		"\"p99\":%.3f,\"buckets\":[",
		(unsigned long long)h->count, sum_name, (unsigned long long)h->sum,
		(unsigned long long)h->errors, hist_quantile(h, 0.50), hist_quantile(h, 0.90),
		hist_quantile(h, 0.99));
	for (int i = 0; i <= last; i++) {
		hist_slot_range((unsigned int)i, &lo, &hi);
		fprintf(out, "%s{\"le\":%llu,\"count\":%llu}", i ? "," : "", hi,
			(unsigned long long)h->slots[i]);
	}
	fputc(']', out);
}
