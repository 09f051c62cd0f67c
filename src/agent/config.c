// SPDX-License-Identifier: GPL-2.0
#include "agent/config.h"
#include "core/readfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX (1 << 20)

const char *config_path(const char *flag, bool *named)
{
	const char *env = getenv(CONFIG_ENV);

	*named = true;
	if (flag)
		return flag;
	if (env && *env)
		return env;
	*named = false;
	return CONFIG_PATH;
}

#define LINE(n) ((unsigned int)(n)->start_mark.line + 1)
#define COL(n)	((unsigned int)(n)->start_mark.column + 1)

static int add_value(struct config_entry *e, const yaml_node_t *n, const char *path,
		     struct diags *d)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		diags_add(d, DIAG_ERROR, path, n ? LINE(n) : e->line, n ? COL(n) : e->col,
			  "%s: want a value%s, not a mapping or a nested list", e->key,
			  e->list ? " in the list" : " or a list of values");
		return -EINVAL;
	}
	e->values[e->n_values++] = (struct config_value){
		.text = (const char *)n->data.scalar.value,
		.line = LINE(n),
		.col = COL(n),
		.quoted = n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
	};
	return 0;
}

/* One `key: value` or `key: [values]` of the top mapping. */
static int add_entry(struct config_file *cf, yaml_node_pair_t *pair, struct diags *d)
{
	yaml_node_t *k = yaml_document_get_node(&cf->doc, pair->key);
	yaml_node_t *v = yaml_document_get_node(&cf->doc, pair->value);
	struct config_entry *e = &cf->entries[cf->n];
	size_t n = 1;

	if (!k || k->type != YAML_SCALAR_NODE) {
		diags_add(d, DIAG_ERROR, cf->path, k ? LINE(k) : 0, k ? COL(k) : 0,
			  "keys are option names, like format");
		return -EINVAL;
	}
	*e = (struct config_entry){ .key = (const char *)k->data.scalar.value,
				    .line = LINE(k),
				    .col = COL(k),
				    .list = v && v->type == YAML_SEQUENCE_NODE };
	for (size_t i = 0; i < cf->n; i++)
		if (!strcmp(cf->entries[i].key, e->key)) {
			diags_add(d, DIAG_ERROR, cf->path, e->line, e->col,
				  "%s is set twice (first on line %u)", e->key,
				  cf->entries[i].line);
			return -EINVAL;
		}
	if (e->list)
		n = v->data.sequence.items.top - v->data.sequence.items.start;
	e->values = calloc(n ? n : 1, sizeof(*e->values));
	if (!e->values)
		return -ENOMEM;
	cf->n++;
	if (!e->list)
		return add_value(e, v, cf->path, d);
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++)
		if (add_value(e, yaml_document_get_node(&cf->doc, *it), cf->path, d))
			return -EINVAL;
	return 0;
}

static int parse(struct config_file *cf, const char *buf, size_t len, struct diags *d)
{
	yaml_parser_t parser;
	yaml_node_t *root;
	size_t n;
	int err = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &cf->doc)) {
		diags_add(d, DIAG_ERROR, cf->path, parser.problem_mark.line + 1,
			  parser.problem_mark.column + 1, "bad YAML: %s",
			  parser.problem ? parser.problem : "unreadable");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	cf->loaded = true;
	root = yaml_document_get_root_node(&cf->doc);
	if (!root) /* empty, or only comments: every default */
		return 0;
	if (root->type != YAML_MAPPING_NODE) {
		diags_add(d, DIAG_ERROR, cf->path, LINE(root), COL(root),
			  "want a mapping of option names to values, like format: json");
		return -EINVAL;
	}
	n = root->data.mapping.pairs.top - root->data.mapping.pairs.start;
	cf->entries = calloc(n ? n : 1, sizeof(*cf->entries));
	if (!cf->entries)
		return -ENOMEM;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		int e = add_entry(cf, p, d);

		if (e == -ENOMEM)
			return e;
		err = err ?: e;
	}
	return err;
}

int config_read(struct config_file *cf, const char *path, bool named, struct diags *d)
{
	char *buf = NULL;
	size_t len;
	int err;

	memset(cf, 0, sizeof(*cf));
	cf->path = path;
	err = read_regular_file(path, CONFIG_MAX, &buf, &len);
	if (err == -ENOENT && !named)
		return 0;
	if (err) {
		diags_add(d, DIAG_ERROR, path, 0, 0, "cannot read it: %s",
			  err == -EINVAL  ? "not a regular file"
			  : err == -EFBIG ? "larger than 1 MiB"
					  : strerror(-err));
		return err;
	}
	err = parse(cf, buf, len, d);
	free(buf);
	return err;
}

void config_free(struct config_file *cf)
{
	for (size_t i = 0; i < cf->n; i++)
		free(cf->entries[i].values);
	free(cf->entries);
	if (cf->loaded)
		yaml_document_delete(&cf->doc);
	memset(cf, 0, sizeof(*cf));
}
