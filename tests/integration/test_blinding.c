// SPDX-License-Identifier: GPL-2.0
/*
 * No unprivileged user can blind the agent (issue 20, section 4): processes running as nobody
 * hammer opens of /etc/shadow (every one refused) while root runs a program from /tmp again and
 * again. Every one of root's execs must still be reported with its alert; nobody's flood is
 * folded and budgeted in the kernel, and the `lost` records, written while it lasts, say whose
 * events of which type were dropped.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY		 65534
#define HAMMERS		 4 /* half open the same name, half vary it */
#define EXECS		 200
#define MIN_S		 3.0 /* the flood lasts at least this long, and past the last exec */
#define AFTER_S		 1.0
#define LOST_WAIT_US	 1500000 /* the last lost record comes within a second */
#define NAME_MAX_SLASHES 512

struct shared {
	volatile int stop;
	volatile long opens[HAMMERS];
	volatile int execs_done, execs_ok;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Open /etc/shadow as nobody until told to stop. A varying hammer spells the name with 1 to
 * NAME_MAX_SLASHES slashes after /etc: the same file, a different name each time, which no
 * aggregation folds; only the budget stops it.
 */
static void hammer(struct shared *sh, int i, bool vary)
{
	char name[NAME_MAX_SLASHES + 16];
	long n = 0;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(126);
	while (!sh->stop) {
		int k = vary ? 1 + n % NAME_MAX_SLASHES : 1;
		int fd;

		memcpy(name, "/etc", 4);
		memset(name + 4, '/', k);
		memcpy(name + 4 + k, "shadow", 7);
		fd = open(name, O_RDONLY);
		if (fd >= 0)
			_exit(125); /* nobody must not read it */
		if (++n % 1024 == 0)
			sh->opens[i] = n;
	}
	sh->opens[i] = n;
	_exit(0);
}

/*
 * Run @exe EXECS times as root, one after the other, from a process reparented away from this
 * one (the rule lets build tools be ancestors, and `make test` is one of ours).
 */
static void run_execs(struct shared *sh, const char *exe)
{
	pid_t middle = fork();

	if (middle == 0) {
		pid_t self = getpid();

		if (fork() != 0)
			_exit(0);
		while (getppid() == self)
			usleep(1000);
		/* root's work gets the CPU it needs: what is tested is what the agent sees of it */
		if (nice(-10) == -1 && errno)
			_exit(1);
		for (int i = 0; i < EXECS; i++) {
			pid_t pid = fork();
			int status;

			if (pid == 0) {
				execl(exe, exe, (char *)NULL);
				_exit(127);
			}
			if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)
				sh->execs_ok++;
			sh->execs_done++;
			usleep(10000); /* spread over the flood, as a user's commands are */
		}
		_exit(0);
	}
	if (middle > 0)
		waitpid(middle, NULL, 0);
}

/* The agent's CPU time so far, in seconds (utime + stime of /proc/PID/stat). */
static double cpu_s(pid_t pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

/* Whether the lost record @ev names @uid with @type among what it lost. */
static bool lost_names(struct json_object *ev, long long uid, const char *type)
{
	struct json_object *uids = jget(ev, "lost.uids");

	for (size_t i = 0; uids && i < json_object_array_length(uids); i++) {
		struct json_object *u = json_object_array_get_idx(uids, i);
		struct json_object *types = jget(u, "types");

		if (jint(u, "uid") != uid)
			continue;
		for (size_t t = 0; types && t < json_object_array_length(types); t++)
			if (!strcmp(json_object_get_string(json_object_array_get_idx(types, t)),
				    type))
				return true;
	}
	return false;
}

static bool is_rule(struct json_object *ev, const char *type, const char *rule)
{
	return !strcmp(jstr(ev, "type") ?: "", type) && !strcmp(jstr(ev, "rule.id") ?: "", rule);
}

/*
 * The flood, with @budget (true: the default budget; false: none, the ring buffer's reserve
 * alone keeps root's execs).
 */
static void flood(bool budget)
{
	const char *args[] = { "run", "--no-guard", budget ? NULL : "--event-budget", "off", NULL };
	char dir[] = "/tmp/vigil-blind-XXXXXX", exe[64];
	struct shared *sh;
	struct vigil_child v;
	struct json_object **ev = NULL;
	pid_t hammers[HAMMERS];
	size_t n = 0, alerts = 0, lost_records = 0, lost_named = 0, shadow_alerts = 0;
	long long lost_total = 0, repeats = 0, opens = 0, last_alert_line = -1,
		  first_named_line = -1;
	double start, execs_s, flood_s, cpu0, cpu1 = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!ASSERT_TRUE(sh != MAP_FAILED, "shared memory") ||
	    !ASSERT_NOT_NULL(mkdtemp(dir), "a directory in /tmp"))
		return;
	snprintf(exe, sizeof(exe), "%s/payload", dir);
	if (!ASSERT_EQ(shf("cp /bin/true %s", exe), 0, "a program in /tmp") ||
	    !vigil_start_checked(&v, args)) {
		shf("rm -rf %s", dir);
		return;
	}
	cpu0 = cpu_s(v.pid);
	start = now_s();
	for (int i = 0; i < HAMMERS; i++) {
		hammers[i] = fork();
		if (hammers[i] == 0)
			hammer(sh, i, i % 2);
	}
	run_execs(sh, exe);
	while (sh->execs_done < EXECS && now_s() - start < 120)
		usleep(10000);
	execs_s = now_s() - start;
	while (now_s() - start < MIN_S)
		usleep(10000);
	usleep(AFTER_S * 1e6);
	sh->stop = 1;
	for (int i = 0; i < HAMMERS; i++) {
		int status = -1;

		if (hammers[i] > 0)
			waitpid(hammers[i], &status, 0);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "a hammer ran as nobody and never read /etc/shadow");
		opens += sh->opens[i];
	}
	cpu1 = cpu_s(v.pid);
	flood_s = now_s() - start;
	ASSERT_EQ(sh->execs_ok, EXECS, "root's execs ran");
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *exe_of = jstr(ev[i], "process.exe");

		if (is_rule(ev[i], "exec", "exec-from-temp-dir") && exe_of &&
		    !strcmp(exe_of, exe)) {
			alerts++;
			last_alert_line = i;
		} else if (is_rule(ev[i], "open", "shadow-file-read") &&
			   jint(ev[i], "process.uid") == NOBODY) {
			shadow_alerts++;
			repeats += jget(ev[i], "file.repeats") ? jint(ev[i], "file.repeats") : 0;
		} else if (!strcmp(jstr(ev[i], "type") ?: "", "lost")) {
			lost_records++;
			lost_total += jint(ev[i], "lost.count");
			if (lost_names(ev[i], NOBODY, "open")) {
				lost_named++;
				if (first_named_line < 0)
					first_named_line = i;
			}
		}
	}
	printf("  %lld opens of /etc/shadow by nobody in %.1f s (execs done at %.1f s); %zu of %d "
	       "exec alerts; %zu shadow alerts standing for %lld more; %zu lost records, %lld "
	       "events lost; agent CPU %.1f s\n",
	       opens, flood_s, execs_s, alerts, EXECS, shadow_alerts, repeats, lost_records,
	       lost_total, cpu1 - cpu0);
	ASSERT_EQ(alerts, EXECS, "every exec from /tmp alerted");
	ASSERT_TRUE(shadow_alerts > 0, "nobody's reads of /etc/shadow alerted");
	ASSERT_TRUE(repeats > 0, "repeated refused opens folded, counted in file.repeats");
	if (!budget) /* whether the ring buffer filled depends on the host's speed */
		goto out;
	ASSERT_TRUE(lost_named > 0, "a lost record names uid 65534 and the open type");
	ASSERT_TRUE(first_named_line >= 0 && first_named_line < last_alert_line,
		    "a lost record came during the flood, before the last exec");
	ASSERT_TRUE(strstr(v.err, "lost: ") && strstr(v.err, "uid 65534"),
		    "the stop summary says who lost what");
out:
	events_free(ev, n);
	vigil_cleanup(&v);
	shf("rm -rf %s", dir);
	munmap(sh, sizeof(*sh));
}

TEST(nobody_flooding_refused_opens_cannot_hide_roots_execs)
{
	flood(true);
}

TEST(without_a_budget_the_reserve_still_keeps_roots_execs)
{
	flood(false);
}

#define BUDGETED_UID 43210 /* no one else's: its counts are this test's alone */
#define FLOOD	     20000
#define ROOT_OPENS   3000

/* @n opens of @path as @uid in a child (refused: the file is root's, 0600). */
static void opens_as(uid_t uid, const char *path, int n)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(126);
		for (int i = 0; i < n; i++)
			if (open(path, O_RDONLY) >= 0)
				_exit(125);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

TEST(a_uid_over_its_budget_is_throttled_and_counted_while_root_flows)
{
	char dir[] = "/tmp/vigil-budget-XXXXXX", secret[64];
	const char *args[] = { "trace",		 "--events", "open",	    "--path", secret,
			       "--event-budget", "100/100",  "--aggregate", "0",      NULL };
	struct vigil_child v;
	struct json_object **ev = NULL;
	long long shown = 0, root_shown = 0, counted = 0;
	size_t n = 0;
	int fd;

	if (SKIP_UNLESS_ROOT() || !ASSERT_NOT_NULL(mkdtemp(dir), "a directory"))
		return;
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	fd = open(secret, O_CREAT | O_WRONLY, 0600);
	if (!ASSERT_TRUE(fd >= 0 && !chmod(dir, 0755), "a file only root may read") ||
	    !vigil_start_checked(&v, args)) {
		shf("rm -rf %s", dir);
		return;
	}
	close(fd);
	opens_as(BUDGETED_UID, secret, FLOOD);
	for (int i = 0; i < ROOT_OPENS; i++)
		close(open(secret, O_RDONLY));
	usleep(LOST_WAIT_US);
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *uids = jget(ev[i], "lost.uids");

		if (!strcmp(jstr(ev[i], "type") ?: "", "open")) {
			shown += jint(ev[i], "process.uid") == BUDGETED_UID;
			root_shown += jint(ev[i], "process.uid") == 0;
		}
		for (size_t u = 0; uids && u < json_object_array_length(uids); u++) {
			struct json_object *e = json_object_array_get_idx(uids, u);

			if (jint(e, "uid") == BUDGETED_UID)
				counted += jint(e, "throttled") + jint(e, "ring_full");
		}
	}
	printf("  uid %d: %lld opens shown, %lld counted as lost, of %d; root: %lld of %d shown\n",
	       BUDGETED_UID, shown, counted, FLOOD, root_shown, ROOT_OPENS);
	ASSERT_EQ(shown + counted, FLOOD, "every open of the budgeted uid shown or counted");
	ASSERT_TRUE(counted > 0 && shown < FLOOD / 2, "the budget held it back");
	ASSERT_EQ(root_shown, ROOT_OPENS, "root's opens, not budgeted, all shown");
	events_free(ev, n);
	vigil_cleanup(&v);
	shf("rm -rf %s", dir);
}
