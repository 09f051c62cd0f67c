/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A NATS sink's or collector's URL: nats://HOST:PORT[,HOST:PORT...][?OPTION=VALUE&...], the
 * options listed in docs/output.md (TLS files, credentials, the stream, the spool). Values may
 * be percent-encoded.
 */
#ifndef VIGIL_SINKS_NATS_URL_H
#define VIGIL_SINKS_NATS_URL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NATS_DEFAULT_STREAM "VIGIL"
#define NATS_DEFAULT_PREFIX "vigil.events"
#define NATS_MAX_SERVERS    8

struct nats_url {
	char *servers[NATS_MAX_SERVERS]; /* "nats://HOST:PORT" or "tls://HOST:PORT" */
	size_t n_servers;
	char *stream; /* JetStream stream written and read */
	char *prefix; /* subjects: PREFIX.HOST.TYPE.SEVERITY */
	bool create_stream;
	/* TLS: on when any of these is given, or tls=on */
	bool tls;
	char *ca, *cert, *key, *tls_name;
	char *creds; /* a NATS credentials file (JWT and NKey seed) */
	char *spool_dir;
	uint64_t spool_size;
	unsigned int batch; /* events of one subject in one message, at most; 1: one per message */
};

/* 0, or -EINVAL with the reason in @why; nats_url_free() either way. */
int nats_url_parse(struct nats_url *u, const char *url, char *why, size_t len);
void nats_url_free(struct nats_url *u);

/* A size: a number of bytes with an optional K, M or G (powers of 1024). 0 or -EINVAL. */
int parse_byte_size(const char *s, uint64_t *out);

/*
 * @s as a subject token: letters, digits, '-' and '_' kept, anything else (dots, wildcards,
 * spaces, ...) as '_', at most @len - 1 bytes; "unknown" when empty.
 */
void nats_subject_token(char *out, size_t len, const char *s);

#endif
