// SPDX-License-Identifier: GPL-2.0
/*
 * Application tracing with uprobes:
 *
 *   latency  `vigil latency uprobe:PATH:SYMBOL` on a program built here that calls a function
 *            a known number of times: counts exact, --pid keeps one process, a stripped copy
 *            (.dynsym only) the same; bad arguments give clear errors
 *
 * Needs root (but the usage errors) and a C compiler for the program.
 */
#include "harness.h"
#include "testlib.h"
#include "tool.h"
#include "core/elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the program */

/*
 * Calls vigil_test_work() argv[1] times, each ~1 ms, once it read a byte on stdin (so that a
 * tracer can be started for its pid first). -rdynamic: the function is in .dynsym too.
 */
static const char work_src[] = "#include <unistd.h>\n"
			       "#include <stdlib.h>\n"
			       "__attribute__((noinline)) int vigil_test_work(int i)\n"
			       "{\n"
			       "	usleep(1000);\n"
			       "	return i + 1;\n"
			       "}\n"
			       "int main(int argc, char **argv)\n"
			       "{\n"
			       "	int n = argc > 1 ? atoi(argv[1]) : 1, s = 0;\n"
			       "	char c;\n"
			       "	if (read(0, &c, 1) != 1)\n"
			       "		return 1;\n"
			       "	for (int i = 0; i < n; i++)\n"
			       "		s += vigil_test_work(i);\n"
			       "	return s > 0 ? 0 : 1;\n"
			       "}\n";

static char work_dir[64];
static char work_bin[96], work_stripped[96];

static void remove_work(void)
{
	shf("rm -rf '%s'", work_dir);
}

/* Build the program and its stripped copy once; false (the test skips) without a compiler. */
static bool build_work(void)
{
	char src[96];
	FILE *f;

	if (work_bin[0])
		return true;
	snprintf(work_dir, sizeof(work_dir), "/tmp/vigil-uprobe-XXXXXX");
	if (!mkdtemp(work_dir))
		return false;
	atexit(remove_work);
	snprintf(src, sizeof(src), "%s/work.c", work_dir);
	f = fopen(src, "we");
	if (!f)
		return false;
	fputs(work_src, f);
	fclose(f);
	snprintf(work_bin, sizeof(work_bin), "%s/work", work_dir);
	snprintf(work_stripped, sizeof(work_stripped), "%s/work-stripped", work_dir);
	if (shf("cc -O2 -rdynamic -o '%s' '%s' 2>/dev/null", work_bin, src) ||
	    shf("strip --strip-all -o '%s' '%s'", work_stripped, work_bin)) {
		work_bin[0] = '\0';
		return false;
	}
	return true;
}

/* A run of the program, stopped until gated_go(). */
struct gated {
	pid_t pid;
	int go;
};

static int gated_start(struct gated *g, const char *bin, int calls)
{
	char n[16];
	int fds[2];

	snprintf(n, sizeof(n), "%d", calls);
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	g->pid = fork();
	if (g->pid < 0)
		return -1;
	if (!g->pid) {
		dup2(fds[0], 0);
		execl(bin, bin, n, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	g->go = fds[1];
	return 0;
}

/* Let it run and wait for it: true when it exited 0. */
static bool gated_go(struct gated *g)
{
	int status;

	if (write(g->go, "x", 1) != 1)
		return false;
	close(g->go);
	g->go = -1;
	if (waitpid(g->pid, &status, 0) != g->pid)
		return false;
	g->pid = 0;
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

static void gated_cleanup(struct gated *g)
{
	if (g->go > 0)
		close(g->go);
	if (g->pid > 0) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
	}
	g->pid = 0;
	g->go = -1;
}

/* ---------------------------------------------------------------- latency */

static int latency_start(struct tool *t, const char *probe, const char *pid)
{
	char *argv[] = { (char *)vigil_bin(),  "latency",   (char *)probe, "--json",
			 pid ? "--pid" : NULL, (char *)pid, NULL };

	return tool_start(t, argv, "Ctrl-C to stop");
}

/* Stop it and return its report's uprobe histogram (@report holds it), or NULL. */
static struct json_object *latency_stop(struct tool *t, struct json_object **report)
{
	int status = tool_stop(t);
	char *out = slurp(t->out);
	struct json_object *h;

	ASSERT_TRUE(status == 0, "vigil latency exits 0 at SIGINT");
	*report = out ? json_tokener_parse(out) : NULL;
	h = *report ? jget(*report, "histograms.0") : NULL;
	if (!h)
		fprintf(stderr, "  vigil latency printed: %s\n", out ? out : "(nothing)");
	free(out);
	return h;
}

#define CALLS_A 40
#define CALLS_B 25

TEST(latency_counts_calls_exactly)
{
	struct gated a = { .go = -1 }, b = { .go = -1 };
	struct tool one = { 0 }, all = { 0 };
	struct json_object *r_one = NULL, *r_all = NULL, *h;
	char probe[160], pid[16];

	if (SKIP_UNLESS_ROOT())
		return;
	if (!build_work()) {
		SKIP("no C compiler to build the traced program");
		return;
	}
	snprintf(probe, sizeof(probe), "uprobe:%s:vigil_test_work", work_bin);
	if (!ASSERT_OK(gated_start(&a, work_bin, CALLS_A), "start A") ||
	    !ASSERT_OK(gated_start(&b, work_bin, CALLS_B), "start B"))
		goto out;
	snprintf(pid, sizeof(pid), "%d", a.pid);
	if (!ASSERT_OK(latency_start(&one, probe, pid), "vigil latency --pid starts") ||
	    !ASSERT_OK(latency_start(&all, probe, NULL), "vigil latency starts"))
		goto out;
	ASSERT_TRUE(gated_go(&a), "A ran");
	ASSERT_TRUE(gated_go(&b), "B ran");
	h = latency_stop(&one, &r_one);
	if (ASSERT_NOT_NULL(h, "a histogram for A")) {
		ASSERT_EQ(jint(h, "count"), CALLS_A, "A's calls, only A's");
		ASSERT_STREQ(jstr(h, "kind"), "uprobe", "kind");
		/* each call sleeps 1 ms: its time is at least that */
		ASSERT_GE(jint(h, "sum_ns"), (long long)CALLS_A * 1000000, "time in the function");
		ASSERT_STREQ(jstr(r_one, "mode"), "uprobe", "mode");
		ASSERT_TRUE(jstr(r_one, "probe") && strstr(jstr(r_one, "probe"), "vigil_test_work"),
			    "the report names the probe");
	}
	h = latency_stop(&all, &r_all);
	if (ASSERT_NOT_NULL(h, "a histogram for both"))
		ASSERT_EQ(jint(h, "count"), CALLS_A + CALLS_B, "A's and B's calls");
out:
	json_object_put(r_one);
	json_object_put(r_all);
	tool_cleanup(&one);
	tool_cleanup(&all);
	gated_cleanup(&a);
	gated_cleanup(&b);
}

TEST(latency_of_a_stripped_binary_through_dynsym)
{
	struct gated a = { .go = -1 };
	struct tool t = { 0 };
	struct json_object *r = NULL, *h;
	struct elf_func fn;
	char probe[160];

	if (SKIP_UNLESS_ROOT())
		return;
	if (!build_work()) {
		SKIP("no C compiler to build the traced program");
		return;
	}
	/* the copy has no .symtab: the function is found in .dynsym, at the same offset */
	if (!ASSERT_OK(elf_func_find(work_stripped, "vigil_test_work", &fn), "found stripped"))
		return;
	ASSERT_STREQ(fn.table, ".dynsym", "found in .dynsym");
	snprintf(probe, sizeof(probe), "uprobe:%s:vigil_test_work", work_stripped);
	if (!ASSERT_OK(gated_start(&a, work_stripped, CALLS_B), "start") ||
	    !ASSERT_OK(latency_start(&t, probe, NULL), "vigil latency starts"))
		goto out;
	ASSERT_TRUE(gated_go(&a), "it ran");
	h = latency_stop(&t, &r);
	if (ASSERT_NOT_NULL(h, "a histogram"))
		ASSERT_EQ(jint(h, "count"), CALLS_B, "its calls");
out:
	json_object_put(r);
	tool_cleanup(&t);
	gated_cleanup(&a);
}

TEST(latency_bad_uprobes_are_clear_errors)
{
	static const struct {
		const char *arg, *says;
	} cases[] = {
		{ "uprobe", "a uprobe is uprobe:PATH:SYMBOL" },
		{ "uprobe:/bin/true", "a uprobe is uprobe:PATH:SYMBOL" },
		{ "uprobe:/bin/true:", "a uprobe is uprobe:PATH:SYMBOL" },
		{ "uprobe:/no/such/file:main", "/no/such/file: no such file" },
		{ "uprobe:/etc/hostname:main", "/etc/hostname: not an ELF file" },
		{ "uprobe:/bin/true:no_such_function_here", "no function no_such_function_here" },
		{ "uprobe:libno-such-lib.so.9:f", "no library libno-such-lib.so.9" },
	};
	char out[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = shf_out(out, sizeof(out), "'%s' latency '%s' -d 1", vigil_bin(),
				 cases[i].arg);

		if (!ASSERT_EQ(rc, 64, cases[i].arg) ||
		    !ASSERT_TRUE(strstr(out, cases[i].says), cases[i].arg))
			fprintf(stderr, "  said: %s", out);
	}
}
