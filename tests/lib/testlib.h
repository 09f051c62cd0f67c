/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for tests that run the real vigil binary and read its JSON Lines output. */
#ifndef VIGIL_TESTS_TESTLIB_H
#define VIGIL_TESTS_TESTLIB_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

/* The binary under test: $VIGIL_BIN, else ./vigil (tests run from the repository root). */
const char *vigil_bin(void);

struct vigil_child {
	pid_t pid;
	int err_fd;	 /* its stderr */
	char out[64];	 /* its --output file */
	bool out_given;	 /* the caller's: not removed by vigil_cleanup */
	char err[16384]; /* what it printed on stderr */
	size_t err_len;
};

/*
 * How long an agent may take to start or to stop. Under the VM suite's software emulation,
 * with the host busy, a start has taken close to 20 s; a hang still fails, later.
 */
#define AGENT_DEADLINE_S 60

/*
 * Give this test process an agent environment of its own, once: a control socket, a pin root
 * and a policy directory ($VIGIL_CONTROL_SOCKET, $VIGIL_BPF_ROOT, $VIGIL_POLICY_DIR).
 */
void vigil_test_env(void);
/* This test's policy directory (not created: the agent makes it at the first apply). */
const char *vigil_policy_dir(void);
/* Remove it and what was applied there (vigil_cleanup does). */
void vigil_clear_policy_dir(void);

/*
 * Start `vigil <args...> -f json -o <tmpfile>` and wait (at most AGENT_DEADLINE_S) until it says it
 * is watching. Returns 0, or -1 with what it printed in v->err. The first start calls
 * vigil_test_env().
 */
int vigil_start(struct vigil_child *v, const char *const *args);
/* The same with `-o @output` (NULL: a temporary file); vigil_cleanup leaves @output alone. */
int vigil_start_output(struct vigil_child *v, const char *const *args, const char *output);
/* Wait until what it printed on stderr holds @text @count times (or more): true, or false after
 * @timeout_s. */
bool vigil_wait_err(struct vigil_child *v, const char *text, int count, double timeout_s);
/* The same with @args alone: no -f json -o (v->out stays empty). */
int vigil_start_as_given(struct vigil_child *v, const char *const *args);
/*
 * The configuration file every vigil started by a test reads ($VIGIL_CONFIG, set before main):
 * the defaults. Not the host's /etc/vigil/vigil.yaml.
 */
const char *vigil_test_config(void);
/* SIGTERM it, wait for it, collect stderr; returns its wait status, or -1. */
int vigil_stop(struct vigil_child *v);
/* SIGKILL it (a crash: its pins stay), wait for it, collect stderr: 0 or -errno. */
int vigil_kill(struct vigil_child *v);
/*
 * `vigil unload --force` of this test's own pin root ($VIGIL_BPF_ROOT, set by vigil_start),
 * and the control socket a killed agent left.
 */
void vigil_unload_test_pins(void);
/* Kill it if still running (and unload its pins), remove its output file and policy directory. */
void vigil_cleanup(struct vigil_child *v);

/* vigil_start(), and on failure the test fails with what vigil printed (cleaned up). */
bool vigil_start_checked(struct vigil_child *v, const char *const *args);
/*
 * Stop vigil and load its events, as checks of the test: vigil exits 0 with its summary, and
 * every line it wrote is valid JSON.
 */
struct json_object **vigil_stop_and_load(struct vigil_child *v, size_t *n);

/* Run argv (PATH searched) and wait: returns the wait status, or -1. */
int run_wait(char *const argv[]);
/* Run @path with no arguments: 0 when it ran and exited 0, else the errno of its execve. */
int exec_errno(const char *path);
/* Run a command line with /bin/sh -c and wait. */
int sh(const char *cmd);
/* The same for a printf-style command line; returns its exit code, or -1. */
int shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, with what it wrote on stdout and stderr in @out (NUL-terminated, cut at @len). */
int shf_out(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Every line of @path parsed as JSON; *n lines. Returns NULL (and *bad_line) on invalid JSON. */
struct json_object **events_load(const char *path, size_t *n, size_t *bad_line);
void events_free(struct json_object **ev, size_t n);

/* Dotted-path access ("process.exe", "ancestors.0.pid" in arrays); NULL / -1 when absent. */
struct json_object *jget(struct json_object *o, const char *path);
const char *jstr(struct json_object *o, const char *path);
long long jint(struct json_object *o, const char *path);

/* The first event of @type whose process.pid is @pid (pid 0: any), or NULL. */
struct json_object *find_event(struct json_object **ev, size_t n, const char *type, pid_t pid);
/* The first exec event of process @pid whose exe ends with @exe_suffix. */
struct json_object *find_exec(struct json_object **ev, size_t n, const char *exe_suffix, pid_t pid);

/*
 * The names of the BPF programs process @pid holds, each as " name " in @buf (so that
 * strstr(buf, " exit_openat ") finds one whole name): what that vigil loaded, whatever other
 * BPF users (another agent) have loaded on the host. "" when none or not readable.
 */
void bpf_progs_of(pid_t pid, char *buf, size_t size);

/* Load the smallest program bpf() takes (a socket filter returning 0), then close it: 0 or the
 * errno of the load. */
int load_tiny_bpf_prog(void);

#endif
