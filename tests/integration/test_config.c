// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's configuration file as `vigil run` reads it: its settings applied (format,
 * output, policies, the built-in ruleset left out), and flags on the command line winning.
 */
#include "harness.h"
#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char config[128], policy[128], marker[128], out[128];
};

/* A policy that alerts when dir/marker (a copy of true) runs, and a config file to fill. */
static bool setup(struct fixture *fx)
{
	FILE *f;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vigil-config-XXXXXX");
	if (!mkdtemp(fx->dir))
		return false;
	snprintf(fx->config, sizeof(fx->config), "%s/vigil.yaml", fx->dir);
	snprintf(fx->policy, sizeof(fx->policy), "%s/marker.yaml", fx->dir);
	snprintf(fx->marker, sizeof(fx->marker), "%s/marker", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s/events.json", fx->dir);
	if (shf("cp /bin/true %s", fx->marker))
		return false;
	f = fopen(fx->policy, "w");
	if (!f)
		return false;
	fprintf(f,
		"policy: config-test\nrules:\n"
		"  - id: marker-ran\n    description: the test's marker program ran\n"
		"    severity: low\n    on: exec\n    match:\n      process.exe: %s\n",
		fx->marker);
	return !fclose(f);
}

static void teardown(struct fixture *fx)
{
	shf("rm -rf %s", fx->dir);
}

static bool write_config(const struct fixture *fx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool write_config(const struct fixture *fx, const char *fmt, ...)
{
	FILE *f = fopen(fx->config, "w");
	va_list ap;

	if (!f)
		return false;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return !fclose(f);
}

/* How many events in @ev matched @rule. */
static int matched(struct json_object **ev, size_t n, const char *rule)
{
	int hits = 0;

	for (size_t i = 0; i < n; i++) {
		const char *id = jstr(ev[i], "rule.id");

		hits += id && !strcmp(id, rule);
	}
	return hits;
}

TEST(the_config_file_is_applied)
{
	struct json_object **ev = NULL, *st;
	struct vigil_child v;
	struct fixture fx;
	char status[8192] = "", cmd[256];
	size_t n = 0, bad = 0;
	FILE *p;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	if (!ASSERT_TRUE(write_config(&fx,
				      "# as an operator would write it\n"
				      "format: json\n"
				      "output: %s\n"
				      "policy:\n  - %s\n"
				      "default-rules: off\n"
				      "policy-dir: \"\"\n",
				      fx.out, fx.policy),
			 "config written"))
		goto out;
	/* nothing on the command line but the file */
	if (!ASSERT_OK(vigil_start_as_given(&v,
					    (const char *[]){ "run", "--config", fx.config, NULL }),
		       v.err))
		goto out;
	ASSERT_NOT_NULL(strstr(v.err, "settings from"), "it says where its settings come from");
	ASSERT_EQ(shf("%s", fx.marker), 0, "the marker runs");
	snprintf(cmd, sizeof(cmd), "%s status --json 2>&1", vigil_bin());
	p = popen(cmd, "r");
	if (p) {
		status[fread(status, 1, sizeof(status) - 1, p)] = '\0';
		pclose(p);
	}
	ASSERT_EQ(vigil_stop(&v) == 0, 1, "vigil exits 0 on SIGTERM");
	ev = events_load(fx.out, &n, &bad);
	ASSERT_NOT_NULL(ev, "the output file of the config holds JSON Lines");
	ASSERT_EQ(bad, 0, "first invalid JSON line (0: none)");
	ASSERT_EQ(matched(ev, n, "marker-ran"), 1, "the config's policy is in force");
	st = json_tokener_parse(status);
	if (ASSERT_NOT_NULL(st, status)) {
		struct json_object *pols = jget(st, "policies");

		/* default-rules: off: the built-in ruleset is left out */
		ASSERT_EQ(pols ? json_object_array_length(pols) : 0, 1, "one policy in force");
		ASSERT_STREQ(pols ? jstr(json_object_array_get_idx(pols, 0), "name") : "",
			     "config-test", "the config's");
		json_object_put(st);
	}
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}

TEST(flags_win_over_the_config_file)
{
	struct json_object **ev;
	struct vigil_child v;
	struct fixture fx;
	struct stat st;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(setup(&fx), "fixture"))
		return;
	/* text into fx.out by the file; json into the test's own file by the flags */
	if (!ASSERT_TRUE(write_config(&fx,
				      "format: text\noutput: %s\npolicy: [%s]\n"
				      "default-rules: off\n",
				      fx.out, fx.policy),
			 "config written") ||
	    !vigil_start_checked(&v, (const char *[]){ "run", "--config", fx.config, NULL }))
		goto out;
	ASSERT_EQ(shf("%s", fx.marker), 0, "the marker runs");
	ev = vigil_stop_and_load(&v, &n); /* every line JSON: -f json won over format: text */
	ASSERT_EQ(matched(ev, n, "marker-ran"), 1, "the policy from the file is in force");
	ASSERT_NEQ(stat(fx.out, &st), 0, "the file's output was not used: -o won");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	teardown(&fx);
}
