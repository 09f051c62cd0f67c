// SPDX-License-Identifier: GPL-2.0
/* Problems found in policies, each with its file, line and column. */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diags_add(struct diags *d, enum diag_level level, const char *file, unsigned int line,
	       unsigned int col, const char *fmt, ...)
{
	struct diag *items = realloc(d->items, (d->n + 1) * sizeof(*items));
	struct diag *g;
	va_list ap;

	if (!items) {
		d->n_errors += level == DIAG_ERROR; /* the count still fails the check */
		return;
	}
	d->items = items;
	g = &items[d->n];
	g->level = level;
	g->file = strdup(file ? file : "");
	g->line = line;
	g->col = col;
	va_start(ap, fmt);
	if (vasprintf(&g->msg, fmt, ap) < 0)
		g->msg = NULL;
	va_end(ap);
	d->n++;
	d->n_errors += level == DIAG_ERROR;
}

void diags_print(const struct diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->items[i];
		const char *level = g->level == DIAG_ERROR ? "error" : "warning";

		if (g->line)
			fprintf(out, "%s:%u:%u: %s: %s\n", g->file, g->line, g->col, level,
				g->msg ? g->msg : "(out of memory)");
		else
			fprintf(out, "%s: %s: %s\n", g->file, level,
				g->msg ? g->msg : "(out of memory)");
	}
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].msg);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

const char *severity_name(enum severity s)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	return s <= SEV_CRITICAL ? names[s] : "?";
}

const char *action_name(enum rule_action a)
{
	static const char *const names[] = { "alert", "deny", "kill" };

	return a <= ACTION_KILL ? names[a] : "?";
}
