// SPDX-License-Identifier: GPL-2.0
/* Baselines as YAML files: one per program, readable, diffable, editable by hand. */
#include "baseline/baseline.h"
#include "core/readfile.h"
#include "core/writefile.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define BASELINE_FILE_MAX (64 << 20)

void bl_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int time_parse(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (!end || *end)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

/* A YAML double-quoted string: paths may hold anything but NUL. */
void bl_yaml_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void baseline_write(const struct baseline *b, FILE *out)
{
	char t1[32], t2[32];
	char *hex;

	fputs("# vigil baseline (docs/baseline.md): what this program was seen doing. Edit it:\n"
	      "# remove what it should not do, add what it may; mode: learn, monitor or enforce.\n",
	      out);
	fputs("program: ", out);
	bl_yaml_string(out, b->program);
	fprintf(out, "\nsha256: %s\nmode: %s\n", b->sha256, bl_mode_name(b->mode));
	bl_time_format(b->created, t1, sizeof(t1));
	bl_time_format(b->grown, t2, sizeof(t2));
	fprintf(out, "created: %s\ngrown: %s\n", t1, t2);
	if (b->replaces)
		fprintf(out, "replaces: %s\n", b->replaces);
	for (int k = 0; k < BL_KINDS; k++) {
		const struct bl_items *it = &b->items[k];

		fprintf(out, "%s:%s\n", bl_kind_name(k), it->n ? "" : " []");
		for (size_t i = 0; i < it->n; i++) {
			bl_time_format(it->v[i].first, t1, sizeof(t1));
			bl_time_format(it->v[i].last, t2, sizeof(t2));
			fputs("  - {value: ", out);
			bl_yaml_string(out, it->v[i].value);
			fprintf(out, ", count: %llu, first: %s, last: %s}\n", it->v[i].count, t1,
				t2);
		}
	}
	hex = malloc(SKETCH_HEX_LEN + 1);
	if (hex) {
		sketch_to_hex(&b->sketch, hex);
		fprintf(out,
			"# how often each file and peer was seen (a count-min sketch)\n"
			"sketch: %s\n",
			hex);
		free(hex);
	}
}

void baseline_file_name(const struct baseline *b, char *buf, size_t len)
{
	size_t o = 0;

	for (const char *p = b->program; *p && o + 32 < len; p++) {
		if (*p == '/')
			buf[o] = o ? '-' : 0;
		else
			buf[o] = strchr("._-", *p) || (*p >= '0' && *p <= '9') ||
						 ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
					 ? *p
					 : '_';
		if (buf[o])
			o++;
	}
	snprintf(buf + o, len - o, ".%.8s.yaml", b->sha256);
}

int baseline_save(struct baseline *b, const char *dir)
{
	char name[512], *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	err = make_dir_path(dir, 0700);
	if (err)
		return err;
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	baseline_write(b, f);
	if (fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	baseline_file_name(b, name, sizeof(name));
	err = write_file_atomic(dir, name, text, len);
	free(text);
	if (!err) {
		free(b->file);
		if (asprintf(&b->file, "%s/%s", dir, name) < 0)
			b->file = NULL;
		b->dirty = false;
	}
	return err;
}

struct loader {
	yaml_document_t doc;
	const char *path;
	char *err;
	size_t errlen;
};

static int fail(struct loader *l, yaml_node_t *n, const char *fmt, ...)
{
	int o = snprintf(l->err, l->errlen, "%s:%zu: ", l->path, n ? n->start_mark.line + 1 : 1);
	va_list ap;

	va_start(ap, fmt);
	if (o >= 0 && (size_t)o < l->errlen)
		vsnprintf(l->err + o, l->errlen - o, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int load_time(struct loader *l, yaml_node_t *n, const char *key, time_t *out)
{
	const char *s = scalar(n);

	if (!s || time_parse(s, out))
		return fail(l, n, "%s: not a time like 2026-12-07T20:30:00Z", key);
	return 0;
}

static int load_item(struct loader *l, struct baseline *b, enum bl_kind kind, yaml_node_t *n)
{
	const char *value = NULL;
	unsigned long long count = 1;
	time_t first = b->created, last = b->created;
	yaml_node_pair_t *p;
	struct bl_item *item;

	/* a plain string is an item added by hand */
	if (scalar(n))
		value = scalar(n);
	else if (n->type != YAML_MAPPING_NODE)
		return fail(l, n, "%s: each item is a value or {value: ..., count: ...}",
			    bl_kind_name(kind));
	for (p = n->type == YAML_MAPPING_NODE ? n->data.mapping.pairs.start : NULL;
	     p && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(k), *s = scalar(v);
		char *end;

		if (!key || !s)
			return fail(l, v, "%s: an item's keys and values are single values",
				    bl_kind_name(kind));
		if (!strcmp(key, "value")) {
			value = s;
		} else if (!strcmp(key, "count")) {
			errno = 0;
			count = strtoull(s, &end, 10);
			if (errno || *end || !*s || *s == '-')
				return fail(l, v, "count: not a number: '%s'", s);
		} else if (!strcmp(key, "first") || !strcmp(key, "last")) {
			if (load_time(l, v, key, *key == 'f' ? &first : &last))
				return -EINVAL;
		} else {
			return fail(l, k, "unknown key '%s' in an item (value, count, first, last)",
				    key);
		}
	}
	if (!value || !*value)
		return fail(l, n, "%s: an item without a value", bl_kind_name(kind));
	if (baseline_find(b, kind, value))
		return fail(l, n, "%s: '%s' is listed twice", bl_kind_name(kind), value);
	item = baseline_append(b, kind, value);
	if (!item)
		return -ENOMEM;
	item->count = count;
	item->first = first;
	item->last = last;
	return 0;
}

static int load_root(struct loader *l, yaml_node_t *root, struct baseline **out)
{
	const char *program = NULL, *sha = NULL, *mode = NULL, *replaces = NULL, *sketch = NULL;
	yaml_node_t *kinds[BL_KINDS] = { 0 }, *created = NULL, *grown = NULL, *mode_node = NULL;
	struct baseline *b;
	yaml_node_pair_t *p;

	if (!root || root->type != YAML_MAPPING_NODE)
		return fail(l, root, "a baseline is a map with program:, sha256:, mode: ...");
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(k);
		int kind;

		if (!key)
			return fail(l, k, "keys are single values");
		kind = bl_kind_from_name(key);
		if (kind >= 0) {
			if (v->type != YAML_SEQUENCE_NODE)
				return fail(l, v, "%s: a list of items", key);
			kinds[kind] = v;
			continue;
		}
		if (!strcmp(key, "created") || !strcmp(key, "grown")) {
			*(*key == 'c' ? &created : &grown) = v;
			continue;
		}
		if (strcmp(key, "program") && strcmp(key, "sha256") && strcmp(key, "mode") &&
		    strcmp(key, "replaces") && strcmp(key, "sketch"))
			return fail(l, k,
				    "unknown key '%s' (program, sha256, mode, created, grown, "
				    "replaces, exec, read, write, connect, listen, priv, sketch)",
				    key);
		if (!scalar(v))
			return fail(l, v, "%s: a single value", key);
		if (!strcmp(key, "program"))
			program = scalar(v);
		else if (!strcmp(key, "sha256"))
			sha = scalar(v);
		else if (!strcmp(key, "mode"))
			mode = scalar(v), mode_node = v;
		else if (!strcmp(key, "replaces"))
			replaces = scalar(v);
		else
			sketch = scalar(v);
	}
	if (!program || *program != '/')
		return fail(l, root, "program: the executable's absolute path is missing");
	if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return fail(l, root, "sha256: 64 lower-case hex digits are missing");
	if (mode && bl_mode_from_name(mode) < 0)
		return fail(l, mode_node, "unknown mode '%s' (learn, monitor or enforce)", mode);
	b = baseline_new(program, sha, time(NULL));
	if (!b)
		return -ENOMEM;
	b->mode = mode ? bl_mode_from_name(mode) : BL_LEARN;
	if ((created && load_time(l, created, "created", &b->created)) ||
	    (grown && load_time(l, grown, "grown", &b->grown)))
		goto bad;
	if (!grown)
		b->grown = b->created;
	if (replaces && !(b->replaces = strdup(replaces)))
		goto bad;
	for (int k = 0; k < BL_KINDS; k++) {
		yaml_node_item_t *i;

		for (i = kinds[k] ? kinds[k]->data.sequence.items.start : NULL;
		     i && i < kinds[k]->data.sequence.items.top; i++)
			if (load_item(l, b, k, yaml_document_get_node(&l->doc, *i)))
				goto bad;
	}
	/* loading is not growth */
	b->dirty = false;
	if (sketch && sketch_from_hex(&b->sketch, sketch)) {
		fail(l, root, "sketch: not %d hex digits (remove the line to start it afresh)",
		     SKETCH_HEX_LEN);
		goto bad;
	}
	*out = b;
	return 0;
bad:
	baseline_free(b);
	return -EINVAL;
}

int baseline_load(const char *path, struct baseline **out, char *err, size_t errlen)
{
	struct loader l = { .path = path, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	size_t len;
	char *buf;
	int ret;

	ret = read_regular_file(path, BASELINE_FILE_MAX, &buf, &len);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(buf);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		snprintf(err, errlen, "%s:%zu: bad YAML: %s", path, parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "unreadable");
		ret = -EINVAL;
	} else {
		ret = load_root(&l, yaml_document_get_root_node(&l.doc), out);
		yaml_document_delete(&l.doc);
	}
	yaml_parser_delete(&parser);
	free(buf);
	if (!ret && !((*out)->file = strdup(path))) {
		baseline_free(*out);
		ret = -ENOMEM;
	}
	return ret;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bl_load_dir(const char *dir, struct baseline ***out, size_t *n, char *err, size_t errlen)
{
	struct baseline **v = NULL;
	char **names = NULL;
	size_t nn = 0, i;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* nothing learned yet */
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **grown;

		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
			continue;
		grown = realloc(names, (nn + 1) * sizeof(*names));
		if (!grown || !(grown[nn] = strdup(de->d_name))) {
			names = grown ?: names;
			ret = -ENOMEM;
			break;
		}
		names = grown;
		nn++;
	}
	closedir(d);
	if (!ret && nn) {
		qsort(names, nn, sizeof(*names), name_cmp);
		v = calloc(nn, sizeof(*v));
		if (!v)
			ret = -ENOMEM;
	}
	for (i = 0; !ret && i < nn; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ret = baseline_load(path, &v[i], err, errlen);
	}
	for (size_t j = 0; j < nn; j++)
		free(names[j]);
	free(names);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		for (size_t j = 0; v && j < nn; j++)
			baseline_free(v[j]);
		free(v);
		return ret;
	}
	*out = v;
	*n = nn;
	return 0;
}
