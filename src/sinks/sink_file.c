// SPDX-License-Identifier: GPL-2.0
/*
 * file:PATH: JSON lines appended to a file, with -o's checks and writer (sinks/output.h). What
 * a write fails to take (a full disk) is counted as "unwritten".
 */
#include "sinks/output.h"
#include "sinks/sink.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int file_open(void **ctx, const char *url, char *why, size_t len)
{
	const char *path = url + strlen("file:");
	struct output *out;
	int fd, err;

	if (!*path) {
		snprintf(why, len, "file: needs a path, like file:/var/log/vigil/alerts.json");
		return -EINVAL;
	}
	fd = output_file_open(path, why, len);
	if (fd < 0)
		return fd;
	err = output_new(&out, fd, path);
	if (err) {
		close(fd);
		return err;
	}
	*ctx = out;
	return 0;
}

static int file_send(void *ctx, const struct sink_record *r)
{
	FILE *f = output_stream(ctx);

	fwrite(r->json, 1, r->len, f);
	fputc('\n', f);
	return 0;
}

/* Hand the lines to the writer: what it cannot write it counts itself (unwritten). */
static int file_flush(void *ctx)
{
	fflush(output_stream(ctx));
	return 0;
}

static void file_close(void *ctx)
{
	output_close(ctx);
}

static void file_reopen(void *ctx)
{
	char msg[512];

	if (output_reopen(ctx, msg, sizeof(msg)))
		pr_warn("sink", "%s", msg);
	else
		pr_info("sink", "%s", msg);
}

static size_t file_counters(void *ctx, struct sink_counter *c, size_t max)
{
	struct output_stats st;

	if (!max)
		return 0;
	output_stats(ctx, &st);
	c[0] = (struct sink_counter){ "unwritten", st.unwritten };
	return 1;
}

const struct sink_ops sink_file_ops = {
	.scheme = "file",
	.open = file_open,
	.send = file_send,
	.flush = file_flush,
	.close = file_close,
	.reopen = file_reopen,
	.counters = file_counters,
};
