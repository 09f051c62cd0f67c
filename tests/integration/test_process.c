// SPDX-License-Identifier: GPL-2.0
/*
 * The process sensor end to end: the real vigil binary, real BPF in the kernel, real
 * processes, and the exact JSON events they must produce.
 */
#include "harness.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char self_exe[PATH_MAX], dash_exe[PATH_MAX], true_exe[PATH_MAX];

__attribute__((constructor)) static void find_paths(void)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	self_exe[n > 0 ? n : 0] = '\0';
	if (!realpath("/bin/sh", dash_exe))
		dash_exe[0] = '\0';
	if (!realpath("/bin/true", true_exe))
		true_exe[0] = '\0';
}

static pid_t spawn(char *const argv[])
{
	pid_t pid;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	return pid;
}

static int wait_status(pid_t pid)
{
	int status = -1;

	waitpid(pid, &status, 0);
	return status;
}

static bool is_rfc3339_ns_recent(const char *t)
{
	struct tm tm = { 0 };
	const char *rest;
	time_t when;

	if (!t || strlen(t) != 30 || t[29] != 'Z' || t[19] != '.')
		return false;
	rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest != t + 19)
		return false;
	when = timegm(&tm);
	return labs((long)(when - time(NULL))) < 120;
}

TEST(exec_args_ancestry_and_identity)
{
	static const char script[] = "/bin/echo \"$@\" >/dev/null";
	char *const argv[] = { "/bin/sh",
			       "-c",
			       (char *)script,
			       "sh",
			       "a b",
			       "q\"uo'te",
			       "\xff\xfe"
			       "bad",
			       "sn\xc3\xb8w",
			       NULL };
	const char *want_args[] = { "/bin/sh", "-c",	   script,	    "sh",
				    "a b",     "q\"uo'te", "\\xff\\xfebad", "sn\xc3\xb8w" };
	struct json_object **ev, *sh_exec, *echo_exec, *args;
	struct vigil_child v;
	char cwd[PATH_MAX], id_prefix[32];
	size_t n = 0;
	pid_t sh_pid;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, (const char *[]){ "trace", NULL }))
		return;
	sh_pid = spawn(argv);
	ASSERT_EQ(WEXITSTATUS(wait_status(sh_pid)), 0, "sh exit code");
	ev = vigil_stop_and_load(&v, &n);

	sh_exec = find_exec(ev, n, dash_exe, sh_pid);
	if (!ASSERT_NOT_NULL(sh_exec, "exec event of sh"))
		goto out;
	ASSERT_STREQ(jstr(sh_exec, "process.exe"), dash_exe, "exe resolved by the kernel");
	args = jget(sh_exec, "process.args");
	if (ASSERT_EQ(json_object_array_length(args), 8, "argc of sh"))
		for (int i = 0; i < 8; i++)
			ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(args, i)),
				     want_args[i], "argv item");
	ASSERT_EQ(jint(sh_exec, "process.tid"), sh_pid, "tid");
	ASSERT_EQ(jint(sh_exec, "process.ppid"), getpid(), "ppid");
	ASSERT_EQ(jint(sh_exec, "process.uid"), 0, "uid");
	ASSERT_EQ(jint(sh_exec, "process.euid"), 0, "euid");
	ASSERT_EQ(jint(sh_exec, "process.gid"), 0, "gid");
	ASSERT_STREQ(jstr(sh_exec, "process.comm"), "sh", "comm");
	ASSERT_STREQ(jstr(sh_exec, "process.cwd"), getcwd(cwd, sizeof(cwd)), "cwd");
	ASSERT_TRUE(jstr(sh_exec, "process.cgroup") && jstr(sh_exec, "process.cgroup")[0] == '/',
		    "cgroup path");
	ASSERT_GE(jint(sh_exec, "process.cgroup_id"), 1, "cgroup id");
	ASSERT_TRUE(is_rfc3339_ns_recent(jstr(sh_exec, "time")), "time is RFC 3339 UTC ns, now");
	ASSERT_EQ(jint(sh_exec, "parent.pid"), getpid(), "parent pid");
	ASSERT_STREQ(jstr(sh_exec, "parent.exe"), self_exe, "parent exe");
	ASSERT_STREQ(jstr(sh_exec, "ancestors.0.exe"), self_exe, "first ancestor is the parent");
	ASSERT_EQ(jint(sh_exec, "ancestors.0.pid"), getpid(), "its pid");
	ASSERT_STREQ(jstr(sh_exec, "ancestors.0.exec_id"), jstr(sh_exec, "parent.exec_id"),
		     "its exec_id");
	ASSERT_TRUE(json_object_array_length(jget(sh_exec, "ancestors.0.args")) >= 1, "its args");
	snprintf(id_prefix, sizeof(id_prefix), "%d:", sh_pid);
	ASSERT_TRUE(jstr(sh_exec, "process.exec_id") && !strncmp(jstr(sh_exec, "process.exec_id"),
								 id_prefix, strlen(id_prefix)),
		    "exec_id names the pid");

	/* echo, the child of sh: its parent's identity is the exec of sh. */
	echo_exec = find_exec(ev, n, "/echo", 0);
	if (!ASSERT_NOT_NULL(echo_exec, "exec event of echo"))
		goto out;
	ASSERT_EQ(jint(echo_exec, "process.ppid"), sh_pid, "echo's ppid");
	ASSERT_STREQ(jstr(echo_exec, "parent.exec_id"), jstr(sh_exec, "process.exec_id"),
		     "parent.exec_id links to the parent's exec");
	ASSERT_STREQ(jstr(echo_exec, "parent.exe"), dash_exe, "echo's parent exe");
	args = jget(echo_exec, "ancestors");
	ASSERT_TRUE(json_object_array_length(args) >= 2, "echo has two ancestors or more");
	ASSERT_STREQ(jstr(echo_exec, "ancestors.0.exe"), dash_exe, "echo's first ancestor");
	ASSERT_EQ(jint(echo_exec, "ancestors.0.pid"), sh_pid, "its pid");
	ASSERT_EQ(json_object_array_length(jget(echo_exec, "ancestors.0.args")), 8,
		  "its args, those of sh");
	ASSERT_STREQ(jstr(echo_exec, "ancestors.1.exe"), self_exe, "echo's second ancestor");
	args = jget(echo_exec, "process.args");
	ASSERT_EQ(json_object_array_length(args), 5, "echo's argc");
	ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(args, 3)), "\\xff\\xfebad",
		     "non-UTF-8 bytes escaped");
out:
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(exit_code_and_signal)
{
	char *const exit3[] = { "/bin/sh", "-c", "exit 3", NULL };
	char *const sleeper[] = { "/bin/sleep", "30", NULL };
	struct json_object **ev, *e;
	struct vigil_child v;
	pid_t p3, ps;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, (const char *[]){ "trace", NULL }))
		return;
	p3 = spawn(exit3);
	ASSERT_EQ(WEXITSTATUS(wait_status(p3)), 3, "sh exit code");
	ps = spawn(sleeper);
	usleep(200 * 1000);
	kill(ps, SIGKILL);
	ASSERT_EQ(WTERMSIG(wait_status(ps)), SIGKILL, "sleep killed");
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "exit", p3);
	if (ASSERT_NOT_NULL(e, "exit event of sh -c 'exit 3'")) {
		ASSERT_EQ(jint(e, "exit.code"), 3, "exit code");
		ASSERT_EQ(jint(e, "exit.signal"), 0, "no signal");
		ASSERT_GE(jint(e, "exit.duration_ns"), 1, "duration");
		ASSERT_STREQ(jstr(e, "process.exe"), dash_exe, "exit names the exe");
	}
	e = find_event(ev, n, "exit", ps);
	if (ASSERT_NOT_NULL(e, "exit event of the killed sleep")) {
		ASSERT_EQ(jint(e, "exit.signal"), SIGKILL, "terminating signal");
		ASSERT_EQ(jint(e, "exit.code"), 0, "no exit code");
		ASSERT_GE(jint(e, "exit.duration_ns"), 150 * 1000 * 1000, "lived ~200 ms");
		ASSERT_TRUE(jstr(e, "process.exe") && strstr(jstr(e, "process.exe"), "sleep"),
			    "exit names the exe");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(double_fork_reparenting)
{
	struct json_object **ev, *fa, *fb, *eb, *xa;
	struct vigil_child v;
	int sync[2], status;
	pid_t a, b = 0;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, (const char *[]){ "trace", NULL }))
		return;
	/* Orphans come back to us instead of init, so the test can reap and check them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe2(sync, O_CLOEXEC))
		return;
	a = fork();
	if (a == 0) {
		pid_t first_parent = getpid(), child = fork();

		if (child == 0) {
			while (getppid() == first_parent)
				usleep(1000);
			execl("/bin/true", "true", "double-forked", NULL);
			_exit(127);
		}
		if (write(sync[1], &child, sizeof(child)) != sizeof(child))
			_exit(1);
		_exit(0);
	}
	close(sync[1]);
	if (read(sync[0], &b, sizeof(b)) != sizeof(b))
		b = 0;
	close(sync[0]);
	waitpid(a, &status, 0);
	ASSERT_TRUE(b > 0, "got the grandchild's pid");
	while (b > 0 && waitpid(b, &status, 0) < 0 && errno == EINTR)
		;
	ASSERT_EQ(WEXITSTATUS(status), 0, "grandchild ran true");
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	ev = vigil_stop_and_load(&v, &n);

	fa = find_event(ev, n, "fork", a);
	fb = find_event(ev, n, "fork", b);
	xa = find_event(ev, n, "exit", a);
	eb = find_exec(ev, n, true_exe, b);
	if (!ASSERT_NOT_NULL(fa, "fork of the child") ||
	    !ASSERT_NOT_NULL(fb, "fork of grandchild") ||
	    !ASSERT_NOT_NULL(xa, "exit of the child") || !ASSERT_NOT_NULL(eb, "exec of grandchild"))
		goto out;
	ASSERT_EQ(jint(fa, "process.ppid"), getpid(), "child's parent");
	ASSERT_STREQ(jstr(fa, "process.exe"), self_exe, "a forked child runs its parent's exe");
	ASSERT_STREQ(jstr(fa, "parent.exe"), self_exe, "child's parent exe");
	ASSERT_EQ(jint(fb, "process.ppid"), a, "grandchild's parent at fork");
	ASSERT_STREQ(jstr(fb, "parent.exec_id"), jstr(fa, "process.exec_id"),
		     "grandchild's parent identity");
	ASSERT_EQ(jint(xa, "exit.code"), 0, "child exit code");
	/* At exec the grandchild had been reparented to us, the subreaper. */
	ASSERT_EQ(jint(eb, "process.ppid"), getpid(), "grandchild reparented");
	ASSERT_STREQ(jstr(eb, "parent.exe"), self_exe, "grandchild's new parent exe");
	ASSERT_STREQ(json_object_get_string(json_object_array_get_idx(jget(eb, "process.args"), 1)),
		     "double-forked", "grandchild's argv");
out:
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(exe_is_resolved_not_as_given)
{
	char dir[] = "/tmp/vigil-exe-XXXXXX", link[PATH_MAX + 32], cwd[PATH_MAX];
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !mkdtemp(dir))
		return;
	snprintf(link, sizeof(link), "%s/innocent-name", dir);
	if (!ASSERT_OK(symlink("/bin/true", link), "symlink") ||
	    !vigil_start_checked(&v, (const char *[]){ "trace", NULL })) {
		unlink(link);
		rmdir(dir);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* A relative path, through a symlink, from another directory. */
		if (chdir(dir))
			_exit(126);
		execl("./innocent-name", "innocent-name", NULL);
		_exit(127);
	}
	ASSERT_EQ(WEXITSTATUS(wait_status(pid)), 0, "exec through the link");
	ev = vigil_stop_and_load(&v, &n);
	e = find_event(ev, n, "exec", pid);
	if (ASSERT_NOT_NULL(e, "exec event")) {
		ASSERT_STREQ(jstr(e, "process.exe"), true_exe, "exe is the file the kernel ran");
		ASSERT_STREQ(jstr(e, "process.cwd"), realpath(dir, cwd), "cwd");
		ASSERT_STREQ(jstr(e, "process.comm"), "innocent-name", "comm is what it claims");
	}
	events_free(ev, n);
	unlink(link);
	rmdir(dir);
	vigil_cleanup(&v);
}

TEST(ancestry_of_processes_started_before_vigil)
{
	char *const argv[] = { "/bin/sh", "-c", "read line; /bin/true from-old-shell", NULL };
	posix_spawn_file_actions_t fa;
	struct json_object **ev, *e, *anc;
	struct vigil_child v;
	int in[2];
	pid_t sh_pid;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || pipe2(in, O_CLOEXEC))
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	if (posix_spawn(&sh_pid, argv[0], &fa, NULL, argv, environ))
		sh_pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	if (!ASSERT_TRUE(sh_pid > 0, "spawned the old shell"))
		return;
	usleep(100 * 1000);
	if (!vigil_start_checked(&v, (const char *[]){ "trace", NULL })) {
		close(in[1]);
		wait_status(sh_pid);
		return;
	}
	ASSERT_EQ(write(in[1], "go\n", 3), 3, "release the old shell");
	close(in[1]);
	ASSERT_EQ(WEXITSTATUS(wait_status(sh_pid)), 0, "old shell exit");
	ev = vigil_stop_and_load(&v, &n);
	/* the exec of true whose parent is the old shell (others may run on the host) */
	e = NULL;
	for (size_t i = 0; i < n && !e; i++)
		if (jint(ev[i], "parent.pid") == sh_pid && find_exec(ev + i, 1, true_exe, 0))
			e = ev[i];
	if (ASSERT_NOT_NULL(e, "exec of true by the old shell")) {
		ASSERT_EQ(jint(e, "parent.pid"), sh_pid, "parent pid");
		ASSERT_STREQ(jstr(e, "parent.exe"), dash_exe, "parent exe, from the seeded table");
		ASSERT_STREQ(jstr(e, "parent.comm"), "sh", "parent comm");
		ASSERT_TRUE(jget(e, "parent.from_procfs") &&
				    json_object_get_boolean(jget(e, "parent.from_procfs")),
			    "the parent was read from /proc");
		anc = jget(e, "ancestors.0");
		ASSERT_EQ(jint(anc, "pid"), sh_pid, "first ancestor: the old shell");
		ASSERT_STREQ(jstr(anc, "args.2"), argv[2], "its args, from /proc");
		ASSERT_TRUE(jget(anc, "from_procfs") &&
				    json_object_get_boolean(jget(anc, "from_procfs")),
			    "marked as read from /proc");
		ASSERT_STREQ(jstr(e, "ancestors.1.exe"), self_exe, "grandparent exe");
	}
	e = find_event(ev, n, "exit", sh_pid);
	if (ASSERT_NOT_NULL(e, "exit of the old shell"))
		ASSERT_STREQ(jstr(e, "process.exe"), dash_exe, "old shell's exe at exit");
	events_free(ev, n);
	vigil_cleanup(&v);
}

/* Whether @e's process.exe_flags holds @flag. */
static bool has_exe_flag(struct json_object *e, const char *flag)
{
	struct json_object *a = jget(e, "process.exe_flags");

	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), flag))
			return true;
	return false;
}

/*
 * A TCP connection over the loopback of @family: *client is the connecting end, *server the
 * accepted one. False (nothing left open) when that loopback is not there.
 */
static bool tcp_loopback(int family, int *client, int *server)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len =
		family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	*client = *server = -1;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len))
		goto fail;
	*client = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&ss, len))
		goto fail;
	*server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*server < 0)
		goto fail;
	close(lfd);
	return true;
fail:
	if (*client >= 0)
		close(*client);
	if (lfd >= 0)
		close(lfd);
	*client = -1;
	return false;
}

static void close_all(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Run /bin/true with @in as its stdin and @out as its stdout; its pid, once it is reaped. */
static pid_t true_with_stdio(int in, int out)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(126);
		execl("/bin/true", "true", NULL);
		_exit(127);
	}
	if (WEXITSTATUS(wait_status(pid)) != 0)
		return -1;
	return pid;
}

TEST(exec_with_a_network_connection_as_stdio)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	int c4 = -1, s4 = -1, c6 = -1, s6 = -1, null;
	pid_t both = -1, out_only = -1, in6 = -1;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!ASSERT_TRUE(null >= 0, "open /dev/null") ||
	    !ASSERT_TRUE(tcp_loopback(AF_INET, &c4, &s4), "TCP connection on 127.0.0.1"))
		goto out;
	/* IPv6 may be off (ipv6.disable=1): then only the inet cases run. */
	tcp_loopback(AF_INET6, &c6, &s6);
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "exec", NULL }))
		goto out;
	/* A reverse shell's stdio: both ends on the connection (bash -i >& /dev/tcp/... 0>&1). */
	both = true_with_stdio(c4, c4);
	ASSERT_TRUE(both > 0, "true ran with the connection as stdin and stdout");
	/* Either one is enough: stdout alone (stdin /dev/null), and an inet6 stdin alone. */
	out_only = true_with_stdio(null, c4);
	ASSERT_TRUE(out_only > 0, "true ran with the connection as stdout");
	if (c6 >= 0)
		in6 = true_with_stdio(c6, null);
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "exec", both);
	if (ASSERT_NOT_NULL(e, "exec with a TCP connection as stdin and stdout"))
		ASSERT_TRUE(has_exe_flag(e, "stdio_socket"), "exe_flags has stdio_socket");
	e = find_event(ev, n, "exec", out_only);
	if (ASSERT_NOT_NULL(e, "exec with a TCP connection as stdout only"))
		ASSERT_TRUE(has_exe_flag(e, "stdio_socket"), "stdout alone sets stdio_socket");
	if (c6 >= 0) {
		e = find_event(ev, n, "exec", in6);
		if (ASSERT_NOT_NULL(e, "exec with a TCP/IPv6 connection as stdin only"))
			ASSERT_TRUE(has_exe_flag(e, "stdio_socket"),
				    "an inet6 stdin alone sets stdio_socket");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	close_all((int[]){ c4, s4, c6, s6, null }, 5);
}

TEST(exec_with_a_unix_socket_or_pipe_as_stdio_is_not_flagged)
{
	struct json_object **ev, *e;
	struct vigil_child v;
	int sv[2] = { -1, -1 }, p[2] = { -1, -1 };
	pid_t unix_pid, pipe_pid;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT())
		return;
	if (!ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair") ||
	    !ASSERT_OK(pipe2(p, O_CLOEXEC), "pipe") ||
	    !vigil_start_checked(&v, (const char *[]){ "trace", "--events", "exec", NULL }))
		goto out;
	/* A systemd service's stdout is a unix socket to journald; a shell pipeline's, a pipe. */
	unix_pid = true_with_stdio(sv[1], sv[1]);
	ASSERT_TRUE(unix_pid > 0, "true ran with a unix socket as stdin and stdout");
	pipe_pid = true_with_stdio(p[0], p[1]);
	ASSERT_TRUE(pipe_pid > 0, "true ran with a pipe as stdin and stdout");
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "exec", unix_pid);
	if (ASSERT_NOT_NULL(e, "exec with a unix socket as stdio"))
		ASSERT_FALSE(has_exe_flag(e, "stdio_socket"), "a unix socket is no stdio_socket");
	e = find_event(ev, n, "exec", pipe_pid);
	if (ASSERT_NOT_NULL(e, "exec with a pipe as stdio"))
		ASSERT_FALSE(has_exe_flag(e, "stdio_socket"), "a pipe is no stdio_socket");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	close_all(sv, 2);
	close_all(p, 2);
}

TEST(long_argv_is_flagged_truncated)
{
	enum { N_ARGS = 200 };
	static char bufs[N_ARGS][48];
	char *argv[N_ARGS + 2];
	struct json_object **ev, *e, *args;
	struct vigil_child v;
	size_t n = 0, got;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, (const char *[]){ "trace", NULL }))
		return;
	argv[0] = "/bin/true";
	for (int i = 0; i < N_ARGS; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "argument-%03d-padding-padding-padding", i);
		argv[i + 1] = bufs[i];
	}
	argv[N_ARGS + 1] = NULL;
	pid = spawn(argv);
	wait_status(pid);
	ev = vigil_stop_and_load(&v, &n);
	e = find_event(ev, n, "exec", pid);
	if (ASSERT_NOT_NULL(e, "exec event")) {
		ASSERT_TRUE(json_object_get_boolean(jget(e, "process.args_truncated")),
			    "args_truncated is set");
		args = jget(e, "process.args");
		got = json_object_array_length(args);
		ASSERT_TRUE(got > 50 && got < N_ARGS + 1, "a prefix of argv is kept");
		for (size_t i = 1; i + 1 < got; i++)
			if (!ASSERT_STREQ(
				    json_object_get_string(json_object_array_get_idx(args, i)),
				    bufs[i - 1], "kept args are exact"))
				break;
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

/* /bin/true run with @env (NULL-terminated), the loader's complaints to /dev/null; its pid */
static pid_t true_with_env(char *const env[])
{
	char *argv[] = { "/bin/true", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;

	if (posix_spawn_file_actions_init(&fa))
		return -1;
	if (posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn(&pid, argv[0], &fa, NULL, argv, env))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

TEST(the_loaders_variables_are_read_at_exec_and_writable_dirs_flagged)
{
	enum { PADDING = 600 };
	static char pad[PADDING][16];
	char lib_dir[] = "/tmp/vigil-ld-XXXXXX", safe[96], *padded[PADDING + 2];
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0;
	pid_t writable, safe_pid, deep;

	if (SKIP_UNLESS_ROOT() || !ASSERT_NOT_NULL(mkdtemp(lib_dir), "a 0700 directory"))
		return;
	snprintf(safe, sizeof(safe), "LD_LIBRARY_PATH=%s:/usr/lib", lib_dir);
	/* the variable after hundreds of others, where a bounded scan would miss it */
	for (int i = 0; i < PADDING; i++) {
		snprintf(pad[i], sizeof(pad[i]), "PAD%03d=x", i);
		padded[i] = pad[i];
	}
	padded[PADDING] = "LD_AUDIT=/dev/shm/vigil-none.so";
	padded[PADDING + 1] = NULL;
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--events", "exec", NULL }))
		goto out;
	writable = true_with_env((char *[]){ "A=1", "LD_PRELOAD=/tmp/vigil-none.so", NULL });
	safe_pid = true_with_env((char *[]){ safe, "LD_PRELOAD=libc.so.6", NULL });
	deep = true_with_env(padded);
	wait_status(writable);
	wait_status(safe_pid);
	wait_status(deep);
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "exec", writable);
	if (ASSERT_NOT_NULL(e, "exec with LD_PRELOAD in /tmp")) {
		ASSERT_STREQ(json_object_to_json_string_ext(jget(e, "process.ld_env"),
							    JSON_C_TO_STRING_PLAIN),
			     "[\"LD_PRELOAD=\\/tmp\\/vigil-none.so\"]",
			     "ld_env: that variable alone");
		ASSERT_TRUE(has_exe_flag(e, "ld_writable"), "flagged: /tmp is world-writable");
	}
	e = find_event(ev, n, "exec", safe_pid);
	if (ASSERT_NOT_NULL(e, "exec with a private LD_LIBRARY_PATH")) {
		ASSERT_EQ(json_object_array_length(jget(e, "process.ld_env")), 2, "both variables");
		ASSERT_FALSE(has_exe_flag(e, "ld_writable"),
			     "not flagged: a 0700 directory and a bare library name");
	}
	e = find_event(ev, n, "exec", deep);
	if (ASSERT_NOT_NULL(e, "exec with LD_AUDIT after 600 variables"))
		ASSERT_TRUE(has_exe_flag(e, "ld_writable"),
			    "flagged: /dev/shm, found past padding");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	rmdir(lib_dir);
}

TEST(filters_events_and_comm)
{
	char *const sh5[] = { "/bin/sh", "-c", "exit 5", NULL };
	char *const tru[] = { "/bin/true", NULL };
	struct json_object **ev, *e;
	struct vigil_child v;
	size_t n = 0;
	pid_t p5;

	if (SKIP_UNLESS_ROOT() ||
	    !vigil_start_checked(
		    &v, (const char *[]){ "trace", "--events", "exit", "--comm", "sh", NULL }))
		return;
	p5 = spawn(sh5);
	wait_status(p5);
	wait_status(spawn(tru));
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		ASSERT_STREQ(jstr(ev[i], "type"), "exit", "only exit events");
		ASSERT_STREQ(jstr(ev[i], "process.comm"), "sh", "only comm sh");
	}
	e = find_event(ev, n, "exit", p5);
	if (ASSERT_NOT_NULL(e, "exit of sh -c 'exit 5'")) {
		ASSERT_EQ(jint(e, "exit.code"), 5, "exit code");
		/* Filtered-out exec events still fed the process table. */
		ASSERT_STREQ(jstr(e, "process.exe"), dash_exe, "exe known through the filter");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

static void *thread_fn(void *arg)
{
	usleep(20 * 1000);
	return arg;
}

TEST(threads_are_not_processes)
{
	struct json_object **ev;
	struct vigil_child v;
	size_t n = 0, exits = 0, forks = 0;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || !vigil_start_checked(&v, (const char *[]){ "trace", NULL }))
		return;
	pid = fork();
	if (pid == 0) {
		pthread_t t[3];

		for (int i = 0; i < 3; i++)
			pthread_create(&t[i], NULL, thread_fn, NULL);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		_exit(7);
	}
	ASSERT_EQ(WEXITSTATUS(wait_status(pid)), 7, "threaded child exit code");
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *type = jstr(ev[i], "type");

		if (!strcmp(type, "exit") && jint(ev[i], "process.pid") == pid) {
			exits++;
			ASSERT_EQ(jint(ev[i], "exit.code"), 7, "process exit code");
		}
		if (!strcmp(type, "fork") && jint(ev[i], "process.ppid") == pid)
			forks++;
	}
	ASSERT_EQ(exits, 1, "one exit event for the process");
	ASSERT_EQ(forks, 0, "no fork events for its threads");
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(pid_filter)
{
	char *const argv[] = { "/bin/sh", "-c", "read x; exit 9", NULL };
	posix_spawn_file_actions_t fa;
	struct json_object **ev;
	struct vigil_child v;
	char pidarg[16];
	size_t n = 0;
	int in[2];
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || pipe2(in, O_CLOEXEC))
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	snprintf(pidarg, sizeof(pidarg), "%d", pid);
	if (!vigil_start_checked(&v, (const char *[]){ "trace", "--pid", pidarg, NULL })) {
		close(in[1]);
		wait_status(pid);
		return;
	}
	wait_status(spawn((char *const[]){ "/bin/true", NULL }));
	close(in[1]);
	wait_status(pid);
	ev = vigil_stop_and_load(&v, &n);
	ASSERT_EQ(n, 1, "exactly the one exit event of that pid");
	if (n >= 1) {
		ASSERT_EQ(jint(ev[0], "process.pid"), pid, "the pid asked for");
		ASSERT_EQ(jint(ev[0], "exit.code"), 9, "its exit code");
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

TEST(lost_records_are_reported)
{
	struct json_object **ev;
	struct vigil_child v;
	long long reported = 0, total = -1;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() ||
	    !vigil_start_checked(&v, (const char *[]){ "trace", "--ring-buffer", "4K", NULL }))
		return;
	/* Freeze the consumer and overflow a one-page ring buffer. */
	kill(v.pid, SIGSTOP);
	for (int i = 0; i < 100; i++)
		wait_status(spawn((char *const[]){ "/bin/true", NULL }));
	kill(v.pid, SIGCONT);
	usleep(300 * 1000);
	ev = vigil_stop_and_load(&v, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(jstr(ev[i], "type"), "lost"))
			continue;
		ASSERT_GE(jint(ev[i], "lost.count"), 1, "a lost record counts something");
		reported += jint(ev[i], "lost.count");
		total = jint(ev[i], "lost.total");
	}
	ASSERT_GE(reported, 1, "losses appear in the stream");
	ASSERT_EQ(reported, total, "counts add up to the total");
	ASSERT_TRUE(strstr(v.err, " lost") && !strstr(v.err, ", 0 lost"),
		    "the summary counts the losses");
	events_free(ev, n);
	vigil_cleanup(&v);
}

/*
 * `vigil trace --events exec -o @out` with execs going on until it stops by itself (at most
 * ~15 s): its exit code (-1 if it had to be stopped), what it said in @err.
 */
static int trace_execs_to(const char *out, char *err, size_t len)
{
	char errfile[] = "/tmp/vigil-test-err-XXXXXX";
	char *const argv[] = { (char *)vigil_bin(), "trace", "--events", "exec", "-f", "json", "-o",
			       (char *)out,	    NULL };
	posix_spawn_file_actions_t fa;
	int fd = mkstemp(errfile), status = -1, code = -1;
	ssize_t n = 0;
	pid_t pid;

	err[0] = '\0';
	if (fd < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; pid > 0 && i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		wait_status(spawn((char *const[]){ true_exe, NULL }));
		usleep(50 * 1000);
	}
	if (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	} else if (pid > 0 && WIFEXITED(status)) {
		code = WEXITSTATUS(status);
	}
	n = pread(fd, err, len - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(errfile);
	return code;
}

TEST(a_full_disk_stops_vigil_with_the_reason)
{
	char err[4096];

	if (SKIP_UNLESS_ROOT())
		return;
	ASSERT_EQ(trace_execs_to("/dev/full", err, sizeof(err)), 1, "exits 1 by itself");
	ASSERT_TRUE(strstr(err, "writing events failed: No space left on device") != NULL,
		    "and says why");
}

TEST(a_reader_that_goes_away_stops_vigil_with_the_reason)
{
	char fifo[] = "/tmp/vigil-test-fifo-XXXXXX", err[4096];
	pid_t reader;
	int fd;

	if (SKIP_UNLESS_ROOT())
		return;
	fd = mkstemp(fifo);
	if (!ASSERT_TRUE(fd >= 0 && !close(fd) && !unlink(fifo) && !mkfifo(fifo, 0600), "a fifo"))
		return;
	/* reads the first byte and goes */
	reader = spawn(
		(char *const[]){ "/bin/sh", "-c", "head -c 1 \"$0\" >/dev/null", fifo, NULL });
	ASSERT_EQ(trace_execs_to(fifo, err, sizeof(err)), 1, "exits 1 by itself");
	ASSERT_TRUE(strstr(err, "writing events failed: Broken pipe") != NULL, "and says why");
	if (reader > 0)
		wait_status(reader);
	unlink(fifo);
}

TEST(sigint_stops_with_summary)
{
	struct vigil_child v;
	int status = -1;

	/* Ctrl-C comes from the tty driver; another process's SIGINT is refused by the guard
	 * where BPF LSM works (test_guard), so this agent runs without it. */
	if (SKIP_UNLESS_ROOT() ||
	    !vigil_start_checked(&v, (const char *[]){ "run", "--no-guard", NULL }))
		return;
	kill(v.pid, SIGINT);
	waitpid(v.pid, &status, 0);
	v.pid = 0;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit 0 on Ctrl-C");
	vigil_stop(&v);
	vigil_cleanup(&v);
}

TEST(not_root_is_one_clear_line)
{
	int out[2], status;
	char buf[1024] = "";
	ssize_t len;
	pid_t pid;

	if (SKIP_UNLESS_ROOT() || pipe2(out, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 2);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		execl(vigil_bin(), "vigil", "trace", NULL);
		_exit(101);
	}
	close(out[1]);
	len = read(out[0], buf, sizeof(buf) - 1);
	buf[len > 0 ? len : 0] = '\0';
	close(out[0]);
	waitpid(pid, &status, 0);
	ASSERT_EQ(WEXITSTATUS(status), 77, "exit code EX_NOPERM");
	ASSERT_TRUE(strstr(buf, "run as root") != NULL, "says what to do");
	ASSERT_EQ(strchr(buf, '\n') - buf + 1, (long long)strlen(buf), "one line");
}

/* @levels directories @name, one in the other, below @dir: an fd of the deepest, or -1. */
static int make_chain(int dir, const char *name, int levels)
{
	int fd = dup(dir), next;

	for (int i = 0; i < levels && fd >= 0; i++) {
		if (mkdirat(fd, name, 0755) && errno != EEXIST)
			next = -1;
		else
			next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

/* Copy /bin/true to @name in @dir and run it from there (its cwd too): its pid, or -1. */
static pid_t run_true_in(int dir, const char *name)
{
	char buf[65536];
	int in = open(true_exe, O_RDONLY | O_CLOEXEC);
	int out = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n = 0;
	pid_t pid = -1;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (in < 0 || out < 0 || n < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char path[64];

		snprintf(path, sizeof(path), "./%s", name);
		if (!fchdir(dir))
			execl(path, name, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* An event of process @pid whose process.exe and .cwd are the truncated tails they must be. */
static void check_truncated(struct json_object *e, const char *what, const char *exe_tail)
{
	const char *exe = jstr(e, "process.exe"), *cwd = jstr(e, "process.cwd");

	if (!ASSERT_NOT_NULL(exe, what))
		return;
	ASSERT_TRUE(!strncmp(exe, ".../", 4), "the exe starts with the mark ...");
	ASSERT_TRUE(strlen(exe) > strlen(exe_tail) &&
			    !strcmp(exe + strlen(exe) - strlen(exe_tail), exe_tail),
		    "and ends with the exe's tail");
	ASSERT_TRUE(json_object_get_boolean(jget(e, "process.exe_truncated")), "exe_truncated");
	ASSERT_TRUE(cwd && !strncmp(cwd, ".../", 4), "the cwd starts with the mark ...");
	ASSERT_TRUE(json_object_get_boolean(jget(e, "process.cwd_truncated")), "cwd_truncated");
}

TEST(paths_deeper_than_the_kernel_resolves_are_marked_truncated)
{
	char base[] = "/tmp/vigil-deep-XXXXXX", lib_path[64];
	struct json_object **ev = NULL, *e;
	struct vigil_child v;
	int top = -1, deep = -1, lib = -1, crafted = -1;
	pid_t deep_pid = -1, crafted_pid = -1;
	size_t n = 0;

	if (SKIP_UNLESS_ROOT() || !ASSERT_NOT_NULL(mkdtemp(base), "temp dir"))
		return;
	top = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* /tmp/vigil-deep-X/a/.../a/evil: 133 levels, of which the kernel keeps the last 128 */
	deep = make_chain(top, "a", 130);
	/* /tmp/vigil-deep-X/x/usr/lib/d/.../d/evil: the last 128 levels read /usr/lib/d/... */
	snprintf(lib_path, sizeof(lib_path), "%s/x/usr/lib", base);
	if (!shf("mkdir -p %s", lib_path))
		lib = open(lib_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	crafted = lib >= 0 ? make_chain(lib, "d", 125) : -1;
	if (!ASSERT_TRUE(deep >= 0 && crafted >= 0, "the directory chains") ||
	    !vigil_start_checked(&v, (const char *[]){ "trace", "--events", "exec,exit", NULL }))
		goto out;
	deep_pid = run_true_in(deep, "evil");
	crafted_pid = run_true_in(crafted, "evil");
	wait_status(deep_pid);
	wait_status(crafted_pid);
	ev = vigil_stop_and_load(&v, &n);

	e = find_event(ev, n, "exec", deep_pid);
	check_truncated(e, "exec 130 levels deep", "/a/a/a/evil");
	e = find_event(ev, n, "exit", deep_pid);
	check_truncated(e, "its exit: the exe is still marked", "/a/a/a/evil");
	e = find_event(ev, n, "exec", crafted_pid);
	check_truncated(e, "exec in the crafted chain", "/d/d/evil");
	if (e && jstr(e, "process.exe"))
		ASSERT_TRUE(strncmp(jstr(e, "process.exe"), "/usr/lib/", 9),
			    "no clean /usr/lib path for a program in /tmp");
	events_free(ev, n);
	vigil_cleanup(&v);
out:
	if (top >= 0)
		close(top);
	if (deep >= 0)
		close(deep);
	if (lib >= 0)
		close(lib);
	if (crafted >= 0)
		close(crafted);
	shf("rm -rf %s", base);
}
