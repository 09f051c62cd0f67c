// SPDX-License-Identifier: GPL-2.0
/* The human line of an alert: the rule's description cut to what it catches, then key fields. */
#include "harness.h"
#include "events/message.h"
#include "events/proctab.h"
#include "vigil/ev_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

static void summary_is(const char *description, const char *want)
{
	char buf[MESSAGE_VALUE_MAX + 2];

	message_summary(buf, sizeof(buf), description);
	ASSERT_STREQ(buf, want, description);
}

TEST(summaries_keep_the_first_clause)
{
	summary_is("A process outside the SSH tools read an SSH private key",
		   "A process outside the SSH tools read an SSH private key");
	summary_is("An SSH private key (a user's ~/.ssh/id_* other than *.pub) read by a process "
		   "outside the OpenSSH tools",
		   "An SSH private key read by a process outside the OpenSSH tools");
	summary_is("A DNS query for a .onion name: Tor hidden services are not resolvable",
		   "A DNS query for a .onion name");
	summary_is("A history file opened with O_TRUNC (': > ~/.bash_history'). bash and zsh "
		   "rewrite history",
		   "A history file opened with O_TRUNC");
	summary_is("killed by name (service ... stop), naming auditd, ...; more",
		   "killed by name, naming auditd, ...");
	summary_is("stopped by name (service ... stop) naming auditd, ... Package managers are "
		   "allowed",
		   "stopped by name naming auditd, ...");
	summary_is("A file under /var/log/ truncated with truncate(2) by something",
		   "A file under /var/log/ truncated with truncate by something");
	summary_is("", "");
}

TEST(a_long_summary_is_cut_to_the_buffer)
{
	char description[600], buf[MESSAGE_VALUE_MAX + 2];

	memset(description, 'x', sizeof(description) - 1);
	description[sizeof(description) - 1] = '\0';
	ASSERT_EQ(message_summary(buf, sizeof(buf), description), MESSAGE_VALUE_MAX + 1,
		  "as much as fits");
}

/* A view of a file-less exec by pid 42 (parent 7) with @verdict. */
static void message_of(struct proctab *t, const struct event_verdict *verdict, __u16 exe_flags,
		       const char *user, char *out, size_t size)
{
	struct vigil_task task = { .pid = 42, .tid = 42, .ppid = 7, .uid = 65534, .comm = "cat" };
	struct event ev = { .type = VIGIL_EV_EXEC, .task = &task, .exe_flags = exe_flags };
	struct event_view v = { .ev = &ev, .procs = t, .verdict = verdict };

	v.proc = proctab_lookup(t, 42);
	v.parent = proctab_lookup(t, 7);
	event_message(out, size, &v, user);
}

static void add_exec(struct proctab *t, __u32 pid, __u32 ppid, const char *exe, const char *args,
		     size_t args_len)
{
	struct vigil_task task = { .pid = pid, .tid = pid, .ppid = ppid };
	struct event ev = { .type = VIGIL_EV_EXEC,
			    .task = &task,
			    .exe = exe,
			    .exe_len = strlen(exe),
			    .cwd = "/",
			    .cwd_len = 1,
			    .args = args,
			    .args_len = args_len };

	proctab_exec(t, &ev);
}

TEST(messages_name_the_process_user_parent_and_action)
{
	struct event_verdict verdict = { .rule_id = "r",
					 .description = "Something odd: why",
					 .action = "would_kill" };
	struct proctab *t = proctab_new(16);
	char buf[MESSAGE_MAX];

	add_exec(t, 7, 1, "/usr/bin/bash", "bash", 5);
	add_exec(t, 42, 7, "/tmp/x", "x\0--flag\0a b", 12);
	message_of(t, &verdict, VIGIL_EXE_DELETED | VIGIL_EXE_SHM, "nobody", buf, sizeof(buf));
	ASSERT_STREQ(buf,
		     "Something odd (process=/tmp/x pid=42 user=nobody parent=/usr/bin/bash "
		     "command=x --flag a b flags=deleted,shm action=would_kill)",
		     "message");

	/* without a description the rule id; without a name the uid; unknown exe: the comm */
	verdict.description = NULL;
	proctab_remove(t, 42);
	message_of(t, &verdict, 0, NULL, buf, sizeof(buf));
	ASSERT_STREQ(buf, "r (process=cat pid=42 uid=65534 parent=/usr/bin/bash action=would_kill)",
		     "fallbacks");
	proctab_free(t);
}

TEST(messages_stay_bounded_and_closed)
{
	struct event_verdict verdict = { .rule_id = "r", .description = "d", .action = "alert" };
	struct proctab *t = proctab_new(16);
	char exe[4000], buf[MESSAGE_MAX];

	memset(exe, 'e', sizeof(exe) - 1);
	exe[0] = '/';
	exe[sizeof(exe) - 1] = '\0';
	add_exec(t, 7, 1, exe, "p", 2);
	add_exec(t, 42, 7, exe, "p", 2);
	message_of(t, &verdict, 0, "u", buf, sizeof(buf));
	ASSERT_TRUE(strlen(buf) < 3 * MESSAGE_VALUE_MAX + 100, "long values cut");
	ASSERT_TRUE(strstr(buf, "eee... pid=42") != NULL, "a cut value ends with ...");
	message_of(t, &verdict, 0, "u", buf, 64);
	ASSERT_EQ(strlen(buf), 63, "a small buffer is filled");
	ASSERT_EQ(buf[62], ')', "and still closes the parenthesis");
	proctab_free(t);
}

/* A decoded net record of @type by pid 42, with a verdict, and its message. */
static void net_message(unsigned int type, const char *saddr, int sport, const char *daddr,
			int dport, long long result, char *out, size_t size)
{
	struct event_verdict verdict = { .rule_id = "r", .description = "Net", .action = "alert" };
	struct vigil_net_event r = { .hdr = { .type = type, .size = sizeof(r) } };
	struct proctab *t = proctab_new(4);
	struct event ev;
	struct event_view v = { .ev = &ev, .procs = t, .verdict = &verdict };

	r.task.pid = r.task.tid = 42;
	r.task.uid = 0;
	memcpy(r.task.comm, "curl", 5);
	r.family = AF_INET;
	r.type = SOCK_STREAM;
	r.protocol = IPPROTO_TCP;
	r.sport = sport;
	r.dport = dport;
	r.result = result;
	inet_pton(AF_INET, saddr, r.saddr);
	inet_pton(AF_INET, daddr, r.daddr);
	out[0] = '\0';
	if (ASSERT_OK(event_decode(&r, sizeof(r), &ev), "decode"))
		event_message(out, size, &v, "root");
	proctab_free(t);
}

TEST(messages_name_the_peer_or_the_local_end)
{
	char buf[MESSAGE_MAX];

	net_message(VIGIL_EV_CONNECT, "0.0.0.0", 40000, "169.254.169.254", 80, -ECONNREFUSED, buf,
		    sizeof(buf));
	ASSERT_STREQ(buf,
		     "Net (process=curl pid=42 user=root proto=tcp peer=169.254.169.254:80 "
		     "error=ECONNREFUSED action=alert)",
		     "connect: the peer, and the failure");
	net_message(VIGIL_EV_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0, 0, buf, sizeof(buf));
	ASSERT_STREQ(buf,
		     "Net (process=curl pid=42 user=root proto=tcp local=127.0.0.1:8080 "
		     "action=alert)",
		     "listen: the local end");
}

TEST(a_truncated_exe_keeps_its_mark_its_end_and_the_reason)
{
	struct event_verdict verdict = { .rule_id = "r",
					 .description = "Run from /tmp",
					 .action = "alert",
					 .reason = "process.exe truncated, taken as matching" };
	struct vigil_task task = { .pid = 42, .tid = 42, .ppid = 7 };
	struct proctab *t = proctab_new(16);
	char exe[1024], buf[MESSAGE_MAX], *p;
	struct event ev = { .type = VIGIL_EV_EXEC,
			    .flags = VIGIL_EXEC_EXE_TRUNCATED,
			    .task = &task };

	/* the tail the kernel kept of a path 300 levels deep */
	p = exe;
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "/a");
	strcpy(p, "/evil");
	ev.exe = exe;
	ev.exe_len = strlen(exe);
	ev.cwd = "/a";
	ev.cwd_len = 2;
	add_exec(t, 7, 1, "/usr/bin/bash", "bash", 5);
	proctab_exec(t, &ev);
	message_of(t, &verdict, 0, "root", buf, sizeof(buf));
	ASSERT_TRUE(!strncmp(buf, "Run from /tmp (process=.../a/a/", 31),
		    "the mark, then the tail");
	ASSERT_TRUE(strstr(buf, "/a/a/evil pid=42 ") != NULL, "the tail's end is kept");
	ASSERT_TRUE(strstr(buf, " action=alert reason=process.exe truncated, taken as matching)") !=
			    NULL,
		    "the reason follows the action");
	proctab_free(t);
}
