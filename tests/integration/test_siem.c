// SPDX-License-Identifier: GPL-2.0
/*
 * An alert as a SIEM receives it, end to end: `vigil run` with the built-in rules, a real
 * process reading /etc/shadow as nobody, and what the JSON line says about it: the message,
 * the user and group names, the ancestors as objects, and the line's identity (host, boot_id,
 * agent_instance, seq without gaps).
 */
#include "harness.h"
#include "testlib.h"

#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static char self_exe[PATH_MAX], cat_exe[PATH_MAX];

__attribute__((constructor)) static void find_paths(void)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	self_exe[n > 0 ? n : 0] = '\0';
	if (!realpath("/bin/cat", cat_exe))
		cat_exe[0] = '\0';
}

/* `cat /etc/shadow` as nobody, refused (EACCES); returns its pid, or -1. */
static pid_t cat_shadow_as_nobody(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(126);
		execl(cat_exe, "cat", "/etc/shadow", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The shadow-file-read alert of process @pid, or NULL. */
static struct json_object *shadow_alert(struct json_object **ev, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (jint(ev[i], "process.pid") == pid && jstr(ev[i], "rule.id") &&
		    !strcmp(jstr(ev[i], "rule.id"), "shadow-file-read"))
			return ev[i];
	return NULL;
}

static void read_boot_id(char *buf, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	buf[0] = '\0';
	if (f && !fgets(buf, size, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static void check_message(struct json_object *e, pid_t pid)
{
	char want[PATH_MAX * 2 + 128];
	const char *msg = jstr(e, "message");

	snprintf(want, sizeof(want),
		 " (process=%s pid=%d user=nobody parent=%s file=/etc/shadow error=EACCES "
		 "action=alert)",
		 cat_exe, pid, self_exe);
	if (!ASSERT_NOT_NULL(msg, "message"))
		return;
	ASSERT_TRUE(!strncmp(msg,
			     "/etc/shadow, /etc/gshadow, their backups or "
			     "/etc/security/opasswd opened for reading by a process",
			     77),
		    "the message starts with what the rule catches");
	ASSERT_TRUE(strlen(msg) > strlen(want) && !strcmp(msg + strlen(msg) - strlen(want), want),
		    "and ends with the key fields");
	if (!strstr(msg, want))
		fprintf(stderr, "  message: %s\n  wanted the end: %s\n", msg, want);
}

static void check_ancestors(struct json_object *e)
{
	struct json_object *anc = jget(e, "ancestors");
	size_t n = anc ? json_object_array_length(anc) : 0;

	if (!ASSERT_TRUE(n >= 2, "the test and its parent at least"))
		return;
	ASSERT_EQ(jint(e, "ancestors.0.pid"), getpid(), "first ancestor: this test");
	ASSERT_STREQ(jstr(e, "ancestors.0.exe"), self_exe, "its exe");
	ASSERT_TRUE(jstr(e, "ancestors.0.args.0") &&
			    strstr(self_exe, strrchr(jstr(e, "ancestors.0.args.0"), '/')
						     ? strrchr(jstr(e, "ancestors.0.args.0"), '/')
						     : jstr(e, "ancestors.0.args.0")),
		    "its argv[0]");
	ASSERT_STREQ(jstr(e, "ancestors.0.exec_id"), jstr(e, "parent.exec_id"),
		     "its exec_id is the parent's");
	ASSERT_EQ(jint(e, "ancestors.1.pid"), getppid(), "second: the test's parent");
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(anc, i);

		ASSERT_TRUE(json_object_is_type(a, json_type_object) && jint(a, "pid") > 0,
			    "each ancestor an object with a pid");
		ASSERT_TRUE(jget(a, "unknown") || (jget(a, "args") && jget(a, "exec_id")),
			    "with args and exec_id, or said to be unknown");
	}
}

/* seq counts every line from 1 without a gap; every line names the same host, boot, agent. */
static void check_identity(struct json_object **ev, size_t n)
{
	char host[HOST_NAME_MAX + 1] = "", boot_id[64];
	const char *instance = n ? jstr(ev[0], "agent_instance") : NULL;
	size_t gaps = 0, others = 0;

	gethostname(host, sizeof(host));
	read_boot_id(boot_id, sizeof(boot_id));
	ASSERT_TRUE(instance && strlen(instance) == 36, "agent_instance is a UUID");
	for (size_t i = 0; i < n; i++) {
		gaps += jint(ev[i], "seq") != (long long)i + 1;
		others += !jstr(ev[i], "host") || strcmp(jstr(ev[i], "host"), host) ||
			  !jstr(ev[i], "boot_id") || strcmp(jstr(ev[i], "boot_id"), boot_id) ||
			  !instance || !jstr(ev[i], "agent_instance") ||
			  strcmp(jstr(ev[i], "agent_instance"), instance);
	}
	ASSERT_EQ(gaps, 0, "seq is 1, 2, 3, ... over every line written");
	ASSERT_EQ(others, 0, "every line has this host, boot_id and agent_instance");
}

TEST(shadow_read_alert_for_a_siem)
{
	struct json_object **ev, *e;
	char line[4096];
	bool ok;
	struct vigil_child v;
	struct group *nogroup = getgrgid(NOBODY);
	size_t n = 0;
	int status;
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!cat_exe[0]) {
		SKIP("no /bin/cat");
		return;
	}
	/* as under systemd: stderr is the journal, so alerts are logged there too */
	setenv("JOURNAL_STREAM", "0:0", 1);
	ok = vigil_start_checked(&v, (const char *[]){ "run", NULL });
	unsetenv("JOURNAL_STREAM");
	if (!ok)
		return;
	pid = cat_shadow_as_nobody();
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1, "cat was refused");
	ev = vigil_stop_and_load(&v, &n);
	e = shadow_alert(ev, n, pid);
	if (ASSERT_NOT_NULL(e, "the shadow-file-read alert")) {
		check_message(e, pid);
		ASSERT_EQ(jint(e, "process.uid"), NOBODY, "uid");
		ASSERT_STREQ(jstr(e, "process.user"), "nobody", "user name beside the uid");
		ASSERT_STREQ(jstr(e, "process.euser"), "nobody", "effective user name");
		if (nogroup)
			ASSERT_STREQ(jstr(e, "process.group"), nogroup->gr_name, "group name");
		ASSERT_TRUE(jstr(e, "rule.description") != NULL, "rule.description");
		check_ancestors(e);
		/* the events go to a file: the agent's log (the journal) has the alert too */
		snprintf(line, sizeof(line), "vigil: alert: [alert high shadow-file-read] %s",
			 jstr(e, "message"));
		ASSERT_TRUE(strstr(v.err, line) != NULL, "the alert's message in the agent's log");
	}
	check_identity(ev, n);
	events_free(ev, n);
	vigil_cleanup(&v);
}
