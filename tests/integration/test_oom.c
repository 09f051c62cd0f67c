// SPDX-License-Identifier: GPL-2.0
/*
 * vigil latency oom against a real OOM kill: a memory hog of the test's own in a memory cgroup
 * limited to MEMCG_LIMIT, killed by the kernel; vigil must name it, its memory and its cgroup.
 * The cgroup is cgroup v2's memory.max where the memory controller is on the cgroup2 mount,
 * else cgroup v1's memory.limit_in_bytes (hosts where memory is bound to v1). Needs root.
 */
#include "harness.h"
#include "testlib.h"
#include "core/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MEMCG_LIMIT (32 << 20)
#define HOG_MAX	    (512 << 20) /* what it would take without the limit */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok;
}

static bool file_has(const char *path, const char *text)
{
	char buf[4096] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0)
		buf[n] = '\0';
	return n > 0 && strstr(buf, text);
}

/*
 * Make the limited memory cgroup @name: its directory in @dir. v2 where it can be, else v1.
 * 0, or -1 (SKIP said why).
 */
static int make_memcg(const char *name, char *dir, size_t size, bool *v2)
{
	char root[256], path[1024];

	if (!cgroup2_mount_point(root, sizeof(root))) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
		*v2 = file_has(path, "memory");
	}
	if (*v2) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
		if (!file_has(path, "memory")) {
			SKIP("the memory controller is not enabled below the cgroup2 root");
			return -1;
		}
		snprintf(dir, size, "%s/%s", root, name);
	} else if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0) {
		snprintf(dir, size, "/sys/fs/cgroup/memory/%s", name);
	} else {
		SKIP("no memory cgroup controller on cgroup v2 or v1");
		return -1;
	}
	if (mkdir(dir, 0755)) {
		SKIP("cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, *v2 ? "memory.max" : "memory.limit_in_bytes");
	snprintf(root, sizeof(root), "%d", MEMCG_LIMIT);
	if (!write_str(path, root)) {
		rmdir(dir);
		SKIP("cannot limit %s", dir);
		return -1;
	}
	/* no swap to spill into: the limit is the limit */
	snprintf(path, sizeof(path), "%s/%s", dir,
		 *v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
	write_str(path, *v2 ? "0" : root);
	return 0;
}

static char memcg_dir[600];

/* Join the limited cgroup, then touch memory until the kernel kills it. */
static void memory_hog(void)
{
	char procs[700];

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", memcg_dir);
	if (!write_str(procs, "0"))
		_exit(1);
	prctl(PR_SET_NAME, "vigil-oom-hog");
	for (size_t used = 0; used < HOG_MAX; used += 1 << 20) {
		char *p = malloc(1 << 20);

		if (!p)
			_exit(2);
		memset(p, 0x5a, 1 << 20);
	}
	_exit(3); /* not killed */
}

/* `vigil latency oom --json`, its output in @out; returns its pid once tracing, or -1. */
static pid_t start_vigil(char *out, char *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)vigil_bin(), "latency", "oom", "--json", NULL };
	double deadline = now_s() + 60;
	pid_t pid = 0;
	int fd;

	if ((fd = mkstemp(out)) >= 0)
		close(fd);
	if ((fd = mkstemp(err)) >= 0)
		close(fd);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_TRUNC, 0);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_TRUNC, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	while (pid > 0 && now_s() < deadline && !file_has(err, "Ctrl-C to stop")) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(50 * 1000);
	}
	return file_has(err, "Ctrl-C to stop") ? pid : -1;
}

TEST(oom_kill_of_a_memory_hog_in_a_cgroup)
{
	char out[] = "/tmp/vigil-oom-out-XXXXXX", err[] = "/tmp/vigil-oom-err-XXXXXX";
	char name[64], *text = NULL;
	struct json_object *report = NULL, *kills, *k = NULL;
	pid_t vigil = -1, hog = -1;
	size_t len = 0;
	bool v2 = false;
	int status;
	FILE *f;

	if (SKIP_UNLESS_ROOT())
		return;
	snprintf(name, sizeof(name), "vigil-oom-test-%d", getpid());
	if (make_memcg(name, memcg_dir, sizeof(memcg_dir), &v2))
		return;
	printf("  cgroup v%d: %s, limit %d MiB\n", v2 ? 2 : 1, memcg_dir, MEMCG_LIMIT >> 20);
	vigil = start_vigil(out, err);
	if (!ASSERT_TRUE(vigil > 0, "vigil latency oom starts"))
		goto out;
	hog = fork();
	if (hog == 0)
		memory_hog();
	if (!ASSERT_TRUE(hog > 0, "fork the hog"))
		goto out;
	ASSERT_EQ(waitpid(hog, &status, 0), hog, "the hog ends");
	if (!ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			 "the kernel killed it (SIGKILL)"))
		printf("  hog status %#x\n", status);
	kill(vigil, SIGINT);
	ASSERT_EQ(waitpid(vigil, &status, 0), vigil, "vigil ends at SIGINT");
	vigil = -1;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "and exits 0");
	f = fopen(out, "re");
	if (f && getdelim(&text, &len, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	if (f)
		fclose(f);
	report = text ? json_tokener_parse(text) : NULL;
	if (!ASSERT_NOT_NULL(report, "one JSON report")) {
		printf("  printed: %s\n", text ? text : "(nothing)");
		goto out;
	}
	kills = jget(report, "kills");
	for (size_t i = 0; kills && i < json_object_array_length(kills); i++)
		if (jint(json_object_array_get_idx(kills, i), "pid") == hog)
			k = json_object_array_get_idx(kills, i);
	if (!ASSERT_NOT_NULL(k, "the hog's kill is reported")) {
		printf("  printed: %s\n", text);
		goto out;
	}
	printf("  %s\n", json_object_to_json_string(k));
	ASSERT_STREQ(jstr(k, "comm"), "vigil-oom-hog", "its name");
	ASSERT_EQ(jint(k, "uid"), 0, "its uid");
	ASSERT_NOT_NULL(strstr(jstr(k, "memcg") ? jstr(k, "memcg") : "", name),
			"its memory cgroup");
	/* what it held when chosen: most of the limit, not more */
	ASSERT_GE(jint(k, "anon_rss_bytes"), MEMCG_LIMIT / 2, "its anonymous memory");
	ASSERT_GE(MEMCG_LIMIT + (4 << 20), jint(k, "anon_rss_bytes"), "within the limit");
	ASSERT_GE(jint(k, "total_vm_bytes"), jint(k, "anon_rss_bytes"), "its VM size");
	ASSERT_EQ(jint(k, "trigger_pid"), hog, "it triggered the OOM itself");
	ASSERT_EQ(jint(report, "lost"), 0, "nothing lost");
out:
	if (hog > 0 && !waitpid(hog, NULL, WNOHANG)) {
		kill(hog, SIGKILL);
		waitpid(hog, NULL, 0);
	}
	if (vigil > 0) {
		kill(vigil, SIGKILL);
		waitpid(vigil, NULL, 0);
	}
	json_object_put(report);
	free(text);
	unlink(out);
	unlink(err);
	/* the hog is gone: the cgroup is empty; v1 may take a moment to let go of its pages */
	for (int i = 0; i < 50 && rmdir(memcg_dir) && errno == EBUSY; i++)
		usleep(100 * 1000);
}

TEST(oom_usage_errors)
{
	char out[1024];

	ASSERT_EQ(shf_out(out, sizeof(out), "%s latency oom --per-pid", vigil_bin()), 64,
		  "a grouping is refused");
	ASSERT_NOT_NULL(strstr(out, "oom takes no grouping"), "says so");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s latency oom extra", vigil_bin()), 64,
		  "an extra argument is refused");
	ASSERT_NOT_NULL(strstr(out, "unexpected argument 'extra'"), "says which");
}
