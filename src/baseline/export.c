// SPDX-License-Identifier: GPL-2.0
/*
 * A baseline as a vigil policy: for each kind, a deny rule on what the program does, with what
 * it was seen doing as the exceptions. The baseline's mode decides the policy's: enforce
 * enforces, anything else is audit (each rule reports would_deny).
 */
#include "baseline/baseline.h"

#include <stdlib.h>
#include <string.h>

void baseline_policy_name(const struct baseline *b, char *buf, size_t len)
{
	const char *base = strrchr(b->program, '/');
	size_t o;

	o = (size_t)snprintf(buf, len, "baseline-");
	for (base = base ? base + 1 : b->program; *base && o + 10 < len; base++)
		buf[o++] = strchr("._-", *base) || (*base >= '0' && *base <= '9') ||
					   ((*base | 0x20) >= 'a' && (*base | 0x20) <= 'z')
				   ? *base
				   : '_';
	/* ids are at most 63 characters, and rules add a suffix of up to 8 */
	if (o > 44)
		o = 44;
	snprintf(buf + o, len - o, "-%.8s", b->sha256);
}

static void rule_head(FILE *out, const char *policy, const char *suffix, const char *what,
		      const char *program, const char *on)
{
	fprintf(out, "  - id: %s-%s\n    description: ", policy, suffix);
	{
		char *d = NULL;

		if (asprintf(&d, "%s %s that its baseline does not list", program, what) >= 0)
			bl_yaml_string(out, d);
		free(d);
	}
	fprintf(out, "\n    severity: medium\n    on: [%s]\n    match:\n", on);
}

static void value_list(FILE *out, const struct bl_items *it)
{
	fputc('[', out);
	for (size_t i = 0; i < it->n; i++) {
		fputs(i ? ", " : "", out);
		bl_yaml_string(out, it->v[i].value);
	}
	fputc(']', out);
}

static void path_rule(FILE *out, const char *name, const struct baseline *b, enum bl_kind kind,
		      const char *suffix, const char *what, const char *on, const char *access)
{
	rule_head(out, name, suffix, what, b->program, on);
	fputs("      process.exe: ", out);
	bl_yaml_string(out, b->program);
	if (access)
		fprintf(out, "\n      file.access: %s", access);
	if (b->items[kind].n) {
		fputs("\n    except:\n      file.path: ", out);
		value_list(out, &b->items[kind]);
	}
	fputs("\n    action: deny\n", out);
}

static void net_rule(FILE *out, const char *name, const struct baseline *b, enum bl_kind kind)
{
	const struct bl_items *it = &b->items[kind];
	bool listen = kind == BL_LISTEN;

	rule_head(out, name, bl_kind_name(kind),
		  listen ? "listened on an address and port" : "connected to a peer", b->program,
		  listen ? "listen" : "connect");
	fputs("      process.exe: ", out);
	bl_yaml_string(out, b->program);
	if (it->n)
		fputs("\n    except:", out);
	for (size_t i = 0; i < it->n; i++) {
		char addr[64];
		unsigned int port;

		if (sscanf(it->v[i].value, "%63s port %u", addr, &port) != 2)
			continue;
		fprintf(out, "\n      - {net.%s: \"%s\", net.%s: %u}", listen ? "saddr" : "daddr",
			addr, listen ? "sport" : "dport", port);
	}
	fputs("\n    action: deny\n", out);
}

static const char *const priv_types[] = { "setuid", "setgid",	   "capset",
					  "ptrace", "module_load", "bpf" };

static bool priv_learned(const struct baseline *b, const char *type)
{
	size_t n = strlen(type);

	for (size_t i = 0; i < b->items[BL_PRIV].n; i++) {
		const char *v = b->items[BL_PRIV].v[i].value;

		if (!strncmp(v, type, n) && (!v[n] || v[n] == ' '))
			return true;
	}
	return false;
}

void baseline_export(const struct baseline *b, bool network, FILE *out)
{
	char name[128], on[128] = "";
	size_t o = 0;

	baseline_policy_name(b, name, sizeof(name));
	fprintf(out,
		"# Exported by vigil baseline export: what %s (sha256 %.16s...) was seen\n"
		"# doing, as exceptions to deny rules.%s\npolicy: %s\nmode: %s\nrules:\n",
		b->program, b->sha256,
		network ? "" : " Network rules left out (--network adds them).", name,
		b->mode == BL_ENFORCE ? "enforce" : "audit");
	rule_head(out, name, "exec", "ran a program", b->program, "exec");
	fputs("      parent.exe: ", out);
	bl_yaml_string(out, b->program);
	if (b->items[BL_EXEC].n) {
		fputs("\n    except:\n      process.exe: ", out);
		value_list(out, &b->items[BL_EXEC]);
	}
	fputs("\n    action: deny\n", out);
	path_rule(out, name, b, BL_READ, "read", "read a file", "open", "read");
	path_rule(out, name, b, BL_WRITE, "write", "wrote a file", "open", "write");
	path_rule(out, name, b, BL_WRITE, "modify", "changed a file",
		  "unlink, rename, chmod, chown, truncate, mkdir, rmdir, link, symlink", NULL);
	for (size_t i = 0; i < sizeof(priv_types) / sizeof(priv_types[0]); i++)
		if (!priv_learned(b, priv_types[i]))
			o += snprintf(on + o, sizeof(on) - o, "%s%s", o ? ", " : "", priv_types[i]);
	if (o) {
		rule_head(out, name, "priv", "used a privileged operation", b->program, on);
		fputs("      process.exe: ", out);
		bl_yaml_string(out, b->program);
		fputs("\n    action: deny\n", out);
	}
	if (network) {
		net_rule(out, name, b, BL_CONNECT);
		net_rule(out, name, b, BL_LISTEN);
	}
}
