/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policies (docs/policy.md): YAML files of rules, parsed into this tree, checked, matched
 * against events, and compiled into the kernel's interest filters.
 */
#ifndef VIGIL_POLICY_POLICY_H
#define VIGIL_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "shield/shield.h"
#include "vigil/types.h"

#define POLICY_NAME_MAX 64

enum policy_mode { MODE_AUDIT, MODE_ENFORCE };
enum severity { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };
enum rule_action { ACTION_ALERT, ACTION_DENY, ACTION_KILL };
enum cond_op { OP_IN, OP_NOT, OP_CONTAINS };

/* How a value is written and compared; fixed by the field (policy/fields.h). */
enum value_kind {
	VAL_PATH,   /* exact, "dir/" subtree, or glob with * not crossing / */
	VAL_STRING, /* exact or glob */
	VAL_NUMBER, /* number or lo-hi range */
	VAL_ADDR,   /* address or CIDR */
	VAL_NAMES,  /* a bit set; names from the field's table */
};

enum path_form { PATH_EXACT, PATH_SUBTREE, PATH_GLOB };

struct value {
	char *str; /* as written (for paths and strings: what is compared) */
	union {
		enum path_form path_form; /* VAL_PATH */
		bool is_glob;		  /* VAL_STRING */
		struct {
			long long lo, hi;
			bool mask; /* a named bit set: lo holds the bits, all must be set */
		} num;		   /* VAL_NUMBER */
		struct {
			__u8 addr[16];	 /* IPv4 as IPv4-mapped IPv6 */
			__u8 prefix_len; /* of the 128 bits */
		} cidr;			 /* VAL_ADDR */
		__u64 bits;		 /* VAL_NAMES */
	};
};

struct cond {
	int field; /* index into the field table */
	enum cond_op op;
	struct value *values;
	size_t n_values;
	unsigned int line, col;
};

/* Conditions that must all hold. */
struct cond_group {
	struct cond *conds;
	size_t n_conds;
	unsigned int line, col;
};

struct policy;
struct rule_index;

struct rule {
	char *id;
	char *description;
	enum severity severity;
	char **mitre;
	size_t n_mitre;
	__u64 types; /* EVENT_BIT of the event types it is on */
	struct cond_group match;
	struct cond_group *excepts; /* any that holds whole silences the event */
	size_t n_excepts;
	enum rule_action action;
	const struct policy *policy;
	unsigned int line, col;
	size_t seq; /* its place in the set's load order: the first of equals decides */
	__u64 hits; /* events it matched since the agent started (a reload keeps them, by id) */
	__u64 mark; /* the last event that visited it (policy/index.h) */
};

/* A policy's `shield:` section: the XDP/tc shield's rule set and where it goes. */
struct policy_shield {
	struct shield_targets targets;
	struct shield_ruleset rules;
	unsigned int line, col; /* of the shield: key */
};

struct policy {
	char *name;
	char *file;		/* where it came from, for messages */
	unsigned int line, col; /* of its name */
	enum policy_mode mode;
	struct rule *rules;
	size_t n_rules;
	struct policy_shield *shield; /* NULL: none */
};

/* Problems found while parsing and checking, each with its place. */
enum diag_level { DIAG_WARNING, DIAG_ERROR };

struct diag {
	enum diag_level level;
	char *file;
	unsigned int line, col; /* 1-based; 0 when not tied to a place */
	char *msg;
};

struct diags {
	struct diag *items;
	size_t n, n_errors;
};

void diags_add(struct diags *d, enum diag_level level, const char *file, unsigned int line,
	       unsigned int col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "file:line:col: error: msg" per line. */
void diags_print(const struct diags *d, FILE *out);
void diags_free(struct diags *d);

/*
 * Parse and check one policy from @len bytes of YAML; @file names it in messages. Returns the
 * policy, or NULL when any error was found (all of them in @d, with the warnings).
 */
struct policy *policy_parse(const char *buf, size_t len, const char *file, struct diags *d);
void policy_free(struct policy *p);

/* The loaded policies, matched together. Replaced whole on reload, never changed in place. */
struct policy_set {
	struct policy **policies;
	size_t n_policies;
	size_t n_rules;
	/* per event type, the rules on it, in load order */
	struct rule **by_type[64];
	size_t n_by_type[64];
	__u64 types;		  /* union of the rules' types */
	struct rule_index *index; /* what each event visits (policy/index.h) */
	/*
	 * Only processes in this cgroup subtree ("/a/b/", below the cgroup2 root) are judged
	 * (vigil sandbox); NULL: every process. Not owned by the set.
	 */
	const char *scope;
	/*
	 * The objects that exact file.path values name, by (dev, inode), sorted: an open of
	 * one of them through a hard link matches as the path the rule names.
	 */
	struct inode_alias *aliases;
	size_t n_aliases;
};

struct inode_alias {
	__u64 inode;
	__u32 dev; /* the kernel's dev_t: major << 20 | minor */
	const char *path;
};

/* (Re)read the (dev, inode) of the set's exact file.path values; 0 or -ENOMEM. */
int policy_set_resolve_aliases(struct policy_set *s);
/* The path a rule names for the object (@dev, @inode), or NULL. */
const char *policy_set_alias(const struct policy_set *s, __u32 dev, __u64 inode);

/*
 * Build a set from files and directories (a directory: its .yaml and .yml files, sorted), plus the
 * built-in ruleset when @defaults. Checks ids across policies. NULL when any error was found.
 */
struct policy_set *policy_set_load(const char *const *paths, size_t n_paths, bool defaults,
				   struct diags *d);
/* The same, plus @extra policies (taken, also on failure): parsed from text, not read here. */
struct policy_set *policy_set_load_with(const char *const *paths, size_t n_paths, bool defaults,
					struct policy **extra, size_t n_extra, struct diags *d);
void policy_set_free(struct policy_set *s);

/* Is @name (a file name) one a policy directory holds: *.yaml or *.yml, not hidden? */
bool policy_file_name(const char *name);

/* Building a set step by step (what policy_set_load does): add, then finish once. */
int policy_set_add_path(struct policy_set *s, const char *path, struct diags *d);
int policy_set_add_file(struct policy_set *s, const char *path, struct diags *d);
/* A directory: each *.yaml / *.yml in it but @skip (a name, or NULL), sorted, not recursive. */
int policy_set_add_dir(struct policy_set *s, const char *dir, const char *skip, struct diags *d);
/* A parsed policy, taken (freed on failure). */
int policy_set_add(struct policy_set *s, struct policy *p);
int policy_set_add_builtin(struct policy_set *s, struct diags *d);
int policy_set_finish(struct policy_set *s, struct diags *d);

/* The built-in ruleset: the YAML files of rules/, embedded at build time. */
struct builtin_policy {
	const char *name; /* file name */
	const char *text;
	size_t len;
};
extern const struct builtin_policy builtin_policies[];
extern const size_t n_builtin_policies;

const char *severity_name(enum severity s);
const char *action_name(enum rule_action a);

#endif
