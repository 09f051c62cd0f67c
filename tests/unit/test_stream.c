// SPDX-License-Identifier: GPL-2.0
/* Records in, lines out: the stream with crafted records, without the kernel. */
#include "harness.h"
#include "events/stream.h"
#include "vigil/ev_file.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>

struct capture {
	char *buf;
	size_t size;
	FILE *f;
	struct stream *s;
};

static bool capture_open(struct capture *c, enum output_format format, const char *events)
{
	struct stream_config cfg = { .format = format };
	char err[128];

	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->size);
	cfg.out = c->f;
	if (events && !ASSERT_OK(filter_add_types(&cfg.filter, events, err, sizeof(err)), err))
		return false;
	return ASSERT_OK(stream_new(&c->s, &cfg), "stream_new");
}

static void capture_close(struct capture *c)
{
	stream_free(c->s);
	fclose(c->f);
	free(c->buf);
}

/* Everything written so far. */
static const char *captured(struct capture *c)
{
	fflush(c->f);
	return c->buf ? c->buf : "";
}

static size_t exec_record(unsigned char *buf, __u32 pid, __u32 ppid, const char *exe,
			  const char *args, size_t args_len, __u64 when)
{
	struct vigil_exec_event *r = (void *)buf;
	size_t off = sizeof(*r);

	memset(r, 0, sizeof(*r));
	r->hdr.type = VIGIL_EV_EXEC;
	r->hdr.time_ns = when;
	r->task.pid = r->task.tid = pid;
	r->task.ppid = ppid;
	r->task.uid = 1000;
	snprintf(r->task.comm, sizeof(r->task.comm), "%s", strrchr(exe, '/') + 1);
	r->exe_len = strlen(exe);
	memcpy(buf + off, exe, r->exe_len);
	off += r->exe_len;
	r->cwd_len = 1;
	buf[off++] = '/';
	r->args_len = args_len;
	memcpy(buf + off, args, args_len);
	off += args_len;
	r->hdr.size = off;
	return off;
}

TEST(exec_then_exit_as_json)
{
	unsigned char buf[1024];
	struct vigil_exit_event ex = { .hdr = { .type = VIGIL_EV_EXIT, .size = sizeof(ex) } };
	struct json_object *o;
	struct capture c;
	char *line2;
	size_t size;

	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	size = exec_record(buf, 10, 0, "/usr/sbin/sshd", "sshd\0-D", 8, 1000);
	ASSERT_OK(stream_handle_record(c.s, buf, size), "sshd exec");
	size = exec_record(buf, 20, 10, "/usr/bin/bash", "bash\0-c\0echo \"hi\"\n", 19, 2000);
	ASSERT_OK(stream_handle_record(c.s, buf, size), "bash exec");
	ex.task.pid = ex.task.tid = 20;
	ex.task.ppid = 10;
	ex.status = 0x8f00 | 0; /* exit code 143 */
	ex.duration_ns = 5;
	ASSERT_OK(stream_handle_record(c.s, &ex, sizeof(ex)), "bash exit");

	line2 = strchr(captured(&c), '\n');
	if (!ASSERT_NOT_NULL(line2, "two lines or more"))
		goto out;
	o = json_tokener_parse(line2 + 1);
	if (ASSERT_NOT_NULL(o, "bash exec line parses")) {
		struct json_object *v;

		json_object_object_get_ex(o, "process", &v);
		json_object_object_get_ex(v, "args", &v);
		ASSERT_EQ(json_object_array_length(v), 3, "three args");
		ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(v, 2)),
			     "echo \"hi\"\n", "arg with quote and newline");
		json_object_object_get_ex(o, "ancestors", &v);
		ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(v, 0)),
			     "/usr/sbin/sshd", "ancestor");
		json_object_object_get_ex(o, "parent", &v);
		json_object_object_get_ex(v, "exec_id", &v);
		ASSERT_STREQ(json_object_get_string(v), "10:1000", "parent exec_id");
		json_object_put(o);
	}
	ASSERT_TRUE(strstr(captured(&c), "\"exit\":{\"code\":143,\"signal\":0") != NULL,
		    "exit code");
	ASSERT_TRUE(proctab_lookup(stream_proctab(c.s), 20) == NULL, "exited process forgotten");
	ASSERT_EQ(stream_stats(c.s)->written, 3, "three written");
out:
	capture_close(&c);
}

TEST(exe_flags_are_named_in_json_and_text)
{
	unsigned char buf[1024];
	struct capture c;
	size_t size;

	size = exec_record(buf, 40, 1, "/usr/bin/bash", "bash\0-i", 8, 1);
	((struct vigil_exec_event *)buf)->exe_flags = VIGIL_EXE_DELETED | VIGIL_EXE_STDIO_SOCKET;
	if (capture_open(&c, FORMAT_JSON, NULL)) {
		ASSERT_OK(stream_handle_record(c.s, buf, size), "exec as JSON");
		ASSERT_TRUE(strstr(captured(&c), "\"exe_flags\":[\"deleted\",\"stdio_socket\"]") !=
				    NULL,
			    "JSON names both flags");
		capture_close(&c);
	}
	if (capture_open(&c, FORMAT_TEXT, NULL)) {
		ASSERT_OK(stream_handle_record(c.s, buf, size), "exec as text");
		ASSERT_TRUE(strstr(captured(&c), "/usr/bin/bash [deleted,stdio_socket] bash -i") !=
				    NULL,
			    "text names both flags after the exe");
		capture_close(&c);
	}
}

TEST(malformed_records_are_counted_not_printed)
{
	unsigned char junk[40] = { 0xff, 0xff, 0xff, 0xff };
	struct capture c;

	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	ASSERT_EQ(stream_handle_record(c.s, junk, sizeof(junk)), -EINVAL, "rejected");
	ASSERT_EQ(stream_stats(c.s)->malformed, 1, "counted");
	ASSERT_STREQ(captured(&c), "", "nothing printed");
	capture_close(&c);
}

TEST(lost_records_appear_in_the_stream)
{
	struct json_object *o;
	struct capture c;

	if (!capture_open(&c, FORMAT_JSON, "exec"))
		return;
	stream_update_lost(c.s, 0);
	ASSERT_STREQ(captured(&c), "", "no loss, no record");
	stream_update_lost(c.s, 7);
	stream_update_lost(c.s, 7);
	o = json_tokener_parse(captured(&c));
	if (ASSERT_NOT_NULL(o, "lost record parses, even with an exec-only filter")) {
		ASSERT_TRUE(strstr(captured(&c), "\"type\":\"lost\",\"lost\":{\"count\":7,"
						 "\"total\":7}") != NULL,
			    "count and total");
		json_object_put(o);
	}
	ASSERT_EQ(strchr(captured(&c), '\n') - captured(&c) + 1, (long long)strlen(captured(&c)),
		  "reported once");
	capture_close(&c);
}

/* An open of @path by @pid, with the kernel's aggregation fields. */
static size_t open_record(unsigned char *buf, __u32 pid, const char *path, __u64 key, __u64 total,
			  __u64 evicted_key, __u64 evicted_total)
{
	struct vigil_file_event *r = (void *)buf;

	memset(r, 0, sizeof(*r));
	r->hdr.type = VIGIL_EV_OPEN;
	r->hdr.time_ns = 2000;
	r->task.pid = r->task.tid = pid;
	snprintf(r->task.comm, sizeof(r->task.comm), "cat");
	r->access = VIGIL_FILE_ACCESS_READ;
	r->result = 3;
	r->agg_key = key;
	r->agg_total = total;
	r->agg_evicted_key = evicted_key;
	r->agg_evicted_total = evicted_total;
	r->path_len = strlen(path);
	memcpy(buf + sizeof(*r), path, r->path_len);
	r->hdr.size = sizeof(*r) + r->path_len;
	return r->hdr.size;
}

/*
 * Opens folded in the kernel reach the stream as counts: a summary line is not a record seen,
 * so "shown" never exceeds "seen", and every folded open is counted once.
 */
TEST(summaries_of_folded_opens_are_counted_apart_from_records)
{
	unsigned char buf[1024];
	const struct stream_stats *st;
	struct capture c;
	size_t size;

	if (!capture_open(&c, FORMAT_TEXT, "open"))
		return;
	size = open_record(buf, 20, "/etc/hosts", 0x11, 0, 0, 0);
	ASSERT_OK(stream_handle_record(c.s, buf, size), "first open of /etc/hosts");
	/* another file took the slot over: /etc/hosts had 1 open folded since its report */
	size = open_record(buf, 20, "/etc/passwd", 0x21, 0, 0x11, 1);
	ASSERT_OK(stream_handle_record(c.s, buf, size), "open of /etc/passwd");
	st = stream_stats(c.s);
	ASSERT_EQ(st->records, 2, "two records seen");
	ASSERT_EQ(st->written, 2, "two records shown");
	ASSERT_EQ(st->summaries, 1, "one summary line");
	ASSERT_EQ(st->folded, 1, "one folded open");
	ASSERT_NOT_NULL(strstr(captured(&c), "(1 more like the last, folded)"),
			"the summary says how many");
	capture_close(&c);
}

TEST(text_output_neutralises_terminal_escapes)
{
	unsigned char buf[1024];
	struct capture c;
	size_t size;

	if (!capture_open(&c, FORMAT_TEXT, NULL))
		return;
	size = exec_record(buf, 30, 1, "/usr/bin/printf", "printf\0\033]0;pwned\a\0a b", 21, 1);
	ASSERT_OK(stream_handle_record(c.s, buf, size), "exec");
	ASSERT_TRUE(strchr(captured(&c), '\033') == NULL, "no raw ESC reaches the terminal");
	ASSERT_TRUE(strstr(captured(&c), "\\x1b]0;pwned\\x07") != NULL, "escaped visibly");
	ASSERT_TRUE(strstr(captured(&c), "'a b'") != NULL, "args with spaces quoted");
	ASSERT_TRUE(strstr(captured(&c), "TIME") != NULL, "a header line");
	capture_close(&c);
}
