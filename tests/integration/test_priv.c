// SPDX-License-Identifier: GPL-2.0
/*
 * The privilege sensor end to end: real children change their ids, capabilities and
 * namespaces, and the events must carry exactly the credentials or namespaces before and after,
 * and the syscall's result.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static bool start(struct vigil_child *v)
{
	static const char *const args[] = { "trace", "--events",
					    "setuid,setgid,capset,setns,unshare", NULL };

	return vigil_start_checked(v, args);
}

/* The @nth (0-based) event of @type by @pid made by @syscall. */
static struct json_object *find_priv(struct json_object **ev, size_t n, const char *type, pid_t pid,
				     const char *syscall, int nth)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type"), *s = jstr(ev[i], "syscall");

		if (t && s && !strcmp(t, type) && !strcmp(s, syscall) &&
		    jint(ev[i], "process.pid") == pid && nth-- == 0)
			return ev[i];
	}
	return NULL;
}

/* Assert cred.<when>.{k0..k3} of @e equal @want. */
static void assert_ids(struct json_object *e, const char *when, const char *const keys[4],
		       const long long want[4])
{
	char path[64];

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "cred.%s.%s", when, keys[i]);
		harness_check(jint(e, path) == want[i], __FILE__, __LINE__,
			      "%s: got %lld, want %lld", path, jint(e, path), want[i]);
	}
}

static const char *const UIDS[4] = { "uid", "euid", "suid", "fsuid" };
static const char *const GIDS[4] = { "gid", "egid", "sgid", "fsgid" };

static pid_t run_child(int (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	return pid;
}

static int wait_code(pid_t pid)
{
	int status = -1;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* As root: drop the gid, then uid with root kept as saved uid, then take euid 0 back. */
static int drop_ids(void)
{
	if (syscall(SYS_setgid, NOBODY))
		return 1;
	if (syscall(SYS_setresuid, NOBODY, NOBODY, 0))
		return 2;
	if (syscall(SYS_setuid, 0)) /* unprivileged: only euid (and fsuid) change, to the suid */
		return 3;
	return 0;
}

TEST(setgid_setresuid_setuid_before_and_after)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !start(&v))
		return;
	pid = run_child(drop_ids);
	ASSERT_EQ(wait_code(pid), 0, "child changed its ids");
	ev = vigil_stop_and_load(&v, &n);

	e = find_priv(ev, n, "setgid", pid, "setgid", 0);
	if (ASSERT_NOT_NULL(e, "setgid event")) {
		assert_ids(e, "before", GIDS, (long long[]){ 0, 0, 0, 0 });
		assert_ids(e, "after", GIDS, (long long[]){ NOBODY, NOBODY, NOBODY, NOBODY });
		ASSERT_EQ(jint(e, "result"), 0, "setgid result");
		ASSERT_EQ(jint(e, "process.gid"), NOBODY, "process.gid is the new one");
	}
	e = find_priv(ev, n, "setuid", pid, "setresuid", 0);
	if (ASSERT_NOT_NULL(e, "setresuid event")) {
		assert_ids(e, "before", UIDS, (long long[]){ 0, 0, 0, 0 });
		assert_ids(e, "after", UIDS, (long long[]){ NOBODY, NOBODY, 0, NOBODY });
		ASSERT_EQ(jint(e, "result"), 0, "setresuid result");
	}
	e = find_priv(ev, n, "setuid", pid, "setuid", 0);
	if (ASSERT_NOT_NULL(e, "setuid event")) {
		/* What the kernel did (euid back to the saved 0), not what setuid(0) "asks". */
		assert_ids(e, "before", UIDS, (long long[]){ NOBODY, NOBODY, 0, NOBODY });
		assert_ids(e, "after", UIDS, (long long[]){ NOBODY, 0, 0, 0 });
		ASSERT_EQ(jint(e, "result"), 0, "setuid result");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

/* Become nobody for good, then try to get root back. */
static int nobody_tries_root(void)
{
	if (syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY) ||
	    syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY))
		return 1;
	if (syscall(SYS_setuid, 0) != -1 || errno != EPERM)
		return 2;
	if (syscall(SYS_setfsuid, 0) != NOBODY) /* returns the old fsuid, changes nothing */
		return 3;
	return 0;
}

TEST(failed_setuid_as_nobody_reports_eperm_and_unchanged_creds)
{
	static const long long nobody[4] = { NOBODY, NOBODY, NOBODY, NOBODY };
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !start(&v))
		return;
	pid = run_child(nobody_tries_root);
	ASSERT_EQ(wait_code(pid), 0, "child ran as nobody and failed to get root");
	ev = vigil_stop_and_load(&v, &n);

	e = find_priv(ev, n, "setgid", pid, "setresgid", 0);
	if (ASSERT_NOT_NULL(e, "setresgid event"))
		assert_ids(e, "after", GIDS, nobody);
	e = find_priv(ev, n, "setuid", pid, "setuid", 0);
	if (ASSERT_NOT_NULL(e, "failed setuid event")) {
		ASSERT_EQ(jint(e, "result"), -EPERM, "setuid result is -EPERM");
		assert_ids(e, "before", UIDS, nobody);
		assert_ids(e, "after", UIDS, nobody);
	}
	e = find_priv(ev, n, "setuid", pid, "setfsuid", 0);
	if (ASSERT_NOT_NULL(e, "setfsuid event")) {
		ASSERT_EQ(jint(e, "result"), NOBODY, "setfsuid returns the previous fsuid");
		assert_ids(e, "after", UIDS, nobody);
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

static long long hexmask(struct json_object *e, const char *path)
{
	const char *s = jstr(e, path);

	return s ? (long long)strtoull(s, NULL, 16) : -1;
}

static int drop_net_raw(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return 1;
	if (!(data[0].effective & (1u << CAP_NET_RAW)))
		return 2;
	data[0].effective &= ~(1u << CAP_NET_RAW);
	data[0].permitted &= ~(1u << CAP_NET_RAW);
	return syscall(SYS_capset, &hdr, data) ? 3 : 0;
}

TEST(capset_dropping_cap_net_raw)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	long long bit = 1ll << CAP_NET_RAW;
	size_t n = 0;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !start(&v))
		return;
	pid = run_child(drop_net_raw);
	ASSERT_EQ(wait_code(pid), 0, "child dropped CAP_NET_RAW");
	ev = vigil_stop_and_load(&v, &n);

	e = find_priv(ev, n, "capset", pid, "capset", 0);
	if (ASSERT_NOT_NULL(e, "capset event")) {
		long long eff_before = hexmask(e, "cred.before.effective");

		ASSERT_EQ(jint(e, "result"), 0, "capset result");
		ASSERT_TRUE(eff_before & bit, "CAP_NET_RAW effective before");
		ASSERT_TRUE(hexmask(e, "cred.before.permitted") & bit,
			    "CAP_NET_RAW permitted before");
		ASSERT_EQ(hexmask(e, "cred.after.effective"), eff_before & ~bit,
			  "only CAP_NET_RAW left the effective set");
		ASSERT_EQ(hexmask(e, "cred.after.permitted"),
			  hexmask(e, "cred.before.permitted") & ~bit,
			  "only CAP_NET_RAW left the permitted set");
		ASSERT_EQ(hexmask(e, "cred.after.inheritable"),
			  hexmask(e, "cred.before.inheritable"), "inheritable unchanged");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

/* Leave the network namespace for a new one, then come back through an fd kept of the old one. */
static int netns_round_trip(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY);

	if (fd < 0 || unshare(CLONE_NEWNET))
		return 1;
	return setns(fd, CLONE_NEWNET) ? 2 : 0;
}

/* A JSON value as compact text, "" for none. */
static const char *plain(struct json_object *e, const char *path)
{
	struct json_object *o = jget(e, path);

	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "";
}

TEST(unshare_and_setns_back_into_the_host_namespace)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !start(&v))
		return;
	pid = run_child(netns_round_trip);
	ASSERT_EQ(wait_code(pid), 0, "child left its network namespace and came back");
	ev = vigil_stop_and_load(&v, &n);

	e = find_priv(ev, n, "unshare", pid, "unshare", 0);
	if (ASSERT_NOT_NULL(e, "unshare event")) {
		ASSERT_EQ(jint(e, "result"), 0, "unshare result");
		ASSERT_EQ(jint(e, "namespace.flags"), CLONE_NEWNET, "unshare flags");
		ASSERT_STREQ(plain(e, "namespace.changed"), "[\"net\"]", "unshare: net changed");
		ASSERT_STREQ(plain(e, "namespace.into_host"), "[]", "unshare: into no host's");
		ASSERT_TRUE(jint(e, "namespace.before.net") != jint(e, "namespace.after.net"),
			    "unshare: the net inode differs");
		ASSERT_EQ(jint(e, "namespace.before.mnt"), jint(e, "namespace.after.mnt"),
			  "unshare: the mount namespace stays");
	}
	/* the test runs in the host's network namespace: coming back is entering the host's */
	e = find_priv(ev, n, "setns", pid, "setns", 0);
	if (ASSERT_NOT_NULL(e, "setns event")) {
		ASSERT_EQ(jint(e, "result"), 0, "setns result");
		ASSERT_STREQ(plain(e, "namespace.changed"), "[\"net\"]", "setns: net changed");
		ASSERT_STREQ(plain(e, "namespace.into_host"), "[\"net\"]",
			     "setns: into the host's net namespace");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}
