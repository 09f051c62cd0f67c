// SPDX-License-Identifier: GPL-2.0
#include "core/log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level max_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	max_level = level;
}

enum log_level log_get_level(void)
{
	return max_level;
}

static void log_vmsg(enum log_level level, const char *subsys, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[LOG_ERROR] = "error: ",
		[LOG_WARN] = "warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};
	char *line;
	size_t len;

	if (level > max_level)
		return;
	/* Whole messages, however long: the verifier's log is the one that matters most. */
	if (vasprintf(&line, fmt, ap) < 0)
		return;
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	fprintf(stderr, "vigil: %s%s%s%s\n", subsys ? subsys : "", subsys ? ": " : "",
		prefix[level], line);
	free(line);
}

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, subsys, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf is verbose and its warnings are often expected (feature probes): debug only. */
	(void)level;
	log_vmsg(LOG_DEBUG, "libbpf", fmt, ap);
	return 0;
}

void log_bridge_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
