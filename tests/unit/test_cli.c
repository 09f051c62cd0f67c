// SPDX-License-Identifier: GPL-2.0
/* The command line as a user meets it, without root: help, versions and usage errors. */
#include "harness.h"
#include "testlib.h"
#include "cli/cli.h"

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
	char out[32768];

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
	ASSERT_TRUE(strstr(out, " tls\n") != NULL, "the list of types is whole");
}

/*
 * Each command's help is made from the table its parser is made from: every option the parser
 * accepts is in the help, long name and letter.
 */
TEST(help_lists_every_option_the_parser_accepts)
{
	for (size_t i = 0; vigil_commands[i]; i++) {
		const struct command *cmd = vigil_commands[i];
		struct getopt_spec spec;
		char *help = NULL, want[64];
		size_t size = 0;
		FILE *f;

		if (!ASSERT_NOT_NULL(cmd->options, cmd->name))
			continue;
		ASSERT_OK(options_getopt(cmd->options, cmd->variant, false, &spec), cmd->name);
		f = open_memstream(&help, &size);
		cmd->usage(f);
		fclose(f);
		for (const struct option *o = spec.longs; o->name; o++) {
			const struct cli_option *c = options_find(cmd->options, o->val);

			if (o->val < 256)
				snprintf(want, sizeof(want), "-%c, --%s", o->val, o->name);
			else
				snprintf(want, sizeof(want), "--%s%s", o->name,
					 c && c->arg ? " " : "");
			if (!ASSERT_NOT_NULL(strstr(help, want), want))
				printf("  in 'vigil help %s'\n", cmd->name);
		}
		free(help);
	}
}

TEST(help_help_and_the_exit_codes)
{
	char out[32768];

	ASSERT_EQ(run_vigil((const char *[]){ "help", "help", NULL }, out, sizeof(out)), 0,
		  "help help");
	ASSERT_NOT_NULL(strstr(out, "commands:"), "is the general help");
	ASSERT_TRUE(strstr(out, "  3   no agent is running") && strstr(out, "  78  a config") &&
			    strstr(out, "  69  a kernel feature"),
		    "the exit codes, 3 and 78 included");
	run_vigil((const char *[]){ "help", "trace", NULL }, out, sizeof(out));
	ASSERT_NOT_NULL(strstr(out, "every event type but open"), "trace says what it traces");
	run_vigil((const char *[]){ "help", "sandbox", NULL }, out, sizeof(out));
	ASSERT_TRUE(!strstr(out, "SIGHUP reloads") && !strstr(out, "--no-guard"),
		    "sandbox's help has none of run's reload, shield or guard");
	run_vigil((const char *[]){ "help", "policy", NULL }, out, sizeof(out));
	ASSERT_NOT_NULL(strstr(out, "vigil policy apply FILE"), "the usage names apply");
}

/* A file in a fresh directory under /tmp with @text; its path in @path. */
static bool write_file(char *dir, char *path, size_t len, const char *name, const char *text)
{
	FILE *f;

	if (!dir[0]) {
		strcpy(dir, "/tmp/vigil-cli-XXXXXX");
		if (!mkdtemp(dir))
			return false;
	}
	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return !fclose(f);
}

TEST(exit_codes_as_documented)
{
	char dir[64] = "", path[128], out[4096];

	/* nothing answers at a socket that is not there: not a missing kernel feature */
	setenv("VIGIL_CONTROL_SOCKET", "/tmp/vigil-cli-no-such.sock", 1);
	ASSERT_EQ(run_vigil((const char *[]){ "status", NULL }, out, sizeof(out)), 3, "status");
	ASSERT_NOT_NULL(strstr(out, "no agent is running"), out);
	ASSERT_EQ(run_vigil((const char *[]){ "stop", NULL }, out, sizeof(out)), 3, "stop");
	unsetenv("VIGIL_CONTROL_SOCKET");
	if (!ASSERT_TRUE(write_file(dir, path, sizeof(path), "empty.txt", ""), "fixture"))
		return;
	ASSERT_EQ(run_vigil((const char *[]){ "policy", "check", dir, NULL }, out, sizeof(out)), 1,
		  "policy check of a directory without policies");
	ASSERT_NOT_NULL(strstr(out, "nothing to check"), out);
	ASSERT_EQ(run_vigil((const char *[]){ "policy", "apply", dir, NULL }, out, sizeof(out)), 64,
		  "policy apply DIR");
	ASSERT_NOT_NULL(strstr(out, "apply takes a policy file"), out);
	write_file(dir, path, sizeof(path), "bad.yaml", "policy: x\nrules: 3\n");
	ASSERT_EQ(run_vigil((const char *[]){ "policy", "check", path, NULL }, out, sizeof(out)),
		  78, "policy check of a policy with errors");
	/* a shield rules file, checked offline with the keys of a policy's shield section */
	write_file(dir, path, sizeof(path), "shield.yaml",
		   "shield:\n  interfaces: [lo]\n  attach: generic\n  block: [192.0.2.0/24]\n");
	ASSERT_EQ(run_vigil((const char *[]){ "shield", "check", path, NULL }, out, sizeof(out)), 0,
		  out);
	ASSERT_TRUE(strstr(out, "ok: ") && strstr(out, "for lo"), out);
	write_file(dir, path, sizeof(path), "shield.yaml",
		   "shield:\n  block:\n    - 192.0.2.1/24\n");
	ASSERT_EQ(run_vigil((const char *[]){ "shield", "check", path, NULL }, out, sizeof(out)),
		  78, "shield check of a file with errors");
	ASSERT_NOT_NULL(strstr(out, "shield.yaml:3:7: error: "), out);
	shf("rm -rf %s", dir);
}

TEST(config_errors_stop_run_before_anything_starts)
{
	char dir[64] = "", path[128], out[4096];

	if (!ASSERT_TRUE(write_file(dir, path, sizeof(path), "vigil.yaml",
				    "format: json\nfromat: text\naggregate: soon\n"),
			 "fixture"))
		return;
	ASSERT_EQ(run_vigil((const char *[]){ "config", "check", path, NULL }, out, sizeof(out)),
		  78, "config check");
	ASSERT_NOT_NULL(strstr(out, "vigil.yaml:2:1: error: unknown key 'fromat'"), out);
	ASSERT_NOT_NULL(strstr(out, "vigil.yaml:3:12: error: aggregate: "), out);
	ASSERT_EQ(run_vigil((const char *[]){ "run", "--config", path, NULL }, out, sizeof(out)),
		  78, "run --config with errors");
	ASSERT_TRUE(strstr(out, ":2:1: error:") && strstr(out, "nothing was started"), out);
	/* a named file must be there; the default one need not */
	ASSERT_EQ(run_vigil((const char *[]){ "run", "--config", "/nonexistent/vigil.yaml", NULL },
			    out, sizeof(out)),
		  78, "run --config of a missing file");
	ASSERT_NOT_NULL(strstr(out, "/nonexistent/vigil.yaml: error: cannot read it"), out);
	write_file(dir, path, sizeof(path), "vigil.yaml", "format: json\npolicy: [a, b]\n");
	ASSERT_EQ(run_vigil((const char *[]){ "config", "check", path, NULL }, out, sizeof(out)), 0,
		  out);
	ASSERT_EQ(run_vigil((const char *[]){ "config", "show", path, NULL }, out, sizeof(out)), 0,
		  out);
	ASSERT_TRUE(strstr(out, "format: json") && strstr(out, "policy: [a, b]") &&
			    strstr(out, "guard: on   # default"),
		    out);
	shf("rm -rf %s", dir);
}
