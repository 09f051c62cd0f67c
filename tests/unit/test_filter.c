// SPDX-License-Identifier: GPL-2.0
#include "harness.h"
#include "events/filter.h"
#include "vigil/ev_file.h"

#include <errno.h>

static struct event event_of(enum vigil_event_type type, struct vigil_task *t, __u32 pid,
			     const char *comm)
{
	struct event ev = { .type = type, .task = t };

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	return ev;
}

TEST(parse_errors_say_what_is_wrong)
{
	struct filter f = { 0 };
	char err[256];

	ASSERT_EQ(filter_add_types(&f, "exec,bogus", err, sizeof(err)), -EINVAL, "bad type");
	ASSERT_TRUE(strstr(err, "'bogus'") && strstr(err, "exec") && strstr(err, "exit"),
		    "names the bad item and the known ones");
	ASSERT_EQ(filter_add_pids(&f, "12x", err, sizeof(err)), -EINVAL, "bad pid");
	ASSERT_TRUE(strstr(err, "'12x'") != NULL, "names the bad pid");
	ASSERT_EQ(filter_add_pids(&f, "-3", err, sizeof(err)), -EINVAL, "negative pid");
	ASSERT_EQ(filter_add_pids(&f, "0", err, sizeof(err)), -EINVAL, "pid 0");
	ASSERT_EQ(filter_add_pids(&f, "99999999999999999999", err, sizeof(err)), -EINVAL,
		  "overflow");
	ASSERT_EQ(filter_add_pids(&f, ",,", err, sizeof(err)), -EINVAL, "empty list");
}

TEST(matching)
{
	struct filter f = { 0 };
	struct vigil_task t;
	struct event ev;
	char err[256];

	ev = event_of(VIGIL_EV_EXEC, &t, 5, "bash");
	ASSERT_TRUE(filter_match(&f, &ev), "empty filter matches everything");
	ASSERT_OK(filter_add_types(&f, "exit,fork", err, sizeof(err)), "types");
	ASSERT_FALSE(filter_match(&f, &ev), "exec not selected");
	ev = event_of(VIGIL_EV_EXIT, &t, 5, "bash");
	ASSERT_TRUE(filter_match(&f, &ev), "exit selected");
	ASSERT_OK(filter_add_pids(&f, "4,5", err, sizeof(err)), "pids");
	ASSERT_TRUE(filter_match(&f, &ev), "pid in list");
	ev = event_of(VIGIL_EV_EXIT, &t, 6, "bash");
	ASSERT_FALSE(filter_match(&f, &ev), "pid not in list");
}

TEST(comm_compares_what_the_kernel_keeps)
{
	struct filter f = { 0 };
	struct vigil_task t;
	struct event ev;
	char err[256];

	/* "systemd-journald" is 16 bytes; the kernel keeps "systemd-journal". */
	ASSERT_OK(filter_add_comms(&f, "systemd-journald", err, sizeof(err)), "comm");
	ev = event_of(VIGIL_EV_EXEC, &t, 1, "systemd-journal");
	ASSERT_TRUE(filter_match(&f, &ev), "long name matches its kernel form");
	ev = event_of(VIGIL_EV_EXEC, &t, 1, "systemd");
	ASSERT_FALSE(filter_match(&f, &ev), "a prefix is not a match");
}

/* An open record of @path (@flags: VIGIL_FILE_*), decoded into @ev. */
static void open_event(struct event *ev, char *rec, size_t size, const char *path, __u16 flags)
{
	struct vigil_file_event *r = (struct vigil_file_event *)rec;
	size_t len = strlen(path);

	memset(rec, 0, size);
	r->hdr.type = VIGIL_EV_OPEN;
	r->hdr.flags = flags;
	r->hdr.size = sizeof(*r) + len;
	r->task.pid = 7;
	r->path_len = len;
	memcpy(r + 1, path, len);
	ASSERT_OK(event_decode(rec, r->hdr.size, ev), "decode");
}

TEST(path_alone_shows_file_events_only)
{
	struct filter f = { 0 };
	char rec[512], err[256];
	struct vigil_task t;
	struct event ev;

	ASSERT_OK(filter_add_path(&f, "/etc", err, sizeof(err)), "path");
	open_event(&ev, rec, sizeof(rec), "/etc/passwd", 0);
	ASSERT_TRUE(filter_match(&f, &ev), "an open under the path");
	open_event(&ev, rec, sizeof(rec), "/etcetera", 0);
	ASSERT_FALSE(filter_match(&f, &ev), "an open beside it");
	ev = event_of(VIGIL_EV_EXEC, &t, 5, "bash");
	ASSERT_FALSE(filter_match(&f, &ev), "no exec with --path alone");
	ev = event_of(VIGIL_EV_FORK, &t, 5, "bash");
	ASSERT_FALSE(filter_match(&f, &ev), "no fork");
	ASSERT_OK(filter_add_types(&f, "open,exec", err, sizeof(err)), "types");
	ev = event_of(VIGIL_EV_EXEC, &t, 5, "bash");
	ASSERT_TRUE(filter_match(&f, &ev), "exec when --events names it");
	filter_free(&f);
}

TEST(a_truncated_path_may_be_under_the_path)
{
	struct filter f = { 0 };
	char rec[512], err[256];
	struct event ev;

	ASSERT_OK(filter_add_path(&f, "/srv/data", err, sizeof(err)), "path");
	/* only the tail is known: the head it lost may be /srv/data */
	open_event(&ev, rec, sizeof(rec), "/a/a/a/secret", VIGIL_FILE_PATH_TRUNCATED);
	ASSERT_TRUE(filter_match(&f, &ev), "a truncated open is shown");
	open_event(&ev, rec, sizeof(rec), "/a/a/a/secret", 0);
	ASSERT_FALSE(filter_match(&f, &ev), "the same path whole is not under it");
	filter_free(&f);
}
