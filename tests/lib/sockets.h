/* SPDX-License-Identifier: GPL-2.0 */
/* Loopback TCP servers and connects, for tests of connect enforcement. */
#ifndef VIGIL_TESTS_SOCKETS_H
#define VIGIL_TESTS_SOCKETS_H

#include <stdbool.h>

struct server {
	int fd;
	int port;
};

/* A listening TCP socket on @family's loopback, on @port (0: one the kernel picks). */
bool listen_on(struct server *s, int family, int port);
/* connect() to the server: 0 or the errno. */
int connect_to(const struct server *s, int family);
/* Did a connection reach the server? */
bool accepted(const struct server *s);

#endif
