/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS client connections for the sinks (GnuTLS): the server's certificate is verified against
 * the CA file (or the system's trust store) and its name; a client certificate is optional.
 * Built without GnuTLS (the static build), tls_client_new() fails with -EOPNOTSUPP.
 */
#ifndef VIGIL_SINKS_TLS_H
#define VIGIL_SINKS_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct tls_client;
struct tls_conn;

/*
 * Credentials: @ca (PEM; NULL: the system's trust store), @cert and @key (PEM; both or
 * neither). 0, or -errno with the reason in @why.
 */
int tls_client_new(struct tls_client **out, const char *ca, const char *cert, const char *key,
		   char *why, size_t len);
void tls_client_free(struct tls_client *c);

/*
 * The handshake on the connected, blocking socket @fd (its timeouts bound it), verifying that
 * the server's certificate is valid for @name (a host name or an address). 0, or -EPROTO with
 * the reason in @why.
 */
int tls_connect(struct tls_client *c, int fd, const char *name, struct tls_conn **out, char *why,
		size_t len);
/* Write up to @n bytes: how many, or -errno (-EAGAIN: the socket's send timeout passed). */
ssize_t tls_send(struct tls_conn *t, const void *buf, size_t n);
/* End the session (without waiting for the peer); the socket stays the caller's. */
void tls_close(struct tls_conn *t);

#endif
