// SPDX-License-Identifier: GPL-2.0
/*
 * `vigil run --metrics`: the agent serves /metrics, promtool finds the text clean, and a real
 * Prometheus scraping it finds the alerts this test caused (a read of /etc/shadow as nobody
 * matches shadow-file-read in the built-in ruleset). Bad addresses and a port in use stop the
 * start with a clear error.
 */
#include "harness.h"
#include "http.h"
#include "sockets.h"
#include "testlib.h"

#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY	    65534
#define BODY_MAX    (1 << 20)
#define SHADOW_READ "vigil_alerts_total{rule=\"shadow-file-read\",severity=\"high\"} "
#define RELOADS	    "vigil_policy_reloads_total{result="
#define PROMETHEUS  "/usr/bin/prometheus"
#define PROMTOOL    "/usr/bin/promtool"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* `cat /etc/shadow` as nobody (refused: EACCES), waited for. */
static bool cat_shadow_as_nobody(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr) || setgroups(0, NULL) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(126);
		execl("/bin/cat", "cat", "/etc/shadow", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

/* The value of the sample that starts with @sample (name and labels), or -1. */
static long long sample_value(const char *text, const char *sample)
{
	const char *p = text;

	while ((p = strstr(p, sample))) {
		if (p == text || p[-1] == '\n')
			return atoll(p + strlen(sample));
		p++;
	}
	return -1;
}

/* Scrape until @sample counts at least @want (20 s at most): the last count. */
static long long wait_for(int port, char *body, const char *sample, long long want)
{
	double deadline = now_s() + 20;
	long long n = -1;

	do {
		if (http_get(port, "/metrics", body, BODY_MAX, NULL, 0) == 200)
			n = sample_value(body, sample);
		if (n >= want)
			break;
		usleep(100 * 1000);
	} while (now_s() < deadline);
	return n;
}

/* `vigil policy apply` of a policy with errors: its exit code. */
static int apply_broken_policy(void)
{
	char path[] = "/tmp/vigil-test-broken-XXXXXX.yaml";
	int fd = mkstemps(path, 5), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, "name: broken\nrules: nothing\n", 29) == 29
		      ? shf("%s policy apply %s >/dev/null 2>&1", vigil_bin(), path)
		      : -1;
	close(fd);
	unlink(path);
	return ret;
}

/* An agent with --metrics on a free loopback port: the port, or -1 (the test failed). */
static int start_agent(struct vigil_child *v)
{
	char addr[32];
	int port = free_port();
	const char *args[] = { "run", "--metrics", addr, NULL };

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	if (!ASSERT_GE(port, 1, "a free port") || !vigil_start_checked(v, args))
		return -1;
	return port;
}

TEST(metrics_counts_alerts_and_promtool_finds_them_clean)
{
	struct vigil_child v = { 0 };
	char *body = malloc(BODY_MAX), headers[1024], path[] = "/tmp/vigil-test-metrics-XXXXXX";
	static const char *const expected[] = {
		"vigil_build_info{version=\"",
		"vigil_kernel_info{release=\"",
		"vigil_events_total{type=\"exec\"} ",
		"vigil_ringbuf_lost_events_total ",
		"vigil_events_dropped_total{stage=\"decode\"} ",
		"vigil_events_dropped_total{stage=\"write\",sink=\"output\"} ",
		"vigil_queue_bytes{queue=\"ringbuf\"} ",
		"vigil_enforcement_actions_total{outcome=\"denied\",mechanism=\"bpf_lsm\"} ",
		"vigil_policy_reloads_total{result=\"ok\"} ",
		"vigil_policy_last_reload_timestamp_seconds ",
		"vigil_bpf_stats_enabled ",
		"vigil_bpf_map_entries{map=\"file_watch\"} ",
		"vigil_bpf_program_runs_total{program=\"handle_exec\"",
	};
	long long before, after;
	char out[4096];
	int port, fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_NOT_NULL(body, "memory"))
		goto out;
	port = start_agent(&v);
	if (port < 0)
		goto out;
	ASSERT_EQ(http_get(port, "/metrics", body, BODY_MAX, headers, sizeof(headers)), 200,
		  "GET /metrics");
	ASSERT_TRUE(strstr(headers, "Content-Type: text/plain; version=0.0.4"),
		    "the text format's content type");
	before = sample_value(body, SHADOW_READ);
	ASSERT_GE(before, 0, "shadow-file-read is counted from the start");
	for (int i = 0; i < 3; i++)
		ASSERT_TRUE(cat_shadow_as_nobody(), "cat /etc/shadow as nobody was refused");
	/* other processes of the host may read it too: at least ours */
	after = wait_for(port, body, SHADOW_READ, before + 3);
	ASSERT_GE(after, before + 3, "the three reads counted");
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (!ASSERT_TRUE(strstr(body, expected[i]), expected[i]))
			break;
	ASSERT_EQ(http_get(port, "/nothing", out, sizeof(out), NULL, 0), 404, "other paths");
	/* a reload, and a policy apply the agent rejects */
	ASSERT_EQ(kill(v.pid, SIGHUP), 0, "SIGHUP");
	ASSERT_EQ(wait_for(port, body, RELOADS "\"ok\"} ", 1), 1, "one reload");
	ASSERT_NEQ(apply_broken_policy(), 0, "a broken policy is rejected");
	ASSERT_EQ(wait_for(port, body, RELOADS "\"failed\"} ", 1), 1, "one failed reload");

	if (access(PROMTOOL, X_OK)) {
		SKIP("promtool is not installed (make deps installs prometheus)");
		goto out;
	}
	fd = mkstemp(path);
	if (!ASSERT_GE(fd, 0, "a temporary file"))
		goto out;
	ASSERT_EQ(write(fd, body, strlen(body)), (ssize_t)strlen(body), "written");
	close(fd);
	ASSERT_EQ(shf_out(out, sizeof(out), PROMTOOL " check metrics < %s", path), 0,
		  "promtool check metrics exits 0");
	if (!ASSERT_STREQ(out, "", "promtool has nothing to say"))
		fprintf(stderr, "%s\n", out);
	unlink(path);
out:
	vigil_cleanup(&v);
	free(body);
}

/* A Prometheus of the test's own: config, data and log in @dir; its pid, or -1. */
static pid_t start_prometheus(const char *dir, int agent_port, int port)
{
	char config[256], data[256], listen[64], log[256], arg_config[300], arg_data[300];
	FILE *f;
	pid_t pid;

	snprintf(config, sizeof(config), "%s/prometheus.yml", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	f = fopen(config, "w");
	if (!f)
		return -1;
	fprintf(f,
		"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		"scrape_configs:\n  - job_name: vigil\n    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n",
		agent_port);
	fclose(f);
	snprintf(arg_config, sizeof(arg_config), "--config.file=%s", config);
	snprintf(arg_data, sizeof(arg_data), "--storage.tsdb.path=%s", data);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0)
			_exit(126);
		execl(PROMETHEUS, "prometheus", arg_config, arg_data, listen, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Prometheus's answer for @query (URL-encoded): the first result's value, or -1. */
static long long prometheus_query(int port, const char *query, char *body)
{
	char target[512];
	struct json_object *j, *v;
	long long n = -1;

	snprintf(target, sizeof(target), "/api/v1/query?query=%s", query);
	if (http_get(port, target, body, BODY_MAX, NULL, 0) != 200)
		return -1;
	j = json_tokener_parse(body);
	v = j ? jget(j, "data.result.0.value.1") : NULL;
	if (v)
		n = atoll(json_object_get_string(v));
	json_object_put(j);
	return n;
}

TEST(prometheus_scrapes_the_agent_and_finds_the_alerts)
{
	struct vigil_child v = { 0 };
	char dir[] = "/tmp/vigil-test-prometheus-XXXXXX", *body = malloc(BODY_MAX);
	long long counted, seen = -1, up = -1;
	int port, prom_port;
	pid_t prom = -1;
	double deadline;
	int st;

	if (SKIP_UNLESS_ROOT() || !ASSERT_NOT_NULL(body, "memory"))
		goto out;
	if (access(PROMETHEUS, X_OK)) {
		SKIP("prometheus is not installed (make deps installs it)");
		goto out;
	}
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a temporary directory"))
		goto out;
	port = start_agent(&v);
	if (port < 0)
		goto out;
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(cat_shadow_as_nobody(), "cat /etc/shadow as nobody was refused");
	counted = wait_for(port, body, SHADOW_READ, 2);
	ASSERT_GE(counted, 2, "the agent counted both reads");
	prom_port = free_port();
	prom = start_prometheus(dir, port, prom_port);
	if (!ASSERT_GE(prom, 1, "prometheus started"))
		goto out;
	/* it starts, scrapes every second, and answers once the samples are in */
	deadline = now_s() + 60;
	while (now_s() < deadline && (up != 1 || seen < counted)) {
		usleep(500 * 1000);
		up = prometheus_query(prom_port, "up%7Bjob%3D%22vigil%22%7D", body);
		seen = prometheus_query(
			prom_port, "vigil_alerts_total%7Brule%3D%22shadow-file-read%22%7D", body);
	}
	ASSERT_EQ(up, 1, "Prometheus scraped the agent (up == 1)");
	ASSERT_GE(seen, counted, "Prometheus has the shadow-file-read alerts the test caused");
	fprintf(stderr,
		"prometheus: up=%lld vigil_alerts_total{rule=\"shadow-file-read\"}=%lld "
		"(the agent counted %lld after the test's reads)\n",
		up, seen, counted);
out:
	if (prom > 0) {
		kill(prom, SIGTERM);
		waitpid(prom, &st, 0);
	}
	vigil_cleanup(&v);
	if (dir[strlen(dir) - 1] != 'X')
		shf("rm -rf %s", dir);
	free(body);
}

/* `vigil run` with these arguments: its exit code and what it said in @out. */
static int run_vigil(char *out, size_t len, const char *args)
{
	vigil_test_env();
	return shf_out(out, len, "timeout 60 %s run %s", vigil_bin(), args);
}

TEST(bad_metrics_addresses_are_usage_errors)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", ":9464",
		"::1:9464",  "[::1:9464",   "localhost:9464",  "300.0.0.1:9464", "[1.2.3.4]:9464",
	};
	char out[4096], args[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "--metrics '%s'", bad[i]);
		ASSERT_EQ(run_vigil(out, sizeof(out), args), 64, bad[i]);
		ASSERT_TRUE(strstr(out, "vigil: run: --metrics: "), out);
	}
}

TEST(bad_metrics_key_in_the_config_file_is_a_config_error)
{
	char path[] = "/tmp/vigil-test-metrics-config-XXXXXX", out[4096], args[128];
	int fd = mkstemp(path);

	if (!ASSERT_GE(fd, 0, "a temporary file"))
		return;
	ASSERT_EQ(write(fd, "metrics: 127.0.0.1\n", 19), 19, "written");
	close(fd);
	snprintf(args, sizeof(args), "--config %s", path);
	ASSERT_EQ(run_vigil(out, sizeof(out), args), 78, "exit 78");
	ASSERT_TRUE(strstr(out, ":1:10: error: metrics: want ADDR:PORT"), out);
	unlink(path);
}

TEST(metrics_port_in_use_stops_the_start)
{
	struct server s = { .fd = -1 };
	char out[4096], args[128];

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_TRUE(listen_on(&s, AF_INET, 0), "a listener"))
		goto out;
	snprintf(args, sizeof(args), "--metrics 127.0.0.1:%d", s.port);
	ASSERT_EQ(run_vigil(out, sizeof(out), args), 1, "exit 1");
	ASSERT_TRUE(strstr(out, "cannot serve metrics on 127.0.0.1:") &&
			    strstr(out, "the address is in use") &&
			    strstr(out, "nothing was started"),
		    out);
	ASSERT_FALSE(strstr(out, "watching"), "no sensor was started");
	/* an address this host does not have (TEST-NET-1) */
	ASSERT_EQ(run_vigil(out, sizeof(out), "--metrics 192.0.2.1:9464"), 1, "exit 1");
	ASSERT_TRUE(strstr(out, "not an address of this host"), out);
out:
	if (s.fd >= 0)
		close(s.fd);
}

/* ---------------------------------------------------------------- histograms */

#define GETPPID_N      20000
#define GETPPID_COUNT  "vigil_syscall_latency_seconds_count{syscall=\"getppid\"} "
#define GETPPID_BUCKET "vigil_syscall_latency_seconds_bucket{syscall=\"getppid\",le=\""

/* Prometheus's answer for @query (URL-encoded) as a number, or -1. */
static double prometheus_query_double(int port, const char *query, char *body)
{
	char target[512];
	struct json_object *j, *v;
	double d = -1;

	snprintf(target, sizeof(target), "/api/v1/query?query=%s", query);
	if (http_get(port, target, body, BODY_MAX, NULL, 0) != 200)
		return -1;
	j = json_tokener_parse(body);
	v = j ? jget(j, "data.result.0.value.1") : NULL;
	if (v)
		d = atof(json_object_get_string(v));
	json_object_put(j);
	return d;
}

static void getppid_loop(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (int i = 0; i < GETPPID_N; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* getppid's buckets: cumulative (never less than the one before), +Inf last and the count. */
static void check_buckets(const char *body, long long count)
{
	const char *p = body;
	long long prev = 0, v = 0;
	int n = 0;
	bool inf = false, rising = true;

	while ((p = strstr(p, GETPPID_BUCKET))) {
		p += strlen(GETPPID_BUCKET);
		if (n == 0)
			ASSERT_TRUE(!strncmp(p, "1e-09\"}", 7), "the first le is 1 ns, in seconds");
		inf = !strncmp(p, "+Inf\"}", 6);
		v = atoll(strchr(p, ' ') + 1);
		rising &= v >= prev;
		prev = v;
		n++;
	}
	ASSERT_EQ(n, 40, "39 log2 buckets and +Inf");
	ASSERT_TRUE(rising, "cumulative");
	ASSERT_TRUE(inf, "+Inf last");
	ASSERT_EQ(v, count, "+Inf is the count");
}

TEST(histograms_are_prometheus_histograms)
{
	char dir[] = "/tmp/vigil-test-prometheus-XXXXXX", *body = malloc(BODY_MAX);
	char addr[32], path[] = "/tmp/vigil-test-metrics-XXXXXX", out[4096];
	const char *args[] = { "run", "--metrics", addr, "--histograms", "syscall,runq", NULL };
	double seen = -1, p50 = -1, deadline;
	struct vigil_child v = { 0 };
	long long count;
	int port, prom_port, fd, st;
	pid_t prom = -1;

	if (SKIP_UNLESS_ROOT() || !ASSERT_NOT_NULL(body, "memory"))
		goto out;
	port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	if (!ASSERT_GE(port, 1, "a free port") || !vigil_start_checked(&v, args))
		goto out;
	ASSERT_TRUE(vigil_wait_err(&v, "keeping syscall histograms", 1, 10), "says it keeps them");
	getppid_loop();
	count = wait_for(port, body, GETPPID_COUNT, GETPPID_N);
	/* other processes may call getppid too: at least ours */
	ASSERT_GE(count, GETPPID_N, "every getppid of the test's loop counted");
	check_buckets(body, count);
	ASSERT_TRUE(strstr(body, "# TYPE vigil_syscall_latency_seconds histogram\n"),
		    "TYPE histogram");
	ASSERT_TRUE(strstr(body, "\nvigil_runq_latency_seconds_count "), "runq's too");
	ASSERT_TRUE(strstr(body, "\nvigil_syscall_errors_total{syscall=\"getppid\"} 0\n"),
		    "getppid's errors: none");
	if (access(PROMTOOL, X_OK) || access(PROMETHEUS, X_OK)) {
		SKIP("prometheus is not installed (make deps installs it)");
		goto out;
	}
	fd = mkstemp(path);
	if (!ASSERT_GE(fd, 0, "a temporary file"))
		goto out;
	ASSERT_EQ(write(fd, body, strlen(body)), (ssize_t)strlen(body), "written");
	close(fd);
	ASSERT_EQ(shf_out(out, sizeof(out), PROMTOOL " check metrics < %s", path), 0,
		  "promtool check metrics exits 0");
	if (!ASSERT_STREQ(out, "", "promtool has nothing to say"))
		fprintf(stderr, "%s\n", out);
	unlink(path);
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a temporary directory"))
		goto out;
	prom_port = free_port();
	prom = start_prometheus(dir, port, prom_port);
	if (!ASSERT_GE(prom, 1, "prometheus started"))
		goto out;
	deadline = now_s() + 60;
	while (now_s() < deadline && (seen < count || p50 <= 0)) {
		usleep(500 * 1000);
		seen = prometheus_query_double(
			prom_port,
			"vigil_syscall_latency_seconds_count%7Bsyscall%3D%22getppid%22%7D", body);
		p50 = prometheus_query_double(prom_port,
					      "histogram_quantile%280.5%2Cvigil_syscall_latency_"
					      "seconds_bucket%7Bsyscall%3D"
					      "%22getppid%22%7D%29",
					      body);
	}
	fprintf(stderr, "prometheus: getppid count %.0f, p50 %.9f s (the agent counted %lld)\n",
		seen, p50, count);
	ASSERT_TRUE(seen >= count, "Prometheus has the getppid count");
	ASSERT_TRUE(p50 > 0 && p50 < 0.001, "histogram_quantile: getppid's median, under 1 ms");
out:
	if (prom > 0) {
		kill(prom, SIGTERM);
		waitpid(prom, &st, 0);
	}
	vigil_cleanup(&v);
	if (dir[strlen(dir) - 1] != 'X')
		shf("rm -rf %s", dir);
	free(body);
}

TEST(histograms_need_metrics_and_known_targets)
{
	char out[2048];

	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_EQ(run_vigil(out, sizeof(out), "--histograms runq"), 64, "without --metrics: 64");
	ASSERT_TRUE(strstr(out, "--histograms needs --metrics"), "says so");
	ASSERT_EQ(run_vigil(out, sizeof(out), "--metrics 127.0.0.1:1 --histograms runq,nope"), 64,
		  "an unknown target: 64");
	ASSERT_TRUE(strstr(out, "no histograms 'nope'"), "says which");
}
