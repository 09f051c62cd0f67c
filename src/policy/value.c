// SPDX-License-Identifier: GPL-2.0
#include "policy/value.h"
#include "events/pathmark.h"
#include "vigil/events.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* fnmatch takes a lone '[' literally: a writer who typed one meant a class. */
static bool glob_ok(const char *s, char *why, size_t len)
{
	for (const char *p = s; (p = strchr(p, '[')); p++) {
		const char *close =
			strchr(p + 1 + (p[1] == '!' || p[1] == '^') + (p[1] == ']'), ']');

		if (!close) {
			snprintf(why, len, "'%s' opens a '[' class that is never closed", s);
			return false;
		}
		p = close;
	}
	return true;
}

static int parse_path(int field, const char *s, struct value *v, char *why, size_t len)
{
	size_t n = strlen(s);

	if (s[0] != '/' && !(field == FIELD_PROCESS_EXE && !strncmp(s, "memfd:", 6))) {
		snprintf(why, len, "'%s' is not an absolute path; paths start with '/'", s);
		return -EINVAL;
	}
	if (strstr(s, "**")) {
		snprintf(why, len,
			 "'%s': '**' is not supported; end a directory with '/' to match "
			 "everything beneath it",
			 s);
		return -EINVAL;
	}
	if (strstr(s, "/./") || strstr(s, "/../") || strstr(s, "//") ||
	    (n >= 3 && !strcmp(s + n - 3, "/..")) || (n >= 2 && !strcmp(s + n - 2, "/."))) {
		snprintf(why, len,
			 "'%s' is not a normalised path: vigil matches resolved paths, "
			 "without '.', '..' or '//'",
			 s);
		return -EINVAL;
	}
	if (has_glob(s)) {
		if (!glob_ok(s, why, len))
			return -EINVAL;
		if (s[n - 1] == '/') {
			snprintf(why, len,
				 "'%s' can never match: a glob is matched against resolved paths, "
				 "which never end with '/'; drop the final '/'",
				 s);
			return -EINVAL;
		}
		v->path_form = PATH_GLOB;
	} else {
		v->path_form = n > 1 && s[n - 1] == '/' ? PATH_SUBTREE : PATH_EXACT;
	}
	return 0;
}

/* The values a numeric field can take: a value outside them would never match. */
static void number_bounds(int field, long long *lo, long long *hi)
{
	switch (field) {
	case FIELD_NET_DPORT:
	case FIELD_NET_SPORT:
		*lo = 0;
		*hi = 65535;
		break;
	case FIELD_PROCESS_UID:
	case FIELD_PROCESS_EUID:
	case FIELD_PROCESS_GID:
	case FIELD_CRED_UID:
	case FIELD_CRED_EUID:
	case FIELD_CRED_GID:
	case FIELD_CRED_EGID:
	case FIELD_CRED_BEFORE_UID:
	case FIELD_CRED_BEFORE_EUID:
	case FIELD_CRED_BEFORE_GID:
	case FIELD_CRED_BEFORE_EGID:
		*lo = 0;
		*hi = 4294967295LL;
		break;
	default:
		*lo = -(1LL << 62);
		*hi = 1LL << 62;
	}
}

static int parse_number(const struct field_def *f, int field, const char *s, struct value *v,
			char *why, size_t len)
{
	long long min, max;

	const char *dash;
	char *end;
	int base = field == FIELD_FILE_MODE ? 8 : 10;

	for (unsigned int i = 0; i < f->n_names; i++)
		if (!strcmp(s, f->names[i])) {
			v->num.lo = f->name_bits[i];
			v->num.mask = true;
			return 0;
		}
	errno = 0;
	v->num.lo = strtoll(s, &end, base);
	dash = end;
	if (errno || end == s)
		goto bad;
	v->num.hi = v->num.lo;
	if (*dash == '-' && dash != s) {
		v->num.hi = strtoll(dash + 1, &end, base);
		if (errno || end == dash + 1 || v->num.hi < v->num.lo) {
			snprintf(why, len, "'%s' is not a range low-high with low <= high", s);
			return -EINVAL;
		}
	}
	if (*end)
		goto bad;
	if (field == FIELD_FILE_MODE && (v->num.lo < 0 || v->num.hi > 07777)) {
		snprintf(why, len, "'%s' is not a mode from 0 to 7777 (octal)", s);
		return -EINVAL;
	}
	number_bounds(field, &min, &max);
	if (v->num.lo < min || v->num.hi > max) {
		snprintf(why, len, "'%s' can never match: the field is a number from %lld to %lld",
			 s, min, max);
		return -EINVAL;
	}
	return 0;
bad:
	if (f->n_names)
		snprintf(why, len,
			 "'%s' is not an octal mode or one of setuid, setgid, sticky, "
			 "world_writable",
			 s);
	else
		snprintf(why, len, "'%s' is not a number or a range like 1024-65535", s);
	return -EINVAL;
}

static int parse_addr(const char *s, struct value *v, char *why, size_t len)
{
	char buf[64], *slash;
	struct in_addr a4;
	long bits = -1;
	char *end;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || bits < 0)
			goto bad;
	}
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (bits > 32)
			goto bad;
		memset(v->cidr.addr, 0, 10);
		v->cidr.addr[10] = v->cidr.addr[11] = 0xff;
		memcpy(v->cidr.addr + 12, &a4, 4);
		v->cidr.prefix_len = 96 + (bits < 0 ? 32 : bits);
	} else if (inet_pton(AF_INET6, buf, v->cidr.addr) == 1) {
		if (bits > 128)
			goto bad;
		v->cidr.prefix_len = bits < 0 ? 128 : bits;
	} else {
		goto bad;
	}
	/* host bits set in a CIDR are a typo more often than not */
	for (unsigned int i = v->cidr.prefix_len; i < 128; i++)
		if (v->cidr.addr[i / 8] & (0x80 >> (i % 8))) {
			char net[INET6_ADDRSTRLEN] = "?";

			for (unsigned int j = v->cidr.prefix_len; j < 128; j++)
				v->cidr.addr[j / 8] &= ~(0x80 >> (j % 8));
			if (v->cidr.prefix_len >= 96 && inet_pton(AF_INET, buf, &a4) == 1)
				inet_ntop(AF_INET, v->cidr.addr + 12, net, sizeof(net));
			else
				inet_ntop(AF_INET6, v->cidr.addr, net, sizeof(net));
			snprintf(why, len, "'%s' has bits set beyond its /%ld prefix; write %s/%ld",
				 s, bits, net, bits);
			return -EINVAL;
		}
	return 0;
bad:
	snprintf(why, len, "'%s' is not an address or CIDR (10.0.0.0/8, fd00::/8)", s);
	return -EINVAL;
}

static int parse_names(const struct field_def *f, const char *s, struct value *v, char *why,
		       size_t len)
{
	size_t n = 0;

	for (unsigned int i = 0; i < f->n_names; i++)
		if (!strcmp(s, f->names[i])) {
			v->bits = f->name_bits ? f->name_bits[i] : 1ull << i;
			return 0;
		}
	n = snprintf(why, len, "'%s' is not one of", s);
	for (unsigned int i = 0; i < f->n_names && n < len; i++)
		n += snprintf(why + n, len - n, "%s %s", i ? "," : "", f->names[i]);
	return -EINVAL;
}

int value_parse(const struct field_def *f, int field, const char *text, struct value *v, char *why,
		size_t why_len)
{
	int err;

	memset(v, 0, sizeof(*v));
	if (!*text) {
		snprintf(why, why_len, "an empty value matches nothing useful");
		return -EINVAL;
	}
	switch (f->kind) {
	case VAL_PATH:
		err = parse_path(field, text, v, why, why_len);
		break;
	case VAL_STRING:
		v->is_glob = has_glob(text);
		err = v->is_glob && !glob_ok(text, why, why_len) ? -EINVAL : 0;
		if (!err && !v->is_glob &&
		    (field == FIELD_PROCESS_COMM || field == FIELD_PARENT_COMM) &&
		    strlen(text) >= VIGIL_COMM_LEN) {
			snprintf(why, why_len,
				 "'%s' can never match: the kernel keeps only the first %d "
				 "characters of a process name; write '%.*s'",
				 text, VIGIL_COMM_LEN - 1, VIGIL_COMM_LEN - 1, text);
			err = -EINVAL;
		}
		break;
	case VAL_NUMBER:
		err = parse_number(f, field, text, v, why, why_len);
		break;
	case VAL_ADDR:
		err = parse_addr(text, v, why, why_len);
		break;
	case VAL_NAMES:
		err = parse_names(f, text, v, why, why_len);
		break;
	default:
		err = -EINVAL;
	}
	if (!err) {
		v->str = strdup(text);
		if (!v->str)
			err = -ENOMEM;
	}
	return err;
}

void value_free(struct value *v)
{
	free(v->str);
	v->str = NULL;
}

static bool path_match(const struct value *v, const char *s, size_t len)
{
	size_t n = strlen(v->str);

	switch (v->path_form) {
	case PATH_EXACT:
		return len == n && !memcmp(s, v->str, n);
	case PATH_SUBTREE:
		/* "/etc/cron.d/" holds for /etc/cron.d and everything beneath */
		return (len >= n && !memcmp(s, v->str, n)) ||
		       (len == n - 1 && !memcmp(s, v->str, n - 1));
	default:
		return !fnmatch(v->str, s, FNM_PATHNAME);
	}
}

static bool memmem_ok(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

bool value_match(const struct field_def *f, const struct value *v, const struct field_value *fv,
		 bool contains)
{
	switch (f->kind) {
	case VAL_PATH:
		if (contains)
			return memmem_ok(fv->str, fv->len, v->str);
		return path_match(v, fv->str, fv->len);
	case VAL_STRING:
		if (contains)
			return memmem_ok(fv->str, fv->len, v->str);
		if (v->is_glob)
			return !fnmatch(v->str, fv->str, 0);
		return fv->len == strlen(v->str) && !memcmp(fv->str, v->str, fv->len);
	case VAL_NUMBER:
		if (v->num.mask)
			return (fv->num & v->num.lo) == v->num.lo;
		return fv->num >= v->num.lo && fv->num <= v->num.hi;
	case VAL_ADDR: {
		unsigned int bits = v->cidr.prefix_len, bytes = bits / 8;

		if (memcmp(fv->addr, v->cidr.addr, bytes))
			return false;
		return !(bits % 8) ||
		       !((fv->addr[bytes] ^ v->cidr.addr[bytes]) & (0xff00 >> (bits % 8)));
	}
	case VAL_NAMES:
		return (fv->bits & v->bits) != 0;
	}
	return false;
}

static size_t count_slashes(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '/';
	return n;
}

bool path_value_may_be_truncated(const struct value *v)
{
	size_t n = strlen(v->str);

	return n > VIGIL_PATH_MAX || count_slashes(v->str, n) > VIGIL_PATH_DEPTH_MAX;
}

/*
 * A glob matches paths of as many components as it has ('*' stops at '/'): the whole path has
 * more than the tail, so the glob may match it when it has more too and its last components
 * match the tail.
 */
static enum match_result glob_match_tail(const char *glob, const char *tail, size_t tail_len)
{
	size_t want = count_slashes(tail, tail_len), have = count_slashes(glob, strlen(glob));
	const char *p = glob + strlen(glob);
	char copy[FIELD_BUF_SIZE];

	if (have <= want || tail_len >= sizeof(copy))
		return MATCH_NO;
	while (want) /* back to the '/' that starts the last @want components */
		want -= *--p == '/';
	memcpy(copy, tail, tail_len);
	copy[tail_len] = '\0';
	return fnmatch(p, copy, FNM_PATHNAME) ? MATCH_NO : MATCH_MAYBE;
}

enum match_result value_match_truncated(const struct value *v, const struct field_value *fv,
					bool contains)
{
	size_t n = strlen(v->str), mark = fv->len >= PATH_MARK_LEN ? PATH_MARK_LEN : fv->len;
	const char *tail = fv->str + mark;
	size_t tail_len = fv->len - mark;

	if (contains)
		return memmem(tail, tail_len, v->str, n) ? MATCH_YES : MATCH_MAYBE;
	switch (v->path_form) {
	case PATH_EXACT:
		return n > tail_len && !memcmp(v->str + n - tail_len, tail, tail_len) &&
				       path_value_may_be_truncated(v)
			       ? MATCH_MAYBE
			       : MATCH_NO;
	case PATH_SUBTREE:
		return MATCH_MAYBE; /* the unknown head decides */
	default:
		return glob_match_tail(v->str, tail, tail_len);
	}
}

/* The literal part of a glob, up to its first special character. */
static size_t literal_len(const char *s)
{
	return strcspn(s, "*?[");
}

static bool path_covers(const struct value *outer, const struct value *inner)
{
	size_t n = strlen(outer->str);

	switch (outer->path_form) {
	case PATH_SUBTREE:
		/* everything inner matches lies beneath the subtree */
		if (inner->path_form == PATH_GLOB)
			return literal_len(inner->str) >= n && !memcmp(inner->str, outer->str, n);
		return !strncmp(inner->str, outer->str, n) ||
		       (strlen(inner->str) == n - 1 && !strncmp(inner->str, outer->str, n - 1) &&
			inner->path_form == PATH_EXACT);
	case PATH_GLOB:
		return inner->path_form == PATH_EXACT &&
		       !fnmatch(outer->str, inner->str, FNM_PATHNAME);
	default:
		return false;
	}
}

bool value_covers(const struct field_def *f, const struct value *outer, const struct value *inner)
{
	if (!strcmp(outer->str, inner->str))
		return true;
	switch (f->kind) {
	case VAL_PATH:
		return path_covers(outer, inner);
	case VAL_STRING:
		return outer->is_glob && !inner->is_glob && !fnmatch(outer->str, inner->str, 0);
	case VAL_NUMBER:
		if (inner->num.mask)
			return outer->num.mask && (inner->num.lo & outer->num.lo) == outer->num.lo;
		if (outer->num.mask)
			return inner->num.lo == inner->num.hi &&
			       (inner->num.lo & outer->num.lo) == outer->num.lo;
		return outer->num.lo <= inner->num.lo && inner->num.hi <= outer->num.hi;
	case VAL_ADDR: {
		struct field_value fv = { 0 };

		memcpy(fv.addr, inner->cidr.addr, 16);
		return outer->cidr.prefix_len <= inner->cidr.prefix_len &&
		       value_match(f, outer, &fv, false);
	}
	case VAL_NAMES:
		/* `field: A` holds when any of A's bits is set: covered when A's bits are outer's
		 */
		return inner->bits && (inner->bits & ~outer->bits) == 0;
	}
	return false;
}
