/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics endpoint: GET /metrics over HTTP (libmicrohttpd, a thread of its own), answered
 * with the registry's latest snapshot (export/metrics.h). It never touches the agent's state.
 */
#ifndef VIGIL_EXPORT_HTTP_H
#define VIGIL_EXPORT_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "export/metrics.h"

/* Where to listen: a numeric IPv4 or [IPv6] address and a port. */
struct metrics_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "ADDR:PORT" (127.0.0.1:9464, [::1]:9464) into @a; -EINVAL with what is wrong in @why. */
int metrics_addr_parse(const char *s, struct metrics_addr *a, char *why, size_t len);

struct metrics_http;

/*
 * Listen on @addr (parsed by metrics_addr_parse) and serve @m until metrics_http_stop().
 * -errno: -EADDRINUSE (another process listens there), -EADDRNOTAVAIL (not an address of this
 * host), -EACCES, -EOPNOTSUPP (built without libmicrohttpd), ...
 */
int metrics_http_start(struct metrics_http **out, const struct metrics_addr *addr,
		       struct metrics *m);
void metrics_http_stop(struct metrics_http *h);

#endif
