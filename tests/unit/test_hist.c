// SPDX-License-Identifier: GPL-2.0
/* src/perf's histogram arithmetic and printing, and the names it prints, without BPF. */
#include "harness.h"
#include "testlib.h"
#include "perf/hist.h"
#include "perf/latency.h"
#include "perf/names.h"

#include <stdlib.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 100 values: 50 in slot 3 (8..15), 40 in slot 4 (16..31), 10 in slot 10 (1024..2047). */
static void sample(struct vigil_lat_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->slots[3] = 50;
	h->slots[4] = 40;
	h->slots[10] = 10;
	h->count = 100;
	h->sum = 100 * 1000;
}

TEST(slot_ranges_are_bccs)
{
	unsigned long long lo, hi;

	hist_slot_range(0, &lo, &hi);
	ASSERT_TRUE(lo == 0 && hi == 1, "slot 0 is 0..1");
	hist_slot_range(1, &lo, &hi);
	ASSERT_TRUE(lo == 2 && hi == 3, "slot 1 is 2..3");
	hist_slot_range(10, &lo, &hi);
	ASSERT_TRUE(lo == 1024 && hi == 2047, "slot 10 is 1024..2047");
}

TEST(quantiles_fall_in_their_slot)
{
	struct vigil_lat_hist h;

	sample(&h);
	/* rank 50 ends slot 3; rank 90 ends slot 4; rank 99 is 9/10 into slot 10 */
	ASSERT_TRUE(hist_quantile(&h, 0.5) == 16, "p50 at the top of 8..15");
	ASSERT_TRUE(hist_quantile(&h, 0.9) == 32, "p90 at the top of 16..31");
	ASSERT_TRUE(hist_quantile(&h, 0.99) > 1024 && hist_quantile(&h, 0.99) < 2048,
		    "p99 inside 1024..2047");
	memset(&h, 0, sizeof(h));
	ASSERT_TRUE(hist_quantile(&h, 0.5) == 0, "empty: 0");
	h.slots[0] = 5;
	h.count = 5;
	ASSERT_TRUE(hist_quantile(&h, 0.99) == 0, "all zero (sum 0): 0, not slot 0's top");
}

TEST(delta_drops_what_did_not_change)
{
	struct lat_entry prev[2] = {}, cur[3] = {};
	size_t n = 3;

	for (int i = 0; i < 3; i++) {
		cur[i].key.id = (__u32)i;
		sample(&cur[i].hist);
	}
	prev[0] = cur[0];
	prev[1] = cur[1];
	prev[1].hist.slots[3] = 20;
	prev[1].hist.count = 70;
	lat_delta(cur, &n, prev, 2);
	ASSERT_EQ(n, 2, "unchanged entry 0 dropped");
	ASSERT_EQ(cur[0].key.id, 1, "entry 1 first");
	ASSERT_EQ(cur[0].hist.count, 30, "its new samples");
	ASSERT_EQ(cur[0].hist.slots[3], 30, "in their slot");
	ASSERT_EQ(cur[1].key.id, 2, "entry 2, new, whole");
	ASSERT_EQ(cur[1].hist.count, 100, "all of it");
}

TEST(text_is_bccs_bars_and_a_summary)
{
	struct vigil_lat_hist h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample(&h);
	hist_print(f, &h, "usecs");
	hist_summary(f, &h, "us", 1000);
	fclose(f);
	ASSERT_TRUE(strstr(buf, "     usecs               : count    distribution\n") != NULL,
		    "heading");
	ASSERT_TRUE(strstr(buf, "         8 -> 15         : 50       |****************************"
				"************|\n") != NULL,
		    "the largest row has the full bar");
	ASSERT_TRUE(strstr(buf, "      1024 -> 2047       : 10       |********") != NULL,
		    "slot 10");
	ASSERT_TRUE(strstr(buf, "count 100, mean 1 us, p50 16, p90 32, p99") != NULL, "summary");
	free(buf);
}

TEST(json_buckets_are_per_slot)
{
	struct vigil_lat_hist h;
	struct json_object *j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample(&h);
	fputc('{', f);
	hist_json(f, &h, "sum_ns");
	fputc('}', f);
	fclose(f);
	j = json_tokener_parse(buf);
	if (ASSERT_NOT_NULL(j, buf)) {
		ASSERT_EQ(jint(j, "count"), 100, "count");
		ASSERT_EQ(jint(j, "sum_ns"), 100000, "sum");
		ASSERT_EQ(json_object_array_length(jget(j, "buckets")), 11, "buckets to the last");
		ASSERT_EQ(jint(j, "buckets.3.le"), 15, "le of slot 3");
		ASSERT_EQ(jint(j, "buckets.3.count"), 50, "count of slot 3 (not cumulative)");
		json_object_put(j);
	}
	free(buf);
}

TEST(syscall_names_from_the_headers)
{
	char buf[32];

	ASSERT_STREQ(syscall_name(SYS_getppid, buf, sizeof(buf)), "getppid", "getppid");
	ASSERT_STREQ(syscall_name(SYS_openat, buf, sizeof(buf)), "openat", "openat");
	ASSERT_STREQ(syscall_name(100000, buf, sizeof(buf)), "syscall_100000", "unknown");
	ASSERT_EQ(syscall_number("getppid"), SYS_getppid, "by name");
	ASSERT_EQ(syscall_number("no_such_call"), -ENOENT, "no such name");
}

TEST(softirq_names_from_btf)
{
	char buf[32];

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		SKIP("no kernel BTF");
		return;
	}
	/* NET_RX_SOFTIRQ is 3 in every kernel since 2.6 */
	ASSERT_STREQ(softirq_name(3, buf, sizeof(buf)), "net_rx", "vector 3");
	ASSERT_STREQ(softirq_name(99, buf, sizeof(buf)), "softirq_99", "no such vector");
}
