// SPDX-License-Identifier: GPL-2.0
#include "cli/cli.h"
#include "cli/stream_cmd.h"

static const struct stream_cmd run = {
	.name = "run",
	.variant = STREAM_RUN,
	.purpose =
		"Run the vigil agent: load the sensors and the policies (the built-in MITRE "
		"ATT&CK\n"
		"ruleset unless --no-default-rules, the policy directory, --policy), and report\n"
		"what matches until stopped (Ctrl-C, SIGTERM or vigil stop), then a summary.",
	.extra_usage =
		"\nEvents that match a rule are written with \"rule\" and \"action\"; others only\n"
		"when asked for with --events or --path. SIGHUP reloads the policies; a policy\n"
		"with errors is rejected and the ones in force stay. A policy's shield: section\n"
		"puts the XDP shield on the interfaces it names (vigil help shield); reloads\n"
		"change its rules atomically, and the agent detaches it when no policy names the\n"
		"interface any more, or when it stops.\n"
		"\nExamples:\n"
		"  sudo vigil run\n"
		"  sudo vigil run --policy /etc/vigil/policies/ --no-default-rules\n"
		"  sudo vigil run --events exec --comm bash,sh --format json\n"
		"  sudo vigil run -o /var/log/vigil/events.json -f json\n"
		"  sudo vigil run --sink journald: --sink 'syslog+tls://siem:6514?ca=ca.pem'\n"
		"  sudo vigil run --config ./vigil.yaml\n",
};

static int run_run(int argc, char **argv)
{
	return stream_cmd_main(&run, argc, argv);
}

static void run_usage(FILE *out)
{
	stream_cmd_usage(&run, out);
}

const struct command cmd_run = {
	.name = "run",
	.summary = "run the agent: stream security events",
	.run = run_run,
	.usage = run_usage,
	.options = stream_options,
	.variant = STREAM_RUN,
};
