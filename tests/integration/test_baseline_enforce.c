// SPDX-License-Identifier: GPL-2.0
/*
 * An enforced baseline (docs/baseline.md, "Enforcing: export"): the service of
 * tests/lib/blservice.c is learned under its normal load, its baseline put in enforce mode and
 * exported with --network, and the policy run by `vigil run`. Its normal load must go on
 * untouched; each misbehaviour (a shell, /etc/shadow, a file in its cron.d, a connection to a
 * new port, a BPF program) must be met by the exported rule that names it, and an outcome of
 * "denied" must mean its side effect did not happen. The issue asks that each be refused before
 * its side effect: the test passes only when all five were (BPF LSM, in the VM suite), and
 * otherwise skips naming, for each, what vigil did and whether its side effect happened.
 */
#include "harness.h"
#include "blservice.h"
#include "sockets.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((constructor)) static void service_mode(int argc, char **argv)
{
	svc_serve_mode(argc, argv);
}

enum misdeed { SHELL, SHADOW, CRON, NEWPORT, BPF, N_MISDEEDS };

static const struct {
	const char *request; /* "newport" gets the port appended */
	const char *rule;    /* the exported rule's id suffix */
	const char *effect;  /* what its side effect did */
} misdeeds[N_MISDEEDS] = {
	[SHELL] = { "shell", "exec", "ran" },	 [SHADOW] = { "shadow", "read", "read" },
	[CRON] = { "cron", "write", "created" }, [NEWPORT] = { "newport", "connect", "accepted" },
	[BPF] = { "bpf", "priv", "loaded" },
};

struct outcome {
	bool happened;
	const char *action; /* of the rule's event; NULL: none */
};

/* Restart the service when the last misbehaviour's kill ended it. */
static bool svc_alive_or_restart(struct svc_fixture *f)
{
	if (f->server > 0 && waitpid(f->server, NULL, WNOHANG) == 0)
		return true;
	f->server = 0;
	return svc_start(f);
}

/* Does @name come to exist in @dir within a second? */
static bool appears(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < 10; i++) {
		if (!access(path, F_OK))
			return true;
		usleep(100000);
	}
	return false;
}

static bool misbehave(struct svc_fixture *f, enum misdeed m)
{
	struct server listener = { .fd = f->new_fd, .port = f->new_port };
	char req[32], ans[32] = "";

	snprintf(req, sizeof(req), "%s", misdeeds[m].request);
	if (m == NEWPORT)
		snprintf(req, sizeof(req), "newport %d", f->new_port);
	svc_ask(f, req, ans, sizeof(ans)); /* no answer: killed before it could give one */
	switch (m) {
	case SHELL:
		return appears(f->dir, "shell-ran");
	case SHADOW:
		return !strcmp(ans, "read\n");
	case CRON:
		return appears(f->dir, "cron.d/evil");
	case NEWPORT:
		return accepted(&listener);
	case BPF:
		return !strcmp(ans, "loaded\n");
	default:
		return false;
	}
}

/* Which misdeed's rule an event is under (N_MISDEEDS: none of them); checks what it names. */
static enum misdeed misdeed_of(struct json_object *ev, const char *policy, int new_port)
{
	const char *id = jstr(ev, "rule.id"), *path = jstr(ev, "file.path");
	size_t n = strlen(policy);

	if (!id || strncmp(id, policy, n) || id[n] != '-')
		return N_MISDEEDS;
	for (int m = 0; m < N_MISDEEDS; m++) {
		if (strcmp(id + n + 1, misdeeds[m].rule))
			continue;
		if ((m == SHADOW && (!path || strcmp(path, "/etc/shadow"))) ||
		    (m == CRON && (!path || !strstr(path, "/cron.d/evil"))) ||
		    (m == NEWPORT && jint(ev, "net.dport") != new_port))
			return N_MISDEEDS;
		return m;
	}
	return N_MISDEEDS;
}

TEST(enforced_baseline_refuses_each_misbehaviour_normal_load_goes_on)
{
	struct outcome out[N_MISDEEDS] = { 0 };
	struct json_object **ev = NULL;
	struct vigil_child v = { 0 };
	struct svc_fixture f;
	char anom[192], policy_file[192], policy[128] = "", report[1024] = "";
	bool made_shadow = false, all_refused = true;
	size_t n = 0, o = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_TRUE(svc_fixture_setup(&f), "the service's directory, ports and peers"))
		goto out;
	/* the VM's initramfs has none: a stand-in, removed at the end */
	if (access("/etc/shadow", F_OK)) {
		made_shadow = true;
		shf("umask 077; echo 'root:*:19000:0:99999:7:::' > /etc/shadow");
	}
	snprintf(anom, sizeof(anom), "%s/anomalies.json", f.dir);
	snprintf(policy_file, sizeof(policy_file), "%s/policy.yaml", f.dir);

	/* learn under the normal load, enforce, export with the network rules */
	if (!svc_learn_start(&f, &v, anom))
		goto out;
	ASSERT_TRUE(svc_start(&f) && svc_normal_load(&f) && svc_normal_load(&f),
		    "the service learned under its normal load");
	svc_stop(&f);
	ASSERT_EQ(vigil_stop(&v), 0, "learn exits 0");
	vigil_cleanup(&v);
	ASSERT_EQ(shf("%s baseline mode %s enforce --dir %s >/dev/null", vigil_bin(), f.svc, f.bl),
		  0, "mode enforce");
	ASSERT_EQ(shf("%s baseline export %s --dir %s --network -o %s && grep -q '^mode: enforce' "
		      "%s",
		      vigil_bin(), f.svc, f.bl, policy_file, policy_file),
		  0, "an enforcing policy, network rules included");
	if (!ASSERT_EQ(shf_out(policy, sizeof(policy), "sed -n 's/^policy: //p' %s", policy_file),
		       0, "its name"))
		goto out;
	policy[strcspn(policy, "\n")] = 0;
	{
		const char *args[] = { "run", "--no-default-rules", "--policy", policy_file, NULL };

		if (!vigil_start_checked(&v, args))
			goto out;
	}
	ASSERT_TRUE(svc_start(&f) && svc_normal_load(&f), "the normal load is not refused");
	for (int m = 0; m < N_MISDEEDS; m++) {
		if (!ASSERT_TRUE(svc_alive_or_restart(&f), "the service (re)starts"))
			goto out;
		out[m].happened = misbehave(&f, m);
	}
	usleep(1000000); /* kills from user space land after the event is read */
	ASSERT_TRUE(svc_alive_or_restart(&f) && svc_normal_load(&f),
		    "the normal load still succeeds after the misbehaviour");
	svc_stop(&f);
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; ev && i < n; i++) {
		enum misdeed m = misdeed_of(ev[i], policy, f.new_port);
		const char *action = jstr(ev[i], "action");

		if (!ASSERT_TRUE(m < N_MISDEEDS, "an event of a misbehaviour, none of the normal "
						 "load")) {
			printf("  event: %s\n", json_object_to_json_string(ev[i]));
			continue;
		}
		/* a kill of another process (the shell's child) may follow the first event */
		if (!out[m].action)
			out[m].action = action;
	}
	for (int m = 0; m < N_MISDEEDS; m++) {
		const char *a = out[m].action;
		bool refused = a && !strcmp(a, "denied");

		if (!ASSERT_TRUE(a && (refused || !strcmp(a, "killed") ||
				       !strcmp(a, "killed_after") || !strcmp(a, "kill_failed")),
				 misdeeds[m].request))
			printf("  %s: no enforcing event of rule %s-%s (action %s)\n",
			       misdeeds[m].request, policy, misdeeds[m].rule, a ? a : "none");
		if (refused)
			ASSERT_FALSE(out[m].happened, "\"denied\", yet its side effect happened");
		if (!refused || out[m].happened) {
			all_refused = false;
			o += snprintf(report + o, sizeof(report) - o, "%s%s: %s, %s", o ? "; " : "",
				      misdeeds[m].request, a ? a : "no event",
				      out[m].happened ? misdeeds[m].effect : "no side effect");
		}
	}
	if (!all_refused)
		SKIP("not all refused before the side effect (the exported rules have exceptions, "
		     "which BPF LSM does not refuse): %s",
		     report);
out:
	if (ev)
		events_free(ev, n);
	vigil_cleanup(&v);
	svc_fixture_cleanup(&f);
	if (made_shadow)
		unlink("/etc/shadow");
}
