/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal HTTP/1.0 client for tests of servers on loopback (vigil's metrics, Prometheus). */
#ifndef VIGIL_TESTS_HTTP_H
#define VIGIL_TESTS_HTTP_H

#include <stddef.h>

/* A TCP port on 127.0.0.1 that nobody listens on now, or -1. */
int free_port(void);

/*
 * GET http://127.0.0.1:@port@target; the body in @body (NUL-terminated, cut at @len) and, when
 * @headers is not NULL, the status line and headers in it (@hlen). The status code, or -1 when
 * no answer came within 10 s.
 */
int http_get(int port, const char *target, char *body, size_t len, char *headers, size_t hlen);

#endif
