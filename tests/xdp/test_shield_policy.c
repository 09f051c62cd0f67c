// SPDX-License-Identifier: GPL-2.0
/*
 * The shield through the policy loader: `vigil policy check` on shield sections, and `vigil
 * run --policy` with a shield section on the server end of a veth pair, with real pings from
 * an allowed and a blocked source while the policy is edited, applied, broken and removed.
 * Everything is named with our pid and removed at exit, also when a test fails.
 */
#include "harness.h"
#include "http.h"
#include "testlib.h"
#include "veth.h"
#include "shield/shield.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct veth_pair vp = { .orig_ns = -1, .cli_ns = -1, .srv_ns = -1 };
static char dir[64]; /* policies and scratch files */
static char policy_dir[80];

static void cleanup(void)
{
	char err[SHIELD_ERR_LEN];

	if (vp.ns_cli[0]) {
		veth_pair_down(&vp);
		shield_detach_pinned(vp.if_srv, err, sizeof(err));
	}
	if (dir[0])
		shf("rm -rf %s", dir);
}

static bool setup_dir(void)
{
	if (dir[0])
		return true;
	snprintf(dir, sizeof(dir), "/tmp/vigil-shpol-%d", (int)getpid());
	atexit(cleanup);
	/* policies/ is the agents' policy directory: `vigil policy apply` writes there */
	snprintf(policy_dir, sizeof(policy_dir), "%s/policies", dir);
	setenv("VIGIL_POLICY_DIR", policy_dir, 1);
	return ASSERT_OK(shf("mkdir -p -m 700 %s", policy_dir), "scratch directory");
}

/* Write @name under dir (atomically: write, then rename, as editors do). */
static bool write_file(const char *name, const char *fmt, ...)
{
	char path[128], tmp[160];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.tmp", dir);
	f = fopen(tmp, "w");
	if (!ASSERT_NOT_NULL(f, "create a policy file"))
		return false;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return ASSERT_OK(rename(tmp, path) ? -errno : 0, "rename the policy file in place");
}

/* Run `vigil ARGS` with stdout and stderr into @out; returns its exit code. */
static int vigil_out(char *out, size_t len, const char *fmt, ...)
{
	char args[512], path[128];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int ret;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	ret = shf("%s %s >%s 2>&1", vigil_bin(), args, path);
	out[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		n = fread(out, 1, len - 1, f);
		out[n] = '\0';
		fclose(f);
	}
	return ret;
}

TEST(check_shield_sections)
{
	char out[4096], want[256];

	if (!setup_dir())
		return;
	/* only a shield section: valid, named after the file */
	if (!write_file("edge.yaml", "shield:\n"
				     "  interfaces: [eth0]\n"
				     "  block: [198.51.100.0/24]\n"))
		return;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy check %s/edge.yaml", dir), 0,
		  "a file with only a shield section is valid");
	ASSERT_TRUE(strstr(out, "shield on eth0") != NULL, "check names the shield's interface");

	/* a bad CIDR: file:line:col of the value */
	if (!write_file("bad.yaml", "policy: bad\n"
				    "shield:\n"
				    "  interfaces: [eth0]\n"
				    "  block: [198.51.100.0/33]\n"))
		return;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy check %s/bad.yaml", dir), 78,
		  "a bad CIDR in a shield section fails the check");
	snprintf(want, sizeof(want), "%s/bad.yaml:4:11: error: shield:", dir);
	ASSERT_TRUE(strstr(out, want) != NULL, "the bad CIDR's file:line:col");

	/* no interfaces: the section must say where it goes */
	if (!write_file("noif.yaml", "policy: noif\n"
				     "shield:\n"
				     "  block: [198.51.100.0/24]\n"))
		return;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy check %s/noif.yaml", dir), 78,
		  "a shield section without interfaces fails the check");
	ASSERT_TRUE(strstr(out, "needs 'interfaces:'") != NULL, "says interfaces are missing");

	/* two policies cannot both shield eth0 */
	if (!write_file("other.yaml", "policy: other\n"
				      "shield:\n"
				      "  interfaces: [eth1, eth0]\n"
				      "  allow: [192.0.2.0/24]\n"))
		return;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy check %s/edge.yaml %s/other.yaml", dir, dir),
		  78, "two shield sections on one interface fail the check");
	snprintf(want, sizeof(want), "%s/other.yaml:3:22: error: the shield on eth0", dir);
	ASSERT_TRUE(strstr(out, want) != NULL, "the second naming's file:line:col");

	/* rules and a shield section in one policy */
	if (!write_file("both.yaml", "policy: both\n"
				     "mode: enforce\n"
				     "rules:\n"
				     "  - id: shpol-test-rule\n"
				     "    description: test\n"
				     "    severity: low\n"
				     "    on: exec\n"
				     "    match: {process.exe: /nonexistent/x}\n"
				     "shield:\n"
				     "  interfaces: eth2\n"
				     "  attach: generic\n"
				     "  ports: [{proto: tcp, port: 23, action: block}]\n"))
		return;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy check %s/both.yaml", dir), 0,
		  "rules and a shield section together");

	/* an interface this host lacks: said, but the policy is valid (it may be for another host)
	 */
	if (!write_file("elsewhere.yaml", "shield:\n  interfaces: [lo, nosuch0x]\n"
					  "  block: [198.51.100.0/24]\n"))
		return;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy check %s/elsewhere.yaml", dir), 0,
		  "a missing interface does not fail the check");
	snprintf(want, sizeof(want),
		 "%s/elsewhere.yaml:2:20: warning: shield on nosuch0x: this host has no such "
		 "interface",
		 dir);
	ASSERT_TRUE(strstr(out, want) != NULL, "it is warned of, at file:line:col");
	ASSERT_TRUE(strstr(out, "shield on lo:") == NULL, "lo is here: no warning");

	/* a bad attach mode */
	if (!write_file("mode.yaml", "shield:\n  interfaces: [eth0]\n  attach: fast\n"))
		return;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy check %s/mode.yaml", dir), 78,
		  "an unknown attach mode fails the check");
	snprintf(want, sizeof(want), "%s/mode.yaml:3:11: error: shield: attach must be", dir);
	ASSERT_TRUE(strstr(out, want) != NULL, "the attach mode's file:line:col");

	/* a rules file takes the same keys: one that names its interfaces is for those only */
	ASSERT_EQ(vigil_out(out, sizeof(out), "shield attach lo --rules %s/edge.yaml", dir), 64,
		  "shield attach refuses a rules file that names other interfaces");
	ASSERT_TRUE(strstr(out, "edge.yaml:2:16: error: these rules are for eth0") &&
			    strstr(out, "not lo"),
		    out);
	ASSERT_EQ(vigil_out(out, sizeof(out), "shield check %s/edge.yaml", dir), 0,
		  "and vigil shield check reads a policy's shield section as a rules file");
}

static bool pinned(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s/link", SHIELD_PIN_ROOT, vp.if_srv);
	return access(path, F_OK) == 0;
}

static __u32 rules_seq(void)
{
	char err[SHIELD_ERR_LEN];
	struct shield_handle h;
	struct shield_state st = { 0 };

	if (shield_open_pinned(&h, vp.if_srv, err, sizeof(err)))
		return 0;
	shield_read_state(&h.maps, &st);
	shield_close(&h);
	return st.rules_seq;
}

static __u64 blocked_packets(void)
{
	char err[SHIELD_ERR_LEN];
	struct shield_handle h;
	struct shield_totals t;
	__u64 n = 0;

	if (shield_open_pinned(&h, vp.if_srv, err, sizeof(err)))
		return 0;
	if (!shield_read_counters(&h.maps, &t))
		n = t.c[SHIELD_V_DROP][SHIELD_R_BLOCK_CIDR].packets;
	shield_close(&h);
	return n;
}

/* Wait (at most 10 s) for the agent to install a rule set after @seq. */
static bool wait_seq_after(__u32 seq)
{
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (rules_seq() > seq)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool env_up(void)
{
	if (SKIP_UNLESS_ROOT())
		return false;
	if (vp.ns_cli[0])
		return true;
	if (veth_tools()) {
		SKIP("needs ip (iproute2) and busybox ping (busybox-static)");
		return false;
	}
	return setup_dir() && ASSERT_OK(veth_pair_up(&vp, "vsp"), "netns + veth set-up");
}

/* The agent runs in the server's namespace, where the interface is. */
static bool start_agent(struct vigil_child *v, const char *policy)
{
	const char *args[] = { "run", "--no-default-rules", "--policy", policy, NULL };
	bool ok;

	setns(vp.srv_ns, CLONE_NEWNET);
	ok = vigil_start_checked(v, args);
	setns(vp.orig_ns, CLONE_NEWNET);
	return ok;
}

TEST(run_policy_shield_edit_apply_remove)
{
	char policies[128], out[4096], want[256];
	struct vigil_child v;
	__u32 seq;
	int status;

	if (!env_up())
		return;
	snprintf(policies, sizeof(policies), "%s", policy_dir);
	if (!write_file("policies/edge.yaml",
			"shield:\n  interfaces: [%s]\n  block: [" VETH_BAD "/32]\n", vp.if_srv) ||
	    !start_agent(&v, policies))
		return;

	/* the policy blocks BAD, GOOD passes */
	ASSERT_TRUE(pinned(), "the agent attached and pinned the shield");
	ASSERT_EQ(veth_ping(&vp, VETH_GOOD, VETH_SERVER, 1), 0, "ping from the allowed source");
	ASSERT_NEQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0,
		   "ping from the blocked source fails");
	ASSERT_GE(blocked_packets(), 1, "block_cidr drops counted");
	ASSERT_EQ(vigil_out(out, sizeof(out), "status"), 0, "vigil status");
	snprintf(want, sizeof(want), "shields: %s (", vp.if_srv);
	ASSERT_TRUE(strstr(out, want) && strstr(out, ", policy edge)"),
		    "status names the shield and its policy");
	ASSERT_EQ(vigil_out(out, sizeof(out), "status --json"), 0, "vigil status --json");
	snprintf(want, sizeof(want), "\"shields\":[{\"ifname\":\"%s\"", vp.if_srv);
	ASSERT_TRUE(strstr(out, want) != NULL, "status JSON lists the shield");

	/* a broken edit is rejected and the old rules stay */
	seq = rules_seq();
	if (!write_file("policies/edge.yaml",
			"shield:\n  interfaces: [%s]\n  block: [" VETH_BAD "/33]\n", vp.if_srv))
		goto out;
	sleep(2); /* past the reload's settle time; nothing must change */
	ASSERT_EQ(rules_seq(), seq, "a broken edit installs nothing");
	ASSERT_NEQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0,
		   "still blocked after a broken edit");

	/* the same through vigil policy apply: file:line:col, exit 1 */
	if (!write_file("bad.yaml",
			"policy: edge\nshield:\n  interfaces: [%s]\n  block: [1.2.3.4/40]\n",
			vp.if_srv))
		goto out;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy apply %s/bad.yaml", dir), 78,
		  "apply of a broken shield section fails");
	snprintf(want, sizeof(want), "%s/bad.yaml:4:11: error: shield:", dir);
	ASSERT_TRUE(strstr(out, want) != NULL, "apply says file:line:col");
	ASSERT_NEQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0,
		   "still blocked after a broken apply");

	/* an edit that unblocks BAD comes into force by itself */
	if (!write_file("policies/edge.yaml",
			"shield:\n  interfaces: [%s]\n  block: [192.0.2.0/24]\n", vp.if_srv))
		goto out;
	ASSERT_TRUE(wait_seq_after(seq), "the edit installed a new rule set");
	ASSERT_EQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0, "unblocked by the edit");
	ASSERT_EQ(veth_ping(&vp, VETH_GOOD, VETH_SERVER, 1), 0, "the allowed source still passes");

	/* vigil policy apply blocks it again, in force when apply returns */
	if (!write_file("block.yaml",
			"policy: edge\nshield:\n  interfaces: [%s]\n  block: [" VETH_BAD "/32]\n",
			vp.if_srv))
		goto out;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy apply %s/block.yaml", dir), 0,
		  "apply of a shield section");
	ASSERT_NEQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0, "blocked again by apply");

	/* a version without the shield section: the agent detaches */
	if (!write_file("noshield.yaml", "policy: edge\n"
					 "rules:\n"
					 "  - id: shpol-run-rule\n"
					 "    description: test\n"
					 "    severity: low\n"
					 "    on: exec\n"
					 "    match: {process.exe: /nonexistent/x}\n"))
		goto out;
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy apply %s/noshield.yaml", dir), 0,
		  "apply of the policy without its shield section");
	ASSERT_FALSE(pinned(), "the shield is detached when no policy names the interface");
	ASSERT_EQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0, "detached: BAD passes");

	/* and back, then the agent stops: it takes its shield with it */
	ASSERT_EQ(vigil_out(out, sizeof(out), "policy apply %s/block.yaml", dir), 0,
		  "apply brings the shield back");
	ASSERT_TRUE(pinned(), "attached again");
	ASSERT_NEQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0, "blocked again");
out:
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "vigil exits 0 on SIGTERM");
	snprintf(want, sizeof(want), "%s/edge.yaml:3:11: error: shield:", policies);
	ASSERT_TRUE(strstr(v.err, want) != NULL,
		    "the agent logged the broken edit's file:line:col");
	ASSERT_FALSE(pinned(), "the agent detached its shield when it stopped");
	ASSERT_EQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0, "the agent stopped: BAD passes");
	vigil_cleanup(&v);
	shf("rm -f %s/*.yaml", policy_dir); /* the next agents load it too */
}

/* A shield attached by hand (or left by a killed agent) is taken over, and goes with the agent. */
TEST(run_takes_over_an_attached_shield)
{
	char policies[128];
	struct vigil_child v;
	__u32 seq;
	int status;

	if (!env_up() || !write_file("manual.yaml", "shield:\n  block: [192.0.2.0/24]\n"))
		return;
	/* in the server's namespace, where the interface is (nsenter keeps our /sys/fs/bpf) */
	ASSERT_OK(shf("nsenter --net=/run/netns/%s %s shield attach %s --rules %s/manual.yaml "
		      ">/dev/null 2>&1",
		      vp.ns_srv, vigil_bin(), vp.if_srv, dir),
		  "vigil shield attach");
	if (!ASSERT_TRUE(pinned(), "attached by hand"))
		return;
	ASSERT_EQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0, "the hand-made rules let BAD in");
	seq = rules_seq();
	snprintf(policies, sizeof(policies), "%s/takeover", dir);
	if (!ASSERT_OK(shf("mkdir -p %s", policies), "policy directory") ||
	    !write_file("takeover/edge.yaml",
			"shield:\n  interfaces: [%s]\n  block: [" VETH_BAD "/32]\n", vp.if_srv) ||
	    !start_agent(&v, policies))
		return;
	ASSERT_EQ(rules_seq(), seq + 1, "the agent installed its rules into the attached shield");
	ASSERT_NEQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 1), 0, "the policy's rules block BAD");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "vigil exits 0 on SIGTERM");
	ASSERT_TRUE(strstr(v.err, "took over the shield on") != NULL, "the agent says so");
	ASSERT_FALSE(pinned(), "the agent detached it when it stopped");
	vigil_cleanup(&v);
}

/* The value of the sample that starts with @sample in a scrape of the agent, or -1. */
static long long scrape_sample(int port, const char *sample)
{
	static char body[1 << 20];
	long long n = -1;
	const char *p;

	/* the agent listens in the server's namespace */
	setns(vp.srv_ns, CLONE_NEWNET);
	if (http_get(port, "/metrics", body, sizeof(body), NULL, 0) == 200 &&
	    (p = strstr(body, sample)))
		n = atoll(p + strlen(sample));
	setns(vp.orig_ns, CLONE_NEWNET);
	return n;
}

TEST(run_shield_counters_in_metrics)
{
	char policies[128], addr[32], sample[256];
	const char *args[] = { "run", "--no-default-rules", "--policy", policies, "--metrics", addr,
			       NULL };
	int port = free_port();
	struct vigil_child v;
	bool ok;

	if (!env_up())
		return;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	snprintf(policies, sizeof(policies), "%s/metrics", dir);
	if (!ASSERT_OK(shf("mkdir -p %s", policies), "policy directory") ||
	    !write_file("metrics/edge.yaml",
			"shield:\n  interfaces: [%s]\n"
			"  block: [{name: bad-host, cidrs: [" VETH_BAD "/32]}]\n",
			vp.if_srv))
		return;
	setns(vp.srv_ns, CLONE_NEWNET);
	ok = vigil_start_checked(&v, args);
	setns(vp.orig_ns, CLONE_NEWNET);
	if (!ok)
		return;
	ASSERT_NEQ(veth_ping(&vp, VETH_BAD, VETH_SERVER, 2), 0, "the blocked source");
	snprintf(sample, sizeof(sample),
		 "vigil_shield_rule_packets_total{interface=\"%s\",rule=\"bad-host\"} ", vp.if_srv);
	ASSERT_GE(scrape_sample(port, sample), 2, sample);
	snprintf(sample, sizeof(sample),
		 "vigil_shield_packets_total{interface=\"%s\",verdict=\"drop\","
		 "reason=\"block_cidr\"} ",
		 vp.if_srv);
	ASSERT_GE(scrape_sample(port, sample), 2, sample);
	vigil_stop(&v);
	vigil_cleanup(&v);
}

TEST(run_refuses_missing_interface)
{
	const char *args[] = { "run", "--no-default-rules", "--policy", NULL, NULL };
	char path[128], want[256];
	struct vigil_child v;

	if (SKIP_UNLESS_ROOT() || !setup_dir())
		return;
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	if (!write_file("missing.yaml",
			"shield:\n  interfaces: [nosuch%d]\n  block: [192.0.2.0/24]\n",
			(int)getpid() % 100000))
		return;
	args[3] = path;
	ASSERT_NEQ(vigil_start(&v, args), 0, "the agent does not start");
	snprintf(want, sizeof(want), "%s:2:16: error: shield on nosuch", path);
	ASSERT_TRUE(strstr(v.err, want) != NULL, "it says which interface, at file:line:col");
	vigil_cleanup(&v);
}
