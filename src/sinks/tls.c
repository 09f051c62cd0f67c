// SPDX-License-Identifier: GPL-2.0
#include "sinks/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_GNUTLS
#include <gnutls/gnutls.h>

/* The socket's timeouts bound each step; this bounds the whole handshake. */
#define HANDSHAKE_MS 5000

struct tls_client {
	gnutls_certificate_credentials_t cred;
};

struct tls_conn {
	gnutls_session_t session;
};

int tls_client_new(struct tls_client **out, const char *ca, const char *cert, const char *key,
		   char *why, size_t len)
{
	struct tls_client *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	rc = gnutls_certificate_allocate_credentials(&c->cred);
	if (rc < 0) {
		free(c);
		snprintf(why, len, "%s", gnutls_strerror(rc));
		return -ENOMEM;
	}
	rc = ca ? gnutls_certificate_set_x509_trust_file(c->cred, ca, GNUTLS_X509_FMT_PEM)
		: gnutls_certificate_set_x509_system_trust(c->cred);
	if (rc <= 0) {
		snprintf(why, len, "%s%s: %s", ca ? "no CA certificate in " : "the system's trust store",
			 ca ? ca : "", rc ? gnutls_strerror(rc) : "no certificate");
		goto fail;
	}
	if (cert) {
		rc = gnutls_certificate_set_x509_key_file(c->cred, cert, key, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			snprintf(why, len, "the client certificate %s or key %s: %s", cert, key,
				 gnutls_strerror(rc));
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	tls_client_free(c);
	return -EINVAL;
}

void tls_client_free(struct tls_client *c)
{
	if (!c)
		return;
	gnutls_certificate_free_credentials(c->cred);
	free(c);
}

static bool is_address(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

int tls_connect(struct tls_client *c, int fd, const char *name, struct tls_conn **out, char *why,
		size_t len)
{
	struct tls_conn *t = calloc(1, sizeof(*t));
	unsigned int status;
	gnutls_datum_t text;
	int rc;

	if (!t)
		return -ENOMEM;
	rc = gnutls_init(&t->session, GNUTLS_CLIENT);
	if (rc < 0) {
		free(t);
		return -ENOMEM;
	}
	rc = gnutls_set_default_priority(t->session);
	if (!rc)
		rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, c->cred);
	/* SNI takes names only (RFC 6066) */
	if (!rc && !is_address(name))
		rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, name, strlen(name));
	if (rc < 0)
		goto fail;
	gnutls_session_set_verify_cert(t->session, name, 0);
	gnutls_transport_set_int(t->session, fd);
	gnutls_handshake_set_timeout(t->session, HANDSHAKE_MS);
	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		status = gnutls_session_get_verify_cert_status(t->session);
		if (!gnutls_certificate_verification_status_print(
			    status, gnutls_certificate_type_get(t->session), &text, 0)) {
			snprintf(why, len, "the server's certificate is refused: %s", text.data);
			gnutls_free(text.data);
			goto out;
		}
	}
	if (rc < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	snprintf(why, len, "TLS: %s", gnutls_strerror(rc));
out:
	gnutls_deinit(t->session);
	free(t);
	return -EPROTO;
}

ssize_t tls_send(struct tls_conn *t, const void *buf, size_t n)
{
	ssize_t rc;

	do
		rc = gnutls_record_send(t->session, buf, n);
	while (rc == GNUTLS_E_INTERRUPTED);
	if (rc >= 0)
		return rc;
	return rc == GNUTLS_E_AGAIN ? -EAGAIN : -ECONNRESET;
}

void tls_close(struct tls_conn *t)
{
	if (!t)
		return;
	gnutls_deinit(t->session);
	free(t);
}

#else

int tls_client_new(struct tls_client **out, const char *ca, const char *cert, const char *key,
		   char *why, size_t len)
{
	(void)out, (void)ca, (void)cert, (void)key;
	snprintf(why, len, "this vigil was built without TLS (GnuTLS)");
	return -EOPNOTSUPP;
}

void tls_client_free(struct tls_client *c)
{
	(void)c;
}

int tls_connect(struct tls_client *c, int fd, const char *name, struct tls_conn **out, char *why,
		size_t len)
{
	(void)c, (void)fd, (void)name, (void)out, (void)why, (void)len;
	return -EOPNOTSUPP;
}

ssize_t tls_send(struct tls_conn *t, const void *buf, size_t n)
{
	(void)t, (void)buf, (void)n;
	return -EOPNOTSUPP;
}

void tls_close(struct tls_conn *t)
{
	(void)t;
}

#endif
