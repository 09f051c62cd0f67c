// SPDX-License-Identifier: GPL-2.0
/*
 * Enforcement that works on this host: connect deny rules refused by the kernel's cgroup
 * hooks (EPERM, no connection made), open and exec kills carried out by the kernel before the
 * process can act (host-wide, or in a sandbox's cgroup only), and kills from user space
 * reported as what they are. BPF LSM denial is proven in the VM suite.
 */
#include "harness.h"
#include "sockets.h"
#include "testlib.h"
#include "core/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static bool write_policy(char *path, const char *mode, int port, const char *v6)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/vigil-enforce-XXXXXX.yaml");
	fd = mkstemps(path, 5);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return false;
	fprintf(f,
		"policy: enforce-test\nmode: %s\nrules:\n"
		"  - id: no-port\n    description: no connections to the test port\n"
		"    severity: high\n    on: connect\n    action: deny\n    match:\n"
		"      net.daddr: [127.0.0.0/8%s%s]\n      net.dport: %d\n",
		mode, v6 ? ", " : "", v6 ? v6 : "", port);
	fclose(f);
	return true;
}

static struct json_object *find_connect(struct json_object **ev, size_t n, int port)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(jstr(ev[i], "type"), "connect") && jint(ev[i], "net.dport") == port)
			return ev[i];
	return NULL;
}

static void connect_rule(const char *mode)
{
	bool enforce = !strcmp(mode, "enforce");
	struct server denied, other, denied6 = { .fd = -1 };
	struct json_object **ev, *e;
	struct vigil_child v;
	char policy[64];
	size_t n = 0;
	bool v6;

	if (SKIP_UNLESS_ROOT() || !listen_on(&denied, AF_INET, 0) || !listen_on(&other, AF_INET, 0))
		return;
	/* ::1 on the same port: one rule names both families (left out without IPv6) */
	v6 = listen_on(&denied6, AF_INET6, denied.port);
	if (!write_policy(policy, mode, denied.port, v6 ? "\"::1/128\"" : NULL))
		return;
	if (!vigil_start_checked(
		    &v, (const char *[]){ "run", "--no-default-rules", "--policy", policy, NULL }))
		goto out;
	ASSERT_EQ(connect_to(&denied, AF_INET), enforce ? EPERM : 0, "connect to the denied port");
	ASSERT_EQ(accepted(&denied), !enforce, "a connection reached the denied server");
	if (v6) {
		ASSERT_EQ(connect_to(&denied6, AF_INET6), enforce ? EPERM : 0,
			  "the same over IPv6");
		ASSERT_EQ(accepted(&denied6), !enforce, "a connection reached the IPv6 server");
	}
	ASSERT_EQ(connect_to(&other, AF_INET), 0, "connect to another port works");
	ASSERT_TRUE(accepted(&other), "the other server got its connection");
	ev = vigil_stop_and_load(&v, &n);
	e = find_connect(ev, n, denied.port);
	ASSERT_NOT_NULL(e, "the denied connect is reported");
	if (e) {
		ASSERT_STREQ(jstr(e, "rule.id"), "no-port", "with its rule");
		ASSERT_STREQ(jstr(e, "action"), enforce ? "denied" : "would_deny",
			     "and the outcome");
		ASSERT_EQ(jint(e, "result"), enforce ? -EPERM : 0, "the syscall's result");
	}
	ASSERT_TRUE(!find_connect(ev, n, other.port), "the allowed connect matched no rule");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	unlink(policy);
	close(denied.fd);
	close(other.fd);
	if (denied6.fd >= 0)
		close(denied6.fd);
}

TEST(connect_deny_rule_is_refused_by_the_kernel)
{
	connect_rule("enforce");
}

TEST(connect_deny_rule_in_audit_mode_only_reports)
{
	connect_rule("audit");
}

TEST(open_kill_rule_kills_before_the_open_returns)
{
	char dir[] = "/tmp/vigil-kill-XXXXXX", secret[96], other[96], policy[128], cmd[512];
	struct json_object **ev;
	struct vigil_child v;
	size_t n = 0, kills = 0;
	FILE *f;
	int status;

	if (SKIP_UNLESS_ROOT() || !mkdtemp(dir))
		return;
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(policy, sizeof(policy), "%s/kill.yaml", dir);
	ASSERT_OK(shf("echo s3cret > %s && echo fine > %s", secret, other), "test files");
	f = fopen(policy, "w");
	if (!f)
		goto out;
	fprintf(f,
		"policy: kill-test\nmode: enforce\nrules:\n"
		"  - id: secret-kill\n    description: reading the secret kills\n"
		"    severity: critical\n    on: open\n    action: kill\n    match:\n"
		"      file.path: %s\n      file.access: read\n",
		secret);
	fclose(f);
	if (!vigil_start_checked(
		    &v, (const char *[]){ "run", "--no-default-rules", "--policy", policy, NULL }))
		goto out;
	/* the shell prints after cat only if cat survived: it must not */
	snprintf(cmd, sizeof(cmd), "exec 2>/dev/null; cat %s > %s/out; echo $? > %s/rc", secret,
		 dir, dir);
	status = sh(cmd);
	ASSERT_TRUE(WIFEXITED(status), "the shell itself lives");
	ASSERT_EQ(shf("test \"$(cat %s/rc)\" = 137", dir), 0, "cat died of SIGKILL (128 + 9)");
	ASSERT_EQ(shf("test ! -s %s/out", dir), 0, "cat wrote nothing of the secret");
	ASSERT_EQ(shf("cat %s > /dev/null", other), 0, "another file in the directory reads");
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(jstr(ev[i], "type"), "open") && jstr(ev[i], "action") &&
		    !strcmp(jstr(ev[i], "action"), "killed"))
			kills++;
	ASSERT_EQ(kills, 1, "one open reported killed");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	shf("rm -rf %s", dir);
}

/*
 * A kill rule on a directory holds for files deeper than the kernel's walk (32 levels) and than
 * it resolves paths (128): the walk cannot rule the directory out, so it kills (fail closed).
 */
TEST(a_directory_kill_rule_holds_below_the_kernel_walk)
{
	static const int depths[] = { 40, 130 };
	char dir[] = "/tmp/vigil-kill-XXXXXX", policy[128], cmd[768];
	struct vigil_child v;
	FILE *f;

	if (SKIP_UNLESS_ROOT() || !mkdtemp(dir))
		return;
	snprintf(policy, sizeof(policy), "%s/kill.yaml", dir);
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++)
		ASSERT_OK(shf("d=%s/p%d; for i in $(seq %d); do d=$d/a; done; mkdir -p $d && "
			      "echo s3cret > $d/secret",
			      dir, depths[i], depths[i]),
			  "a secret deep below");
	f = fopen(policy, "w");
	if (!f)
		goto out;
	fprintf(f,
		"policy: kill-deep\nmode: enforce\nrules:\n"
		"  - id: protected-kill\n    description: reading beneath kills\n"
		"    severity: critical\n    on: open\n    action: kill\n    match:\n"
		"      file.path: [%s/p40/, %s/p130/]\n      file.access: read\n",
		dir, dir);
	fclose(f);
	if (!vigil_start_checked(
		    &v, (const char *[]){ "run", "--no-default-rules", "--policy", policy, NULL }))
		goto out;
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		snprintf(cmd, sizeof(cmd),
			 "exec 2>/dev/null; cd %s/p%d && for i in $(seq %d); do cd a; done && "
			 "{ cat secret > %s/out%d; echo $? > %s/rc%d; }",
			 dir, depths[i], depths[i], dir, depths[i], dir, depths[i]);
		sh(cmd);
		ASSERT_EQ(shf("test \"$(cat %s/rc%d)\" = 137", dir, depths[i]), 0,
			  "cat died of SIGKILL");
		ASSERT_EQ(shf("! grep -q s3cret %s/out%d", dir, depths[i]), 0,
			  "cat wrote nothing of the secret");
	}
	vigil_stop(&v);
	vigil_cleanup(&v);
out:
	shf("rm -rf %s", dir);
}

/* vigil sandbox: a connect deny rule holds for the command alone, through cgroup hooks on its
 * own cgroup; the same connect from outside, at the same time, goes through. */
TEST(sandbox_denies_connect_inside_its_cgroup_only)
{
	char dir[] = "/tmp/vigil-sandbox-XXXXXX", policy[96], out[96];
	struct json_object **ev;
	struct server srv;
	size_t n = 0, bad = 0;
	int rc;

	if (SKIP_UNLESS_ROOT() || !listen_on(&srv, AF_INET, 0) || !mkdtemp(dir))
		return;
	if (access("/bin/bash", X_OK)) {
		SKIP("no bash for /dev/tcp connects");
		goto out;
	}
	snprintf(out, sizeof(out), "%s/events.json", dir);
	if (!write_policy(policy, "enforce", srv.port, NULL))
		goto out;
	rc = shf("D=%s; %s sandbox --policy %s -f json -o %s -- bash -c "
		 "\"echo > /dev/tcp/127.0.0.1/%d; echo \\$? > $D/in; sleep 1; exit 3\" 2>/dev/null "
		 "& "
		 "for i in $(seq 100); do [ -s $D/in ] && break; sleep 0.1; done; "
		 "bash -c 'echo > /dev/tcp/127.0.0.1/%d'; echo $? > $D/outside; wait $!",
		 dir, vigil_bin(), policy, out, srv.port, srv.port);
	ASSERT_EQ(rc, 3, "vigil sandbox exits with the command's status");
	ASSERT_EQ(shf("test \"$(cat %s/in)\" = 1", dir), 0, "inside, the connect failed");
	ASSERT_EQ(shf("test \"$(cat %s/outside)\" = 0", dir), 0,
		  "outside, the same connect went through at the same time");
	ASSERT_TRUE(accepted(&srv), "the server got the outside connection");
	ASSERT_FALSE(accepted(&srv), "and only that one");
	ev = events_load(out, &n, &bad);
	ASSERT_NOT_NULL(ev, "the sandbox wrote valid JSON lines");
	ASSERT_NOT_NULL(find_connect(ev, n, srv.port), "the refused connect is reported");
	if (find_connect(ev, n, srv.port))
		ASSERT_STREQ(jstr(find_connect(ev, n, srv.port), "action"), "denied",
			     "as denied by the kernel");
	events_free(ev, n);
	ASSERT_NEQ(
		shf("ls -d /sys/fs/cgroup/vigil-sandbox-* /sys/fs/cgroup/unified/vigil-sandbox-* "
		    "2>/dev/null"),
		0, "the sandbox's cgroup is gone");
	unlink(policy);
out:
	close(srv.fd);
	shf("rm -rf %s", dir);
}

/*
 * vigil sandbox with in-kernel kills, as `vigil run` has them, for the sandbox's cgroup only.
 * The policy is @rule (YAML, one rule) in @dir/policy.yaml. The sandbox runs @dir/inside.sh once
 * @dir/go exists; meanwhile, outside the sandbox, @outside runs. Returns the sandbox's exit
 * code (the command's).
 */
static int sandbox_beside(const char *dir, const char *rule, const char *inside,
			  const char *outside)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "policy: sandbox-kill\nmode: enforce\nrules:\n%s", rule);
	fclose(f);
	snprintf(path, sizeof(path), "%s/inside.sh", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "touch $D/ready\nwhile [ ! -e $D/go ]; do sleep 0.05; done\n%s\n", inside);
	fclose(f);
	return shf("export D=%s; %s sandbox --policy $D/policy.yaml -f json -o $D/events.json "
		   "-- sh $D/inside.sh 2>$D/vigil.err & "
		   "for i in $(seq 600); do [ -e $D/ready ] && break; sleep 0.1; done; "
		   "%s; touch $D/go; wait $!",
		   dir, vigil_bin(), outside);
}

/* Events of @type whose action is @action (and whose file.path or process.exe is @path). */
static size_t count_action(struct json_object **ev, size_t n, const char *type, const char *action,
			   const char *path)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const char *a = jstr(ev[i], "action");
		const char *p = jstr(ev[i], !strcmp(type, "exec") ? "process.exe" : "file.path");

		count += !strcmp(jstr(ev[i], "type"), type) && a && !strcmp(a, action) &&
			 (!path || (p && !strcmp(p, path)));
	}
	return count;
}

static struct json_object **sandbox_events(const char *dir, size_t *n)
{
	char path[160];
	size_t bad = 0;
	struct json_object **ev;

	snprintf(path, sizeof(path), "%s/events.json", dir);
	ev = events_load(path, n, &bad);
	ASSERT_NOT_NULL(ev, "the sandbox wrote valid JSON lines");
	return ev;
}

/*
 * Where BPF LSM refuses exec and open denials, they are not kills: there, the same rule as a
 * kill rule takes the in-kernel kill path these tests are about.
 */
static const char *kill_action(void)
{
	return probe_has(FEAT_BPF_LSM) ? "kill" : "deny";
}

/* Ten tries inside: 9 in a loop whose exit statuses are kept, the last as the command itself. */
#define TEN_TRIES(cmd)                                                                             \
	"for i in 1 2 3 4 5 6 7 8 9; do " cmd " >> $D/out; echo $? >> $D/rcs; done\n"              \
	"exec " cmd " >> $D/out"

/*
 * The reported case: a sandbox's enforced deny on writes under a directory, on a host without
 * BPF LSM. The opener must die in the kernel before the open returns: nothing written, nothing
 * printed, every time; the same open from outside the sandbox, meanwhile, works.
 */
TEST(sandbox_kills_an_open_in_the_kernel_before_it_returns)
{
	char dir[] = "/tmp/vigil-sbopen-XXXXXX", rule[512], prot[64], outside[64];
	struct json_object **ev;
	size_t n = 0;
	int rc;

	if (SKIP_UNLESS_ROOT() || !mkdtemp(dir))
		return;
	snprintf(prot, sizeof(prot), "%s/prot/f", dir);
	snprintf(outside, sizeof(outside), "%s/prot/outside", dir);
	snprintf(rule, sizeof(rule),
		 "  - id: no-writes\n    description: nothing writes under prot\n"
		 "    severity: high\n    on: open\n    action: %s\n    match:\n"
		 "      file.path: %s/prot/\n      file.access: write\n",
		 kill_action(), dir);
	if (!ASSERT_OK(shf("mkdir %s/prot", dir), "test directory"))
		goto out;
	rc = sandbox_beside(
		dir, rule, TEN_TRIES("sh -c \"echo marker > $D/prot/f; echo alive\""),
		"sh -c \"echo outside > $D/prot/outside; echo alive\" > $D/outside_out; "
		"echo $? > $D/outside_rc");
	ASSERT_EQ(rc, 137, "the sandbox's command died of SIGKILL (128 + 9)");
	ASSERT_EQ(shf("test \"$(sort -u %s/rcs)\" = 137 && test $(wc -l < %s/rcs) = 9", dir, dir),
		  0, "so did each of the nine tries before it");
	ASSERT_EQ(shf("test ! -s %s/out", dir), 0, "\"alive\" was never printed");
	ASSERT_NEQ(shf("grep -q marker %s", prot), 0, "the marker never reached the file");
	ASSERT_EQ(shf("test \"$(cat %s/outside_rc)\" = 0 && test \"$(cat %s/outside_out)\" = alive",
		      dir, dir),
		  0, "outside the sandbox, at the same time, the same open was not killed");
	ASSERT_EQ(shf("test \"$(cat %s)\" = outside", outside), 0, "and its write is there");
	ev = sandbox_events(dir, &n);
	ASSERT_EQ(count_action(ev, n, "open", "killed", prot), 10,
		  "each of the ten opens is reported killed");
	ASSERT_EQ(count_action(ev, n, "open", "killed", outside), 0,
		  "the outside open is not reported killed");
	events_free(ev, n);
out:
	shf("rm -rf %s", dir);
}

/* The same for an exec denied in a sandbox: the new image never runs an instruction. */
TEST(sandbox_kills_an_exec_in_the_kernel_before_the_image_runs)
{
	char dir[] = "/tmp/vigil-sbexec-XXXXXX", rule[512], tool[64];
	struct json_object **ev;
	size_t n = 0;
	int rc;

	if (SKIP_UNLESS_ROOT() || !mkdtemp(dir))
		return;
	snprintf(tool, sizeof(tool), "%s/bin/tool", dir);
	snprintf(rule, sizeof(rule),
		 "  - id: no-tool\n    description: the copied tool does not run\n"
		 "    severity: high\n    on: exec\n    action: %s\n    match:\n"
		 "      process.exe: %s\n",
		 kill_action(), tool);
	/* a copy: its own inode, so that no other echo on the host is named */
	if (!ASSERT_OK(shf("mkdir %s/bin && cp /bin/echo %s", dir, tool), "test binary"))
		goto out;
	rc = sandbox_beside(dir, rule, TEN_TRIES("$D/bin/tool inside"),
			    "$D/bin/tool outside > $D/outside_out; echo $? > $D/outside_rc");
	ASSERT_EQ(rc, 137, "the sandbox's command died of SIGKILL (128 + 9)");
	ASSERT_EQ(shf("test \"$(sort -u %s/rcs)\" = 137 && test $(wc -l < %s/rcs) = 9", dir, dir),
		  0, "so did each of the nine tries before it");
	ASSERT_EQ(shf("test ! -s %s/out", dir), 0, "the tool never printed");
	ASSERT_EQ(
		shf("test \"$(cat %s/outside_rc)\" = 0 && test \"$(cat %s/outside_out)\" = outside",
		    dir, dir),
		0, "outside the sandbox, at the same time, the tool ran and printed");
	ev = sandbox_events(dir, &n);
	ASSERT_EQ(count_action(ev, n, "exec", "killed", tool), 10,
		  "each of the ten execs is reported killed");
	events_free(ev, n);
out:
	shf("rm -rf %s", dir);
}

/*
 * A rule the kernel cannot kill for (a glob: matched in user space) is carried out by a kill
 * from user space after the event: the open completed and the write happened. That is reported
 * as such, never as "killed".
 */
TEST(sandbox_kill_from_user_space_is_reported_killed_after)
{
	char dir[] = "/tmp/vigil-sbafter-XXXXXX", rule[512], file[64];
	struct json_object **ev;
	size_t n = 0;
	int rc;

	if (SKIP_UNLESS_ROOT() || !mkdtemp(dir))
		return;
	snprintf(file, sizeof(file), "%s/g/a.txt", dir);
	snprintf(rule, sizeof(rule),
		 "  - id: no-txt\n    description: no text files written under g\n"
		 "    severity: high\n    on: open\n    action: kill\n    match:\n"
		 "      file.path: \"%s/g/*.txt\"\n      file.access: write\n",
		 dir);
	if (!ASSERT_OK(shf("mkdir %s/g", dir), "test directory"))
		goto out;
	/* the shell opens the file itself, then waits to be killed */
	rc = sandbox_beside(dir, rule, "echo written > $D/g/a.txt; exec sleep 30", "true");
	ASSERT_EQ(rc, 137, "the command was killed");
	ASSERT_EQ(shf("test \"$(cat %s)\" = written", file), 0,
		  "after its write: the kill came after the operation");
	ev = sandbox_events(dir, &n);
	ASSERT_EQ(count_action(ev, n, "open", "killed_after", file), 1,
		  "the open is reported killed_after");
	ASSERT_EQ(count_action(ev, n, "open", "killed", NULL), 0, "nothing is reported killed");
	events_free(ev, n);
out:
	shf("rm -rf %s", dir);
}
