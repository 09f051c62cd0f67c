// SPDX-License-Identifier: GPL-2.0
/*
 * The agent outlives its output: a full disk or device leaves it running and enforcing, with
 * the events it could not write counted and no partial line; -o refuses at start what cannot
 * take appended lines or is unsafe to write as root; the output file is reopened after log
 * rotation (SIGUSR1, SIGHUP, vigil's "reopen" request); every stop signal removes the control
 * socket; a second agent is refused before it creates its output file.
 */
#include "harness.h"
#include "testlib.h"
#include "core/control.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY	  65534
#define MARK_COMM "vigil-out-mark"
/* Any process: a shell that runs nothing */
#define ANY_EXEC "/bin/sh -c :"

struct fixture {
	char dir[64];	 /* root's: the policy and the secret */
	char policy[96]; /* enforce: reading the secret kills */
	char secret[96];
	char mark[96]; /* /bin/true under a name of its own, for --comm */
};

static bool fixture_make(struct fixture *fx)
{
	FILE *f;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vigil-output-XXXXXX");
	if (!mkdtemp(fx->dir))
		return false;
	snprintf(fx->policy, sizeof(fx->policy), "%s/kill.yaml", fx->dir);
	snprintf(fx->secret, sizeof(fx->secret), "%s/secret", fx->dir);
	snprintf(fx->mark, sizeof(fx->mark), "%s/" MARK_COMM, fx->dir);
	/* the kernel names a process after the path it ran, a symbolic link's too */
	if (shf("echo s3cret > %s && ln -s /bin/true %s", fx->secret, fx->mark))
		return false;
	f = fopen(fx->policy, "w");
	if (!f)
		return false;
	fprintf(f,
		"policy: kill-test\nmode: enforce\nrules:\n"
		"  - id: secret-kill\n    description: reading the secret kills\n"
		"    severity: critical\n    on: open\n    action: kill\n    match:\n"
		"      file.path: %s\n      file.access: read\n",
		fx->secret);
	return !fclose(f);
}

static void fixture_remove(struct fixture *fx)
{
	if (fx->dir[0])
		shf("rm -rf %s", fx->dir);
}

/* The enforced rule still holds: cat of the secret dies of SIGKILL, having written nothing. */
static void check_kill_rule(const struct fixture *fx)
{
	ASSERT_EQ(shf("cd %s && (cat secret > out 2>/dev/null; echo $? > rc); test \"$(cat rc)\" = "
		      "137 && test ! -s out",
		      fx->dir),
		  0, "the kill rule still kills (cat died of SIGKILL, printed nothing)");
}

/* Ten execs of @cmd with @marker in their arguments. */
static void make_execs(const char *cmd, const char *marker)
{
	shf("for i in 1 2 3 4 5 6 7 8 9 10; do %s %s-$i; done", cmd, marker);
}

/* `vigil status` (text and --json) counts the events not written. */
static void check_status_counts(void)
{
	struct json_object *o;
	char *resp = NULL;

	ASSERT_EQ(control_request(control_path(), "status json", NULL, 0, &resp), 0,
		  "vigil status --json answers");
	o = resp ? json_tokener_parse(resp) : NULL;
	ASSERT_TRUE(jint(o, "output.unwritten") > 0, "status --json: output.unwritten > 0");
	ASSERT_TRUE(jstr(o, "output.error") != NULL, "status --json: output.error says why");
	json_object_put(o);
	free(resp);
	resp = NULL;
	ASSERT_EQ(control_request(control_path(), "status", NULL, 0, &resp), 0,
		  "vigil status answers");
	ASSERT_TRUE(resp && strstr(resp, "events not written; writing fails: No space left"),
		    "status: the output line says how many and why");
	free(resp);
}

static bool still_running(struct vigil_child *v)
{
	return waitpid(v->pid, NULL, WNOHANG) == 0;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

/* Run @cmd until @file holds @marker. */
static bool file_gets(const char *file, const char *cmd, const char *marker)
{
	for (int i = 0; i < 50; i++) {
		make_execs(cmd, marker);
		if (!shf("grep -q %s %s 2>/dev/null", marker, file))
			return true;
		sleep_s(0.2);
	}
	return false;
}

TEST(a_full_device_leaves_the_agent_running_and_enforcing)
{
	struct fixture fx = { 0 };
	struct vigil_child v;
	int status;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_TRUE(fixture_make(&fx), "fixture"))
		goto out;
	if (vigil_start_output(&v,
			       (const char *[]){ "run", "--no-default-rules", "--policy", fx.policy,
						 "--events", "exec", NULL },
			       "/dev/full")) {
		ASSERT_TRUE(false, v.err);
		vigil_cleanup(&v);
		goto out;
	}
	make_execs(ANY_EXEC, "full-device");
	ASSERT_TRUE(vigil_wait_err(&v, "cannot write events to /dev/full: No space left", 1, 20),
		    "it says writing fails");
	sleep_s(1);
	ASSERT_TRUE(still_running(&v), "and keeps running");
	check_kill_rule(&fx);
	check_status_counts();
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "SIGTERM: exit 0");
	ASSERT_TRUE(strstr(v.err, "events seen") != NULL, "with its summary");
	ASSERT_TRUE(strstr(v.err, "events could not be written to /dev/full") != NULL,
		    "which counts the events not written");
	ASSERT_TRUE(strstr(v.err, "1 processes killed") != NULL, "and the kill");
	ASSERT_EQ(vigil_wait_err(&v, "cannot write events to", 2, 0), false,
		  "writing fails: said once");
	vigil_cleanup(&v);
out:
	fixture_remove(&fx);
}

TEST(a_full_file_system_gets_whole_lines_and_writing_resumes_when_space_is_freed)
{
	struct fixture fx = { 0 };
	struct json_object **ev;
	char mnt[] = "/tmp/vigil-tmpfs-XXXXXX", file[64];
	struct vigil_child v = { 0 };
	size_t n = 0, bad = 0;
	bool mounted = false;
	int status;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_TRUE(fixture_make(&fx) && mkdtemp(mnt), "fixture"))
		goto out;
	mounted = !shf("mount -t tmpfs -o size=64k,mode=0700 vigil-test %s", mnt);
	if (!ASSERT_TRUE(mounted, "a 64 KiB tmpfs"))
		goto out;
	/* full but for 6 KiB: a few lines fit, then a write is cut short */
	shf("dd if=/dev/zero of=%s/filler bs=1k 2>/dev/null; truncate -s -6K %s/filler", mnt, mnt);
	snprintf(file, sizeof(file), "%s/events.json", mnt);
	if (vigil_start_output(&v,
			       (const char *[]){ "run", "--no-default-rules", "--policy", fx.policy,
						 "--events", "exec", "--comm", MARK_COMM, NULL },
			       file)) {
		ASSERT_TRUE(false, v.err);
		vigil_cleanup(&v);
		goto out;
	}
	/* our execs alone, so that nothing else fills the file system once space is freed */
	for (int i = 0; i < 10 && !vigil_wait_err(&v, "cannot write events to", 1, 1); i++)
		make_execs(fx.mark, "filling");
	ASSERT_TRUE(vigil_wait_err(&v, "No space left on device", 1, 1), "it says writing fails");
	ASSERT_TRUE(still_running(&v), "and keeps running");
	check_kill_rule(&fx);
	/* more room than file_gets' retries can fill on a loaded machine, or it fails again */
	shf("rm %s/filler && mount -o remount,size=4m %s", mnt, mnt);
	ASSERT_TRUE(file_gets(file, fx.mark, "space-freed"),
		    "events are written once space is freed");
	ASSERT_TRUE(vigil_wait_err(&v, " again; ", 1, 20), "it says writing works again");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "SIGTERM: exit 0");
	ASSERT_TRUE(strstr(v.err, "events could not be written to") != NULL,
		    "the summary counts the events not written");
	ev = events_load(file, &n, &bad);
	ASSERT_EQ(bad, 0, "every line is valid JSON (0: no bad line)");
	ASSERT_TRUE(n > 0, "lines were written");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (mounted)
		shf("umount %s", mnt);
	rmdir(mnt);
	fixture_remove(&fx);
}

/* `vigil run -o @path` exits 64 and says @reason; @path's target is unchanged. */
static void check_refused(const char *path, const char *reason, const char *unchanged)
{
	char cmd[512], err[64] = "/tmp/vigil-refused-XXXXXX", *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd = mkstemp(err), rc;

	if (!ASSERT_TRUE(fd >= 0, "a file for stderr"))
		return;
	close(fd);
	/* bounded: a vigil that took the file would run until stopped */
	snprintf(cmd, sizeof(cmd), "timeout 60 %s run --no-default-rules -o %s 2>%s", vigil_bin(),
		 path, err);
	rc = shf("%s", cmd);
	ASSERT_EQ(rc, 64, path);
	f = fopen(err, "r");
	if (f && getdelim(&text, &len, '\0', f) > 0)
		ASSERT_TRUE(strstr(text, reason) != NULL, reason);
	else
		ASSERT_TRUE(false, "it printed why");
	if (f)
		fclose(f);
	free(text);
	unlink(err);
	if (unchanged)
		ASSERT_EQ(shf("test \"$(cat %s)\" = untouched", unchanged), 0,
			  "the file behind it is unchanged");
}

TEST(outputs_that_cannot_take_lines_or_are_unsafe_are_refused_at_start)
{
	char dir[] = "/tmp/vigil-refuse-XXXXXX", p[96], target[96];

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory"))
		return;
	vigil_test_env();
	chmod(dir, 01777); /* like /tmp: others may plant things */
	snprintf(target, sizeof(target), "%s/root-file", dir);
	shf("echo untouched > %s && chmod 0644 %s", target, target);

	check_refused("/proc/version", "it is a file of procfs", NULL);
	check_refused("/proc/self/mem", "it is a file of procfs", NULL);
	check_refused(dir, "it is a directory", NULL);
	ASSERT_EQ(shf("test $(ls -A %s | wc -l) = 1", dir), 0, "nothing created in it");

	snprintf(p, sizeof(p), "%s/link", dir);
	shf("ln -s %s %s && chown -h %d %s", target, p, NOBODY, p);
	check_refused(p, "it is a symbolic link", target);

	snprintf(p, sizeof(p), "%s/hardlink", dir);
	shf("ln %s %s", target, p);
	check_refused(p, "it has 2 names (hard links)", target);

	snprintf(p, sizeof(p), "%s/nobodys", dir);
	shf("echo untouched > %s && chown %d %s && chmod 0666 %s", p, NOBODY, p, p);
	check_refused(p, "it belongs to uid 65534", p);

	snprintf(p, sizeof(p), "%s/writable", dir);
	shf("echo untouched > %s && chmod 0622 %s", p, p);
	check_refused(p, "other users may write to it (mode 0622)", p);

	check_refused("/dev/vigil-no-such-device", "there is no such device", NULL);
	ASSERT_EQ(shf("test ! -e /dev/vigil-no-such-device"), 0, "nothing created in /dev");

	snprintf(p, sizeof(p), "%s/missing-dir/events.json", dir);
	check_refused(p, "No such file or directory", NULL);
	shf("rm -rf %s", dir);
}

TEST(a_new_output_file_is_created_0600)
{
	char dir[] = "/tmp/vigil-new-XXXXXX", file[64];
	struct vigil_child v;
	struct stat st;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory"))
		return;
	snprintf(file, sizeof(file), "%s/events.json", dir);
	if (!vigil_start_output(&v, (const char *[]){ "run", "--no-default-rules", NULL }, file)) {
		ASSERT_OK(stat(file, &st), "the file exists");
		ASSERT_EQ(st.st_mode & 07777, 0600, "mode 0600");
		ASSERT_EQ(vigil_stop(&v), 0, "exit 0");
	} else {
		ASSERT_TRUE(false, v.err);
	}
	vigil_cleanup(&v);
	shf("rm -rf %s", dir);
}

TEST(the_output_file_is_reopened_after_rotation)
{
	char dir[] = "/tmp/vigil-rotate-XXXXXX", file[64], moved[72];
	struct vigil_child v = { 0 };
	int status;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory"))
		return;
	snprintf(file, sizeof(file), "%s/events.json", dir);
	snprintf(moved, sizeof(moved), "%s.1", file);
	/* --no-guard: SIGQUIT at the end comes from this test, not from pid 1 */
	if (vigil_start_output(&v,
			       (const char *[]){ "run", "--no-guard", "--no-default-rules",
						 "--events", "exec", NULL },
			       file)) {
		ASSERT_TRUE(false, v.err);
		goto out;
	}
	ASSERT_TRUE(file_gets(file, ANY_EXEC, "before-rotation"), "events go to the file");

	/* logrotate: mv, then SIGUSR1 */
	ASSERT_OK(rename(file, moved), "mv events.json events.json.1");
	ASSERT_OK(kill(v.pid, SIGUSR1), "SIGUSR1");
	ASSERT_TRUE(vigil_wait_err(&v, "reopened", 1, 10), "it says it reopened the file");
	ASSERT_TRUE(file_gets(file, ANY_EXEC, "after-mv"),
		    "a new file at the path gets the new events");
	ASSERT_NEQ(shf("grep -q after-mv %s", moved), 0, "the moved file does not");
	ASSERT_TRUE(still_running(&v), "SIGUSR1 leaves the agent running");

	/* rm, then SIGHUP (reload and reopen) */
	ASSERT_OK(unlink(file), "rm events.json");
	ASSERT_OK(kill(v.pid, SIGHUP), "SIGHUP");
	ASSERT_TRUE(vigil_wait_err(&v, "reopened", 2, 10), "it says it reopened the file again");
	ASSERT_TRUE(file_gets(file, ANY_EXEC, "after-rm"),
		    "a new file at the path gets the new events");

	/* and asked over the control socket */
	ASSERT_OK(rename(file, moved), "mv events.json events.json.1 again");
	ASSERT_EQ(shf("%s reopen | grep -q '^reopened %s$'", vigil_bin(), file), 0,
		  "vigil reopen: exit 0, 'reopened FILE'");
	ASSERT_TRUE(file_gets(file, ANY_EXEC, "after-request"),
		    "a new file at the path gets the new events");

	ASSERT_OK(kill(v.pid, SIGQUIT), "SIGQUIT");
	vigil_wait_err(&v, "stopping on", 1, 10);
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "SIGQUIT: a clean stop, exit 0");
	ASSERT_TRUE(strstr(v.err, "stopping on SIGQUIT") && strstr(v.err, "events seen"),
		    "which names the signal and gives the summary");
	ASSERT_TRUE(access(control_path(), F_OK) && errno == ENOENT, "no control socket is left");
out:
	vigil_cleanup(&v);
	shf("rm -rf %s", dir);
}

/* packaging/logrotate/vigil, as installed, on a directory of this test's */
TEST(logrotate_with_the_shipped_config_rotates_and_the_agent_reopens)
{
	char dir[] = "/tmp/vigil-logrotate-XXXXXX", file[64];
	struct vigil_child v = { 0 };

	if (SKIP_UNLESS_ROOT())
		return;
	if (access("packaging/logrotate/vigil", R_OK) || shf("command -v logrotate >/dev/null")) {
		SKIP("needs logrotate (make deps) and packaging/logrotate/vigil (run from the "
		     "tree)");
		return;
	}
	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory"))
		return;
	snprintf(file, sizeof(file), "%s/events.json", dir);
	if (vigil_start_output(
		    &v, (const char *[]){ "run", "--no-default-rules", "--events", "exec", NULL },
		    file)) {
		ASSERT_TRUE(false, v.err);
		goto out;
	}
	/* the shipped file, with this directory and a signal from here instead of systemd's */
	ASSERT_EQ(shf("sed -e 's|/var/log/vigil/|%s/|g' -e 's|systemctl kill .*|kill -USR1 %d|' "
		      "packaging/logrotate/vigil > %s/logrotate.conf",
		      dir, (int)v.pid, dir),
		  0, "the config");
	ASSERT_TRUE(file_gets(file, ANY_EXEC, "before-logrotate"), "events go to the file");
	ASSERT_EQ(shf("logrotate -f -s %s/state %s/logrotate.conf", dir, dir), 0,
		  "logrotate -f: exit 0");
	ASSERT_TRUE(vigil_wait_err(&v, "reopened", 1, 10), "the agent reopened its file");
	ASSERT_EQ(shf("grep -q before-logrotate %s.1", file), 0, "events.json.1: the old events");
	ASSERT_TRUE(file_gets(file, ANY_EXEC, "after-logrotate"), "events.json: the new ones");
	ASSERT_NEQ(shf("grep -q after-logrotate %s.1", file), 0, "not in events.json.1");
	ASSERT_EQ(shf("test \"$(stat -c %%a %s)\" = 600", file), 0, "the new file is 0600");
	ASSERT_TRUE(still_running(&v), "the agent runs on");
	ASSERT_EQ(vigil_stop(&v), 0, "and stops with exit 0");
out:
	vigil_cleanup(&v);
	shf("rm -rf %s", dir);
}

TEST(stray_signals_are_ignored_and_said_and_stop_signals_remove_the_socket)
{
	const int ignored[] = { SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,	  SIGIO,
				SIGPWR,	 SIGSYS,  SIGTRAP,   SIGRTMIN + 3 };
	const int stops[] = { SIGINT, SIGXCPU };
	struct vigil_child v;
	char what[64];
	int status;

	if (SKIP_UNLESS_ROOT())
		return;
	for (size_t s = 0; s < sizeof(stops) / sizeof(stops[0]); s++) {
		if (!vigil_start_checked(&v, (const char *[]){ "run", "--no-guard",
							       "--no-default-rules", NULL }))
			return;
		for (size_t i = 0; !s && i < sizeof(ignored) / sizeof(ignored[0]); i++) {
			snprintf(what, sizeof(what), "ignored signal %d", ignored[i]);
			kill(v.pid, ignored[i]);
			ASSERT_TRUE(vigil_wait_err(&v, what, 1, 10), what);
		}
		ASSERT_TRUE(still_running(&v), "the agent runs on");
		kill(v.pid, stops[s]);
		snprintf(what, sizeof(what), "stopping on SIG%s", sigabbrev_np(stops[s]));
		vigil_wait_err(&v, "stopping on", 1, 10);
		status = vigil_stop(&v);
		ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
				    strstr(v.err, what) && strstr(v.err, "events seen"),
			    what);
		ASSERT_TRUE(access(control_path(), F_OK) && errno == ENOENT,
			    "no control socket is left");
		vigil_cleanup(&v);
	}
}

TEST(a_second_agent_is_refused_before_it_creates_its_output)
{
	char dir[] = "/tmp/vigil-second-XXXXXX";
	struct vigil_child v;
	int rc;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(mkdtemp(dir) != NULL, "a directory"))
		return;
	if (vigil_start_checked(&v, (const char *[]){ "run", "--no-default-rules", NULL })) {
		rc = shf("%s run --no-default-rules -o %s/second.json 2>%s/err", vigil_bin(), dir,
			 dir);
		ASSERT_EQ(rc, 1, "the second agent exits 1");
		ASSERT_EQ(shf("grep -q 'another vigil agent is running' %s/err", dir), 0,
			  "and says why");
		ASSERT_EQ(shf("test ! -e %s/second.json", dir), 0, "it created no output file");
		vigil_stop(&v);
		vigil_cleanup(&v);
	}
	shf("rm -rf %s", dir);
}
