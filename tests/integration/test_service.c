// SPDX-License-Identifier: GPL-2.0
/*
 * vigil run as a systemd service (Type=notify): what it tells the service manager, received
 * here on a datagram socket of the test's own passed as $NOTIFY_SOCKET, as systemd does.
 * READY=1 once the policies are in force, RELOADING=1 and READY=1 around a SIGHUP reload,
 * WATCHDOG=1 at half of $WATCHDOG_USEC, STOPPING=1 on SIGTERM.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct manager {
	int fd;
	char path[64];
};

static bool manager_open(struct manager *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(m->path, sizeof(m->path), "/tmp/vigil-notify-%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->path);
	unlink(m->path);
	m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return false;
	setenv("NOTIFY_SOCKET", m->path, 1);
	return true;
}

static void manager_close(struct manager *m)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	if (m->fd >= 0)
		close(m->fd);
	unlink(m->path);
}

/* The next message that holds @want, within @timeout_ms: copied to @msg; false on timeout. */
static bool expect(struct manager *m, const char *want, int timeout_ms, char *msg, size_t len)
{
	struct pollfd p = { .fd = m->fd, .events = POLLIN };
	ssize_t n;

	while (poll(&p, 1, timeout_ms) == 1) {
		n = recv(m->fd, msg, len - 1, 0);
		if (n < 0)
			return false;
		msg[n] = '\0';
		if (strstr(msg, want))
			return true;
	}
	return false;
}

/* How many messages holding @want arrive within @ms. */
static int count(struct manager *m, const char *want, int ms)
{
	char msg[1024];
	struct timespec start, now;
	int n = 0, left = ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (left > 0 && expect(m, want, left, msg, sizeof(msg))) {
		n++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - ((now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000);
	}
	return n;
}

static const char *const run_args[] = { "run", "--no-guard", NULL };

TEST(ready_reload_and_stop_are_told)
{
	struct manager m = { .fd = -1 };
	struct vigil_child v;
	char msg[1024];
	int status;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(manager_open(&m), "a notify socket"))
		goto out;
	if (!vigil_start_checked(&v, run_args))
		goto out;
	/* the start-up line comes after the sensors, the policies and the guard: READY too */
	if (ASSERT_TRUE(expect(&m, "READY=1", 5000, msg, sizeof(msg)), "READY=1"))
		harness_check(strstr(msg, "STATUS=watching") && strstr(msg, "rules in force"),
			      __FILE__, __LINE__, "with a status line: %s", msg);

	ASSERT_EQ(kill(v.pid, SIGHUP), 0, "SIGHUP");
	if (ASSERT_TRUE(expect(&m, "RELOADING=1", 10000, msg, sizeof(msg)), "RELOADING=1"))
		ASSERT_TRUE(strstr(msg, "MONOTONIC_USEC=") != NULL, "with MONOTONIC_USEC");
	if (ASSERT_TRUE(expect(&m, "READY=1", 10000, msg, sizeof(msg)), "READY=1 after it"))
		harness_check(strstr(msg, "reloaded: SIGHUP") != NULL, __FILE__, __LINE__,
			      "saying so: %s", msg);

	kill(v.pid, SIGTERM);
	ASSERT_TRUE(expect(&m, "STOPPING=1", 10000, msg, sizeof(msg)), "STOPPING=1 on SIGTERM");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status), "exit 0");
	vigil_cleanup(&v);
out:
	manager_close(&m);
}

TEST(watchdog_keepalives_at_half_the_timeout)
{
	struct manager m = { .fd = -1 };
	struct vigil_child v;
	int n;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(manager_open(&m), "a notify socket"))
		goto out;
	setenv("WATCHDOG_USEC", "400000", 1);
	if (!vigil_start_checked(&v, run_args))
		goto out;
	/* every 200 ms, from a loop that wakes every 100 ms: 10 in 2 s, give or take */
	n = count(&m, "WATCHDOG=1", 2000);
	printf("  %d keep-alives in 2 s (WATCHDOG_USEC=400000)\n", n);
	ASSERT_GE(n, 6, "keep-alives in 2 s");
	ASSERT_TRUE(n <= 12, "and not many more than one per 200 ms");
	vigil_stop(&v);
	vigil_cleanup(&v);
out:
	manager_close(&m);
}

TEST(no_watchdog_no_keepalives)
{
	struct manager m = { .fd = -1 };
	struct vigil_child v;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(manager_open(&m), "a notify socket"))
		goto out;
	if (!vigil_start_checked(&v, run_args))
		goto out;
	ASSERT_EQ(count(&m, "WATCHDOG=1", 1000), 0, "keep-alives without WATCHDOG_USEC");
	vigil_stop(&v);
	vigil_cleanup(&v);
out:
	manager_close(&m);
}
