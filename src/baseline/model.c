// SPDX-License-Identifier: GPL-2.0
/* A baseline in memory: its items, what covers a value, folding, nearest item. */
#include "baseline/baseline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[BL_KINDS] = {
	[BL_EXEC] = "exec",	  [BL_READ] = "read",	  [BL_WRITE] = "write",
	[BL_CONNECT] = "connect", [BL_LISTEN] = "listen", [BL_PRIV] = "priv",
};
static const char *const mode_names[] = { "learn", "monitor", "enforce" };

const char *bl_kind_name(enum bl_kind k)
{
	return kind_names[k];
}

int bl_kind_from_name(const char *name)
{
	for (int k = 0; k < BL_KINDS; k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return -EINVAL;
}

const char *bl_kind_category(enum bl_kind k)
{
	if (k == BL_CONNECT || k == BL_LISTEN)
		return "network";
	return k == BL_READ || k == BL_WRITE ? "file" : "process";
}

const char *bl_mode_name(enum bl_mode m)
{
	return mode_names[m];
}

int bl_mode_from_name(const char *name)
{
	for (int m = 0; m < 3; m++)
		if (!strcmp(mode_names[m], name))
			return m;
	return -EINVAL;
}

struct baseline *baseline_new(const char *program, const char *sha256, time_t now)
{
	struct baseline *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->program = strdup(program);
	if (!b->program) {
		free(b);
		return NULL;
	}
	snprintf(b->sha256, sizeof(b->sha256), "%s", sha256);
	b->created = b->grown = now;
	return b;
}

void baseline_free(struct baseline *b)
{
	if (!b)
		return;
	for (int k = 0; k < BL_KINDS; k++) {
		for (size_t i = 0; i < b->items[k].n; i++)
			free(b->items[k].v[i].value);
		free(b->items[k].v);
	}
	free(b->program);
	free(b->replaces);
	free(b->file);
	free(b);
}

struct bl_item *baseline_find(struct baseline *b, enum bl_kind kind, const char *value)
{
	struct bl_items *it = &b->items[kind];

	for (size_t i = 0; i < it->n; i++)
		if (!strcmp(it->v[i].value, value))
			return &it->v[i];
	return NULL;
}

/* "ADDR/PREFIX port N" split; false when @value is not one. */
static bool net_parse(const char *value, unsigned char addr[16], int *prefix, unsigned int *port)
{
	char a[64];
	int n = 0;

	if (sscanf(value, "%63[^/]/%d port %u%n", a, prefix, port, &n) != 3 || value[n])
		return false;
	if (inet_pton(AF_INET, a, addr + 12) == 1) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		if (*prefix < 0 || *prefix > 32)
			return false;
		*prefix += 96;
		return true;
	}
	return inet_pton(AF_INET6, a, addr) == 1 && *prefix >= 0 && *prefix <= 128;
}

static bool net_covers(const char *learned, const char *value)
{
	unsigned char la[16], va[16];
	unsigned int lport, vport;
	int lpre, vpre;

	if (!net_parse(learned, la, &lpre, &lport) || !net_parse(value, va, &vpre, &vport))
		return false;
	if (lport != vport || vpre < lpre)
		return false;
	for (int bit = 0; bit < lpre; bit++)
		if ((la[bit / 8] ^ va[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

struct bl_item *baseline_covers(struct baseline *b, enum bl_kind kind, const char *value)
{
	struct bl_items *it = &b->items[kind];
	struct bl_item *exact = baseline_find(b, kind, value);

	if (exact)
		return exact;
	for (size_t i = 0; i < it->n; i++) {
		const char *l = it->v[i].value;

		if ((kind == BL_CONNECT || kind == BL_LISTEN) ? net_covers(l, value)
		    : strpbrk(l, "*?[")			      ? !fnmatch(l, value, FNM_PATHNAME)
							      : false)
			return &it->v[i];
	}
	return NULL;
}

struct bl_item *baseline_append(struct baseline *b, enum bl_kind kind, const char *value)
{
	struct bl_items *it = &b->items[kind];
	struct bl_item *item;

	if (it->n == it->cap) {
		size_t cap = it->cap ? 2 * it->cap : 16;
		struct bl_item *v = realloc(it->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		it->v = v;
		it->cap = cap;
	}
	item = &it->v[it->n];
	*item = (struct bl_item){ .value = strdup(value) };
	if (!item->value)
		return NULL;
	it->n++;
	return item;
}

bool baseline_add(struct baseline *b, enum bl_kind kind, const char *value, unsigned long long n,
		  time_t when)
{
	struct bl_item *item = baseline_covers(b, kind, value);

	if (kind == BL_READ || kind == BL_WRITE || kind == BL_CONNECT)
		sketch_add(&b->sketch, value, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
	if (item) {
		item->count += n;
		if (when > item->last)
			item->last = when;
		if (!item->first || when < item->first)
			item->first = when;
		b->dirty = true; /* its counts changed: written, though it did not grow */
		return false;
	}
	item = baseline_append(b, kind, value);
	if (!item)
		return false;
	item->count = n;
	item->first = item->last = when;
	b->grown = when > b->grown ? when : b->grown;
	b->dirty = true;
	return true;
}

bool bl_fold_allowed(const char *dir)
{
	/* each file here means something of its own: /etc/shadow is not "like" /etc/hosts */
	static const char *const never[] = { "",	  "/etc",  "/root",    "/boot",
					     "/bin",	  "/sbin", "/usr/bin", "/usr/sbin",
					     "/dev",	  "/proc", "/etc/ssh", "/etc/sudoers.d",
					     "/etc/pam.d" };

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (!strcmp(dir, never[i]))
			return false;
	return !fnmatch("/home/*/.ssh", dir, FNM_PATHNAME) ? false : true;
}

/* By directory, then name: the files of one directory are next to each other. */
static int item_cmp(const void *a, const void *b)
{
	const char *x = ((const struct bl_item *)a)->value, *y = ((const struct bl_item *)b)->value;
	const char *xs = strrchr(x, '/'), *ys = strrchr(y, '/');
	size_t xl = xs ? (size_t)(xs - x) : 0, yl = ys ? (size_t)(ys - y) : 0;
	int c = strncmp(x, y, xl < yl ? xl : yl);

	if (c || xl != yl)
		return c ? c : xl < yl ? -1 : 1;
	return strcmp(x, y);
}

/* Fold the plain files of @items (sorted) that share a directory with @min - 1 others. */
static size_t fold_items(struct bl_items *items, size_t min)
{
	size_t folded = 0, out = 0;

	qsort(items->v, items->n, sizeof(*items->v), item_cmp);
	for (size_t i = 0; i < items->n;) {
		const char *v = items->v[i].value, *slash = strrchr(v, '/');
		size_t dlen = slash ? (size_t)(slash - v) : 0, j = i;
		char dir[4096];

		while (j < items->n && slash && !strncmp(items->v[j].value, v, dlen + 1) &&
		       !strchr(items->v[j].value + dlen + 1, '/'))
			j++;
		snprintf(dir, sizeof(dir), "%.*s", (int)dlen, v);
		if (j - i < min || !slash || *v != '/' || !bl_fold_allowed(dir)) {
			items->v[out++] = items->v[i];
			i++;
			continue;
		}
		struct bl_item f = { .first = items->v[i].first, .last = items->v[i].last };

		if (asprintf(&f.value, "%s/*", dir) < 0) {
			items->v[out++] = items->v[i];
			i++;
			continue;
		}
		for (size_t k = i; k < j; k++) {
			f.count += items->v[k].count;
			f.first = items->v[k].first < f.first ? items->v[k].first : f.first;
			f.last = items->v[k].last > f.last ? items->v[k].last : f.last;
			free(items->v[k].value);
		}
		folded += j - i - 1;
		items->v[out++] = f;
		i = j;
	}
	items->n = out;
	return folded;
}

size_t baseline_fold(struct baseline *b, size_t min)
{
	size_t n = 0;

	if (min < 2)
		return 0;
	for (int k = BL_READ; k <= BL_WRITE; k++)
		n += fold_items(&b->items[k], min);
	if (n)
		b->dirty = true;
	return n;
}

const struct bl_item *baseline_nearest(const struct baseline *b, enum bl_kind kind,
				       const char *value)
{
	const struct bl_items *it = &b->items[kind];
	const struct bl_item *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < it->n; i++) {
		size_t l = 0;

		while (value[l] && value[l] == it->v[i].value[l])
			l++;
		if (l > best_len) {
			best_len = l;
			best = &it->v[i];
		}
	}
	return best;
}

void bl_net_value(char *buf, size_t len, const unsigned char addr16[16], unsigned int port)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	char a[INET6_ADDRSTRLEN];

	if (!memcmp(addr16, mapped, 12)) {
		inet_ntop(AF_INET, addr16 + 12, a, sizeof(a));
		snprintf(buf, len, "%s/32 port %u", a, port);
	} else {
		inet_ntop(AF_INET6, addr16, a, sizeof(a));
		snprintf(buf, len, "%s/128 port %u", a, port);
	}
}
