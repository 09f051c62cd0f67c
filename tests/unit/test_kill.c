// SPDX-License-Identifier: GPL-2.0
/*
 * Kills from user space after an event (enforce/kill.h): only the process the event named, and
 * only while it runs; a process that exited, or a pid that now names another process, is not
 * killed, and the caller learns so (-ESRCH: "kill_failed").
 */
#include "harness.h"
#include "enforce/kill.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child that runs until it is killed. */
static pid_t child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

/* Its start as the kernel's sensors report it (ns since boot), from /proc/PID/stat's ticks. */
static __u64 start_ns(pid_t pid)
{
	char path[32];
	unsigned long long ticks = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f,
		   "%*d (%*[^)]) %*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %llu",
		   &ticks) != 1)
		ticks = 0;
	fclose(f);
	/* within the tick: the kernel's exact nanoseconds divide down to the same ticks */
	return ticks * (1000000000 / sysconf(_SC_CLK_TCK)) + 1;
}

TEST(kills_the_running_process_the_event_named)
{
	pid_t pid = child();
	int status = 0;

	if (!ASSERT_TRUE(pid > 0, "fork"))
		return;
	ASSERT_EQ(kill_after_event(pid, start_ns(pid)), 0, "the signal is sent");
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "the child ends");
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "of SIGKILL");
}

TEST(does_not_kill_another_process_with_the_same_pid)
{
	pid_t pid = child();
	__u64 start;
	int status = 0;

	if (!ASSERT_TRUE(pid > 0, "fork"))
		return;
	start = start_ns(pid);
	/* an event of a process that started a second earlier: the pid is now someone else's */
	ASSERT_EQ(kill_after_event(pid, start - 1000000000ull), -ESRCH,
		  "refused: not that process");
	ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0, "the child still runs");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

TEST(a_process_that_exited_is_not_reported_killed)
{
	pid_t pid = child();
	__u64 start;
	int status = 0;

	if (!ASSERT_TRUE(pid > 0, "fork"))
		return;
	start = start_ns(pid);
	kill(pid, SIGTERM);
	/* exited, not reaped: a zombie, on which kill() succeeds and would say nothing true */
	ASSERT_OK(waitid(P_PID, pid, &(siginfo_t){ 0 }, WEXITED | WNOWAIT), "the child exited");
	ASSERT_EQ(kill_after_event(pid, start), -ESRCH, "a zombie: gone already");
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "it died of its own end");
	ASSERT_EQ(kill_after_event(pid, start), -ESRCH, "reaped: gone already");
}
