// SPDX-License-Identifier: GPL-2.0
/* Records in, lines out: the stream with crafted records, without the kernel. */
#include "harness.h"
#include "events/stream.h"
#include "sensors/sensor.h"
#include "vigil/ev_file.h"
#include "vigil/ev_net.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <unistd.h>

struct capture {
	char *buf;
	size_t size;
	FILE *f;
	struct stream *s;
};

static const struct event_verdict test_verdict = {
	.rule_id = "test-rule",
	.severity = "high",
	.policy = "tests",
	.description = "A shell started under sshd (bash, sh, zsh): a login, or worse",
	.action = "alert",
};

/* A judge that flags every exec. */
static const struct event_verdict *judge_execs(void *ctx, const struct event_view *v)
{
	(void)ctx;
	return v->ev->type == VIGIL_EV_EXEC ? &test_verdict : NULL;
}

static bool capture_open_judged(struct capture *c, enum output_format format, const char *events,
				bool judged)
{
	struct stream_config cfg = { .format = format };
	char err[128];

	if (judged) {
		cfg.judge = judge_execs;
		cfg.show_unmatched = true;
	}
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->size);
	cfg.out = c->f;
	if (events && !ASSERT_OK(filter_add_types(&cfg.filter, events, err, sizeof(err)), err))
		return false;
	return ASSERT_OK(stream_new(&c->s, &cfg), "stream_new");
}

static bool capture_open(struct capture *c, enum output_format format, const char *events)
{
	return capture_open_judged(c, format, events, false);
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
		v = json_object_array_get_idx(v, 0);
		ASSERT_STREQ(json_object_get_string(json_object_object_get(v, "exe")),
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

/* The kernel's counters: @throttled opens over uid @uid's budget, @full connects lost to a full
 * ring buffer by uid 0. */
static struct losses kernel_losses(__u32 uid, __u64 throttled, __u64 full)
{
	struct losses l = { .total = throttled + full };

	l.throttled[VIGIL_EV_OPEN] = throttled;
	l.ring_full[VIGIL_EV_CONNECT] = full;
	l.uids[l.n_uids++] = (struct uid_losses){ uid, throttled, 0, EVENT_BIT(VIGIL_EV_OPEN) };
	if (full)
		l.uids[l.n_uids++] = (struct uid_losses){ 0, 0, full, EVENT_BIT(VIGIL_EV_CONNECT) };
	return l;
}

TEST(lost_records_appear_in_the_stream)
{
	const char *expect =
		"\"lost\":{\"count\":7,\"total\":7,\"throttled\":5,\"ring_full\":2,"
		"\"types\":{\"open\":{\"throttled\":5,\"ring_full\":0},"
		"\"connect\":{\"throttled\":0,\"ring_full\":2}},\"uids\":[{\"uid\":65534,";
	struct losses k;
	struct json_object *o;
	struct capture c;

	if (!capture_open(&c, FORMAT_JSON, "exec"))
		return;
	stream_update_losses(c.s, &(struct losses){ 0 });
	ASSERT_STREQ(captured(&c), "", "no loss, no record");
	k = kernel_losses(65534, 5, 2);
	stream_update_losses(c.s, &k);
	stream_update_losses(c.s, &k);
	o = json_tokener_parse(captured(&c));
	if (ASSERT_NOT_NULL(o, "lost record parses, even with an exec-only filter")) {
		ASSERT_TRUE(strstr(captured(&c), expect) != NULL, "count, total, types, uids");
		ASSERT_TRUE(strstr(captured(&c), "\"ring_full\":0,\"types\":[\"open\"]}") != NULL,
			    "what uid 65534 lost");
		ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "type")), "lost",
			     "type");
		json_object_put(o);
	}
	ASSERT_EQ(strchr(captured(&c), '\n') - captured(&c) + 1, (long long)strlen(captured(&c)),
		  "reported once");
	capture_close(&c);
}

TEST(lost_counts_survive_a_uid_the_kernel_forgot)
{
	const struct losses *total;
	struct losses k;
	struct capture c;

	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	k = kernel_losses(1000, 10, 0);
	stream_update_losses(c.s, &k);
	/* the kernel's LRU map dropped uid 1000 and counted it again from 0 */
	k = kernel_losses(1000, 4, 0);
	k.total = 14;
	k.throttled[VIGIL_EV_OPEN] = 14;
	stream_update_losses(c.s, &k);
	total = stream_losses(c.s);
	ASSERT_EQ(total->total, 14, "total");
	ASSERT_EQ(total->n_uids, 1, "one uid");
	ASSERT_EQ(total->uids[0].throttled, 14, "uid 1000's 10, then 4 more");
	ASSERT_TRUE(strstr(captured(&c), "\"count\":4,\"total\":14") != NULL, "the second record");
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

/* Line @i (from 0) of what was captured, parsed; NULL when there is none. */
static struct json_object *line_json(struct capture *c, int i)
{
	const char *l = captured(c);

	while (i-- > 0 && l)
		l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL;
	return l && *l ? json_tokener_parse(l) : NULL;
}

static const char *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static struct json_object *object_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
							      : !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

TEST(every_line_says_who_wrote_it_and_its_place)
{
	char host[256] = "", boot_id[64] = "", instance[64] = "";
	unsigned char buf[1024];
	struct json_object *o;
	struct capture c;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	int i;

	gethostname(host, sizeof(host));
	if (f) {
		if (fscanf(f, "%63s", boot_id) != 1)
			boot_id[0] = '\0';
		fclose(f);
	}
	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	for (i = 0; i < 3; i++) {
		size_t size = exec_record(buf, 50 + i, 1, "/usr/bin/true", "true", 5, 1 + i);

		ASSERT_OK(stream_handle_record(c.s, buf, size), "exec");
	}
	stream_update_losses(c.s, &(struct losses){ .total = 2, .ring_full[VIGIL_EV_OPEN] = 2 });
	ASSERT_OK(stream_handle_record(c.s, buf, exec_record(buf, 60, 1, "/bin/x", "x", 2, 9)),
		  "exec after the loss");
	for (i = 0; (o = line_json(&c, i)); i++) {
		ASSERT_EQ(json_object_get_int64(object_at(o, "seq")), i + 1,
			  "seq: one more per line, lost records too");
		ASSERT_STREQ(member(o, "host"), host, "host");
		ASSERT_STREQ(member(o, "boot_id"), boot_id, "boot_id");
		ASSERT_TRUE(is_uuid(member(o, "agent_instance")), "agent_instance is a UUID");
		if (i == 0)
			snprintf(instance, sizeof(instance), "%s", member(o, "agent_instance"));
		ASSERT_STREQ(member(o, "agent_instance"), instance, "the same on every line");
		if (i == 3)
			ASSERT_STREQ(member(o, "type"), "lost", "the lost record has its seq");
		json_object_put(o);
	}
	ASSERT_EQ(i, 5, "five lines");
	capture_close(&c);

	/* a new start is a new instance, counting from 1 again */
	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	ASSERT_OK(stream_handle_record(c.s, buf, exec_record(buf, 60, 1, "/bin/x", "x", 2, 9)),
		  "exec");
	o = line_json(&c, 0);
	if (ASSERT_NOT_NULL(o, "a line")) {
		ASSERT_TRUE(strcmp(member(o, "agent_instance"), instance) != 0,
			    "another instance id");
		ASSERT_EQ(json_object_get_int64(object_at(o, "seq")), 1, "seq starts at 1");
		json_object_put(o);
	}
	capture_close(&c);
}

TEST(user_and_group_names_beside_the_ids)
{
	unsigned char buf[1024];
	struct vigil_exec_event *r = (void *)buf;
	struct json_object *o, *p;
	struct capture c;
	size_t size;

	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	size = exec_record(buf, 70, 1, "/usr/bin/id", "id", 3, 1);
	r->task.uid = 0;
	r->task.euid = 0;
	r->task.gid = 0;
	ASSERT_OK(stream_handle_record(c.s, buf, size), "exec as root");
	size = exec_record(buf, 71, 1, "/usr/bin/id", "id", 3, 2);
	r->task.uid = r->task.euid = r->task.gid = 3999999999u;
	ASSERT_OK(stream_handle_record(c.s, buf, size), "exec as an id without a name");
	o = line_json(&c, 0);
	p = object_at(o, "process");
	if (ASSERT_NOT_NULL(p, "process of the first")) {
		ASSERT_STREQ(member(p, "user"), "root", "user");
		ASSERT_STREQ(member(p, "euser"), "root", "euser");
		ASSERT_TRUE(member(p, "group") && *member(p, "group"), "group");
	}
	json_object_put(o);
	o = line_json(&c, 1);
	p = object_at(o, "process");
	if (ASSERT_NOT_NULL(p, "process of the second")) {
		ASSERT_EQ(json_object_get_int64(object_at(p, "uid")), 3999999999u, "uid kept");
		ASSERT_TRUE(object_at(p, "user") == NULL && strstr(captured(&c), "\"user\":null"),
			    "no name: null");
	}
	json_object_put(o);
	capture_close(&c);
}

/* A chain of @n processes, pid 1000 (parent 1, unknown) to 1000 + n - 1, each with @args. */
static void exec_chain(struct capture *c, int n, const char *args, size_t args_len)
{
	static unsigned char buf[8192];

	for (int i = 0; i < n; i++) {
		size_t size = exec_record(buf, 1000 + i, i ? 1000 + i - 1 : 1, "/usr/bin/sh", args,
					  args_len, 100 + i);

		ASSERT_OK(stream_handle_record(c->s, buf, size), "exec in the chain");
	}
}

static struct json_object *last_line(struct capture *c, int n)
{
	return line_json(c, n - 1);
}

TEST(ancestors_are_objects_ending_at_an_unknown_process)
{
	struct json_object *o, *anc, *a;
	struct capture c;

	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	exec_chain(&c, 3, "sh\0-c\0x", 8);
	o = last_line(&c, 3);
	anc = object_at(o, "ancestors");
	if (!ASSERT_NOT_NULL(anc, "ancestors") ||
	    !ASSERT_EQ(json_object_array_length(anc), 3, "two known and the unknown one"))
		goto out;
	a = json_object_array_get_idx(anc, 0);
	ASSERT_EQ(json_object_get_int(object_at(a, "pid")), 1001, "pid");
	ASSERT_STREQ(member(a, "exe"), "/usr/bin/sh", "exe");
	ASSERT_EQ(json_object_array_length(object_at(a, "args")), 3, "args");
	ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(object_at(a, "args"), 2)),
		     "x", "an arg");
	ASSERT_STREQ(member(a, "exec_id"), "1001:101", "exec_id");
	ASSERT_STREQ(member(a, "exec_id"), member(object_at(o, "parent"), "exec_id"),
		     "the first is the parent");
	a = json_object_array_get_idx(anc, 2);
	ASSERT_EQ(json_object_get_int(object_at(a, "pid")), 1, "the unknown one's pid");
	ASSERT_TRUE(json_object_get_boolean(object_at(a, "unknown")), "unknown: true");
	ASSERT_TRUE(object_at(a, "exe") == NULL, "nothing made up for it");
	ASSERT_TRUE(object_at(o, "ancestors_truncated") == NULL, "not truncated");
out:
	json_object_put(o);
	capture_close(&c);
}

TEST(ancestors_are_bounded_in_depth)
{
	struct json_object *o, *anc;
	struct capture c;

	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	exec_chain(&c, VIEW_MAX_ANCESTORS + 5, "sh", 3);
	o = last_line(&c, VIEW_MAX_ANCESTORS + 5);
	anc = object_at(o, "ancestors");
	ASSERT_EQ(json_object_array_length(anc), VIEW_MAX_ANCESTORS, "at most 32");
	ASSERT_TRUE(json_object_get_boolean(object_at(o, "ancestors_truncated")),
		    "ancestors_truncated");
	json_object_put(o);
	capture_close(&c);
}

TEST(ancestors_are_bounded_in_size)
{
	char args[1000];
	struct json_object *o, *anc, *a;
	struct capture c;
	size_t n, kept = 0;

	memset(args, 'a', sizeof(args));
	args[sizeof(args) - 1] = '\0';
	if (!capture_open(&c, FORMAT_JSON, NULL))
		return;
	exec_chain(&c, 40, args, sizeof(args));
	o = last_line(&c, 40);
	anc = object_at(o, "ancestors");
	n = json_object_array_length(anc);
	ASSERT_TRUE(n > 0 && n < VIEW_MAX_ANCESTORS, "the size bound comes first");
	for (size_t i = 0; i < n; i++) {
		a = json_object_array_get_idx(anc, i);
		ASSERT_EQ(strlen(json_object_get_string(
				  json_object_array_get_idx(object_at(a, "args"), 0))),
			  ANCESTOR_ARGS_MAX, "argv cut to 256 bytes");
		ASSERT_TRUE(json_object_get_boolean(object_at(a, "args_truncated")),
			    "args_truncated");
		kept += strlen(member(a, "exe")) + ANCESTOR_ARGS_MAX;
	}
	ASSERT_TRUE(kept <= ANCESTORS_BYTES_MAX, "8 KiB of exe and argv at most");
	ASSERT_TRUE(json_object_get_boolean(object_at(o, "ancestors_truncated")),
		    "ancestors_truncated");
	json_object_put(o);
	capture_close(&c);
}

TEST(alerts_carry_a_message_in_json_and_text)
{
	static const char want[] =
		"A shell started under sshd (process=/usr/bin/bash pid=20 user=root "
		"parent=/usr/sbin/sshd command=bash -c echo hi action=alert)";
	unsigned char buf[1024];
	struct json_object *o;
	struct capture c;
	size_t size;

	for (int text = 0; text < 2; text++) {
		if (!capture_open_judged(&c, text ? FORMAT_TEXT : FORMAT_JSON, NULL, true))
			return;
		size = exec_record(buf, 10, 0, "/usr/sbin/sshd", "sshd", 5, 1);
		ASSERT_OK(stream_handle_record(c.s, buf, size), "sshd exec");
		size = exec_record(buf, 20, 10, "/usr/bin/bash", "bash\0-c\0echo hi", 16, 2);
		((struct vigil_exec_event *)buf)->task.uid = 0;
		ASSERT_OK(stream_handle_record(c.s, buf, size), "bash exec");
		if (text) {
			ASSERT_TRUE(strstr(captured(&c), "[alert high test-rule]\n             ") &&
					    strstr(captured(&c), want),
				    "text: the message under the alert, indented");
		} else {
			o = line_json(&c, 1);
			ASSERT_STREQ(member(o, "message"), want, "JSON message");
			ASSERT_STREQ(member(object_at(o, "rule"), "description"),
				     test_verdict.description, "rule.description");
			json_object_put(o);
		}
		capture_close(&c);
	}
}

/* A judge that flags execs whose stdin pipe base64 writes into. */
static const struct event_verdict *judge_base64_stdin(void *ctx, const struct event_view *v)
{
	(void)ctx;
	return v->stdin && !strcmp(v->stdin->exe, "/usr/bin/base64") ? &test_verdict : NULL;
}

/* An exec of @exe as pid @pid at @when_s seconds, reading pipe @in and writing pipe @out. */
static void piped_exec(struct stream *s, __u32 pid, const char *exe, __u64 in, __u64 out,
		       double when_s)
{
	unsigned char buf[512];
	struct vigil_exec_event *r = (void *)buf;
	size_t size = exec_record(buf, pid, 1, exe, exe, strlen(exe) + 1, when_s * 1e9);

	r->stdin_ino = in;
	r->stdout_ino = out;
	r->stdin_dev = r->stdout_dev = 12;
	ASSERT_OK(stream_handle_record(s, buf, size), exe);
}

static void exit_record(struct stream *s, __u32 pid, double when_s)
{
	struct vigil_exit_event ex = { .hdr = { .type = VIGIL_EV_EXIT, .size = sizeof(ex) } };

	ex.hdr.time_ns = when_s * 1e9;
	ex.task.pid = ex.task.tid = pid;
	ASSERT_OK(stream_handle_record(s, &ex, sizeof(ex)), "exit");
}

/* How many lines name @pid as the process (an alert on its exec). */
static size_t alerts_for(struct capture *c, __u32 pid)
{
	char key[48];
	size_t n = 0;

	snprintf(key, sizeof(key), "\"process\":{\"pid\":%u,", pid);
	for (const char *p = captured(c); (p = strstr(p, key)); p++)
		n++;
	return n;
}

TEST(a_pipe_links_its_reader_to_its_writer_in_either_order)
{
	struct stream_config cfg = { .format = FORMAT_JSON, .judge = judge_base64_stdin };
	struct capture c;

	memset(&c, 0, sizeof(c));
	c.f = open_memstream(&c.buf, &c.size);
	cfg.out = c.f;
	if (!ASSERT_OK(stream_new(&c.s, &cfg), "stream_new"))
		return;
	/* the writer first: linked, also once it has exited (a fast decoder) */
	piped_exec(c.s, 10, "/usr/bin/base64", 0, 100, 1.0);
	exit_record(c.s, 10, 1.1);
	piped_exec(c.s, 11, "/usr/bin/sh", 100, 0, 1.2);
	ASSERT_EQ(alerts_for(&c, 11), 1, "reader after its writer (gone by then)");
	ASSERT_TRUE(strstr(captured(&c), "\"stdin\":{\"pid\":10,\"exe\":\"/usr/bin/base64\"") !=
			    NULL,
		    "the writer is in the line");
	/* the reader first, then another writer (sleep), then the decoder */
	piped_exec(c.s, 20, "/usr/bin/sh", 200, 0, 2.0);
	ASSERT_EQ(alerts_for(&c, 20), 0, "no writer yet");
	piped_exec(c.s, 21, "/usr/bin/sleep", 0, 200, 2.1);
	ASSERT_EQ(alerts_for(&c, 20), 0, "sleep writes into it");
	piped_exec(c.s, 22, "/usr/bin/base64", 0, 200, 2.5);
	ASSERT_EQ(alerts_for(&c, 20), 1, "judged again when the decoder execs");
	piped_exec(c.s, 23, "/usr/bin/base64", 0, 200, 2.6);
	ASSERT_EQ(alerts_for(&c, 20), 1, "once");
	/* bounded: a writer gone for longer than the window, a reader held for longer */
	piped_exec(c.s, 30, "/usr/bin/base64", 0, 300, 3.0);
	exit_record(c.s, 30, 3.1);
	piped_exec(c.s, 31, "/usr/bin/sh", 300, 0, 6.0);
	ASSERT_EQ(alerts_for(&c, 31), 0, "its writer exited 3 s before");
	piped_exec(c.s, 40, "/usr/bin/sh", 400, 0, 7.0);
	piped_exec(c.s, 41, "/usr/bin/base64", 0, 400, 9.5);
	ASSERT_EQ(alerts_for(&c, 40), 0, "its writer came 2.5 s after");
	/* the same inode number on another device is another pipe */
	piped_exec(c.s, 50, "/usr/bin/base64", 0, 500, 10.0);
	{
		unsigned char buf[512];
		struct vigil_exec_event *r = (void *)buf;
		size_t size = exec_record(buf, 51, 1, "/usr/bin/sh", "sh", 3, 10.1e9);

		r->stdin_ino = 500;
		r->stdin_dev = 13;
		ASSERT_OK(stream_handle_record(c.s, buf, size), "sh on another device");
	}
	ASSERT_EQ(alerts_for(&c, 51), 0, "another device's pipe");
	/* a pipe's writers in turn: sleep before the reader, the decoder after it */
	piped_exec(c.s, 60, "/usr/bin/sleep", 0, 600, 11.0);
	piped_exec(c.s, 61, "/usr/bin/sh", 600, 0, 11.1);
	piped_exec(c.s, 62, "/usr/bin/base64", 0, 600, 11.5);
	ASSERT_EQ(alerts_for(&c, 61), 1, "the writer after the reader's first writer");
	capture_close(&c);
}
