// SPDX-License-Identifier: GPL-2.0
/* vigil unload: detach and remove everything vigil left pinned (enforcement, shields). */
#include "cli/cli.h"
#include "core/control.h"
#include "core/pins.h"
#include "enforce/lsmdeny.h"
#include "events/json.h"
#include "shield/shield.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct cli_option unload_options[] = {
	OPTION("force", 'f', NULL,
	       "unload even while an agent runs: its connect hooks are detached\n"
	       "now and its connect deny rules kill instead; its BPF LSM\n"
	       "programs keep refusing until it exits (the kernel cannot detach\n"
	       "them; unload disarms them only when no agent runs)"),
	OPTION("json", 'j', NULL, "what was removed, as one JSON object"),
	OPTION("help", 'h', NULL, "this help"),
	{},
};

static void unload_usage(FILE *out)
{
	fputs("usage: vigil unload [--force] [--json]\n\n"
	      "Detach and remove everything vigil pinned under " PIN_ROOT " (or $" PIN_ROOT_ENV
	      "):\nthe enforcement a crashed 'vigil run' left in force (connect deny hooks, BPF "
	      "LSM\nprograms, their maps) and the shield on every interface. Until then those "
	      "keep\nrefusing what the last policies denied, with no agent running. BPF LSM "
	      "programs,\nwhich the kernel releases some time after their pins are gone, are "
	      "disarmed\nat once: they refuse nothing from then on.\n\n"
	      "A running agent removes its own pins when it stops (vigil stop, Ctrl-C): while one\n"
	      "answers on its control socket, unload refuses unless --force.\n\n",
	      out);
	options_help(out, unload_options, 0);
	fputs("\nExit status: 0 when everything is gone (also when there was nothing), 1 when an\n"
	      "agent is running (without --force) or a pin could not be removed.\n",
	      out);
}

/* Names of what an enforce/ directory holds, for people. */
static const char *enforce_what(const char *dir)
{
	if (!strcmp(dir, "netdeny"))
		return "connect deny hooks";
	if (!strcmp(dir, "lsm"))
		return "BPF LSM deny programs";
	return "enforcement pins";
}

struct report {
	bool json;
	bool agent; /* one answers (--force): its programs are left to it */
	unsigned int n;
	int err;
};

static void item_start(struct report *r, const char *kind)
{
	if (r->json)
		printf("%s{\"kind\":\"%s\"", r->n ? "," : "", kind);
	r->n++;
}

/* Make the programs of the links @c could not detach refuse nothing: 0 or -errno. */
static int disarm(const struct pin_count *c)
{
	int err = lsmdeny_disarm(c->prog_ids, c->n_prog_ids);

	/* one whose program was not found (or past PIN_PROGS_MAX) may still refuse */
	return err ?: c->n_prog_ids < c->attached ? -E2BIG : 0;
}

static void unload_enforce(struct report *r)
{
	char root[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(root, sizeof(root), "%s/enforce", pin_root());
	d = opendir(root);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct pin_count c = { 0 };
		char path[PATH_MAX * 2];
		int err;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		err = pin_remove_tree(path, &c);
		/*
		 * Unpinned LSM links still run until the kernel releases them: disarmed, they
		 * refuse nothing meanwhile. Not a running agent's: it would enforce less, unsaid.
		 */
		if (c.attached && r->agent)
			fprintf(stderr,
				"vigil: unload: %s: the running agent's programs refuse until it "
				"exits (the kernel cannot detach them)\n",
				path);
		else if (c.attached)
			err = err ?: disarm(&c);
		item_start(r, "enforce");
		if (r->json) {
			printf(",\"name\":");
			json_cstring(stdout, de->d_name);
			printf(",\"path\":");
			json_cstring(stdout, path);
			printf(",\"links\":%u,\"maps\":%u,\"programs\":%u,\"error\":", c.links,
			       c.maps, c.progs);
			if (err)
				json_cstring(stdout, strerror(-err));
			else
				printf("null");
			printf("}");
		} else {
			printf("%s %s (%s): %u links detached, %u maps unpinned\n",
			       err ? "could not fully remove" : "removed", enforce_what(de->d_name),
			       path, c.links, c.maps);
		}
		if (err) {
			fprintf(stderr, "vigil: unload: %s: %s\n", path, strerror(-err));
			r->err = err;
		}
	}
	closedir(d);
	rmdir(root);
}

/* Shields pin under the default root only: unload them there through their own code. */
static void unload_shields(struct report *r)
{
	struct dirent *de;
	int lock;
	DIR *d;

	if (strcmp(pin_root(), PIN_ROOT) || access(SHIELD_PIN_ROOT, F_OK))
		return;
	lock = shield_lock();
	d = opendir(SHIELD_PIN_ROOT);
	if (!d) {
		shield_unlock(lock);
		return;
	}
	while ((de = readdir(d))) {
		char err[SHIELD_ERR_LEN] = "";
		int ret;

		if (de->d_name[0] == '.')
			continue;
		ret = shield_detach_pinned(de->d_name, err, sizeof(err));
		item_start(r, "shield");
		if (r->json) {
			printf(",\"interface\":");
			json_cstring(stdout, de->d_name);
			printf(",\"error\":");
			if (ret)
				json_cstring(stdout, err);
			else
				printf("null");
			printf("}");
		} else if (!ret) {
			printf("detached the shield from %s (%s/%s)\n", de->d_name, SHIELD_PIN_ROOT,
			       de->d_name);
		}
		if (ret) {
			fprintf(stderr, "vigil: unload: %s\n", err);
			r->err = ret;
		}
	}
	closedir(d);
	/* the directory stays: other vigil processes lock it */
	shield_unlock(lock);
}

static int unload_run(int argc, char **argv)
{
	struct report r = { 0 };
	struct getopt_spec spec;
	bool force = false;
	char root[PATH_MAX];
	int ping, opt;

	options_getopt(unload_options, 0, false, &spec);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, spec.shorts, spec.longs, NULL)) != -1) {
		if (opt == 'j')
			r.json = true;
		else if (opt == 'f')
			force = true;
		else if (opt == 'h') {
			unload_usage(stdout);
			return EXIT_OK;
		} else
			return options_error("unload", opt, argv);
	}
	if (optind < argc)
		return usage_error("unload", "unexpected argument '%s'", argv[optind]);
	if (geteuid()) {
		fprintf(stderr, "vigil: unload: permission denied: run it as root\n");
		return EXIT_NO_PRIVILEGE;
	}
	/* a stopped agent (it does not answer) is still an agent */
	ping = control_request(control_path(), "ping", NULL, 0, NULL);
	r.agent = ping >= 0 || ping == -ETIMEDOUT;
	if (r.agent && !force) {
		fprintf(stderr,
			"vigil: unload: an agent is running (%s %s); stopping it ('vigil "
			"stop') removes its pins. Use --force to unload under it anyway.\n",
			control_path(), ping >= 0 ? "answers" : "does not answer: stopped?");
		return EXIT_RUNTIME;
	}
	if (r.json) {
		printf("{\"root\":");
		json_cstring(stdout, pin_root());
		printf(",\"removed\":[");
	}
	unload_enforce(&r);
	unload_shields(&r);
	snprintf(root, sizeof(root), "%s", pin_root());
	rmdir(root);
	if (r.json)
		printf("]}\n");
	else if (!r.n)
		printf("nothing to remove: no vigil pins under %s\n", pin_root());
	return r.err ? EXIT_RUNTIME : 0;
}

const struct command cmd_unload = {
	.name = "unload",
	.summary = "detach and remove every pinned vigil program (after a crash)",
	.run = unload_run,
	.usage = unload_usage,
	.options = unload_options,
};
