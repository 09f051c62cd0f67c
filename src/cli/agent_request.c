// SPDX-License-Identifier: GPL-2.0
/* One request to the running agent, as status, stop, reopen and policy apply make it. */
#include "cli/cli.h"
#include "core/control.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int agent_request(const char *cmd, const char *request, const char *body, size_t len)
{
	char *resp = NULL;
	int ret = control_request(control_path(), request, body, len, &resp);

	if (ret < 0) {
		if (ret == -EACCES || ret == -EPERM)
			fprintf(stderr, "vigil: %s: permission denied: run it as root\n", cmd);
		else if (ret == -ENOENT || ret == -ECONNREFUSED)
			fprintf(stderr, "vigil: %s: no agent is running (nothing answers at %s)\n",
				cmd, control_path());
		else
			fprintf(stderr, "vigil: %s: cannot ask the agent: %s\n", cmd,
				strerror(-ret));
		return ret == -EACCES || ret == -EPERM ? EX_NOPERM : EX_UNAVAILABLE;
	}
	fputs(resp, ret ? stderr : stdout);
	free(resp);
	return ret ? EXIT_RUNTIME : 0;
}
