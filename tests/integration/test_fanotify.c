// SPDX-License-Identifier: GPL-2.0
/*
 * Deny rules on opens and execs where BPF LSM is missing: refused before any byte is read
 * (fanotify permission events; BPF LSM where it runs), through every door a kill after the
 * open left open (issue 20): a process sharing the fd table, a sibling thread reading the next
 * fd, open_by_handle_at, io_uring, a file deeper than the in-kernel walk, an exec. Rules follow
 * mounts made after the start and files renamed away. Each attack holds a unique marker in the
 * protected file and asserts that no byte of it reached the attacker.
 *
 * One agent serves every test (started at the first, stopped by the last or at exit).
 */
#include "harness.h"
#include "testlib.h"
#include "uring.h"
#include "core/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* 41 directories below the denied one: deeper than the in-kernel kill's walk (32). */
#define DEEP_LEVELS 41
#define TRIES	    100

static struct {
	bool up, failed;
	char dir[64], marker[64], policy[128];
	char secret[128], deep[512], bin[128], mnt[128], mounted[160], renamed[128];
	struct vigil_child v;
} fx;

/* What an attacker saw, shared across fork and clone. */
struct loot {
	int opened, refused, leaks, reads;
	volatile int done;
};

static bool has_marker(const char *buf, ssize_t n)
{
	return n > 0 && memmem(buf, n, fx.marker, strlen(fx.marker)) != NULL;
}

static bool write_file(const char *path, const char *text)
{
	return !shf("printf '%%s' '%s' > %s", text, path);
}

static void teardown(void)
{
	if (!fx.dir[0])
		return;
	if (fx.up)
		vigil_cleanup(&fx.v);
	fx.up = false;
	umount2(fx.mnt, MNT_DETACH);
	umount2(fx.dir, MNT_DETACH);
	shf("rm -rf %s", fx.dir);
	unlink(fx.policy);
	fx.dir[0] = '\0';
}

static bool make_files(void)
{
	char path[sizeof(fx.deep) - 2];
	FILE *f;
	int n;

	snprintf(fx.marker, sizeof(fx.marker), "VIGIL-MARKER-%d-%ld", (int)getpid(),
		 (long)time(NULL));
	snprintf(fx.secret, sizeof(fx.secret), "%s/secret", fx.dir);
	snprintf(fx.bin, sizeof(fx.bin), "%s/bin", fx.dir);
	snprintf(fx.mnt, sizeof(fx.mnt), "%s/mnt", fx.dir);
	snprintf(fx.mounted, sizeof(fx.mounted), "%s/secret2", fx.mnt);
	snprintf(fx.renamed, sizeof(fx.renamed), "%s/renamed", fx.dir);
	n = snprintf(path, sizeof(path), "%s/tree", fx.dir);
	for (int i = 0; i < DEEP_LEVELS; i++)
		n += snprintf(path + n, sizeof(path) - n, "/d");
	if (shf("mkdir -p %s %s %s/tree2", path, fx.mnt, fx.dir))
		return false;
	snprintf(fx.deep, sizeof(fx.deep), "%s/f", path);
	if (!write_file(fx.secret, fx.marker) || !write_file(fx.deep, fx.marker) ||
	    !write_file(fx.renamed, fx.marker) || shf("echo benign > %s/benign", fx.dir) ||
	    shf("echo benign > %s/tree2/f", fx.dir) || shf("cp /bin/echo %s", fx.bin))
		return false;
	/*
	 * A shared mount of its own: mounts made beneath it after the start propagate into an
	 * agent that made a mount namespace of its own (for tracefs), as the host's do.
	 */
	if (mount(fx.dir, fx.dir, NULL, MS_BIND, NULL) ||
	    mount(NULL, fx.dir, NULL, MS_SHARED, NULL))
		return false;
	snprintf(fx.policy, sizeof(fx.policy), "%s.yaml", fx.dir);
	f = fopen(fx.policy, "w");
	if (!f)
		return false;
	fprintf(f,
		"policy: fanotify-test\nmode: enforce\nrules:\n"
		"  - id: secret-read\n    description: the secret is not read\n"
		"    severity: high\n    on: open\n    action: deny\n    match:\n"
		"      file.path: [%s, %s, %s]\n      file.access: read\n"
		"  - id: tree\n    description: nothing under the tree\n"
		"    severity: high\n    on: open\n    action: deny\n    match:\n"
		"      file.path: %s/tree/\n"
		"  - id: bin\n    description: the copied tool does not run\n"
		"    severity: high\n    on: exec\n    action: deny\n    match:\n"
		"      process.exe: %s\n",
		fx.secret, fx.mounted, fx.renamed, fx.dir, fx.bin);
	fclose(f);
	return true;
}

/* The agent every test shares, started once; false (the test failed) when it cannot be. */
static bool agent(void)
{
	if (fx.up)
		return true;
	if (fx.failed || SKIP_UNLESS_ROOT())
		return false;
	strcpy(fx.dir, "/tmp/vigil-fan-XXXXXX");
	fx.failed = true;
	if (!mkdtemp(fx.dir)) {
		fx.dir[0] = '\0';
		return false;
	}
	atexit(teardown);
	if (!ASSERT_TRUE(make_files(), "test files and the shared mount"))
		return false;
	if (!vigil_start_checked(&fx.v, (const char *[]){ "run", "--no-default-rules", "--policy",
							  fx.policy, NULL }))
		return false;
	fx.up = true;
	fx.failed = false;
	if (!probe_has(FEAT_BPF_LSM))
		ASSERT_TRUE(strstr(fx.v.err, "refused by fanotify") != NULL,
			    "the start-up log says fanotify refuses open and exec deny rules");
	return true;
}

static struct loot *loot_new(void)
{
	struct loot *l =
		mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return l == MAP_FAILED ? NULL : memset(l, 0, sizeof(*l));
}

/* Read every fd that may be the one just opened; count reads that held the marker. */
static void scan_fds(struct loot *l)
{
	char buf[256];

	for (int fd = 3; fd < 64; fd++) {
		ssize_t n = pread(fd, buf, sizeof(buf), 0);

		if (n > 0)
			__atomic_add_fetch(&l->reads, 1, __ATOMIC_RELAXED);
		if (has_marker(buf, n))
			__atomic_add_fetch(&l->leaks, 1, __ATOMIC_RELAXED);
	}
}

/* Open the secret TRIES times; each fd left open for a sibling to find. */
static void open_secret(struct loot *l)
{
	for (int i = 0; i < TRIES; i++) {
		int fd = open(fx.secret, O_RDONLY);

		if (fd >= 0) {
			l->opened++;
			usleep(1000);
			close(fd);
		} else if (errno == EPERM) {
			l->refused++;
		}
	}
}

static void check_loot(const struct loot *l, const char *how)
{
	char what[160];

	snprintf(what, sizeof(what), "%s: every open of the secret refused with EPERM", how);
	ASSERT_EQ(l->refused, TRIES, what);
	snprintf(what, sizeof(what), "%s: no open of the secret succeeded", how);
	ASSERT_EQ(l->opened, 0, what);
	snprintf(what, sizeof(what), "%s: no byte of the marker was read", how);
	ASSERT_EQ(l->leaks, 0, what);
}

/*
 * Run @attack in a child (where vigil kills instead of refusing, it is the child that dies,
 * not the test); it records what it got in the shared loot. False when it could not run.
 */
static bool in_child(void (*attack)(struct loot *), struct loot *l)
{
	pid_t pid = fork();

	if (pid == 0) {
		attack(l);
		_exit(0);
	}
	return pid > 0 && waitpid(pid, NULL, 0) == pid;
}

static int clone_opener(void *arg)
{
	open_secret(arg);
	((struct loot *)arg)->done = 1;
	return 0;
}

TEST(clone_files_sibling_reads_nothing)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct loot *l;
	pid_t pid;
	int status;

	if (!agent() || !(l = loot_new()))
		return;
	/* the opener shares this process's fd table: what it opens, we could read */
	pid = clone(clone_opener, stack + sizeof(stack), CLONE_FILES | SIGCHLD, l);
	if (!ASSERT_TRUE(pid > 0, "clone(CLONE_FILES)"))
		return;
	while (!l->done && waitpid(pid, &status, WNOHANG) == 0)
		scan_fds(l);
	waitpid(pid, &status, 0);
	check_loot(l, "CLONE_FILES sibling");
	munmap(l, sizeof(*l));
}

static void *pread_loop(void *arg)
{
	struct loot *l = arg;

	while (!l->done)
		scan_fds(l);
	return NULL;
}

TEST(sibling_thread_pread_loop_reads_nothing)
{
	struct loot *l;
	pid_t pid;

	if (!agent() || !(l = loot_new()))
		return;
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, pread_loop, l))
			_exit(1);
		open_secret(l);
		l->done = 1;
		pthread_join(t, NULL);
		_exit(0);
	}
	ASSERT_TRUE(pid > 0 && waitpid(pid, NULL, 0) == pid, "the attacker ran");
	check_loot(l, "sibling thread");
	munmap(l, sizeof(*l));
}

static void open_by_handle(struct loot *l)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	int mount_id, dir_fd = open(fx.dir, O_RDONLY | O_DIRECTORY), fd;
	char buf[256];

	if (dir_fd < 0 || name_to_handle_at(AT_FDCWD, fx.secret, &h.fh, &mount_id, 0))
		return;
	l->reads = 1; /* the handle was made */
	fd = open_by_handle_at(dir_fd, &h.fh, O_RDONLY);
	if (fd < 0 && errno == EPERM)
		l->refused++;
	if (fd >= 0) {
		l->opened++;
		l->leaks += has_marker(buf, pread(fd, buf, sizeof(buf), 0));
	}
}

TEST(open_by_handle_at_is_refused)
{
	struct loot *l;

	if (!agent() || !(l = loot_new()))
		return;
	ASSERT_TRUE(in_child(open_by_handle, l), "the attacker ran");
	if (!l->reads) {
		SKIP("name_to_handle_at does not work here");
	} else {
		ASSERT_EQ(l->refused, 1, "open_by_handle_at of the secret fails with EPERM");
		ASSERT_EQ(l->leaks, 0, "no byte of the marker was read through the handle");
	}
	munmap(l, sizeof(*l));
}

static void io_uring_open_read(struct loot *l)
{
	char buf[256] = "";
	struct ring r;
	int fd;

	if (ring_setup(&r))
		return;
	l->reads = 1; /* io_uring works */
	fd = ring_run(&r, &(struct io_uring_sqe){ .opcode = IORING_OP_OPENAT,
						  .fd = AT_FDCWD,
						  .addr = (__u64)(unsigned long)fx.secret,
						  .open_flags = O_RDONLY });
	if (fd == -EPERM)
		l->refused++;
	if (fd >= 0) {
		int n = ring_run(&r, &(struct io_uring_sqe){ .opcode = IORING_OP_READ,
							     .fd = fd,
							     .addr = (__u64)(unsigned long)buf,
							     .len = sizeof(buf) - 1 });

		l->opened++;
		l->leaks += has_marker(buf, n);
	}
	ring_close(&r);
}

TEST(io_uring_openat_and_read_reads_nothing)
{
	struct loot *l;

	if (!agent() || !(l = loot_new()))
		return;
	ASSERT_TRUE(in_child(io_uring_open_read, l), "the attacker ran");
	if (!l->reads) {
		SKIP("no io_uring here");
	} else {
		ASSERT_EQ(l->refused, 1, "IORING_OP_OPENAT of the secret completes with EPERM");
		ASSERT_EQ(l->leaks, 0, "IORING_OP_READ got no byte of the marker");
	}
	munmap(l, sizeof(*l));
}

/* cat @path in a shell: its exit status, and whether what it printed held the marker. */
static int cat_file(const char *path, bool *leaked)
{
	char out[512] = "";
	int rc = shf_out(out, sizeof(out), "cat %s", path);

	*leaked = has_marker(out, strlen(out));
	return rc;
}

TEST(file_41_levels_below_a_denied_directory_is_refused)
{
	bool leaked;

	if (!agent())
		return;
	ASSERT_EQ(cat_file(fx.deep, &leaked), 1, "cat fails (EPERM), not killed");
	ASSERT_FALSE(leaked, "no byte of the marker was printed");
	ASSERT_EQ(shf("exec 2>/dev/null; echo > %s", fx.deep), 2,
		  "an open for writing is refused too (the shell's redirection fails)");
}

TEST(exec_of_a_denied_binary_is_refused)
{
	char out[256] = "";

	if (!agent())
		return;
	ASSERT_EQ(exec_errno(fx.bin), EPERM, "execve of the denied binary fails with EPERM");
	ASSERT_NEQ(shf_out(out, sizeof(out), "%s RAN", fx.bin), 0, "from a shell too");
	ASSERT_TRUE(!strstr(out, "RAN"), "the binary never ran");
}

TEST(a_mount_made_after_the_start_is_followed)
{
	bool leaked;

	if (!agent())
		return;
	if (!ASSERT_OK(mount("tmpfs", fx.mnt, "tmpfs", 0, "size=1m"),
		       "mount tmpfs after the start"))
		return;
	/* the agent redoes its marks and maps when the mount table changes */
	usleep(1000 * 1000);
	ASSERT_TRUE(write_file(fx.mounted, fx.marker), "the file written on the new mount");
	ASSERT_EQ(cat_file(fx.mounted, &leaked), 1, "reading it fails (EPERM)");
	ASSERT_FALSE(leaked, "no byte of the marker was printed");
	umount2(fx.mnt, MNT_DETACH);
}

TEST(a_file_renamed_away_leaves_the_rule_on_its_path)
{
	char moved[160];
	bool leaked;

	if (!agent())
		return;
	snprintf(moved, sizeof(moved), "%s.moved", fx.renamed);
	ASSERT_EQ(cat_file(fx.renamed, &leaked), 1, "the protected file is refused");
	ASSERT_FALSE(leaked, "no byte of the marker was printed");
	ASSERT_OK(rename(fx.renamed, moved), "rename it away");
	ASSERT_TRUE(write_file(fx.renamed, fx.marker), "a new file at the protected path");
	/* rules follow the path: within 2 s the new file is refused, the old one is not */
	usleep(2500 * 1000);
	ASSERT_EQ(cat_file(fx.renamed, &leaked), 1, "the new file at the path is refused");
	ASSERT_FALSE(leaked, "no byte of its marker was printed");
	ASSERT_EQ(cat_file(moved, &leaked), 0, "the file renamed away reads");
}

TEST(benign_twins_still_read)
{
	char path[160];
	bool leaked;

	if (!agent())
		return;
	snprintf(path, sizeof(path), "%s/benign", fx.dir);
	ASSERT_EQ(cat_file(path, &leaked), 0, "a file beside the secret reads");
	snprintf(path, sizeof(path), "%s/tree2/f", fx.dir);
	ASSERT_EQ(cat_file(path, &leaked), 0, "a file beside the denied directory reads");
	ASSERT_EQ(shf("/bin/echo ok > /dev/null"), 0, "another binary runs");
}

static size_t count(struct json_object **ev, size_t n, const char *type, const char *action,
		    const char *path_field, const char *path)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(jstr(ev[i], "type"), type) && jstr(ev[i], "action") &&
		    !strcmp(jstr(ev[i], "action"), action) &&
		    (!path || (jstr(ev[i], path_field) && !strcmp(jstr(ev[i], path_field), path))))
			c++;
	return c;
}

/* Last: every refusal above is reported "denied", by fanotify here; nothing was killed. */
TEST(refusals_are_reported_denied_and_nothing_is_killed)
{
	const char *mechanism = probe_has(FEAT_BPF_LSM) ? "bpf_lsm" : "fanotify";
	struct json_object **ev;
	size_t n = 0, with_mechanism = 0;
	bool leaked;

	if (!agent())
		return;
	/* one of each, whichever tests ran before */
	cat_file(fx.secret, &leaked);
	exec_errno(fx.bin);
	/* the agent reports refusals no file sensor record stood for after a moment */
	usleep(1000 * 1000);
	ev = vigil_stop_and_load(&fx.v, &n);
	fx.up = false;
	ASSERT_GE(count(ev, n, "open", "denied", "file.path", fx.secret), 1,
		  "the refused open of the secret is reported denied");
	ASSERT_GE(count(ev, n, "exec", "denied", "process.exe", fx.bin), 1,
		  "the refused exec is reported denied, with the binary");
	for (size_t i = 0; i < n; i++)
		if (jstr(ev[i], "mechanism") && !strcmp(jstr(ev[i], "mechanism"), mechanism))
			with_mechanism++;
	ASSERT_EQ(with_mechanism,
		  count(ev, n, "open", "denied", NULL, NULL) +
			  count(ev, n, "exec", "denied", NULL, NULL),
		  "every refusal names its mechanism");
	ASSERT_EQ(count(ev, n, "open", "killed", NULL, NULL) +
			  count(ev, n, "open", "killed_after", NULL, NULL) +
			  count(ev, n, "open", "kill_failed", NULL, NULL) +
			  count(ev, n, "exec", "killed", NULL, NULL) +
			  count(ev, n, "exec", "kill_failed", NULL, NULL),
		  0, "nothing was killed");
	events_free(ev, n);
	teardown();
}
