// SPDX-License-Identifier: GPL-2.0
/*
 * Event throughput (aggregation off: every open is one event): one process opens a watched file as
 * fast as it can (or at a set rate) for a few seconds while `vigil run --events open --path FILE -f
 * json -o OUT` writes every event to a file. Reports events/s delivered as JSON, and for each rate
 * whether every event was either delivered or counted as lost (nothing unaccounted), and the rate
 * at which loss starts. Then the consumer alone, draining a million queued events: to a file, to
 * a fifo (what vigil itself can do), and the ceiling of any writer appending that many bytes to a
 * file here. Target (issue 3): at least 500,000 events/s. Run as root from the repository root.
 *
 * usage: throughput_bench [seconds] [directory for the output file, default /tmp]
 */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"

static char watched[64], out[64];

#define DRAIN_EVENTS 1000000

/* Open+close @path at about @rate per second (0: flat out) for @seconds; returns the count. */
static long generate(double rate, double seconds)
{
	double start = now_ns(), end = start + seconds * 1e9, t;
	long n = 0;

	while ((t = now_ns()) < end) {
		if (rate > 0 && n > (t - start) * rate / 1e9) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (int i = 0; i < 64; i++)
			close(open(watched, O_RDONLY));
		n += 64;
	}
	return n;
}

/* Opens by @pid that reached the file, and the records reported lost, from vigil's output. */
static void count_output(pid_t pid, long *delivered, long *lost)
{
	char *line = NULL, needle[64];
	size_t cap = 0;
	FILE *f = fopen(out, "r");

	*delivered = *lost = 0;
	if (!f)
		return;
	snprintf(needle, sizeof(needle), "\"process\":{\"pid\":%d,", pid);
	while (getline(&line, &cap, f) > 0) {
		const char *l = strstr(line, "\"lost\":{\"count\":");

		if (strstr(line, "\"type\":\"open\"") && strstr(line, needle))
			(*delivered)++;
		else if (l)
			*lost += atol(l + strlen("\"lost\":{\"count\":"));
	}
	free(line);
	fclose(f);
}

struct result {
	double rate;
	long generated, delivered, lost;
};

static int run_at(double rate, double seconds, struct result *r)
{
	int p[2];
	pid_t vigil, gen;

	unlink(out);
	vigil = start_until((char *const[]){ "./vigil", "trace", "--aggregate", "0", "--events",
					     "open", "--path", watched, "-f", "json", "-o", out,
					     NULL },
			    "Ctrl-C to stop");
	if (vigil < 0 || pipe(p))
		return -1;
	gen = fork();
	if (gen == 0) {
		long n = generate(rate, seconds);

		if (write(p[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &r->generated, sizeof(r->generated)) != sizeof(r->generated))
		r->generated = -1;
	close(p[0]);
	waitpid(gen, NULL, 0);
	stop_child(vigil); /* it drains what is queued before it exits */
	r->rate = rate;
	count_output(gen, &r->delivered, &r->lost);
	return 0;
}

/*
 * MB/s of a plain loop of 1 MiB write()s of @bytes to a new file beside the output, after a
 * quiet while, then removed: the ceiling for any writer appending a drain's output here. This VM's
 * balloon takes back memory a few seconds after it is freed (free page reporting), and writing
 * into it faults it in again from the host: dd wrote 600 MB at 325 MB/s so, and at 3-4.7 GB/s
 * into memory freed a moment before.
 */
static double fresh_write_rate(long bytes)
{
	static char buf[1 << 20];
	long done = 0;
	double start;
	int fd;

	sleep(10);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	memset(buf, 'x', sizeof(buf));
	start = now_ns();
	while (done < bytes && write(fd, buf, sizeof(buf)) == sizeof(buf))
		done += sizeof(buf);
	close(fd);
	unlink(out);
	return done / ((now_ns() - start) / 1e9) / 1e6;
}

/*
 * The fifo's reader: once @target lines came, sends (lines, bytes, the time then) on @result_fd;
 * reads on to EOF.
 */
static void read_fifo(int result_fd, long target)
{
	static char buf[1 << 20];
	double r[3] = { 0, 0, 0 };
	bool sent = false;
	ssize_t n;
	int fd = open(out, O_RDONLY);

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; (p = memchr(p, '\n', buf + n - p)); p++)
			r[0]++;
		r[1] += n;
		if (!sent && r[0] >= target) {
			r[2] = now_ns();
			sent = write(result_fd, r, sizeof(r)) == sizeof(r);
		}
	}
	_exit(0);
}

/*
 * The consumer's own speed: with vigil stopped (SIGSTOP), fill a large ring buffer, then let
 * it go and time how long it takes to write everything out, to a file (done when it stops
 * growing for 300 ms) or with @to_fifo to a fifo this process reads. Returns events/s, or -1;
 * *@bytes is the output's size.
 */
static double drain_rate(long events, bool to_fifo, long *lost, long *bytes)
{
	double fifo[3] = { 0, 0, 0 };
	long delivered = 0;
	double start, last_change;
	int status, p[2] = { -1, -1 };
	pid_t vigil, gen, reader = -1;
	struct stat st;
	off_t size = -1;

	unlink(out);
	*lost = 0;
	if (to_fifo) {
		if (mkfifo(out, 0600) || pipe(p))
			return -1;
		reader = fork();
		if (reader == 0)
			read_fifo(p[1], events);
		close(p[1]);
	}
	vigil = start_until((char *const[]){ "./vigil", "trace", "--aggregate", "0", "--events",
					     "open", "--path", watched, "--ring-buffer", "1G", "-f",
					     "json", "-o", out, NULL },
			    "Ctrl-C to stop");
	if (vigil < 0)
		return -1;
	kill(vigil, SIGSTOP);
	gen = fork();
	if (gen == 0) {
		for (long i = 0; i < events; i++)
			close(open(watched, O_RDONLY));
		_exit(0);
	}
	waitpid(gen, &status, 0);
	start = last_change = now_ns();
	kill(vigil, SIGCONT);
	if (to_fifo) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		bool done = poll(&pfd, 1, 120000) == 1 &&
			    read(p[0], fifo, sizeof(fifo)) == sizeof(fifo);

		stop_child(vigil);
		waitpid(reader, NULL, 0);
		close(p[0]);
		unlink(out);
		*bytes = fifo[1];
		return done ? fifo[0] / ((fifo[2] - start) / 1e9) : -1;
	}
	/* Done when the file stops growing for 300 ms. */
	while (now_ns() - last_change < 300e6) {
		usleep(10000);
		if (!stat(out, &st) && st.st_size != size) {
			size = st.st_size;
			last_change = now_ns();
		}
	}
	stop_child(vigil);
	*bytes = size;
	count_output(gen, &delivered, lost);
	if (delivered + *lost != events)
		fprintf(stderr, "throughput_bench: %ld events unaccounted in the drain run\n",
			events - delivered - *lost);
	return delivered / ((last_change - start) / 1e9);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2;
	static const double rates[] = { 0, 100000, 200000, 300000, 400000, 500000, 700000 };
	double first_loss = -1;
	int fd;

	if (geteuid()) {
		fprintf(stderr, "throughput_bench: needs root (loads BPF)\n");
		return 77;
	}
	snprintf(watched, sizeof(watched), "/tmp/vigil-tput-%d", getpid());
	snprintf(out, sizeof(out), "%s/vigil-tput-out-%d", argc > 2 ? argv[2] : "/tmp", getpid());
	fd = open(watched, O_WRONLY | O_CREAT, 0600);
	close(fd);
	printf("event throughput: open events of a watched file to JSON in a file, %.0f s a rate\n",
	       seconds);
	printf("  %-12s %12s %12s %10s %12s\n", "asked (/s)", "generated/s", "delivered/s", "lost",
	       "unaccounted");
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct result r;
		long unaccounted;
		char label[32];

		if (run_at(rates[i], seconds, &r)) {
			fprintf(stderr, "throughput_bench: vigil did not start\n");
			break;
		}
		unaccounted = r.generated - r.delivered - r.lost;
		if (r.lost && (first_loss < 0 || r.generated / seconds < first_loss))
			first_loss = r.generated / seconds;
		snprintf(label, sizeof(label), rates[i] ? "%.0f" : "flat out", rates[i]);
		printf("  %-12s %12.0f %12.0f %10ld %12ld\n", label, r.generated / seconds,
		       r.delivered / seconds, r.lost, unaccounted);
	}
	if (first_loss > 0)
		printf("  loss starts at about %.0f events/s (target: >= 500,000 delivered)\n",
		       first_loss);
	else
		printf("  no loss at any rate tried\n");
	{
		long lost = 0, bytes = 0, fifo_bytes = 0, lost_fifo = 0;
		double to_file = drain_rate(DRAIN_EVENTS, false, &lost, &bytes);
		double to_fifo = drain_rate(DRAIN_EVENTS, true, &lost_fifo, &fifo_bytes);
		double mbps = fresh_write_rate(bytes);

		printf("  consumer alone, %d queued events written out (target >= 500,000/s):\n",
		       DRAIN_EVENTS);
		printf("    to a file:  %9.0f events/s (%ld lost, %.0f bytes each)\n", to_file,
		       lost, bytes / (double)DRAIN_EVENTS);
		printf("    to a fifo:  %9.0f events/s (read by this process)\n", to_fifo);
		printf("    ceiling:    %9.0f events/s of those bytes: %ld MB to a new file at "
		       "%.0f MB/s\n",
		       mbps * 1e6 / (bytes / (double)DRAIN_EVENTS), bytes >> 20, mbps);
	}
	unlink(watched);
	unlink(out);
	return 0;
}
