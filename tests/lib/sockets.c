// SPDX-License-Identifier: GPL-2.0
#include "sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A listening TCP socket on @family's loopback, on @port (0: one the kernel picks). */
bool listen_on(struct server *s, int family, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len =
		family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	ss.ss_family = family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	}
	s->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&ss, len) || listen(s->fd, 8) ||
	    getsockname(s->fd, (struct sockaddr *)&ss, &len))
		return false;
	s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return true;
}

/* connect() to the server: 0 or the errno. */
int connect_to(const struct server *s, int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len =
		family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	/* a full backlog (a test that failed to deny) retries SYNs for minutes: give up sooner */
	struct timeval timeout = { .tv_sec = 2 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	ss.ss_family = family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		((struct sockaddr_in *)&ss)->sin_port = htons(s->port);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(s->port);
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (connect(fd, (struct sockaddr *)&ss, len))
		err = errno;
	close(fd);
	return err;
}

/*
 * Did a connection reach the server? Waits up to 500 ms: under emulation (the VM) the
 * handshake's last step can reach the listener after connect() returned.
 */
bool accepted(const struct server *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	int fd;

	poll(&p, 1, 500);
	fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}
