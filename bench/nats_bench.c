// SPDX-License-Identifier: GPL-2.0
/*
 * Events per second into NATS JetStream with no loss, against a nats-server -js on loopback
 * started here (its store in a temporary directory): the vigil NATS sink as the framework
 * drives it (send per event, flush every 256), whose batches are confirmed by one
 * acknowledgement, against libnats' asynchronous publish with an acknowledgement per message
 * (at most 4096 outstanding), and the floor of plain publishes with one acknowledgement at
 * the very end; and the sink with batch=N (N events in one message, JSON lines). Each round
 * publishes EVENTS realistic exec events (834 bytes of JSON) into a fresh stream, and counts
 * the events the stream holds: "lost" must be 0.
 * Interleaved rounds, medians; also the CPU time per event of the publisher (this process,
 * libnats' threads included) and of the server, which bound the rate on an idle machine.
 * Target (issue 21): 200,000 events/s.
 *
 * usage: nats_bench [events per round, default 300000] [rounds, default 3]
 */
#include <errno.h>
#include <nats/nats.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "sinks/sink.h"

extern const struct sink_ops sink_nats_ops;

#define PORT 14299

static const char event_fmt[] =
	"{\"time\":\"2026-12-07T16:53:58.675451232Z\",\"type\":\"exec\",\"seq\":%llu,"
	"\"host\":\"bench\",\"boot_id\":\"0cf8f616-0e98-4855-b95b-4e3a8f8748de\","
	"\"agent_instance\":\"%s\",\"process\":{\"pid\":11257,"
	"\"tid\":11257,\"ppid\":8799,\"uid\":0,\"user\":\"root\",\"euid\":0,\"euser\":\"root\","
	"\"gid\":0,\"group\":\"root\",\"comm\":\"clang-format\",\"exe\":\"/usr/lib/llvm-14/bin/"
	"clang-format\",\"args\":[\"clang-format\",\"--dry-run\",\"--Werror\",\"src/policy/"
	"set.c\"],"
	"\"cwd\":\"/work/wt-latency\",\"cgroup\":\"/\",\"cgroup_id\":1,\"exec_id\":\"11257:"
	"12022570591183\"},\"parent\":{\"pid\":8799,\"exe\":\"/usr/bin/dash\",\"comm\":\"sh\","
	"\"exec_id\":\"8799:11957260000000\",\"from_procfs\":true},\"ancestors\":[{\"pid\":8799,"
	"\"exe\":\"/usr/bin/dash\",\"args\":[\"/bin/sh\",\"-c\",\"clang-format --dry-run\"],"
	"\"exec_id\":\"8799:11957260000000\",\"from_procfs\":true},{\"pid\":1,\"exe\":\"/sbin/"
	"init\","
	"\"args\":[\"/sbin/init\"],\"exec_id\":\"1:180000000\",\"from_procfs\":true}]}";

static char dir[64];
static pid_t server;

/* CPU seconds used so far by this process (libnats' threads included) and by the server. */
static void cpu_now(double *self, double *srv)
{
	unsigned long ut = 0, st = 0;
	struct rusage ru;
	char path[64];
	FILE *f;

	getrusage(RUSAGE_SELF, &ru);
	*self = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	snprintf(path, sizeof(path), "/proc/%d/stat", server);
	f = fopen(path, "r");
	if (f && fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			&st) != 2)
		ut = st = 0;
	if (f)
		fclose(f);
	*srv = (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

/* A round's result: events/s, and CPU microseconds per event of the publisher and server. */
struct result {
	double rate, us_self, us_srv;
};

/* A round: publish @events into a stream of its own, named in @stream; events/s. */
typedef double (*round_fn)(int round, long events, char *stream, size_t len);

static long long stream_events(const char *stream, long events);

/* The events the stream lacks are counted after the CPU times: reading them back costs too. */
static struct result measure(round_fn fn, int round, long events, long long *lost)
{
	double s0, v0, s1, v1;
	char stream[32] = "";
	struct result r;

	cpu_now(&s0, &v0);
	r.rate = fn(round, events, stream, sizeof(stream));
	cpu_now(&s1, &v1);
	r.us_self = (s1 - s0) * 1e6 / events;
	r.us_srv = (v1 - v0) * 1e6 / events;
	*lost = events - stream_events(stream, events);
	return r;
}

static void print_row(const char *what, struct result *r, int rounds, long long lost)
{
	double rate[16], self[16], srv[16];

	for (int i = 0; i < rounds; i++) {
		rate[i] = r[i].rate;
		self[i] = r[i].us_self;
		srv[i] = r[i].us_srv;
	}
	printf("%-50s %10.0f %6lld %9.2f %9.2f\n", what, median(rate, rounds), lost,
	       median(self, rounds), median(srv, rounds));
}

static pid_t server_start(void)
{
	char cmd[256], *const argv[] = {
		"/usr/sbin/nats-server", "-js", "-a", "127.0.0.1", "-p", "14299", "-sd", cmd, NULL
	};

	snprintf(cmd, sizeof(cmd), "%s/store", dir);
	return start_until(argv, "Server is ready");
}

/* Messages in @stream now, or -1. */
static long long stream_msgs(const char *stream)
{
	natsConnection *nc = NULL;
	jsStreamInfo *si = NULL;
	jsCtx *js = NULL;
	long long n = -1;

	if (natsConnection_ConnectTo(&nc, "nats://127.0.0.1:14299") == NATS_OK &&
	    natsConnection_JetStream(&js, nc, NULL) == NATS_OK &&
	    js_GetStreamInfo(&si, js, stream, NULL, NULL) == NATS_OK)
		n = si->State.Msgs;
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return n;
}

/*
 * Events in @stream now (a message's Vigil-Events header, else one); 0 when it cannot be read.
 * As many messages as @events: one event each, nothing to read.
 */
static long long stream_events(const char *stream, long events)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsSubOptions so;
	jsCtx *js = NULL;
	long long n = stream_msgs(stream);
	uint64_t pending = 1;

	if (n == events || n <= 0)
		return n > 0 ? n : 0;
	n = 0;
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Ordered = true;
	if (natsConnection_ConnectTo(&nc, "nats://127.0.0.1:14299") != NATS_OK ||
	    natsConnection_JetStream(&js, nc, NULL) != NATS_OK ||
	    js_SubscribeSync(&sub, js, ">", NULL, &so, NULL) != NATS_OK)
		goto out;
	while (pending) {
		jsMsgMetaData *meta = NULL;
		const char *count = NULL;
		natsMsg *m = NULL;

		if (natsSubscription_NextMsg(&m, sub, 5000) != NATS_OK)
			break;
		n += natsMsgHeader_Get(m, "Vigil-Events", &count) == NATS_OK ? atoll(count) : 1;
		if (natsMsg_GetMetaData(&meta, m) == NATS_OK)
			pending = meta->NumPending;
		jsMsgMetaData_Destroy(meta);
		natsMsg_Destroy(m);
	}
out:
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return n;
}

/* The sink as the framework drives it; events/s until every batch is confirmed. */
static double sink_round(int round, long events, char *stream, size_t len, int batch)
{
	char url[256], line[2048], why[256] = "";
	struct sink_record r = { .type = "exec", .pid = 11257 };
	void *ctx;
	double t0;

	snprintf(stream, len, "SINK%d_%d", batch, round);
	snprintf(url, sizeof(url),
		 "nats://127.0.0.1:%d?stream=%s&prefix=s%d_%d.events&spool=%s/spool%d_%d&batch=%d",
		 PORT, stream, batch, round, dir, batch, round, batch);
	if (sink_nats_ops.open(&ctx, url, why, sizeof(why))) {
		fprintf(stderr, "nats_bench: %s\n", why);
		return 0;
	}
	/* the sink connects from its own thread: give it the connection first */
	usleep(500000);
	t0 = now_ns();
	for (long i = 1; i <= events; i++) {
		r.seq = i;
		r.len = snprintf(line, sizeof(line), event_fmt, (unsigned long long)i,
				 "7bc3379b-cbd5-4162-8879-2ba35ab32305");
		r.json = line;
		sink_nats_ops.send(ctx, &r);
		if (i % SINK_BATCH == 0)
			sink_nats_ops.flush(ctx);
	}
	sink_nats_ops.flush(ctx);
	sink_nats_ops.close(ctx); /* waits for the last acknowledgement */
	t0 = (now_ns() - t0) / 1e9;
	return events / t0;
}

static double round_sink(int round, long events, char *stream, size_t len)
{
	return sink_round(round, events, stream, len, 1);
}

static double round_batch16(int round, long events, char *stream, size_t len)
{
	return sink_round(round, events, stream, len, 16);
}

static double round_batch64(int round, long events, char *stream, size_t len)
{
	return sink_round(round, events, stream, len, 64);
}

static double round_batch256(int round, long events, char *stream, size_t len)
{
	return sink_round(round, events, stream, len, 256);
}

static long acked;

static void on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *c)
{
	(void)js;
	(void)pae;
	(void)c;
	acked += pa != NULL;
	natsMsg_Destroy(m);
}

/* libnats' asynchronous publish with an acknowledgement per message. */
static double round_each(int round, long events, char *stream, size_t len)
{
	char line[2048], subjects[32], id[96];
	const char *list[] = { subjects };
	natsConnection *nc = NULL;
	jsStreamConfig sc;
	jsPubOptions po;
	jsOptions o;
	jsCtx *js = NULL;
	double t0;

	snprintf(stream, len, "EACH%d", round);
	snprintf(subjects, sizeof(subjects), "e%d.>", round);
	jsOptions_Init(&o);
	o.PublishAsync.MaxPending = 4096;
	o.PublishAsync.AckHandler = on_ack;
	if (natsConnection_ConnectTo(&nc, "nats://127.0.0.1:14299") != NATS_OK ||
	    natsConnection_JetStream(&js, nc, &o) != NATS_OK)
		return 0;
	jsStreamConfig_Init(&sc);
	sc.Name = stream;
	sc.Subjects = list;
	sc.SubjectsLen = 1;
	js_AddStream(NULL, js, &sc, NULL, NULL);
	snprintf(subjects, sizeof(subjects), "e%d.bench.exec.none", round);
	acked = 0;
	t0 = now_ns();
	for (long i = 1; i <= events; i++) {
		natsMsg *m;
		int len = snprintf(line, sizeof(line), event_fmt, (unsigned long long)i,
				   "7bc3379b-cbd5-4162-8879-2ba35ab32305");

		snprintf(id, sizeof(id), "bench/7bc3379b-cbd5-4162-8879-2ba35ab32305/%ld", i);
		natsMsg_Create(&m, subjects, NULL, line, len);
		natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		if (js_PublishMsgAsync(js, &m, NULL) != NATS_OK)
			natsMsg_Destroy(m);
	}
	jsPubOptions_Init(&po);
	po.MaxWait = 30000;
	js_PublishAsyncComplete(js, &po);
	t0 = (now_ns() - t0) / 1e9;
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return events / t0;
}

/* The floor: plain publishes, one acknowledged at the very end (what libnats and the server
 * cost per message, with no batching or copies of vigil's). */
static double round_plain(int round, long events, char *stream, size_t len)
{
	char line[2048], subjects[32], id[96];
	const char *list[] = { subjects };
	natsConnection *nc = NULL;
	jsPubAck *pa = NULL;
	jsStreamConfig sc;
	jsCtx *js = NULL;
	double t0;

	snprintf(stream, len, "PLAIN%d", round);
	snprintf(subjects, sizeof(subjects), "p%d.>", round);
	if (natsConnection_ConnectTo(&nc, "nats://127.0.0.1:14299") != NATS_OK ||
	    natsConnection_JetStream(&js, nc, NULL) != NATS_OK)
		return 0;
	jsStreamConfig_Init(&sc);
	sc.Name = stream;
	sc.Subjects = list;
	sc.SubjectsLen = 1;
	js_AddStream(NULL, js, &sc, NULL, NULL);
	snprintf(subjects, sizeof(subjects), "p%d.bench.exec.none", round);
	t0 = now_ns();
	for (long i = 1; i <= events; i++) {
		natsMsg *m;
		int len = snprintf(line, sizeof(line), event_fmt, (unsigned long long)i,
				   "7bc3379b-cbd5-4162-8879-2ba35ab32305");

		snprintf(id, sizeof(id), "bench/7bc3379b-cbd5-4162-8879-2ba35ab32305/%ld", i);
		natsMsg_Create(&m, subjects, NULL, line, len);
		natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		if (i < events)
			natsConnection_PublishMsg(nc, m);
		else
			js_PublishMsg(&pa, js, m, NULL, NULL);
		natsMsg_Destroy(m);
	}
	t0 = (now_ns() - t0) / 1e9;
	jsPubAck_Destroy(pa);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return events / t0;
}

int main(int argc, char **argv)
{
	long events = argc > 1 ? atol(argv[1]) : 300000;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	static const struct {
		const char *what;
		round_fn fn;
	} rows[] = {
		{ "vigil's NATS sink: batches confirmed by one ack", round_sink },
		{ "libnats async publish, one ack per message", round_each },
		{ "floor: plain publishes, one ack at the end", round_plain },
		{ "vigil's NATS sink, batch=16 (events a message)", round_batch16 },
		{ "vigil's NATS sink, batch=64", round_batch64 },
		{ "vigil's NATS sink, batch=256", round_batch256 },
	};
	enum { ROWS = sizeof(rows) / sizeof(*rows) };
	struct result res[ROWS][16];
	long long lost[ROWS] = { 0 }, l = 0;
	char cmd[128];

	if (rounds < 1 || rounds > 16 || events < 1000) {
		fprintf(stderr, "usage: nats_bench [events >= 1000] [rounds 1..16]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "/tmp/vigil-nats-bench-XXXXXX");
	if (!mkdtemp(dir) || (server = server_start()) < 0) {
		fprintf(stderr, "nats_bench: no nats-server (make deps)\n");
		return 1;
	}
	/* interleaved: every row once a round */
	for (int i = 0; i < rounds; i++) {
		for (int k = 0; k < ROWS; k++) {
			res[k][i] = measure(rows[k].fn, i, events, &l);
			lost[k] += l;
		}
	}
	printf("%-50s %10s %6s %9s %9s\n", "into JetStream (nats-server on loopback)", "events/s",
	       "lost", "us/ev pub", "us/ev srv");
	for (int k = 0; k < ROWS; k++)
		print_row(rows[k].what, res[k], rounds, lost[k]);
	printf("(%ld events of %d bytes a round, median of %d rounds; target 200,000/s)\n", events,
	       (int)strlen(event_fmt), rounds);
	stop_child(server);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	quiet(cmd);
	return 0;
}
