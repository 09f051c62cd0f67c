// SPDX-License-Identifier: GPL-2.0
/*
 * The NATS sink's disk spool (sinks/spool.c) and URL (sinks/nats_url.c): order, the size
 * limit (oldest dropped first, counted), a restart that takes the spool up again, a record cut
 * by a crash, a directory others could write; the URL's options and what it refuses.
 */
#include "harness.h"
#include "sinks/nats_url.h"
#include "sinks/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static bool make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-spool-XXXXXX");
	return ASSERT_NOT_NULL(mkdtemp(dir), "a temporary directory");
}

static void remove_dir(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

static int put(struct spool *s, int i)
{
	char data[200], id[32];
	struct spool_msg m = { "vigil.events.h.exec.none", id, data, 0 };

	snprintf(id, sizeof(id), "h/i/%d", i);
	m.len = snprintf(data, sizeof(data), "{\"seq\":%d,\"pad\":\"%0120d\"}", i, 0);
	return spool_append(s, &m);
}

/* Read everything back, consuming; the seqs in order into @seqs. */
static size_t drain(struct spool *s, int *seqs, size_t max)
{
	struct spool_batch b = { 0 };
	size_t n = 0;

	while (!spool_peek(s, &b, 7) && b.n) {
		for (size_t i = 0; i < b.n && n < max; i++) {
			ASSERT_STREQ(b.msgs[i].subject, "vigil.events.h.exec.none", "subject kept");
			seqs[n++] = atoi(b.msgs[i].data + strlen("{\"seq\":"));
		}
		spool_consume(s, &b);
	}
	spool_batch_free(&b);
	return n;
}

TEST(spool_keeps_order_and_survives_a_restart)
{
	struct spool *s = NULL;
	char why[256], path[128];
	int seqs[100];
	struct stat st;
	size_t n;

	if (!make_dir())
		return;
	snprintf(path, sizeof(path), "%s/spool", dir);
	if (!ASSERT_OK(spool_open(&s, path, 1 << 20, why, sizeof(why)), why))
		goto out;
	for (int i = 1; i <= 50; i++)
		put(s, i);
	spool_close(s);
	ASSERT_OK(stat(path, &st), "the spool directory");
	ASSERT_EQ(st.st_mode & 0777, 0700, "made 0700");
	/* a restart takes up what was left, then new messages follow */
	if (!ASSERT_OK(spool_open(&s, path, 1 << 20, why, sizeof(why)), why))
		goto out;
	for (int i = 51; i <= 60; i++)
		put(s, i);
	n = drain(s, seqs, 100);
	ASSERT_EQ(n, 60, "every message back");
	for (size_t i = 0; i < n; i++)
		if (!ASSERT_EQ(seqs[i], (int)i + 1, "in the order they came"))
			break;
	ASSERT_TRUE(spool_empty(s), "empty once consumed");
	spool_close(s);
out:
	remove_dir();
}

TEST(spool_drops_oldest_and_counts_them)
{
	struct spool *s = NULL;
	struct spool_stats st;
	char why[256];
	int seqs[2000];
	size_t n;

	if (!make_dir())
		return;
	if (!ASSERT_OK(spool_open(&s, dir, SPOOL_MIN_LIMIT, why, sizeof(why)), why))
		goto out;
	for (int i = 1; i <= 1000; i++)
		if (!ASSERT_OK(put(s, i), "append"))
			break;
	spool_stats(s, &st);
	ASSERT_TRUE(st.bytes <= SPOOL_MIN_LIMIT, "within the limit");
	ASSERT_TRUE(st.dropped > 0, "something was dropped");
	ASSERT_EQ(st.events + st.dropped, 1000, "kept + dropped = appended");
	n = drain(s, seqs, 2000);
	ASSERT_EQ(n, st.events, "what is kept comes back");
	/* the oldest went: what is left is the newest, in order, up to the last */
	ASSERT_EQ(seqs[0], (int)st.dropped + 1, "the first kept follows the dropped ones");
	ASSERT_EQ(seqs[n - 1], 1000, "the newest kept");
	spool_close(s);
out:
	remove_dir();
}

/* Messages of the sink's batch=N: the counts are of their lines, through a restart too. */
TEST(spool_counts_the_events_of_batches)
{
	struct spool *s = NULL;
	struct spool_stats st, again;
	struct spool_msg one = { "s", "h/i/1", "{}", 2 }, two = { "s", "h/i/1-2", "{}\n{}\n", 6 };
	char why[256], data[512];
	struct spool_msg m = { "vigil.events.h.exec.none", "h/i/1-4", data, 0 };

	ASSERT_EQ(spool_msg_events(&one), 1, "a single event");
	ASSERT_EQ(spool_msg_events(&two), 2, "two lines, the last one ended by a newline");
	if (!make_dir())
		return;
	if (!ASSERT_OK(spool_open(&s, dir, SPOOL_MIN_LIMIT, why, sizeof(why)), why))
		goto out;
	m.len = snprintf(data, sizeof(data),
			 "{\"seq\":1,\"pad\":\"%0100d\"}\n{\"seq\":2}\n"
			 "{\"seq\":3}\n{\"seq\":4}",
			 0);
	for (int i = 0; i < 200; i++)
		if (!ASSERT_OK(spool_append(s, &m), "append"))
			break;
	spool_stats(s, &st);
	ASSERT_TRUE(st.dropped > 0, "something was dropped");
	ASSERT_EQ(st.events + st.dropped, 800, "kept + dropped = the events appended");
	ASSERT_EQ(st.events % 4, 0, "whole batches");
	spool_close(s);
	if (!ASSERT_OK(spool_open(&s, dir, SPOOL_MIN_LIMIT, why, sizeof(why)), why))
		goto out;
	spool_stats(s, &again);
	ASSERT_EQ(again.events, st.events, "a restart counts the same events");
	spool_close(s);
out:
	remove_dir();
}

TEST(spool_segment_being_replayed_is_not_dropped)
{
	struct spool *s = NULL;
	struct spool_batch b = { 0 };
	struct spool_stats st;
	char why[256];
	int first;

	if (!make_dir())
		return;
	if (!ASSERT_OK(spool_open(&s, dir, SPOOL_MIN_LIMIT, why, sizeof(why)), why))
		goto out;
	for (int i = 1; i <= 10; i++)
		put(s, i);
	ASSERT_OK(spool_peek(s, &b, 5), "peek");
	first = atoi(b.msgs[0].data + strlen("{\"seq\":"));
	for (int i = 11; i <= 1000; i++)
		put(s, i);
	/* the batch is still valid and consuming it removes exactly it */
	ASSERT_EQ(first, 1, "the peeked batch starts at the oldest");
	spool_consume(s, &b);
	spool_stats(s, &st);
	ASSERT_TRUE(st.dropped > 0, "others were dropped meanwhile");
	ASSERT_EQ(st.events + st.dropped + 5, 1000, "kept + dropped + delivered = appended");
	spool_batch_free(&b);
	spool_close(s);
out:
	remove_dir();
}

TEST(spool_record_cut_by_a_crash_is_dropped)
{
	struct spool *s = NULL;
	char why[256], seg[128];
	int seqs[10], fd;
	size_t n;

	if (!make_dir())
		return;
	if (!ASSERT_OK(spool_open(&s, dir, 1 << 20, why, sizeof(why)), why))
		goto out;
	for (int i = 1; i <= 3; i++)
		put(s, i);
	spool_close(s);
	/* half a record at the end, as a crash in the middle of a write leaves */
	snprintf(seg, sizeof(seg), "%s/%016x.spool", dir, 0);
	fd = open(seg, O_WRONLY | O_APPEND);
	ASSERT_TRUE(fd >= 0 && write(fd, "\x40\x00\x00\x00garbage", 11) == 11, "cut a record");
	if (fd >= 0)
		close(fd);
	if (!ASSERT_OK(spool_open(&s, dir, 1 << 20, why, sizeof(why)), why))
		goto out;
	n = drain(s, seqs, 10);
	ASSERT_EQ(n, 3, "the whole records are kept, the cut one is not");
	spool_close(s);
out:
	remove_dir();
}

TEST(spool_refuses_another_users_directory)
{
	struct spool *s = NULL;
	struct stat st;
	char why[256];
	int err;

	if (!harness_is_root()) {
		SKIP("needs root to chown");
		return;
	}
	if (!make_dir())
		return;
	ASSERT_OK(chown(dir, 65534, 65534), "chown");
	err = spool_open(&s, dir, 1 << 20, why, sizeof(why));
	ASSERT_EQ(err, -EPERM, "refused");
	ASSERT_TRUE(strstr(why, "another user owns it") != NULL, why);
	ASSERT_OK(chown(dir, 0, 0), "chown back");
	ASSERT_OK(chmod(dir, 0777), "open to all");
	if (ASSERT_OK(spool_open(&s, dir, 1 << 20, why, sizeof(why)), why))
		spool_close(s);
	ASSERT_OK(stat(dir, &st), "stat");
	ASSERT_EQ(st.st_mode & 0777, 0700, "made 0700 again");
	remove_dir();
}

TEST(nats_url_options)
{
	struct nats_url u;
	char why[256] = "";

	if (!ASSERT_OK(
		    nats_url_parse(&u,
				   "nats://a:4223,b?stream=FLEET&prefix=sec.ev&ca=/etc/ca%20x.pem"
				   "&creds=/c&spool=/s&spool-size=64M&create-stream=off&batch=64",
				   why, sizeof(why)),
		    why))
		return;
	ASSERT_EQ(u.n_servers, 2, "two servers");
	ASSERT_STREQ(u.servers[0], "nats://a:4223", "first");
	ASSERT_STREQ(u.servers[1], "nats://b:4222", "default port");
	ASSERT_STREQ(u.stream, "FLEET", "stream");
	ASSERT_STREQ(u.prefix, "sec.ev", "prefix");
	ASSERT_STREQ(u.ca, "/etc/ca x.pem", "%-decoded");
	ASSERT_TRUE(u.tls, "a CA turns TLS on");
	ASSERT_EQ(u.spool_size, 64 << 20, "spool-size");
	ASSERT_FALSE(u.create_stream, "create-stream=off");
	ASSERT_EQ(u.batch, 64, "batch=64");
	nats_url_free(&u);
	ASSERT_OK(nats_url_parse(&u, "nats://127.0.0.1:4222", why, sizeof(why)), why);
	ASSERT_STREQ(u.stream, "VIGIL", "default stream");
	ASSERT_STREQ(u.prefix, "vigil.events", "default prefix");
	ASSERT_STREQ(u.spool_dir, SPOOL_DEFAULT_DIR, "default spool");
	ASSERT_FALSE(u.tls, "no TLS unless asked");
	ASSERT_EQ(u.batch, 1, "one event a message unless asked");
	nats_url_free(&u);
}

TEST(nats_url_refusals)
{
	static const char *const bad[] = {
		"http://a:1",
		"nats://",
		"nats://a:0",
		"nats://a:70000",
		"nats://:4222",
		"nats://a?stream=x.y",
		"nats://a?stream=*",
		"nats://a?prefix=a..b",
		"nats://a?prefix=a.>",
		"nats://a?cert=/c",
		"nats://a?key=/k",
		"nats://a?tls=maybe",
		"nats://a?spool-size=1K",
		"nats://a?spool-size=12Q",
		"nats://a?nope=1",
		"nats://a?batch=0",
		"nats://a?batch=257",
		"nats://a?batch=-1",
		"nats://a?batch=8x",
		"nats://a?ca=%zz",
		"nats://a?ca=",
		"nats://u:p@a?creds=/c",
	};
	struct nats_url u;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why[0] = '\0';
		if (!ASSERT_EQ(nats_url_parse(&u, bad[i], why, sizeof(why)), -EINVAL, bad[i]))
			nats_url_free(&u);
		ASSERT_TRUE(why[0] != '\0', "a reason is given");
	}
}

TEST(nats_subject_tokens)
{
	char t[32];

	nats_subject_token(t, sizeof(t), "web-1.example.com");
	ASSERT_STREQ(t, "web-1_example_com", "dots are not tokens");
	nats_subject_token(t, sizeof(t), "a*b>c d");
	ASSERT_STREQ(t, "a_b_c_d", "wildcards and spaces");
	nats_subject_token(t, sizeof(t), "");
	ASSERT_STREQ(t, "unknown", "empty");
}
