// SPDX-License-Identifier: GPL-2.0
#include "harness.h"
#include "events/filter.h"

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
