// SPDX-License-Identifier: GPL-2.0
#include "testlib.h"
#include "harness.h"
#include "core/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *vigil_bin(void)
{
	const char *bin = getenv("VIGIL_BIN");

	return bin ? bin : "./vigil";
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read what is available on v->err_fd within @timeout_s. */
static void read_err(struct vigil_child *v, double timeout_s)
{
	struct pollfd pfd = { .fd = v->err_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, (int)(timeout_s * 1000)) <= 0)
		return;
	n = read(v->err_fd, v->err + v->err_len, sizeof(v->err) - 1 - v->err_len);
	if (n > 0) {
		v->err_len += n;
		v->err[v->err_len] = '\0';
	}
}

void vigil_isolate(void)
{
	/*
	 * An agent of its own, apart from one that may run on this machine (and other tests'):
	 * vigil status and policy apply run from this test reach it too.
	 */
	if (!getenv("VIGIL_CONTROL_SOCKET")) {
		char sock[64];

		snprintf(sock, sizeof(sock), "/run/vigil/test-%d.sock", (int)getpid());
		setenv("VIGIL_CONTROL_SOCKET", sock, 1);
	}
	/* and pins of its own: not adopting a real agent's, not left for one */
	if (!getenv("VIGIL_BPF_ROOT")) {
		char root[64];

		snprintf(root, sizeof(root), "/sys/fs/bpf/vigil-test-%d", (int)getpid());
		setenv("VIGIL_BPF_ROOT", root, 1);
	}
}

int vigil_start(struct vigil_child *v, const char *const *args)
{
	return vigil_start_output(v, args, NULL);
}

int vigil_start_output(struct vigil_child *v, const char *const *args, const char *output)
{
	const char *argv[64];
	int pipefd[2], fd, n = 0;
	double deadline;
	posix_spawn_file_actions_t fa;

	memset(v, 0, sizeof(*v));
	v->err_fd = -1;
	vigil_isolate();
	if (output) {
		snprintf(v->out, sizeof(v->out), "%s", output);
		v->out_given = true;
	} else {
		snprintf(v->out, sizeof(v->out), "/tmp/vigil-test-XXXXXX");
		fd = mkstemp(v->out);
		if (fd < 0)
			return -1;
		close(fd);
	}
	argv[n++] = vigil_bin();
	for (; *args && n < 58; args++)
		argv[n++] = *args;
	argv[n++] = "-f";
	argv[n++] = "json";
	argv[n++] = "-o";
	argv[n++] = v->out;
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	if (posix_spawn(&v->pid, argv[0], &fa, NULL, (char *const *)argv, environ)) {
		v->pid = 0;
		close(pipefd[0]);
		close(pipefd[1]);
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	v->err_fd = pipefd[0];
	deadline = now_s() + AGENT_DEADLINE_S;
	while (now_s() < deadline && !strstr(v->err, "Ctrl-C to stop")) {
		int status;

		read_err(v, 0.2);
		if (waitpid(v->pid, &status, WNOHANG) == v->pid) {
			v->pid = 0;
			read_err(v, 0.5);
			return -1;
		}
	}
	return strstr(v->err, "Ctrl-C to stop") ? 0 : -1;
}

static int occurrences(const char *text, const char *what)
{
	int n = 0;

	for (; (text = strstr(text, what)); text++)
		n++;
	return n;
}

bool vigil_wait_err(struct vigil_child *v, const char *text, int count, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (occurrences(v->err, text) < count && now_s() < deadline)
		read_err(v, 0.1);
	return occurrences(v->err, text) >= count;
}

/*
 * Signal the agent; a tamper-protected one (vigil run where BPF LSM works) refuses signals
 * from other processes, so it is asked over its control socket instead, as `vigil stop` does.
 */
static void signal_agent(pid_t pid, int sig)
{
	if (kill(pid, sig) && errno == EPERM)
		control_request(control_path(), "stop", NULL, 0, NULL);
}

int vigil_stop(struct vigil_child *v)
{
	double deadline = now_s() + AGENT_DEADLINE_S;
	int status = -1;

	if (!v->pid)
		return -1;
	signal_agent(v->pid, SIGTERM);
	while (now_s() < deadline) {
		read_err(v, 0.1);
		if (waitpid(v->pid, &status, WNOHANG) == v->pid) {
			v->pid = 0;
			break;
		}
	}
	if (v->pid) {
		signal_agent(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
		v->pid = 0;
		return -1;
	}
	for (int i = 0; i < 10 && v->err_len < sizeof(v->err) - 1; i++)
		read_err(v, 0.05);
	return status;
}

int vigil_kill(struct vigil_child *v)
{
	if (!v->pid)
		return -ESRCH;
	/* refused where the agent is tamper-protected (BPF LSM): start it with --no-guard */
	if (kill(v->pid, SIGKILL))
		return -errno;
	waitpid(v->pid, NULL, 0);
	v->pid = 0;
	read_err(v, 0.1);
	return 0;
}

void vigil_unload_test_pins(void)
{
	const char *root = getenv("VIGIL_BPF_ROOT");
	const char *sock = getenv("VIGIL_CONTROL_SOCKET");

	/* only a test's own root: never a real agent's pins, nor the shields */
	if (root && !strncmp(root, "/sys/fs/bpf/vigil-test-", 23))
		shf("%s unload --force >/dev/null 2>&1", vigil_bin());
	/* and the socket a killed agent left */
	if (sock && !strncmp(sock, "/run/vigil/test-", 16) &&
	    control_request(sock, "ping", NULL, 0, NULL) < 0)
		unlink(sock);
}

void vigil_cleanup(struct vigil_child *v)
{
	if (v->pid) {
		signal_agent(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
		v->pid = 0;
		/* killed: its pins stay in force until unloaded */
		vigil_unload_test_pins();
	}
	if (v->err_fd >= 0)
		close(v->err_fd);
	if (v->out[0] && !v->out_given)
		unlink(v->out);
}

bool vigil_start_checked(struct vigil_child *v, const char *const *args)
{
	if (vigil_start(v, args)) {
		harness_check(false, __FILE__, __LINE__, "vigil did not start: %s", v->err);
		vigil_cleanup(v);
		return false;
	}
	return true;
}

struct json_object **vigil_stop_and_load(struct vigil_child *v, size_t *n)
{
	struct json_object **ev;
	size_t bad;
	int status = vigil_stop(v);

	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "vigil exits 0 on SIGTERM");
	ASSERT_TRUE(strstr(v->err, "events seen") != NULL, "vigil prints a summary on stop");
	ev = events_load(v->out, n, &bad);
	ASSERT_EQ(bad, 0, "first invalid JSON line (0: none)");
	return ev;
}

int run_wait(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

int sh(const char *cmd)
{
	char *const argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };

	return run_wait(argv);
}

int shf(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = sh(cmd);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct json_object **events_load(const char *path, size_t *n, size_t *bad_line)
{
	struct json_object **ev = NULL;
	size_t cap = 0, len = 0;
	char *line = NULL;
	size_t linecap = 0;
	FILE *f = fopen(path, "r");

	*n = 0;
	*bad_line = 0;
	if (!f)
		return NULL;
	while (getline(&line, &linecap, f) > 0) {
		struct json_object *o = json_tokener_parse(line);

		if (!o || !json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			*bad_line = len + 1;
			events_free(ev, len);
			ev = NULL;
			len = 0;
			break;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 256;
			ev = realloc(ev, cap * sizeof(*ev));
		}
		ev[len++] = o;
	}
	free(line);
	fclose(f);
	*n = len;
	if (!ev && !*bad_line)
		ev = calloc(1, sizeof(*ev)); /* an empty file is valid, with no events */
	return ev;
}

void events_free(struct json_object **ev, size_t n)
{
	for (size_t i = 0; ev && i < n; i++)
		json_object_put(ev[i]);
	free(ev);
}

struct json_object *jget(struct json_object *o, const char *path)
{
	char key[128];
	const char *dot;

	while (o && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path),
			 path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot ? dot + 1 : "";
	}
	return o;
}

const char *jstr(struct json_object *o, const char *path)
{
	o = jget(o, path);
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

long long jint(struct json_object *o, const char *path)
{
	o = jget(o, path);
	return o && json_object_is_type(o, json_type_int) ? json_object_get_int64(o) : -1;
}

struct json_object *find_event(struct json_object **ev, size_t n, const char *type, pid_t pid)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type");

		if (t && !strcmp(t, type) && (!pid || jint(ev[i], "process.pid") == pid))
			return ev[i];
	}
	return NULL;
}

struct json_object *find_exec(struct json_object **ev, size_t n, const char *exe_suffix, pid_t pid)
{
	size_t slen = strlen(exe_suffix);

	for (size_t i = 0; i < n; i++) {
		const char *t = jstr(ev[i], "type"), *exe = jstr(ev[i], "process.exe");

		if (!t || strcmp(t, "exec") || !exe || (pid && jint(ev[i], "process.pid") != pid))
			continue;
		if (strlen(exe) >= slen && !strcmp(exe + strlen(exe) - slen, exe_suffix))
			return ev[i];
	}
	return NULL;
}

int exec_errno(const char *path)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(100 + errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) >= 100 ? WEXITSTATUS(status) - 100 : WEXITSTATUS(status);
}
