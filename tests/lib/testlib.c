// SPDX-License-Identifier: GPL-2.0
#include "testlib.h"
#include "harness.h"
#include "core/control.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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

void vigil_test_env(void)
{
	char path[64];

	/*
	 * An agent of its own, apart from one that may run on this machine (and other tests'):
	 * vigil status and policy apply run from this test reach it too.
	 */
	if (!getenv("VIGIL_CONTROL_SOCKET")) {
		snprintf(path, sizeof(path), "/run/vigil/test-%d.sock", (int)getpid());
		setenv("VIGIL_CONTROL_SOCKET", path, 1);
	}
	/* and pins of its own: not adopting a real agent's, not left for one */
	if (!getenv("VIGIL_BPF_ROOT")) {
		snprintf(path, sizeof(path), "/sys/fs/bpf/vigil-test-%d", (int)getpid());
		setenv("VIGIL_BPF_ROOT", path, 1);
	}
	/* and a policy directory of its own: never the host's /etc/vigil/policies.d */
	if (!getenv("VIGIL_POLICY_DIR")) {
		snprintf(path, sizeof(path), "/tmp/vigil-test-%d.policies", (int)getpid());
		setenv("VIGIL_POLICY_DIR", path, 1);
	}
}

const char *vigil_policy_dir(void)
{
	vigil_test_env();
	return getenv("VIGIL_POLICY_DIR");
}

void vigil_clear_policy_dir(void)
{
	const char *dir = vigil_policy_dir();

	/* only a test's own */
	if (!strncmp(dir, "/tmp/vigil-test-", 16))
		shf("rm -rf %s", dir);
}

/*
 * Every vigil a test runs reads a configuration file of the test's own, not the host's
 * /etc/vigil/vigil.yaml: the defaults (its policy directory is the test's: vigil_test_env()).
 */
static char test_config[64];

static void remove_test_config(void)
{
	unlink(test_config);
}

__attribute__((constructor)) static void use_test_config(void)
{
	int fd;

	snprintf(test_config, sizeof(test_config), "/tmp/vigil-test-config-XXXXXX");
	fd = mkstemp(test_config);
	if (fd < 0 || write(fd, "# a test's: the defaults\n", 25) != 25) {
		fprintf(stderr, "testlib: cannot write a test configuration: %s\n",
			strerror(errno));
		exit(1);
	}
	close(fd);
	setenv("VIGIL_CONFIG", test_config, 1);
	atexit(remove_test_config);
}

const char *vigil_test_config(void)
{
	return test_config;
}

/*
 * Start vigil with @args and, when @add_output, `-f json -o` @output (NULL: a temporary file,
 * removed by vigil_cleanup).
 */
static int start(struct vigil_child *v, const char *const *args, bool add_output,
		 const char *output)
{
	const char *argv[64];
	int pipefd[2], fd, n = 0;
	double deadline;
	posix_spawn_file_actions_t fa;

	memset(v, 0, sizeof(*v));
	v->err_fd = -1;
	vigil_test_env();
	if (output) {
		snprintf(v->out, sizeof(v->out), "%s", output);
		v->out_given = true;
	} else if (add_output) {
		snprintf(v->out, sizeof(v->out), "/tmp/vigil-test-XXXXXX");
		fd = mkstemp(v->out);
		if (fd < 0)
			return -1;
		close(fd);
	}
	argv[n++] = vigil_bin();
	for (; *args && n < 58; args++)
		argv[n++] = *args;
	if (add_output) {
		argv[n++] = "-f";
		argv[n++] = "json";
		argv[n++] = "-o";
		argv[n++] = v->out;
	}
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

int vigil_start(struct vigil_child *v, const char *const *args)
{
	return start(v, args, true, NULL);
}

int vigil_start_output(struct vigil_child *v, const char *const *args, const char *output)
{
	return start(v, args, true, output);
}

int vigil_start_as_given(struct vigil_child *v, const char *const *args)
{
	return start(v, args, false, NULL);
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
	vigil_clear_policy_dir();
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

int shf_out(char *out, size_t len, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	size_t n;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
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
		if (json_object_is_type(o, json_type_array) && key[0] >= '0' && key[0] <= '9')
			o = json_object_array_get_idx(o, strtoul(key, NULL, 10));
		else if (!json_object_object_get_ex(o, key, &o))
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

void bpf_progs_of(pid_t pid, char *buf, size_t size)
{
	char dir[64], path[384], link[64], line[128];
	size_t len = 0;
	struct dirent *de;
	DIR *d;

	buf[0] = '\0';
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && len + BPF_OBJ_NAME_LEN + 2 < size) {
		struct bpf_prog_info info = { 0 };
		__u32 info_len = sizeof(info), id = 0;
		ssize_t n;
		FILE *f;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0 || (link[n] = '\0', strcmp(link, "anon_inode:bpf-prog")))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, de->d_name);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1)
				break;
		if (f)
			fclose(f);
		fd = id ? bpf_prog_get_fd_by_id(id) : -1;
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
			len += snprintf(buf + len, size - len, " %s ", info.name);
		close(fd);
	}
	closedir(d);
}

int load_tiny_bpf_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr = {
		.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
		.insns = (__u64)(unsigned long)insns,
		.insn_cnt = 2,
		.license = (__u64)(unsigned long)"GPL",
	};
	int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}
