// SPDX-License-Identifier: GPL-2.0
/*
 * The file sensor end to end: vigil must report the object the kernel touched, whatever name
 * the caller used to reach it.
 */
#include "harness.h"
#include "testlib.h"
#include "uring.h"
#include "sensors/sensors.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

struct fixture {
	char dir[64];	  /* a fresh directory under /tmp */
	char secret[128]; /* dir/secret, the watched file */
	struct stat st;
};

static bool setup(struct fixture *fx)
{
	int fd;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vigil-file-XXXXXX");
	if (!mkdtemp(fx->dir))
		return false;
	snprintf(fx->secret, sizeof(fx->secret), "%s/secret", fx->dir);
	fd = open(fx->secret, O_WRONLY | O_CREAT, 0600);
	if (fd < 0)
		return false;
	close(fd);
	return !stat(fx->secret, &fx->st);
}

static void teardown(struct fixture *fx)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' /tmp/vigil-elsewhere-%d", fx->dir, getpid());
	if (system(cmd))
		harness_check(false, __FILE__, __LINE__, "cleanup of %s", fx->dir);
}

/* Events of @type by this test's processes whose file.path is @path, counted; the first. */
static struct json_object *find_file(struct json_object **ev, size_t n, const char *type,
				     const char *path, size_t *count)
{
	struct json_object *first = NULL;

	*count = 0;
	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type"), *p = jstr(ev[i], "file.path");

		if (t && p && !strcmp(t, type) && !strcmp(p, path)) {
			if (!first)
				first = ev[i];
			(*count)++;
		}
	}
	return first;
}

static bool same_object(struct json_object *e, const struct stat *st)
{
	return jint(e, "file.inode") == (long long)st->st_ino &&
	       jint(e, "file.dev") == (long long)st->st_dev;
}

static void read_close(int fd)
{
	char c;

	if (fd >= 0) {
		if (read(fd, &c, 1) < 0)
			harness_check(false, __FILE__, __LINE__, "read: %s", strerror(errno));
		close(fd);
	}
}

/*
 * Start `vigil run` with one open rule and no other, aggregation off: @id matches opens of
 * @path with one more YAML condition, @cond; @more (NULL-terminated) are further arguments.
 * The policy file's name goes to @policy (64 bytes, "" when none was made): unlink it at the end.
 */
static bool run_with_rule(struct vigil_child *v, char *policy, const char *id, const char *path,
			  const char *cond, const char *const *more)
{
	const char *args[16] = {
		"run", "--no-default-rules", "--policy", policy, "--aggregate", "0"
	};
	size_t n = 6;
	FILE *f = NULL;
	int fd;

	strcpy(policy, "/tmp/vigil-file-policy-XXXXXX.yaml"); /* mkstemps' template */
	fd = mkstemps(policy, 5);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (f)
		fprintf(f,
			"policy: file-test\nrules:\n  - id: %s\n    description: the test's rule\n"
			"    severity: low\n    on: open\n    match:\n      file.path: [\"%s\"]\n"
			"      %s\n",
			id, path, cond);
	if (!f || fclose(f)) {
		harness_check(false, __FILE__, __LINE__, "policy file: %s", strerror(errno));
		if (fd >= 0)
			unlink(policy);
		policy[0] = '\0';
		return false;
	}
	while (more && *more && n < 15)
		args[n++] = *more++;
	return vigil_start_checked(v, args);
}

/* The opens in vigil's summary line, "N events seen (exec 3, open 12, ...)"; -1: no summary. */
static long opens_seen(const struct vigil_child *v)
{
	const char *p = strstr(v->err, " events seen");
	const char *opens;

	if (!p)
		return -1;
	opens = strstr(p, "open ");
	return opens && opens < strchr(p, '\n') && (opens[-1] == '(' || opens[-1] == ' ')
		       ? atol(opens + 5)
		       : 0;
}

/* Checks that a rule's test saw the alert and few events: @max would be sent in vain. */
static void check_alert_only(const struct vigil_child *v, struct json_object **ev, size_t n,
			     const char *rule, const char *path, long max, const char *what)
{
	bool alert = false;

	for (size_t i = 0; i < n; i++)
		alert |= jstr(ev[i], "rule.id") && !strcmp(jstr(ev[i], "rule.id"), rule) &&
			 !strcmp(jstr(ev[i], "file.path"), path);
	harness_check(alert, __FILE__, __LINE__, "%s: the open of %s matched %s", what, path, rule);
	/* the rest of the host opens none of the test's files, but its processes come and go */
	harness_check(opens_seen(v) >= 0 && opens_seen(v) < max / 2, __FILE__, __LINE__,
		      "%s: %ld opens seen, want fewer than %ld", what, opens_seen(v), max / 2);
}

/*
 * Open @path through a file handle (name_to_handle_at, then open_by_handle_at), as a container
 * escape does with a handle it forged: the kernel gets no name at all. -1, and *@unsupported,
 * when the file system gives no handles (the VM suite's root may be such).
 */
static int open_by_handle(const char *path, bool *unsupported)
{
	struct {
		struct file_handle h;
		unsigned char bytes[MAX_HANDLE_SZ];
	} fh = { .h.handle_bytes = MAX_HANDLE_SZ };
	char dir[PATH_MAX];
	int mount_id, mfd, fd = -1;

	*unsupported = false;
	if (name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0)) {
		*unsupported = errno == EOPNOTSUPP;
		if (*unsupported)
			return -1;
		harness_check(false, __FILE__, __LINE__, "name_to_handle_at: %s", strerror(errno));
		return -1;
	}
	/* any fd on the file's mount: its directory, so that the file is opened once */
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (mfd >= 0)
		fd = open_by_handle_at(mfd, &fh.h, O_RDONLY);
	close(mfd);
	harness_check(fd >= 0, __FILE__, __LINE__, "open_by_handle_at: %s", strerror(errno));
	return fd;
}

/*
 * Open @path through io_uring, as a rootkit that avoids syscalls does (no syscall tracepoint
 * fires for it): IORING_OP_OPENAT punted to an io-wq worker thread (IOSQE_ASYNC), and
 * IORING_OP_OPENAT2 completed inline. How many opens succeeded; -1 without io_uring here.
 */
static int open_by_io_uring(const char *path)
{
	struct open_how how = { .flags = O_RDONLY };
	struct ring r;
	int fd, opened = 0;

	if (ring_setup(&r))
		return -1;
	fd = ring_run(&r, &(struct io_uring_sqe){ .opcode = IORING_OP_OPENAT,
						  .flags = IOSQE_ASYNC,
						  .fd = AT_FDCWD,
						  .addr = (__u64)(unsigned long)path,
						  .open_flags = O_RDONLY });
	opened += fd >= 0;
	read_close(fd);
	fd = ring_run(&r, &(struct io_uring_sqe){ .opcode = IORING_OP_OPENAT2,
						  .fd = AT_FDCWD,
						  .addr = (__u64)(unsigned long)path,
						  .len = sizeof(how),
						  .addr2 = (__u64)(unsigned long)&how });
	opened += fd >= 0;
	read_close(fd);
	ring_close(&r);
	return opened;
}

TEST(open_evasions_resolve_to_the_real_file)
{
	char path[PATH_MAX], soft[PATH_MAX], hard[PATH_MAX], elsewhere[64], cwd[PATH_MAX];
	struct open_how how = { .flags = O_RDONLY, .resolve = RESOLVE_NO_MAGICLINKS };
	struct json_object **ev, *e;
	bool no_handles;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, count;
	int dfd, uring_opens;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	/* A symlink and a hard link to the secret from outside the watched directory. */
	snprintf(elsewhere, sizeof(elsewhere), "/tmp/vigil-elsewhere-%d", getpid());
	mkdir(elsewhere, 0700);
	snprintf(soft, sizeof(soft), "%s/innocent-symlink", elsewhere);
	snprintf(hard, sizeof(hard), "%s/innocent-hardlink", elsewhere);
	if (!ASSERT_OK(symlink(fx.secret, soft), "symlink") ||
	    !ASSERT_OK(link(fx.secret, hard), "link"))
		goto out_fixture;
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--aggregate", "0", "--events",
						       "open", "--path", fx.secret, NULL }))
		goto out_fixture;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	read_close(open(fx.secret, O_RDONLY)); /* 1 absolute */
	if (!chdir(fx.dir)) {
		read_close(open("secret", O_RDONLY)); /* 2 relative */
		snprintf(path, sizeof(path), "../%s/secret", fx.dir + 5);
		read_close(open(path, O_RDONLY)); /* 3 relative through .. */
	}
	if (chdir(cwd))
		harness_check(false, __FILE__, __LINE__, "chdir back");
	dfd = open(fx.dir, O_RDONLY | O_DIRECTORY);
	read_close(openat(dfd, "secret", O_RDONLY)); /* 4 dirfd */
	close(dfd);
	snprintf(path, sizeof(path), "%s/../%s/./secret", fx.dir, fx.dir + 5);
	read_close(open(path, O_RDONLY));					  /* 5 .. and . */
	read_close(open(soft, O_RDONLY));					  /* 6 symlink */
	read_close(syscall(SYS_openat2, AT_FDCWD, fx.secret, &how, sizeof(how))); /* 7 openat2 */
	read_close(open(hard, O_RDONLY));					  /* 8 hard link */
	read_close(open_by_handle(fx.secret, &no_handles)); /* 9 a file handle: no name */
	uring_opens = open_by_io_uring(fx.secret);	    /* 10, 11 io_uring requests */
	ev = vigil_stop_and_load(&v, &n);

	/* 1-7 (10, 11): the kernel opened the secret itself, and says so under its real name. */
	e = find_file(ev, n, "open", fx.secret, &count);
	ASSERT_EQ(count, 7 + (uring_opens > 0 ? uring_opens : 0),
		  "opens reported as the secret's own path");
	if (ASSERT_NOT_NULL(e, "an open of the secret")) {
		ASSERT_TRUE(same_object(e, &fx.st), "inode and dev are the secret's");
		ASSERT_STREQ(jstr(e, "file.access"), "read", "access");
		ASSERT_STREQ(jstr(e, "file.flags"), "O_RDONLY", "flags");
		ASSERT_GE(jint(e, "result"), 0, "result is the fd");
	}
	e = NULL;
	for (size_t i = 0; i < n; i++) {
		if (jstr(ev[i], "syscall") && !strcmp(jstr(ev[i], "syscall"), "openat2"))
			ASSERT_STREQ(jstr(ev[i], "file.path"), fx.secret, "openat2 reported");
		if (jstr(ev[i], "syscall") && !strcmp(jstr(ev[i], "syscall"), "open_by_handle_at"))
			e = ev[i];
	}
	/* 9: caught by the inode, under the name the dentry cache has for it (either of two) */
	if (no_handles)
		printf("  (no file handles on this file system: open_by_handle_at not tried)\n");
	else if (ASSERT_NOT_NULL(e, "the open by handle is reported"))
		ASSERT_TRUE(same_object(e, &fx.st), "by handle: the secret's inode and dev");
	/* 10, 11: io_uring opens, from the worker thread and inline, each with its flags */
	if (uring_opens < 0) {
		printf("  (no io_uring on this kernel: its opens not tried)\n");
	} else {
		ASSERT_EQ(uring_opens, 2, "both io_uring opens of the secret succeeded");
		for (size_t k = 0; k < 2; k++) {
			const char *call = k ? "io_uring_openat2" : "io_uring_openat";

			e = NULL;
			for (size_t i = 0; i < n && !e; i++)
				if (jstr(ev[i], "syscall") && !strcmp(jstr(ev[i], "syscall"), call))
					e = ev[i];
			if (!ASSERT_NOT_NULL(e, call))
				continue;
			ASSERT_STREQ(jstr(e, "file.path"), fx.secret, call);
			ASSERT_TRUE(same_object(e, &fx.st), call);
			/* io_uring adds O_LARGEFILE, as open(2) does on 64-bit in the kernel */
			ASSERT_STREQ(jstr(e, "file.flags"), "O_RDONLY|O_LARGEFILE", call);
			ASSERT_EQ(jint(e, "process.pid"), getpid(), call);
		}
	}
	/* 8: another name for the same inode is caught by the kernel's inode match. */
	e = find_file(ev, n, "open", hard, &count);
	if (ASSERT_NOT_NULL(e, "the hard link open is reported"))
		ASSERT_TRUE(same_object(e, &fx.st), "hard link: same inode and dev as the secret");
	events_free(ev, n);
	vigil_cleanup(&v);
out_fixture:
	teardown(&fx);
}

TEST(watched_directory_and_names_the_kernel_resolved)
{
	char path[2 * PATH_MAX], longdir[PATH_MAX], name[300];
	struct json_object **ev, *e;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, count;
	struct stat st;
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	/* A component of 255 bytes, a newline and a non-UTF-8 byte in names. */
	memset(name, 'L', 255);
	name[255] = '\0';
	snprintf(longdir, sizeof(longdir), "%s/%s", fx.dir, name);
	if (!ASSERT_OK(mkdir(longdir, 0700), "mkdir long"))
		goto out;
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "open,chmod", "--path",
						       fx.dir, NULL }))
		goto out;
	snprintf(path, sizeof(path), "%s/odd\nname\xff", longdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	ASSERT_GE(fd, 0, "create the odd file");
	/* Renamed after open: a later call through the fd names the file as it is now. */
	snprintf(path, sizeof(path), "%s/renamed", fx.dir);
	{
		char old[2 * PATH_MAX];

		snprintf(old, sizeof(old), "%s/odd\nname\xff", longdir);
		ASSERT_OK(rename(old, path), "rename after open");
	}
	ASSERT_OK(fchmod(fd, 0600), "fchmod through the fd");
	fstat(fd, &st);
	close(fd);
	/* Outside the watched directory: nothing. */
	read_close(open("/etc/hostname", O_RDONLY));
	ev = vigil_stop_and_load(&v, &n);

	/* the byte that is not UTF-8 reads as the text \xff */
	snprintf(path, sizeof(path), "%s/odd\nname\\xff", longdir);
	e = find_file(ev, n, "open", path, &count);
	if (ASSERT_NOT_NULL(e, "create of the oddly named file under a 255-byte component")) {
		ASSERT_STREQ(jstr(e, "file.flags"), "O_WRONLY|O_CREAT|O_TRUNC", "flags");
		ASSERT_STREQ(jstr(e, "file.mode"), "0640", "create mode");
		ASSERT_STREQ(jstr(e, "file.access"), "write", "access");
	}
	snprintf(path, sizeof(path), "%s/renamed", fx.dir);
	e = find_file(ev, n, "chmod", path, &count);
	if (ASSERT_NOT_NULL(e, "fchmod names the file by its name now")) {
		ASSERT_TRUE(same_object(e, &st), "same inode");
		ASSERT_STREQ(jstr(e, "file.mode"), "0600", "mode");
		ASSERT_EQ(jint(e, "result"), 0, "result");
	}
	ASSERT_TRUE(find_file(ev, n, "open", "/etc/hostname", &count) == NULL,
		    "nothing outside the watched directory");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

/*
 * Beside rules, the kernel also sends opens for the rules' watches: --path shows only its own,
 * with the names the kernel reached its objects by: a hard link to a watched file, a bind
 * mount of a watched directory.
 */
TEST(path_filter_beside_rules_shows_its_own_opens_only)
{
	char elsewhere[64], policy[64] = "", plain[128], hard[128], mnt[128], via_mnt[160];
	char sub[96], inner[128], under[72];
	struct json_object **ev, *e;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, count;
	bool mounted = false;
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	snprintf(elsewhere, sizeof(elsewhere), "/tmp/vigil-elsewhere-%d", getpid());
	snprintf(plain, sizeof(plain), "%s/plain", elsewhere);
	snprintf(hard, sizeof(hard), "%s/hard", elsewhere);
	snprintf(mnt, sizeof(mnt), "%s/mnt", elsewhere);
	snprintf(via_mnt, sizeof(via_mnt), "%s/inner", mnt);
	snprintf(sub, sizeof(sub), "%s/sub", fx.dir);
	snprintf(inner, sizeof(inner), "%s/inner", sub);
	mkdir(elsewhere, 0700);
	mkdir(mnt, 0700);
	mkdir(sub, 0700);
	fd = open(plain, O_WRONLY | O_CREAT, 0600);
	close(fd);
	fd = open(inner, O_WRONLY | O_CREAT, 0600);
	close(fd);
	if (!ASSERT_TRUE(fd >= 0, "create files") || !ASSERT_OK(link(fx.secret, hard), "link") ||
	    !ASSERT_OK(mount(sub, mnt, NULL, MS_BIND, NULL), "bind mount"))
		goto out;
	mounted = true;
	/* a rule that makes the kernel send every open under elsewhere, and matches none */
	snprintf(under, sizeof(under), "%s/", elsewhere);
	if (!run_with_rule(&v, policy, "never", under, "process.comm: [no-such-comm]",
			   (const char *[]){ "--events", "open", "--path", fx.secret, "--path", sub,
					     NULL }))
		goto out;
	read_close(open(plain, O_RDONLY));
	read_close(open(hard, O_RDONLY));
	read_close(open(via_mnt, O_RDONLY));
	read_close(open(fx.secret, O_RDONLY));
	read_close(open(inner, O_RDONLY));
	ev = vigil_stop_and_load(&v, &n);

	ASSERT_NOT_NULL(find_file(ev, n, "open", fx.secret, &count), "the watched file");
	ASSERT_TRUE(find_file(ev, n, "open", plain, &count) == NULL,
		    "an open sent for the rule, outside --path, is not shown");
	e = find_file(ev, n, "open", hard, &count);
	if (ASSERT_NOT_NULL(e, "a hard link outside --path is shown"))
		ASSERT_TRUE(same_object(e, &fx.st), "hard link: the secret's inode");
	e = find_file(ev, n, "open", via_mnt, &count);
	ASSERT_NOT_NULL(e, "a bind mount of a --path directory is shown");
	ASSERT_NOT_NULL(find_file(ev, n, "open", inner, &count), "the file in that directory");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (policy[0])
		unlink(policy);
	if (mounted && umount2(mnt, MNT_DETACH))
		harness_check(false, __FILE__, __LINE__, "umount %s", mnt);
	teardown(&fx);
}

/*
 * An open deeper than the kernel resolves (130 levels below --path) is shown, its path the tail
 * after the mark, with path_truncated: its lost head may be the watched directory.
 */
TEST(an_open_deeper_than_the_kernel_resolves_is_shown_under_its_path)
{
	struct json_object **ev, *e = NULL;
	struct vigil_child v;
	struct fixture fx;
	int dir, next;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	dir = open(fx.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 130 && dir >= 0; i++) {
		next = mkdirat(dir, "a", 0700) ? -1 : openat(dir, "a", O_RDONLY | O_DIRECTORY);
		close(dir);
		dir = next;
	}
	if (!ASSERT_TRUE(dir >= 0, "130 levels of directories") ||
	    !vigil_start_checked(
		    &v, (const char *[]){ "trace", "--events", "open", "--path", fx.dir, NULL }))
		goto out;
	read_close(openat(dir, "deep-file", O_RDWR | O_CREAT, 0600));
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n && !e; i++) {
		const char *p = jstr(ev[i], "file.path");

		if (p && jint(ev[i], "process.pid") == getpid() && strstr(p, "/a/a/deep-file"))
			e = ev[i];
	}
	if (ASSERT_NOT_NULL(e, "the deep open is shown")) {
		ASSERT_TRUE(!strncmp(jstr(e, "file.path"), ".../a/a/", 8),
			    "its path is the tail after the mark ...");
		ASSERT_TRUE(json_object_get_boolean(jget(e, "file.path_truncated")),
			    "path_truncated");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (dir >= 0)
		close(dir);
	teardown(&fx);
}

/*
 * `vigil @args` started, `cat @file` run and waited for, vigil stopped: its events in *@ev (*@n
 * of them) and cat's pid; false when vigil did not start.
 */
static bool cat_under_vigil(struct vigil_child *v, const char *const *args, const char *file,
			    struct json_object ***ev, size_t *n, pid_t *pid)
{
	if (!vigil_start_checked(v, args))
		return false;
	*pid = fork();
	if (*pid == 0) {
		execl("/bin/cat", "cat", file, (char *)NULL);
		_exit(127);
	}
	waitpid(*pid, NULL, 0);
	*ev = vigil_stop_and_load(v, n);
	return true;
}

/* run --path PATH writes file events under PATH, not every fork, exec and exit. */
TEST(path_alone_shows_file_events_only)
{
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, count;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	if (!cat_under_vigil(&v, (const char *[]){ "run", "--path", fx.dir, NULL }, fx.secret, &ev,
			     &n, &pid))
		goto out;
	ASSERT_NOT_NULL(find_file(ev, n, "open", fx.secret, &count), "cat's open of the file");
	ASSERT_TRUE(find_event(ev, n, "fork", pid) == NULL, "no fork");
	ASSERT_TRUE(find_event(ev, n, "exec", pid) == NULL, "no exec");
	ASSERT_TRUE(find_event(ev, n, "exit", pid) == NULL, "no exit");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

/* `run -e open` shows every open, as its help says, not only those the rules watch. */
TEST(run_with_events_open_shows_every_open)
{
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, count;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	if (!cat_under_vigil(
		    &v, (const char *[]){ "run", "--no-default-rules", "--events", "open", NULL },
		    fx.secret, &ev, &n, &pid))
		goto out;
	ASSERT_NOT_NULL(find_file(ev, n, "open", fx.secret, &count),
			"cat's open of a file no rule watches");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

/* The kernel watches inodes: a watched file replaced by rename (an editor's save) is followed. */
TEST(a_watched_file_replaced_by_rename_is_followed)
{
	char tmp[160];
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	struct stat now;
	size_t n = 0, count = 0;
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--aggregate", "0", "--events",
						       "open", "--path", fx.secret, NULL }))
		goto out;
	read_close(open(fx.secret, O_RDONLY));
	snprintf(tmp, sizeof(tmp), "%s.new", fx.secret);
	fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ASSERT_OK(rename(tmp, fx.secret), "replace the file by rename");
	ASSERT_OK(stat(fx.secret, &now), "stat the new file");
	ASSERT_TRUE(now.st_ino != fx.st.st_ino, "a new inode");
	usleep((WATCH_REFRESH_S * 1000 + 500) * 1000); /* vigil re-resolves its paths */
	read_close(open(fx.secret, O_RDONLY));
	ev = vigil_stop_and_load(&v, &n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(jstr(ev[i], "type"), "open") &&
		    jint(ev[i], "process.pid") == getpid() &&
		    !strcmp(jstr(ev[i], "file.path"), fx.secret))
			count += same_object(ev[i], count ? &now : &fx.st);
	ASSERT_EQ(count, 2, "the open before and the open after the replacement, each its inode");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

/*
 * A rule on creating opens (file.flags: O_CREAT) has the kernel send those alone: reads of the
 * files it watches cost no event.
 */
TEST(a_rule_on_creating_opens_is_sent_no_other_open)
{
	enum { READS = 5000 };
	char policy[64] = "", hidden[128], dots[96];
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0;
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	snprintf(dots, sizeof(dots), "%s/.*", fx.dir);
	if (!run_with_rule(&v, policy, "hidden-created", dots, "file.flags: O_CREAT", NULL))
		goto out;
	for (int i = 0; i < READS; i++)
		close(open(fx.secret, i % 2 ? O_RDONLY : O_WRONLY));
	snprintf(hidden, sizeof(hidden), "%s/.implant", fx.dir);
	fd = open(hidden, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ev = vigil_stop_and_load(&v, &n);

	check_alert_only(&v, ev, n, "hidden-created", hidden, READS,
			 "opens that do not create are not sent");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (policy[0])
		unlink(policy);
	teardown(&fx);
}

/*
 * A watched file that does not exist yet is watched through its nearest directory and the
 * name on its way: the other files there send nothing, and the file is seen once it exists.
 */
TEST(a_missing_watched_file_costs_its_neighbours_nothing)
{
	enum { READS = 5000 };
	char policy[64] = "", dir[128], absent[160];
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0;
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	snprintf(dir, sizeof(dir), "%s/not-yet", fx.dir);
	snprintf(absent, sizeof(absent), "%s/key", dir);
	if (!run_with_rule(&v, policy, "key-read", absent, "file.access: read", NULL))
		goto out;
	for (int i = 0; i < READS; i++)
		close(open(fx.secret, O_RDONLY)); /* a neighbour in the nearest directory */
	ASSERT_OK(mkdir(dir, 0700), "mkdir");
	fd = open(absent, O_WRONLY | O_CREAT, 0600);
	close(fd);
	read_close(open(absent, O_RDONLY)); /* at once: no re-resolution yet */
	ev = vigil_stop_and_load(&v, &n);

	check_alert_only(&v, ev, n, "key-read", absent, READS,
			 "the neighbour's reads are not sent");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (policy[0])
		unlink(policy);
	teardown(&fx);
}

/*
 * A glob is watched through the directories its wildcards match, not its literal directory
 * for everything beneath: the other files there send nothing. A directory made after the
 * start is watched from the next re-resolution of the list.
 */
TEST(a_glob_is_watched_through_the_directories_it_matches)
{
	enum { READS = 5000 };
	char policy[64] = "", glob[96], a[128], b[128], late[128];
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0;
	char path[160];
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	snprintf(glob, sizeof(glob), "%s/*/.token", fx.dir);
	snprintf(a, sizeof(a), "%s/a/.token", fx.dir);
	snprintf(b, sizeof(b), "%s/b", fx.dir);
	snprintf(late, sizeof(late), "%s/late/.token", fx.dir);
	snprintf(path, sizeof(path), "%s/a", fx.dir);
	if (!ASSERT_OK(mkdir(path, 0700), "mkdir a") || !ASSERT_OK(mkdir(b, 0700), "mkdir b"))
		goto out;
	fd = open(a, O_WRONLY | O_CREAT, 0600);
	close(fd);
	if (!run_with_rule(&v, policy, "token-read", glob, "file.access: read", NULL))
		goto out;
	snprintf(path, sizeof(path), "%s/b/other", fx.dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	for (int i = 0; i < READS; i++)
		close(open(path, O_RDONLY)); /* under the glob's literal directory, not matching */
	read_close(open(a, O_RDONLY));
	snprintf(path, sizeof(path), "%s/late", fx.dir);
	ASSERT_OK(mkdir(path, 0700), "mkdir late");
	fd = open(late, O_WRONLY | O_CREAT, 0600);
	close(fd);
	usleep((WATCH_REFRESH_S * 1000 + 1500) * 1000); /* vigil lists the directories again */
	read_close(open(late, O_RDONLY));
	ev = vigil_stop_and_load(&v, &n);

	check_alert_only(&v, ev, n, "token-read", a, READS, "the other files' reads are not sent");
	check_alert_only(&v, ev, n, "token-read", late, READS, "a directory made since");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (policy[0])
		unlink(policy);
	teardown(&fx);
}

/* More glob paths than the kernel's maps hold: every glob through its directory, said once. */
TEST(globs_overflowing_the_watch_maps_fall_back_to_their_directories)
{
	enum { DIRS = 120, GLOBS = 40 }; /* 4,800 missing names: file_watch_missing holds 4,096 */
	char policy[64] = "", globs[GLOBS * 96], path[160], target[160];
	const char *p;
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, len = 0;
	int fd, warnings = 0, alerts = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	for (int d = 0; d < DIRS; d++) {
		snprintf(path, sizeof(path), "%s/d%03d", fx.dir, d);
		if (!ASSERT_OK(mkdir(path, 0700), path))
			goto out;
	}
	/* one rule, its file.path a list: the helper writes ["%s"] */
	for (int g = 0; g < GLOBS; g++)
		len += snprintf(globs + len, sizeof(globs) - len, "%s%s/*/m%d", g ? "\", \"" : "",
				fx.dir, g);
	if (!run_with_rule(&v, policy, "many-globs", globs, "file.access: read", NULL))
		goto out;
	snprintf(target, sizeof(target), "%s/d%03d/m%d", fx.dir, DIRS - 1, GLOBS - 1);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	close(fd);
	read_close(open(target, O_RDONLY));
	usleep((WATCH_REFRESH_S * 1000 + 500) * 1000); /* one more resolution of the list */
	ev = vigil_stop_and_load(&v, &n);

	for (size_t i = 0; i < n; i++)
		alerts += jstr(ev[i], "rule.id") && !strcmp(jstr(ev[i], "rule.id"), "many-globs") &&
			  !strcmp(jstr(ev[i], "file.path"), target);
	ASSERT_EQ(alerts, 1, "the read matched its glob");
	for (p = v.err; (p = strstr(p, "do not fit the kernel's watch maps")); p++)
		warnings++;
	ASSERT_EQ(warnings, 1, "said once, at the first resolution");
	ASSERT_TRUE(!strstr(v.err, "the watch list is full"), "the fallback fits");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (policy[0])
		unlink(policy);
	teardown(&fx);
}

/* A path that cannot be watched is said once, not at every re-resolution of the list. */
TEST(an_unwatchable_path_is_warned_of_once)
{
	char loop[128];
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0;
	int warnings = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	snprintf(loop, sizeof(loop), "%s/loop", fx.dir);
	if (!ASSERT_OK(symlink(loop, loop), "a symlink to itself") ||
	    !vigil_start_checked(&v, (const char *[]){ "trace", "--events", "open", "--path", loop,
						       "--path", fx.secret, NULL }))
		goto out;
	usleep((2 * WATCH_REFRESH_S * 1000 + 500) * 1000);
	ev = vigil_stop_and_load(&v, &n);
	for (const char *p = v.err; (p = strstr(p, "cannot watch")); p++)
		warnings++;
	ASSERT_EQ(warnings, 1, "one warning over three resolutions of the list");
	ASSERT_TRUE(strstr(v.err, "symbolic links") != NULL, "it says why");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

TEST(refused_open_and_access_filter)
{
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, count;
	pid_t pid;
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	chmod(fx.dir, 0755);
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "open", "--path",
						       fx.dir, "--access", "write", NULL }))
		goto out;
	read_close(open(fx.secret, O_RDONLY)); /* a read: not wanted */
	fd = open(fx.secret, O_WRONLY | O_APPEND);
	close(fd);
	pid = fork();
	if (pid == 0) {
		/* nobody may not write the 0600 secret: refused with EACCES */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(open(fx.secret, O_WRONLY) < 0 && errno == EACCES ? 0 : 1);
	}
	waitpid(pid, &fd, 0);
	ASSERT_EQ(WEXITSTATUS(fd), 0, "nobody was refused");
	ev = vigil_stop_and_load(&v, &n);

	find_file(ev, n, "open", fx.secret, &count);
	ASSERT_EQ(count, 2, "the write and the refused write, not the read");
	for (size_t i = 0; i < n; i++) {
		if (jint(ev[i], "process.uid") != 65534 || strcmp(jstr(ev[i], "type"), "open"))
			continue;
		ASSERT_EQ(jint(ev[i], "result"), -EACCES, "refused open's result");
		ASSERT_STREQ(jstr(ev[i], "file.path"), fx.secret, "refused open's path");
		ASSERT_TRUE(json_object_get_boolean(jget(ev[i], "file.path_from_name")),
			    "flagged as built from the name");
		ASSERT_STREQ(jstr(ev[i], "file.access"), "write", "access asked for");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

/* Run the file-changing calls in a child, relative to its cwd where that is the harder case. */
static void change_files(const char *dir)
{
	char a[PATH_MAX], b[PATH_MAX], m[PATH_MAX];
	const struct timespec y2000[2] = { { .tv_sec = 946684800 }, { .tv_sec = 946684800 } };
	const struct utimbuf y2001 = { .actime = 978307200, .modtime = 978307200 };
	int fd;

	if (chdir(dir))
		_exit(10);
	fd = open("a", O_WRONLY | O_CREAT, 0644);
	/*
	 * Times set through the fd (futimens), by name (the old utime call: glibc's utime() is
	 * utimensat), and to now.
	 */
	if (fd < 0 || futimens(fd, y2000) || syscall(SYS_utime, "a", &y2001) ||
	    utimensat(AT_FDCWD, "a", NULL, 0))
		_exit(13);
	close(fd);
	if (chmod("a", 04755) || chown("a", 1234, 5678) || truncate("a", 42) ||
	    setxattr("a", "trusted.vigil", "x", 1, 0) || link("a", "hard") ||
	    symlink("a", "soft") || rename("a", "b") || unlink("hard") || mkdir("d", 0750) ||
	    rmdir("d"))
		_exit(11);
	/* mount and umount in a mount namespace of our own */
	snprintf(m, sizeof(m), "%s/mnt", dir);
	if (mkdir(m, 0700) || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("vigil-test", "mnt", "tmpfs", MS_NOSUID, "size=1m") || umount2("mnt", 0))
		_exit(12);
	(void)a;
	(void)b;
	_exit(0);
}

TEST(changes_to_files)
{
	char p[PATH_MAX];
	struct json_object **ev, *e;
	struct vigil_child v;
	struct fixture fx;
	size_t n = 0, count;
	int status;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--path", fx.dir, NULL }))
		goto out;
	pid = fork();
	if (pid == 0)
		change_files(fx.dir);
	waitpid(pid, &status, 0);
	ASSERT_EQ(WEXITSTATUS(status), 0, "the child made every change");
	ev = vigil_stop_and_load(&v, &n);

#define PATH_OF(name) (snprintf(p, sizeof(p), "%s/%s", fx.dir, name), p)
	e = find_file(ev, n, "chmod", PATH_OF("a"), &count);
	if (ASSERT_NOT_NULL(e, "chmod"))
		ASSERT_STREQ(jstr(e, "file.mode"), "4755", "setuid bit visible");
	e = find_file(ev, n, "chown", PATH_OF("a"), &count);
	if (ASSERT_NOT_NULL(e, "chown")) {
		ASSERT_EQ(jint(e, "file.uid"), 1234, "uid");
		ASSERT_EQ(jint(e, "file.gid"), 5678, "gid");
	}
	e = find_file(ev, n, "truncate", PATH_OF("a"), &count);
	if (ASSERT_NOT_NULL(e, "truncate"))
		ASSERT_EQ(jint(e, "file.size"), 42, "size");
	e = find_file(ev, n, "setxattr", PATH_OF("a"), &count);
	if (ASSERT_NOT_NULL(e, "setxattr"))
		ASSERT_STREQ(jstr(e, "file.xattr"), "trusted.vigil", "xattr name");
	e = find_file(ev, n, "link", PATH_OF("hard"), &count);
	if (ASSERT_NOT_NULL(e, "link"))
		ASSERT_STREQ(jstr(e, "file.target"), PATH_OF("a"), "link target");
	e = find_file(ev, n, "symlink", PATH_OF("soft"), &count);
	if (ASSERT_NOT_NULL(e, "symlink"))
		ASSERT_STREQ(jstr(e, "file.target"), "a", "symlink content as written");
	e = find_file(ev, n, "rename", PATH_OF("a"), &count);
	if (ASSERT_NOT_NULL(e, "rename"))
		ASSERT_STREQ(jstr(e, "file.target"), PATH_OF("b"), "rename target");
	ASSERT_NOT_NULL(find_file(ev, n, "unlink", PATH_OF("hard"), &count), "unlink");
	e = find_file(ev, n, "mkdir", PATH_OF("d"), &count);
	if (ASSERT_NOT_NULL(e, "mkdir"))
		ASSERT_STREQ(jstr(e, "file.mode"), "0750", "mkdir mode");
	ASSERT_NOT_NULL(find_file(ev, n, "rmdir", PATH_OF("d"), &count), "rmdir");
	e = find_file(ev, n, "mount", PATH_OF("mnt"), &count);
	if (ASSERT_NOT_NULL(e, "mount"))
		ASSERT_STREQ(jstr(e, "file.source"), "vigil-test", "mount source");
	ASSERT_NOT_NULL(find_file(ev, n, "umount", PATH_OF("mnt"), &count), "umount");
	find_file(ev, n, "utimes", PATH_OF("a"), &count);
	ASSERT_EQ(count, 3, "utimes: futimens, utime and utimensat");
	for (size_t i = 0, seen = 0; i < n; i++) {
		static const char *const want[][2] = { { "utimensat", "2000-01-01T00:00:00Z" },
						       { "utime", "2001-01-01T00:00:00Z" },
						       { "utimensat", "now" } };

		if (strcmp(jstr(ev[i], "type"), "utimes") || seen >= 3)
			continue;
		ASSERT_STREQ(jstr(ev[i], "syscall"), want[seen][0], "utimes: the call");
		ASSERT_STREQ(jstr(ev[i], "file.mtime"), want[seen][1], "utimes: the time set");
		ASSERT_STREQ(jstr(ev[i], "file.path"), PATH_OF("a"),
			     "utimes: the file, also by fd");
		seen++;
	}
	for (size_t i = 0; i < n; i++)
		if (jstr(ev[i], "file.path") && strcmp(jstr(ev[i], "type"), "open"))
			ASSERT_EQ(jint(ev[i], "result"), 0, "every change succeeded");
#undef PATH_OF
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

TEST(unselected_types_are_not_attached)
{
	struct vigil_child v;
	char out[65536];

	if (SKIP_UNLESS_ROOT())
		return;
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "unlink", NULL }))
		return;
	bpf_progs_of(v.pid, out, sizeof(out));
	ASSERT_TRUE(strstr(out, " exit_unlinkat ") != NULL, "unlinkat is attached");
	ASSERT_TRUE(strstr(out, " exit_openat ") == NULL, "openat is not loaded");
	ASSERT_TRUE(strstr(out, " exit_chmod ") == NULL, "chmod is not loaded");
	vigil_stop(&v);
	vigil_cleanup(&v);
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "exec", NULL }))
		return;
	ASSERT_TRUE(strstr(v.err, "watching process events") != NULL,
		    "only the process sensor for exec");
	vigil_stop(&v);
	vigil_cleanup(&v);
}

TEST(repeated_opens_are_folded_and_all_counted)
{
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	long long accounted = 0, lines = 0, summaries = 0;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "open", "--path",
						       fx.secret, "--aggregate", "0.5", NULL }))
		goto out;
	/* a burst, a quiet window, a second burst; vigil's stop reports what is still folded */
	for (int i = 0; i < 1000; i++)
		close(open(fx.secret, O_RDONLY));
	usleep(1600 * 1000);
	for (int i = 0; i < 10; i++)
		close(open(fx.secret, O_RDONLY));
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		bool summary = json_object_get_boolean(jget(ev[i], "file.summary"));
		long long repeats = jint(ev[i], "file.repeats");

		if (jint(ev[i], "process.pid") != getpid())
			continue;
		lines++;
		summaries += summary;
		accounted += (summary ? 0 : 1) + (repeats > 0 ? repeats : 0);
	}
	ASSERT_EQ(accounted, 1010, "every open is counted once: reported, or folded");
	/* a report per window on each CPU the loop ran on, and a summary for each */
	ASSERT_TRUE(lines >= 2 && lines <= 4 * sysconf(_SC_NPROCESSORS_ONLN) + 2,
		    "a few lines, not a thousand");
	ASSERT_GE(summaries, 1, "a quiet window's folded opens are reported");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

/*
 * A process that opens a file and then execs a program that opens it again: the new image's
 * open is its own event, not a repeat folded into the old image's (which a summary would then
 * attribute to the program that is gone).
 */
TEST(an_exec_ends_the_folding_of_the_image_before)
{
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	char cmd[512];
	size_t n = 0;
	int sh_opens = 0, cat_opens = 0, folded = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	if (!vigil_start_checked(
		    &v, (const char *[]){ "trace", "--events", "open", "--path", fx.secret, NULL }))
		goto out;
	/* the same pid, flags O_RDONLY both times: dash's redirection, then cat */
	snprintf(cmd, sizeof(cmd), "sh -c 'read x < %s; exec cat %s >/dev/null'", fx.secret,
		 fx.secret);
	ASSERT_EQ(sh(cmd), 0, "sh then cat");
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *comm = jstr(ev[i], "process.comm");

		if (strcmp(jstr(ev[i], "type") ?: "", "open") || !comm)
			continue;
		sh_opens += !strcmp(comm, "sh");
		cat_opens += !strcmp(comm, "cat");
		folded += jint(ev[i], "file.repeats") > 0 ||
			  json_object_get_boolean(jget(ev[i], "file.summary"));
	}
	ASSERT_EQ(sh_opens, 1, "the shell's open, as the shell's");
	ASSERT_EQ(cat_opens, 1, "cat's open, as cat's");
	ASSERT_EQ(folded, 0, "nothing folded across the exec");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

/* Run on the @nth online CPU (modulo their number): the kernel folds opens per CPU. */
static void run_on_cpu(int nth)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(nth % (ncpu > 0 ? ncpu : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * As many files as the kernel has fold slots on a CPU, opened again and again by a process that
 * moves between CPUs (each file on the same one every round): slots are taken over (thousands
 * of times: hashes collide) and windows start on each CPU, and still the opens in the stream
 * (lines plus repeats) are exactly the opens made. Sized to stay light in the TCG VM.
 */
TEST(opens_of_many_files_across_cpus_are_all_counted)
{
	enum { FILES = VIGIL_OPEN_AGG_SLOTS, ROUNDS = 2 };
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	long long accounted = 0, lines = 0;
	char path[192], prefix[80];
	cpu_set_t saved;
	int fd;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%d", fx.dir, i);
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		if (!ASSERT_TRUE(fd >= 0, "create a file"))
			goto out;
		close(fd);
	}
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "open", "--path",
						       fx.dir, "--aggregate", "30", NULL }))
		goto out;
	sched_getaffinity(0, sizeof(saved), &saved);
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < FILES; i++) {
			if (i % 500 == 0)
				run_on_cpu(i / 500);
			snprintf(path, sizeof(path), "%s/f%d", fx.dir, i);
			close(open(path, O_RDONLY));
			close(open(path, O_RDONLY)); /* folded, until another file takes the slot */
		}
	sched_setaffinity(0, sizeof(saved), &saved);
	ev = vigil_stop_and_load(&v, &n);
	snprintf(prefix, sizeof(prefix), "%s/f", fx.dir);
	for (size_t i = 0; i < n; i++) {
		const char *p = jstr(ev[i], "file.path");
		long long repeats = jint(ev[i], "file.repeats");

		if (jint(ev[i], "process.pid") != getpid() || !p ||
		    strncmp(p, prefix, strlen(prefix)))
			continue;
		lines++;
		accounted += (json_object_get_boolean(jget(ev[i], "file.summary")) ? 0 : 1) +
			     (repeats > 0 ? repeats : 0);
	}
	ASSERT_EQ(accounted, (long long)FILES * ROUNDS * 2, "every open is counted once");
	ASSERT_TRUE(lines < (long long)FILES * ROUNDS * 2, "repeats were folded");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}
