// SPDX-License-Identifier: GPL-2.0
/*
 * Enforcement that survives a crash of the agent: pinned under $VIGIL_BPF_ROOT/enforce, still
 * refusing with no agent, adopted by the next `vigil run`, removed by a clean stop or by
 * `vigil unload`. Connect deny here (cgroup hooks); BPF LSM exec deny in the VM suite.
 */
#include "harness.h"
#include "sockets.h"
#include "testlib.h"
#include "core/mounts.h"
#include "core/probe.h"

#include <bpf/bpf.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* <pin root>/enforce[/what], in the root of this test's own that vigil_start sets */
static const char *enforce_path(const char *what)
{
	static char path[PATH_MAX];

	if (!getenv("VIGIL_BPF_ROOT")) {
		snprintf(path, sizeof(path), "/sys/fs/bpf/vigil-test-%d", (int)getpid());
		setenv("VIGIL_BPF_ROOT", path, 1);
	}
	snprintf(path, sizeof(path), "%s/enforce%s%s", getenv("VIGIL_BPF_ROOT"), what ? "/" : "",
		 what ? what : "");
	return path;
}

static bool exists(const char *path)
{
	return !access(path, F_OK);
}

/*
 * A policy named pin-test: connects to 127.0.0.1:@port are refused. In a temporary file, or in
 * @path when it is set.
 */
static bool write_connect_policy(char *path, int port)
{
	FILE *f;
	int fd;

	if (path[0]) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	} else {
		strcpy(path, "/tmp/vigil-pin-XXXXXX.yaml");
		fd = mkstemps(path, 5);
	}
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return false;
	fprintf(f,
		"policy: pin-test\nmode: enforce\nrules:\n"
		"  - id: no-port\n    description: no connections to the test port\n"
		"    severity: high\n    on: connect\n    action: deny\n    match:\n"
		"      net.daddr: 127.0.0.0/8\n      net.dport: %d\n",
		port);
	return !fclose(f);
}

/*
 * @path: NAME.yaml in this test's policy directory (made), where `vigil policy apply` of a
 * policy NAME writes: an agent started with it has its next version applied over it.
 */
static bool in_policy_dir(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s.yaml", vigil_policy_dir(), name);
	return ASSERT_OK(mkdir(vigil_policy_dir(), 0700) && errno != EEXIST ? -errno : 0,
			 "the policy directory");
}

/* `vigil <args>`, its output in @out: its exit code, or -1. */
static int vigil_cmd(const char *args, char *out, size_t len)
{
	return shf_out(out, len, "%s %s", vigil_bin(), args);
}

/*
 * A child that tries @try(@arg) again and again until stopped, counting the tries and those
 * that went through (@try returned 0): across a crash and a restart, none may.
 */
struct hammer {
	pid_t pid;
	int fd; /* its counts */
};

static volatile sig_atomic_t hammer_stop;

static void on_hammer_stop(int sig)
{
	(void)sig;
	hammer_stop = 1;
}

static bool hammer_start(struct hammer *h, int (*try)(const void *arg), const void *arg)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return false;
	h->pid = fork();
	if (h->pid == 0) {
		long counts[2] = { 0, 0 };

		signal(SIGTERM, on_hammer_stop);
		while (!hammer_stop) {
			counts[0]++;
			counts[1] += !try(arg);
		}
		_exit(write(p[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
	}
	close(p[1]);
	h->fd = p[0];
	return h->pid > 0;
}

/* Stop it: 0 and its counts, or -1. */
static int hammer_stop_count(struct hammer *h, long *tries, long *through)
{
	long counts[2];
	int ok;

	kill(h->pid, SIGTERM);
	ok = read(h->fd, counts, sizeof(counts)) == sizeof(counts);
	waitpid(h->pid, NULL, 0);
	close(h->fd);
	if (!ok)
		return -1;
	*tries = counts[0];
	*through = counts[1];
	return 0;
}

static int try_connect(const void *srv)
{
	return connect_to(srv, AF_INET);
}

/* Not tamper-protected: where BPF LSM works the guard refuses the SIGKILL that plays a crash. */
static bool start_run(struct vigil_child *v, const char *policy)
{
	return vigil_start_checked(v, (const char *[]){ "run", "--no-default-rules", "--no-guard",
							"--policy", policy, NULL });
}

/*
 * Stop the connecting child once the new agent has started (@started, false: it did not): the
 * agent adopted the pinned hooks, and of the many connects tried @when, none went through.
 */
static bool adopted_with_no_gap(struct vigil_child *v, struct hammer *h, const struct server *a,
				bool started, const char *when)
{
	long tries = 0, through = -1;

	ASSERT_OK(hammer_stop_count(h, &tries, &through), "the child's counts");
	if (!started)
		return false;
	ASSERT_TRUE(strstr(v->err, "adopted the connect deny hooks") != NULL,
		    "the new agent says it adopted the pins");
	printf("  %ld connects tried %s\n", tries, when);
	ASSERT_GE(tries, 1, "connects tried");
	ASSERT_EQ(through, 0, "connects that went through meanwhile");
	ASSERT_FALSE(accepted(a), "none reached the server");
	return true;
}

TEST(connect_deny_survives_a_crash_is_adopted_and_unloaded)
{
	struct server a = { .fd = -1 }, b = { .fd = -1 };
	char policy[PATH_MAX] = "", applied[64] = "", cmd[128], out[4096];
	struct vigil_child v;
	struct hammer h = { .pid = -1, .fd = -1 };

	if (SKIP_UNLESS_ROOT() || !listen_on(&a, AF_INET, 0) || !listen_on(&b, AF_INET, 0) ||
	    !in_policy_dir(policy, sizeof(policy), "pin-test") ||
	    !write_connect_policy(policy, a.port) || !write_connect_policy(applied, b.port))
		goto out;
	if (!start_run(&v, policy))
		goto out;
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "the agent refuses the denied port");
	ASSERT_TRUE(exists(enforce_path("netdeny/connect4")), "and has pinned its hooks");

	ASSERT_OK(vigil_kill(&v), "SIGKILL, as a crash");
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "killed, the denied port is still refused");
	ASSERT_FALSE(accepted(&a), "no connection reached it");
	ASSERT_EQ(connect_to(&b, AF_INET), 0, "another port works");
	ASSERT_TRUE(accepted(&b), "and its server got the connection");

	/* connects all through the new agent's start: not one gets through */
	if (!ASSERT_TRUE(hammer_start(&h, try_connect, &a), "a child connecting in a loop"))
		goto out;
	if (!adopted_with_no_gap(&v, &h, &a, start_run(&v, policy), "while the new agent started"))
		goto out;
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "adopted, still refused");

	/* the same policy name, another port: the adopted maps follow the agent */
	snprintf(cmd, sizeof(cmd), "policy apply %s", applied);
	if (!ASSERT_EQ(vigil_cmd(cmd, out, sizeof(out)), 0, "vigil policy apply"))
		printf("%s\n%s", out, v.err);
	ASSERT_EQ(connect_to(&a, AF_INET), 0, "after apply, the old port works");
	ASSERT_TRUE(accepted(&a), "and its server got the connection");
	ASSERT_EQ(connect_to(&b, AF_INET), EPERM, "and the newly denied one is refused");

	ASSERT_OK(vigil_kill(&v), "SIGKILL, as a crash");
	ASSERT_EQ(connect_to(&b, AF_INET), EPERM, "killed again, the applied policy stays");
	ASSERT_EQ(connect_to(&a, AF_INET), 0, "and the old port still works");
	ASSERT_TRUE(accepted(&a), "its server got the connection");

	ASSERT_EQ(vigil_cmd("unload", out, sizeof(out)), 0, "vigil unload exits 0");
	ASSERT_TRUE(strstr(out, "connect deny hooks") && strstr(out, "2 links detached"),
		    "and says what it removed");
	ASSERT_EQ(connect_to(&b, AF_INET), 0, "unloaded, the port works again");
	ASSERT_TRUE(accepted(&b), "its server got the connection");
	ASSERT_FALSE(exists(enforce_path(NULL)), "the enforce pins are gone");
	ASSERT_EQ(vigil_cmd("unload", out, sizeof(out)), 0, "unload again exits 0");
	ASSERT_TRUE(strstr(out, "nothing to remove") != NULL, "with nothing to do");
	ASSERT_EQ(vigil_cmd("unload --json", out, sizeof(out)), 0, "and with --json");
	harness_check(strstr(out, "\"removed\":[]") != NULL, __FILE__, __LINE__,
		      "an empty list: %s", out);
	vigil_cleanup(&v);
out:
	vigil_unload_test_pins();
	if (policy[0])
		unlink(policy);
	if (applied[0])
		unlink(applied);
	if (a.fd >= 0)
		close(a.fd);
	if (b.fd >= 0)
		close(b.fd);
}

TEST(pins_of_another_layout_are_replaced_not_adopted)
{
	struct server a = { .fd = -1 };
	struct hammer h = { .pid = -1, .fd = -1 };
	long tries = 0, through = -1;
	char policy[64] = "", path[PATH_MAX];
	struct vigil_child v;
	int fd, status;
	bool ok;

	if (SKIP_UNLESS_ROOT() || !listen_on(&a, AF_INET, 0) ||
	    !write_connect_policy(policy, a.port))
		goto out;
	if (!start_run(&v, policy))
		goto out;
	ASSERT_OK(vigil_kill(&v), "SIGKILL, as a crash");
	/* another vigil's map under the same name: its keys are not ours */
	snprintf(path, sizeof(path), "%s", enforce_path("netdeny/net_deny"));
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "net_deny", 4, 4, 1, NULL);
	if (!ASSERT_TRUE(fd >= 0 && !unlink(path) && !bpf_obj_pin(fd, path),
			 "a map of another layout pinned in its place"))
		goto out;
	close(fd);
	if (!ASSERT_TRUE(hammer_start(&h, try_connect, &a), "a child connecting in a loop"))
		goto out;
	ok = start_run(&v, policy);
	ASSERT_OK(hammer_stop_count(&h, &tries, &through), "the child's counts");
	if (!ok)
		goto out;
	ASSERT_TRUE(strstr(v.err, "cannot adopt the connect deny hooks") &&
			    !strstr(v.err, "adopted the connect deny hooks"),
		    "the new agent says it replaces them");
	ASSERT_GE(tries, 1, "connects tried while the agent started");
	ASSERT_EQ(through, 0, "connects that went through meanwhile");
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "refused by the new hooks");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status), "SIGTERM: exit 0");
	ASSERT_FALSE(exists(enforce_path(NULL)), "no pins left, old or new");
	ASSERT_EQ(connect_to(&a, AF_INET), 0, "and nothing refused: the old hooks went too");
	ASSERT_TRUE(accepted(&a), "the server got the connection");
	vigil_cleanup(&v);
out:
	vigil_unload_test_pins();
	if (policy[0])
		unlink(policy);
	if (a.fd >= 0)
		close(a.fd);
}

TEST(a_clean_stop_removes_the_pins)
{
	struct server a = { .fd = -1 };
	char policy[64] = "";
	struct vigil_child v;
	int status;

	if (SKIP_UNLESS_ROOT() || !listen_on(&a, AF_INET, 0) ||
	    !write_connect_policy(policy, a.port))
		goto out;
	if (!start_run(&v, policy))
		goto out;
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "refused while the agent runs");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status), "SIGTERM: exit 0");
	ASSERT_FALSE(exists(enforce_path(NULL)), "no pins left");
	ASSERT_EQ(connect_to(&a, AF_INET), 0, "and nothing refused");
	ASSERT_TRUE(accepted(&a), "the server got the connection");
	vigil_cleanup(&v);
out:
	vigil_unload_test_pins();
	if (policy[0])
		unlink(policy);
	if (a.fd >= 0)
		close(a.fd);
}

/*
 * Another user made the pin root first (a world-writable bpffs lets anyone): the agent refuses to
 * pin into it and says so, still enforces while it runs, and leaves nothing there. A root-owned
 * root that others may write is repaired to 0700 and used.
 */
TEST(pin_directories_of_another_user_are_refused)
{
	struct server a = { .fd = -1 };
	char policy[64] = "", root[PATH_MAX] = "";
	struct vigil_child v;
	struct stat st;

	if (SKIP_UNLESS_ROOT() || !ASSERT_OK(bpffs_ensure(), "a bpf filesystem") ||
	    !listen_on(&a, AF_INET, 0) || !write_connect_policy(policy, a.port))
		goto out;
	snprintf(root, sizeof(root), "%s", enforce_path(NULL));
	*strrchr(root, '/') = '\0'; /* the pin root itself */
	if (!ASSERT_OK(mkdir(root, 0777) ? -errno : chown(root, 65534, 65534),
		       "nobody's pin root") ||
	    !start_run(&v, policy))
		goto out;
	ASSERT_TRUE(strstr(v.err, "refusing to pin into") && strstr(v.err, "another user owns it"),
		    "the agent says why it does not pin");
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "it still refuses while it runs");
	ASSERT_FALSE(exists(enforce_path(NULL)), "nothing pinned in nobody's directory");
	ASSERT_OK(vigil_kill(&v), "SIGKILL");
	vigil_cleanup(&v);
	ASSERT_OK(rmdir(root) ? -errno : 0, "nobody's directory left as it was, empty");

	/* root's, but writable by all: repaired, then used */
	if (!ASSERT_OK(mkdir(root, 0777) ? -errno : chmod(root, 0777), "a 0777 pin root") ||
	    !start_run(&v, policy))
		goto out;
	ASSERT_TRUE(strstr(v.err, "was writable by others: made it 0700") != NULL,
		    "the agent says it repaired it");
	ASSERT_TRUE(!stat(root, &st) && (st.st_mode & 0777) == 0700, "the root is 0700 now");
	ASSERT_TRUE(exists(enforce_path("netdeny/connect4")), "and holds the pins");
	vigil_stop(&v);
	vigil_cleanup(&v);
out:
	vigil_unload_test_pins();
	if (root[0])
		rmdir(root);
	if (policy[0])
		unlink(policy);
	if (a.fd >= 0)
		close(a.fd);
}

/* With --keep-enforcement, as the systemd unit runs it (unguarded, as the others here). */
static bool start_kept(struct vigil_child *v, const char *policy)
{
	return vigil_start_checked(v, (const char *[]){ "run", "--no-default-rules", "--no-guard",
							"--keep-enforcement", "--policy", policy,
							NULL });
}

/* systemctl restart: SIGTERM, then a new start; --keep-enforcement leaves no gap between. */
TEST(keep_enforcement_a_restart_leaves_no_gap)
{
	struct hammer h = { .pid = -1, .fd = -1 };
	struct server a = { .fd = -1 };
	char policy[64] = "", out[4096];
	struct vigil_child v;
	int status;

	if (SKIP_UNLESS_ROOT() || !listen_on(&a, AF_INET, 0) ||
	    !write_connect_policy(policy, a.port))
		goto out;
	if (!start_kept(&v, policy))
		goto out;
	if (!ASSERT_TRUE(hammer_start(&h, try_connect, &a), "a child connecting in a loop"))
		goto out;
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status), "SIGTERM: exit 0");
	ASSERT_TRUE(strstr(v.err, "stay in force") != NULL, "it says the hooks stay");
	ASSERT_TRUE(exists(enforce_path("netdeny/connect4")), "the hooks are still pinned");
	if (!adopted_with_no_gap(&v, &h, &a, start_kept(&v, policy),
				 "across the stop and the start"))
		goto out;

	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status), "SIGTERM: exit 0");
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "stopped, the port is still refused");
	ASSERT_EQ(vigil_cmd("unload", out, sizeof(out)), 0, "vigil unload exits 0");
	ASSERT_FALSE(exists(enforce_path(NULL)), "the enforce pins are gone");
	ASSERT_EQ(connect_to(&a, AF_INET), 0, "unloaded, the port works");
	ASSERT_TRUE(accepted(&a), "the server got the connection");
	vigil_cleanup(&v);
out:
	vigil_unload_test_pins();
	if (policy[0])
		unlink(policy);
	if (a.fd >= 0)
		close(a.fd);
}

TEST(unload_refuses_while_an_agent_runs_unless_forced)
{
	struct server a = { .fd = -1 };
	char policy[64] = "", out[4096];
	struct vigil_child v;
	int status;

	if (SKIP_UNLESS_ROOT() || !listen_on(&a, AF_INET, 0) ||
	    !write_connect_policy(policy, a.port))
		goto out;
	if (!start_run(&v, policy))
		goto out;
	ASSERT_EQ(vigil_cmd("unload", out, sizeof(out)), 1, "unload refuses");
	harness_check(strstr(out, "an agent is running") != NULL, __FILE__, __LINE__,
		      "and says why: %s", out);
	ASSERT_EQ(connect_to(&a, AF_INET), EPERM, "enforcement is untouched");
	ASSERT_EQ(vigil_cmd("unload --force --json", out, sizeof(out)), 0, "--force unloads");
	harness_check(strstr(out, "\"name\":\"netdeny\"") && strstr(out, "\"links\":2"), __FILE__,
		      __LINE__, "JSON names what it removed: %s", out);
	ASSERT_FALSE(exists(enforce_path(NULL)), "the pins are gone under the running agent");
	/* a connect now would meet the agent's fallback (a kill): test it with no agent */
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status),
		    "the agent stops cleanly, its pins gone already");
	ASSERT_EQ(connect_to(&a, AF_INET), 0, "the port works");
	ASSERT_TRUE(accepted(&a), "the server got the connection");
	vigil_cleanup(&v);
out:
	vigil_unload_test_pins();
	if (policy[0])
		unlink(policy);
	if (a.fd >= 0)
		close(a.fd);
}

TEST(a_sandbox_never_pins)
{
	char policy[64] = "", cmd[1024];
	struct server a = { .fd = -1 };

	if (SKIP_UNLESS_ROOT() || !listen_on(&a, AF_INET, 0) ||
	    !write_connect_policy(policy, a.port))
		goto out;
	/* the sandbox's command looks for pins while the sandbox enforces */
	snprintf(cmd, sizeof(cmd),
		 "%s sandbox --policy %s -o /dev/null -- /bin/sh -c 'test ! -e %s' 2>/dev/null",
		 vigil_bin(), policy, enforce_path(NULL));
	ASSERT_EQ(shf("%s", cmd), 0, "no pins while the sandbox runs");
	ASSERT_FALSE(exists(enforce_path(NULL)), "nor after");
out:
	if (policy[0])
		unlink(policy);
	if (a.fd >= 0)
		close(a.fd);
}

/* A policy named pin-lsm: exec of @dir/bin/@name is refused. */
static bool write_exec_policy(const char *path, const char *dir, const char *name)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fprintf(f,
		"policy: pin-lsm\nmode: enforce\nrules:\n"
		"  - id: no-binary\n    description: the test binary does not run\n"
		"    severity: high\n    on: exec\n    action: deny\n    match:\n"
		"      process.exe: %s/bin/%s\n",
		dir, name);
	return !fclose(f);
}

static int try_exec(const void *path)
{
	return exec_errno(path);
}

/* Is the program of the link @fd still loaded? */
static bool link_attached(int fd)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	int prog;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.prog_id)
		return false;
	prog = bpf_prog_get_fd_by_id(info.prog_id);
	if (prog < 0)
		return false;
	close(prog);
	return true;
}

TEST(lsm_exec_deny_survives_a_crash_is_adopted_and_unloaded)
{
	char dir[64] = "/tmp/vigil-pin-lsm-XXXXXX", policy[PATH_MAX], applied[128];
	char first[128], second[128], cmd[256], out[4096];
	struct hammer h = { .pid = -1, .fd = -1 };
	long tries = 0, through = -1;
	struct vigil_child v;
	int held = -1;
	bool ok;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!probe_has(FEAT_BPF_LSM)) {
		SKIP("no BPF LSM on this kernel (the VM suite runs this)");
		return;
	}
	if (!mkdtemp(dir))
		return;
	snprintf(applied, sizeof(applied), "%s/applied.yaml", dir);
	if (!in_policy_dir(policy, sizeof(policy), "pin-lsm"))
		goto out;
	snprintf(first, sizeof(first), "%s/bin/first", dir);
	snprintf(second, sizeof(second), "%s/bin/second", dir);
	if (!ASSERT_OK(
		    shf("mkdir %s/bin && cp /bin/true %s && cp /bin/true %s", dir, first, second),
		    "test binaries") ||
	    !write_exec_policy(policy, dir, "first") || !write_exec_policy(applied, dir, "second"))
		goto out;
	if (!start_run(&v, policy))
		goto out;
	ASSERT_TRUE(!strstr(v.err, "kill instead"), "the agent runs its BPF LSM programs");
	ASSERT_EQ(exec_errno(first), EPERM, "the agent refuses the denied binary");
	ASSERT_TRUE(exists(enforce_path("lsm/deny_exec")), "and has pinned its programs");

	ASSERT_OK(vigil_kill(&v), "SIGKILL, as a crash");
	ASSERT_EQ(exec_errno(first), EPERM, "killed, the binary is still refused");
	ASSERT_EQ(exec_errno(second), 0, "another one runs");

	/* execs all through the new agent's start: not one runs */
	if (!ASSERT_TRUE(hammer_start(&h, try_exec, first), "a child running it in a loop"))
		goto out;
	ok = start_run(&v, policy);
	ASSERT_OK(hammer_stop_count(&h, &tries, &through), "the child's counts");
	if (!ok)
		goto out;
	ASSERT_TRUE(strstr(v.err, "adopted the BPF LSM deny programs") != NULL,
		    "the new agent says it adopted the pins");
	printf("  %ld execs tried while the new agent started\n", tries);
	ASSERT_GE(tries, 1, "execs tried while the agent started");
	ASSERT_EQ(through, 0, "execs that ran meanwhile");
	ASSERT_EQ(exec_errno(first), EPERM, "adopted, still refused");

	snprintf(cmd, sizeof(cmd), "policy apply %s", applied);
	ASSERT_EQ(vigil_cmd(cmd, out, sizeof(out)), 0, "vigil policy apply");
	ASSERT_EQ(exec_errno(first), 0, "after apply, the first binary runs");
	ASSERT_EQ(exec_errno(second), EPERM, "and the newly denied one is refused");

	ASSERT_OK(vigil_kill(&v), "SIGKILL, as a crash");
	ASSERT_EQ(exec_errno(second), EPERM, "killed again, the applied policy stays");
	ASSERT_EQ(exec_errno(first), 0, "and the first binary still runs");

	/*
	 * The kernel cannot detach an LSM link: it goes with its last reference, from a work
	 * queue once the pin is gone (seconds later on 6.12), or when a process holding it
	 * closes it: here the test holds one, so that its program is still attached after unload.
	 */
	held = bpf_obj_get(enforce_path("lsm/deny_exec"));
	ASSERT_TRUE(held >= 0, "the test holds the pinned exec deny link");
	ASSERT_EQ(vigil_cmd("unload", out, sizeof(out)), 0, "vigil unload exits 0");
	ASSERT_TRUE(strstr(out, "BPF LSM deny programs") != NULL, "and says what it removed");
	ASSERT_TRUE(link_attached(held), "the held link's program is still attached");
	ASSERT_EQ(exec_errno(second), 0, "unloaded, the binary runs");
	ASSERT_FALSE(exists(enforce_path(NULL)), "the enforce pins are gone");
	ASSERT_EQ(vigil_cmd("unload", out, sizeof(out)), 0, "unload again exits 0");
	ASSERT_TRUE(strstr(out, "nothing to remove") != NULL, "with nothing to do");
	vigil_cleanup(&v);
out:
	if (held >= 0)
		close(held);
	vigil_unload_test_pins();
	vigil_clear_policy_dir();
	shf("rm -rf %s", dir);
}

/* A clean stop ends the refusals at once, also of an LSM program that outlives the agent. */
TEST(lsm_exec_deny_ends_with_a_clean_stop_while_another_process_holds_it)
{
	char dir[64] = "/tmp/vigil-pin-lsm-XXXXXX", policy[PATH_MAX], binary[128];
	struct vigil_child v;
	int held = -1, status;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!probe_has(FEAT_BPF_LSM)) {
		SKIP("no BPF LSM on this kernel (the VM suite runs this)");
		return;
	}
	if (!mkdtemp(dir))
		return;
	snprintf(binary, sizeof(binary), "%s/bin/first", dir);
	if (!in_policy_dir(policy, sizeof(policy), "pin-lsm") ||
	    !ASSERT_OK(shf("mkdir %s/bin && cp /bin/true %s", dir, binary), "test binary") ||
	    !write_exec_policy(policy, dir, "first") || !start_run(&v, policy))
		goto out;
	ASSERT_EQ(exec_errno(binary), EPERM, "the agent refuses the denied binary");
	held = bpf_obj_get(enforce_path("lsm/deny_exec"));
	ASSERT_TRUE(held >= 0, "the test holds the pinned exec deny link");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status), "a clean stop");
	ASSERT_TRUE(link_attached(held), "the held link's program is still attached");
	ASSERT_EQ(exec_errno(binary), 0, "stopped, the binary runs");
	ASSERT_FALSE(exists(enforce_path(NULL)), "the enforce pins are gone");
	vigil_cleanup(&v);
out:
	if (held >= 0)
		close(held);
	vigil_unload_test_pins();
	vigil_clear_policy_dir();
	shf("rm -rf %s", dir);
}
