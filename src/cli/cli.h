/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands: each src/cli/cmd_<name>.c defines one `struct command` listed in commands.c. */
#ifndef VIGIL_CLI_CLI_H
#define VIGIL_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <sysexits.h>

#include "cli/options.h"

/*
 * Every exit code of every command, in one place: `vigil help` prints this table. The values
 * follow sysexits.h, and 3 is what LSB init scripts and `systemctl status` use for "not
 * running". A sandbox exits with its command's status instead (126/127: it could not run it).
 */
#define VIGIL_EXIT_CODES(X)                                                                        \
	X(EXIT_OK, 0, "ok")                                                                        \
	X(EXIT_RUNTIME, 1, "runtime failure, or nothing to do (no shield to detach or show)")      \
	X(EXIT_NOT_RUNNING, 3, "no agent is running (status, stop, policy apply)")                 \
	X(EXIT_USAGE, 64, "bad usage: unknown command or option, bad value")                       \
	X(EXIT_NO_FEATURE, 69, "a kernel feature is missing (vigil probe says which)")             \
	X(EXIT_NO_PRIVILEGE, 77, "not enough privilege (most commands need root)")                 \
	X(EXIT_CONFIG, 78, "a configuration, policy or shield rules file has errors")

enum vigil_exit {
#define VIGIL_EXIT_ENUM(name, value, meaning) name = value,
	VIGIL_EXIT_CODES(VIGIL_EXIT_ENUM)
#undef VIGIL_EXIT_ENUM
};

_Static_assert(EXIT_USAGE == EX_USAGE && EXIT_NO_FEATURE == EX_UNAVAILABLE &&
		       EXIT_NO_PRIVILEGE == EX_NOPERM && EXIT_CONFIG == EX_CONFIG,
	       "the exit codes are sysexits.h's");

/* The table above, one code a line, for help texts. */
void print_exit_codes(FILE *out);

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
	/* its options, from which both its parser and its help come (cli/options.h) */
	const struct cli_option *options;
	unsigned int variant; /* which of them it takes (cli_option.only; 0: all) */
};

extern const struct command cmd_run;
extern const struct command cmd_sandbox;
extern const struct command cmd_trace;
extern const struct command cmd_probe;
extern const struct command cmd_version;
extern const struct command cmd_shield;
extern const struct command cmd_policy;
extern const struct command cmd_status;
extern const struct command cmd_unload;
extern const struct command cmd_stop;
extern const struct command cmd_reopen;
extern const struct command cmd_config;
extern const struct command cmd_latency;
extern const struct command cmd_collect;
extern const struct command cmd_top;
extern const struct command cmd_profile;
extern const struct command cmd_baseline;

/*
 * Send @request (and @body) to the running agent over its control socket and print its answer,
 * on stdout, or stderr when it refused; when no agent can be asked, say why as "vigil: <cmd>:".
 * Returns the exit code: 0, 1 (refused), or control_error()'s.
 */
int agent_request(const char *cmd, const char *request, const char *body, size_t len);

/* Every command, NULL-terminated, in the order `vigil help` lists them. */
extern const struct command *const vigil_commands[];
const struct command *find_command(const char *name);

/* The exit code for a request to the agent that failed with @err (core/control.h). */
int control_exit(int err);

/* Print "vigil: <cmd>: message" and a pointer to its help; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Print "vigil: <cmd>: why" for @err, a failed control_request() (core/control.h), and return
 * its exit code (control_exit()).
 */
int control_error(const char *cmd, int err);

#endif
