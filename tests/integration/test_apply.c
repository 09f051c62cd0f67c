// SPDX-License-Identifier: GPL-2.0
/*
 * Where a running agent's policies come from, and what a user sees of them: files are the one
 * source of truth (the built-in ruleset, --policy paths, the policy directory where `vigil
 * policy apply` writes); only edits of those files reload; `vigil status` names each policy's
 * source and sizes its columns to them.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 40 characters: the status table must widen for it */
#define LONG_NAME "a-policy-name-of-exactly-forty-chars-xyz"

static char dir[64]; /* the test's policy files and the files its rules watch */

static bool make_dir(void)
{
	strcpy(dir, "/tmp/vigil-apply-XXXXXX");
	return ASSERT_NOT_NULL(mkdtemp(dir), "a scratch directory");
}

static void remove_dir(void)
{
	if (dir[0])
		shf("rm -rf %s", dir);
	dir[0] = '\0';
	vigil_clear_policy_dir();
}

/*
 * @dir/@file: policy @name, one rule @rule_id on opens of @dir/@target. Written beside and
 * renamed in place, as editors do.
 */
static bool write_policy(const char *file, const char *name, const char *rule_id,
			 const char *target)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, file);
	f = fopen(tmp, "w");
	if (!ASSERT_NOT_NULL(f, "a policy file"))
		return false;
	fprintf(f,
		"policy: %s\nrules:\n  - id: %s\n    description: an open of %s\n"
		"    severity: low\n    on: open\n    match:\n      file.path: %s/%s\n",
		name, rule_id, target, dir, target);
	return !fclose(f) && ASSERT_OK(rename(tmp, path) ? -errno : 0, "the policy in place");
}

/* A file the rules may watch, there before the policies load. */
static bool make_target(const char *name)
{
	return ASSERT_OK(shf("echo data > %s/%s", dir, name), "a target file");
}

static void open_target(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

static bool start(struct vigil_child *v, bool builtin)
{
	char policy[PATH_MAX];
	const char *args[] = {
		"run", "--no-guard", "--policy", policy, "--no-default-rules", NULL
	};

	snprintf(policy, sizeof(policy), "%s/myapp.yaml", dir);
	if (builtin)
		args[4] = NULL;
	return vigil_start_checked(v, args);
}

/* Poll `vigil status ARGS` until its output has @want (at most 10 s). */
static bool status_shows(const char *args, const char *want)
{
	char out[65536];
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	for (int i = 0; i < 100; i++) {
		if (!shf_out(out, sizeof(out), "%s status %s", vigil_bin(), args) &&
		    strstr(out, want))
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

/* The events of rule @id on the open of @dir/@target. */
static size_t rule_events(struct json_object **ev, size_t n, const char *id, const char *target)
{
	char path[PATH_MAX];
	size_t count = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	for (size_t i = 0; i < n; i++) {
		const char *r = jstr(ev[i], "rule.id"), *p = jstr(ev[i], "file.path");

		count += r && p && !strcmp(r, id) && !strcmp(p, path);
	}
	return count;
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

TEST(an_edit_of_the_policy_file_is_in_force_and_apply_cannot_shadow_it)
{
	char out[8192], want[512];
	struct json_object **ev;
	struct vigil_child v = { .err_fd = -1 };
	size_t n;

	if (SKIP_UNLESS_ROOT() || !make_dir())
		return;
	if (!make_target("x1") || !make_target("x2") || !make_target("x3") ||
	    !write_policy("myapp.yaml", "myapp", "myapp-r1", "x1") ||
	    !write_policy("myapp2.yaml", "myapp", "myapp-r2", "x2") || !start(&v, false))
		goto out_dir;

	/* a second definition of myapp: refused, naming both files; nothing written */
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy apply %s/myapp2.yaml", vigil_bin(), dir), 78,
		  "apply of another version of a --policy file's policy fails");
	snprintf(want, sizeof(want),
		 "%s/myapp2.yaml:1:9: error: policy name 'myapp' is also the name of "
		 "%s/myapp.yaml",
		 dir, dir);
	ASSERT_NOT_NULL(strstr(out, want), "it names both files");
	snprintf(want, sizeof(want), "%s/myapp.yaml", vigil_policy_dir());
	ASSERT_TRUE(access(want, F_OK), "nothing is written to the policy directory");

	/* the file is what is in force: its edit comes in by itself */
	if (!write_policy("myapp.yaml", "myapp", "myapp-r3", "x3"))
		goto out;
	ASSERT_TRUE(status_shows("--policy myapp", "myapp-r3"), "status shows the edited rule");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --all", vigil_bin()), 0, "vigil status");
	ASSERT_TRUE(!strstr(out, "myapp-r1") && !strstr(out, "myapp-r2"),
		    "and neither the old nor the refused version");
	open_target("x2");
	open_target("x3");
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_EQ(rule_events(ev, n, "myapp-r3", "x3"), 1, "the edited rule matched the open");
	ASSERT_EQ(rule_events(ev, n, "myapp-r2", "x2"), 0, "the refused one matched nothing");
	events_free(ev, n);
out:
	vigil_cleanup(&v);
out_dir:
	remove_dir();
}

TEST(only_edits_of_policy_sources_reload)
{
	char pd[PATH_MAX];
	struct vigil_child v = { .err_fd = -1 };

	if (SKIP_UNLESS_ROOT() || !make_dir())
		return;
	snprintf(pd, sizeof(pd), "%s", vigil_policy_dir());
	if (!ASSERT_OK(mkdir(pd, 0700), "the policy directory") || !make_target("x1") ||
	    !write_policy("myapp.yaml", "myapp", "myapp-r1", "x1") || !start(&v, false))
		goto out_dir;
	/* beside a --policy file: other policies, swap and backup files, notes; in the policy
	 * directory: what is not *.yaml / *.yml, or hidden */
	ASSERT_OK(shf("cd %s && echo 'policy: other' > other.yaml && touch .myapp.yaml.swp "
		      "myapp.yaml~ notes.txt && touch %s/readme.txt %s/.x.yaml.swp",
		      dir, pd, pd),
		  "unrelated files created");
	sleep(2); /* past the settle time of an edit */
	/* and the one relevant edit, for comparison */
	if (!write_policy("myapp.yaml", "myapp", "myapp-r1", "x1"))
		goto out;
	if (!ASSERT_TRUE(status_shows("", "rules: 1 in 1 policies"), "the agent answers"))
		goto out;
	sleep(2);
	vigil_stop(&v);
	ASSERT_EQ(count(v.err, "reloading ("), 1, "reloads");
	ASSERT_NOT_NULL(strstr(v.err, "reloading (myapp.yaml changed)"),
			"the edit of the --policy file, named");
out:
	vigil_cleanup(&v);
out_dir:
	remove_dir();
}

TEST(a_rejected_apply_is_logged_by_the_agent_and_writes_nothing)
{
	char out[8192], want[512];
	struct vigil_child v = { .err_fd = -1 };

	if (SKIP_UNLESS_ROOT() || !make_dir())
		return;
	if (!make_target("x1") || !write_policy("myapp.yaml", "myapp", "myapp-r1", "x1") ||
	    !write_policy("clash.yaml", "myapp", "myapp-r2", "x1") ||
	    !ASSERT_OK(shf("printf 'policy: broken\\nrules:\\n  - id: b\\n    description: d\\n"
			   "    severity: severe\\n    on: exec\\n' > %s/broken.yaml",
			   dir),
		       "a broken policy") ||
	    !start(&v, false))
		goto out_dir;
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy apply %s/broken.yaml", vigil_bin(), dir), 78,
		  "apply of a broken policy fails");
	snprintf(want, sizeof(want), "%s/broken.yaml:5:15: error:", dir);
	ASSERT_NOT_NULL(strstr(out, want), "with file:line:col");
	ASSERT_NOT_NULL(strstr(out, "rejected: nothing was written"), "and says nothing changed");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy apply %s/clash.yaml", vigil_bin(), dir), 78,
		  "apply of a clashing name fails");
	ASSERT_TRUE(access(vigil_policy_dir(), F_OK), "the policy directory was not even made");
	vigil_stop(&v);
	ASSERT_NOT_NULL(strstr(v.err, want), "the agent logged the broken one's error");
	snprintf(want, sizeof(want), "policy apply of %s/broken.yaml rejected", dir);
	ASSERT_NOT_NULL(strstr(v.err, want), "and that it refused it");
	snprintf(want, sizeof(want), "%s/clash.yaml:1:9: error: policy name 'myapp'", dir);
	ASSERT_NOT_NULL(strstr(v.err, want), "and the clash");
	vigil_cleanup(&v);
out_dir:
	remove_dir();
}

TEST(apply_writes_the_policy_directory_survives_a_restart_and_remove_takes_it_out)
{
	char out[65536], path[PATH_MAX], text[4096], copy[4096];
	struct json_object **ev, *st = NULL, *pols;
	struct vigil_child v = { .err_fd = -1 };
	const char *source = NULL;
	struct stat sb;
	size_t n;
	FILE *f;

	if (SKIP_UNLESS_ROOT() || !make_dir())
		return;
	if (!make_target("x1") || !make_target("k") ||
	    !write_policy("myapp.yaml", "myapp", "myapp-r1", "x1") ||
	    !write_policy("keep-v1.yaml", "keep", "keep-r1", "k") || !start(&v, false))
		goto out_dir;
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy apply %s/keep-v1.yaml", vigil_bin(), dir), 0,
		  "vigil policy apply");
	snprintf(path, sizeof(path), "%s/keep.yaml", vigil_policy_dir());
	ASSERT_NOT_NULL(strstr(out, path), "it says where it wrote the policy");
	if (!ASSERT_OK(stat(path, &sb) ? -errno : 0, "the file is there"))
		goto out;
	ASSERT_EQ(sb.st_mode & 07777, 0600, "the file's mode");
	ASSERT_EQ(sb.st_uid, 0, "the file's owner");
	ASSERT_OK(stat(vigil_policy_dir(), &sb) ? -errno : 0, "the directory");
	ASSERT_EQ(sb.st_mode & 07777, 0700, "the directory's mode");
	snprintf(text, sizeof(text), "cat %s/keep-v1.yaml", dir);
	f = popen(text, "r");
	text[f ? fread(text, 1, sizeof(text) - 1, f) : 0] = '\0';
	if (f)
		pclose(f);
	f = fopen(path, "r");
	copy[f ? fread(copy, 1, sizeof(copy) - 1, f) : 0] = '\0';
	if (f)
		fclose(f);
	ASSERT_STREQ(copy, text, "the file holds what was applied");
	ASSERT_EQ(shf("ls -A %s | wc -l | grep -qx 1", vigil_policy_dir()), 0,
		  "and nothing else (no temporary or saved copy)");

	/* a new agent loads it from the directory */
	vigil_stop(&v);
	if (!start(&v, false))
		goto out_dir;
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --json", vigil_bin()), 0,
		  "vigil status --json");
	st = json_tokener_parse(out);
	pols = st ? jget(st, "policies") : NULL;
	for (size_t i = 0; pols && i < json_object_array_length(pols); i++) {
		struct json_object *p = json_object_array_get_idx(pols, i);

		if (jstr(p, "name") && !strcmp(jstr(p, "name"), "keep"))
			source = jstr(p, "source");
	}
	ASSERT_STREQ(source, "policy directory", "after a restart, keep is in force from there");
	open_target("k");
	ASSERT_TRUE(status_shows("--rule keep-r1", "1    "), "its rule counts the open");

	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy remove myapp", vigil_bin()), 1,
		  "remove of a --policy file's policy fails");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy remove keep", vigil_bin()), 0,
		  "vigil policy remove keep");
	ASSERT_TRUE(access(path, F_OK), "its file is gone");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --all", vigil_bin()), 0, "vigil status");
	ASSERT_TRUE(!strstr(out, "keep-r1") && strstr(out, "myapp-r1"), "it is out of force");
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_EQ(rule_events(ev, n, "keep-r1", "k"), 1, "the applied rule matched the open");
	events_free(ev, n);
out:
	vigil_cleanup(&v);
out_dir:
	json_object_put(st);
	remove_dir();
}

/* In the table whose header is "\n@header...", @column starts in one place on every line. */
static bool aligned(const char *out, const char *header, const char *column, size_t *rows)
{
	const char *h = strstr(out, header), *line;
	size_t col;

	*rows = 0;
	if (h)
		h++; /* past the newline */
	if (!h || !strstr(h, column) || strchr(h, '\n') < strstr(h, column))
		return false;
	col = strstr(h, column) - h;
	for (line = strchr(h, '\n') + 1; *line && *line != '\n'; line = strchr(line, '\n') + 1) {
		const char *end = strchr(line, '\n');

		if (end && memmem(line, end - line, " shown", 6))
			break; /* the rules table's last line says how many */
		if (!end || (size_t)(end - line) <= col || line[col - 1] != ' ' || line[col] == ' ')
			return false;
		++*rows;
	}
	return *rows > 0;
}

TEST(status_names_sources_and_sizes_its_columns)
{
	char out[131072], want[512];
	struct vigil_child v = { .err_fd = -1 };
	size_t rows = 0;

	if (SKIP_UNLESS_ROOT() || !make_dir())
		return;
	if (!make_target("x1") || !write_policy("myapp.yaml", "myapp", "myapp-r1", "x1") ||
	    !write_policy("long.yaml", LONG_NAME, "long-r2", "x2") || !make_target("x2") ||
	    !start(&v, true))
		goto out_dir;
	open_target("x1");
	ASSERT_TRUE(status_shows("--rule myapp-r1", "\n1    audit"), "a hit of myapp-r1");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s policy apply %s/long.yaml", vigil_bin(), dir), 0,
		  "apply of a policy with a 40-character name");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status", vigil_bin()), 0, "vigil status");
	snprintf(want, sizeof(want), "%s/myapp.yaml\n", dir);
	ASSERT_NOT_NULL(strstr(out, want), "the --policy file is a source");
	snprintf(want, sizeof(want), "%s/" LONG_NAME ".yaml\n", vigil_policy_dir());
	ASSERT_NOT_NULL(strstr(out, want), "the applied file is a source");
	ASSERT_NOT_NULL(strstr(out, " built-in\n"), "the built-in ruleset is one");
	ASSERT_TRUE(aligned(out, "\nPOLICY ", "MODE", &rows), "the MODE column is aligned");
	ASSERT_TRUE(aligned(out, "\nPOLICY ", "SOURCE", &rows), "the SOURCE column is aligned");
	ASSERT_GE(rows, 3, "policies listed");
	ASSERT_NOT_NULL(strstr(out, "rules shown: those with hits and those enforced"),
			"by default, not every rule");
	ASSERT_TRUE(!strstr(out, "long-r2"), "a rule with no hits is not listed");
	ASSERT_NOT_NULL(strstr(out, "\n1    audit   myapp-r1 "),
			"one with hits is, and the reload of the apply kept its count");
	printf("  default status: %zu lines\n", count(out, "\n"));

	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --all", vigil_bin()), 0, "status --all");
	ASSERT_TRUE(aligned(out, "\nHITS ", "POLICY", &rows),
		    "the rules' POLICY column is aligned");
	ASSERT_TRUE(aligned(out, "\nHITS ", "ENFORCED BY", &rows), "and ENFORCED BY");
	ASSERT_GE(rows, 50, "every rule listed");
	ASSERT_NOT_NULL(strstr(out, "long-r2"), "the long policy's rule among them");

	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --rule long-r", vigil_bin()), 0,
		  "status --rule");
	ASSERT_TRUE(strstr(out, "\n1 rule shown\n") && strstr(out, "long-r2"), "one rule");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --policy myapp --json", vigil_bin()), 0,
		  "status --policy --json");
	ASSERT_NOT_NULL(strstr(out, "\"policies\":[{\"name\":\"myapp\""), "only that policy");
	ASSERT_NOT_NULL(strstr(out, "\"source\":\"--policy\""), "with its source");
	ASSERT_EQ(shf_out(out, sizeof(out), "%s status --json", vigil_bin()), 0, "status --json");
	ASSERT_NOT_NULL(strstr(out, "\"source\":\"built-in\""), "JSON: built-in");
	ASSERT_NOT_NULL(strstr(out, "\"source\":\"policy directory\""), "JSON: policy directory");
	ASSERT_GE(count(out, "\"enforced_by\""), 50, "JSON: every rule");
	vigil_stop(&v);
	vigil_cleanup(&v);
out_dir:
	remove_dir();
}
