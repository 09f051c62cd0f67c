// SPDX-License-Identifier: GPL-2.0
/*
 * vigil top against workloads of the test's own that know their numbers, read through
 * `vigil top --json` (and --batch) as a script would:
 *
 *   cpu      a busy loop: its CPU time as vigil counted it against what the kernel charged it
 *            (wait4's rusage), its name, and near a core in an interval
 *   syscall  N getppid() and M failing close(-1): counted, and the errors
 *   block    direct writes and reads of known size on a loop device made here: their bytes
 *   net      bytes sent over TCP on loopback to the test: the sender's and the receiver's
 *   screen   the ncurses view on a pseudo-terminal: drawn, `g` regroups, `q` quits
 *   raw_tp   the raw_tp twins count the same syscalls
 *
 * Plus the usage errors. Needs root.
 */
#include "harness.h"
#include "testlib.h"
#include "core/mounts.h"
#include "perf/top.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define INTERVAL "0.5"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `vigil top --json -i INTERVAL ...` with its stdout and stderr in files. */
struct top_run {
	pid_t pid;
	char out[64], err[64];
};

static size_t lines_in(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int top_start(struct top_run *t, const char *const *args)
{
	posix_spawn_file_actions_t fa;
	char *argv[24];
	int n = 0, fd;

	memset(t, 0, sizeof(*t));
	snprintf(t->out, sizeof(t->out), "/tmp/vigil-top-out-XXXXXX");
	snprintf(t->err, sizeof(t->err), "/tmp/vigil-top-err-XXXXXX");
	if ((fd = mkstemp(t->out)) >= 0)
		close(fd);
	if ((fd = mkstemp(t->err)) >= 0)
		close(fd);
	argv[n++] = (char *)vigil_bin();
	argv[n++] = "top";
	for (; *args && n < 22; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, t->out, O_WRONLY | O_TRUNC, 0);
	posix_spawn_file_actions_addopen(&fa, 2, t->err, O_WRONLY | O_TRUNC, 0);
	if (posix_spawn(&t->pid, argv[0], &fa, NULL, argv, environ))
		t->pid = 0;
	posix_spawn_file_actions_destroy(&fa);
	return t->pid ? 0 : -1;
}

/* Wait until it printed @n intervals: true, or false after @timeout_s or when it died. */
static bool top_wait_lines(struct top_run *t, size_t n, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (now_s() < deadline) {
		if (lines_in(t->out) >= n)
			return true;
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = 0;
			return lines_in(t->out) >= n;
		}
		usleep(50 * 1000);
	}
	return false;
}

/* SIGTERM; its exit status (or -1). */
static int top_stop(struct top_run *t)
{
	double deadline = now_s() + 30;
	int status = -1;

	if (!t->pid)
		return -1;
	kill(t->pid, SIGTERM);
	while (now_s() < deadline && waitpid(t->pid, &status, WNOHANG) != t->pid)
		usleep(20 * 1000);
	if (now_s() >= deadline) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		status = -1;
	}
	t->pid = 0;
	return status;
}

static void top_cleanup(struct top_run *t)
{
	if (t->pid) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	unlink(t->out);
	unlink(t->err);
}

static void print_file(const char *what, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  %s: %s", what, line);
	fclose(f);
}

/* What @pid did over every interval vigil printed: the counters summed, CPU in seconds. */
struct totals {
	int intervals, rows;
	double cpu_s, max_cpu_pct;
	long long syscalls, errors, blk_read, blk_write, rx, tx;
	char comm[32];
};

static bool top_totals(const char *path, pid_t pid, struct totals *tot)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	bool ok = true;

	memset(tot, 0, sizeof(*tot));
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		struct json_object *o = json_tokener_parse(line), *rows;
		double seconds;

		if (!o) {
			fprintf(stderr, "  not JSON: %s", line);
			ok = false;
			continue;
		}
		tot->intervals++;
		seconds = json_object_get_double(jget(o, "seconds"));
		rows = jget(o, "rows");
		for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
			struct json_object *r = json_object_array_get_idx(rows, i);
			double pct;

			if (jint(r, "pid") != pid)
				continue;
			tot->rows++;
			pct = json_object_get_double(jget(r, "cpu_pct"));
			tot->cpu_s += pct / 100 * seconds;
			if (pct > tot->max_cpu_pct)
				tot->max_cpu_pct = pct;
			tot->syscalls += jint(r, "syscalls");
			tot->errors += jint(r, "syscall_errors");
			tot->blk_read += jint(r, "blk_read_bytes");
			tot->blk_write += jint(r, "blk_write_bytes");
			tot->rx += jint(r, "net_rx_bytes");
			tot->tx += jint(r, "net_tx_bytes");
			snprintf(tot->comm, sizeof(tot->comm), "%s", jstr(r, "comm"));
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return ok;
}

/* Start vigil top --json and wait for its first interval: the programs are attached. */
static bool started(struct top_run *t, const char *const *args)
{
	if (!ASSERT_OK(top_start(t, args), "vigil top starts"))
		return false;
	if (!ASSERT_TRUE(top_wait_lines(t, 1, 60), "vigil top prints its first interval")) {
		print_file("stderr", t->err);
		return false;
	}
	return true;
}

/* Let it print two more intervals (what exited is shown once more), then stop it. */
static bool finished(struct top_run *t)
{
	size_t n = lines_in(t->out);

	ASSERT_TRUE(top_wait_lines(t, n + 2, 30), "two more intervals");
	return ASSERT_EQ(top_stop(t), 0, "vigil top exits 0 at SIGTERM");
}

/* ---------------------------------------------------------------- usage */

static bool usage_error_says(const char *args, const char *text)
{
	char out[2048];
	int status = shf_out(out, sizeof(out), "%s top %s </dev/null", vigil_bin(), args);

	return ASSERT_EQ(status, 64, args) && ASSERT_NOT_NULL(strstr(out, text), text);
}

TEST(usage_errors_are_clear)
{
	usage_error_says("--interval 0", "--interval wants seconds from 0.1");
	usage_error_says("--interval x", "--interval wants seconds");
	usage_error_says("--sort bogus", "no column 'bogus'");
	usage_error_says("--batch --json", "choose one");
	usage_error_says("--pid 0 -b", "--pid wants a process id");
	usage_error_says("--cgroup relative -b", "starting with '/'");
	usage_error_says("-n 0 -b", "--iterations wants 1 or more");
	usage_error_says("-n 3", "--iterations is for --batch or --json");
	usage_error_says("--bogus", "--bogus");
	usage_error_says("extra -b", "unexpected argument 'extra'");
	/* stdin is not a terminal here */
	usage_error_says("", "needs a terminal; use --batch or --json");
}

TEST(no_such_cgroup_is_an_error)
{
	char out[1024];

	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_EQ(shf_out(out, sizeof(out), "%s top -b -n 1 --cgroup /no-such-vigil-cgroup",
			  vigil_bin()),
		  64, "exit 64");
	ASSERT_NOT_NULL(strstr(out, "no cgroup /no-such-vigil-cgroup"), "says which");
}

/* ---------------------------------------------------------------- cpu */

#define HOG_S 3.0

static void hog(void)
{
	double end = now_s() + HOG_S;
	volatile unsigned long spin = 0;

	prctl(PR_SET_NAME, "vigil-top-hog");
	while (now_s() < end)
		spin++;
}

/* Fork @fn, wait for it: its pid (reaped), and its CPU time in *@cpu_s; -1 if it failed. */
static pid_t run_child(void (*fn)(void), double *cpu_s)
{
	struct rusage ru;
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	if (cpu_s)
		*cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return pid;
}

TEST(cpu_hog_near_a_core)
{
	struct top_run t = { 0 };
	struct totals tot;
	double used = 0;
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!started(&t, (const char *const[]){ "--json", "-i", INTERVAL, NULL }))
		goto out;
	pid = run_child(hog, &used);
	if (!ASSERT_TRUE(pid > 0, "the hog ran") || !finished(&t))
		goto out;
	ASSERT_TRUE(top_totals(t.out, pid, &tot), "every line is JSON");
	printf("  hog: %.2f s of CPU by rusage, %.2f s by vigil top, at most %.0f%% in an "
	       "interval\n",
	       used, tot.cpu_s, tot.max_cpu_pct);
	ASSERT_STREQ(tot.comm, "vigil-top-hog", "its name");
	/* the machine is shared: the hog gets what it gets, and vigil must say what it got */
	ASSERT_TRUE(tot.cpu_s > used * 0.9 && tot.cpu_s < used * 1.1 + 0.05,
		    "its CPU time within 10% of what the kernel charged it");
	ASSERT_TRUE(used < HOG_S * 0.5 || tot.max_cpu_pct > 70, "near a core in an interval");
	ASSERT_TRUE(tot.max_cpu_pct < 105, "and not more than one");
out:
	top_cleanup(&t);
}

/* ---------------------------------------------------------------- syscall */

#define GETPPID_N  100000
#define BADCLOSE_N 2000

static void syscall_loop(void)
{
	for (int i = 0; i < GETPPID_N; i++)
		syscall(SYS_getppid);
	for (int i = 0; i < BADCLOSE_N; i++)
		syscall(SYS_close, -1);
}

TEST(syscalls_of_a_known_loop)
{
	struct top_run t = { 0 };
	struct totals tot;
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!started(&t, (const char *const[]){ "--json", "-i", INTERVAL, NULL }))
		goto out;
	pid = run_child(syscall_loop, NULL);
	if (!ASSERT_TRUE(pid > 0, "the loop ran") || !finished(&t))
		goto out;
	ASSERT_TRUE(top_totals(t.out, pid, &tot), "every line is JSON");
	printf("  loop: %lld syscalls, %lld errors over %d rows\n", tot.syscalls, tot.errors,
	       tot.rows);
	/* and a few of its own: after fork, exit_group never returns */
	ASSERT_GE(tot.syscalls, GETPPID_N + BADCLOSE_N, "every syscall counted");
	ASSERT_GE(GETPPID_N + BADCLOSE_N + 50, tot.syscalls, "and hardly more");
	ASSERT_GE(tot.errors, BADCLOSE_N, "every failed close counted as an error");
	ASSERT_GE(BADCLOSE_N + 10, tot.errors, "and hardly more");
out:
	top_cleanup(&t);
}

/* ---------------------------------------------------------------- cgroup */

static char cg_dir[512];

static void syscall_loop_in_cgroup(void)
{
	char procs[600];
	int fd;

	snprintf(procs, sizeof(procs), "%s/inner/cgroup.procs", cg_dir);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(1);
	close(fd);
	syscall_loop();
}

/* The syscalls of the rows of @path in every interval; *@others: rows of other cgroups. */
static long long cgroup_syscalls(const char *out, const char *path, int *others)
{
	FILE *f = fopen(out, "re");
	char *line = NULL;
	size_t cap = 0;
	long long n = 0;

	*others = 0;
	while (f && getline(&line, &cap, f) > 0) {
		struct json_object *o = json_tokener_parse(line), *rows = jget(o, "rows");

		for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
			struct json_object *r = json_object_array_get_idx(rows, i);
			const char *cg = jstr(r, "cgroup");

			if (cg && !strcmp(cg, path))
				n += jint(r, "syscalls");
			else if (!cg || strncmp(cg, path, strlen(path) - strlen("/inner")))
				(*others)++;
		}
		json_object_put(o);
	}
	free(line);
	if (f)
		fclose(f);
	return n;
}

TEST(cgroup_filter_and_tree)
{
	struct top_run flat = { 0 }, tree = { 0 };
	char root[256], arg[64], inner[600], path[128];
	long long n;
	int others;
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	if (cgroup2_mount_point(root, sizeof(root))) {
		SKIP("no cgroup2 mount");
		return;
	}
	snprintf(arg, sizeof(arg), "/vigil-top-test-%d", getpid());
	snprintf(cg_dir, sizeof(cg_dir), "%s%s", root, arg);
	snprintf(inner, sizeof(inner), "%s/inner", cg_dir);
	if (!ASSERT_OK(mkdir(cg_dir, 0755), "make the test's cgroup") ||
	    !ASSERT_OK(mkdir(inner, 0755), "and one below it"))
		goto out;
	if (!started(&flat, (const char *const[]){ "--json", "-i", INTERVAL, "--per-cgroup",
						   "--cgroup", arg, NULL }) ||
	    !started(&tree, (const char *const[]){ "--json", "-i", INTERVAL, "--tree", "--cgroup",
						   arg, NULL }))
		goto out;
	pid = run_child(syscall_loop_in_cgroup, NULL);
	if (!ASSERT_TRUE(pid > 0, "the loop ran in the cgroup") || !finished(&flat) ||
	    !finished(&tree))
		goto out;
	snprintf(path, sizeof(path), "%s/inner", arg);
	n = cgroup_syscalls(flat.out, path, &others);
	printf("  %s: %lld syscalls per cgroup\n", path, n);
	ASSERT_GE(n, GETPPID_N + BADCLOSE_N, "the loop's syscalls, in its cgroup's row");
	ASSERT_GE(GETPPID_N + BADCLOSE_N + 100, n, "and hardly more");
	ASSERT_EQ(others, 0, "no row of another cgroup (--cgroup filters in the kernel)");
	/* the tree: the test's cgroup holds its child's totals */
	ASSERT_GE(cgroup_syscalls(tree.out, arg, &others), GETPPID_N + BADCLOSE_N,
		  "the parent's subtree total in the tree");
	ASSERT_GE(cgroup_syscalls(tree.out, path, &others), GETPPID_N + BADCLOSE_N,
		  "and the child's own row");
out:
	top_cleanup(&flat);
	top_cleanup(&tree);
	rmdir(inner);
	rmdir(cg_dir);
}

/* ---------------------------------------------------------------- block */

#define BLK_SIZE   65536
#define BLK_WRITES 64
#define BLK_READS  32

static char loop_dev[64];

static void direct_io(void)
{
	void *buf;
	int fd = open(loop_dev, O_RDWR | O_DIRECT | O_CLOEXEC);

	if (fd < 0 || posix_memalign(&buf, 4096, BLK_SIZE))
		_exit(1);
	memset(buf, 0x5a, BLK_SIZE);
	for (int i = 0; i < BLK_WRITES; i++)
		if (pwrite(fd, buf, BLK_SIZE, (off_t)i * BLK_SIZE) != BLK_SIZE)
			_exit(2);
	for (int i = 0; i < BLK_READS; i++)
		if (pread(fd, buf, BLK_SIZE, (off_t)i * BLK_SIZE) != BLK_SIZE)
			_exit(3);
	close(fd);
}

TEST(block_bytes_of_direct_io)
{
	char img[] = "/var/tmp/vigil-top-loop-XXXXXX";
	struct top_run t = { 0 };
	struct totals tot;
	pid_t pid;
	int fd;

	if (SKIP_UNLESS_ROOT())
		return;
	if (sh("command -v losetup >/dev/null")) {
		SKIP("no losetup (util-linux)");
		return;
	}
	fd = mkstemp(img);
	if (!ASSERT_TRUE(fd >= 0, "a backing file"))
		return;
	if (!ASSERT_OK(ftruncate(fd, 16 << 20), "16 MiB")) {
		close(fd);
		unlink(img);
		return;
	}
	close(fd);
	loop_dev[0] = '\0';
	if (shf_out(loop_dev, sizeof(loop_dev), "losetup --find --show %s", img) ||
	    strncmp(loop_dev, "/dev/", 5)) {
		SKIP("cannot make a loop device: %s", loop_dev);
		unlink(img);
		return;
	}
	loop_dev[strcspn(loop_dev, "\n")] = '\0';
	if (!started(&t, (const char *const[]){ "--json", "-i", INTERVAL, NULL }))
		goto out;
	pid = run_child(direct_io, NULL);
	if (!ASSERT_TRUE(pid > 0, "the direct I/O ran") || !finished(&t))
		goto out;
	ASSERT_TRUE(top_totals(t.out, pid, &tot), "every line is JSON");
	printf("  direct I/O on %s: %lld bytes written, %lld read\n", loop_dev, tot.blk_write,
	       tot.blk_read);
	ASSERT_EQ(tot.blk_write, (long long)BLK_WRITES * BLK_SIZE, "the bytes it wrote");
	ASSERT_EQ(tot.blk_read, (long long)BLK_READS * BLK_SIZE, "the bytes it read");
out:
	top_cleanup(&t);
	shf("losetup -d %s", loop_dev);
	unlink(img);
}

/* ---------------------------------------------------------------- net */

#define NET_BYTES (4 << 20)

static int net_port;

static void net_sender(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(net_port) };
	static char buf[65536];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long left = NET_BYTES;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		_exit(1);
	while (left > 0) {
		ssize_t n = send(fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf), 0);

		if (n <= 0)
			_exit(2);
		left -= n;
	}
	close(fd);
}

TEST(network_bytes_sent_and_received)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct top_run t = { 0 };
	struct totals tx, rx;
	long long got = 0;
	int ls = -1, cs = -1, status;
	pid_t pid = -1;
	char buf[65536];
	ssize_t n;

	if (SKIP_UNLESS_ROOT())
		return;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(ls >= 0, "a listening socket") ||
	    !ASSERT_OK(bind(ls, (struct sockaddr *)&a, sizeof(a)), "bind on loopback") ||
	    !ASSERT_OK(listen(ls, 1), "listen") ||
	    !ASSERT_OK(getsockname(ls, (struct sockaddr *)&a, &alen), "its port"))
		goto out;
	net_port = ntohs(a.sin_port);
	if (!started(&t, (const char *const[]){ "--json", "-i", INTERVAL, NULL }))
		goto out;
	pid = fork();
	if (pid == 0) {
		net_sender();
		_exit(0);
	}
	cs = accept(ls, NULL, NULL);
	if (!ASSERT_TRUE(cs >= 0, "the sender connects"))
		goto out;
	while ((n = recv(cs, buf, sizeof(buf), 0)) > 0)
		got += n;
	ASSERT_EQ(got, NET_BYTES, "the test received it all");
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "the sender ends");
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "and succeeded");
	if (!finished(&t))
		goto out;
	ASSERT_TRUE(top_totals(t.out, pid, &tx), "every line is JSON");
	top_totals(t.out, getpid(), &rx);
	printf("  sender: %lld bytes sent; test: %lld received\n", tx.tx, rx.rx);
	ASSERT_EQ(tx.tx, NET_BYTES, "the sender's bytes sent");
	ASSERT_EQ(rx.rx, NET_BYTES, "the receiver's bytes received");
out:
	if (pid > 0 && !waitpid(pid, NULL, WNOHANG)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (cs >= 0)
		close(cs);
	if (ls >= 0)
		close(ls);
	top_cleanup(&t);
}

/* ---------------------------------------------------------------- batch */

TEST(batch_prints_tables)
{
	char out[65536];
	int status;

	if (SKIP_UNLESS_ROOT())
		return;
	status = shf_out(out, sizeof(out), "%s top -b -n 2 -i 0.3 -s syscalls -r 5", vigil_bin());
	ASSERT_EQ(status, 0, "vigil top -b -n 2 exits 0");
	ASSERT_NOT_NULL(strstr(out, "sorted by syscalls"), "a header per table");
	ASSERT_NOT_NULL(strstr(out, "CPU%"), "the column headings");
	ASSERT_NOT_NULL(strstr(strstr(out, "sorted by") + 1, "sorted by"), "two tables");
	status = shf_out(out, sizeof(out), "%s top -b -n 1 -i 0.3 --tree", vigil_bin());
	ASSERT_EQ(status, 0, "--tree exits 0");
	ASSERT_NOT_NULL(strstr(out, "CGROUP"), "cgroups");
}

/* ---------------------------------------------------------------- screen */

/* Read the pty until what it drew holds @text: true, or false after @timeout_s. */
static bool screen_shows(int fd, char *screen, size_t size, size_t *len, const char *text,
			 double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (now_s() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		screen[*len] = '\0';
		if (strstr(screen, text))
			return true;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, screen + *len, size - 1 - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
		/* keep the newest half when full */
		if (*len > size - 4096) {
			memmove(screen, screen + *len / 2, *len - *len / 2);
			*len -= *len / 2;
		}
	}
	return false;
}

TEST(screen_draws_and_quits_on_a_pty)
{
	struct winsize ws = { .ws_row = 30, .ws_col = 150 };
	static char screen[1 << 16];
	double deadline;
	size_t len = 0;
	int fd, status = -1;
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	pid = forkpty(&fd, NULL, NULL, &ws);
	if (!ASSERT_TRUE(pid >= 0, "forkpty"))
		return;
	if (pid == 0) {
		setenv("TERM", "xterm", 1);
		execl(vigil_bin(), vigil_bin(), "top", "-i", "0.5", (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(screen_shows(fd, screen, sizeof(screen), &len, "sort cpu", 60),
		    "the header with the sort column");
	ASSERT_TRUE(screen_shows(fd, screen, sizeof(screen), &len, "RUNQ99", 10),
		    "the column headings");
	ASSERT_TRUE(screen_shows(fd, screen, sizeof(screen), &len, "processes active", 10),
		    "an interval's rows");
	ASSERT_EQ(write(fd, ">", 1), 1, "send >");
	ASSERT_TRUE(screen_shows(fd, screen, sizeof(screen), &len, "sort runq", 10),
		    "> sorts by the next column");
	ASSERT_EQ(write(fd, "g", 1), 1, "send g");
	ASSERT_TRUE(screen_shows(fd, screen, sizeof(screen), &len, "CGROUP", 10),
		    "g shows cgroups");
	ASSERT_EQ(write(fd, "/zzz-no-such\n", 13), 13, "type a filter");
	ASSERT_TRUE(screen_shows(fd, screen, sizeof(screen), &len, "0 cgroups active", 10),
		    "the filter leaves nothing");
	ASSERT_EQ(write(fd, "q", 1), 1, "send q");
	deadline = now_s() + 10;
	while (now_s() < deadline && waitpid(pid, &status, WNOHANG) != pid) {
		char drain[4096];

		if (read(fd, drain, sizeof(drain)) < 0 && errno != EAGAIN)
			usleep(20 * 1000);
	}
	if (!ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "q quits, exit 0")) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(fd);
}

/* ---------------------------------------------------------------- raw_tp */

TEST(raw_tp_twins_count_the_same)
{
	struct top_config cfg = { .raw_tp = true };
	struct top_session *s = NULL;
	struct top_proc *procs = NULL;
	size_t n = 0;
	pid_t pid;
	int ret;

	if (SKIP_UNLESS_ROOT())
		return;
	ret = top_open(&cfg, &s);
	if (!ASSERT_OK(ret, "raw_tp programs load and attach"))
		return;
	ASSERT_STREQ(top_mode(s), "raw_tp", "raw_tp mode");
	pid = run_child(syscall_loop, NULL);
	if (ASSERT_TRUE(pid > 0, "the loop ran") && ASSERT_OK(top_read(s, &procs, &n), "read")) {
		long long calls = -1, errors = -1;

		for (size_t i = 0; i < n; i++)
			if (procs[i].tgid == (uint32_t)pid) {
				calls = (long long)procs[i].st.syscalls;
				errors = (long long)procs[i].st.syscall_errors;
			}
		ASSERT_GE(calls, GETPPID_N + BADCLOSE_N, "every syscall counted");
		ASSERT_GE(GETPPID_N + BADCLOSE_N + 50, calls, "and hardly more");
		ASSERT_GE(errors, BADCLOSE_N, "every error counted");
	}
	free(procs);
	top_close(s);
}
