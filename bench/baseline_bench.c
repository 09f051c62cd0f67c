// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline benchmark: the request rate of a small loopback service (this binary, copied and run
 * with --serve: each request reads its config, appends to its log and connects to a peer; one
 * in 20 also runs a helper script), in interleaved rounds under four conditions in the same run:
 *
 *   none      no agent
 *   run       `vigil run` with its defaults (the built-in rules): vigil with no baseline
 *   learn     `vigil baseline learn --exe SVC`: learning the service
 *   monitor   the same with the service's baseline in monitor mode: comparing, not learning
 *
 * Each round runs the conditions in turn (A B C D A B C D ...); the table shows the medians
 * and the ratios. Run as root from the repository root.
 *
 * usage: baseline_bench [rounds] [requests]
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"

enum cond { NONE, RUN, LEARN, MONITOR, N_COND };
static const char *const cond_names[N_COND] = { "none (no agent)", "vigil run (no baseline)",
						"baseline learn", "baseline monitor" };

static void loopback(struct sockaddr_in *a, int port)
{
	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* The service ---------------------------------------------------------------------------- */

static void handle(const char *dir, int peer, unsigned long n)
{
	struct sockaddr_in a;
	char path[512], buf[256];
	int fd, s;

	snprintf(path, sizeof(path), "%s/svc.conf", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = read(fd, buf, sizeof(buf));

		(void)r;
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/svc.log", dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t r = write(fd, "request\n", 8);

		(void)r;
		close(fd);
	}
	loopback(&a, peer);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
	}
	if (n % 20 == 0) {
		pid_t p = fork();

		snprintf(path, sizeof(path), "%s/helper.sh", dir);
		if (!p) {
			execl(path, path, (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
}

static int serve(const char *dir, int port, int peer)
{
	struct sockaddr_in a;
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned long n = 0;
	char req[16];

	loopback(&a, port);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64))
		return 1;
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		ssize_t len;

		if (c < 0)
			continue;
		len = read(c, req, sizeof(req) - 1);
		req[len > 0 ? len : 0] = 0;
		if (!strncmp(req, "quit", 4))
			return 0;
		if (strncmp(req, "ping", 4))
			handle(dir, peer, ++n);
		len = write(c, "ok\n", 3); /* a client that left needs no answer */
		close(c);
	}
}

__attribute__((constructor)) static void service_mode(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--serve"))
		exit(serve(argv[2], atoi(argv[3]), atoi(argv[4])));
}

/* The benchmark -------------------------------------------------------------------------- */

struct setup {
	char dir[64], svc[128];
	int port, peer_port, peer_fd;
};

static bool request(const struct setup *s, const char *req)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[8];
	bool ok;

	loopback(&a, s->port);
	ok = !connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	     write(fd, req, strlen(req)) == (ssize_t)strlen(req) && read(fd, buf, sizeof(buf)) > 0;
	close(fd);
	return ok;
}

/* Requests a second through a fresh service process (its start-up is not timed). */
static double serve_rate(const struct setup *s, int requests)
{
	char port[16], peer[16];
	double start, rate = -1;
	pid_t pid;

	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(peer, sizeof(peer), "%d", s->peer_port);
	pid = fork();
	if (!pid) {
		setsid();
		execl(s->svc, "svc", "--serve", s->dir, port, peer, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !request(s, "ping"); i++)
		usleep(20000);
	start = now_ns();
	for (int i = 0; i < requests; i++)
		if (!request(s, "normal"))
			goto out;
	rate = requests / ((now_ns() - start) / 1e9);
out:
	request(s, "quit");
	waitpid(pid, NULL, 0);
	return rate;
}

static double run_cond(const struct setup *s, enum cond c, int requests)
{
	char bl[192];
	pid_t agent = -1;
	double rate;

	snprintf(bl, sizeof(bl), "%s/%s", s->dir, c == LEARN ? "bl-learn" : "bl-monitor");
	if (c == RUN)
		agent = start_until((char *const[]){ "./vigil", "run", "-o", "/dev/null", NULL },
				    "Ctrl-C to stop");
	else if (c == LEARN || c == MONITOR)
		agent = start_until((char *const[]){ "./vigil", "baseline", "learn", "--exe",
						     (char *)s->svc, "--dir", bl, "-o", "/dev/null",
						     NULL },
				    "Ctrl-C to stop");
	if (c != NONE && agent <= 0)
		return -1;
	rate = serve_rate(s, requests);
	if (agent > 0)
		stop_child(agent);
	return rate;
}

static bool set_up(struct setup *s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char cmd[1024];
	int fd;

	snprintf(s->dir, sizeof(s->dir), "/tmp/vigil-bench-bl-XXXXXX");
	if (!mkdtemp(s->dir))
		return false;
	snprintf(s->svc, sizeof(s->svc), "%s/svc", s->dir);
	/* a test environment of its own: no running agent's socket, pins or policies */
	setenv("VIGIL_CONTROL_SOCKET", strcat(strcpy(cmd, s->dir), "/control.sock"), 1);
	setenv("VIGIL_BPF_ROOT", "/sys/fs/bpf/vigil-bench-baseline", 1);
	setenv("VIGIL_POLICY_DIR", strcat(strcpy(cmd, s->dir), "/policies.d"), 1);
	snprintf(cmd, sizeof(cmd),
		 "cp /proc/%d/exe %s && echo 'workers: 2' > %s/svc.conf && "
		 "printf '#!/bin/sh\\nexit 0\\n' > %s/helper.sh && chmod 755 %s/helper.sh",
		 getpid(), s->svc, s->dir, s->dir, s->dir);
	if (quiet(cmd))
		return false;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	loopback(&a, 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (void *)&a, &len))
		return false;
	s->port = ntohs(a.sin_port);
	close(fd);
	s->peer_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	loopback(&a, 0);
	len = sizeof(a);
	if (bind(s->peer_fd, (struct sockaddr *)&a, sizeof(a)) || listen(s->peer_fd, 4096) ||
	    getsockname(s->peer_fd, (void *)&a, &len))
		return false;
	s->peer_port = ntohs(a.sin_port);
	return true;
}

/* The peer never accepts: empty its backlog between rounds. */
static void drain_peer(const struct setup *s)
{
	int fl = fcntl(s->peer_fd, F_GETFL), c;

	fcntl(s->peer_fd, F_SETFL, fl | O_NONBLOCK);
	while ((c = accept(s->peer_fd, NULL, NULL)) >= 0)
		close(c);
	fcntl(s->peer_fd, F_SETFL, fl);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int requests = argc > 2 ? atoi(argv[2]) : 2000;
	double t[N_COND][64], med[N_COND];
	struct setup s = { .peer_fd = -1 };
	char cmd[1024];
	int ret = 1;

	if (rounds < 1 || rounds > 64 || requests < 20) {
		fprintf(stderr, "usage: baseline_bench [rounds 1..64] [requests, 20 or more]\n");
		return 64;
	}
	if (geteuid()) {
		fprintf(stderr, "baseline_bench: needs root (loads BPF)\n");
		return 77;
	}
	if (!set_up(&s)) {
		fprintf(stderr, "baseline_bench: cannot set up the service\n");
		goto out;
	}
	/* the monitored baseline: learned once, then put in monitor mode */
	if (run_cond(&s, LEARN, requests) < 0)
		goto out;
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s/bl-learn %s/bl-monitor && ./vigil baseline mode %s monitor --dir "
		 "%s/bl-monitor",
		 s.dir, s.dir, s.svc, s.dir);
	if (quiet(cmd)) {
		fprintf(stderr, "baseline_bench: cannot make the monitored baseline\n");
		goto out;
	}
	for (int r = 0; r < rounds; r++)
		for (int c = 0; c < N_COND; c++) {
			drain_peer(&s);
			t[c][r] = run_cond(&s, c, requests);
			if (t[c][r] < 0) {
				fprintf(stderr, "baseline_bench: %s failed\n", cond_names[c]);
				goto out;
			}
		}
	for (int c = 0; c < N_COND; c++)
		med[c] = median(t[c], rounds);
	printf("baseline: loopback service (read config, append log, connect peer; exec 1 in 20), "
	       "%d rounds x %d requests, interleaved, medians\n",
	       rounds, requests);
	printf("  %-26s %12s %9s %9s\n", "condition", "requests/s", "vs none", "vs run");
	for (int c = 0; c < N_COND; c++)
		printf("  %-26s %12.0f %8.3fx %8.3fx\n", cond_names[c], med[c], med[c] / med[NONE],
		       med[c] / med[RUN]);
	printf("  cost of learning: %+.1f%% vs no agent, %+.1f%% vs vigil run; of monitoring: "
	       "%+.1f%%, %+.1f%% (goal: under 3%%)\n",
	       (1 - med[LEARN] / med[NONE]) * 100, (1 - med[LEARN] / med[RUN]) * 100,
	       (1 - med[MONITOR] / med[NONE]) * 100, (1 - med[MONITOR] / med[RUN]) * 100);
	ret = 0;
out:
	if (s.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", s.dir);
		quiet(cmd);
	}
	return ret;
}
