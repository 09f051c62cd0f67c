// SPDX-License-Identifier: GPL-2.0
/*
 * vigil profile on work whose stacks we know, all built or shipped without frame pointers:
 *
 *   own program   tests/helpers/profile_work (-O2 -fomit-frame-pointer), five noinline levels:
 *                 >= 95% of its samples carry main;level1;...;level5, named
 *   python3       Debian's, running a known loop: share of samples from _start, frames named
 *   sha256sum     Debian's (stripped), on a large file: share of stacks unwound to _start
 *   container     a binary that exists only in a private mount namespace is named
 *   off-CPU       a thread asleep half of the time in sleep_half shows about half
 *   svg           a flame graph with its script and no external resource
 *
 * Plus the usage errors. Needs root.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define WORK	  "build/tests/helpers/profile_work"
#define CHAIN	  ";main;level1;level2;level3;level4;level5"
#define PROFILE_S "4"

struct folded {
	char **stacks;
	uint64_t *values;
	size_t n;
	uint64_t total;
};

static void folded_free(struct folded *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->stacks[i]);
	free(f->stacks);
	free(f->values);
	memset(f, 0, sizeof(*f));
}

/* "stack value" lines of @path. 0 or -1. */
static int folded_load(const char *path, struct folded *f)
{
	FILE *in = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	memset(f, 0, sizeof(*f));
	if (!in)
		return -1;
	while ((len = getline(&line, &cap, in)) > 0) {
		char *sp = strrchr(line, ' ');
		char **s = realloc(f->stacks, (f->n + 1) * sizeof(*s));
		uint64_t *v = realloc(f->values, (f->n + 1) * sizeof(*v));

		if (s)
			f->stacks = s;
		if (v)
			f->values = v;
		if (!sp || !s || !v)
			continue;
		*sp = 0;
		f->values[f->n] = strtoull(sp + 1, NULL, 10);
		f->stacks[f->n] = strdup(line);
		f->total += f->values[f->n++];
	}
	free(line);
	fclose(in);
	return 0;
}

/* The share (0-1) of the value in stacks containing @text. */
static double share_with(const struct folded *f, const char *text)
{
	uint64_t v = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->stacks[i], text))
			v += f->values[i];
	return f->total ? (double)v / (double)f->total : 0;
}

static pid_t spawn(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) ? pid = 0 : 0;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * `vigil profile -p @pid @args -f folded -o tmpfile`, loaded into @f; its stderr in @err.
 * The exit status, or -1.
 */
static int profile_pid(pid_t pid, const char *args, struct folded *f, char *err, size_t errlen)
{
	char out[] = "/tmp/vigil-profile-XXXXXX";
	int fd = mkstemp(out), rc;

	if (fd < 0)
		return -1;
	close(fd);
	rc = shf_out(err, errlen, "'%s' profile -p %d -d " PROFILE_S " %s -f folded -o %s",
		     vigil_bin(), pid, args, out);
	if (folded_load(out, f))
		rc = -1;
	unlink(out);
	return rc;
}

/* "user stacks: 97.3% complete" from vigil's summary; -1 when absent. */
static double complete_pct(const char *err)
{
	const char *p = strstr(err, "user stacks: ");
	double v;

	return p && sscanf(p, "user stacks: %lf%%", &v) == 1 ? v : -1;
}

TEST(own_program_without_frame_pointers_has_the_whole_chain)
{
	char *argv[] = { WORK, "cpu", "15", NULL };
	struct folded f;
	char err[4096];
	pid_t pid;
	double share;

	if (SKIP_UNLESS_ROOT())
		return;
	if (access(WORK, X_OK)) {
		SKIP("%s not built (make tests)", WORK);
		return;
	}
	pid = spawn(argv);
	if (!ASSERT_TRUE(pid > 0, "start the workload"))
		return;
	usleep(200 * 1000);
	if (ASSERT_EQ(profile_pid(pid, "--hz 99", &f, err, sizeof(err)), 0, "vigil profile")) {
		share = share_with(&f, CHAIN);
		printf("  own program: %llu samples, %.1f%% with main;level1..level5; vigil: "
		       "%.1f%% "
		       "complete\n",
		       (unsigned long long)f.total, 100 * share, complete_pct(err));
		ASSERT_GE(f.total, 20, "samples");
		ASSERT_GE((long long)(share * 1000), 950, "per mille of samples with the chain");
	} else {
		printf("%s\n", err);
	}
	folded_free(&f);
	reap(pid);
}

/* The share (0-1) of frames, after the process name, that are named. */
static double named_frames(const struct folded *f, const char *unnamed_prefix)
{
	uint64_t named = 0, frames = 0;

	for (size_t i = 0; i < f->n; i++)
		for (char *p = strchr(f->stacks[i], ';'); p; p = strchr(p + 1, ';')) {
			frames += f->values[i];
			if (strncmp(p + 1, unnamed_prefix, strlen(unnamed_prefix)) &&
			    strncmp(p + 1, "[unknown]", 9))
				named += f->values[i];
		}
	return frames ? (double)named / (double)frames : 0;
}

/*
 * Debian's python3 (not a pyenv one on PATH): its exported functions are in .dynsym, its
 * static ones are not (Debian strips .symtab; python3.11-dbg would name them), and libc6
 * keeps its .symtab. So: >= 90% of the samples unwound from _start through the exported
 * entry points to the interpreter loop, and >= 70% of all frames named (in this loop 2 of
 * about 11 user frames are static functions: run_mod, run_eval_code_obj).
 */
TEST(debian_python3_stacks_reach_start_with_named_frames)
{
	char *argv[] = { "/usr/bin/python3", "-c",
			 "def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)\n"
			 "while True: fib(22)\n",
			 NULL };
	struct folded f;
	uint64_t whole = 0;
	char err[4096];
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	pid = spawn(argv);
	if (!ASSERT_TRUE(pid > 0, "start python3"))
		return;
	sleep(1); /* past its start-up, in the loop */
	if (ASSERT_EQ(profile_pid(pid, "--hz 99", &f, err, sizeof(err)), 0, "vigil profile")) {
		for (size_t i = 0; i < f.n; i++)
			if (!strncmp(f.stacks[i], "python3;_start;__libc_start_main;", 33) &&
			    strstr(f.stacks[i], ";Py_BytesMain;Py_RunMain;") &&
			    strstr(f.stacks[i], ";PyEval_EvalCode;_PyEval_EvalFrameDefault"))
				whole += f.values[i];
		printf("  python3: %llu samples, %.1f%% from _start to the interpreter loop, "
		       "%.1f%% of frames named; vigil: %.1f%% complete\n",
		       (unsigned long long)f.total, f.total ? 100.0 * whole / f.total : 0,
		       100 * named_frames(&f, "python3.11+0x"), complete_pct(err));
		ASSERT_GE(f.total, 20, "samples");
		ASSERT_GE(whole * 100, f.total * 90, "samples from _start to the loop (>= 90%)");
		ASSERT_GE((long long)(named_frames(&f, "python3.11+0x") * 100), 70,
			  "% of frames named");
	}
	folded_free(&f);
	reap(pid);
}

/*
 * Debian strips sha256sum (no .symtab, no debug package in main), so its own functions have
 * no names, only their offsets; but its .eh_frame is there, and the unwinding must go through
 * them to libc's __libc_start_call_main and _start. Floor 90%, as for python3.
 */
TEST(sha256sum_stacks_are_unwound_to_start)
{
	char dir[] = "/tmp/vigil-profile-sha-XXXXXX", file[64];
	char *argv[] = { "/usr/bin/sha256sum", file, file, file, NULL };
	struct folded f = { 0 };
	char err[4096];
	pid_t pid;
	double through_main;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "temp dir"))
		return;
	snprintf(file, sizeof(file), "%s/big", dir);
	/* sparse: no disk, the hashing is the same work */
	if (!ASSERT_EQ(shf("truncate -s 4G %s", file), 0, "make the file"))
		goto out;
	pid = spawn(argv);
	if (!ASSERT_TRUE(pid > 0, "start sha256sum"))
		goto out;
	usleep(100 * 1000);
	if (ASSERT_EQ(profile_pid(pid, "--hz 99", &f, err, sizeof(err)), 0, "vigil profile")) {
		through_main =
			share_with(&f, ";__libc_start_main;__libc_start_call_main;sha256sum+");
		printf("  sha256sum: %llu samples, %.1f%% unwound through main to _start, %.1f%% "
		       "of frames named (its own are not: stripped); vigil: %.1f%% complete\n",
		       (unsigned long long)f.total, 100 * through_main,
		       100 * named_frames(&f, "sha256sum+0x"), complete_pct(err));
		ASSERT_GE(f.total, 20, "samples");
		ASSERT_GE((long long)(through_main * 100), 90, "% of stacks through main");
		ASSERT_GE((long long)complete_pct(err), 90, "% complete, as vigil counts");
	}
	reap(pid);
out:
	folded_free(&f);
	unlink(file);
	rmdir(dir);
}

TEST(binary_only_in_a_private_mount_namespace_is_named)
{
	char dir[] = "/tmp/vigil-profile-ns-XXXXXX", script[512], hidden[128], comm[64] = "";
	char *argv[] = {
		"unshare", "--mount", "--propagation", "private", "sh", "-c", script, NULL
	};
	struct folded f = { 0 };
	char err[4096];
	pid_t pid = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "temp dir"))
		return;
	snprintf(hidden, sizeof(hidden), "%s/hidden_work", dir);
	snprintf(script, sizeof(script), "mount -t tmpfs tmpfs %s && cp %s %s && exec %s cpu 15",
		 dir, WORK, hidden, hidden);
	pid = spawn(argv);
	if (!ASSERT_TRUE(pid > 0, "start the namespace"))
		goto out;
	/* unshare and sh exec: the same pid ends as hidden_work */
	for (int i = 0; i < 100 && strcmp(comm, "hidden_work\n"); i++) {
		char path[64];
		FILE *c;

		usleep(50 * 1000);
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		c = fopen(path, "re");
		if (c) {
			if (!fgets(comm, sizeof(comm), c))
				comm[0] = 0;
			fclose(c);
		}
	}
	if (!ASSERT_STREQ(comm, "hidden_work\n", "the workload runs") ||
	    !ASSERT_TRUE(access(hidden, F_OK) && errno == ENOENT, "not in our namespace"))
		goto out;
	if (ASSERT_EQ(profile_pid(pid, "--hz 99", &f, err, sizeof(err)), 0, "vigil profile")) {
		printf("  private namespace: %llu samples, %.1f%% with the named chain\n",
		       (unsigned long long)f.total, 100 * share_with(&f, CHAIN));
		ASSERT_GE(f.total, 20, "samples");
		ASSERT_GE((long long)(share_with(&f, CHAIN) * 100), 90, "% with the chain");
	}
out:
	reap(pid);
	folded_free(&f);
	rmdir(dir);
}

TEST(off_cpu_half_asleep_shows_half)
{
	char *argv[] = { WORK, "sleep", "15", NULL };
	struct folded f = { 0 };
	char err[4096];
	double seconds = 0, share;
	const char *in;
	pid_t pid;

	if (SKIP_UNLESS_ROOT())
		return;
	pid = spawn(argv);
	if (!ASSERT_TRUE(pid > 0, "start the workload"))
		return;
	usleep(200 * 1000);
	if (ASSERT_EQ(profile_pid(pid, "--off-cpu", &f, err, sizeof(err)), 0, "vigil profile")) {
		in = strstr(err, " spells in ");
		if (in)
			seconds = atof(in + strlen(" spells in "));
		share = seconds > 0 ? (double)f.total / 1e9 / seconds : 0;
		printf("  off-CPU: %.2f s off CPU in %.2f s (%.1f%%), %.1f%% of it in sleep_half\n",
		       (double)f.total / 1e9, seconds, 100 * share,
		       100 * share_with(&f, ";main;sleep_half;"));
		/*
		 * Half by the workload's wall clock; on a loaded machine a preemption at the
		 * end of a busy half stretches it (runnable is not off CPU): 30% at least.
		 */
		ASSERT_GE((long long)(share * 100), 30, "% of the time off CPU");
		ASSERT_GE(65, (long long)(share * 100), "% of the time off CPU (at most)");
		ASSERT_GE((long long)(share_with(&f, ";main;sleep_half;") * 100), 90,
			  "% of it in sleep_half");
	} else {
		printf("%s\n", err);
	}
	folded_free(&f);
	reap(pid);
}

TEST(svg_is_a_self_contained_flame_graph)
{
	char *argv[] = { WORK, "cpu", "10", NULL };
	char out[] = "/tmp/vigil-profile-svg-XXXXXX", err[4096], *svg = NULL;
	int fd = mkstemp(out);
	size_t len = 0;
	FILE *in;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !ASSERT_TRUE(fd >= 0, "temp file"))
		return;
	close(fd);
	pid = spawn(argv);
	if (ASSERT_TRUE(pid > 0, "start the workload") &&
	    ASSERT_EQ(shf_out(err, sizeof(err), "'%s' profile -p %d -d 2 -f svg -o %s", vigil_bin(),
			      pid, out),
		      0, "vigil profile") &&
	    (in = fopen(out, "re"))) {
		if (getdelim(&svg, &len, 0, in) < 0)
			svg[0] = 0;
		fclose(in);
		ASSERT_TRUE(strstr(svg, "<svg") && strstr(svg, "</svg>"), "an SVG document");
		ASSERT_TRUE(strstr(svg, "<script") && strstr(svg, "function zoom"), "zoom script");
		ASSERT_TRUE(strstr(svg, "function search"), "search script");
		ASSERT_TRUE(strstr(svg, ">level5<"), "level5 is a frame");
		ASSERT_FALSE(strstr(svg, "href=") || strstr(svg, "src=") || strstr(svg, "https:"),
			     "an external resource");
	}
	free(svg);
	reap(pid);
	unlink(out);
}

TEST(usage_errors_are_clear)
{
	static const struct {
		const char *args, *says;
	} cases[] = {
		{ "--hz 0", "--hz wants samples a second" },
		{ "--hz abc", "--hz wants samples a second" },
		{ "--pid 0", "--pid wants a process id" },
		{ "--pid 4194304", "no such process" },
		{ "--duration -1", "--duration wants seconds" },
		{ "--format pprof", "pprof is not built in" },
		{ "--format xml", "--format is text, folded or svg" },
		{ "--stack-size 5000", "multiple of 4096" },
		{ "--stack-size 65536", "--stack-size wants" },
		{ "--kernel-only --user-only", "choose one" },
		{ "--pid 1 --cgroup /x", "choose one" },
		{ "--pid 1 all", "choose one" },
		{ "--cgroup relative", "--cgroup wants a path" },
		{ "--cgroup /no/such/cgroup -d 1", "no cgroup /no/such/cgroup" },
		{ "-d 1 -o /nonexistent-dir/x.svg", "cannot write /nonexistent-dir/x.svg" },
		{ "everything", "unexpected argument 'everything'" },
		{ "--bogus", "--bogus" },
	};
	char out[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = shf_out(out, sizeof(out), "'%s' profile %s", vigil_bin(), cases[i].args);

		if (!ASSERT_EQ(rc, 64, cases[i].args) ||
		    !ASSERT_TRUE(strstr(out, cases[i].says), cases[i].says))
			printf("  %s: %s\n", cases[i].args, out);
	}
}
