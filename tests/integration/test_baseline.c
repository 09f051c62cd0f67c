// SPDX-License-Identifier: GPL-2.0
/*
 * vigil baseline on a small service of our own: this binary, copied and run with --serve, is a
 * loopback server that reads its config, writes a log, connects to a peer and runs a helper
 * script for each normal request, and misbehaves on request. It is learned under its normal
 * load, monitored under the same load (no anomaly), then made to misbehave (one anomaly for
 * each thing it did new). A changed binary starts a fresh baseline; a tty session running the
 * same program is not learned; the baseline exports to a policy that `vigil policy check` takes
 * and that, once the baseline is put in enforce mode, stops the service when it misbehaves.
 */
#include "harness.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The service ------------------------------------------------------------------------------ */

static void svc_read(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			buf[0] = 0;
		close(fd);
	}
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
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s >= 0) {
		connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
	}
}

static void svc_run(const char *path, const char *arg)
{
	pid_t p = fork();

	if (!p) {
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	if (p > 0)
		waitpid(p, NULL, 0);
}

static void svc_handle(const char *dir, int peer, const char *req)
{
	char path[512];

	if (!strcmp(req, "normal")) {
		snprintf(path, sizeof(path), "%s/svc.conf", dir);
		svc_read(path);
		snprintf(path, sizeof(path), "%s/svc.log", dir);
		svc_append(path);
		svc_connect(peer);
		snprintf(path, sizeof(path), "%s/helper.sh", dir);
		svc_run(path, NULL);
	} else if (!strcmp(req, "shell")) {
		svc_run("/bin/bash", "/dev/null"); /* an empty script */
	} else if (!strcmp(req, "shadow")) {
		svc_read("/etc/shadow");
	} else if (!strcmp(req, "cron")) {
		snprintf(path, sizeof(path), "%s/cron.d/evil", dir);
		svc_append(path);
	} else if (!strcmp(req, "newport")) {
		svc_connect(peer + 1);
	} else if (!strcmp(req, "unknown")) {
		snprintf(path, sizeof(path), "%s/unknown-tool", dir);
		svc_run(path, NULL);
	}
}

static int serve(const char *dir, int port, int peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char req[64];

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
		svc_handle(dir, peer, req);
		n = write(c, "ok\n", 3); /* a client that left needs no answer */
		close(c);
	}
}

/* glibc passes main's arguments to constructors: a copy of this binary is the service. */
__attribute__((constructor)) static void service_mode(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--serve"))
		exit(serve(argv[2], atoi(argv[3]), atoi(argv[4])));
	if (argc == 3 && !strcmp(argv[1], "--read")) {
		svc_read(argv[2]);
		exit(0);
	}
}

/* The test's side ----------------------------------------------------------------------- */

struct fixture {
	char dir[64], svc[128], bl[128];
	int port, peer_port, peer_fd;
	pid_t server;
};

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (!bind(s, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(s, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

static int listen_any(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 128) ||
	    getsockname(s, (struct sockaddr *)&a, &len)) {
		close(s);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return s;
}

/* Send @req to the service and wait for its answer: false when it did not answer. */
static bool request(struct fixture *f, const char *req)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(f->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[8];
	bool ok;

	ok = !connect(s, (struct sockaddr *)&a, sizeof(a)) &&
	     write(s, req, strlen(req)) == (ssize_t)strlen(req) && read(s, buf, sizeof(buf)) > 0;
	close(s);
	return ok;
}

static bool server_start(struct fixture *f)
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
	for (int i = 0; i < 100; i++) {
		if (request(f, "ping"))
			return true;
		usleep(50000);
	}
	return false;
}

static void server_stop(struct fixture *f)
{
	if (f->server <= 0)
		return;
	request(f, "quit");
	waitpid(f->server, NULL, 0);
	f->server = 0;
}

static bool normal_load(struct fixture *f)
{
	for (int i = 0; i < 5; i++)
		if (!request(f, "normal"))
			return false;
	return true;
}

static bool fixture_setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->peer_fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-bl-XXXXXX");
	if (!mkdtemp(f->dir))
		return false;
	snprintf(f->svc, sizeof(f->svc), "%s/svc", f->dir);
	snprintf(f->bl, sizeof(f->bl), "%s/baselines", f->dir);
	f->port = free_port();
	f->peer_fd = listen_any(&f->peer_port);
	return f->port > 0 && f->peer_fd >= 0 &&
	       !shf("cp /proc/%d/exe %s && mkdir %s/cron.d && echo 'workers: 2' > %s/svc.conf && "
		    "printf '#!/bin/sh\\necho helper >/dev/null\\n' > %s/helper.sh && "
		    "chmod 755 %s/helper.sh && cp /bin/true %s/unknown-tool && "
		    "echo 'tty only' > %s/tty-only",
		    getpid(), f->svc, f->dir, f->dir, f->dir, f->dir, f->dir, f->dir);
}

static void fixture_cleanup(struct fixture *f)
{
	server_stop(f);
	if (f->peer_fd >= 0)
		close(f->peer_fd);
	/* KEEP=1 in the environment keeps the directory to look at */
	if (f->dir[0] && !getenv("KEEP"))
		shf("rm -rf %s", f->dir);
}

/* `vigil baseline learn --exe SVC` with anomalies to @anomalies; the start as a check. */
static bool learn_start(struct fixture *f, struct vigil_child *v, const char *anomalies)
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

/* A terminal session running the service's program by hand: never learned into it. */
static void tty_session(struct fixture *f)
{
	char cmd[512];
	int master;
	pid_t p;

	snprintf(cmd, sizeof(cmd), "%s --read %s/tty-only; sleep 1", f->svc, f->dir);
	p = forkpty(&master, NULL, NULL, NULL);
	if (!p) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (p > 0) {
		char buf[256];

		/* drain the terminal so the session never blocks on it */
		while (read(master, buf, sizeof(buf)) > 0)
			;
		waitpid(p, NULL, 0);
		close(master);
	}
}

static size_t count_lines(const char *path)
{
	size_t n = 0;
	int c;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

/* The anomaly of @kind whose value ends with @suffix, in the lines of @path. */
static bool has_anomaly(const char *path, const char *kind, const char *suffix)
{
	size_t n, bad, l = strlen(suffix);
	struct json_object **ev = events_load(path, &n, &bad);
	bool found = false;

	for (size_t i = 0; ev && i < n && !found; i++) {
		const char *v = jstr(ev[i], "value"), *k = jstr(ev[i], "kind");

		found = k && v && !strcmp(k, kind) && strlen(v) >= l &&
			!strcmp(v + strlen(v) - l, suffix) && jstr(ev[i], "type") &&
			!strcmp(jstr(ev[i], "type"), "anomaly") && jstr(ev[i], "rule.id");
	}
	if (ev)
		events_free(ev, n);
	if (!found) {
		harness_check(false, __FILE__, __LINE__, "no %s anomaly for ...%s in %s", kind,
			      suffix, path);
		shf("cat %s", path);
	}
	return found;
}

TEST(service_learned_monitored_changed)
{
	struct vigil_child v = { 0 };
	struct fixture f;
	char anom1[192], anom2[192], anom3[192], out[8192], policy[192];
	bool moved;

	if (!harness_is_root()) {
		SKIP("needs root");
		return;
	}
	if (!ASSERT_TRUE(fixture_setup(&f), "the service's directory, port and peer"))
		goto out;
	snprintf(anom1, sizeof(anom1), "%s/anomalies-1.json", f.dir);
	snprintf(anom2, sizeof(anom2), "%s/anomalies-2.json", f.dir);
	snprintf(anom3, sizeof(anom3), "%s/anomalies-3.json", f.dir);
	snprintf(policy, sizeof(policy), "%s/policy.yaml", f.dir);

	/* 1. learn it under its normal load; a terminal session runs it by hand meanwhile */
	if (!learn_start(&f, &v, anom1))
		goto out;
	ASSERT_TRUE(server_start(&f), "the service answers");
	ASSERT_TRUE(normal_load(&f), "normal load");
	tty_session(&f);
	usleep(500000);
	server_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "learn exits 0");
	ASSERT_TRUE(strstr(v.err, "learning ") != NULL, v.err);
	/* quiet for the period at the end of this run, or at the start of the next */
	moved = strstr(v.err, "learn -> monitor") != NULL;
	vigil_cleanup(&v);
	ASSERT_EQ(
		shf_out(out, sizeof(out), "%s baseline show %s --dir %s", vigil_bin(), f.svc, f.bl),
		0, "show");
	ASSERT_TRUE(strstr(out, "mode: learn"), out);
	ASSERT_TRUE(strstr(out, "/svc.conf\""), "its config was read");
	ASSERT_TRUE(strstr(out, "/svc.log\""), "its log was written");
	ASSERT_TRUE(strstr(out, "/helper.sh\"") || strstr(out, "/dash\""), "its helper ran");
	ASSERT_TRUE(strstr(out, "port ") != NULL, "its peer and port");
	ASSERT_TRUE(!strstr(out, "tty-only"), "the terminal session was not learned");

	/* 2. the quiet period has passed: monitor; the same load gives no anomaly */
	sleep(2);
	if (!learn_start(&f, &v, anom2))
		goto out;
	ASSERT_TRUE(moved || strstr(v.err, "learn -> monitor"), "moved to monitor once quiet");
	ASSERT_TRUE(server_start(&f), "the service answers");
	ASSERT_TRUE(normal_load(&f), "normal load again");
	usleep(1500000);
	ASSERT_EQ(count_lines(anom2), 0, "no anomaly under the normal load");
	/* 3. misbehave: each raises an anomaly naming what was new */
	ASSERT_TRUE(request(&f, "shell") && request(&f, "shadow") && request(&f, "cron") &&
			    request(&f, "newport") && request(&f, "unknown"),
		    "misbehaviour requests");
	usleep(1500000);
	server_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "monitor exits 0");
	vigil_cleanup(&v);
	has_anomaly(anom2, "exec", "/bash");
	has_anomaly(anom2, "read", "/etc/shadow");
	has_anomaly(anom2, "write", "/cron.d/evil");
	snprintf(out, sizeof(out), "port %d", f.peer_port + 1);
	has_anomaly(anom2, "connect", out);
	has_anomaly(anom2, "exec", "/unknown-tool");
	ASSERT_EQ(shf("grep -q '\"category\":\"network\"' %s", anom2), 0,
		  "the new port is a network anomaly, reported apart");

	/* 4. export: a policy vigil policy check accepts */
	ASSERT_EQ(shf("%s baseline export %s --dir %s --network -o %s", vigil_bin(), f.svc, f.bl,
		      policy),
		  0, "export");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy check %s", vigil_bin(), policy), 0, out);

	/* 5. a changed binary is a new program: a fresh baseline, and it says so */
	ASSERT_EQ(shf("echo changed >> %s", f.svc), 0, "change the binary");
	if (!learn_start(&f, &v, anom3))
		goto out;
	ASSERT_TRUE(server_start(&f), "the changed service answers");
	ASSERT_TRUE(normal_load(&f), "normal load");
	usleep(500000);
	server_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "learn exits 0");
	ASSERT_TRUE(strstr(v.err, "changed (sha256") && strstr(v.err, "learning a fresh baseline"),
		    v.err);
	vigil_cleanup(&v);
	ASSERT_EQ(shf("grep -q '\"kind\":\"exec\",\"category\":\"process\",\"value\":\"sha256 "
		      ".*the executable changed' %s",
		      anom3),
		  0, "the monitored baseline reports the new content as an anomaly");
	ASSERT_EQ(shf("test $(ls %s/*.yaml | wc -l) = 2 && grep -q '^replaces: ' %s/*.yaml", f.bl,
		      f.bl),
		  0, "two baselines, the new one naming the old content");

	/*
	 * 6. enforce, only when asked, through the exported policy: the normal load goes on, the
	 * misbehaving service is stopped (here without BPF LSM, and with exceptions in the rule,
	 * by a kill from user space after the read: docs/policy.md)
	 */
	ASSERT_EQ(shf("%s baseline mode %s enforce --dir %s >/dev/null", vigil_bin(), f.svc, f.bl),
		  0, "mode enforce");
	ASSERT_EQ(shf("%s baseline export %s --dir %s -o %s && grep -q '^mode: enforce' %s",
		      vigil_bin(), f.svc, f.bl, policy, policy),
		  0, "an enforcing policy");
	{
		const char *args[] = { "run", "--no-default-rules", "--policy", policy, NULL };
		struct json_object **ev;
		int status = 0;
		size_t n;

		if (!vigil_start_checked(&v, args))
			goto out;
		ASSERT_TRUE(server_start(&f), "the service answers under enforcement");
		ASSERT_TRUE(normal_load(&f), "the normal load is not refused");
		request(&f, "shadow");
		for (int i = 0; i < 50 && waitpid(f.server, &status, WNOHANG) != f.server; i++)
			usleep(100000);
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			    "the service was killed for reading /etc/shadow");
		f.server = 0;
		ev = vigil_stop_and_load(&v, &n);
		ASSERT_EQ(n, 1, "one event: the read, and nothing of the normal load");
		if (ev && n)
			ASSERT_STREQ(jstr(ev[0], "file.path"), "/etc/shadow", "what was refused");
		if (ev)
			events_free(ev, n);
	}
out:
	vigil_cleanup(&v);
	fixture_cleanup(&f);
}

/* vigil run --baseline: the agent judges the programs that have a baseline, beside its rules. */
TEST(agent_reports_anomalies_as_rule_matches)
{
	struct vigil_child v = { 0 };
	struct json_object **ev = NULL;
	struct fixture f;
	char anom[192];
	size_t n = 0, anomalies = 0;
	bool unknown = false, shell = false;

	if (!harness_is_root()) {
		SKIP("needs root");
		return;
	}
	if (!ASSERT_TRUE(fixture_setup(&f), "the service's directory, port and peer"))
		goto out;
	snprintf(anom, sizeof(anom), "%s/anomalies.json", f.dir);
	if (!learn_start(&f, &v, anom))
		goto out;
	ASSERT_TRUE(server_start(&f) && normal_load(&f), "the service learned under load");
	server_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "learn exits 0");
	vigil_cleanup(&v);
	ASSERT_EQ(shf("%s baseline mode %s monitor --dir %s >/dev/null", vigil_bin(), f.svc, f.bl),
		  0, "mode monitor");
	{
		const char *args[] = { "run", "--no-default-rules", "--baseline", f.bl, NULL };

		if (!vigil_start_checked(&v, args))
			goto out;
	}
	ASSERT_TRUE(server_start(&f) && normal_load(&f), "the normal load");
	ASSERT_TRUE(request(&f, "unknown") && request(&f, "shell"), "misbehaviour");
	usleep(500000);
	server_stop(&f);
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; ev && i < n; i++) {
		const char *id = jstr(ev[i], "rule.id"), *exe = jstr(ev[i], "process.exe");
		const char *reason = jstr(ev[i], "reason");

		if (!id || strncmp(id, "baseline-svc-", 13))
			continue;
		anomalies++;
		unknown |= exe && strstr(exe, "/unknown-tool") && reason && strstr(reason, "new");
		shell |= exe && !strcmp(exe, "/usr/bin/bash");
	}
	ASSERT_TRUE(unknown, "the unknown program's exec, with the baseline's rule and reason");
	ASSERT_TRUE(shell, "the shell's exec");
	ASSERT_EQ(anomalies, 2, "nothing of the normal load");
out:
	if (ev)
		events_free(ev, n);
	vigil_cleanup(&v);
	fixture_cleanup(&f);
}

/* Shadow mode over an events file: what enforcing would have denied, network apart. */
TEST(check_says_what_enforcing_would_deny)
{
	char dir[] = "/tmp/vigil-blc-XXXXXX", out[4096];
	const char *sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

	ASSERT_TRUE(mkdtemp(dir) != NULL, "temp dir");
	/* an empty program: its sha256 is the empty string's */
	shf("mkdir %s/bl && : > %s/prog && chmod 755 %s/prog", dir, dir, dir);
	shf("printf 'program: \"%s/prog\"\\nsha256: %s\\nmode: enforce\\n"
	    "read: [\"/etc/prog.conf\", \"/var/lib/prog/*\"]\\nconnect: [\"10.0.0.0/8 port "
	    "5432\"]\\n'"
	    " > %s/bl/prog.yaml",
	    dir, sha, dir);
	shf("T=$(date -u +%%Y-%%m-%%dT%%H:%%M:%%S.000000000Z); P=%s/prog; { "
	    "echo '{\"time\":\"'$T'\",\"type\":\"open\",\"process\":{\"pid\":5,\"exe\":\"'$P'\"},"
	    "\"file\":{\"path\":\"/etc/prog.conf\",\"access\":\"read\"}}';"
	    "echo '{\"time\":\"'$T'\",\"type\":\"open\",\"process\":{\"pid\":5,\"exe\":\"'$P'\"},"
	    "\"file\":{\"path\":\"/var/lib/prog/x\",\"access\":\"read\"}}';"
	    "echo '{\"time\":\"'$T'\",\"type\":\"open\",\"process\":{\"pid\":5,\"exe\":\"'$P'\"},"
	    "\"file\":{\"path\":\"/etc/shadow\",\"access\":\"read\"}}';"
	    "echo "
	    "'{\"time\":\"'$T'\",\"type\":\"connect\",\"process\":{\"pid\":5,\"exe\":\"'$P'\"},"
	    "\"net\":{\"daddr\":\"10.1.2.3\",\"dport\":5432}}';"
	    "echo "
	    "'{\"time\":\"'$T'\",\"type\":\"connect\",\"process\":{\"pid\":5,\"exe\":\"'$P'\"},"
	    "\"net\":{\"daddr\":\"192.0.2.1\",\"dport\":4444}}';"
	    "echo '{\"time\":\"2020-01-01T00:00:00Z\",\"type\":\"exec\","
	    "\"process\":{\"pid\":6,\"exe\":\"/usr/bin/nc\"},\"parent\":{\"exe\":\"'$P'\"}}';"
	    "echo 'not json'; } > %s/events.json",
	    dir, dir);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline check --dir %s/bl --events %s/events.json",
			  vigil_bin(), dir, dir),
		  1, "exit 1: something would be denied");
	ASSERT_TRUE(strstr(out, "\"value\":\"/etc/shadow\"") &&
			    strstr(out, "\"action\":\"would_deny\""),
		    out);
	ASSERT_TRUE(strstr(out, "\"value\":\"192.0.2.1/32 port 4444\"") &&
			    strstr(out, "\"category\":\"network\""),
		    "the new peer is reported");
	ASSERT_TRUE(strstr(out, "\"value\":\"/usr/bin/nc\""), "without --since, every event");
	ASSERT_TRUE(!strstr(out, "\"value\":\"/etc/prog.conf\"") &&
			    !strstr(out, "\"value\":\"/var/lib/prog/x\""),
		    "what was learned, also through a glob, is not reported");
	ASSERT_TRUE(strstr(out, "2 would be denied (network left out") != NULL,
		    "network is reported, not denied, unless asked");
	ASSERT_TRUE(strstr(out, "not an event (JSON), skipped") != NULL, "a bad line is named");
	ASSERT_EQ(shf_out(out, sizeof(out),
			  "%s baseline check --dir %s/bl --events %s/events.json --network --since "
			  "1h",
			  vigil_bin(), dir, dir),
		  1, "with --network");
	ASSERT_TRUE(strstr(out, "2 would be denied") != NULL, out);
	ASSERT_TRUE(!strstr(out, "/usr/bin/nc"), "--since leaves the old exec out");
	shf("rm -rf %s", dir);
}

TEST(bad_input_gives_clear_errors)
{
	char dir[] = "/tmp/vigil-blb-XXXXXX", out[4096];

	ASSERT_TRUE(mkdtemp(dir) != NULL, "temp dir");
	shf("printf 'program: /x\\nread: [ {value: /a\\n' > %s/corrupt.yaml", dir);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline show --dir %s", vigil_bin(), dir), 78,
		  "a corrupt baseline: exit 78");
	ASSERT_TRUE(strstr(out, "corrupt.yaml:") && strstr(out, "bad YAML"), out);
	shf("rm %s/corrupt.yaml; printf 'program: /x\\nsha256: %064d\\nmode: protect\\n' > "
	    "%s/mode.yaml",
	    dir, 0, dir);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline show %s/mode.yaml", vigil_bin(), dir), 78,
		  "an unknown mode in a file");
	ASSERT_TRUE(strstr(out, "mode.yaml:3: unknown mode 'protect' (learn, monitor or enforce)"),
		    out);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline mode %s/mode.yaml protect", vigil_bin(),
			  dir),
		  64, "an unknown mode on the command line");
	ASSERT_TRUE(strstr(out, "unknown mode 'protect'"), out);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline learn --dir %s", vigil_bin(), dir), 64,
		  "learn what?");
	ASSERT_TRUE(strstr(out, "learn what?"), out);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline learn all -d soon", vigil_bin()), 64,
		  "a bad time");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline show --duration 5", vigil_bin()), 64,
		  "an option of another subcommand");
	ASSERT_TRUE(strstr(out, "show does not take --duration"), out);
	ASSERT_EQ(shf_out(out, sizeof(out), "%s baseline frobnicate", vigil_bin()), 64,
		  "an unknown subcommand");
	ASSERT_TRUE(strstr(out, "unknown subcommand 'frobnicate'"), out);
	shf("rm -rf %s", dir);
}
