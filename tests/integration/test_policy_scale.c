// SPDX-License-Identifier: GPL-2.0
/*
 * Ten thousand rules (issue 4): a generated policy (scripts/gen-policy.sh) passes vigil policy
 * check, and vigil run starts with it and matches its first and last rules. How long loading
 * takes is printed, not asserted (bench/policy_bench measures the cost of the rules).
 */
#include "harness.h"
#include "testlib.h"

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define N_RULES 10000

static char dir[64], policy[80];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool generate(void)
{
	if (policy[0])
		return true;
	snprintf(dir, sizeof(dir), "/tmp/vigil-scale-%d", (int)getpid());
	snprintf(policy, sizeof(policy), "%s.yaml", dir);
	return ASSERT_EQ(shf("CREATE=1 scripts/gen-policy.sh %d %s > %s", N_RULES, dir, policy), 0,
			 "gen-policy.sh");
}

static void cleanup(void)
{
	if (policy[0]) {
		unlink(policy);
		shf("rm -rf '%s'", dir);
	}
}

TEST(ten_thousand_rules_pass_check)
{
	char cmd[256], out[256] = "";
	double start;
	FILE *p;

	if (!generate())
		return;
	snprintf(cmd, sizeof(cmd), "%s policy check %s 2>&1", vigil_bin(), policy);
	start = now_s();
	p = popen(cmd, "r");
	if (!ASSERT_NOT_NULL(p, "popen"))
		return;
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	ASSERT_EQ(pclose(p), 0, "vigil policy check exits 0");
	printf("  vigil policy check: %d rules in %.2f s\n", N_RULES, now_s() - start);
	ASSERT_STREQ(out, "ok: 1 policy, 10000 rules\n", "all rules counted");
}

/* Open @path for reading, from this process. */
static void read_file(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (ASSERT_TRUE(fd >= 0, path))
		close(fd);
}

TEST(ten_thousand_rules_load_and_match)
{
	const char *args[] = { "run", "--no-default-rules", "--policy", policy, NULL };
	char first[96], last[96], written[96];
	struct json_object **ev;
	struct vigil_child v;
	bool hit_first = false, hit_last = false, hit_written = false;
	double start;
	size_t n;
	int fd;

	if (SKIP_UNLESS_ROOT() || !generate())
		return;
	start = now_s();
	if (!vigil_start_checked(&v, args))
		return;
	printf("  vigil run: ready with %d rules in %.2f s\n", N_RULES, now_s() - start);
	snprintf(first, sizeof(first), "%s/f0", dir);
	snprintf(last, sizeof(last), "%s/f%d", dir, N_RULES - 1);
	snprintf(written, sizeof(written), "%s/f5000", dir);
	read_file(first);
	read_file(last);
	/* a write: gen-5000 is about reads only */
	fd = open(written, O_WRONLY);
	if (ASSERT_TRUE(fd >= 0, written))
		close(fd);
	usleep(300 * 1000);
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *id = jstr(ev[i], "rule.id"), *path = jstr(ev[i], "file.path");

		if (!id || !path || jint(ev[i], "process.pid") != getpid())
			continue;
		hit_first |= !strcmp(path, first) && !strcmp(id, "gen-0");
		hit_last |= !strcmp(path, last) && !strcmp(id, "gen-9999");
		hit_written |= !strcmp(path, written);
	}
	ASSERT_TRUE(hit_first, "the read of f0 matched gen-0");
	ASSERT_TRUE(hit_last, "the read of f9999 matched gen-9999");
	ASSERT_FALSE(hit_written, "a write of f5000 matched a rule");
	events_free(ev, n);
	vigil_cleanup(&v);
	cleanup();
}

/* After the last test: the files stay for none of them. */
__attribute__((destructor)) static void remove_files(void)
{
	cleanup();
}
