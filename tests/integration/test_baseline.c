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
#include "blservice.h"
#include "testlib.h"
#include "tool.h"

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

__attribute__((constructor)) static void service_mode(int argc, char **argv)
{
	svc_serve_mode(argc, argv);
}

/* A terminal session running the service's program by hand: never learned into it. */
static void tty_session(struct svc_fixture *f)
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

/* The misbehaviours, and the anomaly each must raise (newport's value: "port N"). */
static const struct {
	const char *request, *kind, *value;
} misdeeds[] = {
	{ "shell", "exec", "/bash" },		{ "shadow", "read", "/etc/shadow" },
	{ "cron", "write", "/cron.d/evil" },	{ "newport", "connect", NULL },
	{ "unknown", "exec", "/unknown-tool" }, { "bpf", "priv", "bpf BPF_PROG_LOAD" },
};
#define N_MISDEEDS (sizeof(misdeeds) / sizeof(misdeeds[0]))

static void misbehave(struct svc_fixture *f)
{
	char req[32];

	for (size_t i = 0; i < N_MISDEEDS; i++) {
		snprintf(req, sizeof(req), "%s", misdeeds[i].request);
		if (!misdeeds[i].value)
			snprintf(req, sizeof(req), "newport %d", f->new_port);
		ASSERT_TRUE(svc_request(f, req), req);
	}
}

/* How many misbehaviours raised their anomaly in @path (each missing one is a failure). */
static size_t detected(struct svc_fixture *f, const char *path)
{
	char port[32];
	size_t n = 0;

	snprintf(port, sizeof(port), "port %d", f->new_port);
	for (size_t i = 0; i < N_MISDEEDS; i++)
		n += has_anomaly(path, misdeeds[i].kind,
				 misdeeds[i].value ? misdeeds[i].value : port);
	return n;
}

TEST(service_learned_monitored_changed)
{
	struct vigil_child v = { 0 };
	struct svc_fixture f;
	char anom1[192], anom2[192], anom3[192], out[8192], policy[192];
	bool moved;

	if (!harness_is_root()) {
		SKIP("needs root");
		return;
	}
	if (!ASSERT_TRUE(svc_fixture_setup(&f), "the service's directory, port and peer"))
		goto out;
	snprintf(anom1, sizeof(anom1), "%s/anomalies-1.json", f.dir);
	snprintf(anom2, sizeof(anom2), "%s/anomalies-2.json", f.dir);
	snprintf(anom3, sizeof(anom3), "%s/anomalies-3.json", f.dir);
	snprintf(policy, sizeof(policy), "%s/policy.yaml", f.dir);

	/* 1. learn it under its normal load; a terminal session runs it by hand meanwhile */
	if (!svc_learn_start(&f, &v, anom1))
		goto out;
	ASSERT_TRUE(svc_start(&f), "the service answers");
	ASSERT_TRUE(svc_normal_load(&f), "normal load");
	tty_session(&f);
	usleep(500000);
	svc_stop(&f);
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
	if (!svc_learn_start(&f, &v, anom2))
		goto out;
	ASSERT_TRUE(moved || strstr(v.err, "learn -> monitor"), "moved to monitor once quiet");
	ASSERT_TRUE(svc_start(&f), "the service answers");
	ASSERT_TRUE(svc_normal_load(&f), "normal load again");
	usleep(1500000);
	ASSERT_EQ(count_lines(anom2), 0, "no anomaly under the normal load");
	/* 3. misbehave: each raises an anomaly naming what was new */
	misbehave(&f);
	usleep(1500000);
	svc_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "monitor exits 0");
	vigil_cleanup(&v);
	detected(&f, anom2);
	ASSERT_EQ(shf("grep -q '\"category\":\"network\"' %s", anom2), 0,
		  "the new port is a network anomaly, reported apart");

	/* 4. export: a policy vigil policy check accepts */
	ASSERT_EQ(shf("%s baseline export %s --dir %s --network -o %s", vigil_bin(), f.svc, f.bl,
		      policy),
		  0, "export");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy check %s", vigil_bin(), policy), 0, out);

	/* 5. a changed binary is a new program: a fresh baseline, and it says so */
	ASSERT_EQ(shf("echo changed >> %s", f.svc), 0, "change the binary");
	if (!svc_learn_start(&f, &v, anom3))
		goto out;
	ASSERT_TRUE(svc_start(&f), "the changed service answers");
	ASSERT_TRUE(svc_normal_load(&f), "normal load");
	usleep(500000);
	svc_stop(&f);
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
		ASSERT_TRUE(svc_start(&f), "the service answers under enforcement");
		ASSERT_TRUE(svc_normal_load(&f), "the normal load is not refused");
		svc_request(&f, "shadow");
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
	svc_fixture_cleanup(&f);
}

/* When to restart next: 1/30 to 1/15 of the replay's @seconds after @now, 3 to 40 s. */
static double next_restart(double now, double seconds)
{
	double gap = seconds * (1 + rand() / (double)RAND_MAX) / 30;

	return now + (gap < 3 ? 3 : gap > 40 ? 40 : gap);
}

/*
 * The normal load with its natural variation for @seconds: random pacing, pings (no work)
 * among the requests, and a restart of the service every 1/30 to 1/15 of the time (3 to 40 s).
 * Requests answered, or -1 when the service stopped answering; restarts added to *restarts.
 */
static long varied_load(struct svc_fixture *f, double seconds, int *restarts)
{
	double now = now_s(), end = now + seconds, restart_at;
	long served = 0;

	restart_at = next_restart(now, seconds);
	while ((now = now_s()) < end) {
		if (now >= restart_at) {
			svc_stop(f);
			if (!svc_start(f))
				return -1;
			++*restarts;
			restart_at = next_restart(now, seconds);
		}
		svc_drain_peer(f);
		if (!svc_request(f, rand() % 4 ? "normal" : "ping"))
			return -1;
		served++;
		usleep(rand() % 100000);
	}
	return served;
}

/*
 * The false-positive rate on a longer benign replay, and the detection after it: learned for a
 * quarter of VIGIL_BL_REPLAY seconds (default 16; 600 in bench/run.sh), monitored for all of
 * it under the same kind of load, then made to misbehave. Prints the rate per hour.
 */
TEST(benign_replay_no_false_positives_then_misbehaviour_detected)
{
	const char *env = getenv("VIGIL_BL_REPLAY");
	double monitored = env ? atof(env) : 16, learned = monitored / 4;
	struct vigil_child v = { 0 };
	struct svc_fixture f;
	char anom_learn[192], anom[192];
	unsigned int seed = (unsigned int)getpid();
	int restarts = 0;
	size_t benign;
	long requests;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_TRUE(monitored >= 1, "VIGIL_BL_REPLAY: seconds to monitor, 1 or more") ||
	    !ASSERT_TRUE(svc_fixture_setup(&f), "the service's directory, ports and peers"))
		goto out;
	if (learned < 8)
		learned = 8;
	srand(seed);
	snprintf(anom_learn, sizeof(anom_learn), "%s/anomalies-learn.json", f.dir);
	snprintf(anom, sizeof(anom), "%s/anomalies.json", f.dir);
	if (!svc_learn_start(&f, &v, anom_learn))
		goto out;
	ASSERT_TRUE(svc_start(&f) && varied_load(&f, learned, &restarts) >= 0,
		    "learned under the varied load");
	svc_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "learn exits 0");
	vigil_cleanup(&v);
	ASSERT_EQ(shf("%s baseline mode %s monitor --dir %s >/dev/null", vigil_bin(), f.svc, f.bl),
		  0, "mode monitor");
	if (!svc_learn_start(&f, &v, anom))
		goto out;
	restarts = 0;
	requests = svc_start(&f) ? varied_load(&f, monitored, &restarts) : -1;
	ASSERT_TRUE(requests >= 0, "the varied load, monitored");
	usleep(1000000);
	benign = count_lines(anom);
	printf("  benign replay (seed %u): %ld requests, %d restarts in %.0f s monitored after "
	       "%.0f s learned: %zu anomalies, %.1f per hour\n",
	       seed, requests, restarts, monitored, learned, benign, benign * 3600 / monitored);
	if (benign)
		shf("cat %s", anom);
	ASSERT_EQ(benign, 0, "no anomaly under the benign replay");
	misbehave(&f);
	usleep(1500000);
	svc_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "monitor exits 0");
	printf("  detection: %zu of %zu misbehaviours, each an anomaly naming it\n",
	       detected(&f, anom), N_MISDEEDS);
out:
	vigil_cleanup(&v);
	svc_fixture_cleanup(&f);
}

/* vigil run --baseline: the agent judges the programs that have a baseline, beside its rules. */
TEST(agent_reports_anomalies_as_rule_matches)
{
	struct vigil_child v = { 0 };
	struct json_object **ev = NULL;
	struct svc_fixture f;
	char anom[192];
	size_t n = 0, anomalies = 0;
	bool unknown = false, shell = false;

	if (!harness_is_root()) {
		SKIP("needs root");
		return;
	}
	if (!ASSERT_TRUE(svc_fixture_setup(&f), "the service's directory, port and peer"))
		goto out;
	snprintf(anom, sizeof(anom), "%s/anomalies.json", f.dir);
	if (!svc_learn_start(&f, &v, anom))
		goto out;
	ASSERT_TRUE(svc_start(&f) && svc_normal_load(&f), "the service learned under load");
	svc_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "learn exits 0");
	vigil_cleanup(&v);
	ASSERT_EQ(shf("%s baseline mode %s monitor --dir %s >/dev/null", vigil_bin(), f.svc, f.bl),
		  0, "mode monitor");
	{
		const char *args[] = { "run", "--no-default-rules", "--baseline", f.bl, NULL };

		if (!vigil_start_checked(&v, args))
			goto out;
	}
	ASSERT_TRUE(svc_start(&f) && svc_normal_load(&f), "the normal load");
	ASSERT_TRUE(svc_request(&f, "unknown") && svc_request(&f, "shell"), "misbehaviour");
	usleep(500000);
	svc_stop(&f);
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
	svc_fixture_cleanup(&f);
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
