// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"

static const struct stream_cmd sandbox = {
	.name = "sandbox",
	.variant = STREAM_SANDBOX,
	.operands = " --policy FILE -- CMD [ARGS...]",
	.purpose =
		"Run a command in a fresh cgroup with policies enforced on it and its descendants\n"
		"only, report what the policies saw, and exit with the command's status (126:\n"
		"it could not be run, 127: not found).",
	.extra_usage =
		"\nThe policies (mode: enforce to enforce them) apply only to processes in the\n"
		"sandbox's cgroup, /vigil-sandbox-PID below the cgroup2 root; the built-in\n"
		"ruleset is left out. Deny rules on exec and files are refused by BPF LSM where\n"
		"the kernel has it (opens and execs by fanotify where it has not), connect deny\n"
		"rules by cgroup connect hooks on the sandbox's cgroup; otherwise the process\n"
		"is killed: by the kernel before the open returns\n"
		"or the new image runs (\"killed\") where the rule allows, else from user space\n"
		"after the event (\"killed_after\"; see vigil status, docs/policy.md).\n"
		"At the end vigil prints what was denied and killed, removes the cgroup (and\n"
		"anything the command left running in it) and exits with the command's status.\n"
		"Its policies may not carry shield: sections (a shield filters a whole interface,\n"
		"not one command). It has no control socket (vigil status, stop and policy apply\n"
		"do not reach it) and no tamper protection: it ends with its command.\n"
		"\nExamples:\n"
		"  sudo vigil sandbox --policy no-network.yaml -- curl https://example.com\n"
		"  sudo vigil sandbox --policy ro-etc.yaml -f json -o audit.json -- make install\n",
};

static int run_sandbox(int argc, char **argv)
{
	return stream_cmd_main(&sandbox, argc, argv);
}

static void sandbox_usage(FILE *out)
{
	stream_cmd_usage(&sandbox, out);
}

const struct command cmd_sandbox = {
	.name = "sandbox",
	.summary = "run a command under policies that apply to it alone",
	.run = run_sandbox,
	.usage = sandbox_usage,
	.options = stream_options,
	.variant = STREAM_SANDBOX,
};
