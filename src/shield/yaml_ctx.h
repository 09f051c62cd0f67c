/* SPDX-License-Identifier: GPL-2.0 */
/* What the shield's YAML readers share (yaml.c, yaml_balance.c): the walk and its errors. */
#ifndef VIGIL_SRC_SHIELD_YAML_CTX_H
#define VIGIL_SRC_SHIELD_YAML_CTX_H

#include "shield/shield.h"

struct yctx {
	yaml_document_t *doc;
	struct shield_ruleset *rs;
	struct shield_targets *targets; /* its interfaces: and attach: keys */
	struct shield_yaml_error *e;
};

/* Record the first error at @n (NULL: no place); returns -EINVAL. */
int yctx_fail(struct yctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
yaml_node_t *yctx_node(struct yctx *c, int id);
const char *yctx_scalar(const yaml_node_t *n);
int yctx_want_scalar(struct yctx *c, const yaml_node_t *n, const char *what, const char **out);
int yctx_get_int(struct yctx *c, const yaml_node_t *n, const char *what, long lo, long hi,
		 long *out);

#define for_each_pair(c, map, pair)                                                                \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start;                             \
	     pair < (map)->data.mapping.pairs.top; pair++)

#define for_each_item(seq, it)                                                                     \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start;                              \
	     it < (seq)->data.sequence.items.top; it++)

/* yaml_balance.c: the balance: section of a shield section. */
int shield_parse_balance(struct yctx *c, yaml_node_t *n);

#endif
