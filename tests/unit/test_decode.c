// SPDX-License-Identifier: GPL-2.0
/* The decoder trusts no length in a record. */
#include "harness.h"
#include "events/event.h"

#include <errno.h>
#include <stdlib.h>

static size_t build_exec(unsigned char *buf, const char *exe, const char *cwd, const char *args,
			 size_t args_len)
{
	struct vigil_exec_event *r = (void *)buf;
	size_t off = sizeof(*r);

	memset(r, 0, sizeof(*r));
	r->hdr.type = VIGIL_EV_EXEC;
	r->exe_len = strlen(exe);
	r->cwd_len = strlen(cwd);
	r->args_len = args_len;
	memcpy(buf + off, exe, r->exe_len);
	off += r->exe_len;
	memcpy(buf + off, cwd, r->cwd_len);
	off += r->cwd_len;
	memcpy(buf + off, args, args_len);
	off += args_len;
	r->hdr.size = off;
	r->task.pid = 42;
	return off;
}

TEST(exec_record_decodes)
{
	unsigned char buf[512];
	size_t size = build_exec(buf, "/usr/bin/ls", "/tmp", "ls\0-l", 6);
	struct event ev;

	if (!ASSERT_OK(event_decode(buf, size, &ev), "decode"))
		return;
	ASSERT_EQ(ev.type, VIGIL_EV_EXEC, "type");
	ASSERT_EQ(ev.task->pid, 42, "pid");
	ASSERT_EQ(ev.exe_len, 11, "exe length");
	ASSERT_TRUE(!memcmp(ev.exe, "/usr/bin/ls", 11), "exe bytes");
	ASSERT_TRUE(!memcmp(ev.cwd, "/tmp", 4), "cwd bytes");
	ASSERT_TRUE(!memcmp(ev.args, "ls\0-l", 6), "args bytes");
}

TEST(string_lengths_past_the_record_are_rejected)
{
	unsigned char buf[512];
	size_t size = build_exec(buf, "/usr/bin/ls", "/tmp", "ls", 3);
	struct vigil_exec_event *r = (void *)buf;
	struct event ev;

	r->args_len = 400; /* claims more than the record holds */
	ASSERT_EQ(event_decode(buf, size, &ev), -EINVAL, "args past the end");
	r->args_len = 3;
	r->hdr.size = size + 100;
	ASSERT_EQ(event_decode(buf, size, &ev), -EINVAL, "header claims more than was read");
	r->hdr.size = 4;
	ASSERT_EQ(event_decode(buf, size, &ev), -EINVAL, "header smaller than itself");
}

TEST(short_and_unknown_records_are_rejected)
{
	struct vigil_exit_event exit_rec = { .hdr = { .type = VIGIL_EV_EXIT } };
	struct event ev;

	exit_rec.hdr.size = sizeof(exit_rec) - 1;
	ASSERT_EQ(event_decode(&exit_rec, sizeof(exit_rec), &ev), -EINVAL, "short exit");
	exit_rec.hdr.size = sizeof(exit_rec);
	exit_rec.status = 3 << 8;
	ASSERT_OK(event_decode(&exit_rec, sizeof(exit_rec), &ev), "exit decodes");
	ASSERT_EQ(ev.status, 3 << 8, "status");
	exit_rec.hdr.type = 999;
	ASSERT_EQ(event_decode(&exit_rec, sizeof(exit_rec), &ev), -EINVAL, "unknown type");
	ASSERT_EQ(event_decode(&exit_rec, 3, &ev), -EINVAL, "less than a header");
}

TEST(random_records_never_read_out_of_bounds)
{
	unsigned int seed = 7;
	struct event ev;

	/* Each buffer is its own allocation: ASan or valgrind would see a stray read. */
	for (int i = 0; i < 50000; i++) {
		size_t size = rand_r(&seed) % 256;
		unsigned char *buf = malloc(size ? size : 1);
		struct vigil_event_hdr *hdr = (void *)buf;

		for (size_t j = 0; j < size; j++)
			buf[j] = rand_r(&seed);
		if (size >= sizeof(*hdr)) {
			hdr->type = 1 + rand_r(&seed) % 3;
			if (rand_r(&seed) & 1)
				hdr->size = size;
		}
		if (!event_decode(buf, size, &ev) && ev.type == VIGIL_EV_EXEC)
			ASSERT_TRUE(ev.args + ev.args_len <= (const char *)buf + size,
				    "decoded strings stay inside the record");
		free(buf);
	}
}

TEST(type_names_round_trip)
{
	ASSERT_STREQ(event_type_name(VIGIL_EV_EXEC), "exec", "exec");
	ASSERT_STREQ(event_type_name(VIGIL_EV_EXIT), "exit", "exit");
	ASSERT_STREQ(event_type_name(VIGIL_EV_FORK), "fork", "fork");
	ASSERT_EQ(event_type_from_name("fork"), VIGIL_EV_FORK, "from name");
	ASSERT_EQ(event_type_from_name("nope"), 0, "unknown name");
	ASSERT_TRUE(event_type_name(1000) == NULL, "unknown type");
}
