// SPDX-License-Identifier: GPL-2.0
/*
 * Sink throughput with no loss: events of a realistic size (a JSON line of about 1 KiB, as
 * `vigil run` writes) handed to a sink as fast as its queue takes them, without ever letting
 * it fill, until the sink reports every one sent. Through syslog+tcp:// into a loopback reader
 * that discards (vigil's own ceiling: framing, copying, the socket), then into Debian's rsyslog
 * writing a file (end to end; rsyslog's count must match). Target (issue 21): syslog TCP at
 * least 100,000 events/s. Run from the repository root; rsyslog's part needs rsyslogd.
 *
 * usage: sink_bench [events, default 500000]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "sinks/sink.h"

static char line[1100];

/* A line shaped like an exec event's. */
static void make_line(void)
{
	int n = snprintf(line, sizeof(line),
			 "{\"time\":\"2026-12-07T17:00:00.000000000Z\",\"type\":\"exec\",\"seq\":1,"
			 "\"host\":\"bench\",\"boot_id\":\"0cf8f616-0e98-4855-b95b-4e3a8f8748de\","
			 "\"agent_instance\":\"3c883b65-b8a5-407c-8d52-624581d79808\",\"process\":"
			 "{\"pid\":28545,\"tid\":28545,\"ppid\":25384,\"uid\":0,\"user\":\"root\","
			 "\"comm\":\"git\",\"exe\":\"/usr/bin/git\",\"args\":[\"git\",\"log\"]");

	while (n < (int)sizeof(line) - 40)
		n += snprintf(line + n, sizeof(line) - n, ",\"pad%d\":\"xxxxxxxxxxxxxxxx\"", n);
	snprintf(line + n, sizeof(line) - n, "}");
}

static int reader_fd;
static unsigned long long reader_bytes;

/* The loopback peer that reads and discards. */
static void *reader(void *arg)
{
	static char buf[1 << 16];
	int fd = accept(reader_fd, NULL, NULL);
	ssize_t r;

	(void)arg;
	while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
		reader_bytes += r;
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int listen_loopback(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len) || listen(fd, 4))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* Events/s through @url with no loss; -1 when the sink did not take them all. */
static double run(const char *url, long n)
{
	const char *urls[] = { url };
	struct sink_record r = { .json = line, .len = strlen(line), .type = "exec", .pid = 1 };
	struct sink_stats st;
	struct sinks *s;
	char why[256];
	double t0, t;

	if (sinks_open(&s, urls, 1, 65536, why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		r.seq = i + 1;
		clock_gettime(CLOCK_REALTIME, &r.time);
		/* never let the queue fill: this measures delivery, not drops */
		for (;;) {
			sinks_stats(s, 0, &st);
			if (st.depth + 256 < st.capacity)
				break;
			sinks_kick(s);
			usleep(100);
		}
		sinks_publish(s, &r);
		if (!(i % 256))
			sinks_kick(s);
	}
	do {
		sinks_kick(s);
		usleep(1000);
		sinks_stats(s, 0, &st);
	} while (st.sent + st.failed + st.dropped_queue_full < (uint64_t)n);
	t = now_ns() - t0;
	sinks_close(s);
	if (st.sent != (uint64_t)n) {
		fprintf(stderr, "  sent %llu of %ld (%llu dropped, %llu failed)\n",
			(unsigned long long)st.sent, n, (unsigned long long)st.dropped_queue_full,
			(unsigned long long)st.failed);
		return -1;
	}
	return n / (t / 1e9);
}

/* rsyslog on loopback writing every message to a file: its lines, once it has them all. */
static void through_rsyslog(long n)
{
	char dir[] = "/tmp/vigil-sink-bench-XXXXXX", conf[128], url[64], cmd[512];
	double rate, t0;
	long lines = 0;
	int port, fd;
	pid_t pid;
	FILE *f;

	if (quiet("command -v rsyslogd") || !mkdtemp(dir)) {
		printf("rsyslog: skipped (no rsyslogd: make deps installs it)\n");
		return;
	}
	fd = listen_loopback(&port);
	close(fd);
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", dir);
	f = fopen(conf, "w");
	fprintf(f,
		"global(workDirectory=\"%1$s\" maxMessageSize=\"64k\")\nmodule(load=\"imtcp\")\n"
		"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%2$d\")\n"
		"action(type=\"omfile\" file=\"%1$s/out.log\" "
		"template=\"RSYSLOG_SyslogProtocol23Format\")\n",
		dir, port);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/pid", dir);
	pid = fork();
	if (pid == 0) {
		/* rsyslogd itself, so that the kill below reaches it */
		execlp("rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", cmd, (char *)NULL);
		_exit(127);
	}
	sleep(2);
	snprintf(url, sizeof(url), "syslog+tcp://127.0.0.1:%d", port);
	t0 = now_ns();
	rate = run(url, n);
	/* end to end: until rsyslog has written every message */
	snprintf(cmd, sizeof(cmd), "wc -l <%s/out.log 2>/dev/null", dir);
	for (int i = 0; i < 600 && lines < n; i++) {
		FILE *p = popen(cmd, "r");

		if (!p || fscanf(p, "%ld", &lines) != 1)
			lines = 0;
		if (p)
			pclose(p);
		if (lines < n)
			usleep(100000);
	}
	printf("syslog+tcp into rsyslog: vigil sent at %.0f events/s; rsyslog wrote %ld of %ld, "
	       "all by %.0f events/s\n",
	       rate, lines, n, lines / ((now_ns() - t0) / 1e9));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	quiet(cmd);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 500000;
	pthread_t t;
	char url[64];
	double rate;
	int port;

	signal(SIGPIPE, SIG_IGN);
	make_line();
	printf("%ld events of %zu bytes each\n", n, strlen(line));
	reader_fd = listen_loopback(&port);
	pthread_create(&t, NULL, reader, NULL);
	snprintf(url, sizeof(url), "syslog+tcp://127.0.0.1:%d", port);
	rate = run(url, n);
	printf("syslog+tcp into a reader that discards: %.0f events/s, no loss%s\n", rate,
	       rate < 0 ? " (FAILED: not all sent)" : "");
	shutdown(reader_fd, SHUT_RDWR);
	close(reader_fd);
	through_rsyslog(n);
	return 0;
}
