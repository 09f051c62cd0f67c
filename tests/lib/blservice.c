// SPDX-License-Identifier: GPL-2.0
#include "blservice.h"
#include "harness.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The service -------------------------------------------------------------------------- */

static void loopback(struct sockaddr_in *a, int port)
{
	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* Bytes read from @path, or -1. */
static ssize_t svc_read(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n;
}

static void svc_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd >= 0) {
		ssize_t r = write(fd, "request\n", 8);

		(void)r; /* a lost log line changes nothing here */
		close(fd);
	}
}

static void svc_connect(int port)
{
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	loopback(&a, port);
	if (s >= 0) {
		connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
	}
}

static void svc_run(const char *path, const char *argv0, const char *arg1, const char *arg2)
{
	pid_t p = fork();

	if (!p) {
		execl(path, argv0, arg1, arg2, (char *)NULL);
		_exit(127);
	}
	if (p > 0)
		waitpid(p, NULL, 0);
}

/* Handle @req; the answer in @ans says whether a misbehaviour got what it was after. */
static void svc_handle(const char *dir, int peer, const char *req, char *ans, size_t len)
{
	char path[512];

	snprintf(ans, len, "ok\n");
	if (!strcmp(req, "normal")) {
		snprintf(path, sizeof(path), "%s/svc.conf", dir);
		svc_read(path);
		snprintf(path, sizeof(path), "%s/svc.log", dir);
		svc_append(path);
		svc_connect(peer);
		snprintf(path, sizeof(path), "%s/helper.sh", dir);
		svc_run(path, path, NULL, NULL);
	} else if (!strcmp(req, "shell")) {
		/* bash where there is one; busybox's sh in the VM, where sh is dash, the helper's
		 */
		snprintf(path, sizeof(path), ": > %s/shell-ran", dir);
		svc_run(access("/bin/bash", X_OK) ? "/bin/busybox" : "/bin/bash", "sh", "-c", path);
	} else if (!strcmp(req, "shadow")) {
		snprintf(ans, len, svc_read("/etc/shadow") > 0 ? "read\n" : "refused\n");
	} else if (!strcmp(req, "cron")) {
		snprintf(path, sizeof(path), "%s/cron.d/evil", dir);
		svc_append(path);
	} else if (!strncmp(req, "newport ", 8)) {
		svc_connect(atoi(req + 8));
	} else if (!strcmp(req, "bpf")) {
		snprintf(ans, len, !load_tiny_bpf_prog() ? "loaded\n" : "refused\n");
	} else if (!strcmp(req, "unknown")) {
		snprintf(path, sizeof(path), "%s/unknown-tool", dir);
		svc_run(path, path, NULL, NULL);
	}
}

static int serve(const char *dir, int port, int peer)
{
	struct sockaddr_in a;
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char req[64], ans[32];

	loopback(&a, port);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16))
		return 1;
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;

		if (c < 0)
			continue;
		n = read(c, req, sizeof(req) - 1);
		req[n > 0 ? n : 0] = 0;
		req[strcspn(req, "\n")] = 0;
		if (!strcmp(req, "quit"))
			return 0;
		svc_handle(dir, peer, req, ans, sizeof(ans));
		n = write(c, ans, strlen(ans)); /* a client that left needs no answer */
		close(c);
	}
}

void svc_serve_mode(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--serve"))
		exit(serve(argv[2], atoi(argv[3]), atoi(argv[4])));
	if (argc == 3 && !strcmp(argv[1], "--read"))
		exit(svc_read(argv[2]) < 0);
}

/* The test's side ------------------------------------------------------------------------- */

/* A listening socket on a loopback port the kernel picks: its fd, the port in *port. */
static int listen_any(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	loopback(&a, 0);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 128) ||
	    getsockname(s, (struct sockaddr *)&a, &len)) {
		close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

bool svc_ask(struct svc_fixture *f, const char *req, char *answer, size_t len)
{
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n = -1;

	loopback(&a, f->port);
	if (!connect(s, (struct sockaddr *)&a, sizeof(a)) &&
	    write(s, req, strlen(req)) == (ssize_t)strlen(req))
		n = read(s, answer, len - 1);
	answer[n > 0 ? n : 0] = 0;
	close(s);
	return n > 0;
}

bool svc_request(struct svc_fixture *f, const char *req)
{
	char buf[32];

	return svc_ask(f, req, buf, sizeof(buf));
}

bool svc_start(struct svc_fixture *f)
{
	char port[16], peer[16];

	snprintf(port, sizeof(port), "%d", f->port);
	snprintf(peer, sizeof(peer), "%d", f->peer_port);
	f->server = fork();
	if (!f->server) {
		setsid(); /* a daemon: no controlling terminal, whatever the test runs under */
		execl(f->svc, "svc", "--serve", f->dir, port, peer, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (svc_request(f, "ping"))
			return true;
		usleep(50000);
	}
	return false;
}

void svc_stop(struct svc_fixture *f)
{
	if (f->server <= 0)
		return;
	svc_request(f, "quit");
	waitpid(f->server, NULL, 0);
	f->server = 0;
}

void svc_drain_peer(struct svc_fixture *f)
{
	int c;

	while ((c = accept4(f->peer_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(c);
}

bool svc_normal_load(struct svc_fixture *f)
{
	for (int i = 0; i < 5; i++)
		if (!svc_request(f, "normal"))
			return false;
	return true;
}

bool svc_fixture_setup(struct svc_fixture *f)
{
	int s;

	memset(f, 0, sizeof(*f));
	f->peer_fd = f->new_fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-bl-XXXXXX");
	if (!mkdtemp(f->dir))
		return false;
	snprintf(f->svc, sizeof(f->svc), "%s/svc", f->dir);
	snprintf(f->bl, sizeof(f->bl), "%s/baselines", f->dir);
	/* the service's own port: free once this socket is closed */
	s = listen_any(&f->port);
	if (s >= 0)
		close(s);
	f->peer_fd = listen_any(&f->peer_port);
	f->new_fd = listen_any(&f->new_port);
	return s >= 0 && f->peer_fd >= 0 && f->new_fd >= 0 &&
	       !shf("cp /proc/%d/exe %s && mkdir %s/cron.d && echo 'workers: 2' > %s/svc.conf && "
		    "printf '#!/bin/sh\\necho helper >/dev/null\\n' > %s/helper.sh && "
		    "chmod 755 %s/helper.sh && cp /bin/true %s/unknown-tool && "
		    "echo 'tty only' > %s/tty-only",
		    getpid(), f->svc, f->dir, f->dir, f->dir, f->dir, f->dir, f->dir);
}

void svc_fixture_cleanup(struct svc_fixture *f)
{
	svc_stop(f);
	if (f->peer_fd >= 0)
		close(f->peer_fd);
	if (f->new_fd >= 0)
		close(f->new_fd);
	/* KEEP=1 in the environment keeps the directory to look at */
	if (f->dir[0] && !getenv("KEEP"))
		shf("rm -rf %s", f->dir);
}

bool svc_learn_start(struct svc_fixture *f, struct vigil_child *v, const char *anomalies)
{
	const char *args[] = { "baseline",	 "learn", "--exe", f->svc,    "--dir", f->bl,
			       "--quiet-period", "2s",	  "-o",	   anomalies, NULL };

	if (vigil_start_as_given(v, args)) {
		harness_check(false, __FILE__, __LINE__, "baseline learn did not start: %s",
			      v->err);
		return false;
	}
	return true;
}
