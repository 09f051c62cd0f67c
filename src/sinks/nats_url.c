// SPDX-License-Identifier: GPL-2.0
#include "sinks/nats_url.h"
#include "sinks/sink.h"
#include "sinks/spool.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int parse_byte_size(const char *s, uint64_t *out)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (n > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)n << shift;
	return 0;
}

void nats_subject_token(char *out, size_t len, const char *s)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < len; i++) {
		unsigned char c = s[i];

		out[i] = isalnum(c) || c == '-' || c == '_' ? c : '_';
	}
	out[i] = '\0';
	if (!i)
		snprintf(out, len, "unknown");
}

/* %XX decoded into a new string; NULL on a bad escape (or without memory). */
static char *percent_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*p++ = s[i];
			continue;
		}
		if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2])) {
			free(out);
			return NULL;
		}
		char hex[3] = { s[i + 1], s[i + 2], 0 };

		*p++ = (char)strtoul(hex, NULL, 16);
		i += 2;
	}
	*p = '\0';
	return out;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* A subject token or stream name given by the user: no wildcards, spaces or empty parts. */
static bool valid_name(const char *s, bool dots)
{
	if (!*s || *s == '.' || s[strlen(s) - 1] == '.' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '*' || *s == '>' || (*s == '.' && !dots))
			return false;
	return true;
}

static int set_option(struct nats_url *u, const char *key, char *value, char *why, size_t len)
{
	char **str = NULL;
	bool *flag = NULL;

	if (!strcmp(key, "stream"))
		str = &u->stream;
	else if (!strcmp(key, "prefix"))
		str = &u->prefix;
	else if (!strcmp(key, "ca"))
		str = &u->ca;
	else if (!strcmp(key, "cert"))
		str = &u->cert;
	else if (!strcmp(key, "key"))
		str = &u->key;
	else if (!strcmp(key, "tls-name"))
		str = &u->tls_name;
	else if (!strcmp(key, "creds"))
		str = &u->creds;
	else if (!strcmp(key, "spool"))
		str = &u->spool_dir;
	else if (!strcmp(key, "tls"))
		flag = &u->tls;
	else if (!strcmp(key, "create-stream"))
		flag = &u->create_stream;
	if (flag) {
		int err = parse_bool(value, flag);

		free(value);
		return err ? bad(why, len, "%s: on or off, not what was given", key) : 0;
	}
	if (!strcmp(key, "spool-size")) {
		int err = parse_byte_size(value, &u->spool_size);

		free(value);
		if (err || u->spool_size < SPOOL_MIN_LIMIT)
			return bad(why, len, "spool-size: a size of at least 16K (e.g. 64M, 1G)");
		return 0;
	}
	if (!strcmp(key, "batch")) {
		char *end;
		unsigned long b = strtoul(value, &end, 10);
		bool ok = isdigit((unsigned char)*value) && !*end && b >= 1 && b <= SINK_BATCH;

		free(value);
		if (!ok)
			return bad(why, len, "batch: events in one message, 1 to %d", SINK_BATCH);
		u->batch = b;
		return 0;
	}
	if (!str) {
		free(value);
		return bad(why, len,
			   "unknown option '%s' (stream, prefix, create-stream, spool, spool-size, "
			   "batch, tls, ca, cert, key, tls-name, creds)",
			   key);
	}
	if (!*value) {
		free(value);
		return bad(why, len, "%s: empty", key);
	}
	free(*str);
	*str = value;
	return 0;
}

static int parse_query(struct nats_url *u, const char *q, char *why, size_t len)
{
	while (*q) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		char key[32], *value;
		int err;

		if (!eq || (size_t)(eq - q) >= sizeof(key))
			return bad(why, len, "'%.*s': options are NAME=VALUE", (int)n, q);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - q), q);
		value = percent_decode(eq + 1, q + n - eq - 1);
		if (!value)
			return bad(why, len, "%s: a bad %%-escape", key);
		err = set_option(u, key, value, why, len);
		if (err)
			return err;
		q += n + (q[n] == '&');
	}
	return 0;
}

static int add_server(struct nats_url *u, const char *s, size_t n, char *why, size_t len)
{
	const char *colon = memrchr(s, ':', n);
	char *end;
	long port = 4222;

	if (!n)
		return bad(why, len, "no server (nats://HOST:PORT)");
	if (u->n_servers == NATS_MAX_SERVERS)
		return bad(why, len, "at most %d servers", NATS_MAX_SERVERS);
	if (colon && !memchr(s, ']', n - (colon - s))) {
		port = strtol(colon + 1, &end, 10);
		if (end != s + n || colon + 1 == end || port < 1 || port > 65535)
			return bad(why, len, "'%.*s': a bad port", (int)n, s);
		n = colon - s;
	}
	if (!n)
		return bad(why, len, "no host before ':%ld'", port);
	if (asprintf(&u->servers[u->n_servers], "nats://%.*s:%ld", (int)n, s, port) < 0)
		return -ENOMEM;
	u->n_servers++;
	return 0;
}

int nats_url_parse(struct nats_url *u, const char *url, char *why, size_t len)
{
	const char *p, *query;
	int err = 0;

	memset(u, 0, sizeof(*u));
	u->create_stream = true;
	u->spool_size = SPOOL_DEFAULT_LIMIT;
	u->batch = 1;
	if (strncmp(url, "nats://", 7))
		return bad(why, len, "'%s': a NATS URL starts with nats://", url);
	p = url + 7;
	query = strchr(p, '?');
	if (!query)
		query = p + strlen(p);
	while (!err) {
		size_t n = strcspn(p, ",?");

		err = add_server(u, p, n, why, len);
		p += n;
		if (*p != ',')
			break;
		p++;
	}
	if (!err && *query)
		err = parse_query(u, query + 1, why, len);
	if (!err && !u->stream && !(u->stream = strdup(NATS_DEFAULT_STREAM)))
		err = -ENOMEM;
	if (!err && !u->prefix && !(u->prefix = strdup(NATS_DEFAULT_PREFIX)))
		err = -ENOMEM;
	if (!err && !u->spool_dir && !(u->spool_dir = strdup(SPOOL_DEFAULT_DIR)))
		err = -ENOMEM;
	if (!err && !valid_name(u->stream, false))
		err = bad(why, len, "stream '%s': a name without dots, wildcards or spaces",
			  u->stream);
	if (!err && !valid_name(u->prefix, true))
		err = bad(why, len, "prefix '%s': subject tokens without wildcards or spaces",
			  u->prefix);
	if (!err && !u->cert != !u->key)
		err = bad(why, len, "cert and key go together (a client certificate and its key)");
	if (!err && u->creds && strchr(url + 7, '@'))
		err = bad(why, len, "creds and a user in the URL exclude each other");
	if (!err)
		u->tls = u->tls || u->ca || u->cert || u->tls_name;
	if (err)
		nats_url_free(u);
	return err;
}

void nats_url_free(struct nats_url *u)
{
	for (size_t i = 0; i < u->n_servers; i++)
		free(u->servers[i]);
	free(u->stream);
	free(u->prefix);
	free(u->ca);
	free(u->cert);
	free(u->key);
	free(u->tls_name);
	free(u->creds);
	free(u->spool_dir);
	memset(u, 0, sizeof(*u));
}
