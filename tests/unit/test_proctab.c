// SPDX-License-Identifier: GPL-2.0
/* The process table: ancestry, identity, bounds, and seeding from a procfs tree. */
#include "harness.h"
#include "events/proctab.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct vigil_task task_of(__u32 pid, __u32 ppid, const char *comm)
{
	struct vigil_task t = { .pid = pid, .tid = pid, .ppid = ppid, .start_ns = pid * 1000ull };

	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	return t;
}

static struct proc *do_exec(struct proctab *t, __u32 pid, __u32 ppid, const char *exe, __u64 when)
{
	struct vigil_task task = task_of(pid, ppid, "x");
	struct event ev = { .type = VIGIL_EV_EXEC, .time_ns = when, .task = &task };

	ev.exe = exe;
	ev.exe_len = strlen(exe);
	ev.cwd = "/";
	ev.cwd_len = 1;
	ev.args = "x\0y";
	ev.args_len = 4;
	return proctab_exec(t, &ev);
}

static struct proc *do_fork(struct proctab *t, __u32 pid, __u32 ppid)
{
	struct vigil_task task = task_of(pid, ppid, "x");
	struct event ev = { .type = VIGIL_EV_FORK, .task = &task };

	return proctab_fork(t, &ev);
}

TEST(ancestry_and_identity)
{
	struct proctab *t = proctab_new(16);
	const struct proc *anc[8];
	struct proc *p;
	size_t n;

	do_exec(t, 1, 0, "/sbin/init", 10);
	do_exec(t, 100, 1, "/usr/sbin/sshd", 20);
	do_fork(t, 200, 100);
	p = do_exec(t, 200, 100, "/usr/bin/bash", 30);
	if (!ASSERT_NOT_NULL(p, "exec entry"))
		goto out;
	ASSERT_EQ(p->exec_time, 30, "identity is the exec time");
	ASSERT_FALSE(p->from_procfs, "seen at its exec, not read from /proc");
	ASSERT_EQ(p->parent_exec_time, 20, "parent identity is the parent's exec");
	n = proctab_ancestors(t, p, anc, 8);
	ASSERT_EQ(n, 2, "two ancestors");
	ASSERT_STREQ(anc[0]->exe, "/usr/sbin/sshd", "parent");
	ASSERT_STREQ(anc[1]->exe, "/sbin/init", "grandparent");
	ASSERT_EQ(proctab_size(t), 3, "one entry per process");
out:
	proctab_free(t);
}

TEST(fork_inherits_the_image)
{
	struct proctab *t = proctab_new(16);
	struct proc *child;

	do_exec(t, 100, 1, "/usr/bin/python3", 20)->exe_flags = VIGIL_EXE_DELETED;
	child = do_fork(t, 101, 100);
	if (ASSERT_NOT_NULL(child, "fork entry")) {
		ASSERT_STREQ(child->exe, "/usr/bin/python3", "exe inherited");
		ASSERT_EQ(child->args_len, 4, "args inherited");
		ASSERT_EQ(child->exec_time, 101000, "identity is its own start");
		ASSERT_EQ(child->parent_exec_time, 20, "parent identity");
		ASSERT_EQ(child->exe_flags, VIGIL_EXE_DELETED, "exe_flags inherited");
	}
	proctab_remove(t, 101);
	ASSERT_TRUE(proctab_lookup(t, 101) == NULL, "removed on exit");
	proctab_free(t);
}

TEST(pid_reuse_replaces_the_entry)
{
	struct proctab *t = proctab_new(16);
	struct proc *p;

	do_exec(t, 300, 1, "/old", 10);
	p = do_exec(t, 300, 1, "/new", 50);
	ASSERT_STREQ(p->exe, "/new", "new image");
	ASSERT_EQ(p->exec_time, 50, "new identity");
	ASSERT_EQ(proctab_size(t), 1, "still one entry");
	proctab_free(t);
}

TEST(loops_through_stale_entries_end)
{
	struct proctab *t = proctab_new(16);
	const struct proc *anc[32];
	struct proc *a;

	/* A pid-reuse accident: 10's parent is 11, 11's parent is 10. */
	a = do_exec(t, 10, 11, "/a", 1);
	do_exec(t, 11, 10, "/b", 2);
	ASSERT_TRUE(proctab_ancestors(t, a, anc, 32) <= 2, "the walk stops");
	proctab_free(t);
}

TEST(capacity_is_a_hard_bound)
{
	struct proctab *t = proctab_new(100);

	/* pids far above pid_max: none of them is alive, as after lost exit records */
	for (__u32 pid = 5000000; pid < 5010000; pid++)
		do_exec(t, pid, 1, "/bin/true", pid);
	ASSERT_TRUE(proctab_size(t) <= 100, "never above capacity");
	ASSERT_NOT_NULL(proctab_lookup(t, 5009999), "the newest is kept");
	proctab_free(t);
}

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, data, len) != (ssize_t)len)
			harness_check(false, __FILE__, __LINE__, "short write to %s", path);
		close(fd);
	}
}

static void fake_proc(const char *root, int pid, const char *stat, const char *exe)
{
	char dir[PATH_MAX], link[PATH_MAX + 8];

	snprintf(dir, sizeof(dir), "%s/%d", root, pid);
	mkdir(dir, 0755);
	write_file(dir, "stat", stat, strlen(stat));
	write_file(dir, "cmdline", "prog\0arg one\0", 13);
	snprintf(link, sizeof(link), "%s/exe", dir);
	if (exe && symlink(exe, link))
		harness_check(false, __FILE__, __LINE__, "symlink %s", link);
	snprintf(link, sizeof(link), "%s/cwd", dir);
	if (symlink("/srv", link))
		harness_check(false, __FILE__, __LINE__, "symlink %s", link);
}

TEST(seeding_from_procfs)
{
	char root[] = "/tmp/vigil-procfs-XXXXXX", cmd[128];
	struct proctab *t = proctab_new(64);
	struct proc *p;

	if (!mkdtemp(root))
		return;
	/* comm with spaces and parentheses; flags 0x400100; starttime 250 ticks */
	fake_proc(root, 1, "1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 100 1 1",
		  "/sbin/init");
	fake_proc(root, 77, "77 (a b) (c)) S 1 77 77 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 250 1 1",
		  "/usr/bin/odd");
	/* a kernel thread (PF_KTHREAD 0x200000) is not a process here */
	fake_proc(root, 2, "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
		  NULL);
	ASSERT_OK(proctab_seed(t, root), "seed");
	p = proctab_lookup(t, 77);
	if (ASSERT_NOT_NULL(p, "seeded process")) {
		ASSERT_STREQ(p->comm, "a b) (c)", "comm with parentheses");
		ASSERT_EQ(p->ppid, 1, "ppid");
		ASSERT_STREQ(p->exe, "/usr/bin/odd", "exe");
		ASSERT_TRUE(p->from_procfs, "marked as read from /proc");
		ASSERT_STREQ(p->cwd, "/srv", "cwd");
		ASSERT_EQ(p->args_len, 13, "cmdline");
		ASSERT_EQ(p->exec_time, 250ull * (1000000000ull / sysconf(_SC_CLK_TCK)),
			  "start time in boot ns");
		ASSERT_EQ(p->parent_exec_time, 100ull * (1000000000ull / sysconf(_SC_CLK_TCK)),
			  "parent identity");
	}
	ASSERT_TRUE(proctab_lookup(t, 2) == NULL, "kernel threads skipped");
	ASSERT_EQ(proctab_seed(t, "/nonexistent-procfs"), -ENOENT, "missing procfs");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		harness_check(false, __FILE__, __LINE__, "cleanup of %s", root);
	proctab_free(t);
}

TEST(seeding_the_real_proc)
{
	struct proctab *t = proctab_new(65536);
	struct proc *self;

	ASSERT_OK(proctab_seed(t, "/proc"), "seed /proc");
	self = proctab_lookup(t, getpid());
	if (ASSERT_NOT_NULL(self, "this process is in the table"))
		ASSERT_EQ(self->ppid, getppid(), "its parent");
	proctab_free(t);
}

/* Start @path (argv "sleep 30") through fexecve of @fd when >= 0; wait until it runs it. */
static pid_t start_sleeper(int fd, const char *path, const char *want_exe_prefix)
{
	char link[64], exe[PATH_MAX];
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { "sleep", "30", NULL }, *envp[] = { NULL };

		if (fd >= 0)
			fexecve(fd, argv, envp);
		else
			execve(path, argv, envp);
		_exit(127);
	}
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	for (int i = 0; i < 500; i++) {
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);

		if (n > 0 &&
		    (exe[n] = '\0', !strncmp(exe, want_exe_prefix, strlen(want_exe_prefix))))
			return pid;
		usleep(10000);
	}
	return pid;
}

static bool copy_sleep_to(int out)
{
	int in = open("/bin/sleep", O_RDONLY | O_CLOEXEC);
	struct stat st;
	bool ok = in >= 0 && !fstat(in, &st) && sendfile(out, in, NULL, st.st_size) == st.st_size;

	if (in >= 0)
		close(in);
	return ok;
}

TEST(seeding_names_memfd_and_deleted_exes_as_exec_events_do)
{
	char deleted[] = "/tmp/vigil-deleted-exe-XXXXXX";
	struct proctab *t = proctab_new(65536);
	int memfd = memfd_create("vigil-test", MFD_CLOEXEC), fd = mkstemp(deleted);
	pid_t from_memfd = -1, from_deleted = -1;
	struct proc *p;

	if (!ASSERT_TRUE(memfd >= 0 && fd >= 0, "memfd and temporary file") ||
	    !ASSERT_TRUE(copy_sleep_to(memfd) && copy_sleep_to(fd), "copies of sleep"))
		goto out;
	fchmod(fd, 0755);
	close(fd);
	fd = -1;
	from_memfd = start_sleeper(memfd, NULL, "/memfd:vigil-test");
	from_deleted = start_sleeper(-1, deleted, deleted);
	unlink(deleted);
	ASSERT_OK(proctab_seed(t, "/proc"), "seed /proc");

	p = proctab_lookup(t, from_memfd);
	if (ASSERT_NOT_NULL(p, "the memfd process")) {
		ASSERT_STREQ(p->exe, "memfd:vigil-test", "named as the kernel names a memfd");
		ASSERT_EQ(p->exe_flags, VIGIL_EXE_MEMFD, "memfd flag");
		ASSERT_TRUE(p->from_procfs, "from /proc");
	}
	p = proctab_lookup(t, from_deleted);
	if (ASSERT_NOT_NULL(p, "the process of a deleted file")) {
		ASSERT_STREQ(p->exe, deleted, "its path without \" (deleted)\"");
		ASSERT_EQ(p->exe_flags, VIGIL_EXE_DELETED, "deleted flag");
	}
	p = proctab_lookup(t, getpid());
	if (ASSERT_NOT_NULL(p, "this process"))
		ASSERT_EQ(p->exe_flags, 0, "an ordinary file has no flags");
out:
	for (int i = 0; i < 2; i++) {
		pid_t pid = i ? from_deleted : from_memfd;

		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	if (fd >= 0) {
		close(fd);
		unlink(deleted);
	}
	if (memfd >= 0)
		close(memfd);
	proctab_free(t);
}
