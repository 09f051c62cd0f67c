// SPDX-License-Identifier: GPL-2.0
/* The command line as a user meets it, without root: help, versions and usage errors. */
#include "harness.h"
#include "testlib.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run vigil with @args; capture stdout+stderr into @out; return the exit code or -1. */
static int run_vigil(const char *const *args, char *out, size_t size)
{
	const char *argv[16] = { vigil_bin() };
	posix_spawn_file_actions_t fa;
	int p[2], status, n = 1;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	for (; *args && n < 15; args++)
		argv[n++] = *args;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	while (len < size - 1 && (r = read(p[0], out + len, size - 1 - len)) > 0)
		len += r;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(help_lists_commands_and_teaches)
{
	char out[8192];

	ASSERT_EQ(run_vigil((const char *[]){ "help", NULL }, out, sizeof(out)), 0, "exit");
	ASSERT_TRUE(strstr(out, "trace") && strstr(out, "probe") && strstr(out, "run"),
		    "lists commands");
	ASSERT_EQ(run_vigil((const char *[]){ "help", "trace", NULL }, out, sizeof(out)), 0,
		  "help trace");
	ASSERT_TRUE(strstr(out, "--events") && strstr(out, "Examples"), "options and examples");
	ASSERT_EQ(run_vigil((const char *[]){ "run", "--help", NULL }, out, sizeof(out)), 0,
		  "run --help");
	ASSERT_TRUE(strstr(out, "--format") != NULL, "run's options");
}

TEST(version)
{
	char out[512];

	ASSERT_EQ(run_vigil((const char *[]){ "version", NULL }, out, sizeof(out)), 0, "exit");
	ASSERT_TRUE(!strncmp(out, "vigil ", 6) && strstr(out, "libbpf"), "names itself and libbpf");
}

TEST(usage_errors_exit_64_with_one_clear_message)
{
	static const char *const cases[][5] = {
		{ "nosuchcommand", NULL },
		{ "trace", "--format", "xml", NULL },
		{ "trace", "--events", "exec,bogus", NULL },
		{ "trace", "--pid", "abc", NULL },
		{ "trace", "--duration", "-1", NULL },
		{ "trace", "--ring-buffer", "3000", NULL },
		{ "trace", "--color", "sometimes", NULL },
		{ "run", "--duration", "5", NULL },
		{ "run", "--no-such-flag", NULL },
		{ "run", "stray", NULL },
		{ "trace", "--pid", NULL },
	};
	char out[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run_vigil(cases[i], out, sizeof(out));

		ASSERT_EQ(rc, 64, cases[i][1] ? cases[i][1] : cases[i][0]);
		ASSERT_TRUE(!strncmp(out, "vigil: ", 7), "starts with vigil:");
	}
	run_vigil((const char *[]){ "trace", "--events", "exec,bogus", NULL }, out, sizeof(out));
	ASSERT_TRUE(strstr(out, "'bogus'") && strstr(out, "exit"),
		    "names the bad type and the good");
	ASSERT_TRUE(strstr(out, " proc_mem_write\n") != NULL, "the list of types is whole");
}
