/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running agent's control socket: a Unix stream socket only root can use. One request per
 * connection: a command line, then an optional body until the client shuts down its side; one
 * response, then the agent closes.
 */
#ifndef VIGIL_CORE_CONTROL_H
#define VIGIL_CORE_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#define CONTROL_PATH "/run/vigil/control.sock"
/* Another socket, for a second agent (tests): the environment variable VIGIL_CONTROL_SOCKET. */
#define CONTROL_ENV "VIGIL_CONTROL_SOCKET"

/* The control socket's path: $VIGIL_CONTROL_SOCKET, else CONTROL_PATH. */
const char *control_path(void);
#define CONTROL_BODY_MAX (16 << 20)

struct control;

/* Answer one request: write the response to @out; return 0 for success, else non-zero. */
typedef int (*control_handler)(void *ctx, const char *cmd, const char *body, size_t len, FILE *out);

/* Listen on @path (its directory is created 0700). -EADDRINUSE when an agent answers there. */
int control_open(struct control **out, const char *path, control_handler fn, void *ctx);
void control_close(struct control *c);
/* Serve the requests waiting, without blocking for new ones. */
void control_serve(struct control *c);

/*
 * Client: send @cmd and @body to the agent at @path; the response in *@resp (malloc'd,
 * NUL-terminated). Returns the agent's status (0 ok, 1 refused), or -errno when it cannot
 * talk to an agent (-ENOENT, -ECONNREFUSED: none is running).
 */
int control_request(const char *path, const char *cmd, const char *body, size_t len, char **resp);

#endif
