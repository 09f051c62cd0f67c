// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's control socket can be neither faked nor stalled: clients give up on a stopped
 * agent in bounded time and the agent drops what they abandoned; clients send nothing to a
 * listener that is not root; `vigil run` takes the socket's path only when that is safe.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64]; /* sockets and a policy */
static char policy[96];

static bool make_dir(void)
{
	FILE *f;

	strcpy(dir, "/tmp/vigil-control-XXXXXX");
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a scratch directory"))
		return false;
	snprintf(policy, sizeof(policy), "%s/p.yaml", dir);
	f = fopen(policy, "w");
	if (!ASSERT_NOT_NULL(f, "a policy"))
		return false;
	fprintf(f, "policy: ctl\nrules:\n  - id: ctl-r\n    description: d\n    severity: low\n"
		   "    on: exec\n    match:\n      process.exe: /nonexistent/ctl\n");
	return !fclose(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(a_stopped_agent_does_not_hang_clients_and_an_abandoned_stop_is_dropped)
{
	const char *args[] = {
		"run", "--no-default-rules", "--no-guard", "--policy", policy, NULL
	};
	char out[8192], want[256];
	struct vigil_child v;
	double t;
	int status;

	if (SKIP_UNLESS_ROOT() || !make_dir() || !vigil_start_checked(&v, args))
		goto out_dir;
	if (!ASSERT_OK(kill(v.pid, SIGSTOP), "SIGSTOP the agent"))
		goto out;

	t = now_s();
	/* timeout(1): a client that hangs fails the test rather than hanging it */
	ASSERT_EQ(shf_out(out, sizeof(out), "timeout 30 %s status", vigil_bin()), 1,
		  "status fails");
	printf("  status gave up after %.1f s\n", now_s() - t);
	ASSERT_TRUE(now_s() - t < 10, "within its time-out (5 s)");
	snprintf(want, sizeof(want), "the agent at %s does not answer (stopped?)",
		 getenv("VIGIL_CONTROL_SOCKET"));
	ASSERT_NOT_NULL(strstr(out, want), "and says why");

	t = now_s();
	ASSERT_EQ(shf_out(out, sizeof(out), "VIGIL_CONTROL_TIMEOUT=1 timeout 30 %s stop",
			  vigil_bin()),
		  1, "stop fails");
	ASSERT_TRUE(now_s() - t < 5, "within its time-out (1 s here)");
	ASSERT_NOT_NULL(strstr(out, want), "and says why");

	t = now_s();
	ASSERT_NEQ(shf_out(out, sizeof(out),
			   "VIGIL_CONTROL_TIMEOUT=1 timeout 10 %s run --no-default-rules "
			   "--policy %s -o /dev/null",
			   vigil_bin(), policy),
		   0, "a second agent does not start");
	ASSERT_TRUE(now_s() - t < 10, "and does not hang");
	snprintf(want, sizeof(want), "another vigil agent (pid %d) holds", (int)v.pid);
	ASSERT_NOT_NULL(strstr(out, want), "it names the agent that holds the socket");

	ASSERT_OK(kill(v.pid, SIGCONT), "SIGCONT");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status", vigil_bin()), 0, "it answers again");
	sleep(1);
	ASSERT_EQ(waitpid(v.pid, &status, WNOHANG), 0, "the abandoned stop was not carried out");
	vigil_stop(&v);
	ASSERT_NOT_NULL(strstr(v.err, "'stop' request dropped: its client gave up waiting"),
			"the agent says it dropped it");
out:
	if (v.pid)
		kill(v.pid, SIGCONT);
	vigil_cleanup(&v);
out_dir:
	shf("rm -rf %s", dir);
}

/*
 * A listener that is not root, at @path: each connection is read until its client closes, then
 * answered as an agent would ("0\napplied"). Writes to @report the bytes it received in all,
 * once @done closes.
 */
static void fake_agent(const char *path, int ready, int done, int report)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long total = 0;
	int s;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	/* bound as root, beside where an agent would be; listening as nobody */
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0666) ||
	    setgid(65534) || setuid(65534) || listen(s, 8))
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = { { .fd = s, .events = POLLIN },
				       { .fd = done, .events = POLLIN } };
		char buf[4096];
		ssize_t n;
		int c;

		if (poll(p, 2, 30000) <= 0 || p[1].revents)
			break;
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			total += n;
		send(c, "0\napplied\n", 10, MSG_NOSIGNAL); /* its client may have gone */
		close(c);
	}
	_exit(write(report, &total, sizeof(total)) == sizeof(total) ? 0 : 1);
}

TEST(a_listener_that_is_not_root_is_refused_and_gets_nothing)
{
	int ready[2] = { -1, -1 }, done[2] = { -1, -1 }, report[2] = { -1, -1 };
	char sock[96], out[8192], want[512], c;
	long received = -1;
	struct stat st;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !make_dir())
		return;
	snprintf(sock, sizeof(sock), "%s/fake.sock", dir);
	if (pipe(ready) || pipe(done) || pipe(report))
		goto out;
	pid = fork();
	if (pid == 0) {
		close(done[1]);
		fake_agent(sock, ready[1], done[0], report[1]);
	}
	close(ready[1]);
	close(done[0]);
	close(report[1]);
	if (!ASSERT_EQ(read(ready[0], &c, 1), 1, "the fake agent listens"))
		goto out_child;

	ASSERT_EQ(shf_out(out, sizeof(out), "VIGIL_CONTROL_SOCKET=%s %s policy apply %s", sock,
			  vigil_bin(), policy),
		  1, "policy apply to it fails");
	ASSERT_TRUE(!strstr(out, "applied"), "it does not say applied");
	snprintf(want, sizeof(want),
		 "what listens at %s does not run as root: it is not a vigil agent, and nothing "
		 "was sent to it",
		 sock);
	ASSERT_NOT_NULL(strstr(out, want), "it says why");
	ASSERT_EQ(shf_out(out, sizeof(out), "VIGIL_CONTROL_SOCKET=%s %s status", sock, vigil_bin()),
		  1, "status refuses it too");
	ASSERT_EQ(shf_out(out, sizeof(out), "VIGIL_CONTROL_SOCKET=%s %s stop", sock, vigil_bin()),
		  1, "and stop");
	ASSERT_NEQ(shf_out(out, sizeof(out),
			   "VIGIL_CONTROL_SOCKET=%s timeout 10 %s run --no-default-rules --policy "
			   "%s -o "
			   "/dev/null",
			   sock, vigil_bin(), policy),
		   0, "an agent does not start there");
	snprintf(want, sizeof(want), "%s is held by pid %d (uid 65534), which is not a vigil agent",
		 sock, (int)pid);
	ASSERT_NOT_NULL(strstr(out, want), "it names what holds the socket");
	ASSERT_TRUE(!lstat(sock, &st) && S_ISSOCK(st.st_mode), "and leaves it alone");
out_child:
	close(done[1]);
	done[1] = -1;
	ASSERT_EQ(read(report[0], &received, sizeof(received)), sizeof(received),
		  "the fake agent's report");
	ASSERT_EQ(received, 0, "bytes the fake agent received");
	waitpid(pid, NULL, 0);
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (done[i] >= 0)
			close(done[i]);
		if (report[i] >= 0)
			close(report[i]);
	}
	shf("rm -rf %s", dir);
}

TEST(run_takes_the_socket_path_only_when_safe)
{
	const char *args[] = {
		"run", "--no-default-rules", "--no-guard", "--policy", policy, NULL
	};
	char out[8192], want[512], path[128], saved[PATH_MAX];
	struct vigil_child v;
	struct stat st;

	if (SKIP_UNLESS_ROOT() || !make_dir())
		return;
	/* a directory where the socket goes */
	snprintf(path, sizeof(path), "%s/dir.sock", dir);
	ASSERT_OK(mkdir(path, 0700), "a directory at the socket's path");
	ASSERT_NEQ(shf_out(out, sizeof(out),
			   "VIGIL_CONTROL_SOCKET=%s timeout 10 %s run --no-default-rules --policy "
			   "%s -o "
			   "/dev/null",
			   path, vigil_bin(), policy),
		   0, "no agent starts");
	snprintf(want, sizeof(want), "%s is there and is not a socket (a directory)", path);
	ASSERT_NOT_NULL(strstr(out, want), "it says what is there");
	ASSERT_TRUE(!stat(path, &st) && S_ISDIR(st.st_mode), "and leaves it");
	ASSERT_EQ(shf_out(out, sizeof(out), "VIGIL_CONTROL_SOCKET=%s %s status", path, vigil_bin()),
		  1, "status fails");
	snprintf(want, sizeof(want), "%s is not a socket", path);
	ASSERT_NOT_NULL(strstr(out, want), "and says it is no socket");

	/* a directory others may write to: they could put a socket of theirs there */
	snprintf(path, sizeof(path), "%s/open", dir);
	ASSERT_OK(mkdir(path, 0700) || chmod(path, 0777), "a directory anyone may write to");
	ASSERT_NEQ(shf_out(out, sizeof(out),
			   "VIGIL_CONTROL_SOCKET=%s/c.sock timeout 10 %s run --no-default-rules "
			   "--policy %s "
			   "-o /dev/null",
			   path, vigil_bin(), policy),
		   0, "no agent starts");
	ASSERT_NOT_NULL(strstr(out, "is not safe for the control socket"), "it says why");

	/* a new directory: made root's, 0700 */
	snprintf(path, sizeof(path), "%s/new/c.sock", dir);
	snprintf(saved, sizeof(saved), "%s", getenv("VIGIL_CONTROL_SOCKET") ?: "");
	setenv("VIGIL_CONTROL_SOCKET", path, 1);
	if (vigil_start_checked(&v, args)) {
		snprintf(path, sizeof(path), "%s/new", dir);
		ASSERT_TRUE(!stat(path, &st) && (st.st_mode & 07777) == 0700 && st.st_uid == 0,
			    "the socket's directory is root's, 0700");
		ASSERT_EQ(shf_out(out, sizeof(out), "%s status", vigil_bin()), 0, "it answers");
		vigil_stop(&v);
		vigil_cleanup(&v);
	}
	if (saved[0])
		setenv("VIGIL_CONTROL_SOCKET", saved, 1);
	else
		unsetenv("VIGIL_CONTROL_SOCKET");
	shf("rm -rf %s", dir);
}
