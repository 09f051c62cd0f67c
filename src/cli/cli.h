/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands: each src/cli/cmd_<name>.c defines one `struct command` listed in main.c. */
#ifndef VIGIL_CLI_CLI_H
#define VIGIL_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <sysexits.h>

/*
 * Exit codes (sysexits.h): 0 success, 1 runtime failure, EX_USAGE (64) bad arguments,
 * EX_NOPERM (77) not enough privilege, EX_UNAVAILABLE (69) a kernel feature is missing.
 */
#define EXIT_RUNTIME 1

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
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

/*
 * Send @request (and @body) to the running agent over its control socket and print its answer,
 * on stdout, or stderr when it refused; when no agent can be asked, say why as "vigil: <cmd>:".
 * Returns the exit code: 0, 1 (refused), EX_NOPERM, EX_UNAVAILABLE (no agent answers).
 */
int agent_request(const char *cmd, const char *request, const char *body, size_t len);

/* Print "vigil: <cmd>: message" and a pointer to --help; returns EX_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Print "vigil: <cmd>: why" for @err, a failed control_request() (core/control.h), and return
 * the exit code: EX_NOPERM without privilege, else EX_UNAVAILABLE.
 */
int control_error(const char *cmd, int err);

#endif
