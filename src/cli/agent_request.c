// SPDX-License-Identifier: GPL-2.0
/* One request to the running agent, as status, stop, reopen and policy apply make it. */
#include "cli/cli.h"
#include "core/control.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int control_error(const char *cmd, int err)
{
	char why[512];

	control_strerror(err, control_path(), why, sizeof(why));
	fprintf(stderr, "vigil: %s: %s\n", cmd, why);
	return control_exit(err);
}

int agent_request(const char *cmd, const char *request, const char *body, size_t len)
{
	char *resp = NULL;
	int ret = control_request(control_path(), request, body, len, &resp);

	if (ret < 0)
		return control_error(cmd, ret);
	fputs(resp, ret ? stderr : stdout);
	free(resp);
	return ret ? EXIT_RUNTIME : 0;
}
