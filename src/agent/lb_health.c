// SPDX-License-Identifier: GPL-2.0
/*
 * The thread opens each interface's pinned shield itself (its own file descriptors): the main
 * loop only hands it interface names, under a mutex, so nothing the main loop changes (the
 * shield slots, during a reload) is touched here. Rounds run under the shields' lock, like
 * every install, so a reload never interleaves with a table swap.
 */
#include "agent/lb_health.h"
#include "core/log.h"
#include "shield/health.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_IFACES 16

struct checked {
	char ifname[IF_NAMESIZE];
	struct shield_handle h;
	struct lb_health *hs;
};

struct agent_lb_health {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	bool started, stop, changed;
	char want[MAX_IFACES][IF_NAMESIZE]; /* under mu */
	size_t n_want;
	struct checked open[MAX_IFACES]; /* the thread's own */
	size_t n_open;
	pthread_t thread;
};

int agent_lb_health_new(struct agent_lb_health **out)
{
	struct agent_lb_health *ah = calloc(1, sizeof(*ah));

	if (!ah)
		return -ENOMEM;
	pthread_mutex_init(&ah->mu, NULL);
	pthread_cond_init(&ah->wake, NULL);
	*out = ah;
	return 0;
}

static void close_checked(struct checked *c)
{
	shield_close(&c->h);
	lb_health_free(c->hs);
	free(c->hs);
	c->hs = NULL;
}

/* Open what is wanted and not open yet, close what is no longer wanted. */
static void reconcile(struct agent_lb_health *ah, char (*want)[IF_NAMESIZE], size_t n_want)
{
	char err[SHIELD_ERR_LEN];
	size_t n = 0;

	for (size_t i = 0; i < ah->n_open; i++) {
		bool keep = false;

		for (size_t j = 0; j < n_want; j++)
			keep |= !strcmp(ah->open[i].ifname, want[j]);
		if (keep)
			ah->open[n++] = ah->open[i];
		else
			close_checked(&ah->open[i]);
	}
	ah->n_open = n;
	for (size_t j = 0; j < n_want && ah->n_open < MAX_IFACES; j++) {
		struct checked *c = &ah->open[ah->n_open];
		bool have = false;

		for (size_t i = 0; i < ah->n_open; i++)
			have |= !strcmp(ah->open[i].ifname, want[j]);
		if (have)
			continue;
		memset(c, 0, sizeof(*c));
		snprintf(c->ifname, sizeof(c->ifname), "%s", want[j]);
		c->hs = malloc(sizeof(*c->hs));
		if (!c->hs || shield_open_pinned(&c->h, c->ifname, err, sizeof(err))) {
			pr_warn("shield", "health checks on %s: %s", c->ifname,
				c->hs ? err : "out of memory");
			free(c->hs);
			continue;
		}
		lb_health_init(c->hs);
		ah->n_open++;
	}
}

static void *run(void *arg)
{
	struct agent_lb_health *ah = arg;
	char want[MAX_IFACES][IF_NAMESIZE];
	size_t n_want = 0;
	int wait = 1000;

	for (;;) {
		struct timespec until;
		int lock;

		pthread_mutex_lock(&ah->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait / 1000;
		until.tv_nsec += (long)(wait % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!ah->stop && !ah->changed &&
		       pthread_cond_timedwait(&ah->wake, &ah->mu, &until) != ETIMEDOUT)
			;
		if (ah->stop) {
			pthread_mutex_unlock(&ah->mu);
			break;
		}
		if (ah->changed) {
			memcpy(want, ah->want, sizeof(want));
			n_want = ah->n_want;
			ah->changed = false;
		}
		pthread_mutex_unlock(&ah->mu);
		reconcile(ah, want, n_want);
		wait = 1000;
		lock = shield_lock();
		for (size_t i = 0; i < ah->n_open; i++) {
			int next, ret = lb_health_round(ah->open[i].hs, &ah->open[i].h.maps, &next);

			if (ret)
				pr_warn("shield", "health checks on %s: %s", ah->open[i].ifname,
					strerror(-ret));
			else if (next < wait)
				wait = next < 50 ? 50 : next;
		}
		shield_unlock(lock);
	}
	for (size_t i = 0; i < ah->n_open; i++)
		close_checked(&ah->open[i]);
	ah->n_open = 0;
	return NULL;
}

static void add_iface(void *ctx, const char *ifname, const char *mode, const char *policy)
{
	struct agent_lb_health *ah = ctx;

	(void)mode;
	(void)policy;
	if (ah->n_want < MAX_IFACES)
		snprintf(ah->want[ah->n_want++], IF_NAMESIZE, "%s", ifname);
}

int agent_lb_health_set(struct agent_lb_health *ah, const struct agent_shields *sh)
{
	int ret = 0;

	pthread_mutex_lock(&ah->mu);
	ah->n_want = 0;
	agent_shields_each(sh, add_iface, ah);
	ah->changed = true;
	pthread_cond_signal(&ah->wake);
	if (!ah->started && ah->n_want) {
		ret = -pthread_create(&ah->thread, NULL, run, ah);
		ah->started = !ret;
	}
	pthread_mutex_unlock(&ah->mu);
	return ret;
}

void agent_lb_health_free(struct agent_lb_health *ah)
{
	if (!ah)
		return;
	pthread_mutex_lock(&ah->mu);
	ah->stop = true;
	pthread_cond_signal(&ah->wake);
	pthread_mutex_unlock(&ah->mu);
	if (ah->started)
		pthread_join(ah->thread, NULL);
	pthread_mutex_destroy(&ah->mu);
	pthread_cond_destroy(&ah->wake);
	free(ah);
}
