// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous denial with BPF LSM (bpf/lsm.bpf.c): enforced deny rules on exec and file events
 * make the syscall fail with EPERM before anything happens, whatever name reaches the object,
 * and the refusal is reported with the rule and "action": "denied". Runs where BPF LSM works
 * (the VM suite, Debian's 6.1 kernel booted with lsm=...,bpf); on a kernel without it the
 * tests skip, and the fallback that this host gets is checked instead.
 */
#include "harness.h"
#include "testlib.h"
#include "uring.h"
#include "core/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char policy[128];
	struct vigil_child v;
	bool running;
};

static bool lsm_or_skip(void)
{
	if (SKIP_UNLESS_ROOT())
		return false;
	if (!probe_has(FEAT_BPF_LSM)) {
		SKIP("no BPF LSM on this kernel (the VM suite runs these)");
		return false;
	}
	return true;
}

/* The policy: what the tests deny, in @mode; paths below f->dir. */
static bool write_policy(struct fixture *f, const char *mode, const char *description)
{
	FILE *out = fopen(f->policy, "w");

	if (!out)
		return false;
	fprintf(out,
		"policy: lsm-test\nmode: %s\nrules:\n"
		"  - id: no-denied-binary\n    description: %s\n    severity: high\n"
		"    on: exec\n    action: deny\n    match:\n      process.exe: %s/bin/denied\n"
		"  - id: no-secret\n    description: the secret is not read\n    severity: high\n"
		"    on: open\n    action: deny\n    match:\n      file.path: %s/secret\n"
		"      file.access: read\n"
		"  - id: prot-no-write\n    description: nothing beneath prot is written\n"
		"    severity: high\n    on: open\n    action: deny\n    match:\n"
		"      file.path: %s/prot/\n      file.access: write\n"
		"  - id: prot-no-change\n    description: nothing beneath prot changes\n"
		"    severity: high\n"
		"    on: [unlink, rename, chmod, chown, mkdir, rmdir, symlink, link, truncate]\n"
		"    action: deny\n    match:\n      file.path: %s/prot/\n",
		mode, description, f->dir, f->dir, f->dir, f->dir);
	return !fclose(out);
}

/*
 * The test files, and an agent with the policy. In the policy directory when @applied: `vigil
 * policy apply` then replaces it.
 */
static bool setup_with(struct fixture *f, const char *mode, bool applied)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/vigil-lsm-XXXXXX");
	if (!mkdtemp(f->dir))
		return false;
	snprintf(f->policy, sizeof(f->policy), "%s/policy.yaml", f->dir);
	if (applied) {
		snprintf(f->policy, sizeof(f->policy), "%s/lsm-test.yaml", vigil_policy_dir());
		if (!ASSERT_OK(mkdir(vigil_policy_dir(), 0700) && errno != EEXIST ? -errno : 0,
			       "the policy directory"))
			return false;
	}
	if (!ASSERT_OK(shf("cd %s && mkdir bin prot free && cp /bin/true bin/denied && "
			   "cp /bin/true bin/allowed && echo s3cret > secret && echo ok > other && "
			   "echo keep > prot/f && echo free > free/f && mkdir prot/d free/d",
			   f->dir),
		       "test files") ||
	    !write_policy(f, mode, "the denied binary does not run"))
		return false;
	f->running = vigil_start_checked(&f->v, (const char *[]){ "run", "--no-default-rules",
								  "--policy", f->policy, NULL });
	if (f->running && probe_has(FEAT_BPF_LSM) &&
	    !ASSERT_TRUE(!strstr(f->v.err, "kill instead"),
			 "the agent runs its BPF LSM programs")) {
		printf("%s\n", f->v.err);
		return false;
	}
	return f->running;
}

static bool setup(struct fixture *f, const char *mode)
{
	return setup_with(f, mode, false);
}

/*
 * Opens and execs are refused where BPF LSM is missing too (fanotify, enforce/fanotify.h): the
 * tests of those alone run on every kernel.
 */
static bool root_or_skip(void)
{
	return !SKIP_UNLESS_ROOT();
}

static void teardown(struct fixture *f)
{
	if (f->running)
		vigil_cleanup(&f->v);
	if (f->dir[0])
		shf("rm -rf %s", f->dir);
}

/* errno of @ret == -1, or 0 when the call succeeded. */
static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

/* The events of @type that name @rule, and how many of them say @action. */
static size_t count_rule(struct json_object **ev, size_t n, const char *type, const char *rule,
			 const char *action)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type"), *id = jstr(ev[i], "rule.id"),
			   *a = jstr(ev[i], "action");

		count +=
			t && id && a && !strcmp(t, type) && !strcmp(id, rule) && !strcmp(a, action);
	}
	return count;
}

static struct json_object *find_denied(struct json_object **ev, size_t n, const char *type,
				       const char *path_field, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type"), *a = jstr(ev[i], "action"),
			   *p = jstr(ev[i], path_field);

		if (t && a && p && !strcmp(t, type) && !strcmp(a, "denied") && !strcmp(p, path))
			return ev[i];
	}
	return NULL;
}

TEST(exec_of_a_denied_binary_is_refused)
{
	struct json_object **ev, *e;
	struct fixture f;
	char path[128], alias[128];
	size_t n = 0;

	if (!root_or_skip() || !setup(&f, "enforce"))
		goto out;
	snprintf(path, sizeof(path), "%s/bin/denied", f.dir);
	ASSERT_EQ(exec_errno(path), EPERM, "execve of the denied binary");
	snprintf(alias, sizeof(alias), "%s/denied-hardlink", f.dir);
	ASSERT_OK(link(path, alias), "a hard link to it");
	ASSERT_EQ(exec_errno(alias), EPERM, "execve through a hard link (same inode)");
	snprintf(alias, sizeof(alias), "%s/denied-symlink", f.dir);
	ASSERT_OK(symlink(path, alias), "a symlink to it");
	ASSERT_EQ(exec_errno(alias), EPERM, "execve through a symlink");
	snprintf(path, sizeof(path), "%s/bin/allowed", f.dir);
	ASSERT_EQ(exec_errno(path), 0, "another copy of the same program runs (a different file)");
	ev = vigil_stop_and_load(&f.v, &n);
	snprintf(path, sizeof(path), "%s/bin/denied", f.dir);
	e = find_denied(ev, n, "exec", "process.exe", path);
	ASSERT_NOT_NULL(e, "the refused exec is reported with the file it tried to run");
	if (e)
		ASSERT_STREQ(jstr(e, "rule.id"), "no-denied-binary", "and its rule");
	ASSERT_EQ(count_rule(ev, n, "exec", "no-denied-binary", "denied"), 3,
		  "three refused execs (direct, hard link, symlink)");
	events_free(ev, n);
out:
	teardown(&f);
}

/*
 * The doors that pass no name: the errno of an open of @path by a file handle (0 when the file
 * system gives none) and of one through io_uring (0 when the kernel has none).
 */
static void nameless_opens(const char *path, const char *dir, int *by_handle, int *by_uring)
{
	struct {
		struct file_handle h;
		unsigned char bytes[MAX_HANDLE_SZ];
	} fh = { .h.handle_bytes = MAX_HANDLE_SZ };
	int mount_id, mfd, fd;
	struct ring r;

	*by_handle = *by_uring = 0;
	mfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd >= 0 && !name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0)) {
		fd = open_by_handle_at(mfd, &fh.h, O_RDONLY | O_CLOEXEC);
		*by_handle = fd < 0 ? errno : -1;
		if (fd >= 0)
			close(fd);
	}
	if (mfd >= 0)
		close(mfd);
	if (ring_setup(&r))
		return;
	fd = ring_run(&r, &(struct io_uring_sqe){ .opcode = IORING_OP_OPENAT,
						  .fd = AT_FDCWD,
						  .addr = (__u64)(unsigned long)path,
						  .open_flags = O_RDONLY });
	*by_uring = fd < 0 ? -fd : -1;
	if (fd >= 0)
		close(fd);
	ring_close(&r);
}

TEST(open_of_a_denied_file_is_refused_by_any_name)
{
	struct json_object **ev, *e;
	struct fixture f;
	char secret[128], name[256], *base;
	struct open_how how = { .flags = O_RDONLY };
	int dirfd, cwd, fd, by_handle, by_uring;
	size_t n = 0;

	if (!root_or_skip() || !setup(&f, "enforce"))
		goto out;
	snprintf(secret, sizeof(secret), "%s/secret", f.dir);
	base = strrchr(f.dir, '/') + 1;
	ASSERT_EQ(err_of(open(secret, O_RDONLY)), EPERM, "open by its absolute path");
	snprintf(name, sizeof(name), "%s/../%s/./secret", f.dir, base);
	ASSERT_EQ(err_of(open(name, O_RDONLY)), EPERM, "open through .. and .");
	dirfd = open(f.dir, O_RDONLY | O_DIRECTORY);
	cwd = open(".", O_RDONLY | O_DIRECTORY);
	ASSERT_EQ(err_of(openat(dirfd, "secret", O_RDONLY)), EPERM, "openat relative to a dirfd");
	ASSERT_EQ(err_of(syscall(SYS_openat2, dirfd, "secret", &how, sizeof(how))), EPERM,
		  "openat2");
	ASSERT_OK(fchdir(dirfd), "cd into the directory");
	ASSERT_EQ(err_of(open("secret", O_RDONLY)), EPERM, "open by a relative name");
	/* back where vigil_bin() is found (./vigil) */
	ASSERT_OK(fchdir(cwd), "cd back");
	close(cwd);
	close(dirfd);
	snprintf(name, sizeof(name), "%s/symlink", f.dir);
	ASSERT_OK(symlink(secret, name), "a symlink to it");
	ASSERT_EQ(err_of(open(name, O_RDONLY)), EPERM, "open through the symlink");
	snprintf(name, sizeof(name), "%s/hardlink", f.dir);
	ASSERT_OK(link(secret, name), "a hard link to it");
	ASSERT_EQ(err_of(open(name, O_RDONLY)), EPERM, "open through the hard link");
	nameless_opens(secret, f.dir, &by_handle, &by_uring);
	if (by_handle)
		ASSERT_EQ(by_handle, EPERM, "open_by_handle_at");
	else
		printf("  (no file handles on this file system: open_by_handle_at not tried)\n");
	if (by_uring)
		ASSERT_EQ(by_uring, EPERM, "io_uring IORING_OP_OPENAT");
	else
		printf("  (no io_uring here: its open not tried)\n");
	snprintf(name, sizeof(name), "%s/renamed", f.dir);
	ASSERT_OK(rename(secret, name),
		  "the secret renamed (renames are not what the rule denies)");
	ASSERT_EQ(err_of(open(name, O_RDONLY)), EPERM, "open under its new name (same inode)");
	ASSERT_OK(rename(name, secret), "and renamed back");
	fd = open(secret, O_WRONLY | O_APPEND);
	ASSERT_TRUE(fd >= 0, "writing is not what the rule denies");
	if (fd >= 0)
		close(fd);
	snprintf(name, sizeof(name), "%s/other", f.dir);
	fd = open(name, O_RDONLY);
	ASSERT_TRUE(fd >= 0, "another file in the same directory opens");
	if (fd >= 0)
		close(fd);
	ev = vigil_stop_and_load(&f.v, &n);
	ASSERT_EQ(count_rule(ev, n, "open", "no-secret", "denied"),
		  8 + (by_handle != 0) + (by_uring != 0),
		  "every refused open reported once with its rule");
	e = find_denied(ev, n, "open", "file.path", secret);
	ASSERT_NOT_NULL(e, "reported with the path the kernel resolved");
	if (e) {
		ASSERT_EQ(jint(e, "result"), -EPERM, "and the syscall's result");
		ASSERT_STREQ(jstr(e, "file.access"), "read", "and the access");
	}
	events_free(ev, n);
out:
	teardown(&f);
}

/* Every change beneath prot/ is refused and leaves no trace; the same in free/ works. */
static void change_everything(const char *dir, const char *sub, int want, const char *what)
{
	char f[160], g[160], d[160], msg[128];
	struct stat st;
	int fd;

#define CHECK(expr, op)                                                                            \
	do {                                                                                       \
		snprintf(msg, sizeof(msg), "%s: %s", what, op);                                    \
		ASSERT_EQ(err_of(expr), want, msg);                                                \
	} while (0)
	snprintf(f, sizeof(f), "%s/%s/f", dir, sub);
	snprintf(g, sizeof(g), "%s/%s/new", dir, sub);
	snprintf(d, sizeof(d), "%s/%s/d", dir, sub);
	fd = open(f, O_WRONLY | O_APPEND);
	CHECK(fd, "open for writing");
	if (fd >= 0)
		close(fd);
	fd = open(g, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd, "create a file");
	if (fd >= 0)
		close(fd);
	CHECK(chmod(f, 04755), "chmod setuid");
	CHECK(chown(f, 1, 1), "chown");
	CHECK(truncate(f, 0), "truncate");
	snprintf(g, sizeof(g), "%s/%s/sym", dir, sub);
	CHECK(symlink("/etc/passwd", g), "symlink beneath");
	snprintf(g, sizeof(g), "%s/%s/sub", dir, sub);
	CHECK(mkdir(g, 0755), "mkdir beneath");
	CHECK(rmdir(d), "rmdir beneath");
	snprintf(g, sizeof(g), "%s/%s/hard", dir, sub);
	CHECK(link(f, g), "hard link beneath");
	snprintf(g, sizeof(g), "%s/%s-moved", dir, sub);
	CHECK(rename(f, g), "rename away");
	if (want)
		CHECK(unlink(f), "unlink");
	else
		CHECK(unlink(g), "unlink");
#undef CHECK
	if (!want)
		return;
	ASSERT_OK(stat(f, &st), "the protected file is still there");
	ASSERT_EQ(st.st_size, 5, "with its content");
	ASSERT_EQ(st.st_mode & 07777, 0644, "and its mode");
	ASSERT_EQ(st.st_uid, 0, "and its owner");
	snprintf(g, sizeof(g), "%s/%s/new", dir, sub);
	ASSERT_NEQ(access(g, F_OK), 0, "no file was created");
	snprintf(g, sizeof(g), "%s/%s/sub", dir, sub);
	ASSERT_NEQ(access(g, F_OK), 0, "no directory was created");
	ASSERT_OK(access(d, F_OK), "the directory beneath is still there");
}

TEST(changes_beneath_a_protected_directory_are_refused)
{
	struct json_object **ev;
	struct fixture f;
	char path[160];
	size_t n = 0;
	int fd;

	if (!lsm_or_skip() || !setup(&f, "enforce"))
		goto out;
	change_everything(f.dir, "prot", EPERM, "beneath prot/");
	change_everything(f.dir, "free", 0, "beneath free/ (not protected)");
	snprintf(path, sizeof(path), "%s/prot/f", f.dir);
	fd = open(path, O_RDONLY);
	ASSERT_TRUE(fd >= 0, "reading beneath prot/ is allowed");
	if (fd >= 0)
		close(fd);
	ev = vigil_stop_and_load(&f.v, &n);
	ASSERT_EQ(count_rule(ev, n, "open", "prot-no-write", "denied"), 2,
		  "the write and the create are reported denied");
	ASSERT_EQ(count_rule(ev, n, "chmod", "prot-no-change", "denied"), 1, "the chmod");
	ASSERT_EQ(count_rule(ev, n, "unlink", "prot-no-change", "denied"), 1, "the unlink");
	ASSERT_EQ(count_rule(ev, n, "rename", "prot-no-change", "denied"), 1, "the rename");
	ASSERT_EQ(count_rule(ev, n, "mkdir", "prot-no-change", "denied"), 1, "the mkdir");
	ASSERT_NOT_NULL(find_denied(ev, n, "chmod", "file.path", path),
			"the chmod names the resolved file");
	events_free(ev, n);
out:
	teardown(&f);
}

TEST(audit_mode_refuses_nothing_and_reports_would_deny)
{
	struct json_object **ev;
	struct fixture f;
	char path[128];
	size_t n = 0;
	int fd;

	if (!lsm_or_skip() || !setup(&f, "audit"))
		goto out;
	snprintf(path, sizeof(path), "%s/bin/denied", f.dir);
	ASSERT_EQ(exec_errno(path), 0, "the binary runs");
	snprintf(path, sizeof(path), "%s/secret", f.dir);
	fd = open(path, O_RDONLY);
	ASSERT_TRUE(fd >= 0, "the secret opens");
	if (fd >= 0)
		close(fd);
	ev = vigil_stop_and_load(&f.v, &n);
	ASSERT_EQ(count_rule(ev, n, "exec", "no-denied-binary", "would_deny"), 1,
		  "the exec is reported as would_deny");
	ASSERT_EQ(count_rule(ev, n, "open", "no-secret", "would_deny"), 1,
		  "the open is reported as would_deny");
	events_free(ev, n);
out:
	teardown(&f);
}

/* Opens of the secret, hammered while the policy is reapplied: none may get through. */
TEST(reload_under_load_never_lets_an_open_through)
{
	char secret[128], flag[128], desc[64];
	pid_t hammers[2];
	int got = 0, status, applied = 0;
	struct fixture f;

	if (!lsm_or_skip() || !setup_with(&f, "enforce", true))
		goto out;
	/* each version is written here, then applied over the policy directory's */
	snprintf(f.policy, sizeof(f.policy), "%s/next.yaml", f.dir);
	snprintf(secret, sizeof(secret), "%s/secret", f.dir);
	snprintf(flag, sizeof(flag), "%s/stop", f.dir);
	for (int i = 0; i < 2; i++) {
		hammers[i] = fork();
		if (hammers[i] == 0) {
			int through = 0;

			while (access(flag, F_OK)) {
				int fd = open(secret, O_RDONLY);

				if (fd >= 0) {
					through++;
					close(fd);
				}
			}
			_exit(through > 100 ? 100 : through);
		}
	}
	for (int i = 0; i < 20; i++) {
		snprintf(desc, sizeof(desc), "version %d", i);
		applied += write_policy(&f, "enforce", desc) &&
			   !shf("%s policy apply %s >/dev/null", vigil_bin(), f.policy);
	}
	ASSERT_EQ(applied, 20, "twenty versions applied to the running agent");
	shf("touch %s", flag);
	for (int i = 0; i < 2; i++)
		if (hammers[i] > 0 && waitpid(hammers[i], &status, 0) == hammers[i] &&
		    WIFEXITED(status))
			got += WEXITSTATUS(status);
	ASSERT_EQ(got, 0, "opens of the secret that got through during the reloads");
out:
	teardown(&f);
}

/*
 * Where BPF LSM is missing (this host): the agent says so; open and exec deny rules are refused
 * by fanotify, the other file deny rules fall back to kill.
 */
TEST(without_bpf_lsm_opens_and_execs_are_refused_by_fanotify_the_rest_killed)
{
	struct json_object **ev, *e;
	struct fixture f;
	char path[128];
	size_t n = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	if (probe_has(FEAT_BPF_LSM)) {
		SKIP("this kernel has BPF LSM: the fallback is tested where it is missing");
		return;
	}
	if (!setup(&f, "enforce"))
		goto out;
	snprintf(path, sizeof(path), "%s/secret", f.dir);
	ASSERT_EQ(shf("cat %s >/dev/null 2>&1", path), 1, "reading the secret: cat fails (EPERM)");
	/* the denied file becomes touch (same inode): refused before it can touch anything */
	ASSERT_EQ(shf("cd %s && cp /bin/touch bin/denied && { bin/denied marker; echo $? > rc; }",
		      f.dir),
		  0, "run the denied binary");
	ASSERT_EQ(shf("test \"$(cat %s/rc)\" = 126", f.dir), 0, "the shell could not run it");
	ASSERT_NEQ(shf("test -e %s/marker", f.dir), 0, "it never ran: no marker");
	snprintf(path, sizeof(path), "%s/prot/f", f.dir);
	shf("rm -f %s", path);
	ASSERT_NEQ(access(path, F_OK), 0,
		   "an unlink beneath prot/ is not prevented (no fanotify "
		   "event for it)");
	ev = vigil_stop_and_load(&f.v, &n);
	ASSERT_TRUE(strstr(f.v.err, "no BPF LSM on this kernel") != NULL,
		    "the agent says at start-up that BPF LSM is missing");
	ASSERT_TRUE(strstr(f.v.err, "refused by fanotify") != NULL, "and that fanotify refuses");
	ASSERT_EQ(count_rule(ev, n, "open", "no-secret", "denied"), 1,
		  "the open is reported denied");
	ASSERT_EQ(count_rule(ev, n, "open", "no-secret", "killed"), 0, "and not killed");
	ASSERT_EQ(count_rule(ev, n, "exec", "no-denied-binary", "denied"), 1,
		  "the exec is reported denied");
	snprintf(path, sizeof(path), "%s/bin/denied", f.dir);
	e = find_denied(ev, n, "exec", "process.exe", path);
	ASSERT_NOT_NULL(e, "with the file it tried to run");
	if (e)
		ASSERT_STREQ(jstr(e, "mechanism"), "fanotify", "refused by fanotify");
	ASSERT_EQ(count_rule(ev, n, "unlink", "prot-no-change", "killed_after") +
			  count_rule(ev, n, "unlink", "prot-no-change", "kill_failed"),
		  1, "the unlink is reported as a kill after the fact");
	events_free(ev, n);
out:
	teardown(&f);
}

/* vigil sandbox: the deny applies to the command and its children only, not to the host. */
TEST(sandbox_denies_inside_its_cgroup_only)
{
	struct json_object **ev;
	struct fixture f = { 0 };
	char out[160];
	size_t n = 0, bad = 0;
	int rc;

	if (!lsm_or_skip() || !mkdtemp(strcpy(f.dir, "/tmp/vigil-lsm-XXXXXX")))
		return;
	snprintf(f.policy, sizeof(f.policy), "%s/policy.yaml", f.dir);
	snprintf(out, sizeof(out), "%s/events.json", f.dir);
	if (!ASSERT_OK(shf("mkdir -p %s/bin %s/prot && cp /bin/true %s/bin/denied", f.dir, f.dir,
			   f.dir),
		       "test files") ||
	    !write_policy(&f, "enforce", "the denied binary does not run in the sandbox"))
		goto out;
	/* inside: the exec fails (126); outside, while the sandbox runs: it works */
	rc = shf("D=%s; %s sandbox --policy $D/policy.yaml -f json -o %s -- "
		 "sh -c \"$D/bin/denied 2>/dev/null; echo \\$? > $D/in; sleep 1; exit 3\" & "
		 "for i in $(seq 100); do [ -s $D/in ] && break; sleep 0.1; done; "
		 "$D/bin/denied; echo $? > $D/outside; wait $!",
		 f.dir, vigil_bin(), out);
	ASSERT_EQ(rc, 3, "vigil sandbox exits with the command's status");
	ASSERT_EQ(shf("test \"$(cat %s/in)\" = 126", f.dir), 0,
		  "inside the sandbox the exec was refused");
	ASSERT_EQ(shf("test \"$(cat %s/outside)\" = 0", f.dir), 0,
		  "outside it, the same binary ran at the same time");
	ev = events_load(out, &n, &bad);
	ASSERT_NOT_NULL(ev, "the sandbox wrote valid JSON lines");
	ASSERT_EQ(count_rule(ev, n, "exec", "no-denied-binary", "denied"), 1,
		  "one refused exec, the sandbox's");
	events_free(ev, n);
	ASSERT_NEQ(shf("ls -d /sys/fs/cgroup/vigil-sandbox-* 2>/dev/null"), 0,
		   "the sandbox's cgroup is gone");
out:
	teardown(&f);
}

static int create_map(void)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1
	};
	int fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));

	if (fd >= 0)
		close(fd);
	return err_of(fd);
}

/* finit_module of a file that is no module: EPERM when refused, another error when read. */
static int load_module(const char *dir)
{
	char path[128];
	int fd, err;

	snprintf(path, sizeof(path), "%s/not-a-module.ko", dir);
	if (shf("echo garbage > %s", path))
		return -1;
	fd = open(path, O_RDONLY);
	err = err_of(syscall(SYS_finit_module, fd, "", 0));
	close(fd);
	return err;
}

/* socket(@family, @type): 0 or the errno. */
static int make_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
	return err_of(fd);
}

/* PTRACE_ATTACH to a child of ours: 0 or the errno. */
static int attach_child(void)
{
	pid_t child = fork();
	int err;

	if (child == 0) {
		pause();
		_exit(0);
	}
	err = err_of(ptrace(PTRACE_ATTACH, child, NULL, NULL));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return err;
}

TEST(module_bpf_ptrace_and_raw_sockets_are_refused_whatever_the_object)
{
	struct json_object **ev;
	struct fixture f = { 0 };
	size_t n = 0;
	FILE *out;

	if (!lsm_or_skip() || !mkdtemp(strcpy(f.dir, "/tmp/vigil-lsm-XXXXXX")))
		return;
	snprintf(f.policy, sizeof(f.policy), "%s/policy.yaml", f.dir);
	out = fopen(f.policy, "w");
	if (!out)
		goto out;
	fputs("policy: lsm-kernel\nmode: enforce\nrules:\n"
	      "  - {id: no-modules, description: d, severity: high, on: module_load, "
	      "action: deny}\n"
	      "  - {id: no-bpf-progs, description: d, severity: high, on: bpf, action: deny, "
	      "match: {bpf.cmd: BPF_PROG_LOAD}}\n"
	      "  - {id: no-ptrace, description: d, severity: high, on: ptrace, action: deny}\n"
	      "  - {id: no-raw-sockets, description: d, severity: high, on: socket, "
	      "action: deny}\n",
	      out);
	fclose(out);
	f.running = vigil_start_checked(
		&f.v, (const char *[]){ "run", "--no-default-rules", "--policy", f.policy, NULL });
	if (!f.running)
		goto out;
	ASSERT_EQ(load_module(f.dir), EPERM, "finit_module is refused");
	ASSERT_EQ(load_tiny_bpf_prog(), EPERM, "bpf(BPF_PROG_LOAD) is refused");
	ASSERT_EQ(create_map(), 0, "bpf(BPF_MAP_CREATE) is not what the rule names");
	ASSERT_EQ(attach_child(), EPERM, "PTRACE_ATTACH is refused");
	ASSERT_EQ(make_socket(AF_PACKET, SOCK_RAW), EPERM, "a packet socket is refused");
	ASSERT_EQ(make_socket(AF_INET, SOCK_RAW), EPERM, "a raw IP socket is refused");
	ASSERT_EQ(make_socket(AF_INET, SOCK_STREAM), 0, "a TCP socket is not what the rule names");
	ev = vigil_stop_and_load(&f.v, &n);
	ASSERT_EQ(count_rule(ev, n, "module_load", "no-modules", "denied"), 1,
		  "the module load is reported denied");
	ASSERT_EQ(count_rule(ev, n, "bpf", "no-bpf-progs", "denied"), 1,
		  "the program load is reported denied");
	ASSERT_EQ(count_rule(ev, n, "ptrace", "no-ptrace", "denied"), 1,
		  "the attach is reported denied");
	ASSERT_EQ(count_rule(ev, n, "socket", "no-raw-sockets", "denied"), 2,
		  "the raw sockets are reported denied");
	events_free(ev, n);
	/* the agent is gone: the same calls are the kernel's own business again */
	ASSERT_NEQ(load_module(f.dir), EPERM, "finit_module without the agent fails otherwise");
	ASSERT_EQ(load_tiny_bpf_prog(), 0, "a program loads without the agent");
	ASSERT_EQ(attach_child(), 0, "PTRACE_ATTACH works without the agent");
	ASSERT_EQ(make_socket(AF_PACKET, SOCK_RAW), 0, "a packet socket opens without the agent");
out:
	teardown(&f);
}
