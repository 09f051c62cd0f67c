// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics registry (export/metrics.h): samples from several collectors grouped by family,
 * label values escaped, and snapshots handed from the main loop to another thread.
 */
#include "harness.h"
#include "testlib.h"

#include "export/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void sink_a(struct metrics_batch *b, void *ctx)
{
	(void)ctx;
	metrics_drops(b, "queue", "a", 3);
	metrics_gauge(b, "test_temperature_celsius", "A gauge", 21.5, NULL);
	metrics_counter(b, "test_run_seconds_total", "A sum of nanoseconds", 4734626 / 1e9, NULL);
	metrics_counter(b, "test_big_total", "A large count", 123456789012345.0, NULL);
}

static void sink_b(struct metrics_batch *b, void *ctx)
{
	(void)ctx;
	metrics_drops(b, "spool", "b", 4);
	metrics_counter(b, "test_odd_total", "Labels that need escaping", 1, "value",
			"a \"quoted\" back\\slash\nnewline", NULL);
	/* the same name as another type: a bug, left out rather than a broken text */
	metrics_counter(b, "test_temperature_celsius", "Not a counter", 1, NULL);
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

TEST(families_are_grouped_and_labels_escaped)
{
	struct metrics *m;
	char *text = NULL;
	size_t len;

	if (!ASSERT_OK(metrics_new(&m), "metrics_new"))
		return;
	ASSERT_OK(metrics_add_collector(m, sink_a, NULL), "collector a");
	ASSERT_OK(metrics_add_collector(m, sink_b, NULL), "collector b");
	ASSERT_EQ(metrics_snapshot(m, 0, &text, &len), -EAGAIN, "nothing before a publish");
	metrics_publish(m);
	if (!ASSERT_OK(metrics_snapshot(m, 0, &text, &len), "a snapshot"))
		goto out;
	ASSERT_EQ(len, strlen(text), "its length");
	ASSERT_EQ(count(text, "# TYPE vigil_events_dropped_total counter\n"), 1, "one TYPE");
	ASSERT_TRUE(strstr(text, "# TYPE vigil_events_dropped_total counter\n"
				 "vigil_events_dropped_total{stage=\"queue\",sink=\"a\"} 3\n"
				 "vigil_events_dropped_total{stage=\"spool\",sink=\"b\"} 4\n"),
		    "both sinks' drops together");
	ASSERT_TRUE(
		strstr(text,
		       "test_odd_total{value=\"a \\\"quoted\\\" back\\\\slash\\nnewline\"} 1\n"),
		"escaped");
	ASSERT_TRUE(strstr(text, "test_temperature_celsius 21.5\n"), "a gauge");
	ASSERT_TRUE(strstr(text, "test_run_seconds_total 0.004734626\n"), "the fewest digits");
	ASSERT_TRUE(strstr(text, "test_big_total 123456789012345\n"), "a count, exactly");
	ASSERT_EQ(count(text, "test_temperature_celsius"), 3, "HELP, TYPE and one sample");
	ASSERT_TRUE(strstr(text, "# TYPE vigil_metrics_build_seconds gauge\n"), "its own cost");
	if (!access("/usr/bin/promtool", X_OK)) {
		char cmd[] = "/tmp/vigil-test-registry-XXXXXX", out[4096];
		int fd = mkstemp(cmd);

		if (ASSERT_GE(fd, 0, "a temporary file")) {
			ASSERT_EQ(write(fd, text, len), (ssize_t)len, "written");
			close(fd);
			ASSERT_EQ(shf_out(out, sizeof(out), "promtool check metrics < %s", cmd), 0,
				  out);
			unlink(cmd);
		}
	}
out:
	free(text);
	metrics_free(m);
}

struct scrape {
	struct metrics *m;
	int err;
	char *text;
};

static void *scraper(void *arg)
{
	struct scrape *s = arg;
	size_t len;

	s->err = metrics_snapshot(s->m, 5000, &s->text, &len);
	return NULL;
}

static int ticks;

static void ticking(struct metrics_batch *b, void *ctx)
{
	(void)ctx;
	metrics_counter(b, "test_ticks_total", "Snapshots built", ++ticks, NULL);
}

TEST(a_scrape_waits_for_the_main_loop)
{
	struct scrape s = { 0 };
	pthread_t t;
	size_t len;

	if (!ASSERT_OK(metrics_new(&s.m), "metrics_new"))
		return;
	ASSERT_OK(metrics_add_collector(s.m, ticking, NULL), "collector");
	metrics_publish(s.m);
	metrics_tick(s.m);
	ASSERT_EQ(ticks, 1, "no snapshot built while nobody asks");
	/* a main loop that does not turn: the last snapshot, after the wait */
	ASSERT_OK(metrics_snapshot(s.m, 50, &s.text, &len), "a stale snapshot");
	ASSERT_TRUE(s.text && strstr(s.text, "test_ticks_total 1\n"), "the last one");
	free(s.text);
	s.text = NULL;
	pthread_create(&t, NULL, scraper, &s);
	/* the main loop's turns, until the scraper got its answer */
	for (int i = 0; i < 500 && ticks < 2; i++) {
		metrics_tick(s.m);
		usleep(1000);
	}
	pthread_join(t, NULL);
	ASSERT_OK(s.err, "the scrape answered");
	ASSERT_TRUE(s.text && strstr(s.text, "test_ticks_total 2\n"), "with a fresh snapshot");
	free(s.text);
	metrics_free(s.m);
}

static void histograms(struct metrics_batch *b, void *ctx)
{
	static const double le[] = { 0.001, 0.003 };
	static const uint64_t cum[] = { 2, 5 };
	const struct metrics_hist h = { le, cum, 2, 0.0125, 7 };

	(void)ctx;
	metrics_histogram(b, "test_wait_seconds", "A histogram", &h, "disk", "vda", NULL);
	metrics_histogram(b, "test_wait_seconds", "A histogram", &h, "disk", "vdb", NULL);
	metrics_histogram(b, "test_plain_seconds", "No labels", &h, NULL);
}

TEST(histograms_have_cumulative_buckets_sum_and_count)
{
	static const char *const want[] = {
		"# TYPE test_wait_seconds histogram\n",
		"test_wait_seconds_bucket{disk=\"vda\",le=\"0.001\"} 2\n",
		"test_wait_seconds_bucket{disk=\"vda\",le=\"0.003\"} 5\n",
		"test_wait_seconds_bucket{disk=\"vda\",le=\"+Inf\"} 7\n",
		"test_wait_seconds_sum{disk=\"vda\"} 0.0125\n",
		"test_wait_seconds_count{disk=\"vda\"} 7\n",
		"test_wait_seconds_count{disk=\"vdb\"} 7\n",
		"test_plain_seconds_bucket{le=\"+Inf\"} 7\n",
		"test_plain_seconds_sum 0.0125\n",
	};
	struct metrics *m;
	char *text = NULL;
	size_t len;

	if (!ASSERT_OK(metrics_new(&m), "metrics_new"))
		return;
	ASSERT_OK(metrics_add_collector(m, histograms, NULL), "collector");
	metrics_publish(m);
	if (ASSERT_OK(metrics_snapshot(m, 0, &text, &len), "a snapshot")) {
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			ASSERT_TRUE(strstr(text, want[i]), want[i]);
		ASSERT_EQ(count(text, "# TYPE test_wait_seconds"), 1, "one family for both disks");
	}
	free(text);
	metrics_free(m);
}
