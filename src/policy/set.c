// SPDX-License-Identifier: GPL-2.0
/* Loading policies from files, directories and the built-in ruleset into one set. */
#include "policy/ids.h"
#include "policy/index.h"
#include "policy/policy.h"
#include "core/readfile.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "events/field.h"
#include "vigil/ev_file.h"

#define POLICY_FILE_MAX (16 << 20)

int policy_set_add(struct policy_set *s, struct policy *p)
{
	struct policy **ps = realloc(s->policies, (s->n_policies + 1) * sizeof(*ps));

	if (!ps) {
		policy_free(p);
		return -ENOMEM;
	}
	s->policies = ps;
	ps[s->n_policies++] = p;
	return 0;
}

static char *read_file(const char *path, size_t *len, struct diags *d)
{
	char *buf = NULL;
	int ret = read_regular_file(path, POLICY_FILE_MAX, &buf, len);

	if (ret == -EFBIG)
		diags_add(d, DIAG_ERROR, path, 0, 0, "larger than 16 MiB: not a policy");
	else if (ret == -EINVAL)
		diags_add(d, DIAG_ERROR, path, 0, 0, "not a regular file");
	else if (ret)
		diags_add(d, DIAG_ERROR, path, 0, 0, "cannot read it: %s", strerror(-ret));
	return ret ? NULL : buf;
}

int policy_set_add_file(struct policy_set *s, const char *path, struct diags *d)
{
	struct policy *p;
	size_t len;
	char *buf = read_file(path, &len, d);

	if (!buf)
		return -EINVAL;
	p = policy_parse(buf, len, path, d);
	free(buf);
	return p ? policy_set_add(s, p) : -EINVAL;
}

bool policy_file_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 5 && !strcmp(name + n - 5, ".yaml")) ||
				  (n > 4 && !strcmp(name + n - 4, ".yml")));
}

int policy_set_add_dir(struct policy_set *s, const char *dir, const char *skip, struct diags *d)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), err = 0;

	if (n < 0) {
		diags_add(d, DIAG_ERROR, dir, 0, 0, "cannot read the directory: %s",
			  strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (policy_file_name(names[i]->d_name) &&
		    (!skip || strcmp(names[i]->d_name, skip)) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
			    (int)sizeof(path))
			err = policy_set_add_file(s, path, d) ?: err;
		free(names[i]);
	}
	free(names);
	return err;
}

int policy_set_add_path(struct policy_set *s, const char *path, struct diags *d)
{
	struct stat st;

	if (stat(path, &st)) {
		diags_add(d, DIAG_ERROR, path, 0, 0, "cannot open it: %s", strerror(errno));
		return -errno;
	}
	return S_ISDIR(st.st_mode) ? policy_set_add_dir(s, path, NULL, d)
				   : policy_set_add_file(s, path, d);
}

int policy_set_add_builtin(struct policy_set *s, struct diags *d)
{
	int err = 0;

	for (size_t i = 0; i < n_builtin_policies; i++) {
		char name[128];
		struct policy *p;

		snprintf(name, sizeof(name), "<built-in>/%s", builtin_policies[i].name);
		p = policy_parse(builtin_policies[i].text, builtin_policies[i].len, name, d);
		if (!p || policy_set_add(s, p))
			err = -EINVAL;
	}
	return err;
}

/* Each rule id in one policy only (policy_parse checks within one). */
static int check_ids(struct policy_set *s, struct diags *d)
{
	struct rule **rules = calloc(s->n_rules + 1, sizeof(*rules));
	const struct rule **first = calloc(s->n_rules + 1, sizeof(*first));
	size_t n = 0;
	int err = -ENOMEM;

	if (!rules || !first)
		goto out;
	for (size_t i = 0; i < s->n_policies; i++)
		for (size_t r = 0; r < s->policies[i]->n_rules; r++)
			rules[n++] = &s->policies[i]->rules[r];
	err = rules_first_same_id(rules, n, first);
	for (size_t i = 0; i < n && !err; i++)
		if (first[i] && first[i]->policy != rules[i]->policy)
			diags_add(d, DIAG_ERROR, rules[i]->policy->file, rules[i]->line,
				  rules[i]->col, "rule id '%s' is also used in %s (line %u)",
				  rules[i]->id, first[i]->policy->file, first[i]->line);
out:
	free(rules);
	free(first);
	return err;
}

/* One shield per interface: its rules come from one policy, whole. */
static void check_shield_ifaces(const struct policy_set *s, size_t i, struct diags *d)
{
	const struct policy_shield *sh = s->policies[i]->shield;

	for (size_t k = 0; sh && k < sh->targets.n; k++)
		for (size_t j = 0; j < i; j++) {
			const struct policy_shield *other = s->policies[j]->shield;

			for (size_t l = 0; other && l < other->targets.n; l++)
				if (!strcmp(other->targets.ifaces[l].name,
					    sh->targets.ifaces[k].name))
					diags_add(d, DIAG_ERROR, s->policies[i]->file,
						  sh->targets.ifaces[k].line,
						  sh->targets.ifaces[k].col,
						  "the shield on %s is already given by %s (line "
						  "%u); "
						  "an interface takes one policy's shield section",
						  sh->targets.ifaces[k].name, s->policies[j]->file,
						  other->targets.ifaces[l].line);
		}
}

/* Names unique across the set, and the rules indexed by event type. */
int policy_set_finish(struct policy_set *s, struct diags *d)
{
	size_t errors = d->n_errors;
	int err;

	for (size_t i = 0; i < s->n_policies; i++) {
		struct policy *p = s->policies[i];

		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->policies[j]->name, p->name))
				diags_add(d, DIAG_ERROR, p->file, p->line, p->col,
					  "policy name '%s' is also the name of %s; policy names "
					  "must be unique",
					  p->name, s->policies[j]->file);
		check_shield_ifaces(s, i, d);
		for (size_t r = 0; r < p->n_rules; r++) {
			struct rule *rule = &p->rules[r];

			rule->seq = s->n_rules;
			s->types |= rule->types;
			for (unsigned int t = 0; t < 64; t++) {
				struct rule **list;

				if (!(rule->types & (1ull << t)))
					continue;
				list = realloc(s->by_type[t],
					       (s->n_by_type[t] + 1) * sizeof(*list));
				if (!list)
					return -ENOMEM;
				s->by_type[t] = list;
				list[s->n_by_type[t]++] = rule;
			}
			s->n_rules++;
		}
	}
	err = check_ids(s, d);
	if (err || d->n_errors > errors)
		return err ?: -EINVAL;
	return rule_index_build(s) ?: policy_set_resolve_aliases(s);
}

struct policy_set *policy_set_load_with(const char *const *paths, size_t n_paths, bool defaults,
					struct policy **extra, size_t n_extra, struct diags *d)
{
	struct policy_set *s = calloc(1, sizeof(*s));
	int err = 0;

	if (!s) {
		diags_add(d, DIAG_ERROR, "vigil", 0, 0, "out of memory");
		for (size_t i = 0; i < n_extra; i++)
			policy_free(extra[i]);
		return NULL;
	}
	if (defaults)
		err = policy_set_add_builtin(s, d);
	for (size_t i = 0; i < n_paths; i++)
		err = policy_set_add_path(s, paths[i], d) ?: err;
	for (size_t i = 0; i < n_extra; i++)
		err = policy_set_add(s, extra[i]) ?: err;
	if (!err)
		err = policy_set_finish(s, d);
	if (err) {
		policy_set_free(s);
		return NULL;
	}
	return s;
}

struct policy_set *policy_set_load(const char *const *paths, size_t n_paths, bool defaults,
				   struct diags *d)
{
	return policy_set_load_with(paths, n_paths, defaults, NULL, 0, d);
}

void policy_set_free(struct policy_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_policies; i++)
		policy_free(s->policies[i]);
	free(s->policies);
	for (unsigned int t = 0; t < 64; t++)
		free(s->by_type[t]);
	free(s->aliases);
	rule_index_free(s->index);
	free(s);
}

static int alias_cmp(const void *a, const void *b)
{
	const struct inode_alias *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

int policy_set_resolve_aliases(struct policy_set *s)
{
	const unsigned int open = VIGIL_EV_OPEN;
	struct inode_alias *a = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < s->n_by_type[open]; i++) {
		const struct cond_group *m = &s->by_type[open][i]->match;

		for (size_t j = 0; j < m->n_conds; j++) {
			const struct cond *c = &m->conds[j];

			for (size_t k = 0; c->field == FIELD_FILE_PATH && k < c->n_values; k++) {
				struct stat st;

				if (c->values[k].path_form != PATH_EXACT ||
				    stat(c->values[k].str, &st) || !S_ISREG(st.st_mode))
					continue;
				if (n == cap) {
					void *more = realloc(a, (cap = 2 * cap + 16) * sizeof(*a));

					if (!more) {
						free(a);
						return -ENOMEM;
					}
					a = more;
				}
				a[n++] = (struct inode_alias){ st.st_ino,
							       major(st.st_dev) << 20 |
								       minor(st.st_dev),
							       c->values[k].str };
			}
		}
	}
	if (n) /* qsort and bsearch take no NULL array, even empty */
		qsort(a, n, sizeof(*a), alias_cmp);
	free(s->aliases);
	s->aliases = a;
	s->n_aliases = n;
	return 0;
}

const char *policy_set_alias(const struct policy_set *s, __u32 dev, __u64 inode)
{
	struct inode_alias key = { .inode = inode, .dev = dev };
	const struct inode_alias *hit;

	if (!s->n_aliases)
		return NULL;
	hit = bsearch(&key, s->aliases, s->n_aliases, sizeof(key), alias_cmp);
	return hit ? hit->path : NULL;
}
