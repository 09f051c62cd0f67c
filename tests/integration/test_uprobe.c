// SPDX-License-Identifier: GPL-2.0
/*
 * Application tracing with uprobes:
 *
 *   latency  `vigil latency uprobe:PATH:SYMBOL` on a program built here that calls a function
 *            a known number of times: counts exact, --pid keeps one process, a stripped copy
 *            (.dynsym only) the same; bad arguments give clear errors
 *   shell    lines typed into a real interactive bash on a pty are events, with bash's pid
 *            and its ancestry (this test); what `bash -c` runs is not
 *   tls      openssl s_client to an openssl s_server on loopback (a throwaway certificate):
 *            the SNI, the peer and the byte counts both ends sent and received
 *   usdt     `vigil probe --usdt` of Debian's python3 lists what readelf -n lists
 *   missing  bash and libssl hidden (empty files bound over bash and ld.so.cache): the agent
 *            runs and says so
 *
 * Needs root (but the usage errors) and a C compiler for the program.
 */
#include "harness.h"
#include "testlib.h"
#include "tool.h"
#include "core/elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------- the program */

/*
 * Calls vigil_test_work() argv[1] times, each ~1 ms, once it read a byte on stdin (so that a
 * tracer can be started for its pid first). -rdynamic: the function is in .dynsym too.
 */
static const char work_src[] = "#include <unistd.h>\n"
			       "#include <stdlib.h>\n"
			       "__attribute__((noinline)) int vigil_test_work(int i)\n"
			       "{\n"
			       "	usleep(1000);\n"
			       "	return i + 1;\n"
			       "}\n"
			       "int main(int argc, char **argv)\n"
			       "{\n"
			       "	int n = argc > 1 ? atoi(argv[1]) : 1, s = 0;\n"
			       "	char c;\n"
			       "	if (read(0, &c, 1) != 1)\n"
			       "		return 1;\n"
			       "	for (int i = 0; i < n; i++)\n"
			       "		s += vigil_test_work(i);\n"
			       "	return s > 0 ? 0 : 1;\n"
			       "}\n";

static char work_dir[64];
static char work_bin[96], work_stripped[96];

static void remove_work(void)
{
	shf("rm -rf '%s'", work_dir);
}

/* Build the program and its stripped copy once; false (the test skips) without a compiler. */
static bool build_work(void)
{
	char src[96];
	FILE *f;

	if (work_bin[0])
		return true;
	snprintf(work_dir, sizeof(work_dir), "/tmp/vigil-uprobe-XXXXXX");
	if (!mkdtemp(work_dir))
		return false;
	atexit(remove_work);
	snprintf(src, sizeof(src), "%s/work.c", work_dir);
	f = fopen(src, "we");
	if (!f)
		return false;
	fputs(work_src, f);
	fclose(f);
	snprintf(work_bin, sizeof(work_bin), "%s/work", work_dir);
	snprintf(work_stripped, sizeof(work_stripped), "%s/work-stripped", work_dir);
	if (shf("cc -O2 -rdynamic -o '%s' '%s' 2>/dev/null", work_bin, src) ||
	    shf("strip --strip-all -o '%s' '%s'", work_stripped, work_bin)) {
		work_bin[0] = '\0';
		return false;
	}
	return true;
}

/* A run of the program, stopped until gated_go(). */
struct gated {
	pid_t pid;
	int go;
};

static int gated_start(struct gated *g, const char *bin, int calls)
{
	char n[16];
	int fds[2];

	snprintf(n, sizeof(n), "%d", calls);
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	g->pid = fork();
	if (g->pid < 0)
		return -1;
	if (!g->pid) {
		dup2(fds[0], 0);
		execl(bin, bin, n, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	g->go = fds[1];
	return 0;
}

/* Let it run and wait for it: true when it exited 0. */
static bool gated_go(struct gated *g)
{
	int status;

	if (write(g->go, "x", 1) != 1)
		return false;
	close(g->go);
	g->go = -1;
	if (waitpid(g->pid, &status, 0) != g->pid)
		return false;
	g->pid = 0;
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

static void gated_cleanup(struct gated *g)
{
	if (g->go > 0)
		close(g->go);
	if (g->pid > 0) {
		kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, 0);
	}
	g->pid = 0;
	g->go = -1;
}

/* ---------------------------------------------------------------- latency */

static int latency_start(struct tool *t, const char *probe, const char *pid)
{
	char *argv[] = { (char *)vigil_bin(),  "latency",   (char *)probe, "--json",
			 pid ? "--pid" : NULL, (char *)pid, NULL };

	return tool_start(t, argv, "Ctrl-C to stop");
}

/* Stop it and return its report's uprobe histogram (@report holds it), or NULL. */
static struct json_object *latency_stop(struct tool *t, struct json_object **report)
{
	int status = tool_stop(t);
	char *out = slurp(t->out);
	struct json_object *h;

	ASSERT_TRUE(status == 0, "vigil latency exits 0 at SIGINT");
	*report = out ? json_tokener_parse(out) : NULL;
	h = *report ? jget(*report, "histograms.0") : NULL;
	if (!h)
		fprintf(stderr, "  vigil latency printed: %s\n", out ? out : "(nothing)");
	free(out);
	return h;
}

#define CALLS_A 40
#define CALLS_B 25

TEST(latency_counts_calls_exactly)
{
	struct gated a = { .go = -1 }, b = { .go = -1 };
	struct tool one = { 0 }, all = { 0 };
	struct json_object *r_one = NULL, *r_all = NULL, *h;
	char probe[160], pid[16];

	if (SKIP_UNLESS_ROOT())
		return;
	if (!build_work()) {
		SKIP("no C compiler to build the traced program");
		return;
	}
	snprintf(probe, sizeof(probe), "uprobe:%s:vigil_test_work", work_bin);
	if (!ASSERT_OK(gated_start(&a, work_bin, CALLS_A), "start A") ||
	    !ASSERT_OK(gated_start(&b, work_bin, CALLS_B), "start B"))
		goto out;
	snprintf(pid, sizeof(pid), "%d", a.pid);
	if (!ASSERT_OK(latency_start(&one, probe, pid), "vigil latency --pid starts") ||
	    !ASSERT_OK(latency_start(&all, probe, NULL), "vigil latency starts"))
		goto out;
	ASSERT_TRUE(gated_go(&a), "A ran");
	ASSERT_TRUE(gated_go(&b), "B ran");
	h = latency_stop(&one, &r_one);
	if (ASSERT_NOT_NULL(h, "a histogram for A")) {
		ASSERT_EQ(jint(h, "count"), CALLS_A, "A's calls, only A's");
		ASSERT_STREQ(jstr(h, "kind"), "uprobe", "kind");
		/* each call sleeps 1 ms: its time is at least that */
		ASSERT_GE(jint(h, "sum_ns"), (long long)CALLS_A * 1000000, "time in the function");
		ASSERT_STREQ(jstr(r_one, "mode"), "uprobe", "mode");
		ASSERT_TRUE(jstr(r_one, "probe") && strstr(jstr(r_one, "probe"), "vigil_test_work"),
			    "the report names the probe");
	}
	h = latency_stop(&all, &r_all);
	if (ASSERT_NOT_NULL(h, "a histogram for both"))
		ASSERT_EQ(jint(h, "count"), CALLS_A + CALLS_B, "A's and B's calls");
out:
	json_object_put(r_one);
	json_object_put(r_all);
	tool_cleanup(&one);
	tool_cleanup(&all);
	gated_cleanup(&a);
	gated_cleanup(&b);
}

TEST(latency_of_a_stripped_binary_through_dynsym)
{
	struct gated a = { .go = -1 };
	struct tool t = { 0 };
	struct json_object *r = NULL, *h;
	struct elf_func fn;
	char probe[160];

	if (SKIP_UNLESS_ROOT())
		return;
	if (!build_work()) {
		SKIP("no C compiler to build the traced program");
		return;
	}
	/* the copy has no .symtab: the function is found in .dynsym, at the same offset */
	if (!ASSERT_OK(elf_func_find(work_stripped, "vigil_test_work", &fn), "found stripped"))
		return;
	ASSERT_STREQ(fn.table, ".dynsym", "found in .dynsym");
	snprintf(probe, sizeof(probe), "uprobe:%s:vigil_test_work", work_stripped);
	if (!ASSERT_OK(gated_start(&a, work_stripped, CALLS_B), "start") ||
	    !ASSERT_OK(latency_start(&t, probe, NULL), "vigil latency starts"))
		goto out;
	ASSERT_TRUE(gated_go(&a), "it ran");
	h = latency_stop(&t, &r);
	if (ASSERT_NOT_NULL(h, "a histogram"))
		ASSERT_EQ(jint(h, "count"), CALLS_B, "its calls");
out:
	json_object_put(r);
	tool_cleanup(&t);
	gated_cleanup(&a);
}

TEST(latency_bad_uprobes_are_clear_errors)
{
	static const struct {
		const char *arg, *says;
	} cases[] = {
		{ "uprobe", "a uprobe is uprobe:PATH:SYMBOL" },
		{ "uprobe:/bin/true", "a uprobe is uprobe:PATH:SYMBOL" },
		{ "uprobe:/bin/true:", "a uprobe is uprobe:PATH:SYMBOL" },
		{ "uprobe:/no/such/file:main", "/no/such/file: no such file" },
		{ "uprobe:/etc/hostname:main", "/etc/hostname: not an ELF file" },
		{ "uprobe:/bin/true:no_such_function_here", "no function no_such_function_here" },
		{ "uprobe:libno-such-lib.so.9:f", "no library libno-such-lib.so.9" },
	};
	char out[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = shf_out(out, sizeof(out), "'%s' latency '%s' -d 1", vigil_bin(),
				 cases[i].arg);

		if (!ASSERT_EQ(rc, 64, cases[i].arg) ||
		    !ASSERT_TRUE(strstr(out, cases[i].says), cases[i].arg))
			fprintf(stderr, "  said: %s", out);
	}
}

/* ---------------------------------------------------------------- shell */

/* Read what the pty shows until it holds @text (the prompt): true, or false after 20 s. */
static bool pty_wait(int master, char *seen, size_t size, const char *text)
{
	size_t len = strlen(seen);
	double deadline = now_s() + 20;

	while (!strstr(seen, text) && now_s() < deadline) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(master, seen + len, size - len - 1);
		if (n <= 0)
			return false;
		len += (size_t)n;
		seen[len] = '\0';
		/* keep the tail only: what comes next is what is waited for */
		if (len > size / 2) {
			memmove(seen, seen + len - 64, 64);
			len = 64;
			seen[len] = '\0';
		}
	}
	return strstr(seen, text);
}

/* Type @line into bash at its prompt (PS1 is set to a marker), and wait for the next prompt. */
static bool pty_type(int master, const char *line)
{
	char seen[4096] = "";

	return write(master, line, strlen(line)) == (ssize_t)strlen(line) &&
	       pty_wait(master, seen, sizeof(seen), "vigil-prompt>");
}

/* The shell event of @pid whose line is @line, or NULL. */
static struct json_object *find_line(struct json_object **ev, size_t n, pid_t pid, const char *line)
{
	for (size_t i = 0; i < n; i++) {
		const char *l = jstr(ev[i], "shell.line");

		if (l && !strcmp(l, line) && (!pid || jint(ev[i], "process.pid") == pid))
			return ev[i];
	}
	return NULL;
}

TEST(shell_lines_typed_into_interactive_bash)
{
	struct vigil_child v = { 0 };
	struct json_object **ev = NULL, *e;
	char seen[4096] = "";
	size_t n = 0;
	int master = -1, status;
	pid_t bash;

	if (SKIP_UNLESS_ROOT())
		return;
	if (access("/bin/bash", X_OK)) {
		SKIP("no /bin/bash");
		return;
	}
	if (!vigil_start_checked(&v, (const char *const[]){ "trace", "--events", "shell", NULL }))
		return;
	bash = forkpty(&master, NULL, NULL, NULL);
	if (!ASSERT_TRUE(bash >= 0, "forkpty"))
		goto out;
	if (!bash) {
		setenv("PS1", "vigil-prompt> ", 1);
		setenv("TERM", "dumb", 1);
		execl("/bin/bash", "bash", "--norc", "--noprofile", "-i", (char *)NULL);
		_exit(127);
	}
	if (!ASSERT_TRUE(pty_wait(master, seen, sizeof(seen), "vigil-prompt>"), "bash prompts"))
		goto out;
	ASSERT_TRUE(pty_type(master, "echo vigil-typed-1\n"), "a first line");
	ASSERT_TRUE(pty_type(master, "true 'vigil typed | 2' && echo ok\n"), "a second line");
	ASSERT_TRUE(pty_type(master, "\n"), "an empty line");
	if (write(master, "exit\n", 5) != 5)
		ASSERT_TRUE(false, "exit typed");
	ASSERT_EQ(waitpid(bash, &status, 0), bash, "bash exits");
	bash = 0;
	/* not typed: a script's commands never go through readline */
	ASSERT_OK(shf("/bin/bash -c 'echo vigil-not-typed' >/dev/null"), "bash -c");
	usleep(300 * 1000);
	ev = vigil_stop_and_load(&v, &n);
	e = find_line(ev, n, 0, "echo vigil-typed-1");
	if (ASSERT_NOT_NULL(e, "the first line")) {
		ASSERT_STREQ(jstr(e, "process.exe"), "/usr/bin/bash", "typed into bash");
		ASSERT_EQ(jint(e, "parent.pid"), getpid(), "under this test");
		ASSERT_EQ(jint(e, "ancestors.0.pid"), getpid(), "its ancestry starts here");
		ASSERT_TRUE(jget(e, "ancestors.1") != NULL, "and goes on up");
		ASSERT_TRUE(jget(e, "process.args") != NULL, "bash's command line");
	}
	ASSERT_NOT_NULL(find_line(ev, n, e ? (pid_t)jint(e, "process.pid") : 0,
				  "true 'vigil typed | 2' && echo ok"),
			"the second line, from the same bash");
	ASSERT_NOT_NULL(find_line(ev, n, 0, "exit"), "exit");
	for (size_t i = 0; i < n; i++) {
		const char *l = jstr(ev[i], "shell.line");

		ASSERT_TRUE(!l || (l[0] && !strstr(l, "vigil-not-typed")),
			    "no empty line, nothing bash -c ran");
	}
out:
	if (master >= 0)
		close(master);
	if (bash > 0) {
		kill(bash, SIGKILL);
		waitpid(bash, NULL, 0);
	}
	events_free(ev, n);
	vigil_cleanup(&v);
}

/* ---------------------------------------------------------------- tls */

/* A command with its stdin a pipe of ours and its stdout and stderr in file @out. */
struct piped {
	pid_t pid;
	int in;
};

static int piped_start(struct piped *p, char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
	int fds[2], ret;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	ret = posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (ret) {
		close(fds[1]);
		p->pid = 0;
		return -1;
	}
	p->in = fds[1];
	return 0;
}

/* Wait for it to exit (SIGKILL after @timeout_s): true when it exited by itself. */
static bool piped_wait(struct piped *p, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (p->pid && now_s() < deadline) {
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			return true;
		}
		usleep(20 * 1000);
	}
	return false;
}

static void piped_cleanup(struct piped *p)
{
	if (p->in > 0)
		close(p->in);
	p->in = -1;
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}

static bool wait_file_has(const char *path, const char *text, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (!file_has(path, text) && now_s() < deadline)
		usleep(50 * 1000);
	return file_has(path, text);
}

/* A port free on loopback now (the server binds it right after). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (s >= 0 && !bind(s, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(s, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

#define TLS_SNI	    "vigil-test.example"
#define TLS_REQUEST "vigil-request-0123456789\n"
#define TLS_REPLY   "vigil-reply-abcdefghijklmnopqrstuvwxyz\n"

/* The tls event of process @pid, or NULL. */
static struct json_object *find_tls(struct json_object **ev, size_t n, pid_t pid)
{
	return find_event(ev, n, "tls", pid);
}

TEST(tls_connection_sni_peer_and_bytes)
{
	struct piped server = { .in = -1 }, client = { .in = -1 };
	struct vigil_child v = { 0 };
	struct json_object **ev = NULL, *e;
	char dir[64] = "/tmp/vigil-tls-XXXXXX", cert[96], key[96], srv_out[96], cli_out[96];
	char accept[32], connect[32];
	pid_t server_pid = 0, client_pid = 0;
	size_t n = 0;
	int port;

	if (SKIP_UNLESS_ROOT())
		return;
	if (access("/usr/bin/openssl", X_OK)) {
		SKIP("no /usr/bin/openssl");
		return;
	}
	if (!ASSERT_NOT_NULL(mkdtemp(dir), "a temporary directory"))
		return;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(srv_out, sizeof(srv_out), "%s/server.out", dir);
	snprintf(cli_out, sizeof(cli_out), "%s/client.out", dir);
	if (!ASSERT_OK(shf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
			   "-nodes -keyout %s -out %s -subj /CN=localhost -days 1 >/dev/null 2>&1",
			   key, cert),
		       "a throwaway certificate"))
		goto out;
	if (!vigil_start_checked(&v, (const char *const[]){ "trace", "--events", "tls", NULL }))
		goto out;
	if (!ASSERT_TRUE(strstr(v.err, "tls events off") == NULL, "libssl is traced"))
		goto out;
	port = free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	if (!ASSERT_OK(piped_start(&server,
				   (char *const[]){ "/usr/bin/openssl", "s_server", "-accept",
						    accept, "-cert", cert, "-key", key, "-naccept",
						    "1", NULL },
				   srv_out),
		       "s_server starts") ||
	    !ASSERT_TRUE(wait_file_has(srv_out, "ACCEPT", 20), "s_server accepts"))
		goto out;
	server_pid = server.pid;
	if (!ASSERT_OK(piped_start(&client,
				   (char *const[]){ "/usr/bin/openssl", "s_client", "-connect",
						    connect, "-servername", TLS_SNI, NULL },
				   cli_out),
		       "s_client starts"))
		goto out;
	client_pid = client.pid;
	/* the request, the reply, then the client's end of input: it closes */
	if (!ASSERT_EQ(write(client.in, TLS_REQUEST, strlen(TLS_REQUEST)),
		       (ssize_t)strlen(TLS_REQUEST), "request written") ||
	    !ASSERT_TRUE(wait_file_has(srv_out, "vigil-request-", 20), "the server got it") ||
	    !ASSERT_EQ(write(server.in, TLS_REPLY, strlen(TLS_REPLY)), (ssize_t)strlen(TLS_REPLY),
		       "reply written") ||
	    !ASSERT_TRUE(wait_file_has(cli_out, "vigil-reply-", 20), "the client got it"))
		goto out;
	close(client.in);
	client.in = -1;
	ASSERT_TRUE(piped_wait(&client, 20), "s_client ends at its end of input");
	ASSERT_TRUE(piped_wait(&server, 20), "s_server ends after its one connection");
	usleep(300 * 1000);
	ev = vigil_stop_and_load(&v, &n);
	e = find_tls(ev, n, client_pid);
	if (ASSERT_NOT_NULL(e, "the client's connection")) {
		ASSERT_STREQ(jstr(e, "tls.sni"), TLS_SNI, "its SNI");
		ASSERT_STREQ(jstr(e, "tls.peer.addr"), "127.0.0.1", "its peer");
		ASSERT_EQ(jint(e, "tls.peer.port"), port, "the server's port");
		ASSERT_EQ(jint(e, "tls.tx_bytes"), (long long)strlen(TLS_REQUEST), "bytes sent");
		ASSERT_EQ(jint(e, "tls.rx_bytes"), (long long)strlen(TLS_REPLY), "bytes received");
		ASSERT_EQ(jint(e, "parent.pid"), getpid(), "started by this test");
	}
	e = find_tls(ev, n, server_pid);
	if (ASSERT_NOT_NULL(e, "the server's connection")) {
		ASSERT_STREQ(jstr(e, "tls.sni"), "", "no SNI set by a server");
		ASSERT_STREQ(jstr(e, "tls.peer.addr"), "127.0.0.1", "its peer");
		ASSERT_EQ(jint(e, "tls.rx_bytes"), (long long)strlen(TLS_REQUEST),
			  "bytes received");
		ASSERT_EQ(jint(e, "tls.tx_bytes"), (long long)strlen(TLS_REPLY), "bytes sent");
	}
	/* never the plaintext: the request and reply appear in no event */
	for (size_t i = 0; i < n; i++) {
		const char *text = json_object_to_json_string(ev[i]);

		ASSERT_TRUE(!strstr(text, "vigil-request-") && !strstr(text, "vigil-reply-"),
			    "no plaintext in any event");
	}
out:
	piped_cleanup(&client);
	piped_cleanup(&server);
	events_free(ev, n);
	vigil_cleanup(&v);
	shf("rm -rf '%s'", dir);
}

/* ---------------------------------------------------------------- USDT */

TEST(usdt_probes_listed_as_readelf_shows_them)
{
	struct json_object *j = NULL, *probes;
	char *out = malloc(1 << 16), expect[16];
	bool entry = false;
	size_t n;

	if (!ASSERT_NOT_NULL(out, "memory"))
		return;
	/* Debian's python3 carries USDT probes (function__entry, gc__start, ...) */
	if (shf_out(expect, sizeof(expect),
		    "readelf -n /usr/bin/python3 2>/dev/null | grep -c NT_STAPSDT") ||
	    atoi(expect) <= 0) {
		SKIP("no python3 with USDT notes (or no readelf) here");
		goto out;
	}
	if (!ASSERT_OK(shf_out(out, 1 << 16, "'%s' probe --usdt /usr/bin/python3 --json 2>&1",
			       vigil_bin()),
		       "vigil probe --usdt exits 0"))
		goto out;
	j = json_tokener_parse(out);
	probes = j ? jget(j, "probes") : NULL;
	if (!ASSERT_NOT_NULL(probes, "a JSON list of probes"))
		goto out;
	n = json_object_array_length(probes);
	ASSERT_EQ((long long)n, atoll(expect), "as many as readelf -n shows");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);

		entry |= !strcmp(jstr(p, "provider"), "python") &&
			 !strcmp(jstr(p, "name"), "function__entry") && jstr(p, "args")[0];
	}
	ASSERT_TRUE(entry, "python:function__entry with its arguments");
	ASSERT_OK(shf_out(out, 1 << 16, "'%s' probe --usdt /bin/true 2>&1", vigil_bin()),
		  "a binary without probes is no error");
	ASSERT_TRUE(strstr(out, "has no USDT probes"), "it says so");
	ASSERT_EQ(shf_out(out, 1 << 16, "'%s' probe --usdt /etc/hostname 2>&1", vigil_bin()), 64,
		  "a file that is not ELF: usage error");
	ASSERT_TRUE(strstr(out, "not an ELF file"), "it says so");
	ASSERT_EQ(shf_out(out, 1 << 16, "'%s' probe --usdt /no/such/file 2>&1", vigil_bin()), 64,
		  "a missing file: usage error");
	ASSERT_TRUE(strstr(out, "no such file"), "it says so");
out:
	json_object_put(j);
	free(out);
}

/* ---------------------------------------------------------------- missing programs */

/*
 * In a mount namespace of this test where bash is an empty file and ldconfig knows no library
 * (an empty /etc/ld.so.cache; vigil itself links libssl, so the library cannot go): the agent
 * starts, says which events are off and why, and stops cleanly.
 */
TEST(missing_bash_and_libssl_leave_the_agent_running)
{
	static const char *const hidden[] = { "/usr/bin/bash", "/etc/ld.so.cache" };
	char empty[] = "/tmp/vigil-empty-XXXXXX";
	struct vigil_child v = { 0 };
	int own_ns = -1, fd, status;

	if (SKIP_UNLESS_ROOT())
		return;
	if (access(hidden[0], F_OK) || access(hidden[1], F_OK)) {
		SKIP("no %s or %s to hide", hidden[0], hidden[1]);
		return;
	}
	fd = mkstemp(empty);
	if (!ASSERT_TRUE(fd >= 0, "an empty file"))
		return;
	close(fd);
	own_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (!ASSERT_TRUE(own_ns >= 0, "this mount namespace") ||
	    !ASSERT_OK(unshare(CLONE_NEWNS), "a mount namespace of the test's own") ||
	    !ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "private mounts"))
		goto out;
	for (size_t i = 0; i < 2; i++)
		if (!ASSERT_OK(mount(empty, hidden[i], NULL, MS_BIND, NULL), hidden[i]))
			goto out;
	if (!vigil_start_checked(&v,
				 (const char *const[]){ "trace", "--events", "shell,tls", NULL }))
		goto out;
	ASSERT_TRUE(strstr(v.err, "shell events off: readline in /bin/bash: not an ELF file"),
		    "says shell is off, and why");
	ASSERT_TRUE(strstr(v.err, "tls events off: libssl.so.3 is not installed"),
		    "says tls is off, and why");
	status = vigil_stop(&v);
	ASSERT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status), "stops cleanly");
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "  vigil said: %s\n", v.err);
out:
	vigil_cleanup(&v);
	/* back to the namespace the other tests run in; the one made here goes with its mounts */
	if (own_ns >= 0) {
		ASSERT_OK(setns(own_ns, CLONE_NEWNS), "back to the test's mount namespace");
		close(own_ns);
	}
	unlink(empty);
}
