/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running agent's control socket: a Unix stream socket only root can use. One request per
 * connection: a command line, then an optional body until the client shuts down its side; one
 * response, then the agent closes. Both ends check who is on the other side (SO_PEERCRED), and
 * a client waits a bounded time for its answer.
 */
#ifndef VIGIL_CORE_CONTROL_H
#define VIGIL_CORE_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#define CONTROL_PATH "/run/vigil/control.sock"
/* Another socket, for a second agent (tests): the environment variable VIGIL_CONTROL_SOCKET. */
#define CONTROL_ENV "VIGIL_CONTROL_SOCKET"
/* How long a client waits for the agent's answer; $VIGIL_CONTROL_TIMEOUT (seconds) overrides. */
#define CONTROL_TIMEOUT_S   5
#define CONTROL_TIMEOUT_ENV "VIGIL_CONTROL_TIMEOUT"

/* The control socket's path: $VIGIL_CONTROL_SOCKET, else CONTROL_PATH. */
const char *control_path(void);
#define CONTROL_BODY_MAX (16 << 20)

struct control;

/* Answer one request: write the response to @out; return 0 for success, else non-zero. */
typedef int (*control_handler)(void *ctx, const char *cmd, const char *body, size_t len, FILE *out);

/*
 * Listen on @path. Its directory is created 0700 and must be root's and writable by nobody
 * else. Refused, with the reason logged: -EADDRINUSE when a vigil agent holds it (answering or
 * not), -ENOTSOCK when something else than a socket is there, -EPERM when the directory is not
 * safe or another program holds the socket.
 */
int control_open(struct control **out, const char *path, control_handler fn, void *ctx);
void control_close(struct control *c);
/* Serve the requests waiting, without blocking for new ones. */
void control_serve(struct control *c);

/*
 * Client: send @cmd and @body to the agent at @path; the response in *@resp (malloc'd,
 * NUL-terminated). Returns the agent's status (0 ok, 1 refused), or -errno when it cannot talk
 * to an agent: -ENOENT, -ECONNREFUSED (none is running), -EACCES (not root), -ETIMEDOUT (it
 * does not answer in time), -ENOTSOCK (not a socket there), -EKEYREJECTED (what answers is not
 * root: nothing was sent to it).
 */
int control_request(const char *path, const char *cmd, const char *body, size_t len, char **resp);

/* Why control_request() failed with @err, in words that name @path. */
void control_strerror(int err, const char *path, char *buf, size_t len);

#endif
