/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's configuration file (/etc/vigil/vigil.yaml): a YAML mapping of `vigil run`'s
 * options by their long names, each a value or a list of values. What each key means and
 * accepts is the option table's business (src/cli/stream_cmd.c); this reads the file and keeps
 * where every key and value is written, for file:line:col messages.
 */
#ifndef VIGIL_AGENT_CONFIG_H
#define VIGIL_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "policy/policy.h"

#define CONFIG_PATH "/etc/vigil/vigil.yaml"
#define CONFIG_ENV  "VIGIL_CONFIG"

struct config_value {
	const char *text;
	unsigned int line, col;
	bool quoted; /* written in quotes: "" is a value, a bare nothing is not */
};

struct config_entry {
	const char *key;
	unsigned int line, col;
	bool list; /* written as a list */
	struct config_value *values;
	size_t n_values;
};

struct config_file {
	const char *path;
	struct config_entry *entries;
	size_t n;
	yaml_document_t doc; /* the strings above point into it */
	bool loaded;
};

/*
 * The file to read: @flag (--config), else $VIGIL_CONFIG, else CONFIG_PATH. *@named says it
 * was chosen, and so must exist.
 */
const char *config_path(const char *flag, bool *named);

/*
 * Read @path into @cf. A missing file is no error unless @named (@cf is then empty). Problems
 * go to @d with their place; -EINVAL when there is any, -errno when the file cannot be read.
 */
int config_read(struct config_file *cf, const char *path, bool named, struct diags *d);
void config_free(struct config_file *cf);

#endif
