// SPDX-License-Identifier: GPL-2.0
/*
 * true, echo and sleep for the test VM, one static binary each (-DTOOL_TRUE, -DTOOL_ECHO,
 * -DTOOL_SLEEP). busybox's applets are all one file that picks its applet by argv[0]: the tests
 * expect /bin/true to be its own executable (exe paths in events, copies of it run under other
 * names), and busybox sh runs /bin/echo without an exec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
#if defined(TOOL_ECHO)
	for (int i = 1; i < argc; i++)
		printf("%s%s", i > 1 ? " " : "", argv[i]);
	printf("\n");
#elif defined(TOOL_SLEEP)
	if (argc > 1)
		usleep((useconds_t)(strtod(argv[1], NULL) * 1e6));
#else
	(void)argc;
	(void)argv;
#endif
	return 0;
}
