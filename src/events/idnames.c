// SPDX-License-Identifier: GPL-2.0
#include "events/idnames.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* NSS answers can be large (a group lists its members): the buffer grows up to this. */
#define NSS_BUF_MAX (1 << 20)

struct idname_slot {
	bool used;
	bool has_name;
	__u32 id;
	__u64 expires_ns;
	__u64 last_use;
	char name[IDNAMES_NAME_MAX];
};

struct idnames {
	enum idnames_kind kind;
	__u64 clock; /* counts gets: the LRU order */
	__u64 lookups;
	char *buf;
	size_t buf_size;
	struct idname_slot slots[IDNAMES_SETS][IDNAMES_WAYS];
};

struct idnames *idnames_new(enum idnames_kind kind)
{
	struct idnames *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kind = kind;
	c->buf_size = 4096;
	c->buf = malloc(c->buf_size);
	if (!c->buf) {
		free(c);
		return NULL;
	}
	return c;
}

void idnames_free(struct idnames *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c);
}

__u64 idnames_lookups(const struct idnames *c)
{
	return c->lookups;
}

/* One NSS query; the name is set on success (0), else an errno or ENOENT for no entry. */
static int nss_lookup(struct idnames *c, __u32 id, const char **name)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	int err;

	if (c->kind == IDNAMES_USERS) {
		err = getpwuid_r(id, &pw, c->buf, c->buf_size, &pwp);
		*name = pwp ? pw.pw_name : NULL;
	} else {
		err = getgrgid_r(id, &gr, c->buf, c->buf_size, &grp);
		*name = grp ? gr.gr_name : NULL;
	}
	if (err)
		return err;
	return *name ? 0 : ENOENT;
}

static void resolve(struct idnames *c, struct idname_slot *s)
{
	const char *name = NULL;
	int err;

	c->lookups++;
	while ((err = nss_lookup(c, s->id, &name)) == ERANGE && c->buf_size < NSS_BUF_MAX) {
		char *bigger = realloc(c->buf, c->buf_size * 2);

		if (!bigger)
			break;
		c->buf = bigger;
		c->buf_size *= 2;
	}
	s->has_name = !err && strlen(name) < sizeof(s->name);
	if (s->has_name)
		strcpy(s->name, name);
}

const char *idnames_get(struct idnames *c, __u32 id, __u64 now_ns)
{
	struct idname_slot *set = c->slots[(id * 2654435761u) % IDNAMES_SETS], *s = NULL;

	c->clock++;
	for (int i = 0; i < IDNAMES_WAYS && !s; i++)
		if (set[i].used && set[i].id == id)
			s = &set[i];
	if (!s || now_ns >= s->expires_ns) {
		if (!s) {
			/* a free way, else the least recently used */
			s = &set[0];
			for (int i = 1; i < IDNAMES_WAYS && s->used; i++)
				if (!set[i].used || set[i].last_use < s->last_use)
					s = &set[i];
		}
		s->used = true;
		s->id = id;
		s->expires_ns = now_ns + IDNAMES_TTL_NS;
		resolve(c, s);
	}
	s->last_use = c->clock;
	return s->has_name ? s->name : NULL;
}
